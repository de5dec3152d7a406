using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Gateway.Engines.Trino;

/// <summary>
/// The client REST protocol towards one coordinator: <c>POST /v1/statement</c>, <c>GET</c> of each <c>nextUri</c>,
/// <c>DELETE</c> to cancel, <c>GET /v1/info</c> for health. One HttpClient (its connection pool) for every engine
/// session; credentials on every request. A 502, 503 or 504 (a load balancer in front of the coordinator) is retried
/// after 50-100 ms, growing, for <see cref="TrinoEngineOptions.RetryFor"/>; any other status but 200 fails the statement.
/// Pages larger than <see cref="TrinoEngineOptions.MaxPageBytes"/> are refused before they are read whole.
/// </summary>
public sealed class TrinoClient : IDisposable
{
    private static readonly MediaTypeHeaderValue TextPlain = new("text/plain") { CharSet = "utf-8" };
    private readonly HttpClient _http;
    private readonly AuthenticationHeaderValue? _authorization;
    private readonly TimeProvider _time;

    public TrinoClient(TrinoEngineOptions options, TimeProvider? time = null, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        _time = time ?? TimeProvider.System;
        if (handler is null)
        {
            var sockets = new SocketsHttpHandler
            {
                ConnectTimeout = options.ConnectTimeout,
                PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
                AutomaticDecompression = DecompressionMethods.GZip | DecompressionMethods.Deflate,
                UseCookies = false,
                AllowAutoRedirect = false,
            };
            if (options.UsesTls) sockets.SslOptions = (options.Tls ?? new EngineTlsOptions()).ToClientOptions().ToSslOptions(options.Host);
            handler = sockets;
        }
        _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        _authorization = options.Auth switch
        {
            TrinoAuth.Basic => new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(options.User + ":" + options.Password))),
            TrinoAuth.Bearer => new AuthenticationHeaderValue("Bearer", options.Token),
            _ => null,
        };
    }

    public TrinoEngineOptions Options { get; }

    internal async Task<TrinoPage> SubmitAsync(string sql, TrinoSessionState state, CancellationToken cancellationToken)
    {
        var uri = new Uri(Options.BaseUri, "/v1/statement");
        return await SendAsync(() =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new StringContent(sql, Encoding.UTF8) };
            request.Content.Headers.ContentType = TextPlain;
            state.AddTo(request.Headers, Options);
            return request;
        }, state, null, cancellationToken).ConfigureAwait(false);
    }

    internal async Task<TrinoPage> NextAsync(Uri next, TrinoSessionState state, IReadOnlyList<TrinoColumn>? known, CancellationToken cancellationToken) =>
        await SendAsync(() =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, next);
            // Trino's own clients name the user on every request of a query; some servers (the gateway's frontend) check it.
            request.Headers.TryAddWithoutValidation(TrinoHeaders.User, state.User);
            return request;
        }, state, known, cancellationToken).ConfigureAwait(false);

    /// <summary>Ends a query on the coordinator (DELETE of its nextUri); best effort, bounded, never throws.</summary>
    internal async Task CancelAsync(Uri next, string? user = null)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Delete, next);
            request.Headers.Authorization = _authorization;
            if (user is not null) request.Headers.TryAddWithoutValidation(TrinoHeaders.User, user);
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
        {
            // The coordinator ends abandoned queries itself (query.client.timeout).
        }
    }

    /// <summary>
    /// A spooled segment's bytes, from the spooling storage: with the segment's own headers only (a presigned URL or
    /// storage credentials the coordinator chose), never the engine's Authorization, bounded by MaxPageBytes.
    /// </summary>
    internal async Task<ReadOnlyMemory<byte>> SegmentAsync(TrinoSegment segment, CancellationToken cancellationToken)
    {
        var uri = segment.Uri ?? throw new EngineException("Trino's answer is not in the documented format: a spooled segment has no uri.", "08S01");
        if (uri.Scheme is not ("http" or "https")) throw new EngineException($"A spooled segment's uri is not http(s): {uri.Scheme}.", "08S01");
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        foreach (var (name, values) in segment.Headers)
        {
            if (name.Equals("Authorization", StringComparison.OrdinalIgnoreCase) && _authorization is not null) continue;
            request.Headers.TryAddWithoutValidation(name, values);
        }
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(Options.RequestTimeout);
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.OK) throw new EngineException($"A spooled segment of Trino's result could not be read ({(int)response.StatusCode}).", "08S01", retryable: (int)response.StatusCode >= 500);
        return await ReadBoundedAsync(response, Options.MaxPageBytes, deadline.Token).ConfigureAwait(false);
    }

    /// <summary>Tells the coordinator a segment was read (its storage may drop it); best effort, bounded.</summary>
    internal async Task AcknowledgeAsync(TrinoSegment segment)
    {
        if (segment.AckUri is not { } ack) return;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, ack);
            // The engine's credentials go only to the coordinator itself.
            if (ack.Host.Equals(Options.Host, StringComparison.OrdinalIgnoreCase) && ack.Port == Options.Port) request.Headers.Authorization = _authorization;
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
        {
            // The storage expires segments on its own.
        }
    }

    /// <summary><c>GET /v1/info</c>: up and not starting, with its version; or why not.</summary>
    internal async Task<(bool Up, string Detail)> InfoAsync(CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Options.BaseUri, "/v1/info"));
        request.Headers.Authorization = _authorization;
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.OK) return (false, $"GET /v1/info answered {(int)response.StatusCode}");
        var body = await ReadBoundedAsync(response, 1024 * 1024, cancellationToken).ConfigureAwait(false);
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            var version = root.TryGetProperty("nodeVersion", out var nv) && nv.TryGetProperty("version", out var v) ? v.GetString() : null;
            if (root.TryGetProperty("starting", out var starting) && starting.ValueKind == JsonValueKind.True) return (false, $"Trino {version} is starting");
            return (true, $"Trino {version}");
        }
        catch (JsonException)
        {
            return (false, "GET /v1/info did not answer JSON: not a Trino coordinator?");
        }
    }

    private async Task<TrinoPage> SendAsync(Func<HttpRequestMessage> build, TrinoSessionState state, IReadOnlyList<TrinoColumn>? known, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var delay = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            using var request = build();
            request.Headers.Authorization = _authorization;
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(Options.RequestTimeout);
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new EngineException($"Trino at {request.RequestUri!.GetLeftPart(UriPartial.Authority)} did not answer within {Options.RequestTimeout.TotalSeconds:0} s (RequestTimeout).", "HYT00", retryable: true);
            }
            catch (HttpRequestException ex)
            {
                throw new EngineException($"Cannot reach Trino at {request.RequestUri!.GetLeftPart(UriPartial.Authority)}: {ex.Message}", "08001", retryable: true, inner: ex);
            }
            using (response)
            {
                if (response.StatusCode is HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout
                    && _time.GetElapsedTime(started) + delay < Options.RetryFor)
                {
                    await Task.Delay(delay + TimeSpan.FromMilliseconds(Random.Shared.Next(0, 50)), _time, cancellationToken).ConfigureAwait(false);
                    delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 1000));
                    continue;
                }
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    string? text = null;
                    try
                    {
                        text = Encoding.UTF8.GetString((await ReadBoundedAsync(response, 4096, cancellationToken, truncate: true).ConfigureAwait(false)).Span);
                    }
                    catch (Exception ex) when (ex is IOException or HttpRequestException or EngineException)
                    {
                        // The status says enough.
                    }
                    throw TrinoErrors.FromStatus(response.StatusCode, text, request.RequestUri!);
                }
                state.Update(response.Headers);
                var body = await ReadBoundedAsync(response, Options.MaxPageBytes, cancellationToken).ConfigureAwait(false);
                return TrinoPage.Parse(body.Span, known, request.RequestUri!);
            }
        }
    }

    /// <summary>The body, at most <paramref name="max"/> bytes (more fails, or with <paramref name="truncate"/> is cut).</summary>
    private static async Task<ReadOnlyMemory<byte>> ReadBoundedAsync(HttpResponseMessage response, int max, CancellationToken cancellationToken, bool truncate = false)
    {
        if (response.Content.Headers.ContentLength is { } declared && declared > max && !truncate)
        {
            throw new EngineException($"A Trino result page of {declared} bytes is larger than MaxPageBytes ({max}).", "54000");
        }
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var buffer = new ArrayBufferWriter<byte>(16 * 1024);
        while (true)
        {
            var memory = buffer.GetMemory(16 * 1024);
            var n = await stream.ReadAsync(memory, cancellationToken).ConfigureAwait(false);
            if (n == 0) break;
            buffer.Advance(n);
            if (buffer.WrittenCount > max)
            {
                if (truncate) return buffer.WrittenMemory[..max];
                throw new EngineException($"A Trino result page is larger than MaxPageBytes ({max}).", "54000");
            }
        }
        return buffer.WrittenMemory;
    }

    public void Dispose() => _http.Dispose();
}
