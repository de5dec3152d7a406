using BenchmarkDotNet.Attributes;
using Gateway.Protocol.Columnar;
using Gateway.Protocol.Hive;
using Gateway.Protocol.Thrift;

namespace Gateway.Benchmarks;

/// <summary>Encoding and decoding a 10k-row TRowSet of a typical column mix through an in-memory buffer.</summary>
[MemoryDiagnoser]
public class ThriftRowSetBenchmarks
{
    private ColumnBatch _batch = null!;
    private byte[] _encoded = [];
    private readonly PooledBufferWriter _output = new();

    [Params(false, true)]
    public bool WithNulls { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _batch = SampleBatches.Mixed(10_000, WithNulls);
        _output.Clear();
        using var rowSet = HiveResultEncoder.Encode(_batch, ValueFormatter.Utc, TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V10);
        rowSet.Write(new ThriftWriter(_output));
        _encoded = _output.WrittenSpan.ToArray();
    }

    [Benchmark]
    public int Encode()
    {
        _output.Clear();
        using var rowSet = HiveResultEncoder.Encode(_batch, ValueFormatter.Utc, TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V10);
        rowSet.Write(new ThriftWriter(_output));
        return _output.WrittenCount;
    }

    [Benchmark]
    public int Decode()
    {
        var reader = new ThriftReader(_encoded, ThriftLimits.Default);
        var rowSet = new TRowSet();
        rowSet.Read(ref reader);
        var rows = rowSet.Columns![0].Length;
        rowSet.Dispose();
        return rows;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _batch.Dispose();
        _output.Dispose();
    }
}

public static class SampleBatches
{
    /// <summary>bigint, double, ~16-char string, decimal(18,2), timestamp — the large-fetch mix of docs/performance.md.</summary>
    public static ColumnBatch Mixed(int rows, bool withNulls)
    {
        var schema = new ResultSchema([
            new ColumnInfo("id", SqlType.BigInt),
            new ColumnInfo("value", SqlType.Double),
            new ColumnInfo("label", SqlType.String),
            new ColumnInfo("amount", SqlType.Decimal(18, 2)),
            new ColumnInfo("ts", SqlType.Timestamp),
        ]);
        var builder = new BatchBuilder(schema);
        var start = new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Unspecified);
        for (var i = 0; i < rows; i++)
        {
            var isNull = withNulls && i % 7 == 3;
            builder.AddRow(
                (long)i,
                isNull ? null : i * 1.25,
                isNull ? null : $"label-{i:D10}",
                isNull ? null : (decimal)i / 100m,
                isNull ? null : start.AddSeconds(i));
        }
        return builder.Build();
    }
}
