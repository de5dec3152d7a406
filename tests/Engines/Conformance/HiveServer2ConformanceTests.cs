using Gateway.Engines;
using Gateway.Engines.HiveServer2;
using Gateway.Protocol.Columnar;
using Gateway.Protocol.Hive;

namespace Gateway.Tests.Engines.Conformance;

/// <summary>
/// A remote HiveServer2 engine pointed at a second gateway, whose own engine is its embedded DuckDB: the SQL is
/// DuckDB's (through the remote's Hive dialect), the types are what the HS2 wire can carry.
/// </summary>
public sealed class HiveServer2Dialect(TProtocolVersion protocol) : ConformanceDialect
{
    public override IReadOnlyList<TypeSample> TypeSamples { get; } =
    [
        new("boolean", "true", "CAST(NULL AS BOOLEAN)", SqlType.Boolean, "true"),
        new("tinyint", "CAST(-8 AS TINYINT)", "CAST(NULL AS TINYINT)", SqlType.TinyInt, "-8"),
        new("smallint", "CAST(-16 AS SMALLINT)", "CAST(NULL AS SMALLINT)", SqlType.SmallInt, "-16"),
        new("integer", "CAST(-2147483648 AS INTEGER)", "CAST(NULL AS INTEGER)", SqlType.Int, "-2147483648"),
        new("bigint", "CAST(-9223372036854775808 AS BIGINT)", "CAST(NULL AS BIGINT)", SqlType.BigInt, "-9223372036854775808"),
        new("float", "CAST(1.5 AS FLOAT)", "CAST(NULL AS FLOAT)", SqlType.Float, "1.5"),
        new("double", "CAST(2.25 AS DOUBLE)", "CAST(NULL AS DOUBLE)", SqlType.Double, "2.25"),
        new("decimal(10,2)", "CAST(-12345678.91 AS DECIMAL(10,2))", "CAST(NULL AS DECIMAL(10,2))", SqlType.Decimal(10, 2), "-12345678.91"),
        new("decimal(38,18)", "CAST('-12345678901234567890.123456789012345678' AS DECIMAL(38,18))", "CAST(NULL AS DECIMAL(38,18))", SqlType.Decimal(38, 18), "-12345678901234567890.123456789012345678"),
        new("varchar", "CAST('hello ünïcødé ✓' AS VARCHAR)", "CAST(NULL AS VARCHAR)", SqlType.String, "hello ünïcødé ✓"),
        new("blob", "CAST('abc' AS BLOB)", "CAST(NULL AS BLOB)", SqlType.Binary, "abc"),
        new("date", "DATE '2024-02-29'", "CAST(NULL AS DATE)", SqlType.Date, "2024-02-29"),
        new("timestamp", "TIMESTAMP '1969-12-31 23:59:59.999999'", "CAST(NULL AS TIMESTAMP)", SqlType.Timestamp, "1969-12-31 23:59:59.999999"),
        // The wire cannot carry these exactly. HiveServer2 has no TIME type id, and no interval type for months,
        // days and micros at once: both arrive as the remote's text. TIMESTAMP WITH TIME ZONE exists on the wire
        // only as Hive V11's TIMESTAMPLOCALTZ; Spark-line protocols (V8, the engine's default) carry it as a
        // TIMESTAMP in the remote session's time zone (UTC here), so the instant survives but not the type.
        new("time", "TIME '13:45:30.123456'", "CAST(NULL AS TIME)", SqlType.String, "13:45:30.123456"),
        new("timestamptz", "CAST(TIMESTAMP '2024-02-29 11:45:30.5' AS TIMESTAMPTZ)", "CAST(NULL AS TIMESTAMPTZ)",
            HiveProtocol.SupportsTimestampLocalTz(protocol) ? SqlType.TimestampTz : SqlType.Timestamp, "2024-02-29 11:45:30.5"),
        new("interval", "INTERVAL '1 year 2 months 3 days 04:05:06.000007'", "CAST(NULL AS INTERVAL)", SqlType.String, "1 year 2 months 3 days 04:05:06.000007"),
        // HiveServer2 describes ARRAY/MAP/STRUCT columns without their element types (a single primitive type
        // entry), so nothing typed can be rebuilt: they arrive as STRING holding the remote's JSON text.
        new("integer[]", "[1, NULL, 3]", "CAST(NULL AS INTEGER[])", SqlType.String, "[1,null,3]"),
        new("varchar[]", "['a', NULL, 'c']", "CAST(NULL AS VARCHAR[])", SqlType.String, "[\"a\",null,\"c\"]"),
        new("map", "MAP {'k': 1}", "CAST(NULL AS MAP(VARCHAR, INTEGER))", SqlType.String, "{\"k\":1}"),
        new("struct", "{'x': 1, 'y': 'z'}", "CAST(NULL AS STRUCT(x INTEGER, y VARCHAR))", SqlType.String, "{\"x\":1,\"y\":\"z\"}"),
        new("uuid", "CAST('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11' AS UUID)", "CAST(NULL AS UUID)", SqlType.String, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
    ];

    public override string Series(long rows) => $"SELECT range AS i, 'r' || range AS s FROM range({rows})";

    public override string LongRunningQuery => "SELECT count(*) FROM range(100000000000000) t(i) WHERE i % 7 = 3";

    public override string SyntaxErrorState => "42000";

    public override string MissingTableState => "42S02";

    public override string MissingDatabaseState => "42000";

    // Metadata keeps DuckDB's answer: VARCHAR(20) is a plain VARCHAR there.
    public override (SqlType Id, SqlType Name) CreatedTableTypes => (SqlType.Int, SqlType.String);

    // SET key=value is a HiveServer2 session setting, answered by the remote gateway itself.
    public override SettingProbe Setting { get; } = new("SET conformance.probe=on", "SET conformance.probe", "conformance.probe=on");

    // Each statement is its own remote operation: a remote HiveServer2 keeps several results of one session open.
    public override bool NewStatementClosesOpenResult => false;

    // TSparkParameter exists from SPARK_CLI_SERVICE_PROTOCOL_V8; a Hive-line protocol has no field to carry values.
    public override bool BindsParameters => protocol >= TProtocolVersion.SPARK_CLI_SERVICE_PROTOCOL_V8;
}

/// <summary>
/// A second gateway as a separate process (<c>dotnet gateway.dll serve</c>, password file, no TLS) and remote
/// HiveServer2 engines on it: binary with SASL PLAIN and HTTP with Basic on the default Spark-line protocol (V8:
/// direct results, parameters), binary on Hive V11 (polling, GetResultSetMetadata, an empty fetch for the end), and
/// binary on V8 with Arrow result batches.
/// </summary>
public sealed class HiveServer2ConformanceFixture : IAsyncLifetime
{
    private const string User = "conformance";
    private const string Password = "conformance-secret";

    public GatewayProcess Remote { get; private set; } = null!;

    public HiveServer2Engine Binary { get; private set; } = null!;

    public HiveServer2Engine Http { get; private set; } = null!;

    /// <summary>Binary on HIVE_CLI_SERVICE_PROTOCOL_V11, as Apache Hive speaks it.</summary>
    public HiveServer2Engine HiveLine { get; private set; } = null!;

    /// <summary>Binary on the Spark-line default, asking for Arrow result batches.</summary>
    public HiveServer2Engine Arrow { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Remote = await GatewayProcess.StartAsync(tls: false, new Dictionary<string, string> { [User] = Password });
        Binary = new HiveServer2Engine(Options(HiveTransportMode.Binary));
        Http = new HiveServer2Engine(Options(HiveTransportMode.Http));
        HiveLine = new HiveServer2Engine(Options(HiveTransportMode.Binary) with { Name = "conformance-hive-v11", ProtocolVersion = TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V11 });
        Arrow = new HiveServer2Engine(Options(HiveTransportMode.Binary) with { Name = "conformance-arrow", ArrowResults = true });
    }

    private HiveServer2EngineOptions Options(HiveTransportMode transport) => new()
    {
        Name = $"conformance-{transport}".ToLowerInvariant(),
        Port = transport == HiveTransportMode.Http ? Remote.HttpUri.Port : Remote.BinaryPort,
        Transport = transport,
        HttpPath = Remote.HttpUri.AbsolutePath,
        Auth = transport == HiveTransportMode.Http ? HiveServer2Auth.Basic : HiveServer2Auth.SaslPlain,
        User = User,
        Password = Password,
        RequestTimeout = TimeSpan.FromMinutes(2),
    };

    public async Task DisposeAsync()
    {
        if (Binary is not null) await Binary.DisposeAsync();
        if (Http is not null) await Http.DisposeAsync();
        if (HiveLine is not null) await HiveLine.DisposeAsync();
        if (Arrow is not null) await Arrow.DisposeAsync();
        if (Remote is not null) await Remote.DisposeAsync();
    }
}

/// <summary>Both transports share one remote process and run alone: one test measures the managed heap while streaming.</summary>
[CollectionDefinition(nameof(HiveServer2ConformanceTests), DisableParallelization = true)]
public sealed class HiveServer2ConformanceCollection : ICollectionFixture<HiveServer2ConformanceFixture>;

/// <summary>Tier 4 for the remote HiveServer2 adapter over the binary transport, against a gateway process.</summary>
[Collection(nameof(HiveServer2ConformanceTests))]
public sealed class HiveServer2ConformanceTests(HiveServer2ConformanceFixture fixture)
    : EngineConformanceTests(fixture.Binary, new HiveServer2Dialect(TProtocolVersion.SPARK_CLI_SERVICE_PROTOCOL_V8));

/// <summary>The same suite over HS2-over-HTTP (one shared HttpClient, calls that may overlap).</summary>
[Collection(nameof(HiveServer2ConformanceTests))]
public sealed class HiveServer2HttpConformanceTests(HiveServer2ConformanceFixture fixture)
    : EngineConformanceTests(fixture.Http, new HiveServer2Dialect(TProtocolVersion.SPARK_CLI_SERVICE_PROTOCOL_V8));

/// <summary>The same suite on a Hive-line protocol: no direct results, no parameters, TIMESTAMPLOCALTZ.</summary>
[Collection(nameof(HiveServer2ConformanceTests))]
public sealed class HiveServer2HiveLineConformanceTests(HiveServer2ConformanceFixture fixture)
    : EngineConformanceTests(fixture.HiveLine, new HiveServer2Dialect(TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V11));

/// <summary>
/// The same suite with Arrow result batches (<see cref="HiveServer2EngineOptions.ArrowResults"/>): the types and values
/// must be exactly those of the Thrift-columns path.
/// </summary>
[Collection(nameof(HiveServer2ConformanceTests))]
public sealed class HiveServer2ArrowConformanceTests(HiveServer2ConformanceFixture fixture)
    : EngineConformanceTests(fixture.Arrow, new HiveServer2Dialect(TProtocolVersion.SPARK_CLI_SERVICE_PROTOCOL_V8))
{
    [Fact]
    public async Task ResultsComeAsArrowBatches()
    {
        await using var session = await OpenAsync();
        await using var result = await session.ExecuteAsync("SELECT CAST(1.25 AS DECIMAL(9,2)) AS d", Options, CancellationToken.None);
        Assert.True(((HiveServer2QueryResult)result).ReadsArrow);
        using var batch = await result.ReadBatchAsync(10, CancellationToken.None);
        Assert.Equal((Int128)125, ((PrimitiveColumn<Int128>)batch!.Columns[0]).Values[0]);
    }
}
