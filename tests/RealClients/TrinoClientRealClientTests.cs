using System.Text.Json;
using Gateway.Server.Trino;
using Gateway.Tests.InProcess;
using Microsoft.Extensions.DependencyInjection;
using static Gateway.Tests.RealClients.NodeClientsRealClientTests;

namespace Gateway.Tests.RealClients;

/// <summary>
/// The real Trino client from npm (<c>trino-client</c>) against the gateway's Trino frontend: the same statements as
/// a HiveServer2 client, with the same answers; types, a 1M-row read, errors, session properties, cancel.
/// </summary>
[Collection(GatewayCollection.Name)]
public class TrinoClientRealClientTests(GatewayFixture fixture)
{
    private async Task<JsonElement> RunAsync(object session, params string[] statements) =>
        await RunNodeAsync("trino-client-check.js", fixture.Gateway.TrinoUri.ToString().TrimEnd('/'), "trino-user", "", JsonSerializer.Serialize(session), JsonSerializer.Serialize(statements));

    private static string?[] Row(JsonElement row) => [.. row.EnumerateArray().Select(Str)];

    [Fact]
    public async Task TheSameStatementsGiveTheSameAnswersAsOverHiveServer2()
    {
        string[] statements =
        [
            "SELECT 1 AS one, 'two' AS two, CAST(NULL AS INTEGER) AS three, 2.5 AS four",
            "SELECT CAST(1 AS TINYINT) AS t, CAST(2 AS SMALLINT) AS s, 3 AS i, CAST(4 AS BIGINT) AS b, CAST(2.25 AS DOUBLE) AS d, " +
                "CAST('12.34' AS DECIMAL(10,2)) AS dec, DATE '2024-02-29' AS dt, TIMESTAMP '2024-01-31 12:34:56.123456' AS ts, true AS bo, \"quoted name\" FROM (SELECT 'q' AS \"quoted name\")",
            "SELECT product_id, name FROM products ORDER BY product_id LIMIT 3",
            "SELECT count(*) AS n, sum(quantity) AS q FROM sales",
        ];
        var trino = await RunAsync(new { }, statements);
        await using var hs2 = await fixture.Gateway.ConnectAsync(user: "trino-user", database: "demo");
        for (var i = 0; i < statements.Length; i++)
        {
            var t = trino[i];
            Assert.False(t.TryGetProperty("error", out var err) || t.TryGetProperty("thrown", out err), $"{statements[i]}: {err}");
            Assert.Equal("FINISHED", t.GetProperty("state").GetString());
            var (schema, rows) = await hs2.QueryAsync(TrinoStatementTextForHs2(statements[i]));
            Assert.Equal(schema.Columns.Select(c => c.Name), t.GetProperty("columns").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
            Assert.Equal(rows, t.GetProperty("rows").EnumerateArray().Select(Row));
        }
        var types = trino[1].GetProperty("columns").EnumerateArray().Select(c => c.GetProperty("type").GetString()).ToList();
        Assert.Equal(["tinyint", "smallint", "integer", "bigint", "double", "decimal(10,2)", "date", "timestamp(6)", "boolean", "varchar"], types);
    }

    [Fact]
    public async Task BrowsingStatementsAreAnsweredInTrinosLayouts()
    {
        var r = await RunAsync(new { }, "SHOW CATALOGS", "SHOW SCHEMAS LIKE 'de%'", "SHOW TABLES FROM demo", "SHOW TABLES LIKE 'sal%'", "SHOW COLUMNS FROM demo.products", "DESCRIBE products", "DESCRIBE no_such_table");
        Assert.Equal("Catalog", r[0].GetProperty("columns")[0].GetProperty("name").GetString());
        Assert.Contains(["embedded"], r[0].GetProperty("rows").EnumerateArray().Select(Row));
        Assert.Equal([["demo"]], r[1].GetProperty("rows").EnumerateArray().Select(Row));
        var tables = r[2].GetProperty("rows").EnumerateArray().Select(row => row[0].GetString()).ToList();
        Assert.Superset(new HashSet<string?> { "sales", "products", "customers", "stores" }, tables.ToHashSet());
        Assert.Equal([["sales"]], r[3].GetProperty("rows").EnumerateArray().Select(Row));
        Assert.Equal(["Column", "Type", "Extra", "Comment"], r[4].GetProperty("columns").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        var columns = r[4].GetProperty("rows").EnumerateArray().Select(Row).ToList();
        Assert.Equal("product_id", columns[0][0]);
        Assert.Equal(r[4].GetProperty("rows").GetRawText(), r[5].GetProperty("rows").GetRawText());
        Assert.Equal("TABLE_NOT_FOUND", r[6].GetProperty("error").GetProperty("errorName").GetString());

        // What SQLAlchemy's trino dialect (Superset) and Trino's JDBC driver (DBeaver) send at connect time.
        r = await RunAsync(new { },
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'demo' AND table_type = 'BASE TABLE' ORDER BY table_name",
            "SELECT column_name, data_type, column_default, UPPER(is_nullable) AS is_nullable FROM information_schema.columns WHERE table_schema = 'demo' AND table_name = 'products' ORDER BY ordinal_position",
            "SELECT TABLE_CAT FROM system.jdbc.catalogs ORDER BY TABLE_CAT",
            "SELECT TABLE_SCHEM, TABLE_CATALOG FROM system.jdbc.schemas WHERE TABLE_CATALOG = 'embedded' AND TABLE_SCHEM LIKE 'de%' ESCAPE '\\' ORDER BY TABLE_CATALOG, TABLE_SCHEM");
        Assert.Superset(new HashSet<string?> { "sales", "products", "customers", "stores" }, r[0].GetProperty("rows").EnumerateArray().Select(row => row[0].GetString()).ToHashSet());
        var described = r[1].GetProperty("rows").EnumerateArray().Select(Row).ToList();
        Assert.Equal(columns.Select(c => c[0]), described.Select(c => c[0]));
        Assert.Equal(columns.Select(c => c[1]), described.Select(c => c[1]));
        Assert.Contains(["embedded"], r[2].GetProperty("rows").EnumerateArray().Select(Row));
        Assert.Equal([["demo", "embedded"]], r[3].GetProperty("rows").EnumerateArray().Select(Row));
    }

    /// <summary>The HS2 spelling of the same statement (Hive quotes names with backticks).</summary>
    private static string TrinoStatementTextForHs2(string sql) => sql.Replace("\"quoted name\"", "`quoted name`", StringComparison.Ordinal);

    [Fact]
    public async Task AMillionRowsArriveInPagesAndErrorsSessionsAndCancelWork()
    {
        var r = await RunAsync(new Dictionary<string, string> { ["gateway.engine"] = "duckdb" },
            "SELECT sale_id, amount FROM sales ORDER BY sale_id",
            "SELECT * FROM no_such_table",
            "SET SESSION gateway.engine = 'nowhere'",
            "SET SESSION gateway.engine = 'duckdb'",
            "SELECT 42 AS after_set",
            "cancel:SELECT * FROM sales s1 CROSS JOIN sales s2");

        var big = r[0];
        Assert.Equal(1_000_000, big.GetProperty("rowCount").GetInt32());
        Assert.True(big.GetProperty("pages").GetInt32() > 10, $"{big.GetProperty("pages")} pages");
        await using var hs2 = await fixture.Gateway.ConnectAsync(user: "trino-user", database: "demo");
        var (_, ends) = await hs2.QueryAsync("SELECT sale_id, amount FROM sales WHERE sale_id IN ((SELECT min(sale_id) FROM sales), (SELECT max(sale_id) FROM sales)) ORDER BY sale_id");
        Assert.Equal(ends[0], Row(big.GetProperty("first")));
        Assert.Equal(ends[1], Row(big.GetProperty("last")));

        var missing = r[1].GetProperty("error");
        Assert.Equal("USER_ERROR", missing.GetProperty("errorType").GetString());
        Assert.Contains("no_such_table", missing.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal("FAILED", r[1].GetProperty("state").GetString());

        Assert.Contains("Unknown engine 'nowhere'", r[2].GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal("FINISHED", r[3].GetProperty("state").GetString());
        Assert.Equal([["42"]], r[4].GetProperty("rows").EnumerateArray().Select(Row));

        Assert.True(r[5].TryGetProperty("canceled", out _));
        // The canceled query and every finished one are gone from the frontend (their sessions closed).
        var frontend = fixture.Gateway.Services.GetRequiredService<TrinoFrontend>();
        for (var i = 0; i < 100 && frontend.QueryCount > 0; i++) await Task.Delay(50);
        Assert.Equal(0, frontend.QueryCount);
    }
}
