using Gateway.Server.Trino;

namespace Gateway.Tests.Unit;

/// <summary>The Trino frontend's text handling: statements into the gateway's spelling, LIKE patterns, session headers, errors.</summary>
public class TrinoFrontendUnitTests
{
    [Theory]
    [InlineData("SELECT \"first name\" FROM t", "SELECT `first name` FROM t")]
    [InlineData("SELECT \"a`b\" FROM \"s\".\"t\"", "SELECT `a``b` FROM `s`.`t`")]
    [InlineData("SELECT 'C:\\dir' AS p", "SELECT 'C:\\\\dir' AS p")]
    [InlineData("SELECT 'it''s' -- \"not a name\"", "SELECT 'it''s' -- \"not a name\"")]
    [InlineData("SELECT 1", "SELECT 1")]
    public void StatementsKeepTheirMeaningInTheGatewaysSpelling(string trino, string gateway) =>
        Assert.Equal(gateway, TrinoStatementText.ToGateway(trino));

    [Theory]
    [InlineData("sal%", "sales", true)]
    [InlineData("sal%", "xsales", false)]
    [InlineData("s_les", "sales", true)]
    [InlineData("a\\_b", "a_b", true)]
    [InlineData("a\\_b", "axb", false)]
    [InlineData("(x)+", "(x)+", true)]
    public void LikeIsSqlsLike(string pattern, string name, bool matches) =>
        Assert.Equal(matches, TrinoListings.SqlLike(pattern, pattern.Contains('\\', StringComparison.Ordinal) ? '\\' : null).IsMatch(name));

    [Theory]
    [InlineData("int", "integer")]
    [InlineData("STRING", "varchar")]
    [InlineData("character varying(20)", "varchar(20)")]
    [InlineData("numeric(10,2)", "decimal(10,2)")]
    [InlineData("DECIMAL(38, 18)", "decimal(38,18)")]
    [InlineData("timestamp without time zone", "timestamp(6)")]
    [InlineData("timestamp(3) with time zone", "timestamp(6) with time zone")]
    [InlineData("bytea", "varbinary")]
    [InlineData("INTEGER[]", "array(integer)")]
    [InlineData("array<map<string,int>>", "array(map(varchar, integer))")]
    [InlineData("struct<a:int,b:array<string>>", "row(\"a\" integer, \"b\" array(varchar))")]
    [InlineData("STRUCT(x INTEGER, y VARCHAR)", "row(\"x\" integer, \"y\" varchar)")]
    [InlineData("MAP(VARCHAR, INTEGER)", "map(varchar, integer)")]
    [InlineData("geometry", "varchar")]
    public void CatalogTypesReadEachCatalogsSpelling(string text, string trino) =>
        Assert.Equal(trino, TrinoJson.TypeText(Gateway.Catalog.CatalogTypes.Parse(text)));

    [Theory]
    [InlineData("SELECT * FROM system.jdbc.tables WHERE table_cat = 'x'", "SELECT * FROM jdbc.\"tables\" WHERE table_cat = 'x'", "jdbc.tables", "")]
    [InlineData("SELECT * FROM \"SYSTEM\".jdbc.\"columns\" c", "SELECT * FROM jdbc.\"columns\" c", "", "")]
    [InlineData("select * from information_schema.columns", "select * from trino_information_schema.\"columns\"", "information_schema.columns", "")]
    [InlineData("SELECT * FROM lake.information_schema.tables t", "SELECT * FROM trino_information_schema.\"tables\" t", "information_schema.tables", "lake")]
    public void MetadataTableNamesAreFoundOutsideStringsAndComments(string sql, string rewritten, string table, string catalog)
    {
        var request = TrinoMetadataTables.Parse(sql);
        if (table.Length == 0 && sql.Contains("SYSTEM", StringComparison.Ordinal))
        {
            // A quoted "SYSTEM" is another name than system.
            Assert.Null(request);
            return;
        }
        Assert.NotNull(request);
        Assert.Equal(rewritten, request.Sql);
        Assert.Contains(table, request.Tables);
        Assert.Equal(catalog.Length == 0 ? [] : [catalog], request.Catalogs);
        Assert.Null(TrinoMetadataTables.Parse("SELECT 'system.jdbc.tables' /* information_schema.tables */"));
    }

    [Fact]
    public void SessionHeadersAreCommaSeparatedAndUrlEncoded()
    {
        var props = TrinoFrontend.SessionProperties(new Microsoft.Extensions.Primitives.StringValues(["gateway.engine=pg, query_max_run_time=1h", "x=a%2Cb%3Dc"])).ToList();
        Assert.Equal([("gateway.engine", "pg"), ("query_max_run_time", "1h"), ("x", "a,b=c")], props);
    }

    [Theory]
    [InlineData("42S02", "Table x does not exist", "TABLE_NOT_FOUND", "USER_ERROR")]
    [InlineData("42000", "Access denied: alice may not SELECT x", "PERMISSION_DENIED", "USER_ERROR")]
    [InlineData("42000", "Parser Error: syntax error", "SYNTAX_ERROR", "USER_ERROR")]
    [InlineData("HY008", "canceled", "USER_CANCELED", "USER_ERROR")]
    [InlineData("53400", "engine busy", "QUERY_REJECTED", "INSUFFICIENT_RESOURCES")]
    [InlineData("08S01", "lost", "GENERIC_EXTERNAL_ERROR", "EXTERNAL")]
    [InlineData("HY000", "boom", "GENERIC_INTERNAL_ERROR", "INTERNAL_ERROR")]
    public void GatewayErrorsAreTrinoErrors(string sqlState, string message, string name, string type)
    {
        var (n, _, t) = TrinoFrontend.TrinoErrorOf(sqlState, message);
        Assert.Equal((name, type), (n, t));
    }
}
