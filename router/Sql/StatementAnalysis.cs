using Gateway.Protocol.Sql;
namespace Gateway.Router.Sql;

public enum AnalysisStatus
{
    /// <summary>Kind and every table reference are known.</summary>
    Complete,

    /// <summary>The statement was read but something in it cannot be known statically; see <see cref="StatementAnalysis.StatusReason"/>.</summary>
    Ambiguous,

    /// <summary>The analysis gave up (nesting too deep, an internal error); kind and tables are partial.</summary>
    Failed,
}

/// <summary>
/// What one statement does, for routing: its kind, what it reads and writes, and the routing hints it carries.
/// When <see cref="Status"/> is not <see cref="AnalysisStatus.Complete"/> the router must not trust the table lists
/// and falls back to the default engine (explicit overrides still apply).
/// </summary>
public sealed record StatementAnalysis
{
    public required string Text { get; init; }
    public required SqlDialect Dialect { get; init; }
    public StatementKind Kind { get; init; } = StatementKind.Unknown;

    /// <summary>What the statement does in a word or two (SELECT, INSERT, MERGE, CREATE TABLE AS SELECT, SHOW, SET...).</summary>
    public string Verb { get; init; } = "";

    /// <summary>Changes data or catalog objects: INSERT, INSERT OVERWRITE, MERGE, UPDATE, DELETE, CTAS, CREATE/DROP/ALTER, LOAD, COPY...</summary>
    public bool IsWrite { get; init; }

    /// <summary>CTAS, CREATE VIEW AS, REPLACE TABLE AS and friends: a write whose content is a query.</summary>
    public bool IsCreateAsSelect { get; init; }

    /// <summary>MERGE, UPDATE, DELETE, ANALYZE, OPTIMIZE...: the write targets are read as well, so their size counts as scanned.</summary>
    public bool ScansWriteTargets { get; init; }

    /// <summary>EXPLAIN of a statement: the kind and tables are the inner statement's (it is routed like it).</summary>
    public bool IsExplain { get; init; }

    /// <summary><c>EXPLAIN ROUTING stmt</c>: the gateway answers with the routing decision instead of running anything.</summary>
    public bool IsExplainRouting { get; init; }

    /// <summary>For EXPLAIN ROUTING: the text of the statement whose routing is asked for.</summary>
    public string? InnerStatement { get; init; }

    public IReadOnlyList<TableReference> Reads { get; init; } = [];
    public IReadOnlyList<TableReference> Writes { get; init; } = [];

    /// <summary>
    /// Every place the statement reads a table, function or path, a self-join's table once per site (<see cref="Reads"/>
    /// lists each object once): what a rewrite of the reads must cover.
    /// </summary>
    public IReadOnlyList<TableReference> ReadSites { get; init; } = [];

    /// <summary>Names defined by WITH (folded); references to them are not tables.</summary>
    public IReadOnlyList<string> CteNames { get; init; } = [];

    /// <summary>The engine named by a <c>/*+ ENGINE(name) */</c> hint, if any.</summary>
    public string? EngineHint { get; init; }

    /// <summary>Why the statement is streaming, when <see cref="Kind"/> is <see cref="StatementKind.Streaming"/>.</summary>
    public string? StreamingReason { get; init; }

    /// <summary>For <c>SET key = value</c> (quotes removed); value null for <c>SET key</c>.</summary>
    public string? SettingKey { get; init; }

    public string? SettingValue { get; init; }

    /// <summary>For <c>USE [CATALOG|SCHEMA|DATABASE] x.y</c>: the folded parts.</summary>
    public IReadOnlyList<string>? UseTarget { get; init; }

    public AnalysisStatus Status { get; init; } = AnalysisStatus.Complete;
    public string? StatusReason { get; init; }

    public bool IsReliable => Status == AnalysisStatus.Complete;
}
