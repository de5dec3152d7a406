using System.Diagnostics;
using Gateway.Engines;
using Gateway.Engines.HiveServer2;
using Gateway.Protocol.Hive;
using Npgsql;

namespace Gateway.Benchmarks.Load;

/// <summary>
/// Scenario 1: the large table read (a) in-process from DuckDB into ColumnBatches (the lower bound: no protocol,
/// no socket), (b) through the gateway over HS2 binary with the project's client, decoded into ColumnBatches,
/// at each fetch size, as Thrift columns (Hive protocol V10, DECIMAL and TIMESTAMP as text) and as Arrow batches
/// (Spark protocol V8 with canReadArrowResult, every type native), and (c) from PostgreSQL with a plain
/// NpgsqlDataReader reading every value typed.
/// </summary>
public static class LargeFetchScenario
{
    public sealed record Run(string Path, int FetchSize, long Rows, double Seconds, long WireBytes = 0, long PeakRss = 0, long PeakGcHeap = 0, long RssBefore = 0)
    {
        public double RowsPerSecond => Rows / Seconds;
        public double MegabytesPerSecond => Rows * (double)BenchData.RowBytes / Seconds / 1024 / 1024;
    }

    /// <summary>In-process DuckDB (run while no gateway holds the database file).</summary>
    public static async Task<List<Run>> InProcessAsync(LoadOptions options, string dataFolder, CancellationToken cancellationToken)
    {
        var runs = new List<Run>();
        await using var engine = BenchData.OpenDuckDb(dataFolder);
        await using var session = await engine.OpenDuckDbSessionAsync(new EngineSessionOptions("bench"), cancellationToken);
        foreach (var fetchSize in options.FetchSizes)
        {
            Run? best = null;
            for (var i = 0; i < options.Repeat; i++)
            {
                var watch = Stopwatch.StartNew();
                long rows = 0;
                await using (var result = await session.ExecuteNativeAsync(BenchData.Select(options.FetchRows), cancellationToken))
                {
                    while (await result.ReadBatchAsync(fetchSize, cancellationToken) is { } batch)
                    {
                        rows += batch.RowCount;
                        batch.Dispose();
                    }
                }
                var run = new Run("in-process DuckDB → ColumnBatch", fetchSize, Check(rows, options), watch.Elapsed.TotalSeconds);
                if (best is null || run.Seconds < best.Seconds) best = run;
            }
            runs.Add(best!);
        }
        return runs;
    }

    public const string ThriftPath = "gateway HS2 binary";
    public const string ArrowPath = "gateway HS2 binary, Arrow";

    public static async Task<List<Run>> GatewayAsync(LoadOptions options, GatewayServer gateway, CancellationToken cancellationToken)
    {
        var runs = new List<Run>();
        foreach (var fetchSize in options.FetchSizes)
        {
            // The paths take turns at each fetch size, so both see the machine in the same state.
            if (options.FetchPaths.Contains("thrift")) runs.Add(await GatewayPathAsync(options, gateway, fetchSize, arrow: false, cancellationToken));
            if (options.FetchPaths.Contains("arrow")) runs.Add(await GatewayPathAsync(options, gateway, fetchSize, arrow: true, cancellationToken));
            if (options.FetchPaths.Contains("trino") && gateway.TrinoUri is not null) runs.Add(await TrinoPathAsync(options, gateway, fetchSize, cancellationToken));
        }
        return runs;
    }

    private static async Task<Run> GatewayPathAsync(LoadOptions options, GatewayServer gateway, int fetchSize, bool arrow, CancellationToken cancellationToken)
    {
        var memory = gateway.Memory;
        Run? best = null;
        for (var i = 0; i < options.Repeat; i++)
        {
            var (connection, transport) = arrow
                ? await Hs2Client.OpenAsync(gateway.Port, cancellationToken, TProtocolVersion.SPARK_CLI_SERVICE_PROTOCOL_V8, HiveArrowOptions.Native)
                : await Hs2Client.OpenAsync(gateway.Port, cancellationToken);
            await using (connection)
            {
                var before = memory.ResidentBytes();
                var sampler = memory.StartSampling();
                var watch = Stopwatch.StartNew();
                long rows = 0;
                var bytesBefore = transport.ReplyBytes;
                await using (var op = await connection.ExecuteAsync(BenchData.Select(options.FetchRows), cancellationToken))
                {
                    // Measure what was asked for: a gateway that answered with Thrift columns would not be the Arrow path.
                    await op.GetSchemaAsync(cancellationToken);
                    if (arrow != op.Arrow is not null) throw new InvalidOperationException($"The gateway answered {(arrow ? "without" : "with")} Arrow batches.");
                    while (true)
                    {
                        var (batch, more) = await op.FetchAsync(fetchSize, cancellationToken: cancellationToken);
                        rows += batch.RowCount;
                        var empty = batch.RowCount == 0;
                        batch.Dispose();
                        if (!more || empty) break;
                    }
                }
                var seconds = watch.Elapsed.TotalSeconds;
                await sampler.DisposeAsync();
                var run = new Run(arrow ? ArrowPath : ThriftPath, fetchSize, Check(rows, options), seconds, transport.ReplyBytes - bytesBefore, sampler.PeakResidentBytes, sampler.PeakGcHeapBytes, before);
                if (best is null || run.Seconds < best.Seconds) best = run;
            }
        }
        return best!;
    }

    public const string TrinoPath = "gateway Trino protocol";

    /// <summary>
    /// The same rows through the gateway's Trino frontend, read by the project's Trino engine adapter (a client of the
    /// protocol like the Trino CLI: JSON pages of about 1 MiB, every value decoded typed). The fetch size is the
    /// batches asked of the adapter; the pages are the server's.
    /// </summary>
    private static async Task<Run> TrinoPathAsync(LoadOptions options, GatewayServer gateway, int fetchSize, CancellationToken cancellationToken)
    {
        var memory = gateway.Memory;
        Run? best = null;
        for (var i = 0; i < options.Repeat; i++)
        {
            await using var engine = new Gateway.Engines.Trino.TrinoEngine(new Gateway.Engines.Trino.TrinoEngineOptions
            {
                Name = "bench",
                Port = gateway.TrinoUri!.Port,
                User = "bench",
                RequestTimeout = TimeSpan.FromMinutes(10),
            });
            await using var session = await engine.OpenSessionAsync(new EngineSessionOptions("bench"), cancellationToken);
            var before = memory.ResidentBytes();
            var sampler = memory.StartSampling();
            var watch = Stopwatch.StartNew();
            long rows = 0;
            await using (var result = await session.ExecuteAsync(BenchData.Select(options.FetchRows), ExecuteOptions.Default, cancellationToken))
            {
                while (await result.ReadBatchAsync(fetchSize, cancellationToken) is { } batch)
                {
                    rows += batch.RowCount;
                    batch.Dispose();
                }
            }
            var seconds = watch.Elapsed.TotalSeconds;
            await sampler.DisposeAsync();
            var run = new Run(TrinoPath, fetchSize, Check(rows, options), seconds, 0, sampler.PeakResidentBytes, sampler.PeakGcHeapBytes, before);
            if (best is null || run.Seconds < best.Seconds) best = run;
        }
        return best!;
    }

    public static async Task<Run> PostgresAsync(LoadOptions options, NpgsqlDataSource pg, CancellationToken cancellationToken)
    {
        Run? best = null;
        for (var i = 0; i < options.Repeat; i++)
        {
            await using var connection = await pg.OpenConnectionAsync(cancellationToken);
            var watch = Stopwatch.StartNew();
            long rows = 0;
            long checksum = 0;
            await using (var command = new NpgsqlCommand(BenchData.Select(options.FetchRows), connection))
            {
                command.CommandTimeout = 0;
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    // Every value read typed, as a client would: the cost Npgsql and the server put on a row.
                    checksum += reader.GetInt64(0) + (long)reader.GetDouble(1) + reader.GetString(2).Length + reader.GetDateTime(3).Ticks + (long)reader.GetDecimal(4);
                    rows++;
                }
            }
            GC.KeepAlive(checksum);
            var run = new Run("PostgreSQL Npgsql reader", 0, Check(rows, options), watch.Elapsed.TotalSeconds);
            if (best is null || run.Seconds < best.Seconds) best = run;
        }
        return best!;
    }

    private static long Check(long rows, LoadOptions options) =>
        rows == options.FetchRows ? rows : throw new InvalidOperationException($"Read {rows} rows, expected {options.FetchRows}.");
}
