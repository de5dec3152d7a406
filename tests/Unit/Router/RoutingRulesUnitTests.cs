using Gateway.Router.Routing;
using static Gateway.Tests.Unit.Router.RoutingFixture;

namespace Gateway.Tests.Unit.Router;

public class RoutingRulesUnitTests
{
    private static RoutingOptions WithRules(params RoutingRule[] rules) => new() { Rules = rules };

    [Fact]
    public void RuleByUserBeatsTheCostModel()
    {
        var options = WithRules(new RoutingRule { Name = "etl-bots", Match = new() { Users = ["etl_*"] }, Engine = "spark" });
        var d = Route("SELECT * FROM lake.sales.small", Context("etl_nightly"), options: options);
        Assert.Equal("spark", d.Engine);
        Assert.Equal(DecisionSource.Rule, d.DecidedBy);
        Assert.Equal(0, d.RuleIndex);
        Assert.Equal("etl-bots", d.RuleName);
        Assert.Equal("rule #0", d.DecidedByText);
        Assert.Contains("rule #0 'etl-bots' matched: engine spark", d.Reasons);

        Assert.Equal(DecisionSource.Cost, Route("SELECT * FROM lake.sales.small", Context("alice"), options: options).DecidedBy);
    }

    [Fact]
    public void RuleConditions()
    {
        var context = Context("bob") with
        {
            Groups = ["analysts", "finance"],
            Client = "Tableau 2024.1",
            SessionConf = new Dictionary<string, string> { ["team"] = "finance-emea" },
        };
        const string sql = "SELECT * FROM lake.sales.small";
        string? Decide(RuleMatch match) =>
            Route(sql, context, options: WithRules(new RoutingRule { Name = "r", Match = match, Engine = "spark" })).RuleName;

        Assert.Equal("r", Decide(new() { Groups = ["fin*"] }));
        Assert.Null(Decide(new() { Groups = ["admins"] }));
        Assert.Equal("r", Decide(new() { Clients = ["tableau*"] }));
        Assert.Null(Decide(new() { Clients = ["superset"] }));
        Assert.Equal("r", Decide(new() { StatementKinds = ["query"] }));
        Assert.Null(Decide(new() { StatementKinds = ["Dml", "Ddl"] }));
        Assert.Equal("r", Decide(new() { Tables = ["sales.small"] }));
        Assert.Equal("r", Decide(new() { Tables = ["lake.*.*"] }));
        Assert.Null(Decide(new() { Tables = ["hive.*.*"] }));
        Assert.Equal("r", Decide(new() { Schemas = ["lake.sales"] }));
        Assert.Null(Decide(new() { Schemas = ["web"] }));
        Assert.Equal("r", Decide(new() { SessionConf = new Dictionary<string, string> { ["TEAM"] = "finance-*" } }));
        Assert.Null(Decide(new() { SessionConf = new Dictionary<string, string> { ["team"] = "ops" } }));
        Assert.Null(Decide(new() { SessionConf = new Dictionary<string, string> { ["missing"] = "*" } }));
        Assert.Equal("r", Decide(new() { Writes = false }));
        Assert.Null(Decide(new() { Writes = true }));
        // Every condition must hold.
        Assert.Null(Decide(new() { Groups = ["finance"], Clients = ["superset"] }));
        Assert.Equal("r", Decide(new()));
    }

    [Fact]
    public void TableMatchAllRequiresEveryTable()
    {
        const string sql = "SELECT * FROM lake.sales.small s JOIN lake.sales.huge h ON s.k = h.k";
        var any = WithRules(new RoutingRule { Name = "small", Match = new() { Tables = ["*.small"] }, Engine = "duckdb" });
        var all = WithRules(new RoutingRule { Name = "small", Match = new() { Tables = ["*.small"], TableMatch = "all" }, Engine = "duckdb" });
        Assert.Equal("duckdb", Route(sql, options: any).Engine);
        Assert.Equal(DecisionSource.Cost, Route(sql, options: all).DecidedBy);
        Assert.Equal(DecisionSource.Rule, Route("SELECT * FROM lake.sales.small", options: all).DecidedBy);
    }

    [Fact]
    public void UnqualifiedTablesMatchThroughTheSessionNamespace()
    {
        var options = WithRules(new RoutingRule { Name = "lake", Match = new() { Tables = ["lake.sales.*"] }, Engine = "trino" });
        Assert.Equal(DecisionSource.Cost, Route("SELECT * FROM small", options: options).DecidedBy);
        var context = Context() with { CurrentCatalog = "lake", CurrentSchema = "sales" };
        Assert.Equal("trino", Route("SELECT * FROM small", context, options: options).Engine);
    }

    [Fact]
    public void LowerPriorityRunsFirstThenListOrder()
    {
        var options = WithRules(
            new RoutingRule { Name = "late", Priority = 10, Match = new() { StatementKinds = ["Query"] }, Engine = "duckdb" },
            new RoutingRule { Name = "early", Priority = 1, Match = new() { StatementKinds = ["Query"] }, Engine = "spark" },
            new RoutingRule { Name = "tie", Priority = 1, Match = new() { StatementKinds = ["Query"] }, Engine = "trino" });
        var d = Route("SELECT * FROM lake.sales.small", options: options);
        Assert.Equal("spark", d.Engine);
        Assert.Equal(1, d.RuleIndex);
        Assert.Equal("early", d.RuleName);
    }

    [Fact]
    public void RuleWhoseEngineCannotRunTheStatementGivesWayToTheNext()
    {
        var engines = AllEngines();
        engines[2] = Spark with { Healthy = false, HealthDetail = "driver lost" };
        var options = WithRules(
            new RoutingRule { Name = "to-spark", Match = new() { Users = ["*"] }, Engine = "spark" },
            new RoutingRule { Name = "to-duckdb-hive", Match = new() { Users = ["*"] }, Engine = "duckdb" },
            new RoutingRule { Name = "to-ghost", Match = new() { Users = ["*"] }, Engine = "ghost" });
        var d = Route("SELECT * FROM hive.web.logs", engines: engines, options: options);
        Assert.Equal("trino", d.Engine);
        Assert.Equal(DecisionSource.Cost, d.DecidedBy);
        Assert.Contains("rule #0 'to-spark' matched, but spark was rejected (unhealthy: driver lost); next rule", d.Reasons);
        Assert.Contains("rule #1 'to-duckdb-hive' matched, but duckdb was rejected (cannot see hive.web.logs); next rule", d.Reasons);
        Assert.Contains("rule #2 'to-ghost' matched, but engine ghost is not a candidate; next rule", d.Reasons);
    }

    [Fact]
    public void GroupTargetPicksTheCheapestEligibleMember()
    {
        var options = WithRules(new RoutingRule { Name = "bi", Match = new() { Clients = ["superset*"] }, EngineGroup = "interactive" });
        var context = Context() with { Client = "Superset" };
        var huge = Route("SELECT * FROM lake.sales.huge", context, options: options);
        Assert.Equal("trino", huge.Engine);
        Assert.Equal(DecisionSource.Rule, huge.DecidedBy);
        Assert.Contains(huge.Reasons, r => r.StartsWith("rule #0 'bi' matched: cheapest of group interactive is trino", StringComparison.Ordinal));
        Assert.Equal("duckdb", Route("SELECT * FROM lake.sales.small", context, options: options).Engine);

        var streaming = WithRules(new RoutingRule { Name = "bi", Match = new() { Clients = ["superset*"] }, EngineGroup = "interactive" });
        var s = Route("SELECT * FROM lake.sales.small EMIT CHANGES", context, options: streaming);
        Assert.Equal("flink", s.Engine);
        Assert.Contains(s.Reasons, r => r.StartsWith("rule #0 'bi' matched, but no engine of group interactive can run it", StringComparison.Ordinal));
    }

    [Fact]
    public void TableRulesAreSkippedWhenTheAnalysisIsUncertain()
    {
        var options = WithRules(
            new RoutingRule { Name = "by-table", Match = new() { Tables = ["*"] }, Engine = "spark" },
            new RoutingRule { Name = "by-user", Match = new() { Users = ["carol"] }, Engine = "trino" });
        var alice = Route("SELECT * FROM ${hivevar:db}.t", options: options);
        Assert.Equal(DecisionSource.Fallback, alice.DecidedBy);
        Assert.Equal("duckdb", alice.Engine);
        Assert.Contains("rules on tables or schemas skipped: the statement's tables are not known for sure", alice.Reasons);
        var carol = Route("SELECT * FROM ${hivevar:db}.t", Context("carol"), options: options);
        Assert.Equal("trino", carol.Engine);
        Assert.Equal("by-user", carol.RuleName);
    }

    [Fact]
    public void ValidatorListsEveryProblemWithItsPlace()
    {
        var options = new RoutingOptions
        {
            Dialect = "oracle",
            Cost = new() { DefaultScanBytes = -1, StatsMaxAge = TimeSpan.Zero },
            Rules =
            [
                new RoutingRule { Name = "ok", Match = new() { StatementKinds = ["Query"] }, Engine = "spark" },
                new RoutingRule { Name = "", Engine = "spark" },
                new RoutingRule { Name = "OK", Engine = "spark", EngineGroup = "etl" },
                new RoutingRule { Name = "bad-match", Engine = "sparky", Match = new()
                {
                    StatementKinds = ["Query", "Querry", "3"],
                    Tables = ["a..b", ""],
                    Schemas = ["a.b.c"],
                    Users = [" "],
                    TableMatch = "some",
                    SessionConf = new Dictionary<string, string> { [""] = "x" },
                } },
                new RoutingRule { Name = "no-target" },
                new RoutingRule { Name = "ghost-group", EngineGroup = "gpu" },
            ],
        };
        var errors = RoutingOptionsValidator.Validate(options, engines: ["duckdb", "spark", "trino"], groups: ["etl", "interactive"]);
        Assert.Equal(
        [
            "Dialect 'oracle' is not one of hive, spark, trino, flink, ansi, postgres, duckdb.",
            "Cost.DefaultScanBytes must not be negative.",
            "Cost.StatsMaxAge must be positive when set.",
            "Rules[1]: Name is required.",
            "Rules[2] 'OK': Name is also used by Rules[0].",
            "Rules[2] 'OK': set exactly one of Engine or EngineGroup.",
            "Rules[3] 'bad-match': Engine 'sparky' is not a configured engine (known: duckdb, spark, trino).",
            "Rules[3] 'bad-match': Match.Users[0] is empty.",
            "Rules[3] 'bad-match': Match.Tables[0] 'a..b' has an empty part.",
            "Rules[3] 'bad-match': Match.Tables[1] is empty.",
            "Rules[3] 'bad-match': Match.Schemas[0] 'a.b.c' has more than 2 dotted parts.",
            "Rules[3] 'bad-match': Match.StatementKinds[1] 'Querry' is not a statement kind (Query, Dml, Ddl, Metadata, SessionCommand, Streaming, Unknown).",
            "Rules[3] 'bad-match': Match.StatementKinds[2] '3' is not a statement kind (Query, Dml, Ddl, Metadata, SessionCommand, Streaming, Unknown).",
            "Rules[3] 'bad-match': Match.TableMatch 'some' must be Any or All.",
            "Rules[3] 'bad-match': Match.SessionConf has an empty key.",
            "Rules[4] 'no-target': set exactly one of Engine or EngineGroup.",
            "Rules[5] 'ghost-group': EngineGroup 'gpu' is not a group of any engine (known: etl, interactive).",
        ], errors);
        Assert.Empty(RoutingOptionsValidator.Validate(new RoutingOptions()));
    }

    [Fact]
    public void RouterRefusesInvalidOptions()
    {
        var ex = Assert.Throws<ArgumentException>(() => new StatementRouter(WithRules(new RoutingRule { Name = "x" })));
        Assert.Contains("Rules[0] 'x': set exactly one of Engine or EngineGroup.", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ProfileValidator()
    {
        var errors = RoutingOptionsValidator.ValidateProfile("trino", new EngineRoutingProfile
        {
            Groups = [""],
            Visibility = ["lake.a.b"],
            Capabilities = new() { WritableCatalogs = ["lake.x"], Dialects = ["tsql"] },
            Cost = new() { ScanBytesPerSecond = 0, PerQueryOverhead = TimeSpan.FromSeconds(-1) },
        });
        Assert.Equal(
        [
            "Engines 'trino' Routing: Cost.ScanBytesPerSecond must be a positive number.",
            "Engines 'trino' Routing: Cost.PerQueryOverhead must not be negative.",
            "Engines 'trino' Routing: Visibility[0] 'lake.a.b' has more than 2 dotted parts.",
            "Engines 'trino' Routing: Capabilities.WritableCatalogs[0] 'lake.x' has more than 1 dotted part.",
            "Engines 'trino' Routing: Capabilities.Dialects has unknown dialect 'tsql'.",
            "Engines 'trino' Routing: Groups[0] is empty.",
        ], errors);
    }
}
