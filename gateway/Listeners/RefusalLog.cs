using Microsoft.Extensions.Logging;

namespace Gateway.Server.Listeners;

/// <summary>
/// Keeps refusals from flooding the log: the first refusal of a cause (an event id and a short category, never client
/// text) in each interval is logged by the caller as usual; the rest are counted and reported as one line per cause
/// when the interval ends ("399 more like this in the last 60 s"). 400 junk requests write two lines, not 400. The
/// causes tracked are bounded; past the bound they share one "other" cause per event. An interval of zero logs
/// every refusal.
/// </summary>
public sealed partial class RefusalLog : IDisposable
{
    internal const int MaxCauses = 256;

    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly TimeSpan _interval;
    private readonly Lock _gate = new();
    private readonly Dictionary<(int EventId, string Cause), Window> _windows = [];
    private readonly ITimer? _timer;

    private sealed class Window(DateTimeOffset start)
    {
        public DateTimeOffset Start = start;
        public long Suppressed;
    }

    public RefusalLog(ILogger<RefusalLog> logger, TimeProvider time, TimeSpan interval)
    {
        _logger = logger;
        _time = time;
        _interval = interval;
        if (interval > TimeSpan.Zero) _timer = time.CreateTimer(static s => ((RefusalLog)s!).Flush(), this, interval, interval);
    }

    /// <summary>Whether the caller logs this refusal itself (the first of its cause in the interval); otherwise it is counted.</summary>
    public bool ShouldLog(int eventId, string cause)
    {
        if (_interval <= TimeSpan.Zero) return true;
        var now = _time.GetUtcNow();
        (long Count, TimeSpan Span)? summary = null;
        bool log;
        lock (_gate)
        {
            var key = (eventId, cause);
            if (!_windows.ContainsKey(key) && _windows.Count >= MaxCauses) key = (eventId, "other");
            if (!_windows.TryGetValue(key, out var window))
            {
                _windows[key] = new Window(now);
                return true;
            }
            if (now - window.Start >= _interval)
            {
                if (window.Suppressed > 0) summary = (window.Suppressed, now - window.Start);
                window.Start = now;
                window.Suppressed = 0;
                log = true;
            }
            else
            {
                window.Suppressed++;
                log = false;
            }
            cause = key.Item2;
        }
        if (summary is { } s) LogSuppressed(_logger, s.Count, s.Span.TotalSeconds, eventId, cause);
        return log;
    }

    /// <summary>Reports what each cause's ended interval suppressed, and forgets causes that have gone quiet.</summary>
    internal void Flush(bool all = false)
    {
        var now = _time.GetUtcNow();
        var summaries = new List<(int EventId, string Cause, long Count, double Seconds)>();
        lock (_gate)
        {
            foreach (var (key, window) in _windows.ToList())
            {
                if (!all && now - window.Start < _interval) continue;
                if (window.Suppressed > 0)
                {
                    summaries.Add((key.EventId, key.Cause, window.Suppressed, (now - window.Start).TotalSeconds));
                    window.Start = now;
                    window.Suppressed = 0;
                }
                else if (now - window.Start >= 2 * _interval)
                {
                    _windows.Remove(key);
                }
            }
        }
        foreach (var (eventId, cause, count, seconds) in summaries) LogSuppressed(_logger, count, seconds, eventId, cause);
    }

    public void Dispose()
    {
        _timer?.Dispose();
        Flush(all: true);
    }

    [LoggerMessage(EventId = 399, Level = LogLevel.Warning, Message = "{Count} more refusals like the last one logged in the last {Seconds:0} s (event {EventId}, {Cause})")]
    private static partial void LogSuppressed(ILogger logger, long count, double seconds, int eventId, string cause);
}
