using Gateway.Engines;
using Gateway.Server.Configuration;
using Microsoft.Extensions.Logging;

namespace Gateway.Server.Engines;

/// <summary>An engine as the gateway runs it: its options, live load and admission gate.</summary>
public sealed class RegisteredEngine
{
    private readonly FairAdmission _admission;

    public RegisteredEngine(EngineOptions options, IEngine engine, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(engine);
        Options = options;
        Engine = engine;
        Health = new EngineHealth(options.Health);
        _admission = new FairAdmission(options.Name, options.Capacity, time);
    }

    public string Name => Options.Name;
    public EngineKind Kind => Engine.Kind;
    public EngineOptions Options { get; }
    public IEngine Engine { get; }

    /// <summary>Where the saturation line goes (event 510); set once the host's logging exists.</summary>
    public ILogger? Logger
    {
        get => _admission.Logger;
        set => _admission.Logger = value;
    }

    public int Running => _admission.Load.Running;

    public int Queued => _admission.Load.Queued;

    /// <summary>Running and queued statements, read together under one lock (routing reads both per statement).</summary>
    public (int Running, int Queued) Load => _admission.Load;

    /// <summary>Slots held per user now.</summary>
    public IReadOnlyDictionary<string, int> RunningByUser => _admission.RunningByUser;

    /// <summary>The per-user cap in force (Capacity:MaxPerUser, or half of MaxConcurrent).</summary>
    public int MaxPerUser => _admission.MaxPerUser;

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
    public bool Saturated => _admission.Saturated;

    /// <summary>
    /// A slot to run one statement of <paramref name="claim"/>'s user, shared fairly (<see cref="FairAdmission"/>):
    /// waiting in line up to QueueTimeout when the engine or the user's or a group's cap is full, and failing with
    /// SQLSTATE 53400, naming what blocked, when the line is full or the wait times out. Dispose the slot when the
    /// statement's result is released.
    /// </summary>
    public ValueTask<IDisposable> AdmitAsync(AdmissionClaim claim, CancellationToken cancellationToken) =>
        _admission.AdmitAsync(claim, cancellationToken);
}

/// <summary>The engines of this gateway, by name; the default one serves whatever routing does not send elsewhere.</summary>
public sealed class EngineRegistry : IAsyncDisposable
{
    /// <summary>The embedded DuckDB's name: always registered, the default unless Gateway:DefaultEngine says otherwise.</summary>
    public const string EmbeddedName = "duckdb";

    private readonly Dictionary<string, RegisteredEngine> _byName;
    private int _disposed;

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

    /// <summary>
    /// The gateway catalog an engine's own objects are named under (by the access policy and by the Trino frontend's
    /// listings): its first <c>Catalogs</c> entry; the embedded DuckDB's is <c>embedded</c>; an engine that lists none is a
    /// catalog of its own name.
    /// </summary>
    public static string CatalogOf(RegisteredEngine engine) =>
        engine.Options.Catalogs is { Count: > 0 } catalogs ? catalogs[0]
        : engine.Name.Equals(EmbeddedName, StringComparison.OrdinalIgnoreCase) ? Configuration.CatalogOptions.EmbeddedName : engine.Name;

    /// <summary>The registered engine running <paramref name="engine"/>.</summary>
    public RegisteredEngine? Of(IEngine engine) => All.FirstOrDefault(e => ReferenceEquals(e.Engine, engine));

    /// <summary>Closes every engine, once (the host closes them in order at stop; the container's own dispose then does nothing).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        foreach (var e in All) await e.Engine.DisposeAsync().ConfigureAwait(false);
    }
}
