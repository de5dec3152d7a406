using Gateway.Engines.DuckDb;
using Gateway.Protocol.Columnar;

namespace Gateway.Tests.Engines.Conformance;

public sealed class DuckDbDialect : ConformanceDialect
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
        new("interval", "INTERVAL '1 year 2 months 3 days 04:05:06.000007'", "CAST(NULL AS INTERVAL)", SqlType.Interval, "1 year 2 months 3 days 04:05:06.000007"),
        new("integer[]", "[1, NULL, 3]", "CAST(NULL AS INTEGER[])", SqlType.Array(SqlType.Int), "[1,null,3]"),
        new("varchar[]", "['a', NULL, 'c']", "CAST(NULL AS VARCHAR[])", SqlType.Array(SqlType.String), "[\"a\",null,\"c\"]"),
        new("map", "MAP {'k': 1}", "CAST(NULL AS MAP(VARCHAR, INTEGER))", SqlType.Map(SqlType.String, SqlType.Int), "{\"k\":1}"),
        new("struct", "{'x': 1, 'y': 'z'}", "CAST(NULL AS STRUCT(x INTEGER, y VARCHAR))",
            SqlType.Struct([new SqlField("x", SqlType.Int), new SqlField("y", SqlType.String)]), "{\"x\":1,\"y\":\"z\"}"),
        new("uuid", "CAST('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11' AS UUID)", "CAST(NULL AS UUID)", SqlType.String, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
    ];

    public override string Series(long rows) => $"SELECT range AS i, 'r' || range AS s FROM range({rows})";

    public override string LongRunningQuery => "SELECT count(*) FROM range(100000000000000) t(i) WHERE i % 7 = 3";

    public override string SyntaxErrorState => "42000";

    public override string MissingTableState => "42S02";

    public override string MissingDatabaseState => "42000";

    public override (SqlType Id, SqlType Name) CreatedTableTypes => (SqlType.Int, SqlType.String);

    // A per-connection DuckDB setting (the session turns it on when it opens).
    public override SettingProbe Setting { get; } = new("SET enable_progress_bar = false", "SELECT CAST(current_setting('enable_progress_bar') AS VARCHAR)", "false");
}

public sealed class DuckDbConformanceFixture : IAsyncDisposable
{
    public DuckDbEngine Engine { get; } = new(DuckDbEngineOptions.InMemory() with { MemoryLimit = "1GB" });

    public ValueTask DisposeAsync() => Engine.DisposeAsync();
}

/// <summary>Runs alone: one test measures the managed heap while streaming.</summary>
[CollectionDefinition(nameof(DuckDbConformanceTests), DisableParallelization = true)]
public sealed class DuckDbConformanceCollection;

/// <summary>Tier 4 for the embedded DuckDB adapter.</summary>
[Collection(nameof(DuckDbConformanceTests))]
public sealed class DuckDbConformanceTests(DuckDbConformanceFixture fixture)
    : EngineConformanceTests(fixture.Engine, new DuckDbDialect()), IClassFixture<DuckDbConformanceFixture>;
