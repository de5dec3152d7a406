using Gateway.Protocol.Columnar;
using Gateway.Server.Sessions;

namespace Gateway.Server.Operations;

/// <summary>
/// What one FetchResults call returns: rows <see cref="Offset"/>..+<see cref="Count"/> of <see cref="Batch"/>
/// (a view, never a copy). The caller disposes the batch when <see cref="Owned"/>.
/// </summary>
public sealed record FetchResult(ColumnBatch Batch, bool Owned, bool HasMoreRows, long StartRowOffset, int Offset, int Count)
{
    /// <summary>A whole batch.</summary>
    public static FetchResult Whole(ColumnBatch batch, bool owned, bool hasMoreRows, long startRowOffset) =>
        new(batch, owned, hasMoreRows, startRowOffset, 0, batch.RowCount);
}

public enum FetchOrientation
{
    Next = 0,
    Prior = 1,
    Relative = 2,
    Absolute = 3,
    First = 4,
    Last = 5,
}

/// <summary>
/// An operation of a session: an explicit state machine plus its result. Transitions go through
/// <see cref="TryMove"/>; terminal states free what the operation holds.
/// </summary>
public abstract class Operation : IAsyncDisposable
{
    private readonly Lock _gate = new();
    // Lines with their time; formatted only when a client fetches the log (most never do).
    private readonly List<(DateTimeOffset At, string Line)> _log = [];
    private int _logCursor;
    private OperationState _state = OperationState.Initialized;
    private long _lastAccessTicks;

    protected Operation(Hs2Session session, OperationType type, TimeProvider time)
    {
        Session = session;
        Type = type;
        Time = time;
        Handle = HandleId.New();
        Created = time.GetUtcNow();
        Touch();
    }

    public HandleId Handle { get; }
    public Hs2Session Session { get; }
    public OperationType Type { get; }
    protected TimeProvider Time { get; }
    public DateTimeOffset Created { get; }
    public DateTimeOffset? Started { get; protected set; }
    public DateTimeOffset? Completed { get; protected set; }

    public OperationState State
    {
        get { lock (_gate) return _state; }
    }

    public string? ErrorMessage { get; private set; }
    public string ErrorSqlState { get; private set; } = "HY000";
    public int ErrorCode { get; private set; }

    public abstract bool HasResultSet { get; }
    public virtual ResultSchema Schema => ResultSchema.Empty;
    public virtual double? Progress => State == OperationState.Finished ? 1.0 : null;
    public virtual long? AffectedRows => null;
    public virtual string? Statement => null;

    /// <summary>Completes when the result (or the failure) is known; already complete for materialized results.</summary>
    public virtual Task Completion => Task.CompletedTask;

    /// <summary>How FetchResults encodes this operation's rows (chosen by the request that created it).</summary>
    public ResultFormat Format { get; set; } = ResultFormat.ThriftColumns;

    public DateTimeOffset LastAccess => new(Interlocked.Read(ref _lastAccessTicks), TimeSpan.Zero);

    public void Touch() => Interlocked.Exchange(ref _lastAccessTicks, Time.GetUtcNow().UtcTicks);

    /// <summary>Moves to <paramref name="to"/> if the table allows it; returns false when it does not.</summary>
    public bool TryMove(OperationState to)
    {
        lock (_gate)
        {
            if (!OperationStateMachine.CanMove(_state, to)) return false;
            _state = to;
        }
        if (to == OperationState.Running) Started ??= Time.GetUtcNow();
        if (OperationStateMachine.IsTerminal(to) && to != OperationState.Closed) Completed ??= Time.GetUtcNow();
        return true;
    }

    protected void Fail(string message, string sqlState, int errorCode, OperationState state = OperationState.Error)
    {
        ErrorMessage = message;
        ErrorSqlState = sqlState;
        ErrorCode = errorCode;
        if (TryMove(state)) Log($"{state}: {message}");
    }

    /// <summary>
    /// Moves to a terminal failure state and records why in one step, or does nothing when the table forbids the move:
    /// a cancel that arrives after an error keeps the error, and a cancel of a finished, streaming result reads as a
    /// cancel (message and SQLSTATE) in every later call.
    /// </summary>
    protected bool TryEnd(OperationState to, string message, string sqlState, string logLine)
    {
        lock (_gate)
        {
            if (!OperationStateMachine.CanMove(_state, to)) return false;
            ErrorMessage = message;
            ErrorSqlState = sqlState;
            ErrorCode = 0;
            _state = to;
        }
        Completed ??= Time.GetUtcNow();
        Log(logLine);
        return true;
    }

    public const string CanceledMessage = "The statement was canceled.";

    public void Log(string line)
    {
        var at = Time.GetUtcNow();
        lock (_log) _log.Add((at, line));
    }

    /// <summary>Log lines not yet fetched (or all of them again on FETCH_FIRST).</summary>
    public IReadOnlyList<string> TakeLog(bool fromStart, int max)
    {
        lock (_log)
        {
            if (fromStart) _logCursor = 0;
            var n = Math.Min(max, _log.Count - _logCursor);
            var lines = new string[n];
            for (var i = 0; i < n; i++)
            {
                var (at, line) = _log[_logCursor + i];
                lines[i] = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{at:yyyy-MM-dd HH:mm:ss.fff} {line}");
            }
            _logCursor += n;
            return lines;
        }
    }

    public abstract ValueTask<FetchResult> FetchAsync(FetchOrientation orientation, int maxRows, CancellationToken cancellationToken);

    public abstract void Cancel();

    private int _pins;
    private TaskCompletionSource? _unpinned;

    /// <summary>
    /// Keeps the result's buffers alive while a reply that references them is written (HTTP requests of one
    /// user may fetch and close the same operation concurrently). False once the operation is closed.
    /// </summary>
    public bool TryPin()
    {
        lock (_gate)
        {
            if (_state == OperationState.Closed) return false;
            _pins++;
            return true;
        }
    }

    public void Unpin()
    {
        TaskCompletionSource? done = null;
        List<IDisposable>? retired = null;
        lock (_gate)
        {
            if (--_pins == 0)
            {
                done = _unpinned;
                retired = _retired;
                _retired = null;
            }
        }
        if (retired is not null)
        {
            foreach (var r in retired) r.Dispose();
        }
        done?.TrySetResult();
    }

    private List<IDisposable>? _retired;

    /// <summary>
    /// Disposes <paramref name="resource"/> once no reply references the operation's buffers (the last pin goes).
    /// False when nothing is pinned: the caller still owns it and hands it to the reply it is building.
    /// </summary>
    protected bool DisposeWhenUnpinned(IDisposable resource)
    {
        lock (_gate)
        {
            if (_pins == 0) return false;
            (_retired ??= []).Add(resource);
            return true;
        }
    }

    /// <summary>Frees the result and engine resources once no reply references them; the operation ends CLOSED.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!OperationStateMachine.IsTerminal(State))
        {
            Cancel();
        }
        TryMove(OperationState.Closed);
        Task? pinned = null;
        lock (_gate)
        {
            if (_pins > 0) pinned = (_unpinned ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }
        if (pinned is not null) await pinned.ConfigureAwait(false);
        await ReleaseAsync().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }

    protected abstract ValueTask ReleaseAsync();
}

/// <summary>An operation whose whole (small) result is computed up front: metadata calls, SET, EXPLAIN.</summary>
public sealed class MaterializedOperation : Operation
{
    private readonly ColumnBatch _batch;
    private readonly bool _hasResultSet;
    private int _cursor;

    public MaterializedOperation(Hs2Session session, OperationType type, TimeProvider time, ColumnBatch batch, bool hasResultSet = true)
        : base(session, type, time)
    {
        _batch = batch;
        _hasResultSet = hasResultSet;
        TryMove(OperationState.Running);
        TryMove(OperationState.Finished);
    }

    public override bool HasResultSet => _hasResultSet;
    public override ResultSchema Schema => _batch.Schema;

    public override ValueTask<FetchResult> FetchAsync(FetchOrientation orientation, int maxRows, CancellationToken cancellationToken)
    {
        Touch();
        if (orientation == FetchOrientation.First) _cursor = 0;
        var start = _cursor;
        var n = Math.Min(maxRows, _batch.RowCount - start);
        _cursor += n;
        var hasMore = _cursor < _batch.RowCount;
        return ValueTask.FromResult(new FetchResult(_batch, false, hasMore, start, start, n));
    }

    // Its result is already complete: there is nothing to interrupt.
    public override void Cancel() { }

    protected override ValueTask ReleaseAsync()
    {
        _batch.Dispose();
        return ValueTask.CompletedTask;
    }
}
