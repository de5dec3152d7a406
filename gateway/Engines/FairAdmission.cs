using System.Globalization;
using System.Text;
using Gateway.Server.Configuration;
using Gateway.Server.Sessions;
using Microsoft.Extensions.Logging;

namespace Gateway.Server.Engines;

/// <summary>Who asks for an engine slot: the session's user and groups, by which the caps count.</summary>
public sealed record AdmissionClaim(string User, IReadOnlyList<string> Groups)
{
    public static AdmissionClaim For(SessionInfo session)
    {
        ArgumentNullException.ThrowIfNull(session);
        return new AdmissionClaim(session.User, session.Groups);
    }
}

/// <summary>
/// An engine's slots shared fairly between users and groups.
/// <list type="bullet">
/// <item>At most <c>MaxConcurrent</c> statements hold a slot; one user at most <c>MaxPerUser</c> of them (half by
/// default), one group at most its cap (<c>Groups</c>, else <c>MaxPerGroup</c>; none by default, since one group may
/// hold every user).</item>
/// <item>Work that cannot start waits, up to <c>MaxQueue</c> statements and <c>MaxQueuedPerUser</c> of one user, for
/// at most <c>QueueTimeout</c>. A freed slot goes to the users in turn, round-robin: the first user in line whose next
/// statement fits its caps, who then goes to the back of the line. A user held back only by their own cap keeps their
/// place and does not stop others.</item>
/// <item>Work-conserving: a statement that fits starts at once, since every waiter that could start already has.</item>
/// <item>Refusals name what blocked: the engine full, the user's own cap, or a group's cap (SQLSTATE 53400).</item>
/// <item>While the engine is full, one line per <c>SaturationLogInterval</c> says who holds its slots, how many and
/// since when, and who waits (event 510).</item>
/// </list>
/// Not System.Threading.RateLimiting: its limiters serve one queue oldest- or newest-first, and a partitioned limiter
/// caps partitions without one line across them; routing also reads running and queued together (<see cref="Load"/>).
/// </summary>
internal sealed partial class FairAdmission
{
    private readonly Lock _gate = new();
    private readonly string _engine;
    private readonly EngineCapacityOptions _options;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, UserLine> _users = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _groupsRunning = new(StringComparer.Ordinal);
    // Users with waiting work, in turn order.
    private readonly LinkedList<UserLine> _turns = new();
    private readonly HashSet<Grant> _held = [];
    private int _running;
    private int _queued;
    private long _lastSaturationLog = long.MinValue;

    public FairAdmission(string engine, EngineCapacityOptions options, TimeProvider time)
    {
        _engine = engine;
        _options = options;
        _time = time;
        MaxPerUser = options.MaxPerUser ?? Math.Max(1, options.MaxConcurrent / 2);
        MaxQueuedPerUser = options.MaxQueuedPerUser ?? Math.Max(Math.Min(1, options.MaxQueue), options.MaxQueue / 2);
    }

    public ILogger? Logger { get; set; }

    public int MaxPerUser { get; }
    public int MaxQueuedPerUser { get; }

    public (int Running, int Queued) Load
    {
        get { lock (_gate) return (_running, _queued); }
    }

    public bool Saturated
    {
        get { lock (_gate) return _running >= _options.MaxConcurrent && _queued >= _options.MaxQueue; }
    }

    /// <summary>Slots held per user, for the health view and tests.</summary>
    public IReadOnlyDictionary<string, int> RunningByUser
    {
        get
        {
            lock (_gate) return _users.Where(u => u.Value.Running > 0).ToDictionary(u => u.Key, u => u.Value.Running, StringComparer.Ordinal);
        }
    }

    public async ValueTask<IDisposable> AdmitAsync(AdmissionClaim claim, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claim);
        Waiter? waiter = null;
        GatewayException? refused = null;
        string? saturation = null;
        lock (_gate)
        {
            var line = LineOf(claim.User);
            if (_running < _options.MaxConcurrent && Fits(claim, line)) return Start(claim, line);
            if (_queued >= _options.MaxQueue)
            {
                saturation = SaturationReportIfDue();
                refused = new GatewayException($"Engine '{_engine}' is saturated: {_running} statements running and {_queued} queued.", "53400");
            }
            else if (line.Waiting.Count >= MaxQueuedPerUser)
            {
                refused = new GatewayException(
                    $"User '{claim.User}' already has {line.Running} statements running and {line.Waiting.Count} waiting on engine '{_engine}' " +
                    $"(at most {MaxQueuedPerUser} may wait per user, Capacity:MaxQueuedPerUser); finish reading or close earlier results.", "53400");
            }
            else
            {
                waiter = new Waiter(claim, line);
                waiter.Node = line.Waiting.AddLast(waiter);
                line.Turn ??= _turns.AddLast(line);
                _queued++;
                if (_running >= _options.MaxConcurrent) saturation = SaturationReportIfDue();
            }
            Forget(line);
        }
        LogSaturation(saturation);
        if (refused is not null) throw refused;
        try
        {
            return await waiter!.Granted.Task.WaitAsync(_options.QueueTimeout, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            string? blocker = null;
            var withdrawn = false;
            lock (_gate)
            {
                if (waiter!.Node?.List is not null)
                {
                    withdrawn = true;
                    Withdraw(waiter);
                    blocker = BlockedBy(waiter.Claim, waiter.Line);
                    Forget(waiter.Line);
                }
            }
            // Granted just as the wait ended: give the slot back (to the next in line).
            if (!withdrawn) (await waiter.Granted.Task.ConfigureAwait(false)).Dispose();
            if (e is TimeoutException)
            {
                throw new GatewayException($"{blocker ?? $"Engine '{_engine}' stayed at capacity"}: the statement waited " +
                    $"{_options.QueueTimeout.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s and was not started.", "53400");
            }
            throw;
        }
    }

    private UserLine LineOf(string user)
    {
        if (!_users.TryGetValue(user, out var line))
        {
            line = new UserLine(user);
            _users.Add(user, line);
        }
        return line;
    }

    // A user with nothing running or waiting is dropped, so the table holds only active users.
    private void Forget(UserLine line)
    {
        if (line.Running == 0 && line.Waiting.Count == 0) _users.Remove(line.User);
    }

    private int? GroupCap(string group) =>
        _options.Groups is { } caps && caps.TryGetValue(group, out var cap) ? cap : _options.MaxPerGroup;

    private bool Fits(AdmissionClaim claim, UserLine line)
    {
        if (line.Running >= MaxPerUser) return false;
        foreach (var group in claim.Groups)
        {
            if (GroupCap(group) is { } cap && _groupsRunning.GetValueOrDefault(group) >= cap) return false;
        }
        return true;
    }

    /// <summary>Why <paramref name="claim"/> cannot start now, or null when only the engine's total blocks it.</summary>
    private string? BlockedBy(AdmissionClaim claim, UserLine line)
    {
        if (line.Running >= MaxPerUser)
        {
            return $"User '{claim.User}' already has {line.Running} statements holding engine '{_engine}', its per-user cap " +
                $"(Capacity:MaxPerUser = {MaxPerUser}); finish reading or close earlier results";
        }
        foreach (var group in claim.Groups)
        {
            if (GroupCap(group) is { } cap && _groupsRunning.GetValueOrDefault(group) >= cap)
            {
                return $"Group '{group}' already has {_groupsRunning[group]} statements holding engine '{_engine}', its cap " +
                    $"(Capacity:{(_options.Groups?.ContainsKey(group) == true ? $"Groups:{group}" : "MaxPerGroup")} = {cap})";
            }
        }
        return null;
    }

    private Grant Start(AdmissionClaim claim, UserLine line)
    {
        _running++;
        line.Running++;
        foreach (var group in claim.Groups)
        {
            if (GroupCap(group) is not null) _groupsRunning[group] = _groupsRunning.GetValueOrDefault(group) + 1;
        }
        var grant = new Grant(this, claim, line, _time.GetTimestamp());
        _held.Add(grant);
        return grant;
    }

    private void Withdraw(Waiter waiter)
    {
        var line = waiter.Line;
        line.Waiting.Remove(waiter.Node!);
        _queued--;
        if (line.Waiting.Count == 0 && line.Turn is { } turn)
        {
            _turns.Remove(turn);
            line.Turn = null;
        }
    }

    private void Release(Grant grant)
    {
        lock (_gate)
        {
            _held.Remove(grant);
            _running--;
            grant.Line.Running--;
            foreach (var group in grant.Claim.Groups)
            {
                if (GroupCap(group) is null) continue;
                var left = _groupsRunning[group] - 1;
                if (left == 0) _groupsRunning.Remove(group);
                else _groupsRunning[group] = left;
            }
            Dispatch();
            Forget(grant.Line);
        }
    }

    // Free slots go to the users in line, round-robin: the first whose next statement fits, who then goes last.
    private void Dispatch()
    {
        while (_running < _options.MaxConcurrent && _turns.First is not null)
        {
            var turn = _turns.First;
            while (turn is not null && !Fits(turn.Value.Waiting.First!.Value.Claim, turn.Value)) turn = turn.Next;
            if (turn is null) return;
            var line = turn.Value;
            var waiter = line.Waiting.First!.Value;
            Withdraw(waiter);
            var grant = Start(waiter.Claim, line);
            if (line.Turn is { } served)
            {
                // Still waiting with more: to the back of the line.
                _turns.Remove(served);
                _turns.AddLast(served);
            }
            waiter.Granted.SetResult(grant);
        }
    }

    // ---- saturation report ----

    private string? SaturationReportIfDue()
    {
        var now = _time.GetTimestamp();
        if (_lastSaturationLog != long.MinValue && _time.GetElapsedTime(_lastSaturationLog, now) < _options.SaturationLogInterval) return null;
        _lastSaturationLog = now;
        return DescribeHolders(now);
    }

    /// <summary>"alice 16 (oldest 4m 2s), bob 16 (oldest 3 s); waiting: carol 2": the biggest holders first, at most ten named.</summary>
    private string DescribeHolders(long now)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{_running}/{_options.MaxConcurrent} running, {_queued}/{_options.MaxQueue} queued; holding: ");
        var holders = _held.GroupBy(g => g.Line.User, StringComparer.Ordinal)
            .Select(g => (User: g.Key, Count: g.Count(), Oldest: g.Min(x => x.Started)))
            .OrderByDescending(h => h.Count).ThenBy(h => h.Oldest).ToList();
        AppendNamed(text, holders.Select(h => $"{h.User} {h.Count} (oldest {Age(_time.GetElapsedTime(h.Oldest, now))})").ToList());
        if (_turns.Count > 0)
        {
            text.Append("; waiting: ");
            AppendNamed(text, _turns.Select(l => $"{l.User} {l.Waiting.Count}").ToList());
        }
        return text.ToString();
    }

    private static void AppendNamed(StringBuilder text, List<string> items)
    {
        text.AppendJoin(", ", items.Take(10));
        if (items.Count > 10) text.Append(CultureInfo.InvariantCulture, $" and {items.Count - 10} more users");
    }

    private static string Age(TimeSpan age) => age.TotalMinutes >= 1
        ? string.Create(CultureInfo.InvariantCulture, $"{(int)age.TotalMinutes}m {age.Seconds}s")
        : string.Create(CultureInfo.InvariantCulture, $"{age.TotalSeconds:0} s");

    private void LogSaturation(string? report)
    {
        if (report is not null && Logger is { } logger) LogEngineSaturated(logger, _engine, report);
    }

    [LoggerMessage(EventId = 510, Level = LogLevel.Warning, Message = "Engine {Engine} is at capacity: {Report}")]
    private static partial void LogEngineSaturated(ILogger logger, string engine, string report);

    private sealed class UserLine(string user)
    {
        public string User { get; } = user;
        public int Running { get; set; }
        public LinkedList<Waiter> Waiting { get; } = new();
        public LinkedListNode<UserLine>? Turn { get; set; }
    }

    private sealed class Waiter(AdmissionClaim claim, UserLine line)
    {
        public AdmissionClaim Claim { get; } = claim;
        public UserLine Line { get; } = line;
        public LinkedListNode<Waiter>? Node { get; set; }
        public TaskCompletionSource<Grant> Granted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class Grant(FairAdmission owner, AdmissionClaim claim, UserLine line, long started) : IDisposable
    {
        private int _released;

        public AdmissionClaim Claim { get; } = claim;
        public UserLine Line { get; } = line;
        public long Started { get; } = started;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) owner.Release(this);
        }
    }
}
