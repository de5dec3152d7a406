using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Gateway.Engines.HiveServer2;
using Xunit;

namespace Gateway.Tests.InProcess;

/// <summary>
/// One client address cannot take a listener or the session pool: past its cap it gets a refusal it can read (a SASL
/// error, HTTP 503 with Retry-After), while clients from other addresses connect as usual. The flood comes from
/// 127.0.0.2; the healthy client from 127.0.0.1.
/// </summary>
public sealed class AddressCapsInProcessTests : IAsyncLifetime
{
    private static readonly IPAddress Flooder = IPAddress.Parse("127.0.0.2");
    private GatewayInstance _gateway = null!;

    public async Task InitializeAsync() => _gateway = await GatewayInstance.StartAsync(new Dictionary<string, string?>
    {
        ["Gateway:Limits:MaxConnectionsPerAddress"] = "100",
        ["Gateway:Limits:MaxSessionsPerAddress"] = "3",
    });

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    private static async Task<Socket> ConnectFrom(IPAddress from, int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(from, 0));
        await socket.ConnectAsync(IPAddress.Loopback, port);
        return socket;
    }

    private static async Task<byte[]> ReadUntilClosed(Socket socket)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var all = new MemoryStream();
        var buffer = new byte[4096];
        while (true)
        {
            var n = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            if (n == 0) return all.ToArray();
            all.Write(buffer, 0, n);
        }
    }

    [Fact]
    public async Task SilentConnectionsFromOneAddressDoNotLockOthersOutOfTheBinaryPort()
    {
        var silent = new List<Socket>();
        try
        {
            for (var i = 0; i < 300; i++) silent.Add(await ConnectFrom(Flooder, _gateway.Port));
            // The 101st and later are over the cap: a silent one is closed within a second, without waiting for the handshake timeout.
            var refusedSilently = silent[250];
            Assert.Empty(await ReadUntilClosed(refusedSilently));

            // One that speaks SASL is told why.
            using var told = await ConnectFrom(Flooder, _gateway.Port);
            var start = new byte[5 + 5];
            start[0] = 0x01;
            BinaryPrimitives.WriteInt32BigEndian(start.AsSpan(1), 5);
            "PLAIN"u8.CopyTo(start.AsSpan(5));
            await told.SendAsync(start, SocketFlags.None);
            var reply = await ReadUntilClosed(told);
            Assert.Equal(0x04, reply[0]);
            var length = BinaryPrimitives.ReadInt32BigEndian(reply.AsSpan(1));
            Assert.Equal("Too many connections from 127.0.0.2 (Gateway:Limits:MaxConnectionsPerAddress = 100); close idle connections and try again.",
                Encoding.UTF8.GetString(reply, 5, length));

            // Another address connects and works as usual.
            await using var healthy = await _gateway.ConnectAsync(user: "healthy");
            Assert.Equal("1", (await healthy.QueryAsync("SELECT 1")).Rows[0][0]);
        }
        finally
        {
            foreach (var s in silent) s.Dispose();
        }
    }

    [Fact]
    public async Task AnHttpClientOverItsAddressCapGets503WithRetryAfter()
    {
        var silent = new List<Socket>();
        try
        {
            for (var i = 0; i < 100; i++) silent.Add(await ConnectFrom(Flooder, _gateway.HttpPort));
            // A connect returns once the kernel has the connection, before Kestrel accepts it: wait until the listener
            // has counted all 100, or the next one may be counted before one of them and get through.
            var counted = Stopwatch.StartNew();
            while (_gateway.Endpoints.HttpConnections.OpenFrom(Flooder) < 100)
            {
                Assert.True(counted.Elapsed < TimeSpan.FromSeconds(10), $"the listener counted {_gateway.Endpoints.HttpConnections.OpenFrom(Flooder)} of 100 connections");
                await Task.Delay(10);
            }
            using var over = await ConnectFrom(Flooder, _gateway.HttpPort);
            var body = "junk"u8.ToArray();
            await over.SendAsync(Encoding.ASCII.GetBytes($"POST {_gateway.Endpoints.HttpPath} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-thrift\r\nContent-Length: {body.Length}\r\n\r\n"), SocketFlags.None);
            await over.SendAsync(body, SocketFlags.None);
            var response = Encoding.UTF8.GetString(await ReadUntilClosed(over));
            Assert.StartsWith("HTTP/1.1 503 Service Unavailable\r\n", response, StringComparison.Ordinal);
            Assert.Contains("\r\nRetry-After: 5\r\n", response, StringComparison.Ordinal);
            Assert.Contains("Too many connections from 127.0.0.2 (Gateway:Limits:MaxConnectionsPerAddress = 100)", response, StringComparison.Ordinal);

            await using var healthy = await _gateway.ConnectHttpAsync(user: "healthy");
            Assert.Equal("1", (await healthy.QueryAsync("SELECT 1")).Rows[0][0]);
        }
        finally
        {
            foreach (var s in silent) s.Dispose();
        }
    }

    [Fact]
    public async Task SessionsPerAddressAreCappedOnBothTransports()
    {
        var open = new List<HiveConnection>
        {
            await _gateway.ConnectAsync(user: "a"),
            await _gateway.ConnectHttpAsync(user: "b"),
            await _gateway.ConnectAsync(user: "c"),
        };
        try
        {
            var refused = await Assert.ThrowsAnyAsync<Exception>(() => _gateway.ConnectHttpAsync(user: "d"));
            Assert.Contains("Address 127.0.0.1 already has 3 open sessions (Gateway:Limits:MaxSessionsPerAddress = 3)", refused.Message, StringComparison.Ordinal);
            await open[0].DisposeAsync();
            open.RemoveAt(0);
            open.Add(await _gateway.ConnectAsync(user: "d"));
        }
        finally
        {
            foreach (var c in open) await c.DisposeAsync();
        }
    }
}
