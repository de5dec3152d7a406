namespace Gateway.Engines.DuckDb;

/// <summary>
/// The one thread that makes every blocking DuckDB call of a session (execute, fetch, destroy).
/// Blocking native calls never occupy thread-pool threads, and because work items run one at a time
/// in order, a result is never destroyed while a fetch on it is still running. The thread is started
/// on demand and exits after an idle timeout (30 s) without work, so idle sessions hold no thread.
/// </summary>
internal sealed class SessionWorker : IDisposable
{
    private static int s_counter;

    private readonly object _sync = new();
    private readonly Queue<Action> _queue = new();
    private readonly string _name;
    private readonly TimeSpan _idleTimeout;
    private Thread? _thread;
    private bool _stopped;

    public SessionWorker(string name, TimeSpan? idleTimeout = null)
    {
        _name = name;
        _idleTimeout = idleTimeout ?? TimeSpan.FromSeconds(30);
    }

    /// <summary>How many times a thread was started (tests).</summary>
    internal int ThreadsStarted { get; private set; }

    /// <summary>Work items run so far (tests: how many hops a call costs).</summary>
    internal long ItemsRun => Interlocked.Read(ref _itemsRun);

    private long _itemsRun;

    /// <summary>True on the worker thread itself (work items must not wait for other work items).</summary>
    public bool IsCurrentThread => Thread.CurrentThread == _thread;

    public Task<T> RunAsync<T>(Func<T> work, CancellationToken cancellationToken)
    {
        var tcs = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        Enqueue(() =>
        {
            if (cancellationToken.IsCancellationRequested)
            {
                tcs.TrySetCanceled(cancellationToken);
                return;
            }
            try
            {
                tcs.TrySetResult(work());
            }
            catch (Exception e)
            {
                tcs.TrySetException(e);
            }
        });
        return tcs.Task;
    }

    public Task RunAsync(Action work) => RunAsync(() =>
    {
        work();
        return true;
    }, CancellationToken.None);

    private void Enqueue(Action item)
    {
        lock (_sync)
        {
            ObjectDisposedException.ThrowIf(_stopped, this);
            _queue.Enqueue(item);
            if (_thread is null)
            {
                _thread = new Thread(Loop)
                {
                    IsBackground = true,
                    Name = $"{_name}-{Interlocked.Increment(ref s_counter)}",
                };
                ThreadsStarted++;
                _thread.Start();
            }
            else
            {
                Monitor.Pulse(_sync);
            }
        }
    }

    private void Loop()
    {
        while (true)
        {
            Action item;
            lock (_sync)
            {
                while (_queue.Count == 0)
                {
                    if (_stopped || !Monitor.Wait(_sync, _idleTimeout))
                    {
                        if (_queue.Count > 0) break;
                        _thread = null;
                        return;
                    }
                }
                item = _queue.Dequeue();
            }
            Interlocked.Increment(ref _itemsRun);
            item();
        }
    }

    /// <summary>Lets queued work finish, then the thread exits; later work is refused.</summary>
    public void Dispose()
    {
        lock (_sync)
        {
            _stopped = true;
            Monitor.PulseAll(_sync);
        }
    }
}
