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
    private readonly Dictionary<IEngine, EngineBinding> _bindings = new(ReferenceEqualityComparer.Instance);
    private readonly TimeProvider _time;
    private long _lastAccessTicks;
    private int _state = (int)SessionState.Open;

    /// <summary>The engine sessions this HS2 session holds on one engine.</summary>
    private sealed class EngineBinding
    {
        public IEngineSession? Primary;
        public bool PrimaryLeased;
        public readonly Stack<IEngineSession> IdleSecondaries = new();
    }

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
    /// <summary>The session's default engine: where statements run unless routing picks another.</summary>
    public IEngine Engine { get; }
    public DateTimeOffset Created { get; }

    /// <summary>Session confs (plain keys, <c>set:hiveconf:</c> keys and <c>SET k=v</c>).</summary>
    public ConcurrentDictionary<string, string> Conf { get; } = new(StringComparer.Ordinal);

    /// <summary>Hive variables (<c>set:hivevar:</c>), substituted as <c>${hivevar:name}</c> or <c>${name}</c>.</summary>
    public ConcurrentDictionary<string, string> HiveVars { get; } = new(StringComparer.Ordinal);

    public ConcurrentDictionary<Guid, Operation> Operations { get; } = new();

    public SessionState State => (SessionState)Volatile.Read(ref _state);
    public DateTimeOffset LastAccess => new(Interlocked.Read(ref _lastAccessTicks), TimeSpan.Zero);

    /// <summary>The current database as the default engine's primary session knows it.</summary>
    public string CurrentDatabase
    {
        get
        {
            lock (_bindings)
            {
                return _bindings.GetValueOrDefault(Engine)?.Primary?.CurrentDatabase ?? Info.InitialDatabase ?? "default";
            }
        }
    }

    /// <summary>The engines this session has bound so far.</summary>
    public IReadOnlyList<IEngine> BoundEngines
    {
        get
        {
            lock (_bindings) return [.. _bindings.Keys];
        }
    }

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

    /// <summary>Binds the default engine's primary session now (OpenSession does this so a bad initial database fails the open).</summary>
    public async ValueTask EnsureEngineSessionAsync(CancellationToken cancellationToken)
    {
        await _engineGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await PrimaryAsync(Engine, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _engineGate.Release();
        }
    }

    /// <summary>An engine session of the default engine for one operation.</summary>
    public ValueTask<EngineLease> AcquireEngineSessionAsync(CancellationToken cancellationToken) => AcquireEngineSessionAsync(Engine, cancellationToken);

    /// <summary>
    /// An engine session on <paramref name="engine"/> for one operation; dispose the lease when its result is
    /// consumed or closed. The first is the engine's primary session (its USE and temp tables); while that
    /// one is busy, secondaries positioned on the same database serve.
    /// </summary>
    public async ValueTask<EngineLease> AcquireEngineSessionAsync(IEngine engine, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ObjectDisposedException.ThrowIf(State == SessionState.Closed, this);
        await _engineGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var (binding, primary) = await PrimaryAsync(engine, cancellationToken).ConfigureAwait(false);
            if (!binding.PrimaryLeased)
            {
                binding.PrimaryLeased = true;
                return new EngineLease(this, engine, primary, primary: true);
            }
            if (binding.IdleSecondaries.TryPop(out var idle)) return new EngineLease(this, engine, idle, primary: false);
            var secondary = await engine.OpenSessionAsync(new EngineSessionOptions(User) { Database = primary.CurrentDatabase }, cancellationToken).ConfigureAwait(false);
            return new EngineLease(this, engine, secondary, primary: false);
        }
        finally
        {
            _engineGate.Release();
        }
    }

    /// <summary>The engine's primary session, opened on first use (under the engine gate).</summary>
    private async ValueTask<(EngineBinding Binding, IEngineSession Primary)> PrimaryAsync(IEngine engine, CancellationToken cancellationToken)
    {
        EngineBinding? binding;
        lock (_bindings)
        {
            if (!_bindings.TryGetValue(engine, out binding)) _bindings[engine] = binding = new EngineBinding();
        }
        // The session's initial database applies to its default engine; others start on their own default.
        var database = ReferenceEquals(engine, Engine) ? Info.InitialDatabase : null;
        var primary = binding.Primary ??= await engine.OpenSessionAsync(new EngineSessionOptions(User) { Database = database }, cancellationToken).ConfigureAwait(false);
        return (binding, primary);
    }

    internal async ValueTask ReleaseAsync(EngineLease lease)
    {
        IEngineSession? toDispose = null;
        await _engineGate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            EngineBinding? binding;
            lock (_bindings) binding = _bindings.GetValueOrDefault(lease.Engine);
            // After the session closed, its primaries are already disposed; a leased secondary is not.
            if (binding is null) toDispose = lease.IsPrimary ? null : lease.Session;
            else if (lease.IsPrimary) binding.PrimaryLeased = false;
            else if (State == SessionState.Open && binding.IdleSecondaries.Count < 2) binding.IdleSecondaries.Push(lease.Session);
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
            List<EngineBinding> bindings;
            lock (_bindings)
            {
                bindings = [.. _bindings.Values];
                _bindings.Clear();
            }
            foreach (var binding in bindings)
            {
                if (binding.Primary is not null) await binding.Primary.DisposeAsync().ConfigureAwait(false);
                while (binding.IdleSecondaries.TryPop(out var s)) await s.DisposeAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            _engineGate.Release();
        }
    }
}

/// <summary>Exclusive use of an engine session by one operation.</summary>
public sealed class EngineLease(Hs2Session owner, IEngine engine, IEngineSession session, bool primary) : IAsyncDisposable
{
    private int _released;

    public IEngine Engine { get; } = engine;
    public IEngineSession Session { get; } = session;
    public bool IsPrimary { get; } = primary;

    public ValueTask DisposeAsync() =>
        Interlocked.Exchange(ref _released, 1) == 0 ? owner.ReleaseAsync(this) : ValueTask.CompletedTask;
}

/// <summary>Who opened a session, from where, speaking which protocol version.</summary>
public sealed record SessionInfo(string User, int ProtocolVersion, long? ConnectionId, string? ClientAddress, string? InitialDatabase);

/// <summary>The authenticated caller of one RPC.</summary>
public sealed record CallerContext(string User, long? ConnectionId, string? ClientAddress, string Transport);
