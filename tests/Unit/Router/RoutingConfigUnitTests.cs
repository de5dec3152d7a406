using System.Text;
using System.Text.RegularExpressions;
using Gateway.Engines;
using Gateway.Router.Routing;
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

    private static (RoutingOptions Options, List<EngineCandidate> Engines) Bind()
    {
        var config = DocumentedConfiguration();
        var options = config.GetSection("Gateway:Routing").Get<RoutingOptions>()!;
        var profiles = new List<(string Name, EngineKind Kind, EngineRoutingProfile Profile)>();
        foreach (var engine in config.GetSection("Gateway:Engines").GetChildren())
        {
            var profile = engine.GetSection("Routing").Get<EngineRoutingProfile>()!;
            Assert.Empty(RoutingOptionsValidator.ValidateProfile(engine.Key, profile));
            profiles.Add((engine.Key, Enum.Parse<EngineKind>(engine["Kind"]!), profile));
        }
        // Configuration returns sections sorted by key; Order restores the intended order.
        Assert.Equal(["duckdb", "flink", "spark", "trino"], profiles.Select(p => p.Name));
        var engines = profiles.OrderBy(p => p.Profile.Order).ThenBy(p => p.Name, StringComparer.Ordinal)
            .Select(p => EngineCandidate.Create(p.Name, p.Kind, p.Profile)).ToList();
        return (options, engines);
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
        Assert.Equal(["duckdb", "trino", "spark", "flink"], engines.Select(e => e.Name));
        Assert.Equal(TimeSpan.FromMilliseconds(5), engines[0].Cost.PerQueryOverhead);
        Assert.Equal(2_000_000_000, engines[1].Cost.ScanBytesPerSecond);
        Assert.False(engines[3].Capabilities.Batch);
        Assert.Empty(RoutingOptionsValidator.Validate(options, [.. engines.Select(e => e.Name)], [.. engines.SelectMany(e => e.Groups).Distinct()]));
    }

    [Fact]
    public void TheDocumentedRulesRouteAsDescribed()
    {
        var (options, engines) = Bind();
        var router = new StatementRouter(options);
        TableStats? Stats(Gateway.Router.Sql.TableReference t) => t.ToString() switch
        {
            "lake.sales.orders" => new TableStats { Bytes = 50_000_000 },
            "lake.raw.clicks" => new TableStats { Bytes = 2_000_000_000 },
            _ => null,
        };
        RoutingContext Ctx(string user = "ann", string? client = null, params string[] groups) => new() { DefaultEngine = "duckdb", User = user, Client = client, Groups = groups };

        var etl = router.Route("INSERT INTO lake.sales.orders SELECT * FROM lake.sales.orders", Ctx("svc_etl_orders"), Stats, engines);
        Assert.Equal(("spark", "rule #0"), (etl.Engine, etl.DecidedByText));

        var dashboard = router.Route("SELECT count(*) FROM lake.raw.clicks", Ctx(client: "Superset 4.0"), Stats, engines);
        Assert.Equal(("trino", "rule #1"), (dashboard.Engine, dashboard.DecidedByText));

        var raw = router.Route("SELECT count(*) FROM lake.raw.clicks", Ctx(), Stats, engines);
        Assert.Equal(("spark", "rule #2"), (raw.Engine, raw.DecidedByText));

        var small = router.Route("SELECT * FROM lake.sales.orders", Ctx(), Stats, engines);
        Assert.Equal(("duckdb", "cost"), (small.Engine, small.DecidedByText));

        var sandbox = new RoutingContext
        {
            DefaultEngine = "trino",
            User = "fin",
            Groups = ["finance"],
            SessionConf = new Dictionary<string, string> { ["finance.sandbox"] = "true" },
        };
        var fin = router.Route("SELECT * FROM local.main.budget", sandbox, Stats, engines);
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
