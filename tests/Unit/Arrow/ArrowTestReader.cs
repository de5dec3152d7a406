using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;

namespace Gateway.Tests.Unit.Arrow;

/// <summary>
/// An independent reader of Arrow IPC streams, written from the format spec for the tests: it checks
/// framing and alignment as it goes (throwing <see cref="FormatException"/>) and turns fields and
/// values into the canonical JSON of <see cref="ArrowExpected"/>.
/// </summary>
internal static class ArrowTestReader
{
    public sealed record Message(int MetadataLength, short Version, byte HeaderType, FbTable Header, long BodyLength, ReadOnlyMemory<byte> Body);

    public sealed record Stream(JsonArray Fields, List<Batch> Batches);

    public sealed record Batch(long Length, List<(long Length, long NullCount)> Nodes, List<(long Offset, long Length)> Buffers, JsonArray Columns);

    /// <summary>Splits a stream into messages; the last must be the end-of-stream marker.</summary>
    public static List<Message> ReadMessages(byte[] bytes, bool requireEnd = true)
    {
        var messages = new List<Message>();
        var pos = 0;
        while (true)
        {
            if (pos == bytes.Length)
            {
                if (requireEnd) throw new FormatException("Stream ends without the end-of-stream marker.");
                return messages;
            }
            if (pos % 8 != 0) throw new FormatException($"Message at {pos} is not 8-aligned.");
            if (BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(pos)) != 0xFFFFFFFF) throw new FormatException($"No continuation marker at {pos}.");
            var metadataLength = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(pos + 4));
            pos += 8;
            if (metadataLength == 0)
            {
                if (pos != bytes.Length) throw new FormatException("Bytes after the end-of-stream marker.");
                return messages;
            }
            if (metadataLength % 8 != 0) throw new FormatException($"Metadata length {metadataLength} leaves the body unaligned.");
            var metadata = bytes.AsMemory(pos, metadataLength);
            pos += metadataLength;
            var root = FbTable.Root(metadata);
            var version = root.Short(0, 0);
            var headerType = root.Byte(1, 0);
            var header = root.Table(2) ?? throw new FormatException("Message without header.");
            var bodyLength = root.Long(3, 0);
            if (bodyLength % 8 != 0) throw new FormatException($"Body length {bodyLength} is not a multiple of 8.");
            var body = bytes.AsMemory(pos, checked((int)bodyLength));
            pos += (int)bodyLength;
            messages.Add(new Message(metadataLength, version, headerType, header, bodyLength, body));
        }
    }

    public static Stream Read(byte[] bytes)
    {
        var messages = ReadMessages(bytes);
        if (messages.Count == 0 || messages[0].HeaderType != 1) throw new FormatException("The stream does not start with a schema.");
        var schema = messages[0].Header;
        var fields = ReadFields(schema, 1);
        var batches = new List<Batch>();
        foreach (var m in messages.Skip(1))
        {
            if (m.HeaderType != 3) throw new FormatException($"Unexpected message type {m.HeaderType}.");
            batches.Add(ReadBatch(m, fields));
        }
        return new Stream(fields, batches);
    }

    public static JsonArray ReadFields(FbTable parent, int slot)
    {
        var fields = new JsonArray();
        // An absent children vector means none: Apache.Arrow's C# writer omits it for leaf fields, and the C++ reader
        // accepts that (ARROW-12100). Schema.fields is never absent.
        var vector = parent.Vector(slot);
        if (vector is null)
        {
            if (slot == 1) throw new FormatException("Missing fields vector.");
            return fields;
        }
        for (var i = 0; i < vector.Value.Count; i++) fields.Add(ReadField(vector.Value.TableAt(i)));
        return fields;
    }

    private static JsonObject ReadField(FbTable field)
    {
        var typeId = field.Byte(2, 0);
        var type = field.Table(3) ?? throw new FormatException("Field without type.");
        JsonObject t = typeId switch
        {
            1 => new() { ["id"] = "Null" },
            2 => new() { ["id"] = "Int", ["bitWidth"] = type.Int(0, 0), ["signed"] = type.Bool(1, false) },
            3 => new() { ["id"] = "FloatingPoint", ["precision"] = type.Short(0, 0) switch { 1 => "SINGLE", 2 => "DOUBLE", var p => $"?{p}" } },
            4 => new() { ["id"] = "Binary" },
            5 => new() { ["id"] = "Utf8" },
            6 => new() { ["id"] = "Bool" },
            7 => new() { ["id"] = "Decimal", ["precision"] = type.Int(0, 0), ["scale"] = type.Int(1, 0), ["bitWidth"] = type.Int(2, 128) },
            8 => new() { ["id"] = "Date", ["unit"] = type.Short(0, 1) == 0 ? "DAY" : "MILLISECOND" },
            9 => new() { ["id"] = "Time", ["unit"] = Unit(type.Short(0, 1)), ["bitWidth"] = type.Int(1, 32) },
            10 => new() { ["id"] = "Timestamp", ["unit"] = Unit(type.Short(0, 0)), ["timezone"] = type.String(1) },
            11 => new() { ["id"] = "Interval", ["unit"] = type.Short(0, 0) switch { 0 => "YEAR_MONTH", 1 => "DAY_TIME", 2 => "MONTH_DAY_NANO", var u => $"?{u}" } },
            12 => new() { ["id"] = "List" },
            13 => new() { ["id"] = "Struct" },
            17 => new() { ["id"] = "Map", ["keysSorted"] = type.Bool(0, false) },
            _ => throw new FormatException($"Unexpected type id {typeId}."),
        };
        return new JsonObject
        {
            ["name"] = field.String(0) ?? throw new FormatException("Field without name."),
            ["nullable"] = field.Bool(1, false),
            ["type"] = t,
            ["children"] = ReadFields(field, 5),
        };
    }

    private static string Unit(short unit) => unit switch { 0 => "SECOND", 1 => "MILLISECOND", 2 => "MICROSECOND", 3 => "NANOSECOND", _ => $"?{unit}" };

    private static Batch ReadBatch(Message m, JsonArray fields)
    {
        var rb = m.Header;
        var length = rb.Long(0, 0);
        var nodes = new List<(long, long)>();
        var nodeVector = rb.Vector(1) ?? throw new FormatException("RecordBatch without nodes.");
        for (var i = 0; i < nodeVector.Count; i++) nodes.Add(nodeVector.StructOfTwoLongs(i));
        var buffers = new List<(long, long)>();
        var bufferVector = rb.Vector(2) ?? throw new FormatException("RecordBatch without buffers.");
        long expectedOffset = 0;
        for (var i = 0; i < bufferVector.Count; i++)
        {
            var (offset, len) = bufferVector.StructOfTwoLongs(i);
            if (offset % 8 != 0) throw new FormatException($"Buffer {i} at {offset} is not 8-aligned.");
            if (offset != expectedOffset) throw new FormatException($"Buffer {i} at {offset}, expected {expectedOffset} (buffers are laid out in order, each padded to 8).");
            if (offset + len > m.BodyLength) throw new FormatException($"Buffer {i} runs past the body.");
            // Padding must be zeroed.
            for (var p = offset + len; p < (offset + len + 7) / 8 * 8; p++)
            {
                if (m.Body.Span[(int)p] != 0) throw new FormatException($"Non-zero padding after buffer {i}.");
            }
            expectedOffset = (offset + len + 7) / 8 * 8;
            buffers.Add((offset, len));
        }
        if (expectedOffset != m.BodyLength) throw new FormatException($"Body length {m.BodyLength}, buffers end at {expectedOffset}.");
        var decoder = new Decoder(nodes, buffers, m.Body);
        var columns = new JsonArray();
        foreach (var f in fields)
        {
            var values = decoder.Column(f!.AsObject());
            if (values.Count != length) throw new FormatException($"Column {f["name"]} has {values.Count} values, batch {length}.");
            columns.Add(values);
        }
        if (decoder.NodesUsed != nodes.Count || decoder.BuffersUsed != buffers.Count) throw new FormatException("Unused nodes or buffers.");
        return new Batch(length, nodes, buffers, columns);
    }

    private sealed class Decoder(List<(long Length, long NullCount)> nodes, List<(long Offset, long Length)> buffers, ReadOnlyMemory<byte> body)
    {
        public int NodesUsed { get; private set; }
        public int BuffersUsed { get; private set; }

        private (long Length, long NullCount) Node() => nodes[NodesUsed++];

        private ReadOnlySpan<byte> Buffer()
        {
            var (offset, length) = buffers[BuffersUsed++];
            return body.Span.Slice((int)offset, (int)length);
        }

        public JsonArray Column(JsonObject field)
        {
            var type = field["type"]!.AsObject();
            var id = (string)type["id"]!;
            var (length, nullCount) = Node();
            var n = (int)length;
            var result = new JsonArray();
            if (id == "Null")
            {
                if (nullCount != length) throw new FormatException("A null-type node must count every value null.");
                for (var i = 0; i < n; i++) result.Add(null);
                return result;
            }
            var validity = Buffer().ToArray();
            if (nullCount > 0 && validity.Length < (n + 7) / 8) throw new FormatException("Validity buffer too short.");
            if (nullCount == 0 && validity.Length != 0) throw new FormatException("A column without nulls should have an empty validity buffer.");
            if (nullCount > 0)
            {
                var zeros = 0;
                for (var i = 0; i < n; i++) if (!Valid(validity, i)) zeros++;
                if (zeros != nullCount) throw new FormatException($"Node says {nullCount} nulls, bitmap {zeros}.");
                // Bits past the end are padding and must be zero.
                for (var i = n; i < validity.Length * 8; i++) if (Valid(validity, i)) throw new FormatException("Validity bits set past the end.");
            }
            bool IsNull(int i) => nullCount > 0 && !Valid(validity, i);

            switch (id)
            {
                case "Bool":
                    {
                        var bits = Buffer();
                        for (var i = 0; i < n; i++) result.Add(IsNull(i) ? null : JsonValue.Create(Valid(bits, i)));
                        break;
                    }
                case "Int":
                    {
                        var width = (int)type["bitWidth"]!;
                        var values = Buffer();
                        if (values.Length != n * width / 8) throw new FormatException($"Int buffer is {values.Length} bytes for {n} values.");
                        for (var i = 0; i < n; i++)
                        {
                            if (IsNull(i)) { result.Add(null); continue; }
                            result.Add(width switch
                            {
                                8 => JsonValue.Create((int)(sbyte)values[i]),
                                16 => JsonValue.Create((int)BinaryPrimitives.ReadInt16LittleEndian(values[(i * 2)..])),
                                32 => JsonValue.Create(BinaryPrimitives.ReadInt32LittleEndian(values[(i * 4)..])),
                                _ => (JsonNode)JsonValue.Create(BinaryPrimitives.ReadInt64LittleEndian(values[(i * 8)..]).ToString(System.Globalization.CultureInfo.InvariantCulture)),
                            });
                        }
                        break;
                    }
                case "FloatingPoint":
                    {
                        var single = (string)type["precision"]! == "SINGLE";
                        var values = Buffer();
                        for (var i = 0; i < n; i++)
                        {
                            if (IsNull(i)) { result.Add(null); continue; }
                            var v = single ? BinaryPrimitives.ReadSingleLittleEndian(values[(i * 4)..]) : BinaryPrimitives.ReadDoubleLittleEndian(values[(i * 8)..]);
                            result.Add(ArrowExpected.Number(v));
                        }
                        break;
                    }
                case "Decimal":
                    {
                        var values = Buffer();
                        if (values.Length != n * 16) throw new FormatException("Decimal buffer size.");
                        for (var i = 0; i < n; i++)
                        {
                            if (IsNull(i)) { result.Add(null); continue; }
                            var lo = BinaryPrimitives.ReadUInt64LittleEndian(values[(i * 16)..]);
                            var hi = BinaryPrimitives.ReadInt64LittleEndian(values[(i * 16 + 8)..]);
                            result.Add(new Int128((ulong)hi, lo).ToString(System.Globalization.CultureInfo.InvariantCulture));
                        }
                        break;
                    }
                case "Utf8" or "Binary":
                    {
                        var offsets = Buffer();
                        var data = Buffer();
                        if (offsets.Length != (n + 1) * 4) throw new FormatException($"Offsets buffer is {offsets.Length} bytes for {n} values.");
                        if (BinaryPrimitives.ReadInt32LittleEndian(offsets) != 0) throw new FormatException("Offsets do not start at 0.");
                        if (BinaryPrimitives.ReadInt32LittleEndian(offsets[(n * 4)..]) != data.Length) throw new FormatException("The last offset is not the data length.");
                        for (var i = 0; i < n; i++)
                        {
                            var start = BinaryPrimitives.ReadInt32LittleEndian(offsets[(i * 4)..]);
                            var end = BinaryPrimitives.ReadInt32LittleEndian(offsets[(i * 4 + 4)..]);
                            if (end < start) throw new FormatException("Offsets decrease.");
                            if (IsNull(i)) { result.Add(null); continue; }
                            var bytes = data[start..end];
                            result.Add(id == "Utf8" ? new UTF8Encoding(false, true).GetString(bytes) : Convert.ToBase64String(bytes));
                        }
                        break;
                    }
                case "Date":
                    {
                        var values = Buffer();
                        for (var i = 0; i < n; i++) result.Add(IsNull(i) ? null : JsonValue.Create(BinaryPrimitives.ReadInt32LittleEndian(values[(i * 4)..])));
                        break;
                    }
                case "Time" or "Timestamp":
                    {
                        var values = Buffer();
                        if (values.Length != n * 8) throw new FormatException("Time/timestamp buffer size.");
                        for (var i = 0; i < n; i++) result.Add(IsNull(i) ? null : JsonValue.Create(BinaryPrimitives.ReadInt64LittleEndian(values[(i * 8)..]).ToString(System.Globalization.CultureInfo.InvariantCulture)));
                        break;
                    }
                case "Interval":
                    {
                        var values = Buffer();
                        if (values.Length != n * 16) throw new FormatException("Interval buffer size.");
                        for (var i = 0; i < n; i++)
                        {
                            if (IsNull(i)) { result.Add(null); continue; }
                            var v = values[(i * 16)..];
                            result.Add(new JsonObject
                            {
                                ["months"] = BinaryPrimitives.ReadInt32LittleEndian(v),
                                ["days"] = BinaryPrimitives.ReadInt32LittleEndian(v[4..]),
                                ["nanos"] = BinaryPrimitives.ReadInt64LittleEndian(v[8..]).ToString(System.Globalization.CultureInfo.InvariantCulture),
                            });
                        }
                        break;
                    }
                case "List" or "Map":
                    {
                        var offsets = Buffer().ToArray();
                        if (offsets.Length != (n + 1) * 4) throw new FormatException($"List offsets are {offsets.Length} bytes for {n} values.");
                        if (BinaryPrimitives.ReadInt32LittleEndian(offsets) != 0) throw new FormatException("List offsets do not start at 0.");
                        var child = field["children"]![0]!.AsObject();
                        var childValues = Column(child);
                        if (BinaryPrimitives.ReadInt32LittleEndian(offsets.AsSpan(n * 4)) != childValues.Count) throw new FormatException("The last list offset is not the child length.");
                        for (var i = 0; i < n; i++)
                        {
                            if (IsNull(i)) { result.Add(null); continue; }
                            var start = BinaryPrimitives.ReadInt32LittleEndian(offsets.AsSpan(i * 4));
                            var end = BinaryPrimitives.ReadInt32LittleEndian(offsets.AsSpan(i * 4 + 4));
                            var items = new JsonArray();
                            for (var j = start; j < end; j++)
                            {
                                var item = childValues[j]?.DeepClone();
                                // A map entry (a struct of key and value) is canonically the pair [key, value].
                                if (id == "Map") item = new JsonArray(item!["key"]?.DeepClone(), item["value"]?.DeepClone());
                                items.Add(item);
                            }
                            result.Add(items);
                        }
                        break;
                    }
                case "Struct":
                    {
                        var children = field["children"]!.AsArray();
                        var childValues = children.Select(c => Column(c!.AsObject())).ToList();
                        for (var i = 0; i < n; i++)
                        {
                            if (IsNull(i)) { result.Add(null); continue; }
                            var row = new JsonObject();
                            for (var c = 0; c < children.Count; c++) row[(string)children[c]!["name"]!] = childValues[c][i]?.DeepClone();
                            result.Add(row);
                        }
                        break;
                    }
                default:
                    throw new FormatException($"No decoder for {id}.");
            }
            return result;
        }

        private static bool Valid(ReadOnlySpan<byte> bits, int i) => (bits[i >> 3] & (1 << (i & 7))) != 0;
    }
}

/// <summary>A flatbuffer table: a position and the vtable it points at.</summary>
internal readonly struct FbTable(ReadOnlyMemory<byte> buffer, int position)
{
    private ReadOnlySpan<byte> B => buffer.Span;

    public static FbTable Root(ReadOnlyMemory<byte> buffer) => new(buffer, BinaryPrimitives.ReadInt32LittleEndian(buffer.Span));

    public int Position => position;

    private int FieldOffset(int slot)
    {
        var vtable = position - BinaryPrimitives.ReadInt32LittleEndian(B[position..]);
        var vtableSize = BinaryPrimitives.ReadInt16LittleEndian(B[vtable..]);
        var o = 4 + 2 * slot;
        return o < vtableSize ? BinaryPrimitives.ReadInt16LittleEndian(B[(vtable + o)..]) : 0;
    }

    public bool Has(int slot) => FieldOffset(slot) != 0;

    public byte Byte(int slot, byte fallback) => FieldOffset(slot) is var o and not 0 ? B[position + o] : fallback;
    public bool Bool(int slot, bool fallback) => FieldOffset(slot) is var o and not 0 ? B[position + o] != 0 : fallback;

    public short Short(int slot, short fallback)
    {
        var o = FieldOffset(slot);
        if (o == 0) return fallback;
        CheckAligned(position + o, 2);
        return BinaryPrimitives.ReadInt16LittleEndian(B[(position + o)..]);
    }

    public int Int(int slot, int fallback)
    {
        var o = FieldOffset(slot);
        if (o == 0) return fallback;
        CheckAligned(position + o, 4);
        return BinaryPrimitives.ReadInt32LittleEndian(B[(position + o)..]);
    }

    public long Long(int slot, long fallback)
    {
        var o = FieldOffset(slot);
        if (o == 0) return fallback;
        CheckAligned(position + o, 8);
        return BinaryPrimitives.ReadInt64LittleEndian(B[(position + o)..]);
    }

    private int Indirect(int slot)
    {
        var o = FieldOffset(slot);
        if (o == 0) return -1;
        var at = position + o;
        CheckAligned(at, 4);
        return at + BinaryPrimitives.ReadInt32LittleEndian(B[at..]);
    }

    public FbTable? Table(int slot) => Indirect(slot) is var at and >= 0 ? new FbTable(buffer, at) : null;

    public string? String(int slot)
    {
        var at = Indirect(slot);
        if (at < 0) return null;
        var length = BinaryPrimitives.ReadInt32LittleEndian(B[at..]);
        if (B[at + 4 + length] != 0) throw new FormatException("String without its terminating zero.");
        return Encoding.UTF8.GetString(B.Slice(at + 4, length));
    }

    public FbVector? Vector(int slot)
    {
        var at = Indirect(slot);
        return at < 0 ? null : new FbVector(buffer, at + 4, BinaryPrimitives.ReadInt32LittleEndian(B[at..]));
    }

    private static void CheckAligned(int at, int size)
    {
        if (at % size != 0) throw new FormatException($"A {size}-byte scalar at {at} is misaligned.");
    }
}

internal readonly struct FbVector(ReadOnlyMemory<byte> buffer, int start, int count)
{
    public int Count => count;
    public int Start => start;

    public FbTable TableAt(int i)
    {
        var at = start + 4 * i;
        return new FbTable(buffer, at + BinaryPrimitives.ReadInt32LittleEndian(buffer.Span[at..]));
    }

    public (long, long) StructOfTwoLongs(int i)
    {
        var at = start + 16 * i;
        if (at % 8 != 0) throw new FormatException("Struct vector misaligned.");
        return (BinaryPrimitives.ReadInt64LittleEndian(buffer.Span[at..]), BinaryPrimitives.ReadInt64LittleEndian(buffer.Span[(at + 8)..]));
    }
}
