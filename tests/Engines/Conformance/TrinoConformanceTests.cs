using Gateway.Engines;
using Gateway.Engines.Trino;
using Gateway.Protocol.Columnar;
using Gateway.Tests.InProcess;

namespace Gateway.Tests.Engines.Conformance;

/// <summary>
/// The Trino engine adapter pointed at a second gateway's Trino protocol frontend, whose own engine is its embedded
/// DuckDB: the SQL is DuckDB's (through the remote's Hive dialect), the types are what the Trino protocol carries.
/// </summary>
public sealed class TrinoDialect : ConformanceDialect
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
        new("time", "TIME '13:45:30.123456'", "CAST(NULL AS TIME)", SqlType.Time, "13:45:30.123456"),
        new("timestamp", "TIMESTAMP '1969-12-31 23:59:59.999999'", "CAST(NULL AS TIMESTAMP)", SqlType.Timestamp, "1969-12-31 23:59:59.999999"),
        new("timestamptz", "CAST(TIMESTAMP '2024-02-29 11:45:30.5' AS TIMESTAMPTZ)", "CAST(NULL AS TIMESTAMPTZ)", SqlType.TimestampTz, "2024-02-29 11:45:30.5"),
        // Trino's intervals are year-to-month or day-to-second, never both: DuckDB's interval travels as its text.
        new("interval", "INTERVAL '1 year 2 months 3 days 04:05:06.000007'", "CAST(NULL AS INTERVAL)", SqlType.String, "1 year 2 months 3 days 04:05:06.000007"),
        new("integer[]", "[1, NULL, 3]", "CAST(NULL AS INTEGER[])", SqlType.Array(SqlType.Int), "[1,null,3]"),
        new("varchar[]", "['a', NULL, 'c']", "CAST(NULL AS VARCHAR[])", SqlType.Array(SqlType.String), "[\"a\",null,\"c\"]"),
        new("map", "MAP {'k': 1}", "CAST(NULL AS MAP(VARCHAR, INTEGER))", SqlType.Map(SqlType.String, SqlType.Int), "{\"k\":1}"),
        new("struct", "{'x': 1, 'y': 'z'}", "CAST(NULL AS STRUCT(x INTEGER, y VARCHAR))",
            SqlType.Struct([new SqlField("x", SqlType.Int), new SqlField("y", SqlType.String)]), "{\"x\":1,\"y\":\"z\"}"),
        // Trino has uuid; the gateway's types have no uuid kind, so it arrives as its text (as from DuckDB itself).
        new("uuid", "CAST('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11' AS UUID)", "CAST(NULL AS UUID)", SqlType.String, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
    ];

    public override string Series(long rows) => $"SELECT range AS i, 'r' || range AS s FROM range({rows})";

    public override string LongRunningQuery => "SELECT count(*) FROM range(100000000000000) t(i) WHERE i % 7 = 3";

    public override string SyntaxErrorState => "42000";

    public override string MissingTableState => "42S02";

    public override string MissingDatabaseState => "42000";

    public override (SqlType Id, SqlType Name) CreatedTableTypes => (SqlType.Int, SqlType.String);

    // Trino's SET SESSION: the frontend answers X-Trino-Set-Session, the adapter carries it on every later request.
    public override SettingProbe Setting { get; } = new("SET SESSION conformance_probe = 'on'", "SET conformance_probe", "conformance_probe=on");
}

/// <summary>
/// A second gateway as a separate process (password file, the test certificate on every listener) and a Trino engine
/// on its Trino protocol listener: https, checked against the test CA, HTTP Basic.
/// </summary>
public sealed class TrinoConformanceFixture : IAsyncLifetime
{
    private const string User = "conformance";
    private const string Password = "conformance-secret";

    public GatewayProcess Remote { get; private set; } = null!;

    public TrinoEngine Engine { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Remote = await GatewayProcess.StartAsync(tls: true, new Dictionary<string, string> { [User] = Password });
        Engine = new TrinoEngine(Options());
    }

    public TrinoEngineOptions Options() => new()
    {
        Name = "conformance-trino",
        Host = Remote.TrinoUri.Host,
        Port = Remote.TrinoUri.Port,
        Tls = new EngineTlsOptions { CaFile = TestCertificate.CertificatePath },
        Auth = TrinoAuth.Basic,
        User = User,
        Password = Password,
        Catalog = "embedded",
        RequestTimeout = TimeSpan.FromMinutes(2),
    };

    public async Task DisposeAsync()
    {
        if (Engine is not null) await Engine.DisposeAsync();
        if (Remote is not null) await Remote.DisposeAsync();
    }
}

/// <summary>Runs alone: one test measures the managed heap while streaming.</summary>
[CollectionDefinition(nameof(TrinoConformanceTests), DisableParallelization = true)]
public sealed class TrinoConformanceCollection : ICollectionFixture<TrinoConformanceFixture>;

/// <summary>Tier 4 for the Trino engine adapter, against a gateway process's Trino frontend over TLS with Basic.</summary>
[Collection(nameof(TrinoConformanceTests))]
public sealed class TrinoConformanceTests(TrinoConformanceFixture fixture)
    : EngineConformanceTests(fixture.Engine, new TrinoDialect());
