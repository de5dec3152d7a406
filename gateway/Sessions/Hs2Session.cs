using System.Collections.Concurrent;
using Gateway.Engines;
using Gateway.Protocol.Columnar;
using Gateway.Server.Operations;
using Microsoft.Extensions.Logging;

namespace Gateway.Server.Sessions;

public enum SessionState
{
    Open,
    Closed,
}

/// <summary>
/// One HiveServer2 session: who owns it, its confs and variables, its operations and the engine
/// sessions it has bound (lazily, from each engine's <see cref="EngineSessionPool"/>). The primary engine session
/// carries session state (temp tables, settings); when it is busy streaming a result another operation gets a
/// secondary one. The session's current database follows the user's USE on whichever engine it ran, and every engine
/// session is positioned on it before use when its engine has it. See README.md.
/// </summary>
public sealed partial class Hs2Session : IAsyncDisposable
{
    /// <summary>Idle secondaries kept per engine between operations.</summary>
    private const int MaxIdleSecondaries = 2;

    private readonly SemaphoreSlim _engineGate = new(1, 1);
    private readonly Dictionary<IEngine, EngineBinding> _bindings = new(ReferenceEqualityComparer.Instance);
    private readonly EngineSessionPools _pools;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private SessionDatabase? _database;
    private long _lastAccessTicks;
    private int _state = (int)SessionState.Open;

    /// <summary>The engine sessions this HS2 session holds on one engine.</summary>
    private sealed class EngineBinding(EngineSessionPool pool, EnginePoolKey key)
    {
        public readonly EngineSessionPool Pool = pool;
        public readonly EnginePoolKey Key = key;
        public PooledEngineSession? Primary;
        public bool PrimaryLeased;
        public readonly Stack<PooledEngineSession> IdleSecondaries = new();

        /// <summary>The session database this engine was found not to have: not asked again until the user chooses anew.</summary>
        public SessionDatabase? Missing;
    }

    /// <summary>The database the user last chose (USE, or the initial database) and the engine that resolved the name.</summary>
    private sealed record SessionDatabase(string Name, IEngine Source);

    /// <summary>A session whose engine sessions are never pooled (Connection level on every engine).</summary>
    public Hs2Session(SessionInfo info, IEngine engine, TimeProvider time)
        : this(info, engine, time, new EngineSessionPools(time))
    {
    }

    public Hs2Session(SessionInfo info, IEngine engine, TimeProvider time, EngineSessionPools pools)
    {
        ArgumentNullException.ThrowIfNull(pools);
        Handle = HandleId.New();
        Info = info;
        Engine = engine;
        _time = time;
        _pools = pools;
        _logger = pools.Logger;
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

    /// <summary>Session confs (plain keys, <c>set:hiveconf:</c> keys and <c>SET k=v</c>). Written through <see cref="SetConf"/>.</summary>
    public ConcurrentDictionary<string, string> Conf { get; } = new(StringComparer.Ordinal);

    /// <summary>Hive variables (<c>set:hivevar:</c>), substituted as <c>${hivevar:name}</c> or <c>${name}</c>. Written through <see cref="SetVar"/>.</summary>
    public ConcurrentDictionary<string, string> HiveVars { get; } = new(StringComparer.Ordinal);

    /// <summary>How many settings (confs and variables together) the session may hold, and how many characters.</summary>
    public SessionSettingsLimits SettingsLimits { get; init; } = SessionSettingsLimits.Default;

    private readonly Lock _settingsGate = new();

    /// <summary>Sets a conf, or refuses with SQLSTATE 54000 when the session would exceed <see cref="SettingsLimits"/>.</summary>
    public void SetConf(string key, string value) => Set(Conf, HiveVars, key, value);

    /// <summary>Sets a Hive variable within the same limits as <see cref="SetConf"/>.</summary>
    public void SetVar(string key, string value) => Set(HiveVars, Conf, key, value);

    private void Set(ConcurrentDictionary<string, string> target, ConcurrentDictionary<string, string> other, string key, string value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        lock (_settingsGate)
        {
            var entries = target.Count + other.Count + (target.ContainsKey(key) ? 0 : 1);
            var size = Size(target) + Size(other) - (target.TryGetValue(key, out var old) ? key.Length + old.Length : 0) + key.Length + value.Length;
            SettingsLimits.Check(entries, size);
            target[key] = value;
        }

        static long Size(ConcurrentDictionary<string, string> d)
        {
            long n = 0;
            foreach (var (k, v) in d) n += k.Length + v.Length;
            return n;
        }
    }

    public ConcurrentDictionary<Guid, Operation> Operations { get; } = new();

    public SessionState State => (SessionState)Volatile.Read(ref _state);
    public DateTimeOffset LastAccess => new(Interlocked.Read(ref _lastAccessTicks), TimeSpan.Zero);

    /// <summary>
    /// The session's current database: the one the user last chose (USE on any engine, or the initial database), as
    /// the engine that ran it names it; before any choice, where the default engine's primary session is.
    /// </summary>
    public string CurrentDatabase
    {
        get
        {
            if (Volatile.Read(ref _database) is { } chosen) return chosen.Name;
            lock (_bindings)
            {
                return _bindings.GetValueOrDefault(Engine)?.Primary?.CurrentDatabase ?? Info.InitialDatabase ?? _pools.For(Engine).HomeDatabase ?? "default";
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
            : caller.ConnectionId is null && string.Equals(caller.User, Info.AuthenticatedUser, StringComparison.Ordinal);

    /// <summary>
    /// What OpenSession needs before it answers: a bad initial database fails the open. The default engine is asked
    /// whether it has that database without binding an engine session (<see cref="IEngine.FindDatabaseAsync"/>), so an idle
    /// HS2 session holds none; only when the engine cannot tell is the primary session bound now and the database used on
    /// it. Without an initial database nothing is bound: engine sessions are bound on first use.
    /// </summary>
    public async ValueTask OpenAsync(CancellationToken cancellationToken)
    {
        if (Info.InitialDatabase is not { } initial) return;
        if (await Engine.FindDatabaseAsync(initial, cancellationToken).ConfigureAwait(false) is { } found)
        {
            // The user's choice from now on: the primary is positioned on it when first bound, as after a USE.
            Volatile.Write(ref _database, new SessionDatabase(found, Engine));
            return;
        }
        await EnsureEngineSessionAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Binds the default engine's primary session now (and applies the initial database on it).</summary>
    public async ValueTask EnsureEngineSessionAsync(CancellationToken cancellationToken)
    {
        await _engineGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(State == SessionState.Closed, this);
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
    /// An engine session on <paramref name="engine"/> for one operation, positioned on the session's current database
    /// when the engine has it; dispose the lease when its result is consumed or closed. The first is the engine's
    /// primary session (its temp tables and settings); while that one is busy, secondaries serve.
    /// </summary>
    public async ValueTask<EngineLease> AcquireEngineSessionAsync(IEngine engine, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ObjectDisposedException.ThrowIf(State == SessionState.Closed, this);
        PooledEngineSession? giveBack = null;
        await _engineGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Closed while this call waited: a binding made now would outlive the close and never go back.
            ObjectDisposedException.ThrowIf(State == SessionState.Closed, this);
            var (binding, primary) = await PrimaryAsync(engine, cancellationToken).ConfigureAwait(false);
            PooledEngineSession session;
            var isPrimary = !binding.PrimaryLeased;
            if (isPrimary)
            {
                session = primary;
                binding.PrimaryLeased = true;
            }
            else if (!binding.IdleSecondaries.TryPop(out session!))
            {
                session = await binding.Pool.AcquireAsync(binding.Key, cancellationToken).ConfigureAwait(false);
            }
            try
            {
                await PositionAsync(binding, session, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                if (isPrimary) binding.PrimaryLeased = false;
                else giveBack = session;
                throw;
            }
            return new EngineLease(this, engine, session, isPrimary);
        }
        finally
        {
            _engineGate.Release();
            if (giveBack is not null) await giveBack.Pool.ReturnAsync(giveBack, CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>The engine's binding and primary session, checked out on first use (under the engine gate).</summary>
    private async ValueTask<(EngineBinding Binding, PooledEngineSession Primary)> PrimaryAsync(IEngine engine, CancellationToken cancellationToken)
    {
        EngineBinding? binding;
        lock (_bindings)
        {
            if (!_bindings.TryGetValue(engine, out binding))
            {
                var pool = _pools.For(engine);
                _bindings[engine] = binding = new EngineBinding(pool, pool.KeyFor(Info));
            }
        }
        if (binding.Primary is { } bound) return (binding, bound);
        var primary = await binding.Pool.AcquireAsync(binding.Key, cancellationToken).ConfigureAwait(false);
        // The session's initial database is resolved by its default engine; the others follow it when they have it.
        if (ReferenceEquals(engine, Engine) && Info.InitialDatabase is { } initial && Volatile.Read(ref _database) is null)
        {
            try
            {
                await primary.UseDatabaseAsync(initial, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await binding.Pool.ReturnAsync(primary, CancellationToken.None).ConfigureAwait(false);
                throw;
            }
            Volatile.Write(ref _database, new SessionDatabase(primary.CurrentDatabase, engine));
        }
        binding.Primary = primary;
        return (binding, primary);
    }

    /// <summary>
    /// Puts an engine session on the session's current database before an operation uses it. The engine that resolved
    /// the name gets it as is; another engine gets it too, except that the resolving engine's default database (DuckDB's
    /// main, PostgreSQL's public, Hive's default) stands for this engine's own default. An engine without that database
    /// is left where it is, and the operation runs there.
    /// </summary>
    private async ValueTask PositionAsync(EngineBinding binding, PooledEngineSession session, CancellationToken cancellationToken)
    {
        var chosen = Volatile.Read(ref _database);
        if (chosen is null || ReferenceEquals(binding.Missing, chosen)) return;
        var target = chosen.Name;
        if (!ReferenceEquals(chosen.Source, binding.Pool.Engine)
            && _pools.For(chosen.Source).HomeDatabase is { } sourceHome
            && string.Equals(target, sourceHome, StringComparison.OrdinalIgnoreCase))
        {
            target = session.HomeDatabase;
        }
        // Hive database names are case-insensitive; engines report their own spelling.
        if (string.Equals(session.CurrentDatabase, target, StringComparison.OrdinalIgnoreCase)) return;
        try
        {
            await session.UseDatabaseAsync(target, cancellationToken).ConfigureAwait(false);
        }
        catch (EngineException e) when (!e.Retryable && !e.Canceled)
        {
            binding.Missing = chosen;
            LogNotPositioned(_logger, binding.Pool.Name, target, session.CurrentDatabase, e.Message);
        }
    }

    /// <summary>An engine session whose database changed during the operation (USE, SET search_path): the session follows.</summary>
    private void Observe(EngineLease lease)
    {
        var now = lease.Session.CurrentDatabase;
        if (string.Equals(now, lease.PositionedAt, StringComparison.Ordinal)) return;
        Volatile.Write(ref _database, new SessionDatabase(now, lease.Engine));
    }

    internal async ValueTask ReleaseAsync(EngineLease lease)
    {
        Observe(lease);
        var session = lease.Pooled;
        PooledEngineSession? giveBack = null;
        await _engineGate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            EngineBinding? binding;
            lock (_bindings) binding = _bindings.GetValueOrDefault(lease.Engine);
            // After the session closed, its engine sessions went back to their pools; a leased one goes now.
            if (binding is null) giveBack = session;
            else if (lease.IsPrimary)
            {
                binding.PrimaryLeased = false;
                // A lost connection is not kept as the primary: the next statement on this engine opens a fresh one
                // (and is positioned on the session's database) instead of failing on the dead one again.
                if (session.ConnectionLost && ReferenceEquals(binding.Primary, session))
                {
                    binding.Primary = null;
                    giveBack = session;
                }
            }
            else if (State == SessionState.Open && session.Reusable && binding.IdleSecondaries.Count < MaxIdleSecondaries) binding.IdleSecondaries.Push(session);
            else giveBack = session;
        }
        finally
        {
            _engineGate.Release();
        }
        if (giveBack is not null) await giveBack.Pool.ReturnAsync(giveBack, CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>Closes every operation and gives every engine session back to its pool (which closes or keeps it). Idempotent.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _state, (int)SessionState.Closed) == (int)SessionState.Closed) return;
        foreach (var op in Operations.Values)
        {
            await op.DisposeAsync().ConfigureAwait(false);
        }
        Operations.Clear();
        var giveBack = new List<PooledEngineSession>();
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
                // A primary still leased goes back when its lease is released.
                if (binding.Primary is { } primary && !binding.PrimaryLeased) giveBack.Add(primary);
                while (binding.IdleSecondaries.TryPop(out var s)) giveBack.Add(s);
            }
        }
        finally
        {
            _engineGate.Release();
        }
        foreach (var s in giveBack) await s.Pool.ReturnAsync(s, CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>Logs an unexpected failure of one of the session's operations, under the reference its client was given.</summary>
    public void LogFault(string reference, Exception exception) => LogOperationFault(_logger, Handle.Id, Info.User, reference, exception);

    [LoggerMessage(EventId = 712, Level = LogLevel.Error, Message = "Session {SessionId}: an operation of {User} failed unexpectedly (reference {Reference})")]
    private static partial void LogOperationFault(ILogger logger, Guid sessionId, string user, string reference, Exception exception);

    /// <summary>Logs an engine's refusal of a statement for lack of permission (the sandbox, the engine's own grants).</summary>
    public void LogRefused(string engine, string sqlState, string message) => LogStatementRefused(_logger, Handle.Id, Info.User, engine, sqlState, message);

    [LoggerMessage(EventId = 711, Level = LogLevel.Warning, Message = "Session {SessionId}: engine '{Engine}' refused a statement of {User} ({SqlState}): {Reason}")]
    private static partial void LogStatementRefused(ILogger logger, Guid sessionId, string user, string engine, string sqlState, string reason);

    [LoggerMessage(EventId = 710, Level = LogLevel.Debug, Message = "Engine '{Engine}' has no database '{Database}' (or refused it): the operation runs in '{Current}'. {Reason}")]
    private static partial void LogNotPositioned(ILogger logger, string engine, string database, string current, string reason);
}

/// <summary>Bounds on a session's configuration (<c>Gateway:Limits:MaxSessionSettings</c>, <c>MaxSessionSettingsChars</c>).</summary>
public sealed record SessionSettingsLimits(int MaxEntries, long MaxChars)
{
    public static SessionSettingsLimits Default { get; } = new(1000, 1 << 20);

    /// <summary>Throws SQLSTATE 54000 (program limit exceeded) when <paramref name="entries"/> or <paramref name="chars"/> is too many.</summary>
    public void Check(int entries, long chars)
    {
        if (entries > MaxEntries)
        {
            throw new GatewayException($"The session may hold at most {MaxEntries} settings (Gateway:Limits:MaxSessionSettings); RESET some first.", "54000");
        }
        if (chars > MaxChars)
        {
            throw new GatewayException($"The session's settings may hold at most {MaxChars} characters of keys and values (Gateway:Limits:MaxSessionSettingsChars).", "54000");
        }
    }
}

/// <summary>Exclusive use of an engine session by one operation.</summary>
public sealed class EngineLease : IAsyncDisposable
{
    private readonly Hs2Session _owner;
    private int _released;

    public EngineLease(Hs2Session owner, IEngine engine, IEngineSession session, bool primary)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(engine);
        _owner = owner;
        Engine = engine;
        Pooled = session as PooledEngineSession ?? throw new ArgumentException("Engine leases hand out sessions of an engine session pool.", nameof(session));
        IsPrimary = primary;
        PositionedAt = session.CurrentDatabase;
    }

    public IEngine Engine { get; }
    public IEngineSession Session => Pooled;
    public bool IsPrimary { get; }

    internal PooledEngineSession Pooled { get; }

    /// <summary>The engine session's database when the operation got it: a change by the operation moves the HS2 session's.</summary>
    internal string PositionedAt { get; }

    public ValueTask DisposeAsync() =>
        Interlocked.Exchange(ref _released, 1) == 0 ? _owner.ReleaseAsync(this) : ValueTask.CompletedTask;
}

/// <summary>Who opened a session, from where, speaking which protocol version.</summary>
public sealed record SessionInfo(string User, int ProtocolVersion, long? ConnectionId, string? ClientAddress, string? InitialDatabase)
{
    /// <summary>The caller's groups as authentication named them (password file, static token, JWT), primary first.</summary>
    public IReadOnlyList<string> Groups { get; init; } = [];

    /// <summary>
    /// The user who logged in, when the session acts as another (<see cref="User"/>, from <c>hive.server2.proxy.user</c>
    /// as the access policy's impersonation rules allow); null otherwise. The session belongs to this user: only their
    /// connection (or, over HTTP, their credentials) may use it, and it counts toward their session limit.
    /// </summary>
    public string? RealUser { get; init; }

    /// <summary>Who logged in: <see cref="RealUser"/> or <see cref="User"/>.</summary>
    public string AuthenticatedUser => RealUser ?? User;

    /// <summary>The first group, or the user name standing for a group of its own when auth names none.</summary>
    public string PrimaryGroup => Groups.Count > 0 && !string.IsNullOrWhiteSpace(Groups[0]) ? Groups[0] : User;
}

/// <summary>The authenticated caller of one RPC.</summary>
public sealed record CallerContext(string User, long? ConnectionId, string? ClientAddress, string Transport)
{
    /// <summary>The caller's groups, when authentication names them (for share level Group).</summary>
    public IReadOnlyList<string> Groups { get; init; } = [];
}
