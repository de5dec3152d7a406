using Gateway.Engines.HiveServer2;
using Gateway.Server.Sessions;
using Gateway.Tests.Engines;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.InProcess;

/// <summary>
/// Engine sessions pooled by share level in a whole gateway, against the real PostgreSQL test server (and a second
/// gateway as a remote HiveServer2 engine): which HS2 sessions reuse an engine session, idle eviction, validation of a
/// killed backend, database reset, and USE followed across engines. A PostgreSQL engine session is recognised by
/// session state only it holds: a custom setting (<c>set_config</c>), which PostgreSQL forgets when a connection goes
/// back to Npgsql's own pool.
/// </summary>
public sealed class EngineSessionPoolInProcessTests : IAsyncLifetime
{
    private const string Marker = "pool_test.marker";
    private readonly List<GatewayInstance> _gateways = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var g in _gateways) await g.DisposeAsync();
    }

    /// <summary>A gateway whose engine <c>pg</c> (the PostgreSQL test server) keeps sessions as <paramref name="sessions"/> says.</summary>
    private async Task<GatewayInstance> StartAsync(IDictionary<string, string?> sessions, IDictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Gateway:DuckDb:DemoData"] = "false",
            ["Gateway:Http:Enabled"] = "false",
            ["Gateway:Engines:0:Name"] = "pg",
            ["Gateway:Engines:0:Kind"] = "Postgres",
            ["Gateway:Engines:0:Postgres:ConnectionString"] = PostgresTestServer.ConnectionString,
        };
        foreach (var (k, v) in sessions) settings[$"Gateway:Engines:0:Sessions:{k}"] = v;
        foreach (var (k, v) in more ?? new Dictionary<string, string?>()) settings[k] = v;
        var gateway = await GatewayInstance.StartAsync(settings);
        _gateways.Add(gateway);
        return gateway;
    }

    private static EngineSessionPool Pool(GatewayInstance gateway, string engine = "pg") =>
        gateway.Services.GetRequiredService<EngineSessionPools>().Find(engine)!;

    private static Task<HiveConnection> OnPostgresAsync(GatewayInstance gateway, string user) =>
        gateway.ConnectAsync(user, configuration: new Dictionary<string, string> { ["gateway.engine"] = "pg" });

    private static async Task<string?> ScalarAsync(HiveConnection c, string sql) => (await c.QueryAsync(sql)).Rows.Single()[0];

    private static Task MarkAsync(HiveConnection c, string value) => c.QueryAsync($"SELECT set_config('{Marker}', '{value}', false)");

    private static async Task<string?> MarkOfAsync(HiveConnection c) =>
        await ScalarAsync(c, $"SELECT coalesce(current_setting('{Marker}', true), '')") is { Length: > 0 } mark ? mark : null;

    [Fact]
    public async Task UserLevelReusesAUsersEngineSessionAcrossHs2SessionsAndNeverAcrossUsers()
    {
        var gateway = await StartAsync(new Dictionary<string, string?> { ["ShareLevel"] = "User" });
        var pool = Pool(gateway);
        await using (var alice = await OnPostgresAsync(gateway, "alice"))
        {
            await MarkAsync(alice, "alice-1");
        }
        Assert.Equal((1, 0), (pool.Idle, pool.InUse));

        await using (var bob = await OnPostgresAsync(gateway, "bob"))
        {
            Assert.Null(await MarkOfAsync(bob));
            await using var aliceAgain = await OnPostgresAsync(gateway, "alice");
            Assert.Equal("alice-1", await MarkOfAsync(aliceAgain));
            Assert.Equal((2L, 1L, 2), (pool.Opened, pool.Reused, pool.InUse));
        }

        // Both idle now; bob's next session takes his own, never alice's.
        Assert.Equal(2, pool.Idle);
        await using var bobAgain = await OnPostgresAsync(gateway, "bob");
        Assert.Null(await MarkOfAsync(bobAgain));
        Assert.Equal((2L, 2L), (pool.Opened, pool.Reused));
    }

    [Fact]
    public async Task ServerLevelSharesEngineSessionsAcrossUsers()
    {
        var gateway = await StartAsync(new Dictionary<string, string?> { ["ShareLevel"] = "Server" });
        await using (var alice = await OnPostgresAsync(gateway, "alice"))
        {
            await MarkAsync(alice, "shared");
        }
        await using var bob = await OnPostgresAsync(gateway, "bob");
        Assert.Equal("shared", await MarkOfAsync(bob));
        Assert.Equal((1L, 1L), (Pool(gateway).Opened, Pool(gateway).Reused));
    }

    [Fact]
    public async Task ConnectionLevelClosesEngineSessionsWithTheirHs2Session()
    {
        var gateway = await StartAsync(new Dictionary<string, string?>());
        var pool = Pool(gateway);
        await using (var alice = await OnPostgresAsync(gateway, "alice"))
        {
            await MarkAsync(alice, "gone with the session");
            Assert.Equal(1, pool.InUse);
        }
        Assert.Equal((0, 0, 1L), (pool.Idle, pool.InUse, pool.ClosedOnReturn));
        await using var again = await OnPostgresAsync(gateway, "alice");
        Assert.Null(await MarkOfAsync(again));
        Assert.Equal((2L, 0L), (pool.Opened, pool.Reused));
    }

    [Fact]
    public async Task IdleEngineSessionsAreClosedAfterTheIdleTimeout()
    {
        var gateway = await StartAsync(
            new Dictionary<string, string?> { ["ShareLevel"] = "User", ["IdleTimeout"] = "00:00:01" },
            new Dictionary<string, string?> { ["Gateway:Limits:SweepInterval"] = "00:00:00.200" });
        var pool = Pool(gateway);
        await using (var alice = await OnPostgresAsync(gateway, "alice"))
        {
            await MarkAsync(alice, "soon evicted");
        }
        Assert.Equal(1, pool.Idle);
        for (var i = 0; i < 300 && pool.Idle > 0; i++) await Task.Delay(50);
        Assert.Equal((0, 1L), (pool.Idle, pool.EvictedIdle));

        await using var again = await OnPostgresAsync(gateway, "alice");
        Assert.Null(await MarkOfAsync(again));
        Assert.Equal((2L, 0L), (pool.Opened, pool.Reused));
    }

    [Fact]
    public async Task APooledSessionWhoseBackendWasKilledIsReplacedAndTheStatementSucceeds()
    {
        var gateway = await StartAsync(new Dictionary<string, string?> { ["ShareLevel"] = "User", ["ValidateAfterIdle"] = "00:00:00" });
        var pool = Pool(gateway);
        string? pid;
        await using (var alice = await OnPostgresAsync(gateway, "alice"))
        {
            await MarkAsync(alice, "killed");
            pid = await ScalarAsync(alice, "SELECT pg_backend_pid()");
        }
        await PostgresTestServer.ExecuteAsync($"SELECT pg_terminate_backend({pid})");

        await using var again = await OnPostgresAsync(gateway, "alice");
        Assert.Null(await MarkOfAsync(again));
        Assert.NotEqual(pid, await ScalarAsync(again, "SELECT pg_backend_pid()"));
        Assert.Equal((1L, 2L, 0L), (pool.ValidationFailures, pool.Opened, pool.Reused));
    }

    [Fact]
    public async Task AReusedSessionStartsInTheEnginesDefaultSchemaNotWhereItsLastUserLeftIt()
    {
        var schema = $"pool_reset_{Guid.NewGuid():N}"[..24];
        await PostgresTestServer.ExecuteAsync($"CREATE SCHEMA {schema}");
        try
        {
            var gateway = await StartAsync(new Dictionary<string, string?> { ["ShareLevel"] = "User" });
            await using (var alice = await OnPostgresAsync(gateway, "alice"))
            {
                await MarkAsync(alice, "reset");
                await alice.QueryAsync($"USE {schema}");
                Assert.Equal(schema, await ScalarAsync(alice, "SELECT current_schema()"));
            }
            await using var again = await OnPostgresAsync(gateway, "alice");
            Assert.Equal("reset", await MarkOfAsync(again));
            Assert.Equal("public", await ScalarAsync(again, "SELECT current_schema()"));
            Assert.Equal(1L, Pool(gateway).Reused);
        }
        finally
        {
            await PostgresTestServer.ExecuteAsync($"DROP SCHEMA IF EXISTS {schema} CASCADE");
        }
    }

    [Fact]
    public async Task UseOnTheDefaultEngineMovesPostgresWhenItHasTheSchemaAndLeavesItWhenItHasNot()
    {
        var shared = $"pool_use_{Guid.NewGuid():N}"[..22];
        var duckOnly = $"pool_duck_{Guid.NewGuid():N}"[..23];
        await PostgresTestServer.ExecuteAsync($"CREATE SCHEMA {shared}; CREATE TABLE {shared}.t AS SELECT 'pg' AS origin");
        try
        {
            var gateway = await StartAsync(new Dictionary<string, string?>());
            await using var c = await gateway.ConnectAsync("alice");
            await c.QueryAsync($"CREATE SCHEMA {shared}");
            await c.QueryAsync($"CREATE SCHEMA {duckOnly}");

            await c.QueryAsync($"USE {shared}");
            await c.QueryAsync("SET gateway.engine=pg");
            Assert.Equal(shared, await ScalarAsync(c, "SELECT current_schema()"));
            Assert.Equal("pg", await ScalarAsync(c, "SELECT origin FROM t"));

            // PostgreSQL has no such schema: it stays where it was, and the statement still runs.
            await c.QueryAsync("SET gateway.engine=duckdb");
            await c.QueryAsync($"USE {duckOnly}");
            Assert.Equal(duckOnly, await ScalarAsync(c, "SELECT current_database()"));
            await c.QueryAsync("SET gateway.engine=pg");
            Assert.Equal(shared, await ScalarAsync(c, "SELECT current_schema()"));

            // Hive's default database is each engine's own: DuckDB's main, PostgreSQL's public.
            await c.QueryAsync("SET gateway.engine=duckdb");
            await c.QueryAsync("USE default");
            await c.QueryAsync("SET gateway.engine=pg");
            Assert.Equal("public", await ScalarAsync(c, "SELECT current_schema()"));
        }
        finally
        {
            await PostgresTestServer.ExecuteAsync($"DROP SCHEMA IF EXISTS {shared} CASCADE");
        }
    }

    [Fact]
    public async Task UseOnTheDefaultEngineMovesARemoteHiveServer2Engine()
    {
        var remote = await GatewayInstance.StartAsync(new Dictionary<string, string?> { ["Gateway:DuckDb:DemoData"] = "false", ["Gateway:Http:Enabled"] = "false" });
        _gateways.Add(remote);
        await using (var setup = await remote.ConnectAsync())
        {
            await setup.QueryAsync("CREATE SCHEMA sales");
            await setup.QueryAsync("CREATE TABLE sales.orders AS SELECT 'remote' AS origin");
        }
        var gateway = await StartAsync(new Dictionary<string, string?>(), new Dictionary<string, string?>
        {
            ["Gateway:Engines:1:Name"] = "remote",
            ["Gateway:Engines:1:Kind"] = "HiveServer2",
            ["Gateway:Engines:1:HiveServer2:Host"] = "127.0.0.1",
            ["Gateway:Engines:1:HiveServer2:Port"] = remote.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Gateway:Engines:1:HiveServer2:Auth"] = "SaslPlain",
            ["Gateway:Engines:1:HiveServer2:User"] = "gateway",
            ["Gateway:Engines:1:HiveServer2:Password"] = "x",
            ["Gateway:Engines:1:Sessions:ShareLevel"] = "User",
        });
        await using (var c = await gateway.ConnectAsync("alice"))
        {
            await c.QueryAsync("CREATE SCHEMA sales");
            await c.QueryAsync("USE sales");
            await c.QueryAsync("SET gateway.engine=remote");
            Assert.Equal("sales", await ScalarAsync(c, "SELECT current_database()"));
            Assert.Equal("remote", await ScalarAsync(c, "SELECT origin FROM orders"));
        }
        // Pooled per user, and back on the remote's default database for the next session.
        await using var again = await gateway.ConnectAsync("alice", configuration: new Dictionary<string, string> { ["gateway.engine"] = "remote" });
        Assert.Equal("main", await ScalarAsync(again, "SELECT current_database()"));
        Assert.Equal(1L, Pool(gateway, "remote").Reused);
    }

    [Fact]
    public async Task ABusyPrimaryStillGetsASecondaryAndOnlyTheCleanOneIsPooled()
    {
        var gateway = await StartAsync(new Dictionary<string, string?> { ["ShareLevel"] = "User" });
        var pool = Pool(gateway);
        await using (var c = await OnPostgresAsync(gateway, "alice"))
        {
            await using var streaming = await c.ExecuteAsync("SELECT g FROM generate_series(1, 200000) g");
            var (first, more) = await streaming.FetchAsync(1000);
            using (first) Assert.Equal(1000, first.RowCount);
            Assert.True(more);

            await using (var op = await c.ExecuteAsync("SELECT 42"))
            {
                var (batch, _) = await op.FetchAsync(10);
                using (batch) Assert.Equal(1, batch.RowCount);
                Assert.Contains(await op.FetchLogAsync(), l => l.Contains("secondary connection", StringComparison.Ordinal));
            }
            Assert.Equal(2, pool.InUse);
            // The streaming result is closed unread: its session was interrupted mid-way.
        }
        Assert.Equal((1, 0, 1L), (pool.Idle, pool.InUse, pool.ClosedOnReturn));
    }
}
