using Gateway.Engines.DuckDb;
using Gateway.Protocol.Arrow;
using Gateway.Protocol.Columnar;
using Gateway.Protocol.Hive;
using Gateway.Protocol.Thrift;
using Gateway.Server.Configuration;
using Gateway.Server.Engines;
using Gateway.Server.Routing;
using Gateway.Server.Sessions;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Tests.Unit;

/// <summary>
/// Allocation budgets for the hot paths of a fetch, on 10k rows of the large-fetch mix (bigint, double, 16-char
/// string, decimal(18,2), timestamp; every seventh row NULL). Allocated bytes on the current thread are
/// deterministic where times are not, so a regression (a closure or a boxed value per row, an unpooled buffer)
/// fails here while the timings live in benchmarks/ (docs/performance.md).
/// Each budget was set from the measured value (after warm-up) plus headroom for runtime differences, and is far
/// below what one allocation per row would cost (10k rows × ≥ 24 bytes = 240 KB).
/// </summary>
[Collection(nameof(BufferPoolUnitTests))] // alone: the result-buffer pool's budget is process-wide
public class AllocationBudgetUnitTests
{
    public AllocationBudgetUnitTests() => Gateway.Protocol.Columnar.BufferPool.Trim();

    private const int Rows = 10_000;

    /// <summary>Measured 1,408 bytes (the TRowSet, its TColumns and column objects; buffers are pooled). Before the
    /// formatter stopped allocating a closure per value it was 1.5 MB.</summary>
    private const long ThriftEncodeBudget = 4 * 1024;

    /// <summary>
    /// Measured 634,184 bytes: the decoded columns own exact-size arrays (the values themselves: 10k × (8 + 8 + 16 + 8 + 19)
    /// bytes of data, offsets and bitmaps), which the caller keeps. Per value nothing else may be allocated. It was
    /// 1,459,936 bytes while string data grew by doubling from 4 KB (each step a new array and a copy).
    /// </summary>
    private const long ThriftDecodeBudget = 700 * 1024;

    /// <summary>
    /// Measured 2,368 bytes per message whatever its row count: Apache.Arrow's IPC writer describes each record batch with
    /// objects (arrays, array data, its flatbuffer plan); column buffers are views and go straight into the caller's
    /// writer. Our own writer allocated 0 bytes; nothing per row or per value is allowed.
    /// </summary>
    private const long ArrowNativeBudget = 4 * 1024;

    /// <summary>Decimal and timestamp as text (Databricks' fallbacks) format into pooled buffers: measured 2,576 bytes.</summary>
    private const long ArrowTextBudget = 4 * 1024;

    /// <summary>
    /// Reading a 10k-row record batch message with the production reader (ArrowIpcReader): every buffer goes into an
    /// array rented from the pool (given back when the batch is disposed), so only the batch and its column objects
    /// are new. Measured 392 bytes.
    /// </summary>
    private const long ArrowDecodeBudget = 1024;

    /// <summary>
    /// The client's whole Arrow fetch decode: the TRowSet (its batch bytes are a slice of the reply, not a copy) and the
    /// reader. Measured 840 bytes (583,336 while the batch bytes were copied out of the reply); the Thrift columns'
    /// decode of the same rows is 634 KB.
    /// </summary>
    private const long ArrowFetchDecodeBudget = 2 * 1024;

    /// <summary>Formatting values in Hive's text form allocates nothing per value: measured 0 bytes.</summary>
    private const long FormatterBudget = 256;

    /// <summary>The Thrift encoder's column-wise loops (the date text of a day cached on the stack): measured 0 bytes.</summary>
    private const long ColumnFormatterBudget = 256;

    /// <summary>
    /// Routing <c>SELECT 1</c> on one engine (no tables, so no catalog lookup): the analysis (1,040 bytes), the context, the
    /// candidates and the decision with its reasons. Measured 6,624 bytes before the candidates' profiles and order were
    /// built once per configuration snapshot (candidates alone: 1,176 → 256 bytes), a statement without tables stopped
    /// allocating a lookup table and the decision's log line was joined only when Debug logging is on; 5,248 bytes after.
    /// </summary>
    private const long RouteSelectOneBudget = 5_632;

    [Fact]
    public async Task RoutingAStatementWithoutTablesStaysWithinItsBudget()
    {
        var options = new GatewayOptions();
        await using var engine = new DuckDbEngine(DuckDbEngineOptions.InMemory(threads: 1));
        var engines = new EngineRegistry([new RegisteredEngine(new EngineOptions { Name = "duckdb" }, engine, TimeProvider.System)], "duckdb");
        await using var catalogs = CatalogRegistry.Create(options, engines, TimeProvider.System);
        using var routing = new RoutingService(options, engines, catalogs, TimeProvider.System, NullLogger<RoutingService>.Instance);
        await using var session = new Hs2Session(new SessionInfo("alice", 10, null, null, null), engine, TimeProvider.System);
        string? chosen = null;
        var allocated = Measure(() =>
        {
            var routed = routing.RouteAsync("SELECT 1", session, CancellationToken.None);
            // Nothing to look up: the decision is made synchronously.
            Assert.True(routed.IsCompletedSuccessfully);
            chosen = routed.Result.Engine;
        });
        Assert.Equal("duckdb", chosen);
        Assert.True(allocated <= RouteSelectOneBudget, $"Routing SELECT 1 allocated {allocated:N0} bytes (budget {RouteSelectOneBudget:N0}).");
    }

    [Fact]
    public void ThriftEncodeOfTenThousandRowsStaysWithinItsBudget()
    {
        using var batch = MixedBatch(Rows);
        using var output = new PooledBufferWriter();
        var allocated = Measure(() =>
        {
            output.Clear();
            using var rowSet = HiveResultEncoder.Encode(batch, ValueFormatter.Utc, TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V10);
            rowSet.Write(new ThriftWriter(output));
        });
        Assert.True(output.WrittenCount > Rows * 40, $"Only {output.WrittenCount} bytes written.");
        Assert.True(allocated <= ThriftEncodeBudget, $"Thrift encode allocated {allocated:N0} bytes (budget {ThriftEncodeBudget:N0}).");
    }

    [Fact]
    public void ThriftDecodeOfTenThousandRowsStaysWithinItsBudget()
    {
        using var batch = MixedBatch(Rows);
        using var output = new PooledBufferWriter();
        using (var rowSet = HiveResultEncoder.Encode(batch, ValueFormatter.Utc, TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V10))
        {
            rowSet.Write(new ThriftWriter(output));
        }
        var encoded = output.WrittenSpan.ToArray();
        var rows = 0;
        var allocated = Measure(() =>
        {
            var reader = new ThriftReader(encoded, ThriftLimits.Default);
            var decoded = new TRowSet();
            decoded.Read(ref reader);
            rows = decoded.Columns![0].Column.Length;
            decoded.Dispose();
        });
        Assert.Equal(Rows, rows);
        Assert.True(allocated <= ThriftDecodeBudget, $"Thrift decode allocated {allocated:N0} bytes (budget {ThriftDecodeBudget:N0}).");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ArrowRecordBatchOfTenThousandRowsStaysWithinItsBudget(bool native)
    {
        using var batch = MixedBatch(Rows);
        using var output = new PooledBufferWriter();
        var options = native ? ArrowWriteOptions.Native : new ArrowWriteOptions { DecimalAsArrow = false, TimestampAsArrow = false };
        var allocated = Measure(() =>
        {
            output.Clear();
            ArrowIpc.WriteRecordBatch(batch, 0, batch.RowCount, options, output);
        });
        Assert.True(output.WrittenCount > Rows * 40, $"Only {output.WrittenCount} bytes written.");
        var budget = native ? ArrowNativeBudget : ArrowTextBudget;
        Assert.True(allocated <= budget, $"Arrow ({(native ? "native" : "text fallbacks")}) allocated {allocated:N0} bytes (budget {budget:N0}).");
    }

    [Fact]
    public void ArrowDecodeOfTenThousandRowsStaysWithinItsBudget()
    {
        using var batch = MixedBatch(Rows);
        var schema = ArrowIpcReader.ReadSchema(ArrowIpc.SchemaBytes(batch.Schema, ArrowWriteOptions.Native));
        var message = ArrowIpc.RecordBatchBytes(batch, 0, Rows, ArrowWriteOptions.Native);
        var rows = 0;
        var allocated = Measure(() =>
        {
            using var read = ArrowIpcReader.ReadRecordBatch(schema, message);
            rows = read.RowCount;
        });
        Assert.Equal(Rows, rows);
        Assert.True(allocated <= ArrowDecodeBudget, $"Arrow decode allocated {allocated:N0} bytes (budget {ArrowDecodeBudget:N0}).");
    }

    [Fact]
    public void ArrowFetchDecodeOfTenThousandRowsStaysWithinItsBudget()
    {
        using var batch = MixedBatch(Rows);
        var metadata = new TGetResultSetMetadataResp
        {
            ResultFormat = TSparkRowSetType.ARROW_BASED_SET,
            ArrowSchema = ArrowIpc.SchemaBytes(batch.Schema, ArrowWriteOptions.Native),
        };
        var arrow = Gateway.Engines.HiveServer2.HiveArrowResult.From(metadata, batch.Schema, Gateway.Engines.HiveServer2.HiveArrowOptions.Native)!;
        using var output = new PooledBufferWriter();
        var rowSet = new TRowSet { Rows = [], ArrowBatches = [new TSparkArrowBatch { Batch = ArrowIpc.RecordBatchBytes(batch, 0, Rows, ArrowWriteOptions.Native), RowCount = Rows }] };
        rowSet.Write(new ThriftWriter(output));
        var encoded = output.WrittenSpan.ToArray();
        var rows = 0;
        var allocated = Measure(() =>
        {
            // As the client reads a reply: over its memory, so the batch bytes are slices of it.
            var reader = ThriftReader.OverMemory(encoded, ThriftLimits.Default);
            var decoded = new TRowSet();
            decoded.Read(ref reader);
            using var read = Gateway.Engines.HiveServer2.HiveRowSets.ToBatch(decoded, batch.Schema, arrow);
            rows = read.RowCount;
        });
        Assert.Equal(Rows, rows);
        Assert.True(allocated <= ArrowFetchDecodeBudget, $"Arrow fetch decode allocated {allocated:N0} bytes (budget {ArrowFetchDecodeBudget:N0}).");
    }

    [Fact]
    public void FormattingDecimalsDatesAndTimestampsAllocatesNothingPerValue()
    {
        using var batch = MixedBatch(Rows);
        using var output = new PooledBufferWriter();
        var allocated = Measure(() =>
        {
            output.Clear();
            for (var r = 0; r < Rows; r++)
            {
                if (batch.Columns[3].IsNull(r)) continue;
                ValueFormatter.Utc.Write(batch.Columns[3], r, output);
                ValueFormatter.Utc.Write(batch.Columns[4], r, output);
            }
        });
        Assert.True(allocated <= FormatterBudget, $"Formatting {Rows:N0} decimals and timestamps allocated {allocated:N0} bytes (budget {FormatterBudget:N0}).");
    }

    [Fact]
    public void ColumnWiseFormattingOfDecimalsAndTimestampsAllocatesNothing()
    {
        using var batch = MixedBatch(Rows);
        using var output = new PooledBufferWriter(Rows * 64);
        var ends = new int[Rows];
        var allocated = Measure(() =>
        {
            output.Clear();
            ValueFormatter.Utc.WriteColumn(batch.Columns[3], 0, Rows, output, ends);
            ValueFormatter.Utc.WriteColumn(batch.Columns[4], 0, Rows, output, ends);
        });
        Assert.True(allocated <= ColumnFormatterBudget, $"Column-wise formatting of {Rows:N0} decimals and timestamps allocated {allocated:N0} bytes (budget {ColumnFormatterBudget:N0}).");
    }

    /// <summary>Bytes the current thread allocates in one run of <paramref name="action"/>, after two warm-up runs.</summary>
    private static long Measure(Action action)
    {
        action();
        action();
        var before = GC.GetAllocatedBytesForCurrentThread();
        action();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    /// <summary>The large-fetch mix of benchmarks/ThriftRowSetBenchmarks (SampleBatches.Mixed) with nulls.</summary>
    private static ColumnBatch MixedBatch(int rows)
    {
        var builder = new BatchBuilder(new ResultSchema([
            new ColumnInfo("id", SqlType.BigInt),
            new ColumnInfo("value", SqlType.Double),
            new ColumnInfo("label", SqlType.String),
            new ColumnInfo("amount", SqlType.Decimal(18, 2)),
            new ColumnInfo("ts", SqlType.Timestamp),
        ]));
        var start = new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Unspecified);
        for (var i = 0; i < rows; i++)
        {
            var isNull = i % 7 == 3;
            builder.AddRow((long)i, isNull ? null : i * 1.25, isNull ? null : $"label-{i:D10}", isNull ? null : (decimal)i / 100m, isNull ? null : start.AddSeconds(i));
        }
        return builder.Build();
    }
}
