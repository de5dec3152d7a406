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
