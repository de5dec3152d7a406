using Gateway.Tests.Engines;
using static Gateway.Tests.Engines.TrinoFakeCoordinator;

namespace Gateway.Tests.InProcess;

/// <summary>
/// Browsing a catalog other than the session engine's (a lake read through a Trino engine) under an access policy:
/// the Trino frontend's SHOW, DESCRIBE, system.jdbc and information_schema show only what the policy lets each user see.
/// </summary>
public sealed class TrinoCatalogPolicyInProcessTests : IAsyncLifetime
{
    private const string Policy = """
        {
          "catalogs": [ { "catalog": "embedded", "allow": "all" }, { "user": "analyst", "catalog": "lake", "allow": "read-only" } ],
          "tables": [
            { "user": "analyst", "catalog": "lake", "schema": "sales", "table": "events", "privileges": ["SELECT"], "columns": [ { "name": "amount", "allow": false } ] },
            { "catalog": "embedded", "privileges": ["SELECT"] }
          ]
        }
        """;

    private TrinoFakeCoordinator _trino = null!;
    private GatewayInstance _gateway = null!;

    public async Task InitializeAsync()
    {
        _trino = await TrinoFakeCoordinator.StartAsync();
        _trino.Answer = TrinoRoutingInProcessTests.LakeListing;
        var folder = Directory.CreateTempSubdirectory("gw-trino-policy").FullName;
        var policy = Path.Combine(folder, "rules.json");
        await File.WriteAllTextAsync(policy, Policy);
        _gateway = await GatewayInstance.StartAsync(new Dictionary<string, string?>
        {
            ["Gateway:DuckDb:DemoData"] = "false",
            ["Gateway:AccessControl:ConfigFile"] = policy,
            ["Gateway:Engines:0:Name"] = "trino",
            ["Gateway:Engines:0:Kind"] = "Trino",
            ["Gateway:Engines:0:Trino:Port"] = _trino.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Gateway:Engines:0:Trino:Catalog"] = "lake",
            ["Gateway:Engines:0:Catalogs:0"] = "lake",
            ["Gateway:Engines:1:Name"] = "duckdb",
            ["Gateway:Catalogs:0:Name"] = "lake",
            ["Gateway:Catalogs:0:Kind"] = "Trino",
            ["Gateway:Catalogs:0:Engine"] = "trino",
        }, Path.Combine(folder, "data"));
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _trino.DisposeAsync();
    }

    private async Task<(List<string?[]> Rows, string? Error)> AsAsync(string user, string sql)
    {
        var answer = await TrinoHttp.RunAsync(_gateway.TrinoUri, user, sql);
        return (answer.Rows, answer.ErrorName);
    }

    [Fact]
    public async Task AnotherCatalogsListingShowsOnlyWhatThePolicyAllows()
    {
        Assert.Equal([["embedded"], ["lake"]], (await AsAsync("analyst", "SHOW CATALOGS")).Rows);
        Assert.Equal([["sales"]], (await AsAsync("analyst", "SHOW SCHEMAS FROM lake")).Rows);
        Assert.Equal([["events"]], (await AsAsync("analyst", "SHOW TABLES FROM lake.sales")).Rows);
        Assert.Equal([["id"], ["tags"]], (await AsAsync("analyst", "DESCRIBE lake.sales.events")).Rows.Select(r => new[] { r[0] }));
        Assert.Equal("TABLE_NOT_FOUND", (await AsAsync("analyst", "DESCRIBE lake.sales.regions")).Error);
        Assert.Equal([["sales", "events"]], (await AsAsync("analyst", "SELECT table_schem, table_name FROM system.jdbc.tables WHERE table_cat = 'lake'")).Rows);
        Assert.Equal([["id"], ["tags"]], (await AsAsync("analyst", "SELECT column_name FROM lake.information_schema.columns ORDER BY ordinal_position")).Rows);

        // Another user has no access to the lake: it does not exist for them, anywhere.
        Assert.Equal([["embedded"]], (await AsAsync("guest", "SHOW CATALOGS")).Rows);
        Assert.Equal("CATALOG_NOT_FOUND", (await AsAsync("guest", "SHOW SCHEMAS FROM lake")).Error);
        Assert.Equal("CATALOG_NOT_FOUND", (await AsAsync("guest", "DESCRIBE lake.sales.events")).Error);
        Assert.Empty((await AsAsync("guest", "SELECT * FROM system.jdbc.tables WHERE table_cat = 'lake'")).Rows);
        Assert.Empty((await AsAsync("guest", "SELECT * FROM lake.information_schema.tables")).Rows);
        Assert.Equal([["embedded"]], (await AsAsync("guest", "SELECT table_cat FROM system.jdbc.catalogs")).Rows);
    }
}
