using System.Globalization;
using Gateway.Engines;
using Gateway.Engines.DuckDb;
using Npgsql;

namespace Gateway.Benchmarks.Load;

/// <summary>
/// The large-fetch table, identical in DuckDB (the gateway's database file) and PostgreSQL: row i has
/// id bigint = i, value double = i * 0.5, label varchar = 'label-' + i zero-padded to 10 digits (16 chars),
/// ts timestamp = 2024-01-01 + i seconds, amount decimal(18,2) = (i mod 10^7) / 100. Created once per row
/// count and kept in the work folder / the benchmark PostgreSQL, so later runs start at once.
/// </summary>
public static class BenchData
{
    public const string DuckDbFile = "bench.duckdb";

    /// <summary>Logical bytes of one row: 8 + 8 + 16 + 8 + 8 (the decimal fits 64 bits). MB/s in the report are these bytes.</summary>
    public const int RowBytes = 48;

    public static string Table(long rows) => "bench_large_" + rows.ToString(CultureInfo.InvariantCulture);

    public static string Select(long rows) => $"SELECT id, value, label, ts, amount FROM {Table(rows)}";

    /// <summary>The streamed query: the same columns computed on the fly from range(), so nothing is stored.</summary>
    public static string StreamQuery(long rows) =>
        "SELECT range AS id, range * 0.5 AS value, 'label-' || lpad(CAST(range AS VARCHAR), 10, '0') AS label, "
        + "TIMESTAMP '2024-01-01' + to_seconds(range) AS ts, CAST((range % 10000000) / 100.0 AS DECIMAL(18,2)) AS amount "
        + $"FROM range({rows.ToString(CultureInfo.InvariantCulture)})";

    public static DuckDbEngine OpenDuckDb(string dataFolder) =>
        new(new DuckDbEngineOptions { Name = "bench", DataDirectory = dataFolder, FileName = DuckDbFile });

    public static async Task EnsureDuckDbAsync(string dataFolder, long rows, CancellationToken cancellationToken)
    {
        await using var engine = OpenDuckDb(dataFolder);
        await using var session = await engine.OpenDuckDbSessionAsync(new EngineSessionOptions("bench"), cancellationToken);
        var table = Table(rows);
        if (await ScalarAsync(session, $"SELECT count(*) FROM duckdb_tables() WHERE table_name = '{table}'", cancellationToken) == "1"
            && await ScalarAsync(session, $"SELECT count(*) FROM {table}", cancellationToken) == rows.ToString(CultureInfo.InvariantCulture))
        {
            return;
        }
        Console.WriteLine($"  creating DuckDB table {table} ({rows:N0} rows)");
        await using var _ = await session.ExecuteNativeAsync(
            $"CREATE OR REPLACE TABLE {table} AS SELECT range AS id, range * 0.5 AS value, 'label-' || lpad(CAST(range AS VARCHAR), 10, '0') AS label, "
            + "TIMESTAMP '2024-01-01' + to_seconds(range) AS ts, CAST((range % 10000000) / 100.0 AS DECIMAL(18,2)) AS amount "
            + $"FROM range({rows.ToString(CultureInfo.InvariantCulture)})", cancellationToken);
        await using var __ = await session.ExecuteNativeAsync("CHECKPOINT", cancellationToken);
    }

    public static async Task EnsurePostgresAsync(NpgsqlDataSource pg, long rows, CancellationToken cancellationToken)
    {
        var table = Table(rows);
        await using (var check = pg.CreateCommand($"SELECT (SELECT count(*) FROM pg_tables WHERE tablename = '{table}') = 1 AND (SELECT reltuples FROM pg_class WHERE relname = '{table}') >= 0"))
        {
            if (await check.ExecuteScalarAsync(cancellationToken) is true)
            {
                await using var count = pg.CreateCommand($"SELECT count(*) FROM {table}");
                if (await count.ExecuteScalarAsync(cancellationToken) is long n && n == rows) return;
            }
        }
        Console.WriteLine($"  creating PostgreSQL table {table} ({rows:N0} rows)");
        await using (var drop = pg.CreateCommand($"DROP TABLE IF EXISTS {table}"))
        {
            await drop.ExecuteNonQueryAsync(cancellationToken);
        }
        await using var create = pg.CreateCommand(
            $"CREATE TABLE {table} AS SELECT i AS id, i * 0.5::float8 AS value, 'label-' || lpad(i::text, 10, '0') AS label, "
            + "timestamp '2024-01-01' + i * interval '1 second' AS ts, ((i % 10000000) / 100.0)::numeric(18,2) AS amount "
            + $"FROM generate_series(0::int8, {(rows - 1).ToString(CultureInfo.InvariantCulture)}::int8) AS g(i)");
        create.CommandTimeout = 0;
        await create.ExecuteNonQueryAsync(cancellationToken);
        await using var analyze = pg.CreateCommand($"VACUUM ANALYZE {table}");
        analyze.CommandTimeout = 0;
        await analyze.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<string?> ScalarAsync(DuckDbSession session, string sql, CancellationToken cancellationToken)
    {
        await using var result = await session.ExecuteNativeAsync(sql, cancellationToken);
        using var batch = await result.ReadBatchAsync(1, cancellationToken);
        return batch is null || batch.RowCount == 0 ? null : Gateway.Protocol.Columnar.ValueFormatter.Utc.FormatToString(batch.Columns[0], 0);
    }
}
