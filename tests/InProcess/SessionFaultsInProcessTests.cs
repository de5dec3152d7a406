using Gateway.Engines.HiveServer2;
using Gateway.Protocol.Hive;
using Gateway.Server.Hive;
using Gateway.Server.Sessions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.InProcess;

/// <summary>
/// Faults real clients and probes found: a bad time zone that bricked its session, confOverlay that stuck to the
/// session, a huge queryTimeout, internal exception text reaching clients, constant metadata that leased an engine.
/// </summary>
[Collection(GatewayCollection.Name)]
public class SessionFaultsInProcessTests(GatewayFixture fixture)
{
    private GatewayInstance Gateway => fixture.Gateway;

    private static async Task<TExecuteStatementResp> ExecAsync(HiveConnection c, string sql, Dictionary<string, string>? overlay = null, long? queryTimeout = null) =>
        await c.Client.ExecuteStatementAsync(new TExecuteStatementReq { SessionHandle = c.Session, Statement = sql, RunAsync = false, ConfOverlay = overlay, QueryTimeout = queryTimeout });

    [Fact]
    public async Task AnUnknownTimeZoneIsRefusedWhenSetAndTheSessionGoesOn()
    {
        await using var c = await Gateway.ConnectAsync();
        var bad = await Assert.ThrowsAsync<HiveClientException>(() => c.QueryAsync("SET spark.sql.session.timeZone=Mars/Olympus"));
        Assert.Equal("22023", bad.SqlState);
        Assert.Contains("Mars/Olympus", bad.Message, StringComparison.Ordinal);
        Assert.Equal("1", (await c.QueryAsync("SELECT 1")).Rows[0][0]);
        await c.QueryAsync("SET spark.sql.session.timeZone=Europe/Paris");
        Assert.Equal("2024-01-01 13:00:00", (await c.QueryAsync("SELECT TIMESTAMPTZ '2024-01-01 12:00:00+00'")).Rows[0][0]?[..19]);
        Assert.Equal("22023", (await Assert.ThrowsAsync<HiveClientException>(() => c.QueryAsync("SET hive.local.time.zone=Nowhere"))).SqlState);
        Assert.Equal("22023", (await Assert.ThrowsAsync<HiveClientException>(() => c.QueryAsync("SET hive.variable.substitute=maybe"))).SqlState);

        var open = await Assert.ThrowsAsync<HiveClientException>(() => Gateway.ConnectAsync(configuration: new Dictionary<string, string> { ["set:hiveconf:spark.sql.session.timeZone"] = "Mars/Olympus" }));
        Assert.Contains("Mars/Olympus", open.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConfOverlayAppliesToItsStatementOnly()
    {
        await using var c = await Gateway.ConnectAsync();
        var withOverlay = await ExecAsync(c, "SELECT '${hiveconf:region}' AS r", new() { ["set:hiveconf:region"] = "emea" });
        Assert.Equal(TStatusCode.SUCCESS_STATUS, withOverlay.Status!.StatusCode);
        await using (var op = new HiveOperation(c, withOverlay.OperationHandle!))
        {
            Assert.Equal("emea", (await op.ReadAllAsTextAsync()).Rows[0][0]);
        }
        Assert.Equal("region is undefined", (await c.QueryAsync("SET region")).Rows[0][0]);
        Assert.Equal("${hiveconf:region}", (await c.QueryAsync("SELECT '${hiveconf:region}'")).Rows[0][0]);
        var bad = await ExecAsync(c, "SELECT 1", new() { ["spark.sql.session.timeZone"] = "Mars/Olympus" });
        Assert.Equal(TStatusCode.ERROR_STATUS, bad.Status!.StatusCode);
        Assert.Equal("22023", bad.Status.SqlState);
        Assert.Equal("1", (await c.QueryAsync("SELECT 1")).Rows[0][0]);
    }

    [Fact]
    public async Task AHugeQueryTimeoutIsCutToTheLimitAndANegativeOneRefused()
    {
        await using var c = await Gateway.ConnectAsync();
        var huge = await ExecAsync(c, "SELECT 5", queryTimeout: long.MaxValue);
        Assert.Equal(TStatusCode.SUCCESS_STATUS, huge.Status!.StatusCode);
        await using (var op = new HiveOperation(c, huge.OperationHandle!)) Assert.Equal("5", (await op.ReadAllAsTextAsync()).Rows[0][0]);
        var negative = await ExecAsync(c, "SELECT 5", queryTimeout: -1);
        Assert.Equal("22023", negative.Status!.SqlState);
        Assert.Contains("queryTimeout", negative.Status.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConstantMetadataNeverLeasesAnEngineSession()
    {
        await using var c = await Gateway.ConnectAsync();
        var pool = Gateway.Services.GetRequiredService<SessionManager>().Pools.Find("duckdb")!;
        await c.QueryAsync("SELECT 1");
        var before = pool.Opened + pool.Reused;
        foreach (var runAsync in new[] { false, true })
        {
            var types = await c.Client.GetTypeInfoAsync(new TGetTypeInfoReq { SessionHandle = c.Session, RunAsync = runAsync });
            Assert.Equal(TStatusCode.SUCCESS_STATUS, types.Status!.StatusCode);
            await using (var op = new HiveOperation(c, types.OperationHandle!)) Assert.NotEmpty((await op.ReadAllAsTextAsync()).Rows);
            var tableTypes = await c.Client.GetTableTypesAsync(new TGetTableTypesReq { SessionHandle = c.Session, RunAsync = runAsync });
            await using (var op = new HiveOperation(c, tableTypes.OperationHandle!)) Assert.Contains((await op.ReadAllAsTextAsync()).Rows, r => r[0] == "TABLE");
        }
        Assert.Equal(before, pool.Opened + pool.Reused);
    }

    [Fact]
    public void ClientsNeverSeeAnInternalExceptionAndTheLogKeepsIt()
    {
        var logs = new CapturingLoggerProvider();
        var logger = logs.CreateLogger("test");
        var status = StatusMapper.FromException(new InvalidOperationException("connection string Password=hunter2 at /srv/secret"), logger);
        Assert.Equal("HY000", status.SqlState);
        Assert.DoesNotContain("hunter2", status.ErrorMessage, StringComparison.Ordinal);
        Assert.DoesNotContain("InvalidOperationException", status.ErrorMessage, StringComparison.Ordinal);
        var reference = status.ErrorMessage!.Split("reference ")[1][..8];
        Assert.Contains(logs.Lines, l => l.Contains(reference, StringComparison.Ordinal) && l.Contains("Error", StringComparison.Ordinal));

        var refused = StatusMapper.FromException(new GatewayException("Cannot open the session: no.", "08001", 0, inner: new IOException("socket /run/x.sock refused")), logger);
        Assert.Equal("Cannot open the session: no.", refused.ErrorMessage);
        Assert.Equal("08001", refused.SqlState);
        Assert.Contains(logs.Lines, l => l.Contains("Refused a call (08001)", StringComparison.Ordinal));
    }
}
