using BenchmarkDotNet.Attributes;
using Gateway.Engines;
using Gateway.Protocol.Sql;
using Gateway.Router.Policy;
using Gateway.Router.Sql;

namespace Gateway.Benchmarks;

/// <summary>
/// What the access policy adds to a statement after routing analysed it (issue 23's target: at most 50 µs p50): the
/// privilege check of a BI query against a 20-rule policy, and for a query that reads a filtered and masked table
/// the check, the scan-site rewrite and the analysis of the rewritten text that confirms a read is still a read.
/// The analysis routing already does is measured alone for scale.
/// </summary>
[MemoryDiagnoser]
public class PolicyBenchmarks
{
    private const string Dashboard = """
        SELECT `country` AS `country`, count(*) AS `count`, sum(`revenue`) AS `SUM(revenue)`
        FROM `sales_db`.`orders` o JOIN `sales_db`.`customers` c ON c.id = o.customer_id
        WHERE `order_date` >= '2024-01-01 00:00:00' AND `order_date` < '2024-02-01 00:00:00'
        GROUP BY `country` ORDER BY `count` DESC LIMIT 10000
        """;

    private static readonly PolicyColumn[] CustomerColumns =
        [new("id", "INTEGER"), new("name", "VARCHAR"), new("email", "VARCHAR"), new("country", "VARCHAR"), new("segment", "VARCHAR"), new("born", "DATE")];

    private readonly AccessPolicy _privileges = Parse(false);
    private readonly AccessPolicy _masked = Parse(true);
    private readonly AccessSubject _user = new("analyst", ["emea", "analysts"]);
    private readonly StatementAnalysis _analysis = StatementAnalyzer.Analyze(Dashboard, SqlDialect.Spark);

    private static AccessPolicy Parse(bool masks)
    {
        // 18 rules for other groups and users before the ones that apply, as a real file has.
        var others = string.Join(",\n", Enumerable.Range(0, 18).Select(i => $$"""{ "group": "team{{i}}", "schema": "s{{i}}", "privileges": ["SELECT"] }"""));
        var customers = masks
            ? """{ "group": "emea", "schema": "sales_db", "table": "customers", "privileges": ["SELECT"], "filter": "country IN ('DE', 'FR')", "columns": [ { "name": "email", "allow": false }, { "name": "name", "mask": "SHOW_FIRST_4" }, { "name": "born", "mask": "DATE_SHOW_YEAR" } ] }"""
            : """{ "group": "emea", "schema": "sales_db", "table": "customers", "privileges": ["SELECT"] }""";
        var json = $$"""{ "catalogs": [ { "allow": "all" } ], "tables": [ {{others}}, {{customers}}, { "group": "analysts", "schema": "sales_db", "privileges": ["SELECT"] } ] }""";
        return AccessPolicyParser.Parse(json).Policy!;
    }

    private static PolicyName Resolve(TableReference r) => new("lake", r.Schema ?? "default", r.Name);

    [Benchmark(Baseline = true, Description = "routing's analysis (paid already)")]
    public StatementAnalysis Analyze() => StatementAnalyzer.Analyze(Dashboard, SqlDialect.Spark);

    [Benchmark(Description = "privilege check, 20 rules")]
    public AccessDecision Check() => StatementAccessCheck.Check(_privileges, _user, _analysis, Resolve);

    [Benchmark(Description = "check + rewrite + re-analysis (filter, 2 masks, 1 blocked column)")]
    public string? CheckAndRewrite()
    {
        var decision = StatementAccessCheck.Check(_masked, _user, _analysis, Resolve);
        var sites = decision.Restricted.Select(r => new RestrictedSite(r.Reference, r.Name, r.Rule, CustomerColumns)).ToList();
        var rewritten = PolicyRewriter.Rewrite(Dashboard, SqlDialect.Spark, EngineKind.DuckDb, sites, _user.User, out _);
        var again = StatementAnalyzer.Analyze(rewritten!, SqlDialect.Spark);
        return again.Kind == _analysis.Kind ? rewritten : null;
    }
}
