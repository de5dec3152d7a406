using Gateway.Engines;
using Gateway.Protocol.Columnar;
using Gateway.Server.Sessions;

namespace Gateway.Server.Operations;

/// <summary>
/// A small result computed in the background: metadata calls a client asked to run asynchronously
/// (Spark's <c>runAsync</c> on GetTables, GetColumns, ...). The call returns at once with the operation
/// RUNNING; status, metadata and fetch wait for the result as they do for a statement.
/// </summary>
public sealed class BackgroundOperation : Operation
{
    private readonly CancellationTokenSource _cts = new();
    private readonly bool _hasResultSet;
    private Task? _run;
    private ColumnBatch? _batch;
    private int _cursor;

    public BackgroundOperation(Hs2Session session, OperationType type, TimeProvider time, bool hasResultSet = true)
        : base(session, type, time)
    {
        _hasResultSet = hasResultSet;
    }

    public override bool HasResultSet => _hasResultSet;
    public override ResultSchema Schema => _batch?.Schema ?? ResultSchema.Empty;
    public override Task Completion => _run ?? Task.CompletedTask;

    /// <summary>Starts <paramref name="build"/> on the thread pool; its failure becomes the operation's ERROR state.</summary>
    public void Start(Func<CancellationToken, ValueTask<ColumnBatch>> build)
    {
        ArgumentNullException.ThrowIfNull(build);
        TryMove(OperationState.Pending);
        var ct = _cts.Token;
        _run = Task.Run(async () =>
        {
            if (!TryMove(OperationState.Running)) return;
            try
            {
                var batch = await build(ct).ConfigureAwait(false);
                _batch = batch;
                if (!TryMove(OperationState.Finished))
                {
                    // Canceled or closed meanwhile: the result has no reader.
                    _batch = null;
                    batch.Dispose();
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                Fail("The operation was canceled.", "HY008", 0, OperationState.Canceled);
            }
            catch (EngineException e)
            {
                Fail(e.Message, e.SqlState, e.ErrorCode);
            }
            catch (GatewayException e)
            {
                Fail(e.Message, e.SqlState, e.ErrorCode);
            }
            catch (Exception e)
            {
                var reference = Hive.StatusMapper.InternalReference();
                Session.LogFault(reference, e);
                Fail(Hive.StatusMapper.InternalMessage(reference), "HY000", 0);
            }
        }, CancellationToken.None);
    }

    public override async ValueTask<FetchResult> FetchAsync(FetchOrientation orientation, int maxRows, CancellationToken cancellationToken)
    {
        await Completion.WaitAsync(cancellationToken).ConfigureAwait(false);
        Touch();
        switch (State)
        {
            case OperationState.Finished: break;
            case OperationState.Error: throw new GatewayException(ErrorMessage ?? "The operation failed.", ErrorSqlState, ErrorCode);
            case OperationState.Canceled: throw new GatewayException(ErrorMessage ?? "The operation was canceled.", "HY008");
            default: throw GatewayException.Invalid("operation");
        }
        var batch = _batch!;
        if (orientation == FetchOrientation.First) _cursor = 0;
        var start = _cursor;
        var n = Math.Min(maxRows, batch.RowCount - start);
        _cursor += n;
        return new FetchResult(batch, false, _cursor < batch.RowCount, start, start, n);
    }

    public override void Cancel()
    {
        TryEnd(OperationState.Canceled, "The operation was canceled.", "HY008", "Canceled by the client.");
        if (!_cts.IsCancellationRequested) _cts.Cancel();
    }

    protected override async ValueTask ReleaseAsync()
    {
        if (!_cts.IsCancellationRequested) _cts.Cancel();
        if (_run is { } run)
        {
            try { await run.ConfigureAwait(false); }
            catch (Exception) { /* already the operation's state */ }
        }
        _batch?.Dispose();
        _batch = null;
        _cts.Dispose();
    }
}
