using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Gateway.Protocol.Arrow;

/// <summary>
/// A minimal FlatBuffers builder: just what Arrow's Schema.fbs and Message.fbs need (tables, vtables,
/// strings, vectors of offsets and of inline structs, unions as a type byte plus an offset).
/// <para>Like the reference builders it fills a buffer back to front: an object is referred to by its
/// distance from the end of the buffer (<see cref="Offset"/>), which growth does not change, and
/// children are written before the parents that point at them. Every field a caller adds is written,
/// default or not (readers treat a present default like an absent one; Arrow's C++ reader rejects
/// some absent vectors, such as Field.children).</para>
/// Not thread-safe; <see cref="Reset"/> reuses the pooled buffer for the next message.
/// </summary>
internal sealed class FlatBufferBuilder : IDisposable
{
    private byte[] _buffer;
    private int _head;          // _buffer[_head..] holds what was written
    private int _minAlign = 1;
    private int[] _slots = new int[16];
    private int _slotCount;
    private int _objectStart = -1;
    private int _vectorCount = -1;

    public FlatBufferBuilder(int initialCapacity = 1024)
    {
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(64, initialCapacity));
        _head = _buffer.Length;
    }

    /// <summary>Bytes written so far; also the offset of the object written last.</summary>
    public int Offset => _buffer.Length - _head;

    /// <summary>The finished buffer (valid after <see cref="Finish"/> until the next write or reset).</summary>
    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(_head);

    public void Reset()
    {
        _head = _buffer.Length;
        _minAlign = 1;
        _slotCount = 0;
        _objectStart = -1;
        _vectorCount = -1;
    }

    public void Dispose()
    {
        if (_buffer.Length > 0) ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
        _head = 0;
    }

    // ---- space and alignment ----

    /// <summary>
    /// Pads so that, once <paramref name="additional"/> more bytes are written, the position is a
    /// multiple of <paramref name="size"/> (counted from the end, which <see cref="Finish"/> makes a
    /// multiple of the largest alignment, so it also holds from the start).
    /// </summary>
    private void Prep(int size, int additional)
    {
        if (size > _minAlign) _minAlign = size;
        var pad = -(Offset + additional) & (size - 1);
        Ensure(pad + size + additional);
        for (var i = 0; i < pad; i++) _buffer[--_head] = 0;
    }

    private void Ensure(int bytes)
    {
        if (_head >= bytes) return;
        var used = Offset;
        var size = Math.Max(_buffer.Length * 2, used + bytes + 64);
        var next = ArrayPool<byte>.Shared.Rent(size);
        _buffer.AsSpan(_head).CopyTo(next.AsSpan(next.Length - used));
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = next;
        _head = next.Length - used;
    }

    private Span<byte> Claim(int bytes)
    {
        Ensure(bytes);
        _head -= bytes;
        return _buffer.AsSpan(_head, bytes);
    }

    private void PutByte(byte v) => Claim(1)[0] = v;
    private void PutShort(short v) => BinaryPrimitives.WriteInt16LittleEndian(Claim(2), v);
    private void PutInt(int v) => BinaryPrimitives.WriteInt32LittleEndian(Claim(4), v);
    private void PutLong(long v) => BinaryPrimitives.WriteInt64LittleEndian(Claim(8), v);

    /// <summary>Writes a uoffset pointing at an object written earlier.</summary>
    private void PutOffset(int target)
    {
        Prep(4, 0);
        if (target > Offset) throw new InvalidOperationException("A flatbuffer offset must point at an object written earlier.");
        PutInt(Offset - target + 4);
    }

    // ---- strings and vectors ----

    public int CreateString(string value)
    {
        NotInObject();
        var length = Encoding.UTF8.GetByteCount(value);
        Prep(4, length + 1);
        PutByte(0);
        Encoding.UTF8.GetBytes(value, Claim(length));
        PutInt(length);
        return Offset;
    }

    public void StartVector(int elementSize, int count, int alignment)
    {
        NotInObject();
        Prep(4, elementSize * count);
        Prep(alignment, elementSize * count);
        _vectorCount = count;
    }

    /// <summary>Adds an element of a vector of offsets (elements go in reverse order).</summary>
    public void AddElementOffset(int target) => PutOffset(target);

    /// <summary>Adds a struct of two longs to a vector of structs (elements go in reverse order).</summary>
    public void AddStructOfTwoLongs(long first, long second)
    {
        Prep(8, 16);
        PutLong(second);
        PutLong(first);
    }

    public int EndVector()
    {
        if (_vectorCount < 0) throw new InvalidOperationException("No vector started.");
        PutInt(_vectorCount);
        _vectorCount = -1;
        return Offset;
    }

    public int CreateOffsetVector(ReadOnlySpan<int> offsets)
    {
        StartVector(4, offsets.Length, 4);
        for (var i = offsets.Length - 1; i >= 0; i--) AddElementOffset(offsets[i]);
        return EndVector();
    }

    // ---- tables ----

    public void StartTable(int slots)
    {
        NotInObject();
        if (_slots.Length < slots) _slots = new int[Math.Max(slots, _slots.Length * 2)];
        Array.Clear(_slots, 0, slots);
        _slotCount = slots;
        _objectStart = Offset;
    }

    public void AddBool(int slot, bool value) => AddByte(slot, value ? (byte)1 : (byte)0);

    public void AddByte(int slot, byte value)
    {
        Prep(1, 0);
        PutByte(value);
        Mark(slot);
    }

    public void AddShort(int slot, short value)
    {
        Prep(2, 0);
        PutShort(value);
        Mark(slot);
    }

    public void AddInt(int slot, int value)
    {
        Prep(4, 0);
        PutInt(value);
        Mark(slot);
    }

    public void AddLong(int slot, long value)
    {
        Prep(8, 0);
        PutLong(value);
        Mark(slot);
    }

    public void AddOffset(int slot, int target)
    {
        PutOffset(target);
        Mark(slot);
    }

    private void Mark(int slot)
    {
        if ((uint)slot >= (uint)_slotCount) throw new ArgumentOutOfRangeException(nameof(slot));
        _slots[slot] = Offset;
    }

    /// <summary>Writes the table's soffset and its vtable (placed just before the table).</summary>
    public int EndTable()
    {
        if (_objectStart < 0) throw new InvalidOperationException("No table started.");
        Prep(4, 0);
        PutInt(0); // soffset to the vtable, patched below
        var table = Offset;
        var used = _slotCount;
        while (used > 0 && _slots[used - 1] == 0) used--;
        for (var i = used - 1; i >= 0; i--)
        {
            Prep(2, 0);
            PutShort(_slots[i] == 0 ? (short)0 : checked((short)(table - _slots[i])));
        }
        Prep(2, 0);
        PutShort(checked((short)(table - _objectStart)));
        Prep(2, 0);
        PutShort(checked((short)((used + 2) * 2)));
        var vtable = Offset;
        // soffset = table position - vtable position (forward addresses): the vtable sits before the table.
        BinaryPrimitives.WriteInt32LittleEndian(_buffer.AsSpan(_buffer.Length - table, 4), vtable - table);
        _objectStart = -1;
        _slotCount = 0;
        return table;
    }

    /// <summary>Writes the root offset; the buffer is then <see cref="WrittenSpan"/>, its length a multiple of the largest alignment used.</summary>
    public void Finish(int root)
    {
        NotInObject();
        Prep(_minAlign, 4);
        PutOffset(root);
    }

    private void NotInObject()
    {
        if (_objectStart >= 0) throw new InvalidOperationException("Strings, vectors and tables cannot be created inside a table.");
    }
}
