using Gateway.Engines.HiveServer2;
using Gateway.Server.Engines;
using Gateway.Server.Operations;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Gateway.Tests.InProcess;

/// <summary>
/// A result nobody reads gives its engine slot back within seconds of Limits:UnreadResultTimeout: its rest is spooled,
/// and a slow reader still gets every row, exactly; past the spool's budget the statement is canceled with a clear error.
/// </summary>
public sealed class UnreadResultInProcessTests : IAsyncLifetime
{
    // Every type the spool must carry through unchanged, with NULLs, over several fetch batches.
    private const string EveryType = """
        SELECT i,
               CASE WHEN i % 7 = 0 THEN NULL ELSE i * 3 END AS maybe,
               (i / 3.0)::DECIMAL(18,4) AS dec, i::DOUBLE / 7 AS dbl, i % 2 = 0 AS flag,
               'row ' || i AS text, ('v' || (i % 10))::VARCHAR AS short_text,
               DATE '2020-01-01' + (i % 1000)::INTEGER AS day,
               TIMESTAMP '2024-03-01 10:00:00' + INTERVAL (i) SECOND AS ts,
               [i, i + 1] AS list, {'a': i, 'b': 'x' || i} AS rec, MAP {'k': i} AS m,
               CASE WHEN i % 5 = 0 THEN NULL ELSE ('blob' || i)::BLOB END AS bin
        FROM range(25000) t(i) ORDER BY i
        """;

    private GatewayInstance _gateway = null!;

    public async Task InitializeAsync() => _gateway = await GatewayInstance.StartAsync(new Dictionary<string, string?>
    {
        ["Gateway:Limits:UnreadResultTimeout"] = "00:00:01",
        ["Gateway:Limits:SweepInterval"] = "00:00:00.200",
        ["Gateway:Limits:Spool:MaxBytesPerResult"] = "8388608",
    });

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    private RegisteredEngine DuckDb => _gateway.Services.GetRequiredService<EngineRegistry>().Default;

    private async Task WaitUntilEngineIsFree(TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (DuckDb.Running > 0 && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.Equal(0, DuckDb.Running);
    }

    [Fact]
    public async Task AnUnreadResultIsSpooledAndTheSlowReaderStillGetsEveryRowExactly()
    {
        await using var c = await _gateway.ConnectAsync(user: "slow");
        var expected = await c.QueryAsync(EveryType);
        Assert.Equal(25000, expected.Rows.Count);

        await using var op = await c.StartAsync(EveryType);
        var (first, more) = await op.FetchAsync(100);
        Assert.True(more);
        Assert.Equal(1, DuckDb.Running);
        // Read nothing more: within a few seconds of the timeout the engine is free again.
        await WaitUntilEngineIsFree(TimeSpan.FromSeconds(10));
        Assert.True(_gateway.Services.GetRequiredService<SpoolStore>().UsedBytes > 0);

        var rest = await op.ReadAllAsTextAsync(fetchSize: 3000);
        Assert.Equal(expected.Schema.Columns.Select(x => x.Type.ToString()), rest.Schema.Columns.Select(x => x.Type.ToString()));
        var got = Text(first).Concat(rest.Rows).ToList();
        Assert.Equal(expected.Rows.Count, got.Count);
        for (var i = 0; i < got.Count; i++) Assert.Equal(expected.Rows[i], got[i]);
        var log = string.Join("\n", await op.FetchLogAsync());
        Assert.Contains("were spooled", log, StringComparison.Ordinal);
        await op.DisposeAsync();
        // Read to the end (and closed), the spool file is gone.
        Assert.Equal(0, _gateway.Services.GetRequiredService<SpoolStore>().UsedBytes);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_gateway.DataFolder, "spool")));
    }

    private static List<string?[]> Text(Gateway.Protocol.Columnar.ColumnBatch batch)
    {
        using (batch)
        {
            return [.. Enumerable.Range(0, batch.RowCount).Select(r => batch.Columns.Select(c => Gateway.Protocol.Columnar.ValueFormatter.Utc.FormatToString(c, r)).ToArray())];
        }
    }

    [Fact]
    public async Task AResultLargerThanTheSpoolIsCanceledWithAClearError()
    {
        await using var c = await _gateway.ConnectAsync(user: "huge");
        await using var op = await c.StartAsync("SELECT i, 'padding ' || i AS p FROM range(20000000) t(i)");
        await op.FetchAsync(10);
        await WaitUntilEngineIsFree(TimeSpan.FromSeconds(30));
        var refused = await Assert.ThrowsAsync<HiveClientException>(() => op.FetchAsync(10));
        Assert.Equal("57014", refused.SqlState);
        Assert.Contains("The result was not read for", refused.Message, StringComparison.Ordinal);
        Assert.Contains("it is larger than one spooled result may be (Limits:Spool:MaxBytesPerResult = 8 MiB); the statement was canceled to give engine 'duckdb' back", refused.Message, StringComparison.Ordinal);
        Assert.Equal(0, _gateway.Services.GetRequiredService<SpoolStore>().UsedBytes);
        // The session goes on.
        Assert.Equal("1", (await c.QueryAsync("SELECT 1")).Rows[0][0]);
    }

    [Fact]
    public async Task ClosingTheConnectionFreesEverySlotAtOnce()
    {
        var c = await _gateway.ConnectAsync(user: "leaver");
        for (var i = 0; i < 4; i++) await c.StartAsync("SELECT * FROM range(10000000)");
        for (var i = 0; i < 200 && DuckDb.Running < 4; i++) await Task.Delay(10);
        Assert.Equal(4, DuckDb.Running);
        await c.DisposeAsync();
        await WaitUntilEngineIsFree(TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task ARealClientThatGoesQuietStillGetsEveryRowAfterTheEngineIsFreed()
    {
        // hive-driver reads 100 rows, goes quiet for 6 s, then reads the rest: meanwhile the gateway must spool the
        // result and give the engine back, and the client must not notice.
        const int rows = 30000;
        var run = Gateway.Tests.RealClients.NodeClientsRealClientTests.RunNodeAsync("hive-driver-slow-reader.js", "127.0.0.1",
            _gateway.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "bi-tool", "x", rows.ToString(System.Globalization.CultureInfo.InvariantCulture), "6000");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DuckDb.Running == 0 && !run.IsCompleted && DateTime.UtcNow < deadline) await Task.Delay(10);
        Assert.False(run.IsCompleted, "the client finished before its statement was seen running");
        Assert.Equal(1, DuckDb.Running);
        while (DuckDb.Running > 0 && !run.IsCompleted && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.False(run.IsCompleted, "the engine was not freed while the client was quiet");
        Assert.Equal(0, DuckDb.Running);

        var r = await run;
        Assert.Equal(100, r.GetProperty("first").GetInt32());
        Assert.Equal(rows, r.GetProperty("count").GetInt32());
        Assert.True(r.GetProperty("ordered").GetBoolean());
        Assert.Equal((rows + 6) / 7, r.GetProperty("nulls").GetInt32());
        Assert.Equal((long)rows * (rows - 1) / 2, r.GetProperty("sum").GetInt64());
        Assert.Equal(0, _gateway.Services.GetRequiredService<SpoolStore>().UsedBytes);
    }
}

