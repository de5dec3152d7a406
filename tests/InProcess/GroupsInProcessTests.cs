using System.Security.Cryptography;
using Gateway.Engines.HiveServer2;
using Gateway.Protocol.Columnar;
using Gateway.Protocol.Hive;
using Gateway.Server.Auth;
using Gateway.Server.Sessions;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.InProcess;

/// <summary>
/// The caller's groups from authentication to routing and share levels, in one gateway with two DuckDB engines: a
/// password file with groups (binary SASL and HTTP Basic), a static token and JWTs that name groups, and the session
/// cookie that carries them. A rule sends the group <c>finance</c> to the engine <c>scratch</c> and everyone else to
/// <c>duckdb</c>, so the engine in the operation log says which groups a session got; <c>scratch</c> pools its engine
/// sessions by primary group, recognised by a temporary table only the engine session that created it can see.
/// </summary>
public sealed class GroupsInProcessTests : IAsyncLifetime
{
    private const string StaticToken = "groups-static-token-0123456789";
    private readonly byte[] _secret = RandomNumberGenerator.GetBytes(32);
    private GatewayInstance _gateway = null!;

    public async Task InitializeAsync()
    {
        var folder = Directory.CreateTempSubdirectory("gw-groups").FullName;
        PasswordFile.Write(Path.Combine(folder, "users.txt"), new Dictionary<string, PasswordEntry>
        {
            ["alice"] = new(PasswordHash.Create("alice-pw", 1000), ["finance", "analysts"]),
            ["bob"] = new(PasswordHash.Create("bob-pw", 1000), ["finance"]),
            ["carol"] = new(PasswordHash.Create("carol-pw", 1000), ["ops"]),
            // Named like a group but in none: its own group, never finance's.
            ["finance"] = new(PasswordHash.Create("finance-pw", 1000)),
            ["greedy"] = new(PasswordHash.Create("greedy-pw", 1000), ["a", "b", "c", "d", "e"]),
        });
        // A user line written before groups existed reads as a user without groups.
        await File.AppendAllTextAsync(Path.Combine(folder, "users.txt"), "dave:" + PasswordHash.Create("dave-pw", 1000).Format() + "\n");
        _gateway = await GatewayInstance.StartAsync(new Dictionary<string, string?>
        {
            ["Gateway:DuckDb:DemoData"] = "false",
            ["Gateway:Auth:Mode"] = "PasswordFile",
            ["Gateway:Auth:MaxGroups"] = "4",
            ["Gateway:Auth:Tokens:0:User"] = "etl-bot",
            ["Gateway:Auth:Tokens:0:Token"] = StaticToken,
            ["Gateway:Auth:Tokens:0:Groups:0"] = "finance",
            ["Gateway:Auth:Jwt:HmacSecret"] = "base64:" + Convert.ToBase64String(_secret),
            ["Gateway:Auth:Jwt:Issuer"] = HttpAuthFixture.Issuer,
            ["Gateway:Auth:Jwt:Audience"] = HttpAuthFixture.Audience,
            ["Gateway:Auth:Jwt:GroupsPrefix"] = "gw-",
            ["Gateway:Auth:Jwt:StripGroupsPrefix"] = "true",
            ["Gateway:Engines:0:Name"] = "scratch",
            ["Gateway:Engines:0:Kind"] = "DuckDb",
            ["Gateway:Engines:0:Database"] = ":memory:",
            ["Gateway:Engines:0:Sessions:ShareLevel"] = "Group",
            ["Gateway:Routing:Rules:0:Name"] = "finance-to-scratch",
            ["Gateway:Routing:Rules:0:Priority"] = "1",
            ["Gateway:Routing:Rules:0:Match:Groups:0"] = "fin*",
            ["Gateway:Routing:Rules:0:Engine"] = "scratch",
            ["Gateway:Routing:Rules:1:Name"] = "everyone-else",
            ["Gateway:Routing:Rules:1:Priority"] = "2",
            ["Gateway:Routing:Rules:1:Match:Users:0"] = "*",
            ["Gateway:Routing:Rules:1:Engine"] = "duckdb",
        }, folder);
    }

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    private const string ToScratch = "Running on engine 'scratch' (rule #0 'finance-to-scratch'";
    private const string ToDuckDb = "Running on engine 'duckdb' (rule #1 'everyone-else'";

    private static async Task<string> RoutedAsync(HiveConnection c, string sql = "SELECT 1")
    {
        await using var op = await c.ExecuteAsync(sql);
        await op.ReadAllAsTextAsync();
        var line = (await op.FetchLogAsync()).Single(l => l.Contains("Running on engine", StringComparison.Ordinal));
        return line[line.IndexOf("Running on engine", StringComparison.Ordinal)..];
    }

    private string Jwt(string sub, object? groups, string claim = "groups")
    {
        var claims = TestJwt.Claims(DateTimeOffset.UtcNow, sub);
        if (groups is not null) claims[claim] = groups;
        return TestJwt.Create(TestJwt.Header("HS256"), claims, TestJwt.Hmac(_secret, HashAlgorithmName.SHA256));
    }

    [Fact]
    public async Task AUserWithGroupsInThePasswordFileIsRoutedByGroupOverBinaryAndHttp()
    {
        await using (var alice = await _gateway.ConnectAsync("alice", "alice-pw"))
        {
            Assert.StartsWith(ToScratch, await RoutedAsync(alice), StringComparison.Ordinal);
            // It really ran there: a table made by the rule's choice is on scratch, not on the default engine.
            await alice.QueryAsync("CREATE TABLE finance_only AS SELECT 42 AS answer");
        }
        await using (var carol = await _gateway.ConnectAsync("carol", "carol-pw"))
        {
            Assert.StartsWith(ToDuckDb, await RoutedAsync(carol), StringComparison.Ordinal);
            await Assert.ThrowsAsync<HiveClientException>(() => carol.QueryAsync("SELECT answer FROM finance_only"));
            await carol.QueryAsync("SET gateway.engine=scratch");
            Assert.Equal("42", (await carol.QueryAsync("SELECT answer FROM finance_only")).Rows[0][0]);
        }
        await using (var dave = await _gateway.ConnectAsync("dave", "dave-pw"))
        {
            Assert.StartsWith(ToDuckDb, await RoutedAsync(dave), StringComparison.Ordinal);
        }
        await using (var bob = await _gateway.ConnectHttpAsync("bob", "bob-pw"))
        {
            Assert.StartsWith(ToScratch, await RoutedAsync(bob), StringComparison.Ordinal);
        }
        await using (var finance = await _gateway.ConnectHttpAsync("finance", "finance-pw"))
        {
            Assert.StartsWith(ToDuckDb, await RoutedAsync(finance), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task TokensNameGroupsFromTheConfigurationOrTheirClaim()
    {
        await using (var etl = await _gateway.ConnectHttpAsync(bearer: StaticToken))
        {
            Assert.StartsWith(ToScratch, await RoutedAsync(etl), StringComparison.Ordinal);
        }
        // Only groups with the prefix count, and the prefix is stripped: "finance" is not "gw-finance".
        await using (var arrayClaim = await _gateway.ConnectHttpAsync(bearer: Jwt("jwt-a", new[] { "finance", "gw-finance" })))
        {
            Assert.StartsWith(ToScratch, await RoutedAsync(arrayClaim), StringComparison.Ordinal);
        }
        await using (var stringClaim = await _gateway.ConnectHttpAsync(bearer: Jwt("jwt-b", "gw-ops, gw-finance")))
        {
            Assert.StartsWith(ToScratch, await RoutedAsync(stringClaim), StringComparison.Ordinal);
        }
        await using (var unprefixed = await _gateway.ConnectHttpAsync(bearer: Jwt("jwt-c", "finance")))
        {
            Assert.StartsWith(ToDuckDb, await RoutedAsync(unprefixed), StringComparison.Ordinal);
        }
        var malformed = await Assert.ThrowsAsync<HiveClientException>(() => _gateway.ConnectHttpAsync(bearer: Jwt("jwt-d", 42)));
        Assert.Contains("malformed 'groups' claim", malformed.Message, StringComparison.Ordinal);
        var tooMany = await Assert.ThrowsAsync<HiveClientException>(() => _gateway.ConnectHttpAsync(bearer: Jwt("jwt-e", "gw-a gw-b gw-c gw-d gw-e")));
        Assert.Contains("more than 4 groups (Gateway:Auth:MaxGroups)", tooMany.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AUserBeyondTheGroupLimitIsRefusedWithTheReason()
    {
        var binary = await Assert.ThrowsAsync<HiveClientException>(() => _gateway.ConnectAsync("greedy", "greedy-pw"));
        Assert.Contains("more than 4 groups", binary.Message, StringComparison.Ordinal);
        var http = await Assert.ThrowsAsync<HiveClientException>(() => _gateway.ConnectHttpAsync("greedy", "greedy-pw"));
        Assert.Contains("more than 4 groups", http.Message, StringComparison.Ordinal);
        // A wrong password learns nothing about the groups.
        var wrong = await Assert.ThrowsAsync<HiveClientException>(() => _gateway.ConnectHttpAsync("greedy", "nope"));
        Assert.DoesNotContain("groups", wrong.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheCookieCarriesTheGroupsToSessionsOpenedWithItAlone()
    {
        using var http = RawHttp.Client();
        using var first = await RawHttp.PostAsync(http, _gateway.HttpUri, RawHttp.OpenSession(), RawHttp.Basic("alice", "alice-pw"));
        Assert.Equal(TStatusCode.SUCCESS_STATUS, (await RawHttp.ReplyAsync<TOpenSessionResp>(first)).Status.StatusCode);
        var cookie = RawHttp.CookiePair(first);

        // No credentials at all: the session's groups can only have come from the cookie.
        using var second = await RawHttp.PostAsync(http, _gateway.HttpUri, RawHttp.OpenSession(), cookie: cookie);
        var session = (await RawHttp.ReplyAsync<TOpenSessionResp>(second)).SessionHandle!;
        using var execute = await RawHttp.PostAsync(http, _gateway.HttpUri,
            RawHttp.Call("ExecuteStatement", new TExecuteStatementReq { SessionHandle = session, Statement = "SELECT 1" }), cookie: cookie);
        var operation = (await RawHttp.ReplyAsync<TExecuteStatementResp>(execute)).OperationHandle!;
        using var fetch = await RawHttp.PostAsync(http, _gateway.HttpUri, RawHttp.Call("FetchResults",
            new TFetchResultsReq { OperationHandle = operation, Orientation = TFetchOrientation.FETCH_NEXT, MaxRows = 100, FetchType = 1 }), cookie: cookie);
        var log = await RawHttp.ReplyAsync<TFetchResultsResp>(fetch);
        using var batch = HiveRowSets.ToBatch(log.Results!, new ResultSchema([new ColumnInfo("log", SqlType.String)]));
        var lines = Enumerable.Range(0, batch.RowCount).Select(i => ValueFormatter.Utc.FormatToString(batch.Columns[0], i) ?? "").ToList();
        Assert.Contains(lines, l => l.Contains(ToScratch, StringComparison.Ordinal));
    }

    private static async Task<bool> HasMarkerAsync(HiveConnection c) =>
        (await c.QueryAsync("SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name = 'group_marker'")).Rows[0][0] == "1";

    [Fact]
    public async Task GroupShareLevelPoolsByPrimaryGroupAcrossUsersAndNeverAcrossGroups()
    {
        var pool = _gateway.Services.GetRequiredService<EngineSessionPools>().Find("scratch")!;
        var onScratch = new Dictionary<string, string> { ["gateway.engine"] = "scratch" };
        await using (var alice = await _gateway.ConnectAsync("alice", "alice-pw", configuration: onScratch))
        {
            await alice.QueryAsync("CREATE TEMP TABLE group_marker AS SELECT 'finance' AS owner");
            Assert.True(await HasMarkerAsync(alice));
        }
        Assert.Equal((1, 0), (pool.Idle, pool.InUse));

        // Another group, a user without groups named like the group, and one without groups at all: none of them
        // gets finance's engine session.
        foreach (var (user, password) in new[] { ("carol", "carol-pw"), ("finance", "finance-pw"), ("dave", "dave-pw") })
        {
            await using var other = await _gateway.ConnectAsync(user, password, configuration: onScratch);
            Assert.False(await HasMarkerAsync(other), user);
        }
        Assert.Equal((4L, 0L), (pool.Opened, pool.Reused));

        // Bob shares alice's primary group: he gets her engine session, temporary table and all.
        await using (var bob = await _gateway.ConnectAsync("bob", "bob-pw", configuration: onScratch))
        {
            Assert.True(await HasMarkerAsync(bob));
            Assert.Equal("finance", (await bob.QueryAsync("SELECT owner FROM group_marker")).Rows[0][0]);
        }
        Assert.Equal((4L, 1L), (pool.Opened, pool.Reused));

        // The static token's user is in finance too, over HTTP (routed to scratch by the finance rule).
        await using var etl = await _gateway.ConnectHttpAsync(bearer: StaticToken);
        Assert.True(await HasMarkerAsync(etl));
        Assert.Equal(2L, pool.Reused);
    }
}
