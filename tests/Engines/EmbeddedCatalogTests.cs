using Gateway.Catalog;
using Gateway.Catalog.Embedded;
using Gateway.Engines;
using Gateway.Engines.DuckDb;
using Gateway.Tests.InProcess;

namespace Gateway.Tests.Engines;

public sealed class EmbeddedCatalogTests : IAsyncLifetime
{
    private readonly string _folder = Directory.CreateTempSubdirectory("gw-catalog").FullName;
    private DuckDbEngine _engine = null!;

    public async Task InitializeAsync()
    {
        _engine = new DuckDbEngine(new DuckDbEngineOptions { DataDirectory = _folder, FileName = "catalog.duckdb", Sandbox = new DuckDbSandboxOptions { AllowedDirectories = [_folder] } });
        await using var session = await _engine.OpenDuckDbSessionAsync(new EngineSessionOptions("t"), CancellationToken.None);
        foreach (var sql in new[]
        {
            "CREATE SCHEMA lake",
            "CREATE TABLE lake.big AS SELECT i AS id, i * 2.5 AS amount, 'name ' || i AS name FROM range(200000) t(i)",
            "CREATE TABLE main.small (k INTEGER, v VARCHAR)",
            "INSERT INTO main.small VALUES (1, 'a'), (2, 'b')",
            "CREATE VIEW lake.big_view AS SELECT * FROM lake.big",
            $"COPY (SELECT i FROM range(1000) t(i)) TO '{Path.Combine(_folder, "events-1.parquet")}' (FORMAT PARQUET)",
            $"COPY (SELECT i FROM range(500) t(i)) TO '{Path.Combine(_folder, "events-2.parquet")}' (FORMAT PARQUET)",
        })
        {
            await using var r = await session.ExecuteNativeAsync(sql, CancellationToken.None);
        }
    }

    public async Task DisposeAsync()
    {
        await _engine.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task ListsSchemasAndTablesWithHiveNames()
    {
        var catalog = new EmbeddedCatalog(_engine, _folder, TimeProvider.System);
        var schemas = await catalog.ListSchemasAsync(CancellationToken.None);
        Assert.Contains("default", schemas);
        Assert.Contains("lake", schemas);
        var tables = await catalog.ListTablesAsync("lake", CancellationToken.None);
        Assert.Equal(["big", "big_view"], tables.Select(t => t.Table.Name));
        Assert.Equal(CatalogTableType.View, tables[1].Type);
        Assert.Contains(await catalog.ListTablesAsync("default", CancellationToken.None), t => t.Table.Name == "small");
    }

    [Fact]
    public async Task TableStatisticsComeFromDuckDb()
    {
        var catalog = new EmbeddedCatalog(_engine, _folder, TimeProvider.System);
        var big = await catalog.GetStatisticsAsync(new TableRef(null, "lake", "big"), CancellationToken.None);
        Assert.NotNull(big);
        Assert.InRange(big.Rows!.Value, 150_000, 250_000);
        // bigint 8 + decimal 16 + varchar guess 24 bytes per row.
        Assert.Equal(big.Rows * 48, big.Bytes);
        var small = await catalog.GetStatisticsAsync(new TableRef(null, "default", "small"), CancellationToken.None);
        Assert.Equal(2, small!.Rows);
        Assert.True(small.Bytes < big.Bytes);
        Assert.Null(await catalog.GetStatisticsAsync(new TableRef(null, "lake", "missing"), CancellationToken.None));
        Assert.Null(await catalog.GetStatisticsAsync(new TableRef(null, "lake", "x' OR '1'='1"), CancellationToken.None));
    }

    [Fact]
    public async Task ParquetStatisticsComeFromFooters()
    {
        var catalog = new EmbeddedCatalog(_engine, _folder, TimeProvider.System);
        var stats = await catalog.GetParquetStatisticsAsync("events-*.parquet", CancellationToken.None);
        Assert.NotNull(stats);
        Assert.Equal(1500, stats.Rows);
        Assert.Equal(2, stats.Files);
        Assert.True(stats.Bytes > 0);
        Assert.Equal("parquet:footer", stats.Source);
        Assert.Null(await catalog.GetParquetStatisticsAsync("s3://bucket/x.parquet", CancellationToken.None));
        Assert.Null(await catalog.GetParquetStatisticsAsync("../../etc/*.parquet", CancellationToken.None));
        Assert.Null(await catalog.GetParquetStatisticsAsync("nothing-*.parquet", CancellationToken.None));
    }

    private sealed class CountingCatalog(ICatalog inner) : ICatalog
    {
        public int Lookups;
        public string Name => inner.Name;
        public ValueTask<IReadOnlyList<string>> ListSchemasAsync(CancellationToken cancellationToken) => inner.ListSchemasAsync(cancellationToken);
        public ValueTask<IReadOnlyList<CatalogTable>> ListTablesAsync(string? schema, CancellationToken cancellationToken) => inner.ListTablesAsync(schema, cancellationToken);
        public ValueTask<IReadOnlyList<CatalogColumn>?> ListColumnsAsync(TableRef table, CancellationToken cancellationToken) => inner.ListColumnsAsync(table, cancellationToken);

        public ValueTask<TableStatistics?> GetStatisticsAsync(TableRef table, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Lookups);
            return inner.GetStatisticsAsync(table, cancellationToken);
        }
    }

    [Fact]
    public async Task ListsColumnsInOrderWithTheirTypes()
    {
        var catalog = new EmbeddedCatalog(_engine, _folder, TimeProvider.System);
        var big = (await catalog.ListColumnsAsync(new TableRef(null, "lake", "big"), CancellationToken.None))!;
        Assert.Equal(["id", "amount", "name"], big.Select(c => c.Name));
        Assert.Equal(["BIGINT", "DECIMAL(21,1)", "VARCHAR"], big.Select(c => c.Type));
        Assert.Equal([1, 2, 3], big.Select(c => c.Position));
        // The Hive name of DuckDB's main schema, through a view too.
        Assert.Equal(["k", "v"], (await catalog.ListColumnsAsync(new TableRef(null, "default", "small"), CancellationToken.None))!.Select(c => c.Name));
        Assert.Equal(3, (await catalog.ListColumnsAsync(new TableRef(null, "lake", "big_view"), CancellationToken.None))!.Count);
        Assert.Null(await catalog.ListColumnsAsync(new TableRef(null, "lake", "missing"), CancellationToken.None));
    }

    [Fact]
    public async Task StatisticsAreCachedAndRefreshed()
    {
        var clock = new ManualTimeProvider();
        var counting = new CountingCatalog(new EmbeddedCatalog(_engine, _folder, clock));
        var cache = new CachingCatalog(counting, TimeSpan.FromMinutes(5), clock);
        var table = new TableRef(null, "default", "small");
        var first = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => cache.GetStatisticsAsync(table, CancellationToken.None).AsTask()));
        Assert.All(first, s => Assert.Equal(2, s!.Rows));
        Assert.Equal(1, counting.Lookups);

        await using (var session = await _engine.OpenDuckDbSessionAsync(new EngineSessionOptions("t"), CancellationToken.None))
        await using (var r = await session.ExecuteNativeAsync("INSERT INTO main.small VALUES (3, 'c')", CancellationToken.None))
        {
        }
        clock.Advance(TimeSpan.FromMinutes(4));
        Assert.Equal(2, (await cache.GetStatisticsAsync(table, CancellationToken.None))!.Rows);
        clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(3, (await cache.GetStatisticsAsync(table, CancellationToken.None))!.Rows);
        Assert.Equal(2, counting.Lookups);
        cache.Invalidate(table);
        await cache.GetStatisticsAsync(table, CancellationToken.None);
        Assert.Equal(3, counting.Lookups);
    }
}
