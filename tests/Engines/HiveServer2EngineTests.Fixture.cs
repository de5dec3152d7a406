using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Gateway.Engines;
using Gateway.Engines.HiveServer2;
using Gateway.Protocol.Columnar;
using Gateway.Protocol.Hive;
using Gateway.Server.Auth;
using Gateway.Tests.InProcess;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Engines;

/// <summary>
/// Second gateways for the remote HiveServer2 engine to talk to, in this process on their own ports:
/// <see cref="Open"/> (no authentication, demo data) and <see cref="Secured"/> (password file and a static bearer
/// token). <see cref="CreateEngine()"/> is the factory a shared engine conformance suite can use: an
/// <see cref="IEngine"/> pointed at a running gateway.
/// </summary>
public sealed class RemoteGatewayFixture : IAsyncLifetime
{
    public const string User = "alice";
    public const string Password = "wonderland";
    public const string TokenUser = "svc-engine";
    public const string Token = "engine-token-0123456789abcdef";

    private readonly ConcurrentBag<HiveServer2Engine> _engines = [];

    public GatewayInstance Open { get; private set; } = null!;
    public GatewayInstance Secured { get; private set; } = null!;

    /// <summary>The DuckDB engine behind <see cref="Open"/>: what the remote engine's answers are compared with.</summary>
    public IEngine LocalEngine => Open.Services.GetRequiredService<IEngine>();

    public async Task InitializeAsync()
    {
        // The remote engine acts for the gateway's users (ImpersonateUser), as a service account does for a real HS2.
        var policy = Path.Combine(Directory.CreateTempSubdirectory("gw-hs2-open").FullName, "rules.json");
        await File.WriteAllTextAsync(policy, """{ "impersonation": [ { "original_user": "engine-user", "new_user": ".*" } ] }""");
        Open = await GatewayInstance.StartAsync(new Dictionary<string, string?> { ["Gateway:AccessControl:ConfigFile"] = policy });
        var folder = Directory.CreateTempSubdirectory("gw-hs2-secured").FullName;
        PasswordFile.Write(Path.Combine(folder, "users.txt"), new Dictionary<string, PasswordHash> { [User] = PasswordHash.Create(Password, 1000) });
        Secured = await GatewayInstance.StartAsync(new Dictionary<string, string?>
        {
            ["Gateway:Auth:Mode"] = "PasswordFile",
            ["Gateway:Auth:Tokens:0:User"] = TokenUser,
            ["Gateway:Auth:Tokens:0:Token"] = Token,
            ["Gateway:DuckDb:DemoData"] = "false",
        }, folder);
    }

    /// <summary>Options for the open gateway (binary, no SASL, by default).</summary>
    public HiveServer2EngineOptions OpenOptions(HiveTransportMode transport = HiveTransportMode.Binary, TProtocolVersion version = TProtocolVersion.SPARK_CLI_SERVICE_PROTOCOL_V8) => new()
    {
        Name = "remote-open",
        Port = transport == HiveTransportMode.Http ? Open.HttpPort : Open.Port,
        Transport = transport,
        HttpPath = Open.Endpoints.HttpPath,
        Auth = HiveServer2Auth.NoSasl,
        User = "engine-user",
        ProtocolVersion = version,
        RequestTimeout = TimeSpan.FromMinutes(2),
    };

    /// <summary>Options for the secured gateway with alice's password (SASL PLAIN over binary, Basic over HTTP).</summary>
    public HiveServer2EngineOptions SecuredOptions(HiveTransportMode transport = HiveTransportMode.Binary) => new()
    {
        Name = "remote-secured",
        Port = transport == HiveTransportMode.Http ? Secured.HttpPort : Secured.Port,
        Transport = transport,
        HttpPath = Secured.Endpoints.HttpPath,
        Auth = transport == HiveTransportMode.Http ? HiveServer2Auth.Basic : HiveServer2Auth.SaslPlain,
        User = User,
        Password = Password,
    };

    /// <summary>An engine on the open gateway; disposed with the fixture if the test does not.</summary>
    public HiveServer2Engine CreateEngine(HiveServer2EngineOptions options)
    {
        var engine = new HiveServer2Engine(options);
        _engines.Add(engine);
        return engine;
    }

    /// <summary>The conformance-suite factory: a fresh engine on a running second gateway.</summary>
    public IEngine CreateEngine() => CreateEngine(OpenOptions());

    public async Task DisposeAsync()
    {
        foreach (var engine in _engines) await engine.DisposeAsync();
        await Open.DisposeAsync();
        await Secured.DisposeAsync();
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HiveServer2EngineCollection : ICollectionFixture<RemoteGatewayFixture>
{
    /// <summary>Runs alone: one test measures the managed heap while streaming.</summary>
    public const string Name = "hiveserver2-engine";
}

/// <summary>
/// The gateway executable in a process of its own (<c>dotnet gateway.dll serve --port 0 --http-port 0</c>), over
/// a temporary data folder with a password file and, optionally, the test TLS certificate on both listeners.
/// The bound ports come from the line <c>serve</c> prints once it listens.
/// </summary>
public sealed partial class GatewayProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output;

    private GatewayProcess(Process process, StringBuilder output, string dataFolder, int binaryPort, Uri httpUri, Uri trinoUri)
    {
        _process = process;
        _output = output;
        DataFolder = dataFolder;
        BinaryPort = binaryPort;
        HttpUri = httpUri;
        TrinoUri = trinoUri;
    }

    public string DataFolder { get; }
    public int BinaryPort { get; }
    public Uri HttpUri { get; }

    /// <summary>The Trino protocol listener (https when the process has the test certificate).</summary>
    public Uri TrinoUri { get; }
    public int Id => _process.Id;
    public bool HasExited => _process.HasExited;

    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    /// <summary>gateway.dll next to the tests (the test project references the gateway), else the gateway's own output folder.</summary>
    public static string GatewayDll
    {
        get
        {
            var local = Path.Combine(AppContext.BaseDirectory, "gateway.dll");
            if (File.Exists(local)) return local;
            var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent?.Parent?.Name ?? "Release";
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Gateway.sln")))
                {
                    var built = Path.Combine(dir.FullName, "gateway", "bin", configuration, "net10.0", "gateway.dll");
                    if (File.Exists(built)) return built;
                }
            }
            throw new FileNotFoundException("gateway.dll was not built (dotnet build Gateway.sln).");
        }
    }

    /// <param name="binaryPort">The binary listener's port; 0 picks a free one (a restarted remote can take its predecessor's).</param>
    public static async Task<GatewayProcess> StartAsync(bool tls, IReadOnlyDictionary<string, string> users, bool demoData = false, int binaryPort = 0)
    {
        var data = Directory.CreateTempSubdirectory("gw-hs2-process").FullName;
        PasswordFile.Write(Path.Combine(data, "users.txt"), users.ToDictionary(u => u.Key, u => PasswordHash.Create(u.Value, 1000)));
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { GatewayDll, "serve", "--port", binaryPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "--http-port", "0", "--trino-port", "0", "--data", data, "--auth", "password-file" }) start.ArgumentList.Add(a);
        if (!demoData) start.ArgumentList.Add("--no-demo");
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        if (tls)
        {
            start.Environment["Gateway__Tls__CertificatePath"] = TestCertificate.CertificatePath;
            start.Environment["Gateway__Tls__KeyPath"] = TestCertificate.KeyPath;
        }
        var output = new StringBuilder();
        var listening = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (output) output.AppendLine(e.Data);
            if (e.Data.StartsWith("gateway listening:", StringComparison.Ordinal)) listening.TrySetResult(e.Data);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (output) output.AppendLine(e.Data);
        };
        process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException("The gateway process exited before listening."));
        if (!process.Start()) throw new InvalidOperationException("Could not start the gateway process.");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var line = await listening.Task.WaitAsync(TimeSpan.FromMinutes(2));
            var binary = BinaryPattern().Match(line);
            var http = HttpPattern().Match(line);
            var trino = TrinoPattern().Match(line);
            if (!binary.Success || !http.Success || !trino.Success) throw new InvalidOperationException($"Unexpected listening line: {line}");
            return new GatewayProcess(process, output, data, int.Parse(binary.Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture),
                new Uri(http.Groups["uri"].Value), new Uri(trino.Groups["uri"].Value));
        }
        catch (Exception e)
        {
            Stop(process);
            string text;
            lock (output) text = output.ToString();
            process.Dispose();
            throw new InvalidOperationException($"The gateway process did not start: {e.Message}\n{text}", e);
        }
    }

    [GeneratedRegex(@"binary on [^\s,]+:(?<port>\d+)")]
    private static partial Regex BinaryPattern();

    [GeneratedRegex(@"HTTP on (?<uri>https?://[^\s,]+)")]
    private static partial Regex HttpPattern();

    [GeneratedRegex(@"Trino protocol on (?<uri>https?://[^\s,]+)")]
    private static partial Regex TrinoPattern();

    /// <summary>Kills the process (SIGKILL): open connections are reset, nothing is closed gracefully.</summary>
    public void Kill() => Stop(_process);

    private static void Stop(Process process)
    {
        try
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    public ValueTask DisposeAsync()
    {
        Stop(_process);
        _process.Dispose();
        try
        {
            Directory.Delete(DataFolder, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS temp cleanup.
        }
        return ValueTask.CompletedTask;
    }
}

/// <summary>Shared helpers of the HiveServer2 engine tests.</summary>
internal static class EngineText
{
    /// <summary>Runs a statement and returns every row as Hive text (null for NULL).</summary>
    public static async Task<(ResultSchema Schema, List<string?[]> Rows)> QueryAsync(IEngineSession session, string sql, int batchRows = 1000, ExecuteOptions? options = null)
    {
        await using var result = await session.ExecuteAsync(sql, options ?? ExecuteOptions.Default, CancellationToken.None);
        return (result.Schema, await ReadAllAsync(result, batchRows));
    }

    public static async Task<List<string?[]>> ReadAllAsync(IQueryResult result, int batchRows)
    {
        var rows = new List<string?[]>();
        var sawShort = false;
        while (await result.ReadBatchAsync(batchRows, CancellationToken.None) is { } batch)
        {
            using (batch)
            {
                // The gateway takes a short batch for the end of the result.
                Assert.False(sawShort, "A short batch came before the end of the result.");
                sawShort = batch.RowCount < batchRows;
                Assert.True(batch.RowCount is > 0 and var n && n <= batchRows, $"A batch of {batch.RowCount} rows for a read of {batchRows}.");
                Assert.Equal(result.Schema, batch.Schema);
                for (var c = 0; c < batch.Columns.Length; c++)
                {
                    // Every column has the type its schema declares (the encoders rely on it).
                    Assert.True(batch.Columns[c].Type.Kind == result.Schema.Columns[c].Type.Kind, $"Column {c} is {batch.Columns[c].Type} but declared {result.Schema.Columns[c].Type}.");
                }
                for (var r = 0; r < batch.RowCount; r++) rows.Add([.. batch.Columns.Select(c => ValueFormatter.Utc.FormatToString(c, r))]);
            }
        }
        return rows;
    }

    public static async Task<string?> ScalarAsync(IEngineSession session, string sql) => (await QueryAsync(session, sql)).Rows.Single()[0];
}

/// <summary>
/// A loopback TCP proxy to a gateway that can freeze: once frozen it keeps every connection open but forwards
/// nothing, like a remote that hangs (a stuck JVM, a dropped network path) rather than one that died.
/// </summary>
public sealed class FreezableProxy : IAsyncDisposable
{
    private readonly System.Net.Sockets.TcpListener _listener = new(System.Net.IPAddress.Loopback, 0);
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentBag<System.Net.Sockets.Socket> _sockets = [];
    private readonly Task _accepting;
    private volatile bool _frozen;

    public FreezableProxy(int targetPort)
    {
        _targetPort = targetPort;
        _listener.Start();
        Port = ((System.Net.IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptAsync();
    }

    public int Port { get; }

    public void Freeze() => _frozen = true;

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptSocketAsync(_stop.Token);
                var upstream = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
                await upstream.ConnectAsync(System.Net.IPAddress.Loopback, _targetPort, _stop.Token);
                _sockets.Add(client);
                _sockets.Add(upstream);
                _ = PumpAsync(client, upstream);
                _ = PumpAsync(upstream, client);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or System.Net.Sockets.SocketException or ObjectDisposedException)
        {
            // Stopped.
        }
    }

    private async Task PumpAsync(System.Net.Sockets.Socket from, System.Net.Sockets.Socket to)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var n = await from.ReceiveAsync(buffer, _stop.Token);
                if (n == 0) break;
                while (_frozen) await Task.Delay(20, _stop.Token);
                await to.SendAsync(buffer.AsMemory(0, n), _stop.Token);
            }
            to.Shutdown(System.Net.Sockets.SocketShutdown.Send);
        }
        catch (Exception e) when (e is OperationCanceledException or System.Net.Sockets.SocketException or ObjectDisposedException)
        {
            // A side closed, or the proxy stopped.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        foreach (var s in _sockets) s.Dispose();
        await _accepting;
        _stop.Dispose();
    }
}
