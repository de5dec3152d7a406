using System.Text;
using System.Text.RegularExpressions;
using Gateway.Router.Routing;
using Gateway.Server.Hosting;
using Gateway.Server.Routing;
using Gateway.Tests.RealClients;
using Microsoft.Extensions.Configuration;

namespace Gateway.Tests.Unit.Router;

/// <summary>The configuration example in docs/routing.md binds, validates and routes as the document says.</summary>
public partial class RoutingConfigUnitTests
{
    private static IConfigurationRoot DocumentedConfiguration()
    {
        var doc = File.ReadAllText(Path.Combine(NodeClientsRealClientTests.RepoRoot(), "docs", "routing.md"));
        var section = doc[doc.IndexOf("## 3. Configuration", StringComparison.Ordinal)..];
        var json = JsonBlock().Match(section).Groups[1].Value;
        Assert.False(string.IsNullOrWhiteSpace(json), "docs/routing.md lost its configuration example");
        return new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build();
    }

    /// <summary>Loads the example with the gateway's own loader (binding and every validation), as <c>gateway serve --config</c> would.</summary>
    private static (RoutingOptions Options, List<EngineCandidate> Engines) Bind()
    {
        var gateway = GatewayHost.LoadOptions(DocumentedConfiguration());
        var engines = gateway.Engines.Select((e, i) => (Engine: e, Index: i, Profile: RoutingService.ProfileOf(e)))
            .OrderBy(x => x.Profile.Order).ThenBy(x => x.Index)
            .Select(x => EngineCandidate.Create(x.Engine.Name, x.Engine.Kind, x.Profile, new EngineLoad { MaxConcurrent = x.Engine.Capacity.MaxConcurrent, MaxQueued = x.Engine.Capacity.MaxQueue }))
            .ToList();
        return (gateway.Routing, engines);
    }

    [Fact]
    public void TheDocumentedExampleBindsAndValidates()
    {
        var (options, engines) = Bind();
        Assert.Equal(4, options.Rules.Count);
        Assert.Equal("finance-sandbox", options.Rules[3].Name);
        Assert.Equal("true", options.Rules[3].Match.SessionConf!["finance.sandbox"]);
        Assert.Equal(["Tableau*", "Superset*"], options.Rules[1].Match.Clients!);
        Assert.Equal(TimeSpan.FromDays(7), options.Cost.StatsMaxAge);
        Assert.Equal(1L << 30, options.Cost.DefaultScanBytes);
        Assert.Equal(TimeSpan.FromSeconds(2), options.StatisticsTimeout);
        Assert.Equal((true, 2, false), (options.Failover.Enabled, options.Failover.MaxAttempts, options.Failover.Writes));
        Assert.Equal(["duckdb", "pg", "spark"], engines.Select(e => e.Name));
        Assert.Equal(TimeSpan.FromMilliseconds(5), engines[0].Cost.PerQueryOverhead);
        Assert.Equal(["embedded", "lake"], engines[0].Visibility!);
        Assert.Equal(5_000_000_000, engines[2].Cost.ScanBytesPerSecond);
        Assert.Equal(8, engines[2].Load.MaxConcurrent);
    }

    [Fact]
    public void TheDocumentedRulesRouteAsDescribed()
    {
        var (options, engines) = Bind();
        var router = new StatementRouter(options);
        TableStats? Stats(Gateway.Router.Sql.TableReference t) => t.ToString() switch
        {
            "lake.sales.orders" => new TableStats { Bytes = 50_000_000, Catalog = "lake", Schema = "sales" },
            "lake.raw.clicks" => new TableStats { Bytes = 2_000_000_000, Catalog = "lake", Schema = "raw" },
            "lake.sales.events" => new TableStats { Bytes = 500_000_000_000, Catalog = "lake", Schema = "sales" },
            "warehouse.public.invoices" => new TableStats { Bytes = 10_000_000, Catalog = "warehouse", Schema = "public" },
            _ => null,
        };
        RoutingContext Ctx(string user = "ann", string? client = null, params string[] groups) => new() { DefaultEngine = "duckdb", User = user, Client = client, Groups = groups };

        var etl = router.Route("INSERT INTO lake.sales.orders SELECT * FROM lake.sales.orders", Ctx("svc_etl_orders"), Stats, engines);
        Assert.Equal(("spark", "rule #0"), (etl.Engine, etl.DecidedByText));

        // Dashboards go to the cheapest interactive engine that can see the data: DuckDB for the lake, pg for the warehouse.
        var dashboard = router.Route("SELECT count(*) FROM lake.raw.clicks", Ctx(client: "Superset 4.0"), Stats, engines);
        Assert.Equal(("duckdb", "rule #1"), (dashboard.Engine, dashboard.DecidedByText));
        var invoices = router.Route("SELECT count(*) FROM warehouse.public.invoices", Ctx(client: "Tableau Desktop"), Stats, engines);
        Assert.Equal(("pg", "rule #1"), (invoices.Engine, invoices.DecidedByText));

        var raw = router.Route("SELECT count(*) FROM lake.raw.clicks", Ctx(), Stats, engines);
        Assert.Equal(("spark", "rule #2"), (raw.Engine, raw.DecidedByText));

        // No rule: the cost model. 50 MB is DuckDB's (5 ms + 0.1 s against Spark's 2 s); 500 GB is Spark's.
        var small = router.Route("SELECT * FROM lake.sales.orders", Ctx(), Stats, engines);
        Assert.Equal(("duckdb", "cost"), (small.Engine, small.DecidedByText));
        var large = router.Route("SELECT * FROM lake.sales.events", Ctx(), Stats, engines);
        Assert.Equal(("spark", "cost"), (large.Engine, large.DecidedByText));
        Assert.Equal(["duckdb"], large.Failover);

        var sandbox = new RoutingContext
        {
            DefaultEngine = "pg",
            User = "fin",
            Groups = ["finance"],
            SessionConf = new Dictionary<string, string> { ["finance.sandbox"] = "true" },
        };
        var fin = router.Route("SELECT * FROM embedded.main.budget", sandbox, Stats, engines);
        Assert.Equal(("duckdb", "rule #3"), (fin.Engine, fin.DecidedByText));
    }

    [Fact]
    public void BadConfigurationIsReportedNotThrownByTheBinder()
    {
        const string json = """{ "Routing": { "Rules": [ { "Name": "r", "Engine": "spark", "Match": { "StatementKinds": [ "Select" ] } } ] } }""";
        var options = new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build().GetSection("Routing").Get<RoutingOptions>()!;
        Assert.Equal(
            ["Rules[0] 'r': Match.StatementKinds[0] 'Select' is not a statement kind (Query, Dml, Ddl, Metadata, SessionCommand, Streaming, Unknown)."],
            RoutingOptionsValidator.Validate(options));
    }

    [GeneratedRegex("```json\\n(.*?)\\n```", RegexOptions.Singleline)]
    private static partial Regex JsonBlock();
}
