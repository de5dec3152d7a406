using System.Collections.Concurrent;
using Gateway.Catalog;
using Gateway.Protocol.Sql;
using Gateway.Router.Routing;
using Gateway.Router.Sql;
using Gateway.Server.Configuration;
using Gateway.Server.Routing;

namespace Gateway.Tests.Unit.Router;

/// <summary>The gateway's statistics resolution across catalogs: qualification, locality, failures and the time budget.</summary>
public sealed class StatisticsResolverUnitTests
{
    /// <summary>A catalog with fixed tables ("schema.name" → bytes, schema null meaning its default) that records what it was asked.</summary>
    private sealed class FakeCatalog(string name, Dictionary<string, long> tables, string defaultSchema = "default") : ICatalog
    {
        public ConcurrentQueue<string> Asked { get; } = new();
        public Exception? Failure { get; init; }
        public Task? Gate { get; init; }

        public string Name => name;

        public ValueTask<IReadOnlyList<string>> ListSchemasAsync(CancellationToken cancellationToken) => ValueTask.FromResult<IReadOnlyList<string>>([]);

        public ValueTask<IReadOnlyList<CatalogTable>> ListTablesAsync(string? schema, CancellationToken cancellationToken) => ValueTask.FromResult<IReadOnlyList<CatalogTable>>([]);

        public ValueTask<IReadOnlyList<CatalogColumn>?> ListColumnsAsync(TableRef table, CancellationToken cancellationToken) => ValueTask.FromResult<IReadOnlyList<CatalogColumn>?>(null);

        public async ValueTask<TableStatistics?> GetStatisticsAsync(TableRef table, CancellationToken cancellationToken)
        {
            Asked.Enqueue(table.ToString());
            if (Gate is not null) await Gate;
            if (Failure is not null) throw Failure;
            return tables.TryGetValue($"{table.Schema ?? defaultSchema}.{table.Name}", out var bytes)
                ? new TableStatistics(bytes / 100, bytes, 1, null, null, "fake", DateTimeOffset.UnixEpoch)
                : null;
        }
    }

    private static readonly EngineLocality[] Engines =
    [
        new("duckdb", ["embedded", "lake"]),
        new("pg", ["pg"]),
        new("remote", ["lake.*"]),
        new("anywhere", null),
    ];

    private static CatalogRegistry Registry(params ICatalog[] catalogs) =>
        new([.. catalogs.Select(c => new CachingCatalog(c, TimeSpan.FromMinutes(5), TimeProvider.System))]);

    private static async Task<(TableStatsLookup Lookup, StatementAnalysis Analysis)> ResolveAsync(CatalogRegistry registry, string sql, NameScope? scope = null, TimeSpan? budget = null)
    {
        var analysis = StatementAnalyzer.Analyze(sql, SqlDialect.Spark);
        var lookup = await new StatisticsResolver(registry, TimeProvider.System).ResolveAsync(analysis, scope ?? new NameScope(null, null), Engines, budget ?? TimeSpan.FromSeconds(5), CancellationToken.None);
        return (lookup, analysis);
    }

    [Fact]
    public async Task ATableInOneCatalogBelongsToIt()
    {
        var lake = new FakeCatalog("lake", new() { ["default.events"] = 50_000 });
        var pg = new FakeCatalog("pg", new() { ["public.orders"] = 700 }, defaultSchema: "public");
        var (lookup, analysis) = await ResolveAsync(Registry(new FakeCatalog("embedded", []), lake, pg), "SELECT * FROM events JOIN orders USING (id)");
        var events = lookup(analysis.Reads[0])!;
        Assert.Equal((50_000L, "lake"), (events.Bytes!.Value, events.Catalog));
        Assert.Null(events.VisibleTo);
        var orders = lookup(analysis.Reads[1])!;
        Assert.Equal((700L, "pg"), (orders.Bytes!.Value, orders.Catalog));
        // Unqualified in a default database: every catalog was asked with its own default schema.
        Assert.Equal(["events", "orders"], lake.Asked.Order());
    }

    [Fact]
    public async Task ANameInSeveralCatalogsTakesTheFirstsStatisticsAndEveryEngineThatSeesOne()
    {
        var embedded = new FakeCatalog("embedded", new() { ["default.events"] = 40 });
        var lake = new FakeCatalog("lake", new() { ["default.events"] = 50_000 });
        var (lookup, analysis) = await ResolveAsync(Registry(lake, embedded, new FakeCatalog("pg", [])), "SELECT * FROM events");
        var events = lookup(analysis.Reads[0])!;
        Assert.Equal(50_000L, events.Bytes);
        Assert.Null(events.Catalog);
        Assert.Equal(["duckdb", "remote", "anywhere"], events.VisibleTo!);

        // The session's catalog comes first.
        var (inEmbedded, analysis2) = await ResolveAsync(Registry(lake, embedded), "SELECT * FROM events", new NameScope("embedded", null));
        Assert.Equal(40L, inEmbedded(analysis2.Reads[0])!.Bytes);
    }

    [Fact]
    public async Task ACatalogQualifiedNameIsLookedUpThereOnly()
    {
        var embedded = new FakeCatalog("embedded", new() { ["sales.orders"] = 1 });
        var lake = new FakeCatalog("lake", new() { ["sales.orders"] = 2 });
        var (lookup, analysis) = await ResolveAsync(Registry(embedded, lake), "SELECT * FROM lake.sales.orders");
        Assert.Equal((2L, "lake"), (lookup(analysis.Reads[0])!.Bytes!.Value, lookup(analysis.Reads[0])!.Catalog));
        Assert.Empty(embedded.Asked);

        // A catalog the gateway does not know (Spark's spark_catalog) qualifies nothing: every catalog is asked for sales.orders.
        var (any, analysis2) = await ResolveAsync(Registry(embedded, lake), "SELECT * FROM spark_catalog.sales.orders");
        Assert.Equal(1L, any(analysis2.Reads[0])!.Bytes);
        Assert.Contains("sales.orders", embedded.Asked);
    }

    [Fact]
    public async Task TheSessionDatabaseQualifiesUnqualifiedNames()
    {
        var lake = new FakeCatalog("lake", new() { ["sales.orders"] = 9, ["default.orders"] = 1 });
        var (lookup, analysis) = await ResolveAsync(Registry(lake), "SELECT * FROM orders", new NameScope(null, "sales"));
        Assert.Equal(9L, lookup(analysis.Reads[0])!.Bytes);
        Assert.Equal(["sales.orders"], lake.Asked);
    }

    [Fact]
    public async Task AFailingCatalogMakesTheTableUnknownWithTheReasonUnlessAnotherKnowsIt()
    {
        var down = new FakeCatalog("lake", []) { Failure = new InvalidOperationException("connection refused") };
        var (lookup, analysis) = await ResolveAsync(Registry(down), "SELECT * FROM events");
        var error = Assert.Throws<CatalogLookupException>(() => lookup(analysis.Reads[0]));
        Assert.Contains("catalog lake: connection refused", error.Message, StringComparison.Ordinal);

        var (other, analysis2) = await ResolveAsync(Registry(down, new FakeCatalog("pg", new() { ["public.events"] = 5 }, "public")), "SELECT * FROM events");
        Assert.Equal(5L, other(analysis2.Reads[0])!.Bytes);

        // The router turns the failure into a reason and an unknown size; the statement still routes.
        var router = new StatementRouter();
        var decision = router.Route(analysis, new RoutingContext { DefaultEngine = "duckdb" }, lookup, [EngineCandidate.Create("duckdb", Gateway.Engines.EngineKind.DuckDb, null)]);
        Assert.Equal("duckdb", decision.Engine);
        Assert.Contains(decision.Reasons, r => r.Contains("statistics of events unavailable", StringComparison.Ordinal) && r.Contains("connection refused", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ASlowCatalogCostsAtMostTheBudget()
    {
        var never = new TaskCompletionSource();
        var slow = new FakeCatalog("lake", new() { ["default.events"] = 1 }) { Gate = never.Task };
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var (lookup, analysis) = await ResolveAsync(Registry(slow), "SELECT * FROM events", budget: TimeSpan.FromMilliseconds(50));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30));
        var error = Assert.Throws<CatalogLookupException>(() => lookup(analysis.Reads[0]));
        Assert.Equal("not back within 50 ms", error.Message);
        never.SetResult();
    }

    [Fact]
    public async Task TemporaryObjectsSchemasAndStatementsWithoutTablesAskNothing()
    {
        var lake = new FakeCatalog("lake", []);
        await ResolveAsync(Registry(lake), "CREATE TEMPORARY VIEW v AS SELECT 1");
        await ResolveAsync(Registry(lake), "CREATE SCHEMA s");
        await ResolveAsync(Registry(lake), "SELECT 1");
        Assert.Empty(lake.Asked);
    }

    [Theory]
    [InlineData("lake", "sales", true)]
    [InlineData("LAKE", null, true)]
    [InlineData("pg", "public", false)]
    public void LocalityGlobsMatchCatalogAndSchema(string catalog, string? schema, bool remoteSees)
    {
        Assert.Equal(remoteSees, Engines[2].Sees(catalog, schema));
        Assert.True(Engines[3].Sees(catalog, schema));
    }
}

/// <summary>Validation of the routing part of the gateway configuration.</summary>
public sealed class RoutingConfigurationUnitTests
{
    [Fact]
    public void CatalogAndRoutingMistakesAreListedWithTheirKeys()
    {
        var o = new GatewayOptions
        {
            Catalogs =
            [
                new CatalogOptions { Name = "lake", Kind = CatalogKind.HiveMetastore },
                new CatalogOptions { Name = "lake", Kind = CatalogKind.Postgres, ConnectionString = "Host=x", Engine = "pg" },
                new CatalogOptions { Name = "embedded", Kind = CatalogKind.Postgres, ConnectionString = "Host=x" },
                new CatalogOptions { Name = "wh", Kind = CatalogKind.Postgres, Engine = "scratch" },
            ],
            Engines =
            [
                new EngineOptions { Name = "scratch", Catalogs = ["nowhere", "lake.*", "l*"], Routing = new EngineRoutingProfile { Visibility = ["x"] } },
                new EngineOptions { Name = "fast", Routing = new EngineRoutingProfile { Cost = new EngineCostParameters { ScanBytesPerSecond = 0 } } },
            ],
            Routing = new RoutingOptions
            {
                Rules = [new RoutingRule { Name = "r", Engine = "sparky" }],
                Failover = new FailoverOptions { MaxAttempts = -1 },
            },
        };
        var errors = GatewayOptionsValidation.Validate(o);
        Assert.Contains("Gateway:Catalogs:0: set exactly one of ConnectionString (the metastore's PostgreSQL database) or Engine (a Postgres engine whose connection to use).", errors);
        Assert.Contains("Gateway:Catalogs:1:Name 'lake' is used by another catalog.", errors);
        Assert.Contains(errors, e => e.StartsWith("Gateway:Catalogs:2: 'embedded' is the embedded DuckDB's catalog", StringComparison.Ordinal));
        Assert.Contains("Gateway:Catalogs:3:Engine 'scratch' is not a configured Postgres engine.", errors);
        Assert.Contains(errors, e => e.StartsWith("Gateway:Engines:0:Catalogs:0 'nowhere' is not a configured catalog (embedded, lake, wh)", StringComparison.Ordinal));
        Assert.DoesNotContain(errors, e => e.Contains("Catalogs:1 ", StringComparison.Ordinal) || e.Contains("Catalogs:2 ", StringComparison.Ordinal));
        Assert.Contains("Gateway:Engines:0:Routing:Visibility is set by Gateway:Engines:0:Catalogs; remove it.", errors);
        Assert.Contains(errors, e => e.StartsWith("Gateway:Engines:1:Routing: Cost.ScanBytesPerSecond", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Gateway:Routing: Rules[0] 'r': Engine 'sparky' is not a configured engine", StringComparison.Ordinal));
        Assert.Contains("Gateway:Routing: Failover.MaxAttempts must be between 0 and 16.", errors);
    }

    [Fact]
    public void TheEmbeddedEngineSeesTheEmbeddedCatalogUnlessTold()
    {
        Assert.Equal(["embedded"], RoutingService.ProfileOf(new EngineOptions { Name = "duckdb" }).Visibility!);
        Assert.Equal(["*"], RoutingService.ProfileOf(new EngineOptions { Name = "duckdb", Catalogs = ["*"] }).Visibility!);
        Assert.Null(RoutingService.ProfileOf(new EngineOptions { Name = "pg" }).Visibility);
    }
}

/// <summary>The routing counters as .NET metrics tools see them.</summary>
public sealed class RoutingMetricsUnitTests
{
    [Fact]
    public void DecisionsAndFailoversArePublishedWithTheirTags()
    {
        using var metrics = new RoutingMetrics();
        var seen = new List<(string Instrument, long Value, Dictionary<string, object?> Tags)>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            // Only this instance's: other gateways of the test run publish under the same meter name meanwhile.
            if (ReferenceEquals(instrument.Meter, metrics.Meter)) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var map = new Dictionary<string, object?>();
            foreach (var t in tags) map[t.Key] = t.Value;
            lock (seen) seen.Add((instrument.Name, value, map));
        });
        listener.Start();

        metrics.Decision("remote", "cost");
        metrics.Decision("remote", "cost");
        metrics.Failover("remote", "duckdb", "retryable error");
        listener.Dispose();

        Assert.Equal(2, seen.Count(s => s.Instrument == "gateway.routing.decisions" && (string?)s.Tags["engine"] == "remote" && (string?)s.Tags["decided_by"] == "cost"));
        Assert.Contains(seen, s => s.Instrument == "gateway.routing.failovers" && (string?)s.Tags["from"] == "remote" && (string?)s.Tags["to"] == "duckdb" && (string?)s.Tags["reason"] == "retryable error");
        Assert.Equal(2, metrics.Decisions[("remote", "cost")]);
        Assert.Equal(1, metrics.Failovers[("remote", "duckdb")]);
    }
}
