using Gateway.Engines.HiveServer2;
using Gateway.Protocol.Hive;
using Gateway.Server.Engines;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.InProcess;

/// <summary>Several engines in one gateway: choosing one per session (<c>SET gateway.engine</c>) and admission limits.</summary>
public sealed class EngineRegistryInProcessTests : IAsyncLifetime
{
    private GatewayInstance _gateway = null!;

    public async Task InitializeAsync() => _gateway = await GatewayInstance.StartAsync(new Dictionary<string, string?>
    {
        ["Gateway:DuckDb:DemoData"] = "false",
        ["Gateway:Engines:0:Name"] = "scratch",
        ["Gateway:Engines:0:Kind"] = "DuckDb",
        ["Gateway:Engines:0:Database"] = ":memory:",
        ["Gateway:Engines:1:Name"] = "tiny",
        ["Gateway:Engines:1:Kind"] = "DuckDb",
        ["Gateway:Engines:1:Capacity:MaxConcurrent"] = "1",
        ["Gateway:Engines:1:Capacity:MaxQueue"] = "0",
    });

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    [Fact]
    public async Task SetGatewayEngineSendsStatementsToThatEngine()
    {
        await using var c = await _gateway.ConnectAsync();
        var table = $"only_here_{Guid.NewGuid():N}";
        await c.QueryAsync("SET gateway.engine=scratch");
        await using (var op = await c.ExecuteAsync($"CREATE TABLE {table} AS SELECT 7 AS seven"))
        {
            Assert.Contains(await op.FetchLogAsync(), l => l.Contains("Running on engine 'scratch' (gateway.engine=scratch", StringComparison.Ordinal));
        }
        Assert.Equal("7", (await c.QueryAsync($"SELECT seven FROM {table}")).Rows[0][0]);

        // The default engine never saw the table: the statements really ran elsewhere.
        await c.QueryAsync("RESET gateway.engine");
        var missing = await Assert.ThrowsAsync<HiveClientException>(() => c.QueryAsync($"SELECT seven FROM {table}"));
        Assert.Contains(table, missing.Message, StringComparison.Ordinal);
        await using var other = await _gateway.ConnectAsync(configuration: new Dictionary<string, string> { ["gateway.engine"] = "scratch" });
        Assert.Equal("7", (await other.QueryAsync($"SELECT seven FROM {table}")).Rows[0][0]);
    }

    [Fact]
    public async Task SettingAnUnknownEngineFailsWithTheChoicesAndChangesNothing()
    {
        await using var c = await _gateway.ConnectAsync();
        await c.QueryAsync("SET gateway.engine=scratch");
        var e = await Assert.ThrowsAsync<HiveClientException>(() => c.QueryAsync("SET gateway.engine=nope"));
        Assert.Contains("Unknown engine 'nope'", e.Message, StringComparison.Ordinal);
        Assert.Contains("duckdb, scratch, tiny", e.Message, StringComparison.Ordinal);
        Assert.Equal("42000", e.SqlState);
        Assert.Equal("gateway.engine=scratch", (await c.QueryAsync("SET gateway.engine")).Rows[0][0]);
        var kyuubi = await Assert.ThrowsAsync<HiveClientException>(() => c.QueryAsync("SET kyuubi.engine.type=SPARKLE"));
        Assert.Contains("Unknown engine type 'SPARKLE'", kyuubi.Message, StringComparison.Ordinal);
        // A kind is as good as a name.
        await c.QueryAsync("SET gateway.engine=DUCKDB");
        Assert.Equal("1", (await c.QueryAsync("SELECT 1")).Rows[0][0]);
    }

    [Fact]
    public async Task ASaturatedEngineRefusesWithItsLoad()
    {
        var conf = new Dictionary<string, string> { ["gateway.engine"] = "tiny" };
        await using var first = await _gateway.ConnectAsync(configuration: conf);
        await using var second = await _gateway.ConnectAsync(configuration: conf);
        await using var running = await first.StartAsync("SELECT sum(a.range * b.range) FROM range(300000) a, range(300000) b");
        var tiny = _gateway.Services.GetRequiredService<EngineRegistry>().Find("tiny")!;
        for (var i = 0; i < 200 && tiny.Running == 0; i++) await Task.Delay(10);
        Assert.Equal(1, tiny.Running);

        var refused = await Assert.ThrowsAsync<HiveClientException>(() => second.QueryAsync("SELECT 1"));
        Assert.Contains("saturated", refused.Message, StringComparison.Ordinal);
        Assert.Equal("53400", refused.SqlState);

        await first.Client.CancelOperationAsync(new TCancelOperationReq { OperationHandle = running.Handle });
        for (var i = 0; i < 500 && tiny.Running > 0; i++) await Task.Delay(10);
        Assert.Equal(0, tiny.Running);
        Assert.Equal("1", (await second.QueryAsync("SELECT 1")).Rows[0][0]);
    }
}
