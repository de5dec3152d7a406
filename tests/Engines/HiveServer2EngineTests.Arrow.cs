using Gateway.Engines;
using Gateway.Engines.HiveServer2;
using Gateway.Protocol.Columnar;
using Gateway.Protocol.Hive;
using Gateway.Tests.InProcess;
using static Gateway.Tests.Engines.EngineText;

namespace Gateway.Tests.Engines;

/// <summary>The remote engine with <see cref="HiveServer2EngineOptions.ArrowResults"/>: Arrow batches from Spark-line remotes, Thrift columns otherwise.</summary>
public sealed partial class HiveServer2EngineTests
{
    private const string BenchmarkMix =
        "SELECT CASE WHEN range % 7 = 3 THEN NULL ELSE range END AS id, CASE WHEN range % 7 = 3 THEN NULL ELSE CAST(range AS DOUBLE) * 0.5 END AS value, "
        + "CASE WHEN range % 7 = 3 THEN NULL ELSE 'label-' || lpad(CAST(range AS VARCHAR), 10, '0') END AS label, "
        + "CASE WHEN range % 7 = 3 THEN NULL ELSE TIMESTAMP '2024-01-01' + to_seconds(range) END AS ts, "
        + "CASE WHEN range % 7 = 3 THEN NULL ELSE CAST((range % 10000000) / 100.0 AS DECIMAL(18,2)) END AS amount "
        + "FROM range(30000) ORDER BY range";

    public static TheoryData<HiveTransportMode, bool> ArrowTransports => new()
    {
        { HiveTransportMode.Binary, false },
        { HiveTransportMode.Binary, true },
        { HiveTransportMode.Http, false },
    };

    [Theory]
    [MemberData(nameof(ArrowTransports))]
    public async Task AllTypesReadOverArrowMatchTheLocalDuckDb(HiveTransportMode transport, bool lz4)
    {
        const string Sql = "SELECT * FROM demo.all_types ORDER BY id";
        await using var local = await LocalAsync();
        var (localSchema, localRows) = await QueryAsync(local.Session, Sql);
        await using var remote = await OpenAsync(fixture.OpenOptions(transport) with { ArrowResults = true, ArrowLz4 = lz4 });
        await using (var probe = await remote.ExecuteAsync(Sql, Options, CancellationToken.None))
        {
            Assert.True(((HiveServer2QueryResult)probe).ReadsArrow);
        }
        var (schema, rows) = await QueryAsync(remote, Sql, batchRows: 2);
        for (var i = 0; i < schema.Count; i++) Assert.Equal(ExpectedRemoteType(localSchema.Columns[i].Type, TProtocolVersion.SPARK_CLI_SERVICE_PROTOCOL_V8), schema.Columns[i].Type);
        Assert.Equal(3, rows.Count);
        for (var r = 0; r < rows.Count; r++)
        {
            for (var c = 0; c < schema.Count; c++)
            {
                Assert.True(localRows[r][c] == rows[r][c], $"Row {r}, column {schema.Columns[c].Name} ({localSchema.Columns[c].Type}): local '{localRows[r][c]}', remote over Arrow '{rows[r][c]}'.");
            }
        }
    }

    [Fact]
    public async Task ArrowAndThriftColumnsGiveTheSameTypedBatches()
    {
        await using var thrift = await OpenAsync();
        await using var arrow = await OpenAsync(fixture.OpenOptions() with { Name = "remote-arrow", ArrowResults = true });
        await using var a = await arrow.ExecuteAsync(BenchmarkMix, Options, CancellationToken.None);
        await using var t = await thrift.ExecuteAsync(BenchmarkMix, Options, CancellationToken.None);
        Assert.True(((HiveServer2QueryResult)a).ReadsArrow);
        Assert.False(((HiveServer2QueryResult)t).ReadsArrow);
        Assert.Equal(t.Schema, a.Schema);
        Assert.Equal(SqlType.Decimal(18, 2), a.Schema.Columns[4].Type);
        var rows = 0;
        // Reads of a size that cuts the remote's fetches, so Arrow batches are sliced and joined too.
        foreach (var size in new[] { 7_000, 10_000, 13_000 })
        {
            using var fromArrow = await a.ReadBatchAsync(size, CancellationToken.None);
            using var fromThrift = await t.ReadBatchAsync(size, CancellationToken.None);
            Assert.NotNull(fromArrow);
            Assert.NotNull(fromThrift);
            Assert.Equal(fromThrift.RowCount, fromArrow.RowCount);
            for (var c = 0; c < fromArrow.Columns.Length; c++)
            {
                Assert.Equal(fromThrift.Columns[c].GetType(), fromArrow.Columns[c].GetType());
                Assert.Equal(fromThrift.Columns[c].Type, fromArrow.Columns[c].Type);
                Assert.Equal(fromThrift.Columns[c].NullCount, fromArrow.Columns[c].NullCount);
                for (var r = 0; r < fromArrow.RowCount; r++)
                {
                    Assert.Equal(ValueFormatter.Utc.FormatToString(fromThrift.Columns[c], r), ValueFormatter.Utc.FormatToString(fromArrow.Columns[c], r));
                }
            }
            Assert.Equal((Int128)((rows + 5) % 10_000_000), ((PrimitiveColumn<Int128>)fromArrow.Columns[4]).Values[5]);
            rows += fromArrow.RowCount;
        }
        Assert.Equal(30_000, rows);
        Assert.Null(await a.ReadBatchAsync(10, CancellationToken.None));
    }

    [Fact]
    public async Task RemotesThatDoNotSpeakArrowAnswerWithColumns()
    {
        // A Hive-line protocol: the Spark fields are not sent at all.
        await using (var hive = await OpenAsync(fixture.OpenOptions(version: TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V11) with { ArrowResults = true }))
        {
            await using var result = await hive.ExecuteAsync("SELECT CAST(2.5 AS DECIMAL(5,2)) d", Options, CancellationToken.None);
            Assert.False(((HiveServer2QueryResult)result).ReadsArrow);
            Assert.Equal([["2.50"]], await ReadAllAsync(result, 10));
        }

        // A Spark-line remote that ignores canReadArrowResult (the gateway with Results:Arrow off).
        await using var declining = await GatewayInstance.StartAsync(new Dictionary<string, string?> { ["Gateway:Results:Arrow"] = "false", ["Gateway:DuckDb:DemoData"] = "false" });
        await using var engine = new HiveServer2Engine(fixture.OpenOptions() with { Name = "remote-declining", Port = declining.Port, ArrowResults = true });
        await using var session = await engine.OpenSessionAsync(new EngineSessionOptions("tester"), CancellationToken.None);
        await using var rows = await session.ExecuteAsync(BenchmarkMix, Options, CancellationToken.None);
        Assert.False(((HiveServer2QueryResult)rows).ReadsArrow);
        using var batch = await rows.ReadBatchAsync(100, CancellationToken.None);
        Assert.NotNull(batch);
        Assert.Equal((Int128)50, ((PrimitiveColumn<Int128>)batch.Columns[4]).Values[50]);
    }
}
