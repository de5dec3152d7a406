using System.Collections.Concurrent;
using Gateway.Engines;
using Gateway.Server.Configuration;
using Gateway.Server.Engines;
using Gateway.Server.Operations;
using Microsoft.Extensions.Logging;

namespace Gateway.Server.Sessions;

/// <summary>
/// Owns every session and operation of this gateway. Every lookup checks the handle's secret and
/// that the caller owns the session, so no client can see or touch another's state.
/// </summary>
public sealed partial class SessionManager : IAsyncDisposable
{
    private readonly ConcurrentDictionary<Guid, Hs2Session> _sessions = new();
    private readonly ConcurrentDictionary<Guid, Operation> _operations = new();
    // Binary sessions by connection: a closing connection finds its own sessions without scanning (and
    // snapshotting) every session of the gateway, which made closing N connections O(N²).
    private readonly ConcurrentDictionary<long, ConcurrentDictionary<Guid, Hs2Session>> _byConnection = new();
    private readonly ConcurrentDictionary<string, int> _sessionsPerUser = new(StringComparer.Ordinal);
    private readonly Lock _admission = new();
    // Sessions per client IP address (under _admission).
    private readonly Dictionary<string, int> _sessionsPerAddress = new(StringComparer.Ordinal);
    private int _admitted;
    private readonly LimitOptions _limits;
    private readonly IEngine _engine;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    private readonly SpoolStore _spool;
    private readonly Auth.IUserGroups? _directory;

    /// <summary>The session configuration key a client sets to act as another user (Hive JDBC's <c>hive.server2.proxy.user</c>).</summary>
    public const string ProxyUserKey = "hive.server2.proxy.user";
    private readonly ConcurrentDictionary<Operation, Task> _reclaims = new();
    // Spooling is disk and engine work: a couple at a time, whatever the sweep finds.
    private readonly SemaphoreSlim _spoolers = new(Math.Max(1, Environment.ProcessorCount / 2));

    public SessionManager(GatewayOptions options, EngineRegistry engines, EngineSessionPools pools, Routing.RoutingService routing, SpoolStore spool, TimeProvider time, ILogger<SessionManager> logger,
        Policy.AccessControlService? accessControl = null, Auth.IPasswordAuthenticator? directory = null)
    {
        AccessControl = accessControl;
        _directory = directory as Auth.IUserGroups;
        ArgumentNullException.ThrowIfNull(spool);
        _spool = spool;
        ArgumentNullException.ThrowIfNull(engines);
        ArgumentNullException.ThrowIfNull(pools);
        ArgumentNullException.ThrowIfNull(routing);
        _limits = options.Limits;
        Runner = new Statements.StatementRunner(this, options);
        Engines = engines;
        Pools = pools;
        Routing = routing;
        _engine = engines.Default.Engine;
        _time = time;
        _logger = logger;
    }

    /// <summary>The engines statements may run on.</summary>
    public EngineRegistry Engines { get; }

    /// <summary>The access policy and its enforcement; null when the host was built without one (tests).</summary>
    public Policy.AccessControlService? AccessControl { get; }

    /// <summary>The statement runner every frontend hands its statements to (one per gateway; it holds no state of its own).</summary>
    public Statements.StatementRunner Runner { get; }

    /// <summary>Decides which engine runs each statement.</summary>
    public Routing.RoutingService Routing { get; }

    /// <summary>Where engine sessions come from and go back to, per engine and share level.</summary>
    public EngineSessionPools Pools { get; }

    public int SessionCount => _sessions.Count;
    public int OperationCount => _operations.Count;
    public TimeProvider Time => _time;
    public LimitOptions Limits => _limits;

    public async ValueTask<Hs2Session> OpenSessionAsync(CallerContext caller, int protocolVersion, IReadOnlyDictionary<string, string>? configuration, CancellationToken cancellationToken)
    {
        string? database = null;
        string? proxyUser = null;
        var conf = new Dictionary<string, string>(StringComparer.Ordinal);
        var vars = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in configuration ?? new Dictionary<string, string>())
        {
            if (key.Equals(ProxyUserKey, StringComparison.OrdinalIgnoreCase) || key.Equals("set:hiveconf:" + ProxyUserKey, StringComparison.OrdinalIgnoreCase))
            {
                proxyUser = string.IsNullOrWhiteSpace(value) ? null : value.Trim();
            }
            else if (key.Equals("use:database", StringComparison.OrdinalIgnoreCase)) database = string.IsNullOrWhiteSpace(value) ? null : value.Trim();
            else if (key.StartsWith("set:hiveconf:", StringComparison.OrdinalIgnoreCase)) conf[key["set:hiveconf:".Length..]] = value;
            else if (key.StartsWith("set:hivevar:", StringComparison.OrdinalIgnoreCase)) vars[key["set:hivevar:".Length..]] = value;
            else if (key.Equals("use:catalog", StringComparison.OrdinalIgnoreCase)) conf["gateway.catalog"] = value;
            else conf[key] = value;
        }

        // Acting as another user needs an impersonation rule of the access policy; refused before the session counts.
        var (user, groups, realUser) = (caller.User, caller.Groups, (string?)null);
        if (proxyUser is not null && !string.Equals(proxyUser, caller.User, StringComparison.Ordinal))
        {
            if (AccessControl is null) throw new GatewayException($"{caller.User} may not act as {proxyUser}: impersonation needs an access policy with impersonation rules.", "42000");
            AccessControl.CheckImpersonation(caller.User, caller.Groups, proxyUser);
            (user, groups, realUser) = (proxyUser, _directory?.GroupsOf(proxyUser) ?? [], caller.User);
        }

        lock (_admission)
        {
            // Counted here, not in _sessions: a session is inserted only after it opened (an await), and two opens that
            // both passed a check of _sessions would both get in.
            if (_admitted >= _limits.MaxSessions)
            {
                throw new GatewayException($"The gateway has reached its limit of {_limits.MaxSessions} sessions; close idle sessions or raise Gateway:Limits:MaxSessions.", "53000");
            }
            var count = _sessionsPerUser.GetValueOrDefault(caller.User);
            if (count >= _limits.MaxSessionsPerUser)
            {
                throw new GatewayException($"User '{caller.User}' already has {count} open sessions (limit {_limits.MaxSessionsPerUser}).", "53000");
            }
            var address = AddressOf(caller.ClientAddress);
            if (address is not null && _limits.MaxSessionsPerAddress > 0)
            {
                var fromAddress = _sessionsPerAddress.GetValueOrDefault(address);
                if (fromAddress >= _limits.MaxSessionsPerAddress)
                {
                    throw new GatewayException($"Address {address} already has {fromAddress} open sessions (Gateway:Limits:MaxSessionsPerAddress = {_limits.MaxSessionsPerAddress}); close idle sessions.", "53000");
                }
                _sessionsPerAddress[address] = fromAddress + 1;
            }
            _sessionsPerUser[caller.User] = count + 1;
            _admitted++;
        }

        var info = new SessionInfo(user, protocolVersion, caller.ConnectionId, caller.ClientAddress, database) { Groups = groups, RealUser = realUser };
        var session = new Hs2Session(info, _engine, _time, Pools) { SettingsLimits = new(_limits.MaxSessionSettings, _limits.MaxSessionSettingsChars) };
        try
        {
            foreach (var (k, v) in conf)
            {
                SessionSettingRules.Validate(k, v ?? "", Engines, Routing.Options.Overrides);
                // The session's user may set at open only what they may SET (system_session_properties).
                AccessControl?.CheckSessionProperty(user, groups, k);
                session.SetConf(k, v ?? "");
            }
            // Shown by SET, as HiveServer2 does; SET cannot change it (SessionSettingRules).
            if (proxyUser is not null) session.SetConf(ProxyUserKey, proxyUser);
            foreach (var (k, v) in vars) session.SetVar(k, v ?? "");
            await session.OpenAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            ReleaseUserSlot(caller.User, caller.ClientAddress);
            await session.DisposeAsync().ConfigureAwait(false);
            if (ex is EngineException ee) throw new GatewayException($"Cannot open the session: {ee.Message}", ee.SqlState, ee.ErrorCode, inner: ee);
            throw;
        }
        _sessions[session.Handle.Id] = session;
        if (session.Info.ConnectionId is { } connection) _byConnection.GetOrAdd(connection, static _ => new()).TryAdd(session.Handle.Id, session);
        LogSessionOpened(_logger, session.Handle.Id, caller.User, caller.Transport, protocolVersion);
        return session;
    }

    public Hs2Session GetSession(CallerContext caller, Guid id, ReadOnlySpan<byte> secret)
    {
        if (!_sessions.TryGetValue(id, out var session) || !session.Handle.SecretMatches(secret) || !session.IsOwnedBy(caller) || session.State != SessionState.Open)
        {
            throw GatewayException.Invalid("session");
        }
        session.Touch();
        return session;
    }

    public Operation GetOperation(CallerContext caller, Guid id, ReadOnlySpan<byte> secret)
    {
        if (!_operations.TryGetValue(id, out var op) || !op.Handle.SecretMatches(secret) || !op.Session.IsOwnedBy(caller)
            || op.State == OperationState.Closed || op.Session.State != SessionState.Open)
        {
            throw GatewayException.Invalid("operation");
        }
        op.Touch();
        op.Session.Touch();
        return op;
    }

    /// <summary>Registers an operation, enforcing the per-session limit.</summary>
    public void AddOperation(Operation op)
    {
        var session = op.Session;
        // The check and the insert together, so concurrent calls of one session cannot both take the last place.
        lock (_admission)
        {
            if (session.Operations.Count >= _limits.MaxOperationsPerSession)
            {
                throw new GatewayException($"The session already has {session.Operations.Count} open operations (limit {_limits.MaxOperationsPerSession}); close finished operations first.", "53000");
            }
            session.Operations[op.Handle.Id] = op;
        }
        _operations[op.Handle.Id] = op;
    }

    public async ValueTask CloseOperationAsync(Operation op)
    {
        DetachOperation(op);
        await op.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Makes the operation's handle invalid now; the caller disposes the operation (after the reply that still references it).</summary>
    public void DetachOperation(Operation op)
    {
        ArgumentNullException.ThrowIfNull(op);
        _operations.TryRemove(op.Handle.Id, out _);
        op.Session.Operations.TryRemove(op.Handle.Id, out _);
    }

    public async ValueTask CloseSessionAsync(Hs2Session session, string reason)
    {
        if (!_sessions.TryRemove(session.Handle.Id, out _)) return;
        if (session.Info.ConnectionId is { } connection && _byConnection.TryGetValue(connection, out var ofConnection)) ofConnection.TryRemove(session.Handle.Id, out _);
        ReleaseUserSlot(session.Info.AuthenticatedUser, session.Info.ClientAddress);
        foreach (var id in session.Operations.Keys) _operations.TryRemove(id, out _);
        await session.DisposeAsync().ConfigureAwait(false);
        LogSessionClosed(_logger, session.Handle.Id, session.User, reason);
    }

    /// <summary>Binary-transport sessions end with their connection, as in HiveServer2.</summary>
    public async ValueTask CloseConnectionSessionsAsync(long connectionId)
    {
        // A connection's calls have ended when it closes: no session of it can be added after this removal.
        if (!_byConnection.TryRemove(connectionId, out var sessions)) return;
        foreach (var s in sessions.Values)
        {
            await CloseSessionAsync(s, "connection closed").ConfigureAwait(false);
        }
    }

    /// <summary>Closes idle sessions and abandoned operations; returns how many of each.</summary>
    public async ValueTask<(int Sessions, int Operations)> SweepAsync()
    {
        var now = _time.GetUtcNow();
        var sessions = 0;
        var operations = 0;
        foreach (var s in _sessions.Values.ToList())
        {
            var active = s.Operations.Values.Any(o => o.State is OperationState.Running or OperationState.Pending);
            // An HTTP session outlives its client (no connection ends it), so it has its own, shorter timeout.
            var timeout = s.Info.ConnectionId is null ? TimeSpan.FromTicks(Math.Min(_limits.HttpSessionIdleTimeout.Ticks, _limits.SessionIdleTimeout.Ticks)) : _limits.SessionIdleTimeout;
            if (!active && now - s.LastAccess > timeout)
            {
                await CloseSessionAsync(s, "idle timeout").ConfigureAwait(false);
                sessions++;
            }
        }
        foreach (var op in _operations.Values.ToList())
        {
            if (now - op.LastAccess > _limits.OperationIdleTimeout)
            {
                LogOperationAbandoned(_logger, op.Handle.Id, op.State);
                await CloseOperationAsync(op).ConfigureAwait(false);
                operations++;
            }
            else if (_limits.UnreadResultTimeout > TimeSpan.Zero && op is StatementOperation { UnreadSince: { } since } statement
                && now - since >= _limits.UnreadResultTimeout && !_reclaims.ContainsKey(op))
            {
                Reclaim(statement);
            }
        }
        return (sessions, operations);
    }

    /// <summary>Results being reclaimed now (spooling, or canceling past the spool's budgets).</summary>
    public int Reclaiming => _reclaims.Count;

    // In the background: spooling a large rest takes a while, and the sweep goes on meanwhile.
    private void Reclaim(StatementOperation op)
    {
        var run = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_reclaims.TryAdd(op, run.Task)) return;
        _ = Task.Run(async () =>
        {
            try
            {
                await _spoolers.WaitAsync().ConfigureAwait(false);
                try
                {
                    var engine = op.Engine.Name;
                    var outcome = await op.ReclaimAsync(_spool, _limits.UnreadResultTimeout, CancellationToken.None).ConfigureAwait(false);
                    if (outcome is not null) LogResultReclaimed(_logger, op.Handle.Id, op.Session.User, engine, outcome);
                }
                finally
                {
                    _spoolers.Release();
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                // Closed meanwhile: closing freed everything.
            }
            catch (Exception ex)
            {
                LogReclaimFailed(_logger, op.Handle.Id, ex);
            }
            finally
            {
                _reclaims.TryRemove(op, out _);
                run.SetResult();
            }
        });
    }

    /// <summary>The IP address of a client's endpoint text ("10.0.0.5:51234", "[::ffff:10.0.0.5]:51234" → "10.0.0.5"); null when there is none.</summary>
    internal static string? AddressOf(string? clientAddress)
    {
        if (string.IsNullOrEmpty(clientAddress)) return null;
        if (System.Net.IPEndPoint.TryParse(clientAddress, out var endpoint))
        {
            var ip = endpoint.Address.IsIPv4MappedToIPv6 ? endpoint.Address.MapToIPv4() : endpoint.Address;
            return ip.ToString();
        }
        return clientAddress;
    }

    private void ReleaseUserSlot(string user, string? clientAddress)
    {
        lock (_admission)
        {
            if (_limits.MaxSessionsPerAddress > 0 && AddressOf(clientAddress) is { } address && _sessionsPerAddress.TryGetValue(address, out var fromAddress))
            {
                if (fromAddress <= 1) _sessionsPerAddress.Remove(address);
                else _sessionsPerAddress[address] = fromAddress - 1;
            }
            _admitted--;
            var n = _sessionsPerUser.GetValueOrDefault(user) - 1;
            if (n <= 0) _sessionsPerUser.TryRemove(user, out _);
            else _sessionsPerUser[user] = n;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var s in _sessions.Values.ToList()) await CloseSessionAsync(s, "shutdown").ConfigureAwait(false);
        // Closing canceled every reclaim still running; they end before the engines close.
        await Task.WhenAll(_reclaims.Values).ConfigureAwait(false);
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Session {SessionId} opened by {User} over {Transport} (protocol {Protocol})")]
    private static partial void LogSessionOpened(ILogger logger, Guid sessionId, string user, string transport, int protocol);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "Session {SessionId} of {User} closed: {Reason}")]
    private static partial void LogSessionClosed(ILogger logger, Guid sessionId, string user, string reason);

    [LoggerMessage(EventId = 103, Level = LogLevel.Information, Message = "Operation {OperationId} of {User} left its result unread on engine {Engine}: {Outcome}")]
    private static partial void LogResultReclaimed(ILogger logger, Guid operationId, string user, string engine, string outcome);

    [LoggerMessage(EventId = 104, Level = LogLevel.Error, Message = "Reclaiming the unread result of operation {OperationId} failed")]
    private static partial void LogReclaimFailed(ILogger logger, Guid operationId, Exception exception);

    [LoggerMessage(EventId = 102, Level = LogLevel.Information, Message = "Operation {OperationId} abandoned in state {State}: closed")]
    private static partial void LogOperationAbandoned(ILogger logger, Guid operationId, OperationState state);
}
