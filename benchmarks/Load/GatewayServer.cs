using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Gateway.Benchmarks.Load;

/// <summary>
/// The gateway under test as a separate <c>dotnet gateway.dll serve</c> process, so its memory is its own:
/// loopback only, no demo data, the benchmark database in the work folder, session and engine limits raised
/// for 10,000 sessions and 256 concurrent statements.
/// </summary>
public sealed partial class GatewayServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private GatewayServer(Process process) => _process = process;

    public int Port { get; private set; }

    /// <summary>The HTTP listener's URI (http://127.0.0.1:port/cliservice).</summary>
    public Uri? HttpUri { get; private set; }

    /// <summary>The Trino protocol listener (http://127.0.0.1:port/), when it is on.</summary>
    public Uri? TrinoUri { get; private set; }
    public int Pid => _process.Id;
    public ProcessMemory Memory => new(_process.Id);

    public static string DefaultDll(string repoRoot) => Path.Combine(repoRoot, "gateway", "bin", "Release", "net10.0", "gateway.dll");

    /// <param name="defaultCapacity">The embedded engine keeps its default capacity (32 slots, fair share) instead of the raised one.</param>
    public static async Task<GatewayServer> StartAsync(string gatewayDll, string dataFolder, CancellationToken cancellationToken, bool defaultCapacity = false)
    {
        if (!File.Exists(gatewayDll)) throw new FileNotFoundException($"{gatewayDll} is missing: dotnet build Gateway.sln -c Release.");
        Directory.CreateDirectory(dataFolder);
        var config = Path.Combine(dataFolder, "gateway.bench.json");
        await File.WriteAllTextAsync(config, Config(dataFolder, defaultCapacity), cancellationToken);
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { gatewayDll, "serve", "--config", config, "--port", "0", "--http-port", "0", "--trino-port", "0", "--no-demo" }) start.ArgumentList.Add(a);
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var listening = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var server = new GatewayServer(process);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            server.Append(e.Data);
            if (e.Data.StartsWith("gateway listening:", StringComparison.Ordinal)) listening.TrySetResult(e.Data);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null) server.Append(e.Data);
        };
        process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException("The gateway exited before listening."));
        if (!process.Start()) throw new InvalidOperationException("Could not start the gateway.");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var line = await listening.Task.WaitAsync(TimeSpan.FromMinutes(2), cancellationToken);
            var match = BinaryPort().Match(line);
            if (!match.Success) throw new InvalidOperationException($"Unexpected line: {line}");
            server.Port = int.Parse(match.Groups["port"].Value, CultureInfo.InvariantCulture);
            if (HttpListening().Match(line) is { Success: true } http) server.HttpUri = new Uri(http.Groups["uri"].Value);
            if (TrinoListening().Match(line) is { Success: true } trino) server.TrinoUri = new Uri(trino.Groups["uri"].Value);
            return server;
        }
        catch (Exception e)
        {
            Stop(process);
            throw new InvalidOperationException($"The gateway did not start: {e.Message}\n{server.Output}", e);
        }
    }

    private void Append(string line)
    {
        lock (_output)
        {
            if (_output.Length < 64 * 1024) _output.AppendLine(line);
        }
    }

    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    /// <summary>The driver's gateway.json: loopback, no auth, limits raised for the session and concurrency scenarios (not for fairness, which measures the defaults).</summary>
    private static string Config(string dataFolder, bool defaultCapacity) => JsonSerializer.Serialize(new
    {
        Gateway = new
        {
            DataFolder = dataFolder,
            Binary = new { Host = "127.0.0.1" },
            Http = new { Host = "127.0.0.1" },
            DuckDb = new { File = BenchData.DuckDbFile, DemoData = false },
            Limits = new Dictionary<string, int>
            {
                ["MaxConnections"] = 30_000,
                ["MaxSessions"] = 30_000,
                ["MaxSessionsPerUser"] = 30_000,
                ["MaxRowsPerFetch"] = 100_000,
                ["MaxMessageBytes"] = 16 * 1024 * 1024,
                // Every driver connection comes from 127.0.0.1: the sessions scenario holds 10,000 of them. The fairness
                // scenario keeps the defaults (1,000 per address), which it measures the gateway with.
                ["MaxConnectionsPerAddress"] = defaultCapacity ? 1_000 : 30_000,
                ["MaxSessionsPerAddress"] = defaultCapacity ? 1_000 : 30_000,
            },
            // Admission would queue beyond 32 running statements; the latency scenario runs up to 256 at once.
            Engines = defaultCapacity ? [] : new object[] { new { Name = "duckdb", Kind = "DuckDb", Capacity = new { MaxConcurrent = 512, MaxQueue = 1024 } } },
        },
    }, new JsonSerializerOptions { WriteIndented = true });

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
        return ValueTask.CompletedTask;
    }

    [GeneratedRegex(@"binary on [^\s,]+:(?<port>\d+)")]
    private static partial Regex BinaryPort();

    [GeneratedRegex(@"HTTP on (?<uri>https?://[^\s,]+)")]
    private static partial Regex HttpListening();

    [GeneratedRegex(@"Trino protocol on (?<uri>https?://[^\s,]+)")]
    private static partial Regex TrinoListening();
}
