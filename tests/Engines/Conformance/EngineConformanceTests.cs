using System.Globalization;
using Gateway.Engines;
using Gateway.Protocol.Columnar;

namespace Gateway.Tests.Engines.Conformance;

/// <summary>
/// Tier 4: the behaviour every <see cref="IEngine"/> adapter owes the gateway, run once per engine by a derived
/// class that supplies an engine (usually from a class fixture) and a <see cref="ConformanceDialect"/>.
/// See README.md beside this file for what a derived class must supply. Derived classes should sit in a
/// collection with parallelization disabled: one test measures the managed heap while streaming.
/// </summary>
public abstract class EngineConformanceTests(IEngine engine, ConformanceDialect dialect)
{
    protected IEngine Engine { get; } = engine;

    protected ConformanceDialect Dialect { get; } = dialect;

    protected static ExecuteOptions Options => ExecuteOptions.Default;

    /// <summary>Options of the sessions the tests open; override to add credentials or an initial database.</summary>
    protected virtual EngineSessionOptions SessionOptions(string? database = null) => new("conformance") { Database = database };

    protected async Task<IEngineSession> OpenAsync(string? database = null) =>
        await Engine.OpenSessionAsync(SessionOptions(database), CancellationToken.None);

    /// <summary>A database name no other test (or earlier run) uses.</summary>
    protected static string UniqueName(string prefix) => $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 13, 40)];

    /// <summary>Runs a query and returns its rows as Hive text (null for NULL), checking every batch's size.</summary>
    protected static async Task<(ResultSchema Schema, List<string?[]> Rows)> QueryAsync(IEngineSession session, string sql, int batchRows = 1000, ExecuteOptions? options = null)
    {
        await using var result = await session.ExecuteAsync(sql, options ?? Options, CancellationToken.None);
        var rows = new List<string?[]>();
        while (await result.ReadBatchAsync(batchRows, CancellationToken.None) is { } batch)
        {
            using (batch)
            {
                Assert.InRange(batch.RowCount, 1, batchRows);
                Assert.Equal(result.Schema, batch.Schema);
                for (var r = 0; r < batch.RowCount; r++) rows.Add([.. batch.Columns.Select(c => ValueFormatter.Utc.FormatToString(c, r))]);
            }
        }
        return (result.Schema, rows);
    }

    protected static async Task<string?> ScalarAsync(IEngineSession session, string sql) => (await QueryAsync(session, sql)).Rows.Single()[0];

    protected static async Task<long?> ExecuteAsync(IEngineSession session, string sql)
    {
        await using var result = await session.ExecuteAsync(sql, Options, CancellationToken.None);
        while (await result.ReadBatchAsync(1000, CancellationToken.None) is { } batch) batch.Dispose();
        return result.AffectedRows;
    }

    private static string I(long v) => v.ToString(CultureInfo.InvariantCulture);

    // ---- types ----

    [Fact]
    public async Task EveryTypeArrivesWithItsTypeValueAndNull()
    {
        await using var session = await OpenAsync();
        Assert.NotEmpty(Dialect.TypeSamples);
        foreach (var sample in Dialect.TypeSamples)
        {
            var (schema, rows) = await QueryAsync(session, $"SELECT {sample.Expression} AS v");
            Assert.True(sample.Type.Equals(schema.Columns.Single().Type), $"{sample.Name}: type {schema.Columns[0].Type}, expected {sample.Type}");
            Assert.True(sample.Expected == rows.Single()[0], $"{sample.Name}: value '{rows[0][0]}', expected '{sample.Expected}'");

            (schema, rows) = await QueryAsync(session, $"SELECT {sample.NullExpression} AS v");
            Assert.True(sample.Type.Equals(schema.Columns.Single().Type), $"{sample.Name} NULL: type {schema.Columns[0].Type}, expected {sample.Type}");
            Assert.True(rows.Single()[0] is null, $"{sample.Name} NULL: value '{rows[0][0]}'");
        }
    }

    [Fact]
    public async Task AllTypesTogetherKeepRowsAndNullsAligned()
    {
        await using var session = await OpenAsync();
        var samples = Dialect.TypeSamples;
        string Row(int k, bool nulls) =>
            $"SELECT {k} AS k, " + string.Join(", ", samples.Select((s, i) => $"{(nulls ? s.NullExpression : s.Expression)} AS c{i}"));
        // Values, nulls, values, nulls...: every column builder sees a null after a value and a value after a null.
        var sql = string.Join(" UNION ALL ", Enumerable.Range(0, 6).Select(k => Row(k, k % 2 == 1))) + " ORDER BY k";
        foreach (var batchRows in new[] { 1, 4, 100 })
        {
            var (schema, rows) = await QueryAsync(session, sql, batchRows);
            Assert.Equal(samples.Select(s => s.Type), schema.Columns.Skip(1).Select(c => c.Type));
            Assert.Equal(6, rows.Count);
            for (var k = 0; k < 6; k++)
            {
                Assert.Equal(I(k), rows[k][0]);
                for (var i = 0; i < samples.Count; i++)
                {
                    Assert.True((k % 2 == 1 ? null : samples[i].Expected) == rows[k][i + 1], $"row {k}, {samples[i].Name}: '{rows[k][i + 1]}'");
                }
            }
        }
    }

    // ---- results ----

    [Fact]
    public async Task AnEmptyResultHasItsSchemaAndNoBatch()
    {
        await using var session = await OpenAsync();
        await using var result = await session.ExecuteAsync(Dialect.Series(0), Options, CancellationToken.None);
        Assert.True(result.HasRows);
        Assert.Equal(["i", "s"], result.Schema.Columns.Select(c => c.Name));
        Assert.Equal(SqlType.BigInt, result.Schema.Columns[0].Type);
        Assert.Null(await result.ReadBatchAsync(100, CancellationToken.None));
        Assert.Null(await result.ReadBatchAsync(100, CancellationToken.None));
    }

    [Fact]
    public async Task AMillionRowsStreamInBoundedBatchesWithFlatMemory()
    {
        const int Rows = 1_000_000;
        const int BatchRows = 7_777;
        await using var session = await OpenAsync();
        await using var result = await session.ExecuteAsync(Dialect.Series(Rows), Options, CancellationToken.None);
        long count = 0, sum = 0;
        var batches = 0;
        long? baseline = null;
        var sBytes = new System.Buffers.ArrayBufferWriter<byte>();
        while (await result.ReadBatchAsync(BatchRows, CancellationToken.None) is { } batch)
        {
            using (batch)
            {
                Assert.InRange(batch.RowCount, 1, BatchRows);
                var ids = (PrimitiveColumn<long>)batch.Columns[0];
                var s = (BinaryColumn)batch.Columns[1];
                for (var r = 0; r < batch.RowCount; r++)
                {
                    var i = ids.Values[r];
                    sum += i;
                    // Spot-check that the columns of a row belong together.
                    if (r % 997 == 0) Assert.Equal("r" + I(i), s.GetString(r));
                }
                count += batch.RowCount;
            }
            if (++batches == 10) baseline = GC.GetTotalMemory(forceFullCollection: true);
        }
        var after = GC.GetTotalMemory(forceFullCollection: true);
        Assert.Equal(Rows, count);
        Assert.Equal((long)Rows * (Rows - 1) / 2, sum);
        Assert.True(batches >= Rows / BatchRows);
        // Batches are built in pooled buffers: reading the other 120 batches does not grow the managed heap.
        Assert.True(after - baseline!.Value < 48L * 1024 * 1024, $"GC heap grew by {(after - baseline.Value) >> 20} MB while streaming.");
        Assert.Null(await result.ReadBatchAsync(BatchRows, CancellationToken.None));
        Assert.Equal(1.0, result.Progress);
    }

    [Fact]
    public async Task ANewStatementClosesTheOpenResultOrLeavesItReadable()
    {
        await using var session = await OpenAsync();
        await using var first = await session.ExecuteAsync(Dialect.Series(100_000), Options, CancellationToken.None);
        using (var b = await first.ReadBatchAsync(100, CancellationToken.None)) Assert.Equal(100, b!.RowCount);
        Assert.Equal("5", await ScalarAsync(session, "SELECT 5"));
        if (Dialect.NewStatementClosesOpenResult)
        {
            var e = await Assert.ThrowsAsync<EngineException>(async () => await first.ReadBatchAsync(100, CancellationToken.None));
            Assert.Equal("24000", e.SqlState);
        }
        else
        {
            using var b = await first.ReadBatchAsync(100, CancellationToken.None);
            Assert.Equal(100, b!.RowCount);
        }
        Assert.Equal("6", await ScalarAsync(session, "SELECT 6"));
    }

    // ---- errors ----

    [Fact]
    public async Task ASyntaxErrorCarriesItsSqlStateAndTheSessionGoesOn()
    {
        await using var session = await OpenAsync();
        var e = await Assert.ThrowsAsync<EngineException>(() => QueryAsync(session, Dialect.SyntaxError));
        Assert.Equal(Dialect.SyntaxErrorState, e.SqlState);
        Assert.False(string.IsNullOrWhiteSpace(e.Message));
        Assert.False(e.Retryable);
        Assert.Equal("1", await ScalarAsync(session, "SELECT 1"));
    }

    [Fact]
    public async Task AMissingTableCarriesItsSqlStateAndTheSessionGoesOn()
    {
        await using var session = await OpenAsync();
        var e = await Assert.ThrowsAsync<EngineException>(() => QueryAsync(session, Dialect.MissingTable));
        Assert.Equal(Dialect.MissingTableState, e.SqlState);
        Assert.Contains("conformance_no_such_table", e.Message, StringComparison.OrdinalIgnoreCase);
        Assert.False(e.Retryable);
        Assert.Equal("2", await ScalarAsync(session, "SELECT 2"));
    }

    // ---- cancel ----

    /// <summary>Starts the long query and reads its first batch: the engine may block in either step.</summary>
    private async Task RunLongQueryAsync(IEngineSession session, CancellationToken cancellationToken)
    {
        await using var result = await session.ExecuteAsync(Dialect.LongRunningQuery, Options, cancellationToken);
        using var batch = await result.ReadBatchAsync(100, cancellationToken);
    }

    [Fact]
    public async Task InterruptCancelsALongQueryAndTheSessionStillWorks()
    {
        await using var session = await OpenAsync();
        var running = RunLongQueryAsync(session, CancellationToken.None);
        await Task.Delay(300);
        session.Interrupt();
        // The query runs for minutes: only a working interrupt ends it within this bound.
        var e = await Assert.ThrowsAsync<EngineException>(() => running.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal("HY008", e.SqlState);
        Assert.True(e.Canceled);
        Assert.Equal("42", await ScalarAsync(session, "SELECT 42"));
    }

    [Fact]
    public async Task InterruptRightAfterStartingCancelsTheStatement()
    {
        await using var session = await OpenAsync();
        var running = RunLongQueryAsync(session, CancellationToken.None);
        session.Interrupt();
        var e = await Assert.ThrowsAsync<EngineException>(() => running.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal("HY008", e.SqlState);
        Assert.Equal("3", await ScalarAsync(session, "SELECT 3"));
    }

    [Fact]
    public async Task ACancellationTokenCancelsALongQueryAndTheSessionStillWorks()
    {
        await using var session = await OpenAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => RunLongQueryAsync(session, cts.Token).WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal("4", await ScalarAsync(session, "SELECT 4"));
    }

    [Fact]
    public async Task InterruptBetweenFetchesFailsTheNextFetch()
    {
        await using var session = await OpenAsync();
        await using var result = await session.ExecuteAsync(Dialect.Series(1_000_000), Options, CancellationToken.None);
        using (var first = await result.ReadBatchAsync(1000, CancellationToken.None)) Assert.NotNull(first);
        session.Interrupt();
        var e = await Assert.ThrowsAsync<EngineException>(async () => await result.ReadBatchAsync(1000, CancellationToken.None));
        Assert.Equal("HY008", e.SqlState);
        // A failed result stays failed.
        await Assert.ThrowsAsync<EngineException>(async () => await result.ReadBatchAsync(1000, CancellationToken.None));
        Assert.Equal("7", await ScalarAsync(session, "SELECT 7"));
    }

    [Fact]
    public async Task AnIdleInterruptDoesNotPoisonTheNextStatement()
    {
        await using var session = await OpenAsync();
        Assert.Equal("1", await ScalarAsync(session, "SELECT 1"));
        session.Interrupt();
        Assert.Equal("2", await ScalarAsync(session, "SELECT 2"));
    }

    // ---- session state ----

    [Fact]
    public async Task UseChangesTheCurrentDatabaseAndNameResolution()
    {
        var a = UniqueName("conf_use_a");
        var b = UniqueName("conf_use_b");
        await using var session = await OpenAsync();
        var initial = session.CurrentDatabase;
        Assert.False(string.IsNullOrEmpty(initial));
        try
        {
            await ExecuteAsync(session, Dialect.CreateDatabase(a));
            await ExecuteAsync(session, Dialect.CreateDatabase(b));
            await ExecuteAsync(session, Dialect.CreateTable($"{a}.t"));
            await ExecuteAsync(session, Dialect.InsertThree($"{a}.t"));
            await ExecuteAsync(session, Dialect.CreateTable($"{b}.t"));

            await ExecuteAsync(session, Dialect.Use(a));
            Assert.Equal(a, session.CurrentDatabase, ignoreCase: true);
            Assert.Equal("3", await ScalarAsync(session, "SELECT count(*) FROM t"));
            await ExecuteAsync(session, Dialect.Use(b));
            Assert.Equal(b, session.CurrentDatabase, ignoreCase: true);
            Assert.Equal("0", await ScalarAsync(session, "SELECT count(*) FROM t"));

            var e = await Assert.ThrowsAsync<EngineException>(() => ExecuteAsync(session, Dialect.Use("conf_no_such_database")));
            Assert.Equal(Dialect.MissingDatabaseState, e.SqlState);
            Assert.Equal(b, session.CurrentDatabase, ignoreCase: true);

            // A session can start in a database; one that does not exist fails the open.
            await using (var other = await OpenAsync(a))
            {
                Assert.Equal(a, other.CurrentDatabase, ignoreCase: true);
                Assert.Equal("3", await ScalarAsync(other, "SELECT count(*) FROM t"));
            }
            var open = await Assert.ThrowsAsync<EngineException>(async () => await OpenAsync("conf_no_such_database"));
            Assert.Equal(Dialect.MissingDatabaseState, open.SqlState);
        }
        finally
        {
            await ExecuteAsync(session, Dialect.Use(initial));
            await ExecuteAsync(session, Dialect.DropDatabase(a));
            await ExecuteAsync(session, Dialect.DropDatabase(b));
        }
    }

    [Fact]
    public async Task SetChangesASettingForItsSessionOnly()
    {
        await using var first = await OpenAsync();
        await using var second = await OpenAsync();
        var before = await ScalarAsync(second, Dialect.Setting.ReadSql);
        Assert.NotEqual(Dialect.Setting.Expected, before);
        await ExecuteAsync(first, Dialect.Setting.SetSql);
        Assert.Equal(Dialect.Setting.Expected, await ScalarAsync(first, Dialect.Setting.ReadSql));
        Assert.Equal(before, await ScalarAsync(second, Dialect.Setting.ReadSql));
    }

    [Fact]
    public async Task ConcurrentSessionsAreIsolated()
    {
        var a = UniqueName("conf_iso_a");
        var b = UniqueName("conf_iso_b");
        await using var setup = await OpenAsync();
        await ExecuteAsync(setup, Dialect.CreateDatabase(a));
        await ExecuteAsync(setup, Dialect.CreateDatabase(b));
        try
        {
            await using var first = await OpenAsync(a);
            await using var second = await OpenAsync(b);
            await ExecuteAsync(first, Dialect.CreateTable("t"));
            await ExecuteAsync(first, Dialect.InsertThree("t"));
            await ExecuteAsync(second, Dialect.CreateTable("t"));
            // Both sessions stream at the same time; neither sees the other's rows or database.
            async Task<long> Drain(IEngineSession s, long rows)
            {
                await using var r = await s.ExecuteAsync(Dialect.Series(rows), Options, CancellationToken.None);
                long n = 0;
                while (await r.ReadBatchAsync(997, CancellationToken.None) is { } batch)
                {
                    n += batch.RowCount;
                    batch.Dispose();
                    await Task.Yield();
                }
                return n;
            }
            var counts = await Task.WhenAll(Drain(first, 150_000), Drain(second, 90_000));
            Assert.Equal(150_000, counts[0]);
            Assert.Equal(90_000, counts[1]);
            Assert.Equal(a, first.CurrentDatabase, ignoreCase: true);
            Assert.Equal(b, second.CurrentDatabase, ignoreCase: true);
            Assert.Equal("3", await ScalarAsync(first, "SELECT count(*) FROM t"));
            Assert.Equal("0", await ScalarAsync(second, "SELECT count(*) FROM t"));
        }
        finally
        {
            await ExecuteAsync(setup, Dialect.DropDatabase(a));
            await ExecuteAsync(setup, Dialect.DropDatabase(b));
        }
    }

    // ---- parameters ----

    [Fact]
    public async Task PositionalParametersAreBound()
    {
        await using var session = await OpenAsync();
        var options = new ExecuteOptions
        {
            Parameters = [new QueryParameter(1, null, SqlType.BigInt, 41L), new QueryParameter(2, null, SqlType.String, "it's \"x\" -- not a comment")],
        };
        if (!Dialect.BindsParameters)
        {
            await AssertParametersRefusedAsync(session, Dialect.PositionalParameters, options);
            return;
        }
        var (_, rows) = await QueryAsync(session, Dialect.PositionalParameters, options: options);
        Assert.Equal(new string?[] { "42", "it's \"x\" -- not a comment" }, rows.Single());

        var nulls = new ExecuteOptions { Parameters = [new QueryParameter(1, null, SqlType.BigInt, null), new QueryParameter(2, null, SqlType.String, null)] };
        (_, rows) = await QueryAsync(session, Dialect.PositionalParameters, options: nulls);
        Assert.Equal(new string?[] { null, null }, rows.Single());
    }

    [Fact]
    public async Task NamedParametersAreBound()
    {
        await using var session = await OpenAsync();
        var options = new ExecuteOptions
        {
            Parameters = [new QueryParameter(0, "t", SqlType.String, "v"), new QueryParameter(0, "n", SqlType.BigInt, 9L), new QueryParameter(0, "unused", SqlType.Int, 1L)],
        };
        if (!Dialect.BindsParameters)
        {
            await AssertParametersRefusedAsync(session, Dialect.NamedParameters, options);
            return;
        }
        var (_, rows) = await QueryAsync(session, Dialect.NamedParameters, options: options);
        Assert.Equal(new string?[] { "10", "v", "9" }, rows.Single());
    }

    private static async Task AssertParametersRefusedAsync(IEngineSession session, string sql, ExecuteOptions options)
    {
        var e = await Assert.ThrowsAsync<EngineException>(() => QueryAsync(session, sql, options: options));
        Assert.Equal("0A000", e.SqlState);
        Assert.False(e.Retryable);
        Assert.Equal("8", await ScalarAsync(session, "SELECT 8"));
    }

    // ---- DML ----

    [Fact]
    public async Task DmlReportsAffectedRowsAndDdlNone()
    {
        var db = UniqueName("conf_dml");
        await using var session = await OpenAsync();
        await using (var create = await session.ExecuteAsync(Dialect.CreateDatabase(db), Options, CancellationToken.None))
        {
            Assert.False(create.HasRows);
            Assert.Null(create.AffectedRows);
            Assert.Null(await create.ReadBatchAsync(10, CancellationToken.None));
        }
        try
        {
            Assert.Null(await ExecuteAsync(session, Dialect.CreateTable($"{db}.t")));
            Assert.Equal(3, await ExecuteAsync(session, Dialect.InsertThree($"{db}.t")));
            Assert.Equal(2, await ExecuteAsync(session, $"UPDATE {db}.t SET name = 'z' WHERE id >= 2"));
            Assert.Equal(1, await ExecuteAsync(session, $"DELETE FROM {db}.t WHERE id = 1"));
            Assert.Equal(0, await ExecuteAsync(session, $"DELETE FROM {db}.t WHERE id < 0"));
            var (_, rows) = await QueryAsync(session, $"SELECT id, name FROM {db}.t ORDER BY id");
            Assert.Equal([["2", "z"], ["3", "z"]], rows);
        }
        finally
        {
            await ExecuteAsync(session, Dialect.DropDatabase(db));
        }
    }

    // ---- metadata ----

    [Fact]
    public async Task MetadataListsDatabasesTablesAndColumns()
    {
        var db = UniqueName("conf_meta");
        await using var session = await OpenAsync();
        await ExecuteAsync(session, Dialect.CreateDatabase(db));
        try
        {
            await ExecuteAsync(session, Dialect.CreateTable($"{db}.people"));
            var catalogs = await session.Metadata.GetCatalogsAsync(CancellationToken.None);
            Assert.NotEmpty(catalogs);
            var schemas = await session.Metadata.GetSchemasAsync(null, db, CancellationToken.None);
            Assert.Equal(db, schemas.Single().Schema, ignoreCase: true);
            Assert.Contains(schemas.Single().Catalog, catalogs);
            var tables = await session.Metadata.GetTablesAsync(null, db, "peop%", null, CancellationToken.None);
            Assert.Equal("people", tables.Single().Name, ignoreCase: true);
            Assert.Equal("TABLE", tables.Single().TableType);
            Assert.Empty(await session.Metadata.GetTablesAsync(null, db, "%", ["VIEW"], CancellationToken.None));
            var columns = await session.Metadata.GetColumnsAsync(null, db, "people", null, CancellationToken.None);
            Assert.Equal(["id", "name"], columns.Select(c => c.Name.ToLowerInvariant()));
            Assert.Equal([1, 2], columns.Select(c => c.Position));
            Assert.Equal(Dialect.CreatedTableTypes.Id, columns[0].Type);
            Assert.Equal(Dialect.CreatedTableTypes.Name, columns[1].Type);
            Assert.Single(await session.Metadata.GetColumnsAsync(null, db, "people", "na_e", CancellationToken.None));
        }
        finally
        {
            await ExecuteAsync(session, Dialect.DropDatabase(db));
        }
    }

    // ---- health ----

    [Fact]
    public async Task AWorkingEngineReportsHealthy()
    {
        var report = await Engine.CheckHealthAsync(CancellationToken.None);
        Assert.True(report.Healthy, report.Detail);
        Assert.StartsWith("ok", report.Detail, StringComparison.Ordinal);
        Assert.True(report.Latency >= TimeSpan.Zero);
        // The check leaves nothing behind that a session could notice.
        await using var session = await OpenAsync();
        Assert.Equal("9", await ScalarAsync(session, "SELECT 9"));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await Engine.CheckHealthAsync(new CancellationToken(canceled: true)));
    }

    [Fact]
    public async Task AClosedSessionRefusesWork()
    {
        var session = await OpenAsync();
        await session.DisposeAsync();
        await session.DisposeAsync();
        var e = await Assert.ThrowsAnyAsync<Exception>(async () => await session.ExecuteAsync("SELECT 1", Options, CancellationToken.None));
        Assert.True(e is ObjectDisposedException or EngineException, e.GetType().Name);
    }
}
