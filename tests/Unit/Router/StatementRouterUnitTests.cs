using Gateway.Engines;
using Gateway.Protocol.Sql;
using Gateway.Router;
using Gateway.Router.Routing;
using Gateway.Router.Sql;
using static Gateway.Tests.Unit.Router.RoutingFixture;

namespace Gateway.Tests.Unit.Router;

public class StatementRouterUnitTests
{
    private static RoutingContext WithConf(params (string Key, string Value)[] conf) =>
        Context() with { SessionConf = conf.ToDictionary(c => c.Key, c => c.Value) };

    [Fact]
    public void SessionEngineOverridesTheCostModel()
    {
        var d = Route("SELECT * FROM lake.sales.small", WithConf(("gateway.engine", "spark")));
        Assert.Equal("spark", d.Engine);
        Assert.Equal(DecisionSource.Override, d.DecidedBy);
        Assert.Equal("override", d.DecidedByText);
        Assert.Contains("chosen by gateway.engine=spark", d.Reasons);
    }

    [Fact]
    public void SessionEngineMayNameAKind()
    {
        var d = Route("SELECT * FROM lake.sales.small", WithConf(("gateway.engine", "TRINO")));
        Assert.Equal("trino", d.Engine);
        Assert.Equal(DecisionSource.Override, d.DecidedBy);
    }

    [Fact]
    public void UnknownOrUnhealthyOverrideIsReportedAndTheNextStepDecides()
    {
        var unknown = Route("SELECT * FROM lake.sales.small", WithConf(("gateway.engine", "presto-old")));
        Assert.Equal(DecisionSource.Cost, unknown.DecidedBy);
        Assert.Equal("duckdb", unknown.Engine);
        Assert.Contains("gateway.engine=presto-old: no engine named 'presto-old'; ignored", unknown.Reasons);

        var engines = AllEngines();
        engines[2] = Spark with { Healthy = false, HealthDetail = "cluster scaling" };
        var unhealthy = Route("SELECT * FROM lake.sales.small", WithConf(("gateway.engine", "spark")), engines);
        Assert.Equal("duckdb", unhealthy.Engine);
        Assert.Equal(DecisionSource.Cost, unhealthy.DecidedBy);
        Assert.Contains("gateway.engine=spark: engine spark is unhealthy (cluster scaling); ignored", unhealthy.Reasons);
    }

    [Theory]
    [InlineData("SPARK_SQL", "spark")]
    [InlineData("trino", "trino")]
    [InlineData("FLINK_SQL", "flink")]
    public void KyuubiEngineTypePicksTheFirstHealthyEngineOfThatKind(string type, string engine)
    {
        var d = Route("SELECT * FROM lake.sales.small", WithConf(("kyuubi.engine.type", type)));
        Assert.Equal(engine, d.Engine);
        Assert.Equal(DecisionSource.Override, d.DecidedBy);
    }

    [Fact]
    public void KyuubiEngineTypeSkipsUnhealthyEnginesOfTheKind()
    {
        List<EngineCandidate> engines = [.. AllEngines(), Trino with { Name = "trino-b" }];
        engines[1] = Trino with { Healthy = false };
        var d = Route("SELECT * FROM lake.sales.small", WithConf(("kyuubi.engine.type", "TRINO")), engines);
        Assert.Equal("trino-b", d.Engine);
        Assert.Contains("kyuubi.engine.type=TRINO: first healthy Trino engine is trino-b", d.Reasons);

        var jdbc = Route("SELECT * FROM lake.sales.small", WithConf(("kyuubi.engine.type", "JDBC")));
        Assert.Equal(DecisionSource.Cost, jdbc.DecidedBy);
        Assert.Contains("kyuubi.engine.type=JDBC: no Postgres engine is configured; ignored", jdbc.Reasons);

        var bogus = Route("SELECT 1", WithConf(("kyuubi.engine.type", "CHAT")));
        Assert.Contains("kyuubi.engine.type=CHAT: unknown engine type; ignored", bogus.Reasons);
    }

    [Fact]
    public void GatewayEngineWinsOverKyuubiEngineType()
    {
        var d = Route("SELECT 1", WithConf(("kyuubi.engine.type", "SPARK_SQL"), ("gateway.engine", "trino")));
        Assert.Equal("trino", d.Engine);
    }

    [Fact]
    public void HintBeatsSessionOverrideAndRules()
    {
        var options = new RoutingOptions { Rules = [new RoutingRule { Name = "all", Engine = "spark" }] };
        var d = Route("SELECT /*+ ENGINE(trino) */ * FROM lake.sales.small", WithConf(("gateway.engine", "duckdb")), options: options);
        Assert.Equal("trino", d.Engine);
        Assert.Equal(DecisionSource.Hint, d.DecidedBy);
        Assert.Equal("hint", d.DecidedByText);

        var unknownHint = Route("SELECT /*+ ENGINE(nope) */ * FROM lake.sales.small", WithConf(("gateway.engine", "duckdb")), options: options);
        Assert.Equal("duckdb", unknownHint.Engine);
        Assert.Equal(DecisionSource.Override, unknownHint.DecidedBy);
        Assert.Contains("hint ENGINE(nope): no engine named 'nope'; ignored", unknownHint.Reasons);
    }

    [Fact]
    public void OverridesCanBeDisabled()
    {
        var options = new RoutingOptions { Overrides = new() { AllowHints = false, AllowSessionEngine = false, AllowKyuubiEngineType = false } };
        var d = Route("SELECT /*+ ENGINE(spark) */ * FROM lake.sales.small",
            WithConf(("gateway.engine", "trino"), ("kyuubi.engine.type", "TRINO")), options: options);
        Assert.Equal(DecisionSource.Cost, d.DecidedBy);
        Assert.Contains("hint ENGINE(spark) ignored: hints are disabled", d.Reasons);

        var renamed = new RoutingOptions { Overrides = new() { SessionEngineKey = "engine" } };
        Assert.Equal("trino", Route("SELECT 1", WithConf(("engine", "trino")), options: renamed).Engine);
    }

    [Fact]
    public void AnOverrideTheModelWouldRejectIsHonouredWithAWarning()
    {
        var d = Route("SELECT * FROM hive.web.logs", WithConf(("gateway.engine", "duckdb")));
        Assert.Equal("duckdb", d.Engine);
        Assert.Equal(DecisionSource.Override, d.DecidedBy);
        Assert.Contains("warning: duckdb cannot see hive.web.logs; the statement may fail or wait", d.Reasons);
    }

    [Fact]
    public void SessionCommandsGoToTheDefaultEngine()
    {
        var d = Route("USE lake.sales");
        Assert.Equal(StatementKind.SessionCommand, d.Kind);
        Assert.Equal(DecisionSource.Fallback, d.DecidedBy);
        Assert.Equal("duckdb", d.Engine);
        Assert.Contains("session command: runs on the default engine; default engine duckdb", d.Reasons);
    }

    [Fact]
    public void UncertainAnalysisFallsBackToTheDefaultEngine()
    {
        var d = Route("SELECT * FROM lake.sales.huge; DROP TABLE x");
        Assert.Equal(DecisionSource.Fallback, d.DecidedBy);
        Assert.Equal("duckdb", d.Engine);
        Assert.Contains(d.Reasons, r => r.StartsWith("statement analysis ambiguous (2 statements in one request): cost model skipped", StringComparison.Ordinal));

        var unknown = Route("VACUUM FULL VERBOSE; PRAGMA x");
        Assert.Equal(DecisionSource.Fallback, unknown.DecidedBy);
    }

    [Fact]
    public void FallbackWhenTheDefaultIsDownUsesTheCheapestEligibleEngine()
    {
        var engines = AllEngines();
        engines[0] = DuckDb with { Healthy = false };
        var d = Route("SELECT * FROM t WHERE a = 'unterminated", engines: engines);
        Assert.Equal(DecisionSource.Fallback, d.DecidedBy);
        Assert.Equal("trino", d.Engine);
        Assert.Contains(d.Reasons, r => r.EndsWith("default engine duckdb is unhealthy: trino instead", StringComparison.Ordinal));
    }

    [Fact]
    public void NoEngineAbleToRunItFallsBack()
    {
        var d = Route("SELECT * FROM hive.web.logs", engines: [DuckDb]);
        Assert.Equal(DecisionSource.Fallback, d.DecidedBy);
        Assert.Equal("duckdb", d.Engine);
        Assert.Contains("no engine can run the statement; default engine duckdb", d.Reasons);

        var none = Route("SELECT 1", engines: []);
        Assert.Equal("duckdb", none.Engine);
        Assert.Contains(none.Reasons, r => r.StartsWith("no engine candidates; default engine duckdb is not a candidate and no engine is healthy", StringComparison.Ordinal));
    }

    [Fact]
    public void StreamingSessionModeMakesQueriesStreaming()
    {
        var d = Route("INSERT INTO lake.sales.sink SELECT * FROM lake.sales.small", WithConf(("execution.runtime-mode", "streaming")));
        Assert.Equal(StatementKind.Streaming, d.Kind);
        Assert.Equal(StatementKind.Dml, d.Analysis.Kind);
        Assert.Equal("flink", d.Engine);
        Assert.Contains("streaming: session execution.runtime-mode=streaming", d.Reasons);

        Assert.Equal(StatementKind.Query, Route("SELECT 1", WithConf(("execution.runtime-mode", "batch"))).Kind);
        // Session commands stay session commands.
        Assert.Equal(StatementKind.SessionCommand, Route("SET x=1", WithConf(("execution.runtime-mode", "streaming"))).Kind);
    }

    [Fact]
    public void AStreamTableMakesTheStatementStreaming()
    {
        var d = Route("INSERT INTO lake.sales.sink SELECT * FROM kafka.topics.orders",
            stats: t => t.ToString() == "kafka.topics.orders" ? new TableStats { IsStream = true } : null);
        Assert.Equal(StatementKind.Streaming, d.Kind);
        Assert.Equal("flink", d.Engine);
        Assert.Contains("streaming: kafka.topics.orders is a stream", d.Reasons);
    }

    [Fact]
    public void AThrowingCatalogCountsAsUnknownStatistics()
    {
        var d = Route("SELECT * FROM lake.sales.small", stats: _ => throw new TimeoutException("metastore slow"));
        Assert.Equal(DecisionSource.Cost, d.DecidedBy);
        Assert.Equal(1L << 30, d.EstimatedScanBytes);
        Assert.Contains("statistics of lake.sales.small unavailable (TimeoutException: metastore slow)", d.Reasons);
    }

    [Fact]
    public void ExplainRoutingRoutesTheInnerStatement()
    {
        var d = Route("EXPLAIN ROUTING SELECT * FROM lake.sales.huge");
        Assert.True(d.IsExplainRouting);
        Assert.Equal("spark", d.Engine);
        Assert.Equal("SELECT * FROM lake.sales.huge", d.Analysis.InnerStatement);
    }

    [Fact]
    public void TheFirstReasonSummarisesTheStatement()
    {
        var d = Route("INSERT INTO lake.sales.target SELECT * FROM lake.sales.small s JOIN lake.sales.unknown u ON true");
        Assert.Equal(
            "Dml (INSERT); reads lake.sales.small (10 MB), lake.sales.unknown (no statistics, 1.1 GB assumed); writes lake.sales.target",
            d.Reasons[0]);
    }

    [Fact]
    public void TheSessionDialectIsUsedForAnalysis()
    {
        // In Spark "lake" is a string; in Trino it is a name.
        const string sql = "SELECT * FROM \"lake\".\"sales\".\"huge\"";
        Assert.False(Route(sql).Analysis.IsReliable);
        var trino = Route(sql, Context() with { Dialect = SqlDialect.Trino });
        Assert.Equal("spark", trino.Engine);
        Assert.Equal(DecisionSource.Cost, trino.DecidedBy);
        // The router's configured default applies when the session does not say.
        Assert.Equal(DecisionSource.Cost, Route(sql, options: new() { Dialect = "trino" }).DecidedBy);
    }

    [Fact]
    public void RouterNeverThrows()
    {
        var router = new StatementRouter();
        EngineCandidate[] weird = [new() { Name = "x", Kind = EngineKind.DuckDb, Cost = new() { ScanBytesPerSecond = 0 } }, new() { Name = "x", Kind = EngineKind.Trino }];
        var d = router.Route("SELECT * FROM t", Context() with { DefaultEngine = "x" }, _ => new TableStats { Bytes = long.MaxValue, Files = long.MaxValue, Rows = long.MaxValue }, weird);
        Assert.Equal("x", d.Engine);
        var nullStats = router.Route("SELECT * FROM t", Context(), null!, AllEngines());
        Assert.Equal(DecisionSource.Cost, nullStats.DecidedBy);

        // An unvalidated throughput never makes an engine look free.
        var nan = AllEngines();
        nan[2] = Spark with { Cost = Spark.Cost with { ScanBytesPerSecond = double.NaN } };
        Assert.Equal("duckdb", router.Route("SELECT * FROM lake.sales.small", Context(), Lookup, nan).Engine);
    }

    [Fact]
    public void AContextWithoutDefaultEngineIsAProgrammingError() =>
        Assert.Throws<ArgumentException>(() => new StatementRouter().Route("SELECT 1", new RoutingContext { DefaultEngine = " " }, Lookup, AllEngines()));

    [Fact]
    public void MetadataSummariesDoNotTalkAboutSizes()
    {
        var d = Route("SHOW COLUMNS IN lake.sales.unknown");
        Assert.Equal("Metadata (SHOW COLUMNS); reads lake.sales.unknown", d.Reasons[0]);
    }
}
