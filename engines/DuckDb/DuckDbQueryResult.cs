using DuckDB.NET.Native;
using Gateway.Protocol.Columnar;

namespace Gateway.Engines.DuckDb;

/// <summary>
/// A streaming DuckDB result: each <see cref="ReadBatchAsync"/> fetches chunks (2048 rows) on the session's
/// worker thread until the batch holds maxRows rows; a chunk that does not fit is kept for the next call.
/// Nothing is materialized beyond the batch being built. Owns the prepared statement, the result and
/// the current chunk; all are destroyed on the worker thread, after any fetch in flight.
/// </summary>
public sealed class DuckDbQueryResult : IQueryResult
{
    private readonly DuckDbSession _session;
    private readonly StatementState _state;
    private readonly DuckDBPreparedStatement _prepared;
    private readonly ResultHandle _result;
    private readonly ChunkConverter _converter;
    private DuckDBDataChunk? _chunk;
    private int _chunkSize;
    private int _chunkOffset;
    private volatile bool _finished;
    private volatile bool _released;
    // The first batch, read with the execute (ExecuteOptions.FirstBatchRows): handed to the first read without a worker hop.
    private ColumnBatch? _prefetched;
    private int _prefetchRows;
    private bool _prefetchPending;
    private string? _releasedReason;
    private Exception? _failure;
    private int _disposed;

    internal DuckDbQueryResult(DuckDbSession session, StatementState state, DuckDBPreparedStatement prepared, ResultHandle result, ChunkConverter converter)
    {
        _session = session;
        _state = state;
        _prepared = prepared;
        _result = result;
        _converter = converter;
    }

    public ResultSchema Schema => _converter.Schema;

    public bool HasRows => true;

    public long? AffectedRows => null;

    /// <summary>1 once fully read; DuckDB's progress while this result owns the connection; else unknown.</summary>
    public double? Progress => _finished ? 1.0 : _released ? null : _session.QueryProgress();

    /// <summary>
    /// Reads the first batch as part of the execute (worker thread, same work item). Its failure is kept for the first
    /// read, as if that read had failed.
    /// </summary>
    internal void PrefetchOnWorker(int rows)
    {
        try
        {
            _prefetched = ReadOnWorker(rows);
        }
        catch (Exception)
        {
            // ReadOnWorker kept the failure and released the result: the first read rethrows it.
        }
        _prefetchRows = rows;
        _prefetchPending = true;
    }

    public ValueTask<ColumnBatch?> ReadBatchAsync(int maxRows, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRows, 1);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (_prefetchPending && !cancellationToken.IsCancellationRequested && !_state.Interrupted && _failure is null)
        {
            // The first read, answered by the batch read with the execute: no hop to the worker.
            return ValueTask.FromResult(TakePrefetched(maxRows));
        }
        return ReadOnWorkerAsync(maxRows, cancellationToken);
    }

    private ColumnBatch? TakePrefetched(int maxRows)
    {
        var batch = _prefetched;
        if (maxRows != _prefetchRows && !(_finished && maxRows >= (batch?.RowCount ?? 0)))
        {
            throw new InvalidOperationException($"The first read asked for {maxRows} rows, not the {_prefetchRows} announced by ExecuteOptions.FirstBatchRows.");
        }
        _prefetchPending = false;
        _prefetched = null;
        return batch;
    }

    private async ValueTask<ColumnBatch?> ReadOnWorkerAsync(int maxRows, CancellationToken cancellationToken)
    {
        if (_finished && _failure is null && !_prefetchPending) return null;
        using var registration = cancellationToken.Register(() => _session.Interrupt(_state, byToken: true));
        try
        {
            return await _session.Worker.RunAsync(() => ReadOnWorker(maxRows), cancellationToken).ConfigureAwait(false);
        }
        catch (EngineException e) when (e.Canceled && _state.CanceledByToken)
        {
            throw new OperationCanceledException("The fetch was canceled.", e, cancellationToken);
        }
        catch (ObjectDisposedException e) when (e.ObjectName != GetType().FullName)
        {
            throw new EngineException("The DuckDB session is closed.", "08003", inner: e);
        }
    }

    private ColumnBatch? ReadOnWorker(int maxRows)
    {
        if (_prefetchPending)
        {
            // The first read reached the worker: the prefetch failed (rethrown below), or the statement was interrupted
            // (the batch is dropped and the read fails as it would have), or the read merely raced a cancellation.
            if (_failure is null && !_state.Interrupted) return TakePrefetched(maxRows);
            _prefetchPending = false;
            _prefetched?.Dispose();
            _prefetched = null;
            _state.ThrowIfInterrupted();
        }
        if (_failure is not null) throw _failure;
        if (_released)
        {
            if (_finished) return null;
            throw new EngineException($"The result is closed: {_releasedReason}.", "24000");
        }
        if (_finished) return null;

        var rows = 0;
        try
        {
            // Interrupted between fetches: fail even when a kept chunk could still answer.
            _state.ThrowIfInterrupted();
            while (rows < maxRows)
            {
                if (_chunk is null)
                {
                    _chunk = NativeQuery.Fetch(_result, _state);
                    if (_chunk is null)
                    {
                        _finished = true;
                        break;
                    }
                    _chunkSize = NativeQuery.ChunkSize(_chunk);
                    _chunkOffset = 0;
                }
                var take = Math.Min(_chunkSize - _chunkOffset, maxRows - rows);
                _converter.Append(_chunk, _chunkOffset, take);
                rows += take;
                _chunkOffset += take;
                if (_chunkOffset >= _chunkSize)
                {
                    _chunk.Dispose();
                    _chunk = null;
                }
            }
            var built = rows == 0 ? null : _converter.Build(rows);
            // Read to the end: the native result, statement and connection are freed now, in this work item, so disposing
            // the result later needs no hop to the worker.
            if (_finished) Release("the result was read to the end");
            return built;
        }
        catch (Exception e)
        {
            _converter.Discard();
            // A failed stream stays failed; the connection is freed for the next statement.
            _failure = e;
            _finished = true;
            Release("the query failed");
            throw;
        }
    }

    /// <summary>Destroys the native objects. Worker thread only.</summary>
    internal void Release(string reason)
    {
        if (_released) return;
        _released = true;
        _releasedReason = reason;
        _chunk?.Dispose();
        _chunk = null;
        _converter.Dispose();
        _result.Dispose();
        _prepared.Dispose();
        _session.OnReleased(this);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        if (_prefetchPending)
        {
            _prefetchPending = false;
            Interlocked.Exchange(ref _prefetched, null)?.Dispose();
        }
        // Read to the end (or failed): already released on the worker.
        if (_released) return;
        try
        {
            await _session.Worker.RunAsync(() => Release("the result was disposed")).ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            // The session is closed: closing it released this result.
        }
    }
}

/// <summary>A small in-memory result (DESCRIBE) or the outcome of a statement without rows.</summary>
public sealed class RowsQueryResult : IQueryResult
{
    private readonly List<object?[]> _rows;
    private int _next;

    public RowsQueryResult(ResultSchema schema, List<object?[]> rows)
    {
        Schema = schema;
        _rows = rows;
        HasRows = true;
    }

    private RowsQueryResult(long? affectedRows)
    {
        Schema = ResultSchema.Empty;
        _rows = [];
        AffectedRows = affectedRows;
    }

    public static RowsQueryResult NoRows(long? affectedRows) => new(affectedRows);

    public ResultSchema Schema { get; }

    public bool HasRows { get; }

    public long? AffectedRows { get; }

    public double? Progress => 1.0;

    public ValueTask<ColumnBatch?> ReadBatchAsync(int maxRows, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRows, 1);
        cancellationToken.ThrowIfCancellationRequested();
        if (_next >= _rows.Count) return ValueTask.FromResult<ColumnBatch?>(null);
        var builder = new BatchBuilder(Schema);
        for (var n = 0; n < maxRows && _next < _rows.Count; n++) builder.AddRow(_rows[_next++]);
        return ValueTask.FromResult<ColumnBatch?>(builder.Build());
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
