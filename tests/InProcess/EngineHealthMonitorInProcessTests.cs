using System.Collections.Concurrent;
using Gateway.Engines;
using Gateway.Server.Configuration;
using Gateway.Server.Engines;
using Gateway.Tests.Unit;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.InProcess;

/// <summary>
/// The health monitor's timer-driven loops over scripted engines, with real short intervals: every wait is for a
/// condition, bounded by a generous deadline; nothing asserts on elapsed time.
/// </summary>
public sealed class EngineHealthMonitorInProcessTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private static RegisteredEngine Register(IEngine engine, EngineHealthOptions health) =>
        new(new EngineOptions { Name = engine.Name, Health = health }, engine, TimeProvider.System);

    private static EngineHealthOptions Fast(int unhealthyAfter = 2, int healthyAfter = 1) => new()
    {
        Interval = TimeSpan.FromMilliseconds(50),
        Timeout = TimeSpan.FromSeconds(10),
        UnhealthyAfter = unhealthyAfter,
        HealthyAfter = healthyAfter,
    };

    /// <summary>Polls <paramref name="condition"/> until it holds; fails naming <paramref name="what"/> after the deadline.</summary>
    internal static Task UntilAsync(Func<bool> condition, string what) => UntilAsync(condition, () => what);

    /// <summary>The same, describing the state at the deadline.</summary>
    internal static async Task UntilAsync(Func<bool> condition, Func<string> what)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"Not within {Deadline.TotalSeconds} s: {what()}");
            await Task.Delay(20);
        }
    }

    private sealed class Monitor : IAsyncDisposable
    {
        public Monitor(params RegisteredEngine[] engines)
        {
            Registry = new EngineRegistry(engines, engines[0].Name);
            Service = new EngineHealthMonitor(Registry, TimeProvider.System, Logs);
        }

        public EngineRegistry Registry { get; }
        public EngineHealthMonitor Service { get; }
        public CollectingLogger<EngineHealthMonitor> Logs { get; } = new();

        public async Task<Monitor> StartAsync()
        {
            await Service.StartAsync(CancellationToken.None);
            return this;
        }

        public async ValueTask DisposeAsync()
        {
            await Service.StopAsync(CancellationToken.None);
            Service.Dispose();
        }
    }

    [Fact]
    public async Task ProbesTakeAnEngineOutAfterConsecutiveFailuresAndBackAfterConsecutiveSuccesses()
    {
        var engine = new ScriptedEngine("flaky");
        var registered = Register(engine, Fast(unhealthyAfter: 3, healthyAfter: 2));
        var changes = new ConcurrentQueue<EngineHealthChange>();
        registered.Health.Changed += changes.Enqueue;
        await using var monitor = await new Monitor(registered).StartAsync();

        await UntilAsync(() => registered.LastProbe is not null, "the first probe");
        Assert.True(registered.Healthy);
        Assert.StartsWith("ok", registered.HealthDetail, StringComparison.Ordinal);

        engine.Up = false;
        await UntilAsync(() => !registered.Healthy, "unhealthy once probes fail");
        Assert.Equal("connection refused", registered.HealthDetail);
        var down = Assert.Single(changes);
        Assert.Equal(new EngineHealthChange(false, "connection refused", 3, false), down);

        engine.Up = true;
        await UntilAsync(() => registered.Healthy, "healthy once probes succeed again");
        Assert.Equal(2, changes.Count);
        Assert.True(changes.Last() is { Healthy: true, Consecutive: 2 });

        // Transitions are logged with stable event ids: 500 (Warning) going down, 501 (Information) coming back.
        var logged = monitor.Logs.Entries.Where(e => e.Id.Id is 500 or 501).ToList();
        Assert.Equal([(500, LogLevel.Warning), (501, LogLevel.Information)], logged.Select(e => (e.Id.Id, e.Level)));
        Assert.Contains("Engine flaky is unhealthy after 3 failed probes: connection refused", logged[0].Message, StringComparison.Ordinal);
        Assert.Contains("Engine flaky is healthy again after 2 successful probes", logged[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AProbeBeyondItsTimeoutFailsAndTheNextNeverOverlapsIt()
    {
        // Ignores its token, like a remote call that must not be cut in half.
        var release = new TaskCompletionSource<EngineHealthReport>(TaskCreationOptions.RunContinuationsAsynchronously);
        var stuck = new ScriptedEngine("stuck") { Check = _ => release.Task };
        // Honours its token: each probe ends at the timeout.
        var slow = new ScriptedEngine("slow") { Check = async ct => { await Task.Delay(Timeout.Infinite, ct); return EngineHealthReport.Ok(TimeSpan.Zero); } };
        var fine = new ScriptedEngine("fine");
        var options = Fast() with { Timeout = TimeSpan.FromMilliseconds(100) };
        var (stuckEngine, slowEngine, fineEngine) = (Register(stuck, options), Register(slow, options), Register(fine, options));
        await using var monitor = await new Monitor(fineEngine, stuckEngine, slowEngine).StartAsync();

        await UntilAsync(() => !stuckEngine.Healthy, "the stuck engine unhealthy");
        await UntilAsync(() => stuckEngine.HealthDetail?.Contains("previous probe has not answered", StringComparison.Ordinal) == true, "a probe skipped while the first still runs");
        // Probes went on failing, but none started beside the one still running.
        Assert.Equal(1, stuck.Calls);
        Assert.Equal(1, stuck.MaxConcurrent);

        // Each canceled probe ends before the next starts, which gets a timeout of its own.
        await UntilAsync(() => !slowEngine.Healthy && slow.Calls >= 3 && slowEngine.HealthDetail == "timed out after 100 ms",
            () => $"the slow engine probed again after each timeout ({slow.Calls} calls, {slowEngine.HealthDetail})");
        Assert.Equal(1, slow.MaxConcurrent);

        // Meanwhile the other engine's loop was not held up.
        await UntilAsync(() => fine.Calls >= 5, "the healthy engine probed on schedule");
        Assert.True(fineEngine.Healthy);
        Assert.Equal(1, stuck.Calls);

        release.SetResult(EngineHealthReport.Ok(TimeSpan.FromSeconds(1)));
        await UntilAsync(() => stuckEngine.Healthy, "the stuck engine healthy once its probe answers");
        await UntilAsync(() => stuck.Calls >= 2, "probing resumed");
        Assert.Equal(1, stuck.MaxConcurrent);
    }

    [Fact]
    public async Task AReportedFailureBringsTheNextProbeForward()
    {
        var engine = new ScriptedEngine("remote");
        // Only the start-up probe would run within the test without a report.
        var registered = Register(engine, Fast() with { Interval = TimeSpan.FromHours(1) });
        var changes = new ConcurrentQueue<EngineHealthChange>();
        registered.Health.Changed += changes.Enqueue;
        await using var monitor = await new Monitor(registered).StartAsync();
        await UntilAsync(() => engine.Calls == 1 && registered.LastProbe is not null, "the start-up probe");

        engine.Up = false;
        registered.ReportFailure("connection to remote:10000 lost: reset by peer");
        await UntilAsync(() => !registered.Healthy, "unhealthy after the early probe");
        Assert.Equal(2, engine.Calls);
        Assert.Equal("connection refused", registered.HealthDetail);
        // The early probe decided it as the second failure in a row: the report counted as the first.
        Assert.Equal(new EngineHealthChange(false, "connection refused", 2, false), Assert.Single(changes));

        // Back up: another report (a statement still failing on a stale connection) asks for a probe, which recovers it.
        engine.Up = true;
        registered.ReportFailure("connection reset");
        await UntilAsync(() => registered.Healthy, "healthy after the next early probe");
        Assert.Equal(3, engine.Calls);
    }

    [Fact]
    public async Task AFailureOfTheLoopItselfIsLoggedAndProbingGoesOn()
    {
        var engine = new ScriptedEngine("buggy") { Up = false };
        var registered = Register(engine, Fast(unhealthyAfter: 1));
        registered.Health.Changed += _ => throw new InvalidOperationException("a subscriber's bug");
        await using var monitor = await new Monitor(registered).StartAsync();
        await UntilAsync(() => monitor.Logs.Entries.Any(e => e.Id.Id == 503), "the failure logged");
        var calls = engine.Calls;
        await UntilAsync(() => engine.Calls > calls + 1, "probes after the failure");
        Assert.False(monitor.Service.ExecuteTask!.IsCompleted);
        Assert.Equal(LogLevel.Error, monitor.Logs.Entries.First(e => e.Id.Id == 503).Level);
    }

    [Fact]
    public async Task StoppingEndsEveryLoopAndADisabledEngineIsNeverProbed()
    {
        var stuck = new ScriptedEngine("stuck") { Check = _ => new TaskCompletionSource<EngineHealthReport>().Task };
        var busy = new ScriptedEngine("busy");
        var off = new ScriptedEngine("off") { Up = false };
        var monitor = new Monitor(Register(busy, Fast()), Register(stuck, Fast()), Register(off, Fast() with { Enabled = false }));
        await monitor.StartAsync();
        await UntilAsync(() => busy.Calls >= 3 && stuck.Calls == 1, "probes running");

        await monitor.Service.StopAsync(CancellationToken.None).WaitAsync(Deadline);
        Assert.True(monitor.Service.ExecuteTask!.IsCompleted);
        Assert.Equal(0, off.Calls);
        Assert.True(monitor.Registry.Find("off")!.Healthy);
        Assert.Null(monitor.Registry.Find("off")!.LastProbe);
        monitor.Service.Dispose();
    }
}

/// <summary>Keeps what is logged, for assertions on event ids, levels and messages.</summary>
public sealed class CollectingLogger<T> : ILogger<T>
{
    public sealed record Entry(EventId Id, LogLevel Level, string Message);

    private readonly ConcurrentQueue<Entry> _entries = new();

    public IReadOnlyList<Entry> Entries => [.. _entries];

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        _entries.Enqueue(new Entry(eventId, logLevel, formatter(state, exception)));
}
