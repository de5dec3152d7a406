using Gateway.Engines.DuckDb;

namespace Gateway.Tests.Unit;

public class DuckDbSessionWorkerUnitTests
{
    [Fact]
    public async Task WorkRunsInOrderOnOneThreadThatIsNotAPoolThread()
    {
        using var worker = new SessionWorker("test");
        var order = new List<int>();
        var threads = new HashSet<int>();
        var tasks = Enumerable.Range(0, 20).Select(i => worker.RunAsync(() =>
        {
            order.Add(i);
            threads.Add(Environment.CurrentManagedThreadId);
            Assert.False(Thread.CurrentThread.IsThreadPoolThread);
            return i;
        }, CancellationToken.None)).ToList();
        Assert.Equal(Enumerable.Range(0, 20), await Task.WhenAll(tasks));
        Assert.Equal(Enumerable.Range(0, 20), order);
        Assert.Single(threads);
        Assert.Equal(1, worker.ThreadsStarted);
    }

    [Fact]
    public async Task AnIdleThreadExitsAndARestartedOneTakesOver()
    {
        using var worker = new SessionWorker("test", TimeSpan.FromMilliseconds(50));
        var first = await worker.RunAsync(() => Thread.CurrentThread, CancellationToken.None);
        // Joining proves the thread ended by itself once idle.
        Assert.True(first.Join(TimeSpan.FromSeconds(30)));
        Assert.Equal(42, await worker.RunAsync(() => 42, CancellationToken.None));
        Assert.Equal(2, worker.ThreadsStarted);
    }

    [Fact]
    public async Task ErrorsAndCancellationReachTheCaller()
    {
        using var worker = new SessionWorker("test");
        await Assert.ThrowsAsync<InvalidOperationException>(() => worker.RunAsync<int>(() => throw new InvalidOperationException("boom"), CancellationToken.None));
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var ran = false;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => worker.RunAsync(() => ran = true, cts.Token));
        Assert.False(ran);
    }

    [Fact]
    public async Task DisposedWorkersFinishQueuedWorkAndRefuseNewWork()
    {
        var worker = new SessionWorker("test");
        using var gate = new ManualResetEventSlim();
        var blocked = worker.RunAsync(() => gate.Wait(TimeSpan.FromSeconds(30)), CancellationToken.None);
        var queued = worker.RunAsync(() => 7, CancellationToken.None);
        worker.Dispose();
        Assert.Throws<ObjectDisposedException>(() => { _ = worker.RunAsync(() => 8, CancellationToken.None); });
        gate.Set();
        Assert.True(await blocked);
        Assert.Equal(7, await queued);
    }
}
