using Gateway.Engines.Postgres;
using Gateway.Protocol.Columnar;

namespace Gateway.Tests.Engines.Conformance;

public sealed class PostgresDialect : ConformanceDialect
{
    public override IReadOnlyList<TypeSample> TypeSamples { get; } =
    [
        new("boolean", "true", "CAST(NULL AS boolean)", SqlType.Boolean, "true"),
        new("smallint", "CAST(-16 AS smallint)", "CAST(NULL AS smallint)", SqlType.SmallInt, "-16"),
        new("integer", "CAST(-2147483648 AS integer)", "CAST(NULL AS integer)", SqlType.Int, "-2147483648"),
        new("bigint", "CAST(-9223372036854775808 AS bigint)", "CAST(NULL AS bigint)", SqlType.BigInt, "-9223372036854775808"),
        new("real", "CAST(1.5 AS real)", "CAST(NULL AS real)", SqlType.Float, "1.5"),
        new("double", "CAST(2.25 AS double precision)", "CAST(NULL AS double precision)", SqlType.Double, "2.25"),
        new("numeric(10,2)", "CAST(-12345678.91 AS numeric(10,2))", "CAST(NULL AS numeric(10,2))", SqlType.Decimal(10, 2), "-12345678.91"),
        new("numeric(38,18)", "CAST('-12345678901234567890.123456789012345678' AS numeric(38,18))", "CAST(NULL AS numeric(38,18))", SqlType.Decimal(38, 18), "-12345678901234567890.123456789012345678"),
        new("numeric", "CAST(1.5 AS numeric)", "CAST(NULL AS numeric)", SqlType.Decimal(38, 10), "1.5000000000"),
        new("text", "CAST('hello ünïcødé ✓' AS text)", "CAST(NULL AS text)", SqlType.String, "hello ünïcødé ✓"),
        new("varchar(20)", "CAST('abc' AS varchar(20))", "CAST(NULL AS varchar(20))", SqlType.Varchar(20), "abc"),
        new("char(3)", "CAST('ab' AS char(3))", "CAST(NULL AS char(3))", SqlType.Char(3), "ab "),
        new("bytea", "CAST('abc' AS bytea)", "CAST(NULL AS bytea)", SqlType.Binary, "abc"),
        new("date", "DATE '2024-02-29'", "CAST(NULL AS date)", SqlType.Date, "2024-02-29"),
        new("time", "TIME '13:45:30.123456'", "CAST(NULL AS time)", SqlType.Time, "13:45:30.123456"),
        new("timestamp", "TIMESTAMP '1969-12-31 23:59:59.999999'", "CAST(NULL AS timestamp)", SqlType.Timestamp, "1969-12-31 23:59:59.999999"),
        new("timestamptz", "TIMESTAMPTZ '2024-02-29 13:45:30.5+02'", "CAST(NULL AS timestamptz)", SqlType.TimestampTz, "2024-02-29 11:45:30.5"),
        new("interval", "INTERVAL '1 year 2 months 3 days 04:05:06.000007'", "CAST(NULL AS interval)", SqlType.Interval, "1 year 2 months 3 days 04:05:06.000007"),
        new("integer[]", "ARRAY[1, NULL, 3]", "CAST(NULL AS integer[])", SqlType.Array(SqlType.Int), "[1,null,3]"),
        new("text[]", "ARRAY['a', NULL, 'c']", "CAST(NULL AS text[])", SqlType.Array(SqlType.String), "[\"a\",null,\"c\"]"),
        new("uuid", "CAST('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11' AS uuid)", "CAST(NULL AS uuid)", SqlType.String, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
        new("jsonb", "CAST('{\"a\": [1, 2]}' AS jsonb)", "CAST(NULL AS jsonb)", SqlType.String, "{\"a\": [1, 2]}"),
        new("inet (as text)", "CAST('10.1.2.3/32' AS inet)", "CAST(NULL AS inet)", SqlType.String, "10.1.2.3"),
    ];

    public override string Series(long rows) => $"SELECT i, 'r' || i AS s FROM generate_series(0::bigint, {rows - 1}) AS g(i)";

    public override string LongRunningQuery => "SELECT 1 AS x FROM pg_sleep(600)";

    public override string SyntaxErrorState => "42601";

    public override string MissingTableState => "42P01";

    public override string MissingDatabaseState => "3F000";

    public override (SqlType Id, SqlType Name) CreatedTableTypes => (SqlType.Int, SqlType.Varchar(20));

    public override SettingProbe Setting { get; } = new("SET application_name = 'conformance_probe'", "SELECT current_setting('application_name')", "conformance_probe");
}

public sealed class PostgresConformanceFixture : IAsyncLifetime
{
    public PostgresEngine Engine { get; private set; } = null!;

    public Task InitializeAsync()
    {
        Engine = new PostgresEngine(PostgresTestServer.Options("postgres-conformance"));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await Engine.DisposeAsync();
}

/// <summary>Runs alone: one test measures the managed heap while streaming.</summary>
[CollectionDefinition(nameof(PostgresConformanceTests), DisableParallelization = true)]
public sealed class PostgresConformanceCollection;

/// <summary>Tier 4 for the PostgreSQL adapter (reader path, the default), against the real server of scripts/postgres.sh.</summary>
[Collection(nameof(PostgresConformanceTests))]
public sealed class PostgresConformanceTests(PostgresConformanceFixture fixture)
    : EngineConformanceTests(fixture.Engine, new PostgresDialect()), IClassFixture<PostgresConformanceFixture>;

public sealed class PostgresCopyConformanceFixture : IAsyncLifetime
{
    public PostgresEngine Engine { get; private set; } = null!;

    public Task InitializeAsync()
    {
        Engine = new PostgresEngine(PostgresTestServer.Options("postgres-copy", PostgresReadPath.Copy));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await Engine.DisposeAsync();
}

[CollectionDefinition(nameof(PostgresCopyConformanceTests), DisableParallelization = true)]
public sealed class PostgresCopyConformanceCollection;

/// <summary>The same suite with queries read through binary COPY.</summary>
[Collection(nameof(PostgresCopyConformanceTests))]
public sealed class PostgresCopyConformanceTests(PostgresCopyConformanceFixture fixture)
    : EngineConformanceTests(fixture.Engine, new PostgresDialect()), IClassFixture<PostgresCopyConformanceFixture>;
