using System.Buffers;
using System.Text;
using Gateway.Protocol.Hive;
using Gateway.Protocol.Thrift;
using Gateway.Server.Auth;
using Gateway.Server.Configuration;
using Gateway.Server.Hive;
using Gateway.Server.Sessions;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Gateway.Server.Listeners;

/// <summary>
/// HiveServer2 over HTTP: each POST to the configured path carries one unframed Thrift binary
/// message and gets the reply as its body. Requests are checked in a fixed order — path (404),
/// method (405), content type (415), credentials (401), size (413), Thrift framing (400) — and every
/// refusal is a short text reason that concerns this request only. Sessions opened here belong to
/// their user, not to a TCP connection, so any request of that user (on any connection, or another
/// gateway sharing the cookie key) may use them.
/// </summary>
public sealed partial class HttpThriftHandler
{
    public const string ThriftContentType = "application/x-thrift";
    private const string Realm = "HiveServer2";

    private readonly SessionManager _sessions;
    private readonly HttpAuthenticator _auth;
    private readonly GatewayOptions _options;
    private readonly ThriftLimits _limits;
    private readonly ILogger _logger;
    private readonly RefusalLog? _refusals;

    public HttpThriftHandler(SessionManager sessions, HttpAuthenticator auth, GatewayOptions options, ILogger<HttpThriftHandler> logger, RefusalLog? refusals = null)
    {
        _refusals = refusals;
        _sessions = sessions;
        _auth = auth;
        _options = options;
        _logger = logger;
        _limits = options.Limits.ToThriftLimits();
    }

    /// <summary>Set in a connection's items when its address had Limits:MaxConnectionsPerAddress open already (see GatewayHost).</summary>
    public const string OverAddressCapItem = "gateway.over-address-cap";

    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        var ct = context.RequestAborted;
        if (context.Features.Get<IConnectionItemsFeature>()?.Items.ContainsKey(OverAddressCapItem) == true)
        {
            await RefuseBusyAsync(context).ConfigureAwait(false);
            return;
        }
        if (!PathMatches(request.Path))
        {
            await RefuseAsync(context, StatusCodes.Status404NotFound, $"not found: HiveServer2 answers POST {_options.Http.Path}").ConfigureAwait(false);
            return;
        }
        if (!HttpMethods.IsPost(request.Method))
        {
            context.Response.Headers.Allow = "POST";
            await RefuseAsync(context, StatusCodes.Status405MethodNotAllowed, $"method {Sanitize(request.Method, 16)} not allowed: send each Thrift call as a POST").ConfigureAwait(false);
            return;
        }
        if (UnsupportedContentType(request.ContentType) is { } contentTypeProblem)
        {
            await RefuseAsync(context, StatusCodes.Status415UnsupportedMediaType, contentTypeProblem).ConfigureAwait(false);
            return;
        }

        var remote = context.Connection.RemoteIpAddress is { } ip ? new System.Net.IPEndPoint(ip, context.Connection.RemotePort).ToString() : null;
        var auth = await _auth.AuthenticateAsync(request.Headers.Authorization.ToString(), request.Headers.Cookie, context.Connection.RemoteIpAddress, ct).ConfigureAwait(false);
        if (!auth.Succeeded)
        {
            if (_refusals?.ShouldLog(310, auth.Failure.ToString()) != false) LogAuthFailed(_logger, remote, auth.Failure, auth.Reason!);
            await ChallengeAsync(context, auth).ConfigureAwait(false);
            return;
        }

        var max = _options.Limits.MaxMessageBytes;
        // Kestrel's own hard limit leaves room to discard one more message's worth after a 413 (see DrainAsync).
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodyLimit) bodyLimit.MaxRequestBodySize = 2L * max;
        if (request.ContentLength > max)
        {
            await TooLargeAsync(context, max).ConfigureAwait(false);
            return;
        }

        using var body = new PooledBufferWriter((int)Math.Clamp(request.ContentLength ?? 4096, 64, max));
        if (!await ReadBodyAsync(context, body, max).ConfigureAwait(false)) return;

        if (FramingProblem(body.WrittenMemory) is { } problem)
        {
            if (_refusals?.ShouldLog(311, "framing") != false) LogBadRequest(_logger, remote, problem);
            await RefuseAsync(context, StatusCodes.Status400BadRequest, problem).ConfigureAwait(false);
            return;
        }

        var caller = new CallerContext(auth.User, null, remote, request.IsHttps ? "https" : "http") { Groups = auth.Groups };
        var service = new HiveService(_sessions, _options, caller, auth.UserFromRequest, _logger);
        using var reply = new PooledBufferWriter();
        try
        {
            var outcome = await TCLIServiceDispatcher.DispatchAsync(body.WrittenMemory, service, reply, _limits, ct).ConfigureAwait(false);
            if (outcome.HandlerException is { } bug) LogHandlerFault(_logger, outcome.MethodName, bug);
            else if (!outcome.IsKnownMethod) LogUnknownMethod(_logger, remote, outcome.MethodName);
        }
        catch (ThriftProtocolException ex)
        {
            if (_refusals?.ShouldLog(311, "malformed call") != false) LogBadRequest(_logger, remote, ex.Message);
            await RefuseAsync(context, StatusCodes.Status400BadRequest, "malformed Thrift call: " + ex.Message).ConfigureAwait(false);
            return;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return;
        }
        finally
        {
            service.ReplyWritten();
        }

        IssueCookie(context, auth, service.Caller);
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = ThriftContentType;
        response.ContentLength = reply.WrittenCount;
        response.Headers.CacheControl = "no-store";
        try
        {
            await response.Body.WriteAsync(reply.WrittenMemory, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            // The client went away before the reply; its session stays for its next request.
        }
    }

    private bool PathMatches(PathString path)
    {
        var configured = _options.Http.Path.TrimEnd('/');
        var value = (path.Value ?? "").TrimEnd('/');
        return string.Equals(value, configured, StringComparison.OrdinalIgnoreCase) || (configured.Length == 0 && value.Length == 0);
    }

    /// <summary>
    /// Lenient on purpose: a missing type, <c>application/x-thrift</c>, <c>application/vnd.apache.thrift.binary</c>
    /// or any type we do not know is read as binary protocol (and refused with 400 if it is not). Only the
    /// Thrift protocols we cannot speak are named as such.
    /// </summary>
    private static string? UnsupportedContentType(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType)) return null;
        if (contentType.Contains("thrift.compact", StringComparison.OrdinalIgnoreCase)) return "the Thrift compact protocol is not supported: use the binary protocol (application/x-thrift)";
        if (contentType.Contains("thrift.json", StringComparison.OrdinalIgnoreCase) || contentType.Contains("thrift+json", StringComparison.OrdinalIgnoreCase))
        {
            return "the Thrift JSON protocol is not supported: use the binary protocol (application/x-thrift)";
        }
        return null;
    }

    /// <summary>Copies the body into <paramref name="body"/>, never holding more than <paramref name="max"/> bytes.</summary>
    private async Task<bool> ReadBodyAsync(HttpContext context, PooledBufferWriter body, int max)
    {
        var reader = context.Request.BodyReader;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(context.RequestAborted).ConfigureAwait(false);
                var buffer = result.Buffer;
                if (body.WrittenCount + buffer.Length > max)
                {
                    reader.AdvanceTo(buffer.End);
                    await TooLargeAsync(context, max).ConfigureAwait(false);
                    return false;
                }
                foreach (var segment in buffer)
                {
                    segment.Span.CopyTo(body.GetSpan(segment.Length));
                    body.Advance(segment.Length);
                }
                reader.AdvanceTo(buffer.End);
                if (result.IsCompleted) return true;
            }
        }
        catch (BadHttpRequestException ex)
        {
            if (ex.StatusCode == StatusCodes.Status413PayloadTooLarge) await TooLargeAsync(context, max).ConfigureAwait(false);
            else await RefuseAsync(context, StatusCodes.Status400BadRequest, "incomplete request body").ConfigureAwait(false);
            return false;
        }
        catch (IOException ex) when (ex is not Microsoft.AspNetCore.Connections.ConnectionResetException && !context.RequestAborted.IsCancellationRequested)
        {
            // The body itself is broken while the client is still there (Kestrel's "Bad chunk size data" for a chunk size
            // that overflows): a 400 and the end of the connection, never the empty 200 a handler that just returned
            // would give.
            context.Response.Headers.Connection = "close";
            await RefuseAsync(context, StatusCodes.Status400BadRequest, "malformed request body").ConfigureAwait(false);
            return false;
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            // The client is gone mid-body: nothing left to answer, and a reader that failed is not Kestrel's to
            // drain (it logged that as an error, found by the listener fuzz).
            context.Abort();
            return false;
        }
    }

    /// <summary>Null when the body is exactly one whole Thrift message; otherwise why not.</summary>
    private string? FramingProblem(ReadOnlyMemory<byte> body)
    {
        if (body.IsEmpty) return "empty body: expected one Thrift binary-protocol message";
        try
        {
            if (!ThriftMessageScanner.TryMeasure(new ReadOnlySequence<byte>(body), _limits, out var length))
            {
                return $"truncated Thrift message ({body.Length} bytes received)";
            }
            return length == body.Length ? null : $"{body.Length - length} bytes after the Thrift message: send one message per request";
        }
        catch (ThriftProtocolException ex)
        {
            return "not a Thrift binary-protocol message: " + ex.Message;
        }
    }

    private void IssueCookie(HttpContext context, HttpAuthResult auth, CallerContext caller)
    {
        if (_auth.Cookie is not { } cookie || auth.FromCookie) return;
        // Without credentials (Mode None) only a user named by OpenSession is worth remembering.
        if (auth.UserFromRequest && string.Equals(caller.User, "anonymous", StringComparison.Ordinal)) return;
        var (value, expires, maxAge) = cookie.Issue(caller.User, auth.CredentialExpires, caller.Groups);
        // A cookie the gateway would not accept back is not sent: such a caller's credentials are checked on each request.
        if (value.Length > AuthCookie.MaxValueLength) return;
        context.Response.Cookies.Append(AuthCookie.Name, value, new CookieOptions
        {
            Path = _options.Http.Path,
            HttpOnly = true,
            Secure = context.Request.IsHttps,
            SameSite = SameSiteMode.Strict,
            Expires = expires,
            MaxAge = maxAge,
        });
    }

    private async Task ChallengeAsync(HttpContext context, HttpAuthResult auth)
    {
        var headers = context.Response.Headers;
        var reason = Sanitize(auth.Reason!, 200);
        if (auth.Failure == HttpAuthFailure.Throttled)
        {
            headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(auth.RetryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            await RefuseAsync(context, StatusCodes.Status429TooManyRequests, reason).ConfigureAwait(false);
            return;
        }
        if (auth.Failure == HttpAuthFailure.InvalidToken)
        {
            headers.WWWAuthenticate = $"Bearer realm=\"{Realm}\", error=\"invalid_token\", error_description=\"{reason}\"";
        }
        else
        {
            var challenges = new List<string> { $"Basic realm=\"{Realm}\", charset=\"UTF-8\"" };
            if (_auth.BearerConfigured) challenges.Add($"Bearer realm=\"{Realm}\"");
            headers.WWWAuthenticate = challenges.ToArray();
        }
        await RefuseAsync(context, StatusCodes.Status401Unauthorized, reason).ConfigureAwait(false);
    }

    private static async Task TooLargeAsync(HttpContext context, int max)
    {
        context.Response.Headers.Connection = "close";
        await RefuseAsync(context, StatusCodes.Status413PayloadTooLarge, $"request body larger than {max} bytes (Gateway:Limits:MaxMessageBytes)").ConfigureAwait(false);
        await DrainAsync(context, max).ConfigureAwait(false);
    }

    /// <summary>
    /// A lingering close: after the answer, read and discard (never keep) what the client is still
    /// sending, up to twice <paramref name="budget"/> bytes and two seconds. Closing at once would reset the
    /// connection under a client that is still writing, and it would see a broken pipe, not the 413.
    /// </summary>
    private static async Task DrainAsync(HttpContext context, long budget)
    {
        if (context.Request.ContentLength > 2L * budget) return;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            await context.Response.CompleteAsync().ConfigureAwait(false);
            var reader = context.Request.BodyReader;
            // Up to Kestrel's own limit for this request (twice the budget), so a client that sends the whole of a body
            // it declared reads the answer rather than a reset.
            for (long drained = 0; drained <= 2L * budget;)
            {
                var result = await reader.ReadAsync(timeout.Token).ConfigureAwait(false);
                drained += result.Buffer.Length;
                reader.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted) return;
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or BadHttpRequestException or InvalidOperationException)
        {
            // Slow, endless or gone.
        }
        // The answer is out and the connection is closing: cut it here rather than leave Kestrel to drain a body
        // whose reader failed (it logged that as an error, found by the listener fuzz).
        context.Abort();
    }

    /// <summary>503 with Retry-After, and the connection closed: its address holds its share of the listener already.</summary>
    private async Task RefuseBusyAsync(HttpContext context)
    {
        var max = _options.Limits.MaxConnectionsPerAddress;
        var remote = context.Connection.RemoteIpAddress?.ToString();
        if (_refusals?.ShouldLog(316, "connections per address") != false) LogTooManyConnections(_logger, remote, max);
        try
        {
            // Read what was sent (Kestrel bounds it) so that the close after the reply is orderly, not a reset that can lose it.
            await context.Request.Body.CopyToAsync(Stream.Null, context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or BadHttpRequestException)
        {
            return;
        }
        context.Response.Headers.RetryAfter = "5";
        context.Response.Headers.Connection = "close";
        await RefuseAsync(context, StatusCodes.Status503ServiceUnavailable, TooManyConnections(remote, max)).ConfigureAwait(false);
    }

    /// <summary>The refusal of a connection over its address's cap, the same on every HTTP listener.</summary>
    internal static string TooManyConnections(string? remote, int max) =>
        $"Too many connections from {remote} (Gateway:Limits:MaxConnectionsPerAddress = {max}); close idle connections and try again.";

    private static async Task RefuseAsync(HttpContext context, int status, string reason)
    {
        var response = context.Response;
        if (response.HasStarted) return;
        response.StatusCode = status;
        response.ContentType = "text/plain; charset=utf-8";
        response.Headers.CacheControl = "no-store";
        var text = Encoding.UTF8.GetBytes(reason + "\n");
        response.ContentLength = text.Length;
        try
        {
            await response.Body.WriteAsync(text, context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            // The client is gone.
        }
    }

    /// <summary>Printable ASCII without quotes or backslashes, for header values (reasons may echo client input).</summary>
    internal static string Sanitize(string text, int max)
    {
        var sb = new StringBuilder(Math.Min(text.Length, max));
        foreach (var c in text)
        {
            if (sb.Length >= max)
            {
                sb.Append("...");
                break;
            }
            sb.Append(c is >= ' ' and <= '~' and not '"' and not '\\' ? c : '?');
        }
        return sb.ToString();
    }

    [LoggerMessage(EventId = 316, Level = LogLevel.Warning, Message = "HTTP connection from {Remote} refused with 503: its address has {Max} connections open (Gateway:Limits:MaxConnectionsPerAddress)")]
    private static partial void LogTooManyConnections(ILogger logger, string? remote, int max);

    [LoggerMessage(EventId = 310, Level = LogLevel.Warning, Message = "HTTP authentication failed from {Remote} ({Failure}): {Reason}")]
    private static partial void LogAuthFailed(ILogger logger, string? remote, HttpAuthFailure failure, string reason);

    [LoggerMessage(EventId = 311, Level = LogLevel.Warning, Message = "HTTP request from {Remote} refused: {Reason}")]
    private static partial void LogBadRequest(ILogger logger, string? remote, string reason);

    [LoggerMessage(EventId = 312, Level = LogLevel.Error, Message = "{Method} threw instead of answering with a status; the client got INTERNAL_ERROR")]
    private static partial void LogHandlerFault(ILogger logger, string method, Exception ex);

    [LoggerMessage(EventId = 313, Level = LogLevel.Debug, Message = "{Remote} called unknown method {Method}; answered UNKNOWN_METHOD")]
    private static partial void LogUnknownMethod(ILogger logger, string? remote, string method);
}
