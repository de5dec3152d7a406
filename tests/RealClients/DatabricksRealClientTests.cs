using System.Globalization;
using System.Text.Json;
using Gateway.Server.Auth;
using Gateway.Tests.InProcess;

namespace Gateway.Tests.RealClients;

/// <summary>A gateway on HTTPS (the test certificate) with a password file and a static bearer token, as a Databricks SQL endpoint is reached.</summary>
public sealed class DatabricksGatewayFixture : IAsyncLifetime
{
    public const string Token = "dapi-gateway-test-token-0123456789abcdef";
    public GatewayInstance Gateway { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var folder = Directory.CreateTempSubdirectory("gw-dbx").FullName;
        PasswordFile.Write(Path.Combine(folder, "users.txt"), new Dictionary<string, PasswordHash> { ["someone"] = PasswordHash.Create("pw", 1000) });
        var settings = TestCertificate.GatewaySettings();
        settings["Gateway:Auth:Mode"] = "PasswordFile";
        settings["Gateway:Auth:Tokens:0:User"] = "dbx-user";
        settings["Gateway:Auth:Tokens:0:Token"] = Token;
        Gateway = await GatewayInstance.StartAsync(settings, folder);
    }

    public async Task DisposeAsync() => await Gateway.DisposeAsync();
}

/// <summary>
/// The npm Databricks SQL connector (<c>@databricks/sql</c>) over HTTPS with a bearer token: Arrow with
/// native types, Arrow with text types and Thrift columns, each with direct results on and off; every
/// type, parameters, metadata calls, errors and a large fetch (tests/clients/databricks-check.js).
/// </summary>
public class DatabricksRealClientTests(DatabricksGatewayFixture fixture) : IClassFixture<DatabricksGatewayFixture>
{
    private static string? Str(JsonElement e) => NodeClientsRealClientTests.Str(e);

    /// <summary>
    /// One spelling for what the modes legitimately render differently: native Arrow dates and timestamps
    /// arrive as JS Dates ("date:2024-02-29T13:45:30.123Z"), text ones as Hive text.
    /// </summary>
    private static string? Canonical(JsonElement e)
    {
        var s = Str(e);
        if (s is null || !s.StartsWith("date:", StringComparison.Ordinal)) return s;
        s = s["date:".Length..].Replace('T', ' ').TrimEnd('Z');
        if (s.EndsWith(".000", StringComparison.Ordinal)) s = s[..^4];
        if (s.EndsWith(" 00:00:00", StringComparison.Ordinal)) s = s[..^9];
        return s;
    }

    private static Dictionary<string, string?> Row(JsonElement row) => row.EnumerateObject().ToDictionary(p => p.Name, p => Canonical(p.Value));

    [Fact]
    public async Task DatabricksConnectorWorksInEveryResultMode()
    {
        var g = fixture.Gateway;
        var r = await NodeClientsRealClientTests.RunNodeAsync("databricks-check.js", "localhost", g.HttpPort.ToString(CultureInfo.InvariantCulture),
            g.Endpoints.HttpPath, DatabricksGatewayFixture.Token, TestCertificate.CertificatePath, "1000000");
        var modes = r.GetProperty("modes");
        var expectedTypes = new Dictionary<string, string?>
        {
            ["id"] = "1",
            ["b"] = "true",
            ["ti"] = "-8",
            ["si"] = "300",
            ["i"] = "70000",
            ["bi"] = "123456789012",
            ["f"] = "1.5",
            ["d"] = "2.25",
            ["dec"] = "12.34",
            ["s"] = "héllo",
            ["dt"] = "2024-02-29",
            ["ts"] = "2024-02-29 13:45:30.123",
            ["arr"] = "[1,2,null]",
            ["st"] = "{\"a\":1,\"b\":\"x\"}",
            ["m"] = "{\"k\":2}",
            ["n"] = null,
        };
        foreach (var name in new[] { "arrow-native", "arrow-text", "thrift" })
        {
            var m = modes.GetProperty(name);
            foreach (var direct in new[] { "direct", "nodirect" })
            {
                var one = m.GetProperty($"{direct}.selectOne");
                Assert.Equal("1", Str(one.GetProperty("rows")[0].GetProperty("one")));
                var requests = one.GetProperty("requests").GetInt32();
                // Direct results: SELECT 1 is one HTTP request (execute with status, metadata, rows and close); without, several.
                if (direct == "direct") Assert.True(requests == 1, $"{name}: SELECT 1 with direct results took {requests} requests");
                else Assert.True(requests >= 4, $"{name}: SELECT 1 without direct results took only {requests} requests");

                var types = m.GetProperty($"{direct}.types");
                Assert.Equal(2, types.GetArrayLength());
                Assert.Equal(expectedTypes, Row(types[0]));
                Assert.All(Row(types[1]).Where(kv => kv.Key != "id"), kv => Assert.True(kv.Value is null, $"{name}/{direct}: {kv.Key} should be NULL, got {kv.Value}"));

                var all = m.GetProperty($"{direct}.allTypes");
                Assert.Equal(3, all.GetProperty("count").GetInt32());
                Assert.Equal(39, all.GetProperty("columns").GetInt32());
            }

            Assert.Equal(new Dictionary<string, string?> { ["a1"] = "42", ["s"] = "it's", ["n"] = null }, Row(m.GetProperty("named")[0]));
            Assert.Equal(new Dictionary<string, string?> { ["doubled"] = "42", ["flag"] = "true" }, Row(m.GetProperty("ordinal")[0]));
            Assert.Equal(new Dictionary<string, string?> { ["d"] = "2024-02-29", ["ts"] = "2024-02-29 13:45:30", ["dec"] = "12.34", ["big"] = "9007199254740991" },
                Row(m.GetProperty("typed")[0]));
            Assert.Equal("3", Str(m.GetProperty("filtered")[0].GetProperty("c")));

            Assert.Contains("no_such_table", m.GetProperty("error").GetString(), StringComparison.Ordinal);
            Assert.Equal("2", Str(m.GetProperty("afterError")[0].GetProperty("two")));

            Assert.True(m.GetProperty("catalogs").GetProperty("count").GetInt32() >= 1);
            Assert.Contains(m.GetProperty("schemas").GetProperty("rows").EnumerateArray(), s => s.GetProperty("TABLE_SCHEM").GetString() == "demo");
            Assert.Contains(m.GetProperty("tables").GetProperty("rows").EnumerateArray(), t => t.GetProperty("TABLE_NAME").GetString() == "sales");
            Assert.True(m.GetProperty("tableTypes").GetProperty("count").GetInt32() >= 1);
            Assert.Equal(5, m.GetProperty("columns").GetProperty("count").GetInt32());
            Assert.True(m.GetProperty("typeInfo").GetProperty("count").GetInt32() >= 15);
            Assert.True(m.GetProperty("functions").GetProperty("count").GetInt32() >= 1);
            Assert.Equal("customer_id", m.GetProperty("primaryKeys").GetProperty("rows")[0].GetProperty("COLUMN_NAME").GetString());

            // LZ4-compressed Arrow batches are what the native mode asked for; the others never see them.
            var decodes = m.GetProperty("lz4Decodes").GetInt32();
            if (name == "arrow-native") Assert.True(decodes > 0, "no LZ4 frame was decoded in the LZ4 mode");
            else Assert.Equal(0, decodes);

            if (name != "arrow-text")
            {
                var big = m.GetProperty("big");
                Assert.Equal(1_000_000, big.GetProperty("count").GetInt32());
                Assert.Equal("500000500000", big.GetProperty("sum").GetString());
                Assert.True(big.GetProperty("ordered").GetBoolean());
            }
        }
    }
}
