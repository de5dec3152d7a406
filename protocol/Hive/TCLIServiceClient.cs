using Gateway.Protocol.Thrift;

namespace Gateway.Protocol.Hive;

/// <summary>
/// A TCLIService client over any <see cref="IThriftTransport"/> (one call at a time). Sequence ids
/// increase per call and the reply must echo the call's name and id; an EXCEPTION reply is thrown as
/// <see cref="TApplicationException"/>. The per-method *Async members are generated.
/// </summary>
public sealed partial class TCLIServiceClient
{
    private readonly IThriftTransport _transport;
    private readonly ThriftLimits _limits;
    private int _seqId;

    public TCLIServiceClient(IThriftTransport transport, ThriftLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(transport);
        _transport = transport;
        _limits = limits ?? ThriftLimits.Default;
    }

    /// <summary>The sequence id of the last call sent.</summary>
    public int LastSeqId => Volatile.Read(ref _seqId);

    private async Task<TResp> CallAsync<TReq, TResp>(string name, TReq request, CancellationToken cancellationToken)
        where TReq : IThriftStruct
        where TResp : IThriftStruct, new()
    {
        ArgumentNullException.ThrowIfNull(request);
        var seqId = Interlocked.Increment(ref _seqId);
        using var buffer = new PooledBufferWriter();
        ThriftRpc.WriteCall(buffer, name, seqId, request);
        var reply = await _transport.RoundTripAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
        return ThriftRpc.ReadReply<TResp>(reply, _limits, name, seqId);
    }
}
