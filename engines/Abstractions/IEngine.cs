using Gateway.Protocol.Columnar;

namespace Gateway.Engines;

/// <summary>An engine the gateway can run statements on.</summary>
public interface IEngine : IAsyncDisposable
{
    string Name { get; }
    EngineKind Kind { get; }

    /// <summary>Opens a session; its state (current database, settings) lives until it is disposed.</summary>
    ValueTask<IEngineSession> OpenSessionAsync(EngineSessionOptions options, CancellationToken cancellationToken);

    /// <summary>
    /// Checks, end to end but cheaply, that the engine can run statements now. An engine failure is a report with
    /// <see cref="EngineHealthReport.Healthy"/> false, never an exception; only a canceled
    /// <paramref name="cancellationToken"/> throws (<see cref="OperationCanceledException"/>, at once when it is
    /// canceled on entry). The caller bounds the wait with it.
    /// </summary>
    ValueTask<EngineHealthReport> CheckHealthAsync(CancellationToken cancellationToken);

    /// <summary>
    /// The name of <paramref name="database"/> as the engine spells it (Hive's <c>default</c> is the engine's default),
    /// when the engine can tell without an engine session that a session's USE of it would succeed; null when it cannot
    /// tell (then the gateway opens a session and tries). The gateway checks a session's initial database this way so an
    /// idle HiveServer2 session holds no engine session. Never says "missing": only a session's USE decides that.
    /// </summary>
    ValueTask<string?> FindDatabaseAsync(string database, CancellationToken cancellationToken) => ValueTask.FromResult<string?>(null);
}

/// <summary>Statements an engine itself says are running and waiting (all its clients', not only the gateway's), and when it said so.</summary>
public sealed record EngineLoadReport(int Running, int Queued, DateTimeOffset At);

/// <summary>
/// An engine that reads its own load (a cluster other clients also use): the gateway's router takes the larger of what it
/// counts itself and <see cref="ReportedLoad"/>. Null when the engine has not said, or said too long ago to trust.
/// </summary>
public interface IEngineLoadSource
{
    EngineLoadReport? ReportedLoad { get; }
}

/// <summary>What one health check found.</summary>
/// <param name="Healthy">The engine answered as it should.</param>
/// <param name="Detail">Short and human: "ok, 3 ms", "Cannot connect to db:5432 (Connection refused)", "timed out after 2 s".</param>
/// <param name="Latency">How long the check took.</param>
public sealed record EngineHealthReport(bool Healthy, string Detail, TimeSpan Latency)
{
    public static EngineHealthReport Ok(TimeSpan latency, string? what = null) =>
        new(true, $"ok{(string.IsNullOrEmpty(what) ? "" : $" ({what})")}, {Milliseconds(latency)}", latency);

    public static EngineHealthReport Failed(string detail, TimeSpan latency) => new(false, detail, latency);

    /// <summary>"3 ms", "0.4 ms", "1200 ms".</summary>
    public static string Milliseconds(TimeSpan t) =>
        t.TotalMilliseconds < 1 ? $"{t.TotalMilliseconds.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture)} ms"
        : $"{t.TotalMilliseconds.ToString("0", System.Globalization.CultureInfo.InvariantCulture)} ms";
}

public sealed record EngineSessionOptions(string User)
{
    /// <summary>Initial database/schema; null keeps the engine's default.</summary>
    public string? Database { get; init; }
}

public sealed record ExecuteOptions
{
    public static readonly ExecuteOptions Default = new();

    /// <summary>Maximum rows per batch the engine should produce.</summary>
    public int BatchRows { get; init; } = 10_000;

    /// <summary>
    /// When above 0, the caller's first <see cref="IQueryResult.ReadBatchAsync"/> asks for exactly this many rows right after
    /// the execute returns: an engine may read that batch as part of the execute (DuckDB does, in the same worker item, so a
    /// small query costs one thread hop instead of three). A first read of another size is served when the batch read
    /// ahead answers it exactly (the result ended within it); otherwise it is a caller bug and fails.
    /// </summary>
    public int FirstBatchRows { get; init; }

    /// <summary>
    /// Values bound to the statement's placeholders as prepared-statement parameters (never spliced into the
    /// text): all by position (<c>?</c>) or all by name (<c>:name</c>).
    /// </summary>
    public IReadOnlyList<QueryParameter> Parameters { get; init; } = [];
}

/// <summary>
/// A value for one placeholder: by 1-based <see cref="Ordinal"/> when <see cref="Name"/> is null, else by name.
/// The CLR type of <see cref="Value"/> follows <see cref="Type"/>: Boolean <see cref="bool"/>; TinyInt..BigInt
/// <see cref="long"/>; Float/Double <see cref="double"/>; Decimal the unscaled <see cref="Int128"/> (precision and
/// scale in the type); String/Varchar/Char <see cref="string"/>; Binary <see cref="byte"/>[]; Date <see cref="int"/>
/// days since 1970-01-01; Timestamp (wall clock) and TimestampTz (UTC instant) <see cref="long"/> microseconds since
/// the epoch; Interval <see cref="Gateway.Protocol.Columnar.IntervalValue"/>; null is SQL NULL.
/// </summary>
public sealed record QueryParameter(int Ordinal, string? Name, Gateway.Protocol.Columnar.SqlType Type, object? Value);

/// <summary>One engine-side session. Not thread-safe: the gateway serialises statements per session.</summary>
public interface IEngineSession : IAsyncDisposable
{
    /// <summary>The database/schema unqualified names resolve against.</summary>
    string CurrentDatabase { get; }

    /// <summary>
    /// Starts a statement and returns once its schema is known. Rows are produced only as
    /// <see cref="IQueryResult.ReadBatchAsync"/> is called. Errors throw <see cref="EngineException"/>.
    /// </summary>
    ValueTask<IQueryResult> ExecuteAsync(string sql, ExecuteOptions options, CancellationToken cancellationToken);

    /// <summary>Interrupts whatever runs on this session now; safe to call from any thread.</summary>
    void Interrupt();

    IEngineMetadata Metadata { get; }

    /// <summary>
    /// A cheap liveness check before an idle session is reused: false when the session can no longer run
    /// statements (its connection broke, the remote forgot it, it was disposed). Never disturbs an open result.
    /// Throws only <see cref="OperationCanceledException"/>.
    /// </summary>
    ValueTask<bool> ValidateAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Makes <paramref name="database"/> the current database, as Hive's <c>USE</c> would (Hive's <c>default</c> is the
    /// engine's default database or schema). When the engine has no such database it throws a non-retryable
    /// <see cref="EngineException"/> and the session stays where it was; a connection failure is retryable. Like a
    /// statement, it ends the session's open result.
    /// </summary>
    ValueTask UseDatabaseAsync(string database, CancellationToken cancellationToken);
}

/// <summary>A pull-based result: schema first, then batches only as they are asked for.</summary>
public interface IQueryResult : IAsyncDisposable
{
    ResultSchema Schema { get; }

    /// <summary>True when the statement returns rows (a query), false for DDL/DML.</summary>
    bool HasRows { get; }

    /// <summary>Rows changed by DML, when the engine reports it.</summary>
    long? AffectedRows { get; }

    /// <summary>Next batch of at most <paramref name="maxRows"/> rows, or null at the end. The caller disposes batches.</summary>
    ValueTask<ColumnBatch?> ReadBatchAsync(int maxRows, CancellationToken cancellationToken);

    /// <summary>Fraction done (0..1) when the engine reports it.</summary>
    double? Progress { get; }
}

/// <summary>A statement failure reported by an engine.</summary>
public sealed class EngineException : Exception
{
    public EngineException(string message, string sqlState = "HY000", int errorCode = 0, bool retryable = false, Exception? inner = null)
        : base(message, inner)
    {
        SqlState = sqlState;
        ErrorCode = errorCode;
        Retryable = retryable;
    }

    public EngineException() : this("Engine error.") { }
    public EngineException(string message) : this(message, "HY000") { }
    public EngineException(string message, Exception inner) : this(message, "HY000", 0, false, inner) { }

    public string SqlState { get; }
    public int ErrorCode { get; }
    public bool Retryable { get; }
    public bool Canceled => SqlState == "HY008";
}
