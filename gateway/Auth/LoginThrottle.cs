using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using Gateway.Server.Configuration;
using Microsoft.Extensions.Logging;

namespace Gateway.Server.Auth;

/// <summary>
/// Failed logins counted per user name and per client address (SASL PLAIN, HTTP Basic, bearer tokens). Once either
/// reaches its limit within <see cref="LoginThrottleOptions.Window"/>, logins for that user or from that address are
/// refused for <see cref="LoginThrottleOptions.BlockFor"/> without checking the credentials, so a password cannot be
/// guessed at the speed of the machine and the PBKDF2 work cannot be used to load it. A successful login clears the
/// user's count (the address's count is left to its window: one valid account must not wipe the record of an address
/// that is guessing other users' passwords). User names are counted whether or not they exist, so the throttle says
/// nothing about which do.
/// </summary>
public sealed partial class LoginThrottle
{
    private readonly LoginThrottleOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger? _logger;
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    private sealed class Entry
    {
        public int Failures;
        public DateTimeOffset WindowStart;
        public DateTimeOffset BlockedUntil;
    }

    public LoginThrottle(LoginThrottleOptions options, TimeProvider time, ILogger<LoginThrottle>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _time = time;
        _logger = logger;
    }

    public static LoginThrottle Disabled { get; } = new(new LoginThrottleOptions { Enabled = false }, TimeProvider.System);

    /// <summary>Entries kept (users and addresses with recent failures); bounded by <see cref="LoginThrottleOptions.MaxTracked"/>.</summary>
    internal int Tracked => _entries.Count;

    /// <summary>Null when a login may be tried; otherwise why not, for the client, with when to try again.</summary>
    public string? Refusal(string? user, IPAddress? address)
    {
        if (!_options.Enabled) return null;
        var now = _time.GetUtcNow();
        if (user is not null && Blocked(UserKey(user), now) is { } userWait)
        {
            return $"Too many failed logins for this user; try again in {Seconds(userWait)} s.";
        }
        if (address is not null && Blocked(AddressKey(address), now) is { } addressWait)
        {
            return $"Too many failed logins from this address; try again in {Seconds(addressWait)} s.";
        }
        return null;
    }

    /// <summary>The time left until <paramref name="user"/> or <paramref name="address"/> may try again; zero when they may now.</summary>
    public TimeSpan RetryAfter(string? user, IPAddress? address)
    {
        if (!_options.Enabled) return TimeSpan.Zero;
        var now = _time.GetUtcNow();
        var a = user is null ? null : Blocked(UserKey(user), now);
        var b = address is null ? null : Blocked(AddressKey(address), now);
        return new[] { a ?? TimeSpan.Zero, b ?? TimeSpan.Zero }.Max();
    }

    public void RecordFailure(string? user, IPAddress? address, string remote)
    {
        if (!_options.Enabled) return;
        var now = _time.GetUtcNow();
        if (user is not null && Fail(UserKey(user), _options.MaxFailuresPerUser, now) is { } userCount && _logger is not null)
        {
            LogUserBlocked(_logger, Printable(user), remote, userCount, _options.BlockFor.TotalSeconds);
        }
        if (address is not null && Fail(AddressKey(address), _options.MaxFailuresPerAddress, now) is { } addressCount && _logger is not null)
        {
            LogAddressBlocked(_logger, address.ToString(), addressCount, _options.BlockFor.TotalSeconds);
        }
    }

    public void RecordSuccess(string? user)
    {
        if (!_options.Enabled || user is null) return;
        _entries.TryRemove(UserKey(user), out _);
    }

    private TimeSpan? Blocked(string key, DateTimeOffset now)
    {
        if (!_entries.TryGetValue(key, out var entry)) return null;
        lock (entry)
        {
            return entry.BlockedUntil > now ? entry.BlockedUntil - now : null;
        }
    }

    /// <summary>Counts one failure; returns the count when this failure started a block (for one log line per block).</summary>
    private int? Fail(string key, int limit, DateTimeOffset now)
    {
        if (_entries.Count >= _options.MaxTracked && !_entries.ContainsKey(key)) Prune(now);
        var entry = _entries.GetOrAdd(key, static (_, n) => new Entry { WindowStart = n }, now);
        lock (entry)
        {
            if (entry.BlockedUntil > now) return null;
            if (entry.BlockedUntil != default || now - entry.WindowStart > _options.Window)
            {
                // A block that ran out, or a window that closed: counting starts again.
                entry.Failures = 0;
                entry.BlockedUntil = default;
                entry.WindowStart = now;
            }
            entry.Failures++;
            if (entry.Failures < limit) return null;
            entry.BlockedUntil = now + _options.BlockFor;
            return entry.Failures;
        }
    }

    /// <summary>
    /// Drops entries whose window and block are over; when every entry is live (a flood of distinct names), the oldest
    /// windows that are not blocking go first, so memory stays bounded and active blocks stay in force.
    /// </summary>
    private void Prune(DateTimeOffset now)
    {
        foreach (var (key, entry) in _entries)
        {
            bool over;
            lock (entry) over = entry.BlockedUntil <= now && now - entry.WindowStart > _options.Window;
            if (over) _entries.TryRemove(key, out _);
        }
        var excess = _entries.Count - (_options.MaxTracked * 3 / 4);
        if (excess <= 0) return;
        foreach (var (key, _) in _entries.Where(e => e.Value.BlockedUntil <= now).OrderBy(e => e.Value.WindowStart).Take(excess).ToList())
        {
            _entries.TryRemove(key, out _);
        }
    }

    private static string UserKey(string user) => "u:" + user;

    private static string AddressKey(IPAddress address) => "a:" + (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);

    private static string Seconds(TimeSpan wait) => Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    private static string Printable(string user) => user.Length > 64 || user.Any(char.IsControl)
        ? new string([.. user.Take(64).Select(c => char.IsControl(c) ? '?' : c)])
        : user;

    [LoggerMessage(EventId = 330, Level = LogLevel.Warning, Message = "Logins for user '{User}' blocked after {Failures} failed attempts (the last from {Remote}) for {Seconds} s")]
    private static partial void LogUserBlocked(ILogger logger, string user, string remote, int failures, double seconds);

    [LoggerMessage(EventId = 331, Level = LogLevel.Warning, Message = "Logins from {Address} blocked after {Failures} failed attempts for {Seconds} s")]
    private static partial void LogAddressBlocked(ILogger logger, string address, int failures, double seconds);
}
