using Gateway.Router.Routing;
using static Gateway.Tests.Unit.Router.RoutingFixture;

namespace Gateway.Tests.Unit.Router;

public class RoutingExplainUnitTests
{
    private static void Same(string?[] expected, string?[] actual) => Assert.Equal(expected.AsEnumerable(), actual.AsEnumerable());

    [Fact]
    public void ColumnsAreStable() =>
        Assert.Equal(["engine", "candidate", "estimated_scan_bytes", "estimated_cost_ms", "decided_by", "reason"], RoutingExplain.Columns);

    [Fact]
    public void ChosenFirstThenFailoverThenRejected()
    {
        var d = Route("EXPLAIN ROUTING SELECT * FROM lake.sales.medium");
        var rows = RoutingExplain.ToRows(d);
        Assert.Equal(["trino", "duckdb", "spark", "flink"], rows.Select(r => r[0]));
        Assert.All(rows, r => Assert.Equal(RoutingExplain.Columns.Count, r.Length));

        Same(["trino", "yes", "1000000000", "650", "cost"], rows[0][..5]);
        Assert.StartsWith("Query (SELECT); reads lake.sales.medium (1 GB); lowest estimated cost: 650 ms for 1 GB (next: duckdb 2005 ms)", rows[0][5], StringComparison.Ordinal);
        Same(["duckdb", "yes", "1000000000", "2005", null, "failover #1"], rows[1]);
        Same(["spark", "yes", "1000000000", "2200", null, "failover #2"], rows[2]);
        Same(["flink", "no", "1000000000", "6000", null, "streaming-only engine"], rows[3]);
    }

    [Fact]
    public void RuleDecisionsNameTheRule()
    {
        var options = new RoutingOptions { Rules = [new RoutingRule { Name = "first", Match = new() { Users = ["nobody"] }, Engine = "trino" }, new RoutingRule { Name = "etl", Match = new() { StatementKinds = ["Dml"] }, Engine = "spark" }] };
        var rows = RoutingExplain.ToRows(Route("INSERT INTO lake.sales.t SELECT * FROM lake.sales.small", options: options));
        Assert.Equal("spark", rows[0][0]);
        Assert.Equal("rule #1", rows[0][4]);
        Assert.Contains("rule #1 'etl' matched: engine spark", rows[0][5], StringComparison.Ordinal);
        Assert.Equal("cannot write to catalog lake (lake.sales.t)", rows.Single(r => r[0] == "duckdb")[5]);
    }

    [Fact]
    public void AnOverriddenEngineTheModelRejectsShowsWhy()
    {
        var context = Context() with { SessionConf = new Dictionary<string, string> { ["gateway.engine"] = "flink" } };
        var rows = RoutingExplain.ToRows(Route("SELECT * FROM lake.sales.small", context));
        Same(["flink", "no"], rows[0][..2]);
        Assert.Equal("override", rows[0][4]);
        Assert.Contains("warning: flink streaming-only engine", rows[0][5], StringComparison.Ordinal);
    }

    [Fact]
    public void ADefaultEngineOutsideTheCandidatesHasNoEstimate()
    {
        var d = Route("SELECT 1", Context() with { DefaultEngine = "ghost" }, engines: []);
        var row = Assert.Single(RoutingExplain.ToRows(d));
        Same(["ghost", "no", "0", null, "fallback"], row[..5]);
    }

    [Fact]
    public void DuplicateEngineNamesDoNotBreakTheExplanation()
    {
        var d = Route("SELECT * FROM lake.sales.small", engines: [DuckDb, DuckDb, Trino]);
        var rows = RoutingExplain.ToRows(d);
        Assert.Equal(["duckdb", "trino"], rows.Select(r => r[0]));
    }
}
