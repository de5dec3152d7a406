using System.Buffers;
using System.Text.Json.Nodes;
using Gateway.Protocol.Arrow;
using Gateway.Protocol.Columnar;

namespace Gateway.Tests.Unit.Arrow;

/// <summary>
/// The production Arrow reader (protocol/Arrow/ArrowIpcReader) against our writer: every type with NULLs at
/// every level, slices at every offset, empty and zero-column batches, the Databricks split (schema bytes and
/// batch bytes apart) and whole streams from memory and from a Stream. Values are compared through
/// <see cref="ArrowExpected"/>, which reads the batches through the Column API only.
/// </summary>
public class ArrowReaderUnitTests
{
    public static TheoryData<string> OptionNames() => ArrowIpcUnitTests.OptionNames();

    internal static byte[] Stream(ResultSchema schema, ArrowWriteOptions options, params (ColumnBatch Batch, int Offset, int Count)[] slices)
    {
        var output = new ArrayBufferWriter<byte>();
        ArrowIpc.WriteSchema(schema, options, output);
        foreach (var (batch, offset, count) in slices) ArrowIpc.WriteRecordBatch(batch, offset, count, options, output);
        ArrowIpc.WriteEndOfStream(output);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>The type a column written under <paramref name="options"/> reads back as: text fallbacks and VARCHAR/CHAR are STRING.</summary>
    internal static SqlType ReadBackType(SqlType type, ArrowWriteOptions options)
    {
        if (options.SendsAsText(type)) return SqlType.String;
        return type.Kind switch
        {
            SqlTypeKind.Varchar or SqlTypeKind.Char => SqlType.String,
            SqlTypeKind.Array => SqlType.Array(ReadBackType(type.Element!, options)),
            SqlTypeKind.Map => SqlType.Map(ReadBackType(type.Fields[0].Type, options), ReadBackType(type.Fields[1].Type, options)),
            SqlTypeKind.Struct => SqlType.Struct(type.Fields.Select(f => new SqlField(f.Name, ReadBackType(f.Type, options)))),
            _ => type,
        };
    }

    /// <summary>Checks the read batch holds rows [offset, offset + count) of the written one, typed as <see cref="ReadBackType"/> says.</summary>
    internal static void AssertSameRows(ColumnBatch written, int offset, int count, ArrowWriteOptions options, ColumnBatch read)
    {
        Assert.Equal(count, read.RowCount);
        Assert.Equal(written.Schema.Count, read.Schema.Count);
        for (var c = 0; c < written.Schema.Count; c++)
        {
            var expectedType = ReadBackType(written.Schema.Columns[c].Type, options);
            Assert.Equal(written.Schema.Columns[c].Name, read.Schema.Columns[c].Name);
            Assert.Equal(expectedType, read.Schema.Columns[c].Type);
            Assert.Equal(expectedType, read.Columns[c].Type);
            Assert.Equal(count, read.Columns[c].Length);
        }
        var expected = ArrowExpected.Columns(written, offset, count, options);
        // The read batch has no text fallbacks left: its STRING columns hold the text, read as text.
        var actual = ArrowExpected.Columns(read, 0, count, ArrowWriteOptions.Native);
        for (var c = 0; c < written.Schema.Count; c++)
        {
            if (!JsonNode.DeepEquals(expected[c], actual[c]))
            {
                Assert.Fail($"Column {written.Schema.Columns[c].Name} ({written.Schema.Columns[c].Type}), rows {offset}..{offset + count}:\nexpected {expected[c]!.ToJsonString()}\nactual   {actual[c]!.ToJsonString()}");
            }
        }
    }

    private static List<ColumnBatch> ReadWhole(byte[] bytes, out ArrowSchema schema)
    {
        using var reader = new ArrowStreamReader(bytes);
        schema = reader.Schema;
        var batches = new List<ColumnBatch>();
        while (reader.ReadNextBatch() is { } b) batches.Add(b);
        Assert.Null(reader.ReadNextBatch());
        return batches;
    }

    private static void Check(ColumnBatch batch, ArrowWriteOptions options, params (int Offset, int Count)[] slices)
    {
        var bytes = Stream(batch.Schema, options, [.. slices.Select(s => (batch, s.Offset, s.Count))]);

        // A whole stream in memory.
        var read = ReadWhole(bytes, out var schema);
        try
        {
            Assert.Equal(slices.Length, read.Count);
            for (var i = 0; i < slices.Length; i++) AssertSameRows(batch, slices[i].Offset, slices[i].Count, options, read[i]);
            Assert.Equal(batch.Schema.Columns.Select(c => ReadBackType(c.Type, options)), schema.Schema.Columns.Select(c => c.Type));
        }
        finally
        {
            foreach (var b in read) b.Dispose();
        }

        // The same stream from a Stream, one small read at a time.
        using (var reader = new ArrowStreamReader(new TrickleStream(bytes)))
        {
            for (var i = 0; i < slices.Length; i++)
            {
                using var b = reader.ReadNextBatch();
                Assert.NotNull(b);
                AssertSameRows(batch, slices[i].Offset, slices[i].Count, options, b);
            }
            Assert.Null(reader.ReadNextBatch());
        }

        // Databricks' split: the schema message, then each record batch message on its own.
        var split = ArrowIpcReader.ReadSchema(ArrowIpc.SchemaBytes(batch.Schema, options));
        foreach (var (offset, count) in slices)
        {
            using var one = ArrowIpcReader.ReadRecordBatch(split, ArrowIpc.RecordBatchBytes(batch, offset, count, options));
            AssertSameRows(batch, offset, count, options, one);
        }
    }

    [Theory]
    [MemberData(nameof(OptionNames))]
    public void EveryTypeRoundTripsWithNullsAndSlices(string name)
    {
        var options = ArrowIpcUnitTests.OptionSets[name];
        using var every = ArrowTestData.EveryType(40);
        Check(every, options, (0, 40), (3, 17), (0, 0), (21, 19), (39, 1));
    }

    [Fact]
    public void SlicesAtEveryOffsetRoundTrip()
    {
        using var every = ArrowTestData.EveryType(40);
        Check(every, ArrowWriteOptions.Native, [.. Enumerable.Range(0, 17).Select(o => (o, 23 - o))]);
    }

    [Theory]
    [MemberData(nameof(OptionNames))]
    public void AllNullAndNoNullBatchesRoundTrip(string name)
    {
        var options = ArrowIpcUnitTests.OptionSets[name];
        using var allNull = ArrowTestData.AllNull(10);
        Check(allNull, options, (0, 10), (3, 5));
        using var noNulls = ArrowTestData.NoNulls(20);
        Check(noNulls, options, (0, 20), (1, 7), (9, 11));
    }

    [Fact]
    public void ColumnsWithoutNullsHaveNoValidityAndNullsKeepTheirBitmap()
    {
        using var noNulls = ArrowTestData.NoNulls(20);
        var bytes = Stream(noNulls.Schema, ArrowWriteOptions.Native, (noNulls, 0, 20));
        var read = ReadWhole(bytes, out _);
        using var batch = Assert.Single(read);
        Assert.All(batch.Columns, c => Assert.Null(c.Validity));
        using var every = ArrowTestData.EveryType(12);
        var read2 = ReadWhole(Stream(every.Schema, ArrowWriteOptions.Native, (every, 0, 12)), out _);
        using var batch2 = Assert.Single(read2);
        for (var c = 0; c < batch2.Columns.Length; c++)
        {
            if (batch2.Columns[c] is NullColumn) continue;
            Assert.Equal(every.Columns[c].NullCount, batch2.Columns[c].NullCount);
            Assert.NotNull(batch2.Columns[c].Validity);
        }
    }

    [Fact]
    public void TypesComeBackAsTheColumnsABuilderMakes()
    {
        using var every = ArrowTestData.EveryType(8);
        var read = ReadWhole(Stream(every.Schema, ArrowWriteOptions.Native, (every, 0, 8)), out var schema);
        using var batch = Assert.Single(read);
        Column ColumnNamed(string n) => batch.Columns[batch.Schema.Columns.Select(c => c.Name).ToList().IndexOf(n)];
        Assert.Equal(SqlType.Decimal(38, 10), ColumnNamed("dec38").Type);
        Assert.IsType<PrimitiveColumn<Int128>>(ColumnNamed("dec38"));
        Assert.IsType<PrimitiveColumn<long>>(ColumnNamed("ts"));
        Assert.Equal(SqlType.Timestamp, ColumnNamed("ts").Type);
        Assert.Equal(SqlType.TimestampTz, ColumnNamed("tstz").Type);
        Assert.IsType<PrimitiveColumn<int>>(ColumnNamed("dt"));
        Assert.IsType<PrimitiveColumn<IntervalValue>>(ColumnNamed("iv"));
        Assert.IsType<BooleanColumn>(ColumnNamed("b"));
        Assert.IsType<NullColumn>(ColumnNamed("n"));
        // MAP: a list column of key/value structs, as ColumnBuilder makes it.
        var map = Assert.IsType<ListColumn>(ColumnNamed("map"));
        var entries = Assert.IsType<StructColumn>(map.Values);
        Assert.Equal(SqlType.Struct(SqlType.Map(SqlType.String, SqlType.Int).Fields), entries.Type);
        Assert.Equal(every.Columns[21].Type, map.Type);
        Assert.Equal([null, null, null, null, null, null, null, "UTC", null, null], schema.TimeZones.Skip(9).Take(10));
    }

    [Fact]
    public void EmptyAndZeroColumnBatchesRoundTrip()
    {
        using var every = ArrowTestData.EveryType(5);
        Check(every, ArrowWriteOptions.Default, (0, 0), (4, 0));

        // No batch at all: the schema and the end marker.
        var none = ReadWhole(Stream(every.Schema, ArrowWriteOptions.Native), out var schema);
        Assert.Empty(none);
        Assert.Equal(every.Schema.Count, schema.Schema.Count);

        // Rows without columns (SELECT with nothing to show still counts rows).
        using var empty = new ColumnBatch(ResultSchema.Empty, 4, []);
        var read = ReadWhole(Stream(ResultSchema.Empty, ArrowWriteOptions.Default, (empty, 0, 4), (empty, 1, 2)), out var emptySchema);
        Assert.Equal(0, emptySchema.Schema.Count);
        Assert.Equal([4, 2], read.Select(b => b.RowCount));
        foreach (var b in read) b.Dispose();
    }

    [Fact]
    public void LargeBatchesRoundTrip()
    {
        using var large = ArrowTestData.Large(100_000);
        Check(large, ArrowWriteOptions.Default, (0, 40_000), (40_000, 33_333), (73_333, 26_667));
    }

    [Fact]
    public void SeveralBatchMessagesInOneBufferAreAllRead()
    {
        using var every = ArrowTestData.EveryType(30);
        var output = new ArrayBufferWriter<byte>();
        ArrowIpc.WriteRecordBatch(every, 0, 10, ArrowWriteOptions.Native, output);
        ArrowIpc.WriteRecordBatch(every, 10, 20, ArrowWriteOptions.Native, output);
        ArrowIpc.WriteEndOfStream(output);
        var schema = ArrowIpcReader.ReadSchema(ArrowIpc.SchemaBytes(every.Schema, ArrowWriteOptions.Native));
        var batches = new List<ColumnBatch>();
        Assert.Equal(2, ArrowIpcReader.ReadRecordBatches(schema, output.WrittenSpan, batches));
        AssertSameRows(every, 0, 10, ArrowWriteOptions.Native, batches[0]);
        AssertSameRows(every, 10, 20, ArrowWriteOptions.Native, batches[1]);
        foreach (var b in batches) b.Dispose();
    }

    [Fact]
    public void RenamedSchemasKeepTheirTypes()
    {
        using var every = ArrowTestData.EveryType(3);
        var schema = ArrowIpcReader.ReadSchema(ArrowIpc.SchemaBytes(every.Schema, ArrowWriteOptions.Native));
        var renamed = schema.WithNames([.. every.Schema.Columns.Select(c => c.Name.ToUpperInvariant())]);
        using var batch = ArrowIpcReader.ReadRecordBatch(renamed, ArrowIpc.RecordBatchBytes(every, 0, 3, ArrowWriteOptions.Native));
        Assert.Equal("DEC38", batch.Schema.Columns[8].Name);
        Assert.Equal(schema.Schema.Columns.Select(c => c.Type), batch.Schema.Columns.Select(c => c.Type));
        Assert.Throws<ArgumentException>(() => schema.WithNames(["one"]));
    }

    [Fact]
    public void ReadBatchesCanBeWrittenAgainUnchanged()
    {
        // What a gateway in front of another one does: read the remote's Arrow, write it to its own client.
        using var every = ArrowTestData.EveryType(40);
        var bytes = Stream(every.Schema, ArrowWriteOptions.Native, (every, 0, 40));
        var read = ReadWhole(bytes, out var schema);
        using var batch = Assert.Single(read);
        var again = Stream(schema.Schema, ArrowWriteOptions.Native, (batch, 5, 30));
        var reread = ReadWhole(again, out _);
        using var second = Assert.Single(reread);
        AssertSameRows(every, 5, 30, ArrowWriteOptions.Native, second);
    }

    [Fact]
    public void IntervalsUnderNullsAreWrittenAsZeros()
    {
        // Engines leave anything under a NULL (DuckDB does); month_day_nano's nanoseconds must not overflow on it.
        var values = new[] { new IntervalValue(1, 2, 3), new IntervalValue(int.MaxValue, int.MinValue, long.MaxValue) };
        using var batch = new ColumnBatch(new ResultSchema([new ColumnInfo("iv", SqlType.Interval)]), 2, [new PrimitiveColumn<IntervalValue>(SqlType.Interval, 2, values)]);
        batch.Columns[0].SetValidity([0b01], pooled: false);
        var read = ReadWhole(Stream(batch.Schema, ArrowWriteOptions.Native, (batch, 0, 2), (batch, 1, 1)), out _);
        Assert.Equal(new IntervalValue(1, 2, 3), ((PrimitiveColumn<IntervalValue>)read[0].Columns[0]).Values[0]);
        Assert.True(read[0].Columns[0].IsNull(1));
        Assert.True(read[1].Columns[0].IsNull(0));
        Assert.Equal(default, ((PrimitiveColumn<IntervalValue>)read[1].Columns[0]).Values[0]);
        foreach (var b in read) b.Dispose();
    }

    /// <summary>A read-only stream that hands out at most 3 bytes per read (messages arrive in pieces).</summary>
    internal sealed class TrickleStream(byte[] bytes) : Stream
    {
        private int _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => bytes.Length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var n = Math.Min(Math.Min(3, buffer.Length), bytes.Length - _position);
            bytes.AsSpan(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
