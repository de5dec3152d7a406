using Gateway.Engines;
using Gateway.Server.Configuration;
using Gateway.Server.Sessions;

namespace Gateway.Server.Engines;

/// <summary>An engine as the gateway runs it: its options, live load and admission gate.</summary>
public sealed class RegisteredEngine
{
    private readonly Lock _gate = new();
    private readonly Queue<TaskCompletionSource<bool>> _waiters = new();
    private int _running;

    public RegisteredEngine(EngineOptions options, IEngine engine, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(engine);
        Options = options;
        Engine = engine;
        Time = time;
        Health = new EngineHealth(options.Health);
    }

    public string Name => Options.Name;
    public EngineKind Kind => Engine.Kind;
    public EngineOptions Options { get; }
    public IEngine Engine { get; }

    private TimeProvider Time { get; }

    public int Running
    {
        get { lock (_gate) return _running; }
    }

    public int Queued
    {
        get { lock (_gate) return _waiters.Count; }
    }

    /// <summary>Running and queued statements, read together under one lock (routing reads both per statement).</summary>
    public (int Running, int Queued) Load
    {
        get { lock (_gate) return (_running, _waiters.Count); }
    }

    // ---- health (EngineHealthMonitor probes; Health has the state machine) ----

    /// <summary>False once Health:UnhealthyAfter probes or reported failures in a row failed; the router skips the engine then.</summary>
    public bool Healthy => Health.Healthy;

    /// <summary>Why, in a few words: the last probe's detail ("ok, 3 ms") or failure; null before the first probe.</summary>
    public string? HealthDetail => Health.Detail;

    /// <summary>When the last probe finished; null before the first (or when Health:Enabled is false).</summary>
    public DateTimeOffset? LastProbe => Health.LastProbe;

    /// <summary>
    /// A statement on this engine failed with a connection-level (retryable) error: counts as a failed probe and
    /// brings the next probe forward. Successful statements do not report.
    /// </summary>
    public void ReportFailure(string detail) => Health.RecordFailure(detail);

    internal EngineHealth Health { get; }

    /// <summary>Full: running at capacity and the queue is full too.</summary>
    public bool Saturated
    {
        get { lock (_gate) return _running >= Options.Capacity.MaxConcurrent && _waiters.Count >= Options.Capacity.MaxQueue; }
    }

    /// <summary>
    /// A slot to run one statement, waiting in line (up to QueueTimeout) when the engine is at capacity. Fails with
    /// SQLSTATE 53400 when the queue is full or the wait times out; dispose the slot when the statement's result is released.
    /// <para>Not System.Threading.RateLimiting's ConcurrencyLimiter, though today's FIFO queue with a bound and a timeout
    /// would fit it: routing reads running and queued together under one lock for every statement (<see cref="Load"/>),
    /// which the limiter's statistics do not give atomically, and fair shares between users (per-user and per-group caps,
    /// waiting work served round-robin across users, the error naming the cap that blocked) replace this queue next.
    /// The limiter serves only oldest-first or newest-first, and a partitioned limiter caps partitions without one queue
    /// across them.</para>
    /// </summary>
    public async ValueTask<IDisposable> AdmitAsync(CancellationToken cancellationToken)
    {
        TaskCompletionSource<bool> waiter;
        lock (_gate)
        {
            if (_running < Options.Capacity.MaxConcurrent && _waiters.Count == 0)
            {
                _running++;
                return new Slot(this);
            }
            if (_waiters.Count >= Options.Capacity.MaxQueue)
            {
                throw new GatewayException($"Engine '{Name}' is saturated: {_running} statements running and {_waiters.Count} queued.", "53400");
            }
            waiter = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Enqueue(waiter);
        }
        try
        {
            await waiter.Task.WaitAsync(Options.Capacity.QueueTimeout, Time, cancellationToken).ConfigureAwait(false);
            return new Slot(this);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            bool granted;
            lock (_gate)
            {
                // Granted just as we gave up: pass the slot on.
                granted = !waiter.TrySetCanceled(CancellationToken.None);
            }
            if (granted) Release();
            if (e is TimeoutException) throw new GatewayException($"Engine '{Name}' stayed at capacity for {Options.Capacity.QueueTimeout.TotalSeconds:0.#} s; the statement was not started.", "53400");
            throw;
        }
    }

    private void Release()
    {
        lock (_gate)
        {
            while (_waiters.TryDequeue(out var next))
            {
                // The slot passes straight to the next waiter still waiting.
                if (next.TrySetResult(true)) return;
            }
            _running--;
        }
    }

    private sealed class Slot(RegisteredEngine owner) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) owner.Release();
        }
    }
}

/// <summary>The engines of this gateway, by name; the default one serves whatever routing does not send elsewhere.</summary>
public sealed class EngineRegistry : IAsyncDisposable
{
    private readonly Dictionary<string, RegisteredEngine> _byName;

    public EngineRegistry(IReadOnlyList<RegisteredEngine> engines, string defaultEngine)
    {
        ArgumentNullException.ThrowIfNull(engines);
        _byName = new Dictionary<string, RegisteredEngine>(StringComparer.OrdinalIgnoreCase);
        foreach (var e in engines)
        {
            if (!_byName.TryAdd(e.Name, e)) throw new ArgumentException($"Engine name '{e.Name}' is used twice.", nameof(engines));
        }
        All = engines;
        Default = _byName.GetValueOrDefault(defaultEngine) ?? throw new ArgumentException($"The default engine '{defaultEngine}' is not configured.", nameof(defaultEngine));
    }

    public IReadOnlyList<RegisteredEngine> All { get; }
    public RegisteredEngine Default { get; }

    public RegisteredEngine? Find(string name) => _byName.GetValueOrDefault(name.Trim());

    /// <summary>The registered engine running <paramref name="engine"/>.</summary>
    public RegisteredEngine? Of(IEngine engine) => All.FirstOrDefault(e => ReferenceEquals(e.Engine, engine));

    public async ValueTask DisposeAsync()
    {
        foreach (var e in All) await e.Engine.DisposeAsync().ConfigureAwait(false);
    }
}
