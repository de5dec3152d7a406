using Gateway.Engines;
using Gateway.Engines.HiveServer2;
using Gateway.Protocol.Hive;
using Gateway.Tests.InProcess;
using static Gateway.Tests.Engines.EngineText;

namespace Gateway.Tests.Engines;

/// <summary>What the engine session pool asks of a remote HiveServer2 session: a liveness check and USE by name.</summary>
public sealed partial class HiveServer2EngineTests
{
    [Theory]
    [InlineData(HiveTransportMode.Binary)]
    [InlineData(HiveTransportMode.Http)]
    public async Task ValidateIsFalseOnceTheRemoteIsGone(HiveTransportMode transport)
    {
        var remote = await GatewayInstance.StartAsync(new Dictionary<string, string?> { ["Gateway:DuckDb:DemoData"] = "false" });
        await using var engine = new HiveServer2Engine(fixture.OpenOptions(transport) with { Port = transport == HiveTransportMode.Http ? remote.HttpPort : remote.Port });
        await using var session = await engine.OpenHiveServer2SessionAsync(new EngineSessionOptions("tester"), CancellationToken.None);
        try
        {
            Assert.True(await session.ValidateAsync(CancellationToken.None));
            Assert.Equal("1", await ScalarAsync(session, "SELECT 1"));
        }
        finally
        {
            await remote.DisposeAsync();
        }
        Assert.False(await session.ValidateAsync(CancellationToken.None));
    }

    [Fact]
    public async Task UseDatabaseRunsUseOnTheRemoteAndLeavesTheSessionInPlaceWhenTheDatabaseIsMissing()
    {
        await using var session = await OpenAsync(fixture.OpenOptions(version: TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V10));
        Assert.True(await session.ValidateAsync(CancellationToken.None));
        await session.UseDatabaseAsync("DEMO", CancellationToken.None);
        Assert.Equal("demo", session.CurrentDatabase, ignoreCase: true);
        Assert.Equal("50", await ScalarAsync(session, "SELECT count(*) FROM stores"));

        var missing = await Assert.ThrowsAsync<EngineException>(async () => await session.UseDatabaseAsync("no_such_db", CancellationToken.None));
        Assert.False(missing.Retryable);
        Assert.Equal("demo", session.CurrentDatabase, ignoreCase: true);
        Assert.True(await session.ValidateAsync(CancellationToken.None));

        // The remote's DuckDB names Hive's default database main.
        await session.UseDatabaseAsync("default", CancellationToken.None);
        Assert.Equal("main", session.CurrentDatabase);
    }
}
