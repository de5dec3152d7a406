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
    [InlineData("SELECT \"dq `x`\" FROM t", "SELECT \"dq `x`\" FROM t")]
    [InlineData("SELECT 1 -- `comment`\nFROM `t`", "SELECT 1 -- `comment`\nFROM \"t\"")]
    [InlineData("SELECT /* `block` */ `c`", "SELECT /* `block` */ \"c\"")]
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
    [InlineData("SHOW TABLES FROM \"we'ird\"", "table_schema = 'we''ird'", null)]
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
    [InlineData("SHOW FUNCTIONS")]
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
}
