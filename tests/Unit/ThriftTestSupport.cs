using System.Buffers;
using Gateway.Protocol.Thrift;

namespace Gateway.Tests.Unit;

internal static class ThriftTestSupport
{
    public static byte[] Bytes(Action<ThriftWriter> write)
    {
        using var buffer = new PooledBufferWriter(16);
        write(new ThriftWriter(buffer));
        return buffer.WrittenSpan.ToArray();
    }

    public static byte[] Serialize(IThriftStruct value) => Bytes(value.Write);

    public static T Deserialize<T>(byte[] bytes, ThriftLimits? limits = null) where T : IThriftStruct, new()
    {
        var reader = new ThriftReader(bytes, limits ?? ThriftLimits.Default);
        var value = new T();
        value.Read(ref reader);
        Assert.Equal(bytes.Length, reader.Position);
        Assert.Equal(0, reader.Depth);
        return value;
    }

    /// <summary>Write, read back, write again: both encodings must be identical.</summary>
    public static T RoundTrip<T>(T value) where T : IThriftStruct, new()
    {
        var bytes = Serialize(value);
        var back = Deserialize<T>(bytes);
        Assert.Equal(bytes, Serialize(back));
        return back;
    }

    /// <summary>A sequence cut into segments of the given sizes (the rest in a last segment).</summary>
    public static ReadOnlySequence<byte> Segmented(byte[] data, int segmentSize)
    {
        if (data.Length == 0) return ReadOnlySequence<byte>.Empty;
        Segment? first = null;
        Segment? last = null;
        for (var i = 0; i < data.Length; i += segmentSize)
        {
            var chunk = data.AsMemory(i, Math.Min(segmentSize, data.Length - i));
            if (first is null) first = last = new Segment(chunk, 0);
            else last = last!.Append(chunk);
        }
        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
