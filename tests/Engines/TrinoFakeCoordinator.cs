using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Engines;

/// <summary>
/// An in-test Trino coordinator that answers the client REST protocol in the documented shapes (Trino's "client REST
/// API" page and its QueryResults/QueryError/StatementStats documents): each query is a script of pages, the first
/// answered by <c>POST /v1/statement</c>, the next ones by <c>GET</c> of the <c>nextUri</c> it links; <c>DELETE</c>
/// cancels; <c>GET /v1/info</c> says whether it is starting. What the client sent is recorded for assertions.
/// </summary>
public sealed class TrinoFakeCoordinator : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Script> _queries = new();
    private WebApplication _app = null!;
    private int _ids;

    /// <summary>One query's answer: its pages' JSON (with <c>{next}</c> where the next link goes) and the headers of each.</summary>
    public sealed record Script(IReadOnlyList<string> Pages, IReadOnlyList<IReadOnlyDictionary<string, string>>? Headers = null)
    {
        public int Served;
        public bool Canceled;
    }

    /// <summary>What a POST carried.</summary>
    public sealed record Submitted(string Sql, IReadOnlyDictionary<string, string[]> Headers);

    public ConcurrentQueue<Submitted> Statements { get; } = new();

    /// <summary>The script for a statement's text (null: a syntax error).</summary>
    public Func<string, Script?> Answer { get; set; } = _ => null;

    /// <summary>How many of the next requests (any path) are answered 503, as a load balancer would.</summary>
    public int Unavailable;

    public bool Starting { get; set; }

    /// <summary>Every request: its path, its Authorization header and its X-Segment-Key header.</summary>
    public ConcurrentQueue<(string Path, string? Authorization, string? SegmentKey)> Requests { get; } = new();

    /// <summary>Spooled segments served at /v1/spooled/download/{n} (to a request with X-Segment-Key: key-{n}).</summary>
    public ConcurrentDictionary<int, byte[]> Spooled { get; } = new();

    /// <summary>The segments acknowledged at /v1/spooled/ack/{n}.</summary>
    public ConcurrentQueue<int> Acknowledged { get; } = new();

    /// <summary>The authorization headers seen, in order.</summary>
    public ConcurrentQueue<string?> Authorizations { get; } = new();

    public int Port { get; private set; }

    public IEnumerable<Script> Queries => _queries.Values;

    public static async Task<TrinoFakeCoordinator> StartAsync()
    {
        var fake = new TrinoFakeCoordinator();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        fake._app = builder.Build();
        fake._app.Use(async (context, next) =>
        {
            fake.Authorizations.Enqueue(context.Request.Headers.Authorization.FirstOrDefault());
            fake.Requests.Enqueue((context.Request.Path.Value ?? "", context.Request.Headers.Authorization.FirstOrDefault(), context.Request.Headers["X-Segment-Key"].FirstOrDefault()));
            if (Interlocked.Decrement(ref fake.Unavailable) >= 0)
            {
                context.Response.StatusCode = 503;
                return;
            }
            Interlocked.Exchange(ref fake.Unavailable, 0);
            await next(context);
        });
        fake._app.MapGet("/v1/info", async context =>
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync($$"""{"nodeVersion":{"version":"468"},"environment":"test","coordinator":true,"starting":{{(fake.Starting ? "true" : "false")}},"uptime":"1.00m"}""");
        });
        fake._app.MapPost("/v1/statement", fake.SubmitAsync);
        fake._app.MapGet("/v1/spooled/download/{n}", async (HttpContext c, int n) =>
        {
            if (!fake.Spooled.TryGetValue(n, out var bytes) || c.Request.Headers["X-Segment-Key"] != $"key-{n}")
            {
                c.Response.StatusCode = 404;
                return;
            }
            await c.Response.Body.WriteAsync(bytes);
        });
        fake._app.MapGet("/v1/spooled/ack/{n}", (int n) =>
        {
            fake.Acknowledged.Enqueue(n);
            return Results.Ok();
        });
        fake._app.MapGet("/v1/statement/executing/{id}/{token}", (HttpContext c, string id, int token) => fake.PageAsync(c, id, token));
        fake._app.MapDelete("/v1/statement/executing/{id}/{token}", (string id, int token) =>
        {
            if (fake._queries.TryGetValue(id, out var s)) s.Canceled = true;
            return Results.NoContent();
        });
        await fake._app.StartAsync();
        fake.Port = new Uri(fake._app.Urls.Single()).Port;
        return fake;
    }

    private async Task SubmitAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var sql = await reader.ReadToEndAsync();
        Statements.Enqueue(new Submitted(sql, context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.Select(v => v ?? "").ToArray(), StringComparer.OrdinalIgnoreCase)));
        var id = $"20261207_000000_{Interlocked.Increment(ref _ids):00000}_fake0";
        var script = Answer(sql) ?? new Script([Error(id, "line 1:1: mismatched input", "SYNTAX_ERROR", 1, "USER_ERROR")]);
        _queries[id] = script;
        await PageAsync(context, id, 0);
    }

    private async Task PageAsync(HttpContext context, string id, int token)
    {
        if (!_queries.TryGetValue(id, out var script) || token >= script.Pages.Count)
        {
            context.Response.StatusCode = 404;
            return;
        }
        script.Served = Math.Max(script.Served, token + 1);
        var last = token == script.Pages.Count - 1;
        var next = last ? "" : $"\"nextUri\":\"http://127.0.0.1:{Port}/v1/statement/executing/{id}/{token + 1}\",";
        var page = script.Pages[token].Replace("{id}", id, StringComparison.Ordinal).Replace("{next}", next, StringComparison.Ordinal);
        if (script.Headers is { } headers && token < headers.Count)
        {
            foreach (var (k, v) in headers[token]) context.Response.Headers.Append(k, v);
        }
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(page);
    }

    /// <summary>A page in the documented shape: <c>{next}</c> stands for the nextUri member.</summary>
    public static string Page(string state, string? columns = null, string? data = null, string? extra = null) =>
        "{\"id\":\"{id}\",\"infoUri\":\"http://coordinator/ui/query.html?{id}\",{next}" +
        (columns is null ? "" : $"\"columns\":{columns},") +
        (data is null ? "" : $"\"data\":{data},") +
        $"\"stats\":{{\"state\":\"{state}\",\"queued\":false,\"scheduled\":true,\"nodes\":1,\"totalSplits\":1,\"queuedSplits\":0,\"runningSplits\":0,\"completedSplits\":1,\"cpuTimeMillis\":1,\"wallTimeMillis\":1,\"queuedTimeMillis\":0,\"elapsedTimeMillis\":2,\"processedRows\":0,\"processedBytes\":0,\"peakMemoryBytes\":0,\"spilledBytes\":0,\"progressPercentage\":{(state == "FINISHED" ? "100.0" : "50.0")}}}," +
        (extra ?? "") + "\"warnings\":[]}";

    public static string Error(string id, string message, string name, int code, string type) =>
        Page("FAILED", extra: $"\"error\":{{\"message\":\"{message}\",\"errorCode\":{code},\"errorName\":\"{name}\",\"errorType\":\"{type}\",\"errorLocation\":{{\"lineNumber\":1,\"columnNumber\":8}},\"failureInfo\":{{\"type\":\"io.trino.spi.TrinoException\",\"message\":\"{message}\",\"suppressed\":[],\"stack\":[]}}}},").Replace("{id}", id, StringComparison.Ordinal);

    /// <summary>A column with its typeSignature, as Trino writes it.</summary>
    public static string Column(string name, string type, string signature) => $"{{\"name\":\"{name}\",\"type\":\"{type}\",\"typeSignature\":{signature}}}";

    public static string Sig(string raw, params string[] arguments) => $"{{\"rawType\":\"{raw}\",\"arguments\":[{string.Join(",", arguments)}]}}";

    public static string LongArg(long v) => $"{{\"kind\":\"LONG\",\"value\":{v}}}";

    public static string TypeArg(string signature) => $"{{\"kind\":\"TYPE\",\"value\":{signature}}}";

    public static string NamedArg(string name, string signature) => $"{{\"kind\":\"NAMED_TYPE\",\"value\":{{\"fieldName\":{{\"name\":\"{name}\",\"delimited\":false}},\"typeSignature\":{signature}}}}}";

    /// <summary>The usual three pages of a query: queued without columns, running with the rows, finished.</summary>
    public static Script Query(string columns, string data) =>
        new([Page("QUEUED"), Page("RUNNING", columns, data), Page("FINISHED", columns)]);

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
