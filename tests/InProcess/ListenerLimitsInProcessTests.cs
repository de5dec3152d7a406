using System.Buffers.Binary;
using System.Net.Sockets;
using Gateway.Engines.HiveServer2;
using Gateway.Protocol.Hive;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.InProcess;

/// <summary>
/// The binary listener's clocks (handshake, a started message, idle between calls) and the bounds on a session's
/// configuration and on admission, each while another client keeps working.
/// </summary>
public sealed class ListenerLimitsInProcessTests : IAsyncLifetime
{
    private readonly CapturingLoggerProvider _logs = new();
    private GatewayInstance _gateway = null!;
    private HiveConnection _other = null!;

    public async Task InitializeAsync()
    {
        _gateway = await GatewayInstance.StartAsync(new Dictionary<string, string?>
        {
            ["Gateway:DuckDb:DemoData"] = "false",
            ["Gateway:Binary:HandshakeTimeout"] = "00:00:01",
            ["Gateway:Binary:MessageTimeout"] = "00:00:01",
            ["Gateway:Binary:IdleTimeout"] = "00:00:02",
            ["Gateway:Limits:StatusLongPoll"] = "00:00:03",
            ["Gateway:Limits:MaxSessionSettings"] = "8",
            ["Gateway:Limits:MaxSessionSettingsChars"] = "400",
            ["Logging:LogLevel:Default"] = "Information",
        }, services: s => s.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider>(_logs));
        _other = await _gateway.ConnectAsync("other");
    }

    public async Task DisposeAsync()
    {
        await _other.DisposeAsync();
        await _gateway.DisposeAsync();
    }

    private async Task<Socket> RawAsync()
    {
        var s = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await s.ConnectAsync("127.0.0.1", _gateway.Port);
        return s;
    }

    /// <summary>Seconds until the server closes the connection (read returns 0 or resets); fails after 20 s.</summary>
    private static async Task<double> SecondsUntilClosedAsync(Socket s, Func<Task>? meanwhile = null)
    {
        var started = DateTime.UtcNow;
        var buffer = new byte[4096];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var receive = Task.Run(async () =>
        {
            try
            {
                while (await s.ReceiveAsync(buffer, SocketFlags.None, cts.Token) > 0)
                {
                }
            }
            catch (SocketException)
            {
            }
        });
        if (meanwhile is not null) await meanwhile();
        await receive.WaitAsync(TimeSpan.FromSeconds(20));
        return (DateTime.UtcNow - started).TotalSeconds;
    }

    private async Task OtherStillWorksAsync() => Assert.Equal("7", (await _other.QueryAsync("SELECT 7")).Rows[0][0]);

    [Fact]
    public async Task ASilentConnectionIsClosedAfterTheHandshakeTimeout()
    {
        using var s = await RawAsync();
        Assert.InRange(await SecondsUntilClosedAsync(s), 0.5, 15);
        Assert.Contains(_logs.Lines, l => l.Contains("closed: no completed handshake within 1 s", StringComparison.Ordinal));
        await OtherStillWorksAsync();
    }

    [Fact]
    public async Task ATricklingSaslHandshakeIsClosedAfterTheHandshakeTimeoutNotPerByte()
    {
        using var s = await RawAsync();
        // A SASL START frame one byte every 300 ms: each byte would reset a per-read clock; the handshake's does not reset.
        var start = new byte[] { 0x01, 0, 0, 0, 5, (byte)'P', (byte)'L', (byte)'A', (byte)'I', (byte)'N' };
        var seconds = await SecondsUntilClosedAsync(s, async () =>
        {
            foreach (var b in start)
            {
                // Closed (readable with nothing to read): stop, so the other connection is not left idle past its own 2 s.
                if (s.Poll(0, SelectMode.SelectRead) && s.Available == 0) return;
                try
                {
                    await s.SendAsync(new[] { b }, SocketFlags.None);
                }
                catch (SocketException)
                {
                    return;
                }
                await Task.Delay(300);
            }
        });
        Assert.InRange(seconds, 0.5, 15);
        await OtherStillWorksAsync();
    }

    [Fact]
    public async Task AStartedMessageMustArriveWithinTheMessageTimeout()
    {
        // No-SASL: a whole first message ends the handshake; then a frame that starts and never ends.
        await using var noSasl = await HiveConnection.OpenAsync(new HiveConnectionOptions { Port = _gateway.Port, Auth = HiveAuthMode.NoSasl, User = "n" });
        Assert.Equal("1", (await noSasl.QueryAsync("SELECT 1")).Rows[0][0]);
        using var s = await RawAsync();
        var open = RawHttp.OpenSession("slow");
        await s.SendAsync(open, SocketFlags.None);
        var reply = new byte[4096];
        Assert.True(await s.ReceiveAsync(reply, SocketFlags.None) > 0);
        await s.SendAsync(open.AsMemory(0, 10), SocketFlags.None);
        Assert.InRange(await SecondsUntilClosedAsync(s), 0.5, 15);
        Assert.Contains(_logs.Lines, l => l.Contains("no rest of a started message within 1 s", StringComparison.Ordinal));
        await OtherStillWorksAsync();
    }

    [Fact]
    public async Task AnIdleConnectionIsClosedButALongCallIsNotIdle()
    {
        await using var c = await _gateway.ConnectAsync("idler");
        // A synchronous statement that takes longer than the idle timeout: the gateway's time, not the client's.
        // GetOperationStatus on a running statement is held by the gateway for StatusLongPoll (3 s here, longer than the
        // 2 s idle timeout): the gateway's time, not the client's.
        var op = await c.StartAsync("SELECT count(*) FROM range(3000) a, range(3000) b, range(3000) c WHERE a.range + b.range + c.range < 0");
        var started = DateTime.UtcNow;
        var status = await op.StatusAsync();
        Assert.True(DateTime.UtcNow - started > TimeSpan.FromSeconds(2.5), $"the status call returned after {(DateTime.UtcNow - started).TotalSeconds:0.0} s in state {status.OperationState}");
        Assert.Equal(TOperationState.RUNNING_STATE, status.OperationState);
        await op.CancelAsync();
        Assert.Equal("1", (await c.QueryAsync("SELECT 1")).Rows[0][0]);
        await Task.Delay(TimeSpan.FromSeconds(3.5));
        await Assert.ThrowsAnyAsync<Exception>(() => c.QueryAsync("SELECT 1"));
        Assert.Contains(_logs.Lines, l => l.Contains("no call on an idle connection within 2 s", StringComparison.Ordinal));
        // (_other idled as long and is gone too.)
        await using var fresh = await _gateway.ConnectAsync("fresh");
        Assert.Equal("3", (await fresh.QueryAsync("SELECT 3")).Rows[0][0]);
    }

    [Fact]
    public async Task SessionSettingsAreBoundedInEntriesAndCharacters()
    {
        var tooMany = Enumerable.Range(0, 9).ToDictionary(i => $"k{i}", i => "v");
        var refused = await Assert.ThrowsAsync<HiveClientException>(() => _gateway.ConnectAsync("conf", configuration: tooMany));
        Assert.Contains("at most 8 settings", refused.Message, StringComparison.Ordinal);

        await using var c = await _gateway.ConnectAsync("conf", configuration: new Dictionary<string, string> { ["set:hivevar:a"] = "1", ["spark.x"] = "2" });
        for (var i = 0; i < 6; i++) await c.QueryAsync($"SET k{i}=v");
        var set = await Assert.ThrowsAsync<HiveClientException>(() => c.QueryAsync("SET one_too_many=v"));
        Assert.Equal("54000", set.SqlState);
        // Replacing a value is not a new entry; RESET frees room.
        await c.QueryAsync("SET k0=w");
        await c.QueryAsync("RESET k0");
        await c.QueryAsync("SET k_new=v");
        var big = await Assert.ThrowsAsync<HiveClientException>(() => c.QueryAsync("SET k1=" + new string('x', 400)));
        Assert.Contains("characters", big.Message, StringComparison.Ordinal);
        var info = await c.Client.SetClientInfoAsync(new TSetClientInfoReq
        {
            SessionHandle = c.Session,
            Configuration = Enumerable.Range(0, 5).ToDictionary(i => $"ApplicationName{i}", _ => "x"),
        });
        Assert.Equal(TStatusCode.ERROR_STATUS, info.Status!.StatusCode);
        Assert.Equal("54000", info.Status.SqlState);
        Assert.Equal("2", (await c.QueryAsync("SELECT 2")).Rows[0][0]);
    }

    [Fact]
    public async Task SessionAdmissionIsAtomic()
    {
        await using var gw = await GatewayInstance.StartAsync(new Dictionary<string, string?>
        {
            ["Gateway:DuckDb:DemoData"] = "false",
            ["Gateway:Limits:MaxSessions"] = "3",
        });
        var attempts = await Task.WhenAll(Enumerable.Range(0, 12).Select(async i =>
        {
            try
            {
                return await gw.ConnectAsync("u" + i);
            }
            catch (HiveClientException)
            {
                return null;
            }
        }));
        Assert.Equal(3, attempts.Count(a => a is not null));
        foreach (var a in attempts.Where(a => a is not null)) await a!.DisposeAsync();
        await using var again = await gw.ConnectAsync("after");
    }
}
