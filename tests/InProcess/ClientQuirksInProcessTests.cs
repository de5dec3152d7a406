using Gateway.Engines.HiveServer2;
using Gateway.Protocol.Hive;
using Gateway.Protocol.Thrift;

namespace Gateway.Tests.InProcess;

/// <summary>
/// The exact call sequences of clients we cannot install here (PyHive from PyPI, Hive JDBC from
/// Maven), replayed with the raw TCLIService client so their assumptions are pinned by tests.
/// </summary>
[Collection(GatewayCollection.Name)]
public class ClientQuirksInProcessTests(GatewayFixture fixture)
{
    private async Task<(TCLIServiceClient Client, IAsyncDisposable Transport)> RawAsync(HiveAuthMode auth)
    {
        var transport = await ThriftTcpTransport.ConnectAsync("127.0.0.1", fixture.Gateway.Port, auth, "pyhive-user", "x");
        return (new TCLIServiceClient(transport), transport);
    }

    [Fact]
    public async Task PyHiveSequence()
    {
        var (client, transport) = await RawAsync(HiveAuthMode.SaslPlain);
        await using var _ = transport;
        // PyHive asks for V6 and asserts the server answers exactly V6.
        var open = await client.OpenSessionAsync(new TOpenSessionReq { ClientProtocol = TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V6, Username = "pyhive-user", Configuration = [] });
        Assert.Equal(TStatusCode.SUCCESS_STATUS, open.Status.StatusCode);
        Assert.Equal(TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V6, open.ServerProtocolVersion);
        var session = open.SessionHandle!;

        // connect(database='demo') runs USE with backticks, synchronously.
        var use = await client.ExecuteStatementAsync(new TExecuteStatementReq { SessionHandle = session, Statement = "USE `demo`", RunAsync = false });
        Assert.Equal(TStatusCode.SUCCESS_STATUS, use.Status.StatusCode);

        // execute(): synchronous by default; the handle must already say whether rows follow.
        var exec = await client.ExecuteStatementAsync(new TExecuteStatementReq { SessionHandle = session, Statement = "SELECT store_id, name FROM stores ORDER BY store_id LIMIT 3", RunAsync = false });
        Assert.Equal(TStatusCode.SUCCESS_STATUS, exec.Status.StatusCode);
        var handle = exec.OperationHandle!;
        Assert.True(handle.HasResultSet);

        var meta = await client.GetResultSetMetadataAsync(new TGetResultSetMetadataReq { OperationHandle = handle });
        Assert.Equal(TTypeId.INT_TYPE, meta.Schema!.Columns[0].TypeDesc.Types[0].PrimitiveEntry!.Type);

        // fetchall(): FETCH_NEXT with arraysize until an empty batch; rows must be empty (columnar).
        var total = 0;
        while (true)
        {
            var fetch = await client.FetchResultsAsync(new TFetchResultsReq { OperationHandle = handle, Orientation = TFetchOrientation.FETCH_NEXT, MaxRows = 1 });
            Assert.Equal(TStatusCode.SUCCESS_STATUS, fetch.Status.StatusCode);
            Assert.Empty(fetch.Results!.Rows);
            var n = fetch.Results.Columns![0].Length;
            if (n == 0) break;
            total += n;
        }
        Assert.Equal(3, total);

        // fetch_logs(): the legacy GetLog must fail with UNKNOWN_METHOD, then FetchResults(fetchType=1) in one string column.
        var ex = await Assert.ThrowsAsync<TApplicationException>(() => CallUnknownAsync(transport, "GetLog"));
        Assert.Equal(TApplicationExceptionType.UNKNOWN_METHOD, ex.Type);
        var logs = await client.FetchResultsAsync(new TFetchResultsReq { OperationHandle = handle, Orientation = TFetchOrientation.FETCH_NEXT, MaxRows = 1000, FetchType = 1 });
        Assert.Single(logs.Results!.Columns!);
        Assert.Equal(TColumnKind.StringVal, logs.Results.Columns![0].Kind);
        Assert.True(logs.Results.Columns[0].Length > 0);

        // A statement without rows: hasResultSet false, and description is None.
        var set = await client.ExecuteStatementAsync(new TExecuteStatementReq { SessionHandle = session, Statement = "SET a=b", RunAsync = false });
        Assert.False(set.OperationHandle!.HasResultSet);
        var close = await client.CloseOperationAsync(new TCloseOperationReq { OperationHandle = handle });
        Assert.Equal(TStatusCode.SUCCESS_STATUS, close.Status.StatusCode);
        await client.CloseSessionAsync(new TCloseSessionReq { SessionHandle = session });
    }

    [Fact]
    public async Task HiveJdbcSequence()
    {
        var (client, transport) = await RawAsync(HiveAuthMode.SaslPlain);
        await using var _ = transport;
        var open = await client.OpenSessionAsync(new TOpenSessionReq
        {
            ClientProtocol = TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V10,
            Username = "jdbc-user",
            Password = "x",
            Configuration = new Dictionary<string, string>
            {
                ["use:database"] = "demo",
                ["set:hiveconf:hive.server2.thrift.resultset.default.fetch.size"] = "1000",
            },
        });
        Assert.Equal(TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V10, open.ServerProtocolVersion);
        var session = open.SessionHandle!;

        // DatabaseMetaData.getDatabaseProductName/Version.
        var version = await client.GetInfoAsync(new TGetInfoReq { SessionHandle = session, InfoType = TGetInfoType.CLI_DBMS_VER });
        Assert.Matches(@"^\d+\.\d+\.\d+", version.InfoValue!.StringValue);

        // Statement.execute: async, poll until FINISHED, then metadata and fetches of fetchSize.
        var exec = await client.ExecuteStatementAsync(new TExecuteStatementReq { SessionHandle = session, Statement = "SELECT sale_id FROM sales ORDER BY sale_id LIMIT 2500", RunAsync = true, ConfOverlay = [] });
        var handle = exec.OperationHandle!;
        Assert.True(handle.HasResultSet);
        TGetOperationStatusResp status;
        do
        {
            status = await client.GetOperationStatusAsync(new TGetOperationStatusReq { OperationHandle = handle });
        }
        while (status.OperationState is TOperationState.PENDING_STATE or TOperationState.RUNNING_STATE or TOperationState.INITIALIZED_STATE);
        Assert.Equal(TOperationState.FINISHED_STATE, status.OperationState);
        Assert.True(status.HasResultSet);

        var rows = new List<long>();
        var offsets = new List<long>();
        while (true)
        {
            var fetch = await client.FetchResultsAsync(new TFetchResultsReq { OperationHandle = handle, Orientation = TFetchOrientation.FETCH_NEXT, MaxRows = 1000 });
            var column = (Gateway.Protocol.Columnar.PrimitiveColumn<long>)fetch.Results!.Columns![0].Column;
            if (column.Length == 0) break;
            offsets.Add(fetch.Results.StartRowOffset);
            rows.AddRange(column.Span.ToArray());
        }
        Assert.Equal(2500, rows.Count);
        Assert.Equal(rows.Order(), rows);
        Assert.Equal([0L, 1000L, 2000L], offsets);

        // DatabaseMetaData.getTables(null, "demo", "%", {"TABLE", "VIEW"}).
        var tables = await client.GetTablesAsync(new TGetTablesReq { SessionHandle = session, SchemaName = "demo", TableName = "%", TableTypes = ["TABLE", "VIEW"] });
        Assert.Equal(TStatusCode.SUCCESS_STATUS, tables.Status.StatusCode);
        var tableRows = await client.FetchResultsAsync(new TFetchResultsReq { OperationHandle = tables.OperationHandle!, Orientation = TFetchOrientation.FETCH_NEXT, MaxRows = 1000 });
        Assert.True(tableRows.Results!.Columns![2].Length >= 5);

        // getQueryId and setClientInfo (Hive 3 drivers call both).
        var queryId = await client.GetQueryIdAsync(new TGetQueryIdReq { OperationHandle = handle });
        Assert.False(string.IsNullOrEmpty(queryId.QueryId));
        var info = await client.SetClientInfoAsync(new TSetClientInfoReq { SessionHandle = session, Configuration = new Dictionary<string, string> { ["ApplicationName"] = "beeline" } });
        Assert.Equal(TStatusCode.SUCCESS_STATUS, info.Status.StatusCode);

        await client.CloseOperationAsync(new TCloseOperationReq { OperationHandle = handle });
        await client.CloseSessionAsync(new TCloseSessionReq { SessionHandle = session });
    }

    [Fact]
    public async Task TimestampWithTimeZoneTypeDependsOnTheProtocol()
    {
        foreach (var (version, expected) in new[] { (TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V11, TTypeId.TIMESTAMPLOCALTZ_TYPE), (TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V10, TTypeId.TIMESTAMP_TYPE) })
        {
            await using var c = await fixture.Gateway.ConnectAsync(version: version);
            await using var op = await c.ExecuteAsync("SELECT TIMESTAMPTZ '2024-01-31 12:00:00+00' AS t");
            var meta = await c.Client.GetResultSetMetadataAsync(new TGetResultSetMetadataReq { OperationHandle = op.Handle });
            Assert.Equal(expected, meta.Schema!.Columns[0].TypeDesc.Types[0].PrimitiveEntry!.Type);
            var (_, rows) = await op.ReadAllAsTextAsync();
            Assert.Equal("2024-01-31 12:00:00", rows[0][0]);
        }
    }

    [Fact]
    public async Task TimestampWithTimeZoneIsShownInTheSessionZone()
    {
        await using var c = await fixture.Gateway.ConnectAsync(configuration: new Dictionary<string, string> { ["spark.sql.session.timeZone"] = "America/New_York" });
        Assert.Equal("2024-01-31 07:00:00", (await c.QueryAsync("SELECT TIMESTAMPTZ '2024-01-31 12:00:00+00'")).Rows[0][0]);
        await using (await c.ExecuteAsync("SET spark.sql.session.timeZone=Asia/Tokyo")) { }
        Assert.Equal("2024-01-31 21:00:00", (await c.QueryAsync("SELECT TIMESTAMPTZ '2024-01-31 12:00:00+00'")).Rows[0][0]);
        // Wall-clock TIMESTAMP values are never shifted.
        Assert.Equal("2024-01-31 12:00:00", (await c.QueryAsync("SELECT TIMESTAMP '2024-01-31 12:00:00'")).Rows[0][0]);
        // An unknown zone is refused by the SET itself; the session keeps its zone.
        var ex = await Assert.ThrowsAsync<HiveClientException>(() => c.ExecuteAsync("SET spark.sql.session.timeZone=Mars/Olympus"));
        Assert.Contains("Unknown time zone", ex.Message, StringComparison.Ordinal);
        Assert.Equal("2024-01-31 21:00:00", (await c.QueryAsync("SELECT TIMESTAMPTZ '2024-01-31 12:00:00+00'")).Rows[0][0]);
    }

    private static async Task CallUnknownAsync(IAsyncDisposable transport, string method)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        var w = new ThriftWriter(buffer);
        w.WriteMessageBegin(method, TMessageType.Call, 99);
        w.WriteFieldStop();
        var reply = await ((IThriftTransport)transport).RoundTripAsync(buffer.WrittenMemory, default);
        var reader = new ThriftReader(reply.Span, ThriftLimits.Default);
        var header = reader.ReadMessageBegin();
        if (header.Type == TMessageType.Exception) throw TApplicationException.Read(ref reader);
    }
}
