using Gateway.Engines;
using Gateway.Router.Routing;
using Gateway.Router.Sql;

namespace Gateway.Tests.Unit.Router;

/// <summary>
/// A lakehouse in miniature: embedded DuckDB (fast start, slow scan, local catalog plus the lake), Trino (interactive,
/// sees lake and hive, writes lake), Spark (slow start, fast scan, sees and writes everything), Flink (streaming only).
/// </summary>
internal static class RoutingFixture
{
    public const long MB = 1_000_000;
    public const long GB = 1_000_000_000;

    public static EngineCandidate DuckDb => new()
    {
        Name = "duckdb",
        Kind = EngineKind.DuckDb,
        Groups = ["interactive"],
        Visibility = ["local", "lake"],
        Capabilities = new() { WritableCatalogs = ["local"] },
        Cost = new() { PerQueryOverhead = TimeSpan.FromMilliseconds(5), ScanBytesPerSecond = 500 * MB, AverageQueryTime = TimeSpan.FromSeconds(1) },
        Load = new() { MaxConcurrent = 4, MaxQueued = 16 },
    };

    public static EngineCandidate Trino => new()
    {
        Name = "trino",
        Kind = EngineKind.Trino,
        Groups = ["interactive"],
        Visibility = ["lake", "hive"],
        Capabilities = new() { WritableCatalogs = ["lake"] },
        Cost = new() { PerQueryOverhead = TimeSpan.FromMilliseconds(150), ScanBytesPerSecond = 2 * GB, AverageQueryTime = TimeSpan.FromSeconds(10) },
        Load = new() { MaxConcurrent = 20, MaxQueued = 100 },
    };

    public static EngineCandidate Spark => new()
    {
        Name = "spark",
        Kind = EngineKind.Spark,
        Groups = ["etl"],
        Cost = new()
        {
            PerQueryOverhead = TimeSpan.FromSeconds(2),
            StartupLatency = TimeSpan.FromSeconds(60),
            ScanBytesPerSecond = 5 * GB,
            AverageQueryTime = TimeSpan.FromMinutes(2),
        },
    };

    public static EngineCandidate Flink => new()
    {
        Name = "flink",
        Kind = EngineKind.Flink,
        Groups = ["streaming"],
        Capabilities = new() { Streaming = true, Batch = false },
        Cost = new() { PerQueryOverhead = TimeSpan.FromSeconds(1) },
    };

    public static List<EngineCandidate> AllEngines() => [DuckDb, Trino, Spark, Flink];

    public static readonly Dictionary<string, TableStats> Stats = new(StringComparer.Ordinal)
    {
        ["lake.sales.small"] = new() { Rows = 100_000, Bytes = 10 * MB, Files = 2 },
        ["lake.sales.medium"] = new() { Rows = 10_000_000, Bytes = 1 * GB, Files = 40 },
        ["lake.sales.huge"] = new() { Rows = 1_000_000_000, Bytes = 100 * GB, Files = 4000 },
        ["local.main.dim"] = new() { Rows = 1000, Bytes = 1 * MB, Files = 1 },
        ["hive.web.logs"] = new() { Bytes = 50 * GB, Files = 10_000 },
    };

    public static TableStats? Lookup(TableReference table) => Stats.GetValueOrDefault(table.ToString());

    public static RoutingContext Context(string user = "alice") => new() { DefaultEngine = "duckdb", User = user };

    public static RoutingDecision Route(string sql, RoutingContext? context = null, IReadOnlyList<EngineCandidate>? engines = null, RoutingOptions? options = null, TimeProvider? time = null, TableStatsLookup? stats = null) =>
        new StatementRouter(options, time).Route(sql, context ?? Context(), stats ?? Lookup, engines ?? AllEngines());

    public static CandidateEstimate Estimate(RoutingDecision d, string engine) => d.Candidates.Single(c => c.Engine == engine);
}

internal sealed class ManualTimeProvider(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;
    public override DateTimeOffset GetUtcNow() => Now;
}
