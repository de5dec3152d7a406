using System.Collections.Concurrent;
using Gateway.Engines;
using Gateway.Server.Configuration;
using Gateway.Server.Engines;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Server.Sessions;

/// <summary>
/// Whose engine sessions may serve whom: the share level and its principal (the user, the primary group, or everyone).
/// Idle sessions are found by exact key only, so a User-level session can never reach another user.
/// </summary>
/// <param name="OwnGroup">Group level, for a user auth named no group: the user is a group of its own, never the group of that name.</param>
public readonly record struct EnginePoolKey(EngineShareLevel Level, string Principal, bool OwnGroup = false)
{
    /// <summary>The user Server-level sessions are opened for: they run as the engine's own identity, nobody's in particular.</summary>
    public const string ServerUser = "gateway";

    public static EnginePoolKey For(EngineShareLevel level, SessionInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        return level switch
        {
            EngineShareLevel.User or EngineShareLevel.Connection => new(level, info.User),
            EngineShareLevel.Group => info.Groups.Count > 0 && !string.IsNullOrWhiteSpace(info.Groups[0]) ? new(level, info.Groups[0]) : new(level, info.User, OwnGroup: true),
            EngineShareLevel.Server => new(level, ServerUser),
            _ => throw new ArgumentOutOfRangeException(nameof(level), level, "Unknown share level."),
        };
    }

    /// <summary>The user engine sessions of this key are opened for (a group's sessions run as the group, as in Kyuubi).</summary>
    public string EngineUser => Principal;

    public override string ToString() => OwnGroup ? $"{Level}:{Principal} (own group)" : $"{Level}:{Principal}";
}

/// <summary>
/// The sessions of one engine, kept by share level (see <see cref="EngineSessionPoolOptions"/> and README.md). A session is
/// checked out by <see cref="AcquireAsync"/> (an idle one of the same key, validated when it idled long enough, or a new one)
/// and given back by <see cref="ReturnAsync"/>: at Connection level, or when it is spoiled, too old or cannot be reset, it is
/// closed; otherwise its database goes back to where a fresh session starts and it waits, idle, for the next acquire of its key.
/// </summary>
public sealed partial class EngineSessionPool : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<EnginePoolKey, List<PooledEngineSession>> _idle = [];
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private int _idleCount;
    private int _inUse;
    private long _opened;
    private long _reused;
    private long _validationFailures;
    private long _evictedIdle;
    private long _closedOnReturn;
    private string? _homeDatabase;
    private bool _disposed;

    public EngineSessionPool(IEngine engine, string name, EngineSessionPoolOptions options, TimeProvider time, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        Engine = engine;
        Name = name;
        Options = options;
        _time = time;
        _logger = logger ?? NullLogger.Instance;
    }

    public IEngine Engine { get; }
    public string Name { get; }
    public EngineSessionPoolOptions Options { get; }
    public EngineShareLevel ShareLevel => Options.ShareLevel;

    /// <summary>Where a fresh session of this engine starts (learned from the first session opened); null before that.</summary>
    public string? HomeDatabase => Volatile.Read(ref _homeDatabase);

    // ---- counters (metrics-ready) ----

    /// <summary>Engine sessions opened.</summary>
    public long Opened => Interlocked.Read(ref _opened);

    /// <summary>Acquisitions served by an idle session.</summary>
    public long Reused => Interlocked.Read(ref _reused);

    /// <summary>Idle sessions that failed validation before reuse (and were closed).</summary>
    public long ValidationFailures => Interlocked.Read(ref _validationFailures);

    /// <summary>Idle sessions closed for IdleTimeout, MaxLifetime or MaxIdle.</summary>
    public long EvictedIdle => Interlocked.Read(ref _evictedIdle);

    /// <summary>Returned sessions closed instead of pooled (Connection level, spoiled, too old, reset failed, pool closed).</summary>
    public long ClosedOnReturn => Interlocked.Read(ref _closedOnReturn);

    /// <summary>Sessions checked out now (bound to HiveServer2 sessions, leased or not).</summary>
    public int InUse => Volatile.Read(ref _inUse);

    /// <summary>Sessions waiting in the pool now.</summary>
    public int Idle => Volatile.Read(ref _idleCount);

    public EnginePoolKey KeyFor(SessionInfo info) => EnginePoolKey.For(ShareLevel, info);

    /// <summary>An engine session for <paramref name="key"/>: an idle one of that key (most recently used first), else a new one.</summary>
    public async ValueTask<PooledEngineSession> AcquireAsync(EnginePoolKey key, CancellationToken cancellationToken)
    {
        if (key.Level != ShareLevel) throw new ArgumentException($"Engine '{Name}' pools sessions at share level {ShareLevel}, not {key.Level}.", nameof(key));
        while (TakeIdle(key) is { } candidate)
        {
            var now = _time.GetUtcNow();
            if (ExpiryReason(candidate, now) is { } expired)
            {
                Interlocked.Increment(ref _evictedIdle);
                await CloseCheckedOutAsync(candidate, expired).ConfigureAwait(false);
                continue;
            }
            if (now - candidate.IdleSince >= Options.ValidateAfterIdle)
            {
                bool valid;
                try
                {
                    valid = await ValidateAsync(candidate, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    // The caller gave up, not the session: it goes back as it was.
                    PutBackIdle(candidate);
                    throw;
                }
                if (!valid)
                {
                    Interlocked.Increment(ref _validationFailures);
                    LogValidationFailed(_logger, Name, key.ToString(), (now - candidate.IdleSince).TotalSeconds);
                    await CloseCheckedOutAsync(candidate, "failed validation").ConfigureAwait(false);
                    continue;
                }
            }
            Interlocked.Increment(ref _reused);
            return candidate;
        }
        return await OpenAsync(key, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<PooledEngineSession> OpenAsync(EnginePoolKey key, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed), this);
        // Always opened on the engine's own default database: that is where a returned session goes back to.
        var inner = await Engine.OpenSessionAsync(new EngineSessionOptions(key.EngineUser), cancellationToken).ConfigureAwait(false);
        var session = new PooledEngineSession(this, inner, key, inner.CurrentDatabase, _time.GetUtcNow());
        Interlocked.CompareExchange(ref _homeDatabase, session.HomeDatabase, null);
        Interlocked.Increment(ref _opened);
        Interlocked.Increment(ref _inUse);
        LogOpened(_logger, Name, key.ToString());
        return session;
    }

    private async ValueTask<bool> ValidateAsync(PooledEngineSession session, CancellationToken cancellationToken)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(Options.ValidationTimeout);
        try
        {
            return await session.Inner.ValidateAsync(bounded.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>
    /// Gives a checked-out session back. It is pooled when the share level pools, it is reusable, young enough and its
    /// database could be reset; otherwise it is closed. Never throws for the session's own failures.
    /// </summary>
    public async ValueTask ReturnAsync(PooledEngineSession session, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (!ReferenceEquals(session.Pool, this)) throw new ArgumentException($"The session belongs to the pool of engine '{session.Pool.Name}'.", nameof(session));
        var reason = KeepRefusal(session, _time.GetUtcNow());
        if (reason is null && !string.Equals(session.CurrentDatabase, session.HomeDatabase, StringComparison.OrdinalIgnoreCase))
        {
            // The next user of the session must start where a fresh session starts, not in this one's database.
            using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            bounded.CancelAfter(Options.ValidationTimeout);
            try
            {
                await session.Inner.UseDatabaseAsync(session.HomeDatabase, bounded.Token).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                reason = $"its database could not be reset to '{session.HomeDatabase}': {e.Message}";
            }
        }
        PooledEngineSession? evicted = null;
        if (reason is null)
        {
            lock (_gate)
            {
                if (_disposed)
                {
                    reason = "the pool is closed";
                }
                else
                {
                    if (!_idle.TryGetValue(session.Key, out var list)) _idle[session.Key] = list = [];
                    session.IdleSince = _time.GetUtcNow();
                    list.Add(session);
                    _idleCount++;
                    _inUse--;
                    if (list.Count > Options.MaxIdle)
                    {
                        evicted = list[0];
                        list.RemoveAt(0);
                        _idleCount--;
                    }
                }
            }
        }
        if (reason is not null)
        {
            Interlocked.Increment(ref _closedOnReturn);
            await CloseCheckedOutAsync(session, reason).ConfigureAwait(false);
            return;
        }
        if (evicted is not null)
        {
            Interlocked.Increment(ref _evictedIdle);
            await CloseAsync(evicted, $"more than MaxIdle ({Options.MaxIdle}) sessions idle").ConfigureAwait(false);
        }
    }

    /// <summary>Closes idle sessions past IdleTimeout or MaxLifetime; returns how many.</summary>
    public async ValueTask<int> SweepAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var expired = new List<(PooledEngineSession Session, string Reason)>();
        lock (_gate)
        {
            foreach (var (key, list) in _idle)
            {
                for (var i = list.Count - 1; i >= 0; i--)
                {
                    if (ExpiryReason(list[i], now) is { } reason)
                    {
                        expired.Add((list[i], reason));
                        list.RemoveAt(i);
                        _idleCount--;
                    }
                }
            }
            foreach (var key in _idle.Where(kv => kv.Value.Count == 0).Select(kv => kv.Key).ToList()) _idle.Remove(key);
        }
        foreach (var (session, reason) in expired)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Interlocked.Increment(ref _evictedIdle);
            await CloseAsync(session, reason).ConfigureAwait(false);
        }
        return expired.Count;
    }

    private PooledEngineSession? TakeIdle(EnginePoolKey key)
    {
        lock (_gate)
        {
            if (_disposed || !_idle.TryGetValue(key, out var list) || list.Count == 0) return null;
            var session = list[^1];
            list.RemoveAt(list.Count - 1);
            _idleCount--;
            _inUse++;
            // Defence in depth: the dictionary is keyed exactly, and so is every session in it.
            if (session.Key != key) throw new InvalidOperationException($"Engine session pool '{Name}' holds a session of {session.Key} under {key}.");
            return session;
        }
    }

    private void PutBackIdle(PooledEngineSession session)
    {
        lock (_gate)
        {
            if (!_disposed)
            {
                if (!_idle.TryGetValue(session.Key, out var list)) _idle[session.Key] = list = [];
                list.Add(session);
                _idleCount++;
                _inUse--;
                return;
            }
        }
        _ = CloseCheckedOutAsync(session, "the pool is closed").AsTask();
    }

    /// <summary>Why a returned session is closed rather than pooled; null to keep it.</summary>
    private string? KeepRefusal(PooledEngineSession session, DateTimeOffset now)
    {
        if (ShareLevel == EngineShareLevel.Connection) return "share level Connection";
        if (Options.MaxIdle == 0) return "MaxIdle is 0";
        if (session.SpoiledReason is { } spoiled) return spoiled;
        if (Options.MaxLifetime is { } lifetime && now - session.Opened >= lifetime) return $"older than MaxLifetime ({lifetime})";
        return null;
    }

    private string? ExpiryReason(PooledEngineSession session, DateTimeOffset now)
    {
        if (now - session.IdleSince >= Options.IdleTimeout) return $"idle for IdleTimeout ({Options.IdleTimeout})";
        if (Options.MaxLifetime is { } lifetime && now - session.Opened >= lifetime) return $"older than MaxLifetime ({lifetime})";
        return null;
    }

    private async ValueTask CloseCheckedOutAsync(PooledEngineSession session, string reason)
    {
        Interlocked.Decrement(ref _inUse);
        await CloseAsync(session, reason).ConfigureAwait(false);
    }

    private async ValueTask CloseAsync(PooledEngineSession session, string reason)
    {
        LogClosed(_logger, Name, session.Key.ToString(), reason);
        try
        {
            await session.Inner.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            LogCloseFailed(_logger, Name, e);
        }
    }

    /// <summary>Closes the idle sessions; sessions returned later are closed on return.</summary>
    public async ValueTask DisposeAsync()
    {
        List<PooledEngineSession> idle;
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            idle = [.. _idle.Values.SelectMany(l => l)];
            _idle.Clear();
            _idleCount = 0;
        }
        foreach (var session in idle) await CloseAsync(session, "the gateway is stopping").ConfigureAwait(false);
    }

    [LoggerMessage(EventId = 700, Level = LogLevel.Debug, Message = "Engine '{Engine}': opened a session for {Key}")]
    private static partial void LogOpened(ILogger logger, string engine, string key);

    [LoggerMessage(EventId = 701, Level = LogLevel.Debug, Message = "Engine '{Engine}': closed a session of {Key}: {Reason}")]
    private static partial void LogClosed(ILogger logger, string engine, string key, string reason);

    [LoggerMessage(EventId = 702, Level = LogLevel.Information, Message = "Engine '{Engine}': a pooled session of {Key} idle for {IdleSeconds:0.#} s failed validation; another is taken")]
    private static partial void LogValidationFailed(ILogger logger, string engine, string key, double idleSeconds);

    [LoggerMessage(EventId = 703, Level = LogLevel.Warning, Message = "Engine '{Engine}': closing a session failed")]
    private static partial void LogCloseFailed(ILogger logger, string engine, Exception exception);
}

/// <summary>The pool of every engine of the gateway, found by engine; each engine's share level comes from its options.</summary>
public sealed partial class EngineSessionPools : IAsyncDisposable
{
    private readonly ConcurrentDictionary<IEngine, EngineSessionPool> _pools = new(ReferenceEqualityComparer.Instance);
    private readonly TimeProvider _time;

    public EngineSessionPools(EngineRegistry engines, TimeProvider time, ILogger<EngineSessionPool> logger)
        : this(time, logger)
    {
        ArgumentNullException.ThrowIfNull(engines);
        foreach (var e in engines.All) _pools[e.Engine] = new EngineSessionPool(e.Engine, e.Name, e.Options.Sessions, time, logger);
    }

    /// <summary>No configured engines: every engine gets a Connection-level pool on first use.</summary>
    public EngineSessionPools(TimeProvider time, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
        Logger = logger ?? NullLogger.Instance;
    }

    /// <summary>Where pools and the sessions that use them log (positioning on a database, closes).</summary>
    public ILogger Logger { get; }

    public IReadOnlyCollection<EngineSessionPool> All => [.. _pools.Values];

    /// <summary>The pool of <paramref name="engine"/>; an engine nobody configured gets a Connection-level one.</summary>
    public EngineSessionPool For(IEngine engine) =>
        _pools.GetOrAdd(engine, static (e, self) => new EngineSessionPool(e, e.Name, new EngineSessionPoolOptions(), self._time, self.Logger), this);

    /// <summary>The pool of the engine called <paramref name="name"/>, if any.</summary>
    public EngineSessionPool? Find(string name) => _pools.Values.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>Closes expired idle sessions of every pool; returns how many.</summary>
    public async ValueTask<int> SweepAsync(CancellationToken cancellationToken)
    {
        var n = 0;
        foreach (var pool in _pools.Values) n += await pool.SweepAsync(cancellationToken).ConfigureAwait(false);
        return n;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var pool in _pools.Values) await pool.DisposeAsync().ConfigureAwait(false);
    }
}
