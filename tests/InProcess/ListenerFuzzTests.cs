using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Gateway.Engines.HiveServer2;
using Gateway.Protocol.Hive;
using Gateway.Server.Auth;
using Gateway.Server.Sessions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.InProcess;

/// <summary>
/// A bounded, seeded fuzz of both listeners with mutated real traffic: what a real client sent (recorded through a TCP
/// proxy for the binary port, the client's own request bodies for HTTP) is bit-flipped, overwritten with boundary values,
/// cut, spliced, repeated and given wrong lengths, thousands of times, many connections at once, while a second client
/// runs statements on each transport throughout. Every case must end (no hung connection), the second client must never
/// fail, nothing may be logged at Error or Critical, and afterwards the gateway holds no session or operation the fuzz
/// opened. A failure names the seed and case, so it replays.
/// </summary>
public sealed class ListenerFuzzTests : IAsyncLifetime
{
    private const int Seed = 20261207;
    private readonly CapturingLoggerProvider _logs = new();
    private GatewayInstance _gateway = null!;

    public async Task InitializeAsync()
    {
        var folder = Directory.CreateTempSubdirectory("gw-fuzz").FullName;
        PasswordFile.Write(Path.Combine(folder, "users.txt"), new Dictionary<string, PasswordHash>
        {
            ["fuzz"] = PasswordHash.Create("fuzz-pw", 1000),
            ["steady"] = PasswordHash.Create("steady-pw", 1000),
        });
        _gateway = await GatewayInstance.StartAsync(new Dictionary<string, string?>
        {
            ["Gateway:Auth:Mode"] = "PasswordFile",
            // The fuzz fails logins by the thousand from one address on purpose.
            ["Gateway:Auth:Throttle:Enabled"] = "false",
            ["Gateway:DuckDb:DemoData"] = "false",
            ["Logging:LogLevel:Default"] = "Warning",
        }, folder, services: s => s.AddSingleton<ILoggerProvider>(_logs));
    }

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    /// <summary>A whole binary session of the project's client: SASL PLAIN, then the calls every HS2 client makes.</summary>
    private async Task<byte[]> RecordBinarySessionAsync()
    {
        using var proxy = new RecordingProxy(_gateway.Port);
        await using (var c = await HiveConnection.OpenAsync(new HiveConnectionOptions { Port = proxy.Port, User = "fuzz", Password = "fuzz-pw" }))
        {
            await using (var op = await c.ExecuteAsync("SELECT range AS n, 'x' || range AS s FROM range(20)"))
            {
                await op.ReadAllAsTextAsync();
                await op.FetchLogAsync();
            }
            await using (var op = await c.ExecuteAsync("SET spark.sql.shuffle.partitions=4"))
            {
            }
            await c.Client.GetInfoAsync(new TGetInfoReq { SessionHandle = c.Session, InfoType = TGetInfoType.CLI_DBMS_NAME });
            await c.Client.GetTablesAsync(new TGetTablesReq { SessionHandle = c.Session, SchemaName = "%", TableName = "%" });
            await c.Client.GetTypeInfoAsync(new TGetTypeInfoReq { SessionHandle = c.Session });
        }
        return (await proxy.FinishAsync()).Up;
    }

    /// <summary>One mutation of a recorded stream; the kinds real faults and probes produce.</summary>
    private static byte[] Mutate(byte[] original, Random random)
    {
        var data = new List<byte>(original);
        var edits = 1 + random.Next(4);
        for (var e = 0; e < edits && data.Count > 0; e++)
        {
            var at = random.Next(data.Count);
            switch (random.Next(9))
            {
                case 0: // bit flip
                    data[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1: // a boundary byte
                    data[at] = (new byte[] { 0x00, 0x01, 0x7f, 0x80, 0xff, 0x0b, 0x0c, 0x0f })[random.Next(8)];
                    break;
                case 2: // a boundary 32-bit value (lengths, sizes, counts, field ids)
                    {
                        var value = (new[] { 0, 1, -1, int.MaxValue, int.MinValue, 0x7fff, 0x10000, 16 * 1024 * 1024 + 1 })[random.Next(8)];
                        var bytes = new byte[4];
                        BinaryPrimitives.WriteInt32BigEndian(bytes, value);
                        for (var i = 0; i < 4 && at + i < data.Count; i++) data[at + i] = bytes[i];
                        break;
                    }
                case 3: // cut the rest
                    data.RemoveRange(at, data.Count - at);
                    break;
                case 4: // delete a few bytes
                    data.RemoveRange(at, Math.Min(data.Count - at, 1 + random.Next(8)));
                    break;
                case 5: // insert random bytes
                    {
                        var extra = new byte[1 + random.Next(16)];
                        random.NextBytes(extra);
                        data.InsertRange(at, extra);
                        break;
                    }
                case 6: // repeat a slice (a replayed or doubled message)
                    {
                        var length = Math.Min(data.Count - at, 1 + random.Next(256));
                        data.InsertRange(at, data.GetRange(at, length));
                        break;
                    }
                case 7: // splice in a slice from elsewhere
                    {
                        var from = random.Next(data.Count);
                        var length = Math.Min(data.Count - from, 1 + random.Next(64));
                        data.InsertRange(at, data.GetRange(from, length));
                        break;
                    }
                default: // random run
                    for (var i = at; i < Math.Min(data.Count, at + 1 + random.Next(32)); i++) data[i] = (byte)random.Next(256);
                    break;
            }
        }
        return [.. data];
    }

    /// <summary>Sends one case and reads until the server closes or stays quiet; true when the exchange ended within the bound.</summary>
    private static async Task<bool> SendAsync(int port, byte[] payload, Random random, TimeSpan quiet)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, LingerState = new LingerOption(true, 0) };
        await socket.ConnectAsync(IPAddress.Loopback, port);
        // In a few pieces, as a network delivers them: the server's framing must not depend on read boundaries.
        var offset = 0;
        while (offset < payload.Length)
        {
            var n = random.Next(3) == 0 ? Math.Min(payload.Length - offset, 1 + random.Next(64)) : payload.Length - offset;
            try
            {
                await socket.SendAsync(payload.AsMemory(offset, n), SocketFlags.None);
            }
            catch (SocketException)
            {
                return true; // the server already closed: that is an answer
            }
            offset += n;
        }
        var buffer = new byte[64 * 1024];
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            while (true)
            {
                using var idle = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token);
                idle.CancelAfter(quiet);
                int read;
                try
                {
                    read = await socket.ReceiveAsync(buffer, SocketFlags.None, idle.Token);
                }
                catch (OperationCanceledException) when (!deadline.IsCancellationRequested)
                {
                    return true; // waiting for more input, as it should for a cut message: we hang up
                }
                if (read == 0) return true;
            }
        }
        catch (SocketException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false; // still sending after 20 s: a case that does not end
        }
    }

    /// <summary>A client that keeps working while the fuzz runs; returns the statements it ran.</summary>
    private static async Task<int> SteadyAsync(Func<Task<HiveConnection>> connect, CancellationToken stop)
    {
        var runs = 0;
        await using var c = await connect();
        while (!stop.IsCancellationRequested)
        {
            await using var op = await c.ExecuteAsync("SELECT 6 * 7 AS v");
            var (_, rows) = await op.ReadAllAsTextAsync();
            Assert.Equal("42", rows.Single()[0]);
            runs++;
            await Task.Delay(20, CancellationToken.None);
        }
        return runs;
    }

    /// <param name="binaryOnly">Whether every session was opened over the binary port, where a dropped connection takes its sessions with it.</param>
    private async Task AssertCleanAfterAsync(bool binaryOnly)
    {
        if (binaryOnly)
        {
            var sessions = _gateway.Services.GetRequiredService<SessionManager>();
            for (var i = 0; i < 100 && (sessions.SessionCount > 0 || sessions.OperationCount > 0); i++) await Task.Delay(100);
            Assert.Equal(0, sessions.SessionCount);
            Assert.Equal(0, sessions.OperationCount);
        }
        var bad = _logs.Lines.Where(l => l.StartsWith("Error", StringComparison.Ordinal) || l.StartsWith("Critical", StringComparison.Ordinal)).Take(5).ToList();
        Assert.True(bad.Count == 0, "logged during the fuzz:\n" + string.Join("\n", bad));
    }

    private static async Task RunCasesAsync(int cases, int parallel, Func<int, Random, Task<bool>> run)
    {
        var next = -1;
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var workers = Enumerable.Range(0, parallel).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < cases)
            {
                var random = new Random(HashCode.Combine(Seed, i));
                try
                {
                    if (!await run(i, random)) failures.Enqueue($"case {i} (seed {Seed}) did not end");
                }
                catch (Exception e) when (e is SocketException or IOException)
                {
                    failures.Enqueue($"case {i} (seed {Seed}): {e.GetType().Name} {e.Message}");
                }
            }
        })).ToList();
        await Task.WhenAll(workers);
        Assert.True(failures.IsEmpty, string.Join("\n", failures.Take(10)));
    }

    [Fact]
    public async Task MutatedBinaryTrafficHarmsNoOtherClient()
    {
        var recorded = await RecordBinarySessionAsync();
        Assert.True(recorded.Length > 500, $"recorded only {recorded.Length} bytes");
        using var stop = new CancellationTokenSource();
        var steady = SteadyAsync(() => _gateway.ConnectAsync("steady", "steady-pw"), stop.Token);
        var steadyHttp = SteadyAsync(() => _gateway.ConnectHttpAsync("steady", "steady-pw"), stop.Token);
        await RunCasesAsync(2500, 16, (_, random) => SendAsync(_gateway.Port, Mutate(recorded, random), random, TimeSpan.FromMilliseconds(150)));
        await stop.CancelAsync();
        Assert.True(await steady > 0);
        Assert.True(await steadyHttp > 0);
        await using (var after = await _gateway.ConnectAsync("steady", "steady-pw"))
        {
            await using var op = await after.ExecuteAsync("SELECT 1");
            await op.ReadAllAsTextAsync();
        }
        await AssertCleanAfterAsync(binaryOnly: true);
    }

    /// <summary>Real request bodies of a session over HTTP, each sent with the client's headers, then the whole request mutated.</summary>
    [Fact]
    public async Task MutatedHttpRequestsHarmNoOtherClient()
    {
        // Bodies the client sends, on a session that stays open through the fuzz (mutated handles must find nothing else).
        using var http = RawHttp.Client();
        var auth = RawHttp.Basic("fuzz", "fuzz-pw");
        var open = await RawHttp.ReplyAsync<TOpenSessionResp>(await RawHttp.PostAsync(http, _gateway.HttpUri, RawHttp.OpenSession("fuzz"), auth));
        var session = open.SessionHandle!;
        var bodies = new List<byte[]>
        {
            RawHttp.OpenSession("fuzz"),
            RawHttp.Call("ExecuteStatement", new TExecuteStatementReq { SessionHandle = session, Statement = "SELECT range FROM range(10)", RunAsync = true }),
            RawHttp.Call("GetInfo", new TGetInfoReq { SessionHandle = session, InfoType = TGetInfoType.CLI_SERVER_NAME }),
            RawHttp.Call("GetTables", new TGetTablesReq { SessionHandle = session, SchemaName = "%" }),
            RawHttp.Call("GetTypeInfo", new TGetTypeInfoReq { SessionHandle = session }),
        };
        var execute = await RawHttp.ReplyAsync<TExecuteStatementResp>(await RawHttp.PostAsync(http, _gateway.HttpUri, bodies[1], auth));
        bodies.Add(RawHttp.Call("GetOperationStatus", new TGetOperationStatusReq { OperationHandle = execute.OperationHandle! }));
        bodies.Add(RawHttp.Call("FetchResults", new TFetchResultsReq { OperationHandle = execute.OperationHandle!, MaxRows = 5, Orientation = TFetchOrientation.FETCH_NEXT }));
        bodies.Add(RawHttp.Call("CloseOperation", new TCloseOperationReq { OperationHandle = execute.OperationHandle! }));
        bodies.Add(RawHttp.Call("CloseSession", new TCloseSessionReq { SessionHandle = session }));

        var host = $"127.0.0.1:{_gateway.HttpPort}";
        byte[] Request(byte[] body, string authorization) => [.. Encoding.ASCII.GetBytes(
            $"POST {_gateway.Endpoints.HttpPath} HTTP/1.1\r\nHost: {host}\r\nAuthorization: {authorization}\r\nContent-Type: application/x-thrift\r\nContent-Length: {body.Length}\r\n\r\n"), .. body];

        using var stop = new CancellationTokenSource();
        var steady = SteadyAsync(() => _gateway.ConnectHttpAsync("steady", "steady-pw"), stop.Token);
        var steadyBinary = SteadyAsync(() => _gateway.ConnectAsync("steady", "steady-pw"), stop.Token);
        await RunCasesAsync(2500, 16, (i, random) =>
        {
            var body = bodies[random.Next(bodies.Count)];
            byte[] request = (i % 4) switch
            {
                // The body mutated, its length told right: what reaches the gateway's own decoder.
                0 or 1 => Request(Mutate(body, random), auth),
                // The credentials mutated.
                2 => Request(body, Encoding.ASCII.GetString(Mutate(Encoding.ASCII.GetBytes(auth), random))),
                // The whole request, headers and all.
                _ => Mutate(Request(body, auth), random),
            };
            return SendAsync(_gateway.HttpPort, request, random, TimeSpan.FromMilliseconds(150));
        });
        await stop.CancelAsync();
        Assert.True(await steady > 0);
        Assert.True(await steadyBinary > 0);
        // Sessions that unmutated OpenSession bodies opened over HTTP live until their idle timeout, as a client's would.
        await AssertCleanAfterAsync(binaryOnly: false);
    }
}
