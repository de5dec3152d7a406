using System.Buffers;
using Gateway.Protocol.Thrift;

namespace Gateway.Protocol.Hive;

/// <summary>What <see cref="TCLIServiceDispatcher.DispatchAsync"/> did with one message, for logs and metrics.</summary>
/// <param name="MethodName">The method named in the message header.</param>
/// <param name="IsKnownMethod">False when it was answered with UNKNOWN_METHOD.</param>
/// <param name="SeqId">The sequence id echoed in the reply.</param>
/// <param name="HandlerException">
/// An exception the handler let escape (a bug: handlers answer errors with a TStatus); the client got
/// a TApplicationException INTERNAL_ERROR and the connection stays usable.
/// </param>
public readonly record struct DispatchOutcome(string MethodName, bool IsKnownMethod, int SeqId, Exception? HandlerException = null);

/// <summary>
/// A client transport: sends one complete CALL message and returns one complete reply message. The reply's memory
/// must not be reused by the transport afterwards: the decoded reply may keep slices of it (Arrow batch bytes).
/// </summary>
public interface IThriftTransport
{
    ValueTask<ReadOnlyMemory<byte>> RoundTripAsync(ReadOnlyMemory<byte> request, CancellationToken cancellationToken);
}

/// <summary>The message plumbing shared by the generated dispatcher and client.</summary>
internal static class ThriftRpc
{
    public static (ThriftMessageHeader Header, int BodyOffset) ReadCallHeader(ReadOnlySpan<byte> message, ThriftLimits limits)
    {
        var reader = new ThriftReader(message, limits);
        var header = reader.ReadMessageBegin();
        if (header.Type is not (TMessageType.Call or TMessageType.Oneway))
        {
            throw new ThriftProtocolException(ThriftProtocolError.InvalidData, $"Expected a CALL message, got {header.Type}.");
        }
        return (header, reader.Position);
    }

    /// <summary>Reads the args struct: the request is field 1; anything else is skipped.</summary>
    public static TReq ReadArgs<TReq>(ReadOnlySpan<byte> message, int bodyOffset, ThriftLimits limits) where TReq : IThriftStruct, new()
    {
        var reader = new ThriftReader(message[bodyOffset..], limits);
        TReq? request = default;
        reader.ReadStructBegin();
        while (true)
        {
            var field = reader.ReadFieldBegin();
            if (field.Type == TType.Stop) break;
            if (field.Id == 1 && field.Type == TType.Struct)
            {
                request = new TReq();
                request.Read(ref reader);
            }
            else
            {
                reader.Skip(field.Type);
            }
        }
        reader.ReadStructEnd();
        if (request is null) ThriftProtocolException.ThrowMissingField(typeof(TReq).Name + " args", "req");
        return request;
    }

    public static async ValueTask<DispatchOutcome> InvokeAsync<TReq, TResp>(
        ThriftMessageHeader header,
        TReq request,
        Func<TReq, CancellationToken, ValueTask<TResp>> method,
        IBufferWriter<byte> output,
        CancellationToken cancellationToken)
        where TResp : IThriftStruct
    {
        TResp response;
        try
        {
            response = await method(request, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            if (header.Type == TMessageType.Call)
            {
                new TApplicationException(TApplicationExceptionType.INTERNAL_ERROR, $"Internal error processing {header.Name}")
                    .WriteMessage(new ThriftWriter(output), header.Name, header.SeqId);
            }
            return new DispatchOutcome(header.Name, true, header.SeqId, ex);
        }
        if (response is null) throw new InvalidOperationException($"Handler for {header.Name} returned null.");
        if (header.Type == TMessageType.Call)
        {
            var writer = new ThriftWriter(output);
            writer.WriteMessageBegin(header.Name, TMessageType.Reply, header.SeqId);
            writer.WriteFieldBegin(TType.Struct, 0);
            response.Write(writer);
            writer.WriteFieldStop();
        }
        return new DispatchOutcome(header.Name, true, header.SeqId);
    }

    public static ValueTask<DispatchOutcome> UnknownMethod(ThriftMessageHeader header, IBufferWriter<byte> output)
    {
        if (header.Type == TMessageType.Call)
        {
            // PyHive calls GetLog first and relies on exactly this answer to fall back to FetchResults.
            new TApplicationException(TApplicationExceptionType.UNKNOWN_METHOD, $"Invalid method name: '{header.Name}'")
                .WriteMessage(new ThriftWriter(output), header.Name, header.SeqId);
        }
        return ValueTask.FromResult(new DispatchOutcome(header.Name, false, header.SeqId));
    }

    public static void WriteCall<TReq>(IBufferWriter<byte> output, string name, int seqId, TReq request) where TReq : IThriftStruct
    {
        var writer = new ThriftWriter(output);
        writer.WriteMessageBegin(name, TMessageType.Call, seqId);
        writer.WriteFieldBegin(TType.Struct, 1);
        request.Write(writer);
        writer.WriteFieldStop();
    }

    /// <summary>Reads a REPLY (success in field 0) or throws the EXCEPTION it carries.</summary>
    public static TResp ReadReply<TResp>(ReadOnlyMemory<byte> reply, ThriftLimits limits, string name, int seqId) where TResp : IThriftStruct, new()
    {
        var reader = ThriftReader.OverMemory(reply, limits);
        var header = reader.ReadMessageBegin();
        if (header.Type == TMessageType.Exception)
        {
            throw TApplicationException.Read(ref reader);
        }
        if (header.Type != TMessageType.Reply)
        {
            throw new TApplicationException(TApplicationExceptionType.INVALID_MESSAGE_TYPE, $"{name} failed: unexpected message type {header.Type}");
        }
        if (!string.Equals(header.Name, name, StringComparison.Ordinal))
        {
            throw new TApplicationException(TApplicationExceptionType.WRONG_METHOD_NAME, $"{name} failed: reply is for '{header.Name}'");
        }
        if (header.SeqId != seqId)
        {
            throw new TApplicationException(TApplicationExceptionType.BAD_SEQUENCE_ID, $"{name} failed: out of sequence response (expected {seqId}, got {header.SeqId})");
        }
        TResp? response = default;
        reader.ReadStructBegin();
        while (true)
        {
            var field = reader.ReadFieldBegin();
            if (field.Type == TType.Stop) break;
            if (field.Id == 0 && field.Type == TType.Struct)
            {
                response = new TResp();
                response.Read(ref reader);
            }
            else
            {
                reader.Skip(field.Type);
            }
        }
        reader.ReadStructEnd();
        return response ?? throw new TApplicationException(TApplicationExceptionType.MISSING_RESULT, $"{name} failed: unknown result");
    }
}
