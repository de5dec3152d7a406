using Gateway.Engines;
using Gateway.Router.Sql;

namespace Gateway.Router.Routing;

public enum DecisionSource
{
    /// <summary>Session configuration: <c>gateway.engine</c> or <c>kyuubi.engine.type</c>.</summary>
    Override,

    /// <summary>A <c>/*+ ENGINE(name) */</c> hint in the statement.</summary>
    Hint,

    /// <summary>A routing rule (<see cref="RoutingDecision.RuleIndex"/>).</summary>
    Rule,

    /// <summary>The cheapest estimate among the engines able to run the statement.</summary>
    Cost,

    /// <summary>The default engine: a session command, an uncertain analysis, or no engine able to run it.</summary>
    Fallback,
}

/// <summary>One engine's estimate for one statement.</summary>
public sealed record CandidateEstimate
{
    public required string Engine { get; init; }
    public EngineKind Kind { get; init; }

    /// <summary>Healthy, capable, able to see every table and not saturated.</summary>
    public bool Eligible => RejectedBecause is null;

    public string? RejectedBecause { get; init; }

    /// <summary>Bytes the statement is expected to scan (the same for every engine).</summary>
    public long ScanBytes { get; init; }

    /// <summary>Estimated time to result, in milliseconds.</summary>
    public double CostMs { get; init; }

    /// <summary>The part of <see cref="CostMs"/> spent waiting for a slot.</summary>
    public double QueueWaitMs { get; init; }
}

/// <summary>Where a statement runs and why.</summary>
public sealed record RoutingDecision
{
    public required string Engine { get; init; }
    public required DecisionSource DecidedBy { get; init; }

    /// <summary>For <see cref="DecisionSource.Rule"/>: the rule's index in the configured list.</summary>
    public int? RuleIndex { get; init; }

    public string? RuleName { get; init; }

    /// <summary>override, hint, rule #n, cost or fallback.</summary>
    public string DecidedByText => DecidedBy switch
    {
        DecisionSource.Rule => $"rule #{RuleIndex}",
        _ => DecidedBy.ToString().ToLowerInvariant(),
    };

    /// <summary>Human-readable, in order: what the statement is, what was considered, what decided.</summary>
    public IReadOnlyList<string> Reasons { get; init; } = [];

    /// <summary>Every candidate, in the order given, with its estimate or why it was rejected.</summary>
    public IReadOnlyList<CandidateEstimate> Candidates { get; init; } = [];

    /// <summary>Engines to try, in order, if the chosen one cannot take the statement: the other eligible ones, cheapest first.</summary>
    public IReadOnlyList<string> Failover { get; init; } = [];

    public required StatementAnalysis Analysis { get; init; }

    /// <summary>The kind routed on: the analysis' kind, made Streaming by the session's runtime mode or a stream table.</summary>
    public StatementKind Kind { get; init; }

    public long EstimatedScanBytes { get; init; }

    /// <summary>The statement was <c>EXPLAIN ROUTING ...</c>: answer with <see cref="RoutingExplain.ToRows"/>, run nothing.</summary>
    public bool IsExplainRouting => Analysis.IsExplainRouting;
}
