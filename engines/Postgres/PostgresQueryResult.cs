using Gateway.Protocol.Columnar;
using Npgsql;

namespace Gateway.Engines.Postgres;

/// <summary>
/// A streaming PostgreSQL result, read from a binary COPY export or from a data reader. Each
/// <see cref="ReadBatchAsync"/> reads at most maxRows rows straight into the batch's column buffers; nothing
/// beyond the batch being built is held (the server waits on TCP backpressure meanwhile). The session's
/// connection belongs to this result until it is read to the end, fails, or is released.
/// </summary>
public sealed class PostgresQueryResult : IQueryResult
{
    private readonly PostgresSession _session;
    private readonly StatementState _state;
    private readonly PgColumn[] _columns;
    private NpgsqlBinaryExporter? _exporter;
    private NpgsqlCommand? _command;
    private NpgsqlDataReader? _reader;
    private volatile bool _finished;
    private bool _released;
    private string? _releasedReason;
    private Exception? _failure;
    private int _disposed;

    internal PostgresQueryResult(PostgresSession session, StatementState state, ResultSchema schema, PgColumn[] columns, NpgsqlBinaryExporter exporter)
    {
        _session = session;
        _state = state;
        Schema = schema;
        _columns = columns;
        _exporter = exporter;
        ReadPath = PostgresReadPath.Copy;
    }

    internal PostgresQueryResult(PostgresSession session, StatementState state, ResultSchema schema, PgColumn[] columns, NpgsqlCommand command, NpgsqlDataReader reader)
    {
        _session = session;
        _state = state;
        Schema = schema;
        _columns = columns;
        _command = command;
        _reader = reader;
        ReadPath = PostgresReadPath.Reader;
    }

    public ResultSchema Schema { get; }

    public bool HasRows => true;

    public long? AffectedRows => null;

    public double? Progress => _finished ? 1.0 : null;

    /// <summary>Which read path produces this result.</summary>
    public PostgresReadPath ReadPath { get; }

    public async ValueTask<ColumnBatch?> ReadBatchAsync(int maxRows, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRows, 1);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (_finished && _failure is null) return null;
        await _session.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_failure is not null) throw _failure;
            if (_released)
            {
                if (_finished) return null;
                throw new EngineException($"The result is closed: {_releasedReason}.", "24000");
            }
            if (_finished) return null;
            return await ReadCoreAsync(maxRows, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _session.Gate.Release();
        }
    }

    private async ValueTask<ColumnBatch?> ReadCoreAsync(int maxRows, CancellationToken cancellationToken)
    {
        var rows = 0;
        try
        {
            // Interrupted between fetches: fail, as a running statement would.
            _state.ThrowIfInterrupted();
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(_state.Token, cancellationToken);
            var token = linked.Token;
            var columns = _columns;
            if (_exporter is { } exporter)
            {
                while (rows < maxRows)
                {
                    if (await exporter.StartRowAsync(token).ConfigureAwait(false) < 0)
                    {
                        _finished = true;
                        break;
                    }
                    foreach (var column in columns)
                    {
                        var read = column.ReadCopyAsync(exporter, token);
                        if (!read.IsCompletedSuccessfully) await read.ConfigureAwait(false);
                    }
                    rows++;
                }
            }
            else
            {
                var reader = _reader!;
                while (rows < maxRows)
                {
                    if (!await reader.ReadAsync(token).ConfigureAwait(false))
                    {
                        _finished = true;
                        break;
                    }
                    for (var i = 0; i < columns.Length; i++) columns[i].ReadRow(reader, i);
                    rows++;
                }
            }
            ColumnBatch? batch = null;
            if (rows > 0)
            {
                var built = new Column[columns.Length];
                for (var i = 0; i < columns.Length; i++) built[i] = columns[i].Build();
                batch = new ColumnBatch(Schema, rows, built);
            }
            if (_finished) await ReleaseAsync("the result was read to the end").ConfigureAwait(false);
            return batch;
        }
        catch (Exception e)
        {
            var mapped = PostgresSession.MapFailure(e, _state, cancellationToken);
            // A failed stream stays failed; the connection is freed for the next statement.
            _failure = mapped as EngineException ?? PostgresErrors.Canceled(e);
            _finished = true;
            await ReleaseAsync("the query failed").ConfigureAwait(false);
            throw mapped;
        }
    }

    /// <summary>
    /// Ends the statement on the server (a cancel request when rows are still coming) and frees the connection
    /// and the column buffers. Idempotent. The caller holds the session's gate.
    /// </summary>
    internal async ValueTask ReleaseAsync(string reason)
    {
        if (_released) return;
        _released = true;
        _releasedReason = reason;
        var unfinished = !_finished;
        try
        {
            if (_exporter is { } exporter)
            {
                _exporter = null;
                if (unfinished) await exporter.CancelAsync().ConfigureAwait(false);
                await exporter.DisposeAsync().ConfigureAwait(false);
            }
            if (_reader is { } reader)
            {
                _reader = null;
                if (unfinished && !reader.IsClosed) _command!.Cancel();
                await reader.DisposeAsync().ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException or InvalidOperationException or ObjectDisposedException)
        {
            // Canceled on purpose (57014), or the connection is already gone: the session replaces a broken one.
        }
        finally
        {
            if (_command is { } command)
            {
                _command = null;
                await command.DisposeAsync().ConfigureAwait(false);
            }
            foreach (var column in _columns) column.Discard();
            _session.OnReleased(this, _state);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        if (_released || _session.IsDisposed) return;
        await _session.Gate.WaitAsync().ConfigureAwait(false);
        try
        {
            await ReleaseAsync("the result was disposed").ConfigureAwait(false);
        }
        finally
        {
            _session.Gate.Release();
        }
    }
}

/// <summary>The outcome of a statement without rows, or a small in-memory result.</summary>
internal sealed class CompletedResult : IQueryResult
{
    private CompletedResult(long? affectedRows) => AffectedRows = affectedRows;

    public static CompletedResult NoRows(long? affectedRows) => new(affectedRows);

    public ResultSchema Schema => ResultSchema.Empty;

    public bool HasRows => false;

    public long? AffectedRows { get; }

    public double? Progress => 1.0;

    public ValueTask<ColumnBatch?> ReadBatchAsync(int maxRows, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRows, 1);
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult<ColumnBatch?>(null);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
