using Gateway.Protocol.Columnar;
using Gateway.Protocol.Hive;

namespace Gateway.Engines.HiveServer2;

/// <summary>
/// A remote result set read as the caller asks: each <see cref="ReadBatchAsync"/> issues FetchResults for the rows
/// still missing until it holds maxRows rows or the remote has no more, so only a short batch means the end.
/// Rows of a fetch beyond maxRows (direct results carry a first batch of their own size) wait for the next call.
/// The remote operation is closed as soon as the rows are exhausted, or on dispose.
/// </summary>
public sealed class HiveServer2QueryResult : IQueryResult
{
    private readonly HiveServer2Session? _session;
    private readonly RemoteOperation? _op;
    private readonly StatementState? _state;
    private TFetchResultsResp? _direct;
    private ColumnBatch? _pending;
    private int _pendingOffset;
    private bool _remoteExhausted;
    private bool _finished;
    private EngineException? _failure;
    private readonly double? _progress;
    // Reads and disposal take turns; disposal first abandons a fetch in flight so it never waits on the remote.
    private readonly SemaphoreSlim _turn = new(1, 1);
    private readonly CancellationTokenSource _closing = new();
    private int _disposed;

    private readonly HiveArrowResult? _arrow;

    internal HiveServer2QueryResult(HiveServer2Session session, RemoteOperation op, StatementState state, ResultSchema schema, double? progress, TFetchResultsResp? direct,
        HiveArrowResult? arrow = null)
    {
        _arrow = arrow;
        _session = session;
        _op = op;
        _state = state;
        _direct = direct;
        _progress = progress;
        Schema = schema;
        HasRows = true;
    }

    private HiveServer2QueryResult(long? affectedRows)
    {
        Schema = ResultSchema.Empty;
        AffectedRows = affectedRows;
        _finished = true;
    }

    internal static HiveServer2QueryResult NoRows(long? affectedRows) => new(affectedRows);

    public ResultSchema Schema { get; }

    /// <summary>The remote answers with Arrow batches (asked for with <see cref="HiveServer2EngineOptions.ArrowResults"/>).</summary>
    internal bool ReadsArrow => _arrow is not null;

    public bool HasRows { get; }

    public long? AffectedRows { get; }

    /// <summary>The remote's progress report at completion, when it sends one; 1 once every row is read.</summary>
    public double? Progress => _finished ? 1.0 : _progress;

    public async ValueTask<ColumnBatch?> ReadBatchAsync(int maxRows, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRows, 1);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (_failure is { } failed) throw new EngineException(failed.Message, failed.SqlState, failed.ErrorCode, failed.Retryable, failed);
        if (_finished || _session is null || _op is null) return null;
        await _turn.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            return await ReadCoreAsync(maxRows, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _turn.Release();
        }
    }

    private async Task<ColumnBatch?> ReadCoreAsync(int maxRows, CancellationToken cancellationToken)
    {
        if (_failure is { } failed) throw new EngineException(failed.Message, failed.SqlState, failed.ErrorCode, failed.Retryable, failed);
        if (_finished) return null;
        if (_state!.Interrupted) throw await FailAsync(StatementState.Canceled()).ConfigureAwait(false);

        var parts = new List<BatchSlice>(2);
        var consumed = new List<ColumnBatch>(2);
        var rows = 0;
        try
        {
            while (rows < maxRows)
            {
                if (_pending is { } pending)
                {
                    var take = Math.Min(pending.RowCount - _pendingOffset, maxRows - rows);
                    if (take > 0) parts.Add(new BatchSlice(pending, _pendingOffset, take));
                    _pendingOffset += take;
                    rows += take;
                    if (_pendingOffset >= pending.RowCount)
                    {
                        consumed.Add(pending);
                        _pending = null;
                    }
                    continue;
                }
                if (_remoteExhausted) break;
                _pending = await FetchAsync(maxRows - rows, cancellationToken).ConfigureAwait(false);
                _pendingOffset = 0;
            }
        }
        catch (Exception e) when (e is EngineException or OperationCanceledException)
        {
            foreach (var b in consumed) b.Dispose();
            // Rows already taken from the remote would be lost: the result cannot continue after a failed fetch.
            var failure = e as EngineException
                ?? (_closing.IsCancellationRequested ? new EngineException("The result was closed during a fetch.", "24000")
                : _state.Interrupted && !cancellationToken.IsCancellationRequested ? StatementState.Canceled()
                : new EngineException("A fetch was canceled; the rest of the result is lost.", "HY008"));
            var toThrow = await FailAsync(failure).ConfigureAwait(false);
            if (e is OperationCanceledException && cancellationToken.IsCancellationRequested) throw;
            throw toThrow;
        }

        ColumnBatch? output = null;
        if (rows > 0)
        {
            if (parts.Count == 1 && parts[0].Offset == 0 && parts[0].Count == parts[0].Batch.RowCount && consumed.Remove(parts[0].Batch))
            {
                output = parts[0].Batch;
            }
            else
            {
                try
                {
                    output = FlatBatches.Concat(Schema, parts);
                }
                finally
                {
                    foreach (var b in consumed) b.Dispose();
                    consumed.Clear();
                }
            }
        }
        foreach (var b in consumed) b.Dispose();
        if (_remoteExhausted && _pending is null)
        {
            _finished = true;
            await CloseRemoteAsync().ConfigureAwait(false);
        }
        return output;
    }

    /// <summary>One FetchResults (or the direct results' first rows); null at the end of the rows.</summary>
    private async Task<ColumnBatch?> FetchAsync(int maxRows, CancellationToken cancellationToken)
    {
        TFetchResultsResp response;
        if (_direct is { } direct)
        {
            _direct = null;
            response = direct;
            if (_op!.ClosedRemotely) _remoteExhausted = true;
        }
        else
        {
            if (_op!.Closed || _op.ClosedRemotely)
            {
                _remoteExhausted = true;
                return null;
            }
            var request = new TFetchResultsReq { OperationHandle = _op.Handle, Orientation = TFetchOrientation.FETCH_NEXT, MaxRows = maxRows };
            using var wake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _state!.InterruptToken, _closing.Token);
            try
            {
                response = await _session!.Channel.CallAsync("FetchResults", (c, t) => c.FetchResultsAsync(request, t), wake.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_state.Interrupted && !cancellationToken.IsCancellationRequested && !_closing.IsCancellationRequested)
            {
                throw StatementState.Canceled();
            }
        }
        if (HiveServer2Errors.FromStatus(response.Status, "FetchResults") is { } error) throw error;
        var batch = RemoteColumns.ToBatch(response.Results, Schema, _session!.LocalZone, _arrow);
        if (batch.RowCount == 0)
        {
            batch.Dispose();
            _remoteExhausted = true;
            return null;
        }
        // Hive and Spark Thrift Server report hasMoreRows=false on every fetch; only Spark-line servers mean it.
        if (_session.IsSparkLine && response.HasMoreRows == false) _remoteExhausted = true;
        return batch;
    }

    private async Task<EngineException> FailAsync(EngineException failure)
    {
        _failure ??= failure;
        _pending?.Dispose();
        _pending = null;
        _direct = null;
        await CloseRemoteAsync().ConfigureAwait(false);
        return failure;
    }

    private async Task CloseRemoteAsync()
    {
        if (_op is null || _session is null) return;
        await _session.CloseOperationAsync(_op).ConfigureAwait(false);
        _session.Forget(this);
    }

    /// <summary>The session is closing: close the remote operation; later reads fail.</summary>
    internal async Task CloseForSessionAsync()
    {
        _failure ??= new EngineException("The remote session was closed.", "08003");
        await CloseRemoteAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _closing.Cancel();
        await _turn.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            _pending?.Dispose();
            _pending = null;
            _direct = null;
            await CloseRemoteAsync().ConfigureAwait(false);
        }
        finally
        {
            _turn.Release();
        }
        _closing.Dispose();
    }
}
