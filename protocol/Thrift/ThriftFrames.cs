using System.Buffers;
using System.Buffers.Binary;

namespace Gateway.Protocol.Thrift;

/// <summary>
/// Finds one whole message at the front of a buffer, for both sides of the binary transport:
/// framed (4-byte big-endian length, after SASL) or bare (measured by <see cref="ThriftMessageScanner"/>).
/// </summary>
public static class ThriftFrames
{
    /// <summary>
    /// Takes one message off the front of <paramref name="buffer"/>; false when more bytes are needed.
    /// A frame length outside 1..MaxMessageSize throws <see cref="ThriftProtocolException"/> before anything is buffered.
    /// </summary>
    public static bool TryTake(ref ReadOnlySequence<byte> buffer, bool framed, ThriftLimits limits, out ReadOnlySequence<byte> message)
    {
        ArgumentNullException.ThrowIfNull(limits);
        message = default;
        if (!framed)
        {
            if (!ThriftMessageScanner.TryMeasure(buffer, limits, out var size)) return false;
            message = buffer.Slice(0, size);
            buffer = buffer.Slice(size);
            return true;
        }
        if (buffer.Length < 4) return false;
        Span<byte> prefix = stackalloc byte[4];
        buffer.Slice(0, 4).CopyTo(prefix);
        var length = BinaryPrimitives.ReadInt32BigEndian(prefix);
        if (length < 0) throw new ThriftProtocolException(ThriftProtocolError.NegativeSize, $"Negative frame length {length}.");
        if (length == 0 || length > limits.MaxMessageSize)
        {
            throw new ThriftProtocolException(ThriftProtocolError.SizeLimit, $"Frame of {length} bytes is outside 1..{limits.MaxMessageSize}.");
        }
        if (buffer.Length < 4L + length) return false;
        message = buffer.Slice(4, length);
        buffer = buffer.Slice(4L + length);
        return true;
    }
}
