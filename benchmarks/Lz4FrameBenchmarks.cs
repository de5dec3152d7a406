using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using Gateway.Protocol.Columnar;
using Gateway.Protocol.Compression;
using Gateway.Protocol.Thrift;

namespace Gateway.Benchmarks;

/// <summary>
/// LZ4-frame compression of ~1 MiB of Arrow-like columnar data (the buffers of the large-fetch mix, laid
/// out as in an Arrow record batch body), as the Databricks HS2 extension sends lz4Compressed batches.
/// </summary>
[MemoryDiagnoser]
public class Lz4FrameBenchmarks
{
    private static readonly Lz4FrameOptions NoChecksum = new() { ContentChecksum = false };
    private byte[] _body = [];
    private byte[] _frame = [];
    private readonly PooledBufferWriter _output = new(2 << 20);

    [GlobalSetup]
    public void Setup()
    {
        using var batch = SampleBatches.Mixed(17_000, withNulls: true);
        _body = ArrowLikeBody(batch);
        _frame = Lz4Frame.Compress(_body);
        Console.WriteLine($"// lz4 input {_body.Length} bytes, frame {_frame.Length} bytes, ratio {(double)_body.Length / _frame.Length:F2}");
    }

    [Benchmark(Baseline = true)]
    public int Compress()
    {
        _output.Clear();
        Lz4Frame.Compress(_body, _output);
        return _output.WrittenCount;
    }

    [Benchmark]
    public int CompressWithoutContentChecksum()
    {
        _output.Clear();
        Lz4Frame.Compress(_body, _output, NoChecksum);
        return _output.WrittenCount;
    }

    [Benchmark]
    public int Decompress() => Lz4Frame.Decompress(_frame, _body.Length).Length;

    // K4os.Compression.LZ4.Streams 1.3.8, the well-kept library: the same frame shape as far as it can write one
    // (independent blocks, content checksum; it does not implement the content size), into the same pooled writer.
    // CompressK4os is why Lz4Block's compressor stays (it is slower and allocates per frame); DecompressK4os, the
    // library alone, against Decompress (our structural checks, then the library) shows what the checks cost.
    private static readonly K4os.Compression.LZ4.Streams.LZ4EncoderSettings K4osSettings = new() { ContentChecksum = true, ChainBlocks = false, BlockSize = 1024 * 1024 };
    private byte[] _k4osFrame = [];

    [Benchmark]
    public int CompressK4os()
    {
        _output.Clear();
        K4os.Compression.LZ4.Streams.LZ4Frame.Encode(_body.AsSpan(), _output, K4osSettings);
        return _output.WrittenCount;
    }

    [Benchmark]
    public int DecompressK4os()
    {
        if (_k4osFrame.Length == 0)
        {
            _output.Clear();
            K4os.Compression.LZ4.Streams.LZ4Frame.Encode(_body.AsSpan(), _output, K4osSettings);
            _k4osFrame = _output.WrittenSpan.ToArray();
        }
        _output.Clear();
        K4os.Compression.LZ4.Streams.LZ4Frame.Decode(_k4osFrame.AsSpan(), _output);
        return _output.WrittenCount;
    }

    [GlobalCleanup]
    public void Cleanup() => _output.Dispose();

    /// <summary>Each column's validity bitmap and value buffers (offsets then bytes for strings), 8-byte aligned.</summary>
    internal static byte[] ArrowLikeBody(ColumnBatch batch)
    {
        using var body = new MemoryStream();
        void Append(ReadOnlySpan<byte> buffer)
        {
            body.Write(buffer);
            while (body.Length % 8 != 0) body.WriteByte(0);
        }
        foreach (var column in batch.Columns)
        {
            if (column.Validity is { } validity) Append(validity.AsSpan(0, Bitmap.ByteCount(column.Length)));
            switch (column)
            {
                case PrimitiveColumn<long> c: Append(MemoryMarshal.AsBytes(c.Span)); break;
                case PrimitiveColumn<double> c: Append(MemoryMarshal.AsBytes(c.Span)); break;
                case PrimitiveColumn<Int128> c: Append(MemoryMarshal.AsBytes(c.Span)); break;
                case BinaryColumn c:
                    Append(MemoryMarshal.AsBytes(c.Offsets.AsSpan(0, c.Length + 1)));
                    Append(c.Data.AsSpan(0, c.DataLength));
                    break;
                default: throw new NotSupportedException(column.GetType().Name);
            }
        }
        return body.ToArray();
    }
}
