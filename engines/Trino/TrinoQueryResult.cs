using Gateway.Protocol.Columnar;

namespace Gateway.Engines.Trino;

/// <summary>
/// One Trino query's result: pages fetched from <c>nextUri</c> only as batches are asked for (Trino's own flow control:
/// the coordinator buffers what the client has not fetched), each page's rows handed on as one batch (sliced when a
/// reader asks for fewer). A query that changes something (<c>updateType</c>) is read to its end at once for its count.
/// Disposing a result before its end cancels the query on the coordinator.
/// </summary>
internal sealed class TrinoQueryResult : IQueryResult
{
    private readonly TrinoSession _session;
    private readonly CancellationTokenSource _interrupt = new();
    private Uri? _next;
    private IReadOnlyList<TrinoColumn>? _columns;
    private ColumnBatch? _pending;
    private readonly Queue<(TrinoSegment Segment, string Encoding)> _segments = new();
    private int _pendingOffset;
    private int _disposed;
    private string? _closedBecause;

    private TrinoQueryResult(TrinoSession session) => _session = session;

    public ResultSchema Schema { get; private set; } = ResultSchema.Empty;
    public bool HasRows { get; private set; }
    public long? AffectedRows { get; private set; }
    public double? Progress { get; private set; }
    public string? QueryId { get; private set; }
    public string? UpdateType { get; private set; }

    /// <summary>Submits <paramref name="sql"/> and follows the query until its columns are known (or it ended).</summary>
    public static async Task<TrinoQueryResult> StartAsync(TrinoSession session, string sql, CancellationToken cancellationToken)
    {
        var result = new TrinoQueryResult(session);
        session.Started(result);
        try
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, result._interrupt.Token);
            var page = await session.Client.SubmitAsync(sql, session.State, linked.Token).ConfigureAwait(false);
            result.Absorb(page);
            while (result._columns is null && result._next is not null && result.UpdateType is null)
            {
                result.Absorb(await session.Client.NextAsync(result._next, session.State, null, linked.Token).ConfigureAwait(false));
            }
            if (result.UpdateType is not null)
            {
                // DML and DDL: read to the end for the count (and the session headers the last page carries).
                while (result._next is not null) result.Absorb(await session.Client.NextAsync(result._next, session.State, result._columns, linked.Token).ConfigureAwait(false));
                result._pending?.Dispose();
                result._pending = null;
                result._segments.Clear();
                result.HasRows = false;
                result.Schema = ResultSchema.Empty;
            }
            else
            {
                result.HasRows = result._columns is not null;
                result.Schema = result._columns is null ? ResultSchema.Empty : TrinoPage.SchemaOf(result._columns);
            }
            return result;
        }
        catch (OperationCanceledException) when (result._interrupt.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            await result.DisposeAsync().ConfigureAwait(false);
            throw new EngineException("The statement was canceled.", "HY008");
        }
        catch
        {
            await result.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Takes what a page says; a page with an error throws it (the query is over).</summary>
    private void Absorb(TrinoPage page)
    {
        using (page)
        {
            QueryId ??= page.Id;
            _next = page.NextUri;
            if (page.Columns is not null) _columns ??= page.Columns;
            if (page.ProgressPercentage is { } p) Progress = Math.Clamp(p / 100.0, 0, 1);
            if (page.UpdateType is not null) UpdateType = page.UpdateType;
            if (page.UpdateCount is { } count) AffectedRows = count;
            if (page.Error is { } error)
            {
                _next = null;
                throw TrinoErrors.ToException(error, QueryId);
            }
            if (page.Segments is { Count: > 0 } segments)
            {
                foreach (var segment in segments.OrderBy(x => x.RowOffset ?? 0)) _segments.Enqueue((segment, page.Encoding!));
            }
            if (page.TakeRows() is { } rows)
            {
                if (_pending is not null)
                {
                    // Only while following a DML to its end: its row count is in updateCount.
                    _pending.Dispose();
                }
                _pending = rows;
                _pendingOffset = 0;
            }
            if (_next is null) Progress = 1;
        }
    }

    public async ValueTask<ColumnBatch?> ReadBatchAsync(int maxRows, CancellationToken cancellationToken)
    {
        if (_closedBecause is { } reason) throw new EngineException($"The result is closed: {reason}.", "24000");
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRows, 1);
        if (_interrupt.IsCancellationRequested)
        {
            // Interrupted between fetches: the rows already here are not handed out either.
            await CancelRemoteAsync().ConfigureAwait(false);
            throw new EngineException("The statement was canceled.", "HY008");
        }
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _interrupt.Token);
        try
        {
            while (_pending is null && (_segments.Count > 0 || _next is not null))
            {
                if (_segments.TryDequeue(out var spooled)) await LoadSegmentAsync(spooled.Segment, spooled.Encoding, linked.Token).ConfigureAwait(false);
                else Absorb(await _session.Client.NextAsync(_next!, _session.State, _columns, linked.Token).ConfigureAwait(false));
            }
        }
        catch (OperationCanceledException) when (_interrupt.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            await CancelRemoteAsync().ConfigureAwait(false);
            throw new EngineException("The statement was canceled.", "HY008");
        }
        if (_pending is not { } batch) return null;
        var left = batch.RowCount - _pendingOffset;
        if (_pendingOffset == 0 && left <= maxRows)
        {
            _pending = null;
            return batch;
        }
        var take = Math.Min(left, maxRows);
        var slice = ColumnConcat.Concat(Schema, [(batch, _pendingOffset, take)]);
        _pendingOffset += take;
        if (_pendingOffset == batch.RowCount)
        {
            batch.Dispose();
            _pending = null;
        }
        return slice;
    }

    /// <summary>One segment's rows (inline, or fetched from the spooling storage and acknowledged) as the pending batch.</summary>
    private async Task LoadSegmentAsync(TrinoSegment segment, string encoding, CancellationToken cancellationToken)
    {
        var bytes = segment.Type switch
        {
            "inline" => segment.Data!,
            "spooled" => await _session.Client.SegmentAsync(segment, cancellationToken).ConfigureAwait(false),
            _ => throw new EngineException($"Trino's answer is not in the documented format: a segment of type '{segment.Type}'.", "08S01"),
        };
        var json = segment.Decode(bytes, encoding, _session.Engine.Options.MaxPageBytes);
        var rows = TrinoValues.ReadRows(json.Span, Schema);
        if (segment.RowsCount is { } expected && expected != rows.RowCount)
        {
            rows.Dispose();
            throw new EngineException($"A segment of Trino's result holds {rows.RowCount} rows, not the {expected} its metadata says.", "08S01");
        }
        if (segment.Type == "spooled") await _session.Client.AcknowledgeAsync(segment).ConfigureAwait(false);
        if (rows.RowCount == 0)
        {
            rows.Dispose();
            return;
        }
        _pending = rows;
        _pendingOffset = 0;
    }

    /// <summary>Stops a fetch in flight and, on dispose, the query.</summary>
    public void Interrupt()
    {
        try
        {
            _interrupt.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already over.
        }
    }

    /// <summary>Closes the result for the session (a newer statement started): later reads fail with 24000 and <paramref name="reason"/>.</summary>
    internal ValueTask CloseAsync(string reason)
    {
        _closedBecause ??= reason;
        return DisposeAsync();
    }

    /// <summary>Ends the query on the coordinator (DELETE of its next link) if it has not ended.</summary>
    private async Task CancelRemoteAsync()
    {
        _pending?.Dispose();
        _pending = null;
        _segments.Clear();
        if (Interlocked.Exchange(ref _next, null) is { } next) await _session.Client.CancelAsync(next, _session.State.User).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await CancelRemoteAsync().ConfigureAwait(false);
        _session.Ended(this);
        _interrupt.Dispose();
    }
}
