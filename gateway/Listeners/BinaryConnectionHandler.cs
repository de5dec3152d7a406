using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using Gateway.Protocol.Hive;
using Gateway.Protocol.Sasl;
using Gateway.Protocol.Thrift;
using Gateway.Server.Auth;
using Gateway.Server.Configuration;
using Gateway.Server.Hive;
using Gateway.Server.Sessions;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.Extensions.Logging;

namespace Gateway.Server.Listeners;

/// <summary>
/// The HiveServer2 binary transport on one TCP port. The first byte tells the modes apart: 0x80 (or
/// 0x00, an old non-strict header) is a bare Thrift message from a no-SASL client; 0x01 is a SASL
/// START, after which every message is framed by a 4-byte big-endian length. A malformed frame or
/// failed authentication ends only this connection.
/// </summary>
public sealed partial class BinaryConnectionHandler : ConnectionHandler
{
    private static long s_nextConnectionId;
    private readonly SessionManager _sessions;
    private readonly IPasswordAuthenticator _authenticator;
    private readonly GatewayOptions _options;
    private readonly ThriftLimits _limits;
    private readonly ILogger _logger;
    private readonly RefusalLog? _refusals;
    private readonly LoginThrottle _throttle;

    private readonly ConnectionsPerAddress _perAddress;

    public BinaryConnectionHandler(SessionManager sessions, IPasswordAuthenticator authenticator, GatewayOptions options, ILogger<BinaryConnectionHandler> logger,
        LoginThrottle? throttle = null, RefusalLog? refusals = null)
    {
        _perAddress = new ConnectionsPerAddress(options.Limits.MaxConnectionsPerAddress);
        _refusals = refusals;
        _throttle = throttle ?? LoginThrottle.Disabled;
        _sessions = sessions;
        _authenticator = authenticator;
        _options = options;
        _logger = logger;
        _limits = options.Limits.ToThriftLimits();
    }

    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        var id = Interlocked.Increment(ref s_nextConnectionId);
        var input = connection.Transport.Input;
        var output = connection.Transport.Output;
        var ct = connection.ConnectionClosed;
        var remote = connection.RemoteEndPoint?.ToString();
        var tls = connection.Features.Get<ITlsHandshakeFeature>() is not null ? "+tls" : "";
        using var deadline = new ReadDeadline(ct);
        var address = (connection.RemoteEndPoint as System.Net.IPEndPoint)?.Address;
        IDisposable? counted = null;
        try
        {
            counted = _perAddress.TryEnter(address);
            if (counted is null)
            {
                await RefuseBusyAsync(input, output, remote, address!, ct).ConfigureAwait(false);
                return;
            }
            // One deadline for the whole handshake (first byte, SASL exchange or the first no-SASL message), not one a read.
            var first = await input.ReadAsync(deadline.Arm("completed handshake", _options.Binary.HandshakeTimeout)).ConfigureAwait(false);
            if (first.Buffer.IsEmpty)
            {
                input.AdvanceTo(first.Buffer.Start);
                return;
            }
            var mode = first.Buffer.FirstSpan[0];
            input.AdvanceTo(first.Buffer.Start);
            switch (mode)
            {
                case (byte)SaslStatus.Start:
                    var auth = await NegotiateSaslAsync(input, output, remote, address, deadline.Token, ct).ConfigureAwait(false);
                    deadline.Disarm();
                    if (auth is null) return;
                    var caller = new CallerContext(auth.User, id, remote, "binary+sasl" + tls) { Groups = auth.Groups };
                    await ServeAsync(input, output, caller, framed: true, userFromRequest: false, deadline, handshakeDone: true, ct).ConfigureAwait(false);
                    break;
                case 0x80 or 0x00:
                    if (_options.Auth.Mode != AuthMode.None)
                    {
                        await RefuseBareThriftAsync(input, output, "This gateway requires authentication: connect with SASL PLAIN (user and password), not auth=noSasl.", ct).ConfigureAwait(false);
                        return;
                    }
                    await ServeAsync(input, output, new CallerContext("anonymous", id, remote, "binary" + tls), framed: false, userFromRequest: true, deadline, handshakeDone: false, ct).ConfigureAwait(false);
                    break;
                default:
                    if (_refusals?.ShouldLog(301, "first byte") != false) LogBadFirstByte(_logger, remote, mode);
                    break;
            }
        }
        catch (Exception ex) when (ex is ThriftProtocolException or SaslProtocolException or InvalidDataException)
        {
            if (_refusals?.ShouldLog(300, "protocol error") != false) LogProtocolError(_logger, remote, ex.Message);
        }
        catch (OperationCanceledException) when (deadline.Expired)
        {
            if (_refusals?.ShouldLog(305, deadline.Phase) != false) LogTimedOut(_logger, remote, deadline.Phase, deadline.Limit.TotalSeconds);
        }
        catch (Exception ex) when (ex is IOException or ConnectionResetException or OperationCanceledException or ConnectionAbortedException)
        {
            // The client went away.
        }
        finally
        {
            counted?.Dispose();
            await _sessions.CloseConnectionSessionsAsync(id).ConfigureAwait(false);
            await input.CompleteAsync().ConfigureAwait(false);
            await output.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <param name="readToken">Cancels reads when the handshake's deadline passes; <paramref name="ct"/> is the connection's.</param>
    private async Task<AuthResult?> NegotiateSaslAsync(PipeReader input, PipeWriter output, string? remote, System.Net.IPAddress? address, CancellationToken readToken, CancellationToken ct)
    {
        var sasl = new SaslPlainServer();
        while (true)
        {
            var result = await input.ReadAsync(readToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            PlainCredentials? credentials = null;
            string? failure = null;
            try
            {
                // Clients send START and the PLAIN response back to back: handle every whole frame buffered.
                while (credentials is null && failure is null && SaslFrame.TryRead(ref buffer, 64 * 1024, out var status, out var payload))
                {
                    var step = sasl.Step(status, payload);
                    if (step.Kind == SaslStepKind.Fail) failure = step.Error;
                    else if (step.Kind == SaslStepKind.Authenticate) credentials = step.Credentials;
                }
            }
            catch (SaslProtocolException ex)
            {
                SaslFrame.Write(output, SaslStatus.Error, ex.Message);
                await output.FlushAsync(ct).ConfigureAwait(false);
                throw;
            }
            input.AdvanceTo(buffer.Start, buffer.End);
            if (failure is not null)
            {
                SaslFrame.Write(output, SaslStatus.Bad, failure);
                await output.FlushAsync(ct).ConfigureAwait(false);
                if (_refusals?.ShouldLog(302, "SASL handshake") != false) LogAuthFailed(_logger, remote, "", failure);
                return null;
            }
            if (credentials is { } c)
            {
                if (_throttle.Refusal(c.User, address) is { } refusal)
                {
                    SaslFrame.Write(output, SaslStatus.Bad, refusal);
                    await output.FlushAsync(ct).ConfigureAwait(false);
                    if (_refusals?.ShouldLog(302, "throttled") != false) LogAuthFailed(_logger, remote, c.User, refusal);
                    return null;
                }
                var auth = await _authenticator.AuthenticateAsync(c.User, c.Password, ct).ConfigureAwait(false);
                if (auth.Succeeded) _throttle.RecordSuccess(c.User);
                else _throttle.RecordFailure(c.User, address, remote ?? "?");
                if (!auth.Succeeded)
                {
                    SaslFrame.Write(output, SaslStatus.Bad, auth.Error!);
                    await output.FlushAsync(ct).ConfigureAwait(false);
                    if (_refusals?.ShouldLog(302, "credentials") != false) LogAuthFailed(_logger, remote, c.User, auth.Error!);
                    return null;
                }
                SaslFrame.Write(output, SaslStatus.Complete, ReadOnlySpan<byte>.Empty);
                await output.FlushAsync(ct).ConfigureAwait(false);
                return auth;
            }
            if (result.IsCompleted) return null;
        }
    }

    /// <summary>A no-SASL client on a gateway that requires passwords gets a Thrift exception it can show, then the door.</summary>
    /// <summary>
    /// A connection over its address's cap: told why in the form its client reads (a SASL ERROR frame, or a Thrift
    /// exception to its first no-SASL call) when it speaks within a second, then closed; a silent one is just closed,
    /// so refused connections do not hold the listener's slots either.
    /// </summary>
    private async Task RefuseBusyAsync(PipeReader input, PipeWriter output, string? remote, System.Net.IPAddress address, CancellationToken ct)
    {
        if (_refusals?.ShouldLog(306, "connections per address") != false) LogTooManyConnections(_logger, remote, _perAddress.Max);
        var message = HttpThriftHandler.TooManyConnections(address.ToString(), _perAddress.Max);
        using var quick = CancellationTokenSource.CreateLinkedTokenSource(ct);
        quick.CancelAfter(TimeSpan.FromSeconds(1));
        var first = await input.ReadAsync(quick.Token).ConfigureAwait(false);
        if (first.Buffer.IsEmpty)
        {
            input.AdvanceTo(first.Buffer.Start);
            return;
        }
        var mode = first.Buffer.FirstSpan[0];
        input.AdvanceTo(first.Buffer.Start);
        if (mode == (byte)SaslStatus.Start)
        {
            SaslFrame.Write(output, SaslStatus.Error, message);
            await output.FlushAsync(quick.Token).ConfigureAwait(false);
        }
        else if (mode is 0x80 or 0x00)
        {
            await RefuseBareThriftAsync(input, output, message, quick.Token).ConfigureAwait(false);
        }
        else
        {
            return;
        }
        // Closing with the client's bytes unread would reset the connection, and the reset can drop the refusal before
        // the client reads it: end our side, then read what is left (briefly) so the close is orderly.
        await output.CompleteAsync().ConfigureAwait(false);
        while (true)
        {
            var rest = await input.ReadAsync(quick.Token).ConfigureAwait(false);
            input.AdvanceTo(rest.Buffer.End);
            if (rest.IsCompleted) return;
        }
    }

    private async Task RefuseBareThriftAsync(PipeReader input, PipeWriter output, string message, CancellationToken ct)
    {
        while (true)
        {
            var result = await input.ReadAsync(ct).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (ThriftMessageScanner.TryMeasure(buffer, _limits, out var length))
            {
                var call = buffer.Slice(0, length).ToArray();
                input.AdvanceTo(buffer.GetPosition(length));
                var header = ReadHeader(call);
                var writer = new ThriftWriter(output);
                writer.WriteMessageBegin(header.Name, TMessageType.Exception, header.SeqId);
                new TApplicationException(TApplicationExceptionType.INTERNAL_ERROR, message).Write(writer);
                await output.FlushAsync(ct).ConfigureAwait(false);
                return;
            }
            input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted) return;
        }
    }

    private ThriftMessageHeader ReadHeader(byte[] message)
    {
        var reader = new ThriftReader(message, _limits);
        return reader.ReadMessageBegin();
    }

    /// <param name="handshakeDone">False for a no-SASL connection: its first message is still under the handshake's deadline.</param>
    private async Task ServeAsync(PipeReader input, PipeWriter output, CallerContext caller, bool framed, bool userFromRequest, ReadDeadline deadline,
        bool handshakeDone, CancellationToken ct)
    {
        var service = new HiveService(_sessions, _options, caller, userFromRequest, _logger);
        using var response = new PooledBufferWriter();
        var pending = false;
        while (true)
        {
            // An idle connection holds no reply buffer (one per connection, as large as its largest reply, adds up over
            // thousands of idle sessions); renting it again for the next call costs next to nothing.
            response.Release();
            var readToken = !handshakeDone ? deadline.Token
                : pending ? deadline.Arm("rest of a started message", _options.Binary.MessageTimeout)
                : deadline.Arm("call on an idle connection", _options.Binary.IdleTimeout);
            var result = await input.ReadAsync(readToken).ConfigureAwait(false);
            if (handshakeDone) deadline.Disarm();
            var buffer = result.Buffer;
            while (ThriftFrames.TryTake(ref buffer, framed, _limits, out var message))
            {
                if (!handshakeDone)
                {
                    // The first whole no-SASL message ends the handshake; answering it is the gateway's time.
                    handshakeDone = true;
                    deadline.Disarm();
                }
                response.Clear();
                var rented = default(byte[]);
                ReadOnlyMemory<byte> memory;
                if (message.IsSingleSegment)
                {
                    memory = message.First;
                }
                else
                {
                    rented = ArrayPool<byte>.Shared.Rent((int)message.Length);
                    message.CopyTo(rented);
                    memory = rented.AsMemory(0, (int)message.Length);
                }
                try
                {
                    var outcome = await TCLIServiceDispatcher.DispatchAsync(memory, service, response, _limits, ct).ConfigureAwait(false);
                    if (outcome.HandlerException is { } bug) LogHandlerFault(_logger, outcome.MethodName, bug);
                    else if (!outcome.IsKnownMethod) LogUnknownMethod(_logger, caller.ClientAddress, outcome.MethodName);
                }
                finally
                {
                    service.ReplyWritten();
                    if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
                }
                if (framed)
                {
                    var header = output.GetSpan(4);
                    BinaryPrimitives.WriteInt32BigEndian(header, response.WrittenCount);
                    output.Advance(4);
                }
                output.Write(response.WrittenSpan);
                var flush = await output.FlushAsync(ct).ConfigureAwait(false);
                if (flush.IsCompleted) return;
            }
            input.AdvanceTo(buffer.Start, buffer.End);
            pending = !buffer.IsEmpty;
            if (result.IsCompleted)
            {
                if (!buffer.IsEmpty && _refusals?.ShouldLog(300, "closed inside a message") != false) LogProtocolError(_logger, caller.ClientAddress, $"connection closed inside a message ({buffer.Length} bytes pending)");
                return;
            }
        }
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Warning, Message = "Connection from {Remote} closed: protocol error: {Reason}")]
    private static partial void LogProtocolError(ILogger logger, string? remote, string reason);

    [LoggerMessage(EventId = 306, Level = LogLevel.Warning, Message = "Connection from {Remote} refused: its address has {Max} connections open (Gateway:Limits:MaxConnectionsPerAddress)")]
    private static partial void LogTooManyConnections(ILogger logger, string? remote, int max);

    [LoggerMessage(EventId = 305, Level = LogLevel.Information, Message = "Connection from {Remote} closed: no {Phase} within {Seconds} s")]
    private static partial void LogTimedOut(ILogger logger, string? remote, string phase, double seconds);

    [LoggerMessage(EventId = 301, Level = LogLevel.Warning, Message = "Connection from {Remote} closed: first byte 0x{FirstByte:x2} is neither SASL START nor a Thrift message")]
    private static partial void LogBadFirstByte(ILogger logger, string? remote, byte firstByte);

    [LoggerMessage(EventId = 303, Level = LogLevel.Error, Message = "{Method} threw instead of answering with a status; the client got INTERNAL_ERROR")]
    private static partial void LogHandlerFault(ILogger logger, string method, Exception ex);

    [LoggerMessage(EventId = 304, Level = LogLevel.Debug, Message = "{Remote} called unknown method {Method}; answered UNKNOWN_METHOD")]
    private static partial void LogUnknownMethod(ILogger logger, string? remote, string method);

    [LoggerMessage(EventId = 302, Level = LogLevel.Warning, Message = "Authentication failed for '{User}' from {Remote}: {Reason}")]
    private static partial void LogAuthFailed(ILogger logger, string? remote, string user, string reason);
}
