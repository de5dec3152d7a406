using Gateway.Engines;
using Gateway.Engines.DuckDb;

namespace Gateway.Tests.Engines;

/// <summary>ExecuteOptions.FirstBatchRows: the first batch is read in the execute's work item on the session's worker.</summary>
public partial class DuckDbEngineTests
{
    private static readonly ExecuteOptions FirstBatch = ExecuteOptions.Default with { FirstBatchRows = 4096 };

    [Fact]
    public async Task ASmallQueryWithAFirstBatchHintCostsOneWorkerItemForExecuteReadAndDispose()
    {
        await using var session = await OpenAsync();
        var before = session.Worker.ItemsRun;
        await using (var result = await session.ExecuteAsync("SELECT 1 AS one", FirstBatch, CancellationToken.None))
        {
            using var batch = await result.ReadBatchAsync(4096, CancellationToken.None);
            Assert.Equal(1, batch!.RowCount);
            Assert.Null(await result.ReadBatchAsync(4096, CancellationToken.None));
        }
        // Execute, first batch, end of stream and the release of the native result: one work item.
        Assert.Equal(1, session.Worker.ItemsRun - before);

        // Without the hint: execute and read are two; the read that reaches the end frees the native result, so disposing
        // it costs no third item.
        before = session.Worker.ItemsRun;
        await using (var result = await session.ExecuteAsync("SELECT 1 AS one", Options, CancellationToken.None))
        {
            using var batch = await result.ReadBatchAsync(4096, CancellationToken.None);
            Assert.Equal(1, batch!.RowCount);
        }
        Assert.Equal(2, session.Worker.ItemsRun - before);

        // The session runs its next statement as usual.
        Assert.Equal("1", await ScalarAsync(session, "SELECT 1"));
    }

    [Fact]
    public async Task AFirstBatchReadWithTheExecuteIsFollowedByTheRestOfTheStream()
    {
        await using var session = await OpenAsync();
        var hint = ExecuteOptions.Default with { FirstBatchRows = 3000 };
        await using var result = await session.ExecuteAsync("SELECT range AS i FROM range(10000)", hint, CancellationToken.None);
        var seen = new List<long>();
        using (var first = await result.ReadBatchAsync(3000, CancellationToken.None))
        {
            Assert.Equal(3000, first!.RowCount);
            seen.AddRange(((Gateway.Protocol.Columnar.PrimitiveColumn<long>)first.Columns[0]).Span.ToArray());
        }
        while (await result.ReadBatchAsync(4000, CancellationToken.None) is { } batch)
        {
            using (batch) seen.AddRange(((Gateway.Protocol.Columnar.PrimitiveColumn<long>)batch.Columns[0]).Span.ToArray());
        }
        Assert.Equal(Enumerable.Range(0, 10000).Select(i => (long)i), seen);
    }

    [Fact]
    public async Task AFirstReadOfAnotherSizeIsServedOnlyWhenTheBatchReadAheadAnswersItExactly()
    {
        await using var session = await OpenAsync();
        // The whole result fits the batch read ahead: any read of at least its rows gets it.
        await using (var small = await session.ExecuteAsync("SELECT range FROM range(5)", FirstBatch, CancellationToken.None))
        {
            using var batch = await small.ReadBatchAsync(10, CancellationToken.None);
            Assert.Equal(5, batch!.RowCount);
        }
        // More rows remain: a read of another size would lose or overrun rows, so it fails loudly.
        await using var large = await session.ExecuteAsync("SELECT range FROM range(10000)", FirstBatch, CancellationToken.None);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await large.ReadBatchAsync(100, CancellationToken.None));
    }

    [Fact]
    public async Task AFailureWhileReadingTheFirstBatchSurfacesAtTheFirstReadAndAnInterruptAfterTheExecuteFailsIt()
    {
        await using var session = await OpenAsync();
        // The statement runs, and its first batch fails to convert (a HUGEINT beyond 38 digits): the first read reports it.
        const string TooWide = "SELECT CASE WHEN range = 3000 THEN 170141183460469231731687303715884105727::HUGEINT ELSE range::HUGEINT END AS h FROM range(10000)";
        await using (var failing = await session.ExecuteAsync(TooWide, FirstBatch, CancellationToken.None))
        {
            var e = await Assert.ThrowsAsync<EngineException>(async () => await failing.ReadBatchAsync(4096, CancellationToken.None));
            Assert.Equal("22003", e.SqlState);
            // A failed stream stays failed.
            await Assert.ThrowsAsync<EngineException>(async () => await failing.ReadBatchAsync(4096, CancellationToken.None));
        }

        await using (var interrupted = await session.ExecuteAsync("SELECT range FROM range(10000)", FirstBatch, CancellationToken.None))
        {
            session.Interrupt();
            var e = await Assert.ThrowsAsync<EngineException>(async () => await interrupted.ReadBatchAsync(4096, CancellationToken.None));
            Assert.Equal("HY008", e.SqlState);
        }

        await using (var canceled = await session.ExecuteAsync("SELECT range FROM range(10000)", FirstBatch, CancellationToken.None))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await canceled.ReadBatchAsync(4096, new CancellationToken(canceled: true)));
        }
        // The session still works.
        Assert.Equal("1", await ScalarAsync(session, "SELECT 1"));
    }
}
