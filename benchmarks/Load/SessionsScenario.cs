using System.Diagnostics;
using Gateway.Engines.HiveServer2;
using Gateway.Protocol.Hive;

namespace Gateway.Benchmarks.Load;

/// <summary>
/// Scenario 3: N idle sessions held open at once. The gateway's memory (RSS, and the live GC heap after a
/// full GC it is asked to run) is taken before and with all sessions open; the difference per session is
/// what an idle session costs (its connection included when each session has its own connection).
/// </summary>
public static class SessionsScenario
{
    public sealed record Result(int Sessions, int Connections, double OpenSeconds, double CloseSeconds, long RssBefore, long RssOpen, long RssAfter,
        long? HeapBefore, long? HeapOpen, long? HeapAfter, string? Error)
    {
        public double RssPerSession => (RssOpen - RssBefore) / (double)Sessions;
        public double? HeapPerSession => HeapOpen - HeapBefore is { } d ? d / (double)Sessions : null;
        public double OpensPerSecond => Sessions / OpenSeconds;
        public double ClosesPerSecond => Sessions / CloseSeconds;
    }

    private static long s_connectTicks;
    private static long s_openTicks;

    private sealed class Link(ThriftTcpTransport transport)
    {
        public ThriftTcpTransport Transport { get; } = transport;
        public TCLIServiceClient Client { get; } = new(transport);
        public List<TSessionHandle> Sessions { get; } = [];
    }

    public static async Task<Result> RunAsync(LoadOptions options, GatewayServer gateway, CancellationToken cancellationToken)
    {
        var memory = gateway.Memory;
        // Warm-up: the code paths, pools and thread pool of open/close are not part of a session's cost.
        await OpenCloseAsync(gateway.Port, Math.Min(200, options.Sessions), 1, cancellationToken);
        await Task.Delay(500, cancellationToken);
        var heapBefore = await memory.LiveHeapAfterFullGcAsync(cancellationToken);
        var rssBefore = memory.ResidentBytes();

        var links = new List<Link>();
        string? error = null;
        double openSeconds = 0, closeSeconds = 0;
        long rssOpen = 0;
        long? heapOpen = null;
        try
        {
            var watch = Stopwatch.StartNew();
            links = await OpenAsync(gateway.Port, options.Sessions, options.SessionsPerConnection, cancellationToken);
            openSeconds = watch.Elapsed.TotalSeconds;
            Console.WriteLine($"   open: {openSeconds:F1} s; per session: connect + SASL {s_connectTicks * 1000.0 / Stopwatch.Frequency / options.Sessions:F2} ms, OpenSession {s_openTicks * 1000.0 / Stopwatch.Frequency / options.Sessions:F2} ms (16 at a time)");
            // Idle means idle: a DuckDB session's worker thread exits after 30 s without work (engines/DuckDb/README.md).
            await Task.Delay(options.SessionSettle, cancellationToken);
            heapOpen = await memory.LiveHeapAfterFullGcAsync(cancellationToken);
            rssOpen = memory.ResidentBytes();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            error = e.GetType().Name + ": " + e.Message.Split('\n')[0];
        }
        var closeWatch = Stopwatch.StartNew();
        await CloseAsync(links);
        closeSeconds = closeWatch.Elapsed.TotalSeconds;
        await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        var heapAfter = await memory.LiveHeapAfterFullGcAsync(cancellationToken);
        var rssAfter = memory.ResidentBytes();
        var opened = links.Sum(l => l.Sessions.Count);
        return new Result(opened, links.Count, openSeconds, closeSeconds, rssBefore, rssOpen, rssAfter, heapBefore, heapOpen, heapAfter, error);
    }

    private static async Task OpenCloseAsync(int port, int sessions, int perConnection, CancellationToken cancellationToken)
    {
        var links = await OpenAsync(port, sessions, perConnection, cancellationToken);
        await CloseAsync(links);
    }

    /// <summary>Opens the sessions with 16 openers at a time (connect, SASL, OpenSession).</summary>
    private static async Task<List<Link>> OpenAsync(int port, int sessions, int perConnection, CancellationToken cancellationToken)
    {
        var connections = (sessions + perConnection - 1) / perConnection;
        var links = new Link?[connections];
        var next = -1;
        var options = Hs2Client.Options(port);
        try
        {
            await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < connections)
                {
                    var t0 = Stopwatch.GetTimestamp();
                    var transport = await ThriftTcpTransport.ConnectAsync(new ThriftTcpTransportOptions { Host = options.Host, Port = port, Auth = options.Auth, User = options.User, Password = options.Password }, cancellationToken);
                    Interlocked.Add(ref s_connectTicks, Stopwatch.GetTimestamp() - t0);
                    var link = links[i] = new Link(transport);
                    var count = Math.Min(perConnection, sessions - i * perConnection);
                    for (var s = 0; s < count; s++)
                    {
                        var t1 = Stopwatch.GetTimestamp();
                        var resp = await link.Client.OpenSessionAsync(new TOpenSessionReq { ClientProtocol = options.ProtocolVersion, Username = options.User, Password = options.Password }, cancellationToken);
                        Interlocked.Add(ref s_openTicks, Stopwatch.GetTimestamp() - t1);
                        HiveConnection.Check(resp.Status);
                        link.Sessions.Add(resp.SessionHandle!);
                    }
                }
            }, cancellationToken)));
        }
        catch
        {
            await CloseAsync([.. links.OfType<Link>()]);
            throw;
        }
        return [.. links.OfType<Link>()];
    }

    private static async Task CloseAsync(List<Link> links)
    {
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < links.Count)
            {
                var link = links[i];
                try
                {
                    foreach (var session in link.Sessions) await link.Client.CloseSessionAsync(new TCloseSessionReq { SessionHandle = session }, CancellationToken.None);
                }
                catch (Exception e) when (e is IOException or HiveClientException or System.Net.Sockets.SocketException)
                {
                    // The connection broke; closing it below ends its sessions.
                }
                await link.Transport.DisposeAsync();
            }
        })));
    }
}
