using Gateway.Router.Sql;

namespace Gateway.Router.Routing;

/// <summary>What a catalog knows about one referenced table (or file source); every field may be unknown.</summary>
public sealed record TableStats
{
    public long? Rows { get; init; }
    public long? Bytes { get; init; }
    public long? Files { get; init; }

    /// <summary>When these numbers were last known true (the snapshot or statistics time); older than <see cref="CostModelOptions.StatsMaxAge"/> counts as unknown.</summary>
    public DateTimeOffset? Freshness { get; init; }

    /// <summary>Engines that can read this table, by name; null puts no constraint (engine visibility still applies).</summary>
    public IReadOnlyCollection<string>? VisibleTo { get; init; }

    /// <summary>Where the catalog resolved the name (an unqualified name against the session's database), when it did.</summary>
    public string? Catalog { get; init; }

    public string? Schema { get; init; }

    /// <summary>The table is an unbounded stream (a Kafka topic, a CDC source): statements over it are streaming.</summary>
    public bool IsStream { get; init; }
}

/// <summary>
/// Statistics for a reference, or null when unknown. Called once per distinct table, function or path source;
/// an exception counts as unknown. It must not block: serve it from a cache the catalog refreshes.
/// </summary>
public delegate TableStats? TableStatsLookup(TableReference table);
