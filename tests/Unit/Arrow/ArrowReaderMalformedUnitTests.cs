using System.Buffers;
using System.Buffers.Binary;
using Gateway.Protocol.Arrow;
using Gateway.Protocol.Columnar;
using Google.FlatBuffers;

namespace Gateway.Tests.Unit.Arrow;

/// <summary>
/// Malformed and unsupported Arrow input: every failure is an <see cref="InvalidDataException"/> (malformed) or a
/// <see cref="NotSupportedException"/> (valid Arrow the reader does not handle) with a message that says what is
/// wrong, never an index, range or overflow exception from reading outside a buffer.
/// </summary>
public class ArrowReaderMalformedUnitTests
{
    private static readonly ResultSchema TextSchema = new([new ColumnInfo("s", SqlType.String)]);

    /// <summary>Reads a whole stream from memory, disposing the batches; returns how many there were.</summary>
    private static int ReadAll(byte[] bytes)
    {
        using var reader = new ArrowStreamReader(bytes);
        var count = 0;
        while (reader.ReadNextBatch() is { } b)
        {
            b.Dispose();
            count++;
        }
        return count;
    }

    private static int ReadAllFromStream(byte[] bytes)
    {
        using var reader = new ArrowStreamReader(new MemoryStream(bytes), maxMessageBytes: 1 << 20);
        var count = 0;
        while (reader.ReadNextBatch() is { } b)
        {
            b.Dispose();
            count++;
        }
        return count;
    }

    /// <summary>Runs a read that must either succeed or fail cleanly; returns the failure, if any.</summary>
    private static Exception? Clean(Action read, string what)
    {
        try
        {
            read();
            return null;
        }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException)
        {
            Assert.False(string.IsNullOrWhiteSpace(e.Message));
            return e;
        }
        catch (Exception e)
        {
            Assert.Fail($"{what}: {e.GetType().Name} instead of InvalidDataException: {e}");
            return e;
        }
    }

    private static List<int> MessageEnds(byte[] stream)
    {
        var ends = new List<int>();
        var position = 0;
        while (position < stream.Length)
        {
            var metadata = BinaryPrimitives.ReadInt32LittleEndian(stream.AsSpan(position + 4));
            if (metadata == 0)
            {
                position += 8;
                ends.Add(position);
                break;
            }
            var body = ArrowIpcReader.BodyLength(stream.AsSpan(position + 8, metadata));
            position += 8 + metadata + (int)body;
            ends.Add(position);
        }
        return ends;
    }

    [Fact]
    public void ATruncatedStreamFailsCleanlyAtEveryLength()
    {
        using var every = ArrowTestData.EveryType(7);
        var stream = ArrowReaderUnitTests.Stream(every.Schema, ArrowWriteOptions.Native, (every, 0, 7), (every, 2, 4));
        var ends = MessageEnds(stream);
        Assert.Equal(4, ends.Count);
        for (var cut = 0; cut < stream.Length; cut++)
        {
            var bytes = stream[..cut];
            var memory = Clean(() => ReadAll(bytes), $"cut at {cut} (memory)");
            var fromStream = Clean(() => ReadAllFromStream(bytes), $"cut at {cut} (stream)");
            // Stopping exactly between messages reads as a stream without its end marker; anywhere else is truncation.
            var expectFailure = cut == 0 || !ends.Contains(cut);
            Assert.True(expectFailure == memory is not null, $"cut at {cut}: {memory?.Message ?? "read without error"}");
            Assert.True(expectFailure == fromStream is not null, $"cut at {cut} (stream): {fromStream?.Message ?? "read without error"}");
            if (expectFailure) Assert.Contains(cut < 8 && cut > 0 ? "prefix" : "", memory!.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void CorruptedBytesNeverEscapeAsAnotherException()
    {
        using var every = ArrowTestData.EveryType(9);
        var stream = ArrowReaderUnitTests.Stream(every.Schema, ArrowWriteOptions.Native, (every, 0, 9), (every, 3, 5));
        var schemaBytes = ArrowIpc.SchemaBytes(every.Schema, ArrowWriteOptions.Native);
        var batchBytes = ArrowIpc.RecordBatchBytes(every, 1, 8, ArrowWriteOptions.Native);
        var schema = ArrowIpcReader.ReadSchema(schemaBytes);
        var random = new Random(20261122);
        var failures = 0;
        for (var i = 0; i < 4000; i++)
        {
            var target = i % 2 == 0 ? (byte[])stream.Clone() : (byte[])batchBytes.Clone();
            var changes = 1 + random.Next(3);
            for (var k = 0; k < changes; k++)
            {
                var at = random.Next(target.Length);
                switch (random.Next(3))
                {
                    case 0: target[at] ^= (byte)(1 << random.Next(8)); break;
                    case 1: target[at] = (byte)random.Next(256); break;
                    default:
                        if (at <= target.Length - 4) BinaryPrimitives.WriteInt32LittleEndian(target.AsSpan(at), random.Next(-2, 1 << 20) * (random.Next(2) == 0 ? 1 : 4096));
                        break;
                }
            }
            var error = i % 2 == 0
                ? Clean(() => ReadAll(target), $"corrupt stream #{i}")
                : Clean(() => ArrowIpcReader.ReadRecordBatch(schema, target).Dispose(), $"corrupt batch #{i}");
            if (error is not null) failures++;
        }
        // Most corruptions must be noticed (some only change a value, which is not malformed).
        Assert.True(failures > 1000, $"Only {failures} of 4000 corruptions were detected.");
    }

    // ---- hand-made messages ----

    private static byte[] Framed(FlatBufferBuilder b, ReadOnlySpan<byte> body) => ArrowMessages.Framed(b, body);

    /// <summary>A record batch message with the given nodes and buffers over <paramref name="body"/>.</summary>
    private static byte[] Batch(long length, (long Length, long Nulls)[] nodes, (long Offset, long Length)[] buffers, byte[] body)
    {
        var b = ArrowMessages.Builder();
        ArrowMessages.RecordBatch(b, length, nodes, buffers, body.Length);
        return Framed(b, body);
    }

    /// <summary>A utf8 column of 3 values over a 16-byte offsets buffer and an 8-byte data buffer.</summary>
    private static byte[] TextBody(params int[] offsets)
    {
        var body = new byte[24];
        for (var i = 0; i < offsets.Length; i++) BinaryPrimitives.WriteInt32LittleEndian(body.AsSpan(i * 4), offsets[i]);
        "abcdefgh"u8.CopyTo(body.AsSpan(16));
        return body;
    }

    private static ArrowSchema Text => ArrowIpcReader.ReadSchema(ArrowIpc.SchemaBytes(TextSchema, ArrowWriteOptions.Native));

    private static T Fails<T>(Action read, string expected) where T : Exception
    {
        var e = Assert.Throws<T>(read);
        Assert.Contains(expected, e.Message, StringComparison.OrdinalIgnoreCase);
        return e;
    }

    [Fact]
    public void AWellFormedHandMadeBatchReads()
    {
        using var batch = ArrowIpcReader.ReadRecordBatch(Text, Batch(3, [(3, 0)], [(0, 0), (0, 16), (16, 8)], TextBody(0, 2, 2, 7)));
        var text = (BinaryColumn)batch.Columns[0];
        Assert.Equal(["ab", "", "cdefg"], Enumerable.Range(0, 3).Select(text.GetString));
    }

    [Fact]
    public void OffsetsAndLengthsOutOfRangeAreRejected()
    {
        Fails<InvalidDataException>(() => ArrowIpcReader.ReadRecordBatch(Text, Batch(3, [(3, 0)], [(0, 0), (0, 16), (16, 800)], TextBody(0, 2, 2, 7))), "outside");
        Fails<InvalidDataException>(() => ArrowIpcReader.ReadRecordBatch(Text, Batch(3, [(3, 0)], [(0, 0), (-8, 16), (16, 8)], TextBody(0, 2, 2, 7))), "outside");
        Fails<InvalidDataException>(() => ArrowIpcReader.ReadRecordBatch(Text, Batch(3, [(3, 0)], [(0, 0), (0, 16), (16, 8)], TextBody(0, 5, 2, 7))), "below the one before");
        Fails<InvalidDataException>(() => ArrowIpcReader.ReadRecordBatch(Text, Batch(3, [(3, 0)], [(0, 0), (0, 16), (16, 8)], TextBody(0, 2, 2, 9))), "past its 8-byte data buffer");
        Fails<InvalidDataException>(() => ArrowIpcReader.ReadRecordBatch(Text, Batch(3, [(3, 0)], [(0, 0), (0, 16), (16, 8)], TextBody(-1, 2, 2, 7))), "start at -1");
        Fails<InvalidDataException>(() => ArrowIpcReader.ReadRecordBatch(Text, Batch(3, [(3, 0)], [(0, 0), (0, 12), (16, 8)], TextBody(0, 2, 2, 7))), "offsets buffer");
        Fails<InvalidDataException>(() => ArrowIpcReader.ReadRecordBatch(Text, Batch(3, [(-3, 0)], [(0, 0), (0, 16), (16, 8)], TextBody(0, 2, 2, 7))), "length -3");
        Fails<InvalidDataException>(() => ArrowIpcReader.ReadRecordBatch(Text, Batch(3, [(3, 4)], [(0, 0), (0, 16), (16, 8)], TextBody(0, 2, 2, 7))), "4 nulls in 3");
        Fails<InvalidDataException>(() => ArrowIpcReader.ReadRecordBatch(Text, Batch(3, [(3, 1)], [(0, 0), (0, 16), (16, 8)], TextBody(0, 2, 2, 7))), "validity buffer");
        Fails<InvalidDataException>(() => ArrowIpcReader.ReadRecordBatch(Text, Batch(4, [(3, 0)], [(0, 0), (0, 16), (16, 8)], TextBody(0, 2, 2, 7))), "3 values in a batch of 4");
        Fails<InvalidDataException>(() => ArrowIpcReader.ReadRecordBatch(Text, Batch(3, [], [], TextBody(0, 2, 2, 7))), "no field node");
        Fails<InvalidDataException>(() => ArrowIpcReader.ReadRecordBatch(Text, Batch(3, [(3, 0)], [(0, 0), (0, 16)], TextBody(0, 2, 2, 7))), "no buffer left");
        Fails<InvalidDataException>(() => ArrowIpcReader.ReadRecordBatch(Text, Batch(3, [(3, 0), (3, 0)], [(0, 0), (0, 16), (16, 8)], TextBody(0, 2, 2, 7))), "2 field nodes");
        Fails<InvalidDataException>(() => ArrowIpcReader.ReadRecordBatch(Text, Batch(3, [(3, 0)], [(0, 0), (0, 16), (16, 8), (0, 0)], TextBody(0, 2, 2, 7))), "4 buffers");
        // A huge row count backed by nothing is refused before anything is allocated.
        Fails<InvalidDataException>(() => ArrowIpcReader.ReadRecordBatch(Text, Batch(int.MaxValue, [(int.MaxValue, 0)], [(0, 0), (0, 16), (16, 8)], TextBody(0, 2, 2, 7))), "offsets buffer");
        Fails<InvalidDataException>(() => ArrowIpcReader.ReadRecordBatch(Text, Batch(1L << 40, [(3, 0)], [(0, 0), (0, 16), (16, 8)], TextBody(0, 2, 2, 7))), "rows");
    }

    [Fact]
    public void ListOffsetsBeyondTheChildAreRejected()
    {
        var listSchema = ArrowIpcReader.ReadSchema(ArrowIpc.SchemaBytes(new ResultSchema([new ColumnInfo("a", SqlType.Array(SqlType.Int))]), ArrowWriteOptions.Native));
        var body = new byte[24];
        BinaryPrimitives.WriteInt32LittleEndian(body.AsSpan(4), 1);
        BinaryPrimitives.WriteInt32LittleEndian(body.AsSpan(8), 3); // 3 elements claimed, the child has 2
        Fails<InvalidDataException>(() => ArrowIpcReader.ReadRecordBatch(listSchema, Batch(2, [(2, 0), (2, 0)], [(0, 0), (0, 12), (0, 0), (16, 8)], body)), "parent needs 3");
        BinaryPrimitives.WriteInt32LittleEndian(body.AsSpan(8), 2);
        using var ok = ArrowIpcReader.ReadRecordBatch(listSchema, Batch(2, [(2, 0), (2, 0)], [(0, 0), (0, 12), (0, 0), (16, 8)], body));
        Assert.Equal([0, 1, 2], ((ListColumn)ok.Columns[0]).Offsets[..3]);
    }

    [Fact]
    public void CompressedBodiesAreRefused()
    {
        var b = ArrowMessages.Builder();
        var nodes = ArrowMessages.StructVector(b, []);
        var buffers = ArrowMessages.StructVector(b, []);
        b.StartTable(2);
        b.AddByte(0, 0, 0); // LZ4_FRAME
        b.AddByte(1, 0, 0); // BUFFER
        var compression = b.EndTable();
        b.StartTable(4);
        b.AddLong(0, 0, 0);
        b.AddOffset(1, nodes, 0);
        b.AddOffset(2, buffers, 0);
        b.AddOffset(3, compression, 0);
        var header = b.EndTable();
        FinishMessage(b, 3, header);
        var e = Fails<NotSupportedException>(() => ArrowIpcReader.ReadRecordBatch(ArrowIpcReader.ReadSchema(ArrowIpc.SchemaBytes(ResultSchema.Empty, ArrowWriteOptions.Native)), Framed(b, [])), "compressed");
        Assert.Contains("LZ4_FRAME", e.Message, StringComparison.Ordinal);
    }

    private static void FinishMessage(FlatBufferBuilder b, byte headerType, int header, short version = 4) =>
        ArrowMessages.FinishMessage(b, headerType, header, version: version);

    /// <summary>A schema of one utf8 field; <paramref name="dictionary"/> marks it dictionary-encoded.</summary>
    private static byte[] SchemaMessage(short endianness = 0, bool dictionary = false, short version = 4, byte typeId = 5)
    {
        var b = ArrowMessages.Builder();
        var name = b.CreateString("f").Value;
        b.StartTable(0);
        var type = b.EndTable();
        var dict = 0;
        if (dictionary)
        {
            b.StartTable(1);
            b.AddLong(0, 7, 0);
            dict = b.EndTable();
        }
        var children = ArrowMessages.OffsetVector(b);
        b.StartTable(6);
        b.AddOffset(0, name, 0);
        b.AddBool(1, true, false);
        b.AddByte(2, typeId, 0);
        b.AddOffset(3, type, 0);
        if (dict != 0) b.AddOffset(4, dict, 0);
        b.AddOffset(5, children, 0);
        var field = b.EndTable();
        var fields = ArrowMessages.OffsetVector(b, field);
        b.StartTable(2);
        b.AddShort(0, endianness, 0);
        b.AddOffset(1, fields, 0);
        var schema = b.EndTable();
        FinishMessage(b, 1, schema, version);
        return Framed(b, []);
    }

    [Fact]
    public void UnsupportedArrowIsRefusedWithWhatItIs()
    {
        Assert.Equal(SqlType.String, ArrowIpcReader.ReadSchema(SchemaMessage()).Schema.Columns[0].Type);
        Fails<NotSupportedException>(() => ArrowIpcReader.ReadSchema(SchemaMessage(endianness: 1)), "big-endian");
        Fails<NotSupportedException>(() => ArrowIpcReader.ReadSchema(SchemaMessage(dictionary: true)), "dictionary");
        Fails<NotSupportedException>(() => ArrowIpcReader.ReadSchema(SchemaMessage(version: 2)), "before V4");
        Fails<NotSupportedException>(() => ArrowIpcReader.ReadSchema(SchemaMessage(typeId: 24)), "Utf8View");
        Fails<NotSupportedException>(() => ArrowIpcReader.ReadSchema(SchemaMessage(typeId: 14)), "Union");
        Fails<InvalidDataException>(() => ArrowIpcReader.ReadSchema(SchemaMessage(typeId: 99)), "type id 99");

        // A dictionary batch message where a record batch should be.
        var b = ArrowMessages.Builder();
        b.StartTable(1);
        b.AddLong(0, 7, 0);
        var header = b.EndTable();
        FinishMessage(b, 2, header);
        Fails<NotSupportedException>(() => ArrowIpcReader.ReadRecordBatch(Text, Framed(b, [])), "dictionary batch");
    }

    [Fact]
    public void FramingErrorsSayWhatIsWrong()
    {
        var schemaBytes = ArrowIpc.SchemaBytes(TextSchema, ArrowWriteOptions.Native);
        var stream = ArrowReaderUnitTests.Stream(TextSchema, ArrowWriteOptions.Native);
        Fails<InvalidDataException>(() => ArrowIpcReader.ReadSchema([]), "no schema message");
        Fails<InvalidDataException>(() => ArrowIpcReader.ReadSchema([0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0]), "no schema message");
        Fails<InvalidDataException>(() => ArrowIpcReader.ReadSchema([0xFF, 0xFF, 0xFF, 0xFF, 0xF0, 0xFF, 0xFF, 0xFF]), "-16 bytes of metadata");
        Fails<InvalidDataException>(() => ArrowIpcReader.ReadSchema([0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x01, 0, 0, 1, 2]), "truncated");
        Fails<InvalidDataException>(() => ArrowIpcReader.ReadRecordBatch(Text, schemaBytes), "expected a RecordBatch message, found a Schema");
        using var one = ArrowTestData.Build(TextSchema, 1, _ => ["x"]);
        Fails<InvalidDataException>(() => ArrowIpcReader.ReadSchema(ArrowIpc.RecordBatchBytes(one, 0, 1, ArrowWriteOptions.Native)), "expected a Schema message, found a RecordBatch");
        Fails<InvalidDataException>(() => ReadAll([.. stream, 1, 2, 3]), "3 bytes after the end-of-stream marker");
        // Garbage where the metadata's root table should be.
        Fails<InvalidDataException>(() => ArrowIpcReader.ReadSchema([0xFF, 0xFF, 0xFF, 0xFF, 8, 0, 0, 0, 0xF0, 0xFF, 0xFF, 0x7F, 0, 0, 0, 0]), "outside the metadata");
        // A body longer than the stream from a Stream is bounded before it is allocated.
        var huge = (byte[])stream.Clone();
        Fails<InvalidDataException>(() => new ArrowStreamReader(new MemoryStream([0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0x40]), maxMessageBytes: 1 << 20).ReadNextBatch(), "exceeds the limit");
        Assert.Equal(0, ReadAllFromStream(huge));
    }

    [Fact]
    public void TheFramingBeforeArrow015IsReadToo()
    {
        // Pre-0.15 streams have no 0xFFFFFFFF continuation marker: each message starts with its int32 length, and a 0 ends the stream.
        using var every = ArrowTestData.EveryType(6);
        var stream = ArrowReaderUnitTests.Stream(every.Schema, ArrowWriteOptions.Native, (every, 0, 6), (every, 1, 3));
        var legacy = new List<byte>();
        var position = 0;
        while (position < stream.Length)
        {
            var metadata = BinaryPrimitives.ReadInt32LittleEndian(stream.AsSpan(position + 4));
            var body = metadata == 0 ? 0 : (int)ArrowIpcReader.BodyLength(stream.AsSpan(position + 8, metadata));
            legacy.AddRange(stream.AsSpan(position + 4, 4 + metadata + body).ToArray());
            position += 8 + metadata + body;
        }
        var bytes = legacy.ToArray();
        Assert.Equal(2, ReadAll(bytes));
        Assert.Equal(2, ReadAllFromStream(bytes));
        using var reader = new ArrowStreamReader(bytes);
        using var first = reader.ReadNextBatch();
        ArrowReaderUnitTests.AssertSameRows(every, 0, 6, ArrowWriteOptions.Native, first!);
    }
}
