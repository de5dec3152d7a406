using System.Buffers;
using System.Buffers.Text;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Gateway.Engines.HiveServer2;
using Gateway.Protocol.Hive;
using Gateway.Protocol.Thrift;
using Gateway.Server.Auth;

namespace Gateway.Tests.InProcess;

/// <summary>Mints JWS tokens for the tests (the gateway only ever validates them).</summary>
internal static class TestJwt
{
    public static string Create(IDictionary<string, object?> header, IDictionary<string, object?> claims, Func<byte[], byte[]> sign)
    {
        var h = Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(header));
        var p = Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(claims));
        return h + "." + p + "." + Base64Url.EncodeToString(sign(Encoding.ASCII.GetBytes(h + "." + p)));
    }

    public static Func<byte[], byte[]> Hmac(byte[] key, HashAlgorithmName hash) => data => CryptographicOperations.HmacData(hash, key, data);

    public static Func<byte[], byte[]> Rsa(RSA key, HashAlgorithmName hash, RSASignaturePadding padding) => data => key.SignData(data, hash, padding);

    // JWS wants raw r||s, which is .NET's default signature format.
    public static Func<byte[], byte[]> Ec(ECDsa key, HashAlgorithmName hash) => data => key.SignData(data, hash);

    public static Dictionary<string, object?> Header(string alg, string? kid = null)
    {
        var h = new Dictionary<string, object?> { ["alg"] = alg, ["typ"] = "JWT" };
        if (kid is not null) h["kid"] = kid;
        return h;
    }

    public static Dictionary<string, object?> Claims(DateTimeOffset now, string sub, string iss = HttpAuthFixture.Issuer, object? aud = null, TimeSpan? expiresIn = null, TimeSpan? notBeforeIn = null) => new()
    {
        ["iss"] = iss,
        ["aud"] = aud ?? HttpAuthFixture.Audience,
        ["sub"] = sub,
        ["iat"] = now.ToUnixTimeSeconds(),
        ["nbf"] = (now + (notBeforeIn ?? TimeSpan.FromMinutes(-1))).ToUnixTimeSeconds(),
        ["exp"] = (now + (expiresIn ?? TimeSpan.FromMinutes(10))).ToUnixTimeSeconds(),
    };

    public static Dictionary<string, object?> RsaJwk(RSA key, string kid)
    {
        var p = key.ExportParameters(false);
        return new() { ["kty"] = "RSA", ["kid"] = kid, ["use"] = "sig", ["alg"] = "RS256", ["n"] = Base64Url.EncodeToString(p.Modulus), ["e"] = Base64Url.EncodeToString(p.Exponent) };
    }
}

/// <summary>Raw HTTP requests against the HTTP listener: exact headers, exact bodies.</summary>
internal static class RawHttp
{
    public static HttpClient Client() => new(new SocketsHttpHandler { UseCookies = false, SslOptions = TestCertificate.ClientTls.ToSslOptions("127.0.0.1") });

    public static byte[] Call<TReq>(string method, TReq request, int seqId = 1) where TReq : IThriftStruct
    {
        var buffer = new ArrayBufferWriter<byte>();
        var w = new ThriftWriter(buffer);
        w.WriteMessageBegin(method, TMessageType.Call, seqId);
        w.WriteFieldBegin(TType.Struct, 1);
        request.Write(w);
        w.WriteFieldStop();
        return buffer.WrittenSpan.ToArray();
    }

    public static byte[] OpenSession(string user = "raw") =>
        Call("OpenSession", new TOpenSessionReq { ClientProtocol = TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V10, Username = user });

    public static async Task<HttpResponseMessage> PostAsync(HttpClient http, Uri uri, byte[] body, string? authorization = null, string? cookie = null, string contentType = "application/x-thrift")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (authorization is not null) request.Headers.TryAddWithoutValidation("Authorization", authorization);
        if (cookie is not null) request.Headers.TryAddWithoutValidation("Cookie", cookie);
        return await http.SendAsync(request);
    }

    public static string Basic(string user, string password) => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + password));

    /// <summary>Decodes a 200 reply body as the given response struct (throws the TApplicationException of an EXCEPTION reply).</summary>
    public static async Task<TResp> ReplyAsync<TResp>(HttpResponseMessage response) where TResp : IThriftStruct, new()
    {
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/x-thrift", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadAsByteArrayAsync();
        var reader = new ThriftReader(body, ThriftLimits.Default);
        var header = reader.ReadMessageBegin();
        if (header.Type == TMessageType.Exception) throw TApplicationException.Read(ref reader);
        TResp? result = default;
        reader.ReadStructBegin();
        while (true)
        {
            var field = reader.ReadFieldBegin();
            if (field.Type == TType.Stop) break;
            if (field.Id == 0)
            {
                result = new TResp();
                result.Read(ref reader);
            }
            else
            {
                reader.Skip(field.Type);
            }
        }
        return result!;
    }

    /// <summary>The <c>hive.server2.auth</c> Set-Cookie line of a response, or null.</summary>
    public static string? AuthSetCookie(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Set-Cookie", out var values) ? values.FirstOrDefault(v => v.StartsWith(AuthCookie.Name + "=", StringComparison.Ordinal)) : null;

    /// <summary>"name=value" of the auth cookie in a response.</summary>
    public static string CookiePair(HttpResponseMessage response) => AuthSetCookie(response)?.Split(';')[0] ?? throw new InvalidOperationException("no auth cookie was set");

    public static async Task<string> TextAsync(HttpResponseMessage response) => (await response.Content.ReadAsStringAsync()).Trim();
}

/// <summary>
/// A gateway on plain HTTP that requires credentials: a password file (alice, bob), static tokens,
/// and JWTs from an HMAC secret, a PEM EC public key and a JWKS file with two RSA keys. Its clock
/// is manual so cookies and tokens can expire on demand.
/// </summary>
public sealed class HttpAuthFixture : IAsyncLifetime
{
    public const string Issuer = "https://idp.test";
    public const string Audience = "gateway-tests";
    public const string StaticToken = "static-token-0123456789abcdef";
    public const string HashedToken = "hashed-token-0123456789abcdef";
    public const int MaxMessageBytes = 64 * 1024;

    public GatewayInstance Gateway { get; private set; } = null!;
    public ManualTimeProvider Clock { get; } = new();
    public byte[] HmacSecret { get; } = RandomNumberGenerator.GetBytes(32);
    public ECDsa EcKey { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    public RSA RsaKey1 { get; } = RSA.Create(2048);
    public RSA RsaKey2 { get; } = RSA.Create(2048);

    /// <summary>Not known to the gateway.</summary>
    public RSA RogueKey { get; } = RSA.Create(2048);

    public string Folder { get; } = Directory.CreateTempSubdirectory("gw-http-auth").FullName;

    public async Task InitializeAsync()
    {
        PasswordFile.Write(Path.Combine(Folder, "users.txt"), new Dictionary<string, PasswordHash>
        {
            ["alice"] = PasswordHash.Create("wonderland", 1000),
            ["bob"] = PasswordHash.Create("builder", 1000),
        });
        var pem = Path.Combine(Folder, "jwt-ec.pem");
        await File.WriteAllTextAsync(pem, EcKey.ExportSubjectPublicKeyInfoPem());
        var jwks = Path.Combine(Folder, "jwks.json");
        await File.WriteAllTextAsync(jwks, JsonSerializer.Serialize(new { keys = new[] { TestJwt.RsaJwk(RsaKey1, "k1"), TestJwt.RsaJwk(RsaKey2, "k2") } }));
        Gateway = await GatewayInstance.StartAsync(new Dictionary<string, string?>
        {
            ["Gateway:Auth:Mode"] = "PasswordFile",
            // These tests send hundreds of refused credentials from one address on purpose; the throttle has its own tests.
            ["Gateway:Auth:Throttle:Enabled"] = "false",
            ["Gateway:Auth:Tokens:0:User"] = "svc-static",
            ["Gateway:Auth:Tokens:0:Token"] = StaticToken,
            ["Gateway:Auth:Tokens:1:User"] = "svc-hashed",
            ["Gateway:Auth:Tokens:1:TokenSha256"] = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(HashedToken))),
            ["Gateway:Auth:Jwt:HmacSecret"] = "base64:" + Convert.ToBase64String(HmacSecret),
            ["Gateway:Auth:Jwt:PublicKeyPath"] = pem,
            ["Gateway:Auth:Jwt:JwksPath"] = jwks,
            ["Gateway:Auth:Jwt:Issuer"] = Issuer,
            ["Gateway:Auth:Jwt:Audience"] = Audience,
            ["Gateway:Limits:MaxMessageBytes"] = MaxMessageBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
            // The manual clock jumps hours ahead: keep sessions of other tests from being swept meanwhile.
            ["Gateway:Limits:SessionIdleTimeout"] = "30.00:00:00",
            ["Gateway:Limits:OperationIdleTimeout"] = "30.00:00:00",
            ["Gateway:DuckDb:DemoData"] = "false",
        }, Folder, Clock);
    }

    public async Task DisposeAsync()
    {
        await Gateway.DisposeAsync();
        EcKey.Dispose();
        RsaKey1.Dispose();
        RsaKey2.Dispose();
        RogueKey.Dispose();
    }

    public Task<HiveConnection> AliceAsync() => Gateway.ConnectHttpAsync("alice", "wonderland");

    public Task<HiveConnection> BobAsync() => Gateway.ConnectHttpAsync("bob", "builder");

    public string Hs256(string sub = "jwt-user") =>
        TestJwt.Create(TestJwt.Header("HS256"), TestJwt.Claims(Clock.GetUtcNow(), sub), TestJwt.Hmac(HmacSecret, HashAlgorithmName.SHA256));

    public string Rs256(string sub = "jwt-user", string kid = "k2", RSA? key = null, Dictionary<string, object?>? claims = null) =>
        TestJwt.Create(TestJwt.Header("RS256", kid), claims ?? TestJwt.Claims(Clock.GetUtcNow(), sub), TestJwt.Rsa(key ?? RsaKey2, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));

    public string Es256(string sub = "jwt-user") =>
        TestJwt.Create(TestJwt.Header("ES256"), TestJwt.Claims(Clock.GetUtcNow(), sub), TestJwt.Ec(EcKey, HashAlgorithmName.SHA256));
}

/// <summary>The unit tests' synchronous spelling of <see cref="JwtValidator.ValidateAsync"/> (the validator itself only awaits a JWKS fetch).</summary>
internal static class JwtValidatorTestExtensions
{
    public static JwtValidationResult Validate(this JwtValidator validator, string token) => validator.ValidateAsync(token).AsTask().GetAwaiter().GetResult();
}
