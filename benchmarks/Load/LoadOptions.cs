using System.Globalization;

namespace Gateway.Benchmarks.Load;

/// <summary>
/// What one run of the load driver does. Every loop is bounded by a count and a time. The defaults are the
/// full scale of docs/performance.md; <c>--small</c> is the quick development scale.
/// </summary>
public sealed record LoadOptions
{
    public HashSet<string> Scenarios { get; init; } = ["fetch", "latency", "sessions", "streaming", "fairness"];

    /// <summary>Rows of the large-fetch table (bigint, double, 16-char string, timestamp, decimal(18,2)).</summary>
    public long FetchRows { get; init; } = 10_000_000;
    public IReadOnlyList<int> FetchSizes { get; init; } = [10_000, 100_000];

    /// <summary>How the gateway's rows travel to the client: Thrift columns, Arrow batches (canReadArrowResult), or both.</summary>
    public HashSet<string> FetchPaths { get; init; } = ["thrift", "arrow", "trino"];

    /// <summary>Each large-fetch measurement runs this often; the best run is reported (the machine is shared).</summary>
    public int Repeat { get; init; } = 2;

    public IReadOnlyList<int> Concurrency { get; init; } = [1, 8, 64, 256];

    /// <summary>How long each latency point runs (after a short warm-up), and the most queries it may send.</summary>
    public TimeSpan LatencyDuration { get; init; } = TimeSpan.FromSeconds(10);
    public long LatencyMaxQueries { get; init; } = 2_000_000;

    public int Sessions { get; init; } = 10_000;

    /// <summary>Sessions opened per binary connection (1 = one connection per session, as JDBC/ODBC clients do).</summary>
    public int SessionsPerConnection { get; init; } = 1;

    /// <summary>How long the sessions stay untouched before their memory is taken (past the DuckDB worker threads' 30 s idle exit).</summary>
    public TimeSpan SessionSettle { get; init; } = TimeSpan.FromSeconds(35);

    public long StreamRows { get; init; } = 100_000_000;

    /// <summary>The streaming client stops after this long even when rows remain (then closes the operation).</summary>
    public TimeSpan StreamDuration { get; init; } = TimeSpan.FromSeconds(60);
    public int StreamFetchSize { get; init; } = 10_000;

    /// <summary>Npgsql connection string; null starts PostgreSQL with scripts/postgres.sh.</summary>
    public string? Postgres { get; init; }

    /// <summary>Where the data files, the gateway's data folder and logs live (kept between runs).</summary>
    public string WorkDirectory { get; init; } = "";

    /// <summary>The markdown report; null means benchmarks/results/load-&lt;utc time&gt;.md.</summary>
    public string? Output { get; init; }

    public string? GatewayDll { get; init; }
    public string? Note { get; init; }

    public static string Usage => """
        load [options]          the end-to-end load driver (see docs/performance.md)
          --scenarios a,b       fetch, latency, sessions, streaming, fairness (default: all)
          --small               development scale: 200k fetch rows, 2 s points, 1,000 sessions, 5M streamed rows
          --rows N              large-fetch rows (default 10,000,000)
          --fetch-sizes a,b     rows per FetchResults (default 10000,100000)
          --fetch-paths a,b     thrift (Thrift columns), arrow (Arrow batches), trino (the Trino protocol frontend) (default: all)
          --repeat N            runs per large-fetch measurement, best reported (default 2)
          --concurrency a,b     latency concurrency levels (default 1,8,64,256)
          --duration S          seconds per latency point (default 10)
          --sessions N          idle sessions to open (default 10,000)
          --sessions-per-connection N   (default 1)
          --session-settle S    seconds the open sessions stay idle before measuring (default 35)
          --stream-rows N       rows of the streamed query (default 100,000,000)
          --stream-seconds S    bound on reading the streamed query (default 60)
          --pg CONNSTRING       PostgreSQL (default: GATEWAY_TEST_PG, else scripts/postgres.sh start)
          --work DIR            data and gateway folder (default .cache/bench)
          --out FILE            report path (default benchmarks/results/load-<utc>.md)
          --gateway-dll PATH    the gateway to start (default gateway/bin/Release/net10.0/gateway.dll)
          --note TEXT           a line for the report (e.g. what else ran on the machine)
        """;

    public static LoadOptions Parse(IReadOnlyList<string> args, string repoRoot)
    {
        var o = new LoadOptions { WorkDirectory = Path.Combine(repoRoot, ".cache", "bench"), Postgres = Environment.GetEnvironmentVariable("GATEWAY_TEST_PG") is { Length: > 0 } pg ? pg : null };
        if (args.Contains("--small"))
        {
            o = o with
            {
                FetchRows = 200_000,
                Repeat = 1,
                LatencyDuration = TimeSpan.FromSeconds(2),
                Sessions = 1_000,
                StreamRows = 5_000_000,
                StreamDuration = TimeSpan.FromSeconds(10),
            };
        }
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            if (name == "--small") continue;
            if (i + 1 >= args.Count) throw new ArgumentException($"{name} needs a value.\n{Usage}");
            var value = args[++i];
            o = name switch
            {
                "--scenarios" => o with { Scenarios = [.. value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)] },
                "--rows" => o with { FetchRows = Long(value) },
                "--fetch-sizes" => o with { FetchSizes = Ints(value) },
                "--fetch-paths" => o with { FetchPaths = [.. value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)] },
                "--repeat" => o with { Repeat = (int)Long(value) },
                "--concurrency" => o with { Concurrency = Ints(value) },
                "--duration" => o with { LatencyDuration = TimeSpan.FromSeconds(double.Parse(value, CultureInfo.InvariantCulture)) },
                "--sessions" => o with { Sessions = (int)Long(value) },
                "--session-settle" => o with { SessionSettle = TimeSpan.FromSeconds(double.Parse(value, CultureInfo.InvariantCulture)) },
                "--sessions-per-connection" => o with { SessionsPerConnection = (int)Long(value) },
                "--stream-rows" => o with { StreamRows = Long(value) },
                "--stream-seconds" => o with { StreamDuration = TimeSpan.FromSeconds(double.Parse(value, CultureInfo.InvariantCulture)) },
                "--pg" => o with { Postgres = value },
                "--work" => o with { WorkDirectory = Path.GetFullPath(value) },
                "--out" => o with { Output = Path.GetFullPath(value) },
                "--gateway-dll" => o with { GatewayDll = Path.GetFullPath(value) },
                "--note" => o with { Note = value },
                _ => throw new ArgumentException($"Unknown option {name}.\n{Usage}"),
            };
        }
        var unknown = o.Scenarios.Except(["fetch", "latency", "sessions", "streaming", "fairness"]).ToList();
        if (unknown.Count > 0) throw new ArgumentException($"Unknown scenario(s): {string.Join(", ", unknown)}.");
        var paths = o.FetchPaths.Except(["thrift", "arrow", "trino"]).ToList();
        if (paths.Count > 0 || o.FetchPaths.Count == 0) throw new ArgumentException($"Unknown fetch path(s): {string.Join(", ", paths)} (thrift, arrow, trino).");
        if (o.FetchRows < 1 || o.Repeat < 1 || o.Sessions < 1 || o.SessionsPerConnection < 1 || o.StreamRows < 1 || o.FetchSizes.Any(s => s < 1) || o.Concurrency.Any(c => c < 1))
        {
            throw new ArgumentException("Counts must be positive.");
        }
        return o;
    }

    private static long Long(string s) => long.Parse(s.Replace("_", "", StringComparison.Ordinal), NumberStyles.AllowThousands, CultureInfo.InvariantCulture);

    private static int[] Ints(string s) => [.. s.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(v => (int)Long(v.Trim()))];
}
