using System.Buffers;

namespace Gateway.Protocol.Columnar;

/// <summary>
/// A growable buffer rented from <see cref="BufferPool{T}"/>, for engine adapters filling column buffers:
/// <see cref="Take"/> hands the array to a Column (whose Dispose returns it), <see cref="Return"/> gives it back unused.
/// </summary>
public sealed class PooledBuffer<T>
{
    public T[] Array = [];

    /// <summary>Grows to hold <paramref name="needed"/> items, keeping the first <paramref name="used"/>.</summary>
    public void Ensure(int needed, int used)
    {
        if (Array.Length >= needed) return;
        var grown = BufferPool<T>.Shared.Rent(Math.Max(needed, Math.Max(Array.Length * 2, 64)));
        Array.AsSpan(0, Math.Min(used, Array.Length)).CopyTo(grown);
        Return();
        Array = grown;
    }

    /// <summary>Hands the buffer to a column, which returns it to the pool when disposed.</summary>
    public T[] Take()
    {
        var a = Array;
        Array = [];
        return a;
    }

    public void Return()
    {
        if (Array.Length > 0) BufferPool<T>.Shared.Return(Array);
        Array = [];
    }
}
