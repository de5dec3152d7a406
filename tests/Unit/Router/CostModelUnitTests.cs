using Gateway.Protocol.Sql;
using Gateway.Router;
using Gateway.Router.Routing;
using Gateway.Router.Sql;
using static Gateway.Tests.Unit.Router.RoutingFixture;

namespace Gateway.Tests.Unit.Router;

public class CostModelUnitTests
{
    [Theory]
    [InlineData("SELECT * FROM lake.sales.small", "duckdb")]
    [InlineData("SELECT * FROM lake.sales.medium", "trino")]
    [InlineData("SELECT * FROM lake.sales.huge", "spark")]
    [InlineData("SELECT * FROM lake.sales.small s JOIN lake.sales.huge h ON s.id = h.id", "spark")]
    public void SizePicksTheEngine(string sql, string engine)
    {
        var d = Route(sql);
        Assert.Equal(DecisionSource.Cost, d.DecidedBy);
        Assert.Equal(engine, d.Engine);
    }

    [Fact]
    public void CostIsOverheadPlusScanTime()
    {
        var d = Route("SELECT * FROM lake.sales.medium");
        Assert.Equal(1 * GB, d.EstimatedScanBytes);
        Assert.Equal(5 + 2000, Estimate(d, "duckdb").CostMs, 6);
        Assert.Equal(150 + 500, Estimate(d, "trino").CostMs, 6);
        Assert.Equal(2000 + 200, Estimate(d, "spark").CostMs, 6);
        Assert.All(d.Candidates, c => Assert.Equal(1 * GB, c.ScanBytes));
    }

    [Fact]
    public void LocalityExcludesEnginesThatCannotSeeATable()
    {
        var d = Route("SELECT * FROM hive.web.logs");
        Assert.Equal("cannot see hive.web.logs", Estimate(d, "duckdb").RejectedBecause);
        Assert.True(Estimate(d, "trino").Eligible);
        Assert.Equal("spark", d.Engine);

        // The catalog can narrow visibility further: only Trino holds these credentials.
        var onlyTrino = new Dictionary<string, TableStats>(Stats) { ["hive.web.logs"] = Stats["hive.web.logs"] with { VisibleTo = ["trino"] } };
        var d2 = Route("SELECT * FROM hive.web.logs", stats: t => onlyTrino.GetValueOrDefault(t.ToString()));
        Assert.Equal("trino", d2.Engine);
        Assert.Equal("cannot see hive.web.logs", Estimate(d2, "spark").RejectedBecause);
    }

    [Fact]
    public void EveryReferencedTableMustBeVisible()
    {
        var d = Route("SELECT * FROM local.main.dim d JOIN hive.web.logs l ON d.k = l.k");
        Assert.Equal("cannot see hive.web.logs", Estimate(d, "duckdb").RejectedBecause);
        Assert.Equal("cannot see local.main.dim", Estimate(d, "trino").RejectedBecause);
        Assert.Equal("spark", d.Engine);
    }

    [Fact]
    public void UnqualifiedNamesResolveAgainstTheSession()
    {
        var context = Context() with { CurrentCatalog = "hive", CurrentSchema = "web" };
        var d = Route("SELECT * FROM logs", context, stats: t => Stats.GetValueOrDefault("hive.web." + t.Name));
        Assert.Equal("cannot see hive.web.logs", Estimate(d, "duckdb").RejectedBecause);
        Assert.Equal("spark", d.Engine);

        // What the catalog resolved wins over the session.
        var resolved = Route("SELECT * FROM logs", Context(), stats: _ => Stats["hive.web.logs"] with { Catalog = "hive", Schema = "web" });
        Assert.Equal("cannot see hive.web.logs", Estimate(resolved, "duckdb").RejectedBecause);
    }

    [Fact]
    public void SaturatedEnginesAreSkipped()
    {
        var engines = AllEngines();
        engines[0] = DuckDb with { Load = new() { Running = 4, Queued = 16, MaxConcurrent = 4, MaxQueued = 16 } };
        var d = Route("SELECT * FROM lake.sales.small", engines: engines);
        Assert.Equal("saturated: 4/4 running, 16/16 queued", Estimate(d, "duckdb").RejectedBecause);
        Assert.Equal("trino", d.Engine);
    }

    [Fact]
    public void QueueWaitIsTheStatementsAheadDrainedAtConcurrency()
    {
        var engines = AllEngines();
        // Full (2/2) with 3 queued: 4 statements ahead of this one, 2 at a time, 10 s each = 20 s.
        engines[1] = Trino with { Load = new() { Running = 2, Queued = 3, MaxConcurrent = 2, MaxQueued = 10 } };
        var d = Route("SELECT * FROM lake.sales.medium", engines: engines);
        var trino = Estimate(d, "trino");
        Assert.True(trino.Eligible);
        Assert.Equal(20_000, trino.QueueWaitMs, 6);
        Assert.Equal(150 + 500 + 20_000, trino.CostMs, 6);
        Assert.Equal("duckdb", d.Engine);

        // A free slot means no wait.
        Assert.Equal(0, CostModel.QueueWaitMs(Trino with { Load = new() { Running = 1, MaxConcurrent = 2 } }));
        // No limit means no queue.
        Assert.Equal(0, CostModel.QueueWaitMs(Trino with { Load = new() { Running = 100, Queued = 50 } }));
    }

    [Fact]
    public void UnhealthyEnginesAreSkippedWithTheirReason()
    {
        var engines = AllEngines();
        engines[0] = DuckDb with { Healthy = false, HealthDetail = "database file locked" };
        var d = Route("SELECT * FROM lake.sales.small", engines: engines);
        Assert.Equal("unhealthy: database file locked", Estimate(d, "duckdb").RejectedBecause);
        Assert.Equal("trino", d.Engine);
        Assert.DoesNotContain("duckdb", d.Failover);
    }

    [Fact]
    public void WritesGoOnlyWhereTheTargetCatalogIsWritable()
    {
        var d = Route("INSERT INTO lake.sales.target SELECT * FROM lake.sales.small");
        Assert.Equal("cannot write to catalog lake (lake.sales.target)", Estimate(d, "duckdb").RejectedBecause);
        Assert.Equal("trino", d.Engine);

        var local = Route("CREATE TABLE local.main.copy AS SELECT * FROM local.main.dim");
        Assert.Equal("duckdb", local.Engine);
        // Capabilities are checked before locality: the first reason is reported.
        Assert.Equal("cannot write to catalog local (local.main.copy)", Estimate(local, "trino").RejectedBecause);
        Assert.Equal("spark", local.Failover.Single());

        var engines = AllEngines();
        engines[1] = Trino with { Capabilities = new() { CanWrite = false } };
        var readOnly = Route("DELETE FROM lake.sales.small WHERE id = 1", engines: engines);
        Assert.Equal("read-only engine", Estimate(readOnly, "trino").RejectedBecause);
        Assert.Equal("spark", readOnly.Engine);
    }

    [Fact]
    public void TemporaryTargetsNeedNoWritableCatalog()
    {
        var engines = AllEngines();
        engines[0] = DuckDb with { Capabilities = new() { CanWrite = false } };
        var d = Route("CREATE TEMPORARY VIEW v AS SELECT * FROM lake.sales.small", engines: engines);
        Assert.True(Estimate(d, "duckdb").Eligible);
        Assert.Equal("duckdb", d.Engine);
    }

    [Fact]
    public void ReadModifyWriteScansItsTarget()
    {
        var d = Route("MERGE INTO lake.sales.huge t USING lake.sales.small s ON t.id = s.id WHEN MATCHED THEN UPDATE SET *");
        Assert.Equal((100 * GB) + (10 * MB), d.EstimatedScanBytes);
        Assert.Equal("spark", d.Engine);
        // An append does not read its target.
        Assert.Equal(10 * MB, Route("INSERT INTO lake.sales.huge SELECT * FROM lake.sales.small").EstimatedScanBytes);
    }

    [Fact]
    public void StreamingGoesOnlyToStreamingEngines()
    {
        var d = Route("SELECT * FROM lake.sales.small EMIT CHANGES");
        Assert.Equal(StatementKind.Streaming, d.Kind);
        Assert.Equal("flink", d.Engine);
        Assert.Equal("not a streaming engine", Estimate(d, "duckdb").RejectedBecause);

        var batch = Route("SELECT * FROM lake.sales.small");
        Assert.Equal("streaming-only engine", Estimate(batch, "flink").RejectedBecause);
    }

    [Fact]
    public void DialectsAnEngineDoesNotAcceptRejectIt()
    {
        var engines = AllEngines();
        engines[1] = Trino with { Capabilities = Trino.Capabilities with { Dialects = ["trino", "ansi"] } };
        var d = Route("SELECT * FROM lake.sales.medium", engines: engines);
        Assert.Equal("does not accept spark SQL", Estimate(d, "trino").RejectedBecause);
        Assert.Equal("duckdb", d.Engine);
        var asTrino = Route("SELECT * FROM lake.sales.medium", Context() with { Dialect = SqlDialect.Trino }, engines);
        Assert.Equal("trino", asTrino.Engine);
    }

    [Fact]
    public void UnknownStatisticsUseTheDefaultScanSize()
    {
        var d = Route("SELECT * FROM lake.sales.unknown");
        Assert.Equal(1L << 30, d.EstimatedScanBytes);
        Assert.Equal("trino", d.Engine);
        Assert.Contains("no statistics", d.Reasons[0], StringComparison.Ordinal);

        var small = Route("SELECT * FROM lake.sales.unknown", options: new() { Cost = new() { DefaultScanBytes = 1 * MB } });
        Assert.Equal("duckdb", small.Engine);
    }

    [Fact]
    public void RowsWithoutBytesUseTheAssumedRowSize()
    {
        var d = Route("SELECT * FROM lake.x.rows_only", stats: _ => new TableStats { Rows = 1000 });
        Assert.Equal(100_000, d.EstimatedScanBytes);
        var off = Route("SELECT * FROM lake.x.rows_only", stats: _ => new TableStats { Rows = 1000 }, options: new() { Cost = new() { AssumedRowBytes = 0 } });
        Assert.Equal(1L << 30, off.EstimatedScanBytes);
    }

    [Fact]
    public void TableFunctionsDefaultToNothingScanned()
    {
        var d = Route("SELECT * FROM range(1000000)");
        Assert.Equal(0, d.EstimatedScanBytes);
        Assert.Equal("duckdb", d.Engine);
        // A catalog that knows a Parquet path's size is asked with the function's arguments.
        var sized = Route("SELECT * FROM read_parquet('s3://lake/big/*.parquet')", Context() with { Dialect = SqlDialect.DuckDb },
            stats: t => t.Kind == TableReferenceKind.Function && t.Arguments is ["s3://lake/big/*.parquet"] ? new TableStats { Bytes = 80 * GB, VisibleTo = ["duckdb", "spark"] } : null);
        Assert.Equal(80 * GB, sized.EstimatedScanBytes);
        Assert.Equal("spark", sized.Engine);
        Assert.Contains("cannot see", Estimate(sized, "trino").RejectedBecause, StringComparison.Ordinal);
    }

    [Fact]
    public void StaleStatisticsCountAsUnknown()
    {
        var now = new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);
        var time = new ManualTimeProvider(now);
        var options = new RoutingOptions { Cost = new() { StatsMaxAge = TimeSpan.FromDays(1) } };
        TableStats? Stats(TableReference _) => new() { Bytes = 10 * MB, Freshness = now.AddHours(-2) };

        Assert.Equal(10 * MB, Route("SELECT * FROM lake.a.t", options: options, time: time, stats: Stats).EstimatedScanBytes);
        time.Now = now.AddDays(2);
        var stale = Route("SELECT * FROM lake.a.t", options: options, time: time, stats: Stats);
        Assert.Equal(1L << 30, stale.EstimatedScanBytes);
        Assert.Contains("statistics stale", stale.Reasons[0], StringComparison.Ordinal);
    }

    [Fact]
    public void ManySmallFilesCostWhereOpeningFilesIsSlow()
    {
        var engines = AllEngines();
        engines[0] = DuckDb with { Cost = DuckDb.Cost with { PerFileOverhead = TimeSpan.FromMilliseconds(2) } };
        var d = Route("SELECT * FROM lake.x.tiny_files", engines: engines, stats: _ => new TableStats { Bytes = 20 * MB, Files = 50_000 });
        Assert.Equal(5 + 40 + 100_000, Estimate(d, "duckdb").CostMs, 6);
        Assert.Equal("trino", d.Engine);
    }

    [Fact]
    public void StartupLatencyIsPaidOnlyWhenTheEngineIsNotStarted()
    {
        var engines = AllEngines();
        engines[2] = Spark with { Load = new() { Started = false } };
        var d = Route("SELECT * FROM lake.sales.huge", engines: engines);
        Assert.Equal(60_000 + 2000 + 20_000, Estimate(d, "spark").CostMs, 6);
        Assert.Equal("trino", d.Engine);
    }

    [Fact]
    public void MetadataScansNothing()
    {
        var d = Route("DESCRIBE lake.sales.huge");
        Assert.Equal(0, d.EstimatedScanBytes);
        Assert.Equal("duckdb", d.Engine);
        Assert.Equal("trino", Route("SHOW COLUMNS IN hive.web.logs").Engine);
    }

    [Fact]
    public void TiesKeepTheEnginesOrder()
    {
        var a = DuckDb with { Name = "a" };
        var b = DuckDb with { Name = "b" };
        Assert.Equal("a", Route("SELECT * FROM lake.sales.small", engines: [a, b]).Engine);
        Assert.Equal("b", Route("SELECT * FROM lake.sales.small", engines: [b, a]).Engine);
    }

    [Fact]
    public void FailoverListsTheOtherEligibleEnginesCheapestFirst()
    {
        var d = Route("SELECT * FROM lake.sales.medium");
        Assert.Equal("trino", d.Engine);
        Assert.Equal(["duckdb", "spark"], d.Failover);
    }

    [Fact]
    public void EvaluationIsDeterministic()
    {
        const string sql = "SELECT * FROM lake.sales.medium m JOIN lake.sales.small s ON m.k = s.k";
        var first = RoutingExplain.ToRows(Route(sql));
        for (var i = 0; i < 5; i++) Assert.Equal(first, RoutingExplain.ToRows(Route(sql)));
    }

    [Fact]
    public void CostModelCanBeUsedOnItsOwn()
    {
        var model = new CostModel();
        var input = new CostInput
        {
            Kind = StatementKind.Query,
            Tables = [new ResolvedTable { Reference = new TableReference(TableReferenceKind.Table, ["t"]), Stats = new() { Bytes = 10 * GB } }],
        };
        var estimates = model.Evaluate(input, AllEngines());
        Assert.Equal(["spark", "trino", "duckdb"], CostModel.Rank(estimates).Select(e => e.Engine));
        Assert.Equal((10 * GB, 0), model.EstimateScan(input));
    }
}
