using Gateway.Engines.HiveServer2;
using Gateway.Protocol.Hive;

namespace Gateway.Benchmarks.Load;

/// <summary>Opens sessions on the gateway under test with the project's own HiveServer2 client (binary, SASL PLAIN).</summary>
public static class Hs2Client
{
    public static HiveConnectionOptions Options(int port, TProtocolVersion version = TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V10, HiveArrowOptions? arrow = null) => new()
    {
        Host = "127.0.0.1",
        Port = port,
        Auth = HiveAuthMode.SaslPlain,
        User = "bench",
        Password = "x",
        ProtocolVersion = version,
        PollInterval = TimeSpan.FromMilliseconds(1),
        Arrow = arrow,
    };

    /// <param name="arrow">Ask for Arrow result batches (needs a Spark-line <paramref name="version"/>).</param>
    public static async Task<(HiveConnection Connection, CountingTransport Transport)> OpenAsync(int port, CancellationToken cancellationToken,
        TProtocolVersion version = TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V10, HiveArrowOptions? arrow = null)
    {
        var options = Options(port, version, arrow);
        var tcp = await ThriftTcpTransport.ConnectAsync(new ThriftTcpTransportOptions { Host = options.Host, Port = port, Auth = options.Auth, User = options.User, Password = options.Password }, cancellationToken);
        var counting = new CountingTransport(tcp);
        try
        {
            return (await HiveConnection.OpenAsync(counting, options, cancellationToken), counting);
        }
        catch
        {
            await counting.DisposeAsync();
            throw;
        }
    }
}

/// <summary>Counts the reply bytes of a transport (the wire volume of a fetch, framing excluded).</summary>
public sealed class CountingTransport(IThriftTransport inner) : IThriftTransport, IAsyncDisposable
{
    private long _replyBytes;

    public long ReplyBytes => Interlocked.Read(ref _replyBytes);

    public async ValueTask<ReadOnlyMemory<byte>> RoundTripAsync(ReadOnlyMemory<byte> request, CancellationToken cancellationToken)
    {
        var reply = await inner.RoundTripAsync(request, cancellationToken);
        Interlocked.Add(ref _replyBytes, reply.Length);
        return reply;
    }

    public async ValueTask DisposeAsync()
    {
        if (inner is IAsyncDisposable d) await d.DisposeAsync();
    }
}
