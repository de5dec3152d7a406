using Gateway.Engines.HiveServer2;
using Gateway.Server.Sessions;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.InProcess;

/// <summary>
/// An idle HiveServer2 session holds no engine session: the default engine's session is bound by the first statement,
/// and an initial database is checked at OpenSession without binding one (a missing one still fails the open).
/// </summary>
public sealed class SessionBindingInProcessTests : IAsyncLifetime
{
    private GatewayInstance _gateway = null!;

    public async Task InitializeAsync()
    {
        _gateway = await GatewayInstance.StartAsync(new Dictionary<string, string?>
        {
            ["Gateway:DuckDb:DemoData"] = "false",
            ["Gateway:Http:Enabled"] = "false",
        });
        await using var c = await _gateway.ConnectAsync();
        await c.QueryAsync("CREATE SCHEMA IF NOT EXISTS sales");
        await c.QueryAsync("CREATE TABLE IF NOT EXISTS sales.orders AS SELECT 42 AS id");
    }

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    private EngineSessionPool Pool => _gateway.Services.GetRequiredService<EngineSessionPools>().Find("duckdb")!;

    [Fact]
    public async Task AnOpenSessionBindsNoEngineSessionUntilItsFirstStatement()
    {
        var opened = Pool.Opened;
        var inUse = Pool.InUse;
        await using (var c = await _gateway.ConnectAsync())
        {
            Assert.Equal((opened, inUse), (Pool.Opened, Pool.InUse));
            Assert.Equal("1", (await c.QueryAsync("SELECT 1")).Rows.Single()[0]);
            Assert.Equal((opened + 1, inUse + 1), (Pool.Opened, Pool.InUse));
        }
        for (var i = 0; i < 100 && Pool.InUse > inUse; i++) await Task.Delay(20);
        Assert.Equal(inUse, Pool.InUse);
    }

    [Fact]
    public async Task AnInitialDatabaseIsCheckedAtOpenWithoutAnEngineSessionAndUsedByTheFirstStatement()
    {
        var opened = Pool.Opened;
        await using (var c = await _gateway.ConnectAsync(configuration: new Dictionary<string, string> { ["use:database"] = "SALES" }))
        {
            Assert.Equal(opened, Pool.Opened);
            // Unqualified names resolve in the initial database.
            Assert.Equal("42", (await c.QueryAsync("SELECT id FROM orders")).Rows.Single()[0]);
            Assert.Equal("sales", (await c.QueryAsync("SELECT current_database()")).Rows.Single()[0]);
        }

        // A database the engine does not have still fails the open, with the engine's own error.
        var inUse = Pool.InUse;
        var e = await Assert.ThrowsAsync<HiveClientException>(async () =>
            await _gateway.ConnectAsync(configuration: new Dictionary<string, string> { ["use:database"] = "nowhere_to_be_found" }));
        Assert.Contains("nowhere_to_be_found", e.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(inUse, Pool.InUse);
    }
}
