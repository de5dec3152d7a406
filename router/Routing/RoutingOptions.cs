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
