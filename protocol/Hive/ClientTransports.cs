using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net.Http.Headers;
using System.Text;
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
/// Replies are copied out of the read buffer, so they stay valid after the next call.
/// </summary>
public sealed class StreamThriftTransport : IThriftTransport, IAsyncDisposable
{
    private readonly Stream _stream;
    private readonly PipeReader _reader;
    private readonly ThriftFraming _framing;
    private readonly ThriftLimits _limits;
    private readonly bool _leaveOpen;

    public StreamThriftTransport(Stream stream, ThriftFraming framing, ThriftLimits? limits = null, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _stream = stream;
        _framing = framing;
        _limits = limits ?? ThriftLimits.Default;
        _leaveOpen = leaveOpen;
        _reader = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));
    }

    public async ValueTask<ReadOnlyMemory<byte>> RoundTripAsync(ReadOnlyMemory<byte> request, CancellationToken cancellationToken)
    {
        if (_framing == ThriftFraming.Framed)
        {
            var prefix = new byte[4];
            BinaryPrimitives.WriteInt32BigEndian(prefix, request.Length);
            await _stream.WriteAsync(prefix, cancellationToken).ConfigureAwait(false);
        }
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

    private bool TryTakeMessage(ref ReadOnlySequence<byte> buffer, out byte[] message)
    {
        message = [];
        if (_framing == ThriftFraming.Unframed)
        {
            if (!ThriftMessageScanner.TryMeasure(buffer, _limits, out var length)) return false;
            message = buffer.Slice(0, length).ToArray();
            buffer = buffer.Slice(length);
            return true;
        }
        if (buffer.Length < 4) return false;
        Span<byte> prefix = stackalloc byte[4];
        buffer.Slice(0, 4).CopyTo(prefix);
        var frame = BinaryPrimitives.ReadInt32BigEndian(prefix);
        if (frame < 0) throw new ThriftProtocolException(ThriftProtocolError.NegativeSize, $"Negative frame length {frame}.");
        if (frame > _limits.MaxMessageSize) throw new ThriftProtocolException(ThriftProtocolError.SizeLimit, $"Frame length {frame} exceeds the limit {_limits.MaxMessageSize}.");
        if (buffer.Length < 4L + frame) return false;
        message = buffer.Slice(4, frame).ToArray();
        buffer = buffer.Slice(4L + frame);
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        await _reader.CompleteAsync().ConfigureAwait(false);
        if (!_leaveOpen) await _stream.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>
/// The client half of the Thrift SASL handshake with the PLAIN mechanism. Frames are
/// <c>status(1) | length(4, big-endian) | payload</c>; after COMPLETE the connection carries
/// <see cref="ThriftFraming.Framed"/> messages.
/// </summary>
public static class ThriftSaslClient
{
    public const byte Start = 1;
    public const byte Ok = 2;
    public const byte Bad = 3;
    public const byte Error = 4;
    public const byte Complete = 5;

    /// <summary>
    /// Sends START "PLAIN", then the response <c>authzid \0 user \0 password</c> with status OK (as
    /// PyHive's thrift_sasl does) or COMPLETE (as the Java TSaslClientTransport does), and waits for
    /// the server's COMPLETE. BAD/ERROR become <see cref="UnauthorizedAccessException"/>.
    /// </summary>
    public static async Task PlainHandshakeAsync(Stream stream, string user, string password, string? authorizationId = null, bool responseAsComplete = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        await WriteFrameAsync(stream, Start, "PLAIN"u8.ToArray(), cancellationToken).ConfigureAwait(false);
        var response = Encoding.UTF8.GetBytes($"{authorizationId}\0{user}\0{password}");
        await WriteFrameAsync(stream, responseAsComplete ? Complete : Ok, response, cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        while (true)
        {
            var (status, payload) = await ReadFrameAsync(stream, 64 * 1024, cancellationToken).ConfigureAwait(false);
            switch (status)
            {
                case Complete:
                    return;
                case Ok:
                    // PLAIN has no challenges; tolerate an empty OK before COMPLETE.
                    continue;
                case Bad or Error:
                    throw new UnauthorizedAccessException($"SASL authentication failed: {Encoding.UTF8.GetString(payload)}");
                default:
                    throw new ThriftProtocolException(ThriftProtocolError.InvalidData, $"Unexpected SASL status {status}.");
            }
        }
    }

    public static async Task WriteFrameAsync(Stream stream, byte status, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var header = new byte[5];
        header[0] = status;
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(1), payload.Length);
        await stream.WriteAsync(header, cancellationToken).ConfigureAwait(false);
        await stream.WriteAsync(payload, cancellationToken).ConfigureAwait(false);
    }

    public static async Task<(byte Status, byte[] Payload)> ReadFrameAsync(Stream stream, int maxPayload, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var header = new byte[5];
        await stream.ReadExactlyAsync(header, cancellationToken).ConfigureAwait(false);
        var length = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(1));
        if (length < 0 || length > maxPayload) throw new ThriftProtocolException(ThriftProtocolError.SizeLimit, $"SASL frame length {length} is out of range.");
        var payload = new byte[length];
        await stream.ReadExactlyAsync(payload, cancellationToken).ConfigureAwait(false);
        return (header[0], payload);
    }
}

/// <summary>
/// HS2 over HTTP: each call is one POST of the message (content type application/x-thrift) to the
/// endpoint (by default <c>/cliservice</c>); the response body is the reply. Authentication and
/// cookies are the <see cref="HttpClient"/>'s business (DefaultRequestHeaders, handler cookies).
/// </summary>
public sealed class HttpThriftTransport : IThriftTransport
{
    private static readonly MediaTypeHeaderValue ThriftMediaType = new("application/x-thrift");
    private readonly HttpClient _http;
    private readonly Uri _endpoint;
    private readonly ThriftLimits _limits;

    public HttpThriftTransport(HttpClient http, Uri endpoint, ThriftLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(endpoint);
        _http = http;
        _endpoint = endpoint;
        _limits = limits ?? ThriftLimits.Default;
    }

    public async ValueTask<ReadOnlyMemory<byte>> RoundTripAsync(ReadOnlyMemory<byte> request, CancellationToken cancellationToken)
    {
        using var content = new ReadOnlyMemoryContent(request);
        content.Headers.ContentType = ThriftMediaType;
        using var message = new HttpRequestMessage(HttpMethod.Post, _endpoint) { Content = content };
        message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/x-thrift"));
        using var response = await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
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
}
