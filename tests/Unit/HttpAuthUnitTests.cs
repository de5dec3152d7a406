using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Gateway.Server.Auth;
using Gateway.Server.Configuration;
using Gateway.Tests.InProcess;

namespace Gateway.Tests.Unit;

public class AuthCookieUnitTests
{
    private static readonly byte[] Key = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();

    [Fact]
    public void ValidCookiesNameTheirUserUntilTheyExpire()
    {
        var clock = new ManualTimeProvider();
        var cookie = new AuthCookie(Key, TimeSpan.FromHours(1), clock);
        var (value, expires, maxAge) = cookie.Issue("alice:with|odd\nchars");
        Assert.Equal(TimeSpan.FromHours(1), maxAge);
        Assert.Equal(clock.GetUtcNow().ToUnixTimeSeconds() + 3600, expires.ToUnixTimeSeconds());
        Assert.Equal("alice:with|odd\nchars", cookie.Validate(value)?.User);
        Assert.Empty(cookie.Validate(value)!.Groups);
        clock.Advance(TimeSpan.FromMinutes(59));
        Assert.NotNull(cookie.Validate(value));
        clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Null(cookie.Validate(value));
    }

    [Fact]
    public void ACookieNeverOutlivesItsCredential()
    {
        var clock = new ManualTimeProvider();
        var cookie = new AuthCookie(Key, TimeSpan.FromHours(1), clock);
        var (value, _, maxAge) = cookie.Issue("jwt-user", clock.GetUtcNow().AddMinutes(5));
        Assert.Equal(TimeSpan.FromMinutes(5), maxAge);
        clock.Advance(TimeSpan.FromMinutes(6));
        Assert.Null(cookie.Validate(value));
    }

    [Fact]
    public void TamperedForeignAndMalformedCookiesAreRejected()
    {
        var clock = new ManualTimeProvider();
        var cookie = new AuthCookie(Key, TimeSpan.FromHours(1), clock);
        var (value, _, _) = cookie.Issue("alice");
        var dot = value.IndexOf('.', StringComparison.Ordinal);
        var otherPayload = Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"1\n{clock.GetUtcNow().AddDays(1).ToUnixTimeSeconds()}\nadmin"));
        Assert.Null(cookie.Validate(otherPayload + value[dot..]));
        Assert.Null(cookie.Validate(value[..^1] + (value[^1] == 'A' ? 'B' : 'A')));
        Assert.Null(new AuthCookie(RandomNumberGenerator.GetBytes(32), TimeSpan.FromHours(1), clock).Validate(value));
        foreach (var junk in new[] { "", ".", "abc", "a.b", new string('x', 5000), value.Replace('.', '!') }) Assert.Null(cookie.Validate(junk));
        // A validly signed payload of an unknown version is not trusted either.
        var v3 = Encoding.UTF8.GetBytes($"3\n{clock.GetUtcNow().AddDays(1).ToUnixTimeSeconds()}\nalice");
        Assert.Null(cookie.Validate(Base64Url.EncodeToString(v3) + "." + Base64Url.EncodeToString(HMACSHA256.HashData(Key, v3))));
    }

    [Fact]
    public void CookieHeadersAreParsedLeniently()
    {
        var values = AuthCookie.FindValues(["a=1; hive.server2.auth=first; Path=/cliservice; HttpOnly", null, " hive.server2.auth = \"second\" ;other=2", "hive.server2.authx=no"]).ToList();
        Assert.Equal(["first", "second"], values);
    }
}

public class StaticTokenUnitTests
{
    [Fact]
    public void TokensMatchByDigestOnly()
    {
        var tokens = new StaticTokenAuthenticator(
        [
            new StaticTokenOptions { User = "a", Token = "aaaaaaaaaaaaaaaaaaaa" },
            new StaticTokenOptions { User = "b", TokenSha256 = Convert.ToHexString(SHA256.HashData("bbbbbbbbbbbbbbbbbbbb"u8)) },
        ]);
        Assert.Equal("a", tokens.Find("aaaaaaaaaaaaaaaaaaaa")?.User);
        Assert.Equal("b", tokens.Find("bbbbbbbbbbbbbbbbbbbb")?.User);
        Assert.Null(tokens.Find("aaaaaaaaaaaaaaaaaaa"));
        Assert.Null(tokens.Find(""));
    }
}

public class JwtUnitTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("gw-jwt").FullName;
    private readonly ManualTimeProvider _clock = new();
    private readonly RSA _rsa = RSA.Create(2048);
    private readonly ECDsa _p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
    private readonly ECDsa _p521 = ECDsa.Create(ECCurve.NamedCurves.nistP521);
    // 64 bytes: RFC 7518 wants an HMAC key at least as long as the hash, and HS512 is among the algorithms tested.
    private readonly byte[] _secret = RandomNumberGenerator.GetBytes(64);

    public void Dispose()
    {
        _rsa.Dispose();
        _p384.Dispose();
        _p521.Dispose();
        Directory.Delete(_folder, true);
        GC.SuppressFinalize(this);
    }

    private static JwtOptions Options(string? jwks = null, string? pem = null, string? secret = null) => new()
    {
        Issuer = HttpAuthFixture.Issuer,
        Audience = HttpAuthFixture.Audience,
        JwksPath = jwks,
        PublicKeyPath = pem,
        HmacSecret = secret,
    };

    private JwtValidator Validator(JwtOptions options)
    {
        var errors = new List<string>();
        var keys = JwtKeyProvider.Load(options, errors);
        Assert.Empty(errors);
        return new JwtValidator(options, keys, _clock);
    }

    private string WriteJwks(params object[] keys)
    {
        var path = Path.Combine(_folder, $"jwks-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, JsonSerializer.Serialize(new { keys }));
        return path;
    }

    private static Dictionary<string, object?> EcJwk(ECDsa key, string kid, string crv)
    {
        var p = key.ExportParameters(false);
        return new() { ["kty"] = "EC", ["kid"] = kid, ["crv"] = crv, ["x"] = Base64Url.EncodeToString(p.Q.X), ["y"] = Base64Url.EncodeToString(p.Q.Y) };
    }

    private Dictionary<string, object?> Claims(string sub = "u") => TestJwt.Claims(_clock.GetUtcNow(), sub);

    [Fact]
    public void EveryAlgorithmFamilyVerifies()
    {
        var rsaJwk = TestJwt.RsaJwk(_rsa, "r");
        rsaJwk.Remove("alg");
        var v = Validator(Options(jwks: WriteJwks(rsaJwk, EcJwk(_p384, "e384", "P-384"), EcJwk(_p521, "e521", "P-521")), secret: "base64:" + Convert.ToBase64String(_secret)));
        var tokens = new Dictionary<string, string>
        {
            ["RS384"] = TestJwt.Create(TestJwt.Header("RS384", "r"), Claims("rs384"), TestJwt.Rsa(_rsa, HashAlgorithmName.SHA384, RSASignaturePadding.Pkcs1)),
            ["RS512"] = TestJwt.Create(TestJwt.Header("RS512", "r"), Claims("rs512"), TestJwt.Rsa(_rsa, HashAlgorithmName.SHA512, RSASignaturePadding.Pkcs1)),
            ["PS256"] = TestJwt.Create(TestJwt.Header("PS256", "r"), Claims("ps256"), TestJwt.Rsa(_rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pss)),
            ["ES384"] = TestJwt.Create(TestJwt.Header("ES384", "e384"), Claims("es384"), TestJwt.Ec(_p384, HashAlgorithmName.SHA384)),
            ["ES512"] = TestJwt.Create(TestJwt.Header("ES512", "e521"), Claims("es512"), TestJwt.Ec(_p521, HashAlgorithmName.SHA512)),
            ["HS384"] = TestJwt.Create(TestJwt.Header("HS384"), Claims("hs384"), TestJwt.Hmac(_secret, HashAlgorithmName.SHA384)),
            ["HS512"] = TestJwt.Create(TestJwt.Header("HS512"), Claims("hs512"), TestJwt.Hmac(_secret, HashAlgorithmName.SHA512)),
        };
        foreach (var (alg, token) in tokens)
        {
            var r = v.Validate(token);
            Assert.True(r.Succeeded, $"{alg}: {r.Error}");
            Assert.Equal(alg.ToLowerInvariant(), r.User);
        }
        // PKCS#1 v1.5 signature presented as PS256 does not verify.
        var mislabeled = TestJwt.Create(TestJwt.Header("PS256", "r"), Claims(), TestJwt.Rsa(_rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
        Assert.Equal("invalid signature", v.Validate(mislabeled).Error);
    }

    [Fact]
    public void APublicKeyCannotBeUsedAsAnHmacSecret()
    {
        var pem = Path.Combine(_folder, "rsa.pem");
        File.WriteAllText(pem, _rsa.ExportSubjectPublicKeyInfoPem());
        var v = Validator(Options(pem: pem));
        // The classic confusion attack: HS256 "signed" with the public key's bytes.
        var forged = TestJwt.Create(TestJwt.Header("HS256"), Claims("admin"), TestJwt.Hmac(Encoding.ASCII.GetBytes(File.ReadAllText(pem)), HashAlgorithmName.SHA256));
        Assert.Equal("no configured key verifies HS256", v.Validate(forged).Error);
        // And an EC algorithm against an RSA key finds no key either.
        var ec = TestJwt.Create(TestJwt.Header("ES384"), Claims(), TestJwt.Ec(_p384, HashAlgorithmName.SHA384));
        Assert.Equal("no configured key verifies ES384", v.Validate(ec).Error);
        Assert.True(v.Validate(TestJwt.Create(TestJwt.Header("RS256", "any-kid"), Claims(), TestJwt.Rsa(_rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))).Succeeded);
    }

    [Fact]
    public void HeaderAndClaimRulesAreEnforced()
    {
        var secret = "a-shared-secret-of-at-least-32-bytes!!";
        var options = Options(secret: secret) with { Algorithms = ["HS256"], UserClaim = "email", ClockSkew = TimeSpan.Zero };
        var v = Validator(options);
        var sign = TestJwt.Hmac(Encoding.UTF8.GetBytes(secret), HashAlgorithmName.SHA256);
        var claims = Claims();
        claims["email"] = "user@example.com";
        claims["aud"] = new[] { "x", HttpAuthFixture.Audience };
        Assert.Equal("user@example.com", v.Validate(TestJwt.Create(TestJwt.Header("HS256"), claims, sign)).User);

        var hs512 = TestJwt.Create(TestJwt.Header("HS512"), claims, TestJwt.Hmac(Encoding.UTF8.GetBytes(secret), HashAlgorithmName.SHA512));
        Assert.Equal("algorithm 'HS512' is not allowed", v.Validate(hs512).Error);

        var crit = TestJwt.Header("HS256");
        crit["crit"] = new[] { "exp" };
        Assert.Contains("critical header", v.Validate(TestJwt.Create(crit, claims, sign)).Error, StringComparison.Ordinal);

        var noUser = Claims();
        Assert.Equal("token has no 'email' claim naming the user", v.Validate(TestJwt.Create(TestJwt.Header("HS256"), noUser, sign)).Error);

        claims["exp"] = _clock.GetUtcNow().AddSeconds(-1).ToUnixTimeSeconds();
        Assert.StartsWith("token expired at ", v.Validate(TestJwt.Create(TestJwt.Header("HS256"), claims, sign)).Error, StringComparison.Ordinal);
        claims["exp"] = "tomorrow";
        Assert.Equal("malformed exp claim", v.Validate(TestJwt.Create(TestJwt.Header("HS256"), claims, sign)).Error);

        Assert.Equal("not a JWT (expected header.payload.signature)", v.Validate("a.b").Error);
        Assert.Contains("longer than", v.Validate(new string('a', 20_000) + ".b.c").Error, StringComparison.Ordinal);
    }

    [Fact]
    public void JwtKeyRulesFollowTheJwkAlgAndUse()
    {
        var restricted = TestJwt.RsaJwk(_rsa, "r");
        var encryption = EcJwk(_p384, "enc", "P-384");
        encryption["use"] = "enc";
        var v = Validator(Options(jwks: WriteJwks(restricted, encryption, new Dictionary<string, object?> { ["kty"] = "OKP", ["crv"] = "Ed25519", ["x"] = "AA" })));
        var ps = TestJwt.Create(TestJwt.Header("PS256", "r"), Claims(), TestJwt.Rsa(_rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pss));
        Assert.Equal("no configured key with kid 'r' verifies PS256", v.Validate(ps).Error);
        var enc = TestJwt.Create(TestJwt.Header("ES384", "enc"), Claims(), TestJwt.Ec(_p384, HashAlgorithmName.SHA384));
        Assert.Equal("no configured key with kid 'enc' verifies ES384", v.Validate(enc).Error);
    }

    [Fact]
    public void TheJwksFileIsReloadedWhenItChangesAndABadRewriteKeepsTheOldKeys()
    {
        using var next = RSA.Create(2048);
        var path = WriteJwks(TestJwt.RsaJwk(_rsa, "old"));
        var v = Validator(Options(jwks: path));
        var oldToken = TestJwt.Create(TestJwt.Header("RS256", "old"), Claims(), TestJwt.Rsa(_rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
        var newToken = TestJwt.Create(TestJwt.Header("RS256", "new"), Claims(), TestJwt.Rsa(next, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
        Assert.True(v.Validate(oldToken).Succeeded);
        Assert.False(v.Validate(newToken).Succeeded);

        File.WriteAllText(path, JsonSerializer.Serialize(new { keys = new[] { TestJwt.RsaJwk(next, "new") } }));
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddSeconds(5));
        Assert.True(v.Validate(newToken).Succeeded);
        Assert.False(v.Validate(oldToken).Succeeded);

        File.WriteAllText(path, "{ not json");
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddSeconds(10));
        Assert.True(v.Validate(newToken).Succeeded);
    }
}

public class HttpAuthenticatorUnitTests
{
    private sealed class Passwords : IPasswordAuthenticator
    {
        public string Name => "test";
        public ValueTask<AuthResult> AuthenticateAsync(string user, string password, CancellationToken cancellationToken) =>
            ValueTask.FromResult(password == "pw" ? AuthResult.Ok(user) : AuthResult.Fail("Invalid user name or password."));
    }

    private static HttpAuthenticator Create(AuthMode mode, bool tokens) => new(
        new AuthOptions { Mode = mode },
        new Passwords(),
        new StaticTokenAuthenticator(tokens ? [new StaticTokenOptions { User = "svc", Token = "0123456789abcdef0123" }] : []),
        null,
        new AuthCookie(RandomNumberGenerator.GetBytes(32), TimeSpan.FromHours(1), TimeProvider.System));

    [Fact]
    public async Task CredentialsAreOptionalOnlyWithoutAuth()
    {
        var open = await Create(AuthMode.None, tokens: false).AuthenticateAsync(null, [], default);
        Assert.True(open.Succeeded);
        Assert.True(open.UserFromRequest);
        var closed = await Create(AuthMode.PasswordFile, tokens: false).AuthenticateAsync(null, [], default);
        Assert.Equal(HttpAuthFailure.MissingCredentials, closed.Failure);
        var bearer = await Create(AuthMode.PasswordFile, tokens: false).AuthenticateAsync("Bearer x", [], default);
        Assert.Equal(HttpAuthFailure.InvalidToken, bearer.Failure);
        Assert.Contains("not configured", bearer.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task APresentedTokenIsCheckedEvenWithoutAuth()
    {
        var auth = Create(AuthMode.None, tokens: true);
        Assert.Equal("svc", (await auth.AuthenticateAsync("Bearer 0123456789abcdef0123", [], default)).User);
        Assert.Equal(HttpAuthFailure.InvalidToken, (await auth.AuthenticateAsync("bearer wrong-token", [], default)).Failure);
        Assert.Equal("svc", (await auth.AuthenticateAsync("Basic " + Convert.ToBase64String("token:0123456789abcdef0123"u8), [], default)).User);
    }

    [Fact]
    public async Task AValidCookieWinsOverCredentials()
    {
        var auth = Create(AuthMode.PasswordFile, tokens: false);
        var (value, _, _) = auth.Cookie!.Issue("alice");
        var r = await auth.AuthenticateAsync("Basic " + Convert.ToBase64String("alice:wrong"u8), ["hive.server2.auth=" + value], default);
        Assert.True(r.FromCookie);
        Assert.Equal("alice", r.User);
        Assert.Equal("Invalid user name or password.", (await auth.AuthenticateAsync("Basic " + Convert.ToBase64String("alice:wrong"u8), ["hive.server2.auth=x" + value], default)).Reason);
    }
}
