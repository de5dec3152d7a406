using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Gateway.Engines;
using Gateway.Engines.Trino;
using Gateway.Protocol.Columnar;
using Gateway.Server.Auth;

namespace Gateway.Tests.InProcess;

/// <summary>
/// The Trino frontend at the protocol level: info, the queued first answer and its pages, repeated and stale tokens,
/// other users' queries, authentication and impersonation; and the project's own Trino engine adapter against it.
/// </summary>
public sealed class TrinoFrontendInProcessTests(TrinoFrontendInProcessTests.Gateways gateways) : IClassFixture<TrinoFrontendInProcessTests.Gateways>, IDisposable
{
    /// <summary>Two gateways for the class: an open one with the demo data, and one with a password file.</summary>
    public sealed class Gateways : IAsyncLifetime
    {
        public GatewayInstance Open { get; private set; } = null!;
        public GatewayInstance Secured { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Open = await GatewayInstance.StartAsync();
            var folder = Directory.CreateTempSubdirectory("gw-trino-secured").FullName;
            PasswordFile.Write(Path.Combine(folder, "users.txt"), new Dictionary<string, PasswordEntry> { ["alice"] = new(PasswordHash.Create("alice-pw", 1000), ["analysts"]) });
            Secured = await GatewayInstance.StartAsync(new Dictionary<string, string?>
            {
                ["Gateway:Auth:Mode"] = "PasswordFile",
                ["Gateway:Auth:PasswordFile"] = Path.Combine(folder, "users.txt"),
                ["Gateway:DuckDb:DemoData"] = "false",
            }, Path.Combine(folder, "data"));
        }

        public async Task DisposeAsync()
        {
            await Open.DisposeAsync();
            await Secured.DisposeAsync();
        }
    }

    private GatewayInstance _open => gateways.Open;
    private GatewayInstance _secured => gateways.Secured;
    private readonly HttpClient _http = new();

    public void Dispose() => _http.Dispose();

    private static HttpRequestMessage Request(HttpMethod method, Uri uri, string? user, string? body = null, string? basic = null)
    {
        var request = new HttpRequestMessage(method, uri);
        if (user is not null) request.Headers.Add("X-Trino-User", user);
        if (basic is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(basic)));
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, "text/plain");
        return request;
    }

    private async Task<(HttpStatusCode Status, JsonElement? Json, string Text)> SendAsync(HttpRequestMessage request)
    {
        using var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        JsonElement? json = response.Content.Headers.ContentType?.MediaType == "application/json" ? JsonDocument.Parse(text).RootElement.Clone() : null;
        return (response.StatusCode, json, text);
    }

    [Fact]
    public async Task PagesFollowTheProtocolAndBelongToTheirUser()
    {
        var info = await SendAsync(Request(HttpMethod.Get, new Uri(_open.TrinoUri, "/v1/info"), null));
        Assert.Equal(HttpStatusCode.OK, info.Status);
        Assert.False(info.Json!.Value.GetProperty("starting").GetBoolean());

        var noUser = await SendAsync(Request(HttpMethod.Post, new Uri(_open.TrinoUri, "/v1/statement"), null, "SELECT 1"));
        Assert.Equal(HttpStatusCode.BadRequest, noUser.Status);
        var empty = await SendAsync(Request(HttpMethod.Post, new Uri(_open.TrinoUri, "/v1/statement"), "ann", "  "));
        Assert.Equal(HttpStatusCode.BadRequest, empty.Status);

        var queued = await SendAsync(Request(HttpMethod.Post, new Uri(_open.TrinoUri, "/v1/statement"), "ann", "SELECT 6 * 7 AS answer"));
        Assert.Equal("QUEUED", queued.Json!.Value.GetProperty("stats").GetProperty("state").GetString());
        Assert.False(queued.Json.Value.TryGetProperty("data", out _));
        var next = new Uri(queued.Json.Value.GetProperty("nextUri").GetString()!);
        Assert.Matches(@"^/v1/statement/executing/\d{8}_\d{6}_\d{5}_[0-9a-f]{10}/[0-9a-f]{32}/1$", next.AbsolutePath);

        // Another user does not see the query, whatever link they hold.
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(Request(HttpMethod.Get, next, "bob"))).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(Request(HttpMethod.Get, new Uri(next, "x"), "ann"))).Status);
        var badSlug = new Uri(next, next.AbsolutePath.Replace(next.Segments[^2].TrimEnd('/'), new string('0', 32), StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(Request(HttpMethod.Get, badSlug, "ann"))).Status);

        var page = await SendAsync(Request(HttpMethod.Get, next, "ann"));
        Assert.Equal(HttpStatusCode.OK, page.Status);
        var json = page.Json!.Value;
        Assert.Equal("FINISHED", json.GetProperty("stats").GetProperty("state").GetString());
        Assert.Equal("answer", json.GetProperty("columns")[0].GetProperty("name").GetString());
        Assert.Equal("integer", json.GetProperty("columns")[0].GetProperty("typeSignature").GetProperty("rawType").GetString());
        Assert.Equal(42, json.GetProperty("data")[0][0].GetInt32());
        Assert.False(json.TryGetProperty("nextUri", out _));
        // The query is over: its links are gone.
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(Request(HttpMethod.Get, next, "ann"))).Status);
    }

    /// <summary>Runs one statement as ann with extra request headers: its rows, its error, and the headers of its last page.</summary>
    private async Task<(List<string?[]> Rows, JsonElement? Error, Dictionary<string, string[]> Headers)> RunAsync(string sql, params (string Name, string Value)[] headers)
    {
        var answer = await TrinoHttp.RunAsync(_open.TrinoUri, "ann", sql, headers: headers);
        return (answer.Rows, answer.Error, answer.Headers);
    }

    [Fact]
    public async Task PreparedStatementsTravelInHeadersAndBindTheirValues()
    {
        var prepare = await RunAsync("PREPARE top_sales FROM SELECT sale_id, ? AS label FROM demo.sales WHERE sale_id <= ? ORDER BY sale_id");
        Assert.Null(prepare.Error);
        var added = Assert.Single(prepare.Headers["X-Trino-Added-Prepare"]);
        Assert.StartsWith("top_sales=", added, StringComparison.Ordinal);

        var prepared = ("X-Trino-Prepared-Statement", added);
        var (rows, error, _) = await RunAsync("EXECUTE top_sales USING 'it''s -- \\ ?', BIGINT '3'", prepared);
        Assert.Null(error);
        Assert.Equal([["1", "it's -- \\ ?"], ["2", "it's -- \\ ?"], ["3", "it's -- \\ ?"]], rows);

        // The client's own session statement text is never parsed for values: a value that is not a literal is refused.
        var expression = await RunAsync("EXECUTE top_sales USING (SELECT 'x'), 3", prepared);
        Assert.Equal("NOT_SUPPORTED", expression.Error!.Value.GetProperty("errorName").GetString());
        var unknown = await RunAsync("EXECUTE nowhere USING 1");
        Assert.Contains("Prepared statement not found: nowhere", unknown.Error!.Value.GetProperty("message").GetString(), StringComparison.Ordinal);

        // EXECUTE IMMEDIATE (Trino 418+): the statement in a string, typed literals of every kind.
        (rows, error, _) = await RunAsync("EXECUTE IMMEDIATE 'SELECT ? AS d, ? AS ts, ? AS b, ? AS n, ? AS x, ? AS f' USING DATE '2024-02-29', TIMESTAMP '2024-01-31 12:00:00.5', X'00ff', NULL, -1.25, true");
        Assert.Null(error);
        Assert.Equal([["2024-02-29", "2024-01-31 12:00:00.500000", "AP8=", null, "-1.25", "True"]], rows);

        // SHOW SESSION lists what the client's X-Trino-Session carries (and the gateway's own session settings).
        var shown = await RunAsync("SHOW SESSION LIKE 'query%'", ("X-Trino-Session", "query_max_run_time=1h"));
        Assert.Equal([["query_max_run_time", "1h", "", "varchar", "gateway session setting"]], shown.Rows);

        var deallocate = await RunAsync("DEALLOCATE PREPARE top_sales", prepared);
        Assert.Equal("top_sales", Assert.Single(deallocate.Headers["X-Trino-Deallocated-Prepare"]));
    }

    [Fact]
    public async Task UseOfAGatewayCatalogSetsTheCatalogAndTheSchema()
    {
        var (_, error, headers) = await RunAsync("USE embedded.demo");
        Assert.Null(error);
        Assert.Equal("embedded", Assert.Single(headers["X-Trino-Set-Catalog"]));
        Assert.Equal("demo", Assert.Single(headers["X-Trino-Set-Schema"]));
        var (rows, _, _) = await RunAsync("SELECT count(*) FROM sales", ("X-Trino-Catalog", "embedded"), ("X-Trino-Schema", "demo"));
        Assert.Equal([["1000000"]], rows);
        var missing = await RunAsync("USE embedded.no_such_schema");
        Assert.NotNull(missing.Error);
    }

    [Fact]
    public async Task MetadataTablesAnswerInTrinosShapesWhateverTheEngine()
    {
        // information_schema.columns names types as Trino does (SQLAlchemy's trino dialect parses data_type).
        var (rows, error, _) = await RunAsync("SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'demo' AND table_name = 'sales' ORDER BY ordinal_position");
        Assert.Null(error);
        Assert.NotEmpty(rows);
        Assert.All(rows, r => Assert.Matches("^(bigint|integer|smallint|tinyint|double|real|boolean|date|varchar|varbinary|decimal\\(\\d+,\\d+\\)|timestamp\\(\\d\\)( with time zone)?)$", r[1]!));
        // system.jdbc as Trino's JDBC driver queries it: LIKE with ESCAPE, ORDER BY, every column the driver names.
        (rows, error, _) = await RunAsync(
            "SELECT TABLE_CAT, TABLE_SCHEM, TABLE_NAME, TABLE_TYPE, REMARKS, TYPE_CAT, TYPE_SCHEM, TYPE_NAME, SELF_REFERENCING_COL_NAME, REF_GENERATION FROM system.jdbc.tables"
            + " WHERE TABLE_CAT = 'embedded' AND TABLE_SCHEM LIKE 'demo' ESCAPE '\\' AND TABLE_NAME LIKE 's%' ESCAPE '\\' ORDER BY TABLE_TYPE, TABLE_CAT, TABLE_SCHEM, TABLE_NAME",
            ("X-Trino-Catalog", "embedded"));
        Assert.Null(error);
        Assert.Contains(rows, r => r[2] == "sales" && r[3] == "TABLE" && r[0] == "embedded");
        (rows, _, _) = await RunAsync("SELECT data_type, type_name, ordinal_position FROM system.jdbc.columns WHERE table_schem = 'demo' AND table_name = 'sales' AND column_name = 'sale_id'");
        Assert.Equal([["-5", "bigint", "1"]], rows);
        Assert.Contains(["embedded"], (await RunAsync("SELECT table_cat FROM system.jdbc.catalogs")).Rows);

        // A filter of one part of the query is not applied to the listing the rest reads.
        (rows, _, _) = await RunAsync("SELECT (SELECT count(*) FROM system.jdbc.tables WHERE table_name = 'sales') AS one, count(*) AS every FROM system.jdbc.tables");
        Assert.Equal("1", rows.Single()[0]);
        Assert.True(long.Parse(rows.Single()[1]!, System.Globalization.CultureInfo.InvariantCulture) > 1);
        // The answer is materialized, so it is bounded: a cross join of the types table five times is 1.9M rows.
        var cross = await RunAsync("SELECT 1 FROM system.jdbc.types a, system.jdbc.types b, system.jdbc.types c, system.jdbc.types d, system.jdbc.types e");
        Assert.Contains("more than 1,000,000 rows", cross.Error!.Value.GetProperty("message").GetString(), StringComparison.Ordinal);

        var missing = await RunAsync("SELECT * FROM system.jdbc.nope");
        Assert.Equal("TABLE_NOT_FOUND", missing.Error!.Value.GetProperty("errorName").GetString());
        // Only the metadata tables exist there: a query that joins an ordinary table fails, and harms nothing.
        var mixed = await RunAsync("SELECT * FROM information_schema.tables t JOIN demo.sales s ON t.table_name = 'x'");
        Assert.NotNull(mixed.Error);
        Assert.Equal([["1"]], (await RunAsync("SELECT 1")).Rows);
    }

    [Fact]
    public async Task ARepeatedTokenGetsTheSamePageAndAStaleOneIsGone()
    {
        var queued = await SendAsync(Request(HttpMethod.Post, new Uri(_open.TrinoUri, "/v1/statement"), "ann", "SELECT sale_id FROM demo.sales"));
        var first = new Uri(queued.Json!.Value.GetProperty("nextUri").GetString()!);
        var a = await SendAsync(Request(HttpMethod.Get, first, "ann"));
        var again = await SendAsync(Request(HttpMethod.Get, first, "ann"));
        Assert.Equal(a.Text, again.Text);
        var second = new Uri(a.Json!.Value.GetProperty("nextUri").GetString()!);
        Assert.EndsWith("/2", second.AbsolutePath, StringComparison.Ordinal);
        await SendAsync(Request(HttpMethod.Get, second, "ann"));
        Assert.Equal(HttpStatusCode.Gone, (await SendAsync(Request(HttpMethod.Get, first, "ann"))).Status);
        // DELETE cancels; the links go.
        var cancel = await SendAsync(Request(HttpMethod.Delete, second, "ann"));
        Assert.Equal(HttpStatusCode.NoContent, cancel.Status);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(Request(HttpMethod.Get, second, "ann"))).Status);
    }

    [Fact]
    public async Task CredentialsAreCheckedAndAnotherUserIsImpersonationTheAccessPolicyDecides()
    {
        var uri = new Uri(_secured.TrinoUri, "/v1/statement");
        var none = await SendAsync(Request(HttpMethod.Post, uri, "alice", "SELECT 1"));
        Assert.Equal(HttpStatusCode.Unauthorized, none.Status);
        var wrong = await SendAsync(Request(HttpMethod.Post, uri, "alice", "SELECT 1", "alice:nope"));
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.Status);

        var ok = await SendAsync(Request(HttpMethod.Post, uri, "alice", "SELECT 1 AS x", "alice:alice-pw"));
        var page = await SendAsync(Request(HttpMethod.Get, new Uri(ok.Json!.Value.GetProperty("nextUri").GetString()!), "alice", basic: "alice:alice-pw"));
        Assert.Equal(1, page.Json!.Value.GetProperty("data")[0][0].GetInt32());

        var asBob = await SendAsync(Request(HttpMethod.Post, uri, "bob", "SELECT 1", "alice:alice-pw"));
        var refused = await SendAsync(Request(HttpMethod.Get, new Uri(asBob.Json!.Value.GetProperty("nextUri").GetString()!), "bob", basic: "alice:alice-pw"));
        var error = refused.Json!.Value.GetProperty("error");
        Assert.Equal("PERMISSION_DENIED", error.GetProperty("errorName").GetString());
        Assert.Contains("alice may not act as bob", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheTrinoEngineAdapterReadsWhatTheFrontendWrites()
    {
        await using var engine = new TrinoEngine(new TrinoEngineOptions { Name = "self", Port = _open.TrinoUri.Port, User = "adapter", Catalog = "embedded", Schema = "demo" });
        Assert.True((await engine.CheckHealthAsync(CancellationToken.None)).Healthy);
        await using var session = await engine.OpenSessionAsync(new EngineSessionOptions("adapter"), CancellationToken.None);
        await using var result = await session.ExecuteAsync(
            "SELECT CAST('12.34' AS DECIMAL(10,2)) AS d, DATE '2024-02-29' AS dt, TIMESTAMP '2024-01-31 12:34:56.123456' AS ts, 'h\u00e9' AS s, CAST(NULL AS BIGINT) AS n, count(*) AS c FROM sales",
            ExecuteOptions.Default, CancellationToken.None);
        Assert.Equal([SqlType.Decimal(10, 2), SqlType.Date, SqlType.Timestamp, SqlType.String, SqlType.BigInt, SqlType.BigInt], result.Schema.Columns.Select(c => c.Type));
        using var batch = (await result.ReadBatchAsync(100, CancellationToken.None))!;
        Assert.Equal((Int128)1234, ((PrimitiveColumn<Int128>)batch.Columns[0]).Values[0]);
        Assert.Equal(new DateOnly(2024, 2, 29), ValueConversions.DateFromDays(((PrimitiveColumn<int>)batch.Columns[1]).Values[0]));
        Assert.Equal(new DateTime(2024, 1, 31, 12, 34, 56).AddTicks(1234560), ValueConversions.TimestampFromMicros(((PrimitiveColumn<long>)batch.Columns[2]).Values[0]));
        Assert.Equal("h\u00e9", ((BinaryColumn)batch.Columns[3]).GetString(0));
        Assert.True(batch.Columns[4].IsNull(0));
        Assert.Equal(1_000_000, ((PrimitiveColumn<long>)batch.Columns[5]).Values[0]);

        var error = await Assert.ThrowsAsync<EngineException>(() => session.ExecuteAsync("SELECT * FROM nowhere_at_all", ExecuteOptions.Default, CancellationToken.None).AsTask());
        Assert.Equal("42S02", error.SqlState);
        Assert.False(error.Retryable);
    }
}
