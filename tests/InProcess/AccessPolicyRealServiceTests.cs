using Gateway.Engines.HiveServer2;
using Gateway.Server.Auth;
using Gateway.Tests.Engines;

namespace Gateway.Tests.InProcess;

/// <summary>
/// The same policy on a real PostgreSQL engine: privileges, the row filter and every portable mask rendered in
/// PostgreSQL's SQL, through the project's HS2 client, for two users who see different rows and values.
/// </summary>
public sealed class AccessPolicyRealServiceTests : IAsyncLifetime
{
    private readonly string _table = "pol_people_" + Guid.NewGuid().ToString("N")[..10];
    private string _folder = null!;
    private GatewayInstance _gateway = null!;

    public async Task InitializeAsync()
    {
        await PostgresTestServer.ExecuteAsync($"""
            CREATE TABLE public.{_table} (id integer, name text, email varchar(80), country text, born date, score numeric(6,2), note text);
            INSERT INTO public.{_table} SELECT g, 'Person ' || g, 'p' || g || '@example.com', CASE WHEN g % 2 = 0 THEN 'DE' ELSE 'FR' END,
                DATE '1990-06-15' + g, g * 1.5, 'n' || g FROM generate_series(1, 20) g;
            """);
        _folder = Directory.CreateTempSubdirectory("gw-policy-pg").FullName;
        PasswordFile.Write(Path.Combine(_folder, "users.txt"), new Dictionary<string, PasswordEntry>
        {
            ["alice"] = new(PasswordHash.Create("alice-pw", 1000), ["emea"]),
            ["bob"] = new(PasswordHash.Create("bob-pw", 1000), ["fr"]),
            ["root"] = new(PasswordHash.Create("root-pw", 1000), ["admins"]),
        });
        var policy = Path.Combine(_folder, "rules.json");
        await File.WriteAllTextAsync(policy, $$"""
            {
              "tables": [
                { "group": "admins", "privileges": ["SELECT", "INSERT", "DELETE", "UPDATE", "OWNERSHIP"] },
                { "group": "emea", "catalog": "pg", "table": "{{_table}}", "privileges": ["SELECT"], "filter": "country = 'DE'",
                  "columns": [ { "name": "email", "allow": false }, { "name": "name", "mask": "SHOW_LAST_4" }, { "name": "born", "mask": "DATE_SHOW_YEAR" },
                               { "name": "note", "mask": "HASH" }, { "name": "score", "mask": "NULL" }, { "name": "country", "mask": "REDACT" } ] },
                { "group": "fr", "catalog": "pg", "table": "{{_table}}", "privileges": ["SELECT"], "filter": "country = 'FR' AND id < 6",
                  "columns": [ { "name": "name", "mask": "SHOW_FIRST_4" }, { "name": "email", "mask": "'hidden@' || split_part(email, '@', 2)" } ] }
              ],
              "engines": [ { "allow": true } ]
            }
            """);
        _gateway = await GatewayInstance.StartAsync(new Dictionary<string, string?>
        {
            ["Gateway:DuckDb:DemoData"] = "false",
            ["Gateway:Auth:Mode"] = "PasswordFile",
            ["Gateway:Auth:PasswordFile"] = Path.Combine(_folder, "users.txt"),
            ["Gateway:AccessControl:ConfigFile"] = policy,
            ["Gateway:Engines:0:Name"] = "pg",
            ["Gateway:Engines:0:Kind"] = "Postgres",
            ["Gateway:Engines:0:Postgres:ConnectionString"] = PostgresTestServer.ConnectionString,
            ["Gateway:Engines:0:Catalogs:0"] = "pg",
            ["Gateway:Catalogs:0:Name"] = "pg",
            ["Gateway:Catalogs:0:Kind"] = "Postgres",
            ["Gateway:Catalogs:0:Engine"] = "pg",
            ["Gateway:Catalogs:1:Name"] = "embedded",
            ["Gateway:Catalogs:1:Kind"] = "Embedded",
        }, Path.Combine(_folder, "data"));
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await PostgresTestServer.ExecuteAsync($"DROP TABLE IF EXISTS public.{_table}");
    }

    private async Task<HiveConnection> As(string user)
    {
        var c = await _gateway.ConnectAsync(user, user + "-pw");
        await c.QueryAsync("SET gateway.engine=pg");
        return c;
    }

    [Fact]
    public async Task EachUserSeesItsRowsAndValuesOnPostgreSql()
    {
        await using var alice = await As("alice");
        var (schema, rows) = await alice.QueryAsync($"SELECT * FROM {_table} ORDER BY id");
        Assert.Equal(["id", "name", "country", "born", "score", "note"], schema.Columns.Select(c => c.Name));
        Assert.Equal(10, rows.Count);
        Assert.Equal("2", rows[0][0]);
        Assert.Equal(new string?[] { "2", "XXXXon 2", "XX", "1990-01-01", null, Sha256Hex("n2") }, rows[0]);
        await Assert.ThrowsAsync<HiveClientException>(() => alice.QueryAsync($"SELECT email FROM {_table}"));
        Assert.Equal("10", (await alice.QueryAsync($"SELECT count(*) FROM {_table} a JOIN public.{_table} b ON a.id = b.id")).Rows.Single()[0]);

        await using var bob = await As("bob");
        rows = (await bob.QueryAsync($"SELECT id, name, email FROM {_table} ORDER BY id")).Rows;
        Assert.Equal(new string?[][] { ["1", "PersXXXX", "hidden@example.com"], ["3", "PersXXXX", "hidden@example.com"], ["5", "PersXXXX", "hidden@example.com"] }, rows);

        await using var root = await As("root");
        Assert.Equal(new string?[] { "2", "Person 2", "p2@example.com" }, (await root.QueryAsync($"SELECT id, name, email FROM {_table} WHERE id = 2")).Rows.Single());
        Assert.Equal("20", (await root.QueryAsync($"SELECT count(*) FROM {_table}")).Rows.Single()[0]);
    }

    [Fact]
    public async Task PostgreSqlsInformationSchemaListsOnlyWhatTheUserMaySee()
    {
        var others = "pol_hidden_" + Guid.NewGuid().ToString("N")[..10];
        await PostgresTestServer.ExecuteAsync($"CREATE TABLE public.{others} (id integer)");
        try
        {
            var tables = $"SELECT table_schema, table_name FROM information_schema.tables WHERE table_name IN ('{_table}', '{others}') ORDER BY 2";
            await using var alice = await As("alice");
            Assert.Equal([["public", _table]], (await alice.QueryAsync(tables)).Rows);
            Assert.Equal(["id", "name", "country", "born", "score", "note"],
                (await alice.QueryAsync($"SELECT column_name FROM information_schema.columns WHERE table_name = '{_table}' ORDER BY ordinal_position")).Rows.Select(r => r[0]));
            Assert.Empty((await alice.QueryAsync($"SELECT * FROM information_schema.columns WHERE table_name = '{others}'")).Rows);
            await Assert.ThrowsAsync<HiveClientException>(() => alice.QueryAsync("SELECT * FROM pg_catalog.pg_tables"));

            await using var root = await As("root");
            Assert.Equal([["public", others], ["public", _table]], (await root.QueryAsync(tables)).Rows);
            Assert.Contains("email", (await root.QueryAsync($"SELECT column_name FROM information_schema.columns WHERE table_name = '{_table}'")).Rows.Select(r => r[0]));
        }
        finally
        {
            await PostgresTestServer.ExecuteAsync($"DROP TABLE IF EXISTS public.{others}");
        }
    }

    [Fact]
    public async Task TheSameHoldsThroughHiveDriverAndTheCliAndExplainRoutingShowsTheRewrite()
    {
        string[] statements = ["SET gateway.engine=pg", $"SELECT id, name FROM {_table} WHERE id <= 4 ORDER BY id"];
        var users = new Dictionary<string, string> { ["alice"] = "alice-pw", ["bob"] = "bob-pw", ["root"] = "root-pw" };
        var r = await Gateway.Tests.RealClients.NodeClientsRealClientTests.RunNodeAsync("hive-driver-policy.js", "127.0.0.1",
            _gateway.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), System.Text.Json.JsonSerializer.Serialize(users), System.Text.Json.JsonSerializer.Serialize(statements));
        string Rows(string user) => string.Join(" | ", r.GetProperty(user)[1].GetProperty("rows").EnumerateArray()
            .Select(row => string.Join(",", row.EnumerateObject().Select(p => Gateway.Tests.RealClients.NodeClientsRealClientTests.Str(p.Value)))));
        Assert.Equal("2,XXXXon 2 | 4,XXXXon 4", Rows("alice"));
        Assert.Equal("1,PersXXXX | 3,PersXXXX", Rows("bob"));
        Assert.Equal("1,Person 1 | 2,Person 2 | 3,Person 3 | 4,Person 4", Rows("root"));

        var port = _gateway.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var (exit, stdout, stderr) = await GatewayCli.RunAsync("sql", "--port", port, "-u", "bob", "--password", "bob-pw", "-e", string.Join("; ", statements));
        Assert.True(exit == 0, $"exit {exit}: {stderr}\n{stdout}");
        Assert.Contains("PersXXXX", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("Person 2", stdout, StringComparison.Ordinal);

        // Without a queries section everyone may view queries: EXPLAIN ROUTING shows the rules and the rewritten statement.
        await using var alice = await As("alice");
        var line = (await alice.QueryAsync($"EXPLAIN ROUTING SELECT id FROM {_table}")).Rows.Single(row => row[0] == "(access policy)")[5];
        Assert.Contains($"rewritten (pg.default.{_table} filtered or masked); runs: SELECT id FROM (SELECT `id`, ", line, StringComparison.Ordinal);
        Assert.Contains("WHERE (country = 'DE')) AS `" + _table + "`; rules: engines[0], tables[1]", line, StringComparison.Ordinal);
    }

    private static string Sha256Hex(string s) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(s)));
}
