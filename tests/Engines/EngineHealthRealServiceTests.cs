using System.Globalization;
using Gateway.Engines;
using Gateway.Engines.DuckDb;
using Gateway.Engines.HiveServer2;
using Gateway.Engines.Postgres;
using Gateway.Server.Engines;
using Gateway.Tests.InProcess;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Engines;

/// <summary>
/// Engine health against real engines: each adapter's check, and a gateway whose health monitor follows a remote
/// gateway process that is killed and replaced, and a PostgreSQL engine on a closed port.
/// </summary>
public sealed class EngineHealthRealServiceTests
{
    private const string RemoteUser = "gw";
    private const string RemotePassword = "gw-secret";

    private static readonly Dictionary<string, string> RemoteUsers = new() { [RemoteUser] = RemotePassword };

    private static string S(int v) => v.ToString(CultureInfo.InvariantCulture);

    /// <summary>A gateway whose engine "remote" is the HiveServer2 gateway process on <paramref name="port"/>.</summary>
    private static Task<GatewayInstance> GatewayWithRemoteAsync(int port, string interval, Dictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Gateway:DuckDb:DemoData"] = "false",
            ["Gateway:Http:Enabled"] = "false",
            ["Gateway:Engines:0:Name"] = "remote",
            ["Gateway:Engines:0:Kind"] = "HiveServer2",
            ["Gateway:Engines:0:HiveServer2:Host"] = "127.0.0.1",
            ["Gateway:Engines:0:HiveServer2:Port"] = S(port),
            ["Gateway:Engines:0:HiveServer2:Auth"] = "SaslPlain",
            ["Gateway:Engines:0:HiveServer2:User"] = RemoteUser,
            ["Gateway:Engines:0:HiveServer2:Password"] = RemotePassword,
            ["Gateway:Engines:0:Health:Interval"] = interval,
            ["Gateway:Engines:0:Health:Timeout"] = "00:00:10",
        };
        foreach (var (k, v) in more ?? []) settings[k] = v;
        return GatewayInstance.StartAsync(settings);
    }

    [Fact]
    public async Task AKilledRemoteGatewayProcessIsUnhealthyUntilANewOneListensOnItsPort()
    {
        var first = await GatewayProcess.StartAsync(tls: false, RemoteUsers);
        var port = first.BinaryPort;
        await using var gateway = await GatewayWithRemoteAsync(port, "00:00:00.2");
        var registry = gateway.Services.GetRequiredService<EngineRegistry>();
        var remote = registry.Find("remote")!;
        var embedded = registry.Find("duckdb")!;
        try
        {
            await EngineHealthMonitorInProcessTests.UntilAsync(() => remote.LastProbe is not null && embedded.LastProbe is not null, "the first probes");
            Assert.True(remote.Healthy, remote.HealthDetail);
            Assert.StartsWith("ok (Spark SQL), ", remote.HealthDetail, StringComparison.Ordinal);
            // The embedded engine is probed too.
            Assert.True(embedded.Healthy);
            Assert.StartsWith("ok, ", embedded.HealthDetail, StringComparison.Ordinal);

            first.Kill();
            await EngineHealthMonitorInProcessTests.UntilAsync(() => !remote.Healthy, () => $"unhealthy once the remote is gone ({remote.HealthDetail})");
            Assert.Contains($"127.0.0.1:{port}", remote.HealthDetail, StringComparison.Ordinal);
            Assert.Contains("Connection refused", remote.HealthDetail, StringComparison.OrdinalIgnoreCase);
            Assert.True(embedded.Healthy);
        }
        finally
        {
            await first.DisposeAsync();
        }

        await using var second = await GatewayProcess.StartAsync(tls: false, RemoteUsers, binaryPort: port);
        Assert.Equal(port, second.BinaryPort);
        await EngineHealthMonitorInProcessTests.UntilAsync(() => remote.Healthy, () => $"healthy again with a new remote on port {port} ({remote.HealthDetail})");
        Assert.StartsWith("ok (Spark SQL), ", remote.HealthDetail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AStatementThatLosesTheRemoteMarksItUnhealthyWithoutWaitingForTheInterval()
    {
        await using var process = await GatewayProcess.StartAsync(tls: false, RemoteUsers);
        // After the start-up probe the next one is an hour away: only the failed statement can bring it forward.
        await using var gateway = await GatewayWithRemoteAsync(process.BinaryPort, "01:00:00");
        var remote = gateway.Services.GetRequiredService<EngineRegistry>().Find("remote")!;
        await EngineHealthMonitorInProcessTests.UntilAsync(() => remote.LastProbe is not null, "the start-up probe");
        var startupProbe = remote.LastProbe;

        await using var client = await gateway.ConnectAsync(configuration: new Dictionary<string, string> { ["gateway.engine"] = "remote" });
        Assert.Equal("1", (await client.QueryAsync("SELECT 1")).Rows[0][0]);
        process.Kill();
        var e = await Assert.ThrowsAsync<HiveClientException>(() => client.QueryAsync("SELECT 2"));
        Assert.StartsWith("08", e.SqlState, StringComparison.Ordinal);

        // The report is one failure, the early probe it asked for the second.
        await EngineHealthMonitorInProcessTests.UntilAsync(() => !remote.Healthy, () => $"unhealthy after the failed statement ({remote.HealthDetail})");
        Assert.NotEqual(startupProbe, remote.LastProbe);
        Assert.Contains("Connection refused", remote.HealthDetail, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task APostgresEngineOnAClosedPortIsUnhealthyWithAClearDetail()
    {
        var closedPort = HiveServer2EngineTests.FreePort();
        await using (var down = new PostgresEngine(new PostgresEngineOptions { Name = "pg-down", Host = "127.0.0.1", Port = closedPort, Database = "gateway", User = "gateway", Password = "x" }))
        {
            var report = await down.CheckHealthAsync(CancellationToken.None);
            Assert.False(report.Healthy);
            Assert.Contains($"127.0.0.1:{closedPort}", report.Detail, StringComparison.Ordinal);
            Assert.Contains("Connection refused", report.Detail, StringComparison.OrdinalIgnoreCase);
        }
        await using (var up = new PostgresEngine(PostgresTestServer.Options("pg-health")))
        {
            var report = await up.CheckHealthAsync(CancellationToken.None);
            Assert.True(report.Healthy, report.Detail);
            Assert.StartsWith("ok, ", report.Detail, StringComparison.Ordinal);
            Assert.True(report.Latency > TimeSpan.Zero);
        }

        // Registered in a gateway, the monitor takes it out of routing.
        await using var gateway = await GatewayInstance.StartAsync(new Dictionary<string, string?>
        {
            ["Gateway:DuckDb:DemoData"] = "false",
            ["Gateway:Http:Enabled"] = "false",
            ["Gateway:Engines:0:Name"] = "pg-down",
            ["Gateway:Engines:0:Kind"] = "Postgres",
            ["Gateway:Engines:0:Postgres:Host"] = "127.0.0.1",
            ["Gateway:Engines:0:Postgres:Port"] = S(closedPort),
            ["Gateway:Engines:0:Postgres:Database"] = "gateway",
            ["Gateway:Engines:0:Postgres:User"] = "gateway",
            ["Gateway:Engines:0:Health:Interval"] = "00:00:00.1",
            ["Gateway:Engines:1:Name"] = "pg",
            ["Gateway:Engines:1:Kind"] = "Postgres",
            ["Gateway:Engines:1:Postgres:ConnectionString"] = PostgresTestServer.ConnectionString,
            ["Gateway:Engines:1:Health:Interval"] = "00:00:00.1",
        });
        var registry = gateway.Services.GetRequiredService<EngineRegistry>();
        var pgDown = registry.Find("pg-down")!;
        var pg = registry.Find("pg")!;
        await EngineHealthMonitorInProcessTests.UntilAsync(() => !pgDown.Healthy, () => $"the closed port unhealthy ({pgDown.HealthDetail})");
        Assert.StartsWith("Could not connect to PostgreSQL", pgDown.HealthDetail, StringComparison.Ordinal);
        Assert.Contains("Connection refused", pgDown.HealthDetail, StringComparison.OrdinalIgnoreCase);
        await EngineHealthMonitorInProcessTests.UntilAsync(() => pg.LastProbe is not null, "the real server probed");
        Assert.True(pg.Healthy, pg.HealthDetail);
    }

    [Fact]
    public async Task DuckDbIsHealthyWhileItsDatabaseIsOpen()
    {
        var engine = new DuckDbEngine(DuckDbEngineOptions.InMemory());
        var report = await engine.CheckHealthAsync(CancellationToken.None);
        Assert.True(report.Healthy, report.Detail);
        Assert.StartsWith("ok, ", report.Detail, StringComparison.Ordinal);
        await engine.DisposeAsync();
        report = await engine.CheckHealthAsync(CancellationToken.None);
        Assert.False(report.Healthy);
        Assert.Equal("the database is closed", report.Detail);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await engine.CheckHealthAsync(new CancellationToken(canceled: true)));
    }
}
