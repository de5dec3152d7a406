using System.Diagnostics;
using Gateway.Engines;
using Gateway.Engines.DuckDb;
using Gateway.Engines.HiveServer2;
using Gateway.Protocol.Hive;
using Npgsql;

namespace Gateway.Benchmarks.Load;

/// <summary>
/// Scenario 2: <c>SELECT 1</c> at fixed concurrency, each worker on its own connection and session, in a
/// closed loop for a bounded time and count. HS2 full: ExecuteStatement (runAsync), GetOperationStatus,
/// GetResultSetMetadata, FetchResults, CloseOperation. HS2 direct: one ExecuteStatement with
/// TSparkGetDirectResults on a SPARK protocol session, whose reply carries status, metadata, the row and the
/// close. PostgreSQL: Npgsql ExecuteScalar on an open connection.
/// </summary>
public static class LatencyScenario
{
    public const string Hs2Full = "gateway HS2 (5 calls)";
    public const string Hs2Direct = "gateway HS2 direct results";
    public const string Postgres = "PostgreSQL Npgsql";
    public const string DuckDbFloor = "in-process DuckDB (engine floor)";
    public const string Hs2Status = "gateway HS2 round trip (status of a finished statement)";
    public const string DuckDbRaw = "DuckDB C API, caller's thread (parse, plan, run)";

    public sealed record Point(string Mode, int Concurrency, long Queries, double Seconds, double P50, double P95, double P99, string? Error = null)
    {
        public double QueriesPerSecond => Queries / Seconds;
    }

    private interface IWorker : IAsyncDisposable
    {
        Task QueryAsync(CancellationToken cancellationToken);
    }

    public static async Task<Point> RunAsync(string mode, int concurrency, LoadOptions options, int gatewayPort, NpgsqlDataSource? pg, CancellationToken cancellationToken)
    {
        var workers = new List<IWorker>();
        try
        {
            for (var i = 0; i < concurrency; i++)
            {
                workers.Add(mode switch
                {
                    Hs2Full => await Hs2Worker.OpenAsync(gatewayPort, direct: false, cancellationToken),
                    Hs2Direct => await Hs2Worker.OpenAsync(gatewayPort, direct: true, cancellationToken),
                    Hs2Status => await Hs2StatusWorker.OpenAsync(gatewayPort, cancellationToken),
                    DuckDbFloor => await DuckDbWorker.OpenAsync(cancellationToken),
                    DuckDbRaw => RawDuckDbWorker.Open(),
                    _ => await PgWorker.OpenAsync(pg!, cancellationToken),
                });
            }
            // Warm-up: every worker's first queries (JIT, pools, the engine session's thread) are not measured.
            await Task.WhenAll(workers.Select(async w =>
            {
                for (var i = 0; i < 3; i++) await w.QueryAsync(cancellationToken);
            }));

            var perWorkerCap = Math.Max(1, options.LatencyMaxQueries / concurrency);
            var latencies = new List<long>[concurrency];
            var start = Stopwatch.GetTimestamp();
            var deadline = start + (long)(options.LatencyDuration.TotalSeconds * Stopwatch.Frequency);
            // A blocking worker (the raw DuckDB loop) gets a thread of its own rather than a thread-pool thread.
            await Task.WhenAll(workers.Select((w, i) => Task.Factory.StartNew(async () =>
            {
                var mine = latencies[i] = new List<long>(1024);
                while (mine.Count < perWorkerCap)
                {
                    var t0 = Stopwatch.GetTimestamp();
                    if (t0 >= deadline) break;
                    await w.QueryAsync(cancellationToken);
                    mine.Add(Stopwatch.GetTimestamp() - t0);
                }
            }, cancellationToken, w is RawDuckDbWorker ? TaskCreationOptions.LongRunning : TaskCreationOptions.None, TaskScheduler.Default).Unwrap()));
            var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            var all = latencies.SelectMany(l => l).ToArray();
            Array.Sort(all);
            double Pct(double p) => all.Length == 0 ? double.NaN : all[Math.Min(all.Length - 1, (int)Math.Ceiling(p * all.Length) - 1)] / (double)Stopwatch.Frequency;
            return new Point(mode, concurrency, all.Length, seconds, Pct(0.50), Pct(0.95), Pct(0.99));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return new Point(mode, concurrency, 0, 1, double.NaN, double.NaN, double.NaN, e.GetType().Name + ": " + e.Message.Split('\n')[0]);
        }
        finally
        {
            await Task.WhenAll(workers.Select(w => w.DisposeAsync().AsTask()));
        }
    }

    private sealed class Hs2Worker(HiveConnection connection, CountingTransport transport, bool direct) : IWorker
    {
        public static async Task<IWorker> OpenAsync(int port, bool direct, CancellationToken cancellationToken)
        {
            var version = direct ? TProtocolVersion.SPARK_CLI_SERVICE_PROTOCOL_V8 : TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V10;
            var (connection, transport) = await Hs2Client.OpenAsync(port, cancellationToken, version);
            if (direct && !HiveProtocol.IsSpark(connection.ProtocolVersion)) throw new InvalidOperationException($"The gateway answered {connection.ProtocolVersion}, not a SPARK protocol.");
            return new Hs2Worker(connection, transport, direct);
        }

        public async Task QueryAsync(CancellationToken cancellationToken)
        {
            var client = connection.Client;
            var exec = await client.ExecuteStatementAsync(new TExecuteStatementReq
            {
                SessionHandle = connection.Session,
                Statement = "SELECT 1",
                RunAsync = true,
                GetDirectResults = direct ? new TSparkGetDirectResults { MaxRows = 1000 } : null,
            }, cancellationToken);
            HiveConnection.Check(exec.Status);
            var handle = exec.OperationHandle!;
            if (direct)
            {
                var d = exec.DirectResults ?? throw new InvalidOperationException("No direct results in the reply.");
                Expect(d.ResultSet?.Results);
                if (d.CloseOperation is null) throw new InvalidOperationException("The direct results did not close the finished operation.");
                return;
            }
            while (true)
            {
                var status = await client.GetOperationStatusAsync(new TGetOperationStatusReq { OperationHandle = handle }, cancellationToken);
                HiveConnection.Check(status.Status);
                if (status.OperationState == TOperationState.FINISHED_STATE) break;
                if (status.OperationState is not (TOperationState.INITIALIZED_STATE or TOperationState.PENDING_STATE or TOperationState.RUNNING_STATE))
                {
                    throw new InvalidOperationException($"SELECT 1 ended {status.OperationState}: {status.ErrorMessage}");
                }
            }
            var metadata = await client.GetResultSetMetadataAsync(new TGetResultSetMetadataReq { OperationHandle = handle }, cancellationToken);
            HiveConnection.Check(metadata.Status);
            var fetch = await client.FetchResultsAsync(new TFetchResultsReq { OperationHandle = handle, Orientation = TFetchOrientation.FETCH_NEXT, MaxRows = 1000 }, cancellationToken);
            HiveConnection.Check(fetch.Status);
            Expect(fetch.Results);
            var close = await client.CloseOperationAsync(new TCloseOperationReq { OperationHandle = handle }, cancellationToken);
            HiveConnection.Check(close.Status);
        }

        private static void Expect(TRowSet? rows)
        {
            var n = rows?.Columns is { Count: > 0 } c ? c[0].Column.Length : rows?.Rows?.Count ?? 0;
            rows?.Dispose();
            if (n != 1) throw new InvalidOperationException($"SELECT 1 returned {n} rows.");
        }

        public async ValueTask DisposeAsync()
        {
            await connection.DisposeAsync();
            GC.KeepAlive(transport);
        }
    }

    /// <summary>SELECT 1 through the DuckDB adapter in-process (execute, read the batch, dispose): what the engine costs before the gateway adds anything.</summary>
    private sealed class DuckDbWorker(DuckDbEngine engine, DuckDbSession session) : IWorker
    {
        public static async Task<IWorker> OpenAsync(CancellationToken cancellationToken)
        {
            var engine = new DuckDbEngine(DuckDbEngineOptions.InMemory());
            return new DuckDbWorker(engine, await engine.OpenDuckDbSessionAsync(new EngineSessionOptions("bench"), cancellationToken));
        }

        public async Task QueryAsync(CancellationToken cancellationToken)
        {
            await using var result = await session.ExecuteAsync("SELECT 1", ExecuteOptions.Default, cancellationToken);
            using var batch = await result.ReadBatchAsync(1000, cancellationToken);
            if (batch?.RowCount != 1) throw new InvalidOperationException("SELECT 1 did not return one row.");
        }

        public async ValueTask DisposeAsync()
        {
            await session.DisposeAsync();
            await engine.DisposeAsync();
        }
    }

    /// <summary>
    /// One GetOperationStatus of a statement that finished long ago: a whole HS2 call (frame, decode, dispatch, lookup,
    /// encode, reply) that asks nothing of the engine. What the protocol layer costs per round trip.
    /// </summary>
    private sealed class Hs2StatusWorker(HiveConnection connection, TOperationHandle finished) : IWorker
    {
        public static async Task<IWorker> OpenAsync(int port, CancellationToken cancellationToken)
        {
            var (connection, _) = await Hs2Client.OpenAsync(port, cancellationToken);
            var exec = await connection.Client.ExecuteStatementAsync(new TExecuteStatementReq { SessionHandle = connection.Session, Statement = "SELECT 1", RunAsync = false }, cancellationToken);
            HiveConnection.Check(exec.Status);
            return new Hs2StatusWorker(connection, exec.OperationHandle!);
        }

        public async Task QueryAsync(CancellationToken cancellationToken)
        {
            var status = await connection.Client.GetOperationStatusAsync(new TGetOperationStatusReq { OperationHandle = finished }, cancellationToken);
            HiveConnection.Check(status.Status);
            if (status.OperationState != TOperationState.FINISHED_STATE) throw new InvalidOperationException($"The statement is {status.OperationState}, not finished.");
        }

        public async ValueTask DisposeAsync() => await connection.DisposeAsync();
    }

    /// <summary>
    /// SELECT 1 straight through DuckDB's C API on the calling thread: prepare (parse, bind, optimize, plan), run,
    /// first chunk, destroy; no adapter, no worker thread. What DuckDB itself costs per statement, the hard floor.
    /// </summary>
    private sealed class RawDuckDbWorker(DuckDbEngine engine, DuckDB.NET.Native.DuckDBNativeConnection connection) : IWorker
    {
        public static IWorker Open()
        {
            var engine = new DuckDbEngine(DuckDbEngineOptions.InMemory());
            return new RawDuckDbWorker(engine, engine.Connect());
        }

        public Task QueryAsync(CancellationToken cancellationToken)
        {
            var state = new Gateway.Engines.DuckDb.StatementState();
            using var prepared = NativeQuery.Prepare(connection, "SELECT 1");
            using var result = NativeQuery.Execute(connection, prepared, state, streaming: true);
            using var chunk = NativeQuery.Fetch(result, state) ?? throw new InvalidOperationException("SELECT 1 returned no chunk.");
            return Task.CompletedTask;
        }

        public async ValueTask DisposeAsync()
        {
            connection.Dispose();
            await engine.DisposeAsync();
        }
    }

    private sealed class PgWorker(NpgsqlConnection connection, NpgsqlCommand command) : IWorker
    {
        public static async Task<IWorker> OpenAsync(NpgsqlDataSource pg, CancellationToken cancellationToken)
        {
            var connection = await pg.OpenConnectionAsync(cancellationToken);
            return new PgWorker(connection, new NpgsqlCommand("SELECT 1", connection));
        }

        public async Task QueryAsync(CancellationToken cancellationToken)
        {
            if (await command.ExecuteScalarAsync(cancellationToken) is not 1) throw new InvalidOperationException("SELECT 1 did not return 1.");
        }

        public async ValueTask DisposeAsync()
        {
            await command.DisposeAsync();
            await connection.DisposeAsync();
        }
    }
}
