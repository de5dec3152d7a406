using Gateway.Engines;
using Gateway.Engines.DuckDb;
using Gateway.Protocol.Columnar;

namespace Gateway.Tests.Engines;

/// <summary>One in-memory DuckDB with the demo schema, shared by the tests of <see cref="DuckDbEngineTests"/>.</summary>
public sealed class DuckDbFixture : IAsyncLifetime
{
    public DuckDbEngine Engine { get; private set; } = null!;
    public bool CreatedDemo { get; private set; }

    public async Task InitializeAsync()
    {
        Engine = new DuckDbEngine(DuckDbEngineOptions.InMemory() with { MemoryLimit = "1GB" });
        CreatedDemo = await DemoData.EnsureAsync(Engine, CancellationToken.None);
    }

    public async Task DisposeAsync() => await Engine.DisposeAsync();
}

/// <summary>Runs alone: the streaming test measures process memory, which parallel tests would disturb.</summary>
[CollectionDefinition(nameof(DuckDbEngineTests), DisableParallelization = true)]
public sealed class DuckDbEngineCollection;

[Collection(nameof(DuckDbEngineTests))]
public partial class DuckDbEngineTests(DuckDbFixture fixture) : IClassFixture<DuckDbFixture>
{
    private static readonly ExecuteOptions Options = ExecuteOptions.Default;

    private async Task<DuckDbSession> OpenAsync(string? database = null) =>
        await fixture.Engine.OpenDuckDbSessionAsync(new EngineSessionOptions("test") { Database = database }, CancellationToken.None);

    /// <summary>Runs a query and returns its rows as Hive text (null for NULL).</summary>
    private static async Task<(ResultSchema Schema, List<string?[]> Rows)> QueryAsync(IEngineSession session, string sql, int batchRows = 1000)
    {
        await using var result = await session.ExecuteAsync(sql, Options, CancellationToken.None);
        var rows = new List<string?[]>();
        while (await result.ReadBatchAsync(batchRows, CancellationToken.None) is { } batch)
        {
            using (batch)
            {
                Assert.True(batch.RowCount <= batchRows);
                for (var r = 0; r < batch.RowCount; r++) rows.Add([.. batch.Columns.Select(c => ValueFormatter.Utc.FormatToString(c, r))]);
            }
        }
        return (result.Schema, rows);
    }

    private static async Task<string?> ScalarAsync(IEngineSession session, string sql) => (await QueryAsync(session, sql)).Rows.Single()[0];

    [Fact]
    public async Task EveryTypeOfAllTypesConverts()
    {
        await using var session = await OpenAsync();
        var (schema, rows) = await QueryAsync(session, "SELECT * FROM demo.all_types ORDER BY id");
        string[] types =
        [
            "int", "boolean", "tinyint", "smallint", "int", "bigint", "smallint", "int", "bigint", "decimal(20,0)", "decimal(38,0)", "decimal(38,0)",
            "float", "double", "decimal(4,1)", "decimal(9,2)", "decimal(18,4)", "decimal(38,10)", "string", "binary", "date", "time", "string",
            "timestamp", "timestamp", "timestamp", "timestamp", "timestamp with local time zone", "interval", "string", "string",
            "array<int>", "array<int>", "struct<name:string,score:double>", "map<string,int>", "struct<num:int,txt:string>",
            "struct<tags:array<string>,attrs:map<string,date>>", "string", "string",
        ];
        Assert.Equal(types, schema.Columns.Select(c => c.Type.ToString()));
        Assert.Equal(3, rows.Count);

        string?[] first =
        [
            "1", "true", "-8", "-16", "-32", "-64", "8", "16", "32", "64", "123456789012345678901234567890", "12345678901234567890123456789",
            "1.5", "2.25", "123.4", "1234567.89", "12345678901234.5678", "1234567890123456789012345678.0123456789", "hello", System.Text.Encoding.UTF8.GetString([0xDE, 0xAD, 0xBE, 0xEF]),
            "2024-02-29", "13:45:30.123456", "13:45:30+02", "2024-02-29 13:45:30.123456", "2024-02-29 13:45:30", "2024-02-29 13:45:30.123",
            "2024-02-29 13:45:30.123456", "2024-02-29 13:45:30.5", "1 year 2 months 3 days 04:05:06.000007", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
            "green", "[1,null,3]", "[7,8,9]", "{\"name\":\"x\",\"score\":9.5}", "{\"a\":1,\"b\":null}", "{\"num\":42,\"txt\":null}",
            "{\"tags\":[\"t1\",\"t2\"],\"attrs\":{\"since\":\"2020-01-01\"}}", "10110", "12345678901234567890123456789012345678901234567890",
        ];
        string?[] second =
        [
            "2", "false", "-128", "-32768", "-2147483648", "-9223372036854775808", "255", "65535", "4294967295", "18446744073709551615",
            "-99999999999999999999999999999999999999", "99999999999999999999999999999999999999", "-3.5", "1E+300", "-999.9", "-9999999.99",
            "-99999999999999.9999", "-9999999999999999999999999999.9999999999", "longer than twelve bytes: ünïcødé ✓", "",
            "1969-12-31", "00:00:00", "23:59:59.999999-08", "1969-12-31 23:59:59.999999", "1900-01-01 00:00:00", "1969-12-31 23:59:59.999",
            "1969-12-31 23:59:59.999999", "1999-12-31 19:00:00", "-1 day", "00000000-0000-0000-0000-000000000000", "blue",
            "[]", "[0,0,0]", "{\"name\":null,\"score\":null}", "{}", "{\"num\":null,\"txt\":\"text\"}", "{\"tags\":[],\"attrs\":{}}", "1", "-1",
        ];
        Assert.Equal(first, rows[0]);
        Assert.Equal(second, rows[1]);
        Assert.Equal("3", rows[2][0]);
        Assert.All(rows[2].Skip(1), Assert.Null);
    }

    [Fact]
    public async Task TypedValuesAreStoredInArrowLayout()
    {
        await using var session = await OpenAsync();
        await using var result = await session.ExecuteAsync(
            "SELECT c_blob, c_hugeint, c_ubigint, c_utinyint, c_timestamp_ns, c_interval, c_date, c_boolean FROM demo.all_types ORDER BY id", Options, CancellationToken.None);
        using var batch = (await result.ReadBatchAsync(10, CancellationToken.None))!;
        var blob = (BinaryColumn)batch.Columns[0];
        Assert.Equal(new byte[] { 0xDE, 0xAD, 0xBE, 0xEF }, blob.GetBytes(0).ToArray());
        Assert.Equal(0, blob.GetBytes(1).Length);
        Assert.True(blob.IsNull(2));
        Assert.False(blob.IsNull(1));
        Assert.Equal(Int128.Parse("123456789012345678901234567890", System.Globalization.CultureInfo.InvariantCulture), ((PrimitiveColumn<Int128>)batch.Columns[1]).Values[0]);
        Assert.Equal((Int128)ulong.MaxValue, ((PrimitiveColumn<Int128>)batch.Columns[2]).Values[1]);
        Assert.Equal((short)255, ((PrimitiveColumn<short>)batch.Columns[3]).Values[1]);
        // 1969-12-31 23:59:59.999999999 in nanoseconds floors to the microsecond before the epoch.
        Assert.Equal(-1L, ((PrimitiveColumn<long>)batch.Columns[4]).Values[1]);
        Assert.Equal(new IntervalValue(14, 3, 14_706_000_007L), ((PrimitiveColumn<IntervalValue>)batch.Columns[5]).Values[0]);
        Assert.Equal(-1, ((PrimitiveColumn<int>)batch.Columns[6]).Values[1]);
        var booleans = (BooleanColumn)batch.Columns[7];
        Assert.True(booleans.GetValue(0));
        Assert.False(booleans.GetValue(1));
        Assert.Equal(1, booleans.NullCount);
        Assert.All(batch.Columns, c => Assert.Equal(1, c.NullCount));
    }

    [Fact]
    public async Task DecimalsOfEveryStorageWidthKeepTheirUnscaledValue()
    {
        await using var session = await OpenAsync();
        await using var result = await session.ExecuteAsync(
            "SELECT -12.34::DECIMAL(4,2), 123456.789::DECIMAL(9,3), -123456789012.345678::DECIMAL(18,6), "
            + "'-12345678901234567890.123456789012345678'::DECIMAL(38,18), 0.5::DECIMAL(1,1)", Options, CancellationToken.None);
        using var batch = (await result.ReadBatchAsync(10, CancellationToken.None))!;
        var expected = new (string Unscaled, int Precision, int Scale)[]
        {
            ("-1234", 4, 2), ("123456789", 9, 3), ("-123456789012345678", 18, 6), ("-12345678901234567890123456789012345678", 38, 18), ("5", 1, 1),
        };
        for (var i = 0; i < expected.Length; i++)
        {
            var column = (PrimitiveColumn<Int128>)batch.Columns[i];
            Assert.Equal(SqlType.Decimal(expected[i].Precision, expected[i].Scale), column.Type);
            Assert.Equal(Int128.Parse(expected[i].Unscaled, System.Globalization.CultureInfo.InvariantCulture), column.Values[0]);
        }
        Assert.Equal("-12345678901234567890.123456789012345678", ValueFormatter.Utc.FormatToString(batch.Columns[3], 0));
    }

    [Fact]
    public async Task HugeIntegersBeyondDecimal38AreAnError()
    {
        await using var session = await OpenAsync();
        var e = await Assert.ThrowsAsync<EngineException>(() => QueryAsync(session, "SELECT 170141183460469231731687303715884105727::HUGEINT"));
        Assert.Equal("22003", e.SqlState);
        Assert.Equal("1", await ScalarAsync(session, "SELECT 1"));
    }

    [Fact]
    public async Task UuidsPrintAsDuckDbDoes()
    {
        await using var session = await OpenAsync();
        var (_, rows) = await QueryAsync(session,
            "SELECT u, u::VARCHAR FROM (VALUES (UUID 'ffffffff-ffff-ffff-ffff-ffffffffffff'), (UUID '00000000-0000-0000-0000-000000000001'), "
            + "(UUID '80000000-0000-0000-0000-000000000000'), (UUID '7fffffff-ffff-ffff-8000-000000000000'), (gen_random_uuid()), (NULL)) t(u)");
        Assert.Equal(6, rows.Count);
        Assert.All(rows, r => Assert.Equal(r[1], r[0]));
        Assert.Equal("80000000-0000-0000-0000-000000000000", rows[2][0]);
    }

    [Fact]
    public async Task TimeWithTimeZonePrintsAsDuckDbDoes()
    {
        await using var session = await OpenAsync();
        var (_, rows) = await QueryAsync(session,
            "SELECT t, t::VARCHAR FROM (VALUES (TIMETZ '00:00:00+00'), (TIMETZ '12:34:56.5+02:30'), (TIMETZ '01:02:03-05'), (TIMETZ '23:59:59.999999+15:59:59'), (TIMETZ '10:00:00-15:59')) v(t)");
        Assert.All(rows, r => Assert.Equal(r[1], r[0]));
    }

    [Fact]
    public async Task NestedValuesSpanChunksAndBatches()
    {
        await using var session = await OpenAsync();
        const string Sql = "SELECT i, CASE WHEN i % 7 = 0 THEN NULL ELSE [i, NULL, i + 1] END AS l, "
            + "{'a': i, 'b': CASE WHEN i % 2 = 0 THEN 'even' END} AS s, MAP {'k' || i: i} AS m, [[i], [], [i, i]] AS ll, "
            + "[i::SMALLINT, 2, 3]::SMALLINT[3] AS arr FROM range(5000) t(i) ORDER BY i";
        // 777 rows per batch cuts DuckDB's 2048-row chunks at unaligned bit offsets.
        var (_, rows) = await QueryAsync(session, Sql, batchRows: 777);
        Assert.Equal(5000, rows.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            var r = rows[i];
            Assert.Equal(i.ToString(System.Globalization.CultureInfo.InvariantCulture), r[0]);
            Assert.Equal(i % 7 == 0 ? null : $"[{i},null,{i + 1}]", r[1]);
            Assert.Equal(i % 2 == 0 ? $"{{\"a\":{i},\"b\":\"even\"}}" : $"{{\"a\":{i},\"b\":null}}", r[2]);
            Assert.Equal($"{{\"k{i}\":{i}}}", r[3]);
            Assert.Equal($"[[{i}],[],[{i},{i}]]", r[4]);
            Assert.Equal($"[{(short)i},2,3]", r[5]);
        }
    }

    [Theory]
    [InlineData(1000)]
    [InlineData(777)]
    [InlineData(5000)]
    public async Task NullsSurviveAnyBatchSize(int batchRows)
    {
        await using var session = await OpenAsync();
        var (_, rows) = await QueryAsync(session,
            "SELECT CASE WHEN i % 3 = 0 THEN NULL ELSE i END, CASE WHEN i % 5 = 0 THEN NULL ELSE 'value ' || i END, "
            + "CASE WHEN i < 4100 THEN NULL ELSE i % 2 = 0 END FROM range(10000) t(i) ORDER BY i", batchRows);
        Assert.Equal(10000, rows.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            Assert.Equal(i % 3 == 0 ? null : i.ToString(System.Globalization.CultureInfo.InvariantCulture), rows[i][0]);
            Assert.Equal(i % 5 == 0 ? null : $"value {i}", rows[i][1]);
            Assert.Equal(i < 4100 ? null : i % 2 == 0 ? "true" : "false", rows[i][2]);
        }
    }

    [Fact]
    public async Task EnumsAndCastFallbackColumns()
    {
        await using var session = await OpenAsync();
        // DuckDB hands a bare NULL back as INTEGER; BIT and BIGNUM have no gateway type and arrive as text.
        var (schema, rows) = await QueryAsync(session,
            "SELECT NULL AS n, 'b'::ENUM('a', 'b') AS e, '0101'::BIT AS b, '-123456789012345678901234567890123456789'::BIGNUM AS big, ['1'::BIT] AS bits -- comment");
        Assert.Equal(["int", "string", "string", "string", "string"], schema.Columns.Select(c => c.Type.ToString()));
        Assert.Equal(["n", "e", "b", "big", "bits"], schema.Columns.Select(c => c.Name));
        Assert.Equal(new string?[] { null, "b", "0101", "-123456789012345678901234567890123456789", "[1]" }, rows.Single());
    }

    [Fact]
    public async Task UnsupportedTypesOutsideASingleSelectAreNamed()
    {
        await using var session = await OpenAsync();
        var e = await Assert.ThrowsAsync<EngineException>(() => QueryAsync(session, "SELECT 1; SELECT '1'::BIT AS b"));
        Assert.Equal("0A000", e.SqlState);
        Assert.Contains("BIT", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StreamingReturnsTheFirstBatchOfAHugeResultAndMemoryStaysFlat()
    {
        await using var session = await OpenAsync();
        var process = System.Diagnostics.Process.GetCurrentProcess();
        process.Refresh();
        var nativeBefore = process.WorkingSet64;
        // Materialized, these 100M rows of two BIGINTs would take 1.6 GB of native memory before the first batch.
        await using var result = await session.ExecuteAsync("SELECT range AS id, range * 2 AS twice FROM range(100000000)", Options, CancellationToken.None);
        Assert.True(result.HasRows);
        using (var first = await result.ReadBatchAsync(10_000, CancellationToken.None))
        {
            Assert.Equal(0L, ((PrimitiveColumn<long>)first!.Columns[0]).Values[0]);
        }
        process.Refresh();
        Assert.True(process.WorkingSet64 - nativeBefore < 800L * 1024 * 1024, $"Working set grew by {(process.WorkingSet64 - nativeBefore) >> 20} MB before the first batch.");
        long rows = 10_000;
        long? baseline = null;
        for (var b = 1; b < 500; b++)
        {
            using var batch = await result.ReadBatchAsync(10_000, CancellationToken.None);
            Assert.NotNull(batch);
            Assert.Equal(10_000, batch.RowCount);
            var ids = (PrimitiveColumn<long>)batch.Columns[0];
            Assert.Equal(rows, ids.Values[0]);
            Assert.Equal((rows + 9_999) * 2, ((PrimitiveColumn<long>)batch.Columns[1]).Values[9_999]);
            rows += batch.RowCount;
            if (b == 10) baseline = GC.GetTotalMemory(forceFullCollection: true);
        }
        var after = GC.GetTotalMemory(forceFullCollection: true);
        Assert.Equal(5_000_000, rows);
        // Pooled buffers are reused batch after batch: the managed heap does not grow with the rows read.
        Assert.True(after - baseline!.Value < 32 * 1024 * 1024, $"GC heap grew by {(after - baseline.Value) / 1024} KB while streaming.");
        process.Refresh();
        Assert.True(process.WorkingSet64 - nativeBefore < 800L * 1024 * 1024, $"Working set grew by {(process.WorkingSet64 - nativeBefore) >> 20} MB while streaming.");
        var progress = result.Progress;
        Assert.True(progress is null or (>= 0 and <= 1));
    }

    [Fact]
    public async Task InterruptCancelsALongQueryAndTheSessionStillWorks()
    {
        await using var session = await OpenAsync();
        var running = session.ExecuteAsync("SELECT count(*) FROM range(100000000000) t(i) WHERE i % 7 = 3", Options, CancellationToken.None).AsTask();
        for (var i = 0; i < 600 && !running.IsCompleted; i++)
        {
            await Task.Delay(50);
            session.Interrupt();
        }
        var e = await Assert.ThrowsAsync<EngineException>(() => running);
        Assert.Equal("HY008", e.SqlState);
        Assert.True(e.Canceled);
        Assert.Equal("42", await ScalarAsync(session, "SELECT 42"));
    }

    [Fact]
    public async Task InterruptRightAfterStartingCancelsTheStatement()
    {
        await using var session = await OpenAsync();
        // The statement is current as soon as ExecuteAsync is called, before the worker thread takes it up.
        // Counting 10^14 rows takes hours: if the interrupt were lost the bounded wait below fails the test.
        var running = session.ExecuteAsync("SELECT count(*) FROM range(100000000000000)", Options, CancellationToken.None).AsTask();
        session.Interrupt();
        var e = await Assert.ThrowsAsync<EngineException>(() => running.WaitAsync(TimeSpan.FromMinutes(2)));
        Assert.Equal("HY008", e.SqlState);
        Assert.Equal("3", await ScalarAsync(session, "SELECT 3"));
    }

    [Fact]
    public async Task InterruptBetweenFetchesFailsTheNextFetch()
    {
        await using var session = await OpenAsync();
        await using var result = await session.ExecuteAsync("SELECT * FROM range(100000000)", Options, CancellationToken.None);
        using (var first = await result.ReadBatchAsync(1000, CancellationToken.None)) Assert.NotNull(first);
        session.Interrupt();
        var e = await Assert.ThrowsAsync<EngineException>(async () => await result.ReadBatchAsync(1000, CancellationToken.None));
        Assert.Equal("HY008", e.SqlState);
        // A failed result stays failed.
        await Assert.ThrowsAsync<EngineException>(async () => await result.ReadBatchAsync(1000, CancellationToken.None));
        Assert.Equal("7", await ScalarAsync(session, "SELECT 7"));
    }

    [Fact]
    public async Task CancellationTokenCancelsExecution()
    {
        await using var session = await OpenAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
            await session.ExecuteAsync("SELECT count(*) FROM range(100000000000) t(i) WHERE i % 7 = 3", Options, cts.Token));
        Assert.Equal("1", await ScalarAsync(session, "SELECT 1"));
    }

    [Fact]
    public async Task IdleInterruptDoesNotPoisonTheNextStatement()
    {
        await using var session = await OpenAsync();
        Assert.Equal("1", await ScalarAsync(session, "SELECT 1"));
        session.Interrupt();
        Assert.Equal("2", await ScalarAsync(session, "SELECT 2"));
    }

    [Theory]
    [InlineData("SELEC 1", "42000")]
    [InlineData("SELECT * FROM no_such_table", "42S02")]
    [InlineData("SELECT no_such_column FROM demo.stores", "42S22")]
    [InlineData("SELECT 'abc'::INTEGER", "22018")]
    [InlineData("INSERT INTO demo.stores VALUES (1, 'dup', 'x', 'y', DATE '2020-01-01')", "23000")]
    [InlineData("SELECT ?", "07002")]
    [InlineData("", "42000")]
    [InlineData("SELECT 1; SELEC 2", "42000")]
    public async Task ErrorsCarrySqlStates(string sql, string sqlState)
    {
        await using var session = await OpenAsync();
        var e = await Assert.ThrowsAsync<EngineException>(() => QueryAsync(session, sql));
        Assert.Equal(sqlState, e.SqlState);
        Assert.False(string.IsNullOrEmpty(e.Message));
        Assert.Equal("1", await ScalarAsync(session, "SELECT 1"));
    }

    [Fact]
    public async Task DmlReportsAffectedRows()
    {
        await using var session = await OpenAsync();
        await using (var r = await session.ExecuteAsync("CREATE SCHEMA IF NOT EXISTS dml_test; CREATE OR REPLACE TABLE dml_test.t (a INTEGER, b VARCHAR)", Options, CancellationToken.None))
        {
            Assert.False(r.HasRows);
            Assert.Null(r.AffectedRows);
            Assert.Null(await r.ReadBatchAsync(10, CancellationToken.None));
        }
        async Task<long?> Affected(string sql)
        {
            await using var r = await session.ExecuteAsync(sql, Options, CancellationToken.None);
            Assert.False(r.HasRows);
            return r.AffectedRows;
        }
        Assert.Equal(5000, await Affected("INSERT INTO dml_test.t SELECT i, 'v' || i FROM range(5000) t(i)"));
        Assert.Equal(2500, await Affected("UPDATE dml_test.t SET b = 'even' WHERE a % 2 = 0"));
        Assert.Equal(10, await Affected("DELETE FROM dml_test.t WHERE a < 10"));
        Assert.Equal(0, await Affected("DELETE FROM dml_test.t WHERE a < 0"));
        Assert.Equal("4990", await ScalarAsync(session, "SELECT count(*) FROM dml_test.t"));
    }

    [Fact]
    public async Task ScriptsRunInOrderAndReturnTheLastResult()
    {
        await using var session = await OpenAsync();
        var (_, rows) = await QueryAsync(session,
            "CREATE OR REPLACE TEMP TABLE script_t AS SELECT 1 AS x; INSERT INTO script_t VALUES (2); SELECT sum(x) AS s FROM script_t;");
        Assert.Equal("3", rows.Single()[0]);
    }

    [Fact]
    public async Task ANewStatementClosesTheOpenResult()
    {
        await using var session = await OpenAsync();
        await using var first = await session.ExecuteAsync("SELECT * FROM range(10000)", Options, CancellationToken.None);
        using (var b = await first.ReadBatchAsync(100, CancellationToken.None)) Assert.NotNull(b);
        Assert.Equal("5", await ScalarAsync(session, "SELECT 5"));
        var e = await Assert.ThrowsAsync<EngineException>(async () => await first.ReadBatchAsync(100, CancellationToken.None));
        Assert.Equal("24000", e.SqlState);
    }

    [Fact]
    public async Task DemoDataIsCreatedOnceWithItsRowCounts()
    {
        Assert.True(fixture.CreatedDemo);
        Assert.False(await DemoData.EnsureAsync(fixture.Engine, CancellationToken.None));
        await using var session = await OpenAsync();
        var (_, rows) = await QueryAsync(session,
            "SELECT (SELECT count(*) FROM demo.sales), (SELECT count(*) FROM demo.customers), (SELECT count(*) FROM demo.products), "
            + "(SELECT count(*) FROM demo.stores), (SELECT count(*) FROM demo.all_types), "
            + "(SELECT count(*) FROM demo.sales s LEFT JOIN demo.customers c USING (customer_id) WHERE c.customer_id IS NULL), "
            + "(SELECT count(*) FROM demo.sales WHERE amount <> quantity * unit_price), (SELECT count(DISTINCT channel) FROM demo.sales)");
        Assert.Equal(new string?[] { "1000000", "10000", "1000", "50", "3", "0", "0", "4" }, rows.Single());
        // Deterministic generation: the same first row on every machine.
        var first = (await QueryAsync(session, "SELECT * FROM demo.sales ORDER BY sale_id LIMIT 1")).Rows.Single();
        Assert.Equal(new string?[] { "1", "2023-03-04", "2023-03-04 15:16:01", "8272", "622", "4", "8", "280.54", "2244.32", "partner" }, first);
    }

    [Fact]
    public async Task HiveCommandsAnswerInHiveShape()
    {
        await using var session = await OpenAsync();
        Assert.Equal("main", session.CurrentDatabase);

        var (schema, rows) = await QueryAsync(session, "SHOW DATABASES");
        Assert.Equal("database_name", schema.Columns.Single().Name);
        Assert.Contains(["demo"], rows);
        Assert.Contains(["main"], rows);
        Assert.DoesNotContain(["information_schema"], rows);

        (schema, rows) = await QueryAsync(session, "SHOW TABLES IN `demo` LIKE 's*'");
        Assert.Equal("tab_name", schema.Columns.Single().Name);
        Assert.Equal([["sales"], ["stores"]], rows);

        (schema, rows) = await QueryAsync(session, "DESCRIBE FORMATTED demo.`sales`");
        Assert.Equal(["col_name", "data_type", "comment"], schema.Columns.Select(c => c.Name));
        Assert.Equal(10, rows.FindIndex(r => r[0] == ""));
        Assert.Contains(["Comment:", "One row per sale line: 1,000,000 rows over 2023-2024", null], rows);
        Assert.Equal(new string?[] { "sale_id", "bigint", "Surrogate key" }, rows[0]);
        Assert.Equal(new string?[] { "unit_price", "decimal(10,2)", null }, rows[7]);
        Assert.Equal(new string?[] { "amount", "decimal(18,2)", "quantity * unit_price" }, rows[8]);

        await using (await session.ExecuteAsync("USE demo", Options, CancellationToken.None)) { }
        Assert.Equal("demo", session.CurrentDatabase);
        Assert.Equal("demo", await ScalarAsync(session, "SELECT current_database()"));
        Assert.Equal("50", await ScalarAsync(session, "SELECT count(*) FROM `stores`"));
        Assert.Equal("c_varchar", (await QueryAsync(session, "DESC all_types")).Rows[18][0]);
        (_, rows) = await QueryAsync(session, "SHOW TABLES");
        Assert.Contains(["customers"], rows);

        await using (await session.ExecuteAsync("USE default", Options, CancellationToken.None)) { }
        Assert.Equal("main", session.CurrentDatabase);

        var e = await Assert.ThrowsAsync<EngineException>(() => QueryAsync(session, "DESCRIBE demo.nope"));
        Assert.Equal("42S02", e.SqlState);
        Assert.Equal("SemanticException [Error 10001]: Table not found demo.nope", e.Message);
        e = await Assert.ThrowsAsync<EngineException>(() => QueryAsync(session, "DESCRIBE `no_db`.`nope`"));
        Assert.Equal(("42S02", "SemanticException [Error 10001]: Table not found no_db.nope"), (e.SqlState, e.Message));
    }

    [Fact]
    public async Task SessionsCanStartInADatabase()
    {
        await using var session = await OpenAsync("demo");
        Assert.Equal("demo", session.CurrentDatabase);
        Assert.Equal("1000", await ScalarAsync(session, "SELECT count(*) FROM products"));
        var e = await Assert.ThrowsAsync<EngineException>(async () => await OpenAsync("no_such_db"));
        Assert.NotEqual("HY000", e.SqlState);
    }

    [Fact]
    public async Task MetadataListsCatalogsSchemasAndTables()
    {
        await using var session = await OpenAsync();
        await using (await session.ExecuteAsync(
            "CREATE SCHEMA IF NOT EXISTS meta_test; CREATE OR REPLACE TABLE meta_test.a_b (x INTEGER); CREATE OR REPLACE TABLE meta_test.aXb (y INTEGER); "
            + "CREATE OR REPLACE VIEW meta_test.v_sales AS SELECT sale_id FROM demo.sales; CREATE OR REPLACE TEMP TABLE meta_tmp (z INTEGER); "
            + "COMMENT ON VIEW meta_test.v_sales IS 'a view'", Options, CancellationToken.None)) { }
        var md = session.Metadata;

        Assert.Equal(["memory"], await md.GetCatalogsAsync(CancellationToken.None));

        var schemas = await md.GetSchemasAsync(null, null, CancellationToken.None);
        Assert.Contains(new SchemaInfo("memory", "demo"), schemas);
        Assert.Contains(new SchemaInfo("memory", "main"), schemas);
        Assert.DoesNotContain(schemas, s => s.Schema is "information_schema" or "pg_catalog");
        Assert.Equal(["meta_test"], (await md.GetSchemasAsync("memory", "meta\\_%", CancellationToken.None)).Select(s => s.Schema));
        Assert.Empty(await md.GetSchemasAsync("other", null, CancellationToken.None));

        var both = await md.GetTablesAsync(null, "meta_test", "a_b", null, CancellationToken.None);
        Assert.Equal(["aXb", "a_b"], both.Select(t => t.Name).Order(StringComparer.Ordinal));
        var escaped = await md.GetTablesAsync(null, "meta\\_test", "a\\_b", null, CancellationToken.None);
        Assert.Equal("a_b", Assert.Single(escaped).Name);
        var view = Assert.Single(await md.GetTablesAsync("memory", "meta%", "%", ["VIEW"], CancellationToken.None));
        Assert.Equal(new TableInfo("memory", "meta_test", "v_sales", "VIEW", "a view"), view);
        var temp = Assert.Single(await md.GetTablesAsync(null, null, "meta_tmp", null, CancellationToken.None));
        Assert.Equal("LOCAL TEMPORARY", temp.TableType);
        var sales = Assert.Single(await md.GetTablesAsync(null, "DEMO", "SAL%", ["TABLE"], CancellationToken.None));
        Assert.Equal("One row per sale line: 1,000,000 rows over 2023-2024", sales.Comment);
    }

    [Fact]
    public async Task MetadataListsColumnsWithTypesAndPositions()
    {
        await using var session = await OpenAsync();
        var md = session.Metadata;
        var columns = await md.GetColumnsAsync(null, "demo", "all\\_types", null, CancellationToken.None);
        Assert.Equal(39, columns.Count);
        Assert.Equal(Enumerable.Range(1, 39), columns.Select(c => c.Position));
        var union = columns.Single(c => c.Name == "c_union");
        Assert.Equal("struct<num:int,txt:string>", union.Type.ToString());
        Assert.Equal("UNION: a struct whose selected member is the non-null one", union.Comment);
        Assert.Equal("struct<tags:array<string>,attrs:map<string,date>>", columns.Single(c => c.Name == "c_nested").Type.ToString());
        Assert.Equal(SqlType.String, columns.Single(c => c.Name == "c_bit").Type);
        Assert.Equal(SqlType.Decimal(38, 10), columns.Single(c => c.Name == "c_decimal_38_10").Type);
        Assert.False(columns[0].Nullable);
        Assert.True(columns[1].Nullable);

        var amounts = await md.GetColumnsAsync("memory", "dem_", "sales", "%amount", CancellationToken.None);
        var amount = Assert.Single(amounts);
        Assert.Equal(new ColumnMetadata("memory", "demo", "sales", "amount", SqlType.Decimal(18, 2), 9, false, "quantity * unit_price", null), amount);
    }

    [Fact]
    public async Task MetadataListsKeysAndFunctions()
    {
        await using var session = await OpenAsync();
        var md = session.Metadata;
        var pk = Assert.Single(await md.GetPrimaryKeysAsync(null, "demo", "sales", CancellationToken.None));
        Assert.Equal(("sale_id", 1), (pk.Column, pk.KeySeq));
        Assert.Empty(await md.GetPrimaryKeysAsync(null, "main", "sales", CancellationToken.None));

        var fks = await md.GetCrossReferenceAsync(null, "demo", null, null, "demo", "sales", CancellationToken.None);
        Assert.Equal(["customers", "products", "stores"], fks.Select(f => f.PkTable).Order(StringComparer.Ordinal));
        var customer = await md.GetCrossReferenceAsync(null, null, "customers", null, null, null, CancellationToken.None);
        var fk = Assert.Single(customer);
        Assert.Equal(("customer_id", "sales", "customer_id", 1), (fk.PkColumn, fk.FkTable, fk.FkColumn, fk.KeySeq));
        Assert.NotNull(fk.PkName);

        var functions = await md.GetFunctionsAsync(null, null, "range", CancellationToken.None);
        Assert.Contains(functions, f => f.Name == "range" && f.ReturnsTable);
        var like = await md.GetFunctionsAsync(null, null, "string\\_split%", CancellationToken.None);
        Assert.NotEmpty(like);
        Assert.All(like, f => Assert.StartsWith("string_split", f.Name, StringComparison.Ordinal));
    }

    [Fact]
    public async Task MetadataDoesNotCloseAStreamingResult()
    {
        await using var session = await OpenAsync();
        await using var result = await session.ExecuteAsync("SELECT * FROM range(100000)", Options, CancellationToken.None);
        using (var b = await result.ReadBatchAsync(10, CancellationToken.None)) Assert.NotNull(b);
        Assert.NotEmpty(await session.Metadata.GetTablesAsync(null, "demo", null, null, CancellationToken.None));
        using var next = await result.ReadBatchAsync(10, CancellationToken.None);
        Assert.Equal(10L, ((PrimitiveColumn<long>)next!.Columns[0]).Values[0]);
    }

    [Fact]
    public async Task ADatabaseFilePersistsAcrossEngines()
    {
        var dir = Path.Combine(Path.GetTempPath(), "gateway-duckdb-" + Guid.NewGuid().ToString("N"));
        try
        {
            var options = new DuckDbEngineOptions { DataDirectory = dir, Threads = 1 };
            await using (var engine = new DuckDbEngine(options))
            {
                Assert.Equal(Path.Combine(dir, "gateway.duckdb"), engine.DatabasePath);
                await using var session = await engine.OpenSessionAsync(new EngineSessionOptions("u"), CancellationToken.None);
                await using (await session.ExecuteAsync("CREATE TABLE kept AS SELECT 41 + 1 AS answer", Options, CancellationToken.None)) { }
            }
            Assert.True(File.Exists(Path.Combine(dir, "gateway.duckdb")));
            await using (var engine = new DuckDbEngine(options))
            {
                await using var session = await engine.OpenSessionAsync(new EngineSessionOptions("u"), CancellationToken.None);
                Assert.Equal("42", await ScalarAsync(session, "SELECT answer FROM kept"));
                Assert.Equal(["gateway"], await session.Metadata.GetCatalogsAsync(CancellationToken.None));
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void InvalidOptionsAreRejected()
    {
        Assert.Throws<ArgumentException>(() => new DuckDbEngine(new DuckDbEngineOptions { DataDirectory = "x", FileName = "" }));
        Assert.Throws<ArgumentException>(() => new DuckDbEngine(DuckDbEngineOptions.InMemory(threads: 0)));
        var e = Assert.Throws<EngineException>(() => new DuckDbEngine(DuckDbEngineOptions.InMemory() with { MemoryLimit = "lots" }));
        Assert.Contains("memory_limit", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClosedSessionsRefuseWork()
    {
        var session = await OpenAsync();
        await using var result = await session.ExecuteAsync("SELECT * FROM range(100000)", Options, CancellationToken.None);
        await session.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await session.ExecuteAsync("SELECT 1", Options, CancellationToken.None));
        var e = await Assert.ThrowsAsync<EngineException>(async () => await result.ReadBatchAsync(10, CancellationToken.None));
        Assert.Equal("08003", e.SqlState);
    }
}
