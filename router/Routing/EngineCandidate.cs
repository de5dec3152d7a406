using Gateway.Engines;
using Gateway.Protocol.Sql;

namespace Gateway.Router.Routing;

/// <summary>What an engine can run.</summary>
public sealed record EngineCapabilities
{
    public bool CanWrite { get; init; } = true;

    /// <summary>Catalog globs this engine may write to; null means every catalog it can see (when <see cref="CanWrite"/>).</summary>
    public IReadOnlyList<string>? WritableCatalogs { get; init; }

    /// <summary>Runs continuous (streaming) statements.</summary>
    public bool Streaming { get; init; }

    /// <summary>Runs bounded (batch/interactive) statements; false for a streaming-only engine.</summary>
    public bool Batch { get; init; } = true;

    /// <summary>
    /// Statement dialects it accepts (its own and those its adapter translates), by <see cref="Sql.SqlDialect"/> name;
    /// empty accepts any.
    /// </summary>
    public IReadOnlyList<string> Dialects { get; init; } = [];
}

/// <summary>The parameters of an engine's cost estimate. Tune them from observed query times (docs/routing.md).</summary>
public sealed record EngineCostParameters
{
    /// <summary>Paid when the engine is not started (scaled to zero): a Spark application or cluster coming up.</summary>
    public TimeSpan StartupLatency { get; init; }

    /// <summary>Fixed cost of any statement: planning, scheduling, result set-up.</summary>
    public TimeSpan PerQueryOverhead { get; init; }

    /// <summary>Bytes of table data scanned per second by the whole engine.</summary>
    public double ScanBytesPerSecond { get; init; } = 200_000_000;

    /// <summary>Cost per data file opened (listing, footers); matters for engines slow on many small files.</summary>
    public TimeSpan PerFileOverhead { get; init; }

    /// <summary>How long a typical statement holds a slot, for the wait behind queued statements.</summary>
    public TimeSpan AverageQueryTime { get; init; } = TimeSpan.FromSeconds(10);
}

/// <summary>Live load, as last reported by the engine or counted by the gateway.</summary>
public sealed record EngineLoad
{
    public static EngineLoad Idle { get; } = new();

    public int Running { get; init; }
    public int Queued { get; init; }

    /// <summary>Statements that run at once; null is unlimited (no queueing).</summary>
    public int? MaxConcurrent { get; init; }

    /// <summary>Statements that may wait; null is unlimited. Full slots and a full queue make the engine saturated.</summary>
    public int? MaxQueued { get; init; }

    /// <summary>False while the engine is scaled to zero: <see cref="EngineCostParameters.StartupLatency"/> is paid.</summary>
    public bool Started { get; init; } = true;

    public bool IsSaturated => MaxConcurrent is { } max && Running >= max && MaxQueued is { } maxQueued && Queued >= maxQueued;
}

/// <summary>
/// The static routing description of an engine, as configured (<c>Gateway:Engines:&lt;name&gt;:Routing</c>); the gateway
/// adds live load and health to make an <see cref="EngineCandidate"/>.
/// </summary>
public sealed record EngineRoutingProfile
{
    /// <summary>
    /// Position among the candidates, which breaks cost ties and picks "the first engine of a kind": the gateway passes
    /// candidates sorted by (Order, name). Needed because configuration sections keyed by name come back sorted by name.
    /// </summary>
    public int Order { get; init; }

    /// <summary>Groups rules can target (<c>"EngineGroup": "interactive"</c>).</summary>
    public IReadOnlyList<string> Groups { get; init; } = [];

    /// <summary>
    /// What it can see: globs of <c>catalog</c> or <c>catalog.schema</c> (<c>lake</c>, <c>lake.*</c>, <c>pg.public</c>,
    /// <c>*.default</c>); null sees everything. Catalog statistics (<see cref="TableStats.VisibleTo"/>) narrow it further.
    /// </summary>
    public IReadOnlyList<string>? Visibility { get; init; }

    public EngineCapabilities Capabilities { get; init; } = new();
    public EngineCostParameters Cost { get; init; } = new();
}

/// <summary>One engine as the router sees it for one decision: identity, profile, load and health.</summary>
public sealed record EngineCandidate
{
    public required string Name { get; init; }
    public EngineKind Kind { get; init; }
    public IReadOnlyList<string> Groups { get; init; } = [];
    public IReadOnlyList<string>? Visibility { get; init; }
    public EngineCapabilities Capabilities { get; init; } = new();
    public EngineCostParameters Cost { get; init; } = new();
    public EngineLoad Load { get; init; } = EngineLoad.Idle;
    public bool Healthy { get; init; } = true;

    /// <summary>Why it is unhealthy, for the decision's reasons.</summary>
    public string? HealthDetail { get; init; }

    public static EngineCandidate Create(string name, EngineKind kind, EngineRoutingProfile? profile, EngineLoad? load = null, bool healthy = true, string? healthDetail = null)
    {
        profile ??= new EngineRoutingProfile();
        return new EngineCandidate
        {
            Name = name,
            Kind = kind,
            Groups = profile.Groups,
            Visibility = profile.Visibility,
            Capabilities = profile.Capabilities,
            Cost = profile.Cost,
            Load = load ?? EngineLoad.Idle,
            Healthy = healthy,
            HealthDetail = healthDetail,
        };
    }

    public bool InGroup(string group) => Groups.Any(g => g.Equals(group, StringComparison.OrdinalIgnoreCase));
}
