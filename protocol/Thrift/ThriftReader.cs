using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace Gateway.Protocol.Thrift;

/// <summary>
/// Reads one complete binary-protocol message held in memory. Every length and count is checked
/// against <see cref="ThriftLimits"/> and against the bytes left before anything is allocated, so a
/// hostile or truncated message ends in <see cref="ThriftProtocolException"/>, never in a large
/// allocation or an <see cref="IndexOutOfRangeException"/>.
/// </summary>
public ref struct ThriftReader
{
    private readonly ReadOnlySpan<byte> _data;
    private readonly ReadOnlyMemory<byte> _memory;
    private readonly ThriftLimits _limits;
    private int _pos;
    private int _depth;

    public ThriftReader(ReadOnlySpan<byte> data, ThriftLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        if (data.Length > limits.MaxMessageSize) ThriftProtocolException.ThrowSizeLimit("Message size", data.Length, limits.MaxMessageSize);
        _data = data;
        _limits = limits;
        _pos = 0;
        _depth = 0;
    }

    private ThriftReader(ReadOnlyMemory<byte> data, ThriftLimits limits) : this(data.Span, limits) => _memory = data;

    /// <summary>
    /// A reader over memory that stays unchanged while what is read from it lives (a reply array the transport
    /// does not reuse): <see cref="ReadBinaryMemory"/> then hands out slices of it instead of copies.
    /// </summary>
    public static ThriftReader OverMemory(ReadOnlyMemory<byte> data, ThriftLimits limits) => new(data, limits);

    public readonly int Position => _pos;
    public readonly int Remaining => _data.Length - _pos;
    public readonly int Depth => _depth;
    public readonly ThriftLimits Limits => _limits;

    public ThriftMessageHeader ReadMessageBegin()
    {
        var first = ReadI32();
        string name;
        byte type;
        int seqId;
        if (first < 0)
        {
            // Strict form: version word 0x8001 in the high half, message type in the low byte.
            if (((uint)first & 0xFFFF0000u) != 0x80010000u)
            {
                ThriftProtocolException.Throw(ThriftProtocolError.BadVersion, $"Bad Thrift version word 0x{(uint)first:X8}.");
            }
            type = (byte)(first & 0xFF);
            var length = ReadI32();
            name = ReadName(length);
            seqId = ReadI32();
        }
        else
        {
            // Old non-strict form: the name length comes first, then the type byte.
            name = ReadName(first);
            type = (byte)ReadByte();
            seqId = ReadI32();
        }
        if (type is < 1 or > 4) ThriftProtocolException.Throw(ThriftProtocolError.InvalidData, $"Invalid message type {type}.");
        return new ThriftMessageHeader(name, (TMessageType)type, seqId);
    }

    private string ReadName(int length)
    {
        if (length < 0) ThriftProtocolException.ThrowNegativeSize(length);
        var max = Math.Min(_limits.MaxMethodNameLength, _limits.MaxStringLength);
        if (length > max) ThriftProtocolException.ThrowSizeLimit("Method name length", length, max);
        return Encoding.UTF8.GetString(Take(length));
    }

    public void ReadStructBegin()
    {
        if (++_depth > _limits.MaxDepth) ThriftProtocolException.ThrowDepthLimit(_limits.MaxDepth);
    }

    public void ReadStructEnd() => _depth--;

    public ThriftFieldHeader ReadFieldBegin()
    {
        var type = TakeByte();
        if (type == 0) return new ThriftFieldHeader(TType.Stop, 0);
        if (!TTypes.IsValid(type)) ThriftProtocolException.ThrowInvalidType(type);
        var id = BinaryPrimitives.ReadInt16BigEndian(Take(2));
        return new ThriftFieldHeader((TType)type, id);
    }

    public bool ReadBool() => TakeByte() != 0;

    public sbyte ReadByte() => (sbyte)TakeByte();

    public short ReadI16() => BinaryPrimitives.ReadInt16BigEndian(Take(2));

    public int ReadI32() => BinaryPrimitives.ReadInt32BigEndian(Take(4));

    public long ReadI64() => BinaryPrimitives.ReadInt64BigEndian(Take(8));

    public double ReadDouble() => BinaryPrimitives.ReadDoubleBigEndian(Take(8));

    public string ReadString()
    {
        var span = ReadBinarySpan();
        return span.IsEmpty ? string.Empty : Encoding.UTF8.GetString(span);
    }

    public byte[] ReadBinary() => ReadBinarySpan().ToArray();

    /// <summary>A binary value as a slice of the message when the reader is <see cref="OverMemory"/>, else as a copy.</summary>
    public ReadOnlyMemory<byte> ReadBinaryMemory()
    {
        var span = ReadBinarySpan();
        return _memory.Length == _data.Length && !_memory.IsEmpty ? _memory.Slice(_pos - span.Length, span.Length) : span.ToArray();
    }

    /// <summary>The bytes of a string/binary value, without copying (valid as long as the message buffer).</summary>
    public ReadOnlySpan<byte> ReadBinarySpan()
    {
        var length = ReadI32();
        if (length < 0) ThriftProtocolException.ThrowNegativeSize(length);
        if (length > _limits.MaxStringLength) ThriftProtocolException.ThrowSizeLimit("String length", length, _limits.MaxStringLength);
        return Take(length);
    }

    public (TType elem, int count) ReadListBegin()
    {
        var elem = TakeByte();
        var count = ReadI32();
        CheckCount(count, elem, 0, isMap: false);
        return ((TType)elem, count);
    }

    public (TType elem, int count) ReadSetBegin() => ReadListBegin();

    public (TType key, TType value, int count) ReadMapBegin()
    {
        var key = TakeByte();
        var value = TakeByte();
        var count = ReadI32();
        CheckCount(count, key, value, isMap: true);
        return ((TType)key, (TType)value, count);
    }

    private readonly void CheckCount(int count, byte elem, byte second, bool isMap)
    {
        if (count < 0) ThriftProtocolException.ThrowNegativeSize(count);
        if (count == 0) return;
        if (count > _limits.MaxContainerLength) ThriftProtocolException.ThrowSizeLimit("Container count", count, _limits.MaxContainerLength);
        if (!TTypes.IsValid(elem)) ThriftProtocolException.ThrowInvalidType(elem);
        long min = TTypes.MinSize((TType)elem);
        if (isMap)
        {
            if (!TTypes.IsValid(second)) ThriftProtocolException.ThrowInvalidType(second);
            min += TTypes.MinSize((TType)second);
        }
        if (count * min > Remaining) ThriftProtocolException.ThrowTruncated();
    }

    /// <summary>Generated code: checks a container's element type against the IDL (an empty container may carry any).</summary>
    public static void CheckElementType(TType actual, TType expected, int count)
    {
        if (count > 0 && actual != expected) ThriftProtocolException.ThrowElementType(expected, actual);
    }

    /// <summary>
    /// Generated code: the capacity to reserve for a container of <paramref name="count"/> elements.
    /// Counts are already bounded by the bytes left, but a one-byte struct per element would still let
    /// a small message reserve eight-byte references by the million; growing is cheap instead.
    /// </summary>
    public static int InitialCapacity(int count) => Math.Min(count, 1024);

    /// <summary>Skips one value of any type, at any nesting (bounded by <see cref="ThriftLimits.MaxDepth"/>).</summary>
    public void Skip(TType type)
    {
        switch (type)
        {
            case TType.Bool:
            case TType.Byte:
                Take(1);
                break;
            case TType.I16:
                Take(2);
                break;
            case TType.I32:
                Take(4);
                break;
            case TType.I64:
            case TType.Double:
                Take(8);
                break;
            case TType.String:
                ReadBinarySpan();
                break;
            case TType.Struct:
                ReadStructBegin();
                while (true)
                {
                    var field = ReadFieldBegin();
                    if (field.Type == TType.Stop) break;
                    Skip(field.Type);
                }
                ReadStructEnd();
                break;
            case TType.List:
            case TType.Set:
                {
                    EnterContainer();
                    var (elem, count) = ReadListBegin();
                    SkipElements(elem, count);
                    _depth--;
                    break;
                }
            case TType.Map:
                {
                    EnterContainer();
                    var (key, value, count) = ReadMapBegin();
                    var fixedPair = TTypes.FixedSize(key) > 0 && TTypes.FixedSize(value) > 0;
                    if (fixedPair)
                    {
                        Take(checked(count * (TTypes.FixedSize(key) + TTypes.FixedSize(value))));
                    }
                    else
                    {
                        for (var i = 0; i < count; i++)
                        {
                            Skip(key);
                            Skip(value);
                        }
                    }
                    _depth--;
                    break;
                }
            default:
                ThriftProtocolException.ThrowInvalidType((byte)type);
                break;
        }
    }

    private void SkipElements(TType elem, int count)
    {
        if (count == 0) return;
        var size = TTypes.FixedSize(elem);
        if (size > 0)
        {
            // count * size fits in int: CheckCount bounded it by the remaining bytes.
            Take(count * size);
            return;
        }
        for (var i = 0; i < count; i++) Skip(elem);
    }

    private void EnterContainer()
    {
        if (++_depth > _limits.MaxDepth) ThriftProtocolException.ThrowDepthLimit(_limits.MaxDepth);
    }

    // ---- bulk reads for column buffers: one bounds check, then a vectorized byte swap ----

    public void ReadBoolValues(Span<bool> destination)
    {
        var src = Take(destination.Length);
        for (var i = 0; i < src.Length; i++) destination[i] = src[i] != 0;
    }

    public void ReadByteValues(Span<sbyte> destination) => Take(destination.Length).CopyTo(MemoryMarshal.AsBytes(destination));

    public void ReadI16Values(Span<short> destination)
    {
        var src = Take(checked(destination.Length * 2));
        var cast = MemoryMarshal.Cast<byte, short>(src);
        if (BitConverter.IsLittleEndian) BinaryPrimitives.ReverseEndianness(cast, destination);
        else cast.CopyTo(destination);
    }

    public void ReadI32Values(Span<int> destination)
    {
        var src = Take(checked(destination.Length * 4));
        var cast = MemoryMarshal.Cast<byte, int>(src);
        if (BitConverter.IsLittleEndian) BinaryPrimitives.ReverseEndianness(cast, destination);
        else cast.CopyTo(destination);
    }

    public void ReadI64Values(Span<long> destination)
    {
        var src = Take(checked(destination.Length * 8));
        var cast = MemoryMarshal.Cast<byte, long>(src);
        if (BitConverter.IsLittleEndian) BinaryPrimitives.ReverseEndianness(cast, destination);
        else cast.CopyTo(destination);
    }

    public void ReadDoubleValues(Span<double> destination) => ReadI64Values(MemoryMarshal.Cast<double, long>(destination));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private byte TakeByte()
    {
        if (_pos >= _data.Length) ThriftProtocolException.ThrowTruncated();
        return _data[_pos++];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ReadOnlySpan<byte> Take(int count)
    {
        if ((uint)count > (uint)(_data.Length - _pos)) ThriftProtocolException.ThrowTruncated();
        var span = _data.Slice(_pos, count);
        _pos += count;
        return span;
    }
}
