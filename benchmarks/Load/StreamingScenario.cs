using System.Diagnostics;
using Gateway.Engines;
using Gateway.Engines.DuckDb;
using Gateway.Engines.HiveServer2;

namespace Gateway.Benchmarks.Load;

/// <summary>
/// Scenario 4: a query of StreamRows rows computed by DuckDB. Time to first row through the gateway (execute,
/// status, metadata, first fetch) against DuckDB's own time to its first chunk in-process; then the client
/// keeps reading (bounded by StreamDuration) while the gateway's memory is sampled.
/// </summary>
public static class StreamingScenario
{
    private const int Attempts = 3;

    /// <summary>
    /// One look at the gateway while the client reads: after <see cref="Rows"/> rows, the live heap after a full GC
    /// (what the gateway holds) and the resident set (which also counts the GC's free gen0 budget and pooled memory).
    /// </summary>
    public sealed record Snapshot(long Rows, long? LiveHeap, long Rss);

    public sealed record Result(double DuckDbFirstChunk, double GatewayFirstRow, long RowsRead, double ReadSeconds, long RssBefore, long PeakRss,
        long PeakGcHeap, long? LiveHeapCold, long? LiveHeapBefore, Snapshot? Early, Snapshot? Late, long? LiveHeapAfter, double ReplyBytesPerFetch)
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
            var heapCold = await memory.LiveHeapAfterFullGcAsync(cancellationToken);
            // A warm-up read (a tenth of the bound) fills the gateway's buffer pools and the thread pool first, so
            // the measured read shows what a stream holds rather than what the pools keep for the next one (reported
            // apart: cold → after the warm-up).
            var warm = Stopwatch.StartNew();
            await ReadAsync(connection, sql, options, rows => warm.Elapsed < options.StreamDuration / 10 && rows < options.StreamRows / 10, null, cancellationToken);
            var heapBefore = await memory.LiveHeapAfterFullGcAsync(cancellationToken);
            var rssBefore = memory.ResidentBytes();
            var sampler = memory.StartSampling();
            // Two looks, a quarter and three quarters into the bound: what the gateway holds while a client reads,
            // and whether that grows with the rows read.
            Snapshot? early = null, late = null;
            var read = Stopwatch.StartNew();
            var bytesBefore = transport.ReplyBytes;
            var (rows, fetches) = await ReadAsync(connection, sql, options, _ => read.Elapsed < options.StreamDuration, async rows =>
            {
                // Progress through the bound: time or rows, whichever ends the read first.
                var progress = Math.Max(read.Elapsed / options.StreamDuration, rows / (double)options.StreamRows);
                if (early is null && progress > 0.25) early = new Snapshot(rows, await memory.LiveHeapAfterFullGcAsync(cancellationToken), memory.ResidentBytes());
                else if (late is null && progress > 0.75) late = new Snapshot(rows, await memory.LiveHeapAfterFullGcAsync(cancellationToken), memory.ResidentBytes());
            }, cancellationToken);
            var readSeconds = read.Elapsed.TotalSeconds;
            await sampler.DisposeAsync();
            // After the operation closed: what the stream left behind (pooled buffers the gateway keeps for reuse).
            var heapAfter = await memory.LiveHeapAfterFullGcAsync(cancellationToken);
            return new Result(duckDbFirstChunk, firstRows[firstRows.Count / 2], rows, readSeconds, rssBefore, sampler.PeakResidentBytes, sampler.PeakGcHeapBytes,
                heapCold, heapBefore, early, late, heapAfter, (transport.ReplyBytes - bytesBefore) / (double)Math.Max(1, fetches));
        }
    }

    /// <summary>Runs the query and fetches while <paramref name="keepGoing"/> (given the rows read so far) holds and rows come; <paramref name="afterFetch"/> after each fetch.</summary>
    private static async Task<(long Rows, long Fetches)> ReadAsync(HiveConnection connection, string sql, LoadOptions options, Func<long, bool> keepGoing,
        Func<long, Task>? afterFetch, CancellationToken cancellationToken)
    {
        long rows = 0, fetches = 0;
        await using var op = await connection.ExecuteAsync(sql, cancellationToken);
        while (keepGoing(rows))
        {
            var (batch, more) = await op.FetchAsync(options.StreamFetchSize, cancellationToken: cancellationToken);
            rows += batch.RowCount;
            fetches++;
            var empty = batch.RowCount == 0;
            batch.Dispose();
            if (!more || empty) break;
            if (afterFetch is not null) await afterFetch(rows);
        }
        return (rows, fetches);
    }
}
