using System.Buffers.Text;
using System.CommandLine;
using System.Security.Cryptography;
using System.Text;
using Gateway.Server.Auth;
using Gateway.Server.Cli;
using Gateway.Server.Configuration;
using Gateway.Server.Hosting;
using Gateway.Tests.InProcess;

namespace Gateway.Tests.Unit;

public class GroupLimitsUnitTests
{
    [Fact]
    public void GroupsAreTrimmedDeduplicatedAndKeepTheirOrder()
    {
        Assert.True(GroupLimits.Default.TryNormalize([" finance ", "", null, "analysts", "finance", "Finance"], out var groups, out _));
        Assert.Equal(["finance", "analysts", "Finance"], groups);
    }

    [Fact]
    public void CountLengthAndControlCharactersAreBounded()
    {
        var limits = new GroupLimits(3, 8);
        Assert.True(limits.TryNormalize(["a", "b", "c", "a"], out var three, out _));
        Assert.Equal(3, three.Count);
        Assert.False(limits.TryNormalize(["a", "b", "c", "d"], out _, out var count));
        Assert.Equal("more than 3 groups (Gateway:Auth:MaxGroups)", count);
        Assert.False(limits.TryNormalize(["123456789"], out _, out var length));
        Assert.Equal("group '123456789' is longer than 8 characters (Gateway:Auth:MaxGroupLength)", length);
        Assert.False(limits.TryNormalize(["a\nb"], out _, out var control));
        Assert.Equal("group 'a?b' contains a control character", control);
    }

    [Fact]
    public void TheLimitsAreValidatedWithTheOptions()
    {
        var errors = GatewayOptionsValidation.Validate(new GatewayOptions
        {
            Auth = new AuthOptions
            {
                MaxGroups = 0,
                MaxGroupLength = 5000,
                Tokens = [new StaticTokenOptions { User = "svc", Token = "0123456789abcdef0123", Groups = ["a", "b"] }],
                Jwt = new JwtOptions { HmacSecret = new string('s', 32), Issuer = "i", Audience = "a", StripGroupsPrefix = true },
            },
        });
        Assert.Contains("Gateway:Auth:MaxGroups must be between 1 and 1024.", errors);
        Assert.Contains("Gateway:Auth:MaxGroupLength must be between 1 and 1024.", errors);
        Assert.Contains("Gateway:Auth:Tokens:0:Groups: more than 0 groups (Gateway:Auth:MaxGroups).", errors);
        Assert.Contains("Gateway:Auth:Jwt:StripGroupsPrefix needs Gateway:Auth:Jwt:GroupsPrefix.", errors);
        Assert.Empty(GatewayOptionsValidation.Validate(new GatewayOptions
        {
            Auth = new AuthOptions { Tokens = [new StaticTokenOptions { User = "svc", Token = "0123456789abcdef0123", Groups = ["a", "b"] }] },
        }));
    }
}

public sealed class PasswordFileGroupsUnitTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gw-pw-groups").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string FileWith(string text)
    {
        var path = Path.Combine(_dir, $"users-{Guid.NewGuid():N}.txt");
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void AFileWrittenBeforeGroupsReadsAsUsersWithoutGroups()
    {
        var hash = PasswordHash.Create("pw", 1000);
        var path = FileWith($"# gateway users: name:pbkdf2-sha256:iterations:salt:hash (managed by 'gateway user')\nalice:{hash.Format()}\r\n\n");
        var users = PasswordFile.Read(path);
        Assert.Empty(users["alice"].Groups);
        Assert.True(users["alice"].Hash.Verify("pw"));
    }

    [Fact]
    public void GroupsFollowTheHashAndUsersWithoutGroupsAreWrittenInTheOldFormat()
    {
        var path = Path.Combine(_dir, "users.txt");
        PasswordFile.Write(path, new Dictionary<string, PasswordEntry>
        {
            ["alice"] = new(PasswordHash.Create("a", 1000), ["finance", "Domain Users"]),
            ["bob"] = new(PasswordHash.Create("b", 1000)),
        });
        var lines = File.ReadAllLines(path);
        Assert.StartsWith("# gateway users: user:pbkdf2-sha256:iterations:salt:hash[:group,group,...]", lines[0], StringComparison.Ordinal);
        Assert.EndsWith(":finance,Domain Users", lines[1], StringComparison.Ordinal);
        Assert.Equal(5, lines[2].Split(':').Length);

        var users = PasswordFile.Read(path);
        Assert.Equal(["finance", "Domain Users"], users["alice"].Groups);
        Assert.Empty(users["bob"].Groups);
        // An empty sixth field is no groups; names are trimmed and repeats dropped.
        var hash = PasswordHash.Create("c", 1000).Format();
        var more = PasswordFile.Read(FileWith($"carol:{hash}:\ndave:{hash}: ops , finance,ops\n"));
        Assert.Empty(more["carol"].Groups);
        Assert.Equal(["ops", "finance"], more["dave"].Groups);
        Assert.Throws<ArgumentException>(() => PasswordFile.Write(path, new Dictionary<string, PasswordEntry> { ["x"] = new(PasswordHash.Create("x", 1000), ["a:b"]) }));
    }

    [Theory]
    [InlineData("no-colon-here", "expected 'user:pbkdf2-sha256:iterations:salt:hash[:group,group,...]'")]
    [InlineData(":pbkdf2-sha256:1000:c2FsdA==:aGFzaA==", "expected 'user:pbkdf2-sha256:iterations:salt:hash[:group,group,...]'")]
    [InlineData("alice:md5:abc", "user 'alice': unknown password scheme 'md5'")]
    [InlineData("alice:pbkdf2-sha256:1000:c2FsdA==", "user 'alice': expected 5 or 6 fields separated by ':'")]
    [InlineData("alice:pbkdf2-sha256:1000:c2FsdA==:aGFzaA==:finance:extra", "user 'alice': expected 5 or 6 fields separated by ':'")]
    [InlineData("alice:pbkdf2-sha256:-5:c2FsdA==:aGFzaA==", "user 'alice': the iteration count '-5' is not a positive number")]
    [InlineData("alice:pbkdf2-sha256:1000:not base64!:aGFzaA==", "user 'alice': the salt is not base64")]
    [InlineData("alice:pbkdf2-sha256:1000:c2FsdA==:", "user 'alice': the hash is not base64")]
    [InlineData("alice:pbkdf2-sha256:1000:c2FsdA==:aGFzaA==:finance,,ops", "user 'alice': empty group name")]
    [InlineData("alice:pbkdf2-sha256:1000:c2FsdA==:aGFzaA==:fin\u0001ance", "user 'alice': group 'fin?ance' contains a control character")]
    public void AMalformedLineIsReportedWithItsFileLineAndWhatIsWrong(string line, string expected)
    {
        var path = FileWith("# users\n\n" + line + "\n");
        var ex = Assert.Throws<InvalidDataException>(() => PasswordFile.Read(path));
        Assert.StartsWith($"{path}:3: {expected}", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("aGFzaA", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheAuthenticatorNamesTheGroupsAndRefusesThoseBeyondTheLimitOnlyToTheRightPassword()
    {
        var path = Path.Combine(_dir, "auth.txt");
        PasswordFile.Write(path, new Dictionary<string, PasswordEntry>
        {
            ["alice"] = new(PasswordHash.Create("pw", 1000), ["finance", "analysts"]),
            ["greedy"] = new(PasswordHash.Create("pw", 1000), ["a", "b", "c"]),
        });
        var auth = new PasswordFileAuthenticator(path, TimeProvider.System, new GroupLimits(2, 16));
        var alice = await auth.AuthenticateAsync("alice", "pw", default);
        Assert.True(alice.Succeeded);
        Assert.Equal(["finance", "analysts"], alice.Groups);
        var greedy = await auth.AuthenticateAsync("greedy", "pw", default);
        Assert.False(greedy.Succeeded);
        Assert.Equal("The groups of 'greedy' in the password file are not accepted: more than 2 groups (Gateway:Auth:MaxGroups).", greedy.Error);
        Assert.Equal("Invalid user name or password.", (await auth.AuthenticateAsync("greedy", "wrong", default)).Error);
    }

    [Fact]
    public async Task ABrokenRewriteKeepsTheUsersReadBefore()
    {
        var path = Path.Combine(_dir, "reload.txt");
        PasswordFile.Write(path, new Dictionary<string, PasswordEntry> { ["alice"] = new(PasswordHash.Create("pw", 1000), ["finance"]) });
        var auth = new PasswordFileAuthenticator(path, TimeProvider.System);
        Assert.Equal(["finance"], (await auth.AuthenticateAsync("alice", "pw", default)).Groups);

        await File.WriteAllTextAsync(path, "alice:broken\n");
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddSeconds(5));
        Assert.Equal(["finance"], (await auth.AuthenticateAsync("alice", "pw", default)).Groups);

        PasswordFile.Write(path, new Dictionary<string, PasswordEntry> { ["alice"] = new(PasswordHash.Create("pw", 1000), ["ops"]) });
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddSeconds(10));
        Assert.Equal(["ops"], (await auth.AuthenticateAsync("alice", "pw", default)).Groups);
    }

    [Fact]
    public void AMalformedPasswordFileStopsTheStartWithItsLine()
    {
        var path = FileWith("alice:pbkdf2-sha256:x:c2FsdA==:aGFzaA==\n");
        var options = new GatewayOptions { Auth = new AuthOptions { Mode = AuthMode.PasswordFile, PasswordFile = path } };
        var ex = Assert.Throws<GatewayConfigurationException>(() => GatewayHost.LoadSecurity(options, TimeProvider.System));
        Assert.Contains($"Gateway:Auth:PasswordFile: {path}:1: user 'alice': the iteration count 'x' is not a positive number.", ex.Errors);
        // Without password-file auth the file is not read.
        GatewayHost.LoadSecurity(options with { Auth = options.Auth with { Mode = AuthMode.None } }, TimeProvider.System);
    }
}

public sealed class UserCommandGroupsUnitTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gw-user-cli").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string Users => Path.Combine(_dir, "users.txt");

    private (int Exit, string Output, string Error) Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var root = new RootCommand { UserCommand.Create() };
        var exit = root.Parse(["user", .. args, "--file", Users]).Invoke(new InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString(), error.ToString());
    }

    [Fact]
    public void AddSetShowAndClearGroups()
    {
        Assert.Equal(0, Run("add", "alice", "--password", "pw", "--iterations", "1000", "--groups", "finance, analysts").Exit);
        Assert.Equal(["finance", "analysts"], PasswordFile.Read(Users)["alice"].Groups);

        // A new password keeps the groups unless new ones are given.
        Assert.Equal(0, Run("add", "alice", "--password", "pw2", "--iterations", "1000").Exit);
        Assert.Equal(["finance", "analysts"], PasswordFile.Read(Users)["alice"].Groups);
        Assert.True(PasswordFile.Read(Users)["alice"].Hash.Verify("pw2"));

        Assert.Equal(0, Run("groups", "alice", "ops", "finance,audit").Exit);
        Assert.Equal(["ops", "finance", "audit"], PasswordFile.Read(Users)["alice"].Groups);
        Assert.Equal("ops\nfinance\naudit\n", Run("groups", "alice").Output.ReplaceLineEndings("\n"));

        Assert.Equal(0, Run("add", "bob", "--password", "pw", "--iterations", "1000").Exit);
        Assert.Equal("alice\tops,finance,audit\nbob\n", Run("list").Output.ReplaceLineEndings("\n"));

        Assert.Equal(0, Run("groups", "alice", "--clear").Exit);
        Assert.Empty(PasswordFile.Read(Users)["alice"].Groups);
        Assert.Equal(5, File.ReadAllLines(Users)[1].Split(':').Length);
    }

    [Fact]
    public void BadGroupsAndUnknownUsersAreRefused()
    {
        var bad = Run("add", "alice", "--password", "pw", "--groups", "fin:ance");
        Assert.Equal(2, bad.Exit);
        Assert.Contains("Invalid groups: group 'fin:ance' contains ':' or ','", bad.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(Users));

        var unknown = Run("groups", "nobody", "finance");
        Assert.Equal(1, unknown.Exit);
        Assert.Contains("No user 'nobody'", unknown.Error, StringComparison.Ordinal);

        Assert.Equal(0, Run("add", "alice", "--password", "pw", "--iterations", "1000").Exit);
        Assert.Equal(2, Run("groups", "alice", "a", "--clear").Exit);
        var empty = Run("groups", "alice", "a,,b");
        Assert.Equal(2, empty.Exit);
        Assert.Contains("empty group name", empty.Error, StringComparison.Ordinal);

        // Beyond the default limits: written, with a warning (the gateway's limits may be raised).
        var many = Run("groups", "alice", string.Join(',', Enumerable.Range(0, 40).Select(i => $"g{i}")));
        Assert.Equal(0, many.Exit);
        Assert.Contains("Warning: more than 32 groups", many.Error, StringComparison.Ordinal);
        Assert.Equal(40, PasswordFile.Read(Users)["alice"].Groups.Count);

        File.WriteAllText(Users, "alice:garbage\n");
        var broken = Run("list");
        Assert.Equal(1, broken.Exit);
        Assert.Contains(":1: user 'alice': unknown password scheme 'garbage'", broken.Error, StringComparison.Ordinal);
    }
}

public sealed class JwtGroupsUnitTests
{
    private const string Secret = "a-shared-secret-of-at-least-32-bytes!!";
    private readonly ManualTimeProvider _clock = new();

    private JwtValidator Validator(Func<JwtOptions, JwtOptions>? configure = null, GroupLimits? limits = null)
    {
        var options = new JwtOptions { HmacSecret = Secret, Issuer = HttpAuthFixture.Issuer, Audience = HttpAuthFixture.Audience };
        options = configure?.Invoke(options) ?? options;
        var errors = new List<string>();
        var keys = JwtKeyProvider.Load(options, errors);
        Assert.Empty(errors);
        return new JwtValidator(options, keys, _clock, limits);
    }

    private string Token(params (string Claim, object? Value)[] extra)
    {
        var claims = TestJwt.Claims(_clock.GetUtcNow(), "u");
        foreach (var (claim, value) in extra) claims[claim] = value;
        return TestJwt.Create(TestJwt.Header("HS256"), claims, TestJwt.Hmac(Encoding.UTF8.GetBytes(Secret), HashAlgorithmName.SHA256));
    }

    [Fact]
    public void TheGroupsClaimIsAnArrayOrASeparatedString()
    {
        var v = Validator();
        Assert.Equal(["finance", "Domain Users"], v.Validate(Token(("groups", new[] { "finance", " Domain Users ", "finance" }))).Groups);
        Assert.Equal(["finance", "analysts", "ops"], v.Validate(Token(("groups", "finance analysts,ops ,"))).Groups);
        Assert.Empty(v.Validate(Token()).Groups);
        Assert.Empty(v.Validate(Token(("groups", null))).Groups);
        Assert.Empty(v.Validate(Token(("groups", Array.Empty<string>()))).Groups);
        Assert.True(v.Validate(Token(("groups", "finance"))).Succeeded);
    }

    [Theory]
    [InlineData(42)]
    [InlineData(true)]
    public void AClaimOfAnotherShapeRefusesTheToken(object value)
    {
        var r = Validator().Validate(Token(("groups", value)));
        Assert.False(r.Succeeded);
        Assert.Equal("malformed 'groups' claim (expected an array of strings, or a string of names separated by spaces or commas)", r.Error);
        Assert.Contains("malformed 'groups' claim", Validator().Validate(Token(("groups", new object[] { "a", 1 }))).Error, StringComparison.Ordinal);
        Assert.Contains("malformed 'groups' claim", Validator().Validate(Token(("groups", new Dictionary<string, object> { ["a"] = "b" }))).Error, StringComparison.Ordinal);
    }

    [Fact]
    public void TheClaimNameThePrefixAndNestedClaimsAreConfigurable()
    {
        var roles = Validator(o => o with { GroupsClaim = "realm_access.roles" });
        Assert.Equal(["admin", "user"], roles.Validate(Token(("realm_access", new Dictionary<string, object> { ["roles"] = new[] { "admin", "user" } }))).Groups);
        Assert.Empty(roles.Validate(Token(("realm_access", "flat"), ("groups", new[] { "ignored" }))).Groups);
        // An exact name wins over the path.
        Assert.Equal(["exact"], roles.Validate(Token(("realm_access.roles", new[] { "exact" }))).Groups);

        var cognito = Validator(o => o with { GroupsClaim = "cognito:groups" });
        Assert.Equal(["a"], cognito.Validate(Token(("cognito:groups", new[] { "a" }), ("groups", new[] { "b" }))).Groups);

        var off = Validator(o => o with { GroupsClaim = "" });
        Assert.Empty(off.Validate(Token(("groups", 42))).Groups);

        var prefixed = Validator(o => o with { GroupsPrefix = "gw-" });
        Assert.Equal(["gw-finance", "gw-ops"], prefixed.Validate(Token(("groups", new[] { "finance", "gw-finance", "GW-x", "gw-ops" }))).Groups);
        var stripped = Validator(o => o with { GroupsPrefix = "/", StripGroupsPrefix = true });
        Assert.Equal(["finance", "team/a"], stripped.Validate(Token(("groups", new[] { "/finance", "/team/a", "/", "other" }))).Groups);
    }

    [Fact]
    public void GroupsBeyondTheLimitsRefuseTheTokenAfterThePrefixFilter()
    {
        var limited = Validator(o => o with { GroupsPrefix = "gw-" }, new GroupLimits(2, 10));
        Assert.Equal(["gw-a", "gw-b"], limited.Validate(Token(("groups", new[] { "x1", "x2", "x3", "gw-a", "gw-b" }))).Groups);
        var tooMany = limited.Validate(Token(("groups", "gw-a gw-b gw-c")));
        Assert.Equal("the 'groups' claim is not accepted: more than 2 groups (Gateway:Auth:MaxGroups)", tooMany.Error);
        Assert.Contains("longer than 10 characters", limited.Validate(Token(("groups", "gw-0123456789"))).Error, StringComparison.Ordinal);
    }
}

public class CookieAndTokenGroupsUnitTests
{
    private static readonly byte[] Key = Enumerable.Range(0, 32).Select(i => (byte)(i * 7)).ToArray();

    private static string Signed(string payload)
    {
        var bytes = Encoding.UTF8.GetBytes(payload);
        return Base64Url.EncodeToString(bytes) + "." + Base64Url.EncodeToString(HMACSHA256.HashData(Key, bytes));
    }

    [Fact]
    public void TheCookieCarriesTheGroupsAndStaysInTheOldFormatWithoutThem()
    {
        var clock = new ManualTimeProvider();
        var cookie = new AuthCookie(Key, TimeSpan.FromHours(1), clock);
        var (value, _, _) = cookie.Issue("alice\nwith a newline", groups: ["finance", "Domain Users"]);
        var identity = cookie.Validate(value)!;
        Assert.Equal("alice\nwith a newline", identity.User);
        Assert.Equal(["finance", "Domain Users"], identity.Groups);

        var (plain, _, _) = cookie.Issue("bob", groups: []);
        Assert.StartsWith("1\n", Encoding.UTF8.GetString(Base64Url.DecodeFromChars(plain.AsSpan(0, plain.IndexOf('.', StringComparison.Ordinal)))), StringComparison.Ordinal);
        Assert.Empty(cookie.Validate(plain)!.Groups);
        Assert.Throws<ArgumentException>(() => cookie.Issue("x", groups: ["a\nb"]));

        clock.Advance(TimeSpan.FromHours(2));
        Assert.Null(cookie.Validate(value));
    }

    [Fact]
    public void GroupsCannotBeAddedToACookieAndMalformedOnesAreRejected()
    {
        var clock = new ManualTimeProvider();
        var cookie = new AuthCookie(Key, TimeSpan.FromHours(1), clock, new GroupLimits(2, 16));
        var (value, _, _) = cookie.Issue("bob", groups: ["ops"]);
        var dot = value.IndexOf('.', StringComparison.Ordinal);
        var expiry = clock.GetUtcNow().AddHours(1).ToUnixTimeSeconds();
        // Another payload under bob's signature: the HMAC no longer matches.
        var forged = Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"2\n{expiry}\n2\nops\nfinance\nbob"));
        Assert.Null(cookie.Validate(forged + value[dot..]));

        Assert.Equal(["a", "b"], cookie.Validate(Signed($"2\n{expiry}\n2\na\nb\nbob"))!.Groups);
        foreach (var payload in new[]
        {
            $"2\n{expiry}\n3\na\nb\nc\nbob",     // more than this gateway's limit
            $"2\n{expiry}\n2\na\nbob",           // fewer group lines than the count (the user line is not a group)
            $"2\n{expiry}\n0\nbob",              // version 2 always has groups
            $"2\n{expiry}\nx\na\nbob",
            $"2\n{expiry}\n2\na\na\nbob",        // repeats are never issued
            $"2\n{expiry}\n1\n{new string('g', 17)}\nbob",
            $"2\n{expiry}\n1\na\n",              // no user
        })
        {
            Assert.Null(cookie.Validate(Signed(payload)));
        }
    }

    [Fact]
    public void StaticTokensNameTheirConfiguredGroups()
    {
        var tokens = new StaticTokenAuthenticator(
        [
            new StaticTokenOptions { User = "etl", Token = "aaaaaaaaaaaaaaaaaaaa", Groups = ["finance", " ops "] },
            new StaticTokenOptions { User = "plain", Token = "bbbbbbbbbbbbbbbbbbbb" },
        ]);
        var etl = tokens.Find("aaaaaaaaaaaaaaaaaaaa")!.Value;
        Assert.Equal("etl", etl.User);
        Assert.Equal(["finance", "ops"], etl.Groups);
        Assert.Empty(tokens.Find("bbbbbbbbbbbbbbbbbbbb")!.Value.Groups);
        Assert.Throws<ArgumentException>(() => new StaticTokenAuthenticator([new StaticTokenOptions { User = "x", Token = "cccccccccccccccccccc", Groups = ["a", "b"] }], new GroupLimits(1, 8)));
    }

    private sealed class Passwords : IPasswordAuthenticator
    {
        public string Name => "test";

        public ValueTask<AuthResult> AuthenticateAsync(string user, string password, CancellationToken cancellationToken) =>
            ValueTask.FromResult(password == "pw" ? AuthResult.Ok(user, ["finance"]) : AuthResult.Fail("Invalid user name or password."));
    }

    [Fact]
    public async Task EveryHttpCredentialPassesItsGroupsOn()
    {
        var auth = new HttpAuthenticator(
            new AuthOptions { Mode = AuthMode.PasswordFile },
            new Passwords(),
            new StaticTokenAuthenticator([new StaticTokenOptions { User = "svc", Token = "0123456789abcdef0123", Groups = ["etl"] }]),
            null,
            new AuthCookie(Key, TimeSpan.FromHours(1), TimeProvider.System));
        Assert.Equal(["finance"], (await auth.AuthenticateAsync("Basic " + Convert.ToBase64String("alice:pw"u8), [], default)).Groups);
        Assert.Equal(["etl"], (await auth.AuthenticateAsync("Bearer 0123456789abcdef0123", [], default)).Groups);
        Assert.Equal(["etl"], (await auth.AuthenticateAsync("Basic " + Convert.ToBase64String("token:0123456789abcdef0123"u8), [], default)).Groups);
        var (cookie, _, _) = auth.Cookie!.Issue("carol", groups: ["ops"]);
        var fromCookie = await auth.AuthenticateAsync(null, ["hive.server2.auth=" + cookie], default);
        Assert.True(fromCookie.FromCookie);
        Assert.Equal("carol", fromCookie.User);
        Assert.Equal(["ops"], fromCookie.Groups);
    }
}
