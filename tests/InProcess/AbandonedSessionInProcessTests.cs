using Gateway.Engines.HiveServer2;
using Gateway.Server.Engines;
using Gateway.Server.Sessions;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Gateway.Tests.InProcess;

/// <summary>
/// HTTP sessions outlive their clients: one that nobody closes is closed after Limits:HttpSessionIdleTimeout, and with it
/// go its operations, its engine slots and its place in the user's session limit, within a sweep of the deadline.
/// </summary>
public sealed class AbandonedSessionInProcessTests : IAsyncLifetime
{
    private GatewayInstance _gateway = null!;

    public async Task InitializeAsync() => _gateway = await GatewayInstance.StartAsync(new Dictionary<string, string?>
    {
        ["Gateway:Limits:HttpSessionIdleTimeout"] = "00:00:02",
        ["Gateway:Limits:SweepInterval"] = "00:00:00.200",
        ["Gateway:Limits:MaxSessionsPerUser"] = "2",
        // Long enough that the session timeout, not the unread-result reclaim, is what frees the slots here.
        ["Gateway:Limits:UnreadResultTimeout"] = "00:10:00",
    });

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    [Fact]
    public async Task AnAbandonedHttpSessionFreesItsSlotsAndItsPlaceWithinTheConfiguredTime()
    {
        var engine = _gateway.Services.GetRequiredService<EngineRegistry>().Default;
        var sessions = _gateway.Services.GetRequiredService<SessionManager>();
        var before = sessions.SessionCount;
        var abandoned = new List<HiveConnection>();
        for (var i = 0; i < 2; i++)
        {
            var c = await _gateway.ConnectHttpAsync(user: "gone");
            var op = await c.StartAsync("SELECT * FROM range(10000000)");
            await op.FetchAsync(10);
            abandoned.Add(c);
        }
        Assert.Equal(2, engine.Running);
        // The user's session limit is reached while the abandoned sessions live.
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => _gateway.ConnectHttpAsync(user: "gone"));
        Assert.Contains("User 'gone' already has 2 open sessions (limit 2)", refused.Message, StringComparison.Ordinal);

        // Nobody touches them: 2 s idle plus a sweep, and everything they held is free.
        var started = DateTime.UtcNow;
        while ((engine.Running > 0 || sessions.SessionCount > before) && DateTime.UtcNow - started < TimeSpan.FromSeconds(10)) await Task.Delay(50);
        Assert.Equal(0, engine.Running);
        Assert.Equal(before, sessions.SessionCount);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5), $"freed after {(DateTime.UtcNow - started).TotalSeconds:F1} s");

        // The user may log in again; the old handles are gone, not someone else's.
        await using var again = await _gateway.ConnectHttpAsync(user: "gone");
        Assert.Equal("1", (await again.QueryAsync("SELECT 1")).Rows[0][0]);
        await Assert.ThrowsAsync<HiveClientException>(() => abandoned[0].QueryAsync("SELECT 1"));
        foreach (var c in abandoned)
        {
            try { await c.DisposeAsync(); }
            catch (HiveClientException) { /* its session was closed by the gateway */ }
        }
    }
}
