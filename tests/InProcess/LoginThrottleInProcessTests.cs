using System.Net;
using Gateway.Engines.HiveServer2;
using Gateway.Server.Auth;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.InProcess;

/// <summary>
/// Failed logins over SASL PLAIN and HTTP (Basic and bearer) count against the user and the address; past the limit
/// even the right password is refused, clearly, until the block ends; a success resets the user; the refusal is logged
/// once per block.
/// </summary>
public sealed class LoginThrottleInProcessTests : IAsyncLifetime
{
    private readonly string _folder = Directory.CreateTempSubdirectory("gw-throttle").FullName;
    private readonly ManualTimeProvider _time = new();
    private readonly CapturingLoggerProvider _logs = new();
    private readonly HttpClient _raw = RawHttp.Client();
    private GatewayInstance _gateway = null!;

    public async Task InitializeAsync()
    {
        PasswordFile.Write(Path.Combine(_folder, "users.txt"), new Dictionary<string, PasswordEntry>
        {
            ["alice"] = new(PasswordHash.Create("alice-pw", 1000)),
            ["bob"] = new(PasswordHash.Create("bob-pw", 1000)),
        });
        _gateway = await GatewayInstance.StartAsync(new Dictionary<string, string?>
        {
            ["Gateway:DuckDb:DemoData"] = "false",
            ["Gateway:Auth:Mode"] = "PasswordFile",
            ["Gateway:Auth:Tokens:0:User"] = "svc",
            ["Gateway:Auth:Tokens:0:Token"] = "0123456789abcdef0123",
            ["Gateway:Auth:Throttle:MaxFailuresPerUser"] = "3",
            ["Gateway:Auth:Throttle:MaxFailuresPerAddress"] = "6",
            ["Gateway:Auth:Throttle:BlockFor"] = "00:01:00",
        }, _folder, _time, s => s.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider>(_logs));
    }

    public async Task DisposeAsync()
    {
        _raw.Dispose();
        await _gateway.DisposeAsync(); // removes the data folder
    }

    private Task<HiveConnection> SaslAsync(string user, string password) => _gateway.ConnectAsync(user, password);

    private Task<HttpResponseMessage> BasicAsync(string user, string password) =>
        RawHttp.PostAsync(_raw, _gateway.HttpUri, RawHttp.OpenSession(), RawHttp.Basic(user, password));

    [Fact]
    public async Task SaslLoginsOfAUserAreBlockedAfterTheLimitEvenWithTheRightPassword()
    {
        for (var i = 0; i < 3; i++)
        {
            var wrong = await Assert.ThrowsAnyAsync<Exception>(() => SaslAsync("alice", "guess" + i));
            Assert.Contains("Invalid user name or password", wrong.Message, StringComparison.Ordinal);
        }
        var blocked = await Assert.ThrowsAnyAsync<Exception>(() => SaslAsync("alice", "alice-pw"));
        Assert.Contains("Too many failed logins for this user", blocked.Message, StringComparison.Ordinal);
        // The same user over HTTP is blocked too, with 429 and Retry-After; another user is not.
        using (var r = await BasicAsync("alice", "alice-pw"))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, r.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(60), r.Headers.RetryAfter?.Delta);
        }
        await using (var bob = await SaslAsync("bob", "bob-pw")) Assert.Equal("1", (await bob.QueryAsync("SELECT 1")).Rows[0][0]);
        Assert.Single(_logs.Lines, l => l.Contains("Logins for user 'alice' blocked after 3 failed attempts", StringComparison.Ordinal));

        _time.Advance(TimeSpan.FromSeconds(61));
        await using var alice = await SaslAsync("alice", "alice-pw");
        Assert.Equal("1", (await alice.QueryAsync("SELECT 1")).Rows[0][0]);
    }

    [Fact]
    public async Task ASuccessfulLoginResetsTheUsersCount()
    {
        for (var round = 0; round < 3; round++)
        {
            using (var r = await BasicAsync("bob", "wrong")) Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
            using (var r = await BasicAsync("bob", "wrong")) Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
            await using var ok = await SaslAsync("bob", "bob-pw");
            // Bob's own count is clear; the address keeps its count (6 per window) until the window closes.
            _time.Advance(TimeSpan.FromMinutes(6));
        }
    }

    [Fact]
    public async Task WrongBearerTokensBlockTheAddress()
    {
        for (var i = 0; i < 6; i++)
        {
            using var r = await RawHttp.PostAsync(_raw, _gateway.HttpUri, RawHttp.OpenSession(), "Bearer not-a-token-" + i);
            Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        }
        using (var r = await RawHttp.PostAsync(_raw, _gateway.HttpUri, RawHttp.OpenSession(), "Bearer 0123456789abcdef0123"))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, r.StatusCode);
            Assert.Contains("Too many failed logins from this address", await r.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        var sasl = await Assert.ThrowsAnyAsync<Exception>(() => SaslAsync("bob", "bob-pw"));
        Assert.Contains("from this address", sasl.Message, StringComparison.Ordinal);
        Assert.Single(_logs.Lines, l => l.Contains("blocked after 6 failed attempts", StringComparison.Ordinal));
    }
}
