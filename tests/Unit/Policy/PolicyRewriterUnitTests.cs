using Gateway.Engines;
using Gateway.Protocol.Sql;
using Gateway.Router.Policy;
using Gateway.Router.Sql;

namespace Gateway.Tests.Unit.Policy;

/// <summary>The scan-site rewrite and the portable masks, per engine.</summary>
public class PolicyRewriterUnitTests
{
    private static readonly PolicyColumn[] Columns = [new("id", "INTEGER"), new("name", "VARCHAR"), new("email", "VARCHAR"), new("born", "DATE")];

    private static TableRule Rule(string? filter, params ColumnConstraint[] columns) =>
        new("tables[0]", null, null, null, null, null, TablePrivileges.Select, columns, filter);

    private static string? Rewrite(string sql, TableRule rule, EngineKind engine, out string? error, string user = "alice", PolicyColumn[]? columns = null)
    {
        var analysis = StatementAnalyzer.Analyze(sql, SqlDialect.Spark);
        var sites = analysis.ReadSites.Where(r => r.Name == "people")
            .Select(r => new RestrictedSite(r, new PolicyName("embedded", "demo", "people"), rule, columns ?? Columns)).ToList();
        return PolicyRewriter.Rewrite(sql, SqlDialect.Spark, engine, sites, user, out error);
    }

    [Theory]
    [InlineData("SELECT * FROM demo.people", "SELECT * FROM (SELECT `id`, `name`, `born` FROM demo.people WHERE (id > 0)) AS `people`")]
    [InlineData("SELECT p.id FROM demo.people p WHERE p.id = 1", "SELECT p.id FROM (SELECT `id`, `name`, `born` FROM demo.people WHERE (id > 0)) p WHERE p.id = 1")]
    [InlineData("SELECT x.id FROM demo.people AS x", "SELECT x.id FROM (SELECT `id`, `name`, `born` FROM demo.people WHERE (id > 0)) AS x")]
    [InlineData("SELECT * FROM demo.people JOIN demo.people q ON people.id = q.id",
        "SELECT * FROM (SELECT `id`, `name`, `born` FROM demo.people WHERE (id > 0)) AS `people` JOIN (SELECT `id`, `name`, `born` FROM demo.people WHERE (id > 0)) q ON people.id = q.id")]
    [InlineData("SELECT count(*) FROM `demo`.`people` WHERE name LIKE 'a%' GROUP BY 1",
        "SELECT count(*) FROM (SELECT `id`, `name`, `born` FROM `demo`.`people` WHERE (id > 0)) AS `people` WHERE name LIKE 'a%' GROUP BY 1")]
    public void EverySiteBecomesASubqueryKeepingItsName(string sql, string expected)
    {
        var rule = Rule("id > 0", new ColumnConstraint("email", false, null, null));
        Assert.Equal(expected, Rewrite(sql, rule, EngineKind.DuckDb, out var error));
        Assert.Null(error);
    }

    [Theory]
    [InlineData(EngineKind.DuckDb, MaskKind.Hash, "sha256(CAST(`name` AS VARCHAR)) AS `name`")]
    [InlineData(EngineKind.Postgres, MaskKind.Hash, "encode(sha256(convert_to(CAST(`name` AS VARCHAR), 'UTF8')), 'hex') AS `name`")]
    [InlineData(EngineKind.Spark, MaskKind.Hash, "sha2(CAST(`name` AS STRING), 256) AS `name`")]
    [InlineData(EngineKind.Trino, MaskKind.Hash, "lower(to_hex(sha256(to_utf8(CAST(\"name\" AS VARCHAR))))) AS \"name\"")]
    [InlineData(EngineKind.DuckDb, MaskKind.Null, "CAST(NULL AS VARCHAR) AS `name`")]
    [InlineData(EngineKind.DuckDb, MaskKind.Redact, "repeat('X', length(`name`)) AS `name`")]
    [InlineData(EngineKind.Trino, MaskKind.Redact, "lpad('', length(\"name\"), 'X') AS \"name\"")]
    [InlineData(EngineKind.Postgres, MaskKind.ShowLast4,
        "CASE WHEN length(CAST(`name` AS VARCHAR)) <= 4 THEN CAST(`name` AS VARCHAR) ELSE repeat('X', length(CAST(`name` AS VARCHAR)) - 4) || substr(CAST(`name` AS VARCHAR), length(CAST(`name` AS VARCHAR)) - 3) END AS `name`")]
    public void MasksAreWrittenInTheEnginesSql(EngineKind engine, MaskKind mask, string expected)
    {
        var rewritten = Rewrite("SELECT name FROM demo.people", Rule(null, new ColumnConstraint("name", true, mask, null)), engine, out _);
        Assert.Contains(expected, rewritten, StringComparison.Ordinal);
    }

    [Fact]
    public void CurrentUserIsTheGatewaysUserAsALiteral()
    {
        var rule = Rule("owner = current_user OR current_user() = 'admin'", new ColumnConstraint("name", true, MaskKind.Expression, "CASE WHEN current_user = 'x' THEN name END"));
        var rewritten = Rewrite("SELECT * FROM demo.people", rule, EngineKind.DuckDb, out _, user: "o'brien\\x", columns: [.. Columns, new("owner", "VARCHAR")]);
        // Quotes doubled; on the DuckDB path (Hive escapes) the backslash too.
        Assert.Contains("WHERE (owner = 'o''brien\\\\x' OR 'o''brien\\\\x' = 'admin')", rewritten, StringComparison.Ordinal);
        Assert.Contains("(CASE WHEN 'o''brien\\\\x' = 'x' THEN name END) AS `name`", rewritten, StringComparison.Ordinal);
        var pg = Rewrite("SELECT * FROM demo.people", rule, EngineKind.Postgres, out _, user: "o'brien\\x", columns: [.. Columns, new("owner", "VARCHAR")]);
        Assert.Contains("WHERE (owner = 'o''brien\\x' OR", pg, StringComparison.Ordinal);
    }

    [Fact]
    public void APolicyThatNamesAMissingColumnOrBlocksEveryColumnRefusesInsteadOfOpening()
    {
        Assert.Null(Rewrite("SELECT * FROM demo.people", Rule(null, new ColumnConstraint("emial", false, null, null)), EngineKind.DuckDb, out var error));
        Assert.Equal("tables[0] constrains column emial, which embedded.demo.people does not have", error);
        var all = Rule(null, [.. Columns.Select(c => new ColumnConstraint(c.Name, false, null, null))]);
        Assert.Null(Rewrite("SELECT 1 FROM demo.people", all, EngineKind.DuckDb, out error));
        Assert.Equal("every column of embedded.demo.people is blocked for this user (tables[0])", error);
    }
}
