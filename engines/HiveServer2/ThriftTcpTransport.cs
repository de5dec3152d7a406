using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
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

/// <summary>Where and how <see cref="ThriftTcpTransport"/> connects.</summary>
public sealed record ThriftTcpTransportOptions
{
    public required string Host { get; init; }
    public required int Port { get; init; }
    public HiveAuthMode Auth { get; init; } = HiveAuthMode.SaslPlain;
    public string User { get; init; } = "anonymous";
    public string Password { get; init; } = "x";

    /// <summary>TLS before anything else (Hive JDBC's <c>ssl=true</c>); null means plaintext.</summary>
    public ClientTlsOptions? Tls { get; init; }

    public ThriftLimits? Limits { get; init; }
}

/// <summary>
/// A client connection to a HiveServer2 binary endpoint: TCP, optionally TLS, an optional SASL PLAIN
/// handshake, then one call at a time over <see cref="StreamThriftTransport"/> (framed after SASL,
/// bare without).
/// </summary>
public sealed class ThriftTcpTransport : IThriftTransport, IAsyncDisposable
{
    private readonly StreamThriftTransport _inner;
    private readonly SemaphoreSlim _gate = new(1, 1);

    private ThriftTcpTransport(StreamThriftTransport inner) => _inner = inner;

    public static Task<ThriftTcpTransport> ConnectAsync(string host, int port, HiveAuthMode auth, string user, string password, ThriftLimits? limits = null, CancellationToken cancellationToken = default) =>
        ConnectAsync(new ThriftTcpTransportOptions { Host = host, Port = port, Auth = auth, User = user, Password = password, Limits = limits }, cancellationToken);

    public static async Task<ThriftTcpTransport> ConnectAsync(ThriftTcpTransportOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Stream? stream = null;
        try
        {
            await socket.ConnectAsync(options.Host, options.Port, cancellationToken).ConfigureAwait(false);
            stream = new NetworkStream(socket, ownsSocket: true);
            if (options.Tls is { } tls)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = ssl;
                try
                {
                    await ssl.AuthenticateAsClientAsync(tls.ToSslOptions(options.Host), cancellationToken).ConfigureAwait(false);
                }
                catch (AuthenticationException ex)
                {
                    throw new HiveClientException($"TLS handshake with {options.Host}:{options.Port} failed: {ex.Message}", "08001");
                }
                catch (IOException ex)
                {
                    throw new HiveClientException($"TLS handshake with {options.Host}:{options.Port} failed (is TLS enabled on the server?): {ex.Message}", "08001");
                }
            }
            if (options.Auth == HiveAuthMode.SaslPlain)
            {
                try
                {
                    await SaslPlainClient.HandshakeAsync(stream, options.User, options.Password, cancellationToken: cancellationToken).ConfigureAwait(false);
                }
                catch (UnauthorizedAccessException ex)
                {
                    throw new HiveClientException(ex.Message, "28000");
                }
                catch (EndOfStreamException)
                {
                    throw new HiveClientException("The server closed the connection during SASL negotiation.", "08S01");
                }
            }
            var framing = options.Auth == HiveAuthMode.SaslPlain ? ThriftFraming.Framed : ThriftFraming.Unframed;
            return new ThriftTcpTransport(new StreamThriftTransport(stream, framing, options.Limits));
        }
        catch
        {
            if (stream is not null) await stream.DisposeAsync().ConfigureAwait(false);
            socket.Dispose();
            throw;
        }
    }

    public async ValueTask<ReadOnlyMemory<byte>> RoundTripAsync(ReadOnlyMemory<byte> request, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await _inner.RoundTripAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (EndOfStreamException ex)
        {
            throw new HiveClientException(ex.Message, "08S01");
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _inner.DisposeAsync().ConfigureAwait(false);
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
