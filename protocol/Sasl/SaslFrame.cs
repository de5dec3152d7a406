using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Gateway.Protocol.Sasl;

/// <summary>Status byte of a Thrift SASL negotiation frame.</summary>
public enum SaslStatus : byte
{
    Start = 1,
    Ok = 2,
    Bad = 3,
    Error = 4,
    Complete = 5,
}

public sealed class SaslProtocolException(string message) : Exception(message)
{
    public SaslProtocolException() : this("Malformed SASL frame.") { }
    public SaslProtocolException(string message, Exception inner) : this(message + " " + inner.Message) { }
}

/// <summary>Thrift SASL negotiation frames: <c>status(1) | length(4, big-endian) | payload</c>.</summary>
public static class SaslFrame
{
    public const int HeaderLength = 5;

    /// <summary>
    /// Takes one whole frame off the front of <paramref name="buffer"/>. Returns false when more bytes
    /// are needed; throws <see cref="SaslProtocolException"/> on an unknown status or an oversized payload.
    /// </summary>
    public static bool TryRead(ref ReadOnlySequence<byte> buffer, int maxPayload, out SaslStatus status, out byte[] payload)
    {
        status = default;
        payload = [];
        if (buffer.Length < HeaderLength) return false;
        Span<byte> header = stackalloc byte[HeaderLength];
        buffer.Slice(0, HeaderLength).CopyTo(header);
        var s = header[0];
        if (s is < (byte)SaslStatus.Start or > (byte)SaslStatus.Complete)
        {
            throw new SaslProtocolException($"Unknown SASL status byte {s}.");
        }
        var length = BinaryPrimitives.ReadInt32BigEndian(header[1..]);
        if (length < 0 || length > maxPayload)
        {
            throw new SaslProtocolException($"SASL frame of {length} bytes exceeds the limit of {maxPayload}.");
        }
        if (buffer.Length < HeaderLength + length) return false;
        status = (SaslStatus)s;
        payload = buffer.Slice(HeaderLength, length).ToArray();
        buffer = buffer.Slice(HeaderLength + length);
        return true;
    }

    public static void Write(IBufferWriter<byte> output, SaslStatus status, ReadOnlySpan<byte> payload)
    {
        var span = output.GetSpan(HeaderLength + payload.Length);
        span[0] = (byte)status;
        BinaryPrimitives.WriteInt32BigEndian(span[1..], payload.Length);
        payload.CopyTo(span[HeaderLength..]);
        output.Advance(HeaderLength + payload.Length);
    }

    public static void Write(IBufferWriter<byte> output, SaslStatus status, string payload) =>
        Write(output, status, Encoding.UTF8.GetBytes(payload));
}

public readonly record struct PlainCredentials(string AuthorizationId, string User, string Password);

/// <summary>
/// The server side of the SASL PLAIN exchange as Thrift clients run it: START carries the mechanism
/// name (and, from some clients, the initial response); the next OK frame carries
/// <c>authzid \0 authcid \0 password</c> (RFC 4616).
/// </summary>
public sealed class SaslPlainServer
{
    private enum State { AwaitStart, AwaitResponse, Done }

    private State _state = State.AwaitStart;

    /// <summary>Feeds one client frame. Returns credentials once the client has sent them.</summary>
    public SaslStepResult Step(SaslStatus status, ReadOnlySpan<byte> payload)
    {
        switch (_state)
        {
            case State.AwaitStart:
                if (status != SaslStatus.Start) return SaslStepResult.Fail($"Expected SASL START, got {status}.");
                // The mechanism name may be followed by nothing; PLAIN is the only mechanism served.
                var mechanism = Encoding.ASCII.GetString(payload).Trim();
                if (!string.Equals(mechanism, "PLAIN", StringComparison.OrdinalIgnoreCase))
                {
                    return SaslStepResult.Fail($"Unsupported SASL mechanism '{mechanism}'; this server offers PLAIN.");
                }
                _state = State.AwaitResponse;
                return SaslStepResult.Continue;
            case State.AwaitResponse:
                if (status is not (SaslStatus.Ok or SaslStatus.Complete)) return SaslStepResult.Fail($"Expected the PLAIN response, got {status}.");
                _state = State.Done;
                return TryParsePlain(payload, out var credentials)
                    ? SaslStepResult.Authenticate(credentials)
                    : SaslStepResult.Fail("Malformed PLAIN response.");
            default:
                return SaslStepResult.Fail("SASL negotiation already finished.");
        }
    }

    public static bool TryParsePlain(ReadOnlySpan<byte> response, out PlainCredentials credentials)
    {
        credentials = default;
        var first = response.IndexOf((byte)0);
        if (first < 0) return false;
        var rest = response[(first + 1)..];
        var second = rest.IndexOf((byte)0);
        if (second < 0) return false;
        var password = rest[(second + 1)..];
        if (password.IndexOf((byte)0) >= 0) return false;
        try
        {
            var utf8 = new UTF8Encoding(false, throwOnInvalidBytes: true);
            credentials = new PlainCredentials(utf8.GetString(response[..first]), utf8.GetString(rest[..second]), utf8.GetString(password));
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
        return credentials.User.Length > 0;
    }

    public static byte[] EncodePlain(string user, string password, string authorizationId = "") =>
        Encoding.UTF8.GetBytes($"{authorizationId}\0{user}\0{password}");
}

public readonly record struct SaslStepResult(SaslStepKind Kind, PlainCredentials Credentials, string? Error)
{
    public static readonly SaslStepResult Continue = new(SaslStepKind.Continue, default, null);
    public static SaslStepResult Authenticate(PlainCredentials c) => new(SaslStepKind.Authenticate, c, null);
    public static SaslStepResult Fail(string error) => new(SaslStepKind.Fail, default, error);
}

public enum SaslStepKind
{
    Continue,
    Authenticate,
    Fail,
}
