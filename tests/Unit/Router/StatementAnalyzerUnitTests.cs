using Gateway.Protocol.Sql;
using Gateway.Router;
using Gateway.Router.Sql;

namespace Gateway.Tests.Unit.Router;

public class StatementAnalyzerUnitTests
{
    [Theory]
    [MemberData(nameof(StatementCorpus.Ids), MemberType = typeof(StatementCorpus))]
    public void CorpusStatementsAreClassifiedWithTheirTables(string id)
    {
        var c = StatementCorpus.Get(id);
        var a = StatementAnalyzer.Analyze(c.Sql, c.Dialect);
        Assert.True(c.Reliable == a.IsReliable, $"{id}: expected reliable={c.Reliable}, got {a.Status}: {a.StatusReason}");
        Assert.Equal(c.Kind, a.Kind);
        Assert.Equal(c.Reads.Order(StringComparer.Ordinal), a.Reads.Select(StatementCorpus.Describe).Order(StringComparer.Ordinal));
        Assert.Equal(c.Writes.Order(StringComparer.Ordinal), a.Writes.Select(StatementCorpus.Describe).Order(StringComparer.Ordinal));
        Assert.Equal(c.Writes.Length > 0 || c.Kind == StatementKind.Dml, a.IsWrite);
    }

    [Fact]
    public void CorpusCoversEveryStatementKind()
    {
        var kinds = StatementCorpus.Cases.Select(c => c.Kind).ToHashSet();
        Assert.Equal(Enum.GetValues<StatementKind>().Length, kinds.Count);
    }

    [Fact]
    public void ExplainRoutingReturnsTheInnerStatement()
    {
        var a = StatementAnalyzer.Analyze("  explain routing SELECT * FROM demo.sales s JOIN demo.stores t ON s.id = t.id ;");
        Assert.True(a.IsExplainRouting);
        Assert.False(a.IsExplain);
        Assert.Equal("SELECT * FROM demo.sales s JOIN demo.stores t ON s.id = t.id", a.InnerStatement);
        Assert.Equal(StatementKind.Query, a.Kind);
        Assert.Equal(["demo.sales", "demo.stores"], a.Reads.Select(r => r.ToString()));

        var write = StatementAnalyzer.Analyze("EXPLAIN ROUTING INSERT INTO lake.t SELECT * FROM lake.s");
        Assert.True(write.IsExplainRouting);
        Assert.Equal(StatementKind.Dml, write.Kind);
        Assert.True(write.IsWrite);
        Assert.Equal("INSERT INTO lake.t SELECT * FROM lake.s", write.InnerStatement);

        var empty = StatementAnalyzer.Analyze("EXPLAIN ROUTING");
        Assert.True(empty.IsExplainRouting);
        Assert.False(empty.IsReliable);
    }

    [Fact]
    public void ExplainIsRoutedLikeItsStatement()
    {
        var a = StatementAnalyzer.Analyze("EXPLAIN FORMATTED INSERT OVERWRITE TABLE t SELECT * FROM s");
        Assert.True(a.IsExplain);
        Assert.Equal(StatementKind.Dml, a.Kind);
        Assert.Equal("EXPLAIN INSERT OVERWRITE", a.Verb);
        Assert.Equal(["t"], a.Writes.Select(r => r.ToString()));
    }

    [Theory]
    [InlineData("SET spark.sql.shuffle.partitions=200", "spark.sql.shuffle.partitions", "200")]
    [InlineData("SET 'execution.runtime-mode' = 'streaming';", "execution.runtime-mode", "streaming")]
    [InlineData("set gateway.engine = trino", "gateway.engine", "trino")]
    [InlineData("SET hivevar:dt=2024-01-01", "hivevar:dt", "2024-01-01")]
    [InlineData("SET SESSION query_max_run_time = '10m'", "query_max_run_time", "10m")]
    [InlineData("SET kyuubi.engine.type", "kyuubi.engine.type", null)]
    public void SetExposesKeyAndValue(string sql, string key, string? value)
    {
        var a = StatementAnalyzer.Analyze(sql);
        Assert.Equal(StatementKind.SessionCommand, a.Kind);
        Assert.Equal(key, a.SettingKey);
        Assert.Equal(value, a.SettingValue);
    }

    [Theory]
    [InlineData("USE analytics", "analytics")]
    [InlineData("USE CATALOG `Iceberg`", "iceberg")]
    [InlineData("use lake.Sales", "lake.sales")]
    [InlineData("SET CATALOG spark_catalog", "spark_catalog")]
    public void UseExposesTheNamespace(string sql, string target)
    {
        var a = StatementAnalyzer.Analyze(sql);
        Assert.Equal(StatementKind.SessionCommand, a.Kind);
        Assert.Equal(target, string.Join('.', a.UseTarget!));
    }

    [Theory]
    [InlineData("SELECT /*+ ENGINE(trino) */ * FROM t", "trino")]
    [InlineData("/*+ ENGINE('duckdb') */ SELECT 1", "duckdb")]
    [InlineData("SELECT /*+ BROADCAST(d), ENGINE(spark_etl) */ * FROM f JOIN d ON f.k = d.k", "spark_etl")]
    [InlineData("SELECT /*+ engine(a) */ /*+ ENGINE(b) */ 1", "a")]
    [InlineData("SELECT /*+ ENGINE(trino-prod) */ 1", "trino-prod")]
    [InlineData("SELECT /*+ ENGINE( spark.etl , other) */ 1", "spark.etl")]
    [InlineData("SELECT /*+ ENGINE() */ 1", null)]
    [InlineData("SELECT /* ENGINE(not_a_hint) */ 1", null)]
    [InlineData("SELECT '/*+ ENGINE(in_string) */' FROM t", null)]
    public void EngineHintIsRead(string sql, string? engine) => Assert.Equal(engine, StatementAnalyzer.Analyze(sql).EngineHint);

    [Fact]
    public void NamesAreFoldedPerDialect()
    {
        Assert.Equal(["mydb.mytable"], Reads("SELECT * FROM `MyDb`.`MyTable`", SqlDialect.Spark));
        Assert.Equal(["cat.sch.tbl"], Reads("SELECT * FROM \"Cat\".\"Sch\".\"Tbl\"", SqlDialect.Trino));
        Assert.Equal(["Sch.Tbl", "plain"], Reads("SELECT * FROM \"Sch\".\"Tbl\", PLAIN", SqlDialect.Ansi));
        Assert.Equal(["Cat.Sch.Tbl"], Reads("SELECT * FROM Cat.Sch.`Tbl`", SqlDialect.Flink));
        // Spark with ANSI double-quoted identifiers.
        Assert.Equal(["db.t"], Reads("SELECT * FROM \"DB\".\"T\"", SqlDialect.Spark with { DoubleQuotedIdentifiers = true }));
    }

    [Fact]
    public void SpellingsOfOneTableAreOneReference()
    {
        var a = StatementAnalyzer.Analyze("SELECT * FROM demo.sales a JOIN DEMO.SALES b ON true JOIN `demo`.`Sales` c ON true");
        var r = Assert.Single(a.Reads);
        Assert.Equal("demo", r.Schema);
        Assert.Equal("sales", r.Name);
        Assert.Null(r.Catalog);
    }

    [Fact]
    public void ReferencesCarryTheirPositionAndParts()
    {
        const string sql = "SELECT * FROM lake.ns1.ns2.events";
        var r = Assert.Single(StatementAnalyzer.Analyze(sql, SqlDialect.Trino).Reads);
        Assert.Equal("lake.ns1.ns2.events", sql.Substring(r.Start, r.Length));
        Assert.Equal("lake", r.Catalog);
        Assert.Equal("ns1.ns2", r.Schema);
        Assert.Equal("events", r.Name);
    }

    [Fact]
    public void CteNamesAreReported()
    {
        var a = StatementAnalyzer.Analyze("WITH a AS (SELECT 1), `B` AS (SELECT * FROM a) SELECT * FROM b");
        Assert.Equal(["a", "b"], a.CteNames);
        Assert.Empty(a.Reads);
    }

    [Fact]
    public void QualifiedNameIsNeverACte()
    {
        var a = StatementAnalyzer.Analyze("WITH sales AS (SELECT 1) SELECT * FROM sales JOIN demo.sales ON true");
        Assert.Equal(["demo.sales"], a.Reads.Select(r => r.ToString()));
    }

    [Fact]
    public void RecursiveCteSeesNamesDefinedAfterIt()
    {
        var a = StatementAnalyzer.Analyze("WITH RECURSIVE a AS (SELECT * FROM b), b AS (SELECT * FROM a) SELECT * FROM a", SqlDialect.Ansi);
        Assert.Empty(a.Reads);
        Assert.True(a.IsReliable);
    }

    [Fact]
    public void TemporaryTargetsAreMarked()
    {
        var a = StatementAnalyzer.Analyze("CREATE OR REPLACE TEMPORARY VIEW v AS SELECT * FROM t");
        Assert.True(Assert.Single(a.Writes).Temporary);
        Assert.True(a.IsCreateAsSelect);
        var b = StatementAnalyzer.Analyze("CREATE TABLE lake.t AS SELECT * FROM s");
        Assert.False(Assert.Single(b.Writes).Temporary);
        Assert.Equal("CREATE TABLE AS SELECT", b.Verb);
        Assert.True(b.IsCreateAsSelect);
    }

    [Theory]
    [InlineData("MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE", true)]
    [InlineData("UPDATE t SET a = 1", true)]
    [InlineData("DELETE FROM t WHERE a = 1", true)]
    [InlineData("INSERT INTO t SELECT * FROM s", false)]
    [InlineData("CREATE TABLE t AS SELECT * FROM s", false)]
    public void ScansWriteTargetsForReadModifyWrite(string sql, bool scans) =>
        Assert.Equal(scans, StatementAnalyzer.Analyze(sql).ScansWriteTargets);

    [Theory]
    [InlineData("SELECT 1 EMIT CHANGES", "EMIT CHANGES")]
    [InlineData("SELECT * FROM t EMIT FINAL", "EMIT FINAL")]
    [InlineData("SELECT * FROM t EMIT", "EMIT")]
    [InlineData("CREATE STREAM s AS SELECT * FROM t", "CREATE STREAM")]
    [InlineData("CREATE TABLE c (id INT) WITH ('connector' = 'mysql-cdc')", "'connector' = 'mysql-cdc'")]
    [InlineData("CREATE TABLE c (id INT) WITH ('connector.type' = 'kafka')", "'connector' = 'kafka'")]
    [InlineData("INSERT /*+ STREAMING */ INTO sink SELECT * FROM src", "/*+ STREAMING */ hint")]
    public void StreamingReasonsAreExplained(string sql, string reason)
    {
        var a = StatementAnalyzer.Analyze(sql, SqlDialect.Flink);
        Assert.Equal(StatementKind.Streaming, a.Kind);
        Assert.Equal(reason, a.StreamingReason);
    }

    [Theory]
    [InlineData("SELECT emit FROM t")]
    [InlineData("SELECT stream FROM t")]
    [InlineData("SELECT stream AS s FROM t")]
    [InlineData("SELECT stream x FROM t")]
    [InlineData("SELECT a AS emit")]
    [InlineData("SELECT emit changes FROM t")]
    [InlineData("SELECT * FROM t ORDER BY emit")]
    [InlineData("SELECT * FROM t GROUP BY a, emit")]
    [InlineData("SET 'execution.runtime-mode' = 'streaming'")]
    public void ColumnsNamedLikeStreamingKeywordsAreNotStreaming(string sql) =>
        Assert.NotEqual(StatementKind.Streaming, StatementAnalyzer.Analyze(sql).Kind);

    [Fact]
    public void SelectStreamOutsideFlinkNeedsAStar()
    {
        Assert.Equal(StatementKind.Streaming, StatementAnalyzer.Analyze("SELECT STREAM * FROM orders").Kind);
        Assert.Equal(StatementKind.Query, StatementAnalyzer.Analyze("SELECT STREAM rowtime FROM orders").Kind);
        Assert.Equal(StatementKind.Streaming, StatementAnalyzer.Analyze("SELECT STREAM rowtime FROM orders", SqlDialect.Flink).Kind);
    }

    [Theory]
    [InlineData("INSERT INTO lake.t (a, b) WITH c AS (SELECT * FROM lake.s) SELECT * FROM c")]
    [InlineData("INSERT INTO lake.t WITH RECURSIVE c (x) AS (SELECT * FROM lake.s UNION ALL SELECT * FROM c) SELECT * FROM c")]
    public void WithAfterAnInsertTargetDefinesCtes(string sql)
    {
        var a = StatementAnalyzer.Analyze(sql, SqlDialect.Trino);
        Assert.Equal(["lake.s"], a.Reads.Select(r => r.ToString()));
        Assert.Equal(["c"], a.CteNames);
    }

    [Theory]
    [InlineData("SELECT CAST(ts AS TIMESTAMP WITH TIME ZONE) FROM t")]
    [InlineData("SELECT a, sum(b) FROM t GROUP BY a WITH ROLLUP")]
    [InlineData("SELECT * FROM UNNEST(x) WITH ORDINALITY AS u(v, n) JOIN t ON true")]
    public void OtherWithClausesAreNotCtes(string sql)
    {
        var a = StatementAnalyzer.Analyze(sql, SqlDialect.Trino);
        Assert.Equal(["t"], a.Reads.Select(r => r.ToString()));
        Assert.Empty(a.CteNames);
    }

    [Fact]
    public void FunctionSourcesKeepLiteralArgumentsAndPositions()
    {
        const string sql = "SELECT * FROM read_csv('a.csv', header => true, delim = '|') JOIN generate_series(1, 10, 2) g ON true";
        var a = StatementAnalyzer.Analyze(sql, SqlDialect.DuckDb);
        Assert.Equal(2, a.Reads.Count);
        Assert.Equal(TableReferenceKind.Function, a.Reads[0].Kind);
        Assert.Equal(["a.csv", "|"], a.Reads[0].Arguments);
        Assert.Equal("read_csv", sql.Substring(a.Reads[0].Start, a.Reads[0].Length));
        Assert.Equal(["1", "10", "2"], a.Reads[1].Arguments);
    }

    [Fact]
    public void SubqueriesInsideFunctionArgumentsAreFollowed()
    {
        var a = StatementAnalyzer.Analyze("SELECT coalesce((SELECT max(x) FROM m1), 0), nvl(a, (SELECT min(y) FROM m2)) FROM base");
        Assert.Equal(["m1", "m2", "base"], a.Reads.Select(r => r.ToString()));
    }

    [Fact]
    public void NestingBeyondTheLimitFailsWithoutThrowing()
    {
        var sql = "SELECT " + new string('(', 10_000) + "1" + new string(')', 10_000) + " FROM t";
        var a = StatementAnalyzer.Analyze(sql);
        Assert.Equal(AnalysisStatus.Failed, a.Status);
        Assert.Contains("nesting", a.StatusReason, StringComparison.Ordinal);
    }

    [Fact]
    public void DeepButBoundedNestingIsFine()
    {
        var sql = string.Concat(Enumerable.Repeat("SELECT * FROM (", 60)) + "SELECT * FROM inner_most" + new string(')', 60);
        var a = StatementAnalyzer.Analyze(sql);
        Assert.True(a.IsReliable, a.StatusReason);
        Assert.Equal(["inner_most"], a.Reads.Select(r => r.ToString()));
    }

    [Fact]
    public void NullAndWhitespaceAreUnknown()
    {
        Assert.Equal(StatementKind.Unknown, StatementAnalyzer.Analyze(null).Kind);
        Assert.Equal(AnalysisStatus.Ambiguous, StatementAnalyzer.Analyze("   ").Status);
        Assert.Equal(AnalysisStatus.Ambiguous, StatementAnalyzer.Analyze(";;").Status);
    }

    [Fact]
    public void TrailingSemicolonsDoNotMakeTwoStatements()
    {
        var a = StatementAnalyzer.Analyze("SELECT * FROM t;;  -- done\n");
        Assert.True(a.IsReliable, a.StatusReason);
    }

    private static string[] Reads(string sql, SqlDialect dialect) =>
        [.. StatementAnalyzer.Analyze(sql, dialect).Reads.Select(r => r.ToString())];
}
