using System.Diagnostics;
using Gateway.Engines.HiveServer2;
using Gateway.Server.Engines;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Gateway.Tests.InProcess;

/// <summary>
/// One user who starts many statements and reads none of them (a careless BI tool, or a hostile client) cannot lock
/// the others out of the embedded engine: they hold at most their share of its slots.
/// </summary>
public sealed class FairShareInProcessTests : IAsyncLifetime
{
    private GatewayInstance _gateway = null!;

    public async Task InitializeAsync() => _gateway = await GatewayInstance.StartAsync(new Dictionary<string, string?>
    {
        // The defaults (32 slots, half per user), with a short wait so that the hog's queued work times out in the test.
        ["Gateway:Engines:0:Name"] = "duckdb",
        ["Gateway:Engines:0:Capacity:QueueTimeout"] = "00:00:03",
    });

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    private RegisteredEngine DuckDb => _gateway.Services.GetRequiredService<EngineRegistry>().Find("duckdb")!;

    private async Task WaitForRunning(string user, int count)
    {
        for (var i = 0; i < 500 && DuckDb.RunningByUser.GetValueOrDefault(user) < count; i++) await Task.Delay(10);
        Assert.Equal(count, DuckDb.RunningByUser.GetValueOrDefault(user));
    }

    [Fact]
    public async Task ThirtyTwoUnreadStatementsOfOneUserLeaveRoomForAnother()
    {
        await using var hog = await _gateway.ConnectAsync(user: "hog");
        var unread = new List<HiveOperation>();
        for (var i = 0; i < 32; i++) unread.Add(await hog.StartAsync("SELECT * FROM range(10000000)"));
        await WaitForRunning("hog", 16);
        Assert.Equal(16, DuckDb.Queued);

        await using var other = await _gateway.ConnectAsync(user: "analyst");
        var watch = Stopwatch.StartNew();
        Assert.Equal("1", (await other.QueryAsync("SELECT 1")).Rows[0][0]);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2.5), $"SELECT 1 took {watch.Elapsed}, before the hog's queue times out");

        // The hog's own waiting work ends with its own cap named, not the engine's.
        var status = await unread[31].StatusAsync();
        for (var i = 0; i < 100 && status.OperationState is not Gateway.Protocol.Hive.TOperationState.ERROR_STATE; i++)
        {
            await Task.Delay(100);
            status = await unread[31].StatusAsync();
        }
        Assert.Equal(Gateway.Protocol.Hive.TOperationState.ERROR_STATE, status.OperationState);
        Assert.Equal("53400", status.SqlState);
        Assert.Contains("User 'hog' already has 16 statements holding engine 'duckdb', its per-user cap (Capacity:MaxPerUser = 16)", status.ErrorMessage, StringComparison.Ordinal);

        // Reading or closing gives the slots back.
        foreach (var op in unread) await op.DisposeAsync();
        for (var i = 0; i < 500 && DuckDb.Running > 0; i++) await Task.Delay(10);
        Assert.Equal((0, 0), DuckDb.Load);
    }

    [Fact]
    public async Task AbandonedHttpClientsHoldOnlyTheirUsersShare()
    {
        // HTTP sessions outlive their clients: these are never closed, and their results never read to the end.
        var abandoned = new List<HiveConnection>();
        for (var i = 0; i < 32; i++)
        {
            var c = await _gateway.ConnectHttpAsync(user: "dashboard");
            var op = await c.StartAsync("SELECT * FROM range(10000000)");
            // Those that got a slot read a little (the rest wait in line).
            if (i < 16) await op.FetchAsync(10);
            abandoned.Add(c);
        }
        await WaitForRunning("dashboard", 16);

        await using var other = await _gateway.ConnectHttpAsync(user: "analyst");
        Assert.Equal("1", (await other.QueryAsync("SELECT 1")).Rows[0][0]);
        foreach (var c in abandoned) await c.DisposeAsync();
    }
}
