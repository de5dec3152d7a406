using System.Net;
using Gateway.Engines.HiveServer2;
using Gateway.Protocol.Hive;
using Gateway.Server.Sessions;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.InProcess;

/// <summary>HiveServer2 over HTTP on the shared gateway (Auth:Mode None, plain HTTP).</summary>
[Collection(GatewayCollection.Name)]
public class HttpInProcessTests(GatewayFixture fixture)
{
    private GatewayInstance Gateway => fixture.Gateway;

    private static async Task<string> WhoAmIAsync(HiveConnection c) =>
        (await c.Client.GetInfoAsync(new TGetInfoReq { SessionHandle = c.Session, InfoType = (TGetInfoType)47 })).InfoValue!.StringValue!;

    [Fact]
    public async Task AWholeQueryAndItsFetchesOverHttp()
    {
        await using var c = await Gateway.ConnectHttpAsync("http-user", database: "demo");
        Assert.Equal(TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V10, c.ProtocolVersion);
        await using var op = await c.ExecuteAsync("SELECT sale_id, amount FROM sales ORDER BY sale_id LIMIT 50000");
        var (schema, rows) = await op.ReadAllAsTextAsync(fetchSize: 12000);
        Assert.Equal(["sale_id", "amount"], schema.Columns.Select(col => col.Name));
        Assert.Equal(50000, rows.Count);
        Assert.True(rows.Zip(rows.Skip(1)).All(p => long.Parse(p.First[0]!, System.Globalization.CultureInfo.InvariantCulture) < long.Parse(p.Second[0]!, System.Globalization.CultureInfo.InvariantCulture)));

        var columns = await c.MetadataAsync(async (client, session) =>
        {
            var r = await client.GetColumnsAsync(new TGetColumnsReq { SessionHandle = session, SchemaName = "demo", TableName = "sales" });
            return (r.Status, r.OperationHandle);
        });
        await using (columns)
        {
            Assert.Contains((await columns.ReadAllAsTextAsync()).Rows, r => r[3] == "amount");
        }
        var error = await Assert.ThrowsAsync<HiveClientException>(() => c.QueryAsync("SELECT * FROM no_such_table"));
        Assert.Equal("42S02", error.SqlState);
        Assert.Equal("1", (await c.QueryAsync("SELECT 1")).Rows[0][0]);
    }

    [Fact]
    public async Task WithoutAuthTheUserIsTheBasicUserElseOpenSessionsElseAnonymous()
    {
        await using (var basic = await Gateway.ConnectHttpAsync("nina", "ignored"))
        {
            Assert.Equal("nina", await WhoAmIAsync(basic));
        }
        // No Authorization header: OpenSession names the user, and the cookie carries it to later calls.
        await using (var named = await Gateway.ConnectHttpAsync("olga", auth: HiveAuthMode.NoSasl))
        {
            Assert.Equal("olga", await WhoAmIAsync(named));
            Assert.Equal("4", (await named.QueryAsync("SELECT 4")).Rows[0][0]);
        }
        // A bearer token is not checked when no tokens are configured: OpenSession's user counts.
        await using (var bearer = await Gateway.ConnectHttpAsync("pia", bearer: "whatever"))
        {
            Assert.Equal("pia", await WhoAmIAsync(bearer));
        }

        using var raw = RawHttp.Client();
        using var open = await RawHttp.PostAsync(raw, Gateway.HttpUri, RawHttp.OpenSession(""));
        var anonymous = await RawHttp.ReplyAsync<TOpenSessionResp>(open);
        Assert.Null(RawHttp.AuthSetCookie(open));
        using var info = await RawHttp.PostAsync(raw, Gateway.HttpUri, RawHttp.Call("GetInfo", new TGetInfoReq { SessionHandle = anonymous.SessionHandle!, InfoType = (TGetInfoType)47 }));
        Assert.Equal("anonymous", (await RawHttp.ReplyAsync<TGetInfoResp>(info)).InfoValue!.StringValue);

        // A session named in OpenSession is that user's: a later call with neither cookie nor credentials is anonymous.
        using var openQuinn = await RawHttp.PostAsync(raw, Gateway.HttpUri, RawHttp.OpenSession("quinn"));
        var quinn = await RawHttp.ReplyAsync<TOpenSessionResp>(openQuinn);
        var cookie = RawHttp.CookiePair(openQuinn);
        using var stranger = await RawHttp.PostAsync(raw, Gateway.HttpUri, RawHttp.Call("ExecuteStatement", new TExecuteStatementReq { SessionHandle = quinn.SessionHandle!, Statement = "SELECT 1" }));
        Assert.Equal(TStatusCode.INVALID_HANDLE_STATUS, (await RawHttp.ReplyAsync<TExecuteStatementResp>(stranger)).Status.StatusCode);
        using var withCookie = await RawHttp.PostAsync(raw, Gateway.HttpUri, RawHttp.Call("ExecuteStatement", new TExecuteStatementReq { SessionHandle = quinn.SessionHandle!, Statement = "SELECT 1" }), cookie: cookie);
        Assert.Equal(TStatusCode.SUCCESS_STATUS, (await RawHttp.ReplyAsync<TExecuteStatementResp>(withCookie)).Status.StatusCode);
    }

    [Fact]
    public async Task HttpSessionsOutliveTheTcpConnectionsThatCarriedThem()
    {
        var sessions = Gateway.Services.GetRequiredService<SessionManager>();
        var c = await Gateway.ConnectHttpAsync("roamer");
        var op = await c.ExecuteAsync("SELECT range FROM range(10)");
        var before = sessions.SessionCount;
        // Drop the client (its connection pool and sockets) without CloseSession.
        ((IDisposable)typeof(HiveConnection).GetField("_transport", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(c)!).Dispose();
        await Task.Delay(200);
        Assert.Equal(before, sessions.SessionCount);

        await using var again = await Gateway.ConnectHttpAsync("roamer");
        var fetch = await again.Client.FetchResultsAsync(new TFetchResultsReq { OperationHandle = op.Handle, MaxRows = 100 });
        Assert.Equal(TStatusCode.SUCCESS_STATUS, fetch.Status.StatusCode);
        var close = await again.Client.CloseSessionAsync(new TCloseSessionReq { SessionHandle = c.Session });
        Assert.Equal(TStatusCode.SUCCESS_STATUS, close.Status.StatusCode);
    }

    [Fact]
    public async Task ErrorsOnTheOpenGatewayStayPerRequest()
    {
        await using var other = await Gateway.ConnectHttpAsync("bystander");
        using var raw = RawHttp.Client();
        using (var r = await RawHttp.PostAsync(raw, Gateway.HttpUri, RawHttp.OpenSession()[..10]))
        {
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        }
        using (var r = await raw.GetAsync(Gateway.HttpUri))
        {
            Assert.Equal(HttpStatusCode.MethodNotAllowed, r.StatusCode);
        }
        Assert.Equal("12", (await other.QueryAsync("SELECT 12")).Rows[0][0]);
    }
}
