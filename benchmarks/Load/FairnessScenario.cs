using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Gateway.Engines.HiveServer2;

namespace Gateway.Benchmarks.Load;

/// <summary>
/// Scenario 5: a healthy user's <c>SELECT 1</c> (binary and HTTP, one at a time) on a gateway with the embedded engine's
/// default capacity (32 slots, fair share), first on a quiet gateway, then while another user holds every slot the
/// limits let them: 48 unread statements over binary, 32 HTTP sessions that read a little and go away without closing,
/// a loop that keeps starting statements it never reads, and from a second loopback address (127.0.0.2) as many
/// silent TCP connections to each listener as Limits:MaxConnectionsPerAddress lets one address hold (1,000), reopened
/// as the gateway's handshake deadline closes them.
/// </summary>
public static class FairnessScenario
{
    public sealed record Point(string Phase, string Transport, long Queries, double P50, double P99, double Max, long HogStarted, long HogRefused, int SilentConnections, string? Error = null);

    /// <summary>Silent connections held per listener from the flooding address: the default per-address cap.</summary>
    private const int SilentPerListener = 1_000;

    private static readonly IPAddress Flooder = IPAddress.Parse("127.0.0.2");

    public static async Task<List<Point>> RunAsync(LoadOptions options, string gatewayDll, string dataFolder, CancellationToken cancellationToken)
    {
        await using var gateway = await GatewayServer.StartAsync(gatewayDll, dataFolder, cancellationToken, defaultCapacity: true);
        var points = new List<Point>();
        var duration = TimeSpan.FromSeconds(Math.Clamp(options.LatencyDuration.TotalSeconds, 2, 10));
        foreach (var transport in new[] { "binary", "HTTP" }) points.Add(await MeasureAsync("quiet", transport, gateway, duration, 0, 0, 0, cancellationToken));

        var hog = new List<HiveConnection>();
        long started = 0, refused = 0;
        using var stopHog = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task? hogLoop = null;
        var silent = new SilentFlood(gateway.Port, gateway.HttpUri?.Port);
        Task? floodLoop = null;
        try
        {
            await silent.FillAsync(cancellationToken);
            floodLoop = Task.Run(() => silent.KeepFullAsync(stopHog.Token), CancellationToken.None);
            // Binary: three sessions, 16 unread statements each.
            for (var s = 0; s < 3; s++)
            {
                var c = await HiveConnection.OpenAsync(Options(gateway, "hog", http: false), cancellationToken);
                hog.Add(c);
                for (var i = 0; i < 16; i++)
                {
                    await c.StartAsync("SELECT * FROM range(1000000000)", cancellationToken);
                    started++;
                }
            }
            // HTTP: 32 clients that read ten rows and go away, leaving their sessions open.
            for (var i = 0; i < 32; i++)
            {
                var c = await HiveConnection.OpenAsync(Options(gateway, "hog", http: true), cancellationToken);
                hog.Add(c);
                var op = await c.StartAsync("SELECT * FROM range(1000000000)", cancellationToken);
                started++;
                var status = await op.StatusAsync(cancellationToken);
                if (status.OperationState == Gateway.Protocol.Hive.TOperationState.FINISHED_STATE) await op.FetchAsync(10, cancellationToken: cancellationToken);
            }
            // And more, all the time: queued until the user's share of the queue is full, then refused at once.
            hogLoop = Task.Run(async () =>
            {
                while (!stopHog.IsCancellationRequested)
                {
                    try
                    {
                        await hog[0].StartAsync("SELECT * FROM range(1000000000)", stopHog.Token);
                        Interlocked.Increment(ref started);
                    }
                    catch (HiveClientException)
                    {
                        Interlocked.Increment(ref refused);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }
                    await Task.Delay(20, CancellationToken.None);
                }
            }, CancellationToken.None);
            foreach (var transport in new[] { "binary", "HTTP" })
            {
                points.Add(await MeasureAsync("one user holds every slot it may", transport, gateway, duration, Interlocked.Read(ref started), Interlocked.Read(ref refused), silent.Open, cancellationToken));
            }
        }
        finally
        {
            await stopHog.CancelAsync();
            if (hogLoop is not null) await hogLoop;
            if (floodLoop is not null) await floodLoop;
            silent.Dispose();
            foreach (var c in hog)
            {
                try { await c.DisposeAsync(); }
                catch (Exception e) when (e is IOException or HiveClientException or OperationCanceledException) { /* the gateway may have closed it */ }
            }
        }
        return points;
    }

    private static HiveConnectionOptions Options(GatewayServer gateway, string user, bool http)
    {
        var o = Hs2Client.Options(gateway.Port) with { User = user };
        if (!http) return o;
        var uri = gateway.HttpUri ?? throw new InvalidOperationException("The gateway has no HTTP listener.");
        return o with { Transport = HiveTransportMode.Http, Port = uri.Port, HttpPath = uri.AbsolutePath };
    }

    private static async Task<Point> MeasureAsync(string phase, string transport, GatewayServer gateway, TimeSpan duration, long hogStarted, long hogRefused, int silentConnections, CancellationToken cancellationToken)
    {
        try
        {
            await using var c = await HiveConnection.OpenAsync(Options(gateway, "analyst", transport == "HTTP"), cancellationToken);
            for (var i = 0; i < 3; i++) await c.QueryAsync("SELECT 1", cancellationToken);
            var latencies = new List<double>();
            var end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
            while (Stopwatch.GetTimestamp() < end)
            {
                var t0 = Stopwatch.GetTimestamp();
                await c.QueryAsync("SELECT 1", cancellationToken);
                latencies.Add(Stopwatch.GetElapsedTime(t0).TotalSeconds);
            }
            latencies.Sort();
            double Pct(double p) => latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(p * latencies.Count) - 1)];
            return new Point(phase, transport, latencies.Count, Pct(0.5), Pct(0.99), latencies[^1], hogStarted, hogRefused, silentConnections);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return new Point(phase, transport, 0, double.NaN, double.NaN, double.NaN, hogStarted, hogRefused, silentConnections, e.GetType().Name + ": " + e.Message.Split('\n')[0]);
        }
    }

    /// <summary>
    /// Silent TCP connections from <see cref="Flooder"/> to each listener, never sending a byte: the gateway closes them at
    /// its handshake deadline (binary) or Kestrel's header timeout (HTTP), and <see cref="KeepFullAsync"/> reopens them.
    /// </summary>
    private sealed class SilentFlood(int binaryPort, int? httpPort) : IDisposable
    {
        private readonly List<Socket> _sockets = [];
        private readonly Lock _lock = new();

        public int Open
        {
            get { lock (_lock) return _sockets.Count(s => s.Connected); }
        }

        public async Task FillAsync(CancellationToken cancellationToken)
        {
            foreach (var port in httpPort is { } h ? new[] { binaryPort, h } : [binaryPort])
            {
                for (var i = 0; i < SilentPerListener; i++) await OpenAsync(port, cancellationToken);
            }
        }

        /// <summary>Every second, replaces the connections the gateway has closed (a read of 0 bytes says so).</summary>
        public async Task KeepFullAsync(CancellationToken cancellationToken)
        {
            try
            {
                while (!cancellationToken.IsCancellationRequested)
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
                    List<Socket> closed;
                    lock (_lock) closed = _sockets.Where(IsClosed).ToList();
                    foreach (var s in closed)
                    {
                        var port = ((IPEndPoint)s.RemoteEndPoint!).Port;
                        lock (_lock) _sockets.Remove(s);
                        s.Dispose();
                        await OpenAsync(port, cancellationToken);
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // The measurement ended.
            }
        }

        private static bool IsClosed(Socket s)
        {
            try
            {
                return s.Poll(0, SelectMode.SelectRead) && s.Available == 0;
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return true;
            }
        }

        private async Task OpenAsync(int port, CancellationToken cancellationToken)
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                s.Bind(new IPEndPoint(Flooder, 0));
                await s.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancellationToken);
                lock (_lock) _sockets.Add(s);
            }
            catch (SocketException)
            {
                s.Dispose();
            }
        }

        public void Dispose()
        {
            lock (_lock)
            {
                foreach (var s in _sockets) s.Dispose();
                _sockets.Clear();
            }
        }
    }
}
