using Gateway.Engines.HiveServer2;
using Gateway.Engines.Trino;
using Gateway.Tests.Engines;
using Microsoft.Extensions.DependencyInjection;
using static Gateway.Tests.Engines.TrinoFakeCoordinator;

namespace Gateway.Tests.InProcess;

/// <summary>A gateway with a Trino engine (an in-test coordinator): HS2 clients reach it by routing, and its answers and errors come back as from any engine.</summary>
public sealed class TrinoEngineInProcessTests : IAsyncLifetime
{
    private TrinoFakeCoordinator _trino = null!;
    private GatewayInstance _gateway = null!;

    public async Task InitializeAsync()
    {
        _trino = await TrinoFakeCoordinator.StartAsync();
        _trino.Answer = sql => sql.StartsWith("USE ", StringComparison.Ordinal)
            ? new Script([Page("FINISHED", extra: "\"updateType\":\"USE\",")])
            : sql.Contains("orders", StringComparison.Ordinal)
                ? Query($"[{Column("id", "bigint", Sig("bigint"))},{Column("amount", "decimal(12,2)", Sig("decimal", LongArg(12), LongArg(2)))},{Column("at", "timestamp(3)", Sig("timestamp", LongArg(3)))}]",
                    "[[1,\"10.50\",\"2024-01-31 12:00:00.000\"],[2,\"-3.25\",\"2024-02-01 08:30:15.250\"]]")
                : null;
        _gateway = await GatewayInstance.StartAsync(new Dictionary<string, string?>
        {
            ["Gateway:Engines:0:Name"] = "trino",
            ["Gateway:Engines:0:Kind"] = "Trino",
            ["Gateway:Engines:0:Trino:Port"] = _trino.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Gateway:Engines:0:Trino:Catalog"] = "hive",
            ["Gateway:Engines:0:Trino:Schema"] = "sales",
            ["Gateway:Engines:0:Trino:ImpersonateUser"] = "true",
        });
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _trino.DisposeAsync();
    }

    [Fact]
    public async Task AnHs2ClientRunsStatementsOnTheTrinoEngine()
    {
        await using var c = await _gateway.ConnectAsync(user: "alice");
        var (schema, rows) = await c.QueryAsync("/*+ ENGINE(trino) */ SELECT id, amount, at FROM orders ORDER BY id");
        Assert.Equal(["id", "amount", "at"], schema.Columns.Select(col => col.Name));
        Assert.Equal(new string?[][] { ["1", "10.50", "2024-01-31 12:00:00"], ["2", "-3.25", "2024-02-01 08:30:15.25"] }, rows);
        var sent = _trino.Statements.Last(s => s.Sql.Contains("orders", StringComparison.Ordinal));
        // The statement runs as the gateway's user (ImpersonateUser), without the routing hint.
        Assert.Equal("alice", sent.Headers["X-Trino-User"].Single());

        var error = await Assert.ThrowsAsync<HiveClientException>(() => c.QueryAsync("/*+ ENGINE(trino) */ SELEC nonsense"));
        Assert.Equal("42000", error.SqlState);
        Assert.Contains("SYNTAX_ERROR", error.Message, StringComparison.Ordinal);
        // The session goes on, on the other engines too.
        Assert.Equal("1", (await c.QueryAsync("SELECT 1")).Rows[0][0]);
    }
}

/// <summary>The router sends a lake table's statements to DuckDB or to Trino by its size, from Trino's own statistics (SHOW STATS FOR).</summary>
public sealed class TrinoRoutingInProcessTests : IAsyncLifetime
{
    private TrinoFakeCoordinator _trino = null!;
    private GatewayInstance _gateway = null!;

    private static string StatsColumns => "[" + string.Join(",",
        Column("column_name", "varchar", Sig("varchar")), Column("data_size", "double", Sig("double")), Column("distinct_values_count", "double", Sig("double")),
        Column("nulls_fraction", "double", Sig("double")), Column("row_count", "double", Sig("double")), Column("low_value", "varchar", Sig("varchar")),
        Column("high_value", "varchar", Sig("varchar"))) + "]";

    /// <summary>The lake catalog's listings as the coordinator answers TrinoCatalog's information_schema queries; null for any other query.</summary>
    internal static Script? LakeListing(string sql) => sql switch
    {
        _ when sql.Contains("information_schema.schemata", StringComparison.Ordinal) => Query($"[{Column("schema_name", "varchar", Sig("varchar"))}]", "[[\"marketing\"],[\"sales\"]]"),
        _ when sql.Contains("information_schema.tables", StringComparison.Ordinal) && sql.Contains("'sales'", StringComparison.Ordinal) =>
                Query($"[{Column("table_schema", "varchar", Sig("varchar"))},{Column("table_name", "varchar", Sig("varchar"))},{Column("table_type", "varchar", Sig("varchar"))}]",
                    "[[\"sales\",\"events\",\"BASE TABLE\"],[\"sales\",\"regions\",\"BASE TABLE\"]]"),
        _ when sql.Contains("information_schema.tables", StringComparison.Ordinal) =>
                Query($"[{Column("table_schema", "varchar", Sig("varchar"))},{Column("table_name", "varchar", Sig("varchar"))},{Column("table_type", "varchar", Sig("varchar"))}]",
                    "[[\"marketing\",\"campaigns\",\"VIEW\"],[\"sales\",\"events\",\"BASE TABLE\"],[\"sales\",\"regions\",\"BASE TABLE\"]]"),
        _ when sql.Contains("information_schema.columns", StringComparison.Ordinal) && sql.Contains("'events'", StringComparison.Ordinal) =>
                Query($"[{Column("column_name", "varchar", Sig("varchar"))},{Column("data_type", "varchar", Sig("varchar"))},{Column("ordinal_position", "bigint", Sig("bigint"))},{Column("is_nullable", "varchar", Sig("varchar"))},{Column("comment", "varchar", Sig("varchar"))}]",
                    "[[\"id\",\"bigint\",1,\"NO\",null],[\"amount\",\"decimal(12,2)\",2,\"YES\",\"in euros\"],[\"tags\",\"array(varchar)\",3,\"YES\",null]]"),
        _ when sql.Contains("information_schema.columns", StringComparison.Ordinal) => Query($"[{Column("column_name", "varchar", Sig("varchar"))}]", "[]"),
        _ => null,
    };

    public async Task InitializeAsync()
    {
        _trino = await TrinoFakeCoordinator.StartAsync();
        _trino.Answer = sql => sql switch
        {
            _ when sql.StartsWith("SHOW STATS FOR \"lake\".\"sales\".\"events\"", StringComparison.Ordinal) =>
                Query(StatsColumns, "[[\"id\",null,1.0E9,0.0,null,\"1\",\"1000000000\"],[\"payload\",5.0E11,null,0.0,null,null,null],[null,null,null,null,1.0E9,null,null]]"),
            _ when sql.StartsWith("SHOW STATS FOR \"lake\".\"sales\".\"regions\"", StringComparison.Ordinal) =>
                Query(StatsColumns, "[[\"name\",2048.0,12.0,0.0,null,null,null],[null,null,null,null,12.0,null,null]]"),
            _ when sql.StartsWith("SHOW STATS FOR", StringComparison.Ordinal) => null,
            _ when LakeListing(sql) is { } listed => listed,
            _ when sql.Contains("events", StringComparison.Ordinal) => Query($"[{Column("n", "bigint", Sig("bigint"))}]", "[[1000000000]]"),
            _ => Query($"[{Column("x", "integer", Sig("integer"))}]", "[[1]]"),
        };
        _gateway = await GatewayInstance.StartAsync(new Dictionary<string, string?>
        {
            ["Gateway:Engines:0:Name"] = "trino",
            ["Gateway:Engines:0:Kind"] = "Trino",
            ["Gateway:Engines:0:Trino:Port"] = _trino.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Gateway:Engines:0:Trino:Catalog"] = "lake",
            ["Gateway:Engines:0:Trino:Schema"] = "sales",
            ["Gateway:Engines:0:Catalogs:0"] = "lake",
            // A cluster: more overhead per statement, more bytes per second (docs/routing.md, the cost model).
            ["Gateway:Engines:0:Routing:Cost:PerQueryOverhead"] = "00:00:00.150",
            ["Gateway:Engines:0:Routing:Cost:ScanBytesPerSecond"] = "2000000000",
            ["Gateway:Engines:1:Routing:Cost:PerQueryOverhead"] = "00:00:00.005",
            ["Gateway:Engines:1:Routing:Cost:ScanBytesPerSecond"] = "500000000",
            // The lake is readable by the embedded DuckDB too (as through DuckLake or Iceberg): the cost model chooses.
            ["Gateway:Engines:1:Name"] = "duckdb",
            ["Gateway:Engines:1:Catalogs:0"] = "embedded",
            ["Gateway:Engines:1:Catalogs:1"] = "lake",
            ["Gateway:Catalogs:0:Name"] = "lake",
            ["Gateway:Catalogs:0:Kind"] = "Trino",
            ["Gateway:Catalogs:0:Engine"] = "trino",
        });
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _trino.DisposeAsync();
    }

    [Fact]
    public async Task ABigLakeTableGoesToTrinoAndASmallOneToDuckDbByStatistics()
    {
        await using var c = await _gateway.ConnectAsync(user: "analyst");
        var big = (await c.QueryAsync("EXPLAIN ROUTING SELECT count(*) FROM lake.sales.events")).Rows;
        var text = string.Join("\n", big.Select(r => string.Join(" | ", r)));
        var chosen = big.Single(r => r[0] == "trino");
        Assert.True(chosen[1] == "yes" && chosen[4] == "cost", text);
        Assert.Contains("reads lake.sales.events (500 GB)", text, StringComparison.Ordinal);

        var small = (await c.QueryAsync("EXPLAIN ROUTING SELECT * FROM lake.sales.regions")).Rows;
        Assert.Equal("cost", small.Single(r => r[0] == "duckdb")[4]);

        // And the statement itself runs on Trino.
        Assert.Equal("1000000000", (await c.QueryAsync("SELECT count(*) AS n FROM lake.sales.events")).Rows.Single()[0]);
        Assert.Contains(_trino.Statements, s => s.Sql == "SELECT count(*) AS n FROM lake.sales.events");
    }

    /// <summary>One statement through the gateway's Trino frontend: its rows, or its error name.</summary>
    private async Task<(List<string?[]> Rows, string? Error)> TrinoFrontendAsync(string sql)
    {
        var answer = await TrinoHttp.RunAsync(_gateway.TrinoUri, "analyst", sql);
        return (answer.Rows, answer.ErrorName);
    }

    [Fact]
    public async Task TrinoClientsBrowseEveryCatalogFromItsOwnListing()
    {
        // The session's engine is the embedded DuckDB; the lake is listed by its own catalog (here through the Trino engine).
        Assert.Equal([["embedded"], ["lake"]], (await TrinoFrontendAsync("SHOW CATALOGS")).Rows);
        Assert.Equal([["marketing"], ["sales"]], (await TrinoFrontendAsync("SHOW SCHEMAS FROM lake")).Rows);
        Assert.Equal([["events"], ["regions"]], (await TrinoFrontendAsync("SHOW TABLES FROM lake.sales")).Rows);
        Assert.Equal([["id", "bigint", "", ""], ["amount", "decimal(12,2)", "", "in euros"], ["tags", "array(varchar)", "", ""]],
            (await TrinoFrontendAsync("DESCRIBE lake.sales.events")).Rows);
        Assert.Equal("CATALOG_NOT_FOUND", (await TrinoFrontendAsync("SHOW SCHEMAS FROM nowhere")).Error);

        // The metadata tables list every catalog, each from its own listing.
        var tables = (await TrinoFrontendAsync("SELECT table_cat, table_schem, table_name, table_type FROM system.jdbc.tables WHERE table_cat = 'lake' ORDER BY 2, 3")).Rows;
        Assert.Equal([["lake", "marketing", "campaigns", "VIEW"], ["lake", "sales", "events", "TABLE"], ["lake", "sales", "regions", "TABLE"]], tables);
        Assert.Contains(["lake"], (await TrinoFrontendAsync("SELECT DISTINCT table_catalog FROM system.jdbc.schemas")).Rows);
        var columns = (await TrinoFrontendAsync("SELECT column_name, data_type, is_nullable FROM lake.information_schema.columns WHERE table_schema = 'sales' AND table_name = 'events' ORDER BY ordinal_position")).Rows;
        Assert.Equal([["id", "bigint", "NO"], ["amount", "decimal(12,2)", "YES"], ["tags", "array(varchar)", "YES"]], columns);
        var jdbc = (await TrinoFrontendAsync("SELECT data_type, column_size, decimal_digits FROM system.jdbc.columns WHERE table_cat = 'lake' AND table_schem = 'sales' AND table_name = 'events' AND column_name = 'amount'")).Rows;
        Assert.Equal([["3", "12", "2"]], jdbc);
    }

    [Fact]
    public async Task TheClustersOwnLoadCountsInTheCost()
    {
        static Script Load(long running, long queued) =>
            Query($"[{Column("running", "bigint", Sig("bigint"))},{Column("queued", "bigint", Sig("bigint"))}]", $"[[{running},{queued}]]");
        var previous = _trino.Answer;
        var engine = (TrinoEngine)_gateway.Services.GetRequiredService<Gateway.Server.Engines.EngineRegistry>().Find("trino")!.Engine;
        var routing = _gateway.Services.GetRequiredService<Gateway.Server.Routing.RoutingService>();
        try
        {
            // Other clients keep the cluster busy: 400 running (401 with the load query itself), 100 waiting.
            _trino.Answer = sql => sql.Contains("system.runtime.queries", StringComparison.Ordinal) ? Load(401, 100) : previous(sql);
            var health = await engine.CheckHealthAsync(CancellationToken.None);
            Assert.True(health.Healthy);
            Assert.Contains("400 running, 100 queued", health.Detail, StringComparison.Ordinal);
            var load = routing.Candidates().Single(c => c.Name == "trino").Load;
            Assert.Equal((400, 100), (load.Running, load.Queued));

            await using var c = await _gateway.ConnectAsync(user: "analyst");
            var rows = (await c.QueryAsync("EXPLAIN ROUTING SELECT count(*) FROM lake.sales.events")).Rows;
            // The wait behind 468 statements outweighs the faster scan: the big table goes to DuckDB now.
            Assert.Equal("yes", rows.Single(r => r[0] == "duckdb")[1]);
        }
        finally
        {
            _trino.Answer = sql => sql.Contains("system.runtime.queries", StringComparison.Ordinal) ? Load(1, 0) : previous(sql);
            await engine.CheckHealthAsync(CancellationToken.None);
            _trino.Answer = previous;
        }
        Assert.Equal(0, routing.Candidates().Single(c => c.Name == "trino").Load.Running);
    }
}

/// <summary>A Trino engine that is down before the first row: the statement fails over to the next engine, and the operation log says so.</summary>
public sealed class TrinoFailoverInProcessTests : IAsyncLifetime
{
    private GatewayInstance _gateway = null!;

    public async Task InitializeAsync()
    {
        // Nothing listens on the Trino engine's port: a refused connection, as when the coordinator is down.
        var port = FreePort();
        _gateway = await GatewayInstance.StartAsync(new Dictionary<string, string?>
        {
            ["Gateway:Engines:0:Name"] = "trino",
            ["Gateway:Engines:0:Kind"] = "Trino",
            ["Gateway:Engines:0:Trino:Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Gateway:Engines:0:Health:Enabled"] = "false",
            ["Gateway:Routing:Rules:0:Name"] = "interactive-to-trino",
            ["Gateway:Routing:Rules:0:Engine"] = "trino",
        });
    }

    private static int FreePort()
    {
        using var socket = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        socket.Start();
        return ((System.Net.IPEndPoint)socket.LocalEndpoint).Port;
    }

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    [Fact]
    public async Task AReadFailsOverToDuckDbWhenTrinoIsDown()
    {
        await using var c = await _gateway.ConnectAsync(user: "analyst");
        var explain = (await c.QueryAsync("EXPLAIN ROUTING SELECT 41 + 1 AS answer")).Rows;
        Assert.Equal("rule #0", explain.Single(r => r[0] == "trino")[4]);
        Assert.Equal("42", (await c.QueryAsync("SELECT 41 + 1 AS answer")).Rows.Single()[0]);
    }
}
