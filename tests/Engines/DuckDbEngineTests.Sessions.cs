using Gateway.Engines;

namespace Gateway.Tests.Engines;

/// <summary>What the engine session pool asks of a DuckDB session: a liveness check and USE by name.</summary>
public partial class DuckDbEngineTests
{
    [Fact]
    public async Task ValidateIsTrueForALiveSessionLeavesAnOpenResultAloneAndIsFalseOnceClosed()
    {
        var session = await OpenAsync();
        Assert.True(await session.ValidateAsync(CancellationToken.None));

        await using (var result = await session.ExecuteAsync("SELECT range FROM range(10000)", Options, CancellationToken.None))
        {
            using (var first = await result.ReadBatchAsync(100, CancellationToken.None)) Assert.Equal(100, first!.RowCount);
            Assert.True(await session.ValidateAsync(CancellationToken.None));
            // The streaming result survived the check.
            using var next = await result.ReadBatchAsync(100, CancellationToken.None);
            Assert.Equal(100, next!.RowCount);
        }

        await session.DisposeAsync();
        Assert.False(await session.ValidateAsync(CancellationToken.None));
    }

    [Fact]
    public async Task UseDatabaseTakesHiveNamesAndLeavesTheSessionInPlaceWhenTheSchemaIsMissing()
    {
        await using var session = await OpenAsync();
        await session.UseDatabaseAsync("DEMO", CancellationToken.None);
        Assert.Equal("demo", session.CurrentDatabase, ignoreCase: true);
        Assert.Equal("50", await ScalarAsync(session, "SELECT count(*) FROM stores"));

        var missing = await Assert.ThrowsAsync<EngineException>(async () => await session.UseDatabaseAsync("no_such_schema_here", CancellationToken.None));
        Assert.False(missing.Retryable);
        Assert.Equal("demo", session.CurrentDatabase, ignoreCase: true);

        // Hive's default database is DuckDB's main.
        await session.UseDatabaseAsync("default", CancellationToken.None);
        Assert.Equal("main", session.CurrentDatabase);
    }

    [Fact]
    public async Task FindDatabaseNamesASchemaAsUseWouldFindItWithoutOpeningASession()
    {
        Assert.Equal("demo", await fixture.Engine.FindDatabaseAsync("DEMO", CancellationToken.None), ignoreCase: false);
        Assert.Equal("main", await fixture.Engine.FindDatabaseAsync("default", CancellationToken.None));
        Assert.Equal("main", await fixture.Engine.FindDatabaseAsync("main", CancellationToken.None));
        // Not there: the engine does not say "missing" (USE could still find an attached database); a session decides.
        Assert.Null(await fixture.Engine.FindDatabaseAsync("no_such_schema_here", CancellationToken.None));
        Assert.Null(await fixture.Engine.FindDatabaseAsync("x'); DROP SCHEMA demo; --", CancellationToken.None));
        Assert.Equal("demo", await fixture.Engine.FindDatabaseAsync("demo", CancellationToken.None));
    }
}
