using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Gateway.Protocol.Thrift;

namespace Gateway.Protocol.Hive;

public enum ThriftFraming
{
    /// <summary>Bare messages (HS2 binary transport with auth=noSasl); boundaries found by <see cref="ThriftMessageScanner"/>.</summary>
    Unframed,
    /// <summary>Each message preceded by its 4-byte big-endian length (after a SASL handshake).</summary>
    Framed,
}

/// <summary>
/// A client transport over a connected stream (TCP, TLS, an in-memory pipe). One round trip at a time.
/// Each reply is an array of its own, so it stays valid after the next call.
/// </summary>
public sealed class StreamThriftTransport : IThriftTransport, IAsyncDisposable
{
    private readonly Stream _stream;
    private readonly PipeReader _reader;
    private readonly ThriftFraming _framing;
    private readonly ThriftLimits _limits;
    private readonly bool _leaveOpen;
    private readonly byte[] _prefix = new byte[4];

    public StreamThriftTransport(Stream stream, ThriftFraming framing, ThriftLimits? limits = null, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _stream = stream;
        _framing = framing;
        _limits = limits ?? ThriftLimits.Default;
        _leaveOpen = leaveOpen;
        // Unframed replies are found by scanning: read in large segments so a megabyte reply is not 4 KB reads.
        _reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024, leaveOpen: true));
    }

    public async ValueTask<ReadOnlyMemory<byte>> RoundTripAsync(ReadOnlyMemory<byte> request, CancellationToken cancellationToken)
    {
        if (_framing == ThriftFraming.Framed) return await FramedRoundTripAsync(request, cancellationToken).ConfigureAwait(false);
        await _stream.WriteAsync(request, cancellationToken).ConfigureAwait(false);
        await _stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        while (true)
        {
            var result = await _reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (TryTakeMessage(ref buffer, out var message))
            {
                _reader.AdvanceTo(buffer.Start);
                return message;
            }
            if (result.IsCompleted || result.IsCanceled)
            {
                _reader.AdvanceTo(buffer.Start, buffer.End);
                throw new EndOfStreamException("The server closed the connection before a complete reply.");
            }
            _reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>
    /// Length-prefixed: the call goes out in one write, and the reply is read straight into an array of its size (no
    /// pipe segments to gather and copy; large fetch replies are megabytes). The framed transport never uses the pipe.
    /// </summary>
    private async ValueTask<ReadOnlyMemory<byte>> FramedRoundTripAsync(ReadOnlyMemory<byte> request, CancellationToken cancellationToken)
    {
        var call = ArrayPool<byte>.Shared.Rent(request.Length + 4);
        try
        {
            BinaryPrimitives.WriteInt32BigEndian(call, request.Length);
            request.Span.CopyTo(call.AsSpan(4));
            await _stream.WriteAsync(call.AsMemory(0, request.Length + 4), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(call);
        }
        await _stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        await ReadExactlyAsync(_prefix, cancellationToken).ConfigureAwait(false);
        var length = BinaryPrimitives.ReadInt32BigEndian(_prefix);
        if (length < 0) throw new ThriftProtocolException(ThriftProtocolError.NegativeSize, $"Negative frame length {length}.");
        if (length == 0 || length > _limits.MaxMessageSize)
        {
            throw new ThriftProtocolException(ThriftProtocolError.SizeLimit, $"Frame of {length} bytes is outside 1..{_limits.MaxMessageSize}.");
        }
        // Every byte is overwritten by the read: no need to zero it first.
        var message = GC.AllocateUninitializedArray<byte>(length);
        await ReadExactlyAsync(message, cancellationToken).ConfigureAwait(false);
        return message;
    }

    private async ValueTask ReadExactlyAsync(Memory<byte> into, CancellationToken cancellationToken)
    {
        try
        {
            await _stream.ReadExactlyAsync(into, cancellationToken).ConfigureAwait(false);
        }
        catch (EndOfStreamException)
        {
            throw new EndOfStreamException("The server closed the connection before a complete reply.");
        }
    }

    private bool TryTakeMessage(ref ReadOnlySequence<byte> buffer, out byte[] message)
    {
        message = [];
        if (!ThriftFrames.TryTake(ref buffer, _framing == ThriftFraming.Framed, _limits, out var whole)) return false;
        message = whole.ToArray();
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        await _reader.CompleteAsync().ConfigureAwait(false);
        if (!_leaveOpen) await _stream.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>
/// How a client checks the server's certificate. By default the system's trust store and the host
/// name; <see cref="TrustedCertificates"/> replaces the system roots (a private CA or a self-signed
/// server certificate); <see cref="SkipCertificateValidation"/> is for throwaway tests only.
/// </summary>
public sealed record ClientTlsOptions
{
    /// <summary>The name to verify and send as SNI; null means the host connected to.</summary>
    public string? TargetHost { get; init; }

    /// <summary>Roots to trust instead of the system store.</summary>
    public X509Certificate2Collection? TrustedCertificates { get; init; }

    public bool SkipCertificateValidation { get; init; }

    /// <summary>Trust the certificates of a PEM file (a CA bundle or the server's own certificate).</summary>
    public static ClientTlsOptions TrustingPemFile(string path)
    {
        var roots = new X509Certificate2Collection();
        roots.ImportFromPemFile(path);
        if (roots.Count == 0) throw new ArgumentException($"No certificate found in '{path}'.", nameof(path));
        return new ClientTlsOptions { TrustedCertificates = roots };
    }

    public SslClientAuthenticationOptions ToSslOptions(string host)
    {
        var ssl = new SslClientAuthenticationOptions { TargetHost = TargetHost ?? host };
        if (SkipCertificateValidation)
        {
            ssl.RemoteCertificateValidationCallback = static (_, _, _, _) => true;
        }
        else if (TrustedCertificates is { Count: > 0 } roots)
        {
            var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
            policy.CustomTrustStore.AddRange(roots);
            ssl.CertificateChainPolicy = policy;
        }
        return ssl;
    }
}

/// <summary>Settings for <see cref="HttpThriftTransport.Create"/>.</summary>
public sealed record HttpThriftTransportOptions
{
    /// <summary>The endpoint, e.g. <c>https://gateway:10001/cliservice</c>.</summary>
    public required Uri Endpoint { get; init; }

    /// <summary>Sent with every request (see <see cref="HttpThriftTransport.Basic"/>, <see cref="HttpThriftTransport.Bearer"/>).</summary>
    public AuthenticationHeaderValue? Authorization { get; init; }

    /// <summary>Keep the server's cookies (HiveServer2's session cookie spares it a credential check per call).</summary>
    public bool UseCookies { get; init; } = true;

    /// <summary>For https endpoints; null means the system's trust store.</summary>
    public ClientTlsOptions? Tls { get; init; }

    /// <summary>HTTP/1.1 by default; 2.0 negotiates HTTP/2 over TLS and falls back to 1.1.</summary>
    public Version HttpVersion { get; init; } = System.Net.HttpVersion.Version11;

    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(5);
    public ThriftLimits? Limits { get; init; }
}

/// <summary>
/// HS2 over HTTP: each call is one POST of the message (content type application/x-thrift) to the
/// endpoint (by default <c>/cliservice</c>); the response body is the reply. A non-200 answer throws
/// <see cref="HttpRequestException"/> carrying the status and the server's reason.
/// </summary>
public sealed class HttpThriftTransport : IThriftTransport, IDisposable
{
    private static readonly MediaTypeHeaderValue ThriftMediaType = new("application/x-thrift");
    private const int MaxReasonLength = 1024;
    private readonly HttpClient _http;
    private readonly Uri _endpoint;
    private readonly ThriftLimits _limits;
    private readonly AuthenticationHeaderValue? _authorization;
    private readonly Version _version;
    private readonly bool _ownsClient;

    /// <summary>Over a caller-owned client: authentication and cookies are the client's business.</summary>
    public HttpThriftTransport(HttpClient http, Uri endpoint, ThriftLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(endpoint);
        _http = http;
        _endpoint = endpoint;
        _limits = limits ?? ThriftLimits.Default;
        _version = System.Net.HttpVersion.Version11;
    }

    private HttpThriftTransport(HttpClient http, HttpThriftTransportOptions options)
        : this(http, options.Endpoint, options.Limits)
    {
        _authorization = options.Authorization;
        _version = options.HttpVersion;
        _ownsClient = true;
    }

    /// <summary>A transport with its own connection pool, cookie jar, credentials and TLS settings.</summary>
    public static HttpThriftTransport Create(HttpThriftTransportOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var handler = new SocketsHttpHandler
        {
            UseCookies = options.UseCookies,
            CookieContainer = new CookieContainer(),
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
            AutomaticDecompression = DecompressionMethods.None,
        };
        if (options.Tls is { } tls) handler.SslOptions = tls.ToSslOptions(options.Endpoint.IdnHost);
        var http = new HttpClient(handler, disposeHandler: true) { Timeout = options.Timeout };
        return new HttpThriftTransport(http, options);
    }

    public static AuthenticationHeaderValue Basic(string user, string password) =>
        new("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(user + ":" + password)));

    public static AuthenticationHeaderValue Bearer(string token) => new("Bearer", token);

    public async ValueTask<ReadOnlyMemory<byte>> RoundTripAsync(ReadOnlyMemory<byte> request, CancellationToken cancellationToken)
    {
        using var content = new ReadOnlyMemoryContent(request);
        content.Headers.ContentType = ThriftMediaType;
        using var message = new HttpRequestMessage(HttpMethod.Post, _endpoint)
        {
            Content = content,
            Version = _version,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };
        message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/x-thrift"));
        if (_authorization is not null) message.Headers.Authorization = _authorization;
        using var response = await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode) throw await FailureAsync(response, cancellationToken).ConfigureAwait(false);
        if (response.Content.Headers.ContentLength > _limits.MaxMessageSize)
        {
            throw new ThriftProtocolException(ThriftProtocolError.SizeLimit, $"Reply of {response.Content.Headers.ContentLength} bytes exceeds the limit {_limits.MaxMessageSize}.");
        }
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            using var body = new PooledBufferWriter();
            while (true)
            {
                var read = await stream.ReadAsync(body.GetMemory(16 * 1024), cancellationToken).ConfigureAwait(false);
                if (read == 0) break;
                body.Advance(read);
                if (body.WrittenCount > _limits.MaxMessageSize)
                {
                    throw new ThriftProtocolException(ThriftProtocolError.SizeLimit, $"Reply exceeds the limit {_limits.MaxMessageSize}.");
                }
            }
            return body.WrittenSpan.ToArray();
        }
    }

    /// <summary>The status with the server's reason: its text body, or the Bearer challenge's error_description.</summary>
    private static async Task<HttpRequestException> FailureAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var reason = "";
        if (response.Content.Headers.ContentType?.MediaType?.StartsWith("text/", StringComparison.OrdinalIgnoreCase) == true
            && response.Content.Headers.ContentLength is null or <= MaxReasonLength)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            reason = text.Length > MaxReasonLength ? text[..MaxReasonLength] : text.Trim();
        }
        if (reason.Length == 0)
        {
            reason = response.Headers.WwwAuthenticate.Select(c => c.Parameter).FirstOrDefault(p => p is not null) ?? response.ReasonPhrase ?? "";
        }
        return new HttpRequestException($"HTTP {(int)response.StatusCode} {response.ReasonPhrase}: {reason}", null, response.StatusCode);
    }

    public void Dispose()
    {
        if (_ownsClient) _http.Dispose();
    }
}
