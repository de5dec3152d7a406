using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace Gateway.Protocol.Thrift;

/// <summary>
/// Writes the binary protocol straight into an <see cref="IBufferWriter{T}"/>: big-endian via
/// <see cref="BinaryPrimitives"/>, strings encoded into the output span, bulk column values in chunks.
/// </summary>
public sealed class ThriftWriter
{
    // Bulk writers ask for at most this much at a time so a million-row column never needs one huge span.
    private const int ChunkBytes = 16 * 1024;

    private readonly IBufferWriter<byte> _output;

    public ThriftWriter(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        _output = output;
    }

    public IBufferWriter<byte> Output => _output;

    /// <summary>Strict form: version word 0x80010000 | type, name, seqid.</summary>
    public void WriteMessageBegin(string name, TMessageType type, int seqId)
    {
        WriteI32(unchecked((int)(0x80010000u | (uint)type)));
        WriteString(name);
        WriteI32(seqId);
    }

    public void WriteFieldBegin(TType type, short id)
    {
        var span = _output.GetSpan(3);
        span[0] = (byte)type;
        BinaryPrimitives.WriteInt16BigEndian(span[1..], id);
        _output.Advance(3);
    }

    public void WriteFieldStop() => WriteRawByte(0);

    public void WriteBool(bool value) => WriteRawByte(value ? (byte)1 : (byte)0);

    public void WriteByte(sbyte value) => WriteRawByte((byte)value);

    public void WriteI16(short value)
    {
        BinaryPrimitives.WriteInt16BigEndian(_output.GetSpan(2), value);
        _output.Advance(2);
    }

    public void WriteI32(int value)
    {
        BinaryPrimitives.WriteInt32BigEndian(_output.GetSpan(4), value);
        _output.Advance(4);
    }

    public void WriteI64(long value)
    {
        BinaryPrimitives.WriteInt64BigEndian(_output.GetSpan(8), value);
        _output.Advance(8);
    }

    public void WriteDouble(double value)
    {
        BinaryPrimitives.WriteDoubleBigEndian(_output.GetSpan(8), value);
        _output.Advance(8);
    }

    public void WriteString(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var length = Encoding.UTF8.GetByteCount(value);
        var span = _output.GetSpan(4 + length);
        BinaryPrimitives.WriteInt32BigEndian(span, length);
        Encoding.UTF8.GetBytes(value, span[4..]);
        _output.Advance(4 + length);
    }

    public void WriteString(ReadOnlySpan<byte> utf8) => WriteBinary(utf8);

    public void WriteBinary(ReadOnlySpan<byte> value)
    {
        WriteI32(value.Length);
        WriteRaw(value);
    }

    public void WriteListBegin(TType elem, int count)
    {
        var span = _output.GetSpan(5);
        span[0] = (byte)elem;
        BinaryPrimitives.WriteInt32BigEndian(span[1..], count);
        _output.Advance(5);
    }

    public void WriteSetBegin(TType elem, int count) => WriteListBegin(elem, count);

    public void WriteMapBegin(TType key, TType value, int count)
    {
        var span = _output.GetSpan(6);
        span[0] = (byte)key;
        span[1] = (byte)value;
        BinaryPrimitives.WriteInt32BigEndian(span[2..], count);
        _output.Advance(6);
    }

    /// <summary>Copies bytes as they are (no length prefix), in chunks.</summary>
    public void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            var span = _output.GetSpan(Math.Min(bytes.Length, ChunkBytes));
            var n = Math.Min(span.Length, bytes.Length);
            bytes[..n].CopyTo(span);
            _output.Advance(n);
            bytes = bytes[n..];
        }
    }

    private void WriteRawByte(byte value)
    {
        _output.GetSpan(1)[0] = value;
        _output.Advance(1);
    }

    // ---- bulk list bodies (the caller writes the list header) ----

    public void WriteByteValues(ReadOnlySpan<sbyte> values) => WriteRaw(MemoryMarshal.AsBytes(values));

    public void WriteI16Values(ReadOnlySpan<short> values)
    {
        while (!values.IsEmpty)
        {
            var n = Math.Min(values.Length, ChunkBytes / 2);
            var dest = MemoryMarshal.Cast<byte, short>(_output.GetSpan(n * 2))[..n];
            if (BitConverter.IsLittleEndian) BinaryPrimitives.ReverseEndianness(values[..n], dest);
            else values[..n].CopyTo(dest);
            _output.Advance(n * 2);
            values = values[n..];
        }
    }

    public void WriteI32Values(ReadOnlySpan<int> values)
    {
        while (!values.IsEmpty)
        {
            var n = Math.Min(values.Length, ChunkBytes / 4);
            var dest = MemoryMarshal.Cast<byte, int>(_output.GetSpan(n * 4))[..n];
            if (BitConverter.IsLittleEndian) BinaryPrimitives.ReverseEndianness(values[..n], dest);
            else values[..n].CopyTo(dest);
            _output.Advance(n * 4);
            values = values[n..];
        }
    }

    public void WriteI64Values(ReadOnlySpan<long> values)
    {
        while (!values.IsEmpty)
        {
            var n = Math.Min(values.Length, ChunkBytes / 8);
            var dest = MemoryMarshal.Cast<byte, long>(_output.GetSpan(n * 8))[..n];
            if (BitConverter.IsLittleEndian) BinaryPrimitives.ReverseEndianness(values[..n], dest);
            else values[..n].CopyTo(dest);
            _output.Advance(n * 8);
            values = values[n..];
        }
    }

    public void WriteDoubleValues(ReadOnlySpan<double> values) => WriteI64Values(MemoryMarshal.Cast<double, long>(values));

    /// <summary>
    /// Writes <paramref name="count"/> length-prefixed values whose bytes are
    /// <c>data[offsets[i]..offsets[i+1]]</c> (the Arrow variable-width layout), packing many per span.
    /// </summary>
    public void WriteBinaryValues(ReadOnlySpan<int> offsets, ReadOnlySpan<byte> data, int count)
    {
        var span = Span<byte>.Empty;
        var used = 0;
        for (var i = 0; i < count; i++)
        {
            var start = offsets[i];
            var value = data[start..offsets[i + 1]];
            var need = 4 + value.Length;
            if (need > span.Length - used)
            {
                if (used > 0) _output.Advance(used);
                used = 0;
                if (need > ChunkBytes)
                {
                    // A large value goes out on its own.
                    span = Span<byte>.Empty;
                    WriteBinary(value);
                    continue;
                }
                span = _output.GetSpan(ChunkBytes);
            }
            BinaryPrimitives.WriteInt32BigEndian(span[used..], value.Length);
            value.CopyTo(span[(used + 4)..]);
            used += need;
        }
        if (used > 0) _output.Advance(used);
    }
}
