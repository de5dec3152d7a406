using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Gateway.Protocol.Arrow;

/// <summary>
/// A flatbuffer table read in place, every position checked against the buffer before it is read: a
/// corrupt or hostile buffer gives <see cref="InvalidDataException"/>, never a read outside it. Tables
/// are found through their vtable (<c>position - int32 at position</c>); a field absent from the
/// vtable (or past its end) takes its default, as flatbuffers define.
/// </summary>
internal readonly ref struct FbTable
{
    private readonly ReadOnlySpan<byte> _buffer;
    private readonly int _position;
    private readonly int _vtable;
    private readonly int _vtableSize;

    private FbTable(ReadOnlySpan<byte> buffer, int position)
    {
        _buffer = buffer;
        _position = position;
        var vtable = (long)position - ReadInt32(buffer, position, "table");
        if (vtable < 0 || vtable > buffer.Length - 4) Fail($"a table at {position} points to a vtable outside the metadata");
        _vtable = (int)vtable;
        _vtableSize = BinaryPrimitives.ReadUInt16LittleEndian(buffer[_vtable..]);
        if (_vtableSize < 4 || (_vtableSize & 1) != 0 || _vtable + _vtableSize > buffer.Length) Fail($"a vtable at {_vtable} has an invalid size {_vtableSize}");
    }

    /// <summary>The root table: a uint32 offset at the start of the buffer.</summary>
    public static FbTable Root(ReadOnlySpan<byte> buffer)
    {
        var root = ReadUInt32(buffer, 0, "root offset");
        if (root > (uint)(buffer.Length - 4)) Fail("the root offset points outside the metadata");
        return new FbTable(buffer, (int)root);
    }

    /// <summary>The field's position in the buffer, or 0 when absent; checks that <paramref name="size"/> bytes fit.</summary>
    private int Field(int slot, int size)
    {
        var entry = 4 + 2 * slot;
        if (entry + 2 > _vtableSize) return 0;
        var offset = BinaryPrimitives.ReadUInt16LittleEndian(_buffer[(_vtable + entry)..]);
        if (offset == 0) return 0;
        var at = (long)_position + offset;
        if (at + size > _buffer.Length) Fail($"field {slot} of the table at {_position} lies outside the metadata");
        return (int)at;
    }

    public bool Has(int slot) => Field(slot, 1) != 0;

    public byte Byte(int slot, byte fallback) => Field(slot, 1) is var at and not 0 ? _buffer[at] : fallback;

    public bool Bool(int slot, bool fallback) => Field(slot, 1) is var at and not 0 ? _buffer[at] != 0 : fallback;

    public short Short(int slot, short fallback) => Field(slot, 2) is var at and not 0 ? BinaryPrimitives.ReadInt16LittleEndian(_buffer[at..]) : fallback;

    public int Int(int slot, int fallback) => Field(slot, 4) is var at and not 0 ? BinaryPrimitives.ReadInt32LittleEndian(_buffer[at..]) : fallback;

    public long Long(int slot, long fallback) => Field(slot, 8) is var at and not 0 ? BinaryPrimitives.ReadInt64LittleEndian(_buffer[at..]) : fallback;

    /// <summary>Follows the uoffset stored in a field; -1 when the field is absent.</summary>
    private int Indirect(int slot)
    {
        var at = Field(slot, 4);
        if (at == 0) return -1;
        var target = at + (long)BinaryPrimitives.ReadUInt32LittleEndian(_buffer[at..]);
        if (target > _buffer.Length - 4) Fail($"field {slot} of the table at {_position} points outside the metadata");
        return (int)target;
    }

    public bool TryTable(int slot, out FbTable table)
    {
        var at = Indirect(slot);
        table = at < 0 ? default : new FbTable(_buffer, at);
        return at >= 0;
    }

    public string? String(int slot)
    {
        var at = Indirect(slot);
        if (at < 0) return null;
        var length = BinaryPrimitives.ReadUInt32LittleEndian(_buffer[at..]);
        if (length > (uint)(_buffer.Length - at - 4)) Fail($"a string at {at} runs past the metadata");
        return Encoding.UTF8.GetString(_buffer.Slice(at + 4, (int)length));
    }

    /// <summary>A vector of <paramref name="elementSize"/>-byte elements (4 for offsets to tables); false when absent.</summary>
    public bool TryVector(int slot, int elementSize, out FbVector vector)
    {
        var at = Indirect(slot);
        if (at < 0)
        {
            vector = default;
            return false;
        }
        var count = BinaryPrimitives.ReadUInt32LittleEndian(_buffer[at..]);
        if (count * (long)elementSize > _buffer.Length - at - 4) Fail($"a vector of {count} elements at {at} runs past the metadata");
        vector = new FbVector(_buffer, at + 4, (int)count, elementSize);
        return true;
    }

    private static int ReadInt32(ReadOnlySpan<byte> buffer, int at, string what)
    {
        if (at < 0 || at > buffer.Length - 4) Fail($"the {what} at {at} lies outside the metadata");
        return BinaryPrimitives.ReadInt32LittleEndian(buffer[at..]);
    }

    private static uint ReadUInt32(ReadOnlySpan<byte> buffer, int at, string what)
    {
        if (at < 0 || at > buffer.Length - 4) Fail($"the {what} at {at} lies outside the metadata");
        return BinaryPrimitives.ReadUInt32LittleEndian(buffer[at..]);
    }

    [DoesNotReturn]
    public static void Fail(string message) => throw new InvalidDataException("Malformed Arrow metadata: " + message + ".");

    /// <summary>The table an element of an offset vector points to.</summary>
    internal static FbTable At(ReadOnlySpan<byte> buffer, int position) => new(buffer, position);
}

/// <summary>A flatbuffer vector whose bounds were checked when it was found.</summary>
internal readonly ref struct FbVector
{
    private readonly ReadOnlySpan<byte> _buffer;
    private readonly int _start;
    private readonly int _elementSize;

    public FbVector(ReadOnlySpan<byte> buffer, int start, int count, int elementSize)
    {
        _buffer = buffer;
        _start = start;
        Count = count;
        _elementSize = elementSize;
    }

    public int Count { get; }

    public FbTable Table(int i)
    {
        var at = Element(i);
        var target = at + (long)BinaryPrimitives.ReadUInt32LittleEndian(_buffer[at..]);
        if (target > _buffer.Length - 4) FbTable.Fail($"element {i} of a vector points outside the metadata");
        return FbTable.At(_buffer, (int)target);
    }

    /// <summary>Element i of a vector of 16-byte structs of two longs (FieldNode, Buffer).</summary>
    public (long First, long Second) TwoLongs(int i)
    {
        var at = Element(i);
        return (BinaryPrimitives.ReadInt64LittleEndian(_buffer[at..]), BinaryPrimitives.ReadInt64LittleEndian(_buffer[(at + 8)..]));
    }

    public long Long(int i) => BinaryPrimitives.ReadInt64LittleEndian(_buffer[Element(i)..]);

    private int Element(int i)
    {
        if ((uint)i >= (uint)Count) FbTable.Fail($"element {i} of a vector of {Count}");
        return _start + i * _elementSize;
    }
}
