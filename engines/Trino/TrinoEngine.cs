using System.Collections.Concurrent;
using System.Diagnostics;

namespace Gateway.Engines.Trino;

/// <summary>
/// A Trino coordinator as an engine, over the client REST protocol (docs: "Trino client REST API"). Engine sessions are
/// client-side state only (see <see cref="TrinoSession"/>); every session shares one <see cref="TrinoClient"/>. Health
/// is <c>GET /v1/info</c>: up, and not starting. See README.md.
/// </summary>
public sealed class TrinoEngine : IEngine
{
    private readonly ConcurrentDictionary<TrinoSession, byte> _sessions = new();
    private int _disposed;

    public TrinoEngine(TrinoEngineOptions options, TimeProvider? time = null, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        Client = new TrinoClient(options, time, handler);
    }

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
            return up ? EngineHealthReport.Ok(watch.Elapsed, detail) : EngineHealthReport.Failed(detail, watch.Elapsed);
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

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        foreach (var session in _sessions.Keys) await session.DisposeAsync().ConfigureAwait(false);
        Client.Dispose();
    }
}
