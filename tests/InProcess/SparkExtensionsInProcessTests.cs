using Gateway.Engines.HiveServer2;
using Gateway.Protocol.Arrow;
using Gateway.Protocol.Columnar;
using Gateway.Protocol.Compression;
using Gateway.Protocol.Hive;
using Gateway.Protocol.Thrift;

namespace Gateway.Tests.InProcess;

/// <summary>
/// The Spark/Databricks (and Kyuubi) extensions of TCLIService, driven with the raw client so every field
/// of the exchange is asserted: protocol negotiation, initialNamespace, direct results, Arrow results,
/// parameters, resultRowLimit, runAsync metadata calls.
/// </summary>
[Collection(GatewayCollection.Name)]
public class SparkExtensionsInProcessTests(GatewayFixture fixture)
{
    /// <summary>Counts round trips so "one call" claims are checked, not assumed.</summary>
    private sealed class CountingTransport(IThriftTransport inner) : IThriftTransport
    {
        public int Calls;

        public ValueTask<ReadOnlyMemory<byte>> RoundTripAsync(ReadOnlyMemory<byte> request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Calls);
            return inner.RoundTripAsync(request, cancellationToken);
        }
    }

    private sealed class SparkClient : IAsyncDisposable
    {
        public required TCLIServiceClient Client { get; init; }
        public required CountingTransport Counter { get; init; }
        public required IAsyncDisposable Transport { get; init; }
        public required TSessionHandle Session { get; init; }
        public required TOpenSessionResp Open { get; init; }

        public async ValueTask DisposeAsync()
        {
            await Client.CloseSessionAsync(new TCloseSessionReq { SessionHandle = Session });
            await Transport.DisposeAsync();
        }
    }

    private async Task<SparkClient> OpenAsync(long protocol = (long)TProtocolVersion.SPARK_CLI_SERVICE_PROTOCOL_V8, TNamespace? ns = null, Dictionary<string, string>? conf = null)
    {
        var transport = await ThriftTcpTransport.ConnectAsync("127.0.0.1", fixture.Gateway.Port, HiveAuthMode.SaslPlain, "spark-user", "x");
        var counter = new CountingTransport(transport);
        var client = new TCLIServiceClient(counter);
        var open = await client.OpenSessionAsync(new TOpenSessionReq
        {
            ClientProtocol = TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V10,
            ClientProtocolI64 = protocol,
            InitialNamespace = ns,
            CanUseMultipleCatalogs = true,
            Configuration = conf ?? [],
        });
        Assert.Equal(TStatusCode.SUCCESS_STATUS, open.Status.StatusCode);
        counter.Calls = 0;
        return new SparkClient { Client = client, Counter = counter, Transport = transport, Session = open.SessionHandle!, Open = open };
    }

    private static TExecuteStatementReq Exec(SparkClient c, string sql, bool direct = true, bool arrow = false, bool lz4 = false, bool nativeTypes = true) => new()
    {
        SessionHandle = c.Session,
        Statement = sql,
        RunAsync = true,
        GetDirectResults = direct ? new TSparkGetDirectResults { MaxRows = 100_000 } : null,
        CanReadArrowResult = arrow,
        CanDecompressLZ4Result = lz4,
        UseArrowNativeTypes = arrow ? new TSparkArrowTypes { TimestampAsArrow = nativeTypes, DecimalAsArrow = nativeTypes, ComplexTypesAsArrow = nativeTypes, IntervalTypesAsArrow = false } : null,
    };

    private static ResultSchema SchemaOf(TTableSchema schema) =>
        new([.. schema.Columns.Select(col => new ColumnInfo(col.ColumnName, HiveResultEncoder.FromTypeDesc(col.TypeDesc)))]);

    private static List<string?[]> Rows(TSparkDirectResults direct)
    {
        var schema = SchemaOf(direct.ResultSetMetadata!.Schema!);
        using var batch = HiveRowSets.ToBatch(direct.ResultSet!.Results, schema);
        return TextRows(batch);
    }

    private static List<string?[]> TextRows(ColumnBatch batch)
    {
        var rows = new List<string?[]>();
        for (var r = 0; r < batch.RowCount; r++) rows.Add(batch.Columns.Select(col => ValueFormatter.Utc.FormatToString(col, r)).ToArray());
        return rows;
    }

    /// <summary>Fetches to the end, checking offsets are contiguous from <paramref name="from"/>; returns the rows read (Thrift or Arrow).</summary>
    private static async Task<long> DrainAsync(SparkClient c, TOperationHandle handle, long from)
    {
        long rows = 0;
        while (true)
        {
            var fetch = await c.Client.FetchResultsAsync(new TFetchResultsReq { OperationHandle = handle, MaxRows = 100_000 });
            Assert.Equal(TStatusCode.SUCCESS_STATUS, fetch.Status.StatusCode);
            var results = fetch.Results!;
            Assert.Equal(from + rows, results.StartRowOffset);
            if (results.ArrowBatches is { } arrow)
            {
                rows += arrow.Sum(b => b.RowCount);
            }
            else
            {
                using var batch = HiveRowSets.ToBatch(results, new ResultSchema([new ColumnInfo("i", SqlType.BigInt)]));
                rows += batch.RowCount;
            }
            if (fetch.HasMoreRows != true) return rows;
        }
    }

    [Theory]
    [InlineData((long)TProtocolVersion.SPARK_CLI_SERVICE_PROTOCOL_V7, TProtocolVersion.SPARK_CLI_SERVICE_PROTOCOL_V7)]
    [InlineData((long)TProtocolVersion.SPARK_CLI_SERVICE_PROTOCOL_V8, TProtocolVersion.SPARK_CLI_SERVICE_PROTOCOL_V8)]
    [InlineData((long)TProtocolVersion.SPARK_CLI_SERVICE_PROTOCOL_V9, TProtocolVersion.SPARK_CLI_SERVICE_PROTOCOL_V8)]
    [InlineData((long)TProtocolVersion.SPARK_CLI_SERVICE_PROTOCOL_V1, TProtocolVersion.SPARK_CLI_SERVICE_PROTOCOL_V1)]
    public async Task SparkProtocolVersionsAreAnsweredInKind(long client, TProtocolVersion expected)
    {
        await using var c = await OpenAsync(client);
        Assert.Equal(expected, c.Open.ServerProtocolVersion);
        // Results keep the Hive columnar layout of the Spark line.
        var exec = await c.Client.ExecuteStatementAsync(Exec(c, "SELECT 42 AS answer"));
        Assert.Equal([["42"]], Rows(exec.DirectResults!));
    }

    [Fact]
    public async Task InitialNamespaceSelectsTheDatabase()
    {
        await using var c = await OpenAsync(ns: new TNamespace { CatalogName = null, SchemaName = "demo" });
        Assert.Equal("demo", c.Open.InitialNamespace?.SchemaName);
        var exec = await c.Client.ExecuteStatementAsync(Exec(c, "SELECT count(*) FROM stores"));
        Assert.Equal(TStatusCode.SUCCESS_STATUS, exec.Status.StatusCode);
        Assert.Equal(TOperationState.FINISHED_STATE, exec.DirectResults!.OperationStatus!.OperationState);
    }

    [Fact]
    public async Task SelectOneWithDirectResultsIsOneRoundTrip()
    {
        await using var c = await OpenAsync();
        var exec = await c.Client.ExecuteStatementAsync(Exec(c, "SELECT 1 AS one"));
        Assert.Equal(1, c.Counter.Calls);
        Assert.Equal(TStatusCode.SUCCESS_STATUS, exec.Status.StatusCode);
        var direct = exec.DirectResults!;
        Assert.Equal(TOperationState.FINISHED_STATE, direct.OperationStatus!.OperationState);
        Assert.Equal(TSparkRowSetType.COLUMN_BASED_SET, direct.ResultSetMetadata!.ResultFormat);
        Assert.Equal("one", direct.ResultSetMetadata.Schema!.Columns[0].ColumnName);
        Assert.False(direct.ResultSet!.HasMoreRows);
        Assert.Equal([["1"]], Rows(direct));
        Assert.Equal(TStatusCode.SUCCESS_STATUS, direct.CloseOperation!.Status.StatusCode);

        // The operation is closed: its handle is no longer valid.
        var again = await c.Client.FetchResultsAsync(new TFetchResultsReq { OperationHandle = exec.OperationHandle!, MaxRows = 10 });
        Assert.Equal(TStatusCode.INVALID_HANDLE_STATUS, again.Status.StatusCode);
    }

    [Fact]
    public async Task DirectResultsOfALargeResultLeaveTheRestToFetch()
    {
        await using var c = await OpenAsync();
        var req = Exec(c, "SELECT i FROM range(25000) t(i) ORDER BY i");
        req.GetDirectResults = new TSparkGetDirectResults { MaxRows = 1000 };
        var exec = await c.Client.ExecuteStatementAsync(req);
        var direct = exec.DirectResults!;
        Assert.True(direct.ResultSet!.HasMoreRows);
        Assert.Null(direct.CloseOperation);
        var first = Rows(direct);
        Assert.Equal(1000, first.Count);
        Assert.Equal("999", first[^1][0]);

        Assert.Equal(24000, await DrainAsync(c, exec.OperationHandle!, 1000));
        Assert.Equal(TStatusCode.SUCCESS_STATUS, (await c.Client.CloseOperationAsync(new TCloseOperationReq { OperationHandle = exec.OperationHandle! })).Status.StatusCode);
    }

    [Fact]
    public async Task DirectResultsOfAFailedStatementCarryTheErrorAndTheClose()
    {
        await using var c = await OpenAsync();
        var exec = await c.Client.ExecuteStatementAsync(Exec(c, "SELECT * FROM no_such_table"));
        Assert.Equal(TStatusCode.SUCCESS_STATUS, exec.Status.StatusCode);
        var status = exec.DirectResults!.OperationStatus!;
        Assert.Equal(TOperationState.ERROR_STATE, status.OperationState);
        Assert.Contains("no_such_table", status.ErrorMessage, StringComparison.Ordinal);
        Assert.Equal("42S02", status.SqlState);
        Assert.NotNull(exec.DirectResults.CloseOperation);
    }

    [Fact]
    public async Task DirectResultsOfDmlReportNoResultSetAndClose()
    {
        await using var c = await OpenAsync();
        var table = $"t_{Guid.NewGuid():N}";
        var create = await c.Client.ExecuteStatementAsync(Exec(c, $"CREATE TABLE {table} (x INT)"));
        Assert.NotNull(create.DirectResults!.CloseOperation);
        Assert.False(create.DirectResults.OperationStatus!.HasResultSet);
        var insert = await c.Client.ExecuteStatementAsync(Exec(c, $"INSERT INTO {table} VALUES (1), (2), (3)"));
        Assert.Equal(3, insert.DirectResults!.OperationStatus!.NumModifiedRows);
        await c.Client.ExecuteStatementAsync(Exec(c, $"DROP TABLE {table}"));
    }

    [Fact]
    public async Task WithoutDirectResultsTheResponseHasNone()
    {
        await using var c = await OpenAsync();
        var exec = await c.Client.ExecuteStatementAsync(Exec(c, "SELECT 1", direct: false));
        Assert.Null(exec.DirectResults);
        await c.Client.CloseOperationAsync(new TCloseOperationReq { OperationHandle = exec.OperationHandle! });
    }

    [Fact]
    public async Task MetadataCallsTakeDirectResultsAndRunAsync()
    {
        await using var c = await OpenAsync();
        var tables = await c.Client.GetTablesAsync(new TGetTablesReq
        {
            SessionHandle = c.Session,
            SchemaName = "demo",
            TableName = "%",
            GetDirectResults = new TSparkGetDirectResults { MaxRows = 10_000 },
            RunAsync = true,
        });
        Assert.Equal(1, c.Counter.Calls);
        var direct = tables.DirectResults!;
        Assert.Equal(TOperationState.FINISHED_STATE, direct.OperationStatus!.OperationState);
        var rows = Rows(direct);
        Assert.Contains(rows, r => r[2] == "sales");
        Assert.NotNull(direct.CloseOperation);

        // runAsync without direct results: the handle comes back at once and fetches wait for the result.
        var columns = await c.Client.GetColumnsAsync(new TGetColumnsReq { SessionHandle = c.Session, SchemaName = "demo", TableName = "stores", RunAsync = true });
        Assert.Equal(TStatusCode.SUCCESS_STATUS, columns.Status.StatusCode);
        Assert.Null(columns.DirectResults);
        var fetch = await c.Client.FetchResultsAsync(new TFetchResultsReq { OperationHandle = columns.OperationHandle!, MaxRows = 1000, IncludeResultSetMetadata = true });
        Assert.Equal(TStatusCode.SUCCESS_STATUS, fetch.Status.StatusCode);
        using var batch = HiveRowSets.ToBatch(fetch.Results, SchemaOf(fetch.ResultSetMetadata!.Schema!));
        Assert.True(batch.RowCount >= 2);
        await c.Client.CloseOperationAsync(new TCloseOperationReq { OperationHandle = columns.OperationHandle! });
    }

    [Fact]
    public async Task ResultRowLimitCapsTheResult()
    {
        await using var c = await OpenAsync();
        var req = Exec(c, "SELECT i FROM range(100000) t(i)");
        req.ResultRowLimit = 7;
        var exec = await c.Client.ExecuteStatementAsync(req);
        Assert.Equal(7, Rows(exec.DirectResults!).Count);
        Assert.False(exec.DirectResults!.ResultSet!.HasMoreRows);

        req = Exec(c, "SELECT i FROM range(100000) t(i)");
        req.ResultRowLimit = 5000;
        req.GetDirectResults = new TSparkGetDirectResults { MaxRows = 3000 };
        exec = await c.Client.ExecuteStatementAsync(req);
        Assert.Equal(3000, Rows(exec.DirectResults!).Count);
        Assert.Equal(2000, await DrainAsync(c, exec.OperationHandle!, 3000));
        await c.Client.CloseOperationAsync(new TCloseOperationReq { OperationHandle = exec.OperationHandle! });
    }

    private static TSparkParameter Named(string name, string? type, string? value) =>
        new() { Name = name, Type = type, Value = value is null ? null : new TSparkParameterValue { StringValue = value } };

    private static TSparkParameter Positional(string? type, string? value) =>
        new() { Type = type, Value = value is null ? null : new TSparkParameterValue { StringValue = value } };

    [Fact]
    public async Task NamedParametersAreBoundWithTheirTypes()
    {
        await using var c = await OpenAsync();
        var req = Exec(c, "SELECT :i AS i, :b AS b, :s AS s, :d AS d, :dt AS dt, :ts AS ts, :f AS f, :n AS n, :bool AS bool, ':i' AS literal, :i + 1 AS next");
        req.Parameters =
        [
            Named("i", "INTEGER", "41"),
            Named("b", "BIGINT", "9007199254740993"),
            Named("s", "STRING", "it's \"quoted\"; DROP TABLE x --"),
            Named("d", "DECIMAL(10,2)", "123.456"),
            Named("dt", "DATE", "2024-02-29"),
            Named("ts", "TIMESTAMP_NTZ", "2024-02-29 13:45:30.123456"),
            Named("f", "DOUBLE", "2.5"),
            Named("n", null, null),
            Named("bool", "BOOLEAN", "TRUE"),
        ];
        var exec = await c.Client.ExecuteStatementAsync(req);
        Assert.Equal(TStatusCode.SUCCESS_STATUS, exec.Status.StatusCode);
        Assert.True(exec.DirectResults!.OperationStatus!.OperationState == TOperationState.FINISHED_STATE, exec.DirectResults.OperationStatus.ErrorMessage);
        var types = exec.DirectResults.ResultSetMetadata!.Schema!.Columns.Select(col => col.TypeDesc.Types[0].PrimitiveEntry!.Type).ToList();
        Assert.Equal(TTypeId.INT_TYPE, types[0]);
        Assert.Equal(TTypeId.BIGINT_TYPE, types[1]);
        Assert.Equal(TTypeId.DECIMAL_TYPE, types[3]);
        Assert.Equal(TTypeId.DATE_TYPE, types[4]);
        Assert.Equal(TTypeId.TIMESTAMP_TYPE, types[5]);
        Assert.Equal(
            new string?[] { "41", "9007199254740993", "it's \"quoted\"; DROP TABLE x --", "123.46", "2024-02-29", "2024-02-29 13:45:30.123456", "2.5", null, "true", ":i", "42" },
            Rows(exec.DirectResults)[0]);
    }

    [Fact]
    public async Task PositionalParametersFilterRows()
    {
        await using var c = await OpenAsync();
        var req = Exec(c, "SELECT count(*) FROM demo.stores WHERE store_id <= ? AND name <> ?");
        req.Parameters = [Positional("INTEGER", "3"), Positional("STRING", "' OR 1=1 --")];
        var exec = await c.Client.ExecuteStatementAsync(req);
        Assert.Equal([["3"]], Rows(exec.DirectResults!));
    }

    [Theory]
    [InlineData("INTEGER", "forty-two", "22018")]
    [InlineData("TINYINT", "300", "22003")]
    [InlineData("DATE", "2024-13-45", "22018")]
    [InlineData("ARRAY", "[1]", "0A000")]
    [InlineData("GEOGRAPHY", "x", "0A000")]
    public async Task BadParameterValuesFailTheStatementOnly(string type, string value, string sqlState)
    {
        await using var c = await OpenAsync();
        var req = Exec(c, "SELECT :p AS p");
        req.Parameters = [Named("p", type, value)];
        var exec = await c.Client.ExecuteStatementAsync(req);
        Assert.Equal(TStatusCode.ERROR_STATUS, exec.Status.StatusCode);
        Assert.Equal(sqlState, exec.Status.SqlState);
        // The session is fine.
        Assert.Equal([["1"]], Rows((await c.Client.ExecuteStatementAsync(Exec(c, "SELECT 1"))).DirectResults!));
    }

    [Fact]
    public async Task WrongParameterCountIsAnError()
    {
        await using var c = await OpenAsync();
        var req = Exec(c, "SELECT ? + ?");
        req.Parameters = [Positional("INTEGER", "1")];
        var exec = await c.Client.ExecuteStatementAsync(req);
        var status = exec.DirectResults?.OperationStatus;
        Assert.True(exec.Status.StatusCode == TStatusCode.ERROR_STATUS || status?.OperationState == TOperationState.ERROR_STATE);
        Assert.Contains("parameter", exec.Status.ErrorMessage ?? status?.ErrorMessage ?? "", StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task AHiveLineSessionAskingForArrowGetsThriftColumns()
    {
        // A Hive-line reply has no resultFormat or arrowSchema: Arrow batches there could not be read.
        await using var c = await OpenAsync(protocol: (long)TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V10);
        var exec = await c.Client.ExecuteStatementAsync(Exec(c, "SELECT i FROM range(10) t(i)", direct: false, arrow: true));
        Assert.Equal(TStatusCode.SUCCESS_STATUS, exec.Status.StatusCode);
        var meta = await c.Client.GetResultSetMetadataAsync(new TGetResultSetMetadataReq { OperationHandle = exec.OperationHandle! });
        Assert.Null(meta.ArrowSchema);
        var fetch = await c.Client.FetchResultsAsync(new TFetchResultsReq { OperationHandle = exec.OperationHandle!, Orientation = TFetchOrientation.FETCH_NEXT, MaxRows = 100 });
        Assert.Null(fetch.Results!.ArrowBatches);
        Assert.Equal(10, fetch.Results.Columns![0].Column.Length);
        fetch.Results.Dispose();
        await c.Client.CloseOperationAsync(new TCloseOperationReq { OperationHandle = exec.OperationHandle! });
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ArrowResultsCarryTheSchemaAndRecordBatches(bool lz4)
    {
        await using var c = await OpenAsync();
        var req = Exec(c, "SELECT i, 'row ' || i AS label FROM range(5000) t(i) ORDER BY i", arrow: true, lz4: lz4);
        req.GetDirectResults = new TSparkGetDirectResults { MaxRows = 2000 };
        var exec = await c.Client.ExecuteStatementAsync(req);
        var direct = exec.DirectResults!;
        var meta = direct.ResultSetMetadata!;
        Assert.Equal(TSparkRowSetType.ARROW_BASED_SET, meta.ResultFormat);
        Assert.Equal(lz4, meta.Lz4Compressed);
        Assert.Equal(ArrowIpc.SchemaBytes(new ResultSchema([new ColumnInfo("i", SqlType.BigInt), new ColumnInfo("label", SqlType.String)]), new ArrowWriteOptions()), meta.ArrowSchema);
        var batches = direct.ResultSet!.Results!.ArrowBatches!;
        Assert.Equal(2000, batches.Sum(b => b.RowCount));
        Assert.True(direct.ResultSet.HasMoreRows);
        var message = lz4 ? Lz4Frame.Decompress(batches[0].Batch, 64 << 20) : batches[0].Batch;
        // An encapsulated IPC message: continuation marker, then the flatbuffer length.
        Assert.Equal(0xFFFFFFFFu, BitConverter.ToUInt32(message, 0));

        Assert.Equal(3000, await DrainAsync(c, exec.OperationHandle!, 2000));
        await c.Client.CloseOperationAsync(new TCloseOperationReq { OperationHandle = exec.OperationHandle! });
    }

    [Fact]
    public async Task HiveClientsNeverSeeVendorFields()
    {
        await using var c = await Gateway.ConnectAsync(version: TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V10);
        await using var op = await c.ExecuteAsync("SELECT 1");
        var meta = await c.Client.GetResultSetMetadataAsync(new TGetResultSetMetadataReq { OperationHandle = op.Handle });
        Assert.Null(meta.ResultFormat);
        Assert.Null(meta.ArrowSchema);
    }

    private GatewayInstance Gateway => fixture.Gateway;

    [Fact]
    public async Task KyuubiArrowResultsArriveAsOneBinaryColumnOfRecordBatches()
    {
        await using var c = await Gateway.ConnectAsync(configuration: new Dictionary<string, string> { ["kyuubi.operation.result.format"] = "arrow" });
        await using var op = await c.ExecuteAsync("SELECT i, CAST(i AS DECIMAL(10,2)) AS d FROM range(3) t(i) ORDER BY i");
        var meta = await c.Client.GetResultSetMetadataAsync(new TGetResultSetMetadataReq { OperationHandle = op.Handle });
        Assert.Contains("__kyuubi_operation_result_format__=arrow", meta.Status.InfoMessages ?? []);
        // The table schema still names the real columns.
        Assert.Equal(["i", "d"], meta.Schema!.Columns.Select(col => col.ColumnName));
        var fetch = await c.Client.FetchResultsAsync(new TFetchResultsReq { OperationHandle = op.Handle, MaxRows = 1000 });
        Assert.Single(fetch.Results!.Columns!);
        using var batch = HiveRowSets.ToBatch(fetch.Results, new ResultSchema([new ColumnInfo("arrow_batch", SqlType.Binary)]));
        Assert.Equal(1, batch.RowCount);
        var bytes = ((BinaryColumn)batch.Columns[0]).GetBytes(0).ToArray();
        var builder = new BatchBuilder(new ResultSchema([new ColumnInfo("i", SqlType.BigInt), new ColumnInfo("d", SqlType.Decimal(10, 2))]));
        for (var i = 0L; i < 3; i++) builder.AddRow(i, (decimal)i);
        using var expected = builder.Build();
        var writer = new PooledBufferWriter();
        ArrowIpc.WriteRecordBatch(expected, 0, 3, new ArrowWriteOptions { TimestampAsArrow = false, ComplexTypesAsArrow = false }, writer);
        Assert.Equal(writer.WrittenSpan.ToArray(), bytes);
        writer.Dispose();
    }
}
