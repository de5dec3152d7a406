using Gateway.Engines;

namespace Gateway.Tests.Engines;

/// <summary>The Hive dialect's statements, run on a real DuckDB session as HiveServer2 clients send them.</summary>
public partial class DuckDbEngineTests
{
    private static async Task<IQueryResult> RunAsync(IEngineSession session, string sql) => await session.ExecuteAsync(sql, Options, CancellationToken.None);

    private static async Task ExecAsync(IEngineSession session, string sql)
    {
        await using var r = await RunAsync(session, sql);
        while (await r.ReadBatchAsync(1000, CancellationToken.None) is { } b) b.Dispose();
    }

    private static string[] Names(Gateway.Protocol.Columnar.ResultSchema schema) => [.. schema.Columns.Select(c => c.Name)];

    /// <summary>What SQLAlchemy's hive:// dialect (PyHive, Superset) sends while browsing.</summary>
    [Fact]
    public async Task PyHiveBrowsingStatementsWork()
    {
        await using var session = await OpenAsync();
        await ExecAsync(session, "CREATE SCHEMA IF NOT EXISTS hive_browse; CREATE OR REPLACE TABLE hive_browse.t1 (id INTEGER NOT NULL, name VARCHAR); "
            + "CREATE OR REPLACE VIEW hive_browse.v_one AS SELECT id FROM hive_browse.t1; CREATE OR REPLACE VIEW hive_browse.w_two AS SELECT 1 AS x; "
            + "COMMENT ON TABLE hive_browse.t1 IS 'first table'");

        var (schema, rows) = await QueryAsync(session, "SHOW SCHEMAS");
        Assert.Equal(["database_name"], Names(schema));
        Assert.Contains(["hive_browse"], rows);

        (schema, rows) = await QueryAsync(session, "SHOW TABLES IN hive_browse");
        Assert.Equal(["tab_name"], Names(schema));
        Assert.Equal([["t1"], ["v_one"], ["w_two"]], rows);

        (schema, rows) = await QueryAsync(session, "SHOW VIEWS IN hive_browse");
        Assert.Equal(["tab_name"], Names(schema));
        Assert.Equal([["v_one"], ["w_two"]], rows);
        Assert.Equal([["v_one"]], (await QueryAsync(session, "SHOW VIEWS IN hive_browse LIKE 'v*'")).Rows);

        // PyHive reads DESCRIBE rows up to the first empty or '#' row.
        (schema, rows) = await QueryAsync(session, "DESCRIBE hive_browse.t1");
        Assert.Equal(["col_name", "data_type", "comment"], Names(schema));
        Assert.Equal([["id", "int", null], ["name", "string", null]], rows);

        (_, rows) = await QueryAsync(session, "DESCRIBE FORMATTED `hive_browse`.`t1`");
        Assert.Equal(new string?[][]
        {
            ["id", "int", null], ["name", "string", null], ["", null, null], ["# Detailed Table Information", null, null],
            ["Database:", "hive_browse", null], ["Table:", "t1", null], ["Owner:", "test", null], ["Table Type:", "MANAGED_TABLE", null],
            ["Comment:", "first table", null],
        }, rows);
        (_, rows) = await QueryAsync(session, "DESCRIBE EXTENDED hive_browse.v_one");
        Assert.Contains(["Table Type:", "VIRTUAL_VIEW", null], rows);
        Assert.Contains(rows, r => r[0] == "View Original Text:" && r[1]!.Contains("SELECT id FROM hive_browse.t1", StringComparison.Ordinal));

        (schema, rows) = await QueryAsync(session, "SHOW PARTITIONS hive_browse.t1");
        Assert.Equal(["partition"], Names(schema));
        Assert.Empty(rows);
        var e = await Assert.ThrowsAsync<EngineException>(() => QueryAsync(session, "SHOW PARTITIONS hive_browse.nope"));
        Assert.Equal("42S02", e.SqlState);

        (schema, rows) = await QueryAsync(session, "SHOW CREATE TABLE hive_browse.t1");
        Assert.Equal(["createtab_stmt"], Names(schema));
        Assert.StartsWith("CREATE TABLE hive_browse.t1(id INTEGER NOT NULL, \"name\" VARCHAR", Assert.Single(rows)[0], StringComparison.Ordinal);
        Assert.StartsWith("CREATE VIEW hive_browse.v_one AS SELECT id", Assert.Single((await QueryAsync(session, "SHOW CREATE TABLE hive_browse.V_ONE")).Rows)[0], StringComparison.Ordinal);
        e = await Assert.ThrowsAsync<EngineException>(() => QueryAsync(session, "SHOW CREATE TABLE hive_browse.nope"));
        Assert.Equal("42S02", e.SqlState);

        (schema, rows) = await QueryAsync(session, "SHOW COLUMNS IN t1 IN hive_browse");
        Assert.Equal(["field"], Names(schema));
        Assert.Equal([["id"], ["name"]], rows);
        Assert.Equal([["id"]], (await QueryAsync(session, "SHOW COLUMNS FROM hive_browse.v_one")).Rows);

        (schema, rows) = await QueryAsync(session, "SHOW FUNCTIONS LIKE 'regexp_full*'");
        Assert.Equal(["function"], Names(schema));
        Assert.Equal([["regexp_full_match"]], rows);
        Assert.True((await QueryAsync(session, "SHOW FUNCTIONS")).Rows.Count > 100);

        (schema, rows) = await QueryAsync(session, "DESCRIBE DATABASE EXTENDED hive_browse");
        Assert.Equal(["db_name", "comment", "location", "owner_name", "owner_type", "parameters"], Names(schema));
        Assert.Equal([["hive_browse", "", "", "test", "USER", ""]], rows);
        e = await Assert.ThrowsAsync<EngineException>(() => QueryAsync(session, "DESCRIBE SCHEMA no_such_db"));
        Assert.Equal("42000", e.SqlState);

        (schema, rows) = await QueryAsync(session, "SHOW TBLPROPERTIES hive_browse.t1");
        Assert.Equal(["prpt_name", "prpt_value"], Names(schema));
        Assert.Empty(rows);

        await ExecAsync(session, "USE hive_browse");
        Assert.Equal([["t1"], ["v_one"], ["w_two"]], (await QueryAsync(session, "SHOW TABLES")).Rows);
        Assert.Equal([["id"], ["name"]], (await QueryAsync(session, "SHOW COLUMNS FROM t1")).Rows);
    }

    /// <summary>The statements dbt-spark's macros send over the thrift method, in a model run's order.</summary>
    [Fact]
    public async Task DbtSparkMacrosRun()
    {
        await using var session = await OpenAsync();
        await ExecAsync(session, "drop database if exists dbt_it cascade");
        await ExecAsync(session, "create database if not exists dbt_it comment 'dbt' location '/tmp/dbt_it' with dbproperties ('k'='v')");
        await ExecAsync(session, "create schema if not exists dbt_it");

        await ExecAsync(session, "create or replace table dbt_it.orders\n    using parquet\n    partitioned by (status)\n    location '/mnt/x'\n    comment 'orders'\n"
            + "    tblproperties ('delta.appendOnly'='false')\n  as\n    select 1 as id, \"new\" as status union all select 2, 'it\\'s done'");
        await ExecAsync(session, "create or replace view dbt_it.orders_v comment 'v' as select id from dbt_it.orders");
        await ExecAsync(session, "create temporary view orders__dbt_tmp as select 3 as id, 'late' as status");
        // dbt re-creates the temporary relation on the next run.
        await ExecAsync(session, "create temporary view orders__dbt_tmp as select 3 as id, 'late' as status");

        var (schema, rows) = await QueryAsync(session, "show table extended in dbt_it like '*'");
        Assert.Equal(["namespace", "tableName", "isTemporary", "information"], Names(schema));
        Assert.Equal(["orders", "orders_v"], rows.Select(r => r[1]));
        Assert.All(rows, r => Assert.Equal(("dbt_it", "false"), (r[0], r[2])));
        Assert.Equal("Database: dbt_it\nTable: orders\nOwner: test\nType: MANAGED\nProvider: duckdb\nSchema: root\n |-- id: int (nullable = true)\n |-- status: string (nullable = true)\n", rows[0][3]);
        Assert.Contains("Type: VIEW\n", rows[1][3], StringComparison.Ordinal);
        Assert.DoesNotContain("Type: MANAGED", rows[1][3], StringComparison.Ordinal);
        Assert.Equal(["orders_v"], (await QueryAsync(session, "show table extended in dbt_it like '*_v'")).Rows.Select(r => r[1]));

        // Incremental: the temporary relation's columns, then overwrite or append.
        (_, rows) = await QueryAsync(session, "describe extended orders__dbt_tmp");
        Assert.Equal([["id", "int", null], ["status", "string", null]], rows.TakeWhile(r => r[0] != "").ToList());
        await using (var r = await RunAsync(session, "insert into table dbt_it.orders select * from orders__dbt_tmp"))
        {
            Assert.False(r.HasRows);
            Assert.Equal(1, r.AffectedRows);
        }
        Assert.Equal([["1", "new"], ["2", "it's done"], ["3", "late"]], (await QueryAsync(session, "select * from dbt_it.orders order by id")).Rows);
        await using (var r = await RunAsync(session, "insert overwrite table dbt_it.orders select * from orders__dbt_tmp"))
        {
            Assert.Equal(1, r.AffectedRows);
        }
        Assert.Equal([["3", "late"]], (await QueryAsync(session, "select * from dbt_it.orders")).Rows);

        // A seed: dbt-spark creates the table, then PyHive inlines the rows with backslash escapes.
        await ExecAsync(session, "create table dbt_it.seed (name string, n bigint) using csv");
        await ExecAsync(session, @"insert overwrite table dbt_it.seed values ('O\'Brien', 1), ('tab\there', 2)");
        await ExecAsync(session, @"insert overwrite table dbt_it.seed values ('O\'Brien', 1), ('tab\there', 2), ('back\\slash', 3)");
        Assert.Equal([["O'Brien", "1"], ["tab\there", "2"], ["back\\slash", "3"]], (await QueryAsync(session, "select * from dbt_it.seed order by n")).Rows);

        await ExecAsync(session, "alter table dbt_it.orders rename to dbt_it.orders_old");
        Assert.Equal([["orders_old"], ["orders_v"], ["seed"]], (await QueryAsync(session, "show tables in dbt_it")).Rows);

        foreach (var noOp in new[] { "refresh table dbt_it.orders_old", "analyze table dbt_it.orders_old compute statistics", "msck repair table dbt_it.orders_old",
            "cache table dbt_it.orders_old", "uncache table dbt_it.orders_old", "clear cache", "alter table dbt_it.orders_old set tblproperties ('a'='b')" })
        {
            await using var r = await RunAsync(session, noOp);
            Assert.False(r.HasRows);
            Assert.Null(await r.ReadBatchAsync(10, CancellationToken.None));
        }

        await ExecAsync(session, "drop database if exists dbt_it cascade");
        Assert.DoesNotContain(["dbt_it"], (await QueryAsync(session, "SHOW DATABASES")).Rows);
    }

    [Fact]
    public async Task CreateTableWithHiveColumnsAndPartitions()
    {
        await using var session = await OpenAsync();
        await ExecAsync(session, "CREATE SCHEMA IF NOT EXISTS hive_ddl; DROP TABLE IF EXISTS hive_ddl.events");
        await ExecAsync(session, "CREATE TABLE hive_ddl.events (id BIGINT COMMENT 'key', payload STRING) PARTITIONED BY (dt STRING) STORED AS ORC TBLPROPERTIES ('x'='y')");
        await ExecAsync(session, "INSERT INTO TABLE hive_ddl.events VALUES (1, \"a\\tb\", '2024-01-01')");
        var (_, rows) = await QueryAsync(session, "DESCRIBE hive_ddl.events");
        Assert.Equal([["id", "bigint", null], ["payload", "string", null], ["dt", "string", null]], rows);
        Assert.Equal("a\tb", await ScalarAsync(session, "SELECT payload FROM `hive_ddl`.`events`"));
    }

    [Fact]
    public async Task HiveLiteralsMeanWhatHiveMeans()
    {
        await using var session = await OpenAsync();
        var (_, rows) = await QueryAsync(session,
            @"SELECT 'it\'s', ""double"", 'a\tb', '\\', 'caf\u00e9', 'o''k', length('\0x'), regexp_extract('v12.5', '\d+\.\d', 0), r'\n', E'x\ty', $$\n$$");
        Assert.Equal(new string?[] { "it's", "double", "a\tb", "\\", "café", "o'k", "2", "12.5", "\\n", "x\ty", "\\n" }, rows.Single());

        (_, rows) = await QueryAsync(session,
            @"SELECT 'a_b' LIKE 'a\_b', 'aXb' LIKE 'a\_b', '100%' LIKE '100\%', '1000' LIKE '100\%', 'A_B' ILIKE ""a\_b"", 'aXb' LIKE 'a_b'");
        Assert.Equal(new string?[] { "true", "false", "true", "false", "true", "true" }, rows.Single());
    }

    [Fact]
    public async Task ClientExtrasAnswer()
    {
        await using var session = await OpenAsync();
        var (schema, rows) = await QueryAsync(session, "SHOW CURRENT ROLES");
        Assert.Equal(["role_name"], Names(schema));
        Assert.Equal([["public"]], rows);
        Assert.Equal([["public"]], (await QueryAsync(session, "SHOW ROLES")).Rows);
        Assert.StartsWith("v1.", await ScalarAsync(session, "SELECT version()"), StringComparison.Ordinal);
        Assert.Equal("main", await ScalarAsync(session, "SELECT current_database()"));
        Assert.Equal("true", await ScalarAsync(session, "SELECT current_timestamp() <= current_timestamp"));
        await ExecAsync(session, "CREATE OR REPLACE TABLE main.hive_default_t AS SELECT 5 AS v");
        Assert.Equal("5", await ScalarAsync(session, "SELECT v FROM default.hive_default_t"));
        Assert.Equal("5", await ScalarAsync(session, "SELECT `default`.`hive_default_t`.`v` FROM `default`.`hive_default_t`"));
        // Hive's digit-leading names reach DuckDB quoted; DuckDB's 1_000_000 stays a number.
        await ExecAsync(session, "CREATE TABLE default.2024_sales STORED AS ORC AS SELECT 1_000_000 AS n");
        Assert.Equal("1000000", await ScalarAsync(session, "SELECT n FROM default.2024_sales"));
        Assert.Equal("1000000", await ScalarAsync(session, "SELECT `2024_sales`.n FROM 2024_sales"));

        (schema, rows) = await QueryAsync(session, "EXPLAIN SELECT count(*) FROM demo.sales");
        Assert.Equal(["explain_key", "explain_value"], Names(schema));
        Assert.Contains("SEQ_SCAN", rows.Single()[1], StringComparison.Ordinal);
        Assert.NotEmpty((await QueryAsync(session, "EXPLAIN EXTENDED SELECT 1")).Rows);

        foreach (var sql in new[] { "ADD JAR /tmp/udf.jar", "LIST JARS", "DELETE FILE /tmp/x.txt" })
        {
            var e = await Assert.ThrowsAsync<EngineException>(() => QueryAsync(session, sql));
            Assert.Equal("0A000", e.SqlState);
            Assert.Contains("not supported by the embedded DuckDB engine", e.Message, StringComparison.Ordinal);
        }
        Assert.Equal("1", await ScalarAsync(session, "SELECT 1"));
    }

    /// <summary>DuckDB SQL that avoids Hive's constructs runs as DuckDB SQL.</summary>
    [Theory]
    [InlineData("WITH a AS (SELECT 1 AS x) SELECT sum(x) OVER (ORDER BY x ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)::VARCHAR FROM a", "1")]
    [InlineData("SELECT list_transform([1, 2], x -> x + 1)[2] -- SHOW TABLES `x`", "3")]
    [InlineData("SELECT /* DESCRIBE t */ 'SHOW DATABASES; USE x'", "SHOW DATABASES; USE x")]
    [InlineData("SELECT count(*) FILTER (WHERE channel = 'online') > 0 FROM demo.sales", "true")]
    public async Task DuckDbNativeSqlRuns(string sql, string expected)
    {
        await using var session = await OpenAsync();
        Assert.Equal(expected, await ScalarAsync(session, sql));
    }
}
