using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using Gateway.Engines;
using Gateway.Engines.Postgres;
using Npgsql;

namespace Gateway.Benchmarks;

/// <summary>
/// Reading one million rows from the PostgreSQL of scripts/postgres.sh (or GATEWAY_TEST_PG) into ColumnBatches of
/// 10,000 rows: the data-reader path against the binary-COPY path, for a narrow (bigint, text) and a wide
/// (seven typed columns) table scan. The baseline reads the same values with a bare NpgsqlDataReader and builds
/// nothing: what the server and Npgsql cost before the adapter adds its columns.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 8)]
public class PostgresReadBenchmarks
{
    private const int Rows = 1_000_000;

    private PostgresEngine _engine = null!;
    private IEngineSession _session = null!;
    private NpgsqlDataSource _dataSource = null!;

    [Params(PostgresReadPath.Reader, PostgresReadPath.Copy)]
    public PostgresReadPath Path { get; set; }

    [Params("narrow", "wide")]
    public string Shape { get; set; } = "narrow";

    private string Query => Shape == "narrow" ? "SELECT id, name FROM bench_reads" : "SELECT * FROM bench_reads";

    [GlobalSetup]
    public async Task Setup()
    {
        var connectionString = Environment.GetEnvironmentVariable("GATEWAY_TEST_PG") is { Length: > 0 } cs ? cs : StartServer();
        _dataSource = NpgsqlDataSource.Create(connectionString);
        await using (var command = _dataSource.CreateCommand(
            "CREATE TABLE IF NOT EXISTS bench_reads AS SELECT i::int8 AS id, 'name ' || i AS name, (i % 100000) / 100.0::numeric(12,2) AS price, "
            + $"timestamp '2024-01-01' + i * interval '1 second' AS ts, date '2024-01-01' + (i % 1000) AS d, i % 2 = 0 AS flag, i * 0.5::float8 AS score "
            + $"FROM generate_series(1, {Rows}) AS g(i)"))
        {
            await command.ExecuteNonQueryAsync();
        }
        _engine = new PostgresEngine(new PostgresEngineOptions { ConnectionString = connectionString, ReadPath = Path, Name = "bench" });
        _session = await _engine.OpenSessionAsync(new EngineSessionOptions("bench"), CancellationToken.None);
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _session.DisposeAsync();
        await _engine.DisposeAsync();
        await _dataSource.DisposeAsync();
    }

    [Benchmark]
    public async Task<long> Adapter()
    {
        await using var result = await _session.ExecuteAsync(Query, ExecuteOptions.Default, CancellationToken.None);
        long rows = 0;
        while (await result.ReadBatchAsync(10_000, CancellationToken.None) is { } batch)
        {
            rows += batch.RowCount;
            batch.Dispose();
        }
        if (rows != Rows) throw new InvalidOperationException($"Read {rows} rows.");
        return rows;
    }

    [Benchmark(Baseline = true)]
    public async Task<long> BareNpgsqlReader()
    {
        await using var command = _dataSource.CreateCommand(Query);
        await using var reader = await command.ExecuteReaderAsync();
        long sum = 0;
        while (await reader.ReadAsync())
        {
            sum += reader.GetInt64(0) + reader.GetString(1).Length;
            if (reader.FieldCount > 2)
            {
                sum += (long)reader.GetDecimal(2) + reader.GetDateTime(3).Ticks + reader.GetFieldValue<DateOnly>(4).DayNumber + (reader.GetBoolean(5) ? 1 : 0) + (long)reader.GetDouble(6);
            }
        }
        return sum;
    }

    private static string StartServer()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(System.IO.Path.Combine(dir.FullName, "Gateway.sln"))) dir = dir.Parent;
        if (dir is null) throw new InvalidOperationException("Set GATEWAY_TEST_PG (scripts/postgres.sh prints it).");
        var info = new ProcessStartInfo("bash", [System.IO.Path.Combine(dir.FullName, "scripts", "postgres.sh"), "start"]) { RedirectStandardOutput = true };
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException("scripts/postgres.sh failed.");
        return output;
    }
}
