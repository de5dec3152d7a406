using Gateway.Engines.HiveServer2;
using Gateway.Tests.Engines;

namespace Gateway.Tests.InProcess;

/// <summary>
/// One gateway with three engines that really run: its embedded DuckDB, the PostgreSQL test server, and a
/// second gateway reached as a remote HiveServer2 engine; HS2 clients pick one with <c>gateway.engine</c>.
/// </summary>
public sealed class MultiEngineInProcessTests : IAsyncLifetime
{
    private GatewayInstance _remote = null!;
    private GatewayInstance _gateway = null!;

    public async Task InitializeAsync()
    {
        _remote = await GatewayInstance.StartAsync(new Dictionary<string, string?> { ["Gateway:DuckDb:DemoData"] = "false", ["Gateway:Http:Enabled"] = "false" });
        await using (var setup = await _remote.ConnectAsync())
        {
            await setup.QueryAsync("CREATE TABLE remote_only AS SELECT 'from the other gateway' AS origin");
        }
        _gateway = await GatewayInstance.StartAsync(new Dictionary<string, string?>
        {
            ["Gateway:DuckDb:DemoData"] = "false",
            ["Gateway:Engines:0:Name"] = "pg",
            ["Gateway:Engines:0:Kind"] = "Postgres",
            ["Gateway:Engines:0:Postgres:ConnectionString"] = PostgresTestServer.ConnectionString,
            ["Gateway:Engines:1:Name"] = "remote",
            ["Gateway:Engines:1:Kind"] = "HiveServer2",
            ["Gateway:Engines:1:HiveServer2:Host"] = "127.0.0.1",
            ["Gateway:Engines:1:HiveServer2:Port"] = _remote.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Gateway:Engines:1:HiveServer2:Auth"] = "SaslPlain",
            ["Gateway:Engines:1:HiveServer2:User"] = "gateway",
            ["Gateway:Engines:1:HiveServer2:Password"] = "x",
        });
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _remote.DisposeAsync();
    }

    [Fact]
    public async Task StatementsRunOnTheRemoteGatewayWhenTheSessionChoosesIt()
    {
        await using var c = await _gateway.ConnectAsync();
        await Assert.ThrowsAsync<HiveClientException>(() => c.QueryAsync("SELECT origin FROM remote_only"));
        await c.QueryAsync("SET gateway.engine=remote");
        Assert.Equal("from the other gateway", (await c.QueryAsync("SELECT origin FROM remote_only")).Rows[0][0]);
        var (_, rows) = await c.QueryAsync("SELECT i, i * 2 AS twice FROM range(5) t(i) ORDER BY i");
        Assert.Equal(5, rows.Count);
        Assert.Equal("8", rows[4][1]);
        var e = await Assert.ThrowsAsync<HiveClientException>(() => c.QueryAsync("SELECT * FROM no_such_table_remote"));
        Assert.Contains("no_such_table_remote", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StatementsRunOnPostgresWhenTheSessionChoosesIt()
    {
        await using var c = await _gateway.ConnectAsync(configuration: new Dictionary<string, string> { ["gateway.engine"] = "pg" });
        var (schema, rows) = await c.QueryAsync("SELECT version() AS v, 42::int AS answer, NULL::text AS nothing, DATE '2024-02-29' AS d");
        Assert.StartsWith("PostgreSQL", rows[0][0], StringComparison.Ordinal);
        Assert.Equal(new string?[] { "42", null, "2024-02-29" }, rows[0][1..]);
        Assert.Equal(Gateway.Protocol.Columnar.SqlTypeKind.Int, schema.Columns[1].Type.Kind);

        // A large result streams from PostgreSQL through the gateway.
        await using var op = await c.ExecuteAsync("SELECT g, md5(g::text) FROM generate_series(1, 200000) g");
        long n = 0;
        while (true)
        {
            var (batch, more) = await op.FetchAsync(50_000);
            using (batch) n += batch.RowCount;
            if (!more) break;
        }
        Assert.Equal(200_000, n);

        // PostgreSQL's errors keep their SQLSTATE.
        var e = await Assert.ThrowsAsync<HiveClientException>(() => c.QueryAsync("SELECT * FROM no_such_table_anywhere"));
        Assert.Equal("42P01", e.SqlState);
        await c.QueryAsync("SET gateway.engine=duckdb");
        // duckdb_settings() exists only in DuckDB.
        Assert.Equal("1", (await c.QueryAsync("SELECT 1 FROM duckdb_settings() LIMIT 1")).Rows[0][0]);
    }
}
