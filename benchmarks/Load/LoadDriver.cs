using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace Gateway.Benchmarks.Load;

/// <summary>
/// The end-to-end load driver: <c>./scripts/bench.sh</c> (or <c>dotnet run -c Release --project benchmarks -- load</c>).
/// Runs the in-process baselines first (the gateway's database file is then free), starts the gateway as a
/// separate process, runs the scenarios against it and the PostgreSQL baselines, prints the tables and writes
/// them with the machine's description to benchmarks/results/.
/// </summary>
public static class LoadDriver
{
    /// <summary>Nothing in a run may take longer than this, whatever the options.</summary>
    private static readonly TimeSpan RunLimit = TimeSpan.FromHours(2);

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Contains("--help") || args.Contains("-h"))
        {
            Console.WriteLine(LoadOptions.Usage);
            return 0;
        }
        var repoRoot = RepoRoot();
        LoadOptions options;
        try
        {
            options = LoadOptions.Parse(args, repoRoot);
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync(e.Message);
            return 2;
        }
        using var cts = new CancellationTokenSource(RunLimit);
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cts.Cancel();
        };
        var ct = cts.Token;
        var report = new Report();
        var header = "# Load driver results\n\n" + Report.Machine(repoRoot, options.Note)
            + $"- Command: `./scripts/bench.sh {string.Join(' ', args.Select(a => a.Contains(' ', StringComparison.Ordinal) ? $"\"{a}\"" : a))}`\n"
            + $"- Scale: {options.FetchRows:N0} fetch rows, fetch sizes {string.Join("/", options.FetchSizes)}, best of {options.Repeat}; latency {options.LatencyDuration.TotalSeconds:F0} s per point; "
            + $"{options.Sessions:N0} sessions ({options.SessionsPerConnection} per connection, measured after {options.SessionSettle.TotalSeconds:F0} s idle); {options.StreamRows:N0} streamed rows (read for at most {options.StreamDuration.TotalSeconds:F0} s)\n"
            + $"- Other work on the machine at start: {Report.OtherWork()}\n";
        var gatewayData = Path.Combine(options.WorkDirectory, "gateway");
        Directory.CreateDirectory(gatewayData);
        var total = Stopwatch.StartNew();

        NpgsqlDataSource? pg = null;
        if (options.Scenarios.Contains("fetch") || options.Scenarios.Contains("latency"))
        {
            var connectionString = options.Postgres ?? StartPostgres(repoRoot);
            var builder = new NpgsqlDataSourceBuilder(connectionString);
            builder.ConnectionStringBuilder.MaxPoolSize = Math.Max(100, options.Concurrency.Max() + 10);
            builder.ConnectionStringBuilder.Pooling = true;
            pg = builder.Build();
        }
        try
        {
            List<LargeFetchScenario.Run> fetchRuns = [];
            double? firstChunk = null;
            if (options.Scenarios.Contains("fetch"))
            {
                Console.WriteLine("== large fetch: preparing data");
                await BenchData.EnsureDuckDbAsync(gatewayData, options.FetchRows, ct);
                await BenchData.EnsurePostgresAsync(pg!, options.FetchRows, ct);
                Console.WriteLine("== large fetch: in-process DuckDB");
                fetchRuns.AddRange(await LargeFetchScenario.InProcessAsync(options, gatewayData, ct));
                Console.WriteLine("== large fetch: PostgreSQL");
                fetchRuns.Add(await LargeFetchScenario.PostgresAsync(options, pg!, ct));
            }
            if (options.Scenarios.Contains("streaming"))
            {
                Console.WriteLine("== streaming: DuckDB's first chunk in-process");
                firstChunk = await StreamingScenario.DuckDbFirstChunkAsync(options, ct);
            }

            Console.WriteLine("== starting the gateway");
            await using var gateway = await GatewayServer.StartAsync(options.GatewayDll ?? GatewayServer.DefaultDll(repoRoot), gatewayData, ct);
            Console.WriteLine($"   gateway pid {gateway.Pid}, binary port {gateway.Port}");
            header += $"- Gateway: separate process (pid {gateway.Pid}), binary port {gateway.Port}, RSS at start {Report.Mb(gateway.Memory.ResidentBytes())} MB\n";
            if (options.Scenarios.Contains("fetch"))
            {
                Console.WriteLine("== large fetch: gateway");
                fetchRuns.AddRange(await LargeFetchScenario.GatewayAsync(options, gateway, ct));
                ReportFetch(report, options, fetchRuns);
            }
            if (options.Scenarios.Contains("latency"))
            {
                var points = new List<LatencyScenario.Point>();
                var maxConnections = await PgMaxConnectionsAsync(pg!, ct);
                Console.WriteLine("== latency: in-process DuckDB, concurrency 1");
                points.Add(await LatencyScenario.RunAsync(LatencyScenario.DuckDbFloor, 1, options, gateway.Port, pg, ct));
                // DuckDB alone, one statement at a time and one per core: its own cost per statement and the most
                // statements per second it can run on this machine, whatever is in front of it.
                foreach (var c in new[] { 1, Environment.ProcessorCount }.Distinct())
                {
                    Console.WriteLine($"== latency: DuckDB C API, concurrency {c}");
                    points.Add(await LatencyScenario.RunAsync(LatencyScenario.DuckDbRaw, c, options, gateway.Port, pg, ct));
                }
                foreach (var c in options.Concurrency)
                {
                    foreach (var mode in new[] { LatencyScenario.Hs2Full, LatencyScenario.Hs2Direct, LatencyScenario.Hs2Status, LatencyScenario.Postgres })
                    {
                        Console.WriteLine($"== latency: {mode}, concurrency {c}");
                        if (mode == LatencyScenario.Postgres && c + 5 > maxConnections)
                        {
                            points.Add(new LatencyScenario.Point(mode, c, 0, 1, double.NaN, double.NaN, double.NaN, $"PostgreSQL max_connections is {maxConnections} (scripts/bench.sh raises it)"));
                            continue;
                        }
                        points.Add(await LatencyScenario.RunAsync(mode, c, options, gateway.Port, pg, ct));
                    }
                }
                ReportLatency(report, points);
            }
            if (options.Scenarios.Contains("streaming"))
            {
                Console.WriteLine("== streaming: gateway");
                var result = await StreamingScenario.GatewayAsync(options, gateway, firstChunk!.Value, ct);
                ReportStreaming(report, options, result);
            }
            if (options.Scenarios.Contains("sessions"))
            {
                Console.WriteLine($"== sessions: {options.Sessions:N0}");
                ReportSessions(report, await SessionsScenario.RunAsync(options, gateway, ct));
            }
            if (options.Scenarios.Contains("fairness"))
            {
                Console.WriteLine("== fairness: a healthy user while another holds every slot it may (second gateway, default capacity)");
                ReportFairness(report, await FairnessScenario.RunAsync(options, options.GatewayDll ?? GatewayServer.DefaultDll(repoRoot), Path.Combine(options.WorkDirectory, "fairness"), ct));
            }
            header += $"- Load average at end: {Report.LoadAverage()}; total time {total.Elapsed.TotalMinutes:F1} min\n";
            if (gateway.Output.Length > 0) report.Line($"\n<details><summary>Gateway output</summary>\n\n```\n{gateway.Output.Trim()}\n```\n</details>");
        }
        finally
        {
            if (pg is not null) await pg.DisposeAsync();
        }
        var path = options.Output ?? Path.Combine(repoRoot, "benchmarks", "results", $"load-{DateTime.UtcNow:yyyyMMdd-HHmm}.md");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllTextAsync(path, report.Render(header), ct);
        Console.WriteLine($"Report written to {path}");
        return 0;
    }

    private static void ReportFetch(Report report, LoadOptions options, List<LargeFetchScenario.Run> runs)
    {
        report.Heading($"1. Large fetch ({options.FetchRows:N0} rows × bigint, double, 16-char string, timestamp, decimal(18,2))",
            $"MB/s counts {BenchData.RowBytes} logical bytes per row for every path. \"gateway HS2 binary\": Thrift columns (Hive protocol V10; DECIMAL and TIMESTAMP travel as text); \", Arrow\": Arrow record batches (Spark protocol V8, canReadArrowResult, every type native), decoded by the client's Arrow reader. Gateway memory: the gateway process while it serves the fetch (peak RSS sampled every 50 ms and the kernel's VmHWM; GC heap from the runtime's gc-heap-size counter, 1 s samples).");
        var pg = runs.Single(r => r.FetchSize == 0);
        report.Table(["Path", "Fetch size", "Rows/s", "MB/s", "Seconds", "vs in-process", "vs PostgreSQL", "Wire MB", "Gateway RSS before → peak MB", "Gateway GC heap peak MB"],
            runs.Select(r =>
            {
                var inProc = runs.FirstOrDefault(x => x.Path.StartsWith("in-process", StringComparison.Ordinal) && x.FetchSize == r.FetchSize);
                var isGateway = r.Path.StartsWith("gateway", StringComparison.Ordinal);
                return (IReadOnlyList<string>)[r.Path, r.FetchSize == 0 ? "—" : Report.N(r.FetchSize), Report.N(r.RowsPerSecond), Report.N(r.MegabytesPerSecond, "F1"), Report.N(r.Seconds, "F2"),
                    inProc is null ? "—" : Report.Ratio(r.RowsPerSecond / inProc.RowsPerSecond), Report.Ratio(r.RowsPerSecond / pg.RowsPerSecond),
                    isGateway ? Report.Mb(r.WireBytes) : "—", isGateway ? $"{Report.Mb(r.RssBefore)} → {Report.Mb(r.PeakRss)}" : "—", isGateway ? Report.Mb(r.PeakGcHeap) : "—"];
            }));
        // The Trino protocol against the same rows over HS2 (Thrift columns) at the same fetch size.
        foreach (var t in runs.Where(r => r.Path == LargeFetchScenario.TrinoPath))
        {
            if (runs.FirstOrDefault(x => x.Path == LargeFetchScenario.ThriftPath && x.FetchSize == t.FetchSize) is not { } hs2) continue;
            var vsHs2 = t.RowsPerSecond / hs2.RowsPerSecond;
            report.Target($"Large fetch over the Trino protocol (fetch size {t.FetchSize:N0}) ≥ 0.25× the same rows over HS2 Thrift columns",
                $"{Report.Ratio(vsHs2)} ({Report.N(t.RowsPerSecond)} vs {Report.N(hs2.RowsPerSecond)} rows/s)", vsHs2 >= 0.25);
        }
        foreach (var g in runs.Where(r => r.Path.StartsWith("gateway", StringComparison.Ordinal) && r.Path != LargeFetchScenario.TrinoPath))
        {
            var inProc = runs.First(x => x.Path.StartsWith("in-process", StringComparison.Ordinal) && x.FetchSize == g.FetchSize);
            var vsDuck = g.RowsPerSecond / inProc.RowsPerSecond;
            var vsPg = g.RowsPerSecond / pg.RowsPerSecond;
            var via = g.Path == LargeFetchScenario.ArrowPath ? "Arrow" : "Thrift columns";
            report.Target($"Large fetch, {via} (fetch size {g.FetchSize:N0}) ≥ 0.5× in-process DuckDB", $"{Report.Ratio(vsDuck)} ({Report.N(g.RowsPerSecond)} vs {Report.N(inProc.RowsPerSecond)} rows/s)", vsDuck >= 0.5);
            report.Target($"Large fetch, {via} (fetch size {g.FetchSize:N0}) ≥ 2× PostgreSQL/Npgsql", $"{Report.Ratio(vsPg)} ({Report.N(g.RowsPerSecond)} vs {Report.N(pg.RowsPerSecond)} rows/s)", vsPg >= 2);
        }
    }

    private static void ReportFairness(Report report, List<FairnessScenario.Point> points)
    {
        report.Heading("5. Fair share (SELECT 1 of a healthy user while another user holds every slot it may)",
            "A second gateway with the embedded engine's default capacity: 32 slots, at most 16 per user (Capacity:MaxPerUser), 128 of one user queued. The other user starts 48 statements over binary and reads none, 32 HTTP clients that read ten rows and go away without closing, and a loop that keeps starting statements; from 127.0.0.2 it holds 1,000 silent TCP connections to each listener (Limits:MaxConnectionsPerAddress), reopened as the gateway closes them. The healthy user runs SELECT 1 one at a time on its own connection from 127.0.0.1. Latencies in milliseconds.");
        report.Table(["Phase", "Transport", "Queries", "p50 ms", "p99 ms", "max ms", "Hog statements started / refused", "Silent connections open", "Note"],
            points.Select(p => (IReadOnlyList<string>)[p.Phase, p.Transport, Report.N(p.Queries), Report.Ms(p.P50), Report.Ms(p.P99), Report.Ms(p.Max),
                p.Phase == "quiet" ? "—" : $"{Report.N(p.HogStarted)} / {Report.N(p.HogRefused)}", p.Phase == "quiet" ? "—" : Report.N(p.SilentConnections), p.Error ?? ""]));
        foreach (var p in points.Where(p => p.Phase != "quiet"))
        {
            report.Target($"Healthy user's SELECT 1 over {p.Transport} answers within 1 s while another user holds every slot it may (max)",
                p.Error ?? $"{Report.Ms(p.Max)} ms max, {Report.Ms(p.P99)} ms p99 over {Report.N(p.Queries)} queries", p.Error is null && p.Max < 1.0);
        }
    }

    private static void ReportLatency(Report report, List<LatencyScenario.Point> points)
    {
        report.Heading("2. Small-query latency (SELECT 1, closed loop, one connection and session per worker)",
            "Latencies in milliseconds; ratios are against PostgreSQL at the same concurrency. The in-process DuckDB row is the engine's own SELECT 1 through the adapter (no protocol, no socket): the floor under the gateway. The DuckDB C API rows are DuckDB alone on the caller's thread (prepare, run, first chunk), at concurrency 1 and one per core: what DuckDB costs per statement and the most statements per second it runs on this machine. The round-trip rows are one GetOperationStatus of a long-finished statement: the protocol layer's own cost per call, no engine.");
        report.Table(["Path", "Concurrency", "Queries", "Queries/s", "p50 ms", "p95 ms", "p99 ms", "p50 vs PostgreSQL", "Note"],
            points.Select(p =>
            {
                var pg = points.FirstOrDefault(x => x.Mode == LatencyScenario.Postgres && x.Concurrency == p.Concurrency && x.Error is null);
                return (IReadOnlyList<string>)[p.Mode, Report.N(p.Concurrency), Report.N(p.Queries), Report.N(p.QueriesPerSecond), Report.Ms(p.P50), Report.Ms(p.P95), Report.Ms(p.P99),
                    pg is null || p.Mode == LatencyScenario.Postgres ? "—" : Report.Ratio(p.P50 / pg.P50), p.Error ?? ""];
            }));
        foreach (var c in points.Select(p => p.Concurrency).Distinct())
        {
            var pg = points.FirstOrDefault(x => x.Mode == LatencyScenario.Postgres && x.Concurrency == c && x.Error is null);
            if (!points.Any(x => x.Mode == LatencyScenario.Hs2Full && x.Concurrency == c)) continue;
            var full = points.First(x => x.Mode == LatencyScenario.Hs2Full && x.Concurrency == c);
            var direct = points.First(x => x.Mode == LatencyScenario.Hs2Direct && x.Concurrency == c);
            if (pg is null) continue;
            if (c == 1)
            {
                report.Target("HS2 SELECT 1 full round trip ≤ 3× PostgreSQL (p50, concurrency 1)", $"{Report.Ratio(full.P50 / pg.P50)} ({Report.Ms(full.P50)} vs {Report.Ms(pg.P50)} ms)", full.P50 <= 3 * pg.P50);
                report.Target("HS2 SELECT 1 with direct results ≤ 1.2× PostgreSQL (p50, concurrency 1)", $"{Report.Ratio(direct.P50 / pg.P50)} ({Report.Ms(direct.P50)} vs {Report.Ms(pg.P50)} ms)", direct.P50 <= 1.2 * pg.P50);
            }
            if (c == 64)
            {
                report.Target("Queries/s at concurrency 64 ≥ PostgreSQL (full / direct)",
                    $"{Report.N(full.QueriesPerSecond)} / {Report.N(direct.QueriesPerSecond)} vs {Report.N(pg.QueriesPerSecond)} q/s", full.QueriesPerSecond >= pg.QueriesPerSecond);
            }
        }
    }

    private static void ReportStreaming(Report report, LoadOptions options, StreamingScenario.Result r)
    {
        report.Heading($"4. Streaming ({options.StreamRows:N0}-row query, fetch size {options.StreamFetchSize:N0})",
            "Time to first row: ExecuteStatement → GetOperationStatus → GetResultSetMetadata → first FetchResults returns rows (median of 3 after a warm-up). DuckDB: execute and first 2048-row chunk in-process (median of 3).");
        var growth = r.PeakRss - r.RssBefore;
        report.Table(["Measure", "Value"],
        [
            ["DuckDB first chunk in-process", Report.Ms(r.DuckDbFirstChunk) + " ms"],
            ["Gateway time to first row", Report.Ms(r.GatewayFirstRow) + " ms"],
            ["Ratio", Report.Ratio(r.GatewayFirstRow / r.DuckDbFirstChunk)],
            ["Rows read (bounded by time)", $"{Report.N(r.RowsRead)} in {r.ReadSeconds:F1} s ({Report.N(r.RowsPerSecond)} rows/s)"],
            ["One fetch reply", Report.Mb(r.ReplyBytesPerFetch) + " MB"],
            ["Gateway RSS before → peak while streaming", $"{Report.Mb(r.RssBefore)} → {Report.Mb(r.PeakRss)} MB (+{Report.Mb(growth)} MB = {growth / r.ReplyBytesPerFetch:F1} fetch replies)"],
            ["Gateway GC heap peak (counter)", Report.Mb(r.PeakGcHeap) + " MB"],
            ["Gateway live heap after full GC: cold → after a warm-up read (pools filled)", $"{Heap(r.LiveHeapCold)} → {Heap(r.LiveHeapBefore)} MB"],
            ["Gateway live heap after full GC: idle (warm) → ¼ → ¾ of the read → closed", $"{Heap(r.LiveHeapBefore)} → {Heap(r.Early?.LiveHeap)} → {Heap(r.Late?.LiveHeap)} → {Heap(r.LiveHeapAfter)} MB"],
            ["Gateway RSS at ¼ → ¾ of the read (rows read)", r.Early is { } e && r.Late is { } l ? $"{Report.Mb(e.Rss)} → {Report.Mb(l.Rss)} MB ({Report.N(e.Rows)} → {Report.N(l.Rows)} rows)" : "(the stream ended first)"],
        ]);
        report.Target("Time to first row of the streamed query ≤ 2× DuckDB's first chunk", $"{Report.Ratio(r.GatewayFirstRow / r.DuckDbFirstChunk)} ({Report.Ms(r.GatewayFirstRow)} vs {Report.Ms(r.DuckDbFirstChunk)} ms)", r.GatewayFirstRow <= 2 * r.DuckDbFirstChunk);
        // What the gateway holds while streaming is its live heap after a full GC (batches, the reply, pooled
        // buffers); the resident set adds the GC's free budget (gen0 and the heaps Server GC keeps committed), which
        // follows the GC's own sizing and the machine's load rather than the stream, so it is reported, not judged.
        // "Within a few batches": the live heap holds at most 8 replies more than idle, and does not grow by more than
        // one reply between ¼ and ¾ of the read while millions of rows pass.
        if (r is { LiveHeapBefore: { } idle, Early: { LiveHeap: { } early } e2, Late: { LiveHeap: { } late } l2 })
        {
            var held = (late - idle) / r.ReplyBytesPerFetch;
            var liveGrowth = (late - early) / r.ReplyBytesPerFetch;
            var rssGrowth = (l2.Rss - e2.Rss) / r.ReplyBytesPerFetch;
            report.Target("Gateway memory while streaming stays within a few batches",
                $"live heap +{held:F1} replies of {Report.Mb(r.ReplyBytesPerFetch)} MB over idle; from ¼ to ¾ of the read ({Report.N(l2.Rows - e2.Rows)} rows) live heap {liveGrowth:+0.0;-0.0} and RSS {rssGrowth:+0.0;-0.0} replies; RSS peak +{Report.Mb(growth)} MB over idle",
                held <= 8 && liveGrowth <= 1);
        }
        else
        {
            report.Target("Gateway memory while streaming stays within a few batches", $"not measured (the stream ended before ¾ of the bound, or the live heap could not be read); RSS peak +{Report.Mb(growth)} MB", null);
        }

        static string Heap(long? bytes) => bytes is { } b ? Report.Mb(b) : "?";
    }

    private static void ReportSessions(Report report, SessionsScenario.Result r)
    {
        report.Heading($"3. Sessions ({r.Sessions:N0} idle sessions on {r.Connections:N0} binary connections)",
            "Per session: (gateway memory with all sessions open − before) / sessions. Live heap: after a full GC the driver asks the gateway for (EventPipe GCHeapCollect, as dotnet-gcdump).");
        report.Table(["Measure", "Value"],
        [
            ["Open (connect + SASL + OpenSession, 16 at a time)", $"{r.OpenSeconds:F1} s = {Report.N(r.OpensPerSecond)} sessions/s"],
            ["Close (CloseSession + disconnect, 16 at a time)", $"{r.CloseSeconds:F1} s = {Report.N(r.ClosesPerSecond)} sessions/s"],
            ["Gateway RSS before → open → closed", $"{Report.Mb(r.RssBefore)} → {Report.Mb(r.RssOpen)} → {Report.Mb(r.RssAfter)} MB"],
            ["Gateway live heap before → open → closed", $"{Opt(r.HeapBefore)} → {Opt(r.HeapOpen)} → {Opt(r.HeapAfter)} MB"],
            ["RSS per idle session", $"{r.RssPerSession / 1024:F1} KB"],
            ["Live GC heap per idle session", r.HeapPerSession is { } h ? $"{h / 1024:F1} KB" : "?"],
            ["Error", r.Error ?? "none"],
        ]);
        report.Target("≤ 20 KB per idle session (RSS)", $"{r.RssPerSession / 1024:F1} KB RSS, {(r.HeapPerSession is { } hp ? (hp / 1024).ToString("F1", CultureInfo.InvariantCulture) : "?")} KB GC heap", r.Error is null ? r.RssPerSession <= 20 * 1024 : false);
    }

    private static string Opt(long? bytes) => bytes is { } b ? Report.Mb(b) : "?";

    private static async Task<int> PgMaxConnectionsAsync(NpgsqlDataSource pg, CancellationToken cancellationToken)
    {
        await using var command = pg.CreateCommand("SHOW max_connections");
        return int.Parse((string)(await command.ExecuteScalarAsync(cancellationToken))!, CultureInfo.InvariantCulture);
    }

    private static string StartPostgres(string repoRoot)
    {
        var info = new ProcessStartInfo("bash", [Path.Combine(repoRoot, "scripts", "postgres.sh"), "start"]) { RedirectStandardOutput = true };
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();
        if (process.ExitCode != 0 || output.Length == 0) throw new InvalidOperationException("scripts/postgres.sh start failed.");
        return output;
    }

    private static string RepoRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Gateway.sln"))) return dir.FullName;
            }
        }
        throw new InvalidOperationException("Run the load driver inside the repository (Gateway.sln not found).");
    }
}
