using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Gateway.Protocol.Columnar;

/// <summary>
/// The retention budget shared by every <see cref="BufferPool{T}"/>: how many bytes of large arrays the pools may
/// keep for reuse while nothing uses them. Arrays past the budget are left to the GC when returned.
/// </summary>
public static class BufferPool
{
    /// <summary>Arrays of at least this many bytes are pooled by <see cref="BufferPool{T}"/>; smaller ones by <see cref="ArrayPool{T}.Shared"/>.</summary>
    public const int LargeBytes = 64 * 1024;

    /// <summary>Default retention budget (64 MiB).</summary>
    public const long DefaultRetainedBytesLimit = 64L * 1024 * 1024;

    private static long s_limit = DefaultRetainedBytesLimit;
    private static long s_retained;

    /// <summary>Bytes of large arrays the pools may keep while unused (Gateway:Limits:BufferPoolBytes). 0 keeps none.</summary>
    public static long RetainedBytesLimit
    {
        get => Volatile.Read(ref s_limit);
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            Volatile.Write(ref s_limit, value);
        }
    }

    /// <summary>Bytes of large arrays kept now, unused, for the next rent.</summary>
    public static long RetainedBytes => Volatile.Read(ref s_retained);

    private static readonly List<IBucketOwner> s_pools = [];

    /// <summary>Drops every kept array of every pool (tests; memory to give back at once).</summary>
    public static void Trim()
    {
        IBucketOwner[] pools;
        lock (s_pools) pools = [.. s_pools];
        foreach (var pool in pools) pool.Clear();
    }

    internal static void Register(IBucketOwner pool)
    {
        lock (s_pools) s_pools.Add(pool);
    }

    /// <summary>
    /// Reserves room for an array about to be kept. When the budget is full, the array kept longest without use (in
    /// any pool) is dropped for it, so sizes no longer used do not hold the budget against the sizes in use now.
    /// </summary>
    internal static bool TryRetain(long bytes)
    {
        for (var attempt = 0; ; attempt++)
        {
            var limit = Volatile.Read(ref s_limit);
            var current = Volatile.Read(ref s_retained);
            if (bytes > limit) return false;
            if (current + bytes <= limit)
            {
                if (Interlocked.CompareExchange(ref s_retained, current + bytes, current) == current) return true;
                continue;
            }
            if (attempt >= 4 || !EvictLeastRecentlyUsed()) return false;
        }
    }

    private static bool EvictLeastRecentlyUsed()
    {
        IBucketOwner[] pools;
        lock (s_pools) pools = [.. s_pools];
        IBucketOwner? oldestPool = null;
        var oldestBucket = -1;
        var oldest = long.MaxValue;
        foreach (var pool in pools)
        {
            var (bucket, lastUse) = pool.LeastRecentlyUsed();
            if (bucket >= 0 && lastUse < oldest)
            {
                (oldestPool, oldestBucket, oldest) = (pool, bucket, lastUse);
            }
        }
        return oldestPool is not null && oldestPool.DropOne(oldestBucket);
    }

    internal static void Release(long bytes) => Interlocked.Add(ref s_retained, -bytes);
}

internal interface IBucketOwner
{
    void Clear();

    /// <summary>The bucket holding arrays that was used longest ago, and when; -1 when nothing is kept.</summary>
    (int Bucket, long LastUse) LeastRecentlyUsed();

    bool DropOne(int bucket);
}

/// <summary>
/// The pool for batch columns, result encodings and reply buffers. <see cref="ArrayPool{T}.Shared"/> keeps a
/// returned array in the returning thread's own slot as well as in per-core stacks, so a stream whose fetches are
/// served by different thread-pool threads leaves a copy of every large buffer size behind on each of them: the
/// memory a result holds grows with the number of threads that touched it (about 20 MB after one 10k-row-per-fetch
/// stream, measured), and is trimmed only under memory pressure. Here, arrays of <see cref="BufferPool.LargeBytes"/>
/// and more are kept in one stack per power-of-two size, shared by all threads, at most
/// <see cref="MaxPerBucket"/> per size and within one byte budget for all pools
/// (<see cref="BufferPool.RetainedBytesLimit"/>; when it is full, the array kept longest without use makes room):
/// a steady stream reuses the same few buffers, and what is kept while idle is bounded and configurable. Smaller arrays go to <see cref="ArrayPool{T}.Shared"/>, whose
/// per-thread caching is cheap at that size. Arrays from either pool may be returned to the other.
/// </summary>
public sealed class BufferPool<T> : ArrayPool<T>, IBucketOwner
{
    // Power-of-two lengths up to 2^30 elements; larger arrays are allocated exactly and never kept.
    private const int MaxBucket = 30;

    /// <summary>Arrays kept per size: more than a few concurrent streams need at once.</summary>
    internal const int MaxPerBucket = 16;

    private static readonly int LargeLength = Math.Max(16, (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(1, BufferPool.LargeBytes / Math.Max(1, Unsafe.SizeOf<T>()))));

    public static new BufferPool<T> Shared { get; } = new();

    private readonly Bucket[] _buckets = new Bucket[MaxBucket + 1];

    private BufferPool()
    {
        for (var i = 0; i < _buckets.Length; i++) _buckets[i] = new Bucket();
        BufferPool.Register(this);
    }

    private sealed class Bucket
    {
        public readonly Stack<T[]> Arrays = new();
        public long LastUse;
    }

    public override T[] Rent(int minimumLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(minimumLength);
        if (minimumLength > 1 << MaxBucket) return Allocate(minimumLength);
        // By the length handed out (a power of two), as Return decides: else a length just under the threshold
        // would be rented from the shared pool and returned here, and every such rent would allocate anew.
        var length = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(1, minimumLength));
        if (length < LargeLength) return ArrayPool<T>.Shared.Rent(minimumLength);
        var bucket = BitOperations.Log2((uint)length);
        var b = _buckets[bucket];
        T[]? array = null;
        lock (b)
        {
            b.LastUse = Environment.TickCount64;
            if (b.Arrays.Count > 0) array = b.Arrays.Pop();
        }
        if (array is null) return Allocate(1 << bucket);
        BufferPool.Release(Bytes(array.Length));
        return array;
    }

    public override void Return(T[] array, bool clearArray = false)
    {
        ArgumentNullException.ThrowIfNull(array);
        if (array.Length < LargeLength)
        {
            ArrayPool<T>.Shared.Return(array, clearArray);
            return;
        }
        // Only power-of-two lengths come from a pool; anything else (or too large) is the GC's.
        if (!BitOperations.IsPow2(array.Length) || array.Length > 1 << MaxBucket) return;
        var b = _buckets[BitOperations.Log2((uint)array.Length)];
        lock (b)
        {
            b.LastUse = Environment.TickCount64;
            if (b.Arrays.Count >= MaxPerBucket) return;
        }
        if (!BufferPool.TryRetain(Bytes(array.Length))) return;
        if (clearArray || RuntimeHelpers.IsReferenceOrContainsReferences<T>()) Array.Clear(array);
        lock (b) b.Arrays.Push(array);
    }

    /// <summary>Drops every kept array of this pool.</summary>
    public void Clear()
    {
        for (var i = 0; i < _buckets.Length; i++)
        {
            while (Drop(i))
            {
            }
        }
    }

    (int Bucket, long LastUse) IBucketOwner.LeastRecentlyUsed()
    {
        var best = (-1, long.MaxValue);
        for (var i = 0; i < _buckets.Length; i++)
        {
            var b = _buckets[i];
            lock (b)
            {
                if (b.Arrays.Count > 0 && b.LastUse < best.Item2) best = (i, b.LastUse);
            }
        }
        return best;
    }

    bool IBucketOwner.DropOne(int bucket) => Drop(bucket);

    private bool Drop(int bucket)
    {
        var b = _buckets[bucket];
        T[] dropped;
        lock (b)
        {
            if (b.Arrays.Count == 0) return false;
            dropped = b.Arrays.Pop();
        }
        BufferPool.Release(Bytes(dropped.Length));
        return true;
    }

    private static long Bytes(int length) => (long)length * Unsafe.SizeOf<T>();

    private static T[] Allocate(int length) =>
        RuntimeHelpers.IsReferenceOrContainsReferences<T>() ? new T[length] : GC.AllocateUninitializedArray<T>(length);
}
