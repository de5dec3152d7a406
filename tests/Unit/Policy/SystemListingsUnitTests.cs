using Gateway.Engines;
using Gateway.Router.Policy;

namespace Gateway.Tests.Unit.Policy;

/// <summary>The visibility filters an engine's information_schema reads run under.</summary>
public class SystemListingsUnitTests
{
    [Theory]
    [InlineData("information_schema", "tables", SystemListing.Tables)]
    [InlineData("INFORMATION_SCHEMA", "COLUMNS", SystemListing.Columns)]
    [InlineData("information_schema", "schemata", SystemListing.Schemata)]
    [InlineData("information_schema", "views", null)]
    [InlineData("pg_catalog", "tables", null)]
    [InlineData("demo", "tables", null)]
    public void OnlyTheStandardListingsAreFiltered(string schema, string table, SystemListing? expected) =>
        Assert.Equal(expected, SystemListings.Of(new PolicyName("embedded", schema, table)));

    [Fact]
    public void NothingVisibleListsNothing()
    {
        Assert.Equal("1 = 0", SystemListings.TablesFilter([], EngineKind.DuckDb));
        Assert.Equal("1 = 0", SystemListings.ColumnsFilter([], EngineKind.Postgres));
        Assert.Equal("1 = 0", SystemListings.SchemataFilter([], EngineKind.DuckDb));
    }

    [Fact]
    public void NamesAreLiteralsInTheEnginesOwnQuotingAndDefaultIsEverySpelling()
    {
        Assert.Equal(@"table_catalog = current_catalog AND ((table_schema = 'o''neil\\x' AND table_name IN ('a', 'b')))",
            SystemListings.TablesFilter([(@"o'neil\x", "b"), (@"o'neil\x", "a")], EngineKind.DuckDb));
        Assert.Equal(@"table_catalog = current_catalog AND ((table_schema = 'o''neil\x' AND table_name IN ('T')))",
            SystemListings.TablesFilter([(@"o'neil\x", "T")], EngineKind.Postgres));
        Assert.Equal("table_catalog = current_catalog AND ((table_schema IN ('default', 'main', 'public') AND table_name IN ('t')))",
            SystemListings.TablesFilter([("default", "t")], EngineKind.Postgres));
        Assert.Equal("catalog_name = current_catalog AND schema_name IN ('default', 'demo', 'main', 'public')",
            SystemListings.SchemataFilter(["demo", "default"], EngineKind.DuckDb));
    }

    [Fact]
    public void BlockedColumnsAreLeftOutOfTheirTableOnly()
    {
        var filter = SystemListings.ColumnsFilter([("demo", "customers", ["Email"]), ("demo", "sales", [])], EngineKind.DuckDb);
        Assert.Equal("table_catalog = current_catalog AND ((table_schema = 'demo' AND (table_name IN ('sales') OR (table_name = 'customers' AND lower(column_name) NOT IN ('email')))))", filter);
    }
}
