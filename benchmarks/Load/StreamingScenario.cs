using System.Diagnostics;
using Gateway.Engines;
using Gateway.Engines.DuckDb;

namespace Gateway.Benchmarks.Load;

/// <summary>
/// Scenario 4: a query of StreamRows rows computed by DuckDB. Time to first row through the gateway (execute,
/// status, metadata, first fetch) against DuckDB's own time to its first chunk in-process; then the client
/// keeps reading (bounded by StreamDuration) while the gateway's memory is sampled.
/// </summary>
public static class StreamingScenario
{
    private const int Attempts = 3;

    public sealed record Result(double DuckDbFirstChunk, double GatewayFirstRow, long RowsRead, double ReadSeconds, long RssBefore, long PeakRss,
        long PeakGcHeap, long? LiveHeapMidStream, long? LiveHeapBefore, double ReplyBytesPerFetch)
    {
        public double RowsPerSecond => RowsRead / ReadSeconds;
    }

    /// <summary>DuckDB's first chunk (2048 rows) of the query, in-process, on an in-memory database: the median of three.</summary>
    public static async Task<double> DuckDbFirstChunkAsync(LoadOptions options, CancellationToken cancellationToken)
    {
        await using var engine = new DuckDbEngine(DuckDbEngineOptions.InMemory());
        await using var session = await engine.OpenDuckDbSessionAsync(new EngineSessionOptions("bench"), cancellationToken);
        var times = new List<double>();
        for (var i = 0; i < Attempts + 1; i++)
        {
            var watch = Stopwatch.StartNew();
            await using (var result = await session.ExecuteNativeAsync(BenchData.StreamQuery(options.StreamRows), cancellationToken))
            {
                using var chunk = await result.ReadBatchAsync(2048, cancellationToken) ?? throw new InvalidOperationException("No rows.");
                // The first attempt warms up the session and the code; it is not counted.
                if (i > 0) times.Add(watch.Elapsed.TotalSeconds);
            }
        }
        times.Sort();
        return times[times.Count / 2];
    }

    public static async Task<Result> GatewayAsync(LoadOptions options, GatewayServer gateway, double duckDbFirstChunk, CancellationToken cancellationToken)
    {
        var (connection, transport) = await Hs2Client.OpenAsync(gateway.Port, cancellationToken);
        await using (connection)
        {
            var sql = BenchData.StreamQuery(options.StreamRows);
            var firstRows = new List<double>();
            for (var i = 0; i < Attempts + 1; i++)
            {
                var watch = Stopwatch.StartNew();
                await using var op = await connection.ExecuteAsync(sql, cancellationToken);
                var (batch, _) = await op.FetchAsync(options.StreamFetchSize, cancellationToken: cancellationToken);
                var elapsed = watch.Elapsed.TotalSeconds;
                if (batch.RowCount == 0) throw new InvalidOperationException("The streamed query returned no rows.");
                batch.Dispose();
                if (i > 0) firstRows.Add(elapsed);
            }
            firstRows.Sort();

            var memory = gateway.Memory;
            var heapBefore = await memory.LiveHeapAfterFullGcAsync(cancellationToken);
            var rssBefore = memory.ResidentBytes();
            var sampler = memory.StartSampling();
            long rows = 0, fetches = 0;
            var bytesBefore = transport.ReplyBytes;
            Task<long?>? midStream = null;
            var read = Stopwatch.StartNew();
            await using (var op = await connection.ExecuteAsync(sql, cancellationToken))
            {
                while (read.Elapsed < options.StreamDuration)
                {
                    var (batch, more) = await op.FetchAsync(options.StreamFetchSize, cancellationToken: cancellationToken);
                    rows += batch.RowCount;
                    fetches++;
                    var empty = batch.RowCount == 0;
                    batch.Dispose();
                    if (!more || empty) break;
                    // Halfway through the bound: what the gateway keeps alive while a client reads.
                    if (midStream is null && read.Elapsed > options.StreamDuration / 2) midStream = memory.LiveHeapAfterFullGcAsync(cancellationToken);
                }
            }
            var readSeconds = read.Elapsed.TotalSeconds;
            var liveMid = midStream is null ? null : await midStream;
            await sampler.DisposeAsync();
            return new Result(duckDbFirstChunk, firstRows[firstRows.Count / 2], rows, readSeconds, rssBefore, sampler.PeakResidentBytes, sampler.PeakGcHeapBytes,
                liveMid, heapBefore, (transport.ReplyBytes - bytesBefore) / (double)Math.Max(1, fetches));
        }
    }
}
