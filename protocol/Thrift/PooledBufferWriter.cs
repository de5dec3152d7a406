using System.Buffers;
using Gateway.Protocol.Columnar;

namespace Gateway.Protocol.Thrift;

/// <summary>
/// An <see cref="IBufferWriter{T}"/> over one pooled array (<see cref="BufferPool{T}"/>) that grows by
/// doubling: for responses whose length must be known before they are sent. Dispose returns the array.
/// </summary>
public sealed class PooledBufferWriter : IBufferWriter<byte>, IDisposable
{
    private const int MinimumGrowth = 256;
    private readonly int _initialCapacity;
    private byte[] _buffer;
    private int _written;

    public PooledBufferWriter(int initialCapacity = 4096)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(initialCapacity);
        _initialCapacity = initialCapacity;
        _buffer = initialCapacity == 0 ? [] : BufferPool<byte>.Shared.Rent(initialCapacity);
    }

    public int WrittenCount => _written;
    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _written);
    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _written);
    public int Capacity => _buffer.Length;

    /// <summary>Forgets what was written; keeps the array for reuse.</summary>
    public void Clear() => _written = 0;

    /// <summary>
    /// Forgets what was written and gives the array back to the pool; the next write rents one again (of the initial
    /// capacity at least). For a writer that lives as long as an idle connection: it holds no buffer between requests.
    /// </summary>
    public void Release()
    {
        Return();
        _written = 0;
    }

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count > _buffer.Length - _written) throw new InvalidOperationException("Advanced past the end of the buffer.");
        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_written);
    }

    /// <summary>
    /// Hands the pooled array (and the count of written bytes) to the caller, who must return it to
    /// <see cref="BufferPool{T}.Shared"/>; this writer starts over empty.
    /// </summary>
    public byte[] Detach(out int length)
    {
        var buffer = _buffer;
        length = _written;
        _buffer = [];
        _written = 0;
        return buffer;
    }

    private void Ensure(int sizeHint)
    {
        if (sizeHint < 1) sizeHint = 1;
        var free = _buffer.Length - _written;
        if (sizeHint <= free) return;
        var needed = (long)_written + sizeHint;
        var grown = Math.Max(needed, Math.Max((long)_buffer.Length * 2, Math.Max(MinimumGrowth, _initialCapacity)));
        if (grown > Array.MaxLength) grown = Math.Max(needed, Array.MaxLength);
        if (needed > Array.MaxLength) throw new OutOfMemoryException("Buffer would exceed the largest array.");
        var next = BufferPool<byte>.Shared.Rent((int)grown);
        _buffer.AsSpan(0, _written).CopyTo(next);
        Return();
        _buffer = next;
    }

    private void Return()
    {
        if (_buffer.Length > 0) BufferPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }

    public void Dispose()
    {
        Return();
        _written = 0;
    }
}
