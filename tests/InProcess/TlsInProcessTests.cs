using System.Net;
using Gateway.Engines.HiveServer2;
using Gateway.Protocol.Hive;
using Gateway.Server.Auth;

namespace Gateway.Tests.InProcess;

/// <summary>A gateway with the test certificate on both listeners and a password file (alice).</summary>
public sealed class TlsGatewayFixture : IAsyncLifetime
{
    public GatewayInstance Gateway { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var folder = Directory.CreateTempSubdirectory("gw-tls-test").FullName;
        PasswordFile.Write(Path.Combine(folder, "users.txt"), new Dictionary<string, PasswordHash> { ["alice"] = PasswordHash.Create("wonderland", 1000) });
        var settings = TestCertificate.GatewaySettings();
        settings["Gateway:Auth:Mode"] = "PasswordFile";
        settings["Gateway:DuckDb:DemoData"] = "false";
        Gateway = await GatewayInstance.StartAsync(settings, folder);
    }

    public async Task DisposeAsync() => await Gateway.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class TlsGatewayCollection : ICollectionFixture<TlsGatewayFixture>
{
    public const string Name = "tls-gateway";
}

[Collection(TlsGatewayCollection.Name)]
public class TlsInProcessTests(TlsGatewayFixture fixture)
{
    private GatewayInstance Gateway => fixture.Gateway;

    private Task<HiveConnection> BinaryAsync(ClientTlsOptions? tls, string password = "wonderland") =>
        HiveConnection.OpenAsync(new HiveConnectionOptions { Port = Gateway.Port, User = "alice", Password = password, Tls = tls });

    [Fact]
    public void BothListenersUseTlsWhenACertificateIsConfigured()
    {
        Assert.True(Gateway.Endpoints.BinaryTls);
        Assert.True(Gateway.Endpoints.HttpTls);
        Assert.Equal("https", Gateway.HttpUri.Scheme);
    }

    [Fact]
    public async Task BinaryOverTlsWithSaslPlainRunsQueries()
    {
        await using var c = await BinaryAsync(TestCertificate.ClientTls);
        var (_, rows) = await c.QueryAsync("SELECT range FROM range(30000) ORDER BY 1");
        Assert.Equal(30000, rows.Count);
        Assert.Equal("29999", rows[^1][0]);
        var bad = await Assert.ThrowsAsync<HiveClientException>(() => BinaryAsync(TestCertificate.ClientTls, "wrong"));
        Assert.Contains("SASL authentication failed", bad.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CertificatesAreReallyCheckedAndPlaintextClientsFailAlone()
    {
        await using var other = await BinaryAsync(TestCertificate.ClientTls);

        // The system trust store does not know the test certificate.
        var untrusted = await Assert.ThrowsAsync<HiveClientException>(() => BinaryAsync(new ClientTlsOptions()));
        Assert.Contains("TLS handshake", untrusted.Message, StringComparison.Ordinal);
        // Unless the client opts out of validation (throwaway tests only).
        await using (var skipping = await BinaryAsync(new ClientTlsOptions { SkipCertificateValidation = true }))
        {
            Assert.Equal("4", (await skipping.QueryAsync("SELECT 4")).Rows[0][0]);
        }
        // Trusted, but not issued for this name.
        var wrongName = await Assert.ThrowsAsync<HiveClientException>(() => BinaryAsync(TestCertificate.ClientTls with { TargetHost = "gateway.example" }));
        Assert.Contains("TLS handshake", wrongName.Message, StringComparison.Ordinal);
        // A plaintext SASL client on the TLS port gets nowhere.
        await Assert.ThrowsAnyAsync<Exception>(() => BinaryAsync(null).WaitAsync(TimeSpan.FromSeconds(30)));
        // Over HTTPS the same checks apply.
        var untrustedHttps = await Assert.ThrowsAsync<HiveClientException>(() => HiveConnection.OpenAsync(new HiveConnectionOptions
        {
            Transport = HiveTransportMode.Http,
            Port = Gateway.HttpPort,
            User = "alice",
            Password = "wonderland",
            Tls = new ClientTlsOptions(),
        }));
        Assert.Contains("TLS handshake", untrustedHttps.Message, StringComparison.Ordinal);
        // Plain HTTP on the HTTPS port neither.
        using (var http = new HttpClient())
        {
            var plainUri = new UriBuilder(Gateway.HttpUri) { Scheme = "http" }.Uri;
            await Assert.ThrowsAsync<HttpRequestException>(() => http.PostAsync(plainUri, new ByteArrayContent(RawHttp.OpenSession())));
        }

        Assert.Equal("5", (await other.QueryAsync("SELECT 5")).Rows[0][0]);
    }

    [Fact]
    public async Task HttpsServesAFullQueryAndFetchWithOurClient()
    {
        await using var c = await Gateway.ConnectHttpAsync("alice", "wonderland");
        await using var op = await c.ExecuteAsync("SELECT range AS n, 'row ' || range AS label FROM range(25000) ORDER BY 1");
        var schema = await op.GetSchemaAsync();
        Assert.Equal(["n", "label"], schema.Columns.Select(col => col.Name));
        var (_, rows) = await op.ReadAllAsTextAsync(fetchSize: 7000);
        Assert.Equal(25000, rows.Count);
        Assert.Equal("row 24999", rows[^1][1]);
        Assert.All(rows.Take(100).Select((r, i) => (r, i)), x => Assert.Equal(x.i.ToString(System.Globalization.CultureInfo.InvariantCulture), x.r[0]));

        var tables = await c.MetadataAsync(async (client, session) =>
        {
            var r = await client.GetSchemasAsync(new TGetSchemasReq { SessionHandle = session });
            return (r.Status, r.OperationHandle);
        });
        await using (tables)
        {
            Assert.NotEmpty((await tables.ReadAllAsTextAsync()).Rows);
        }
        var wrong = await Assert.ThrowsAsync<HiveClientException>(() => Gateway.ConnectHttpAsync("alice", "nope"));
        Assert.Equal("28000", wrong.SqlState);
    }

    [Fact]
    public async Task HttpsCookiesAreSecureAndHttp2IsNegotiated()
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseCookies = false, SslOptions = TestCertificate.ClientTls.ToSslOptions("127.0.0.1") });
        using var request = new HttpRequestMessage(HttpMethod.Post, Gateway.HttpUri)
        {
            Content = new ByteArrayContent(RawHttp.OpenSession()),
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Headers.TryAddWithoutValidation("Authorization", RawHttp.Basic("alice", "wonderland"));
        using var r = await http.SendAsync(request);
        Assert.Equal(HttpVersion.Version20, r.Version);
        var open = await RawHttp.ReplyAsync<TOpenSessionResp>(r);
        Assert.Equal(TStatusCode.SUCCESS_STATUS, open.Status.StatusCode);
        Assert.Contains("secure", RawHttp.AuthSetCookie(r), StringComparison.OrdinalIgnoreCase);

        // The connection owns the transport and disposes it.
        var transport = HttpThriftTransport.Create(new HttpThriftTransportOptions
        {
            Endpoint = Gateway.HttpUri,
            Authorization = HttpThriftTransport.Basic("alice", "wonderland"),
            Tls = TestCertificate.ClientTls,
            HttpVersion = HttpVersion.Version20,
        });
        await using var c = await HiveConnection.OpenAsync(transport, new HiveConnectionOptions { User = "alice" });
        Assert.Equal("11", (await c.QueryAsync("SELECT 11")).Rows[0][0]);
    }

    [Fact]
    public async Task ATlsClientOnAPlaintextBinaryPortFailsAlone()
    {
        await using var plain = await GatewayInstance.StartAsync(new Dictionary<string, string?> { ["Gateway:DuckDb:DemoData"] = "false" });
        Assert.False(plain.Endpoints.BinaryTls);
        await using var other = await plain.ConnectAsync();
        var ex = await Assert.ThrowsAsync<HiveClientException>(() => HiveConnection.OpenAsync(new HiveConnectionOptions { Port = plain.Port, Tls = TestCertificate.ClientTls }));
        Assert.Contains("is TLS enabled on the server", ex.Message, StringComparison.Ordinal);
        Assert.Equal("6", (await other.QueryAsync("SELECT 6")).Rows[0][0]);
    }

    [Fact]
    public async Task ListenersCanOptOutOfTls()
    {
        var settings = TestCertificate.GatewaySettings();
        settings["Gateway:Binary:Tls"] = "false";
        settings["Gateway:DuckDb:DemoData"] = "false";
        await using var gw = await GatewayInstance.StartAsync(settings);
        Assert.False(gw.Endpoints.BinaryTls);
        Assert.True(gw.Endpoints.HttpTls);
        await using (var binary = await gw.ConnectAsync())
        {
            Assert.Equal("1", (await binary.QueryAsync("SELECT 1")).Rows[0][0]);
        }
        await using var https = await gw.ConnectHttpAsync();
        Assert.Equal("2", (await https.QueryAsync("SELECT 2")).Rows[0][0]);
    }
}
