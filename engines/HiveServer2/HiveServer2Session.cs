using System.Collections.Concurrent;
using Gateway.Protocol.Columnar;
using Gateway.Protocol.Hive;
using Gateway.Protocol.Sql;

namespace Gateway.Engines.HiveServer2;

/// <summary>
/// One remote HiveServer2 session (over its own TCP connection, or the engine's shared HTTP client). Statements
/// run asynchronously on the remote and are polled until they finish; results stream with one FetchResults per
/// batch. See README.md for the invariants.
/// </summary>
public sealed class HiveServer2Session : IEngineSession
{
    private readonly HiveServer2Engine _engine;
    private readonly RemoteChannel _channel;
    private readonly TSessionHandle _handle;
    private readonly ConcurrentDictionary<HiveServer2QueryResult, byte> _results = new();
    private volatile StatementState? _current;
    private volatile string _currentDatabase;
    private int _disposed;

    internal HiveServer2Session(HiveServer2Engine engine, RemoteChannel channel, TSessionHandle handle, TProtocolVersion protocol, string user, string currentDatabase)
    {
        _engine = engine;
        _channel = channel;
        _handle = handle;
        ProtocolVersion = protocol;
        User = user;
        _currentDatabase = currentDatabase;
        Metadata = new HiveServer2Metadata(this);
    }

    /// <summary>The protocol version the remote negotiated.</summary>
    public TProtocolVersion ProtocolVersion { get; }

    public string User { get; }

    public string CurrentDatabase => _currentDatabase;

    public IEngineMetadata Metadata { get; }

    /// <summary>True once a transport failure broke the connection: every call now fails at once (Retryable).</summary>
    public bool IsBroken => _channel.Broken is not null;

    /// <summary>Spark-line servers (and this gateway) report hasMoreRows truthfully and offer direct results.</summary>
    internal bool IsSparkLine => HiveProtocol.IsSpark(ProtocolVersion);

    internal HiveServer2EngineOptions Options => _engine.Options;

    internal RemoteChannel Channel => _channel;

    internal TimeZoneInfo LocalZone => _engine.LocalZone;

    public async ValueTask<IQueryResult> ExecuteAsync(string sql, ExecuteOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sql);
        ArgumentNullException.ThrowIfNull(options);
        ThrowIfDisposed();
        cancellationToken.ThrowIfCancellationRequested();
        var parameters = RemoteParameters.ToSpark(options.Parameters, ProtocolVersion, _channel.Endpoint);
        var state = new StatementState();
        // Current before the first call, so an Interrupt() issued meanwhile is not lost.
        _current = state;
        var result = await ExecuteCoreAsync(sql, parameters, options.BatchRows, state, cancellationToken).ConfigureAwait(false);
        if (StartsWithUse(sql))
        {
            try
            {
                await RefreshCurrentDatabaseAsync(cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await result.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
        return result;
    }

    /// <summary><c>USE `database`</c> on the remote, then its current_database() (the remote's spelling of the name).</summary>
    public async ValueTask UseDatabaseAsync(string database, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(database);
        ThrowIfDisposed();
        cancellationToken.ThrowIfCancellationRequested();
        var state = new StatementState();
        _current = state;
        var sql = "USE `" + database.Replace("`", "``", StringComparison.Ordinal) + "`";
        await using (await ExecuteCoreAsync(sql, null, 1, state, cancellationToken).ConfigureAwait(false))
        {
        }
        await RefreshCurrentDatabaseAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// GetInfo(DBMS_NAME) on the session: one round trip that creates no operation. False when the channel is broken or
    /// the remote no longer knows the session (INVALID_HANDLE); any other answer means the session lives.
    /// </summary>
    public async ValueTask<bool> ValidateAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _disposed) != 0 || IsBroken) return false;
        try
        {
            var request = new TGetInfoReq { SessionHandle = _handle, InfoType = TGetInfoType.CLI_DBMS_NAME };
            var response = await _channel.CallAsync("GetInfo", (c, t) => c.GetInfoAsync(request, t), cancellationToken).ConfigureAwait(false);
            if (HiveServer2Errors.FromStatus(response.Status, "GetInfo") is not { Retryable: true } error) return true;
            _channel.Break(error);
            return false;
        }
        catch (EngineException)
        {
            return false;
        }
    }

    internal async Task<HiveServer2QueryResult> ExecuteCoreAsync(string sql, List<TSparkParameter>? parameters, int batchRows, StatementState state, CancellationToken cancellationToken)
    {
        var request = new TExecuteStatementReq
        {
            SessionHandle = _handle,
            Statement = sql,
            RunAsync = true,
            Parameters = parameters,
            // Spark-line servers answer with status, metadata, the first rows and (when complete) the close in one reply.
            GetDirectResults = IsSparkLine ? new TSparkGetDirectResults { MaxRows = Math.Max(1, batchRows) } : null,
        };
        // Only Spark-line servers define the Arrow fields (a Hive-line server would not know them).
        var arrow = IsSparkLine ? _engine.ArrowRequest : null;
        arrow?.Apply(request);
        // Not abandoned on cancellation: the operation it creates must be known so that it can be canceled and closed.
        var response = await _channel.CallAsync("ExecuteStatement", (c, t) => c.ExecuteStatementAsync(request, t), CancellationToken.None).ConfigureAwait(false);
        return await CompleteAsync("ExecuteStatement", response.Status, response.OperationHandle, response.DirectResults, state, cancellationToken, arrow).ConfigureAwait(false);
    }

    /// <summary>Runs a metadata call (GetTables, ...) to completion and returns its result set.</summary>
    internal async Task<HiveServer2QueryResult> MetadataAsync(string call, Func<TCLIServiceClient, TSessionHandle, TSparkGetDirectResults?, CancellationToken, Task<(TStatus Status, TOperationHandle? Handle, TSparkDirectResults? Direct)>> send, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        cancellationToken.ThrowIfCancellationRequested();
        var direct = IsSparkLine ? new TSparkGetDirectResults { MaxRows = 10_000 } : null;
        var (status, handle, directResults) = await _channel.CallAsync(call, (c, t) => send(c, _handle, direct, t), CancellationToken.None).ConfigureAwait(false);
        return await CompleteAsync(call, status, handle, directResults, new StatementState(), cancellationToken).ConfigureAwait(false);
    }

    private async Task<HiveServer2QueryResult> CompleteAsync(string call, TStatus? status, TOperationHandle? handle, TSparkDirectResults? direct, StatementState state,
        CancellationToken cancellationToken, HiveArrowOptions? arrowRequested = null)
    {
        var op = handle is null ? null : new RemoteOperation(handle) { ClosedRemotely = direct?.CloseOperation is not null };
        if (HiveServer2Errors.FromStatus(status, call) is { } error)
        {
            if (op is not null) await CloseOperationAsync(op).ConfigureAwait(false);
            // The remote no longer knows this session: nothing on it can work any more.
            if (error.SqlState == "08003") _channel.Break(error);
            throw error;
        }
        if (op is null) throw new EngineException($"{call}: the remote returned no operation handle.", "08S01");
        try
        {
            var final = await WaitAsync(op, direct?.OperationStatus, state, cancellationToken).ConfigureAwait(false);
            var hasRows = final.HasResultSet ?? op.Handle.HasResultSet;
            var progress = final.ProgressUpdateResponse is { } p ? Math.Clamp(p.ProgressedPercentage, 0, 1) : (double?)null;
            if (!hasRows)
            {
                long? affected = final.NumModifiedRows ?? (op.Handle.ModifiedRowCount is { } d ? (long)d : null);
                await CloseOperationAsync(op).ConfigureAwait(false);
                return HiveServer2QueryResult.NoRows(affected);
            }
            var metadata = direct?.ResultSetMetadata;
            if (metadata is null)
            {
                var req = new TGetResultSetMetadataReq { OperationHandle = op.Handle };
                metadata = await _channel.CallAsync("GetResultSetMetadata", (c, t) => c.GetResultSetMetadataAsync(req, t), cancellationToken).ConfigureAwait(false);
            }
            if (HiveServer2Errors.FromStatus(metadata.Status, "GetResultSetMetadata") is { } metadataError) throw metadataError;
            CheckResultFormat(metadata);
            var schema = RemoteColumns.Schema(metadata.Schema);
            HiveArrowResult? arrow;
            try
            {
                arrow = HiveArrowResult.From(metadata, schema, arrowRequested);
            }
            catch (HiveClientException e)
            {
                throw new EngineException(e.Message, e.SqlState);
            }
            var result = new HiveServer2QueryResult(this, op, state, schema, progress, direct?.ResultSet, arrow);
            _results.TryAdd(result, 0);
            return result;
        }
        catch
        {
            await CloseOperationAsync(op).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Thrift columns (and rows) and Spark's Arrow batches are read; cloud-fetch links and Kyuubi's Arrow-in-a-binary-column
    /// (which Kyuubi can be configured to send unasked) are not.
    /// </summary>
    private static void CheckResultFormat(TGetResultSetMetadataResp metadata)
    {
        if (metadata.ResultFormat is TSparkRowSetType.URL_BASED_SET)
        {
            throw new EngineException("The remote sends this result as cloud-fetch links (URL_BASED_SET); the HiveServer2 engine reads Thrift columns and Arrow batches only.", "0A000");
        }
        if (metadata.Status.InfoMessages?.Any(m => m.Contains("__kyuubi_operation_result_format__=arrow", StringComparison.OrdinalIgnoreCase)) == true)
        {
            throw new EngineException("The remote sends this result as Kyuubi's Arrow-in-a-column; the HiveServer2 engine reads Thrift columns and Spark's Arrow batches only (unset kyuubi.operation.result.format=arrow).", "0A000");
        }
    }

    /// <summary>Polls GetOperationStatus with backoff until the operation leaves PENDING/RUNNING.</summary>
    private async Task<TGetOperationStatusResp> WaitAsync(RemoteOperation op, TGetOperationStatusResp? status, StatementState state, CancellationToken cancellationToken)
    {
        var options = _engine.Options;
        var delay = options.MinPollInterval;
        using var wake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, state.InterruptToken);
        var request = new TGetOperationStatusReq
        {
            OperationHandle = op.Handle,
            GetProgressUpdate = HiveProtocol.HiveLevel(ProtocolVersion) >= TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V10 ? true : null,
        };
        while (true)
        {
            if (status is not null)
            {
                if (HiveServer2Errors.FromStatus(status.Status, "GetOperationStatus") is { } error) throw error;
                switch (status.OperationState)
                {
                    case TOperationState.FINISHED_STATE when !state.Interrupted && !cancellationToken.IsCancellationRequested:
                        return status;
                    case TOperationState.FINISHED_STATE:
                        break;
                    case TOperationState.CANCELED_STATE when state.Interrupted || cancellationToken.IsCancellationRequested:
                        break;
                    case TOperationState.ERROR_STATE or TOperationState.CANCELED_STATE or TOperationState.TIMEDOUT_STATE or TOperationState.CLOSED_STATE or TOperationState.UKNOWN_STATE:
                        throw HiveServer2Errors.FromOperationStatus(status);
                }
            }
            if (state.Interrupted || cancellationToken.IsCancellationRequested)
            {
                await CancelOperationAsync(op).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
                throw StatementState.Canceled();
            }
            if (status is not null)
            {
                try
                {
                    await Task.Delay(delay, _engine.Time, wake.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    continue;
                }
                delay = delay * 2 > options.MaxPollInterval ? options.MaxPollInterval : delay * 2;
            }
            try
            {
                status = await _channel.CallAsync("GetOperationStatus", (c, t) => c.GetOperationStatusAsync(request, t), wake.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (wake.IsCancellationRequested)
            {
                // Interrupted or canceled while the poll was in flight: the loop cancels the operation.
            }
        }
    }

    /// <summary>CancelOperation, best effort and bounded.</summary>
    internal Task<bool> CancelOperationAsync(RemoteOperation op) =>
        op.Closed || op.ClosedRemotely ? Task.FromResult(true)
        : _channel.TryCallAsync("CancelOperation", (c, t) => c.CancelOperationAsync(new TCancelOperationReq { OperationHandle = op.Handle }, t), _engine.Options.CloseTimeout);

    /// <summary>CloseOperation once, best effort and bounded.</summary>
    internal async Task CloseOperationAsync(RemoteOperation op)
    {
        if (!op.TryMarkClosed() || op.ClosedRemotely) return;
        await _channel.TryCallAsync("CloseOperation", (c, t) => c.CloseOperationAsync(new TCloseOperationReq { OperationHandle = op.Handle }, t), _engine.Options.CloseTimeout).ConfigureAwait(false);
    }

    internal void Forget(HiveServer2QueryResult result) => _results.TryRemove(result, out _);

    public void Interrupt() => _current?.Interrupt();

    /// <summary>Asks the remote for its current database (after USE, and at open when the remote did not say).</summary>
    internal async Task RefreshCurrentDatabaseAsync(CancellationToken cancellationToken)
    {
        await using var result = await ExecuteCoreAsync("SELECT current_database()", null, 1, new StatementState(), cancellationToken).ConfigureAwait(false);
        using var batch = await result.ReadBatchAsync(1, cancellationToken).ConfigureAwait(false);
        if (batch is { RowCount: > 0 } && ValueFormatter.Utc.FormatToString(batch.Columns[0], 0) is { Length: > 0 } name) _currentDatabase = name;
    }

    internal void SetCurrentDatabase(string name) => _currentDatabase = name;

    /// <summary>USE db / USE SCHEMA db / USE CATALOG c, after leading whitespace and comments.</summary>
    internal static bool StartsWithUse(string sql)
    {
        var s = sql.AsSpan(SqlLexer.SkipLeadingTrivia(sql, SqlDialect.Hive));
        return s.Length > 3 && s.StartsWith("use", StringComparison.OrdinalIgnoreCase) && (char.IsWhiteSpace(s[3]) || s[3] == '`');
    }

    private void ThrowIfDisposed()
    {
        if (Volatile.Read(ref _disposed) != 0) throw new EngineException($"The session with {_channel.Endpoint} is closed.", "08003");
    }

    /// <summary>Closes open results and the remote session, then the connection; every step is bounded.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _current?.Interrupt();
        foreach (var result in _results.Keys) await result.CloseForSessionAsync().ConfigureAwait(false);
        _results.Clear();
        await _channel.TryCallAsync("CloseSession", (c, t) => c.CloseSessionAsync(new TCloseSessionReq { SessionHandle = _handle }, t), _engine.Options.CloseTimeout).ConfigureAwait(false);
        await _channel.DisposeAsync().ConfigureAwait(false);
        _current = null;
        _engine.Forget(this);
    }
}

/// <summary>A remote operation handle and whether it still needs closing.</summary>
internal sealed class RemoteOperation(TOperationHandle handle)
{
    private int _closed;

    public TOperationHandle Handle { get; } = handle;

    /// <summary>Direct results carried the close: the remote already freed the operation.</summary>
    public bool ClosedRemotely { get; init; }

    public bool Closed => Volatile.Read(ref _closed) != 0;

    public bool TryMarkClosed() => Interlocked.Exchange(ref _closed, 1) == 0;
}

/// <summary>
/// Interrupt flag of one statement and its result, with a token that wakes their waits. Never disposed: the
/// source has no timer, and a result may outlive the statement that made it.
/// </summary>
internal sealed class StatementState
{
    private readonly CancellationTokenSource _interrupt = new();

    public bool Interrupted => _interrupt.IsCancellationRequested;

    public CancellationToken InterruptToken => _interrupt.Token;

    public void Interrupt() => _interrupt.Cancel();

    public static EngineException Canceled() => new("The statement was canceled (interrupted).", "HY008");
}
