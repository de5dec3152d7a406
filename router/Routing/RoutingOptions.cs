using Gateway.Protocol.Sql;
namespace Gateway.Router.Routing;

/// <summary>The <c>Gateway:Routing</c> section: an immutable snapshot, validated by <see cref="RoutingOptionsValidator"/>.</summary>
public sealed record RoutingOptions
{
    /// <summary>The dialect statements are analysed in when the session does not say (a <see cref="Sql.SqlDialect"/> preset name).</summary>
    public string Dialect { get; init; } = "spark";

    /// <summary>Evaluated by ascending <see cref="RoutingRule.Priority"/> (then list order) before the cost model; the first match wins.</summary>
    public IReadOnlyList<RoutingRule> Rules { get; init; } = [];

    public CostModelOptions Cost { get; init; } = new();
    public RoutingOverrideOptions Overrides { get; init; } = new();

    /// <summary>What happens when the chosen engine fails before returning anything.</summary>
    public FailoverOptions Failover { get; init; } = new();

    /// <summary>
    /// Longest wait for catalog statistics per statement; a table whose statistics are not back by then counts as
    /// unknown for this decision (the lookup goes on and fills the cache for the next one).
    /// </summary>
    public TimeSpan StatisticsTimeout { get; init; } = TimeSpan.FromSeconds(2);
}

/// <summary>
/// Failover: when the chosen engine fails a statement before any row reached the client, with an error the engine
/// marks retryable (it could not be reached, its session broke) or because it is saturated, the statement runs on the
/// next engine of <see cref="RoutingDecision.Failover"/>.
/// </summary>
public sealed record FailoverOptions
{
    public bool Enabled { get; init; } = true;

    /// <summary>Further engines tried after the first one fails (0 disables failover).</summary>
    public int MaxAttempts { get; init; } = 2;

    /// <summary>
    /// Also fail over writes whose statement may already have reached the engine. Off by default: a connection lost
    /// after an INSERT was sent may have committed it, and running it again elsewhere would write twice. Writes that
    /// failed before reaching the engine (it could not be connected to) always fail over.
    /// </summary>
    public bool Writes { get; init; }

    /// <summary>Also fail over statements whose engine the user chose (hint, <c>gateway.engine</c>, <c>kyuubi.engine.type</c>).</summary>
    public bool ExplicitChoices { get; init; }
}

/// <summary>Which explicit engine choices users may make.</summary>
public sealed record RoutingOverrideOptions
{
    /// <summary>Honour <c>/*+ ENGINE(name) */</c>.</summary>
    public bool AllowHints { get; init; } = true;

    /// <summary>Honour the session key <see cref="SessionEngineKey"/> (an engine name, or a kind such as TRINO).</summary>
    public bool AllowSessionEngine { get; init; } = true;

    public string SessionEngineKey { get; init; } = "gateway.engine";

    /// <summary>Honour Kyuubi's <c>kyuubi.engine.type</c> (SPARK_SQL, TRINO, FLINK_SQL, HIVE_SQL, JDBC): the first healthy engine of that kind.</summary>
    public bool AllowKyuubiEngineType { get; init; } = true;
}

/// <summary>Defaults of the cost model where catalogs know nothing.</summary>
public sealed record CostModelOptions
{
    /// <summary>Assumed size of a table or path without statistics (1 GiB): large enough that unknown data avoids the smallest engines.</summary>
    public long DefaultScanBytes { get; init; } = 1L << 30;

    /// <summary>Assumed size of a table function without statistics (range(), generate_series()): zero.</summary>
    public long DefaultFunctionScanBytes { get; init; }

    /// <summary>Bytes per row when a catalog knows rows but not bytes; 0 treats such a table as unknown.</summary>
    public long AssumedRowBytes { get; init; } = 100;

    /// <summary>Statistics older than this (by <see cref="TableStats.Freshness"/>) count as unknown; null trusts any age.</summary>
    public TimeSpan? StatsMaxAge { get; init; }
}
