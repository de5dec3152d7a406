using System.Buffers;
using Gateway.Engines.HiveServer2;
using Gateway.Protocol.Arrow;
using Gateway.Protocol.Columnar;
using Gateway.Protocol.Compression;
using Gateway.Protocol.Hive;
using Gateway.Protocol.Thrift;
using Gateway.Tests.Unit.Arrow;

namespace Gateway.Tests.Unit;

/// <summary>
/// The client side of Arrow results (engines/HiveServer2/HiveArrowResults.cs, TRowSet's Arrow batches): the schema
/// from GetResultSetMetadata or, without it, from the table schema; several batches per fetch joined; LZ4 frames;
/// row counts checked; what the reader refuses becomes a client error with a SQLSTATE. Plus the pieces under it:
/// batch bytes read as slices of the reply, <see cref="ColumnConcat"/>, <see cref="PrimitiveColumn{T}.Retype"/>.
/// </summary>
public class HiveArrowResultUnitTests
{
    private static TGetResultSetMetadataResp Metadata(ResultSchema schema, ArrowWriteOptions options, bool lz4 = false) => new()
    {
        ResultFormat = TSparkRowSetType.ARROW_BASED_SET,
        ArrowSchema = ArrowIpc.SchemaBytes(schema, options),
        Lz4Compressed = lz4,
    };

    private static ArrowBatchSlice Slice(ColumnBatch batch, int offset, int count, ArrowWriteOptions options) =>
        new(ArrowIpc.RecordBatchBytes(batch, offset, count, options), count);

    [Fact]
    public void SeveralBatchesOfOneFetchAreJoinedIntoOne()
    {
        using var every = ArrowTestData.EveryType(40);
        var arrow = HiveArrowResult.From(Metadata(every.Schema, ArrowWriteOptions.Native), every.Schema, HiveArrowOptions.Native)!;
        Assert.False(arrow.Lz4);
        // One entry with two messages, an empty one, and a third.
        var two = new ArrayBufferWriter<byte>();
        ArrowIpc.WriteRecordBatch(every, 0, 10, ArrowWriteOptions.Native, two);
        ArrowIpc.WriteRecordBatch(every, 10, 15, ArrowWriteOptions.Native, two);
        using var joined = arrow.Read([new ArrowBatchSlice(two.WrittenMemory, 25), Slice(every, 25, 0, ArrowWriteOptions.Native), Slice(every, 25, 15, ArrowWriteOptions.Native)]);
        ArrowReaderUnitTests.AssertSameRows(every, 0, 40, ArrowWriteOptions.Native, joined);

        using var none = arrow.Read([]);
        Assert.Equal(0, none.RowCount);
        Assert.Equal(every.Schema.Count, none.Columns.Length);
    }

    [Fact]
    public void Lz4FramedBatchesAreDecompressedFirst()
    {
        using var every = ArrowTestData.EveryType(20);
        var arrow = HiveArrowResult.From(Metadata(every.Schema, ArrowWriteOptions.Default, lz4: true), every.Schema, HiveArrowOptions.Native with { Lz4 = true })!;
        Assert.True(arrow.Lz4);
        var framed = Lz4Frame.Compress(ArrowIpc.RecordBatchBytes(every, 2, 18, ArrowWriteOptions.Default));
        using var batch = arrow.Read([new ArrowBatchSlice(framed, 18)]);
        ArrowReaderUnitTests.AssertSameRows(every, 2, 18, ArrowWriteOptions.Default, batch);

        var e = Assert.Throws<HiveClientException>(() => arrow.Read([new ArrowBatchSlice(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 }, 1)]));
        Assert.Equal("08S01", e.SqlState);
    }

    [Fact]
    public void WhatTheReaderRefusesIsAClientErrorWithASqlState()
    {
        using var every = ArrowTestData.EveryType(6);
        var arrow = HiveArrowResult.From(Metadata(every.Schema, ArrowWriteOptions.Native), every.Schema, null)!;
        var bytes = ArrowIpc.RecordBatchBytes(every, 0, 6, ArrowWriteOptions.Native);
        var wrongCount = Assert.Throws<HiveClientException>(() => arrow.Read([new ArrowBatchSlice(bytes, 7)]));
        Assert.Equal("08S01", wrongCount.SqlState);
        Assert.Contains("7 rows", wrongCount.Message, StringComparison.Ordinal);
        var truncated = Assert.Throws<HiveClientException>(() => arrow.Read([new ArrowBatchSlice(bytes.AsMemory(0, bytes.Length - 9), 6)]));
        Assert.Contains("truncated", truncated.Message, StringComparison.Ordinal);

        // An Arrow schema that does not match the table schema's column count.
        var e = Assert.Throws<HiveClientException>(() => HiveArrowResult.From(Metadata(every.Schema, ArrowWriteOptions.Native), new ResultSchema([new ColumnInfo("x", SqlType.Int)]), null));
        Assert.Contains($"has {every.Schema.Count} columns; its table schema has 1", e.Message, StringComparison.Ordinal);
        var unsupported = Assert.Throws<HiveClientException>(() => HiveArrowResult.From(new TGetResultSetMetadataResp { ArrowSchema = [0xFF, 0xFF, 0xFF, 0xFF, 8, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0] }, every.Schema, null));
        Assert.Equal("08S01", unsupported.SqlState);

        // Arrow batches for a result that was never described as Arrow.
        var rowSet = new TRowSet { Rows = [], ArrowBatches = [new TSparkArrowBatch { Batch = bytes, RowCount = 6 }] };
        Assert.Throws<HiveClientException>(() => HiveRowSets.ToBatch(rowSet, every.Schema, null));
    }

    [Fact]
    public void WithoutAnArrowSchemaTheTableSchemaAndTheAskedFlagsDescribeTheBatches()
    {
        var schema = new ResultSchema([new ColumnInfo("d", SqlType.Decimal(9, 2)), new ColumnInfo("ts", SqlType.Timestamp), new ColumnInfo("n", SqlType.BigInt)]);
        using var batch = ArrowTestData.Build(schema, 3, i => [1.5m * i, new DateTime(2024, 1, 1).AddDays(i), (long)i]);
        var metadata = new TGetResultSetMetadataResp { ResultFormat = TSparkRowSetType.ARROW_BASED_SET };

        // Decimals asked as text come as utf8; timestamps as Arrow.
        var asked = new HiveArrowOptions { DecimalAsArrow = false };
        var arrow = HiveArrowResult.From(metadata, schema, asked)!;
        Assert.Equal([SqlType.String, SqlType.Timestamp, SqlType.BigInt], arrow.Schema.Schema.Columns.Select(c => c.Type));
        using var read = arrow.Read([Slice(batch, 0, 3, asked.ToWriteOptions())]);
        Assert.Equal("3.00", ((BinaryColumn)read.Columns[0]).GetString(2));

        // Nothing asked: every special type as text (what Spark-line servers send to clients without the flags).
        Assert.Equal(SqlType.String, HiveArrowResult.From(metadata, schema, null)!.Schema.Schema.Columns[1].Type);

        // Thrift columns announced, or nothing announced (asked or not): no Arrow reading.
        Assert.Null(HiveArrowResult.From(new TGetResultSetMetadataResp { ResultFormat = TSparkRowSetType.COLUMN_BASED_SET, ArrowSchema = [1] }, schema, HiveArrowOptions.Native));
        Assert.Null(HiveArrowResult.From(new TGetResultSetMetadataResp(), schema, null));
        Assert.Null(HiveArrowResult.From(new TGetResultSetMetadataResp(), schema, HiveArrowOptions.Native));
    }

    [Fact]
    public void ArrowBatchBytesAreSlicesOfTheReplyWhenReadOverMemory()
    {
        var rowSet = new TRowSet { StartRowOffset = 5, Rows = [], ArrowBatches = [new TSparkArrowBatch { Batch = [1, 2, 3], RowCount = 3 }, new TSparkArrowBatch { Batch = [], RowCount = 0 }] };
        using var output = new PooledBufferWriter();
        rowSet.Write(new ThriftWriter(output));
        var reply = output.WrittenSpan.ToArray();

        var overMemory = ThriftReader.OverMemory(reply, ThriftLimits.Default);
        var read = new TRowSet();
        read.Read(ref overMemory);
        var slices = read.ArrowBatchSlices!;
        Assert.Equal([3L, 0L], slices.Select(s => s.RowCount));
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(slices[0].Batch, out var segment));
        Assert.Same(reply, segment.Array);
        Assert.Equal(new byte[] { 1, 2, 3 }, slices[0].Batch.ToArray());
        // The TSparkArrowBatch view is still there for callers that want arrays.
        Assert.Equal(new byte[] { 1, 2, 3 }, read.ArrowBatches![0].Batch);

        var overSpan = new ThriftReader(reply, ThriftLimits.Default);
        var copied = new TRowSet();
        copied.Read(ref overSpan);
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(copied.ArrowBatchSlices![0].Batch, out var own));
        Assert.NotSame(reply, own.Array);

        // A row set that was read writes its batches back unchanged.
        using var again = new PooledBufferWriter();
        read.Write(new ThriftWriter(again));
        Assert.Equal(reply, again.WrittenSpan.ToArray());
    }

    [Fact]
    public void ConcatJoinsSlicesOfEveryTypeWithTheirNulls()
    {
        using var every = ArrowTestData.EveryType(40);
        using var other = ArrowTestData.AllNull(6);
        using var joined = ColumnConcat.Concat(every.Schema, [(every, 3, 7), (every, 10, 0), (other, 1, 4), (every, 20, 20)]);
        Assert.Equal(31, joined.RowCount);
        var expected = ArrowExpected.Columns(every, 3, 7, ArrowWriteOptions.Native);
        var nulls = ArrowExpected.Columns(other, 1, 4, ArrowWriteOptions.Native);
        var rest = ArrowExpected.Columns(every, 20, 20, ArrowWriteOptions.Native);
        var actual = ArrowExpected.Columns(joined, 0, 31, ArrowWriteOptions.Native);
        for (var c = 0; c < every.Schema.Count; c++)
        {
            var want = new System.Text.Json.Nodes.JsonArray([.. expected[c]!.AsArray().Concat(nulls[c]!.AsArray()).Concat(rest[c]!.AsArray()).Select(n => n?.DeepClone())]);
            Assert.True(System.Text.Json.Nodes.JsonNode.DeepEquals(want, actual[c]), $"{every.Schema.Columns[c].Name}: {want.ToJsonString()} vs {actual[c]!.ToJsonString()}");
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => ColumnConcat.Concat(every.Schema, [(every, 35, 6)]));
    }

    [Fact]
    public void RetypingMovesBuffersAndValidityWithoutCopying()
    {
        var values = ArrayPool<Int128>.Shared.Rent(4);
        values[0] = 125;
        var column = new PrimitiveColumn<Int128>(SqlType.Decimal(9, 2), 4, values, pooled: true);
        var validity = ArrayPool<byte>.Shared.Rent(1);
        validity[0] = 0b1011;
        column.SetValidity(validity, pooled: true);
        var moved = column.Retype(SqlType.Decimal(12, 2));
        Assert.Same(values, moved.Values);
        Assert.Same(validity, moved.Validity);
        Assert.Equal(1, moved.NullCount);
        Assert.True(moved.IsNull(2));
        Assert.Equal(0, column.Length);
        Assert.Null(column.Validity);
        column.Dispose(); // returns nothing: the buffers are the moved column's now
        moved.Dispose();

        var text = new BinaryColumn(SqlType.String, 1, [0, 2], "ab"u8.ToArray());
        var varchar = text.Retype(SqlType.Varchar(10));
        Assert.Equal("ab", varchar.GetString(0));
        Assert.Equal(SqlType.Varchar(10), varchar.Type);
        Assert.Throws<ArgumentException>(() => varchar.MoveValidityTo(new NullColumn(3)));
    }
}
