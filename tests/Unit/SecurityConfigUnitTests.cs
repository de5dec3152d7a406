using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Gateway.Server.Configuration;
using Gateway.Server.Hosting;
using Gateway.Tests.InProcess;
using Microsoft.Extensions.Configuration;

namespace Gateway.Tests.Unit;

/// <summary>The HTTP, TLS and token settings: every mistake is reported at start, by key, all at once.</summary>
public class SecurityConfigUnitTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("gw-seccfg").FullName;

    public void Dispose()
    {
        Directory.Delete(_folder, true);
        GC.SuppressFinalize(this);
    }

    private static IReadOnlyList<string> Errors(GatewayOptions o) => GatewayOptionsValidation.Validate(o);

    private static GatewayOptions Load(Dictionary<string, string?> settings) =>
        GatewayHost.LoadOptions(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());

    private static GatewayConfigurationException SecurityFails(GatewayOptions o) =>
        Assert.Throws<GatewayConfigurationException>(() => GatewayHost.LoadSecurity(o, TimeProvider.System));

    private string File(string name, string text)
    {
        var path = Path.Combine(_folder, name);
        System.IO.File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void HttpListenerDefaultsAndBinding()
    {
        var o = Load(new Dictionary<string, string?>
        {
            ["Gateway:Http:Port"] = "10011",
            ["Gateway:Auth:Tokens:0:User"] = "svc",
            ["Gateway:Auth:Tokens:0:Token"] = "0123456789abcdef0123",
            ["Gateway:Auth:Jwt:HmacSecret"] = "0123456789abcdef0123456789abcdef",
            ["Gateway:Auth:Jwt:Issuer"] = "i",
            ["Gateway:Auth:Jwt:Audience"] = "a",
            ["Gateway:Auth:Jwt:Algorithms:0"] = "HS256",
            ["Gateway:Auth:Cookie:Lifetime"] = "00:20:00",
        });
        Assert.True(o.Http.Enabled);
        Assert.Equal("127.0.0.1", o.Http.Host);
        Assert.Equal(10011, o.Http.Port);
        Assert.Equal("/cliservice", o.Http.Path);
        Assert.Equal("svc", Assert.Single(o.Auth.Tokens).User);
        Assert.Equal(["HS256"], o.Auth.Jwt.Algorithms);
        Assert.Equal(TimeSpan.FromMinutes(20), o.Auth.Cookie.Lifetime);
        Assert.False(o.Tls.IsConfigured);
        Assert.False(o.Tls.Enabled(o.Http.Tls));
        Assert.Equal(10001, new GatewayOptions().Http.Port);
    }

    [Fact]
    public void ListenerMistakesAreNamed()
    {
        var errors = Errors(new GatewayOptions
        {
            Http = new HttpListenerOptions { Host = "0.0.0.0", Port = 10000, Path = "cliservice", Tls = true },
        });
        Assert.Contains(errors, e => e.Contains("Gateway:Http:Host '0.0.0.0' is not loopback", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("Gateway:Http:Path must start with '/'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("Gateway:Binary:Port and Gateway:Http:Port are both 10000", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("Gateway:Http:Tls is true but no certificate", StringComparison.Ordinal));
        Assert.Empty(Errors(new GatewayOptions { Http = new HttpListenerOptions { Enabled = false, Host = "0.0.0.0" } }));
    }

    [Fact]
    public void TokenJwtAndCookieMistakesAreNamed()
    {
        var errors = Errors(new GatewayOptions
        {
            Auth = new AuthOptions
            {
                Mode = AuthMode.PasswordFile,
                Tokens =
                [
                    new StaticTokenOptions { User = "a", Token = "short" },
                    new StaticTokenOptions { User = "b", Token = "0123456789abcdef0123", TokenSha256 = new string('0', 64) },
                    new StaticTokenOptions { User = "c", TokenSha256 = "xyz" },
                    new StaticTokenOptions { Token = "0123456789abcdef9999" },
                    new StaticTokenOptions { User = "e", Token = "0123456789abcdef9999" },
                ],
                Jwt = new JwtOptions { HmacSecret = "too-short", Algorithms = ["none", "XS256"], ClockSkew = TimeSpan.FromHours(1) },
                Cookie = new AuthCookieOptions { Key = "bm90LWVub3VnaA==", Lifetime = TimeSpan.Zero },
            },
        });
        foreach (var expected in new[]
        {
            "Gateway:Auth:Tokens:0:Token must be at least 16 characters",
            "Gateway:Auth:Tokens:1 needs exactly one of Token or TokenSha256",
            "Gateway:Auth:Tokens:2:TokenSha256 must be 64 hex digits",
            "Gateway:Auth:Tokens:3:User must name the user",
            "Gateway:Auth:Tokens:4 repeats a token",
            "Gateway:Auth:Jwt:Issuer must be set",
            "Gateway:Auth:Jwt:Audience must be set",
            "Gateway:Auth:Jwt:HmacSecret must be at least 32 bytes",
            "must not contain 'none'",
            "'XS256' is not supported",
            "Gateway:Auth:Jwt:ClockSkew",
            "Gateway:Auth:Cookie:Lifetime",
            "Gateway:Auth:Cookie:Key must be base64 of at least 32 bytes",
        })
        {
            Assert.Contains(errors, e => e.Contains(expected, StringComparison.Ordinal));
        }
        Assert.Contains(Errors(new GatewayOptions { Auth = new AuthOptions { Jwt = new JwtOptions { Issuer = "x" } } }), e => e.Contains("configured without a key", StringComparison.Ordinal));
    }

    [Fact]
    public void CertificateProblemsStopTheStartWithClearMessages()
    {
        var missing = SecurityFails(new GatewayOptions { Tls = new TlsOptions { CertificatePath = Path.Combine(_folder, "nope.pem") } });
        Assert.Contains("Gateway:Tls:CertificatePath: file", missing.Message, StringComparison.Ordinal);
        Assert.Contains("not found", missing.Message, StringComparison.Ordinal);

        var garbage = SecurityFails(new GatewayOptions { Tls = new TlsOptions { CertificatePath = File("garbage.pem", "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n") } });
        Assert.Contains("Gateway:Tls: cannot load the certificate", garbage.Message, StringComparison.Ordinal);

        var noKey = SecurityFails(new GatewayOptions { Tls = new TlsOptions { CertificatePath = TestCertificate.CertificatePath } });
        Assert.Contains("Gateway:Tls", noKey.Message, StringComparison.Ordinal);

        var missingKey = SecurityFails(new GatewayOptions { Tls = new TlsOptions { CertificatePath = TestCertificate.CertificatePath, KeyPath = Path.Combine(_folder, "nokey.pem") } });
        Assert.Contains("Gateway:Tls:KeyPath: file", missingKey.Message, StringComparison.Ordinal);

        var binaryBlob = Path.Combine(_folder, "random.pfx");
        System.IO.File.WriteAllBytes(binaryBlob, RandomNumberGenerator.GetBytes(300));
        Assert.Contains("cannot load the certificate", SecurityFails(new GatewayOptions { Tls = new TlsOptions { CertificatePath = binaryBlob } }).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PfxCertificatesLoadWithTheirPasswordAndExpiredOnesAreRefused()
    {
        using var pem = X509Certificate2.CreateFromPemFile(TestCertificate.CertificatePath, TestCertificate.KeyPath);
        var pfx = Path.Combine(_folder, "server.pfx");
        System.IO.File.WriteAllBytes(pfx, pem.Export(X509ContentType.Pkcs12, "s3cret"));
        var loaded = GatewayHost.LoadSecurity(new GatewayOptions { Tls = new TlsOptions { CertificatePath = pfx, Password = "s3cret" } }, TimeProvider.System);
        Assert.True(loaded.Tls!.Certificate.HasPrivateKey);
        Assert.Equal(pem.Thumbprint, loaded.Tls.Certificate.Thumbprint);
        Assert.Contains("cannot load the certificate", SecurityFails(new GatewayOptions { Tls = new TlsOptions { CertificatePath = pfx, Password = "wrong" } }).Message, StringComparison.Ordinal);

        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=old", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var old = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-10), DateTimeOffset.UtcNow.AddDays(-1));
        var oldPath = File("old.pem", old.ExportCertificatePem() + "\n" + key.ExportPkcs8PrivateKeyPem());
        Assert.Contains("expired on", SecurityFails(new GatewayOptions { Tls = new TlsOptions { CertificatePath = oldPath } }).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void JwtKeyFileProblemsAreReportedTogether()
    {
        using var rsa = RSA.Create(2048);
        var o = new GatewayOptions
        {
            Tls = new TlsOptions { CertificatePath = Path.Combine(_folder, "missing-cert.pem") },
            Auth = new AuthOptions
            {
                Mode = AuthMode.PasswordFile,
                Jwt = new JwtOptions { Issuer = "i", Audience = "a", PublicKeyPath = File("private.pem", rsa.ExportPkcs8PrivateKeyPem()), JwksPath = File("jwks.json", "{ \"keys\": 5 }") },
            },
        };
        var ex = SecurityFails(o);
        Assert.Equal(3, ex.Errors.Count);
        Assert.Contains(ex.Errors, e => e.Contains("holds a private key", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.Contains("Gateway:Auth:Jwt:JwksPath", StringComparison.Ordinal) && e.Contains("not a JSON Web Key Set", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.Contains("Gateway:Tls:CertificatePath", StringComparison.Ordinal));

        using var small = RSA.Create(1024);
        var weak = new GatewayOptions { Auth = new AuthOptions { Jwt = new JwtOptions { Issuer = "i", Audience = "a", PublicKeyPath = File("small.pem", small.ExportSubjectPublicKeyInfoPem()) } } };
        Assert.Contains("at least 2048 bits", SecurityFails(weak).Message, StringComparison.Ordinal);

        var noKeys = new GatewayOptions { Auth = new AuthOptions { Jwt = new JwtOptions { Issuer = "i", Audience = "a", JwksPath = File("empty.json", JsonSerializer.Serialize(new { keys = Array.Empty<object>() })) } } };
        Assert.Contains("has no RSA, EC or oct signing key", SecurityFails(noKeys).Message, StringComparison.Ordinal);

        var certificateAsKey = new GatewayOptions { Auth = new AuthOptions { Jwt = new JwtOptions { Issuer = "i", Audience = "a", PublicKeyPath = TestCertificate.CertificatePath } } };
        Assert.NotNull(GatewayHost.LoadSecurity(certificateAsKey, TimeProvider.System).JwtKeys);
    }

    [Fact]
    public async Task TheHostRefusesToStartOnABadCertificate()
    {
        var ex = await Assert.ThrowsAsync<GatewayConfigurationException>(() => GatewayInstance.StartAsync(new Dictionary<string, string?>
        {
            ["Gateway:Tls:CertificatePath"] = Path.Combine(_folder, "absent.pem"),
            ["Gateway:DuckDb:DemoData"] = "false",
        }, Path.Combine(_folder, "data")));
        Assert.Contains("Gateway:Tls:CertificatePath", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", ex.Message, StringComparison.Ordinal);
    }
}
