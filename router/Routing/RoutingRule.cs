namespace Gateway.Router.Routing;

/// <summary>
/// "Statements matching <see cref="Match"/> go to <see cref="Engine"/> (or the cheapest eligible engine of
/// <see cref="EngineGroup"/>)". Exactly one target is set.
/// </summary>
public sealed record RoutingRule
{
    public string Name { get; init; } = "";

    /// <summary>Lower runs first; equal priorities keep list order.</summary>
    public int Priority { get; init; }

    public RuleMatch Match { get; init; } = new();
    public string? Engine { get; init; }
    public string? EngineGroup { get; init; }
}

/// <summary>
/// Conditions; every one that is set must hold, and a list holds when any of its entries does. Globs are
/// case-insensitive with <c>*</c> and <c>?</c>. An empty match matches everything.
/// </summary>
public sealed record RuleMatch
{
    public IReadOnlyList<string>? Users { get; init; }

    /// <summary>Any of the user's groups.</summary>
    public IReadOnlyList<string>? Groups { get; init; }

    public IReadOnlyList<string>? Clients { get; init; }

    /// <summary>Names of <see cref="StatementKind"/> values (Query, Dml, Ddl, Metadata, SessionCommand, Streaming, Unknown).</summary>
    public IReadOnlyList<string>? StatementKinds { get; init; }

    /// <summary>
    /// Table globs aligned on the right: <c>events</c>, <c>raw.*</c>, <c>lake.raw.*</c>. Unqualified names are
    /// qualified with the session's current schema and catalog. Matched against reads and writes.
    /// </summary>
    public IReadOnlyList<string>? Tables { get; init; }

    /// <summary>Schema globs: <c>raw</c> or <c>lake.raw</c>.</summary>
    public IReadOnlyList<string>? Schemas { get; init; }

    /// <summary>How <see cref="Tables"/> and <see cref="Schemas"/> apply: <c>Any</c> referenced table (default) or <c>All</c> of them.</summary>
    public string? TableMatch { get; init; }

    /// <summary>Session configuration key → value glob; every pair must hold.</summary>
    public IReadOnlyDictionary<string, string>? SessionConf { get; init; }

    /// <summary>true: only writing statements; false: only read-only ones.</summary>
    public bool? Writes { get; init; }

    internal bool UsesTables => Tables is { Count: > 0 } || Schemas is { Count: > 0 };
}
