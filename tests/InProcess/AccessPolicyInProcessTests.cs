using Gateway.Engines.HiveServer2;
using Gateway.Server.Auth;
using Gateway.Server.Hosting;
using Gateway.Server.Policy;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.InProcess;

/// <summary>
/// An access policy on a gateway with the demo data and a second DuckDB engine, through the project's HS2 client:
/// privileges per table, catalogs, engines and session properties, the fail-closed refusals, reload without a
/// restart, the audit lines, and a bad file that never opens access.
/// </summary>
public sealed class AccessPolicyInProcessTests(AccessPolicyInProcessTests.Fixture fixture) : IClassFixture<AccessPolicyInProcessTests.Fixture>
{
    public const string Policy = """
        {
          "catalogs": [ { "group": "admins", "allow": "all" }, { "catalog": "embedded", "allow": "all" }, { "catalog": "scratch", "allow": "read-only" } ],
          "tables": [
            { "group": "admins", "privileges": ["SELECT", "INSERT", "DELETE", "UPDATE", "OWNERSHIP"] },
            { "user": "alice", "schema": "demo", "table": "sales|products", "privileges": ["SELECT"] },
            { "group": "analysts", "schema": "demo", "table": "customers", "privileges": ["SELECT"], "filter": "country = 'DE' AND email LIKE 'customer%'",
              "columns": [ { "name": "email", "allow": false }, { "name": "name", "mask": "SHOW_FIRST_4" },
                           { "name": "segment", "mask": "REDACT" }, { "name": "signup_date", "mask": "DATE_SHOW_YEAR" },
                           { "name": "country", "mask": "CASE WHEN current_user = 'alice' THEN lower(country) END" } ] },
            { "user": "alice", "schema": "default", "privileges": ["SELECT", "INSERT", "OWNERSHIP"] }
          ],
          "system_session_properties": [ { "user": "alice", "property": "gateway\\.engine", "allow": false }, { "allow": true } ],
          "engines": [ { "group": "admins", "allow": true }, { "engine": "duckdb", "allow": true } ],
          "queries": [ { "group": "admins", "allow": ["execute", "view", "kill"] }, { "allow": ["execute"] } ],
          "impersonation": [ { "original_user": "root", "new_user": "alice|mallory" } ]
        }
        """;

    /// <summary>One gateway (demo data, password file, the policy above) for every test of the class.</summary>
    public sealed class Fixture : IAsyncLifetime
    {
        public CapturingLoggerProvider Logs { get; } = new();
        public string Folder { get; private set; } = null!;
        public string PolicyFile { get; private set; } = null!;
        public GatewayInstance Gateway { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Folder = Directory.CreateTempSubdirectory("gw-policy").FullName;
            PolicyFile = Path.Combine(Folder, "rules.json");
            await File.WriteAllTextAsync(PolicyFile, Policy);
            PasswordFile.Write(Path.Combine(Folder, "users.txt"), new Dictionary<string, PasswordEntry>
            {
                ["alice"] = new(PasswordHash.Create("alice-pw", 1000), ["analysts"]),
                ["root"] = new(PasswordHash.Create("root-pw", 1000), ["admins"]),
                ["mallory"] = new(PasswordHash.Create("mallory-pw", 1000)),
            });
            Gateway = await GatewayInstance.StartAsync(Settings(PolicyFile), Path.Combine(Folder, "data"), services: s => s.AddSingleton<ILoggerProvider>(Logs));
        }

        public Dictionary<string, string?> Settings(string policyFile) => new()
        {
            ["Gateway:Auth:Mode"] = "PasswordFile",
            ["Gateway:Auth:PasswordFile"] = Path.Combine(Folder, "users.txt"),
            ["Gateway:AccessControl:ConfigFile"] = policyFile,
            // Reloads are driven by the test.
            ["Gateway:AccessControl:RefreshPeriod"] = "01:00:00",
            ["Gateway:Engines:0:Name"] = "scratch",
            ["Gateway:Engines:0:Kind"] = "DuckDb",
            ["Gateway:Engines:0:Database"] = ":memory:",
            ["Logging:LogLevel:Gateway.Audit"] = "Information",
        };

        public async Task DisposeAsync() => await Gateway.DisposeAsync();
    }

    private CapturingLoggerProvider _logs => fixture.Logs;
    private string _folder => fixture.Folder;
    private string _policyFile => fixture.PolicyFile;
    private GatewayInstance _gateway => fixture.Gateway;

    private Dictionary<string, string?> Settings(string policyFile) => fixture.Settings(policyFile);

    private Task<HiveConnection> As(string user) => _gateway.ConnectAsync(user, user + "-pw");

    private static async Task<HiveClientException> Refused(HiveConnection c, string sql)
    {
        var e = await Assert.ThrowsAsync<HiveClientException>(() => c.QueryAsync(sql));
        Assert.Equal("42000", e.SqlState);
        Assert.StartsWith("Access denied: ", e.Message, StringComparison.Ordinal);
        return e;
    }

    [Fact]
    public async Task TablesNeedTheirPrivilegeInAnOpenCatalog()
    {
        await using var alice = await As("alice");
        Assert.Equal("1000000", (await alice.QueryAsync("SELECT count(*) FROM demo.sales")).Rows.Single()[0]);
        Assert.NotEmpty((await alice.QueryAsync("SELECT s.amount, p.name FROM demo.sales s JOIN demo.products p ON p.product_id = s.product_id LIMIT 3")).Rows);
        Assert.Contains("alice may not SELECT embedded.demo.stores: missing SELECT (no table rule applies)", (await Refused(alice, "SELECT * FROM demo.stores")).Message, StringComparison.Ordinal);
        Assert.Contains("missing INSERT (tables[1])", (await Refused(alice, "INSERT INTO demo.sales SELECT * FROM demo.sales LIMIT 1")).Message, StringComparison.Ordinal);
        // What alice owns (the default schema) she may create and fill.
        await alice.QueryAsync("CREATE TABLE mine AS SELECT 1 AS a");
        await alice.QueryAsync("INSERT INTO default.mine VALUES (2)");
        Assert.Equal("2", (await alice.QueryAsync("SELECT count(*) FROM mine")).Rows.Single()[0]);
        Assert.Contains("missing DELETE", (await Refused(alice, "DELETE FROM mine")).Message, StringComparison.Ordinal);

        // A user no rule names gets nothing but statements that read no table.
        await using var mallory = await As("mallory");
        Assert.Equal("1", (await mallory.QueryAsync("SELECT 1")).Rows.Single()[0]);
        await Refused(mallory, "SELECT count(*) FROM demo.sales");

        await using var root = await As("root");
        Assert.NotEmpty((await root.QueryAsync("SELECT * FROM demo.customers LIMIT 1")).Rows);
        await root.QueryAsync("CREATE TABLE demo.root_only AS SELECT 1 AS a");
        await Refused(alice, "SELECT * FROM demo.root_only");
    }

    [Fact]
    public async Task ProxyUserFollowsTheImpersonationSection()
    {
        var asAlice = new Dictionary<string, string> { ["hive.server2.proxy.user"] = "alice" };
        const string Customers = "SELECT * FROM demo.customers ORDER BY customer_id LIMIT 20";
        await using var alice = await As("alice");
        var hers = (await alice.QueryAsync(Customers)).Rows;

        // root may act as alice: the session is alice's, with her groups from the password file, so her filter, masks
        // and privileges apply, not root's.
        await using (var proxied = await _gateway.ConnectAsync("root", "root-pw", configuration: asAlice))
        {
            Assert.Equal(hers, (await proxied.QueryAsync(Customers)).Rows);
            Assert.Contains("alice may not SELECT embedded.demo.stores", (await Refused(proxied, "SELECT * FROM demo.stores")).Message, StringComparison.Ordinal);
            // The session settings alice may not change, she may not change through root either.
            var set = await Assert.ThrowsAsync<HiveClientException>(() => proxied.QueryAsync("SET gateway.engine = scratch"));
            Assert.Equal("42000", set.SqlState);
        }
        Assert.Contains(_logs.Lines, l => l.StartsWith("Information Gateway.Audit[143] impersonation allowed: user=root as=alice rules=impersonation[0]", StringComparison.Ordinal));

        // Over HTTP every request carries root's credentials: the session is root's to use, acting as alice.
        await using (var overHttp = await _gateway.ConnectHttpAsync("root", "root-pw", configuration: asAlice))
        {
            Assert.Equal(hers, (await overHttp.QueryAsync(Customers)).Rows);
            Assert.Contains("alice may not SELECT", (await Refused(overHttp, "SELECT * FROM demo.stores")).Message, StringComparison.Ordinal);
        }

        // Nobody else may act as another user, and root only as the users the rule names; refused at OpenSession.
        foreach (var (user, proxy) in new[] { ("alice", "root"), ("mallory", "alice"), ("root", "someone_else") })
        {
            var refused = await Assert.ThrowsAnyAsync<Exception>(() => _gateway.ConnectAsync(user, user + "-pw", configuration: new Dictionary<string, string> { ["hive.server2.proxy.user"] = proxy }));
            Assert.Contains($"Access denied: {user} may not act as {proxy} (no impersonation rule applies)", refused.Message, StringComparison.Ordinal);
            Assert.Contains(_logs.Lines, l => l.StartsWith($"Information Gateway.Audit[143] impersonation denied: user={user} as={proxy}", StringComparison.Ordinal));
        }

        // Acting as oneself is no impersonation; SET shows who the session acts as and cannot change it.
        await using var self = await _gateway.ConnectAsync("alice", "alice-pw", configuration: new Dictionary<string, string> { ["set:hiveconf:hive.server2.proxy.user"] = "alice" });
        Assert.Equal(hers, (await self.QueryAsync(Customers)).Rows);
        Assert.Equal("hive.server2.proxy.user=alice", (await self.QueryAsync("SET hive.server2.proxy.user")).Rows.Single()[0]);
        var change = await Assert.ThrowsAsync<HiveClientException>(() => self.QueryAsync("SET hive.server2.proxy.user=root"));
        Assert.Contains("SET cannot change who the session runs as", change.Message, StringComparison.Ordinal);
    }

    /// <summary>One statement through the Trino frontend with Basic credentials: its rows, or its error's message.</summary>
    private async Task<(List<string?[]> Rows, string? Error)> TrinoAsync(string user, string sql)
    {
        var answer = await TrinoHttp.RunAsync(_gateway.TrinoUri, user, sql, $"{user}-pw", ("X-Trino-Schema", "demo"));
        return (answer.Rows, answer.ErrorMessage);
    }

    [Fact]
    public async Task TheTrinoFrontendEnforcesTheSamePolicy()
    {
        var (hers, _) = await TrinoAsync("alice", "SELECT * FROM customers ORDER BY customer_id LIMIT 20");
        await using var alice = await As("alice");
        Assert.Equal((await alice.QueryAsync("SELECT * FROM demo.customers ORDER BY customer_id LIMIT 20")).Rows, hers);
        var (_, denied) = await TrinoAsync("alice", "SELECT * FROM stores");
        Assert.StartsWith("Access denied: alice may not SELECT embedded.demo.stores", denied, StringComparison.Ordinal);
        // Browsing lists what she may see, as GetTables and SHOW TABLES do over HS2.
        Assert.Equal([["customers"], ["products"], ["sales"]], (await TrinoAsync("alice", "SHOW TABLES FROM demo")).Rows);
        Assert.DoesNotContain("email", (await TrinoAsync("alice", "DESCRIBE customers")).Rows.Select(r => r[0]));
        Assert.Empty((await TrinoAsync("mallory", "SHOW TABLES FROM demo")).Rows);
        Assert.Empty((await TrinoAsync("mallory", "SELECT * FROM information_schema.tables")).Rows);
        Assert.Contains(["stores"], (await TrinoAsync("root", "SHOW TABLES FROM demo")).Rows);

        // Trino's JDBC driver (DBeaver) browses through system.jdbc: the same visibility, whatever the query says.
        const string tables = "SELECT table_name FROM system.jdbc.tables WHERE table_schem = 'demo' ORDER BY table_name";
        Assert.Equal([["customers"], ["products"], ["sales"]], (await TrinoAsync("alice", tables)).Rows);
        Assert.Contains(["stores"], (await TrinoAsync("root", tables)).Rows);
        Assert.Empty((await TrinoAsync("mallory", tables)).Rows);
        Assert.Empty((await TrinoAsync("mallory", "SELECT * FROM system.jdbc.tables t1, system.jdbc.columns c WHERE t1.table_name LIKE '%' OR c.table_name IS NOT NULL")).Rows);
        var columns = (await TrinoAsync("alice", "SELECT column_name FROM system.jdbc.columns WHERE table_schem = 'demo' AND table_name = 'customers' ORDER BY ordinal_position")).Rows;
        Assert.NotEmpty(columns);
        Assert.DoesNotContain(["email"], columns);
        Assert.Contains(["email"], (await TrinoAsync("root", "SELECT column_name FROM system.jdbc.columns WHERE table_name = 'customers'")).Rows);
        // So does information_schema, as Superset's and SQLAlchemy's trino:// dialect read it.
        Assert.Equal([["customers"], ["products"], ["sales"]],
            (await TrinoAsync("alice", "SELECT table_name FROM information_schema.tables WHERE table_schema = 'demo' AND table_type = 'BASE TABLE' ORDER BY 1")).Rows);
        var described = (await TrinoAsync("alice", "SELECT column_name, data_type, column_default, UPPER(is_nullable) AS is_nullable FROM information_schema.columns WHERE table_schema = 'demo' AND table_name = 'customers' ORDER BY ordinal_position")).Rows;
        Assert.NotEmpty(described);
        Assert.DoesNotContain("email", described.Select(r => r[0]));
        Assert.Contains(["demo"], (await TrinoAsync("alice", "SELECT schema_name FROM embedded.information_schema.schemata")).Rows);
        Assert.Empty((await TrinoAsync("mallory", "SELECT * FROM embedded.information_schema.columns")).Rows);
        // The throwaway database behind it reaches no file.
        var (_, file) = await TrinoAsync("root", "SELECT * FROM system.jdbc.catalogs, read_text('/etc/passwd')");
        Assert.NotNull(file);
    }

    [Fact]
    public async Task SessionPropertiesAtOpenFollowTheirSectionAsASetDoes()
    {
        var engine = new Dictionary<string, string> { ["set:hiveconf:gateway.engine"] = "scratch" };
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => _gateway.ConnectAsync("alice", "alice-pw", configuration: engine));
        Assert.Contains("Access denied: alice may not set session property gateway.engine (system_session_properties[0])", refused.Message, StringComparison.Ordinal);
        await using var root = await _gateway.ConnectAsync("root", "root-pw", configuration: engine);
        Assert.Equal("gateway.engine=scratch", (await root.QueryAsync("SET gateway.engine")).Rows.Single()[0]);
    }

    [Theory]
    // Other spellings of a table alice may not read.
    [InlineData("SELECT * FROM DEMO.STORES")]
    [InlineData("SELECT * FROM `demo`.`stores`")]
    [InlineData("SELECT * FROM demo . /* c */ stores")]
    [InlineData("SELECT * FROM embedded.demo.stores")]
    [InlineData("SELECT * FROM demo.sales WHERE store_id IN (SELECT store_id FROM demo.stores)")]
    [InlineData("SELECT store_id FROM demo.sales UNION ALL SELECT store_id FROM demo.stores")]
    [InlineData("WITH s AS (SELECT * FROM demo.stores) SELECT * FROM s")]
    [InlineData("SELECT * FROM (SELECT * FROM demo.stores) AS sales")]
    [InlineData("EXPLAIN SELECT * FROM demo.stores")]
    [InlineData("DESCRIBE demo.stores")]
    [InlineData("CREATE TEMPORARY VIEW v AS SELECT * FROM demo.stores")]
    [InlineData("SELECT * FROM /* x */ demo.stores -- y")]
    [InlineData("SELECT * FROM demo.stores AS sales")]
    [InlineData("SELECT (SELECT max(name) FROM demo.stores)")]
    [InlineData("SELECT * FROM demo.sales s, demo.stores t")]
    [InlineData("SELECT * FROM demo.sales CROSS JOIN demo.stores")]
    [InlineData("FROM demo.stores SELECT name")]
    [InlineData("SUMMARIZE demo.stores")]
    [InlineData("INSERT INTO default.mine_too SELECT name FROM demo.stores")]
    [InlineData("CREATE TABLE default.stolen AS SELECT * FROM demo.stores")]
    [InlineData("CREATE VIEW default.window_on AS SELECT * FROM demo.stores")]
    [InlineData("SELECT * FROM information_schema.key_column_usage")]
    [InlineData("SELECT * FROM information_schema.views")]
    [InlineData("SELECT * FROM pg_catalog.pg_tables")]
    [InlineData("SELECT * FROM duckdb_tables()")]
    [InlineData("SELECT * FROM duckdb_columns()")]
    [InlineData("PRAGMA table_info('demo.stores')")]
    [InlineData("COPY demo.sales TO '/tmp/out.csv'")]
    [InlineData("UPDATE demo.customers SET name = 'x' WHERE email LIKE 'a%'")]
    // Fail closed: what the analysis cannot name.
    [InlineData("SELECT 1; SELECT * FROM demo.stores")]
    [InlineData("SELECT * FROM read_csv('/etc/passwd')")]
    [InlineData("SELECT * FROM 'data.parquet'")]
    // A write that reads its target would bypass the filter.
    [InlineData("DELETE FROM demo.customers WHERE email LIKE 'customer1%'")]
    // A catalog open read-only refuses writes; an engine alice may not use refuses an explicit choice.
    [InlineData("/*+ ENGINE(scratch) */ SELECT 1")]
    public async Task BypassAttemptsAreRefused(string sql)
    {
        await using var alice = await As("alice");
        await Refused(alice, sql);
    }

    [Fact]
    public async Task TheEnginesInformationSchemaListsOnlyWhatTheUserMaySee()
    {
        const string Tables = "SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema = 'demo' ORDER BY 1, 2";
        await using var alice = await As("alice");
        Assert.Equal([["demo", "customers"], ["demo", "products"], ["demo", "sales"]], (await alice.QueryAsync(Tables)).Rows);
        // Other spellings and every site of a statement are filtered alike.
        Assert.Equal(3, (await alice.QueryAsync("SELECT * FROM INFORMATION_SCHEMA.`TABLES` t WHERE t.table_schema = 'demo'")).Rows.Count);
        Assert.Equal("9", (await alice.QueryAsync("SELECT count(*) FROM information_schema.tables a, information_schema.tables b WHERE a.table_schema = 'demo' AND b.table_schema = 'demo'")).Rows.Single()[0]);
        Assert.Empty((await alice.QueryAsync("SELECT * FROM information_schema.tables WHERE table_name = 'stores'")).Rows);
        // Columns: only of visible tables, never a blocked one.
        var columns = (await alice.QueryAsync("SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'demo' AND table_name = 'customers' ORDER BY ordinal_position")).Rows;
        Assert.Equal(["customer_id", "name", "country", "segment", "signup_date"], columns.Select(r => r[1]));
        Assert.Empty((await alice.QueryAsync("SELECT * FROM information_schema.columns WHERE table_name = 'stores' OR column_name = 'email'")).Rows);
        // Schemas: the ones alice holds a privilege in (demo, and the default schema she owns).
        var schemas = (await alice.QueryAsync("SELECT schema_name FROM information_schema.schemata ORDER BY 1")).Rows.Select(r => r[0]).ToList();
        Assert.Contains("demo", schemas);
        Assert.Contains("main", schemas);
        Assert.DoesNotContain("information_schema", schemas);
        Assert.DoesNotContain("pg_catalog", schemas);

        // A user no rule names sees nothing; an administrator everything.
        await using var mallory = await As("mallory");
        Assert.Empty((await mallory.QueryAsync("SELECT * FROM information_schema.tables")).Rows);
        Assert.Empty((await mallory.QueryAsync("SELECT * FROM information_schema.columns")).Rows);
        Assert.Empty((await mallory.QueryAsync("SELECT * FROM information_schema.schemata")).Rows);
        await using var root = await As("root");
        Assert.Contains(["demo", "stores"], (await root.QueryAsync(Tables)).Rows);
        Assert.Single((await root.QueryAsync("SELECT * FROM information_schema.columns WHERE table_schema = 'demo' AND table_name = 'customers' AND column_name = 'email'")).Rows);
    }

    [Fact]
    public async Task FiltersAndMasksApplyAtEveryScanSite()
    {
        await using var alice = await As("alice");
        // Customers whose country is DE: every tenth.
        Assert.Equal("1000", (await alice.QueryAsync("SELECT count(*) FROM demo.customers")).Rows.Single()[0]);
        var (schema, rows) = await alice.QueryAsync("SELECT * FROM demo.customers WHERE customer_id = 10");
        // The blocked column is not there; the masked ones keep their names and the filter saw raw values.
        Assert.Equal(["customer_id", "name", "country", "segment", "signup_date"], schema.Columns.Select(c => c.Name));
        Assert.Equal(new string?[] { "10", "CustXXXXXXX", "de", "XXXXXXXXX", "2021-01-01" }, rows.Single());
        await Assert.ThrowsAsync<HiveClientException>(() => alice.QueryAsync("SELECT email FROM demo.customers"));
        // Predicates of the statement see masked values: the raw name is not there to find.
        Assert.Equal("0", (await alice.QueryAsync("SELECT count(*) FROM demo.customers WHERE name = 'Customer 10'")).Rows.Single()[0]);
        // Each site of a self-join, CTEs, subqueries and aliases.
        Assert.Equal("1000", (await alice.QueryAsync("SELECT count(*) FROM demo.customers a JOIN demo.customers b ON a.customer_id = b.customer_id")).Rows.Single()[0]);
        // Both sides of a self-join are filtered and masked, whichever one a column is read from.
        Assert.Equal("0", (await alice.QueryAsync("SELECT count(*) FROM demo.customers a LEFT JOIN demo.customers b ON b.customer_id = a.customer_id + 1 WHERE b.customer_id IS NOT NULL")).Rows.Single()[0]);
        Assert.Equal("CustXXXXXXX", (await alice.QueryAsync("SELECT b.name FROM demo.customers a JOIN demo.customers b ON a.customer_id = b.customer_id WHERE a.customer_id = 10")).Rows.Single()[0]);
        await Assert.ThrowsAsync<HiveClientException>(() => alice.QueryAsync("SELECT b.email FROM demo.customers a JOIN demo.customers b ON a.customer_id = b.customer_id"));
        Assert.Equal("1000", (await alice.QueryAsync("WITH c AS (SELECT * FROM demo.customers) SELECT count(*) FROM c")).Rows.Single()[0]);
        Assert.Equal("1000", (await alice.QueryAsync("SELECT count(*) FROM (SELECT customer_id FROM `demo`.`customers`) x")).Rows.Single()[0]);
        Assert.Equal("1000", (await alice.QueryAsync("SELECT count(DISTINCT customers.customer_id) FROM demo.customers")).Rows.Single()[0]);
        var direct = (await alice.QueryAsync("SELECT count(*) FROM demo.sales s WHERE s.customer_id IN (SELECT c.customer_id FROM demo.customers c)")).Rows.Single()[0];
        await using var root = await As("root");
        Assert.Equal(direct, (await root.QueryAsync("SELECT count(*) FROM demo.sales s WHERE s.customer_id % 10 = 0")).Rows.Single()[0]);
        Assert.Equal("10000", (await root.QueryAsync("SELECT count(*) FROM demo.customers")).Rows.Single()[0]);
        Assert.Equal("customer10@example.com", (await root.QueryAsync("SELECT email FROM demo.customers WHERE customer_id = 10")).Rows.Single()[0]);
        // What alice writes from a restricted read holds only what she could read.
        await alice.QueryAsync("CREATE TABLE default.my_customers AS SELECT * FROM demo.customers");
        Assert.Equal(new string?[] { "1000", "0" }, (await alice.QueryAsync("SELECT count(*), count(*) FILTER (WHERE country <> 'de') FROM default.my_customers")).Rows.Single());
        Assert.Contains(_logs.Lines, l => l.StartsWith("Information Gateway.Audit[142] access rewritten: user=alice", StringComparison.Ordinal)
            && l.Contains("filtered/masked=embedded.demo.customers rules=engines[1], catalogs[1], tables[2]", StringComparison.Ordinal));
    }

    private static async Task<List<string?[]>> Listing(HiveConnection c, Func<Gateway.Protocol.Hive.TCLIServiceClient, Gateway.Protocol.Hive.TSessionHandle, Task<(Gateway.Protocol.Hive.TStatus?, Gateway.Protocol.Hive.TOperationHandle?)>> call)
    {
        await using var op = await c.MetadataAsync(call);
        return (await op.ReadAllAsTextAsync()).Rows;
    }

    [Fact]
    public async Task MetadataCallsListOnlyWhatTheUserMaySee()
    {
        await using var alice = await As("alice");
        var tables = await Listing(alice, async (cl, s) => { var r = await cl.GetTablesAsync(new() { SessionHandle = s, SchemaName = "demo", TableName = "%" }, default); return (r.Status, r.OperationHandle); });
        // TABLE_NAME is the third column of JDBC's layout.
        Assert.Equal(["customers", "products", "sales"], tables.Select(t => t[2]).Order());
        var columns = await Listing(alice, async (cl, s) => { var r = await cl.GetColumnsAsync(new() { SessionHandle = s, SchemaName = "demo", TableName = "customers", ColumnName = "%" }, default); return (r.Status, r.OperationHandle); });
        Assert.Equal(["customer_id", "name", "country", "segment", "signup_date"], columns.Select(c => c[3]));
        Assert.Empty(await Listing(alice, async (cl, s) => { var r = await cl.GetColumnsAsync(new() { SessionHandle = s, SchemaName = "demo", TableName = "stores", ColumnName = "%" }, default); return (r.Status, r.OperationHandle); }));
        var schemas = await Listing(alice, async (cl, s) => { var r = await cl.GetSchemasAsync(new() { SessionHandle = s }, default); return (r.Status, r.OperationHandle); });
        Assert.Contains(schemas, r => r[0] == "demo");

        // SHOW TABLES names only what the user may see too.
        static List<string?> Names(List<string?[]> rows) => [.. rows.Select(r => r[0])];
        Assert.Equal(["customers", "products", "sales"], Names((await alice.QueryAsync("SHOW TABLES IN demo")).Rows));
        Assert.Equal(["products", "sales"], Names((await alice.QueryAsync("SHOW TABLES FROM demo LIKE 's*|PROD*'")).Rows));
        await using (var inDemo = await As("alice"))
        {
            await inDemo.QueryAsync("USE demo");
            Assert.Equal(["customers", "products", "sales"], Names((await inDemo.QueryAsync("SHOW TABLES")).Rows));
        }

        Assert.Equal(["default", "demo"], Names((await alice.QueryAsync("SHOW SCHEMAS")).Rows));
        Assert.Equal(["demo"], Names((await alice.QueryAsync("SHOW DATABASES LIKE 'de*o'")).Rows));
        // DESCRIBE lists the visible columns only.
        var described = (await alice.QueryAsync("DESCRIBE demo.customers")).Rows;
        Assert.Equal(["customer_id", "name", "country", "segment", "signup_date"], Names(described));
        Assert.Equal(new string?[] { "customer_id", "int", null }, described[0]);
        var extended = (await alice.QueryAsync("DESCRIBE FORMATTED demo.customers")).Rows;
        Assert.Equal(["customer_id", "name", "country", "segment", "signup_date", "", "# Detailed Table Information", "Database:", "Table:", "Table Type:", "Comment:"], Names(extended));
        Assert.Equal("MANAGED_TABLE", extended.Single(r => r[0] == "Table Type:")[1]);
        // SHOW COLUMNS too, with Hive's pattern.
        Assert.Equal(["customer_id", "name", "country", "segment", "signup_date"], Names((await alice.QueryAsync("SHOW COLUMNS IN demo.customers")).Rows));
        Assert.Equal(["customer_id", "country"], Names((await alice.QueryAsync("SHOW COLUMNS FROM customers IN demo LIKE 'c*'")).Rows));
        // SHOW TABLE EXTENDED (how dbt-spark lists relations): the visible tables, each with its visible columns.
        var relations = (await alice.QueryAsync("SHOW TABLE EXTENDED IN demo LIKE '*'")).Rows;
        Assert.Equal(["customers", "products", "sales"], relations.Select(r => r[1]));
        Assert.All(relations, r => Assert.Equal("demo", r[0]));
        var info = relations[0][3]!;
        Assert.Contains("Type: MANAGED\n", info, StringComparison.Ordinal);
        Assert.Contains(" |-- customer_id: int (nullable = ", info, StringComparison.Ordinal);
        Assert.DoesNotContain("email", info, StringComparison.Ordinal);
        Assert.Equal(["sales"], (await alice.QueryAsync("SHOW TABLE EXTENDED IN demo LIKE 'sal*'")).Rows.Select(r => r[1]));
        await Refused(alice, "SHOW TABLE EXTENDED IN demo LIKE 'sales' PARTITION (d = '1')");

        await using var mallory = await As("mallory");
        Assert.Empty((await mallory.QueryAsync("SHOW TABLES IN demo")).Rows);
        Assert.Empty((await mallory.QueryAsync("SHOW SCHEMAS")).Rows);
        Assert.Contains("mallory may not DESCRIBE embedded.demo.customers", (await Refused(mallory, "DESCRIBE demo.customers")).Message, StringComparison.Ordinal);
        Assert.Contains("mallory may not SHOW COLUMNS embedded.demo.customers", (await Refused(mallory, "SHOW COLUMNS IN demo.customers")).Message, StringComparison.Ordinal);
        Assert.Empty((await mallory.QueryAsync("SHOW TABLE EXTENDED IN demo LIKE '*'")).Rows);
        Assert.Empty(await Listing(mallory, async (cl, s) => { var r = await cl.GetTablesAsync(new() { SessionHandle = s, SchemaName = "%", TableName = "%" }, default); return (r.Status, r.OperationHandle); }));
        Assert.Empty(await Listing(mallory, async (cl, s) => { var r = await cl.GetSchemasAsync(new() { SessionHandle = s }, default); return (r.Status, r.OperationHandle); }));

        await using var root = await As("root");
        var all = await Listing(root, async (cl, s) => { var r = await cl.GetColumnsAsync(new() { SessionHandle = s, SchemaName = "demo", TableName = "customers", ColumnName = "%" }, default); return (r.Status, r.OperationHandle); });
        Assert.Contains(all, c => c[3] == "email");
        Assert.Contains("stores", Names((await root.QueryAsync("SHOW TABLES IN demo")).Rows));
        Assert.Contains("email", Names((await root.QueryAsync("DESCRIBE demo.customers")).Rows));
        Assert.Contains(" |-- email: string (nullable = ", (await root.QueryAsync("SHOW TABLE EXTENDED IN demo LIKE 'customers'")).Rows.Single()[3], StringComparison.Ordinal);
        Assert.Contains("stores", (await root.QueryAsync("SHOW TABLE EXTENDED IN demo LIKE '*'")).Rows.Select(r => r[1]));
    }

    [Fact]
    public async Task ExplainRoutingShowsAdministratorsWhatThePolicyDid()
    {
        static string? PolicyRow(List<string?[]> rows) => rows.SingleOrDefault(r => r[0] == "(access policy)")?[5];
        await using var alice = await As("alice");
        // Someone who may not view other users' queries learns only that a policy applies.
        Assert.Equal("an access policy applies to this statement", PolicyRow((await alice.QueryAsync("EXPLAIN ROUTING SELECT count(*) FROM demo.customers")).Rows));
        await Refused(alice, "EXPLAIN ROUTING SELECT * FROM demo.stores");

        await using var root = await As("root");
        var line = PolicyRow((await root.QueryAsync("EXPLAIN ROUTING SELECT count(*) FROM demo.customers")).Rows);
        Assert.StartsWith("allowed; rules: engines[0], catalogs[0], tables[0]; policy: ", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CtesAndUseResolveAsTheEngineDoes()
    {
        await using var alice = await As("alice");
        // A CTE named like a table alice may not read is not that table.
        Assert.Equal("1", (await alice.QueryAsync("WITH stores AS (SELECT 1 AS x) SELECT x FROM stores")).Rows.Single()[0]);
        // Engine-side search paths are not the gateway's to follow: setting one is refused or does not reach the engine.
        try
        {
            await alice.QueryAsync("SET search_path = 'demo'");
        }
        catch (HiveClientException)
        {
        }
        await Assert.ThrowsAnyAsync<HiveClientException>(() => alice.QueryAsync("SELECT count(*) FROM stores"));
        // After USE, unqualified names are in that schema.
        await alice.QueryAsync("USE demo");
        Assert.Equal("1000000", (await alice.QueryAsync("SELECT count(*) FROM sales")).Rows.Single()[0]);
        Assert.Contains("embedded.demo.stores", (await Refused(alice, "SELECT * FROM stores")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SessionPropertiesAndEnginesFollowTheirSections()
    {
        await using var alice = await As("alice");
        Assert.Contains("alice may not set session property gateway.engine (system_session_properties[0])",
            (await Refused(alice, "SET gateway.engine=scratch")).Message, StringComparison.Ordinal);
        await alice.QueryAsync("SET spark.sql.shuffle.partitions=4");
        Assert.Contains("may not run statements on engine scratch", (await Refused(alice, "/*+ ENGINE(scratch) */ SELECT 1")).Message, StringComparison.Ordinal);

        await using var root = await As("root");
        await root.QueryAsync("SET gateway.engine=scratch");
        await using var op = await root.ExecuteAsync("SELECT 42");
        Assert.Equal("42", (await op.ReadAllAsTextAsync()).Rows.Single()[0]);
        Assert.Contains(await op.FetchLogAsync(), l => l.Contains("Running on engine 'scratch'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task APolicyChangeAppliesWithoutARestartAndABadOneIsRefused()
    {
        var access = _gateway.Services.GetRequiredService<AccessControlService>();
        await using var alice = await As("alice");
        await Refused(alice, "SELECT count(*) FROM demo.stores");
        try
        {
            await File.WriteAllTextAsync(_policyFile, Policy.Replace("\"table\": \"sales|products\"", "\"table\": \"sales|products|stores\"", StringComparison.Ordinal));
            Assert.Empty(access.Reload());
            Assert.NotEmpty((await alice.QueryAsync("SELECT count(*) FROM demo.stores")).Rows);

            // A broken edit is refused, every problem named; the last good policy stays.
            await File.WriteAllTextAsync(_policyFile, """{ "tables": [ { "user": "alice", "privilege": ["SELECT"] } ] }""");
            var errors = access.Reload();
            Assert.Equal(["tables[0].privileges: is required (a list, possibly empty, of SELECT, INSERT, DELETE, UPDATE, OWNERSHIP, GRANT_SELECT)", "tables[0]: unknown field 'privilege'"], errors);
            Assert.False(access.LastReload!.Applied);
            Assert.NotEmpty((await alice.QueryAsync("SELECT count(*) FROM demo.stores")).Rows);
            // Read again unchanged, it is neither applied nor logged again.
            Assert.Equal(errors, access.Reload());
            Assert.Single(_logs.Lines, l => l.Contains("[131] access policy", StringComparison.Ordinal) && l.Contains("unknown field 'privilege'", StringComparison.Ordinal));
        }
        finally
        {
            await File.WriteAllTextAsync(_policyFile, Policy);
            access.Reload();
        }
        await Refused(alice, "SELECT count(*) FROM demo.stores");
    }

    [Fact]
    public async Task EveryDecisionIsAudited()
    {
        await using var alice = await As("alice");
        await alice.QueryAsync("SELECT count(*) FROM demo.sales");
        await Refused(alice, "SELECT * FROM demo.stores");
        Assert.True(_logs.Lines.Any(l => l.StartsWith("Information Gateway.Audit[140] access allowed: user=alice", StringComparison.Ordinal)
            && l.Contains("engine=duckdb rules=engines[1], catalogs[1], tables[1]", StringComparison.Ordinal) && l.Contains("rules.json (sha256:", StringComparison.Ordinal)),
            string.Join("\n", _logs.Lines.Where(l => l.Contains("Audit", StringComparison.Ordinal))));
        Assert.Contains(_logs.Lines, l => l.StartsWith("Warning Gateway.Audit[141] access denied: user=alice", StringComparison.Ordinal)
            && l.Contains("missing SELECT (no table rule applies)", StringComparison.Ordinal));
        // The statement itself is not in the audit line, only its hash.
        Assert.DoesNotContain(_logs.Lines, l => l.Contains("Gateway.Audit", StringComparison.Ordinal) && l.Contains("demo.stores", StringComparison.Ordinal) && l.Contains("SELECT *", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnInvalidOrMissingPolicyStopsTheStart()
    {
        var bad = Path.Combine(_folder, "bad.json");
        await File.WriteAllTextAsync(bad, """{ "tables": [ { "privileges": ["READ"] } ] }""");
        var settings = Settings(bad);
        settings["Gateway:DuckDb:DemoData"] = "false";
        var ex = await Assert.ThrowsAsync<GatewayConfigurationException>(() => GatewayInstance.StartAsync(settings, Path.Combine(_folder, "data-bad")));
        Assert.Contains($"Gateway:AccessControl:ConfigFile ({bad}): tables[0].privileges: 'READ' is not one of SELECT, INSERT, DELETE, UPDATE, OWNERSHIP, GRANT_SELECT", ex.Errors);
        var missing = Path.Combine(_folder, "absent.json");
        settings["Gateway:AccessControl:ConfigFile"] = missing;
        ex = await Assert.ThrowsAsync<GatewayConfigurationException>(() => GatewayInstance.StartAsync(settings, Path.Combine(_folder, "data-missing")));
        Assert.Contains(ex.Errors, e => e.StartsWith($"Gateway:AccessControl:ConfigFile ({missing}): cannot be read", StringComparison.Ordinal));
    }
}
