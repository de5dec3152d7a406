using System.Collections.Concurrent;
using System.Diagnostics;

namespace Gateway.Engines.Trino;

/// <summary>
/// A Trino coordinator as an engine, over the client REST protocol (docs: "Trino client REST API"). Engine sessions are
/// client-side state only (see <see cref="TrinoSession"/>); every session shares one <see cref="TrinoClient"/>. Health
/// is <c>GET /v1/info</c>: up, and not starting; with <see cref="TrinoEngineOptions.ReadLoad"/> each healthy check also
/// reads the cluster's running and queued queries (<see cref="ReportedLoad"/>). See README.md.
/// </summary>
public sealed class TrinoEngine : IEngine, IEngineLoadSource
{
    /// <summary>
    /// Running: planned and executing; queued: waiting for admission or resources. The load query itself is one running
    /// query, not counted.
    /// </summary>
    internal const string LoadQuery =
        "SELECT count_if(state IN ('PLANNING', 'STARTING', 'RUNNING', 'FINISHING')) AS running, "
        + "count_if(state IN ('QUEUED', 'WAITING_FOR_RESOURCES', 'DISPATCHING')) AS queued FROM system.runtime.queries";

    /// <summary>A load older than this (health checks stopped, or the load query started failing) is not trusted.</summary>
    public static readonly TimeSpan LoadMaxAge = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<TrinoSession, byte> _sessions = new();
    private readonly TimeProvider _time;
    private EngineLoadReport? _load;
    private int _disposed;

    public TrinoEngine(TrinoEngineOptions options, TimeProvider? time = null, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        _time = time ?? TimeProvider.System;
        Client = new TrinoClient(options, time, handler);
    }

    public EngineLoadReport? ReportedLoad => Volatile.Read(ref _load) is { } load && _time.GetUtcNow() - load.At < LoadMaxAge ? load : null;

    public TrinoEngineOptions Options { get; }

    internal TrinoClient Client { get; }

    public string Name => Options.Name;

    public EngineKind Kind => EngineKind.Trino;

    public int SessionCount => _sessions.Count;

    public async ValueTask<IEngineSession> OpenSessionAsync(EngineSessionOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var session = new TrinoSession(this, Options.ImpersonateUser ? options.User : Options.User);
        _sessions[session] = 0;
        if (options.Database is { Length: > 0 } database)
        {
            try
            {
                await session.UseDatabaseAsync(database, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await session.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
        return session;
    }

    internal void Closed(TrinoSession session) => _sessions.TryRemove(session, out _);

    public async ValueTask<EngineHealthReport> CheckHealthAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var watch = Stopwatch.StartNew();
        try
        {
            var (up, detail) = await Client.InfoAsync(cancellationToken).ConfigureAwait(false);
            if (!up) return EngineHealthReport.Failed(detail, watch.Elapsed);
            var latency = watch.Elapsed;
            if (Options.ReadLoad && await ReadLoadAsync(cancellationToken).ConfigureAwait(false) is { } load)
            {
                detail = $"{detail}; {load.Running} running, {load.Queued} queued";
            }
            return EngineHealthReport.Ok(latency, detail);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or OperationCanceledException or EngineException)
        {
            return EngineHealthReport.Failed($"Cannot reach Trino at {Options.BaseUri.GetLeftPart(UriPartial.Authority)} ({ex.Message})", watch.Elapsed);
        }
    }

    /// <summary>Runs <see cref="LoadQuery"/>; null (and the last load kept to age out) when the coordinator refuses it.</summary>
    private async Task<EngineLoadReport?> ReadLoadAsync(CancellationToken cancellationToken)
    {
        var session = new TrinoSession(this, Options.User);
        try
        {
            var row = (await session.QueryRowsAsync(LoadQuery, cancellationToken).ConfigureAwait(false)).SingleOrDefault();
            if (row is not [{ } running, { } queued]
                || !int.TryParse(running, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var r)
                || !int.TryParse(queued, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var q))
            {
                return null;
            }
            var load = new EngineLoadReport(Math.Max(0, r - 1), q, _time.GetUtcNow());
            Volatile.Write(ref _load, load);
            return load;
        }
        catch (EngineException)
        {
            // No access to system.runtime.queries (or not a Trino that has it): the gateway's own count stands.
            return null;
        }
        finally
        {
            await session.DisposeAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        foreach (var session in _sessions.Keys) await session.DisposeAsync().ConfigureAwait(false);
        Client.Dispose();
    }
}
