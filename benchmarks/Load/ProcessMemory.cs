using System.Diagnostics.Tracing;
using System.Globalization;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers;

namespace Gateway.Benchmarks.Load;

/// <summary>
/// Memory of another process: resident set from /proc, and its GC heap through the runtime's diagnostics
/// port (EventPipe, as dotnet-counters and dotnet-gcdump use it).
/// </summary>
public sealed class ProcessMemory(int pid)
{
    /// <summary>Resident set size (VmRSS) in bytes.</summary>
    public long ResidentBytes() => Status("VmRSS:");

    /// <summary>Peak resident set size (VmHWM) since start or since <see cref="ResetPeak"/>.</summary>
    public long PeakResidentBytes() => Status("VmHWM:");

    /// <summary>Resets VmHWM to the current RSS (writing 5 to clear_refs; needs the same user or root).</summary>
    public bool ResetPeak()
    {
        try
        {
            File.WriteAllText($"/proc/{pid}/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private long Status(string key)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (!line.StartsWith(key, StringComparison.Ordinal)) continue;
            var parts = line[key.Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return long.Parse(parts[0], CultureInfo.InvariantCulture) * 1024;
        }
        return 0;
    }

    /// <summary>
    /// Induces a full blocking GC in the process (the GCHeapCollect keyword, as dotnet-gcdump does) and returns
    /// the live heap it reports (generations 0–2, LOH and POH), in bytes; null when it could not be read.
    /// </summary>
    public async Task<long?> LiveHeapAfterFullGcAsync(CancellationToken cancellationToken)
    {
        var client = new DiagnosticsClient(pid);
        var keywords = (long)(ClrTraceEventParser.Keywords.GC | ClrTraceEventParser.Keywords.GCHeapCollect);
        using var session = client.StartEventPipeSession([new EventPipeProvider("Microsoft-Windows-DotNETRuntime", EventLevel.Informational, keywords)], requestRundown: false);
        var heap = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var source = new EventPipeEventSource(session.EventStream);
        source.Clr.GCHeapStats += e => heap.TrySetResult(e.TotalHeapSize + e.GenerationSize4);
        Task processing = Task.Run(source.Process, CancellationToken.None);
        long? result = null;
        try
        {
            result = await heap.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
        }
        catch (TimeoutException)
        {
            // No GC event arrived: report nothing rather than a guess.
        }
        await session.StopAsync(CancellationToken.None);
        await processing.WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        return result;
    }

    /// <summary>Samples RSS every 50 ms and the GC heap counter every second until disposed; keeps the peaks.</summary>
    public MemorySampler StartSampling() => new(this, pid);
}

public sealed class MemorySampler : IAsyncDisposable
{
    private readonly ProcessMemory _memory;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _rss;
    private readonly Task _counters;
    private readonly EventPipeSession? _session;
    private long _peakRss;
    private double _peakGcHeapMb;
    private double _peakGcCommittedMb;

    internal MemorySampler(ProcessMemory memory, int pid)
    {
        _memory = memory;
        _memory.ResetPeak();
        _rss = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                var rss = _memory.ResidentBytes();
                if (rss > Volatile.Read(ref _peakRss)) Volatile.Write(ref _peakRss, rss);
                try { await Task.Delay(50, _stop.Token); } catch (OperationCanceledException) { break; }
            }
        });
        try
        {
            var client = new DiagnosticsClient(pid);
            var args = new Dictionary<string, string> { ["EventCounterIntervalSec"] = "1" };
            _session = client.StartEventPipeSession([new EventPipeProvider("System.Runtime", EventLevel.Informational, -1, args)], requestRundown: false);
            var source = new EventPipeEventSource(_session.EventStream);
            source.Dynamic.All += OnEvent;
            _counters = Task.Run(() =>
            {
                try { source.Process(); }
                finally { source.Dispose(); }
            });
        }
        catch (Exception e) when (e is ServerNotAvailableException or UnsupportedCommandException or IOException)
        {
            _counters = Task.CompletedTask;
        }
    }

    private void OnEvent(TraceEvent e)
    {
        if (e.EventName != "EventCounters" || e.PayloadValue(0) is not IDictionary<string, object> outer || outer["Payload"] is not IDictionary<string, object> payload) return;
        var name = payload.TryGetValue("Name", out var n) ? n as string : null;
        var value = payload.TryGetValue("Mean", out var m) ? Convert.ToDouble(m, CultureInfo.InvariantCulture) : 0;
        // The counters report MB.
        if (name == "gc-heap-size") _peakGcHeapMb = Math.Max(_peakGcHeapMb, value);
        else if (name == "gc-committed") _peakGcCommittedMb = Math.Max(_peakGcCommittedMb, value);
    }

    /// <summary>The largest of the sampled RSS and the kernel's own peak (VmHWM, reset when sampling started).</summary>
    public long PeakResidentBytes => Math.Max(Volatile.Read(ref _peakRss), _memory.PeakResidentBytes());
    public long PeakGcHeapBytes => (long)(_peakGcHeapMb * 1024 * 1024);
    public long PeakGcCommittedBytes => (long)(_peakGcCommittedMb * 1024 * 1024);

    public async ValueTask DisposeAsync()
    {
        var peak = _memory.PeakResidentBytes();
        if (peak > Volatile.Read(ref _peakRss)) Volatile.Write(ref _peakRss, peak);
        await _stop.CancelAsync();
        await _rss;
        if (_session is not null)
        {
            try { await _session.StopAsync(CancellationToken.None); }
            catch (Exception e) when (e is ServerNotAvailableException or IOException or TimeoutException) { /* the process is gone */ }
            _session.Dispose();
        }
        await _counters.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }
}
