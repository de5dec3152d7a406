using System.Buffers.Text;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Gateway.Server.Auth;
using Gateway.Server.Configuration;
using Gateway.Tests.InProcess;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Unit;

/// <summary>
/// The attacks on JWT validation that a library swap could reopen: <c>alg: none</c> in every spelling, algorithm
/// confusion (a public key used as an HMAC secret, a key used outside its family or its JWK <c>alg</c>), duplicate header
/// parameters and claims (parsers disagree on which one wins), HMAC keys shorter than their hash, and the order of the
/// checks; then key rotation through a JWKS URL served over HTTPS by an in-test identity provider.
/// </summary>
public sealed class JwtHardeningUnitTests : IDisposable
{
    private readonly ManualTimeProvider _clock = new();
    private readonly RSA _rsa = RSA.Create(2048);
    private readonly byte[] _secret = RandomNumberGenerator.GetBytes(32);
    private readonly string _folder = Directory.CreateTempSubdirectory("gw-jwt-hard").FullName;

    public void Dispose()
    {
        _rsa.Dispose();
        Directory.Delete(_folder, true);
    }

    private JwtValidator Validator(JwtOptions options)
    {
        var errors = new List<string>();
        var keys = JwtKeyProvider.Load(options, errors);
        Assert.Empty(errors);
        return new JwtValidator(options, keys, _clock);
    }

    private static JwtOptions Options() => new() { Issuer = HttpAuthFixture.Issuer, Audience = HttpAuthFixture.Audience };

    private Dictionary<string, object?> Claims(string sub = "u") => TestJwt.Claims(_clock.GetUtcNow(), sub);

    /// <summary>A token from raw JSON texts (so members can repeat), signed with the HMAC secret.</summary>
    private string Raw(string headerJson, string payloadJson, byte[]? key = null)
    {
        var h = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(headerJson));
        var p = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(payloadJson));
        var sig = CryptographicOperations.HmacData(HashAlgorithmName.SHA256, key ?? _secret, Encoding.ASCII.GetBytes(h + "." + p));
        return h + "." + p + "." + Base64Url.EncodeToString(sig);
    }

    private string PayloadJson(string sub = "u") => JsonSerializer.Serialize(Claims(sub));

    [Theory]
    [InlineData("none")]
    [InlineData("None")]
    [InlineData("NONE")]
    [InlineData("nOnE")]
    public void UnsignedTokensAreRefusedInEverySpelling(string alg)
    {
        var v = Validator(Options() with { HmacSecret = "base64:" + Convert.ToBase64String(_secret) });
        var header = Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"{{\"alg\":\"{alg}\",\"typ\":\"JWT\"}}"));
        var payload = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(PayloadJson("admin")));
        Assert.Equal("unsigned tokens (alg none) are not accepted", v.Validate(header + "." + payload + ".").Error);
        // With a signature part that is the HMAC of the secret, too: "none" never reaches a key.
        Assert.Equal("unsigned tokens (alg none) are not accepted", v.Validate(Raw($"{{\"alg\":\"{alg}\"}}", PayloadJson("admin"))).Error);
        // And a token with an empty signature under a real algorithm is not signed.
        Assert.Equal("token is not signed", v.Validate(Base64Url.EncodeToString("{\"alg\":\"HS256\"}"u8) + "." + payload + ".").Error);
    }

    [Fact]
    public void AKeyVerifiesOnlyItsOwnFamilyAndJwkAlg()
    {
        var rsaJwk = TestJwt.RsaJwk(_rsa, "r"); // alg RS256
        var jwks = Path.Combine(_folder, "jwks.json");
        File.WriteAllText(jwks, JsonSerializer.Serialize(new { keys = new[] { rsaJwk } }));
        var v = Validator(Options() with { JwksPath = jwks });
        var p = _rsa.ExportParameters(false);
        // HS256 "signed" with each public form of the RSA key: the modulus, the JWK's n, the JWK document.
        foreach (var material in new[] { p.Modulus!, Encoding.ASCII.GetBytes((string)rsaJwk["n"]!), Encoding.UTF8.GetBytes(JsonSerializer.Serialize(rsaJwk)) })
        {
            var forged = TestJwt.Create(TestJwt.Header("HS256", "r"), Claims("admin"), TestJwt.Hmac(material, HashAlgorithmName.SHA256));
            Assert.Equal("no configured key with kid 'r' verifies HS256", v.Validate(forged).Error);
        }
        // The right key under another RSA algorithm than its JWK alg.
        var rs512 = TestJwt.Create(TestJwt.Header("RS512", "r"), Claims(), TestJwt.Rsa(_rsa, HashAlgorithmName.SHA512, RSASignaturePadding.Pkcs1));
        Assert.Equal("no configured key with kid 'r' verifies RS512", v.Validate(rs512).Error);
        Assert.True(v.Validate(TestJwt.Create(TestJwt.Header("RS256", "r"), Claims(), TestJwt.Rsa(_rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))).Succeeded);
    }

    [Fact]
    public void HmacKeysShorterThanTheirHashVerifyNothingOfThatSize()
    {
        var v = Validator(Options() with { HmacSecret = "base64:" + Convert.ToBase64String(_secret) }); // 32 bytes
        var hs256 = TestJwt.Create(TestJwt.Header("HS256"), Claims(), TestJwt.Hmac(_secret, HashAlgorithmName.SHA256));
        Assert.True(v.Validate(hs256).Succeeded);
        var hs512 = TestJwt.Create(TestJwt.Header("HS512"), Claims(), TestJwt.Hmac(_secret, HashAlgorithmName.SHA512));
        Assert.Equal("no configured key verifies HS512", v.Validate(hs512).Error);
    }

    [Fact]
    public void RepeatedHeaderParametersAndClaimsAreRefused()
    {
        var v = Validator(Options() with { HmacSecret = "base64:" + Convert.ToBase64String(_secret) });
        var payload = PayloadJson("alice");
        Assert.True(v.Validate(Raw("{\"alg\":\"HS256\"}", payload)).Succeeded);
        Assert.Equal("token header has the parameter 'alg' twice", v.Validate(Raw("{\"alg\":\"none\",\"alg\":\"HS256\"}", payload)).Error);
        Assert.Equal("token header has the parameter 'alg' twice", v.Validate(Raw("{\"alg\":\"HS256\",\"alg\":\"HS256\"}", payload)).Error);
        Assert.Equal("token header has the parameter 'kid' twice", v.Validate(Raw("{\"alg\":\"HS256\",\"kid\":\"a\",\"kid\":\"b\"}", payload)).Error);
        // Two subjects: which one a parser keeps decides who logs in; neither does.
        var twoSubs = payload[..^1] + ",\"sub\":\"admin\"}";
        Assert.Equal("token has the claim 'sub' twice", v.Validate(Raw("{\"alg\":\"HS256\"}", twoSubs)).Error);
        var twoGroups = payload[..^1] + ",\"realm_access\":{\"roles\":[\"a\"],\"roles\":[\"admin\"]}}";
        Assert.Equal("token has the claim 'realm_access.roles' twice", v.Validate(Raw("{\"alg\":\"HS256\"}", twoGroups)).Error);
        var twoIssuers = payload[..^1] + ",\"iss\":\"https://evil.example\"}";
        Assert.False(v.Validate(Raw("{\"alg\":\"HS256\"}", twoIssuers)).Succeeded);
    }

    [Fact]
    public void TheSignatureIsCheckedBeforeAnyClaim()
    {
        var v = Validator(Options() with { HmacSecret = "base64:" + Convert.ToBase64String(_secret) });
        var claims = Claims("admin");
        claims["exp"] = _clock.GetUtcNow().AddHours(-2).ToUnixTimeSeconds();
        claims["iss"] = "https://evil.example";
        claims["aud"] = "someone-else";
        var forged = TestJwt.Create(TestJwt.Header("HS256"), claims, TestJwt.Hmac(RandomNumberGenerator.GetBytes(32), HashAlgorithmName.SHA256));
        Assert.Equal("invalid signature", v.Validate(forged).Error);
        var genuine = TestJwt.Create(TestJwt.Header("HS256"), claims, TestJwt.Hmac(_secret, HashAlgorithmName.SHA256));
        Assert.StartsWith("token expired at ", v.Validate(genuine).Error, StringComparison.Ordinal);
        claims["exp"] = _clock.GetUtcNow().AddHours(1).ToUnixTimeSeconds();
        Assert.Equal($"token audience does not include '{HttpAuthFixture.Audience}'", v.Validate(TestJwt.Create(TestJwt.Header("HS256"), claims, TestJwt.Hmac(_secret, HashAlgorithmName.SHA256))).Error);
        claims["aud"] = HttpAuthFixture.Audience;
        Assert.Equal("issuer 'https://evil.example' is not accepted", v.Validate(TestJwt.Create(TestJwt.Header("HS256"), claims, TestJwt.Hmac(_secret, HashAlgorithmName.SHA256))).Error);
        claims["iss"] = HttpAuthFixture.Issuer;
        claims.Remove("exp");
        Assert.Equal("token has no exp claim", v.Validate(TestJwt.Create(TestJwt.Header("HS256"), claims, TestJwt.Hmac(_secret, HashAlgorithmName.SHA256))).Error);
        claims["exp"] = _clock.GetUtcNow().AddHours(1).ToUnixTimeSeconds();
        claims["nbf"] = _clock.GetUtcNow().AddHours(1).ToUnixTimeSeconds();
        Assert.StartsWith("token not valid before ", v.Validate(TestJwt.Create(TestJwt.Header("HS256"), claims, TestJwt.Hmac(_secret, HashAlgorithmName.SHA256))).Error, StringComparison.Ordinal);
        // The gateway's clock, not the machine's, decides: an hour later the token is good.
        _clock.Advance(TimeSpan.FromHours(1));
        Assert.True(v.Validate(TestJwt.Create(TestJwt.Header("HS256"), claims, TestJwt.Hmac(_secret, HashAlgorithmName.SHA256))).Succeeded);
    }

    [Fact]
    public void AJwksUrlMustBeHttps()
    {
        var errors = new List<string>();
        JwtKeyProvider.Load(Options() with { JwksUrl = "http://idp.example/jwks" }, errors);
        Assert.Contains(errors, e => e.Contains("not an https URL", StringComparison.Ordinal));
        var configErrors = GatewayOptionsValidation.Validate(new GatewayOptions
        {
            Auth = new AuthOptions { Mode = AuthMode.PasswordFile, Jwt = Options() with { JwksUrl = "https://idp.example/jwks", JwksRefreshInterval = TimeSpan.FromSeconds(5) } },
        });
        Assert.Contains(configErrors, e => e.Contains("JwksRefreshInterval must be at least 5 minutes", StringComparison.Ordinal));
    }

    /// <summary>
    /// An identity provider rotating its keys behind a JWKS URL: the gateway fetches the set when first needed, fetches it
    /// again when a token names a kid it does not know (no more than once per JwksMinRefreshInterval), keeps the last good
    /// set when the provider answers junk or nothing, and stops accepting a key once the provider has dropped it.
    /// </summary>
    [Fact]
    public async Task KeysRotateThroughAJwksUrl()
    {
        using var next = RSA.Create(2048);
        var idp = new TestIdentityProvider();
        await using var _ = await idp.StartAsync();
        idp.Document = JsonSerializer.Serialize(new { keys = new[] { TestJwt.RsaJwk(_rsa, "k1") } });
        var options = Options() with
        {
            JwksUrl = idp.Url,
            JwksCaCertificatePath = TestCertificate.CertificatePath,
            JwksMinRefreshInterval = TimeSpan.FromSeconds(1),
        };
        var v = Validator(options);
        var k1 = TestJwt.Create(TestJwt.Header("RS256", "k1"), Claims("one"), TestJwt.Rsa(_rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
        var k2 = TestJwt.Create(TestJwt.Header("RS256", "k2"), Claims("two"), TestJwt.Rsa(next, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
        Assert.Equal("one", (await v.ValidateAsync(k1)).User);
        Assert.Equal(1, idp.Fetches);
        Assert.Equal("no configured key with kid 'k2' verifies RS256", (await v.ValidateAsync(k2)).Error);

        // The provider adds k2: a token naming it makes the gateway ask again (after the minimum interval).
        idp.Document = JsonSerializer.Serialize(new { keys = new[] { TestJwt.RsaJwk(_rsa, "k1"), TestJwt.RsaJwk(next, "k2") } });
        await Task.Delay(TimeSpan.FromSeconds(1.2));
        Assert.Equal("two", (await v.ValidateAsync(k2)).User);
        Assert.True((await v.ValidateAsync(k1)).Succeeded);

        // Junk, then an outage: the last good keys stay.
        idp.Document = "{ not json";
        await Task.Delay(TimeSpan.FromSeconds(1.2));
        var unknown = TestJwt.Create(TestJwt.Header("RS256", "k3"), Claims(), TestJwt.Rsa(next, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
        Assert.False((await v.ValidateAsync(unknown)).Succeeded);
        Assert.True((await v.ValidateAsync(k2)).Succeeded);
        idp.Status = HttpStatusCode.ServiceUnavailable;
        await Task.Delay(TimeSpan.FromSeconds(1.2));
        Assert.False((await v.ValidateAsync(unknown)).Succeeded);
        Assert.True((await v.ValidateAsync(k1)).Succeeded);

        // The provider drops k1: once the gateway has fetched the new set, k1's tokens no longer verify.
        idp.Status = HttpStatusCode.OK;
        idp.Document = JsonSerializer.Serialize(new { keys = new[] { TestJwt.RsaJwk(next, "k2") } });
        await Task.Delay(TimeSpan.FromSeconds(1.2));
        Assert.False((await v.ValidateAsync(unknown)).Succeeded); // asks again
        Assert.Equal("no configured key with kid 'k1' verifies RS256", (await v.ValidateAsync(k1)).Error);
        Assert.True((await v.ValidateAsync(k2)).Succeeded);
        // Tokens with unknown kids cannot make the gateway hammer the provider.
        var before = idp.Fetches;
        for (var i = 0; i < 50; i++) await v.ValidateAsync(unknown);
        Assert.True(idp.Fetches - before <= 1, $"{idp.Fetches - before} fetches");
    }

    [Fact]
    public async Task AnUntrustedJwksServerGivesNoKeys()
    {
        var idp = new TestIdentityProvider();
        await using var _ = await idp.StartAsync();
        idp.Document = JsonSerializer.Serialize(new { keys = new[] { TestJwt.RsaJwk(_rsa, "k1") } });
        // No CA given: the system's trust, which does not include the test certificate.
        var v = Validator(Options() with { JwksUrl = idp.Url });
        var k1 = TestJwt.Create(TestJwt.Header("RS256", "k1"), Claims(), TestJwt.Rsa(_rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
        Assert.Equal("no configured key with kid 'k1' verifies RS256", (await v.ValidateAsync(k1)).Error);
        Assert.Equal(0, idp.Fetches);
    }

    /// <summary>An HTTPS endpoint serving whatever JWKS document (and status) the test sets, counting the fetches.</summary>
    private sealed class TestIdentityProvider
    {
        private int _fetches;

        public string Document { get; set; } = "{\"keys\":[]}";
        public HttpStatusCode Status { get; set; } = HttpStatusCode.OK;
        public int Fetches => Volatile.Read(ref _fetches);
        public string Url { get; private set; } = "";

        public async Task<WebApplication> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.UseHttps(TestCertificate.CertificatePath.Length > 0
                ? System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPemFile(TestCertificate.CertificatePath, TestCertificate.KeyPath)
                : throw new InvalidOperationException("no test certificate"))));
            var app = builder.Build();
            app.MapGet("/jwks", async context =>
            {
                Interlocked.Increment(ref _fetches);
                context.Response.StatusCode = (int)Status;
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync(Document);
            });
            await app.StartAsync();
            var address = app.Urls.Single();
            Url = new Uri(new Uri(address.Replace("127.0.0.1", "localhost", StringComparison.Ordinal)), "/jwks").ToString();
            return app;
        }
    }
}
