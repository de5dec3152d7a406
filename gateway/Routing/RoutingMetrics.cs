using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Gateway.Server.Routing;

/// <summary>
/// Routing counters: decisions per engine and deciding step, failovers per engine pair. Published as the .NET meter
/// <c>Gateway.Routing</c> (<c>gateway.routing.decisions</c> with tags <c>engine</c>, <c>decided_by</c>;
/// <c>gateway.routing.failovers</c> with <c>from</c>, <c>to</c>, <c>reason</c>) and kept as totals for the control plane.
/// </summary>
public sealed class RoutingMetrics : IDisposable
{
    public const string MeterName = "Gateway.Routing";

    private readonly Meter _meter;

    /// <summary>This instance's meter (every gateway in a process has its own, under <see cref="MeterName"/>).</summary>
    public Meter Meter => _meter;
    private readonly Counter<long> _decisions;
    private readonly Counter<long> _failovers;
    private readonly ConcurrentDictionary<(string Engine, string DecidedBy), long> _decisionTotals = new();
    private readonly ConcurrentDictionary<(string From, string To), long> _failoverTotals = new();

    public RoutingMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _decisions = _meter.CreateCounter<long>("gateway.routing.decisions", unit: "{statement}", description: "Routing decisions, by chosen engine and deciding step.");
        _failovers = _meter.CreateCounter<long>("gateway.routing.failovers", unit: "{statement}", description: "Statements moved to another engine after a failure before their first row.");
    }

    /// <param name="decidedBy">The deciding step, without a rule's number: override, hint, rule, cost, fallback, explain.</param>
    public void Decision(string engine, string decidedBy)
    {
        _decisions.Add(1, new KeyValuePair<string, object?>("engine", engine), new KeyValuePair<string, object?>("decided_by", decidedBy));
        _decisionTotals.AddOrUpdate((engine, decidedBy), 1, (_, n) => n + 1);
    }

    public void Failover(string from, string to, string reason)
    {
        _failovers.Add(1, new KeyValuePair<string, object?>("from", from), new KeyValuePair<string, object?>("to", to), new KeyValuePair<string, object?>("reason", reason));
        _failoverTotals.AddOrUpdate((from, to), 1, (_, n) => n + 1);
    }

    /// <summary>Decisions so far, by (engine, deciding step).</summary>
    public IReadOnlyDictionary<(string Engine, string DecidedBy), long> Decisions => new Dictionary<(string, string), long>(_decisionTotals);

    /// <summary>Failovers so far, by (from, to).</summary>
    public IReadOnlyDictionary<(string From, string To), long> Failovers => new Dictionary<(string, string), long>(_failoverTotals);

    public void Dispose() => _meter.Dispose();
}
