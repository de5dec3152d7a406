using Gateway.Engines.DuckDb;

namespace Gateway.Tests.Unit;

public class HiveDialectUnitTests
{
    [Theory]
    [InlineData("SELECT `a` FROM `t`", "SELECT \"a\" FROM \"t\"")]
    [InlineData("SELECT `my col`, `db`.`tbl`.`c` FROM `db`.`tbl`", "SELECT \"my col\", \"db\".\"tbl\".\"c\" FROM \"db\".\"tbl\"")]
    [InlineData("SELECT `a``b`", "SELECT \"a`b\"")]
    [InlineData("SELECT `say \"hi\"`", "SELECT \"say \"\"hi\"\"\"")]
    [InlineData("SELECT '`not` an identifier'", "SELECT '`not` an identifier'")]
    [InlineData("SELECT 'it''s `x`', `y`", "SELECT 'it''s `x`', \"y\"")]
    [InlineData("SELECT \"dq `x`\" FROM t", "SELECT 'dq `x`' FROM t")]
    [InlineData("SELECT 1 -- `comment`\nFROM `t`", "SELECT 1 -- `comment`\nFROM \"t\"")]
    [InlineData("SELECT /* `block` */ `c`", "SELECT /* `block` */ \"c\"")]
    // Comments end where DuckDB, which runs the text, ends them: '--' at a bare \r too, block comments nested.
    [InlineData("SELECT 1 -- `comment`\rFROM `t`", "SELECT 1 -- `comment`\rFROM \"t\"")]
    [InlineData("SELECT /* a /* `b` */ `c` */ `d`", "SELECT /* a /* `b` */ `c` */ \"d\"")]
    [InlineData("SELECT `unterminated", "SELECT `unterminated")]
    [InlineData("", "")]
    public void BackticksBecomeDoubleQuotesOutsideLiteralsAndComments(string hive, string duck) =>
        Assert.Equal(duck, HiveDialect.Translate(hive).Sql);

    [Theory]
    [InlineData("SELECT current_database()", "SELECT current_schema()")]
    [InlineData("select CURRENT_DATABASE ( )", "select current_schema ( )")]
    [InlineData("SELECT 'current_database()'", "SELECT 'current_database()'")]
    [InlineData("SELECT current_database FROM t", "SELECT current_database FROM t")]
    [InlineData("SELECT x.current_database() FROM t", "SELECT x.current_database() FROM t")]
    [InlineData("SELECT current_timestamp()", "SELECT get_current_timestamp()")]
    [InlineData("SELECT current_timestamp, 'current_timestamp()'", "SELECT current_timestamp, 'current_timestamp()'")]
    public void CurrentDatabaseIsTheCurrentSchema(string hive, string duck) =>
        Assert.Equal(duck, HiveDialect.Translate(hive).Sql);

    [Theory]
    [InlineData("SHOW DATABASES")]
    [InlineData("show schemas;")]
    [InlineData("  SHOW DATABASES ; -- trailing comment")]
    public void ShowDatabasesListsSchemasAsDatabaseName(string hive)
    {
        var t = HiveDialect.Translate(hive);
        Assert.Equal(HiveStatementKind.Sql, t.Kind);
        Assert.StartsWith("SELECT schema_name AS database_name FROM information_schema.schemata", t.Sql, StringComparison.Ordinal);
        Assert.DoesNotContain("regexp", t.Sql, StringComparison.Ordinal);
    }

    [Fact]
    public void ShowDatabasesLikeUsesHivePattern()
    {
        var t = HiveDialect.Translate("SHOW DATABASES LIKE 'sa*|demo'");
        Assert.Contains("regexp_full_match(schema_name, '(?i)(?:sa.*|demo)')", t.Sql, StringComparison.Ordinal);
        // Without LIKE, Hive accepts the bare pattern too.
        Assert.Contains("'(?i)(?:x.*)'", HiveDialect.Translate("SHOW SCHEMAS 'x*'").Sql, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a*|b", "(?i)(?:a.*|b)")]
    [InlineData("a.b", "(?i)(?:a\\.b)")]
    [InlineData(" x | y* ", "(?i)(?:x|y.*)")]
    [InlineData("it's", "(?i)(?:it\\'s)")]
    public void HivePatternsBecomeRegexes(string pattern, string regex) => Assert.Equal(regex, HiveDialect.HivePatternToRegex(pattern));

    [Fact]
    public void QuotesInPatternsStayInsideTheLiteral()
    {
        var t = HiveDialect.Translate("SHOW TABLES LIKE 'o''x'");
        Assert.Contains("'(?i)(?:o\\''x)'", t.Sql, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("SHOW TABLES", "table_schema = current_schema()", null)]
    [InlineData("SHOW TABLES IN demo", "table_schema = 'demo'", null)]
    [InlineData("show tables from `demo`", "table_schema = 'demo'", null)]
    [InlineData("SHOW TABLES IN default", "table_schema = 'main'", null)]
    [InlineData("SHOW TABLES 'sa*'", "table_schema = current_schema()", "'(?i)(?:sa.*)'")]
    [InlineData("SHOW TABLES IN demo LIKE 'sa*|st*'", "table_schema = 'demo'", "'(?i)(?:sa.*|st.*)'")]
    [InlineData("SHOW TABLES FROM `we'ird`", "table_schema = 'we''ird'", null)]
    [InlineData("SHOW TABLES \"sa*\"", "table_schema = current_schema()", "'(?i)(?:sa.*)'")]
    public void ShowTablesReturnsTabName(string hive, string schemaFilter, string? regex)
    {
        var t = HiveDialect.Translate(hive);
        Assert.Equal(HiveStatementKind.Sql, t.Kind);
        Assert.StartsWith("SELECT table_name AS tab_name FROM information_schema.tables", t.Sql, StringComparison.Ordinal);
        Assert.Contains(schemaFilter, t.Sql, StringComparison.Ordinal);
        if (regex is null) Assert.DoesNotContain("regexp", t.Sql, StringComparison.Ordinal);
        else Assert.Contains(regex, t.Sql, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("DESCRIBE sales", null, null, "sales")]
    [InlineData("desc demo.sales", null, "demo", "sales")]
    [InlineData("DESCRIBE EXTENDED demo.sales;", null, "demo", "sales")]
    [InlineData("DESCRIBE FORMATTED `demo`.`my table`", null, "demo", "my table")]
    [InlineData("DESC memory.demo.sales", "memory", "demo", "sales")]
    [InlineData("DESCRIBE default.t", null, "main", "t")]
    [InlineData("DESCRIBE extended", null, null, "extended")]
    public void DescribeNamesTheTable(string hive, string? catalog, string? schema, string table)
    {
        var t = HiveDialect.Translate(hive);
        Assert.Equal(HiveStatementKind.Describe, t.Kind);
        Assert.Equal(catalog, t.Catalog);
        Assert.Equal(schema, t.Schema);
        Assert.Equal(table, t.Table);
    }

    [Theory]
    [InlineData("DESCRIBE default.t", "default.t")]
    [InlineData("DESCRIBE FORMATTED `my db`.`t`", "my db.t")]
    [InlineData("DESC memory.demo.sales", "memory.demo.sales")]
    public void DescribeKeepsTheNameAsWritten(string hive, string name) => Assert.Equal(name, HiveDialect.Translate(hive).ObjectName);

    [Theory]
    [InlineData("DESCRIBE SELECT 1")]
    [InlineData("DESCRIBE t c")]
    [InlineData("DESCRIBE FUNCTION upper")]
    [InlineData("DESCRIBE a.b.c.d")]
    public void OtherDescribeFormsPassThrough(string hive)
    {
        var t = HiveDialect.Translate(hive);
        Assert.Equal(HiveStatementKind.Sql, t.Kind);
        Assert.Equal(hive, t.Sql);
    }

    [Theory]
    [InlineData("USE demo", "USE \"demo\"")]
    [InlineData("use `my db`;", "USE \"my db\"")]
    [InlineData("USE default", "USE \"main\"")]
    [InlineData("USE memory.demo", "USE \"memory\".\"demo\"")]
    public void UseSwitchesSchema(string hive, string duck)
    {
        var t = HiveDialect.Translate(hive);
        Assert.Equal(duck, t.Sql);
        Assert.True(t.ChangesDatabase);
    }

    [Theory]
    [InlineData("SET hive.exec.dynamic.partition=true")]
    [InlineData("SHOW TABLES; SELECT 1")]
    [InlineData("SELECT * FROM t WHERE a = 'SHOW TABLES'")]
    [InlineData("SHOW GRANT")]
    [InlineData("DELETE FROM t WHERE a = 1")]
    [InlineData("CREATE SCHEMA IF NOT EXISTS x")]
    [InlineData("CREATE OR REPLACE TABLE t AS SELECT 1 AS a")]
    [InlineData("CREATE TEMP TABLE t (a INTEGER)")]
    [InlineData("CREATE OR REPLACE VIEW v AS SELECT 1")]
    [InlineData("INSERT INTO t SELECT 1")]
    [InlineData("ALTER TABLE s.x RENAME TO y")]
    [InlineData("DROP SCHEMA IF EXISTS x CASCADE")]
    [InlineData("ANALYZE")]
    [InlineData("EXPLAIN SELECT 1")]
    [InlineData("EXPLAIN ANALYZE SELECT 1")]
    [InlineData("SELECT version()")]
    public void EverythingElsePassesThrough(string sql)
    {
        var t = HiveDialect.Translate(sql);
        Assert.Equal(HiveStatementKind.Sql, t.Kind);
        Assert.Equal(sql, t.Sql);
        Assert.False(t.ChangesDatabase);
    }

    [Fact]
    public void CommentsBeforeACommandAreIgnored()
    {
        var t = HiveDialect.Translate("/* dbeaver */ -- x\nSHOW TABLES");
        Assert.StartsWith("SELECT table_name AS tab_name", t.Sql, StringComparison.Ordinal);
    }
    /// <summary>DuckDB SQL that uses no Hive construct must reach DuckDB byte for byte.</summary>
    public static TheoryData<string> DuckDbNativeCorpus() =>
    [
        "SELECT 1",
        "WITH a AS (SELECT 1 AS x), b AS (SELECT x + 1 AS y FROM a) SELECT * FROM a, b",
        "SELECT region, sum(amount) OVER (PARTITION BY region ORDER BY sale_date ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM demo.sales",
        "SELECT row_number() OVER w, rank() OVER w FROM t WINDOW w AS (ORDER BY a DESC NULLS LAST) QUALIFY row_number() OVER w < 3",
        "SELECT '2024-01-01'::DATE + INTERVAL 1 DAY, 3.5::DECIMAL(4,1), x::VARCHAR[] FROM t",
        "SELECT list_transform([1, 2, 3], x -> x + 1), list_filter(l, (x, i) -> x > i) FROM t",
        "SELECT {'a': 1, 'b': [1, 2]} AS s, map([1], ['x']) AS m, s.a FROM t",
        "SELECT 'SHOW TABLES' AS a, 'it''s -- not a comment' AS b, 'DESCRIBE t; USE x' AS c",
        "SELECT 1 -- SHOW TABLES `x` \"y\" 'z\n",
        "/* INSERT OVERWRITE TABLE t `x` \"y\" '\\n' */ SELECT 2",
        "SELECT * FROM t WHERE name LIKE 'a%' AND code NOT ILIKE '_b%' ESCAPE '!'",
        "SELECT $$it's \\n \"raw\"$$, $tag$ ' $tag$",
        "SELECT E'a\\tb', e'c\\'d'",
        "SELECT count(*) FILTER (WHERE a > 1), a // 2, a ** 2, 2 ^ 3 FROM t GROUP BY ALL ORDER BY ALL",
        "FROM t SELECT a, b",
        "SELECT * EXCLUDE (a) REPLACE (b + 1 AS b) FROM t",
        "PIVOT t ON a USING sum(b)",
        "SELECT 1; SELECT 2;",
        "CREATE OR REPLACE TABLE t AS SELECT range AS i FROM range(10)",
        "INSERT INTO t BY NAME SELECT 1 AS a",
        "UPDATE t SET a = 1 WHERE b = 'x'",
        "SELECT current_date, current_timestamp, current_schema()",
        "COPY t TO 'out.parquet' (FORMAT parquet)",
        "SELECT x.default FROM t x",
        "SELECT 1_000_000 AS n",
    ];

    [Theory]
    [MemberData(nameof(DuckDbNativeCorpus))]
    public void DuckDbNativeSqlIsLeftUnchanged(string sql)
    {
        var t = HiveDialect.Translate(sql);
        Assert.Equal(HiveStatementKind.Sql, t.Kind);
        Assert.Equal(sql, t.Sql);
    }

    [Theory]
    [InlineData(@"SELECT 'it\'s'", "SELECT 'it''s'")]
    [InlineData(@"SELECT 'a\tb', 'c\nd', 'e\rf'", "SELECT 'a\tb', 'c\nd', 'e\rf'")]
    [InlineData(@"SELECT '\\'", @"SELECT '\'")]
    [InlineData(@"SELECT 'a\\\\b'", @"SELECT 'a\\b'")]
    [InlineData(@"SELECT 'say \""hi\""'", "SELECT 'say \"hi\"'")]
    [InlineData(@"SELECT 'caf\u00e9 \u2603'", "SELECT 'café ☃'")]
    [InlineData(@"SELECT '\U0001F600'", "SELECT '😀'")]
    [InlineData(@"SELECT '\101\060'", "SELECT 'A0'")]
    [InlineData(@"SELECT '\Z\b'", "SELECT '\u001A\b'")]
    [InlineData(@"SELECT '\u12'", @"SELECT '\u12'")]
    [InlineData(@"SELECT 'a\0b'", "SELECT ('a' || chr(0) || 'b')")]
    [InlineData(@"SELECT 'o''k\n'", "SELECT 'o''k\n'")]
    public void BackslashEscapesBecomeDuckDbLiterals(string hive, string duck) => Assert.Equal(duck, HiveDialect.Translate(hive).Sql);

    [Theory]
    [InlineData(@"SELECT regexp_extract(s, '\d+(\.\d+)?', 0)", @"SELECT regexp_extract(s, '\d+(\.\d+)?', 0)")]
    [InlineData(@"SELECT regexp_extract(s, '\\d+', 0)", @"SELECT regexp_extract(s, '\d+', 0)")]
    [InlineData(@"SELECT '\xAA\xBB'::BLOB", @"SELECT '\xAA\xBB'::BLOB")]
    [InlineData(@"SELECT 'C:\data'", @"SELECT 'C:\data'")]
    public void UnknownEscapesKeepTheirBackslash(string hive, string duck) => Assert.Equal(duck, HiveDialect.Translate(hive).Sql);

    [Theory]
    [InlineData("SELECT \"abc\"", "SELECT 'abc'")]
    [InlineData("SELECT * FROM t WHERE name = \"it's\"", "SELECT * FROM t WHERE name = 'it''s'")]
    [InlineData("SELECT \"a\\\"b\", \"c\"\"d\"", "SELECT 'a\"b', 'c\"d'")]
    [InlineData("SELECT concat(`col`, \"-\", 'x') FROM `t`", "SELECT concat(\"col\", '-', 'x') FROM \"t\"")]
    [InlineData("SELECT r'\\d+', R\"a\\n\"", "SELECT '\\d+', 'a\\n'")]
    [InlineData("SELECT \"unterminated", "SELECT \"unterminated")]
    public void DoubleQuotedTextIsAStringLiteral(string hive, string duck) => Assert.Equal(duck, HiveDialect.Translate(hive).Sql);

    [Theory]
    [InlineData(@"SELECT * FROM t WHERE a LIKE 'x\_y%'", @"SELECT * FROM t WHERE a LIKE 'x\_y%' ESCAPE '\'")]
    [InlineData(@"SELECT * FROM t WHERE a NOT LIKE '100\%'", @"SELECT * FROM t WHERE a NOT LIKE '100\%' ESCAPE '\'")]
    [InlineData(@"SELECT * FROM t WHERE a ilike ""x\_y""", @"SELECT * FROM t WHERE a ilike 'x\_y' ESCAPE '\'")]
    [InlineData(@"SELECT * FROM t WHERE a LIKE 'x\\\\\_'", @"SELECT * FROM t WHERE a LIKE 'x\\\_' ESCAPE '\'")]
    [InlineData(@"SELECT * FROM t WHERE a LIKE 'x\_' ESCAPE '!'", @"SELECT * FROM t WHERE a LIKE 'x\_' ESCAPE '!'")]
    [InlineData(@"SELECT * FROM t WHERE a LIKE 'x\d\_'", @"SELECT * FROM t WHERE a LIKE 'x\d\_'")]
    [InlineData(@"SELECT * FROM t WHERE a = 'x\_'", @"SELECT * FROM t WHERE a = 'x\_'")]
    public void LikePatternsWithHiveEscapesGetAnEscapeClause(string hive, string duck) => Assert.Equal(duck, HiveDialect.Translate(hive).Sql);

    [Theory]
    [InlineData("SELECT * FROM default.t", "SELECT * FROM main.t")]
    [InlineData("SELECT `default`.`t`.a FROM `default`.`t`", "SELECT main.\"t\".a FROM main.\"t\"")]
    [InlineData("SELECT DEFAULT FROM t", "SELECT DEFAULT FROM t")]
    public void DefaultDatabaseIsMain(string hive, string duck) => Assert.Equal(duck, HiveDialect.Translate(hive).Sql);

    [Theory]
    [InlineData("SHOW VIEWS", "schema_name = current_schema()", null)]
    [InlineData("SHOW VIEWS IN demo LIKE 'v*'", "schema_name = 'demo'", "'(?i)(?:v.*)'")]
    [InlineData("show views from default", "schema_name = 'main'", null)]
    public void ShowViewsListsOnlyViews(string hive, string schemaFilter, string? regex)
    {
        var t = HiveDialect.Translate(hive);
        Assert.StartsWith("SELECT view_name AS tab_name FROM duckdb_views() WHERE NOT internal", t.Sql, StringComparison.Ordinal);
        Assert.Contains(schemaFilter, t.Sql, StringComparison.Ordinal);
        if (regex is null) Assert.DoesNotContain("regexp", t.Sql, StringComparison.Ordinal);
        else Assert.Contains(regex, t.Sql, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("SHOW PARTITIONS demo.sales", "SELECT CAST(NULL AS VARCHAR) AS \"partition\" FROM (SELECT * FROM \"demo\".\"sales\" LIMIT 0)")]
    [InlineData("SHOW PARTITIONS `t` PARTITION (dt='2024')", "SELECT CAST(NULL AS VARCHAR) AS \"partition\" FROM (SELECT * FROM \"t\" LIMIT 0)")]
    [InlineData("SHOW TBLPROPERTIES default.t", "SELECT CAST(NULL AS VARCHAR) AS prpt_name, CAST(NULL AS VARCHAR) AS prpt_value FROM (SELECT * FROM \"main\".\"t\" LIMIT 0)")]
    [InlineData("SHOW TBLPROPERTIES t('comment')", "SELECT CAST(NULL AS VARCHAR) AS prpt_name, CAST(NULL AS VARCHAR) AS prpt_value FROM (SELECT * FROM \"t\" LIMIT 0)")]
    [InlineData("SHOW COLUMNS IN demo.sales", "SELECT column_name AS field FROM (DESCRIBE \"demo\".\"sales\") WHERE true")]
    [InlineData("SHOW COLUMNS FROM sales IN demo", "SELECT column_name AS field FROM (DESCRIBE \"demo\".\"sales\") WHERE true")]
    [InlineData("SHOW COLUMNS FROM sales FROM default LIKE 'a*'", "SELECT column_name AS field FROM (DESCRIBE \"main\".\"sales\") WHERE true AND regexp_full_match(column_name, '(?i)(?:a.*)')")]
    [InlineData("SHOW CURRENT ROLES", "SELECT 'public' AS role_name")]
    [InlineData("show roles;", "SELECT 'public' AS role_name")]
    [InlineData("SHOW FUNCTIONS", "SELECT DISTINCT function_name AS \"function\" FROM duckdb_functions() WHERE true ORDER BY 1")]
    [InlineData("SHOW FUNCTIONS LIKE 'str*'", "SELECT DISTINCT function_name AS \"function\" FROM duckdb_functions() WHERE true AND regexp_full_match(function_name, '(?i)(?:str.*)') ORDER BY 1")]
    [InlineData("SHOW USER FUNCTIONS", "SELECT DISTINCT function_name AS \"function\" FROM duckdb_functions() WHERE true AND NOT internal ORDER BY 1")]
    [InlineData("SHOW ALL FUNCTIONS \"x*\"", "SELECT DISTINCT function_name AS \"function\" FROM duckdb_functions() WHERE true AND regexp_full_match(function_name, '(?i)(?:x.*)') ORDER BY 1")]
    public void ShowCommandsBecomeQueriesInHiveShape(string hive, string duck)
    {
        var t = HiveDialect.Translate(hive);
        Assert.Equal(HiveStatementKind.Sql, t.Kind);
        Assert.Equal(duck, t.Sql);
    }

    [Theory]
    [InlineData("SHOW CREATE TABLE demo.sales", "lower(schema_name) = lower('demo') AND (database_name = current_database() OR temporary)", "\"demo\".\"sales\"")]
    [InlineData("SHOW CREATE TABLE t", "lower(schema_name) = lower(current_schema()) AND (database_name = current_database() OR temporary)", "FROM \"t\" LIMIT 0")]
    [InlineData("SHOW CREATE TABLE memory.default.t AS SERDE", "lower(schema_name) = lower('main') AND database_name = 'memory'", "\"memory\".\"main\".\"t\"")]
    public void ShowCreateTableReadsDuckDbDdl(string hive, string filter, string checkedName)
    {
        var t = HiveDialect.Translate(hive);
        Assert.StartsWith("SELECT sql AS createtab_stmt FROM (", t.Sql, StringComparison.Ordinal);
        Assert.Contains(filter, t.Sql, StringComparison.Ordinal);
        Assert.Contains("(SELECT count(*) FROM (SELECT * FROM " + checkedName.Replace("FROM ", "", StringComparison.Ordinal), t.Sql, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("SHOW TABLE EXTENDED IN demo LIKE '*'", "demo", "(?i)(?:.*)")]
    [InlineData("show table extended in `my_schema` like 'a*|b'", "my_schema", "(?i)(?:a.*|b)")]
    [InlineData("SHOW TABLE EXTENDED LIKE \"sales\"", null, "(?i)(?:sales)")]
    [InlineData("SHOW TABLE EXTENDED FROM default LIKE 't' PARTITION (dt = '1')", "main", "(?i)(?:t)")]
    public void ShowTableExtendedIsAnsweredBySpark(string hive, string? schema, string regex)
    {
        var t = HiveDialect.Translate(hive);
        Assert.Equal(HiveStatementKind.ShowTableExtended, t.Kind);
        Assert.Equal(schema, t.Schema);
        Assert.Equal(regex, t.Pattern);
    }

    [Theory]
    [InlineData("SHOW TABLE EXTENDED IN demo")]
    [InlineData("SHOW TABLE EXTENDED IN demo LIKE")]
    [InlineData("SHOW PARTITIONS")]
    [InlineData("SHOW COLUMNS t")]
    [InlineData("SHOW CREATE TABLE")]
    public void IncompleteShowCommandsPassThrough(string hive)
    {
        var t = HiveDialect.Translate(hive);
        Assert.Equal(HiveStatementKind.Sql, t.Kind);
        Assert.Equal(hive, t.Sql);
    }

    [Theory]
    [InlineData("DESCRIBE EXTENDED demo.sales", true, "demo", "sales")]
    [InlineData("DESCRIBE FORMATTED sales", true, null, "sales")]
    [InlineData("DESCRIBE TABLE EXTENDED `demo`.`sales`", true, "demo", "sales")]
    [InlineData("DESCRIBE TABLE sales", false, null, "sales")]
    [InlineData("DESCRIBE sales", false, null, "sales")]
    public void DescribeExtendedAddsTheTrailer(string hive, bool extended, string? schema, string table)
    {
        var t = HiveDialect.Translate(hive);
        Assert.Equal(HiveStatementKind.Describe, t.Kind);
        Assert.Equal((extended, schema, table), (t.Extended, t.Schema, t.Table));
    }

    [Theory]
    [InlineData("DESCRIBE DATABASE demo", "demo")]
    [InlineData("desc schema extended `demo`", "demo")]
    [InlineData("DESCRIBE DATABASE default", "main")]
    [InlineData("DESCRIBE DATABASE extended", "extended")]
    public void DescribeDatabaseNamesTheSchema(string hive, string schema)
    {
        var t = HiveDialect.Translate(hive);
        Assert.Equal(HiveStatementKind.DescribeDatabase, t.Kind);
        Assert.Equal(schema, t.Schema);
    }

    [Theory]
    [InlineData("create database if not exists analytics", "create SCHEMA if not exists analytics")]
    [InlineData("CREATE DATABASE x COMMENT 'c' LOCATION '/tmp/x' WITH DBPROPERTIES ('a'='b', 'c'='d')", "CREATE SCHEMA x")]
    [InlineData("CREATE SCHEMA IF NOT EXISTS `my db` LOCATION \"s3://b/p\"", "CREATE SCHEMA IF NOT EXISTS \"my db\"")]
    [InlineData("drop database if exists analytics cascade", "drop SCHEMA if exists analytics cascade")]
    [InlineData("DROP DATABASE x RESTRICT", "DROP SCHEMA x RESTRICT")]
    public void DatabasesAreSchemas(string hive, string duck) => Assert.Equal(duck, HiveDialect.Translate(hive).Sql);

    [Theory]
    [InlineData("create or replace table s.t using delta partitioned by (dt) location '/mnt/x' comment 'c' tblproperties ('a'='b') as select 1 as dt",
        "create or replace table s.t as select 1 as dt")]
    [InlineData("create table `s`.`t`\n  using parquet\n  options (path '/x', 'compression'='snappy')\n  clustered by (a) sorted by (a) into 4 buckets\nas\n  select * from `src`",
        "create table \"s\".\"t\"\nas\n  select * from \"src\"")]
    [InlineData("CREATE TABLE t USING parquet SELECT 1 AS a", "CREATE TABLE t AS SELECT 1 AS a")]
    [InlineData("CREATE TABLE IF NOT EXISTS default.t (a INT COMMENT 'the a', b STRING) STORED AS ORC", "CREATE TABLE IF NOT EXISTS main.t (a INT, b STRING)")]
    [InlineData("CREATE TABLE t (a INT) PARTITIONED BY (dt STRING, h DECIMAL(2,0)) STORED AS PARQUET", "CREATE TABLE t (a INT, dt STRING, h DECIMAL(2,0))")]
    [InlineData("CREATE TEMPORARY TABLE t (a INT) USING parquet", "CREATE TEMPORARY TABLE t (a INT)")]
    [InlineData("create table t using iceberg partitioned by (years(ts), bucket(4, id)) as select 1", "create table t as select 1")]
    [InlineData("create or replace view v comment 'docs' tblproperties ('x'='y') as select 1", "create or replace view v as select 1")]
    [InlineData("create temporary view v__dbt_tmp as select * from t", "create OR REPLACE TEMP view v__dbt_tmp as select * from t")]
    [InlineData("CREATE OR REPLACE TEMPORARY VIEW v AS SELECT 1", "CREATE OR REPLACE TEMP VIEW v AS SELECT 1")]
    [InlineData("CREATE GLOBAL TEMPORARY VIEW v AS SELECT \"x\"", "CREATE OR REPLACE TEMP VIEW v AS SELECT 'x'")]
    // A bucket count of more than one digit is one number token (the dialect layer lexes with the shared lexer).
    [InlineData("create table t using parquet clustered by (a) into 16 buckets as select 1 as a", "create table t as select 1 as a")]
    // Hive's digit-leading names and optimizer hints: a name, and a comment copied as written.
    [InlineData("CREATE TABLE default.2024_sales STORED AS ORC AS SELECT /*+ REPARTITION(4) */ 1", "CREATE TABLE main.\"2024_sales\" AS SELECT /*+ REPARTITION(4) */ 1")]
    public void CreateTableDropsStorageClauses(string hive, string duck) => Assert.Equal(duck, HiveDialect.Translate(hive).Sql);

    [Theory]
    [InlineData("CREATE EXTERNAL TABLE t (a INT) LOCATION '/x'")]
    [InlineData("CREATE TABLE t (a INT) ROW FORMAT DELIMITED FIELDS TERMINATED BY ','")]
    [InlineData("CREATE TABLE t USING parquet PARTITIONED BY (dt STRING) AS SELECT 1")]
    [InlineData("CREATE GLOBAL VIEW v AS SELECT 1")]
    [InlineData("CREATE TABLE t (a INT) PARTITIONED BY (a, dt STRING)")]
    public void CreateTableFormsNotHandledPassThrough(string hive) => Assert.Equal(hive, HiveDialect.Translate(hive).Sql);

    [Theory]
    [InlineData("insert overwrite table s.t select * from `src`", "DELETE FROM s.t; insert INTO s.t select * from \"src\"")]
    [InlineData("INSERT OVERWRITE `t` SELECT 1", "DELETE FROM \"t\"; INSERT INTO \"t\" SELECT 1")]
    [InlineData("insert into table default.t select 1", "insert into main.t select 1")]
    [InlineData("INSERT INTO TABLE t VALUES (\"a\")", "INSERT INTO t VALUES ('a')")]
    [InlineData("INSERT OVERWRITE TABLE t PARTITION (dt='1') SELECT 1", "INSERT OVERWRITE TABLE t PARTITION (dt='1') SELECT 1")]
    [InlineData("INSERT OVERWRITE DIRECTORY '/x' SELECT 1", "INSERT OVERWRITE DIRECTORY '/x' SELECT 1")]
    public void InsertOverwriteDeletesThenInserts(string hive, string duck) => Assert.Equal(duck, HiveDialect.Translate(hive).Sql);

    [Theory]
    [InlineData("alter table s.a rename to s.b", "alter table s.a rename to b")]
    [InlineData("ALTER VIEW `s`.`a` RENAME TO `s`.`b`", "ALTER VIEW \"s\".\"a\" RENAME TO \"b\"")]
    [InlineData("ALTER TABLE c.s.a RENAME TO c.s.b", "ALTER TABLE c.s.a RENAME TO b")]
    [InlineData("EXPLAIN EXTENDED SELECT `a` FROM t", "EXPLAIN SELECT \"a\" FROM t")]
    [InlineData("explain formatted select 1", "explain select 1")]
    public void RenamesAndExplainsAreDuckDbs(string hive, string duck) => Assert.Equal(duck, HiveDialect.Translate(hive).Sql);

    [Theory]
    [InlineData("REFRESH TABLE s.t")]
    [InlineData("refresh table `t`;")]
    [InlineData("ANALYZE TABLE t COMPUTE STATISTICS")]
    [InlineData("analyze table t compute statistics for columns a, b")]
    [InlineData("MSCK REPAIR TABLE t")]
    [InlineData("CACHE TABLE t")]
    [InlineData("CACHE LAZY TABLE t")]
    [InlineData("UNCACHE TABLE IF EXISTS t")]
    [InlineData("CLEAR CACHE")]
    [InlineData("ALTER TABLE t SET TBLPROPERTIES ('a'='b')")]
    public void HousekeepingIsANoOp(string hive) => Assert.Equal(HiveStatementKind.NoOp, HiveDialect.Translate(hive).Kind);

    [Theory]
    [InlineData("ADD JAR /tmp/udf.jar", "ADD JAR")]
    [InlineData("add jars a.jar b.jar", "ADD JARS")]
    [InlineData("ADD FILE '/tmp/x.txt'", "ADD FILE")]
    [InlineData("DELETE JAR /tmp/udf.jar", "DELETE JAR")]
    [InlineData("LIST JARS", "LIST JARS")]
    [InlineData("list files", "LIST FILES")]
    public void ResourceCommandsAreUnsupported(string hive, string command)
    {
        var t = HiveDialect.Translate(hive);
        Assert.Equal(HiveStatementKind.Unsupported, t.Kind);
        Assert.Equal(command + " is not supported by the embedded DuckDB engine.", t.Sql);
    }

    [Theory]
    [InlineData("CACHE TABLE t AS SELECT 1")]
    [InlineData("DELETE FROM jar")]
    public void LookalikesAreNotCommands(string hive) => Assert.Equal(HiveStatementKind.Sql, HiveDialect.Translate(hive).Kind);

    [Theory]
    [InlineData("my db", "USE \"my db\"")]
    [InlineData("we`ird", "USE \"we`ird\"")]
    public void HiveQuotedNamesRoundTrip(string name, string duck) =>
        Assert.Equal(duck, HiveDialect.Translate("USE " + HiveDialect.QuoteHiveIdentifier(name)).Sql);
}

public class HiveNamedParameterUnitTests
{
    [Theory]
    [InlineData("SELECT :a", "SELECT $a")]
    [InlineData("SELECT :a, :A, :b", "SELECT $a, $A, :b")]
    [InlineData("SELECT ':a', \":a\", `:a`", "SELECT ':a', \":a\", `:a`")]
    [InlineData("SELECT x::a, 1 -- :a\n, /* :a */ :a", "SELECT x::a, 1 -- :a\n, /* :a */ $a")]
    [InlineData("SELECT arr[1: a]", "SELECT arr[1: a]")]
    [InlineData("SELECT f(:a,:a)", "SELECT f($a,$a)")]
    public void OnlyMarkersOfGivenNamesOutsideLiteralsAreRewritten(string sql, string expected) =>
        Assert.Equal(expected, Gateway.Engines.DuckDb.HiveDialect.RewriteNamedParameters(sql, new HashSet<string>(["a"], StringComparer.OrdinalIgnoreCase)));
}
