using BenchmarkDotNet.Attributes;
using Gateway.Engines;
using Gateway.Engines.DuckDb;
using Gateway.Protocol.Arrow;
using Gateway.Protocol.Columnar;
using Gateway.Protocol.Hive;
using Gateway.Protocol.Thrift;

namespace Gateway.Benchmarks;

/// <summary>
/// A 10k-row DuckDB result of the large-fetch mix (bigint, double, 16-char string, decimal(18,2), timestamp) from
/// an in-memory table: DuckDB's chunks → ColumnBatch (execute included), and on to a TRowSet of TColumns written
/// through the Thrift writer, or to an Arrow IPC record batch. The differences between the three are the encoders'
/// share of a fetch.
/// </summary>
[MemoryDiagnoser]
public class DuckDbResultBenchmarks
{
    private const int Rows = 10_000;

    private DuckDbEngine _engine = null!;
    private DuckDbSession _session = null!;
    private readonly PooledBufferWriter _output = new();

    [Params(false, true)]
    public bool WithNulls { get; set; }

    private string Query => WithNulls ? "SELECT * FROM mixed_nulls" : "SELECT * FROM mixed";

    // Synchronous on purpose: BenchmarkDotNet's in-process toolchain does not wait for an async GlobalSetup.
    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        _engine = new DuckDbEngine(DuckDbEngineOptions.InMemory(threads: 1));
        _session = await _engine.OpenDuckDbSessionAsync(new EngineSessionOptions("bench"), CancellationToken.None);
        const string columns = "range AS id, range * 1.25 AS value, 'label-' || lpad(CAST(range AS VARCHAR), 10, '0') AS label, "
            + "CAST(range / 100 AS DECIMAL(18,2)) AS amount, TIMESTAMP '2024-01-01' + to_seconds(range) AS ts";
        await using (await _session.ExecuteNativeAsync($"CREATE TABLE mixed AS SELECT {columns} FROM range({Rows})", CancellationToken.None)) { }
        // Every seventh row NULL except its id, as SampleBatches.Mixed.
        await using (await _session.ExecuteNativeAsync(
            "CREATE TABLE mixed_nulls AS SELECT id, CASE WHEN id % 7 = 3 THEN NULL ELSE value END AS value, CASE WHEN id % 7 = 3 THEN NULL ELSE label END AS label, "
            + "CASE WHEN id % 7 = 3 THEN NULL ELSE amount END AS amount, CASE WHEN id % 7 = 3 THEN NULL ELSE ts END AS ts FROM mixed", CancellationToken.None)) { }
        // Warm the output buffer to its working size.
        using var batch = await ReadAsync();
        using var rowSet = HiveResultEncoder.Encode(batch, ValueFormatter.Utc, TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V10);
        rowSet.Write(new ThriftWriter(_output));
    }

    private async Task<ColumnBatch> ReadAsync()
    {
        await using var result = await _session.ExecuteNativeAsync(Query, CancellationToken.None);
        var batch = await result.ReadBatchAsync(Rows, CancellationToken.None) ?? throw new InvalidOperationException("No rows.");
        if (batch.RowCount != Rows) throw new InvalidOperationException($"Read {batch.RowCount} rows.");
        return batch;
    }

    [Benchmark(Baseline = true)]
    public async Task<int> ChunksToBatch()
    {
        using var batch = await ReadAsync();
        return batch.RowCount;
    }

    [Benchmark]
    public async Task<int> ChunksToTColumns()
    {
        using var batch = await ReadAsync();
        _output.Clear();
        using var rowSet = HiveResultEncoder.Encode(batch, ValueFormatter.Utc, TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V10);
        rowSet.Write(new ThriftWriter(_output));
        return _output.WrittenCount;
    }

    [Benchmark]
    public async Task<int> ChunksToArrow()
    {
        using var batch = await ReadAsync();
        _output.Clear();
        ArrowIpc.WriteRecordBatch(batch, 0, batch.RowCount, ArrowWriteOptions.Native, _output);
        return _output.WrittenCount;
    }

    [GlobalCleanup]
    public void Cleanup() => CleanupAsync().GetAwaiter().GetResult();

    private async Task CleanupAsync()
    {
        await _session.DisposeAsync();
        await _engine.DisposeAsync();
        _output.Dispose();
    }
}
