using System.Globalization;
using Gateway.Engines;
using Gateway.Engines.Postgres;
using Gateway.Protocol.Columnar;

namespace Gateway.Tests.Engines;

/// <summary>Two engines on the test server, one per read path, and a schema of fixtures for the tests below.</summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    public const string Schema = "engine_tests_pg";

    public PostgresEngine Reader { get; private set; } = null!;
    public PostgresEngine Copy { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Reader = new PostgresEngine(PostgresTestServer.Options("pg-reader"));
        Copy = new PostgresEngine(PostgresTestServer.Options("pg-copy", PostgresReadPath.Copy));
        await PostgresTestServer.ExecuteAsync($$"""
            DROP SCHEMA IF EXISTS {{Schema}} CASCADE;
            CREATE SCHEMA {{Schema}};
            CREATE TYPE {{Schema}}.mood AS ENUM ('sad', 'happy');
            CREATE TYPE {{Schema}}.pair AS (a int, b text);
            CREATE DOMAIN {{Schema}}.money2 AS numeric(10,2);
            CREATE TABLE {{Schema}}.customers (id int PRIMARY KEY, name varchar(40) NOT NULL DEFAULT 'anon');
            COMMENT ON TABLE {{Schema}}.customers IS 'who buys';
            COMMENT ON COLUMN {{Schema}}.customers.name IS 'full name';
            CREATE TABLE {{Schema}}.orders (id bigint PRIMARY KEY, customer_id int REFERENCES {{Schema}}.customers (id), amount {{Schema}}.money2, m {{Schema}}.mood);
            CREATE VIEW {{Schema}}.big_orders AS SELECT * FROM {{Schema}}.orders WHERE amount > 100;
            INSERT INTO {{Schema}}.customers VALUES (1, 'ann'), (2, 'bob');
            INSERT INTO {{Schema}}.orders VALUES (10, 1, 12.50, 'happy'), (11, 2, 300.00, NULL);
            CREATE TABLE {{Schema}}.edge (id int, b bool, i2 int2, i4 int4, i8 int8, f8 float8, f4 float4, n38 numeric(38,0), n38s numeric(38,38),
              nfree numeric, nneg numeric(5,-1), empty text, nm name, js json, by bytea, d date, ts timestamp, ts_min timestamp, tstz timestamptz,
              t time, iv interval, a_b bool[], a_i2 int2[], a_i8 int8[], a_f4 float4[], a_f8 float8[], a_n numeric(5,2)[], a_v varchar[], a_c char(3)[],
              a_u uuid[], a_jb jsonb[], a_by bytea[], a_d date[], a_t time[], a_ts timestamp[], a_tstz timestamptz[], a_iv interval[],
              mood {{Schema}}.mood, pair {{Schema}}.pair, ttz timetz, dom {{Schema}}.money2, a_mood {{Schema}}.mood[], rng int4range, bits bit(3));
            INSERT INTO {{Schema}}.edge VALUES (1, true, 32767, 2147483647, 9223372036854775807, 'NaN', '-Infinity',
              99999999999999999999999999999999999999, '0.00000000000000000000000000000000000001',
              123456789012345678901234567.1234567890, 12.5, '', 'x', '{"k": null}',
              '\x00ff', '9999-12-31', '0001-01-01 00:00:00', '1900-06-30 12:00:00+00', '1900-06-30 12:00:00+00',
              '24:00:00', '-1 mon -2 days -00:00:01.5',
              '{true,NULL}', '{1,NULL}', '{}', '{1.5,NULL}', '{2.5}', '{1.25,NULL}', '{a,NULL}', '{ab}', '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}',
              ARRAY['{"a":1}'::jsonb], ARRAY['\x01'::bytea, NULL], '{2000-01-01,NULL}', '{00:00:01}',
              '{"2000-01-01 00:00:00"}', '{"2000-01-01 00:00:00+00"}', '{"1 day"}',
              'happy', ROW(1, NULL), '12:00:00+02', 12.345, '{sad}', '[1,5)', B'101');
            INSERT INTO {{Schema}}.edge (id) VALUES (2);
            """);
    }

    public async Task DisposeAsync()
    {
        await Reader.DisposeAsync();
        await Copy.DisposeAsync();
        await PostgresTestServer.ExecuteAsync($"DROP SCHEMA IF EXISTS {Schema} CASCADE");
    }
}

/// <summary>Tier 3: the PostgreSQL adapter against a real server (scripts/postgres.sh), beyond the conformance suite.</summary>
public sealed partial class PostgresEngineRealServiceTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    private const string S = PostgresFixture.Schema;

    private static async Task<(ResultSchema Schema, List<string?[]> Rows)> QueryAsync(IEngineSession session, string sql, int batchRows = 1000, ExecuteOptions? options = null)
    {
        await using var result = await session.ExecuteAsync(sql, options ?? ExecuteOptions.Default, CancellationToken.None);
        var rows = new List<string?[]>();
        while (await result.ReadBatchAsync(batchRows, CancellationToken.None) is { } batch)
        {
            using (batch)
            {
                Assert.InRange(batch.RowCount, 1, batchRows);
                for (var r = 0; r < batch.RowCount; r++) rows.Add([.. batch.Columns.Select(c => ValueFormatter.Utc.FormatToString(c, r))]);
            }
        }
        return (result.Schema, rows);
    }

    private static async Task<string?> ScalarAsync(IEngineSession session, string sql, ExecuteOptions? options = null) =>
        (await QueryAsync(session, sql, options: options)).Rows.Single()[0];

    private async Task<PostgresSession> OpenAsync(bool copy = false, string? database = null) =>
        await (copy ? fixture.Copy : fixture.Reader).OpenPostgresSessionAsync(new EngineSessionOptions("test") { Database = database }, CancellationToken.None);

    // Every mapped type, edge values and NULLs (a table keeps declared precisions and lengths, which VALUES with
    // NULLs would lose); both read paths must agree value for value.
    private const string EdgeQuery = $"SELECT * FROM {S}.edge ORDER BY id";

    private static readonly string[] EdgeTypes =
    [
        "int", "boolean", "smallint", "int", "bigint", "double", "float", "decimal(38,0)", "decimal(38,38)", "decimal(38,10)", "decimal(6,0)",
        "string", "string", "string", "binary", "date", "timestamp", "timestamp", "timestamp with local time zone", "time", "interval",
        "array<boolean>", "array<smallint>", "array<bigint>", "array<float>", "array<double>", "array<decimal(5,2)>", "array<string>",
        "array<char(3)>", "array<string>", "array<string>", "array<binary>", "array<date>", "array<time>", "array<timestamp>",
        "array<timestamp with local time zone>", "array<interval>", "string", "string", "string", "decimal(10,2)", "string", "string", "string",
    ];

    private static readonly string?[] EdgeValues =
    [
        "1", "true", "32767", "2147483647", "9223372036854775807", "NaN", "-Infinity", "99999999999999999999999999999999999999",
        "0.00000000000000000000000000000000000001", "123456789012345678901234567.1234567890", "10", "", "x", "{\"k\": null}",
        "\0\ufffd", "9999-12-31", "0001-01-01 00:00:00", "1900-06-30 12:00:00", "1900-06-30 12:00:00", "24:00:00", "-1 month -2 days -00:00:01.5",
        "[true,null]", "[1,null]", "[]", "[1.5,null]", "[2.5]", "[1.25,null]", "[\"a\",null]", "[\"ab \"]", "[\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\"]",
        "[\"{\\\"a\\\": 1}\"]", "[\"AQ==\",null]", "[\"2000-01-01\",null]", "[\"00:00:01\"]", "[\"2000-01-01 00:00:00\"]", "[\"2000-01-01 00:00:00\"]",
        "[\"1 day\"]", "happy", "(1,)", "12:00:00+02", "12.35", "{sad}", "[1,5)", "101",
    ];

    [Theory]
    [InlineData(false, 1)]
    [InlineData(false, 100)]
    [InlineData(true, 1)]
    [InlineData(true, 100)]
    public async Task EveryMappedTypeAndEdgeValueArrivesTheSameOnBothReadPaths(bool copy, int batchRows)
    {
        await using var session = await OpenAsync(copy);
        var (schema, rows) = await QueryAsync(session, EdgeQuery, batchRows);
        Assert.Equal(EdgeTypes, schema.Columns.Select(c => c.Type.ToString()));
        Assert.Equal(2, rows.Count);
        var mismatches = Enumerable.Range(0, EdgeValues.Length)
            .Where(i => EdgeValues[i] != rows[0][i])
            .Select(i => $"{schema.Columns[i].Name}: '{rows[0][i]}', expected '{EdgeValues[i]}'");
        Assert.Empty(mismatches);
        Assert.Equal("2", rows[1][0]);
        Assert.All(rows[1].Skip(1), Assert.Null);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task InfinitiesAndDatesKeepTheirStorage(bool copy)
    {
        await using var session = await OpenAsync(copy);
        await using var result = await session.ExecuteAsync(
            "SELECT 'infinity'::date, '-infinity'::timestamptz, '1970-01-01'::date, '1969-12-31 23:59:59.999999'::timestamp, '2000-01-01'::date",
            ExecuteOptions.Default, CancellationToken.None);
        using var batch = (await result.ReadBatchAsync(10, CancellationToken.None))!;
        Assert.Equal(int.MaxValue, ((PrimitiveColumn<int>)batch.Columns[0]).Values[0]);
        Assert.Equal(long.MinValue, ((PrimitiveColumn<long>)batch.Columns[1]).Values[0]);
        Assert.Equal(0, ((PrimitiveColumn<int>)batch.Columns[2]).Values[0]);
        Assert.Equal(-1L, ((PrimitiveColumn<long>)batch.Columns[3]).Values[0]);
        Assert.Equal(10_957, ((PrimitiveColumn<int>)batch.Columns[4]).Values[0]);
    }

    [Theory]
    [InlineData(false, "SELECT 'NaN'::numeric(10,2)")]
    [InlineData(true, "SELECT 'NaN'::numeric(10,2)")]
    [InlineData(false, "SELECT 1e40::numeric")]
    [InlineData(true, "SELECT 1e40::numeric")]
    public async Task NumericsWithoutADecimalFormFailWith22003(bool copy, string sql)
    {
        await using var session = await OpenAsync(copy);
        var e = await Assert.ThrowsAsync<EngineException>(() => QueryAsync(session, sql));
        Assert.Equal("22003", e.SqlState);
        Assert.Equal("1", await ScalarAsync(session, "SELECT 1"));
    }

    [Fact]
    public async Task QueriesUseTheConfiguredPathAndOtherStatementsTheReader()
    {
        await using var session = await OpenAsync(copy: true);
        await using (var r = (PostgresQueryResult)await session.ExecuteAsync("SELECT 1", ExecuteOptions.Default, CancellationToken.None)) Assert.Equal(PostgresReadPath.Copy, r.ReadPath);
        await using (var r = (PostgresQueryResult)await session.ExecuteAsync("SHOW search_path", ExecuteOptions.Default, CancellationToken.None)) Assert.Equal(PostgresReadPath.Reader, r.ReadPath);
        var parameters = new ExecuteOptions { Parameters = [new QueryParameter(1, null, SqlType.Int, 1L)] };
        await using (var r = (PostgresQueryResult)await session.ExecuteAsync("SELECT ?", parameters, CancellationToken.None)) Assert.Equal(PostgresReadPath.Reader, r.ReadPath);
        await using var reader = await OpenAsync(copy: false);
        await using (var r = (PostgresQueryResult)await reader.ExecuteAsync("SELECT 1", ExecuteOptions.Default, CancellationToken.None)) Assert.Equal(PostgresReadPath.Reader, r.ReadPath);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task DmlWithReturningStreamsItsRows(bool copy)
    {
        await using var session = await OpenAsync(copy);
        await QueryAsync(session, "CREATE TEMP TABLE ret (id serial, v text)");
        var (schema, rows) = await QueryAsync(session, "INSERT INTO ret (v) VALUES ('a'), ('b') RETURNING id, v");
        Assert.Equal(["id", "v"], schema.Columns.Select(c => c.Name));
        Assert.Equal([["1", "a"], ["2", "b"]], rows);
        await using var update = await session.ExecuteAsync("UPDATE ret SET v = 'c'", ExecuteOptions.Default, CancellationToken.None);
        Assert.False(update.HasRows);
        Assert.Equal(2, update.AffectedRows);
    }

    [Fact]
    public async Task ScriptsRunInOrderAndReturnTheLastResult()
    {
        await using var session = await OpenAsync();
        var (_, rows) = await QueryAsync(session,
            "CREATE TEMP TABLE script_t AS SELECT 1 AS x; SELECT 'ignored'; INSERT INTO script_t VALUES (2); -- a comment; with a semicolon\nSELECT sum(x) AS s FROM script_t;");
        Assert.Equal("3", rows.Single()[0]);
        var e = await Assert.ThrowsAsync<EngineException>(() => QueryAsync(session, "SELECT 1; SELEC 2"));
        Assert.Equal("42601", e.SqlState);
        var empty = await Assert.ThrowsAsync<EngineException>(() => QueryAsync(session, " ; -- nothing"));
        Assert.Equal("42601", empty.SqlState);
    }

    [Fact]
    public async Task HiveSpellingsThatAreCheapAndSafe()
    {
        await using var session = await OpenAsync();
        // Backtick identifiers; USE default is public; USE matches a schema case-insensitively unless quoted.
        var (schema, _) = await QueryAsync(session, "SELECT 1 AS `my ``col```, 2 AS \"x\"");
        Assert.Equal(["my `col`", "x"], schema.Columns.Select(c => c.Name));
        await QueryAsync(session, "USE default");
        Assert.Equal("public", session.CurrentDatabase);
        await QueryAsync(session, $"USE {S.ToUpperInvariant()}");
        Assert.Equal(S, session.CurrentDatabase);
        Assert.Equal("2", await ScalarAsync(session, "SELECT count(*) FROM `customers`"));
        var e = await Assert.ThrowsAsync<EngineException>(() => QueryAsync(session, $"USE `{S.ToUpperInvariant()}`"));
        Assert.Equal("3F000", e.SqlState);
        await QueryAsync(session, "SET search_path TO public");
        Assert.Equal("public", session.CurrentDatabase);
        await using var started = await OpenAsync(database: S);
        Assert.Equal(S, started.CurrentDatabase);
    }

    [Fact]
    public async Task ParametersOfEveryTypeAreBoundTyped()
    {
        await using var session = await OpenAsync();
        QueryParameter P(int i, SqlType t, object? v) => new(i, null, t, v);
        var options = new ExecuteOptions
        {
            Parameters =
            [
                P(1, SqlType.Boolean, true), P(2, SqlType.TinyInt, -8L), P(3, SqlType.Int, 7L), P(4, SqlType.BigInt, long.MinValue),
                P(5, SqlType.Float, 1.5), P(6, SqlType.Double, -2.25), P(7, SqlType.Decimal(10, 2), (Int128)(-1234)),
                P(8, SqlType.Decimal(38, 2), Int128.Parse("-1234567890123456789012345678901234", CultureInfo.InvariantCulture)),
                P(9, SqlType.String, "ü'?:x"), P(10, SqlType.Binary, new byte[] { 0x61, 0x62 }), P(11, SqlType.Date, -1),
                P(12, SqlType.Time, 3_723_000_001L), P(13, SqlType.Timestamp, 1L), P(14, SqlType.TimestampTz, -1L),
                P(15, SqlType.Interval, new IntervalValue(14, 3, 5_000_000)), P(16, SqlType.Int, null),
            ],
        };
        var (schema, rows) = await QueryAsync(session,
            "SELECT ?, ?, ? + 1, ?, ?, ?, ?::numeric(10,2), ?::numeric(38,2), ? || '', ?, ?, ?, ?, ?, ?, ? IS NULL, '?' AS literal /* ? */, $q$?$q$", options: options);
        Assert.Equal(new string?[]
        {
            "true", "-8", "8", "-9223372036854775808", "1.5", "-2.25", "-12.34", "-12345678901234567890123456789012.34", "ü'?:x", "ab",
            "1969-12-31", "01:02:03.000001", "1970-01-01 00:00:00.000001", "1969-12-31 23:59:59.999999", "1 year 2 months 3 days 00:00:05", "true", "?", "?",
        }, rows.Single());
        Assert.Equal("smallint", schema.Columns[1].Type.ToString());
    }

    [Fact]
    public async Task StringParametersTakeTheirTypeFromTheContext()
    {
        await using var session = await OpenAsync();
        var options = new ExecuteOptions { Parameters = [new QueryParameter(1, null, SqlType.String, "7")] };
        Assert.Equal("3", await ScalarAsync(session, "SELECT count(*) FROM generate_series(1, 10) i WHERE i > ?", options));
        // Nothing around the marker says what it is: sent again as text.
        Assert.Equal("false", await ScalarAsync(session, "SELECT ? IS NULL", options));
        var named = new ExecuteOptions { Parameters = [new QueryParameter(0, "id", SqlType.String, "2"), new QueryParameter(0, "name", SqlType.String, "bob")] };
        Assert.Equal("bob", await ScalarAsync(session, $"SELECT name::text FROM {S}.customers WHERE id = :id AND name = :name AND name::text = :name", named));
        // Without parameters, ? and : are PostgreSQL's (jsonb operators, casts).
        Assert.Equal("true", await ScalarAsync(session, "SELECT '{\"a\":1}'::jsonb ? 'a'"));
        var e = await Assert.ThrowsAsync<EngineException>(() => QueryAsync(session, "SELECT ?, ?", options: new ExecuteOptions { Parameters = [new QueryParameter(1, null, SqlType.Int, 1L)] }));
        Assert.Equal("07001", e.SqlState);
    }

    [Fact]
    public async Task ServerErrorsKeepTheirSqlState()
    {
        await using var session = await OpenAsync();
        async Task<EngineException> Fails(string sql) => await Assert.ThrowsAsync<EngineException>(() => QueryAsync(session, sql));
        Assert.Equal("23505", (await Fails($"INSERT INTO {S}.customers VALUES (1, 'dup')")).SqlState);
        Assert.Equal("42703", (await Fails($"SELECT no_such_column FROM {S}.customers")).SqlState);
        Assert.Equal("22P02", (await Fails("SELECT 'abc'::int")).SqlState);
        // A failure after rows have streamed fails the fetch, and the session goes on.
        var late = await Fails("SELECT 10 / (5000 - i) FROM generate_series(1, 10000) i");
        Assert.Equal("22012", late.SqlState);
        Assert.False(late.Retryable);
        Assert.Equal("0A000", (await Fails("COPY (SELECT 1) TO STDOUT")).SqlState);
        Assert.Equal("1", await ScalarAsync(session, "SELECT 1"));
    }

    [Fact]
    public async Task AnUnreachableServerIsARetryableConnectionError()
    {
        await using var engine = new PostgresEngine(new PostgresEngineOptions { Host = "127.0.0.1", Port = 1, User = "x", Password = "y", ConnectTimeoutSeconds = 5 });
        var e = await Assert.ThrowsAsync<EngineException>(async () => await engine.OpenSessionAsync(new EngineSessionOptions("t"), CancellationToken.None));
        Assert.Equal("08001", e.SqlState);
        Assert.True(e.Retryable);
    }

    [Fact]
    public async Task ABrokenConnectionIsReplacedWithTheSessionSchema()
    {
        await using var session = await OpenAsync(database: S);
        var e = await Assert.ThrowsAsync<EngineException>(() => QueryAsync(session, "SELECT pg_terminate_backend(pg_backend_pid())"));
        Assert.True(e.Retryable, $"{e.SqlState}: {e.Message}");
        Assert.Equal("2", await ScalarAsync(session, "SELECT count(*) FROM customers"));
        Assert.Equal(S, session.CurrentDatabase);
    }

    [Fact]
    public async Task MetadataDescribesKeysViewsCommentsAndDomains()
    {
        await using var session = await OpenAsync();
        var meta = session.Metadata;
        var tables = await meta.GetTablesAsync(null, S, "%", null, CancellationToken.None);
        Assert.Equal(["customers:TABLE", "edge:TABLE", "orders:TABLE", "big_orders:VIEW"], tables.Select(t => $"{t.Name}:{t.TableType}"));
        Assert.Equal("who buys", tables[0].Comment);
        var columns = await meta.GetColumnsAsync(null, S, "orders", null, CancellationToken.None);
        Assert.Equal(["id:bigint", "customer_id:int", "amount:decimal(10,2)", "m:string"], columns.Select(c => $"{c.Name}:{c.Type}"));
        var name = (await meta.GetColumnsAsync(null, S, "customers", "name", CancellationToken.None)).Single();
        Assert.Equal(("full name", false, "'anon'::character varying"), (name.Comment, name.Nullable, name.Default));
        Assert.Equal(SqlType.Varchar(40), name.Type);
        var pk = await meta.GetPrimaryKeysAsync(null, S, "orders", CancellationToken.None);
        Assert.Equal("id", pk.Single().Column);
        var fk = (await meta.GetCrossReferenceAsync(null, S, "customers", null, S, "orders", CancellationToken.None)).Single();
        Assert.Equal(("id", "customer_id", 1), (fk.PkColumn, fk.FkColumn, fk.KeySeq));
        Assert.Equal("customers_pkey", fk.PkName);
        var functions = await meta.GetFunctionsAsync(null, "pg_catalog", "generate_series", CancellationToken.None);
        Assert.True(functions.Single().ReturnsTable);
        Assert.DoesNotContain(await meta.GetSchemasAsync(null, null, CancellationToken.None), s => s.Schema is "pg_catalog" or "information_schema" || s.Schema.StartsWith("pg_temp", StringComparison.Ordinal));

        // The session's temporary tables are listed while nothing streams; metadata during a stream leaves it intact.
        await QueryAsync(session, "CREATE TEMP TABLE scratch (x int)");
        Assert.Contains(await meta.GetTablesAsync(null, null, "scratch", null, CancellationToken.None), t => t.TableType == "LOCAL TEMPORARY");
        await using var streaming = await session.ExecuteAsync("SELECT * FROM generate_series(1, 100000)", ExecuteOptions.Default, CancellationToken.None);
        using (var b = await streaming.ReadBatchAsync(10, CancellationToken.None)) Assert.NotNull(b);
        Assert.NotEmpty(await meta.GetTablesAsync(null, S, "%", null, CancellationToken.None));
        using (var b = await streaming.ReadBatchAsync(10, CancellationToken.None)) Assert.Equal("11", ValueFormatter.Utc.FormatToString(b!.Columns[0], 0));
    }

    [Fact]
    public void OptionsAreValidated()
    {
        Assert.Throws<ArgumentException>(() => new PostgresEngine(new PostgresEngineOptions()));
        Assert.Throws<ArgumentException>(() => new PostgresEngine(new PostgresEngineOptions { Host = "h", Port = 70000 }));
        Assert.Throws<ArgumentException>(() => new PostgresEngine(new PostgresEngineOptions { Host = "h", MaxPoolSize = 0 }));
        Assert.Throws<ArgumentException>(() => new PostgresEngine(new PostgresEngineOptions { ConnectionString = "Nonsense Key=1" }));
    }
}
