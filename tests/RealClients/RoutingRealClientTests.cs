using System.Globalization;
using System.Text.Json;
using Gateway.Tests.InProcess;

namespace Gateway.Tests.RealClients;

/// <summary>
/// One connection of a third-party client (npm hive-driver, as PyHive or Beeline would hold one) whose statements land on
/// different engines by the data they touch — embedded DuckDB, PostgreSQL, a remote gateway process — and which reads
/// every decision back from the operation log and from EXPLAIN ROUTING.
/// </summary>
public sealed class RoutingRealClientTests(ThreeEnginesFixture fixture) : IClassFixture<ThreeEnginesFixture>
{
    private ThreeEngines E => fixture.Engines;

    [Fact]
    public async Task OneHiveDriverSessionReachesThreeEnginesAndSeesWhy()
    {
        string[] statements =
        [
            "SELECT count(*) AS n FROM small_dim",
            "SELECT count(*) AS n FROM events",
            $"SELECT count(*) AS n FROM {E.Orders}",
            "EXPLAIN ROUTING SELECT count(*) FROM events",
            "SELECT /*+ ENGINE(duckdb) */ count(*) AS n FROM events",
            "SET gateway.engine=pg",
            "SELECT version() AS n",
        ];
        var r = await NodeClientsRealClientTests.RunNodeAsync("hive-driver-routing.js", "127.0.0.1",
            E.Gateway.Port.ToString(CultureInfo.InvariantCulture), "bi_user", "pw", JsonSerializer.Serialize(statements));
        var results = r.EnumerateArray().ToList();
        Assert.Equal(statements.Length, results.Count);

        string? Count(int i) => NodeClientsRealClientTests.Str(results[i].GetProperty("rows")[0].GetProperty("n"));
        List<string> Log(int i) => [.. results[i].GetProperty("log").EnumerateArray().Select(l => l.GetString()!)];
        bool RanOn(int i, string engine) => Log(i).Any(l => l.Contains($"Running on engine '{engine}'", StringComparison.Ordinal));

        Assert.Equal(ThreeEngines.LocalSmall.ToString(CultureInfo.InvariantCulture), Count(0));
        Assert.True(RanOn(0, "duckdb"), string.Join('\n', Log(0)));
        Assert.Equal(ThreeEngines.RemoteEvents.ToString(CultureInfo.InvariantCulture), Count(1));
        Assert.True(RanOn(1, "remote"), string.Join('\n', Log(1)));
        Assert.Contains(Log(1), l => l.Contains("Routing: lowest estimated cost", StringComparison.Ordinal));
        Assert.Equal(ThreeEngines.PgOrders.ToString(CultureInfo.InvariantCulture), Count(2));
        Assert.True(RanOn(2, "pg"), string.Join('\n', Log(2)));

        var explain = results[3].GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(3, explain.Count);
        Assert.Equal("remote", explain[0].GetProperty("engine").GetString());
        Assert.Equal("cost", explain[0].GetProperty("decided_by").GetString());
        Assert.Contains(explain, row => row.GetProperty("engine").GetString() == "pg" && row.GetProperty("reason").GetString()!.Contains("cannot see", StringComparison.Ordinal));

        Assert.Equal(ThreeEngines.LocalEvents.ToString(CultureInfo.InvariantCulture), Count(4));
        Assert.True(RanOn(4, "duckdb"));
        // The session chose pg: version() is PostgreSQL's.
        Assert.StartsWith("PostgreSQL", Count(6), StringComparison.Ordinal);
        Assert.True(RanOn(6, "pg"));
    }
}
