using Gateway.Engines;
using Gateway.Protocol.Columnar;
using Gateway.Server.Configuration;
using Gateway.Server.Engines;
using Gateway.Server.Operations;
using Gateway.Server.Sessions;
using Gateway.Tests.InProcess;

namespace Gateway.Tests.Unit;

/// <summary>
/// <see cref="StatementOperation"/> reads one batch ahead of the client: over a scripted engine that pages a numbered
/// result, counts its reads and the batches alive, and can block or fail a given read.
/// </summary>
public sealed class StatementReadAheadUnitTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task TheNextBatchIsReadWhileTheClientHandlesTheLastAndNeverMoreThanOne()
    {
        var engine = new PagedEngine(rows: 1_000);
        await using var op = await StartAsync(engine, prefetch: 50);
        Assert.Equal(1, engine.Reads);

        var rows = new List<int>();
        var offsets = new List<long>();
        var fetches = 0;
        while (true)
        {
            var (values, more, offset) = await FetchAsync(op, 100);
            fetches++;
            offsets.Add(offset);
            rows.AddRange(values);
            if (!more) break;
            // Without another fetch, exactly one more read happens: the read-ahead.
            await engine.WaitForReadsAsync(fetches + 1);
            await Task.Delay(30);
            Assert.Equal(fetches + 1, engine.Reads);
            // The first batch (kept for FETCH_FIRST) and the one read ahead; the client disposed what it got.
            Assert.True(engine.LiveBatches <= 2, $"{engine.LiveBatches} batches alive after fetch {fetches}");
        }
        Assert.Equal(Enumerable.Range(0, 1_000), rows);
        Assert.Equal([0L, 50, 150, 250, 350, 450, 550, 650, 750, 850, 950], offsets.Take(11));
        // The read that came back short ended the result: the engine session and slot went without another fetch.
        Assert.True(engine.Result!.Disposed);
        Assert.Equal(OperationState.Finished, op.State);
    }

    [Fact]
    public async Task ClosingMidStreamStopsTheReadAheadAndFreesItsBatch()
    {
        var engine = new PagedEngine(rows: 10_000);
        var op = await StartAsync(engine, prefetch: 50);
        await FetchAsync(op, 100);
        await FetchAsync(op, 100);
        await engine.WaitForReadsAsync(3);
        // A read is counted when it starts and its batch when it is made: wait for the batch too.
        await WaitUntilAsync(() => engine.LiveBatches == 2);
        Assert.Equal(2, engine.LiveBatches);

        await op.DisposeAsync();
        Assert.Equal(OperationState.Closed, op.State);
        Assert.Equal(0, engine.LiveBatches);
        Assert.True(engine.Result!.Disposed);
        Assert.Equal(3, engine.Reads);
    }

    [Fact]
    public async Task CancelWhileAReadAheadIsBlockedInterruptsTheEngineAndTheNextFetchSaysCanceled()
    {
        var engine = new PagedEngine(rows: 10_000) { BlockFromRead = 3 };
        var op = await StartAsync(engine, prefetch: 50);
        await FetchAsync(op, 100);
        await FetchAsync(op, 100);
        await engine.WaitForReadsAsync(3);
        await engine.Blocked.Task.WaitAsync(Patience);

        op.Cancel();
        Assert.True(engine.Session!.Interrupted);
        var e = await Assert.ThrowsAsync<GatewayException>(async () => await op.FetchAsync(FetchOrientation.Next, 100, CancellationToken.None));
        Assert.Equal("HY008", e.SqlState);

        await op.DisposeAsync();
        Assert.Equal(0, engine.LiveBatches);
        Assert.True(engine.Result!.Disposed);
    }

    [Fact]
    public async Task AFailureWhileReadingAheadSurfacesOnTheNextFetchWithTheEnginesError()
    {
        var engine = new PagedEngine(rows: 10_000) { FailAtRead = 3 };
        await using var op = await StartAsync(engine, prefetch: 50);
        await FetchAsync(op, 100);
        var (second, more, _) = await FetchAsync(op, 100);
        Assert.Equal(Enumerable.Range(50, 100), second);
        Assert.True(more);
        // The failed read already gave the engine back; the client learns about it when it asks for the rows.
        await WaitUntilAsync(() => engine.Result!.Disposed);
        Assert.Equal(OperationState.Finished, op.State);

        var e = await Assert.ThrowsAsync<GatewayException>(async () => await op.FetchAsync(FetchOrientation.Next, 100, CancellationToken.None));
        Assert.Equal("58000", e.SqlState);
        Assert.Contains("disk on fire", e.Message, StringComparison.Ordinal);
        Assert.Equal(OperationState.Error, op.State);
        Assert.Equal(1, engine.LiveBatches);
    }

    [Fact]
    public async Task FetchFirstRereadsTheFirstBatchWhileTheNextIsReadAheadAndIsRefusedBeyondIt()
    {
        var engine = new PagedEngine(rows: 1_000);
        await using var op = await StartAsync(engine, prefetch: 50);
        Assert.Equal(Enumerable.Range(0, 50), (await FetchAsync(op, 100)).Rows);
        await engine.WaitForReadsAsync(2);

        var (again, _, offset) = await FetchAsync(op, 20, FetchOrientation.First);
        Assert.Equal(Enumerable.Range(0, 20), again);
        Assert.Equal(0, offset);
        Assert.Equal(Enumerable.Range(20, 30), (await FetchAsync(op, 30)).Rows);
        // The read-ahead batch follows the first one, not a second copy of it.
        var (next, _, nextOffset) = await FetchAsync(op, 100);
        Assert.Equal(Enumerable.Range(50, 100), next);
        Assert.Equal(50, nextOffset);
        Assert.Equal([50, 100], engine.ReadSizes.Take(2));

        var e = await Assert.ThrowsAsync<GatewayException>(async () => await op.FetchAsync(FetchOrientation.First, 10, CancellationToken.None));
        Assert.Equal("HY106", e.SqlState);
    }

    [Fact]
    public async Task TheRowLimitBoundsWhatIsReadAheadAndEndsTheResult()
    {
        var engine = new PagedEngine(rows: 10_000);
        await using var op = await StartAsync(engine, prefetch: 50, rowLimit: 230);
        var rows = new List<int>();
        while (true)
        {
            var (values, more, _) = await FetchAsync(op, 100);
            rows.AddRange(values);
            if (!more) break;
        }
        Assert.Equal(Enumerable.Range(0, 230), rows);
        // 50 prefetched, 100 read ahead, then only the 80 the limit leaves; nothing after.
        Assert.Equal([50, 100, 80], engine.ReadSizes);
        Assert.True(engine.Result!.Disposed);
    }

    [Fact]
    public async Task ASmallerFetchThanTheReadAheadGetsSlicesAndTheBatchOutlivesRepliesThatStillReferenceIt()
    {
        var engine = new PagedEngine(rows: 1_000);
        await using var op = await StartAsync(engine, prefetch: 50);
        await FetchAsync(op, 100);
        await engine.WaitForReadsAsync(2);

        // The read-ahead holds 100 rows; the client now asks for 40 at a time, each reply pinned as FetchResults does.
        var rows = new List<int>();
        var slices = new List<FetchResult>();
        for (var i = 0; i < 3; i++)
        {
            Assert.True(op.TryPin());
            var r = await op.FetchAsync(FetchOrientation.Next, 40, CancellationToken.None);
            slices.Add(r);
            rows.AddRange(Values(r));
        }
        Assert.Equal(Enumerable.Range(50, 100), rows);
        Assert.Equal([40, 40, 20], slices.Select(s => s.Count));
        Assert.Equal([50L, 90, 130], slices.Select(s => s.StartRowOffset));
        // None is the caller's to dispose: replies may still reference the batch until the last pin goes.
        Assert.All(slices, s => Assert.False(s.Owned));
        var sliced = (CountedColumn)slices[0].Batch.Columns[0];
        Assert.All(slices, s => Assert.Same(sliced, s.Batch.Columns[0]));
        op.Unpin();
        op.Unpin();
        Assert.False(sliced.Disposed);
        op.Unpin();
        // The last reply is written: the sliced batch goes; the next one is being read ahead.
        Assert.True(sliced.Disposed);
        await engine.WaitForReadsAsync(3);
        await WaitUntilAsync(() => engine.LiveBatches == 2);

        var (next, _, offset) = await FetchAsync(op, 40);
        Assert.Equal(Enumerable.Range(150, 40), next);
        Assert.Equal(150, offset);
    }

    [Fact]
    public async Task AQueryThatFailsStillReportsTheResultSetItWouldHaveHad()
    {
        // The handle's hasResultSet is what the statement is, not whether it worked: the Databricks connector reads
        // false as "nothing to wait for" and never reports the error.
        var engine = new PagedEngine(rows: 10) { FailExecute = true };
        var time = new ManualTimeProvider();
        var session = new Hs2Session(new SessionInfo("tester", 10, 1, null, null), engine, time);
        await using var op = new StatementOperation(session, time, "SELECT n FROM numbers", ExecuteOptions.Default, 10,
            new RegisteredEngine(new EngineOptions { Name = engine.Name }, engine, time));
        await op.StartAsync(runAsync: false, timeout: null, CancellationToken.None);
        Assert.Equal(OperationState.Error, op.State);
        Assert.Equal("42S02", op.ErrorSqlState);
        Assert.True(op.HasResultSet);
    }

    // ---- scaffolding ----

    private static async Task<StatementOperation> StartAsync(PagedEngine engine, int prefetch, long? rowLimit = null)
    {
        var time = new ManualTimeProvider();
        var session = new Hs2Session(new SessionInfo("tester", 10, 1, null, null), engine, time);
        var registered = new RegisteredEngine(new EngineOptions { Name = engine.Name }, engine, time);
        var op = new StatementOperation(session, time, "SELECT n FROM numbers", ExecuteOptions.Default, prefetch, registered, rowLimit: rowLimit);
        await op.StartAsync(runAsync: false, timeout: null, CancellationToken.None);
        Assert.Equal(OperationState.Finished, op.State);
        return op;
    }

    /// <summary>One fetch as FetchResults does it (an owned batch disposed once "written"): the values, hasMoreRows, startRowOffset.</summary>
    private static async Task<(List<int> Rows, bool More, long Offset)> FetchAsync(StatementOperation op, int maxRows, FetchOrientation orientation = FetchOrientation.Next)
    {
        var r = await op.FetchAsync(orientation, maxRows, CancellationToken.None);
        var values = Values(r);
        if (r.Owned) r.Batch.Dispose();
        return (values, r.HasMoreRows, r.StartRowOffset);
    }

    private static List<int> Values(FetchResult r)
    {
        if (r.Count == 0) return [];
        var column = (CountedColumn)r.Batch.Columns[0];
        return [.. column.Values.AsSpan(r.Offset, r.Count).ToArray()];
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("The condition did not hold in time.");
            await Task.Delay(5);
        }
    }

    /// <summary>
    /// Pages the numbers 0..rows-1 in batches of exactly the size asked for (shorter only at the end). Read k (1-based)
    /// fails with SQLSTATE 58000 when <see cref="FailAtRead"/> is k, and from <see cref="BlockFromRead"/> on, reads wait
    /// until interrupted or canceled.
    /// </summary>
    private sealed class PagedEngine(int rows) : IEngine
    {
        private int _reads;
        private int _live;

        public string Name => "paged";
        public EngineKind Kind => EngineKind.DuckDb;
        public int FailAtRead { get; init; }
        public bool FailExecute { get; init; }
        public int BlockFromRead { get; init; } = int.MaxValue;
        public TaskCompletionSource Blocked { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int Reads => Volatile.Read(ref _reads);
        public int LiveBatches => Volatile.Read(ref _live);
        public List<int> ReadSizes { get; } = [];
        public PagedSession? Session { get; private set; }
        public PagedResult? Result => Session?.Result;
        public int Rows => rows;

        public Task WaitForReadsAsync(int n) => WaitUntilAsync(() => Reads >= n);

        public int NextRead() => Interlocked.Increment(ref _reads);

        public void BatchCreated() => Interlocked.Increment(ref _live);

        public void BatchDisposed() => Interlocked.Decrement(ref _live);

        public ValueTask<IEngineSession> OpenSessionAsync(EngineSessionOptions options, CancellationToken cancellationToken)
        {
            Session = new PagedSession(this);
            return ValueTask.FromResult<IEngineSession>(Session);
        }

        public ValueTask<EngineHealthReport> CheckHealthAsync(CancellationToken cancellationToken) => ValueTask.FromResult(EngineHealthReport.Ok(TimeSpan.Zero));

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private sealed class PagedSession(PagedEngine engine) : IEngineSession
    {
        private volatile bool _interrupted;

        public string CurrentDatabase => "main";
        public bool Interrupted => _interrupted;
        public PagedResult? Result { get; private set; }
        public IEngineMetadata Metadata => throw new NotSupportedException();

        public ValueTask<IQueryResult> ExecuteAsync(string sql, ExecuteOptions options, CancellationToken cancellationToken)
        {
            _interrupted = false;
            if (engine.FailExecute) throw new EngineException("Catalog Error: Table with name numbers does not exist!", "42S02");
            Result = new PagedResult(engine, this);
            return ValueTask.FromResult<IQueryResult>(Result);
        }

        public void Interrupt() => _interrupted = true;

        public ValueTask<bool> ValidateAsync(CancellationToken cancellationToken) => ValueTask.FromResult(true);

        public ValueTask UseDatabaseAsync(string database, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private sealed class PagedResult(PagedEngine engine, PagedSession session) : IQueryResult
    {
        private static readonly ResultSchema Numbers = new([new ColumnInfo("n", SqlType.Int)]);
        private int _next;

        public ResultSchema Schema => Numbers;
        public bool HasRows => true;
        public long? AffectedRows => null;
        public double? Progress => null;
        public volatile bool Disposed;

        public async ValueTask<ColumnBatch?> ReadBatchAsync(int maxRows, CancellationToken cancellationToken)
        {
            ObjectDisposedException.ThrowIf(Disposed, this);
            var read = engine.NextRead();
            lock (engine.ReadSizes) engine.ReadSizes.Add(maxRows);
            await Task.Yield();
            if (read >= engine.BlockFromRead)
            {
                engine.Blocked.TrySetResult();
                while (!session.Interrupted) await Task.Delay(5, cancellationToken);
                throw new EngineException("The statement was canceled.", "HY008");
            }
            if (read == engine.FailAtRead) throw new EngineException("disk on fire", "58000");
            var n = Math.Min(maxRows, engine.Rows - _next);
            if (n <= 0) return null;
            var values = new int[n];
            for (var i = 0; i < n; i++) values[i] = _next + i;
            _next += n;
            engine.BatchCreated();
            return new ColumnBatch(Numbers, n, [new CountedColumn(engine, values)]);
        }

        public ValueTask DisposeAsync()
        {
            Disposed = true;
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>An INT column that tells the engine when it is disposed (once).</summary>
    private sealed class CountedColumn(PagedEngine engine, int[] values) : Column(SqlType.Int, values.Length)
    {
        private int _disposed;

        public int[] Values => values;
        public bool Disposed => Volatile.Read(ref _disposed) == 1;

        protected override void ReleaseBuffers()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) engine.BatchDisposed();
        }
    }
}
