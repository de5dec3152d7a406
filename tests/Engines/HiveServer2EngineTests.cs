using Gateway.Engines;
using Gateway.Engines.HiveServer2;
using Gateway.Protocol.Columnar;
using Gateway.Protocol.Hive;
using Gateway.Server.Sessions;
using Microsoft.Extensions.DependencyInjection;
using static Gateway.Tests.Engines.EngineText;

namespace Gateway.Tests.Engines;

/// <summary>
/// In-process tier: the remote HiveServer2 engine against second gateways in this process, each on its own
/// loopback ports (see <see cref="RemoteGatewayFixture"/>); the separate-process tests are in HiveServer2EngineProcessTests.
/// </summary>
[Collection(HiveServer2EngineCollection.Name)]
public sealed partial class HiveServer2EngineTests(RemoteGatewayFixture fixture)
{
    private static readonly ExecuteOptions Options = ExecuteOptions.Default;

    private async Task<HiveServer2Session> OpenAsync(HiveServer2EngineOptions? options = null, string? database = null)
    {
        var engine = fixture.CreateEngine(options ?? fixture.OpenOptions());
        return await engine.OpenHiveServer2SessionAsync(new EngineSessionOptions("tester") { Database = database }, CancellationToken.None);
    }

    private async Task<DuckDbSessionLease> LocalAsync() =>
        new(await fixture.LocalEngine.OpenSessionAsync(new EngineSessionOptions("tester"), CancellationToken.None));

    private sealed class DuckDbSessionLease(IEngineSession session) : IAsyncDisposable
    {
        public IEngineSession Session => session;
        public ValueTask DisposeAsync() => session.DisposeAsync();
    }

    public static TheoryData<HiveTransportMode, TProtocolVersion> Protocols => new()
    {
        { HiveTransportMode.Binary, TProtocolVersion.SPARK_CLI_SERVICE_PROTOCOL_V8 },
        { HiveTransportMode.Binary, TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V11 },
        { HiveTransportMode.Binary, TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V10 },
        { HiveTransportMode.Http, TProtocolVersion.SPARK_CLI_SERVICE_PROTOCOL_V8 },
        { HiveTransportMode.Http, TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V5 },
    };

    [Theory]
    [MemberData(nameof(Protocols))]
    public async Task AllTypesReadThroughTheRemoteMatchTheLocalDuckDb(HiveTransportMode transport, TProtocolVersion version)
    {
        const string Sql = "SELECT * FROM demo.all_types ORDER BY id";
        await using var local = await LocalAsync();
        var (localSchema, localRows) = await QueryAsync(local.Session, Sql);
        await using var remote = await OpenAsync(fixture.OpenOptions(transport, version));
        Assert.Equal(version, remote.ProtocolVersion);
        var (schema, rows) = await QueryAsync(remote, Sql, batchRows: 2);

        Assert.Equal(localSchema.Columns.Select(c => c.Name), schema.Columns.Select(c => c.Name));
        for (var i = 0; i < schema.Count; i++)
        {
            Assert.Equal(ExpectedRemoteType(localSchema.Columns[i].Type, version), schema.Columns[i].Type);
        }
        Assert.Equal(3, rows.Count);
        Assert.Equal("3", rows[2][0]);
        Assert.All(rows[2].Skip(1), v => Assert.Null(v));
        for (var r = 0; r < rows.Count; r++)
        {
            for (var c = 0; c < schema.Count; c++)
            {
                Assert.True(localRows[r][c] == rows[r][c], $"Row {r}, column {schema.Columns[c].Name} ({localSchema.Columns[c].Type}): local '{localRows[r][c]}', remote '{rows[r][c]}'.");
            }
        }
    }

    /// <summary>
    /// What a column of the local engine becomes after the trip through a gateway: types without a Hive type id
    /// (TIME, our INTERVAL) travel as STRING, nested types as their JSON text, and TIMESTAMP WITH TIME ZONE is
    /// TIMESTAMPLOCALTZ only from Hive V11 (Spark-line protocols report it as TIMESTAMP).
    /// </summary>
    private static SqlType ExpectedRemoteType(SqlType local, TProtocolVersion version) => local.Kind switch
    {
        SqlTypeKind.Array or SqlTypeKind.Map or SqlTypeKind.Struct or SqlTypeKind.Time or SqlTypeKind.Interval => SqlType.String,
        SqlTypeKind.TimestampTz when !HiveProtocol.SupportsTimestampLocalTz(version) => SqlType.Timestamp,
        _ => local,
    };

    [Fact]
    public async Task TypedValuesBecomeTypedColumns()
    {
        await using var remote = await OpenAsync(fixture.OpenOptions(version: TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V11));
        await using var result = await remote.ExecuteAsync(
            "SELECT CAST(-12.345 AS DECIMAL(10,3)) d, DATE '1969-12-31' dt, TIMESTAMP '1900-01-01 00:00:00.000001' ts, "
            + "TIMESTAMPTZ '2024-01-01 00:00:00+00' tz, CAST(1.25 AS FLOAT) f, CAST(7 AS TINYINT) t, 'x' s", Options, CancellationToken.None);
        using var batch = await result.ReadBatchAsync(10, CancellationToken.None);
        Assert.NotNull(batch);
        Assert.Equal((Int128)(-12345), ((PrimitiveColumn<Int128>)batch.Columns[0]).Values[0]);
        Assert.Equal(-1, ((PrimitiveColumn<int>)batch.Columns[1]).Values[0]);
        Assert.Equal((new DateTime(1900, 1, 1, 0, 0, 0, DateTimeKind.Utc) - DateTime.UnixEpoch).Ticks / 10 + 1, ((PrimitiveColumn<long>)batch.Columns[2]).Values[0]);
        Assert.Equal((new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc) - DateTime.UnixEpoch).Ticks / 10, ((PrimitiveColumn<long>)batch.Columns[3]).Values[0]);
        Assert.Equal(SqlTypeKind.TimestampTz, batch.Columns[3].Type.Kind);
        Assert.Equal(1.25f, ((PrimitiveColumn<float>)batch.Columns[4]).Values[0]);
        Assert.Equal((sbyte)7, ((PrimitiveColumn<sbyte>)batch.Columns[5]).Values[0]);
        Assert.Equal("x", ((BinaryColumn)batch.Columns[6]).GetString(0));
    }

    [Fact]
    public async Task NullsKeepTheirPositions()
    {
        await using var remote = await OpenAsync();
        var (_, rows) = await QueryAsync(remote,
            "SELECT CASE WHEN range % 3 = 0 THEN NULL ELSE range END a, CASE WHEN range % 2 = 0 THEN NULL ELSE CAST(range AS DECIMAL(9,2)) END b, "
            + "CASE WHEN range = 4 THEN NULL ELSE 'v' || range END c, CAST(NULL AS DATE) d FROM range(10) ORDER BY range", batchRows: 4);
        Assert.Equal(10, rows.Count);
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(i % 3 == 0 ? null : i.ToString(System.Globalization.CultureInfo.InvariantCulture), rows[i][0]);
            Assert.Equal(i % 2 == 0 ? null : $"{i}.00", rows[i][1]);
            Assert.Equal(i == 4 ? null : $"v{i}", rows[i][2]);
            Assert.Null(rows[i][3]);
        }
    }

    [Theory]
    [InlineData(TProtocolVersion.SPARK_CLI_SERVICE_PROTOCOL_V8)]
    [InlineData(TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V10)]
    public async Task EmptyResultsHaveASchemaAndNoBatch(TProtocolVersion version)
    {
        await using var remote = await OpenAsync(fixture.OpenOptions(version: version));
        await using var result = await remote.ExecuteAsync("SELECT * FROM demo.all_types WHERE id < 0", Options, CancellationToken.None);
        Assert.True(result.HasRows);
        Assert.Equal(39, result.Schema.Count);
        Assert.Null(await result.ReadBatchAsync(100, CancellationToken.None));
        Assert.Null(await result.ReadBatchAsync(100, CancellationToken.None));
        Assert.Equal(1.0, result.Progress);
    }

    [Theory]
    [InlineData(HiveTransportMode.Binary, TProtocolVersion.SPARK_CLI_SERVICE_PROTOCOL_V8)]
    [InlineData(HiveTransportMode.Http, TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V10)]
    public async Task AMillionRowsStreamInBatchesWithBoundedMemory(HiveTransportMode transport, TProtocolVersion version)
    {
        await using var remote = await OpenAsync(fixture.OpenOptions(transport, version));
        await using var result = await remote.ExecuteAsync("SELECT range AS id, range * 2 AS twice, 'row-' || range AS label FROM range(1000000) ORDER BY range", Options, CancellationToken.None);
        long rows = 0;
        long? baseline = null;
        var batches = 0;
        while (await result.ReadBatchAsync(10_000, CancellationToken.None) is { } batch)
        {
            using (batch)
            {
                Assert.Equal(10_000, batch.RowCount);
                var ids = (PrimitiveColumn<long>)batch.Columns[0];
                Assert.Equal(rows, ids.Values[0]);
                Assert.Equal((rows + 9_999) * 2, ((PrimitiveColumn<long>)batch.Columns[1]).Values[9_999]);
                Assert.Equal($"row-{rows + 5}", ((BinaryColumn)batch.Columns[2]).GetString(5));
                rows += batch.RowCount;
            }
            if (++batches == 10) baseline = GC.GetTotalMemory(forceFullCollection: true);
        }
        var after = GC.GetTotalMemory(forceFullCollection: true);
        Assert.Equal(1_000_000, rows);
        Assert.Equal(100, batches);
        // Only the batch being read is alive on this side (the remote's is too): the heap does not grow with the rows.
        Assert.True(after - baseline!.Value < 64 * 1024 * 1024, $"GC heap grew by {(after - baseline.Value) / 1024} KB while streaming.");
        Assert.Equal(1.0, result.Progress);
    }

    [Fact]
    public async Task ReadsOfAnySizeAreFilledAcrossFetches()
    {
        // Direct results bring 10,000 rows; reads of 3,000 and 7,777 cut and join fetches and still end exactly.
        await using var remote = await OpenAsync();
        await using var result = await remote.ExecuteAsync("SELECT range, CAST(range AS VARCHAR) s, range % 2 = 0 b FROM range(25000) ORDER BY range", Options, CancellationToken.None);
        var next = 0L;
        foreach (var size in new[] { 3_000, 7_777, 7_777, 3_000, 3_000, 3_000 })
        {
            using var batch = await result.ReadBatchAsync(size, CancellationToken.None);
            Assert.NotNull(batch);
            Assert.Equal((int)Math.Min(size, 25_000 - next), batch.RowCount);
            for (var r = 0; r < batch.RowCount; r++, next++)
            {
                Assert.Equal(next, ((PrimitiveColumn<long>)batch.Columns[0]).Values[r]);
                Assert.Equal(next.ToString(System.Globalization.CultureInfo.InvariantCulture), ((BinaryColumn)batch.Columns[1]).GetString(r));
                Assert.Equal(next % 2 == 0, ((BooleanColumn)batch.Columns[2]).GetValue(r));
            }
        }
        Assert.Equal(25_000, next);
        Assert.Null(await result.ReadBatchAsync(100, CancellationToken.None));
    }

    private const string LongQuery = "SELECT sum(a.range*b.range) FROM range(200000) a, range(200000) b";

    [Theory]
    [InlineData(HiveTransportMode.Binary)]
    [InlineData(HiveTransportMode.Http)]
    public async Task InterruptCancelsALongRemoteQueryAndTheSessionStaysUsable(HiveTransportMode transport)
    {
        await using var remote = await OpenAsync(fixture.OpenOptions(transport));
        var gateway = fixture.Open.Services.GetRequiredService<SessionManager>();
        var running = remote.ExecuteAsync(LongQuery, Options, CancellationToken.None).AsTask();
        // Interrupt once the remote runs it (the loop bounds the wait: the query runs for many minutes).
        for (var i = 0; i < 200 && gateway.OperationCount == 0; i++) await Task.Delay(50);
        await Task.Delay(200);
        Assert.False(running.IsCompleted);
        remote.Interrupt();
        var e = await Assert.ThrowsAsync<EngineException>(() => running.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal("HY008", e.SqlState);
        Assert.True(e.Canceled);
        // CancelOperation and CloseOperation reached the remote: it holds no operation any more.
        Assert.Equal(0, gateway.OperationCount);
        Assert.Equal("42", await ScalarAsync(remote, "SELECT 42"));
        Assert.False(remote.IsBroken);
    }

    [Fact]
    public async Task ACanceledTokenStopsTheRemoteQuery()
    {
        var gateway = fixture.Open.Services.GetRequiredService<SessionManager>();
        await using var remote = await OpenAsync(fixture.OpenOptions(HiveTransportMode.Binary, TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V10));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => remote.ExecuteAsync(LongQuery, Options, cts.Token).AsTask().WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal(0, gateway.OperationCount);
        Assert.Equal("5", await ScalarAsync(remote, "SELECT 5"));
    }

    [Theory]
    [InlineData(TProtocolVersion.SPARK_CLI_SERVICE_PROTOCOL_V8)]
    [InlineData(TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V10)]
    public async Task UseChangesTheCurrentDatabase(TProtocolVersion version)
    {
        await using (var plain = await OpenAsync(fixture.OpenOptions(version: version)))
        {
            // The remote's DuckDB names Hive's default database "main".
            Assert.Equal("main", plain.CurrentDatabase);
            await using (await plain.ExecuteAsync("USE demo", Options, CancellationToken.None)) { }
            Assert.Equal("demo", plain.CurrentDatabase);
            Assert.Equal("50", await ScalarAsync(plain, "SELECT count(*) FROM stores"));
            await using (await plain.ExecuteAsync("/* back */ use `main`", Options, CancellationToken.None)) { }
            Assert.Equal("main", plain.CurrentDatabase);
        }
        await using var inDemo = await OpenAsync(fixture.OpenOptions(version: version), database: "demo");
        Assert.Equal("demo", inDemo.CurrentDatabase);
        Assert.Equal("1000", await ScalarAsync(inDemo, "SELECT count(*) FROM products"));
        var missing = await Assert.ThrowsAsync<EngineException>(() => OpenAsync(fixture.OpenOptions(version: version), database: "no_such_db"));
        Assert.False(missing.Retryable);
    }

    [Fact]
    public async Task ParametersAreBoundByASparkLineRemote()
    {
        await using var remote = await OpenAsync(fixture.OpenOptions(version: TProtocolVersion.SPARK_CLI_SERVICE_PROTOCOL_V8));
        var options = Options with
        {
            Parameters =
            [
                new QueryParameter(1, null, SqlType.BigInt, 41L),
                new QueryParameter(2, null, SqlType.String, "it's; DROP TABLE x --"),
                new QueryParameter(3, null, SqlType.Decimal(10, 2), (Int128)(-12345)),
                new QueryParameter(4, null, SqlType.Date, 19_782),
                new QueryParameter(5, null, SqlType.TimestampTz, 1_709_214_330_500_000L),
                new QueryParameter(6, null, SqlType.Timestamp, 1_709_214_330_000_001L),
                new QueryParameter(7, null, SqlType.Boolean, true),
                new QueryParameter(8, null, SqlType.Double, 0.1),
                new QueryParameter(9, null, SqlType.Int, null),
                new QueryParameter(10, null, SqlType.Null, null),
            ],
        };
        var (_, rows) = await QueryAsync(remote, "SELECT ? + 1 AS a, ? AS b, ? AS c, ? AS d, ? AS e, ? AS f, ? AS g, ? AS h, ? AS i, ? AS j", options: options);
        Assert.Equal(new string?[] { "42", "it's; DROP TABLE x --", "-123.45", "2024-02-29", "2024-02-29 13:45:30.5", "2024-02-29 13:45:30.000001", "true", "0.1", null, null }, rows.Single());

        var named = Options with { Parameters = [new QueryParameter(1, "lo", SqlType.Int, 3), new QueryParameter(2, "hi", SqlType.Int, 5)] };
        var (_, between) = await QueryAsync(remote, "SELECT range FROM range(10) WHERE range BETWEEN :lo AND :hi ORDER BY range", options: named);
        Assert.Equal(["3", "4", "5"], between.Select(r => r[0]));
    }

    [Fact]
    public async Task ParametersAreRefusedWithoutASparkLineProtocol()
    {
        await using var remote = await OpenAsync(fixture.OpenOptions(version: TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V11));
        var options = Options with { Parameters = [new QueryParameter(1, null, SqlType.Int, 1)] };
        var e = await Assert.ThrowsAsync<EngineException>(() => remote.ExecuteAsync("SELECT ?", options, CancellationToken.None).AsTask());
        Assert.Equal("0A000", e.SqlState);
        Assert.Contains("SPARK_CLI_SERVICE_PROTOCOL_V8", e.Message, StringComparison.Ordinal);
        Assert.Equal("1", await ScalarAsync(remote, "SELECT 1"));
    }

    [Fact]
    public async Task DmlReportsAffectedRowsAndNoRows()
    {
        await using var remote = await OpenAsync();
        await using (var create = await remote.ExecuteAsync("CREATE TEMPORARY TABLE hs2_engine_t (i INT)", Options, CancellationToken.None))
        {
            Assert.False(create.HasRows);
            Assert.Null(await create.ReadBatchAsync(10, CancellationToken.None));
        }
        await using (var insert = await remote.ExecuteAsync("INSERT INTO hs2_engine_t SELECT range FROM range(5)", Options, CancellationToken.None))
        {
            Assert.False(insert.HasRows);
            Assert.Equal(5, insert.AffectedRows);
        }
        Assert.Equal("10", await ScalarAsync(remote, "SELECT sum(i) FROM hs2_engine_t"));
    }

    [Fact]
    public async Task TwoResultsOfOneSessionCanBeOpenAtOnce()
    {
        await using var remote = await OpenAsync();
        await using var first = await remote.ExecuteAsync("SELECT range FROM range(30000) ORDER BY range", Options, CancellationToken.None);
        await using var second = await remote.ExecuteAsync("SELECT range * 10 FROM range(30000) ORDER BY range", Options, CancellationToken.None);
        for (var i = 0; i < 3; i++)
        {
            using var a = await first.ReadBatchAsync(10_000, CancellationToken.None);
            using var b = await second.ReadBatchAsync(10_000, CancellationToken.None);
            Assert.Equal(i * 10_000L, ((PrimitiveColumn<long>)a!.Columns[0]).Values[0]);
            Assert.Equal(i * 100_000L, ((PrimitiveColumn<long>)b!.Columns[0]).Values[0]);
        }
    }

    [Fact]
    public async Task DirectResultsAnswerASmallQueryInOneRoundTrip()
    {
        await using var spark = await OpenAsync(fixture.OpenOptions(version: TProtocolVersion.SPARK_CLI_SERVICE_PROTOCOL_V8));
        var before = spark.Channel.Client.LastSeqId;
        Assert.Equal("1", await ScalarAsync(spark, "SELECT 1"));
        // ExecuteStatement carried status, metadata, the rows and the close.
        Assert.Equal(before + 1, spark.Channel.Client.LastSeqId);

        await using var hive = await OpenAsync(fixture.OpenOptions(version: TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V10));
        before = hive.Channel.Client.LastSeqId;
        Assert.Equal("1", await ScalarAsync(hive, "SELECT 1"));
        // Execute, status, metadata, fetch, the empty fetch that ends it, close.
        Assert.True(hive.Channel.Client.LastSeqId - before >= 5);
    }

    [Fact]
    public async Task DisposingClosesRemoteOperationsAndTheRemoteSession()
    {
        var gateway = fixture.Open.Services.GetRequiredService<SessionManager>();
        var sessions = gateway.SessionCount;
        var engine = fixture.CreateEngine(fixture.OpenOptions(HiveTransportMode.Http, TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V10));
        var remote = await engine.OpenSessionAsync(new EngineSessionOptions("tester"), CancellationToken.None);
        Assert.Equal(sessions + 1, gateway.SessionCount);
        var open = await remote.ExecuteAsync("SELECT range FROM range(100000)", Options, CancellationToken.None);
        using (await open.ReadBatchAsync(10, CancellationToken.None)) { }
        Assert.Equal(1, gateway.OperationCount);

        await remote.DisposeAsync();
        Assert.Equal(0, gateway.OperationCount);
        Assert.Equal(sessions, gateway.SessionCount);
        Assert.Equal(0, engine.SessionCount);
        var closed = await Assert.ThrowsAsync<EngineException>(() => open.ReadBatchAsync(10, CancellationToken.None).AsTask());
        Assert.Equal("08003", closed.SqlState);
        await open.DisposeAsync();
        await Assert.ThrowsAsync<EngineException>(() => remote.ExecuteAsync("SELECT 1", Options, CancellationToken.None).AsTask());
    }

    [Fact]
    public async Task AnExhaustedResultClosesItsRemoteOperationAtOnce()
    {
        var gateway = fixture.Open.Services.GetRequiredService<SessionManager>();
        await using var remote = await OpenAsync(fixture.OpenOptions(HiveTransportMode.Binary, TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V10));
        await using var result = await remote.ExecuteAsync("SELECT range FROM range(5)", Options, CancellationToken.None);
        Assert.Equal(1, gateway.OperationCount);
        Assert.Equal(5, (await ReadAllAsync(result, 100)).Count);
        Assert.Equal(0, gateway.OperationCount);
    }

    [Fact]
    public async Task SessionConfImpersonationAndTimeZoneReachTheRemoteSession()
    {
        var options = fixture.OpenOptions() with
        {
            ImpersonateUser = true,
            SessionConf = new Dictionary<string, string> { ["spark.app.tag"] = "nightly" },
        };
        await using var remote = await OpenAsync(options);
        Assert.Equal("hive.server2.proxy.user=tester", await ScalarAsync(remote, "SET hive.server2.proxy.user"));
        Assert.Equal("spark.app.tag=nightly", await ScalarAsync(remote, "SET spark.app.tag"));
        Assert.Equal("spark.sql.session.timeZone=UTC", await ScalarAsync(remote, "SET spark.sql.session.timeZone"));
    }

    [Fact]
    public async Task MetadataComesFromTheRemoteInTheEngineShapes()
    {
        await using var local = await LocalAsync();
        await using var remote = await OpenAsync(fixture.OpenOptions(HiveTransportMode.Http, TProtocolVersion.SPARK_CLI_SERVICE_PROTOCOL_V8));
        var md = remote.Metadata;
        var localMd = local.Session.Metadata;
        var ct = CancellationToken.None;

        Assert.Equal(await localMd.GetCatalogsAsync(ct), await md.GetCatalogsAsync(ct));
        Assert.Contains(await md.GetSchemasAsync(null, "dem%", ct), s => s.Schema == "demo");
        var tables = await md.GetTablesAsync(null, "demo", "%", ["TABLE"], ct);
        Assert.Equal((await localMd.GetTablesAsync(null, "demo", "%", ["TABLE"], ct)).Select(t => t with { Comment = t.Comment is "" ? null : t.Comment }).OrderBy(t => t.Name),
            tables.OrderBy(t => t.Name));
        Assert.Contains(tables, t => t.Name == "sales");

        var columns = await md.GetColumnsAsync(null, "demo", "sales", "%", ct);
        var localColumns = await localMd.GetColumnsAsync(null, "demo", "sales", "%", ct);
        Assert.Equal(localColumns.Select(c => (c.Name, c.Type, c.Position, c.Nullable)), columns.Select(c => (c.Name, c.Type, c.Position, c.Nullable)));
        Assert.Equal(SqlType.Decimal(18, 2), columns.Single(c => c.Name == "amount").Type);
        var allTypes = await md.GetColumnsAsync(null, "demo", "all_types", "c\\_%", ct);
        Assert.Equal(SqlType.TimestampTz, allTypes.Single(c => c.Name == "c_timestamptz").Type);
        Assert.Equal(SqlTypeKind.Array, allTypes.Single(c => c.Name == "c_list").Type.Kind);

        Assert.Equal(await localMd.GetPrimaryKeysAsync(null, "demo", "sales", ct), await md.GetPrimaryKeysAsync(null, "demo", "sales", ct));
        var fks = await md.GetCrossReferenceAsync(null, "demo", "customers", null, "demo", "sales", ct);
        Assert.Equal(await localMd.GetCrossReferenceAsync(null, "demo", "customers", null, "demo", "sales", ct), fks);
        Assert.NotEmpty(fks);
        Assert.Contains(await md.GetFunctionsAsync(null, null, "sum", ct), f => f.Name == "sum" && !f.ReturnsTable);
        Assert.Contains(await md.GetFunctionsAsync(null, null, "range", ct), f => f.Name == "range" && f.ReturnsTable);
    }

    [Theory]
    [InlineData(HiveTransportMode.Binary)]
    [InlineData(HiveTransportMode.Http)]
    public async Task PasswordsAreCheckedByTheRemote(HiveTransportMode transport)
    {
        await using var remote = await OpenAsync(fixture.SecuredOptions(transport));
        Assert.Equal("3", await ScalarAsync(remote, "SELECT 1 + 2"));
        var bad = await Assert.ThrowsAsync<EngineException>(() => OpenAsync(fixture.SecuredOptions(transport) with { Password = "guess" }));
        Assert.Equal("28000", bad.SqlState);
        Assert.False(bad.Retryable);
    }

    [Fact]
    public async Task NoSaslIsRefusedByARemoteThatWantsPasswords()
    {
        var e = await Assert.ThrowsAsync<EngineException>(() => OpenAsync(fixture.SecuredOptions() with { Auth = HiveServer2Auth.NoSasl }));
        Assert.Contains("requires authentication", e.Message, StringComparison.Ordinal);
        Assert.False(e.Retryable);
    }

    [Fact]
    public async Task ABearerTokenAuthenticatesOverHttp()
    {
        var options = fixture.SecuredOptions(HiveTransportMode.Http) with { Auth = HiveServer2Auth.Bearer, Token = RemoteGatewayFixture.Token, Password = null };
        await using var remote = await OpenAsync(options);
        Assert.Equal("4", await ScalarAsync(remote, "SELECT 2 * 2"));
        var bad = await Assert.ThrowsAsync<EngineException>(() => OpenAsync(options with { Token = "not-the-token-0123456789" }));
        Assert.Equal("28000", bad.SqlState);
    }

    [Fact]
    public async Task ProbeReportsHealthyAndUnhealthyRemotes()
    {
        await using var healthy = new HiveServer2Engine(fixture.OpenOptions());
        var ok = await healthy.ProbeAsync(CancellationToken.None);
        Assert.True(ok.Healthy, ok.Error?.Message);
        Assert.Equal("Spark SQL", ok.DbmsName);
        Assert.Equal(TProtocolVersion.SPARK_CLI_SERVICE_PROTOCOL_V8, ok.ProtocolVersion);
        Assert.True(ok.Latency > TimeSpan.Zero);
        Assert.Null(ok.Error);

        await using var secured = new HiveServer2Engine(fixture.SecuredOptions(HiveTransportMode.Http));
        Assert.True((await secured.ProbeAsync(CancellationToken.None)).Healthy);

        await using var nobody = new HiveServer2Engine(fixture.OpenOptions() with { Port = FreePort(), ConnectTimeout = TimeSpan.FromSeconds(5) });
        var down = await nobody.ProbeAsync(CancellationToken.None);
        Assert.False(down.Healthy);
        Assert.NotNull(down.Error);
        Assert.True(down.Error.Retryable);
        Assert.Equal("08001", down.Error.SqlState);

        await using var wrong = new HiveServer2Engine(fixture.SecuredOptions() with { Password = "guess" });
        var refused = await wrong.ProbeAsync(CancellationToken.None);
        Assert.False(refused.Healthy);
        Assert.Equal("28000", refused.Error!.SqlState);
    }

    [Fact]
    public async Task AnUnreachableRemoteFailsTheOpenAsRetryable()
    {
        foreach (var transport in new[] { HiveTransportMode.Binary, HiveTransportMode.Http })
        {
            await using var engine = new HiveServer2Engine(fixture.OpenOptions(transport) with { Port = FreePort() });
            var e = await Assert.ThrowsAsync<EngineException>(() => engine.OpenSessionAsync(new EngineSessionOptions("tester"), CancellationToken.None).AsTask());
            Assert.True(e.Retryable, e.Message);
            Assert.StartsWith("08", e.SqlState, StringComparison.Ordinal);
        }
    }

    /// <summary>A loopback port nobody listens on.</summary>
    internal static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}

public sealed partial class HiveServer2EngineTests
{
    [Fact]
    public async Task AHungRemoteTimesOutAsRetryableAndBreaksTheSession()
    {
        await using var proxy = new FreezableProxy(fixture.Open.Port);
        var options = fixture.OpenOptions() with { Port = proxy.Port, RequestTimeout = TimeSpan.FromSeconds(1), CloseTimeout = TimeSpan.FromSeconds(1) };
        await using var remote = await OpenAsync(options);
        Assert.Equal("1", await ScalarAsync(remote, "SELECT 1"));
        proxy.Freeze();
        var e = await Assert.ThrowsAsync<EngineException>(() => remote.ExecuteAsync("SELECT 2", Options, CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.True(e.Retryable);
        Assert.Equal("08S01", e.SqlState);
        Assert.Contains("did not answer in time", e.Message, StringComparison.Ordinal);
        Assert.True(remote.IsBroken);
        var again = await Assert.ThrowsAsync<EngineException>(() => remote.ExecuteAsync("SELECT 3", Options, CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.True(again.Retryable);
        await remote.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task DisposingAResultDuringAHungFetchDoesNotWaitForTheRemote()
    {
        await using var proxy = new FreezableProxy(fixture.Open.Port);
        // The request timeout is far beyond the test's bounds: nothing may wait for it.
        var options = fixture.OpenOptions() with { Port = proxy.Port, RequestTimeout = TimeSpan.FromMinutes(5), CloseTimeout = TimeSpan.FromSeconds(1) };
        var remote = await OpenAsync(options);
        var result = await remote.ExecuteAsync("SELECT range FROM range(100000)", Options, CancellationToken.None);
        using (await result.ReadBatchAsync(10, CancellationToken.None)) { }
        proxy.Freeze();
        var reading = result.ReadBatchAsync(50_000, CancellationToken.None).AsTask();
        await Task.Delay(200);
        Assert.False(reading.IsCompleted);

        await result.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        var e = await Assert.ThrowsAsync<EngineException>(() => reading.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal("24000", e.SqlState);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => result.ReadBatchAsync(10, CancellationToken.None).AsTask());
        await remote.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task ARemoteThatNeverAnswersFailsTheOpenWithinTheConnectTimeout()
    {
        using var silent = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        silent.Start(); // accepts (the backlog does) and never answers
        var options = fixture.OpenOptions() with { Port = ((System.Net.IPEndPoint)silent.LocalEndpoint).Port, ConnectTimeout = TimeSpan.FromSeconds(1), RequestTimeout = TimeSpan.FromMinutes(5) };
        await using var engine = new HiveServer2Engine(options);
        var e = await Assert.ThrowsAsync<EngineException>(() => engine.OpenSessionAsync(new EngineSessionOptions("tester"), CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.True(e.Retryable);
        Assert.StartsWith("08", e.SqlState, StringComparison.Ordinal);
        var probe = await engine.ProbeAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(probe.Healthy);
        Assert.True(probe.Error!.Retryable);
    }
}
