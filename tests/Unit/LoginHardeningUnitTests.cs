using System.Net;
using Gateway.Server.Auth;
using Gateway.Server.Configuration;
using Gateway.Tests.InProcess;

namespace Gateway.Tests.Unit;

public sealed class LoginHardeningUnitTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("gw-login").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task AnUnknownUserCostsThePbkdf2WorkOfTheFilesUsers()
    {
        var path = Path.Combine(_folder, "users.txt");
        var auth = new PasswordFileAuthenticator(path, TimeProvider.System);
        // No file yet: the default, which is what `gateway user add` hashes with.
        Assert.Equal(PasswordHash.DefaultIterations, auth.DecoyIterations);
        PasswordFile.Write(path, new Dictionary<string, PasswordEntry>
        {
            ["a"] = new(PasswordHash.Create("pa", 1000)),
            ["b"] = new(PasswordHash.Create("pb", 1000)),
            ["c"] = new(PasswordHash.Create("pc", 5000)),
        });
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddSeconds(5));
        Assert.Equal(1000, auth.DecoyIterations);
        Assert.False((await auth.AuthenticateAsync("nobody", "pa", CancellationToken.None)).Succeeded);
        Assert.Equal("Invalid user name or password.", (await auth.AuthenticateAsync("nobody", "pa", CancellationToken.None)).Error);
        Assert.Equal("Invalid user name or password.", (await auth.AuthenticateAsync("a", "wrong", CancellationToken.None)).Error);
        Assert.True((await auth.AuthenticateAsync("a", "pa", CancellationToken.None)).Succeeded);
    }

    [Fact]
    public void TypicalIterationsIsTheMostCommonCount()
    {
        PasswordHash H(int n) => new(n, [1], [1]);
        Assert.Equal(PasswordHash.DefaultIterations, PasswordHash.TypicalIterations([]));
        Assert.Equal(7, PasswordHash.TypicalIterations([H(7), H(9), H(7)]));
        Assert.Equal(9, PasswordHash.TypicalIterations([H(7), H(9)]));
    }

    [Fact]
    public void ADecoyMatchesNoPassword()
    {
        var decoy = PasswordHash.Decoy(10);
        Assert.False(decoy.Verify(""));
        Assert.False(decoy.Verify("dummy-password"));
        Assert.NotEqual(PasswordHash.Decoy(10).Salt, decoy.Salt);
    }

    private static readonly IPAddress A = IPAddress.Parse("10.0.0.1");
    private static readonly IPAddress B = IPAddress.Parse("10.0.0.2");

    private static (LoginThrottle Throttle, ManualTimeProvider Time) Throttle(int perUser = 3, int perAddress = 5, int maxTracked = 100)
    {
        var time = new ManualTimeProvider();
        return (new LoginThrottle(new LoginThrottleOptions
        {
            MaxFailuresPerUser = perUser,
            MaxFailuresPerAddress = perAddress,
            Window = TimeSpan.FromMinutes(5),
            BlockFor = TimeSpan.FromMinutes(1),
            MaxTracked = maxTracked,
        }, time), time);
    }

    [Fact]
    public void AUserIsBlockedAfterTheLimitFromAnyAddressUntilTheBlockEnds()
    {
        var (t, time) = Throttle();
        for (var i = 0; i < 2; i++) t.RecordFailure("alice", i == 0 ? A : B, "x");
        Assert.Null(t.Refusal("alice", A));
        t.RecordFailure("alice", B, "x");
        Assert.Equal("Too many failed logins for this user; try again in 60 s.", t.Refusal("alice", IPAddress.Parse("10.9.9.9")));
        Assert.Null(t.Refusal("bob", A));
        time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(TimeSpan.FromSeconds(1), t.RetryAfter("alice", null));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(t.Refusal("alice", A));
        // Counting starts again after a block.
        t.RecordFailure("alice", A, "x");
        Assert.Null(t.Refusal("alice", A));
    }

    [Fact]
    public void AnAddressIsBlockedAfterItsLimitWhateverTheUserNames()
    {
        var (t, _) = Throttle();
        foreach (var user in new[] { "u1", "u2", "u3", "u4", "u5" }) t.RecordFailure(user, A, "x");
        Assert.Equal("Too many failed logins from this address; try again in 60 s.", t.Refusal("someone-else", A));
        Assert.Null(t.Refusal("someone-else", B));
        // An IPv4 client seen through a dual-stack socket is the same address.
        Assert.NotNull(t.Refusal(null, A.MapToIPv6()));
    }

    [Fact]
    public void ASuccessClearsTheUsersCountButNotTheAddresses()
    {
        var (t, _) = Throttle(perUser: 3, perAddress: 4);
        t.RecordFailure("alice", A, "x");
        t.RecordFailure("alice", A, "x");
        t.RecordSuccess("alice");
        t.RecordFailure("alice", A, "x");
        t.RecordFailure("alice", A, "x");
        Assert.Null(t.Refusal("alice", B));
        Assert.NotNull(t.Refusal("bob", A));
    }

    [Fact]
    public void FailuresOutsideTheWindowDoNotAddUp()
    {
        var (t, time) = Throttle();
        t.RecordFailure("alice", null, "x");
        t.RecordFailure("alice", null, "x");
        time.Advance(TimeSpan.FromMinutes(6));
        t.RecordFailure("alice", null, "x");
        Assert.Null(t.Refusal("alice", null));
    }

    [Fact]
    public void AFloodOfDistinctNamesStaysBoundedAndKeepsActiveBlocks()
    {
        var (t, _) = Throttle(perUser: 1, perAddress: 1_000_000, maxTracked: 100);
        t.RecordFailure("victim", null, "x");
        for (var i = 0; i < 10_000; i++) t.RecordFailure(null, new IPAddress(0x0A000000u + (uint)i), "x");
        Assert.InRange(t.Tracked, 1, 100);
        Assert.NotNull(t.Refusal("victim", null));
    }

    [Fact]
    public void ADisabledThrottleNeverRefuses()
    {
        var t = LoginThrottle.Disabled;
        for (var i = 0; i < 100; i++) t.RecordFailure("alice", A, "x");
        Assert.Null(t.Refusal("alice", A));
    }

    [Fact]
    public void ThrottleSettingsAreValidated()
    {
        var errors = GatewayOptionsValidation.Validate(new GatewayOptions
        {
            Auth = new AuthOptions { Throttle = new LoginThrottleOptions { MaxFailuresPerUser = 0, Window = TimeSpan.Zero, MaxTracked = 1 } },
        });
        Assert.Contains(errors, e => e.Contains("Throttle:MaxFailuresPerUser", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("Throttle:Window", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("Throttle:MaxTracked", StringComparison.Ordinal));
    }
}

public sealed class LdapEscapingUnitTests
{
    [Theory]
    [InlineData("alice", "alice")]
    [InlineData("a,b", "a\\,b")]
    [InlineData("x+y=z", "x\\+y\\=z")]
    [InlineData("#lead", "\\#lead")]
    [InlineData(" both ", "\\ both\\ ")]
    [InlineData("q\"<>;\\", "q\\\"\\<\\>\\;\\\\")]
    public void DnValuesAreEscaped(string value, string escaped) => Assert.Equal(escaped, LdapAuthenticator.EscapeDnValue(value));

    [Theory]
    [InlineData("alice", "alice")]
    [InlineData("*", "\\2a")]
    [InlineData("a)(uid=*", "a\\29\\28uid=\\2a")]
    [InlineData("back\\slash", "back\\5cslash")]
    public void FilterValuesAreEscaped(string value, string escaped) => Assert.Equal(escaped, LdapAuthenticator.EscapeFilterValue(value));

    [Theory]
    [InlineData("cn=finance,ou=groups,dc=example,dc=com", "finance")]
    [InlineData("CN=Data Team\\, EMEA,OU=Groups,DC=corp", "Data Team, EMEA")]
    [InlineData("plain-name", "plain-name")]
    public void GroupNamesComeFromTheFirstRdn(string value, string name) => Assert.Equal(name, LdapAuthenticator.GroupName(value));

    [Fact]
    public void LdapSettingsAreValidated()
    {
        var errors = GatewayOptionsValidation.Validate(new GatewayOptions
        {
            Auth = new AuthOptions { Mode = AuthMode.Ldap, Ldap = new LdapOptions { Urls = ["http://x"], UserDnPattern = "uid=alice", BindDn = "cn=svc" } },
        });
        Assert.Contains(errors, e => e.Contains("is not ldap://host", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("not both", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("UserDnPattern must contain {0}", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("BindPassword is required", StringComparison.Ordinal));
        var chain = GatewayOptionsValidation.Validate(new GatewayOptions { Auth = new AuthOptions { Mode = AuthMode.Chain } });
        Assert.Contains(chain, e => e.Contains("Gateway:Auth:Chain must list", StringComparison.Ordinal));
    }
}
