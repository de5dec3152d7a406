using Gateway.Protocol.Hive;

namespace Gateway.Engines.HiveServer2;

/// <summary>
/// The calls of one engine session to the remote. Calls never see the caller's cancellation token: a round
/// trip cut in half would leave a binary stream between two messages. Each runs to its reply (bounded by the
/// request timeout) and a canceled caller merely stops waiting for it. On a binary connection calls run one
/// at a time, in order; over HTTP they may overlap (a cancel does not queue behind a long poll).
/// The first transport failure breaks the channel: every later call fails at once with that failure.
/// </summary>
internal sealed class RemoteChannel : IAsyncDisposable
{
    private readonly IThriftTransport _transport;
    private readonly bool _ownsTransport;
    private readonly SemaphoreSlim? _gate;
    private readonly TimeSpan _requestTimeout;
    private readonly TimeProvider _time;
    private EngineException? _broken;
    private int _disposed;

    public RemoteChannel(IThriftTransport transport, bool ownsTransport, bool serialize, HiveServer2EngineOptions options, TimeProvider time)
    {
        _transport = transport;
        _ownsTransport = ownsTransport;
        _gate = serialize ? new SemaphoreSlim(1, 1) : null;
        _requestTimeout = options.RequestTimeout;
        _time = time;
        Endpoint = options.Endpoint;
        Client = new TCLIServiceClient(transport, options.Limits);
    }

    public string Endpoint { get; }

    public TCLIServiceClient Client { get; }

    /// <summary>The failure that broke the channel, or null while it is usable.</summary>
    public EngineException? Broken => Volatile.Read(ref _broken);

    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>
    /// Runs one call. When <paramref name="abandon"/> fires first, the caller gets <see cref="OperationCanceledException"/>
    /// while the call still completes in the background (later calls queue behind it).
    /// </summary>
    public Task<T> CallAsync<T>(string call, Func<TCLIServiceClient, CancellationToken, Task<T>> send, CancellationToken abandon, TimeSpan? timeout = null)
    {
        var work = RunAsync(call, send, timeout ?? _requestTimeout, Timeout.InfiniteTimeSpan);
        return abandon.CanBeCanceled && !work.IsCompleted ? WaitOrAbandonAsync(work, abandon) : work;
    }

    /// <summary>A best-effort call for cleanup: bounded in total (queueing included); false when it failed or timed out.</summary>
    public async Task<bool> TryCallAsync<T>(string call, Func<TCLIServiceClient, CancellationToken, Task<T>> send, TimeSpan timeout) where T : class
    {
        if (Broken is not null || IsDisposed) return false;
        var work = RunAsync(call, send, timeout, timeout);
        try
        {
            await work.WaitAsync(timeout + timeout, _time).ConfigureAwait(false);
            return true;
        }
        catch (EngineException)
        {
            return false;
        }
        catch (TimeoutException)
        {
            Observe(work);
            return false;
        }
    }

    private static async Task<T> WaitOrAbandonAsync<T>(Task<T> work, CancellationToken abandon)
    {
        try
        {
            return await work.WaitAsync(abandon).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (abandon.IsCancellationRequested && !work.IsCompleted)
        {
            Observe(work);
            throw;
        }
    }

    private static void Observe(Task work) =>
        work.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    private async Task<T> RunAsync<T>(string call, Func<TCLIServiceClient, CancellationToken, Task<T>> send, TimeSpan timeout, TimeSpan queueTimeout)
    {
        ThrowIfUnusable(call);
        if (_gate is not null && !await _gate.WaitAsync(queueTimeout).ConfigureAwait(false))
        {
            // A call holds the connection beyond a cleanup's patience: treat the link as stuck, so the rest of a
            // disposal fails fast instead of queueing again.
            var stuck = new EngineException($"{call}: the connection to {Endpoint} is busy with a call that does not return.", "08S01", retryable: true);
            Interlocked.CompareExchange(ref _broken, stuck, null);
            throw stuck;
        }
        try
        {
            ThrowIfUnusable(call);
            using var deadline = new CancellationTokenSource(timeout, _time);
            try
            {
                return await send(Client, deadline.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not EngineException)
            {
                var failure = HiveServer2Errors.FromCallFailure(ex, Endpoint, call, deadline.IsCancellationRequested, out var breaks);
                if (breaks && !IsDisposed) Interlocked.CompareExchange(ref _broken, failure, null);
                throw failure;
            }
        }
        finally
        {
            _gate?.Release();
        }
    }

    /// <summary>Marks the channel broken from outside (a reply that makes no sense for the session).</summary>
    public void Break(EngineException failure) => Interlocked.CompareExchange(ref _broken, failure, null);

    private void ThrowIfUnusable(string call)
    {
        if (IsDisposed) throw new EngineException($"{call}: the session with {Endpoint} is closed.", "08003");
        if (Broken is { } broken)
        {
            throw new EngineException($"{call}: the connection to {Endpoint} broke earlier ({broken.Message}); open a new session.", broken.SqlState, broken.ErrorCode, retryable: true, broken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        if (!_ownsTransport) return;
        // Ends any call still in flight on this connection (it fails with ObjectDisposed/IO errors).
        switch (_transport)
        {
            case IAsyncDisposable a: await a.DisposeAsync().ConfigureAwait(false); break;
            case IDisposable d: d.Dispose(); break;
        }
    }
}
