using Gateway.Engines;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gateway.Server.Engines;

/// <summary>
/// Probes every registered engine with Health:Enabled (the embedded one too) every Health:Interval, each engine in
/// its own loop: engines are probed concurrently, one engine's probes never overlap, a probe is bounded by
/// Health:Timeout, and a reported statement failure brings the next probe forward. Transitions are logged.
/// </summary>
public sealed partial class EngineHealthMonitor(EngineRegistry registry, TimeProvider time, ILogger<EngineHealthMonitor> logger) : BackgroundService
{
    /// <summary>An early probe (after a reported failure) waits at least this long, or the Interval if shorter, after the previous one started.</summary>
    internal static readonly TimeSpan MinEarlyProbeSpacing = TimeSpan.FromSeconds(1);

    private readonly List<(RegisteredEngine Engine, Action<EngineHealthChange> Handler)> _subscriptions = [];

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var engine in registry.All)
        {
            Action<EngineHealthChange> handler = change => LogChange(engine, change);
            engine.Health.Changed += handler;
            _subscriptions.Add((engine, handler));
        }
        return base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        foreach (var (engine, handler) in _subscriptions) engine.Health.Changed -= handler;
        _subscriptions.Clear();
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(registry.All.Where(e => e.Health.Options.Enabled).Select(e => Task.Run(() => RunAsync(e, stoppingToken), CancellationToken.None)));

    private async Task RunAsync(RegisteredEngine engine, CancellationToken stoppingToken)
    {
        var options = engine.Health.Options;
        Task? abandoned = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            var started = time.GetTimestamp();
            try
            {
                engine.Health.ClearProbeRequest();
                var (report, stillRunning) = await ProbeOnceAsync(engine, abandoned, stoppingToken).ConfigureAwait(false);
                abandoned = stillRunning;
                engine.Health.RecordProbe(report, time.GetUtcNow());
                LogProbe(logger, engine.Name, report.Healthy, report.Detail);
                await WaitForNextProbeAsync(engine, started, options.Interval, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // A bug here must not stop the host (a BackgroundService that fails does) nor this engine's probes.
                LogLoopFailed(logger, engine.Name, e);
                try
                {
                    await Task.Delay(options.Interval, time, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>
    /// One probe bounded by the Timeout. A probe that does not end in time is abandoned (its engine call may still
    /// finish in the background, e.g. a remote call that must not be cut in half); while it runs no new one starts.
    /// </summary>
    private async Task<(EngineHealthReport Report, Task? StillRunning)> ProbeOnceAsync(RegisteredEngine engine, Task? abandoned, CancellationToken stoppingToken)
    {
        var timeout = engine.Health.Options.Timeout;
        var started = time.GetTimestamp();
        if (abandoned is { IsCompleted: false })
        {
            // Its token is canceled; an engine that honours it ends soon. One that does not holds the next probe back.
            try
            {
                await abandoned.WaitAsync(timeout, time, stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // Its outcome no longer matters; only whether it has ended.
            }
            if (!abandoned.IsCompleted)
            {
                return (EngineHealthReport.Failed($"the previous probe has not answered (timed out after {Seconds(timeout)})", time.GetElapsedTime(started)), abandoned);
            }
            started = time.GetTimestamp();
        }
        using var deadline = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, deadline.Token);
        Task<EngineHealthReport> probe;
        try
        {
            probe = engine.Engine.CheckHealthAsync(linked.Token).AsTask();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return (EngineHealthReport.Failed($"the health check failed: {e.Message}", time.GetElapsedTime(started)), null);
        }
        try
        {
            // WaitAsync: an engine that ignores the token is still not waited for beyond the Timeout.
            return (await probe.WaitAsync(timeout, time, stoppingToken).ConfigureAwait(false), null);
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested && e is TimeoutException or OperationCanceledException)
        {
            // WaitAsync may give up just before the deadline source fires: cancel it now, since disposing it would not.
            await linked.CancelAsync().ConfigureAwait(false);
            Observe(probe);
            return (EngineHealthReport.Failed($"timed out after {Seconds(timeout)}", time.GetElapsedTime(started)), probe.IsCompleted ? null : probe);
        }
        catch (OperationCanceledException)
        {
            // Shutting down; the probe ends with the canceled token.
            Observe(probe);
            throw;
        }
        catch (Exception e)
        {
            return (EngineHealthReport.Failed($"the health check failed: {e.Message}", time.GetElapsedTime(started)), null);
        }
    }

    /// <summary>A probe no one awaits any more must not leave an unobserved exception behind.</summary>
    private static void Observe(Task probe) =>
        _ = probe.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    /// <summary>Until Interval after the last probe started, or an early probe is asked for (but not sooner than the minimum spacing).</summary>
    private async Task WaitForNextProbeAsync(RegisteredEngine engine, long started, TimeSpan interval, CancellationToken stoppingToken)
    {
        var untilNext = interval - time.GetElapsedTime(started);
        if (untilNext <= TimeSpan.Zero) return;
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var due = Task.Delay(untilNext, time, wait.Token);
        var first = await Task.WhenAny(due, engine.Health.ProbeRequested).ConfigureAwait(false);
        await wait.CancelAsync().ConfigureAwait(false);
        stoppingToken.ThrowIfCancellationRequested();
        if (first == due) return;
        var spacing = (interval < MinEarlyProbeSpacing ? interval : MinEarlyProbeSpacing) - time.GetElapsedTime(started);
        if (spacing > TimeSpan.Zero) await Task.Delay(spacing, time, stoppingToken).ConfigureAwait(false);
    }

    private void LogChange(RegisteredEngine engine, EngineHealthChange change)
    {
        var what = change.Reported ? "failed statements and probes" : "probes";
        if (change.Healthy) LogRecovered(logger, engine.Name, change.Consecutive, change.Detail);
        else LogUnhealthy(logger, engine.Name, change.Consecutive, what, change.Detail);
    }

    private static string Seconds(TimeSpan t) => t.TotalSeconds >= 1
        ? $"{t.TotalSeconds.ToString("0.#", System.Globalization.CultureInfo.InvariantCulture)} s"
        : EngineHealthReport.Milliseconds(t);

    [LoggerMessage(EventId = 500, Level = LogLevel.Warning, Message = "Engine {Engine} is unhealthy after {Count} failed {What}: {Detail}")]
    private static partial void LogUnhealthy(ILogger logger, string engine, int count, string what, string detail);

    [LoggerMessage(EventId = 501, Level = LogLevel.Information, Message = "Engine {Engine} is healthy again after {Count} successful probes: {Detail}")]
    private static partial void LogRecovered(ILogger logger, string engine, int count, string detail);

    [LoggerMessage(EventId = 502, Level = LogLevel.Debug, Message = "Engine {Engine} probe: healthy={Healthy}, {Detail}")]
    private static partial void LogProbe(ILogger logger, string engine, bool healthy, string detail);

    [LoggerMessage(EventId = 503, Level = LogLevel.Error, Message = "Probing engine {Engine} failed unexpectedly; trying again after the interval")]
    private static partial void LogLoopFailed(ILogger logger, string engine, Exception exception);
}
