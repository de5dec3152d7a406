using Gateway.Engines;

namespace Gateway.Tests.Engines;

/// <summary>What the engine session pool asks of a PostgreSQL session: a liveness check and USE by name.</summary>
public sealed partial class PostgresEngineRealServiceTests
{
    [Fact]
    public async Task ValidateIsFalseOnceTheServerEndedTheBackend()
    {
        await using var session = await OpenAsync();
        Assert.True(await session.ValidateAsync(CancellationToken.None));
        var pid = await ScalarAsync(session, "SELECT pg_backend_pid()");

        // While a result streams the connection is busy with it: the check sends nothing and the result survives.
        await using (var result = await session.ExecuteAsync("SELECT g FROM generate_series(1, 100000) g", ExecuteOptions.Default, CancellationToken.None))
        {
            using (var first = await result.ReadBatchAsync(10, CancellationToken.None)) Assert.Equal(10, first!.RowCount);
            Assert.True(await session.ValidateAsync(CancellationToken.None));
            using var next = await result.ReadBatchAsync(10, CancellationToken.None);
            Assert.Equal("11", Gateway.Protocol.Columnar.ValueFormatter.Utc.FormatToString(next!.Columns[0], 0));
        }

        await PostgresTestServer.ExecuteAsync($"SELECT pg_terminate_backend({pid})");
        Assert.False(await session.ValidateAsync(CancellationToken.None));
        // The adapter itself still recovers at the next statement, on a new connection.
        Assert.NotEqual(pid, await ScalarAsync(session, "SELECT pg_backend_pid()"));
        Assert.True(await session.ValidateAsync(CancellationToken.None));

        await session.DisposeAsync();
        Assert.False(await session.ValidateAsync(CancellationToken.None));
    }

    [Fact]
    public async Task UseDatabaseSetsTheSearchPathLikeUse()
    {
        await using var session = await OpenAsync();
        await session.UseDatabaseAsync(S.ToUpperInvariant(), CancellationToken.None);
        Assert.Equal(S, session.CurrentDatabase);
        Assert.Equal(S, await ScalarAsync(session, "SELECT current_schema()"));
        Assert.Equal("2", await ScalarAsync(session, "SELECT count(*) FROM customers"));

        var missing = await Assert.ThrowsAsync<EngineException>(async () => await session.UseDatabaseAsync("no_such_schema_here", CancellationToken.None));
        Assert.Equal("3F000", missing.SqlState);
        Assert.False(missing.Retryable);
        Assert.Equal(S, await ScalarAsync(session, "SELECT current_schema()"));

        await session.UseDatabaseAsync("default", CancellationToken.None);
        Assert.Equal("public", session.CurrentDatabase);
        Assert.Equal("public", await ScalarAsync(session, "SELECT current_schema()"));
    }
}
