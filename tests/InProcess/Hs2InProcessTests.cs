using Gateway.Engines.HiveServer2;
using Gateway.Protocol.Columnar;
using Gateway.Protocol.Hive;

namespace Gateway.Tests.InProcess;

[Collection(GatewayCollection.Name)]
public class Hs2InProcessTests(GatewayFixture fixture)
{
    private GatewayInstance Gateway => fixture.Gateway;

    [Theory]
    [InlineData(HiveAuthMode.SaslPlain, TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V10)]
    [InlineData(HiveAuthMode.NoSasl, TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V10)]
    [InlineData(HiveAuthMode.SaslPlain, TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V5)]
    [InlineData(HiveAuthMode.NoSasl, TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V1)]
    public async Task QueriesWorkInBothTransportsAndBothResultGenerations(HiveAuthMode auth, TProtocolVersion version)
    {
        await using var c = await Gateway.ConnectAsync(auth: auth, version: version);
        Assert.Equal(version, c.ProtocolVersion);
        var (schema, rows) = await c.QueryAsync("SELECT 1 AS one, 'two' AS two, CAST(NULL AS INTEGER) AS three, 2.5::DOUBLE AS four");
        Assert.Equal(["one", "two", "three", "four"], schema.Columns.Select(col => col.Name));
        Assert.Equal(SqlTypeKind.Int, schema.Columns[0].Type.Kind);
        Assert.Single(rows);
        Assert.Equal(new string?[] { "1", "two", null, "2.5" }, rows[0]);
    }

    [Fact]
    public async Task ProtocolVersionIsMinOfClientAndServer()
    {
        await using var c = await Gateway.ConnectAsync(version: (TProtocolVersion)99);
        Assert.Equal(TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V11, c.ProtocolVersion);
        await using var pyhive = await Gateway.ConnectAsync(version: TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V6);
        Assert.Equal(TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V6, pyhive.ProtocolVersion);
    }

    [Fact]
    public async Task EveryDemoTypeArrivesWithItsHiveTypeAndText()
    {
        foreach (var version in new[] { TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V10, TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V5 })
        {
            await using var c = await Gateway.ConnectAsync(version: version);
            var (schema, rows) = await c.QueryAsync("SELECT * FROM demo.all_types ORDER BY 1");
            Assert.True(schema.Count >= 20, $"all_types has {schema.Count} columns");
            Assert.True(rows.Count >= 2);
            // Every column but the id has at least one NULL row and one non-NULL row in the demo table.
            for (var i = 1; i < schema.Count; i++)
            {
                Assert.Contains(rows, r => r[i] is null);
                Assert.Contains(rows, r => r[i] is not null);
            }
            var first = rows.Single(r => r[0] == "1");
            string? Cell(string column) => first[schema.Columns.Select(c => c.Name).ToList().IndexOf(column)];
            var expected = new Dictionary<string, string>
            {
                ["c_boolean"] = "true",
                ["c_tinyint"] = "-8",
                ["c_bigint"] = "-64",
                ["c_ubigint"] = "64",
                ["c_hugeint"] = "123456789012345678901234567890",
                ["c_double"] = "2.25",
                ["c_decimal_38_10"] = "1234567890123456789012345678.0123456789",
                ["c_varchar"] = "hello",
                ["c_date"] = "2024-02-29",
                ["c_time"] = "13:45:30.123456",
                ["c_timestamp"] = "2024-02-29 13:45:30.123456",
                ["c_timestamp_ns"] = "2024-02-29 13:45:30.123456",
                ["c_interval"] = "1 year 2 months 3 days 04:05:06.000007",
                ["c_uuid"] = "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
                ["c_enum"] = "green",
                ["c_list"] = "[1,null,3]",
                ["c_struct"] = "{\"name\":\"x\",\"score\":9.5}",
                ["c_map"] = "{\"a\":1,\"b\":null}",
                ["c_nested"] = "{\"tags\":[\"t1\",\"t2\"],\"attrs\":{\"since\":\"2020-01-01\"}}",
            };
            foreach (var (column, text) in expected) Assert.True(text == Cell(column), $"{column} over {version}: expected {text}, got {Cell(column)}");
        }
    }

    [Fact]
    public async Task ResultMetadataCarriesQualifiers()
    {
        await using var c = await Gateway.ConnectAsync();
        await using var op = await c.ExecuteAsync("SELECT CAST(1.5 AS DECIMAL(12,3)) AS d, CAST('x' AS VARCHAR) AS v, DATE '2024-01-31' AS dt, TIMESTAMP '2024-01-31 12:00:00.123' AS ts, [1,2] AS arr, {'a': 1} AS st, MAP {'k': 2} AS m");
        var schema = await op.GetSchemaAsync();
        Assert.Equal(SqlType.Decimal(12, 3), schema.Columns[0].Type);
        Assert.Equal(SqlTypeKind.Date, schema.Columns[2].Type.Kind);
        Assert.Equal(SqlTypeKind.Timestamp, schema.Columns[3].Type.Kind);
        Assert.Equal(SqlTypeKind.Array, schema.Columns[4].Type.Kind);
        Assert.Equal(SqlTypeKind.Struct, schema.Columns[5].Type.Kind);
        Assert.Equal(SqlTypeKind.Map, schema.Columns[6].Type.Kind);
        var (_, rows) = await op.ReadAllAsTextAsync();
        Assert.Equal(new string?[] { "1.500", "x", "2024-01-31", "2024-01-31 12:00:00.123", "[1,2]", "{\"a\":1}", "{\"k\":2}" }, rows[0]);
    }

    [Fact]
    public async Task LargeResultStreamsInBatches()
    {
        await using var c = await Gateway.ConnectAsync();
        await using var op = await c.ExecuteAsync("SELECT sale_id, amount, channel FROM demo.sales ORDER BY sale_id LIMIT 1000000");
        long rows = 0;
        long lastId = 0;
        var fetches = 0;
        while (true)
        {
            var (batch, more) = await op.FetchAsync(100_000);
            using (batch)
            {
                fetches++;
                var ids = (PrimitiveColumn<long>)batch.Columns[0];
                for (var i = 0; i < batch.RowCount; i++)
                {
                    Assert.True(ids.Values[i] > lastId);
                    lastId = ids.Values[i];
                }
                rows += batch.RowCount;
                if (!more || batch.RowCount == 0) break;
            }
        }
        Assert.Equal(1_000_000, rows);
        Assert.True(fetches >= 10, $"{fetches} fetches");
    }

    [Fact]
    public async Task FetchFirstRereadsFromTheStart()
    {
        await using var c = await Gateway.ConnectAsync();
        await using var op = await c.ExecuteAsync("SELECT range AS n FROM range(10)");
        var (a, _) = await op.FetchAsync(3);
        var (b, _) = await op.FetchAsync(3);
        var (first, _) = await op.FetchAsync(3, TFetchOrientation.FETCH_FIRST);
        Assert.Equal("0", ValueFormatter.Utc.FormatToString(a.Columns[0], 0));
        Assert.Equal("3", ValueFormatter.Utc.FormatToString(b.Columns[0], 0));
        Assert.Equal("0", ValueFormatter.Utc.FormatToString(first.Columns[0], 0));
        Assert.Equal(3, first.RowCount);
    }

    [Fact]
    public async Task OperationLogIsFetchable()
    {
        await using var c = await Gateway.ConnectAsync();
        await using var op = await c.ExecuteAsync("SELECT 42");
        var lines = await op.FetchLogAsync();
        Assert.Contains(lines, l => l.Contains("Running on engine", StringComparison.Ordinal));
        Assert.Empty(await op.FetchLogAsync());
    }

    [Fact]
    public async Task AsyncExecutionReportsRunningThenFinished()
    {
        await using var c = await Gateway.ConnectAsync();
        var op = await c.StartAsync("SELECT count(*) FROM range(300000000)");
        var states = new List<TOperationState?>();
        while (true)
        {
            var s = await op.StatusAsync();
            states.Add(s.OperationState);
            if (s.OperationState is TOperationState.FINISHED_STATE or TOperationState.ERROR_STATE) break;
            await Task.Delay(5);
        }
        Assert.Equal(TOperationState.FINISHED_STATE, states[^1]);
        var (_, rows) = await op.ReadAllAsTextAsync();
        Assert.Equal("300000000", rows[0][0]);
        await op.DisposeAsync();
    }

    [Fact]
    public async Task CancelInterruptsALongQueryAndTheSessionGoesOn()
    {
        await using var c = await Gateway.ConnectAsync();
        var op = await c.StartAsync("SELECT sum(a.range * b.range) FROM range(200000) a, range(200000) b");
        await WaitForStateAsync(op, TOperationState.RUNNING_STATE);
        await op.CancelAsync();
        var final = await WaitForTerminalAsync(op);
        Assert.Equal(TOperationState.CANCELED_STATE, final.OperationState);
        await op.DisposeAsync();
        var (_, rows) = await c.QueryAsync("SELECT 7");
        Assert.Equal("7", rows[0][0]);
    }

    [Fact]
    public async Task QueryTimeoutEndsTimedOut()
    {
        await using var c = await Gateway.ConnectAsync();
        var op = await c.StartAsync("SELECT sum(a.range * b.range) FROM range(200000) a, range(200000) b", queryTimeoutSeconds: 1);
        var final = await WaitForTerminalAsync(op);
        Assert.Equal(TOperationState.TIMEDOUT_STATE, final.OperationState);
        await op.DisposeAsync();
        Assert.Equal("1", (await c.QueryAsync("SELECT 1")).Rows[0][0]);
    }

    [Fact]
    public async Task AFailedQueryStillSaysItHadAResultSet()
    {
        // The Databricks connector reads hasResultSet=false as "nothing to wait for", skips the status that carries the
        // error and fetches from a handle the direct results already closed ("Invalid operation handle").
        await using var c = await Gateway.ConnectAsync();
        var op = await c.StartAsync("SELECT * FROM no_such_table");
        var final = await WaitForTerminalAsync(op);
        Assert.Equal(TOperationState.ERROR_STATE, final.OperationState);
        // A failed status carries no hasResultSet at all (clients copy it onto the handle).
        Assert.Null(final.HasResultSet);
        Assert.Contains("no_such_table", final.ErrorMessage, StringComparison.Ordinal);
        var exec = await c.Client.ExecuteStatementAsync(new TExecuteStatementReq
        {
            SessionHandle = c.Session,
            Statement = "SELECT * FROM no_such_table",
            RunAsync = true,
            GetDirectResults = new TSparkGetDirectResults { MaxRows = 100 },
        });
        Assert.True(exec.OperationHandle!.HasResultSet);
        Assert.Equal(TOperationState.ERROR_STATE, exec.DirectResults!.OperationStatus!.OperationState);
        Assert.NotNull(exec.DirectResults.CloseOperation);
    }

    [Fact]
    public async Task StatementErrorsCarrySqlStateAndFailOnlyThatOperation()
    {
        await using var c = await Gateway.ConnectAsync();
        var ex = await Assert.ThrowsAsync<HiveClientException>(() => c.ExecuteAsync("SELECT * FROM no_such_table"));
        Assert.Contains("no_such_table", ex.Message, StringComparison.OrdinalIgnoreCase);
        Assert.NotEqual("HY000", ex.SqlState);
        var sync = await Assert.ThrowsAsync<HiveClientException>(() => c.ExecuteAsync("SELEC 1", runAsync: false));
        Assert.Equal("42000", sync.SqlState);
        Assert.Equal("1", (await c.QueryAsync("SELECT 1")).Rows[0][0]);
    }

    [Fact]
    public async Task SessionConfigurationAndHiveCommands()
    {
        await using var c = await Gateway.ConnectAsync(database: "demo", configuration: new Dictionary<string, string>
        {
            ["set:hivevar:min_qty"] = "5",
            ["set:hiveconf:hive.exec.parallel"] = "true",
            ["spark.sql.shuffle.partitions"] = "4",
        });
        Assert.Equal("demo", (await c.QueryAsync("SELECT current_database()")).Rows[0][0]);
        var (_, tables) = await c.QueryAsync("SHOW TABLES");
        Assert.Contains(tables, r => r.Contains("sales"));
        var (_, set) = await c.QueryAsync("SET");
        Assert.Contains(set, r => r[0] == "hive.exec.parallel=true");
        Assert.Contains(set, r => r[0] == "spark.sql.shuffle.partitions=4");
        await using (await c.ExecuteAsync("SET my.key = 'v1'")) { }
        Assert.Equal("my.key=v1", (await c.QueryAsync("SET my.key")).Rows[0][0]);
        Assert.Equal("5", (await c.QueryAsync("SELECT ${hivevar:min_qty} AS q")).Rows[0][0]);
        Assert.Equal("5", (await c.QueryAsync("SELECT ${min_qty} AS q")).Rows[0][0]);
        await using (await c.ExecuteAsync("USE main")) { }
        Assert.Equal("main", (await c.QueryAsync("SELECT current_database()")).Rows[0][0]);
        var (describe, cols) = await c.QueryAsync("DESCRIBE demo.sales");
        Assert.Equal(["col_name", "data_type", "comment"], describe.Columns.Select(x => x.Name));
        Assert.Contains(cols, r => r[0] == "amount" && r[1] == "decimal(18,2)");
    }

    [Fact]
    public async Task DmlReportsAffectedRows()
    {
        await using var c = await Gateway.ConnectAsync();
        var table = $"main.t_{Guid.NewGuid():N}";
        await using (await c.ExecuteAsync($"CREATE TABLE {table} (id INTEGER, name VARCHAR)")) { }
        await using var insert = await c.ExecuteAsync($"INSERT INTO {table} VALUES (1, 'a'), (2, 'b'), (3, NULL)");
        var status = await insert.StatusAsync();
        Assert.Equal(3, status.NumModifiedRows);
        Assert.Equal("3", (await c.QueryAsync($"SELECT count(*) FROM {table}")).Rows[0][0]);
        await using (await c.ExecuteAsync($"DROP TABLE {table}")) { }
    }

    [Fact]
    public async Task TwoOpenResultsOnOneSessionBothStream()
    {
        await using var c = await Gateway.ConnectAsync();
        await using var a = await c.ExecuteAsync("SELECT range FROM range(50000)");
        await using var b = await c.ExecuteAsync("SELECT range FROM range(60000)");
        var (_, ra) = await a.ReadAllAsTextAsync();
        var (_, rb) = await b.ReadAllAsTextAsync();
        Assert.Equal(50000, ra.Count);
        Assert.Equal(60000, rb.Count);
    }

    internal static async Task WaitForStateAsync(HiveOperation op, TOperationState state)
    {
        for (var i = 0; i < 2000; i++)
        {
            var s = await op.StatusAsync();
            if (s.OperationState == state) return;
            await Task.Delay(5);
        }
        throw new TimeoutException($"operation never reached {state}");
    }

    internal static async Task<TGetOperationStatusResp> WaitForTerminalAsync(HiveOperation op)
    {
        for (var i = 0; i < 6000; i++)
        {
            var s = await op.StatusAsync();
            if (s.OperationState is not (TOperationState.RUNNING_STATE or TOperationState.PENDING_STATE or TOperationState.INITIALIZED_STATE)) return s;
            await Task.Delay(10);
        }
        throw new TimeoutException("operation never ended");
    }
}
