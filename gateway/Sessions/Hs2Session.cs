using System.Collections.Concurrent;
using Gateway.Engines;
using Gateway.Protocol.Columnar;
using Gateway.Server.Operations;

namespace Gateway.Server.Sessions;

public enum SessionState
{
    Open,
    Closed,
}

/// <summary>
/// One HiveServer2 session: who owns it, its confs and variables, its operations and the engine
/// sessions it has bound (lazily). The primary engine session carries session state (USE, temp
/// tables); when it is busy streaming a result another operation gets a secondary one.
/// </summary>
public sealed class Hs2Session : IAsyncDisposable
{
    private readonly SemaphoreSlim _engineGate = new(1, 1);
    private readonly Stack<IEngineSession> _idleSecondaries = new();
    private readonly TimeProvider _time;
    private IEngineSession? _primary;
    private bool _primaryLeased;
    private long _lastAccessTicks;
    private int _state = (int)SessionState.Open;

    public Hs2Session(SessionInfo info, IEngine engine, TimeProvider time)
    {
        Handle = HandleId.New();
        Info = info;
        Engine = engine;
        _time = time;
        Created = time.GetUtcNow();
        Touch();
    }

    public HandleId Handle { get; }
    public SessionInfo Info { get; }
    public string User => Info.User;
    public int ProtocolVersion => Info.ProtocolVersion;
    public IEngine Engine { get; }
    public DateTimeOffset Created { get; }

    /// <summary>Session confs (plain keys, <c>set:hiveconf:</c> keys and <c>SET k=v</c>).</summary>
    public ConcurrentDictionary<string, string> Conf { get; } = new(StringComparer.Ordinal);

    /// <summary>Hive variables (<c>set:hivevar:</c>), substituted as <c>${hivevar:name}</c> or <c>${name}</c>.</summary>
    public ConcurrentDictionary<string, string> HiveVars { get; } = new(StringComparer.Ordinal);

    public ConcurrentDictionary<Guid, Operation> Operations { get; } = new();

    public SessionState State => (SessionState)Volatile.Read(ref _state);
    public DateTimeOffset LastAccess => new(Interlocked.Read(ref _lastAccessTicks), TimeSpan.Zero);

    /// <summary>The current database as the primary engine session knows it.</summary>
    public string CurrentDatabase => _primary?.CurrentDatabase ?? Info.InitialDatabase ?? "default";

    private ValueFormatter? _formatter;

    /// <summary>
    /// Formats text-carried values; TIMESTAMP WITH TIME ZONE is shown in the session's zone
    /// (<c>spark.sql.session.timeZone</c> or <c>hive.local.time.zone</c>, UTC by default).
    /// </summary>
    public ValueFormatter Formatter
    {
        get
        {
            var zoneId = Conf.GetValueOrDefault("spark.sql.session.timeZone") ?? Conf.GetValueOrDefault("hive.local.time.zone");
            var current = _formatter;
            if (current is not null && (zoneId is null ? current.Zone == TimeZoneInfo.Utc : current.Zone.Id == zoneId)) return current;
            var zone = TimeZoneInfo.Utc;
            if (zoneId is not null && !TimeZoneInfo.TryFindSystemTimeZoneById(zoneId, out zone))
            {
                throw new GatewayException($"Unknown time zone '{zoneId}' in the session configuration (use an IANA name such as Europe/Paris).", "22023");
            }
            return _formatter = zone == TimeZoneInfo.Utc ? ValueFormatter.Utc : new ValueFormatter(zone!);
        }
    }

    public void Touch() => Interlocked.Exchange(ref _lastAccessTicks, _time.GetUtcNow().UtcTicks);

    /// <summary>
    /// A session opened on a connection belongs to that connection (whatever user names later
    /// OpenSession calls on it give); one opened without a connection (HTTP) belongs to its user.
    /// </summary>
    public bool IsOwnedBy(CallerContext caller) =>
        Info.ConnectionId is { } connection
            ? caller.ConnectionId == connection
            : caller.ConnectionId is null && string.Equals(caller.User, User, StringComparison.Ordinal);

    /// <summary>Binds the primary engine session now (OpenSession does this so a bad initial database fails the open).</summary>
    public async ValueTask EnsureEngineSessionAsync(CancellationToken cancellationToken)
    {
        await _engineGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _primary ??= await Engine.OpenSessionAsync(new EngineSessionOptions(User) { Database = Info.InitialDatabase }, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _engineGate.Release();
        }
    }

    /// <summary>An engine session for one operation; dispose the lease when its result is consumed or closed.</summary>
    public async ValueTask<EngineLease> AcquireEngineSessionAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(State == SessionState.Closed, this);
        await _engineGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _primary ??= await Engine.OpenSessionAsync(new EngineSessionOptions(User) { Database = Info.InitialDatabase }, cancellationToken).ConfigureAwait(false);
            if (!_primaryLeased)
            {
                _primaryLeased = true;
                return new EngineLease(this, _primary, primary: true);
            }
            if (_idleSecondaries.TryPop(out var idle)) return new EngineLease(this, idle, primary: false);
            var secondary = await Engine.OpenSessionAsync(new EngineSessionOptions(User) { Database = _primary.CurrentDatabase }, cancellationToken).ConfigureAwait(false);
            return new EngineLease(this, secondary, primary: false);
        }
        finally
        {
            _engineGate.Release();
        }
    }

    internal async ValueTask ReleaseAsync(EngineLease lease)
    {
        IEngineSession? toDispose = null;
        await _engineGate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            if (lease.IsPrimary) _primaryLeased = false;
            else if (State == SessionState.Open && _idleSecondaries.Count < 2) _idleSecondaries.Push(lease.Session);
            else toDispose = lease.Session;
        }
        finally
        {
            _engineGate.Release();
        }
        if (toDispose is not null) await toDispose.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Closes every operation and engine session. Idempotent.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _state, (int)SessionState.Closed) == (int)SessionState.Closed) return;
        foreach (var op in Operations.Values)
        {
            await op.DisposeAsync().ConfigureAwait(false);
        }
        Operations.Clear();
        await _engineGate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            if (_primary is not null) await _primary.DisposeAsync().ConfigureAwait(false);
            while (_idleSecondaries.TryPop(out var s)) await s.DisposeAsync().ConfigureAwait(false);
            _primary = null;
        }
        finally
        {
            _engineGate.Release();
        }
    }
}

/// <summary>Exclusive use of an engine session by one operation.</summary>
public sealed class EngineLease(Hs2Session owner, IEngineSession session, bool primary) : IAsyncDisposable
{
    private int _released;

    public IEngineSession Session { get; } = session;
    public bool IsPrimary { get; } = primary;

    public ValueTask DisposeAsync() =>
        Interlocked.Exchange(ref _released, 1) == 0 ? owner.ReleaseAsync(this) : ValueTask.CompletedTask;
}

/// <summary>Who opened a session, from where, speaking which protocol version.</summary>
public sealed record SessionInfo(string User, int ProtocolVersion, long? ConnectionId, string? ClientAddress, string? InitialDatabase);

/// <summary>The authenticated caller of one RPC.</summary>
public sealed record CallerContext(string User, long? ConnectionId, string? ClientAddress, string Transport);
