using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.Protocol.Arrow;
using Gateway.Protocol.Columnar;

namespace Gateway.Tests.Unit.Arrow;

public class ArrowIpcUnitTests
{
    private static readonly TimeZoneInfo PlusFiveThirty = TimeZoneInfo.CreateCustomTimeZone("Test+05:30", TimeSpan.FromMinutes(330), "Test+05:30", "Test+05:30");

    public static readonly Dictionary<string, ArrowWriteOptions> OptionSets = new()
    {
        ["native"] = ArrowWriteOptions.Native,
        ["default"] = ArrowWriteOptions.Default,
        ["all-text"] = new()
        {
            TimestampAsArrow = false,
            DecimalAsArrow = false,
            ComplexTypesAsArrow = false,
            IntervalTypesAsArrow = false,
            NullTypeAsArrow = false,
            Formatter = new ValueFormatter(PlusFiveThirty),
        },
        // Nested types stay Arrow while scalars inside them fall back to text.
        ["scalars-text"] = new() { TimestampAsArrow = false, DecimalAsArrow = false, NullTypeAsArrow = false, Formatter = new ValueFormatter(PlusFiveThirty) },
    };

    public static TheoryData<string> OptionNames() => [.. OptionSets.Keys];

    private static byte[] Stream(ResultSchema schema, ArrowWriteOptions options, params (ColumnBatch Batch, int Offset, int Count)[] slices)
    {
        var output = new ArrayBufferWriter<byte>();
        ArrowIpc.WriteSchema(schema, options, output);
        foreach (var (batch, offset, count) in slices) ArrowIpc.WriteRecordBatch(batch, offset, count, options, output);
        ArrowIpc.WriteEndOfStream(output);
        return output.WrittenSpan.ToArray();
    }

    private static void AssertJson(JsonNode? expected, JsonNode? actual)
    {
        if (!JsonNode.DeepEquals(expected, actual)) Assert.Equal(expected?.ToJsonString(), actual?.ToJsonString());
    }

    private static void AssertRoundTrip(ColumnBatch batch, ArrowWriteOptions options, params (int Offset, int Count)[] slices)
    {
        var bytes = Stream(batch.Schema, options, [.. slices.Select(s => (batch, s.Offset, s.Count))]);
        var read = ArrowTestReader.Read(bytes);
        AssertJson(ArrowExpected.Fields(batch.Schema, options), read.Fields);
        Assert.Equal(slices.Length, read.Batches.Count);
        for (var i = 0; i < slices.Length; i++)
        {
            Assert.Equal(slices[i].Count, read.Batches[i].Length);
            for (var c = 0; c < batch.Columns.Length; c++)
            {
                var expected = ArrowExpected.Columns(batch, slices[i].Offset, slices[i].Count, options)[c];
                if (!JsonNode.DeepEquals(expected, read.Batches[i].Columns[c]))
                {
                    Assert.Fail($"Slice {slices[i]}, column {batch.Schema.Columns[c].Name}:\nexpected {expected!.ToJsonString()}\nactual   {read.Batches[i].Columns[c]!.ToJsonString()}");
                }
            }
        }
    }

    // ---- framing ----

    [Fact]
    public void EndOfStreamIsContinuationThenZero()
    {
        var output = new ArrayBufferWriter<byte>();
        ArrowIpc.WriteEndOfStream(output);
        Assert.Equal([0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0], output.WrittenSpan.ToArray());
    }

    [Fact]
    public void SchemaMessageIsFramedPaddedAndV5()
    {
        var bytes = ArrowIpc.SchemaBytes(ArrowTestData.EverySchema, ArrowWriteOptions.Native);
        Assert.Equal(0xFFFFFFFF, BinaryPrimitives.ReadUInt32LittleEndian(bytes));
        var metadataLength = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(4));
        Assert.Equal(bytes.Length - 8, metadataLength);
        Assert.Equal(0, (8 + metadataLength) % 8);

        var message = FbTable.Root(bytes.AsMemory(8, metadataLength));
        Assert.Equal(4, message.Short(0, -1)); // MetadataVersion.V5
        Assert.Equal(1, message.Byte(1, 0));   // MessageHeader.Schema
        Assert.Equal(0, message.Long(3, 0));   // no body (absent means 0)
        var schema = message.Table(2)!.Value;
        Assert.Equal(0, schema.Short(0, 0));  // little-endian (absent means Little)
        Assert.Equal(ArrowTestData.EverySchema.Count, schema.Vector(1)!.Value.Count);
    }

    [Fact]
    public void RecordBatchMessageHasAlignedBodyAndBuffers()
    {
        using var batch = ArrowTestData.EveryType(11);
        var output = new ArrayBufferWriter<byte>();
        ArrowIpc.WriteRecordBatch(batch, 0, 11, ArrowWriteOptions.Native, output);
        var bytes = output.WrittenSpan.ToArray();
        var messages = ArrowTestReader.ReadMessages(bytes, requireEnd: false); // checks framing, alignment, body length
        var m = Assert.Single(messages);
        Assert.Equal(4, m.Version);
        Assert.Equal(3, m.HeaderType);
        Assert.Equal(bytes.Length, 8 + m.MetadataLength + m.BodyLength);
        Assert.Equal(11, m.Header.Long(0, -1));
        Assert.Equal(ArrowIpc.RecordBatchBytes(batch, 0, 11, ArrowWriteOptions.Native), bytes);
    }

    // ---- schema ----

    [Theory]
    [MemberData(nameof(OptionNames))]
    public void SchemaMapsEveryType(string options)
    {
        var fields = ArrowTestReader.ReadFields(ArrowTestReader.ReadMessages(Stream(ArrowTestData.EverySchema, OptionSets[options]))[0].Header, 1);
        AssertJson(ArrowExpected.Fields(ArrowTestData.EverySchema, OptionSets[options]), fields);
    }

    [Fact]
    public void SchemaSpellsOutTheTypeParameters()
    {
        var fields = ArrowTestReader.ReadFields(ArrowTestReader.ReadMessages(Stream(ArrowTestData.EverySchema, ArrowWriteOptions.Native))[0].Header, 1);
        JsonNode Field(string name) => fields.Single(f => (string)f!["name"]! == name)!;
        Assert.Equal("""{"id":"Decimal","precision":38,"scale":10,"bitWidth":128}""", Field("dec38")["type"]!.ToJsonString());
        Assert.Equal("""{"id":"Timestamp","unit":"MICROSECOND","timezone":"UTC"}""", Field("tstz")["type"]!.ToJsonString());
        Assert.Equal("""{"id":"Timestamp","unit":"MICROSECOND","timezone":null}""", Field("ts")["type"]!.ToJsonString());
        Assert.Equal("""{"id":"Date","unit":"DAY"}""", Field("dt")["type"]!.ToJsonString());
        Assert.Equal("""{"id":"Time","unit":"MICROSECOND","bitWidth":64}""", Field("tm")["type"]!.ToJsonString());
        Assert.Equal("""{"id":"Interval","unit":"MONTH_DAY_NANO"}""", Field("iv")["type"]!.ToJsonString());
        Assert.Equal("element", (string)Field("arr")["children"]![0]!["name"]!);
        var entries = Field("map")["children"]![0]!;
        Assert.Equal("entries", (string)entries["name"]!);
        Assert.False((bool)entries["nullable"]!);
        Assert.Equal("key", (string)entries["children"]![0]!["name"]!);
        Assert.False((bool)entries["children"]![0]!["nullable"]!);
        Assert.True((bool)entries["children"]![1]!["nullable"]!);
        Assert.All(fields, f => Assert.True((bool)f!["nullable"]!));
    }

    [Fact]
    public void EmptySchemaAndItsBatches()
    {
        var schema = ResultSchema.Empty;
        using var batch = new ColumnBatch(schema, 5, []);
        var bytes = Stream(schema, ArrowWriteOptions.Default, (batch, 1, 3));
        var messages = ArrowTestReader.ReadMessages(bytes);
        Assert.Equal(0, messages[0].Header.Vector(1)!.Value.Count);
        var rb = ArrowTestReader.Read(bytes).Batches.Single();
        Assert.Equal(3, rb.Length);
        Assert.Empty(rb.Nodes);
        Assert.Empty(rb.Buffers);
        Assert.Equal(0, messages[1].BodyLength);
    }

    // ---- values ----

    [Theory]
    [MemberData(nameof(OptionNames))]
    public void EveryTypeRoundTripsWithNulls(string options)
    {
        using var batch = ArrowTestData.EveryType(40);
        AssertRoundTrip(batch, OptionSets[options], (0, 40));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(1, 17)]
    [InlineData(3, 10)]
    [InlineData(7, 9)]
    [InlineData(8, 16)]
    [InlineData(9, 31)]
    [InlineData(13, 0)]
    [InlineData(39, 1)]
    [InlineData(0, 40)]
    public void SlicesAtAnyOffsetCarryExactlyTheirRows(int offset, int count)
    {
        using var batch = ArrowTestData.EveryType(40);
        foreach (var options in OptionSets.Values) AssertRoundTrip(batch, options, (offset, count));
        using var noNulls = ArrowTestData.NoNulls(40);
        AssertRoundTrip(noNulls, ArrowWriteOptions.Native, (offset, count));
    }

    [Fact]
    public void MultipleBatchesAndEmptyBatchesInOneStream()
    {
        using var batch = ArrowTestData.EveryType(30);
        AssertRoundTrip(batch, ArrowWriteOptions.Native, (0, 10), (10, 0), (10, 13), (23, 7), (30, 0));
    }

    [Fact]
    public void EmptyBatchHasZeroLengthNodesAndOneOffsetPerVariableColumn()
    {
        using var batch = ArrowTestData.EveryType(10);
        var bytes = Stream(batch.Schema, ArrowWriteOptions.Native, (batch, 4, 0));
        var rb = ArrowTestReader.Read(bytes).Batches.Single(); // the reader checks offsets buffers hold count + 1 entries
        Assert.Equal(0, rb.Length);
        Assert.All(rb.Nodes, n => Assert.Equal((0L, 0L), n));
        Assert.All(rb.Buffers, b => Assert.True(b.Length is 0 or 4));
    }

    [Fact]
    public void AllNullColumnsCountEveryValueNull()
    {
        using var batch = ArrowTestData.AllNull(9);
        AssertRoundTrip(batch, ArrowWriteOptions.Native, (0, 9), (3, 5));
        AssertRoundTrip(batch, OptionSets["all-text"], (0, 9), (3, 5));
        var rb = ArrowTestReader.Read(Stream(batch.Schema, ArrowWriteOptions.Native, (batch, 1, 7))).Batches.Single();
        // Top-level nodes are the first node of each column: walk them by the field tree.
        var fields = ArrowExpected.Fields(batch.Schema, ArrowWriteOptions.Native);
        var node = 0;
        foreach (var f in fields)
        {
            Assert.Equal((7L, 7L), rb.Nodes[node]);
            node += CountNodes(f!);
        }
        Assert.Equal(rb.Nodes.Count, node);

        static int CountNodes(JsonNode field) => 1 + field["children"]!.AsArray().Sum(c => CountNodes(c!));
    }

    [Fact]
    public void NullTypeHasANodeAndNoBuffers()
    {
        var schema = new ResultSchema([new("n", SqlType.Null), new("i", SqlType.Int)]);
        using var batch = ArrowTestData.Build(schema, 4, i => [null, i]);
        var rb = ArrowTestReader.Read(Stream(schema, ArrowWriteOptions.Native, (batch, 0, 4))).Batches.Single();
        Assert.Equal([(4L, 4L), (4L, 0L)], rb.Nodes);
        Assert.Equal(2, rb.Buffers.Count); // the int's validity (empty) and values
        Assert.Equal([(0L, 0L), (0L, 16L)], rb.Buffers);
    }

    // ---- byte-level layout ----

    [Fact]
    public void SlicedBitmapsAreShiftedToBitZeroWithZeroedTails()
    {
        // Values 1,0,1,1,0,0,1,0 | 1,1,1,0,... ; rows 2 and 9 NULL.
        var pattern = new bool?[] { true, false, null, true, false, false, true, false, true, null, true, false, true, true, false, true, false };
        var schema = new ResultSchema([new("b", SqlType.Boolean)]);
        using var batch = ArrowTestData.Build(schema, pattern.Length, i => [pattern[i]]);
        var bytes = Stream(schema, ArrowWriteOptions.Native, (batch, 3, 10));
        var m = ArrowTestReader.ReadMessages(bytes)[1];
        var rb = ArrowTestReader.Read(bytes).Batches.Single();
        Assert.Equal((10L, 1L), rb.Nodes.Single());

        // Rows 3..12: validity 1,1,1,1,1,1,0,1,1,1 ; values 1,0,0,1,0,1,?,1,0,1
        var validity = m.Body.Span.Slice((int)rb.Buffers[0].Offset, (int)rb.Buffers[0].Length).ToArray();
        Assert.Equal([0b1011_1111, 0b0000_0011], validity);
        var values = m.Body.Span.Slice((int)rb.Buffers[1].Offset, (int)rb.Buffers[1].Length).ToArray();
        Assert.Equal(0b1010_1001, values[0] & 0b1011_1111); // bit 6 is the NULL row: its value does not matter
        Assert.Equal(0b0000_0010, values[1]);
        Assert.Equal(8, rb.Buffers[1].Offset); // validity padded to 8
        Assert.Equal(16, m.BodyLength);
    }

    [Fact]
    public void SlicedOffsetsAreRebasedAndDataCut()
    {
        var schema = new ResultSchema([new("s", SqlType.String)]);
        var words = new[] { "zero", "one", "two", "three", "four" };
        using var batch = ArrowTestData.Build(schema, words.Length, i => [words[i]]);
        var bytes = Stream(schema, ArrowWriteOptions.Native, (batch, 1, 3));
        var m = ArrowTestReader.ReadMessages(bytes)[1];
        var rb = ArrowTestReader.Read(bytes).Batches.Single();
        Assert.Equal([(0L, 0L), (0L, 16L), (16L, 11L)], rb.Buffers); // no nulls: an empty validity buffer
        var offsets = m.Body.Span[..16].ToArray();
        Assert.Equal([0, 3, 6, 11], Enumerable.Range(0, 4).Select(i => BinaryPrimitives.ReadInt32LittleEndian(offsets.AsSpan(i * 4))));
        Assert.Equal("onetwothree", Encoding.UTF8.GetString(m.Body.Span.Slice(16, 11)));
        Assert.Equal(32, m.BodyLength);
    }

    [Fact]
    public void NestedSlicesCutChildrenAtTheListOffsets()
    {
        var schema = new ResultSchema([new("a", SqlType.Array(SqlType.Int))]);
        var rows = new object?[] { new[] { 1, 2 }, new[] { 3 }, null, new[] { 4, 5, 6 }, Array.Empty<int>() };
        using var batch = ArrowTestData.Build(schema, rows.Length, i => [rows[i]]);
        var bytes = Stream(schema, ArrowWriteOptions.Native, (batch, 1, 3));
        var m = ArrowTestReader.ReadMessages(bytes)[1];
        var rb = ArrowTestReader.Read(bytes).Batches.Single();
        Assert.Equal([(3L, 1L), (4L, 0L)], rb.Nodes); // list [3], null, [4,5,6]; child 3,4,5,6
        var offsets = m.Body.Span.Slice((int)rb.Buffers[1].Offset, 16).ToArray();
        Assert.Equal([0, 1, 1, 4], Enumerable.Range(0, 4).Select(i => BinaryPrimitives.ReadInt32LittleEndian(offsets.AsSpan(i * 4))));
        var child = m.Body.Span.Slice((int)rb.Buffers[3].Offset, 16).ToArray();
        Assert.Equal([3, 4, 5, 6], Enumerable.Range(0, 4).Select(i => BinaryPrimitives.ReadInt32LittleEndian(child.AsSpan(i * 4))));
    }

    [Fact]
    public void DecimalsAreInt128AndIntervalsMonthDayNano()
    {
        var schema = new ResultSchema([new("d", SqlType.Decimal(38, 2)), new("i", SqlType.Interval)]);
        using var batch = ArrowTestData.Build(schema, 1, _ => [-0.01m, new IntervalValue(-13, 2, 1_500_000)]);
        var bytes = Stream(schema, ArrowWriteOptions.Native, (batch, 0, 1));
        var m = ArrowTestReader.ReadMessages(bytes)[1];
        var rb = ArrowTestReader.Read(bytes).Batches.Single();
        Assert.Equal(Enumerable.Repeat((byte)0xFF, 16), m.Body.Span.Slice((int)rb.Buffers[1].Offset, 16).ToArray());
        var interval = m.Body.Span.Slice((int)rb.Buffers[3].Offset, 16);
        Assert.Equal(-13, BinaryPrimitives.ReadInt32LittleEndian(interval));
        Assert.Equal(2, BinaryPrimitives.ReadInt32LittleEndian(interval[4..]));
        Assert.Equal(1_500_000_000L, BinaryPrimitives.ReadInt64LittleEndian(interval[8..]));
    }

    [Fact]
    public void TextFallbacksCarryTheThriftPathText()
    {
        using var batch = ArrowTestData.EveryType(4);
        var read = ArrowTestReader.Read(Stream(batch.Schema, OptionSets["all-text"], (batch, 0, 4)));
        JsonArray Values(string name) => read.Batches[0].Columns[batch.Schema.Columns.Select(c => c.Name).ToList().IndexOf(name)]!.AsArray();
        Assert.Equal("-50.00", (string)Values("dec")[0]!);
        Assert.Equal("2024-01-31 12:00:00.123", (string)Values("ts")[0]!);
        Assert.Equal("2024-01-31 17:30:00.123", (string)Values("tstz")[0]!); // UTC shown at +05:30
        Assert.Equal("[1,null,0]", (string)Values("arr")[0]!);
        Assert.Null(Values("n")[0]);
        Assert.Null(Values("dec")[1]);
    }

    [Theory]
    [InlineData("all-text")]
    [InlineData("scalars-text")]
    [InlineData("all-text-utc")]
    public void TextFallbacksAreTheFormattersTextForEveryValue(string name)
    {
        // The same text HiveResultEncoder sends (some types take a shortcut past ValueFormatter.Write).
        var options = name == "all-text-utc" ? OptionSets["all-text"] with { Formatter = ValueFormatter.Utc } : OptionSets[name];
        using var batch = ArrowTestData.EveryType(40);
        var read = ArrowTestReader.Read(Stream(batch.Schema, options, (batch, 0, 40), (batch, 7, 20)));
        foreach (var (b, offset, count) in new[] { (0, 0, 40), (1, 7, 20) })
        {
            for (var c = 0; c < batch.Columns.Length; c++)
            {
                if (!options.SendsAsText(batch.Schema.Columns[c].Type)) continue;
                for (var r = 0; r < count; r++)
                {
                    var column = batch.Columns[c];
                    var expected = column is NullColumn || column.IsNull(offset + r) ? null : options.Formatter.FormatToString(column, offset + r);
                    Assert.Equal(expected, (string?)read.Batches[b].Columns[c]![r]);
                }
            }
        }
    }

    [Fact]
    public void LargeBuffersCrossTheCopyChunkIntact()
    {
        const int Rows = 600_000, Offset = 5, Count = Rows - 9;
        using var batch = ArrowTestData.Large(Rows);
        var output = new ArrayBufferWriter<byte>();
        ArrowIpc.WriteRecordBatch(batch, Offset, Count, ArrowWriteOptions.Native, output);
        var m = ArrowTestReader.ReadMessages(output.WrittenSpan.ToArray(), requireEnd: false).Single();
        var buffers = m.Header.Vector(2)!.Value;
        ReadOnlySpan<byte> Buffer(int i)
        {
            var (offset, length) = buffers.StructOfTwoLongs(i);
            return m.Body.Span.Slice((int)offset, (int)length);
        }
        var ids = (PrimitiveColumn<long>)batch.Columns[0];
        var flags = (BooleanColumn)batch.Columns[1];
        var labels = (BinaryColumn)batch.Columns[2];
        Assert.True(Buffer(1).SequenceEqual(System.Runtime.InteropServices.MemoryMarshal.AsBytes(ids.Span.Slice(Offset, Count))));
        var flagValidity = Buffer(2);
        var flagValues = Buffer(3);
        var labelValidity = Buffer(4);
        var labelOffsets = Buffer(5);
        var labelData = Buffer(6);
        var baseOffset = labels.Offsets[Offset];
        for (var i = 0; i < Count; i++)
        {
            var row = Offset + i;
            Assert.Equal(!flags.IsNull(row), Bitmap.Get(flagValidity, i));
            if (!flags.IsNull(row)) Assert.Equal(flags.GetValue(row), Bitmap.Get(flagValues, i));
            Assert.Equal(!labels.IsNull(row), Bitmap.Get(labelValidity, i));
            Assert.Equal(labels.Offsets[row] - baseOffset, BinaryPrimitives.ReadInt32LittleEndian(labelOffsets[(i * 4)..]));
        }
        Assert.True(labelData.SequenceEqual(labels.Data.AsSpan(baseOffset, labels.Offsets[Offset + Count] - baseOffset)));
    }

    [Fact]
    public void OutputThatHandsOutMinimalSpansGetsTheSameBytes()
    {
        using var batch = ArrowTestData.EveryType(25);
        var expected = Stream(batch.Schema, OptionSets["scalars-text"], (batch, 3, 19));
        var tight = new MinimalSpanWriter();
        ArrowIpc.WriteSchema(batch.Schema, OptionSets["scalars-text"], tight);
        ArrowIpc.WriteRecordBatch(batch, 3, 19, OptionSets["scalars-text"], tight);
        ArrowIpc.WriteEndOfStream(tight);
        Assert.Equal(expected, tight.Written.ToArray());
    }

    // ---- argument checks ----

    [Fact]
    public void SlicesOutsideTheBatchAndMismatchedColumnsAreRejected()
    {
        using var batch = ArrowTestData.EveryType(5);
        var output = new ArrayBufferWriter<byte>();
        Assert.Throws<ArgumentOutOfRangeException>(() => ArrowIpc.WriteRecordBatch(batch, 3, 3, ArrowWriteOptions.Native, output));
        Assert.Throws<ArgumentOutOfRangeException>(() => ArrowIpc.WriteRecordBatch(batch, -1, 1, ArrowWriteOptions.Native, output));
        Assert.Throws<ArgumentOutOfRangeException>(() => ArrowIpc.WriteRecordBatch(batch, 0, -1, ArrowWriteOptions.Native, output));

        var schema = new ResultSchema([new("d", SqlType.Decimal(10, 2))]);
        using var wrong = new ColumnBatch(schema, 1, [new PrimitiveColumn<long>(SqlType.BigInt, 1, [1L])]);
        var e = Assert.Throws<ArgumentException>(() => ArrowIpc.WriteRecordBatch(wrong, 0, 1, ArrowWriteOptions.Native, output));
        Assert.Contains("decimal(10,2)", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, output.WrittenCount);
    }

    // ---- stream writer ----

    [Fact]
    public async Task StreamWriterWritesSchemaOnceBatchesThenTheEnd()
    {
        using var batch = ArrowTestData.EveryType(12);
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new ArrowStreamWriter(buffer, batch.Schema, ArrowWriteOptions.Native))
        {
            writer.WriteBatch(batch);
            writer.WriteBatch(batch, 5, 4);
            writer.Complete();
            writer.Complete(); // idempotent
            Assert.Equal(2, writer.BatchCount);
            Assert.Equal(16, writer.RowCount);
            Assert.Throws<InvalidOperationException>(() => writer.WriteBatch(batch));
        }
        Assert.Equal(Stream(batch.Schema, ArrowWriteOptions.Native, (batch, 0, 12), (batch, 5, 4)), buffer.WrittenSpan.ToArray());

        using var sync = new MemoryStream();
        using (var writer = new ArrowStreamWriter(sync, batch.Schema, ArrowWriteOptions.Native, leaveOpen: true))
        {
            writer.WriteBatch(batch);
            writer.WriteBatch(batch, 5, 4);
            writer.Complete();
        }
        Assert.Equal(buffer.WrittenSpan.ToArray(), sync.ToArray());

        using var async = new MemoryStream();
        await using (var writer = new ArrowStreamWriter(async, batch.Schema, ArrowWriteOptions.Native, leaveOpen: true))
        {
            await writer.WriteBatchAsync(batch, 0, 12);
            await writer.WriteBatchAsync(batch, 5, 4);
            await writer.CompleteAsync();
        }
        Assert.Equal(buffer.WrittenSpan.ToArray(), async.ToArray());
    }

    [Fact]
    public void StreamWriterWithoutBatchesStillSendsTheSchema()
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new ArrowStreamWriter(buffer, ArrowTestData.EverySchema)) writer.Complete();
        var read = ArrowTestReader.Read(buffer.WrittenSpan.ToArray());
        Assert.Empty(read.Batches);
        Assert.Equal(ArrowTestData.EverySchema.Count, read.Fields.Count);
    }

    [Fact]
    public void StreamWriterRejectsOtherSchemasAndDropsAFailedStagedBatch()
    {
        using var batch = ArrowTestData.EveryType(3);
        var other = new ResultSchema([new("x", SqlType.Int)]);
        using var stream = new MemoryStream();
        using (var writer = new ArrowStreamWriter(stream, other, leaveOpen: true))
        {
            Assert.Throws<ArgumentException>(() => writer.WriteBatch(batch));
            var schema = new ResultSchema([new("x", SqlType.Int)]);
            using var broken = new ColumnBatch(schema, 1, [new PrimitiveColumn<long>(SqlType.Int, 1, [1L])]);
            Assert.Throws<ArgumentException>(() => writer.WriteBatch(broken));
            Assert.Equal(0, stream.Length);
            writer.Complete();
        }
        var read = ArrowTestReader.Read(stream.ToArray());
        Assert.Empty(read.Batches);
        Assert.Single(read.Fields);
    }

    /// <summary>Hands out spans exactly as large as asked (one byte when not asked), growing a list.</summary>
    private sealed class MinimalSpanWriter : IBufferWriter<byte>
    {
        private byte[] _current = [];
        public List<byte> Written { get; } = [];

        public void Advance(int count) => Written.AddRange(_current.AsSpan(0, count));

        public Memory<byte> GetMemory(int sizeHint = 0) => _current = new byte[Math.Max(1, sizeHint)];

        public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;
    }
}
