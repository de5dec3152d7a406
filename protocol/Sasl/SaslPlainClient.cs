using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Gateway.Protocol.Sasl;

/// <summary>The client half of the Thrift SASL PLAIN handshake; afterwards the connection carries framed messages.</summary>
public static class SaslPlainClient
{
    /// <summary>
    /// Sends START "PLAIN", then the response <c>authzid \0 user \0 password</c> with status OK (as
    /// PyHive's thrift_sasl does) or COMPLETE (as Java's TSaslClientTransport does), and waits for the
    /// server's COMPLETE. BAD/ERROR become <see cref="UnauthorizedAccessException"/> with the server's reason.
    /// </summary>
    public static async Task HandshakeAsync(Stream stream, string user, string password, string? authorizationId = null, bool responseAsComplete = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var frames = new ArrayBufferWriter<byte>();
        SaslFrame.Write(frames, SaslStatus.Start, "PLAIN"u8);
        SaslFrame.Write(frames, responseAsComplete ? SaslStatus.Complete : SaslStatus.Ok, SaslPlainServer.EncodePlain(user, password, authorizationId ?? ""));
        await stream.WriteAsync(frames.WrittenMemory, cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        while (true)
        {
            var header = new byte[SaslFrame.HeaderLength];
            await stream.ReadExactlyAsync(header, cancellationToken).ConfigureAwait(false);
            var length = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(1));
            if (length < 0 || length > 64 * 1024) throw new SaslProtocolException($"SASL frame length {length} is out of range.");
            var payload = new byte[length];
            await stream.ReadExactlyAsync(payload, cancellationToken).ConfigureAwait(false);
            switch ((SaslStatus)header[0])
            {
                case SaslStatus.Complete:
                    return;
                case SaslStatus.Ok:
                    // PLAIN has no challenges; tolerate an empty OK before COMPLETE.
                    continue;
                case SaslStatus.Bad or SaslStatus.Error:
                    throw new UnauthorizedAccessException($"SASL authentication failed: {Encoding.UTF8.GetString(payload)}");
                default:
                    throw new SaslProtocolException($"Unexpected SASL status {header[0]}.");
            }
        }
    }
}
