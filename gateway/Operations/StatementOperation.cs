using System.Diagnostics;
using Gateway.Engines;
using Gateway.Protocol.Columnar;
using Gateway.Server.Engines;
using Gateway.Server.Sessions;

namespace Gateway.Server.Operations;

/// <summary>
/// A statement running on an engine session. Execution happens in the background; the operation is
/// FINISHED once the first batch is ready, and the rest of the result streams from the engine only
/// as the client fetches: besides the first batch (kept for FETCH_FIRST), at most one batch is read ahead of the client.
/// </summary>
public sealed class StatementOperation : Operation
{
    private readonly string _sql;
    private readonly ExecuteOptions _options;
    private readonly int _prefetchRows;
    private readonly long? _rowLimit;
    private RegisteredEngine _engine;
    private readonly string _routing;
    private readonly FailoverPlan _failover;
    private IDisposable? _slot;
    private readonly CancellationTokenSource _cts = new();
    private readonly SemaphoreSlim _fetchGate = new(1, 1);
    private readonly Lock _leaseGate = new();
    private Task? _execution;
    private EngineLease? _lease;
    private IQueryResult? _result;
    private ResultSchema _schema = ResultSchema.Empty;
    private bool _hasRows;
    private readonly bool _predictedRows;
    private long? _affectedRows;
    private ColumnBatch? _first;
    private int _firstCursor;
    private bool _beyondFirst;
    private bool _exhausted;
    private long _rowOffset;
    // Rows read from the engine so far (the row limit counts these; FETCH_FIRST does not rewind them).
    private long _engineRows;
    // The next batch, read while the client handles the last one; never more than one.
    private Task<EngineRead>? _ahead;
    // A read-ahead batch larger than the fetch that took it, handed out in slices.
    private ColumnBatch? _pending;
    private int _pendingCursor;
    private volatile bool _timedOut;
    private volatile bool _canceled;
    // When the client last fetched (or the result became ready); a result unread past Limits:UnreadResultTimeout is spooled.
    private long _lastReadTicks;
    private int _reclaiming;

    /// <param name="rowLimit">At most this many rows reach the client (Spark's resultRowLimit); the engine stops there.</param>
    /// <param name="engine">Where the statement runs (admission, engine session); <paramref name="routing"/> says why, for the operation log.</param>
    /// <param name="failover">Engines to try next if <paramref name="engine"/> fails before returning anything.</param>
    public StatementOperation(Hs2Session session, TimeProvider time, string sql, ExecuteOptions options, int prefetchRows, RegisteredEngine engine,
        string routing = "default engine", long? rowLimit = null, FailoverPlan? failover = null)
        : base(session, OperationType.ExecuteStatement, time)
    {
        ArgumentNullException.ThrowIfNull(engine);
        _engine = engine;
        _routing = routing;
        _failover = failover ?? FailoverPlan.None;
        _sql = sql;
        _options = options;
        _rowLimit = rowLimit is > 0 ? rowLimit : null;
        _prefetchRows = _rowLimit is { } limit ? (int)Math.Min(prefetchRows, limit) : prefetchRows;
        _predictedRows = Hive.ResultPrediction.ReturnsRows(sql);
    }

    /// <summary>
    /// The engine's answer once it returned a result; the prediction from the statement text before, and after a
    /// failure: a query that failed still had a result set to its client (the Databricks connector, told false, skips
    /// the status that carries the error and fetches from the closed handle instead).
    /// </summary>
    public override bool HasResultSet => Volatile.Read(ref _answered) ? _hasRows : _predictedRows;

    private bool _answered;
    public override ResultSchema Schema => _schema;
    public override long? AffectedRows => _affectedRows;
    public override string Statement => _sql;
    public override double? Progress => State == OperationState.Finished ? 1.0 : _result?.Progress;
    public Task Execution => _execution ?? Task.CompletedTask;
    public override Task Completion => Execution;

    /// <summary>The engine the statement runs on (after a failover, the one that took it).</summary>
    public RegisteredEngine Engine => Volatile.Read(ref _engine);

    /// <summary>Starts the statement; a synchronous caller waits until the first batch (or the error).</summary>
    public async ValueTask StartAsync(bool runAsync, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        TryMove(OperationState.Pending);
        var timer = timeout is { } t && t > TimeSpan.Zero ? Time.CreateTimer(_ => OnTimeout(), null, t, Timeout.InfiniteTimeSpan) : null;
        // Runs on the caller's thread up to the first wait (admission, the engine session, the engine's own work:
        // every engine adapter hands blocking work to its own threads or to asynchronous I/O), so a statement starts
        // without a thread-pool hop; the execute call answers as soon as the statement waits.
        _execution = RunUntilDoneAsync(timer);
        if (!runAsync) await _execution.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task RunUntilDoneAsync(ITimer? timer)
    {
        try
        {
            await RunAsync().ConfigureAwait(false);
        }
        finally
        {
            // The query timeout bounds execution, not how long the client takes to read the result.
            if (timer is not null) await timer.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task RunAsync()
    {
        var ct = _cts.Token;
        var watch = Stopwatch.StartNew();
        var tried = new List<RegisteredEngine>();
        var engine = _engine;
        var retriedStale = false;
        while (true)
        {
            if (!tried.Contains(engine)) tried.Add(engine);
            // Whether the statement may have reached the engine: after that, only statements safe to repeat fail over.
            var sent = false;
            // Whether the engine session had served before: a connection that died while it waited (a restarted engine).
            var stale = false;
            try
            {
                var slot = await engine.AdmitAsync(AdmissionClaim.For(Session.Info), ct).ConfigureAwait(false);
                lock (_leaseGate) _slot = slot;
                var lease = await Session.AcquireEngineSessionAsync(engine.Engine, ct).ConfigureAwait(false);
                lock (_leaseGate) _lease = lease;
                stale = lease.Pooled.Statements > 0;
                if (State != OperationState.Running && !TryMove(OperationState.Running))
                {
                    await ReleaseEngineAsync().ConfigureAwait(false);
                    return;
                }
                Log(tried.Count == 1
                    ? $"Running on engine '{engine.Name}' ({_routing}; {(lease.IsPrimary ? "session connection" : "secondary connection")})."
                    : $"Running on engine '{engine.Name}' (failover #{tried.Count - 1}; {(lease.IsPrimary ? "session connection" : "secondary connection")}).");
                sent = true;
                using (ct.Register(InterruptEngine))
                {
                    _result = await lease.Session.ExecuteAsync(_sql, _options, ct).ConfigureAwait(false);
                    _schema = _result.Schema;
                    _hasRows = _result.HasRows;
                    Volatile.Write(ref _answered, true);
                    _affectedRows = _result.AffectedRows;
                    if (_hasRows)
                    {
                        _first = await _result.ReadBatchAsync(_prefetchRows, ct).ConfigureAwait(false);
                        _engineRows = _first?.RowCount ?? 0;
                        if (_first is null || _first.RowCount < _prefetchRows || _first.RowCount >= _rowLimit) _exhausted = true;
                    }
                    else
                    {
                        _exhausted = true;
                    }
                }
                break;
            }
            catch (Exception ex)
            {
                await ReleaseEngineAsync().ConfigureAwait(false);
                if (stale && !retriedStale && ex is EngineException staleFailure && EngineHealth.IsConnectionFailure(staleFailure) && CanRetry(sent) && engine.Healthy)
                {
                    // The session's connection died while it waited; the engine may be fine. The lost session is gone
                    // from the HS2 session now, so this takes a new one.
                    retriedStale = true;
                    Log($"Engine '{engine.Name}' lost the session's connection ({staleFailure.SqlState}: {staleFailure.Message}); retrying on a new one.");
                    continue;
                }
                if (NextEngine(ex, sent, tried) is not { } next)
                {
                    OnFailure(ex);
                    return;
                }
                if (ex is EngineException lost) engine.ReportFailure(lost.Message);
                var why = ex is EngineException ee ? $"{ee.SqlState}: {ee.Message}" : ex.Message;
                Log($"Engine '{engine.Name}' failed before returning any row ({why}); failing over to '{next.Name}'.");
                _failover.OnFailover?.Invoke(engine, next, ex);
                Volatile.Write(ref _engine, next);
                engine = next;
            }
        }
        try
        {
            if (_exhausted) await ReleaseEngineAsync().ConfigureAwait(false);
            Interlocked.Exchange(ref _lastReadTicks, Time.GetUtcNow().UtcTicks);
            if (TryMove(OperationState.Finished))
            {
                Log(_hasRows
                    ? $"Result ready after {watch.ElapsedMilliseconds} ms; rows stream as they are fetched."
                    : $"Finished in {watch.ElapsedMilliseconds} ms{(_affectedRows is { } n ? $", {n} rows affected" : "")}.");
            }
            else
            {
                await ReleaseEngineAsync().ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            await ReleaseEngineAsync().ConfigureAwait(false);
            OnFailure(ex);
        }
    }

    /// <summary>
    /// The engine to try after <paramref name="failure"/>, or null to fail the statement: only for a retryable engine
    /// error or a saturated engine, never after cancel or timeout, and after the statement was sent only when it is safe
    /// to run twice; the next healthy engine of the plan not tried yet.
    /// </summary>
    private RegisteredEngine? NextEngine(Exception failure, bool sent, List<RegisteredEngine> tried)
    {
        if (_canceled || _timedOut || _cts.IsCancellationRequested) return null;
        // A lost or refused connection, or a full engine; not a retryable conflict of the statement itself (class 40).
        var retryable = (failure is EngineException e && EngineHealth.IsConnectionFailure(e)) || failure is GatewayException { SqlState: "53400" };
        if (!retryable || !CanRetry(sent) || tried.Count > _failover.MaxAttempts) return null;
        return _failover.Engines.FirstOrDefault(e => e.Healthy && !tried.Contains(e));
    }

    /// <summary>Whether running the statement again is safe: it never reached an engine, or it is a read (or writes may repeat).</summary>
    private bool CanRetry(bool sent) => !_canceled && !_timedOut && !_cts.IsCancellationRequested && (!sent || _failover.AfterSend);

    private void OnFailure(Exception ex)
    {
        // A lost connection says something about the engine: its health counts it and probes it early.
        if (!_timedOut && !_canceled && ex is EngineException lost && EngineHealth.IsConnectionFailure(lost)) _engine.ReportFailure(lost.Message);
        if (_timedOut)
        {
            Fail("The statement exceeded its query timeout and was interrupted.", "HYT00", 0, OperationState.TimedOut);
        }
        else if (_canceled || ex is OperationCanceledException || ex is EngineException { Canceled: true })
        {
            Fail(CanceledMessage, "HY008", 0, OperationState.Canceled);
        }
        else if (ex is EngineException ee)
        {
            if (ee.SqlState == "42501") Session.LogRefused(_engine.Name, ee.SqlState, ee.Message);
            Fail(ee.Message, ee.SqlState, ee.ErrorCode);
        }
        else if (ex is GatewayException ge)
        {
            // The gateway's own refusals (a saturated engine) keep their SQLSTATE.
            Fail(ge.Message, ge.SqlState, ge.ErrorCode);
        }
        else if (ex is ObjectDisposedException)
        {
            Fail("The session was closed.", "HY000", 0);
        }
        else
        {
            // Not the exception's text: it may name internals. The log has it, under the reference the client sees.
            var reference = Hive.StatusMapper.InternalReference();
            Session.LogFault(reference, ex);
            Fail(Hive.StatusMapper.InternalMessage(reference), "HY000", 0);
        }
    }

    private void OnTimeout()
    {
        if (!TryEnd(OperationState.TimedOut, "The statement exceeded its query timeout and was interrupted.", "HYT00", "Query timeout reached; interrupting the engine.")) return;
        _timedOut = true;
        _cts.Cancel();
        InterruptEngine();
    }

    public override void Cancel()
    {
        _canceled = true;
        TryEnd(OperationState.Canceled, CanceledMessage, "HY008", "Canceled by the client.");
        if (!_cts.IsCancellationRequested) _cts.Cancel();
        InterruptEngine();
    }

    private void InterruptEngine()
    {
        lock (_leaseGate) _lease?.Session.Interrupt();
    }

    public override async ValueTask<FetchResult> FetchAsync(FetchOrientation orientation, int maxRows, CancellationToken cancellationToken)
    {
        if (_execution is { IsCompleted: false } running) await running.WaitAsync(cancellationToken).ConfigureAwait(false);
        await _fetchGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Touch();
            Interlocked.Exchange(ref _lastReadTicks, Time.GetUtcNow().UtcTicks);
            ThrowIfNotFetchable();
            if (!_hasRows) return FetchResult.Whole(EmptyBatch(), true, false, 0);
            if (orientation == FetchOrientation.First)
            {
                if (_beyondFirst)
                {
                    throw new GatewayException($"FETCH_FIRST is only possible within the first {_prefetchRows} rows of a streamed result; re-run the statement to read it again.", "HY106");
                }
                _firstCursor = 0;
                _rowOffset = 0;
            }
            else if (orientation != FetchOrientation.Next)
            {
                throw new GatewayException($"Fetch orientation {orientation} is not supported; use NEXT or FIRST.", "HY106");
            }

            if (_first is { } first && _firstCursor < first.RowCount)
            {
                var start = _firstCursor;
                var n = Math.Min(maxRows, first.RowCount - start);
                _firstCursor += n;
                _rowOffset += n;
                // The client is about to read past the first batch: fetch the next one while this reply is written.
                if (_firstCursor == first.RowCount) StartReadAhead(maxRows);
                var more = _firstCursor < first.RowCount || !_exhausted;
                // The first batch stays retained (FETCH_FIRST rereads it): hand out a view of it.
                return new FetchResult(first, false, more, start, start, n);
            }

            if (_pending is null)
            {
                var read = default(EngineRead);
                Exception? failure = null;
                if (_ahead is { } ahead)
                {
                    await ((Task)ahead).WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                    // A canceled wait leaves the read-ahead in place for the next fetch.
                    if (!ahead.IsCompleted) cancellationToken.ThrowIfCancellationRequested();
                    _ahead = null;
                    if (ahead.IsCompletedSuccessfully) read = ahead.Result;
                    else failure = ahead.Exception?.InnerException ?? new OperationCanceledException(_cts.Token);
                }
                else if (_exhausted || _result is not { } result)
                {
                    return FetchResult.Whole(EmptyBatch(), true, false, _rowOffset);
                }
                else
                {
                    try
                    {
                        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _cts.Token);
                        var rows = RowsToRead(maxRows);
                        read = await ReadFromEngineAsync(result, rows, LastByLimit(rows), linked.Token).ConfigureAwait(false);
                    }
                    catch (Exception ex)
                    {
                        failure = ex;
                    }
                }
                if (failure is not null)
                {
                    await ReleaseEngineAsync().ConfigureAwait(false);
                    OnFailure(failure);
                    throw new GatewayException(ErrorMessage ?? failure.Message, ErrorSqlState, ErrorCode);
                }
                var batch = Consume(read);
                _beyondFirst = true;
                if (batch is null) return FetchResult.Whole(EmptyBatch(), true, false, _rowOffset);
                if (batch.RowCount <= maxRows)
                {
                    var offset = _rowOffset;
                    _rowOffset += batch.RowCount;
                    StartReadAhead(maxRows);
                    return FetchResult.Whole(batch, true, !_exhausted, offset);
                }
                // Read ahead for a larger fetch than this one: handed out in slices.
                _pending = batch;
                _pendingCursor = 0;
            }

            var pending = _pending;
            var from = _pendingCursor;
            var count = Math.Min(maxRows, pending.RowCount - from);
            _pendingCursor += count;
            var startRow = _rowOffset;
            _rowOffset += count;
            var owned = false;
            if (_pendingCursor == pending.RowCount)
            {
                // Earlier slices of it may still be in replies being written (HTTP fetches can overlap): it goes when they are.
                _pending = null;
                owned = !DisposeWhenUnpinned(pending);
                StartReadAhead(maxRows);
            }
            return new FetchResult(pending, owned, _pending is not null || !_exhausted, startRow, from, count);
        }
        finally
        {
            _fetchGate.Release();
        }
    }

    /// <summary>The outcome of one engine read: the batch, and whether the engine has nothing after it (it is then released).</summary>
    private readonly record struct EngineRead(ColumnBatch? Batch, bool Exhausted);

    private ColumnBatch? Consume(EngineRead read)
    {
        if (read.Batch is { } b) _engineRows += b.RowCount;
        if (read.Exhausted) _exhausted = true;
        return read.Batch;
    }

    /// <summary>Rows the next engine read asks for: the fetch size, capped by what the row limit leaves.</summary>
    private int RowsToRead(int maxRows) => _rowLimit is { } limit ? (int)Math.Clamp(limit - _engineRows, 0, maxRows) : maxRows;

    private bool LastByLimit(int rows) => _rowLimit is { } limit && limit - _engineRows <= rows;

    /// <summary>
    /// Starts reading the next batch (sized like the fetch that just returned) while the reply is encoded and the client
    /// reads it, so engine and protocol work overlap. At most one batch is ever read ahead; it is released on close and
    /// its failure is the next fetch's.
    /// </summary>
    private void StartReadAhead(int maxRows)
    {
        if (_exhausted || _ahead is not null || _pending is not null || _result is not { } result) return;
        var rows = RowsToRead(maxRows);
        if (rows <= 0) return;
        var ct = _cts.Token;
        var last = LastByLimit(rows);
        _ahead = Task.Run(() => ReadFromEngineAsync(result, rows, last, ct).AsTask(), CancellationToken.None);
    }

    /// <param name="lastByLimit">The row limit ends the result with this read.</param>
    private async ValueTask<EngineRead> ReadFromEngineAsync(IQueryResult result, int rows, bool lastByLimit, CancellationToken cancellationToken)
    {
        ColumnBatch? batch;
        try
        {
            if (rows <= 0)
            {
                batch = null;
            }
            else
            {
                using (cancellationToken.Register(InterruptEngine))
                {
                    batch = await result.ReadBatchAsync(rows, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch
        {
            // Not waiting for the client's next fetch to give back the engine session and admission slot.
            await ReleaseEngineAsync().ConfigureAwait(false);
            throw;
        }
        var exhausted = batch is null || batch.RowCount < rows || lastByLimit;
        if (exhausted) await ReleaseEngineAsync().ConfigureAwait(false);
        return new EngineRead(batch, exhausted);
    }

    /// <summary>
    /// Since when the result holds an engine slot unread: a finished statement whose rows still stream from the engine
    /// and that no fetch has touched since; null when it holds no engine (done, spooled, failed) or is being reclaimed.
    /// </summary>
    public DateTimeOffset? UnreadSince
    {
        get
        {
            if (State != OperationState.Finished || Volatile.Read(ref _reclaiming) != 0) return null;
            lock (_leaseGate)
            {
                if (_slot is null) return null;
            }
            return new DateTimeOffset(Interlocked.Read(ref _lastReadTicks), TimeSpan.Zero);
        }
    }

    /// <summary>
    /// Gives the engine back from a result nobody reads: the rest of it goes to <paramref name="store"/> and later fetches
    /// read it from there, in whatever format the client asks. Past the spool's budgets the statement is canceled
    /// instead, and the next fetch says why (SQLSTATE 57014). Returns what happened, for the log; null when there was
    /// nothing to reclaim (the client fetched meanwhile, or the result ended).
    /// </summary>
    public async Task<string?> ReclaimAsync(SpoolStore store, TimeSpan unreadFor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (Interlocked.Exchange(ref _reclaiming, 1) != 0) return null;
        try
        {
            await _fetchGate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                var engine = _engine;
                if (State != OperationState.Finished || _exhausted || _result is not { } source || _result is ResultSpool) return null;
                var idle = Time.GetUtcNow() - new DateTimeOffset(Interlocked.Read(ref _lastReadTicks), TimeSpan.Zero);
                if (idle < unreadFor) return null;
                if (_ahead is { } ahead)
                {
                    // The batch read ahead for the next fetch stays that fetch's; the spool takes what follows it.
                    await ((Task)ahead).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                    if (!ahead.IsCompletedSuccessfully || ahead.Result.Exhausted) return null;
                }
                var aheadRows = _ahead is { IsCompletedSuccessfully: true } a ? a.Result.Batch?.RowCount ?? 0 : 0;
                long? left = _rowLimit is { } limit ? Math.Max(0, limit - _engineRows - aheadRows) : null;
                var watch = Stopwatch.StartNew();
                ResultSpool spool;
                try
                {
                    using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _cts.Token);
                    using (linked.Token.Register(InterruptEngine))
                    {
                        spool = await ResultSpool.WriteAsync(store, source, _schema, left, Math.Max(_prefetchRows, 1), linked.Token).ConfigureAwait(false);
                    }
                }
                catch (SpoolFullException full)
                {
                    await ReleaseEngineAsync().ConfigureAwait(false);
                    var why = $"The result was not read for {Seconds(idle)} and {full.Message}; the statement was canceled to give engine " +
                        $"'{engine.Name}' back. Run it again and read it as it arrives.";
                    if (TryEnd(OperationState.Error, why, "57014", why)) return $"canceled: {full.Message}";
                    return null;
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !_cts.IsCancellationRequested)
                {
                    if (ex is IOException io)
                    {
                        await ReleaseEngineAsync().ConfigureAwait(false);
                        var why = $"The result was not read for {Seconds(idle)} and could not be spooled ({io.Message}); the statement was " +
                            $"canceled to give engine '{engine.Name}' back.";
                        TryEnd(OperationState.Error, why, "57014", why);
                        return $"canceled: the spool failed ({io.Message})";
                    }
                    // The engine failed while the rest was read: the client gets that failure on its next fetch, as it would have.
                    await ReleaseEngineAsync().ConfigureAwait(false);
                    OnFailure(ex);
                    return $"failed while spooling: {ex.Message}";
                }
                // The engine's part ends here; the spool stands in for its result.
                Interlocked.Exchange(ref _result, spool);
                await ReleaseEngineAsync(keepResult: true, engineResult: source).ConfigureAwait(false);
                Log($"The result was not read for {Seconds(idle)}: its remaining {spool.Rows} rows ({spool.Bytes >> 10} KiB) were spooled in " +
                    $"{watch.ElapsedMilliseconds} ms and engine '{engine.Name}' given back.");
                return $"spooled {spool.Rows} rows ({spool.Bytes >> 10} KiB) in {watch.ElapsedMilliseconds} ms";
            }
            finally
            {
                _fetchGate.Release();
            }
        }
        finally
        {
            Volatile.Write(ref _reclaiming, 0);
        }
    }

    private static string Seconds(TimeSpan t) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{t.TotalSeconds:0} s");

    private void ThrowIfNotFetchable()
    {
        switch (State)
        {
            case OperationState.Finished: return;
            case OperationState.Error: throw new GatewayException(ErrorMessage ?? "The statement failed.", ErrorSqlState, ErrorCode);
            case OperationState.Canceled: throw new GatewayException(ErrorMessage ?? CanceledMessage, "HY008");
            case OperationState.TimedOut: throw new GatewayException(ErrorMessage ?? "The operation timed out.", "HYT00");
            case OperationState.Closed: throw GatewayException.Invalid("operation");
            default: throw new GatewayException($"The operation is {State}; fetch when it is FINISHED.", "HY010");
        }
    }

    private ColumnBatch EmptyBatch() => new BatchBuilder(_schema).Build();

    /// <param name="keepResult">The result stays (a spool that replaced the engine's); <paramref name="engineResult"/> is the engine's to dispose.</param>
    private async ValueTask ReleaseEngineAsync(bool keepResult = false, IQueryResult? engineResult = null)
    {
        var result = keepResult ? engineResult : Interlocked.Exchange(ref _result, null);
        if (result is not null)
        {
            try { await result.DisposeAsync().ConfigureAwait(false); }
            catch (EngineException) { /* a result that failed still frees its native state */ }
        }
        EngineLease? lease;
        IDisposable? slot;
        lock (_leaseGate)
        {
            lease = _lease;
            _lease = null;
            slot = _slot;
            _slot = null;
        }
        if (lease is not null) await lease.DisposeAsync().ConfigureAwait(false);
        slot?.Dispose();
    }

    protected override async ValueTask ReleaseAsync()
    {
        if (!_cts.IsCancellationRequested) _cts.Cancel();
        InterruptEngine();
        if (_execution is { } run)
        {
            try { await run.ConfigureAwait(false); }
            catch (Exception) { /* the failure is already the operation's state */ }
        }
        await _fetchGate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            if (Interlocked.Exchange(ref _ahead, null) is { } ahead)
            {
                // Interrupted above; its batch (if it got one) has no reader.
                try { (await ahead.ConfigureAwait(false)).Batch?.Dispose(); }
                catch (Exception) { /* a read cut short by the close */ }
            }
            _pending?.Dispose();
            _pending = null;
            await ReleaseEngineAsync().ConfigureAwait(false);
            _first?.Dispose();
            _first = null;
        }
        finally
        {
            _fetchGate.Release();
        }
        _cts.Dispose();
    }
}

/// <summary>
/// Where a statement goes if its engine fails before returning anything: <see cref="Engines"/> in order (unhealthy ones
/// skipped), at most <see cref="MaxAttempts"/> of them; after the statement may have reached an engine only when
/// <see cref="AfterSend"/> (a read, or writes allowed to repeat). <see cref="AfterSend"/> also allows one retry on the
/// same engine when the session's connection turns out to have died while it waited.
/// </summary>
public sealed record FailoverPlan(IReadOnlyList<RegisteredEngine> Engines, int MaxAttempts, bool AfterSend)
{
    public static FailoverPlan None { get; } = new([], 0, false);

    /// <summary>Called for each failover (from, to, failure): metrics.</summary>
    public Action<RegisteredEngine, RegisteredEngine, Exception>? OnFailover { get; init; }
}
