using Gateway.Engines;
using Gateway.Server.Configuration;

namespace Gateway.Server.Engines;

/// <summary>A transition of one engine's health: what it is now and the outcome that decided it.</summary>
/// <param name="Healthy">The new state.</param>
/// <param name="Detail">The deciding probe's detail, or the reported failure.</param>
/// <param name="Consecutive">How many outcomes in a row agreed (the threshold that was reached).</param>
/// <param name="Reported">A statement failure reported by the gateway decided it, not a probe.</param>
public readonly record struct EngineHealthChange(bool Healthy, string Detail, int Consecutive, bool Reported);

/// <summary>
/// The health of one engine, fed by probes (<see cref="RecordProbe"/>) and statement failures
/// (<see cref="RecordFailure"/>). Starts healthy: an engine is routable before its first probe, and the first probe
/// runs as soon as the gateway starts. UnhealthyAfter consecutive failures make it unhealthy, HealthyAfter
/// consecutive successful probes healthy again; any outcome of the other kind resets the count. A reported failure
/// also asks for an early probe. Thread-safe.
/// </summary>
public sealed class EngineHealth
{
    private readonly Lock _gate = new();
    private TaskCompletionSource _probeRequest = NewRequest();
    private bool _healthy = true;
    private string? _detail;
    private string? _cause;
    private DateTimeOffset? _lastProbe;
    private int _failures;
    private int _successes;

    public EngineHealth(EngineHealthOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
    }

    public EngineHealthOptions Options { get; }

    public bool Healthy
    {
        get { lock (_gate) return _healthy; }
    }

    /// <summary>The last outcome, with progress towards a transition when it disagrees with the state; null before any.</summary>
    public string? Detail
    {
        get { lock (_gate) return _detail; }
    }

    /// <summary>When the last probe finished; null before the first.</summary>
    public DateTimeOffset? LastProbe
    {
        get { lock (_gate) return _lastProbe; }
    }

    public int ConsecutiveFailures
    {
        get { lock (_gate) return _failures; }
    }

    public int ConsecutiveSuccesses
    {
        get { lock (_gate) return _successes; }
    }

    /// <summary>Raised after each transition, outside the lock, on the thread that recorded the deciding outcome.</summary>
    public event Action<EngineHealthChange>? Changed;

    /// <summary>Completes when a reported failure asks for a probe before the interval is over.</summary>
    internal Task ProbeRequested
    {
        get { lock (_gate) return _probeRequest.Task; }
    }

    /// <summary>Called as a probe starts: requests made from now on ask for the probe after it.</summary>
    internal void ClearProbeRequest()
    {
        lock (_gate)
        {
            if (_probeRequest.Task.IsCompleted) _probeRequest = NewRequest();
        }
    }

    public void RecordProbe(EngineHealthReport report, DateTimeOffset finishedAt)
    {
        ArgumentNullException.ThrowIfNull(report);
        EngineHealthChange? change;
        lock (_gate)
        {
            _lastProbe = finishedAt;
            change = report.Healthy ? SucceededLocked(report.Detail) : FailedLocked(report.Detail, reported: false);
        }
        if (change is { } c) Changed?.Invoke(c);
    }

    /// <summary>A statement failed with a connection-level error: counts as a failed probe and asks for an early probe.</summary>
    public void RecordFailure(string detail)
    {
        if (!Options.Enabled) return;
        EngineHealthChange? change;
        lock (_gate)
        {
            change = FailedLocked(string.IsNullOrWhiteSpace(detail) ? "a statement failed" : detail, reported: true);
            _probeRequest.TrySetResult();
        }
        if (change is { } c) Changed?.Invoke(c);
    }

    private EngineHealthChange? SucceededLocked(string detail)
    {
        _failures = 0;
        _successes++;
        if (_healthy)
        {
            _detail = detail;
            return null;
        }
        if (_successes >= Options.HealthyAfter)
        {
            _healthy = true;
            _detail = detail;
            _cause = null;
            return new EngineHealthChange(true, detail, _successes, false);
        }
        _detail = $"{_cause}; recovering: {detail} ({_successes} of {Options.HealthyAfter} probes)";
        return null;
    }

    private EngineHealthChange? FailedLocked(string detail, bool reported)
    {
        _successes = 0;
        _failures++;
        if (!_healthy)
        {
            _detail = _cause = detail;
            return null;
        }
        if (_failures >= Options.UnhealthyAfter)
        {
            _healthy = false;
            _detail = _cause = detail;
            return new EngineHealthChange(false, detail, _failures, reported);
        }
        _detail = $"{detail} ({_failures} of {Options.UnhealthyAfter} failures)";
        return null;
    }

    private static TaskCompletionSource NewRequest() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// A statement failure that says something about the engine rather than the statement: retryable (the link or
    /// the server failed), except serialization failures and deadlocks (class 40), which are about the transaction.
    /// </summary>
    public static bool IsConnectionFailure(EngineException exception) =>
        exception is { Retryable: true } && !exception.SqlState.StartsWith("40", StringComparison.Ordinal);
}
