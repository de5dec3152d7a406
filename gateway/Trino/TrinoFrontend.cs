using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using Gateway.Protocol.Columnar;
using Gateway.Protocol.Hive;
using Gateway.Protocol.Sql;
using Gateway.Server.Auth;
using Gateway.Server.Configuration;
using Gateway.Server.Operations;
using Gateway.Server.Sessions;
using Gateway.Server.Statements;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Gateway.Server.Trino;

/// <summary>
/// The Trino client protocol on the gateway's own listener (<c>Gateway:Trino</c>): Trino's CLI, JDBC, Python and
/// Node clients, Superset's <c>trino://</c> and DBeaver's Trino driver reach every engine behind the gateway, each
/// statement routed, checked and run exactly as an HS2 statement is (<see cref="StatementRunner"/>).
/// <list type="bullet">
/// <item><c>POST /v1/statement</c> opens a gateway session for the query from its headers (<c>X-Trino-User</c> only
/// when authentication is None; <c>Catalog</c>, <c>Schema</c>, <c>Session</c>, <c>Time-Zone</c>), starts it, and
/// answers within <c>MaxWait</c> with its first page.</item>
/// <item><c>GET</c> of the <c>nextUri</c> (random id and slug, the owner's credentials) answers the next page, up to
/// <c>TargetPageBytes</c> of rows read as the client asks (the HS2 read-ahead behind it); a repeated token gets the
/// same page again. <c>DELETE</c> of it, or of <c>/v1/query/{id}</c>, cancels.</item>
/// <item><c>SET SESSION</c>/<c>RESET SESSION</c> and <c>USE</c> answer with the headers that make the client carry the
/// change (<c>X-Trino-Set-Session</c>, <c>X-Trino-Clear-Session</c>, <c>X-Trino-Set-Schema</c>).</item>
/// <item><c>GET /v1/info</c> (no credentials) says the gateway is up, for clients and load balancers.</item>
/// </list>
/// A query's session closes when its last page is sent, when it fails or is canceled, and when its client has not
/// asked for <c>QueryIdleTimeout</c>.
/// </summary>
public sealed partial class TrinoFrontend : IAsyncDisposable
{
    private const string ExecutingPrefix = "/v1/statement/executing/";
    private readonly ConcurrentDictionary<string, TrinoQuery> _queries = new(StringComparer.Ordinal);
    private readonly SessionManager _sessions;
    private readonly HttpAuthenticator _auth;
    private readonly GatewayOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly StatementRunner _runner;
    private readonly DateTimeOffset _started;
    private readonly ITimer _sweeper;

    public TrinoFrontend(SessionManager sessions, HttpAuthenticator auth, GatewayOptions options, TimeProvider time, ILogger<TrinoFrontend> logger)
    {
        _sessions = sessions;
        _auth = auth;
        _options = options;
        _time = time;
        _logger = logger;
        _runner = sessions.Runner;
        _started = time.GetUtcNow();
        var every = TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(1).Ticks, Math.Min(options.Trino.QueryIdleTimeout.Ticks / 4, TimeSpan.FromSeconds(30).Ticks)));
        _sweeper = time.CreateTimer(_ => _ = SweepAsync(), null, every, every);
    }

    /// <summary>Queries open now.</summary>
    public int QueryCount => _queries.Count;

    private TrinoListenerOptions Settings => _options.Trino;

    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        var path = request.Path.Value ?? "";
        var ct = context.RequestAborted;
        if (path == "/v1/info" && HttpMethods.IsGet(request.Method))
        {
            await InfoAsync(context).ConfigureAwait(false);
            return;
        }
        var auth = await _auth.AuthenticateAsync(request.Headers.Authorization.ToString(), [], context.Connection.RemoteIpAddress, ct).ConfigureAwait(false);
        if (!auth.Succeeded)
        {
            LogAuthFailed(_logger, context.Connection.RemoteIpAddress?.ToString(), auth.Reason ?? auth.Failure.ToString());
            context.Response.Headers.WWWAuthenticate = "Basic realm=\"Trino\"";
            await PlainAsync(context, StatusCodes.Status401Unauthorized, auth.Reason ?? "authentication required").ConfigureAwait(false);
            return;
        }
        var header = request.Headers[TrinoHeaderNames.User].ToString();
        string user;
        string? actAs = null;
        if (auth.UserFromRequest)
        {
            // Without authentication the client names its user, as Trino's own X-Trino-User.
            if (string.IsNullOrWhiteSpace(header) || header.Any(char.IsControl))
            {
                await PlainAsync(context, StatusCodes.Status400BadRequest, "X-Trino-User must name the user").ConfigureAwait(false);
                return;
            }
            user = header.Trim();
        }
        else
        {
            user = auth.User;
            // A different X-Trino-User is impersonation: the access policy's impersonation rules decide, at session open.
            if (!string.IsNullOrWhiteSpace(header) && !string.Equals(header.Trim(), auth.User, StringComparison.Ordinal)) actAs = header.Trim();
        }
        var caller = new CallerContext(user, null, context.Connection.RemoteIpAddress?.ToString(), "trino") { Groups = auth.Groups };

        if (path == "/v1/statement" && HttpMethods.IsPost(request.Method))
        {
            await SubmitAsync(context, caller, actAs).ConfigureAwait(false);
            return;
        }
        if (path.StartsWith(ExecutingPrefix, StringComparison.Ordinal) && path[ExecutingPrefix.Length..].Split('/') is [var id, var slug, var tokenText]
            && long.TryParse(tokenText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var token))
        {
            if (!_queries.TryGetValue(id, out var query) || !string.Equals(query.Slug, slug, StringComparison.Ordinal) || !string.Equals(query.Owner, user, StringComparison.Ordinal))
            {
                await PlainAsync(context, StatusCodes.Status404NotFound, "no such query").ConfigureAwait(false);
                return;
            }
            if (HttpMethods.IsGet(request.Method)) await NextAsync(context, query, token).ConfigureAwait(false);
            else if (HttpMethods.IsDelete(request.Method)) await CancelAsync(context, query).ConfigureAwait(false);
            else await PlainAsync(context, StatusCodes.Status405MethodNotAllowed, "GET or DELETE").ConfigureAwait(false);
            return;
        }
        if (path.StartsWith("/v1/query/", StringComparison.Ordinal) && path["/v1/query/".Length..] is { Length: > 0 } queryId && !queryId.Contains('/', StringComparison.Ordinal))
        {
            if (!_queries.TryGetValue(queryId, out var query) || !string.Equals(query.Owner, user, StringComparison.Ordinal))
            {
                await PlainAsync(context, StatusCodes.Status404NotFound, "no such query").ConfigureAwait(false);
                return;
            }
            if (HttpMethods.IsDelete(request.Method)) await CancelAsync(context, query).ConfigureAwait(false);
            else await QueryInfoAsync(context, query).ConfigureAwait(false);
            return;
        }
        await PlainAsync(context, StatusCodes.Status404NotFound, "not found: the Trino protocol answers POST /v1/statement").ConfigureAwait(false);
    }

    private async Task SubmitAsync(HttpContext context, CallerContext caller, string? actAs)
    {
        var request = context.Request;
        var max = _options.Limits.MaxMessageBytes;
        if (request.ContentLength > max)
        {
            await PlainAsync(context, StatusCodes.Status413PayloadTooLarge, $"the statement is larger than {max} bytes (Gateway:Limits:MaxMessageBytes)").ConfigureAwait(false);
            return;
        }
        string sql;
        using (var reader = new StreamReader(request.Body, new UTF8Encoding(false, throwOnInvalidBytes: true)))
        {
            var buffer = new char[Math.Min(max, 1 << 20)];
            var sb = new StringBuilder();
            int n;
            try
            {
                while ((n = await reader.ReadAsync(buffer, context.RequestAborted).ConfigureAwait(false)) > 0)
                {
                    sb.Append(buffer, 0, n);
                    if (sb.Length > max)
                    {
                        await PlainAsync(context, StatusCodes.Status413PayloadTooLarge, $"the statement is larger than {max} bytes (Gateway:Limits:MaxMessageBytes)").ConfigureAwait(false);
                        return;
                    }
                }
            }
            catch (DecoderFallbackException)
            {
                await PlainAsync(context, StatusCodes.Status400BadRequest, "the statement is not UTF-8").ConfigureAwait(false);
                return;
            }
            sql = sb.ToString();
        }
        if (string.IsNullOrWhiteSpace(sql))
        {
            await PlainAsync(context, StatusCodes.Status400BadRequest, "SQL statement is empty").ConfigureAwait(false);
            return;
        }

        var headers = request.Headers;
        var conf = new Dictionary<string, string>(StringComparer.Ordinal);
        if (headers[TrinoHeaderNames.Schema].ToString() is { Length: > 0 } schema) conf["use:database"] = schema;
        if (headers[TrinoHeaderNames.Catalog].ToString() is { Length: > 0 } catalog) conf["use:catalog"] = catalog;
        foreach (var (k, v) in SessionProperties(headers[TrinoHeaderNames.Session])) conf["set:hiveconf:" + k] = v;
        if (headers[TrinoHeaderNames.TimeZone].ToString() is { Length: > 0 } zone) conf["set:hiveconf:spark.sql.session.timeZone"] = zone;
        if (actAs is not null) conf[SessionManager.ProxyUserKey] = actAs;

        var now = _time.GetUtcNow();
        Hs2Session? session = null;
        Exception? refused = null;
        try
        {
            session = await _sessions.OpenSessionAsync(caller, (int)TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V10, conf, context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is GatewayException or Gateway.Engines.EngineException)
        {
            refused = ex;
        }
        var query = new TrinoQuery(caller.User, session, sql, now, BaseOf(request));
        _queries[query.Id] = query;
        try
        {
            if (refused is not null) query.Decided = Page(query, refused, null);
            else await StartAsync(query, session!, headers, context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is GatewayException or Gateway.Engines.EngineException or OperationCanceledException)
        {
            query.DecidedHeaders.Clear();
            query.Decided = Page(query, ex is OperationCanceledException ? new GatewayException(Operation.CanceledMessage, "HY008") : ex, null);
        }
        if (query.Operation is not null) LogQueryStarted(_logger, query.Id, caller.User, query.Operation.Handle.Id);
        // As Trino does, the POST answers at once with the query queued and its first link; every outcome, a refusal
        // included, comes on the pages after it (clients read only those).
        query.State = "QUEUED";
        var queued = Json(w =>
        {
            Header(w, query, Next(query));
            Stats(w, query, 0);
        });
        query.LastPage = queued;
        query.Token = 1;
        await WriteAsync(context, queued).ConfigureAwait(false);
    }

    /// <summary>
    /// Decides what a query is and starts it: a session statement (SET/RESET SESSION, PREPARE, DEALLOCATE PREPARE) is
    /// answered at once; browsing from the metadata; EXECUTE runs its prepared statement with the values bound; USE of a
    /// gateway catalog's schema runs as USE of the schema; anything else goes to the statement runner as written.
    /// </summary>
    private async Task StartAsync(TrinoQuery query, Hs2Session session, IHeaderDictionary headers, CancellationToken ct)
    {
        // Lexed once for every decision below (again only for the statement an EXECUTE names).
        var sql = query.Sql;
        var tokens = SqlLexer.Tokenize(sql, SqlDialect.Trino);
        var words = WithoutSemicolons(tokens);
        if (SessionStatement(query, words, query.DecidedHeaders) is { } handled)
        {
            query.Decided = handled;
            return;
        }
        if (TrinoPrepared.Prepare(sql, tokens) is { } prepare)
        {
            query.DecidedHeaders.Add(new(TrinoHeaderNames.AddedPrepare, Uri.EscapeDataString(prepare.Name) + "=" + Uri.EscapeDataString(prepare.Statement)));
            query.Decided = Done(query, "PREPARE");
            return;
        }
        if (TrinoPrepared.Deallocate(tokens) is { } deallocate)
        {
            query.DecidedHeaders.Add(new(TrinoHeaderNames.DeallocatedPrepare, Uri.EscapeDataString(deallocate)));
            query.Decided = Done(query, "DEALLOCATE");
            return;
        }
        IReadOnlyList<Gateway.Engines.QueryParameter> parameters = [];
        if (TrinoPrepared.Execute(tokens, TrinoPrepared.FromHeaders(headers[TrinoHeaderNames.PreparedStatement]), session.Formatter.Zone) is { } execute)
        {
            (sql, parameters) = execute;
            query.Statement = sql;
            tokens = SqlLexer.Tokenize(sql, SqlDialect.Trino);
            words = WithoutSemicolons(tokens);
        }
        if (TrinoMetadataTables.Parse(sql, tokens) is { } metadata)
        {
            // system.jdbc (Trino's JDBC driver) and information_schema (SQLAlchemy, Superset, dbt-trino), built from the metadata the user may see.
            var rows = await TrinoMetadataTables.QueryAsync(session, _sessions, metadata, ct).ConfigureAwait(false);
            var op = new MaterializedOperation(session, OperationType.ExecuteStatement, _time, rows);
            _sessions.AddOperation(op);
            query.Operation = op;
            return;
        }
        if (TrinoListings.Parse(words) is { } listing)
        {
            // Browsing (SHOW CATALOGS/SCHEMAS/TABLES/COLUMNS, DESCRIBE): answered from the metadata, in Trino's layouts.
            var batch = await listing(session, _sessions, ct).ConfigureAwait(false);
            var op = new MaterializedOperation(session, OperationType.ExecuteStatement, _time, batch);
            _sessions.AddOperation(op);
            query.Operation = op;
            return;
        }
        if (UseOfCatalog(words) is { } use)
        {
            query.UseCatalog = use.Catalog;
            sql = "USE `" + use.Schema.Replace("`", "``", StringComparison.Ordinal) + "`";
        }
        else sql = TrinoStatementText.ToGateway(sql, tokens);
        query.Operation = await _runner.StartAsync(session, new StatementRequest(sql) { RunAsync = true, Parameters = parameters }, ct).ConfigureAwait(false);
    }

    private static List<SqlToken> WithoutSemicolons(IReadOnlyList<SqlToken> tokens) => [.. tokens.Where(t => t.Kind != SqlTokenKind.Semicolon)];

    /// <summary>
    /// <c>USE catalog.schema</c> where the catalog is one of the gateway's (what SHOW CATALOGS lists): the gateway's USE
    /// takes the schema, and the client is told both. Null for anything else (a catalog the engine itself knows included).
    /// </summary>
    private (string Catalog, string Schema)? UseOfCatalog(List<SqlToken> tokens)
    {
        if (tokens is not [var use, var catalog, { Kind: SqlTokenKind.Dot }, var schema] || !use.IsWord("USE") || !catalog.IsIdentifier || !schema.IsIdentifier) return null;
        var name = catalog.Kind == SqlTokenKind.Word ? catalog.Value.ToLowerInvariant() : catalog.Value;
        if (_sessions.Routing.Catalogs.Find(name) is not { } known) return null;
        return (known.Name, schema.Kind == SqlTokenKind.Word ? schema.Value.ToLowerInvariant() : schema.Value);
    }

    /// <summary>
    /// Trino's own session statements, answered by the gateway with the headers that make the client carry the change
    /// (each query has a session of its own here, as in Trino): <c>SET SESSION name = value</c> (checked as a SET is),
    /// <c>RESET SESSION name</c>. Null for any other statement.
    /// </summary>
    private byte[]? SessionStatement(TrinoQuery query, List<SqlToken> tokens, List<KeyValuePair<string, string>> headers)
    {
        if (tokens.Count < 3 || !tokens[1].IsWord("SESSION")) return null;
        if (tokens[0].IsWord("SET"))
        {
            var eq = tokens.FindIndex(t => t.Kind == SqlTokenKind.Operator && t.Value == "=");
            if (eq < 3 || eq != tokens.Count - 2) return null;
            var name = string.Concat(tokens.Skip(2).Take(eq - 2).Select(t => t.Value));
            var v = tokens[eq + 1];
            var value = v.Kind is SqlTokenKind.String or SqlTokenKind.Number || v.Kind == SqlTokenKind.Word ? v.Value : null;
            if (value is null || !Gateway.Engines.Trino.TrinoHeaders.IsToken(name)) return null;
            _runner.ValidateSetting(query.Session!, name, value);
            headers.Add(new(TrinoHeaderNames.SetSession, name + "=" + Uri.EscapeDataString(value)));
            return Done(query, "SET SESSION");
        }
        if (tokens[0].IsWord("RESET") && tokens.Count >= 3)
        {
            var name = string.Concat(tokens.Skip(2).Select(t => t.Value));
            if (!Gateway.Engines.Trino.TrinoHeaders.IsToken(name)) return null;
            headers.Add(new(TrinoHeaderNames.ClearSession, name));
            return Done(query, "RESET SESSION");
        }
        return null;
    }

    private static byte[] Done(TrinoQuery query, string updateType)
    {
        query.State = "FINISHED";
        return Json(w =>
        {
            Header(w, query, next: null);
            Stats(w, query, 1.0);
            w.WriteString("updateType", updateType);
        });
    }

    private async Task NextAsync(HttpContext context, TrinoQuery query, long token)
    {
        var ct = context.RequestAborted;
        await query.Gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            query.LastAccess = _time.GetUtcNow();
            if (token == query.Token - 1 && query.LastPage is { } again)
            {
                await WriteAsync(context, again).ConfigureAwait(false);
                return;
            }
            if (token != query.Token || query.Done)
            {
                await PlainAsync(context, StatusCodes.Status410Gone, $"page {token} is not the next page of query {query.Id}").ConfigureAwait(false);
                return;
            }
            var headers = new List<KeyValuePair<string, string>>();
            byte[] page;
            if (query.Decided is { } decided)
            {
                page = decided;
                headers.AddRange(query.DecidedHeaders);
                query.Done = true;
            }
            else
            {
                page = await PageAsync(query, headers, ct).ConfigureAwait(false);
            }
            query.LastPage = page;
            query.Token++;
            foreach (var (k, v) in headers) context.Response.Headers.Append(k, v);
            await WriteAsync(context, page).ConfigureAwait(false);
        }
        finally
        {
            query.Gate.Release();
        }
        if (query.Done) await FinishAsync(query).ConfigureAwait(false);
    }

    /// <summary>The next page: wait up to MaxWait for the statement, then its state, columns and up to TargetPageBytes of rows.</summary>
    private async Task<byte[]> PageAsync(TrinoQuery query, List<KeyValuePair<string, string>> headers, CancellationToken ct)
    {
        var op = query.Operation!;
        try
        {
            await op.Completion.WaitAsync(Settings.MaxWait, _time, ct).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            query.State = "RUNNING";
            return Json(w =>
            {
                Header(w, query, Next(query));
                if (op.Schema.Count > 0) TrinoJson.WriteColumns(w, op.Schema);
                Stats(w, query, op.Progress);
            });
        }
        catch (Exception) when (op.State is OperationState.Error or OperationState.Canceled or OperationState.TimedOut)
        {
            // The state says what happened.
        }
        if (op.State is OperationState.Error or OperationState.Canceled or OperationState.TimedOut or OperationState.Closed)
        {
            query.Done = true;
            var failure = op.State == OperationState.Canceled ? new GatewayException(Operation.CanceledMessage, "HY008")
                : new GatewayException(op.ErrorMessage ?? "The statement failed.", op.ErrorSqlState, op.ErrorCode);
            return Page(query, failure, op.Schema.Count > 0 ? op.Schema : null);
        }
        if (!op.HasResultSet)
        {
            query.Done = true;
            query.State = "FINISHED";
            if (query.Session is { } session && !string.Equals(session.CurrentDatabase, session.Info.InitialDatabase ?? "default", StringComparison.OrdinalIgnoreCase))
            {
                headers.Add(new(TrinoHeaderNames.SetSchema, session.CurrentDatabase));
            }
            if (query.UseCatalog is { } catalog) headers.Add(new(TrinoHeaderNames.SetCatalog, catalog));
            var verb = UpdateType(query.Statement);
            return Json(w =>
            {
                Header(w, query, next: null);
                if (op.AffectedRows is { } affected)
                {
                    w.WriteStartArray("columns");
                    w.WriteStartObject();
                    w.WriteString("name", "rows");
                    w.WriteString("type", "bigint");
                    w.WritePropertyName("typeSignature");
                    TrinoJson.WriteSignature(w, SqlType.BigInt);
                    w.WriteEndObject();
                    w.WriteEndArray();
                    w.WriteStartArray("data");
                    w.WriteStartArray();
                    w.WriteNumberValue(affected);
                    w.WriteEndArray();
                    w.WriteEndArray();
                }
                Stats(w, query, 1.0);
                w.WriteString("updateType", verb);
                if (op.AffectedRows is { } count) w.WriteNumber("updateCount", count);
            });
        }

        // Rows: read as the client asks, up to about TargetPageBytes of JSON per page.
        var output = new ArrayBufferWriter<byte>(64 * 1024);
        var scratch = new ArrayBufferWriter<byte>(256);
        var more = true;
        using (var w = new Utf8JsonWriter(output, WriterOptions))
        {
            w.WriteStartObject();
            Header(w, query, "{NEXT}");
            TrinoJson.WriteColumns(w, op.Schema);
            w.WriteStartArray("data");
            try
            {
                while (more && w.BytesCommitted + w.BytesPending < Settings.TargetPageBytes)
                {
                    var fetched = await op.FetchAsync(FetchOrientation.Next, Settings.RowsPerFetch, ct).ConfigureAwait(false);
                    try
                    {
                        TrinoJson.WriteRows(w, fetched.Batch, fetched.Offset, fetched.Count, scratch);
                        query.Rows += fetched.Count;
                        // HS2's hasMoreRows may say no at the end of a read-ahead batch: only an empty fetch ends the rows.
                        more = fetched.Count > 0;
                    }
                    finally
                    {
                        if (fetched.Owned) fetched.Batch.Dispose();
                        op.Touch();
                    }
                }
            }
            catch (Exception ex) when (ex is GatewayException or Gateway.Engines.EngineException)
            {
                query.Done = true;
                return Page(query, ex, op.Schema);
            }
            w.WriteEndArray();
            query.State = more ? "RUNNING" : "FINISHED";
            Stats(w, query, more ? op.Progress : 1.0);
            w.WriteEndObject();
        }
        if (!more) query.Done = true;
        // The next link is known only now (whether rows remain): written in its place.
        return ReplaceNext(output.WrittenSpan, more ? Next(query) : null);
    }

    private static byte[] ReplaceNext(ReadOnlySpan<byte> json, string? next)
    {
        var marker = "\"nextUri\":\"{NEXT}\","u8;
        var at = json.IndexOf(marker);
        if (at < 0) return json.ToArray();
        var replacement = next is null ? [] : Encoding.UTF8.GetBytes($"\"nextUri\":{JsonSerializer.Serialize(next)},");
        var result = new byte[json.Length - marker.Length + replacement.Length];
        json[..at].CopyTo(result);
        replacement.CopyTo(result.AsSpan(at));
        json[(at + marker.Length)..].CopyTo(result.AsSpan(at + replacement.Length));
        return result;
    }

    private static string Next(TrinoQuery query) => $"{query.BaseUri}{ExecutingPrefix}{query.Id}/{query.Slug}/{query.Token + 1}";

    /// <summary>Links are absolute, on the scheme, host and port the client reached (as Trino's own are).</summary>
    private static string BaseOf(HttpRequest request) => $"{request.Scheme}://{request.Host}";

    private static string UpdateType(string sql)
    {
        var words = SqlLexer.Tokenize(sql, SqlDialect.Trino).TakeWhile(t => t.Kind == SqlTokenKind.Word).Take(2).Select(t => t.Value.ToUpperInvariant()).ToList();
        return words.Count == 0 ? "UNKNOWN" : words[0] switch
        {
            "CREATE" or "DROP" or "ALTER" or "INSERT" when words.Count > 1 => words[0] == "INSERT" ? "INSERT" : words[0] + " " + words[1],
            _ => words[0],
        };
    }

    private static void Header(Utf8JsonWriter w, TrinoQuery query, string? next)
    {
        w.WriteString("id", query.Id);
        w.WriteString("infoUri", $"{query.BaseUri}/v1/query/{query.Id}");
        if (next is not null) w.WriteString("nextUri", next);
    }

    private static void Stats(Utf8JsonWriter w, TrinoQuery query, double? progress)
    {
        w.WriteStartObject("stats");
        w.WriteString("state", query.State);
        w.WriteBoolean("queued", query.State == "QUEUED");
        w.WriteBoolean("scheduled", query.State != "QUEUED");
        w.WriteNumber("nodes", 1);
        w.WriteNumber("totalSplits", 1);
        w.WriteNumber("queuedSplits", 0);
        w.WriteNumber("runningSplits", query.State == "RUNNING" ? 1 : 0);
        w.WriteNumber("completedSplits", query.State == "FINISHED" ? 1 : 0);
        w.WriteNumber("cpuTimeMillis", 0);
        w.WriteNumber("wallTimeMillis", 0);
        w.WriteNumber("queuedTimeMillis", 0);
        w.WriteNumber("elapsedTimeMillis", 0);
        w.WriteNumber("processedRows", query.Rows);
        w.WriteNumber("processedBytes", 0);
        w.WriteNumber("physicalInputBytes", 0);
        w.WriteNumber("peakMemoryBytes", 0);
        w.WriteNumber("spilledBytes", 0);
        if (progress is { } p) w.WriteNumber("progressPercentage", Math.Round(p * 100, 2));
        w.WriteEndObject();
    }

    /// <summary>A failed query's final page: Trino's QueryError from the gateway's error (SQLSTATE kept in sqlState).</summary>
    private static byte[] Page(TrinoQuery query, Exception error, ResultSchema? schema)
    {
        query.State = "FAILED";
        var (message, sqlState) = error switch
        {
            GatewayException g => (g.Message, g.SqlState),
            Gateway.Engines.EngineException e => (e.Message, e.SqlState),
            _ => ("The statement failed.", "HY000"),
        };
        var (name, trinoCode, type) = TrinoErrorOf(sqlState, message);
        return Json(w =>
        {
            Header(w, query, next: null);
            if (schema is { Count: > 0 }) TrinoJson.WriteColumns(w, schema);
            Stats(w, query, null);
            w.WriteStartObject("error");
            w.WriteString("message", message);
            w.WriteString("sqlState", sqlState);
            w.WriteNumber("errorCode", trinoCode);
            w.WriteString("errorName", name);
            w.WriteString("errorType", type);
            w.WriteStartObject("failureInfo");
            w.WriteString("type", "io.trino.spi.TrinoException");
            w.WriteString("message", message);
            w.WriteStartArray("suppressed");
            w.WriteEndArray();
            w.WriteStartArray("stack");
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
        });
    }

    /// <summary>Trino's error name, code and type for a gateway SQLSTATE (the reverse of the Trino engine's mapping).</summary>
    internal static (string Name, int Code, string Type) TrinoErrorOf(string sqlState, string message) => sqlState switch
    {
        _ when message.StartsWith("Access denied", StringComparison.Ordinal) => ("PERMISSION_DENIED", 4, "USER_ERROR"),
        "42501" or "28000" => ("PERMISSION_DENIED", 4, "USER_ERROR"),
        "42S02" or "42P01" => ("TABLE_NOT_FOUND", 46, "USER_ERROR"),
        "42S22" or "42703" => ("COLUMN_NOT_FOUND", 47, "USER_ERROR"),
        "3F000" => ("SCHEMA_NOT_FOUND", 45, "USER_ERROR"),
        "3D000" => ("CATALOG_NOT_FOUND", 44, "USER_ERROR"),
        "42883" => ("FUNCTION_NOT_FOUND", 6, "USER_ERROR"),
        "22012" => ("DIVISION_BY_ZERO", 8, "USER_ERROR"),
        "22018" => ("INVALID_CAST_ARGUMENT", 9, "USER_ERROR"),
        "22003" => ("NUMERIC_VALUE_OUT_OF_RANGE", 19, "USER_ERROR"),
        "HY008" => ("USER_CANCELED", 3, "USER_ERROR"),
        "HYT00" => ("EXCEEDED_TIME_LIMIT", 131075, "INSUFFICIENT_RESOURCES"),
        "0A000" => ("NOT_SUPPORTED", 13, "USER_ERROR"),
        _ when sqlState.StartsWith("42", StringComparison.Ordinal) => ("SYNTAX_ERROR", 1, "USER_ERROR"),
        _ when sqlState.StartsWith("22", StringComparison.Ordinal) || sqlState.StartsWith("07", StringComparison.Ordinal) => ("INVALID_FUNCTION_ARGUMENT", 7, "USER_ERROR"),
        _ when sqlState.StartsWith("53", StringComparison.Ordinal) || sqlState.StartsWith("54", StringComparison.Ordinal) => ("QUERY_REJECTED", 131079, "INSUFFICIENT_RESOURCES"),
        _ when sqlState.StartsWith("08", StringComparison.Ordinal) || sqlState.StartsWith("58", StringComparison.Ordinal) => ("GENERIC_EXTERNAL_ERROR", 16777216, "EXTERNAL"),
        _ => ("GENERIC_INTERNAL_ERROR", 65536, "INTERNAL_ERROR"),
    };

    private async Task CancelAsync(HttpContext context, TrinoQuery query)
    {
        query.Operation?.Cancel();
        query.Done = true;
        LogQueryCanceled(_logger, query.Id, query.Owner);
        await FinishAsync(query).ConfigureAwait(false);
        context.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private async Task QueryInfoAsync(HttpContext context, TrinoQuery query)
    {
        await WriteAsync(context, Json(w =>
        {
            w.WriteString("queryId", query.Id);
            w.WriteString("state", query.State);
            w.WriteString("query", query.Sql);
            w.WriteString("self", $"{query.BaseUri}/v1/query/{query.Id}");
        }, wrap: false)).ConfigureAwait(false);
    }

    private async Task InfoAsync(HttpContext context)
    {
        var uptime = _time.GetUtcNow() - _started;
        await WriteAsync(context, Json(w =>
        {
            w.WriteStartObject("nodeVersion");
            w.WriteString("version", "sql-gateway-" + (typeof(TrinoFrontend).Assembly.GetName().Version?.ToString(3) ?? "0"));
            w.WriteEndObject();
            w.WriteString("environment", "gateway");
            w.WriteBoolean("coordinator", true);
            w.WriteBoolean("starting", false);
            w.WriteString("uptime", $"{uptime.TotalMinutes:0.00}m");
        }, wrap: false)).ConfigureAwait(false);
    }

    /// <summary>Ends a query: its session closes (its operation with it) and it leaves the table.</summary>
    private async Task FinishAsync(TrinoQuery query)
    {
        if (!_queries.TryRemove(query.Id, out _) && query.Session is null) return;
        if (query.Session is { } session) await _sessions.CloseSessionAsync(session, "Trino query ended").ConfigureAwait(false);
    }

    /// <summary>Queries whose client stopped asking for QueryIdleTimeout are canceled and closed.</summary>
    private async Task SweepAsync()
    {
        var now = _time.GetUtcNow();
        foreach (var query in _queries.Values)
        {
            if (now - query.LastAccess < Settings.QueryIdleTimeout || !query.Gate.Wait(0)) continue;
            try
            {
                query.Operation?.Cancel();
                query.Done = true;
                LogQueryAbandoned(_logger, query.Id, query.Owner, Settings.QueryIdleTimeout.TotalSeconds);
                await FinishAsync(query).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                LogSweepFailed(_logger, query.Id, ex.Message);
            }
            finally
            {
                query.Gate.Release();
            }
        }
    }

    /// <summary>Trino's X-Trino-Session: comma-separated name=value, values URL-encoded.</summary>
    internal static IEnumerable<(string Name, string Value)> SessionProperties(Microsoft.Extensions.Primitives.StringValues values)
    {
        foreach (var header in values)
        {
            foreach (var item in (header ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var eq = item.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0) continue;
                yield return (item[..eq].Trim(), WebUtility.UrlDecode(item[(eq + 1)..].Trim()));
            }
        }
    }

    // Valid JSON without the HTML-safe escapes (a '<' in a value stays a '<').
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static byte[] Json(Action<Utf8JsonWriter> body, bool wrap = true)
    {
        var output = new ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(output, WriterOptions))
        {
            w.WriteStartObject();
            body(w);
            if (wrap)
            {
                w.WriteStartArray("warnings");
                w.WriteEndArray();
            }
            w.WriteEndObject();
        }
        return output.WrittenSpan.ToArray();
    }

    private static async Task WriteAsync(HttpContext context, byte[] json)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = json.Length;
        await context.Response.Body.WriteAsync(json, context.RequestAborted).ConfigureAwait(false);
    }

    private static async Task PlainAsync(HttpContext context, int status, string text)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync(text + "\n", context.RequestAborted).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await _sweeper.DisposeAsync().ConfigureAwait(false);
        foreach (var query in _queries.Values)
        {
            try
            {
                await FinishAsync(query).ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                // The session manager closed every session already (the host is stopping).
            }
        }
    }

    [LoggerMessage(EventId = 1301, Level = LogLevel.Debug, Message = "Trino query {QueryId} of {User} started as operation {Operation}")]
    private static partial void LogQueryStarted(ILogger logger, string queryId, string user, Guid operation);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Information, Message = "Trino query {QueryId} of {User} canceled by its client")]
    private static partial void LogQueryCanceled(ILogger logger, string queryId, string user);

    [LoggerMessage(EventId = 1303, Level = LogLevel.Information, Message = "Trino query {QueryId} of {User} closed: its client asked nothing for {Seconds} s (Gateway:Trino:QueryIdleTimeout)")]
    private static partial void LogQueryAbandoned(ILogger logger, string queryId, string user, double seconds);

    [LoggerMessage(EventId = 1304, Level = LogLevel.Warning, Message = "Trino request from {Remote} refused: {Reason}")]
    private static partial void LogAuthFailed(ILogger logger, string? remote, string reason);

    [LoggerMessage(EventId = 1305, Level = LogLevel.Warning, Message = "closing abandoned Trino query {QueryId} failed: {Reason}")]
    private static partial void LogSweepFailed(ILogger logger, string queryId, string reason);
}

/// <summary>The client protocol's header names the frontend reads and writes.</summary>
internal static class TrinoHeaderNames
{
    public const string User = Gateway.Engines.Trino.TrinoHeaders.User;
    public const string Catalog = Gateway.Engines.Trino.TrinoHeaders.Catalog;
    public const string Schema = Gateway.Engines.Trino.TrinoHeaders.Schema;
    public const string Session = Gateway.Engines.Trino.TrinoHeaders.Session;
    public const string TimeZone = Gateway.Engines.Trino.TrinoHeaders.TimeZone;
    public const string SetSession = Gateway.Engines.Trino.TrinoHeaders.SetSession;
    public const string ClearSession = Gateway.Engines.Trino.TrinoHeaders.ClearSession;
    public const string SetSchema = Gateway.Engines.Trino.TrinoHeaders.SetSchema;
    public const string SetCatalog = Gateway.Engines.Trino.TrinoHeaders.SetCatalog;
    public const string PreparedStatement = Gateway.Engines.Trino.TrinoHeaders.PreparedStatement;
    public const string AddedPrepare = Gateway.Engines.Trino.TrinoHeaders.AddedPrepare;
    public const string DeallocatedPrepare = Gateway.Engines.Trino.TrinoHeaders.DeallocatedPrepare;
}
