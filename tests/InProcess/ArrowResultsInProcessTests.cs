using Gateway.Engines.HiveServer2;
using Gateway.Protocol.Columnar;
using Gateway.Protocol.Hive;

namespace Gateway.Tests.InProcess;

/// <summary>
/// The project's own HiveServer2 client asking the gateway for Arrow results (canReadArrowResult on a Spark-line
/// session) and decoding them with the production Arrow reader: the same values as the Thrift-columns path, typed
/// (DECIMAL as decimals, TIMESTAMP as microseconds) instead of as text carriers.
/// </summary>
[Collection(GatewayCollection.Name)]
public class ArrowResultsInProcessTests(GatewayFixture fixture)
{
    /// <summary>The benchmark's large-fetch mix (benchmarks/Load/BenchData), with every seventh row NULL.</summary>
    private const string Mix =
        "SELECT CASE WHEN range % 7 = 3 THEN NULL ELSE range END AS id, CASE WHEN range % 7 = 3 THEN NULL ELSE CAST(range AS DOUBLE) * 0.5 END AS value, "
        + "CASE WHEN range % 7 = 3 THEN NULL ELSE 'label-' || lpad(CAST(range AS VARCHAR), 10, '0') END AS label, "
        + "CASE WHEN range % 7 = 3 THEN NULL ELSE TIMESTAMP '2024-01-01' + to_seconds(range) END AS ts, "
        + "CASE WHEN range % 7 = 3 THEN NULL ELSE CAST((range % 10000000) / 100.0 AS DECIMAL(18,2)) END AS amount "
        + "FROM range(25000) ORDER BY range";

    private Task<HiveConnection> ConnectAsync(HiveArrowOptions? arrow, TProtocolVersion version = TProtocolVersion.SPARK_CLI_SERVICE_PROTOCOL_V8, GatewayInstance? gateway = null) =>
        HiveConnection.OpenAsync(new HiveConnectionOptions
        {
            Port = (gateway ?? fixture.Gateway).Port,
            User = "arrow-tester",
            ProtocolVersion = version,
            Arrow = arrow,
        });

    /// <summary>Every fetch of a query as (row count, typed batch columns' types, rows as Hive text).</summary>
    private static async Task<(ResultSchema Schema, HiveArrowResult? Arrow, List<int> Fetches, List<string?[]> Rows, List<ColumnBatch> Kept)> FetchAllAsync(
        HiveConnection connection, string sql, int fetchSize, bool keep = false)
    {
        await using var op = await connection.ExecuteAsync(sql);
        var schema = await op.GetSchemaAsync();
        var fetches = new List<int>();
        var rows = new List<string?[]>();
        var kept = new List<ColumnBatch>();
        while (true)
        {
            var (batch, more) = await op.FetchAsync(fetchSize);
            fetches.Add(batch.RowCount);
            Assert.Equal(schema.Columns.Select(c => c.Name), batch.Schema.Columns.Select(c => c.Name));
            for (var r = 0; r < batch.RowCount; r++) rows.Add([.. batch.Columns.Select(c => ValueFormatter.Utc.FormatToString(c, r))]);
            if (keep) kept.Add(batch);
            else batch.Dispose();
            if (!more || batch.RowCount == 0) break;
        }
        return (schema, op.Arrow, fetches, rows, kept);
    }

    [Fact]
    public async Task ArrowFetchesTheBenchmarkMixWithTheThriftPathsValuesTyped()
    {
        await using var thrift = await ConnectAsync(arrow: null);
        await using var arrow = await ConnectAsync(HiveArrowOptions.Native);
        var (thriftSchema, noArrow, thriftFetches, thriftRows, _) = await FetchAllAsync(thrift, Mix, 10_000);
        var (arrowSchema, reading, arrowFetches, arrowRows, kept) = await FetchAllAsync(arrow, Mix, 10_000, keep: true);
        try
        {
            Assert.Null(noArrow);
            Assert.NotNull(reading);
            Assert.False(reading.Lz4);
            Assert.Equal(thriftSchema, arrowSchema);
            Assert.Equal(SqlType.Decimal(18, 2), arrowSchema.Columns[4].Type);
            Assert.Equal(thriftFetches, arrowFetches);
            Assert.Equal(25_000, arrowRows.Count);
            Assert.Equal(thriftRows, arrowRows);
            Assert.Equal(new string?[] { "0", "0", "label-0000000000", "2024-01-01 00:00:00", "0.00" }, arrowRows[0]);
            Assert.Equal(new string?[5], arrowRows[3]);

            // The Arrow batches carry the declared types, as an engine's batch does (not the Thrift text carriers).
            var first = kept[0];
            Assert.Equal(arrowSchema.Columns.Select(c => c.Type), first.Schema.Columns.Select(c => c.Type));
            Assert.IsType<PrimitiveColumn<long>>(first.Columns[0]);
            Assert.IsType<PrimitiveColumn<double>>(first.Columns[1]);
            Assert.IsType<BinaryColumn>(first.Columns[2]);
            var ts = Assert.IsType<PrimitiveColumn<long>>(first.Columns[3]);
            Assert.Equal(SqlType.Timestamp, ts.Type);
            var amount = Assert.IsType<PrimitiveColumn<Int128>>(first.Columns[4]);
            Assert.Equal(SqlType.Decimal(18, 2), amount.Type);
            Assert.Equal((amount.Length + 3) / 7, amount.NullCount);
            Assert.Equal((Int128)1234, amount.Values[1234]);
            Assert.Equal(new DateTime(2024, 1, 1, 0, 20, 34).Ticks / 10 - DateTime.UnixEpoch.Ticks / 10, ts.Values[1234]);
        }
        finally
        {
            foreach (var b in kept) b.Dispose();
        }
    }

    [Fact]
    public async Task ArrowAndLz4ReadEveryDemoTypeAsTheThriftPathShowsIt()
    {
        const string sql = "SELECT * FROM demo.all_types ORDER BY id";
        await using var thrift = await ConnectAsync(arrow: null);
        var (schema, _, _, expected, _) = await FetchAllAsync(thrift, sql, 100);
        foreach (var options in new[] { HiveArrowOptions.Native, HiveArrowOptions.Native with { Lz4 = true }, HiveArrowOptions.AllText, new HiveArrowOptions { ComplexTypesAsArrow = false } })
        {
            await using var arrow = await ConnectAsync(options);
            var (arrowSchema, reading, _, rows, _) = await FetchAllAsync(arrow, sql, 100);
            Assert.NotNull(reading);
            Assert.Equal(options.Lz4, reading.Lz4);
            Assert.Equal(schema, arrowSchema);
            Assert.Equal(3, rows.Count);
            for (var c = 0; c < schema.Count; c++)
            {
                for (var r = 0; r < rows.Count; r++)
                {
                    Assert.True(expected[r][c] == rows[r][c], $"{options}: {schema.Columns[c].Name} ({schema.Columns[c].Type}) row {r}: Thrift '{expected[r][c]}', Arrow '{rows[r][c]}'.");
                }
            }
        }
    }

    [Fact]
    public async Task WithoutASparkLineProtocolOrWhenTheServerDeclinesTheRowsComeAsColumns()
    {
        // A Hive-line session: the client does not send the Spark fields at all.
        await using (var hive = await ConnectAsync(HiveArrowOptions.Native, TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V10))
        {
            var (_, reading, _, rows, _) = await FetchAllAsync(hive, "SELECT 1.5::DECIMAL(4,1) AS d", 10);
            Assert.Null(reading);
            Assert.Equal("1.5", Assert.Single(rows)[0]);
        }

        // A server that ignores canReadArrowResult (Results:Arrow off, as HiveServer2 and old Spark servers do).
        await using var declining = await GatewayInstance.StartAsync(new Dictionary<string, string?> { ["Gateway:Results:Arrow"] = "false", ["Gateway:DuckDb:DemoData"] = "false" });
        await using var client = await ConnectAsync(HiveArrowOptions.Native, gateway: declining);
        await using var op = await client.ExecuteAsync(Mix);
        await op.GetSchemaAsync();
        Assert.Null(op.Arrow);
        var (batch, _) = await op.FetchAsync(100);
        using (batch)
        {
            // Thrift carriers: DECIMAL as its text.
            Assert.Equal(SqlType.String, batch.Columns[4].Type);
            Assert.Equal("0.50", ValueFormatter.Utc.FormatToString(batch.Columns[4], 50));
        }
    }
}
