using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net.Sockets;
using Gateway.Protocol.Hive;
using Gateway.Protocol.Sasl;
using Gateway.Protocol.Thrift;

namespace Gateway.Engines.HiveServer2;

public enum HiveAuthMode
{
    /// <summary>Bare Thrift messages (<c>auth=noSasl</c>).</summary>
    NoSasl,
    /// <summary>SASL PLAIN negotiation, then length-framed messages (Hive JDBC's default).</summary>
    SaslPlain,
}

/// <summary>
/// A client connection to a HiveServer2 binary endpoint: one call at a time, the reply read back as
/// one complete Thrift message (framed after SASL, measured by scanning without it).
/// </summary>
public sealed class ThriftTcpTransport : IThriftTransport, IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly PipeReader _reader;
    private readonly bool _framed;
    private readonly ThriftLimits _limits;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private byte[] _reply = [];

    private ThriftTcpTransport(Socket socket, bool framed, ThriftLimits limits)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _reader = PipeReader.Create(_stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024));
        _framed = framed;
        _limits = limits;
    }

    public static async Task<ThriftTcpTransport> ConnectAsync(string host, int port, HiveAuthMode auth, string user, string password, ThriftLimits? limits = null, CancellationToken cancellationToken = default)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(host, port, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        var transport = new ThriftTcpTransport(socket, auth == HiveAuthMode.SaslPlain, limits ?? ThriftLimits.Default);
        if (auth == HiveAuthMode.SaslPlain)
        {
            try
            {
                await transport.NegotiatePlainAsync(user, password, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await transport.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
        return transport;
    }

    private async Task NegotiatePlainAsync(string user, string password, CancellationToken ct)
    {
        var buffer = new ArrayBufferWriter<byte>();
        SaslFrame.Write(buffer, SaslStatus.Start, "PLAIN"u8);
        SaslFrame.Write(buffer, SaslStatus.Complete, SaslPlainServer.EncodePlain(user, password));
        await _stream.WriteAsync(buffer.WrittenMemory, ct).ConfigureAwait(false);
        while (true)
        {
            var result = await _reader.ReadAsync(ct).ConfigureAwait(false);
            var data = result.Buffer;
            if (SaslFrame.TryRead(ref data, 64 * 1024, out var status, out var payload))
            {
                _reader.AdvanceTo(data.Start);
                if (status == SaslStatus.Complete) return;
                throw new HiveClientException($"SASL authentication failed: {System.Text.Encoding.UTF8.GetString(payload)}", "28000");
            }
            _reader.AdvanceTo(data.Start, data.End);
            if (result.IsCompleted) throw new HiveClientException("The server closed the connection during SASL negotiation.", "08S01");
        }
    }

    public async ValueTask<ReadOnlyMemory<byte>> RoundTripAsync(ReadOnlyMemory<byte> request, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_framed)
            {
                var header = new byte[4];
                BinaryPrimitives.WriteInt32BigEndian(header, request.Length);
                await _stream.WriteAsync(header, cancellationToken).ConfigureAwait(false);
            }
            await _stream.WriteAsync(request, cancellationToken).ConfigureAwait(false);
            while (true)
            {
                var result = await _reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                var buffer = result.Buffer;
                if (TryTake(ref buffer, out var message))
                {
                    if (_reply.Length < message.Length) _reply = new byte[Math.Max((int)message.Length, _reply.Length * 2)];
                    message.CopyTo(_reply);
                    var length = (int)message.Length;
                    _reader.AdvanceTo(buffer.Start);
                    return _reply.AsMemory(0, length);
                }
                _reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted) throw new HiveClientException("The server closed the connection.", "08S01");
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private bool TryTake(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> message)
    {
        message = default;
        if (_framed)
        {
            if (buffer.Length < 4) return false;
            Span<byte> h = stackalloc byte[4];
            buffer.Slice(0, 4).CopyTo(h);
            var length = BinaryPrimitives.ReadInt32BigEndian(h);
            if (length < 0 || length > _limits.MaxMessageSize) throw new ThriftProtocolException(ThriftProtocolError.SizeLimit, $"Reply frame of {length} bytes exceeds the limit.");
            if (buffer.Length < 4 + length) return false;
            message = buffer.Slice(4, length);
            buffer = buffer.Slice(4 + length);
            return true;
        }
        if (!ThriftMessageScanner.TryMeasure(buffer, _limits, out var size)) return false;
        message = buffer.Slice(0, size);
        buffer = buffer.Slice(size);
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        await _reader.CompleteAsync().ConfigureAwait(false);
        await _stream.DisposeAsync().ConfigureAwait(false);
        _socket.Dispose();
        _gate.Dispose();
    }
}

public sealed class HiveClientException(string message, string sqlState = "HY000", int errorCode = 0) : Exception(message)
{
    public HiveClientException() : this("HiveServer2 call failed.") { }
    public HiveClientException(string message, Exception inner) : this(message) => _ = inner;

    public string SqlState { get; } = sqlState;
    public int ErrorCode { get; } = errorCode;
}
