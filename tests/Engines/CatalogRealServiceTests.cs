using Gateway.Catalog;
using Gateway.Catalog.HiveMetastore;
using Gateway.Catalog.Postgres;
using Npgsql;

namespace Gateway.Tests.Engines;

/// <summary>
/// The PostgreSQL-backed catalogs against the real test server: PostgreSQL's own statistics, and a Hive
/// Metastore whose backing schema (the tables and columns Hive 3's schema script creates that the adapter
/// reads) the test creates and fills as Hive and Spark would.
/// </summary>
public sealed class CatalogRealServiceTests : IAsyncLifetime
{
    private readonly string _schema = $"cat_{Guid.NewGuid():N}"[..20];
    private readonly string _hms = $"hms_{Guid.NewGuid():N}"[..20];

    private string HmsConnectionString => new NpgsqlConnectionStringBuilder(PostgresTestServer.ConnectionString) { SearchPath = _hms }.ConnectionString;

    public async Task InitializeAsync()
    {
        await PostgresTestServer.ExecuteAsync($"""
            CREATE SCHEMA {_schema};
            CREATE TABLE {_schema}.big AS SELECT g AS id, md5(g::text) AS payload FROM generate_series(1, 50000) g;
            CREATE TABLE {_schema}.small (k int PRIMARY KEY, v text);
            INSERT INTO {_schema}.small VALUES (1, 'a'), (2, 'b');
            CREATE TABLE {_schema}.parted (d date, n int) PARTITION BY RANGE (d);
            CREATE TABLE {_schema}.parted_2024 PARTITION OF {_schema}.parted FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
            CREATE TABLE {_schema}.parted_2025 PARTITION OF {_schema}.parted FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
            INSERT INTO {_schema}.parted SELECT DATE '2024-01-01' + (g % 700), g FROM generate_series(1, 7000) g;
            CREATE VIEW {_schema}.v AS SELECT * FROM {_schema}.small;
            ANALYZE {_schema}.big; ANALYZE {_schema}.small; ANALYZE {_schema}.parted_2024; ANALYZE {_schema}.parted_2025;
            """);
        // The metastore tables the adapter reads, with Hive 3's names and types.
        await HiveMetastoreTestSchema.CreateAsync(_hms);
        await PostgresTestServer.ExecuteAsync($"""
            SET search_path = {_hms};
            INSERT INTO "CTLGS" VALUES (2, 'other', NULL, 'file:/other');
            INSERT INTO "CDS" VALUES (1), (2);
            INSERT INTO "COLUMNS_V2" VALUES (1, 'order key', 'order_id', 'bigint', 0), (1, NULL, 'amount', 'decimal(10,2)', 1), (1, NULL, 'items', 'array<struct<sku:string,qty:int>>', 2),
                                            (2, NULL, 'user_id', 'bigint', 0);
            INSERT INTO "DBS" VALUES (1, 'Default Hive database', 'file:/warehouse', 'default', 'public', 'ROLE', 'hive'),
                                     (2, NULL, 'file:/warehouse/sales.db', 'sales', 'etl', 'USER', 'hive'),
                                     (3, NULL, 'file:/other/sales.db', 'sales', 'etl', 'USER', 'other');
            INSERT INTO "SDS" SELECT g, g, 'parquet', false, 'file:/warehouse/t' || g, -1, 'parquet', g, false FROM generate_series(1, 20) g;
            INSERT INTO "TBLS" VALUES
              (1, 1700000000, 2, 0, 'etl', 'USER', 0, 1, 'orders', 'MANAGED_TABLE', NULL, NULL, false),
              (2, 1700000000, 2, 0, 'etl', 'USER', 0, 2, 'events', 'EXTERNAL_TABLE', NULL, NULL, false),
              (3, 1700000000, 2, 0, 'etl', 'USER', 0, 3, 'orders_view', 'VIRTUAL_VIEW', 'select 1', 'select 1', false),
              (4, 1700000000, 2, 0, 'etl', 'USER', 0, 4, 'nostats', 'MANAGED_TABLE', NULL, NULL, false),
              (5, 1700000000, 3, 0, 'etl', 'USER', 0, 5, 'orders', 'MANAGED_TABLE', NULL, NULL, false);
            -- Hive: table-level statistics (and -1 for "not computed" on nostats).
            INSERT INTO "TABLE_PARAMS" VALUES (1, 'numRows', '1200000'), (1, 'totalSize', '987654321'), (1, 'numFiles', '12'),
              (1, 'transient_lastDdlTime', '1731000000'), (1, 'comment', 'all orders'),
              (4, 'numRows', '-1'), (4, 'totalSize', '-1'),
              (5, 'numRows', '5');
            -- Spark: a partitioned table keeps its statistics per partition.
            INSERT INTO "PARTITION_KEYS" VALUES (2, 'event day', 'dt', 'string', 0);
            INSERT INTO "PARTITIONS" VALUES (1, 1700000000, 0, 'dt=2024-01-01', 6, 2), (2, 1700000000, 0, 'dt=2024-01-02', 7, 2), (3, 1700000000, 0, 'dt=2024-01-03', 8, 2);
            INSERT INTO "PARTITION_PARAMS" VALUES
              (1, 'numRows', '100'), (1, 'totalSize', '1000'), (1, 'numFiles', '1'), (1, 'transient_lastDdlTime', '1731000100'),
              (2, 'numRows', '200'), (2, 'totalSize', '2000'), (2, 'numFiles', '2'), (2, 'transient_lastDdlTime', '1731000200'),
              (3, 'numRows', '300'), (3, 'totalSize', '3000'), (3, 'numFiles', '3'), (3, 'transient_lastDdlTime', '1731000300');
            """);
    }

    public async Task DisposeAsync()
    {
        await PostgresTestServer.ExecuteAsync($"DROP SCHEMA {_schema} CASCADE; DROP SCHEMA {_hms} CASCADE;");
        NpgsqlConnection.ClearAllPools();
    }

    [Fact]
    public async Task PostgresStatisticsComeFromThePlanner()
    {
        await using var catalog = new PostgresCatalog("pg", PostgresTestServer.ConnectionString, TimeProvider.System);
        Assert.Contains(_schema, await catalog.ListSchemasAsync(CancellationToken.None));
        var tables = await catalog.ListTablesAsync(_schema, CancellationToken.None);
        Assert.Contains(tables, t => t.Table.Name == "v" && t.Type == CatalogTableType.View);
        Assert.Contains(tables, t => t.Table.Name == "big" && t.Type == CatalogTableType.Table);

        var big = await catalog.GetStatisticsAsync(new TableRef(null, _schema, "big"), CancellationToken.None);
        Assert.NotNull(big);
        Assert.InRange(big.Rows!.Value, 45_000, 55_000);
        Assert.True(big.Bytes > 50_000 * 32, $"big is {big.Bytes} bytes");
        Assert.NotNull(big.Freshness);
        var small = await catalog.GetStatisticsAsync(new TableRef(null, _schema, "small"), CancellationToken.None);
        Assert.Equal(2, small!.Rows);
        Assert.True(small.Bytes < big.Bytes);
        var parted = await catalog.GetStatisticsAsync(new TableRef(null, _schema, "parted"), CancellationToken.None);
        Assert.Equal(7000, parted!.Rows);
        Assert.Equal(2, parted.Partitions);
        Assert.True(parted.Bytes > 0);
        Assert.Null(await catalog.GetStatisticsAsync(new TableRef(null, _schema, "missing"), CancellationToken.None));
        Assert.Null(await catalog.GetStatisticsAsync(new TableRef(null, "nope'; DROP TABLE x; --", "big"), CancellationToken.None));

        var smallColumns = await catalog.ListColumnsAsync(new TableRef(null, _schema, "small"), CancellationToken.None);
        Assert.Equal(new CatalogColumn[] { new("k", "integer", 1, Nullable: false), new("v", "text", 2) }, smallColumns);
        var partedColumns = await catalog.ListColumnsAsync(new TableRef(null, _schema, "parted"), CancellationToken.None);
        Assert.Equal([("d", "date", true), ("n", "integer", false)], partedColumns!.Select(c => (c.Name, c.Type, c.IsPartitionKey)));
        Assert.Equal(["k", "v"], (await catalog.ListColumnsAsync(new TableRef(null, _schema, "v"), CancellationToken.None))!.Select(c => c.Name));
        Assert.Null(await catalog.ListColumnsAsync(new TableRef(null, _schema, "missing"), CancellationToken.None));
    }

    [Fact]
    public async Task HiveMetastoreStatisticsComeFromTableAndPartitionParameters()
    {
        await using var catalog = new HiveMetastoreCatalog("hms", HmsConnectionString, TimeProvider.System);
        Assert.Equal(["default", "sales"], await catalog.ListSchemasAsync(CancellationToken.None));
        var tables = await catalog.ListTablesAsync("SALES", CancellationToken.None);
        Assert.Equal(["events", "nostats", "orders", "orders_view"], tables.Select(t => t.Table.Name));
        Assert.Equal(CatalogTableType.External, tables[0].Type);
        Assert.Equal(CatalogTableType.View, tables[3].Type);
        Assert.Equal("all orders", tables[2].Comment);

        var orders = await catalog.GetStatisticsAsync(new TableRef(null, "sales", "Orders"), CancellationToken.None);
        Assert.Equal((1_200_000L, 987_654_321L, 12L), (orders!.Rows!.Value, orders.Bytes!.Value, orders.Files!.Value));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1731000000), orders.Freshness);
        Assert.Null(orders.Partitions);

        var events = await catalog.GetStatisticsAsync(new TableRef(null, "sales", "events"), CancellationToken.None);
        Assert.Equal((600L, 6000L, 6L, 3L), (events!.Rows!.Value, events.Bytes!.Value, events.Files!.Value, events.Partitions!.Value));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1731000300), events.Freshness);

        // Known table, unknown size: Hive's -1 is "not computed", not a size.
        var nostats = await catalog.GetStatisticsAsync(new TableRef(null, "sales", "nostats"), CancellationToken.None);
        Assert.NotNull(nostats);
        Assert.Null(nostats.Rows);
        Assert.Null(nostats.Bytes);
        Assert.Null(await catalog.GetStatisticsAsync(new TableRef(null, "sales", "missing"), CancellationToken.None));

        // Columns from the table's column descriptor, then its partition keys.
        var orderColumns = await catalog.ListColumnsAsync(new TableRef(null, "sales", "ORDERS"), CancellationToken.None);
        Assert.Equal(new CatalogColumn[]
        {
            new("order_id", "bigint", 1, Comment: "order key"),
            new("amount", "decimal(10,2)", 2),
            new("items", "array<struct<sku:string,qty:int>>", 3),
        }, orderColumns);
        var eventColumns = await catalog.ListColumnsAsync(new TableRef(null, "sales", "events"), CancellationToken.None);
        Assert.Equal([("user_id", 1, false), ("dt", 2, true)], eventColumns!.Select(c => (c.Name, c.Position, c.IsPartitionKey)));
        Assert.Equal("event day", eventColumns![1].Comment);
        // A known table whose descriptor lists nothing has no columns; an unknown one is null.
        Assert.Empty((await catalog.ListColumnsAsync(new TableRef(null, "sales", "nostats"), CancellationToken.None))!);
        Assert.Null(await catalog.ListColumnsAsync(new TableRef(null, "sales", "missing"), CancellationToken.None));

        // Another metastore catalog's database of the same name is not this one's.
        await using var other = new HiveMetastoreCatalog("hms-other", HmsConnectionString, TimeProvider.System, catalogName: "other");
        Assert.Equal(5, (await other.GetStatisticsAsync(new TableRef(null, "sales", "orders"), CancellationToken.None))!.Rows);
    }
}
