using Gateway.Engines;
using Gateway.Server.Configuration;
using Gateway.Server.Engines;
using Gateway.Server.Hosting;
using Microsoft.Extensions.Configuration;

namespace Gateway.Tests.Unit;

/// <summary>The engine health state machine: consecutive counts, reported failures, recovery; Health options.</summary>
public sealed class EngineHealthUnitTests
{
    private static readonly DateTimeOffset T0 = new(2024, 2, 29, 12, 0, 0, TimeSpan.Zero);

    private static EngineHealthReport Ok => EngineHealthReport.Ok(TimeSpan.FromMilliseconds(3));

    private static EngineHealthReport Down(string detail = "connection refused") => EngineHealthReport.Failed(detail, TimeSpan.FromMilliseconds(1));

    private static (EngineHealth Health, List<EngineHealthChange> Changes) Create(int unhealthyAfter = 2, int healthyAfter = 1, bool enabled = true)
    {
        var health = new EngineHealth(new EngineHealthOptions { UnhealthyAfter = unhealthyAfter, HealthyAfter = healthyAfter, Enabled = enabled });
        var changes = new List<EngineHealthChange>();
        health.Changed += changes.Add;
        return (health, changes);
    }

    [Fact]
    public void AnEngineStartsHealthyWithNothingProbedYet()
    {
        var (health, changes) = Create();
        Assert.True(health.Healthy);
        Assert.Null(health.Detail);
        Assert.Null(health.LastProbe);
        Assert.Empty(changes);
    }

    [Fact]
    public void ConsecutiveFailedProbesUpToTheThresholdMakeItUnhealthyOnce()
    {
        var (health, changes) = Create(unhealthyAfter: 3);
        health.RecordProbe(Ok, T0);
        Assert.Equal("ok, 3 ms", health.Detail);
        Assert.Equal(T0, health.LastProbe);

        health.RecordProbe(Down(), T0.AddSeconds(10));
        health.RecordProbe(Down(), T0.AddSeconds(20));
        Assert.True(health.Healthy);
        Assert.Equal("connection refused (2 of 3 failures)", health.Detail);
        Assert.Empty(changes);

        health.RecordProbe(Down("timed out after 5 s"), T0.AddSeconds(30));
        Assert.False(health.Healthy);
        Assert.Equal("timed out after 5 s", health.Detail);
        Assert.Equal(T0.AddSeconds(30), health.LastProbe);
        Assert.Equal([new EngineHealthChange(false, "timed out after 5 s", 3, false)], changes);

        // Further failures keep it unhealthy with the latest reason, and are no new transition.
        health.RecordProbe(Down("connection refused"), T0.AddSeconds(40));
        Assert.Equal("connection refused", health.Detail);
        Assert.Single(changes);
    }

    [Fact]
    public void ASuccessBetweenFailuresResetsTheCount()
    {
        var (health, changes) = Create(unhealthyAfter: 2);
        health.RecordProbe(Down(), T0);
        health.RecordProbe(Ok, T0);
        health.RecordProbe(Down(), T0);
        Assert.True(health.Healthy);
        Assert.Equal(1, health.ConsecutiveFailures);
        health.RecordProbe(Down(), T0);
        Assert.False(health.Healthy);
        Assert.Single(changes);
    }

    [Fact]
    public void RecoveryNeedsHealthyAfterSuccessesInARow()
    {
        var (health, changes) = Create(unhealthyAfter: 1, healthyAfter: 2);
        health.RecordProbe(Down(), T0);
        Assert.False(health.Healthy);

        health.RecordProbe(Ok, T0);
        Assert.False(health.Healthy);
        Assert.Equal("connection refused; recovering: ok, 3 ms (1 of 2 probes)", health.Detail);
        // A failure in between starts the count again.
        health.RecordProbe(Down("reset by peer"), T0);
        health.RecordProbe(Ok, T0);
        Assert.False(health.Healthy);
        Assert.Equal(1, health.ConsecutiveSuccesses);
        health.RecordProbe(Ok, T0);
        Assert.True(health.Healthy);
        Assert.Equal("ok, 3 ms", health.Detail);
        Assert.Equal([new EngineHealthChange(false, "connection refused", 1, false), new EngineHealthChange(true, "ok, 3 ms", 2, false)], changes);
    }

    [Fact]
    public void AReportedFailureCountsLikeAFailedProbeAndAsksForAnEarlyProbe()
    {
        var (health, changes) = Create(unhealthyAfter: 2);
        Assert.False(health.ProbeRequested.IsCompleted);

        health.RecordFailure("connection to remote:10000 lost: reset");
        Assert.True(health.Healthy);
        Assert.Equal("connection to remote:10000 lost: reset (1 of 2 failures)", health.Detail);
        Assert.True(health.ProbeRequested.IsCompleted);
        // Not a probe: LastProbe stays unset.
        Assert.Null(health.LastProbe);

        // A probe starting consumes the request; the next report asks again.
        health.ClearProbeRequest();
        Assert.False(health.ProbeRequested.IsCompleted);
        health.RecordFailure("connection refused");
        Assert.True(health.ProbeRequested.IsCompleted);
        Assert.False(health.Healthy);
        Assert.Equal([new EngineHealthChange(false, "connection refused", 2, true)], changes);

        // Reports and probes count together, and a probe is what brings it back.
        health.RecordProbe(Ok, T0);
        Assert.True(health.Healthy);
    }

    [Fact]
    public void AReportedFailureMixesWithFailedProbes()
    {
        var (health, changes) = Create(unhealthyAfter: 2);
        health.RecordProbe(Down("timed out after 5 s"), T0);
        health.RecordFailure("connection reset");
        Assert.False(health.Healthy);
        Assert.True(changes.Single().Reported);
    }

    [Fact]
    public void WithHealthDisabledReportsAreIgnored()
    {
        var (health, changes) = Create(unhealthyAfter: 1, enabled: false);
        health.RecordFailure("connection refused");
        health.RecordFailure("connection refused");
        Assert.True(health.Healthy);
        Assert.Null(health.Detail);
        Assert.False(health.ProbeRequested.IsCompleted);
        Assert.Empty(changes);
    }

    [Fact]
    public void RegisteredEngineExposesItsHealth()
    {
        var registered = new RegisteredEngine(new EngineOptions { Name = "x", Health = new EngineHealthOptions { UnhealthyAfter = 1 } }, new ScriptedEngine("x"), TimeProvider.System);
        Assert.True(registered.Healthy);
        Assert.Null(registered.LastProbe);
        registered.ReportFailure("connection refused");
        Assert.False(registered.Healthy);
        Assert.Equal("connection refused", registered.HealthDetail);
        Assert.True(registered.Health.ProbeRequested.IsCompleted);
        registered.Health.RecordProbe(Ok, T0);
        Assert.True(registered.Healthy);
        Assert.Equal(T0, registered.LastProbe);
    }

    [Theory]
    [InlineData("08S01", true, true)]
    [InlineData("08001", true, true)]
    [InlineData("57P01", true, true)]
    [InlineData("40001", true, false)]
    [InlineData("40P01", true, false)]
    [InlineData("42S02", false, false)]
    [InlineData("08001", false, false)]
    public void OnlyRetryableFailuresOutsideTransactionsSayTheEngineIsDown(string sqlState, bool retryable, bool expected) =>
        Assert.Equal(expected, EngineHealth.IsConnectionFailure(new EngineException("x", sqlState, 0, retryable)));

    [Fact]
    public void ReportsDescribeLatencyBriefly()
    {
        Assert.Equal("ok, 3 ms", EngineHealthReport.Ok(TimeSpan.FromMilliseconds(3.4)).Detail);
        Assert.Equal("ok, 0.4 ms", EngineHealthReport.Ok(TimeSpan.FromMicroseconds(420)).Detail);
        Assert.Equal("ok (Spark SQL), 1200 ms", EngineHealthReport.Ok(TimeSpan.FromMilliseconds(1200), "Spark SQL").Detail);
        Assert.False(EngineHealthReport.Failed("down", TimeSpan.Zero).Healthy);
    }

    [Fact]
    public void HealthOptionsBindWithDefaultsAndAreValidated()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Gateway:Engines:0:Name"] = "scratch",
            ["Gateway:Engines:0:Kind"] = "DuckDb",
            ["Gateway:Engines:0:Health:Interval"] = "00:00:30",
            ["Gateway:Engines:0:Health:UnhealthyAfter"] = "3",
            ["Gateway:Engines:1:Name"] = "quiet",
            ["Gateway:Engines:1:Kind"] = "DuckDb",
            ["Gateway:Engines:1:Health:Enabled"] = "false",
        }).Build();
        var options = GatewayHost.LoadOptions(config);
        var health = options.Engines[0].Health;
        Assert.Equal(TimeSpan.FromSeconds(30), health.Interval);
        Assert.Equal(3, health.UnhealthyAfter);
        Assert.Equal(TimeSpan.FromSeconds(5), health.Timeout);
        Assert.Equal(1, health.HealthyAfter);
        Assert.True(health.Enabled);
        Assert.False(options.Engines[1].Health.Enabled);
        Assert.Equal(TimeSpan.FromSeconds(10), options.Engines[1].Health.Interval);

        var bad = new GatewayOptions
        {
            Engines = [new EngineOptions { Name = "scratch", Health = new EngineHealthOptions { Interval = TimeSpan.Zero, Timeout = TimeSpan.FromSeconds(-1), UnhealthyAfter = 0, HealthyAfter = 0 } }],
        };
        var errors = GatewayOptionsValidation.Validate(bad);
        Assert.Contains("Gateway:Engines:0:Health:Interval must be positive.", errors);
        Assert.Contains("Gateway:Engines:0:Health:Timeout must be positive.", errors);
        Assert.Contains("Gateway:Engines:0:Health:UnhealthyAfter must be at least 1.", errors);
        Assert.Contains("Gateway:Engines:0:Health:HealthyAfter must be at least 1.", errors);
    }
}

/// <summary>
/// An engine that only answers health checks, as the test scripts it: up or down, or through <see cref="Check"/>.
/// Counts calls and the most that ran at once.
/// </summary>
public sealed class ScriptedEngine(string name) : IEngine
{
    private int _calls;
    private int _running;
    private int _maxRunning;

    public string Name => name;

    public EngineKind Kind => EngineKind.DuckDb;

    public volatile bool Up = true;

    /// <summary>Replaces the up/down answer when set.</summary>
    public Func<CancellationToken, Task<EngineHealthReport>>? Check { get; set; }

    public int Calls => Volatile.Read(ref _calls);

    public int MaxConcurrent => Volatile.Read(ref _maxRunning);

    public async ValueTask<EngineHealthReport> CheckHealthAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        var running = Interlocked.Increment(ref _running);
        for (var max = _maxRunning; running > max; max = _maxRunning)
        {
            if (Interlocked.CompareExchange(ref _maxRunning, running, max) == max) break;
        }
        try
        {
            if (Check is { } check) return await check(cancellationToken);
            return Up ? EngineHealthReport.Ok(TimeSpan.FromMilliseconds(1)) : EngineHealthReport.Failed("connection refused", TimeSpan.FromMilliseconds(1));
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }
    }

    public ValueTask<IEngineSession> OpenSessionAsync(EngineSessionOptions options, CancellationToken cancellationToken) =>
        throw new NotSupportedException("The scripted engine only answers health checks.");

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
