using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net.Http.Headers;
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
