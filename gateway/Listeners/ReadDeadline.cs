namespace Gateway.Server.Listeners;

/// <summary>
/// The time one connection may take to send what it owes next: armed before a read with the phase the connection is
/// in (handshake, idle between calls, the rest of a started message) and disarmed once bytes arrive, so time the
/// gateway spends answering a call never counts against the client. One per connection; reads are sequential.
/// </summary>
internal sealed class ReadDeadline : IDisposable
{
    private readonly CancellationToken _connection;
    private readonly CancellationTokenSource _cts;

    public ReadDeadline(CancellationToken connection)
    {
        _connection = connection;
        _cts = CancellationTokenSource.CreateLinkedTokenSource(connection);
    }

    /// <summary>What the client was expected to send when the deadline passed ("the SASL handshake", ...).</summary>
    public string Phase { get; private set; } = "";

    public TimeSpan Limit { get; private set; }

    /// <summary>True when a read ended because the deadline passed, not because the connection closed.</summary>
    public bool Expired => _cts.IsCancellationRequested && !_connection.IsCancellationRequested;

    /// <summary>Starts (or restarts) the clock; the token cancels when it runs out or the connection closes.</summary>
    public CancellationToken Arm(string phase, TimeSpan limit)
    {
        Phase = phase;
        Limit = limit;
        _cts.CancelAfter(limit);
        return _cts.Token;
    }

    /// <summary>The token of the clock as last armed (to keep one deadline across several reads).</summary>
    public CancellationToken Token => _cts.Token;

    public void Disarm()
    {
        if (!_cts.IsCancellationRequested) _cts.CancelAfter(Timeout.InfiniteTimeSpan);
    }

    public void Dispose() => _cts.Dispose();
}
