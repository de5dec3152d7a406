using System.Globalization;
using System.Text.Json;
using Gateway.Tests.InProcess;

namespace Gateway.Tests.RealClients;

/// <summary>
/// Issue 23's acceptance on the embedded DuckDB: one policy that blocks a column, filters rows and masks others, and
/// three users who run the same statements through the npm hive-driver and through the project's CLI and see exactly
/// what it allows: alice the filtered and masked rows, root everything, mallory nothing but a refusal.
/// </summary>
public sealed class AccessPolicyRealClientTests(AccessPolicyInProcessTests.Fixture fixture) : IClassFixture<AccessPolicyInProcessTests.Fixture>
{
    private static readonly string[] Statements =
    [
        "SELECT * FROM demo.customers WHERE customer_id IN (10, 11) ORDER BY customer_id",
        "SELECT count(*) AS n FROM demo.customers",
        "SELECT name FROM demo.stores WHERE store_id = 1",
    ];

    [Fact]
    public async Task ThreeUsersSeeWhatThePolicyAllowsThroughHiveDriver()
    {
        var users = new Dictionary<string, string> { ["alice"] = "alice-pw", ["root"] = "root-pw", ["mallory"] = "mallory-pw" };
        var r = await NodeClientsRealClientTests.RunNodeAsync("hive-driver-policy.js", "127.0.0.1",
            fixture.Gateway.Port.ToString(CultureInfo.InvariantCulture), JsonSerializer.Serialize(users), JsonSerializer.Serialize(Statements));

        var alice = r.GetProperty("alice").EnumerateArray().ToList();
        var rows = alice[0].GetProperty("rows").EnumerateArray().ToList();
        // Only customer 10 is in DE; email is not a column for alice; name, segment, signup_date and country are masked.
        var row = Assert.Single(rows);
        Assert.Equal(["customer_id", "name", "country", "segment", "signup_date"], row.EnumerateObject().Select(p => p.Name));
        Assert.Equal(new string?[] { "10", "CustXXXXXXX", "de", "XXXXXXXXX", "2021-01-01" }, row.EnumerateObject().Select(p => NodeClientsRealClientTests.Str(p.Value)).ToArray());
        Assert.Equal("1000", NodeClientsRealClientTests.Str(alice[1].GetProperty("rows")[0].GetProperty("n")));
        Assert.StartsWith("Access denied: alice may not SELECT embedded.demo.stores", alice[2].GetProperty("error").GetString(), StringComparison.Ordinal);

        var root = r.GetProperty("root").EnumerateArray().ToList();
        var rootRows = root[0].GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(2, rootRows.Count);
        Assert.Equal("customer10@example.com", rootRows[0].GetProperty("email").GetString());
        Assert.Equal("Customer 11", rootRows[1].GetProperty("name").GetString());
        Assert.Equal("10000", NodeClientsRealClientTests.Str(root[1].GetProperty("rows")[0].GetProperty("n")));
        Assert.Equal("Store 1", root[2].GetProperty("rows")[0].GetProperty("name").GetString());

        foreach (var result in r.GetProperty("mallory").EnumerateArray())
        {
            Assert.StartsWith("Access denied: mallory may not SELECT", result.GetProperty("error").GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ThreeUsersSeeWhatThePolicyAllowsThroughTheCli()
    {
        var port = fixture.Gateway.Port.ToString(CultureInfo.InvariantCulture);
        var (exit, stdout, stderr) = await GatewayCli.RunAsync("sql", "--port", port, "-u", "alice", "--password", "alice-pw", "-e", Statements[0]);
        Assert.True(exit == 0, $"exit {exit}: {stderr}\n{stdout}");
        Assert.Contains("CustXXXXXXX", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("Customer 11", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("@example.com", stdout, StringComparison.Ordinal);

        (exit, stdout, stderr) = await GatewayCli.RunAsync("sql", "--port", port, "-u", "root", "--password", "root-pw", "-e", Statements[0]);
        Assert.True(exit == 0, $"exit {exit}: {stderr}\n{stdout}");
        Assert.Contains("customer10@example.com", stdout, StringComparison.Ordinal);
        Assert.Contains("Customer 11", stdout, StringComparison.Ordinal);

        (exit, stdout, stderr) = await GatewayCli.RunAsync("sql", "--port", port, "-u", "mallory", "--password", "mallory-pw", "-e", Statements[1]);
        Assert.NotEqual(0, exit);
        Assert.Contains("Access denied: mallory may not SELECT embedded.demo.customers", stderr + stdout, StringComparison.Ordinal);
    }
}
