using BenchmarkDotNet.Attributes;
using Gateway.Protocol.Arrow;
using Gateway.Protocol.Columnar;
using Gateway.Protocol.Thrift;

namespace Gateway.Benchmarks;

/// <summary>
/// Encoding the same 10k mixed rows as <see cref="ThriftRowSetBenchmarks"/> into an Arrow record batch
/// message: native types (buffers copied), and with the Databricks text fallbacks for DECIMAL and
/// TIMESTAMP (formatted like the Thrift path). A slice at an odd offset re-aligns bitmaps and rebases offsets.
/// <see cref="ReadNative"/> decodes the native message back into a batch (what the client does per fetch).
/// </summary>
[MemoryDiagnoser]
public class ArrowIpcBenchmarks
{
    private static readonly ArrowWriteOptions TextFallbacks = new() { DecimalAsArrow = false, TimestampAsArrow = false };

    private ColumnBatch _batch = null!;
    private readonly PooledBufferWriter _output = new();
    private ArrowSchema _schema = null!;
    private byte[] _message = [];

    [Params(false, true)]
    public bool WithNulls { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _batch = SampleBatches.Mixed(10_000, WithNulls);
        // Warm the output buffer to its working size so runs measure encoding, not growth.
        _output.Clear();
        ArrowIpc.WriteRecordBatch(_batch, 0, _batch.RowCount, TextFallbacks, _output);
        _schema = ArrowIpcReader.ReadSchema(ArrowIpc.SchemaBytes(_batch.Schema, ArrowWriteOptions.Native));
        _message = ArrowIpc.RecordBatchBytes(_batch, 0, _batch.RowCount, ArrowWriteOptions.Native);
    }

    [Benchmark(Baseline = true)]
    public int Native()
    {
        _output.Clear();
        ArrowIpc.WriteRecordBatch(_batch, 0, _batch.RowCount, ArrowWriteOptions.Native, _output);
        return _output.WrittenCount;
    }

    [Benchmark]
    public int NativeOddSlice()
    {
        _output.Clear();
        ArrowIpc.WriteRecordBatch(_batch, 3, _batch.RowCount - 3, ArrowWriteOptions.Native, _output);
        return _output.WrittenCount;
    }

    [Benchmark]
    public int DecimalAndTimestampAsText()
    {
        _output.Clear();
        ArrowIpc.WriteRecordBatch(_batch, 0, _batch.RowCount, TextFallbacks, _output);
        return _output.WrittenCount;
    }

    [Benchmark]
    public int Schema()
    {
        _output.Clear();
        ArrowIpc.WriteSchema(_batch.Schema, ArrowWriteOptions.Native, _output);
        return _output.WrittenCount;
    }

    [Benchmark]
    public int ReadNative()
    {
        using var read = ArrowIpcReader.ReadRecordBatch(_schema, _message);
        return read.RowCount;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _batch.Dispose();
        _output.Dispose();
    }
}
