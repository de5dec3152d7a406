using System.Buffers;
using Gateway.Protocol.Columnar;
using Xunit;

namespace Gateway.Tests.Unit;

[CollectionDefinition(nameof(BufferPoolUnitTests), DisableParallelization = true)]
public sealed class BufferPoolCollection;

/// <summary>
/// The result-buffer pool: large arrays shared by all threads within a byte budget. The retention budget is
/// process-wide, so these tests run alone; each uses its own element type so nothing else rents its arrays.
/// </summary>
[Collection(nameof(BufferPoolUnitTests))]
public sealed class BufferPoolUnitTests : IDisposable
{
    private readonly long _limit = BufferPool.RetainedBytesLimit;

    private record struct Probe(long A, long B);

    private record struct Probe2(long A, long B);

    public BufferPoolUnitTests() => BufferPool.Trim();

    public void Dispose()
    {
        BufferPool.Trim();
        BufferPool.RetainedBytesLimit = _limit;
    }

    private static int Large => BufferPool.LargeBytes / 16; // Probe is 16 bytes: the smallest pooled length here

    [Fact]
    public async Task AnArrayReturnedOnOneThreadIsRentedOnAnother()
    {
        var array = BufferPool<Probe>.Shared.Rent(Large + 1);
        Assert.Equal(2 * Large, array.Length);
        await Task.Run(() => BufferPool<Probe>.Shared.Return(array));
        var again = await Task.Run(() => BufferPool<Probe>.Shared.Rent(Large + 5));
        Assert.Same(array, again);
        BufferPool<Probe>.Shared.Return(again);
    }

    [Fact]
    public void ASteadyRentReturnCycleKeepsOneArray()
    {
        var before = BufferPool.RetainedBytes;
        for (var i = 0; i < 1000; i++)
        {
            // Lengths just above a power of two and far below: always the same bucket.
            var a = BufferPool<Probe>.Shared.Rent(Large + 1 + i % 100);
            BufferPool<Probe>.Shared.Return(a);
        }
        Assert.Equal(before + 2L * Large * 16, BufferPool.RetainedBytes);
    }

    [Fact]
    public void LengthsThatRoundUpToALargeArrayAreRentedHereNotFromTheSharedPool()
    {
        // 10,001 ints round up to 16,384 (64 KiB): rented from the shared pool but returned here, every rent would
        // allocate a new array and the pool would fill with copies.
        var a = BufferPool<int>.Shared.Rent(10_001);
        Assert.Equal(16_384, a.Length);
        BufferPool<int>.Shared.Return(a);
        var b = BufferPool<int>.Shared.Rent(10_001);
        Assert.Same(a, b);
        BufferPool<int>.Shared.Return(b);
    }

    [Fact]
    public void SmallArraysGoToTheSharedPool()
    {
        var small = BufferPool<Probe>.Shared.Rent(10);
        Assert.True(small.Length >= 10);
        var before = BufferPool.RetainedBytes;
        BufferPool<Probe>.Shared.Return(small);
        Assert.Equal(before, BufferPool.RetainedBytes);
    }

    [Fact]
    public void RetentionStaysWithinTheBudget()
    {
        BufferPool.RetainedBytesLimit = 3L * Large * 16;
        var arrays = Enumerable.Range(0, 10).Select(_ => BufferPool<Probe>.Shared.Rent(Large)).ToList();
        Assert.Equal(10, arrays.Distinct().Count());
        foreach (var a in arrays) BufferPool<Probe>.Shared.Return(a);
        // Three were kept, seven left to the GC.
        var kept = Enumerable.Range(0, 10).Select(_ => BufferPool<Probe>.Shared.Rent(Large)).ToList();
        Assert.Equal(3, kept.Count(arrays.Contains));
        Assert.True(BufferPool.RetainedBytes <= BufferPool.RetainedBytesLimit);
    }

    [Fact]
    public void AFullBudgetDropsTheArrayUnusedLongestToKeepTheNewOne()
    {
        BufferPool.RetainedBytesLimit = 2L * Large * 16;
        var old = BufferPool<Probe2>.Shared.Rent(Large);
        BufferPool<Probe2>.Shared.Return(old);
        Thread.Sleep(20);
        var a = BufferPool<Probe>.Shared.Rent(Large);
        var b = BufferPool<Probe>.Shared.Rent(Large);
        BufferPool<Probe>.Shared.Return(a);
        // The budget holds two arrays: Probe2's, unused longest, makes room for b.
        BufferPool<Probe>.Shared.Return(b);
        Assert.Equal(2L * Large * 16, BufferPool.RetainedBytes);
        Assert.NotSame(old, BufferPool<Probe2>.Shared.Rent(Large));
        Assert.Same(b, BufferPool<Probe>.Shared.Rent(Large));
        Assert.Same(a, BufferPool<Probe>.Shared.Rent(Large));
    }

    [Fact]
    public void AtMostSoManyArraysOfOneSizeAreKept()
    {
        var arrays = Enumerable.Range(0, BufferPool<Probe>.MaxPerBucket + 5).Select(_ => BufferPool<Probe>.Shared.Rent(Large)).ToList();
        foreach (var a in arrays) BufferPool<Probe>.Shared.Return(a);
        Assert.Equal((long)BufferPool<Probe>.MaxPerBucket * Large * 16, BufferPool.RetainedBytes);
    }

    [Fact]
    public void ABudgetOfZeroKeepsNothing()
    {
        BufferPool.RetainedBytesLimit = 0;
        var a = BufferPool<Probe2>.Shared.Rent(Large);
        BufferPool<Probe2>.Shared.Return(a);
        Assert.NotSame(a, BufferPool<Probe2>.Shared.Rent(Large));
        Assert.Throws<ArgumentOutOfRangeException>(() => BufferPool.RetainedBytesLimit = -1);
    }

    [Fact]
    public void ArraysNotFromAPoolAreLeftToTheGc()
    {
        var before = BufferPool.RetainedBytes;
        BufferPool<Probe2>.Shared.Return(new Probe2[Large + 3]);
        Assert.Equal(before, BufferPool.RetainedBytes);
        // Arrays of the shared pool's sizes are accepted either way (the two pools hand out the same lengths).
        var shared = ArrayPool<Probe2>.Shared.Rent(Large);
        BufferPool<Probe2>.Shared.Return(shared);
        Assert.Same(shared, BufferPool<Probe2>.Shared.Rent(Large));
    }

    [Fact]
    public void ReturnedArraysOfReferencesAreCleared()
    {
        var a = BufferPool<string>.Shared.Rent(BufferPool.LargeBytes / IntPtr.Size);
        a[0] = "kept alive?";
        BufferPool<string>.Shared.Return(a);
        var b = BufferPool<string>.Shared.Rent(BufferPool.LargeBytes / IntPtr.Size);
        Assert.Null(b[0]);
        BufferPool<string>.Shared.Return(b);
        BufferPool<string>.Shared.Clear();
    }

    [Fact]
    public void NegativeLengthsAreRefused() => Assert.Throws<ArgumentOutOfRangeException>(() => BufferPool<byte>.Shared.Rent(-1));
}
