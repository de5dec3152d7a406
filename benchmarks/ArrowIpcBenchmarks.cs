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
    private byte[] _schemaBytes = [];
    private byte[] _concatenated = [];

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
        _schemaBytes = ArrowIpc.SchemaBytes(_batch.Schema, ArrowWriteOptions.Native);
        _concatenated = new byte[_schemaBytes.Length + _message.Length];
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

    /// <summary>
    /// What reading the same message through Apache.Arrow costs at the least: its reader needs the schema message in
    /// front of the batch (Databricks results send them apart), so the two are put together in a reused buffer, read
    /// into Apache.Arrow arrays that are views of it, and each buffer copied once into a pooled array (the least a
    /// conversion into our columns does; <see cref="ReadNative"/> does the whole conversion). The reason the
    /// production reader stays ours (protocol/Arrow/README.md).
    /// </summary>
    [Benchmark]
    public int ReadApacheArrowPlusOneCopy()
    {
        var schemaBytes = _schemaBytes;
        schemaBytes.CopyTo(_concatenated, 0);
        _message.CopyTo(_concatenated, schemaBytes.Length);
        using var reader = new Apache.Arrow.Ipc.ArrowStreamReader(_concatenated.AsMemory(0, schemaBytes.Length + _message.Length));
        using var batch = reader.ReadNextRecordBatch();
        var copied = 0;
        for (var c = 0; c < batch.ColumnCount; c++)
        {
            foreach (var buffer in batch.Column(c).Data.Buffers)
            {
                if (buffer.Length == 0) continue;
                var target = BufferPool<byte>.Shared.Rent(buffer.Length);
                buffer.Span.CopyTo(target);
                copied += buffer.Length;
                BufferPool<byte>.Shared.Return(target);
            }
        }
        return copied;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _batch.Dispose();
        _output.Dispose();
    }
}
