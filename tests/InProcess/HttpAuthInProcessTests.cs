using System.Net;
using System.Security.Cryptography;
using Gateway.Engines.HiveServer2;
using Gateway.Protocol.Hive;
using Gateway.Protocol.Thrift;

namespace Gateway.Tests.InProcess;

[CollectionDefinition(Name)]
public sealed class HttpAuthCollection : ICollectionFixture<HttpAuthFixture>
{
    public const string Name = "http-auth";
}

/// <summary>
/// Every refusal of the HTTP listener, each while other clients (one over HTTP, one over binary
/// SASL) keep a session open that must go on working; and every way in: Basic, static tokens,
/// JWTs (HS256, RS256 from a JWKS file, ES256 from a PEM key), the session cookie.
/// </summary>
[Collection(HttpAuthCollection.Name)]
public class HttpAuthInProcessTests(HttpAuthFixture fixture) : IAsyncLifetime
{
    private GatewayInstance Gateway => fixture.Gateway;
    private HiveConnection _otherHttp = null!;
    private HiveConnection _otherBinary = null!;
    private readonly HttpClient _raw = RawHttp.Client();

    public async Task InitializeAsync()
    {
        _otherHttp = await fixture.BobAsync();
        _otherBinary = await Gateway.ConnectAsync("bob", "builder");
    }

    public async Task DisposeAsync()
    {
        // The sessions opened before the test still answer after whatever it sent.
        Assert.Equal("99", (await _otherHttp.QueryAsync("SELECT 99")).Rows[0][0]);
        Assert.Equal("98", (await _otherBinary.QueryAsync("SELECT 98")).Rows[0][0]);
        await _otherHttp.DisposeAsync();
        await _otherBinary.DisposeAsync();
        _raw.Dispose();
    }

    private Uri Endpoint => Gateway.HttpUri;

    private Task<HttpResponseMessage> PostAsync(byte[] body, string? authorization = null, string? cookie = null, string contentType = "application/x-thrift") =>
        RawHttp.PostAsync(_raw, Endpoint, body, authorization, cookie, contentType);

    private static string UserInfo(TGetInfoResp info) => info.InfoValue!.StringValue!;

    private static async Task<string> WhoAmIAsync(HiveConnection c) =>
        UserInfo(await c.Client.GetInfoAsync(new TGetInfoReq { SessionHandle = c.Session, InfoType = (TGetInfoType)47 }));

    [Fact]
    public async Task WrongPathIs404AndWrongMethodIs405WithAllowPost()
    {
        var auth = RawHttp.Basic("alice", "wonderland");
        using (var r = await RawHttp.PostAsync(_raw, new Uri(Endpoint, "/nothing-here"), RawHttp.OpenSession(), auth))
        {
            Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
            Assert.Contains("/cliservice", await RawHttp.TextAsync(r), StringComparison.Ordinal);
        }
        foreach (var method in new[] { HttpMethod.Get, HttpMethod.Put, HttpMethod.Delete, HttpMethod.Head })
        {
            using var request = new HttpRequestMessage(method, Endpoint);
            request.Headers.TryAddWithoutValidation("Authorization", auth);
            using var r = await _raw.SendAsync(request);
            Assert.Equal(HttpStatusCode.MethodNotAllowed, r.StatusCode);
            Assert.Equal(["POST"], r.Content.Headers.Allow);
        }
    }

    [Fact]
    public async Task MissingCredentialsAre401WithBasicAndBearerChallenges()
    {
        using var r = await PostAsync(RawHttp.OpenSession());
        Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        var challenges = r.Headers.WwwAuthenticate.Select(c => c.ToString()).ToList();
        Assert.Contains(challenges, c => c.StartsWith("Basic realm=\"HiveServer2\"", StringComparison.Ordinal));
        Assert.Contains(challenges, c => c.StartsWith("Bearer realm=\"HiveServer2\"", StringComparison.Ordinal));
        Assert.Contains("authentication required", await RawHttp.TextAsync(r), StringComparison.Ordinal);
        Assert.Null(RawHttp.AuthSetCookie(r));
    }

    [Theory]
    [InlineData("alice", "wrong", "Invalid user name or password")]
    [InlineData("nobody", "wonderland", "Invalid user name or password")]
    public async Task BadBasicCredentialsAre401WithAReason(string user, string password, string reason)
    {
        using var r = await PostAsync(RawHttp.OpenSession(), RawHttp.Basic(user, password));
        Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        Assert.Contains(reason, await RawHttp.TextAsync(r), StringComparison.Ordinal);
        Assert.Contains(r.Headers.WwwAuthenticate, c => c.Scheme == "Basic");
        Assert.Null(RawHttp.AuthSetCookie(r));
    }

    [Theory]
    [InlineData("Basic !!!not-base64!!!", "malformed Basic credentials")]
    [InlineData("Basic bm8tY29sb24=", "malformed Basic credentials")]
    [InlineData("Negotiate abc", "scheme 'Negotiate' is not supported")]
    [InlineData("Bearer ", "empty bearer token")]
    [InlineData("Bearer not-a-known-token-at-all", "unknown token")]
    public async Task MalformedAuthorizationIs401WithAReason(string authorization, string reason)
    {
        using var r = await PostAsync(RawHttp.OpenSession(), authorization);
        Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        Assert.Contains(reason, await RawHttp.TextAsync(r), StringComparison.Ordinal);
    }

    public static TheoryData<string, string> BadTokens() => new()
    {
        { "expired", "token expired at" },
        { "not-yet-valid", "token not valid before" },
        { "wrong-audience", "audience does not include 'gateway-tests'" },
        { "wrong-issuer", "issuer 'https://evil.test' is not accepted" },
        { "bad-signature", "invalid signature" },
        { "tampered-claims", "invalid signature" },
        { "alg-none", "alg none" },
        { "alg-None-unsigned", "alg none" },
        { "unsupported-alg", "algorithm 'HS1' is not supported" },
        { "no-exp", "token has no exp claim" },
        { "no-sub", "no 'sub' claim" },
        { "unknown-kid-no-fallback", "no configured key with kid 'k9' verifies RS256" },
        { "garbage", "malformed token header" },
    };

    private string BadToken(string kind)
    {
        var now = fixture.Clock.GetUtcNow();
        var sign = TestJwt.Rsa(fixture.RsaKey1, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        string Rs(Dictionary<string, object?> claims, string kid = "k1") => TestJwt.Create(TestJwt.Header("RS256", kid), claims, sign);
        switch (kind)
        {
            case "expired": return Rs(TestJwt.Claims(now, "u", expiresIn: TimeSpan.FromMinutes(-5)));
            case "not-yet-valid": return Rs(TestJwt.Claims(now, "u", notBeforeIn: TimeSpan.FromMinutes(5)));
            case "wrong-audience": return Rs(TestJwt.Claims(now, "u", aud: new[] { "other-service", "another" }));
            case "wrong-issuer": return Rs(TestJwt.Claims(now, "u", iss: "https://evil.test"));
            case "bad-signature": return TestJwt.Create(TestJwt.Header("RS256", "k1"), TestJwt.Claims(now, "u"), TestJwt.Rsa(fixture.RogueKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
            case "tampered-claims":
                {
                    var good = Rs(TestJwt.Claims(now, "u")).Split('.');
                    var forged = Rs(TestJwt.Claims(now, "admin")).Split('.');
                    return good[0] + "." + forged[1] + "." + good[2];
                }
            case "alg-none": return TestJwt.Create(TestJwt.Header("none"), TestJwt.Claims(now, "admin"), _ => []);
            case "alg-None-unsigned":
                {
                    var t = TestJwt.Create(TestJwt.Header("None"), TestJwt.Claims(now, "admin"), _ => [1]);
                    return t[..(t.LastIndexOf('.') + 1)];
                }
            case "unsupported-alg": return TestJwt.Create(TestJwt.Header("HS1"), TestJwt.Claims(now, "u"), _ => [1, 2, 3]);
            case "no-exp":
                {
                    var claims = TestJwt.Claims(now, "u");
                    claims.Remove("exp");
                    return Rs(claims);
                }
            case "no-sub":
                {
                    var claims = TestJwt.Claims(now, "u");
                    claims.Remove("sub");
                    return Rs(claims);
                }
            // A kid nobody has: only kid-less keys are tried, and none of them is this RSA key.
            case "unknown-kid-no-fallback": return Rs(TestJwt.Claims(now, "u"), kid: "k9");
            default: return "bm90.anNvbg.c2ln";
        }
    }

    [Theory]
    [MemberData(nameof(BadTokens))]
    public async Task BadJwtsAre401InvalidTokenWithTheReason(string kind, string reason)
    {
        var token = BadToken(kind);
        using var r = await PostAsync(RawHttp.OpenSession(), "Bearer " + token);
        Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        var challenge = Assert.Single(r.Headers.WwwAuthenticate);
        Assert.Equal("Bearer", challenge.Scheme);
        Assert.Contains("error=\"invalid_token\"", challenge.Parameter, StringComparison.Ordinal);
        Assert.Contains("error_description=\"", challenge.Parameter, StringComparison.Ordinal);
        Assert.Contains(reason, challenge.Parameter, StringComparison.Ordinal);
        Assert.Contains(reason, await RawHttp.TextAsync(r), StringComparison.Ordinal);
        Assert.Null(RawHttp.AuthSetCookie(r));

        // The same token as the password of Basic user "token" (the ODBC convention) is refused alike.
        using var basic = await PostAsync(RawHttp.OpenSession(), RawHttp.Basic("token", token));
        Assert.Equal(HttpStatusCode.Unauthorized, basic.StatusCode);
        Assert.Contains(reason, await RawHttp.TextAsync(basic), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TokensWithinTheClockSkewAreAccepted()
    {
        var now = fixture.Clock.GetUtcNow();
        var sign = TestJwt.Rsa(fixture.RsaKey1, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var justExpired = TestJwt.Create(TestJwt.Header("RS256", "k1"), TestJwt.Claims(now, "skewed", expiresIn: TimeSpan.FromSeconds(-30)), sign);
        var almostValid = TestJwt.Create(TestJwt.Header("RS256", "k1"), TestJwt.Claims(now, "skewed", notBeforeIn: TimeSpan.FromSeconds(30)), sign);
        foreach (var token in new[] { justExpired, almostValid })
        {
            await using var c = await Gateway.ConnectHttpAsync(bearer: token);
            Assert.Equal("skewed", await WhoAmIAsync(c));
        }
    }

    [Fact]
    public async Task TruncatedGarbageAndTrailingBytesAre400()
    {
        var auth = RawHttp.Basic("alice", "wonderland");
        var open = RawHttp.OpenSession();
        var garbage = new byte[300];
        new Random(11).NextBytes(garbage);
        garbage[0] = 0x80;
        garbage[1] = 0x01;
        var cases = new (byte[] Body, string Reason)[]
        {
            (open[..(open.Length / 2)], "truncated Thrift message"),
            (open[..3], "truncated Thrift message"),
            (garbage, "not a Thrift binary-protocol message"),
            ("GET / HTTP/1.1\r\n\r\n"u8.ToArray(), "not a Thrift binary-protocol message"),
            ([.. open, .. open], "bytes after the Thrift message"),
            ([], "empty body"),
            (ArgsWithoutRequest("OpenSession"), "malformed Thrift call"),
        };
        foreach (var (body, reason) in cases)
        {
            using var r = await PostAsync(body, auth);
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            var text = await RawHttp.TextAsync(r);
            Assert.Contains(reason, text, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
            Assert.Equal("text/plain", r.Content.Headers.ContentType?.MediaType);
        }
    }

    /// <summary>A well-formed message whose args struct lacks the request (field 1 is an i32).</summary>
    private static byte[] ArgsWithoutRequest(string method)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        var w = new ThriftWriter(buffer);
        w.WriteMessageBegin(method, TMessageType.Call, 1);
        w.WriteFieldBegin(TType.I32, 1);
        w.WriteI32(5);
        w.WriteFieldStop();
        return buffer.WrittenSpan.ToArray();
    }

    [Fact]
    public async Task OversizedBodiesAre413WhetherLengthIsDeclaredOrChunked()
    {
        var auth = RawHttp.Basic("alice", "wonderland");
        var big = new byte[HttpAuthFixture.MaxMessageBytes + 1];
        using (var r = await PostAsync(big, auth))
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, r.StatusCode);
            Assert.Contains("MaxMessageBytes", await RawHttp.TextAsync(r), StringComparison.Ordinal);
        }

        // Chunked: no length to check up front, so the limit is enforced while reading.
        using (var request = new HttpRequestMessage(HttpMethod.Post, Endpoint) { Content = new StreamContent(new ChunkedStream(3 * HttpAuthFixture.MaxMessageBytes / 2)) })
        {
            request.Headers.TransferEncodingChunked = true;
            request.Headers.TryAddWithoutValidation("Authorization", auth);
            using var r = await _raw.SendAsync(request);
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, r.StatusCode);
        }

        // A huge declared length with Expect: 100-continue is refused before the client sends anything.
        var huge = new StreamContent(new ChunkedStream(int.MaxValue));
        huge.Headers.ContentLength = 1L << 40;
        using (var request = new HttpRequestMessage(HttpMethod.Post, Endpoint) { Content = huge })
        {
            request.Headers.ExpectContinue = true;
            request.Headers.TryAddWithoutValidation("Authorization", auth);
            using var r = await _raw.SendAsync(request);
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, r.StatusCode);
        }

        // The limit itself is fine.
        using var atLimit = await PostAsync(RawHttp.OpenSession().Concat(new byte[HttpAuthFixture.MaxMessageBytes - RawHttp.OpenSession().Length]).ToArray(), auth);
        Assert.Equal(HttpStatusCode.BadRequest, atLimit.StatusCode);
    }

    /// <summary>A body of unknown length, produced piecewise.</summary>
    private sealed class ChunkedStream(int total) : Stream
    {
        private int _sent;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = Math.Min(Math.Min(count, 8192), total - _sent);
            Array.Fill(buffer, (byte)0x80, offset, n);
            _sent += n;
            return n;
        }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    [Fact]
    public async Task UnknownMethodsGetATApplicationExceptionAsOnBinary()
    {
        using var r = await PostAsync(RawHttp.Call("GetLog", new TGetInfoReq(), seqId: 42), RawHttp.Basic("alice", "wonderland"));
        var ex = await Assert.ThrowsAsync<TApplicationException>(() => RawHttp.ReplyAsync<TGetInfoResp>(r));
        Assert.Equal(TApplicationExceptionType.UNKNOWN_METHOD, ex.Type);
        Assert.Contains("GetLog", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LenientContentTypesAreReadAndForeignThriftProtocolsAre415()
    {
        var auth = RawHttp.Basic("alice", "wonderland");
        foreach (var type in new[] { "application/x-thrift", "application/vnd.apache.thrift.binary", "application/octet-stream", "text/plain" })
        {
            using var r = await PostAsync(RawHttp.OpenSession(), auth, contentType: type);
            var open = await RawHttp.ReplyAsync<TOpenSessionResp>(r);
            Assert.Equal(TStatusCode.SUCCESS_STATUS, open.Status.StatusCode);
            using var close = await PostAsync(RawHttp.Call("CloseSession", new TCloseSessionReq { SessionHandle = open.SessionHandle! }), auth);
            Assert.Equal(TStatusCode.SUCCESS_STATUS, (await RawHttp.ReplyAsync<TCloseSessionResp>(close)).Status.StatusCode);
        }
        using var compact = await PostAsync(RawHttp.OpenSession(), auth, contentType: "application/vnd.apache.thrift.compact");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, compact.StatusCode);
        Assert.Contains("compact protocol", await RawHttp.TextAsync(compact), StringComparison.Ordinal);
    }

    [Fact]
    public async Task JwtHs256ServesAWholeQuery()
    {
        await using var c = await Gateway.ConnectHttpAsync(bearer: fixture.Hs256("hs-user"));
        Assert.Equal("hs-user", await WhoAmIAsync(c));
        var (_, rows) = await c.QueryAsync("SELECT range, range * 2 FROM range(3) ORDER BY 1");
        Assert.Equal(["0", "1", "2"], rows.Select(r => r[0]));
        Assert.Equal("4", rows[2][1]);
    }

    [Fact]
    public async Task TheTrinoListenerTakesTheSameJwtsAndTokens()
    {
        global::Gateway.Engines.Trino.TrinoEngineOptions Options(string user, string token) => new()
        {
            Name = "trino-jwt",
            Port = Gateway.TrinoUri.Port,
            Auth = global::Gateway.Engines.Trino.TrinoAuth.Bearer,
            User = user,
            Token = token,
            Catalog = "embedded",
        };
        async Task<string?> ScalarAsync(global::Gateway.Engines.Trino.TrinoEngineOptions options)
        {
            await using var engine = new global::Gateway.Engines.Trino.TrinoEngine(options);
            await using var session = await engine.OpenSessionAsync(new global::Gateway.Engines.EngineSessionOptions(options.User), CancellationToken.None);
            return (await global::Gateway.Tests.Engines.EngineText.QueryAsync(session, "SELECT 41 + 1")).Rows.Single()[0];
        }

        Assert.Equal("42", await ScalarAsync(Options("trino-jwt", fixture.Rs256("trino-jwt", kid: "k1", key: fixture.RsaKey1))));
        Assert.Equal("42", await ScalarAsync(Options("svc-static", HttpAuthFixture.StaticToken)));
        // The token names the user: another X-Trino-User is impersonation, refused without an access policy.
        var other = await Assert.ThrowsAsync<global::Gateway.Engines.EngineException>(() => ScalarAsync(Options("someone-else", fixture.Hs256("trino-jwt"))));
        Assert.Contains("trino-jwt may not act as someone-else", other.Message, StringComparison.Ordinal);
        var expired = await Assert.ThrowsAsync<global::Gateway.Engines.EngineException>(() => ScalarAsync(Options("u", BadToken("expired"))));
        Assert.Equal("28000", expired.SqlState);
        Assert.False(expired.Retryable);
    }

    [Fact]
    public async Task JwtRs256FromTheJwksFilePicksTheKeyByKid()
    {
        await using (var c = await Gateway.ConnectHttpAsync(bearer: fixture.Rs256("rs-user", kid: "k2")))
        {
            Assert.Equal("rs-user", await WhoAmIAsync(c));
            Assert.Equal("7", (await c.QueryAsync("SELECT 7")).Rows[0][0]);
        }
        await using (var c = await Gateway.ConnectHttpAsync(bearer: fixture.Rs256("rs-user-1", kid: "k1", key: fixture.RsaKey1)))
        {
            Assert.Equal("rs-user-1", await WhoAmIAsync(c));
        }
        // Signed by k1 but claiming k2: the kid picks k2, which does not verify it.
        var ex = await Assert.ThrowsAsync<HiveClientException>(() => Gateway.ConnectHttpAsync(bearer: fixture.Rs256("x", kid: "k2", key: fixture.RsaKey1)));
        Assert.Equal("28000", ex.SqlState);
        Assert.Contains("invalid signature", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task JwtEs256FromThePemKey()
    {
        await using var c = await Gateway.ConnectHttpAsync(bearer: fixture.Es256("es-user"));
        Assert.Equal("es-user", await WhoAmIAsync(c));
        Assert.Equal("8", (await c.QueryAsync("SELECT 8")).Rows[0][0]);
    }

    [Fact]
    public async Task StaticTokensPlainHashedAndAsBasicPasswordOfUserToken()
    {
        await using (var c = await Gateway.ConnectHttpAsync(bearer: HttpAuthFixture.StaticToken))
        {
            Assert.Equal("svc-static", await WhoAmIAsync(c));
        }
        await using (var c = await Gateway.ConnectHttpAsync(bearer: HttpAuthFixture.HashedToken))
        {
            Assert.Equal("svc-hashed", await WhoAmIAsync(c));
            Assert.Equal("3", (await c.QueryAsync("SELECT 3")).Rows[0][0]);
        }
        await using (var c = await Gateway.ConnectHttpAsync("token", HttpAuthFixture.StaticToken))
        {
            Assert.Equal("svc-static", await WhoAmIAsync(c));
        }
        var wrong = await Assert.ThrowsAsync<HiveClientException>(() => Gateway.ConnectHttpAsync(bearer: HttpAuthFixture.StaticToken + "x"));
        Assert.Contains("unknown token", wrong.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheCookieReplacesCredentialsAndATamperedOneIsIgnored()
    {
        var basic = RawHttp.Basic("alice", "wonderland");
        using var first = await PostAsync(RawHttp.OpenSession(), basic);
        var open = await RawHttp.ReplyAsync<TOpenSessionResp>(first);
        var setCookie = RawHttp.AuthSetCookie(first);
        Assert.NotNull(setCookie);
        Assert.Contains("httponly", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/cliservice", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("secure", setCookie, StringComparison.OrdinalIgnoreCase);
        var cookie = RawHttp.CookiePair(first);

        // Only the cookie: no Authorization header at all.
        using (var second = await PostAsync(RawHttp.Call("ExecuteStatement", new TExecuteStatementReq { SessionHandle = open.SessionHandle!, Statement = "SELECT 1" }), cookie: cookie))
        {
            var exec = await RawHttp.ReplyAsync<TExecuteStatementResp>(second);
            Assert.Equal(TStatusCode.SUCCESS_STATUS, exec.Status.StatusCode);
            Assert.Null(RawHttp.AuthSetCookie(second));
        }
        using (var info = await PostAsync(RawHttp.Call("GetInfo", new TGetInfoReq { SessionHandle = open.SessionHandle!, InfoType = (TGetInfoType)47 }), cookie: cookie))
        {
            Assert.Equal("alice", UserInfo(await RawHttp.ReplyAsync<TGetInfoResp>(info)));
        }
        // hive-driver echoes the whole Set-Cookie line back: still understood.
        using (var echoed = await PostAsync(RawHttp.Call("GetInfo", new TGetInfoReq { SessionHandle = open.SessionHandle!, InfoType = (TGetInfoType)47 }), cookie: "other=1;" + setCookie))
        {
            Assert.Equal("alice", UserInfo(await RawHttp.ReplyAsync<TGetInfoResp>(echoed)));
        }

        // A tampered cookie counts as none: without credentials 401, with them a fresh cookie.
        var value = cookie[(cookie.IndexOf('=', StringComparison.Ordinal) + 1)..];
        var forgedPayload = System.Buffers.Text.Base64Url.EncodeToString("1\n99999999999\nbob"u8);
        foreach (var tampered in new[]
        {
            cookie[..^2] + (cookie[^2] == 'A' ? "B" : "A") + cookie[^1],
            "hive.server2.auth=" + forgedPayload + value[value.IndexOf('.', StringComparison.Ordinal)..],
            "hive.server2.auth=garbage",
        })
        {
            using var refused = await PostAsync(RawHttp.OpenSession(), cookie: tampered);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            using var renewed = await PostAsync(RawHttp.OpenSession(), basic, cookie: tampered);
            Assert.Equal(TStatusCode.SUCCESS_STATUS, (await RawHttp.ReplyAsync<TOpenSessionResp>(renewed)).Status.StatusCode);
            Assert.NotNull(RawHttp.AuthSetCookie(renewed));
        }
    }

    [Fact]
    public async Task CookiesExpireAndNeverOutliveTheirJwt()
    {
        using var first = await PostAsync(RawHttp.OpenSession(), RawHttp.Basic("alice", "wonderland"));
        var cookie = RawHttp.CookiePair(first);
        var now = fixture.Clock.GetUtcNow();
        var shortJwt = TestJwt.Create(TestJwt.Header("HS256"), TestJwt.Claims(now, "short-lived", expiresIn: TimeSpan.FromMinutes(5)), TestJwt.Hmac(fixture.HmacSecret, HashAlgorithmName.SHA256));
        using var viaJwt = await PostAsync(RawHttp.OpenSession(), "Bearer " + shortJwt);
        Assert.Contains("max-age=300", RawHttp.AuthSetCookie(viaJwt), StringComparison.OrdinalIgnoreCase);
        var jwtCookie = RawHttp.CookiePair(viaJwt);

        fixture.Clock.Advance(TimeSpan.FromMinutes(10));
        using (var r = await PostAsync(RawHttp.OpenSession(), cookie: jwtCookie))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        }
        using (var r = await PostAsync(RawHttp.OpenSession(), cookie: cookie))
        {
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        }

        fixture.Clock.Advance(TimeSpan.FromHours(1));
        using (var r = await PostAsync(RawHttp.OpenSession(), cookie: cookie))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        }
    }

    [Fact]
    public async Task HttpSessionsBelongToTheirUserNotToAConnection()
    {
        await using var alice = await fixture.AliceAsync();
        var op = await alice.ExecuteAsync("SELECT 1");

        // Bob, over HTTP, with alice's exact handles.
        await using var bob = await fixture.BobAsync();
        var exec = await bob.Client.ExecuteStatementAsync(new TExecuteStatementReq { SessionHandle = alice.Session, Statement = "SELECT 2" });
        Assert.Equal(TStatusCode.INVALID_HANDLE_STATUS, exec.Status.StatusCode);
        var fetch = await bob.Client.FetchResultsAsync(new TFetchResultsReq { OperationHandle = op.Handle, MaxRows = 10 });
        Assert.Equal(TStatusCode.INVALID_HANDLE_STATUS, fetch.Status.StatusCode);
        var close = await bob.Client.CloseSessionAsync(new TCloseSessionReq { SessionHandle = alice.Session });
        Assert.Equal(TStatusCode.INVALID_HANDLE_STATUS, close.Status.StatusCode);

        // Alice over binary: a connection-bound caller cannot use an HTTP session either.
        await using var aliceBinary = await Gateway.ConnectAsync("alice", "wonderland");
        var fromBinary = await aliceBinary.Client.ExecuteStatementAsync(new TExecuteStatementReq { SessionHandle = alice.Session, Statement = "SELECT 3" });
        Assert.Equal(TStatusCode.INVALID_HANDLE_STATUS, fromBinary.Status.StatusCode);

        // Alice from a brand-new HTTP client (no cookie, other TCP connections) may.
        await using var aliceAgain = await fixture.AliceAsync();
        var again = await aliceAgain.Client.FetchResultsAsync(new TFetchResultsReq { OperationHandle = op.Handle, MaxRows = 10 });
        Assert.Equal(TStatusCode.SUCCESS_STATUS, again.Status.StatusCode);
        await op.DisposeAsync();
    }

    [Fact]
    public async Task OneClientServesManyCallsOverKeepAlive()
    {
        await using var c = await fixture.AliceAsync();
        for (var i = 0; i < 20; i++) Assert.Equal(i.ToString(System.Globalization.CultureInfo.InvariantCulture), (await c.QueryAsync($"SELECT {i}")).Rows[0][0]);
    }
}
