using System.Globalization;
using Gateway.Engines.HiveServer2;
using Gateway.Protocol.Hive;
using Gateway.Router.Routing;
using Gateway.Server.Configuration;
using Gateway.Server.Engines;
using Gateway.Server.Routing;
using Gateway.Tests.Engines;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.InProcess;

/// <summary>
/// One gateway routing among three engines that really run: its embedded DuckDB, the PostgreSQL test server, and a
/// second gateway process reached as a remote HiveServer2 engine. Statistics come from a Hive Metastore (a "lake"
/// catalog whose tables both DuckDB and the remote can read) and from PostgreSQL's own catalog. Every engine holds
/// different rows under the same names, so each answer proves where the statement ran.
/// </summary>
public sealed class ThreeEngines : IAsyncDisposable
{
    public const string RemoteUser = "gateway";
    public const string RemotePassword = "remote-secret";

    // Rows per engine: the count a query returns says which engine answered it.
    public const int LocalSmall = 3, RemoteSmall = 5, LocalEvents = 4, RemoteEvents = 6, PgOrders = 7;

    private ThreeEngines(GatewayProcess remote, GatewayInstance gateway, string hms, string orders)
    {
        Remote = remote;
        Gateway = gateway;
        Hms = hms;
        Orders = orders;
    }

    public GatewayProcess Remote { get; }
    public GatewayInstance Gateway { get; }
    public string Hms { get; }

    /// <summary>A PostgreSQL table only the <c>pg</c> engine (and catalog) knows.</summary>
    public string Orders { get; }

    public RoutingService Routing => Gateway.Services.GetRequiredService<RoutingService>();
    public EngineRegistry Engines => Gateway.Services.GetRequiredService<EngineRegistry>();

    public static async Task<ThreeEngines> StartAsync(IDictionary<string, string?>? extra = null)
    {
        var id = Guid.NewGuid().ToString("N")[..10];
        var hms = $"hms_rt_{id}";
        var orders = $"rt_orders_{id}";
        var remote = await GatewayProcess.StartAsync(tls: false, new Dictionary<string, string> { [RemoteUser] = RemotePassword });
        try
        {
            await using (var setup = await HiveConnection.OpenAsync(new HiveConnectionOptions { Port = remote.BinaryPort, User = RemoteUser, Password = RemotePassword }))
            {
                await setup.QueryAsync($"CREATE TABLE small_dim AS SELECT range AS id, 'remote' AS origin FROM range({RemoteSmall})");
                await setup.QueryAsync($"CREATE TABLE events AS SELECT range AS id, 'remote' AS origin FROM range({RemoteEvents})");
            }
            var hmsConnection = await HiveMetastoreTestSchema.CreateAsync(hms);
            // The lake: events is big (50 GB), small_dim is small (2 KB).
            await HiveMetastoreTestSchema.AddTableAsync(hms, "default", "events", rows: 1_000_000_000, totalSize: 50_000_000_000, files: 500);
            await HiveMetastoreTestSchema.AddTableAsync(hms, "default", "small_dim", rows: 5, totalSize: 2_000, files: 1);
            await PostgresTestServer.ExecuteAsync($"CREATE TABLE public.{orders} AS SELECT g AS id, 'pg' AS origin FROM generate_series(1, {PgOrders}) g; ANALYZE public.{orders};");

            var settings = new Dictionary<string, string?>
            {
                ["Gateway:DuckDb:DemoData"] = "false",
                // Lake statistics win over the local copies' for names both know.
                ["Gateway:Catalogs:0:Name"] = "lake",
                ["Gateway:Catalogs:0:Kind"] = "HiveMetastore",
                ["Gateway:Catalogs:0:ConnectionString"] = hmsConnection,
                ["Gateway:Catalogs:1:Name"] = "pg",
                ["Gateway:Catalogs:1:Kind"] = "Postgres",
                ["Gateway:Catalogs:1:Engine"] = "pg",
                ["Gateway:Catalogs:2:Name"] = "embedded",
                ["Gateway:Catalogs:2:Kind"] = "Embedded",
                ["Gateway:Engines:0:Name"] = "duckdb",
                ["Gateway:Engines:0:Catalogs:0"] = "embedded",
                ["Gateway:Engines:0:Catalogs:1"] = "lake",
                ["Gateway:Engines:0:Routing:Cost:PerQueryOverhead"] = "00:00:00.001",
                ["Gateway:Engines:0:Routing:Cost:ScanBytesPerSecond"] = "500000000",
                ["Gateway:Engines:1:Name"] = "pg",
                ["Gateway:Engines:1:Kind"] = "Postgres",
                ["Gateway:Engines:1:Postgres:ConnectionString"] = PostgresTestServer.ConnectionString,
                ["Gateway:Engines:1:Catalogs:0"] = "pg",
                ["Gateway:Engines:1:Routing:Cost:PerQueryOverhead"] = "00:00:00.002",
                ["Gateway:Engines:1:Routing:Cost:ScanBytesPerSecond"] = "200000000",
                ["Gateway:Engines:2:Name"] = "remote",
                ["Gateway:Engines:2:Kind"] = "HiveServer2",
                ["Gateway:Engines:2:HiveServer2:Host"] = "127.0.0.1",
                ["Gateway:Engines:2:HiveServer2:Port"] = remote.BinaryPort.ToString(CultureInfo.InvariantCulture),
                ["Gateway:Engines:2:HiveServer2:Auth"] = "SaslPlain",
                ["Gateway:Engines:2:HiveServer2:User"] = RemoteUser,
                ["Gateway:Engines:2:HiveServer2:Password"] = RemotePassword,
                ["Gateway:Engines:2:HiveServer2:ConnectTimeout"] = "00:00:03",
                ["Gateway:Engines:2:Catalogs:0"] = "lake",
                ["Gateway:Engines:2:Routing:Cost:PerQueryOverhead"] = "00:00:00.050",
                ["Gateway:Engines:2:Routing:Cost:ScanBytesPerSecond"] = "10000000000",
            };
            foreach (var (k, v) in extra ?? new Dictionary<string, string?>()) settings[k] = v;
            var gateway = await GatewayInstance.StartAsync(settings);
            await using (var local = await gateway.ConnectAsync(configuration: new Dictionary<string, string> { ["gateway.engine"] = "duckdb" }))
            {
                await local.QueryAsync($"CREATE TABLE small_dim AS SELECT range AS id, 'local' AS origin FROM range({LocalSmall})");
                await local.QueryAsync($"CREATE TABLE events AS SELECT range AS id, 'local' AS origin FROM range({LocalEvents})");
            }
            return new ThreeEngines(remote, gateway, hms, orders);
        }
        catch
        {
            await remote.DisposeAsync();
            await HiveMetastoreTestSchema.DropAsync(hms);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await Remote.DisposeAsync();
        await HiveMetastoreTestSchema.DropAsync(Hms);
        await PostgresTestServer.ExecuteAsync($"DROP TABLE IF EXISTS public.{Orders};");
    }

    /// <summary>Runs a one-value query; returns the value and the engine the operation log says it ran on.</summary>
    public static async Task<(string? Value, string Engine, IReadOnlyList<string> Log)> RunAsync(HiveConnection c, string sql)
    {
        await using var op = await c.ExecuteAsync(sql);
        var (_, rows) = await op.ReadAllAsTextAsync();
        var log = await op.FetchLogAsync();
        var running = log.LastOrDefault(l => l.Contains("Running on engine '", StringComparison.Ordinal)) ?? "";
        var start = running.IndexOf("Running on engine '", StringComparison.Ordinal) + "Running on engine '".Length;
        var engine = running.Length == 0 ? "" : running[start..running.IndexOf('\'', start)];
        return (rows.Count > 0 ? rows[0][0] : null, engine, log);
    }

    public static async Task<Dictionary<string, string?[]>> ExplainAsync(HiveConnection c, string sql)
    {
        var (schema, rows) = await c.QueryAsync("EXPLAIN ROUTING " + sql);
        Assert.Equal(RoutingExplain.Columns, schema.Columns.Select(col => col.Name));
        return rows.ToDictionary(r => r[0]!, r => r);
    }
}

public sealed class ThreeEnginesFixture : IAsyncLifetime
{
    public ThreeEngines Engines { get; private set; } = null!;

    public async Task InitializeAsync() => Engines = await ThreeEngines.StartAsync(new Dictionary<string, string?>
    {
        // Room for one statement at a time on the remote, none waiting: easy to saturate.
        ["Gateway:Engines:2:Capacity:MaxConcurrent"] = "1",
        ["Gateway:Engines:2:Capacity:MaxQueue"] = "0",
    });

    public async Task DisposeAsync() => await Engines.DisposeAsync();
}

/// <summary>Real routing across DuckDB, PostgreSQL and a remote gateway process: by size, by locality, by override.</summary>
public sealed class RoutingRealServiceTests(ThreeEnginesFixture fixture) : IClassFixture<ThreeEnginesFixture>
{
    private ThreeEngines E => fixture.Engines;

    [Fact]
    public async Task StatementsLandWhereTheirDataIsCheapestToRead()
    {
        await using var c = await E.Gateway.ConnectAsync();

        // 2 KB in the lake: DuckDB's 1 ms beats the remote's 50 ms.
        var small = await ThreeEngines.RunAsync(c, "SELECT count(*) FROM small_dim");
        Assert.Equal(("duckdb", ThreeEngines.LocalSmall.ToString(CultureInfo.InvariantCulture)), (small.Engine, small.Value));
        Assert.Contains(small.Log, l => l.Contains("Routing: Query (SELECT); reads ", StringComparison.Ordinal) && l.Contains("small_dim (2 KB)", StringComparison.Ordinal));
        Assert.Contains(small.Log, l => l.Contains("Running on engine 'duckdb' (lowest estimated cost, 2 KB to scan", StringComparison.Ordinal));

        // 50 GB in the lake: the remote's 10 GB/s wins over DuckDB's 500 MB/s.
        var big = await ThreeEngines.RunAsync(c, "SELECT count(*) FROM events");
        Assert.Equal(("remote", ThreeEngines.RemoteEvents.ToString(CultureInfo.InvariantCulture)), (big.Engine, big.Value));
        Assert.Contains(big.Log, l => l.Contains("events (50 GB)", StringComparison.Ordinal));

        // Only PostgreSQL sees its own tables, small or not.
        var orders = await ThreeEngines.RunAsync(c, $"SELECT count(*) FROM {E.Orders}");
        Assert.Equal(("pg", ThreeEngines.PgOrders.ToString(CultureInfo.InvariantCulture)), (orders.Engine, orders.Value));

        // A write goes where its target is, and the next read sees it.
        var insert = await ThreeEngines.RunAsync(c, $"INSERT INTO {E.Orders} VALUES (100, 'pg')");
        Assert.Equal("pg", insert.Engine);
        Assert.Equal((ThreeEngines.PgOrders + 1).ToString(CultureInfo.InvariantCulture), (await ThreeEngines.RunAsync(c, $"SELECT count(*) FROM {E.Orders}")).Value);
        await ThreeEngines.RunAsync(c, $"DELETE FROM {E.Orders} WHERE id = 100");

        // No tables at all: the cheapest engine, the embedded one.
        Assert.Equal("duckdb", (await ThreeEngines.RunAsync(c, "SELECT 41 + 1")).Engine);

        var decisions = E.Routing.Metrics.Decisions;
        Assert.True(decisions.GetValueOrDefault(("remote", "cost")) >= 1);
        Assert.True(decisions.GetValueOrDefault(("pg", "cost")) >= 2);
    }

    [Fact]
    public async Task ExplainRoutingShowsEveryCandidateAndWhyTheOthersLost()
    {
        await using var c = await E.Gateway.ConnectAsync();
        var rows = await ThreeEngines.ExplainAsync(c, "SELECT origin, count(*) FROM events GROUP BY origin");
        Assert.Equal(3, rows.Count);
        var remote = rows["remote"];
        Assert.Equal(new string?[] { "remote", "yes", "50000000000" }, remote[..3]);
        Assert.Equal("5050", remote[3]);
        Assert.Equal("cost", remote[4]);
        Assert.Contains("lowest estimated cost: 5050 ms for 50 GB (next: duckdb 100 s)", remote[5], StringComparison.Ordinal);
        Assert.Equal(new string?[] { "duckdb", "yes" }, rows["duckdb"][..2]);
        Assert.Equal("failover #1", rows["duckdb"][5]);
        Assert.Equal(new string?[] { "pg", "no" }, rows["pg"][..2]);
        Assert.Contains("cannot see", rows["pg"][5], StringComparison.Ordinal);

        // Nothing ran: the remote has no operation from this, and the session is free for the next statement.
        Assert.Equal(0, E.Engines.Find("remote")!.Running);

        // Tables no single engine sees together: the default engine, and the explanation says so.
        var mixed = await ThreeEngines.ExplainAsync(c, $"SELECT * FROM {E.Orders} o JOIN events e ON o.id = e.id");
        var chosen = mixed.Values.Single(r => r[4] is not null);
        Assert.Equal(("duckdb", "fallback"), (chosen[0], chosen[4]));
        Assert.Contains("no engine can run the statement", chosen[5], StringComparison.Ordinal);
    }

    [Fact]
    public async Task OverridesAndHintsWinOverTheCostModel()
    {
        await using var c = await E.Gateway.ConnectAsync();
        var hinted = await ThreeEngines.RunAsync(c, "SELECT /*+ ENGINE(duckdb) */ count(*) FROM events");
        Assert.Equal(("duckdb", ThreeEngines.LocalEvents.ToString(CultureInfo.InvariantCulture)), (hinted.Engine, hinted.Value));
        Assert.Contains(hinted.Log, l => l.Contains("(hint ENGINE(duckdb);", StringComparison.Ordinal));

        await c.QueryAsync("SET gateway.engine=remote");
        var set = await ThreeEngines.RunAsync(c, "SELECT count(*) FROM small_dim");
        Assert.Equal(("remote", ThreeEngines.RemoteSmall.ToString(CultureInfo.InvariantCulture)), (set.Engine, set.Value));
        // The hint still beats the session's choice.
        Assert.Equal("duckdb", (await ThreeEngines.RunAsync(c, "SELECT /*+ ENGINE(duckdb) */ count(*) FROM small_dim")).Engine);
        await c.QueryAsync("RESET gateway.engine");
        Assert.Equal("duckdb", (await ThreeEngines.RunAsync(c, "SELECT count(*) FROM small_dim")).Engine);

        // Clients configured for Kyuubi name a kind.
        await using var kyuubi = await E.Gateway.ConnectAsync(configuration: new Dictionary<string, string> { ["kyuubi.engine.type"] = "JDBC" });
        Assert.Equal("pg", (await ThreeEngines.RunAsync(kyuubi, "SELECT 1")).Engine);
        Assert.True(E.Routing.Metrics.Decisions.GetValueOrDefault(("duckdb", "hint")) >= 2);
    }

    [Fact]
    public async Task ASaturatedEngineIsSkipped()
    {
        await using var holder = await E.Gateway.ConnectAsync();
        await using var c = await E.Gateway.ConnectAsync();
        var remote = E.Engines.Find("remote")!;
        // A streamed result holds the remote's only slot until it is read or closed.
        await using (var running = await holder.ExecuteAsync("SELECT /*+ ENGINE(remote) */ range FROM range(1000000)"))
        {
            for (var i = 0; i < 500 && remote.Running == 0; i++) await Task.Delay(10);
            Assert.Equal(1, remote.Running);
            var big = await ThreeEngines.RunAsync(c, "SELECT count(*) FROM events");
            Assert.Equal(("duckdb", ThreeEngines.LocalEvents.ToString(CultureInfo.InvariantCulture)), (big.Engine, big.Value));
            var explain = await ThreeEngines.ExplainAsync(c, "SELECT count(*) FROM events");
            Assert.Contains("saturated: 1/1 running, 0/0 queued", explain["remote"][5], StringComparison.Ordinal);
        }
        for (var i = 0; i < 500 && remote.Running > 0; i++) await Task.Delay(10);
        Assert.Equal("remote", (await ThreeEngines.RunAsync(c, "SELECT count(*) FROM events")).Engine);
    }

    [Fact]
    public async Task RulesRunBeforeTheCostModelAndReloadWithoutRestart()
    {
        var original = E.Gateway.Services.GetRequiredService<GatewayOptions>();
        var withRule = original with
        {
            Routing = original.Routing with
            {
                Rules = [new RoutingRule { Name = "etl-to-remote", Priority = 10, Match = new RuleMatch { Users = ["etl_*"] }, Engine = "remote" }],
            },
        };
        try
        {
            Assert.Empty(E.Routing.Apply(withRule));
            await using (var etl = await E.Gateway.ConnectAsync(user: "etl_nightly"))
            {
                var ruled = await ThreeEngines.RunAsync(etl, "SELECT count(*) FROM small_dim");
                Assert.Equal(("remote", ThreeEngines.RemoteSmall.ToString(CultureInfo.InvariantCulture)), (ruled.Engine, ruled.Value));
                Assert.Contains(ruled.Log, l => l.Contains("(rule #0 'etl-to-remote';", StringComparison.Ordinal));
                // The remote cannot see PostgreSQL's tables: the rule steps aside.
                Assert.Equal("pg", (await ThreeEngines.RunAsync(etl, $"SELECT count(*) FROM {E.Orders}")).Engine);
            }
            await using (var analyst = await E.Gateway.ConnectAsync(user: "analyst"))
            {
                Assert.Equal("duckdb", (await ThreeEngines.RunAsync(analyst, "SELECT count(*) FROM small_dim")).Engine);
            }

            // An invalid change is refused whole, with every problem; the rule in force stays.
            var broken = withRule with
            {
                Routing = withRule.Routing with { Rules = [.. withRule.Routing.Rules, new RoutingRule { Name = "bad", Engine = "sparky", Match = new RuleMatch { StatementKinds = ["Querry"] } }] },
            };
            var errors = E.Routing.Apply(broken);
            Assert.Contains(errors, e => e.Contains("Engine 'sparky' is not a configured engine", StringComparison.Ordinal));
            Assert.Contains(errors, e => e.Contains("'Querry' is not a statement kind", StringComparison.Ordinal));
            await using var still = await E.Gateway.ConnectAsync(user: "etl_nightly");
            Assert.Equal("remote", (await ThreeEngines.RunAsync(still, "SELECT count(*) FROM small_dim")).Engine);
        }
        finally
        {
            Assert.Empty(E.Routing.Apply(original));
        }
    }

    [Fact]
    public async Task TheSessionDialectDecidesHowStatementsAreRead()
    {
        await using var c = await E.Gateway.ConnectAsync();
        // In Spark SQL "events" is a string, so the statement cannot be analysed: the default engine, and why.
        var spark = (await ThreeEngines.ExplainAsync(c, "SELECT count(*) FROM \"events\"")).Values.Single(r => r[4] is not null);
        Assert.Equal(("duckdb", "fallback"), (spark[0], spark[4]));
        Assert.Contains("cost model skipped", spark[5], StringComparison.Ordinal);

        await c.QueryAsync("SET gateway.dialect=trino");
        var trino = (await ThreeEngines.ExplainAsync(c, "SELECT count(*) FROM \"events\"")).Values.Single(r => r[4] is not null);
        Assert.Equal(("remote", "cost"), (trino[0], trino[4]));

        var bad = await Assert.ThrowsAsync<HiveClientException>(() => c.QueryAsync("SET gateway.dialect=klingon"));
        Assert.Contains("Unknown dialect 'klingon'", bad.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SessionCommandsStayOnTheDefaultEngine()
    {
        await using var c = await E.Gateway.ConnectAsync();
        var explain = await ThreeEngines.ExplainAsync(c, "USE default");
        var chosen = explain.Values.Single(r => r[4] is not null);
        Assert.Equal(("duckdb", "fallback"), (chosen[0], chosen[4]));
        Assert.Contains("session command", chosen[5], StringComparison.Ordinal);
    }
}

/// <summary>A dead engine costs no failed query when another can run the statement.</summary>
public sealed class RoutingFailoverRealServiceTests
{
    [Fact]
    public async Task AStoppedEngineFailsOverBeforeTheFirstRow()
    {
        await using var e = await ThreeEngines.StartAsync();
        await using var c = await e.Gateway.ConnectAsync();
        Assert.Equal("remote", (await ThreeEngines.RunAsync(c, "SELECT count(*) FROM events")).Engine);

        e.Remote.Kill();
        var moved = await ThreeEngines.RunAsync(c, "SELECT count(*) FROM events");
        Assert.Equal(("duckdb", ThreeEngines.LocalEvents.ToString(CultureInfo.InvariantCulture)), (moved.Engine, moved.Value));
        Assert.Contains(moved.Log, l => l.Contains("Engine 'remote' failed before returning any row", StringComparison.Ordinal) && l.Contains("failing over to 'duckdb'", StringComparison.Ordinal));
        Assert.Contains(moved.Log, l => l.Contains("Running on engine 'duckdb' (failover #1", StringComparison.Ordinal));
        Assert.Equal(1, e.Routing.Metrics.Failovers.GetValueOrDefault(("remote", "duckdb")));
    }

    [Fact]
    public async Task AnUnhealthyEngineIsSkippedUntilItRecovers()
    {
        await using var e = await ThreeEngines.StartAsync(new Dictionary<string, string?>
        {
            ["Gateway:Engines:2:Health:Interval"] = "00:00:00.200",
            ["Gateway:Engines:2:Health:Timeout"] = "00:00:02",
        });
        var remote = e.Engines.Find("remote")!;
        await using var c = await e.Gateway.ConnectAsync();
        Assert.Equal("remote", (await ThreeEngines.RunAsync(c, "SELECT count(*) FROM events")).Engine);
        var port = e.Remote.BinaryPort;
        e.Remote.Kill();
        for (var i = 0; i < 300 && remote.Healthy; i++) await Task.Delay(100);
        Assert.False(remote.Healthy);

        // The router no longer offers it: nothing fails, nothing fails over.
        var explain = await ThreeEngines.ExplainAsync(c, "SELECT count(*) FROM events");
        Assert.StartsWith("unhealthy: ", explain["remote"][5], StringComparison.Ordinal);
        Assert.Equal("cost", explain["duckdb"][4]);
        Assert.Equal("duckdb", (await ThreeEngines.RunAsync(c, "SELECT count(*) FROM events")).Engine);
        await using var pinned = await e.Gateway.ConnectAsync(configuration: new Dictionary<string, string> { ["gateway.engine"] = "remote" });
        var overridden = await ThreeEngines.RunAsync(pinned, "SELECT 1");
        Assert.Equal("duckdb", overridden.Engine);
        Assert.Contains(overridden.Log, l => l.Contains("gateway.engine=remote: engine remote is unhealthy", StringComparison.Ordinal));

        // A new remote on the same port: healthy again, and the session that lost its remote connection gets a new one.
        await using var replacement = await GatewayProcess.StartAsync(tls: false, new Dictionary<string, string> { [ThreeEngines.RemoteUser] = ThreeEngines.RemotePassword }, binaryPort: port);
        await using (var setup = await HiveConnection.OpenAsync(new HiveConnectionOptions { Port = port, User = ThreeEngines.RemoteUser, Password = ThreeEngines.RemotePassword }))
        {
            await setup.QueryAsync("CREATE TABLE events AS SELECT range AS id, 'replacement' AS origin FROM range(9)");
        }
        for (var i = 0; i < 300 && !remote.Healthy; i++) await Task.Delay(100);
        Assert.True(remote.Healthy, remote.HealthDetail);
        var back = await ThreeEngines.RunAsync(c, "SELECT count(*) FROM events");
        Assert.Equal(("remote", "9"), (back.Engine, back.Value));
        Assert.Contains(back.Log, l => l.Contains("Engine 'remote' lost the session's connection", StringComparison.Ordinal) && l.Contains("retrying on a new one", StringComparison.Ordinal));
        Assert.Empty(e.Routing.Metrics.Failovers);
    }

    [Fact]
    public async Task WritesThatMayHaveReachedTheEngineDoNotFailOver()
    {
        await using var e = await ThreeEngines.StartAsync();
        await using var c = await e.Gateway.ConnectAsync();
        // Sent to the remote (it reads the 50 GB table), which dies while running it: the INSERT may have happened, so
        // it is not repeated elsewhere.
        var op = await c.StartAsync("INSERT INTO small_dim SELECT e.id, e.origin FROM events e, range(1000000000) r WHERE r.range * r.range < 0");
        for (var i = 0; i < 1000 && !(await op.FetchLogAsync()).Any(l => l.Contains("Running on engine 'remote'", StringComparison.Ordinal)); i++) await Task.Delay(10);
        await Task.Delay(300);
        e.Remote.Kill();
        var error = await Assert.ThrowsAsync<HiveClientException>(() => op.WaitAsync());
        Assert.StartsWith("08", error.SqlState, StringComparison.Ordinal);
        Assert.Empty(e.Routing.Metrics.Failovers);
        await op.DisposeAsync();
    }
}

/// <summary>Gateway:Routing follows the configuration file without a restart.</summary>
public sealed class RoutingReloadInProcessTests
{
    [Fact]
    public async Task EditingTheConfigurationFileSwapsTheRules()
    {
        var folder = Directory.CreateTempSubdirectory("gw-reload").FullName;
        var file = Path.Combine(folder, "gateway.json");
        static string Json(string engine) => $$"""
            { "Gateway": { "Routing": { "Rules": [ { "Name": "all", "Match": {}, "Engine": "{{engine}}" } ] } } }
            """;
        await File.WriteAllTextAsync(file, Json("duckdb"));
        var app = await Gateway.Server.Hosting.GatewayHost.BuildAsync([], cfg =>
        {
            cfg.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Gateway:DataFolder"] = folder,
                ["Gateway:Binary:Port"] = "0",
                ["Gateway:Http:Enabled"] = "false",
                ["Gateway:Trino:Enabled"] = "false",
                ["Gateway:DuckDb:DemoData"] = "false",
                ["Gateway:Engines:0:Name"] = "scratch",
                ["Gateway:Engines:0:Database"] = ":memory:",
                ["Logging:LogLevel:Default"] = "Warning",
            });
            cfg.AddJsonFile(file, optional: false, reloadOnChange: true);
        });
        await app.StartAsync();
        try
        {
            var routing = app.Services.GetRequiredService<RoutingService>();
            Assert.Equal("duckdb", routing.Options.Rules.Single().Engine);
            await File.WriteAllTextAsync(file, Json("scratch"));
            for (var i = 0; i < 200 && routing.Options.Rules.Single().Engine != "scratch"; i++) await Task.Delay(50);
            Assert.Equal("scratch", routing.Options.Rules.Single().Engine);

            // A broken edit is refused; the last good rules stay.
            var watcher = app.Services.GetRequiredService<GatewayConfigurationWatcher>();
            await File.WriteAllTextAsync(file, Json("nowhere"));
            for (var i = 0; i < 200 && watcher.LastReload is not { Applied: false }; i++) await Task.Delay(50);
            Assert.Contains(watcher.LastReload!.Errors, e => e.Contains("Engine 'nowhere' is not a configured engine", StringComparison.Ordinal));
            Assert.Equal("scratch", routing.Options.Rules.Single().Engine);

            // A valid routing change next to an invalid value in another section is refused whole, with every
            // problem listed, as the same value would be at start.
            var at = watcher.LastReload.At;
            await File.WriteAllTextAsync(file, """
                { "Gateway": { "Limits": { "MaxRowsPerFetch": 0, "SweepInterval": "00:00:00" },
                               "Routing": { "Rules": [ { "Name": "all", "Match": {}, "Engine": "duckdb" } ] } } }
                """);
            for (var i = 0; i < 200 && watcher.LastReload.At == at; i++) await Task.Delay(50);
            Assert.False(watcher.LastReload.Applied);
            Assert.Contains("Gateway:Limits:MaxRowsPerFetch must be positive.", watcher.LastReload.Errors);
            Assert.Contains("Gateway:Limits:SweepInterval must be positive.", watcher.LastReload.Errors);
            Assert.Equal("scratch", routing.Options.Rules.Single().Engine);
            Assert.Equal(2, watcher.LastReload.Errors.Count);

            // Fixed, it applies.
            await File.WriteAllTextAsync(file, Json("duckdb"));
            for (var i = 0; i < 200 && routing.Options.Rules.Single().Engine != "duckdb"; i++) await Task.Delay(50);
            Assert.Equal("duckdb", routing.Options.Rules.Single().Engine);
            Assert.True(watcher.LastReload.Applied);
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
            Directory.Delete(folder, recursive: true);
        }
    }
}
