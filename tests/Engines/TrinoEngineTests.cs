using System.Buffers;
using System.Text;
using Gateway.Engines;
using Gateway.Engines.Trino;
using Gateway.Protocol.Columnar;
using static Gateway.Tests.Engines.TrinoFakeCoordinator;

namespace Gateway.Tests.Engines;

/// <summary>
/// The Trino engine adapter against an in-test coordinator answering in the client protocol's documented shapes:
/// paging by nextUri, every type from its typeSignature, errors, session headers, retries, cancel, health, limits.
/// </summary>
public sealed class TrinoEngineTests : IAsyncLifetime
{
    private TrinoFakeCoordinator _trino = null!;
    private TrinoEngine _engine = null!;

    public async Task InitializeAsync()
    {
        _trino = await TrinoFakeCoordinator.StartAsync();
        _engine = new TrinoEngine(Options());
    }

    private TrinoEngineOptions Options() => new()
    {
        Name = "trino",
        Port = _trino.Port,
        User = "svc",
        Catalog = "hive",
        Schema = "sales",
        ClientTags = ["bi"],
        SessionProperties = new Dictionary<string, string> { ["query_max_run_time"] = "10m" },
        RetryFor = TimeSpan.FromSeconds(2),
    };

    public async Task DisposeAsync()
    {
        await _engine.DisposeAsync();
        await _trino.DisposeAsync();
    }

    private static string Text(ColumnBatch batch, int column, int row)
    {
        if (batch.Columns[column].IsNull(row)) return "NULL";
        var w = new ArrayBufferWriter<byte>();
        ValueFormatter.Utc.Write(batch.Columns[column], row, w);
        return Encoding.UTF8.GetString(w.WrittenSpan);
    }

    private static async Task<List<ColumnBatch>> ReadAll(IQueryResult result, int max = 10_000)
    {
        var batches = new List<ColumnBatch>();
        while (await result.ReadBatchAsync(max, CancellationToken.None) is { } b) batches.Add(b);
        return batches;
    }

    [Fact]
    public async Task AQueryFollowsItsPagesAndSendsTheSessionHeaders()
    {
        _trino.Answer = sql => Query($"[{Column("answer", "integer", Sig("integer"))},{Column("name", "varchar", Sig("varchar", LongArg(2147483647)))}]", "[[42,\"x\"],[7,null]]");
        await using var session = await _engine.OpenSessionAsync(new EngineSessionOptions("alice"), CancellationToken.None);
        await using var result = await session.ExecuteAsync("SELECT `answer`, name FROM t;", ExecuteOptions.Default, CancellationToken.None);
        Assert.True(result.HasRows);
        Assert.Equal(["answer", "name"], result.Schema.Columns.Select(c => c.Name));
        Assert.Equal(SqlType.Int, result.Schema.Columns[0].Type);
        Assert.Equal(SqlType.String, result.Schema.Columns[1].Type);
        var batch = Assert.Single(await ReadAll(result));
        Assert.Equal(2, batch.RowCount);
        Assert.Equal(["42", "x", "7", "NULL"], [Text(batch, 0, 0), Text(batch, 1, 0), Text(batch, 0, 1), Text(batch, 1, 1)]);
        Assert.Equal(1.0, result.Progress);

        Assert.True(_trino.Statements.TryDequeue(out var sent));
        // Backticks became Trino's quotes, the trailing semicolon went.
        Assert.Equal("SELECT \"answer\", name FROM t", sent.Sql);
        Assert.Equal("svc", sent.Headers["X-Trino-User"].Single());
        Assert.Equal("hive", sent.Headers["X-Trino-Catalog"].Single());
        Assert.Equal("sales", sent.Headers["X-Trino-Schema"].Single());
        Assert.Equal("sql-gateway", sent.Headers["X-Trino-Source"].Single());
        Assert.Equal("bi", sent.Headers["X-Trino-Client-Tags"].Single());
        Assert.Equal("NONE", sent.Headers["X-Trino-Transaction-Id"].Single());
        Assert.Equal("PARAMETRIC_DATETIME", sent.Headers["X-Trino-Client-Capabilities"].Single());
        Assert.Equal("query_max_run_time=10m", sent.Headers["X-Trino-Session"].Single());
        Assert.Equal(3, _trino.Queries.Single().Served);
    }

    [Fact]
    public async Task EveryTypeIsReadFromItsSignature()
    {
        var columns = string.Join(",",
            Column("b", "boolean", Sig("boolean")),
            Column("ti", "tinyint", Sig("tinyint")),
            Column("si", "smallint", Sig("smallint")),
            Column("i", "integer", Sig("integer")),
            Column("bi", "bigint", Sig("bigint")),
            Column("r", "real", Sig("real")),
            Column("d", "double", Sig("double")),
            Column("dn", "double", Sig("double")),
            Column("dec", "decimal(10,2)", Sig("decimal", LongArg(10), LongArg(2))),
            Column("big", "decimal(38,0)", Sig("decimal", LongArg(38), LongArg(0))),
            Column("v", "varchar(5)", Sig("varchar", LongArg(5))),
            Column("c", "char(3)", Sig("char", LongArg(3))),
            Column("vb", "varbinary", Sig("varbinary")),
            Column("j", "json", Sig("json")),
            Column("u", "uuid", Sig("uuid")),
            Column("ip", "ipaddress", Sig("ipaddress")),
            Column("dt", "date", Sig("date")),
            Column("tm", "time(3)", Sig("time", LongArg(3))),
            Column("ts", "timestamp(6)", Sig("timestamp", LongArg(6))),
            Column("tz", "timestamp(3) with time zone", Sig("timestamp with time zone", LongArg(3))),
            Column("tzr", "timestamp(3) with time zone", Sig("timestamp with time zone", LongArg(3))),
            Column("tzo", "timestamp(3) with time zone", Sig("timestamp with time zone", LongArg(3))),
            Column("ids", "interval day to second", Sig("interval day to second")),
            Column("iym", "interval year to month", Sig("interval year to month")),
            Column("arr", "array(integer)", Sig("array", TypeArg(Sig("integer")))),
            Column("m", "map(varchar, bigint)", Sig("map", TypeArg(Sig("varchar", LongArg(2147483647))), TypeArg(Sig("bigint")))),
            Column("row", "row(a integer, b varchar)", Sig("row", NamedArg("a", Sig("integer")), NamedArg("b", Sig("varchar", LongArg(2147483647))))),
            Column("n", "unknown", Sig("unknown")));
        var row = """
            [true, -5, 300, 70000, 9007199254740993, 1.5, 2.25, "NaN", "-123.45", "12345678901234567890123456789012345678",
             "h\u00e9\"y", "ab ", "AAEC/w==", "{\"k\":[1,2]}", "0f4c3d4e-2c37-4e33-8b0c-3f0b9b5f0a11", "10.0.0.1",
             "2024-02-29", "12:34:56.789", "2024-01-31 23:59:58.123456", "2024-01-31 12:00:00.000 UTC",
             "2024-07-01 12:00:00.000 Europe/Paris", "2024-01-31 12:00:00.000 +05:30", "-1 02:03:04.500", "1-2",
             [1, null, 3], {"a": 1, "b": null}, [7, "seven"], null]
            """;
        _trino.Answer = _ => Query($"[{columns}]", $"[{row}]");
        await using var session = await _engine.OpenSessionAsync(new EngineSessionOptions("alice"), CancellationToken.None);
        await using var result = await session.ExecuteAsync("SELECT everything", ExecuteOptions.Default, CancellationToken.None);
        var types = result.Schema.Columns.Select(c => c.Type).ToList();
        Assert.Equal([SqlType.Boolean, SqlType.TinyInt, SqlType.SmallInt, SqlType.Int, SqlType.BigInt, SqlType.Float, SqlType.Double, SqlType.Double,
            SqlType.Decimal(10, 2), SqlType.Decimal(38, 0), SqlType.Varchar(5), SqlType.Char(3), SqlType.Binary, SqlType.String, SqlType.String, SqlType.String,
            SqlType.Date, SqlType.Time, SqlType.Timestamp, SqlType.TimestampTz, SqlType.TimestampTz, SqlType.TimestampTz, SqlType.Interval, SqlType.Interval,
            SqlType.Array(SqlType.Int), SqlType.Map(SqlType.String, SqlType.BigInt), SqlType.Struct([new SqlField("a", SqlType.Int), new SqlField("b", SqlType.String)]), SqlType.Null], types);
        var b = Assert.Single(await ReadAll(result));
        string[] expected =
        [
            "true", "-5", "300", "70000", "9007199254740993", "1.5", "2.25", "NaN", "-123.45", "12345678901234567890123456789012345678",
            "h\u00e9\"y", "ab ", "", "{\"k\":[1,2]}", "0f4c3d4e-2c37-4e33-8b0c-3f0b9b5f0a11", "10.0.0.1",
            "2024-02-29", "12:34:56.789", "2024-01-31 23:59:58.123456", "2024-01-31 12:00:00", "2024-07-01 10:00:00", "2024-01-31 06:30:00",
        ];
        for (var i = 0; i < expected.Length; i++)
        {
            if (i == 12) continue;
            Assert.True(Text(b, i, 0).StartsWith(expected[i], StringComparison.Ordinal), $"column {result.Schema.Columns[i].Name}: {Text(b, i, 0)} is not {expected[i]}");
        }
        Assert.Equal(new byte[] { 0, 1, 2, 255 }, ((BinaryColumn)b.Columns[12]).GetBytes(0).ToArray());
        Assert.Equal(new IntervalValue(0, -1, -((2 * 3600 + 3 * 60 + 4) * 1_000_000L + 500_000)), ((PrimitiveColumn<IntervalValue>)b.Columns[22]).Values[0]);
        Assert.Equal(new IntervalValue(14, 0, 0), ((PrimitiveColumn<IntervalValue>)b.Columns[23]).Values[0]);
        Assert.Equal("[1,null,3]", Text(b, 24, 0));
        Assert.Equal("{\"a\":1,\"b\":null}", Text(b, 25, 0));
        Assert.Equal("{\"a\":7,\"b\":\"seven\"}", Text(b, 26, 0));
        Assert.Equal("NULL", Text(b, 27, 0));
    }

    [Fact]
    public async Task ErrorsCarryTheirSqlStateAndWhetherAnotherEngineMayTry()
    {
        _trino.Answer = sql => sql.Contains("boom", StringComparison.Ordinal)
            ? new Script([Page("QUEUED"), Error("x", "Worker died", "GENERIC_INTERNAL_ERROR", 65536, "INTERNAL_ERROR")])
            : sql.Contains("missing", StringComparison.Ordinal)
                ? new Script([Error("x", "line 1:15: Table 'hive.sales.missing' does not exist", "TABLE_NOT_FOUND", 46, "USER_ERROR")])
                : null;
        await using var session = await _engine.OpenSessionAsync(new EngineSessionOptions("alice"), CancellationToken.None);
        var syntax = await Assert.ThrowsAsync<EngineException>(() => session.ExecuteAsync("SELEC 1", ExecuteOptions.Default, CancellationToken.None).AsTask());
        Assert.Equal("42000", syntax.SqlState);
        Assert.False(syntax.Retryable);
        Assert.StartsWith("SYNTAX_ERROR: line 1:1: mismatched input (line 1:8) [Trino query ", syntax.Message, StringComparison.Ordinal);
        var missing = await Assert.ThrowsAsync<EngineException>(() => session.ExecuteAsync("SELECT * FROM missing", ExecuteOptions.Default, CancellationToken.None).AsTask());
        Assert.Equal("42S02", missing.SqlState);
        Assert.Equal(46, missing.ErrorCode);
        var internalError = await Assert.ThrowsAsync<EngineException>(() => session.ExecuteAsync("SELECT boom", ExecuteOptions.Default, CancellationToken.None).AsTask());
        Assert.Equal("HY000", internalError.SqlState);
        Assert.True(internalError.Retryable);
    }

    [Fact]
    public async Task ResponseHeadersChangeTheSessionForItsNextStatements()
    {
        var set = new Dictionary<string, string>
        {
            ["X-Trino-Set-Schema"] = "marketing",
            ["X-Trino-Set-Session"] = "join_distribution_type=BROADCAST",
            ["X-Trino-Added-Prepare"] = "q1=SELECT+%3F+%2B+1",
            ["X-Trino-Started-Transaction-Id"] = "tx-1",
        };
        _trino.Answer = sql => sql switch
        {
            "USE marketing" => new Script([Page("FINISHED", extra: "\"updateType\":\"USE\",")], [set]),
            "RESET SESSION query_max_run_time" => new Script([Page("FINISHED", extra: "\"updateType\":\"RESET SESSION\",")],
                [new Dictionary<string, string> { ["X-Trino-Clear-Session"] = "query_max_run_time", ["X-Trino-Clear-Transaction-Id"] = "true" }]),
            _ => Query($"[{Column("x", "integer", Sig("integer"))}]", "[[1]]"),
        };
        await using var session = await _engine.OpenSessionAsync(new EngineSessionOptions("alice"), CancellationToken.None);
        await (await session.ExecuteAsync("USE marketing", ExecuteOptions.Default, CancellationToken.None)).DisposeAsync();
        Assert.Equal("marketing", session.CurrentDatabase);
        await (await session.ExecuteAsync("SELECT 1", ExecuteOptions.Default, CancellationToken.None)).DisposeAsync();
        var sent = _trino.Statements.ToArray()[^1];
        Assert.Equal("marketing", sent.Headers["X-Trino-Schema"].Single());
        Assert.Equal(["join_distribution_type=BROADCAST", "query_max_run_time=10m"], sent.Headers["X-Trino-Session"].SelectMany(v => v.Split(',')).Select(v => v.Trim()).Order());
        Assert.Equal("q1=SELECT%20%3F%20%2B%201", sent.Headers["X-Trino-Prepared-Statement"].Single());
        Assert.Equal("tx-1", sent.Headers["X-Trino-Transaction-Id"].Single());

        await (await session.ExecuteAsync("RESET SESSION query_max_run_time", ExecuteOptions.Default, CancellationToken.None)).DisposeAsync();
        await (await session.ExecuteAsync("SELECT 2", ExecuteOptions.Default, CancellationToken.None)).DisposeAsync();
        sent = _trino.Statements.ToArray()[^1];
        Assert.Equal("join_distribution_type=BROADCAST", sent.Headers["X-Trino-Session"].Single());
        Assert.Equal("NONE", sent.Headers["X-Trino-Transaction-Id"].Single());
    }

    [Fact]
    public async Task ParametersAreBoundThroughAPreparedStatement()
    {
        _trino.Answer = _ => Query($"[{Column("x", "integer", Sig("integer"))}]", "[[1]]");
        await using var session = await _engine.OpenSessionAsync(new EngineSessionOptions("alice"), CancellationToken.None);
        var options = new ExecuteOptions
        {
            Parameters = [new QueryParameter(1, null, SqlType.String, "o'neil"), new QueryParameter(2, null, SqlType.Int, 5L), new QueryParameter(3, null, SqlType.Decimal(5, 2), (Int128)12345)],
        };
        await (await session.ExecuteAsync("SELECT * FROM t WHERE name = ? AND n > ? AND d = ?", options, CancellationToken.None)).DisposeAsync();
        var sent = _trino.Statements.ToArray()[^1];
        Assert.Equal("EXECUTE gateway_parameters USING 'o''neil', 5, DECIMAL '123.45'", sent.Sql);
        Assert.Equal("gateway_parameters=" + Uri.EscapeDataString("SELECT * FROM t WHERE name = ? AND n > ? AND d = ?"), sent.Headers["X-Trino-Prepared-Statement"].Single());
    }

    [Fact]
    public async Task ChangesReportTheirCountAndNoRows()
    {
        // Trino names the update type as soon as it has planned the statement, with its one "rows" column.
        _trino.Answer = _ => new Script([Page("RUNNING", $"[{Column("rows", "bigint", Sig("bigint"))}]", extra: "\"updateType\":\"INSERT\","), Page("FINISHED", $"[{Column("rows", "bigint", Sig("bigint"))}]", "[[3]]", "\"updateType\":\"INSERT\",\"updateCount\":3,")]);
        await using var session = await _engine.OpenSessionAsync(new EngineSessionOptions("alice"), CancellationToken.None);
        await using var result = await session.ExecuteAsync("INSERT INTO t VALUES 1, 2, 3", ExecuteOptions.Default, CancellationToken.None);
        Assert.False(result.HasRows);
        Assert.Equal(3, result.AffectedRows);
        Assert.Null(await result.ReadBatchAsync(100, CancellationToken.None));
    }

    [Fact]
    public async Task BatchesAreSlicedToWhatTheReaderAsksAndAnAbandonedQueryIsCanceled()
    {
        var rows = "[" + string.Join(",", Enumerable.Range(0, 250).Select(i => $"[{i}]")) + "]";
        var col = $"[{Column("n", "bigint", Sig("bigint"))}]";
        _trino.Answer = _ => new Script([Page("RUNNING", col, rows), Page("RUNNING", col, rows), Page("FINISHED", col)]);
        await using var session = await _engine.OpenSessionAsync(new EngineSessionOptions("alice"), CancellationToken.None);
        var result = await session.ExecuteAsync("SELECT n FROM big", ExecuteOptions.Default, CancellationToken.None);
        var sizes = new List<int>();
        for (var i = 0; i < 3; i++) sizes.Add((await result.ReadBatchAsync(100, default))!.RowCount);
        Assert.Equal([100, 100, 50], sizes);
        // Before the second page is fetched, the reader goes away: the query is canceled on the coordinator.
        await result.DisposeAsync();
        var script = _trino.Queries.Single();
        Assert.Equal(1, script.Served);
        Assert.True(script.Canceled);
    }

    [Fact]
    public async Task UnavailableAnswersAreRetriedThenFailRetryably()
    {
        _trino.Answer = _ => Query($"[{Column("x", "integer", Sig("integer"))}]", "[[1]]");
        _trino.Unavailable = 3;
        await using var session = await _engine.OpenSessionAsync(new EngineSessionOptions("alice"), CancellationToken.None);
        await using (var result = await session.ExecuteAsync("SELECT 1", ExecuteOptions.Default, CancellationToken.None))
        {
            Assert.Equal(1, Assert.Single(await ReadAll(result)).RowCount);
        }
        _trino.Unavailable = 1_000_000;
        var down = await Assert.ThrowsAsync<EngineException>(() => session.ExecuteAsync("SELECT 1", ExecuteOptions.Default, CancellationToken.None).AsTask());
        Assert.True(down.Retryable);
        Assert.Contains("stayed unavailable (503)", down.Message, StringComparison.Ordinal);
        _trino.Unavailable = 0;
    }

    [Fact]
    public async Task HealthComesFromInfoAndCredentialsGoWithEveryRequest()
    {
        Assert.True((await _engine.CheckHealthAsync(CancellationToken.None)).Healthy);
        _trino.Starting = true;
        var starting = await _engine.CheckHealthAsync(CancellationToken.None);
        Assert.False(starting.Healthy);
        Assert.Contains("Trino 468 is starting", starting.Detail, StringComparison.Ordinal);
        await using var nowhere = new TrinoEngine(Options() with { Port = 1 });
        Assert.False((await nowhere.CheckHealthAsync(CancellationToken.None)).Healthy);

        await using var bearer = new TrinoEngine(Options() with { Auth = TrinoAuth.Bearer, Token = "tok-123" });
        _trino.Answer = _ => Query($"[{Column("x", "integer", Sig("integer"))}]", "[[1]]");
        while (_trino.Authorizations.TryDequeue(out _)) { }
        await using var session = await bearer.OpenSessionAsync(new EngineSessionOptions("alice"), CancellationToken.None);
        await using var result = await session.ExecuteAsync("SELECT 1", ExecuteOptions.Default, CancellationToken.None);
        await ReadAll(result);
        Assert.All(_trino.Authorizations, a => Assert.Equal("Bearer tok-123", a));
        Assert.Equal(3, _trino.Authorizations.Count);
        Assert.Throws<ArgumentException>(() => new TrinoEngine(Options() with { Auth = TrinoAuth.Basic, Password = "pw" }));
    }

    [Fact]
    public async Task HealthChecksReadTheClustersLoadUnlessTold()
    {
        _trino.Answer = sql => sql.Contains("system.runtime.queries", StringComparison.Ordinal)
            ? Query($"[{Column("running", "bigint", Sig("bigint"))},{Column("queued", "bigint", Sig("bigint"))}]", "[[7,3]]")
            : null;
        Assert.Null(_engine.ReportedLoad);
        var health = await _engine.CheckHealthAsync(CancellationToken.None);
        Assert.Contains("6 running, 3 queued", health.Detail, StringComparison.Ordinal);
        Assert.Equal((6, 3), (_engine.ReportedLoad!.Running, _engine.ReportedLoad.Queued));
        var sent = Assert.Single(_trino.Statements, s => s.Sql.Contains("system.runtime.queries", StringComparison.Ordinal));
        Assert.Equal("svc", sent.Headers["X-Trino-User"].Single());

        // A coordinator that refuses the query (no access to system.runtime) is still healthy; the load ages out.
        var time = new Gateway.Tests.InProcess.ManualTimeProvider();
        await using var refused = new TrinoEngine(Options(), time);
        _trino.Answer = _ => null;
        Assert.True((await refused.CheckHealthAsync(CancellationToken.None)).Healthy);
        Assert.Null(refused.ReportedLoad);
        await using var quiet = new TrinoEngine(Options() with { ReadLoad = false });
        var before = _trino.Statements.Count;
        Assert.True((await quiet.CheckHealthAsync(CancellationToken.None)).Healthy);
        Assert.Equal(before, _trino.Statements.Count);

        _trino.Answer = sql => Query($"[{Column("running", "bigint", Sig("bigint"))},{Column("queued", "bigint", Sig("bigint"))}]", "[[2,0]]");
        await refused.CheckHealthAsync(CancellationToken.None);
        Assert.NotNull(refused.ReportedLoad);
        time.Advance(TrinoEngine.LoadMaxAge);
        Assert.Null(refused.ReportedLoad);
    }

    [Fact]
    public async Task LinksAwayFromTheCoordinatorAndOversizedPagesAreRefused()
    {
        _trino.Answer = _ => new Script([Page("QUEUED").Replace("{next}", "\"nextUri\":\"http://attacker.example:8080/steal\",", StringComparison.Ordinal)]);
        await using var session = await _engine.OpenSessionAsync(new EngineSessionOptions("alice"), CancellationToken.None);
        var away = await Assert.ThrowsAsync<EngineException>(() => session.ExecuteAsync("SELECT 1", ExecuteOptions.Default, CancellationToken.None).AsTask());
        Assert.Contains("nextUri points to http://attacker.example:8080", away.Message, StringComparison.Ordinal);

        await using var small = new TrinoEngine(Options() with { MaxPageBytes = 65536 });
        var huge = "[" + string.Join(",", Enumerable.Range(0, 20_000).Select(i => $"[{i}]")) + "]";
        _trino.Answer = _ => Query($"[{Column("n", "bigint", Sig("bigint"))}]", huge);
        await using var s2 = await small.OpenSessionAsync(new EngineSessionOptions("alice"), CancellationToken.None);
        var tooBig = await Assert.ThrowsAsync<EngineException>(() => s2.ExecuteAsync("SELECT n", ExecuteOptions.Default, CancellationToken.None).AsTask());
        Assert.Equal("54000", tooBig.SqlState);
    }

    [Fact]
    public async Task MetadataComesFromSystemJdbc()
    {
        _trino.Answer = sql => sql.Contains("system.jdbc.tables", StringComparison.Ordinal)
            ? Query($"[{Column("table_cat", "varchar", Sig("varchar"))},{Column("table_schem", "varchar", Sig("varchar"))},{Column("table_name", "varchar", Sig("varchar"))},{Column("table_type", "varchar", Sig("varchar"))},{Column("remarks", "varchar", Sig("varchar"))}]",
                "[[\"hive\",\"sales\",\"orders\",\"TABLE\",null]]")
            : sql.Contains("system.jdbc.columns", StringComparison.Ordinal)
                ? Query(string.Concat("[", string.Join(",", new[] { "table_cat", "table_schem", "table_name", "column_name", "type_name" }.Select(n => Column(n, "varchar", Sig("varchar")))),
                    ",", Column("ordinal_position", "integer", Sig("integer")), ",", Column("is_nullable", "varchar", Sig("varchar")), ",", Column("remarks", "varchar", Sig("varchar")), ",", Column("column_def", "varchar", Sig("varchar")), "]"),
                    "[[\"hive\",\"sales\",\"orders\",\"amount\",\"decimal(12,2)\",1,\"YES\",null,null],[\"hive\",\"sales\",\"orders\",\"tags\",\"array(row(k varchar, v bigint))\",2,\"NO\",\"labels\",null]]")
                : null;
        await using var session = await _engine.OpenSessionAsync(new EngineSessionOptions("alice"), CancellationToken.None);
        var tables = await session.Metadata.GetTablesAsync(null, "sal%", null, ["TABLE"], CancellationToken.None);
        Assert.Equal(new TableInfo("hive", "sales", "orders", "TABLE", null), Assert.Single(tables));
        Assert.Equal("SELECT table_cat, table_schem, table_name, table_type, remarks FROM system.jdbc.tables WHERE 1 = 1 AND table_cat = 'hive' AND table_schem LIKE 'sal%' ESCAPE '\\' AND table_type IN ('TABLE') ORDER BY table_type, table_cat, table_schem, table_name",
            _trino.Statements.ToArray()[^1].Sql);
        var columns = await session.Metadata.GetColumnsAsync(null, "sales", "orders", null, CancellationToken.None);
        Assert.Equal(SqlType.Decimal(12, 2), columns[0].Type);
        Assert.Equal(SqlType.Array(SqlType.Struct([new SqlField("k", SqlType.String), new SqlField("v", SqlType.BigInt)])), columns[1].Type);
        Assert.False(columns[1].Nullable);
        Assert.Equal("labels", columns[1].Comment);
    }

    [Fact]
    public async Task SpooledResultsAreReadInlineAndFromStorageInEveryEncoding()
    {
        static byte[] Rows(int from, int count) => Encoding.UTF8.GetBytes("[" + string.Join(",", Enumerable.Range(from, count).Select(i => $"[{i},\"r{i}\"]")) + "]");
        var plain = Rows(0, 3);
        var zstd = new ZstdSharp.Compressor().Wrap(Rows(3, 4)).ToArray();
        var lz4Source = Rows(7, 5);
        var lz4 = new byte[K4os.Compression.LZ4.LZ4Codec.MaximumOutputSize(lz4Source.Length)];
        lz4 = lz4[..K4os.Compression.LZ4.LZ4Codec.Encode(lz4Source, lz4)];
        _trino.Spooled[1] = new ZstdSharp.Compressor().Wrap(Rows(12, 2)).ToArray();
        var columns = $"[{Column("n", "bigint", Sig("bigint"))},{Column("s", "varchar", Sig("varchar", LongArg(2147483647)))}]";
        string Inline(byte[] data, long offset, long count, long? uncompressed = null) =>
            $"{{\"type\":\"inline\",\"data\":\"{Convert.ToBase64String(data)}\",\"metadata\":{{\"rowOffset\":{offset},\"rowsCount\":{count},\"segmentSize\":{data.Length}{(uncompressed is { } u ? $",\"uncompressedSize\":{u}" : "")}}}}}";
        var spooled = $"{{\"type\":\"spooled\",\"uri\":\"http://127.0.0.1:{_trino.Port}/v1/spooled/download/1\",\"ackUri\":\"http://127.0.0.1:{_trino.Port}/v1/spooled/ack/1\",\"metadata\":{{\"rowOffset\":12,\"rowsCount\":2,\"segmentSize\":{_trino.Spooled[1].Length}}},\"headers\":{{\"X-Segment-Key\":[\"key-1\"]}}}}";
        _trino.Answer = _ => new Script([
            Page("QUEUED"),
            Page("RUNNING", columns, $"{{\"encoding\":\"json\",\"segments\":[{Inline(plain, 0, 3)}]}}"),
            Page("RUNNING", columns, $"{{\"encoding\":\"json+zstd\",\"segments\":[{Inline(zstd, 3, 4, 0)},{spooled}]}}".Replace(",\"uncompressedSize\":0", "", StringComparison.Ordinal)),
            Page("FINISHED", columns, $"{{\"encoding\":\"json+lz4\",\"segments\":[{Inline(lz4, 7, 5, lz4Source.Length)}]}}"),
        ]);
        await using var engine = new TrinoEngine(Options() with { Auth = TrinoAuth.Bearer, Token = "coordinator-only", QueryDataEncodings = ["json+zstd", "json+lz4", "json"] });
        await using var session = await engine.OpenSessionAsync(new EngineSessionOptions("alice"), CancellationToken.None);
        await using var result = await session.ExecuteAsync("SELECT n, s FROM spooled", ExecuteOptions.Default, CancellationToken.None);
        var values = new List<long>();
        foreach (var b in await ReadAll(result))
        {
            for (var r = 0; r < b.RowCount; r++)
            {
                values.Add(((PrimitiveColumn<long>)b.Columns[0]).Values[r]);
                Assert.Equal($"r{values[^1]}", ((BinaryColumn)b.Columns[1]).GetString(r));
            }
        }
        Assert.Equal(Enumerable.Range(0, 7).Select(i => (long)i).Concat([12L, 13L]).Concat(Enumerable.Range(7, 5).Select(i => (long)i)), values);
        Assert.Equal("json+zstd,json+lz4,json", _trino.Statements.Single().Headers["X-Trino-Query-Data-Encoding"].Single());
        Assert.Equal([1], _trino.Acknowledged);
        // The storage got the segment's header, never the coordinator's token.
        var download = _trino.Requests.Single(r => r.Path == "/v1/spooled/download/1");
        Assert.Null(download.Authorization);
        Assert.Equal("key-1", download.SegmentKey);
    }

    [Theory]
    [InlineData("decimal(10,2)", "decimal(10,2)")]
    [InlineData("varchar", "string")]
    [InlineData("varchar(12)", "varchar(12)")]
    [InlineData("timestamp(3) with time zone", "timestamp with local time zone")]
    [InlineData("map(varchar, array(integer))", "map<string,array<int>>")]
    [InlineData("row(\"first name\" varchar, b double)", "struct<first name:string,b:double>")]
    [InlineData("row(integer, varchar)", "struct<field0:int,field1:string>")]
    [InlineData("time(3) with time zone", "string")]
    [InlineData("HyperLogLog", "string")]
    public void TypesAreReadFromTheirText(string trino, string expected) => Assert.Equal(expected, TrinoTypes.Parse(trino).ToString());
}
