using Gateway.Engines.HiveServer2;
using Gateway.Protocol.Hive;

namespace Gateway.Tests.InProcess;

[Collection(GatewayCollection.Name)]
public class MetadataInProcessTests(GatewayFixture fixture)
{
    private static async Task<(List<string> Columns, List<string?[]> Rows)> ReadAsync(HiveConnection c, Func<TCLIServiceClient, TSessionHandle, Task<(TStatus?, TOperationHandle?)>> call)
    {
        await using var op = await c.MetadataAsync(call);
        var (schema, rows) = await op.ReadAllAsTextAsync();
        return ([.. schema.Columns.Select(x => x.Name)], rows);
    }

    [Fact]
    public async Task CatalogsSchemasTablesAndColumnsUseJdbcLayouts()
    {
        await using var c = await fixture.Gateway.ConnectAsync();
        var (catCols, catalogs) = await ReadAsync(c, async (cl, s) => { var r = await cl.GetCatalogsAsync(new TGetCatalogsReq { SessionHandle = s }, default); return (r.Status, r.OperationHandle); });
        Assert.Equal(["TABLE_CAT"], catCols);
        Assert.NotEmpty(catalogs);
        var catalog = catalogs[0][0];

        var (schCols, schemas) = await ReadAsync(c, async (cl, s) => { var r = await cl.GetSchemasAsync(new TGetSchemasReq { SessionHandle = s, SchemaName = "de%" }, default); return (r.Status, r.OperationHandle); });
        Assert.Equal(["TABLE_SCHEM", "TABLE_CATALOG"], schCols);
        Assert.Equal(["demo"], schemas.Select(r => r[0]));

        var (tabCols, tables) = await ReadAsync(c, async (cl, s) => { var r = await cl.GetTablesAsync(new TGetTablesReq { SessionHandle = s, SchemaName = "demo", TableName = "%" }, default); return (r.Status, r.OperationHandle); });
        Assert.Equal(["TABLE_CAT", "TABLE_SCHEM", "TABLE_NAME", "TABLE_TYPE", "REMARKS"], tabCols.Take(5));
        Assert.Contains(tables, r => r[2] == "sales" && r[3] == "TABLE" && r[0] == catalog);
        Assert.Contains(tables, r => r[2] == "customers");

        var (_, views) = await ReadAsync(c, async (cl, s) => { var r = await cl.GetTablesAsync(new TGetTablesReq { SessionHandle = s, SchemaName = "demo", TableName = "%", TableTypes = ["VIEW"] }, default); return (r.Status, r.OperationHandle); });
        Assert.All(views, r => Assert.Equal("VIEW", r[3]));

        var (colCols, columns) = await ReadAsync(c, async (cl, s) => { var r = await cl.GetColumnsAsync(new TGetColumnsReq { SessionHandle = s, SchemaName = "demo", TableName = "sales", ColumnName = "%" }, default); return (r.Status, r.OperationHandle); });
        Assert.Equal(23, colCols.Count);
        Assert.Equal("ORDINAL_POSITION", colCols[16]);
        var amount = columns.Single(r => r[3] == "amount");
        Assert.Equal("3", amount[4]);          // java.sql.Types.DECIMAL
        Assert.Equal("DECIMAL", amount[5]);
        Assert.Equal("18", amount[6]);
        Assert.Equal("2", amount[8]);
        Assert.Equal(["1", "2", "3"], columns.Take(3).Select(r => r[16]));
    }

    [Fact]
    public async Task PatternsAndEscapesFilterNames()
    {
        await using var c = await fixture.Gateway.ConnectAsync();
        await using (await c.ExecuteAsync("CREATE TABLE IF NOT EXISTS main.pat_a_b (x INT)")) { }
        await using (await c.ExecuteAsync("CREATE TABLE IF NOT EXISTS main.patXaYb (x INT)")) { }
        var (_, escaped) = await ReadAsync(c, async (cl, s) => { var r = await cl.GetTablesAsync(new TGetTablesReq { SessionHandle = s, SchemaName = "main", TableName = "pat\\_a\\_b" }, default); return (r.Status, r.OperationHandle); });
        Assert.Equal(["pat_a_b"], escaped.Select(r => r[2]));
        var (_, wild) = await ReadAsync(c, async (cl, s) => { var r = await cl.GetTablesAsync(new TGetTablesReq { SessionHandle = s, SchemaName = "main", TableName = "pat_a_b" }, default); return (r.Status, r.OperationHandle); });
        Assert.Equal(["patXaYb", "pat_a_b"], wild.Select(r => r[2]).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task KeysFunctionsTypesAndTableTypes()
    {
        await using var c = await fixture.Gateway.ConnectAsync();
        var (pkCols, pks) = await ReadAsync(c, async (cl, s) => { var r = await cl.GetPrimaryKeysAsync(new TGetPrimaryKeysReq { SessionHandle = s, SchemaName = "demo", TableName = "customers" }, default); return (r.Status, r.OperationHandle); });
        Assert.Equal(6, pkCols.Count);
        Assert.Equal("customer_id", Assert.Single(pks)[3]);

        var (fkCols, fks) = await ReadAsync(c, async (cl, s) => { var r = await cl.GetCrossReferenceAsync(new TGetCrossReferenceReq { SessionHandle = s, ParentSchemaName = "demo", ParentTableName = "customers", ForeignSchemaName = "demo", ForeignTableName = "sales" }, default); return (r.Status, r.OperationHandle); });
        Assert.Equal(14, fkCols.Count);
        var fk = Assert.Single(fks);
        Assert.Equal(("customers", "customer_id", "sales", "customer_id"), (fk[2], fk[3], fk[6], fk[7]));

        var (_, functions) = await ReadAsync(c, async (cl, s) => { var r = await cl.GetFunctionsAsync(new TGetFunctionsReq { SessionHandle = s, FunctionName = "abs" }, default); return (r.Status, r.OperationHandle); });
        Assert.Contains(functions, r => r[2] == "abs");

        var (_, types) = await ReadAsync(c, async (cl, s) => { var r = await cl.GetTypeInfoAsync(new TGetTypeInfoReq { SessionHandle = s }, default); return (r.Status, r.OperationHandle); });
        Assert.Contains(types, r => r[0] == "DECIMAL" && r[1] == "3");
        Assert.Contains(types, r => r[0] == "TIMESTAMP" && r[1] == "93");

        var (_, tableTypes) = await ReadAsync(c, async (cl, s) => { var r = await cl.GetTableTypesAsync(new TGetTableTypesReq { SessionHandle = s }, default); return (r.Status, r.OperationHandle); });
        Assert.Contains(tableTypes, r => r[0] == "TABLE");
    }

    [Fact]
    public async Task GetInfoAnswersWhatBiToolsAsk()
    {
        await using var c = await fixture.Gateway.ConnectAsync();
        async Task<TGetInfoValue> Info(int type)
        {
            var r = await c.Client.GetInfoAsync(new TGetInfoReq { SessionHandle = c.Session, InfoType = (TGetInfoType)type }, default);
            HiveConnection.Check(r.Status);
            return r.InfoValue!;
        }
        Assert.Equal("Spark SQL", (await Info(17)).StringValue);
        var version = Version.Parse((await Info(18)).StringValue!);
        Assert.True(version >= new Version(2, 1, 0));
        Assert.False(string.IsNullOrEmpty((await Info(13)).StringValue));
        Assert.Equal(128, (await Info(35)).LenValue);
        Assert.Equal(128, (await Info(30)).LenValue);
        Assert.Contains("SHOW", (await Info(10006)).StringValue, StringComparison.Ordinal);
    }
}
