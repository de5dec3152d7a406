using System.Globalization;
using System.Text.Json;
using Gateway.Server.Auth;
using Gateway.Tests.InProcess;

namespace Gateway.Tests.RealClients;

/// <summary>Two gateways with demo data and a password file: one on plain HTTP, one on HTTPS with the test certificate.</summary>
public sealed class HttpGatewaysFixture : IAsyncLifetime
{
    public GatewayInstance Http { get; private set; } = null!;
    public GatewayInstance Https { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var plain = StartAsync(tls: false);
        var tls = StartAsync(tls: true);
        Http = await plain;
        Https = await tls;
    }

    private static async Task<GatewayInstance> StartAsync(bool tls)
    {
        var folder = Directory.CreateTempSubdirectory("gw-node-http").FullName;
        PasswordFile.Write(Path.Combine(folder, "users.txt"), new Dictionary<string, PasswordHash> { ["node-user"] = PasswordHash.Create("pw", 1000) });
        var settings = tls ? TestCertificate.GatewaySettings() : [];
        settings["Gateway:Auth:Mode"] = "PasswordFile";
        return await GatewayInstance.StartAsync(settings, folder);
    }

    public async Task DisposeAsync()
    {
        await Http.DisposeAsync();
        await Https.DisposeAsync();
    }
}

/// <summary>
/// The npm <c>hive-driver</c> in HTTP mode (HttpConnection, PlainHttpAuthentication: Basic auth and the
/// session cookie) over plain HTTP and over HTTPS, where it trusts the test certificate through its
/// <c>ca</c> option with verification on.
/// </summary>
public class NodeHttpRealClientTests(HttpGatewaysFixture fixture) : IClassFixture<HttpGatewaysFixture>
{
    private static string? Str(JsonElement e) => NodeClientsRealClientTests.Str(e);

    [Theory]
    [InlineData("http")]
    [InlineData("https")]
    public async Task HiveDriverOverHttpQueriesFetchesBrowsesAndSeesErrors(string mode)
    {
        var gateway = mode == "https" ? fixture.Https : fixture.Http;
        Assert.Equal(mode, gateway.HttpUri.Scheme);
        var r = await NodeClientsRealClientTests.RunNodeAsync("hive-driver-check.js", "127.0.0.1", gateway.HttpPort.ToString(CultureInfo.InvariantCulture), mode,
            "node-user", "pw", gateway.Endpoints.HttpPath, TestCertificate.CertificatePath);

        Assert.Equal("Spark SQL", r.GetProperty("info").GetProperty("dbmsName").GetString());
        Assert.Equal("demo", r.GetProperty("currentDatabase")[0].GetProperty("db").GetString());
        var simple = r.GetProperty("simple")[0];
        Assert.Equal("1", Str(simple.GetProperty("one")));
        Assert.Equal("two", Str(simple.GetProperty("two")));
        Assert.Null(Str(simple.GetProperty("three")));
        Assert.Equal("12.34", Str(simple.GetProperty("five")));
        Assert.Equal("2024-01-31 12:00:00.123", Str(simple.GetProperty("seven")));
        Assert.True(r.GetProperty("allTypes").GetProperty("rows").GetArrayLength() >= 2);

        // 100,000 rows in fetches of 20,000: several round trips, each its own POST.
        Assert.Equal(100_000, r.GetProperty("big").GetProperty("count").GetInt32());
        Assert.True(r.GetProperty("big").GetProperty("ordered").GetBoolean());

        Assert.Equal("demo", r.GetProperty("schemas").GetProperty("rows")[0].GetProperty("TABLE_SCHEM").GetString());
        Assert.Contains(r.GetProperty("tables").GetProperty("rows").EnumerateArray(), t => t.GetProperty("TABLE_NAME").GetString() == "sales");
        Assert.Contains(r.GetProperty("columns").GetProperty("rows").EnumerateArray(), c => c.GetProperty("COLUMN_NAME").GetString() == "amount");
        Assert.Equal("customer_id", r.GetProperty("primaryKeys").GetProperty("rows")[0].GetProperty("COLUMN_NAME").GetString());
        Assert.True(r.GetProperty("typeInfo").GetProperty("count").GetInt32() >= 15);

        var error = r.GetProperty("error");
        Assert.Contains("no_such_table", error.GetProperty("serverMessage").GetString(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal("42S02", error.GetProperty("sqlState").GetString());
        Assert.Equal("CANCELED_STATE", r.GetProperty("cancel").GetProperty("state").GetString());
        Assert.Equal("7", Str(r.GetProperty("afterCancel")[0].GetProperty("seven")));

        // A wrong password is an HTTP 401 with a Basic challenge.
        var bad = r.GetProperty("badPassword");
        Assert.False(bad.GetProperty("ok").GetBoolean());
        Assert.Equal(401, bad.GetProperty("statusCode").GetInt32());
        Assert.Contains("Basic realm=", bad.GetProperty("wwwAuthenticate").GetRawText(), StringComparison.Ordinal);

        if (mode == "https")
        {
            // Without the CA the driver refuses the certificate: verification really is on.
            var untrusted = r.GetProperty("untrusted");
            Assert.False(untrusted.GetProperty("ok").GetBoolean());
            Assert.Contains("SELF_SIGNED", untrusted.GetProperty("code").GetString(), StringComparison.Ordinal);
        }
    }
}
