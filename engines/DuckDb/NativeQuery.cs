using System.Collections.Immutable;
using DuckDB.NET.Native;
using Gateway.Protocol.Columnar;

namespace Gateway.Engines.DuckDb;

/// <summary>Interrupt and cancellation flags of one statement, shared by its execute and its fetches.</summary>
internal sealed class StatementState
{
    private int _interrupted;
    private int _byToken;

    public bool Interrupted => Volatile.Read(ref _interrupted) != 0;
    public bool CanceledByToken => Volatile.Read(ref _byToken) != 0;

    public void MarkInterrupted(bool byToken)
    {
        if (byToken) Volatile.Write(ref _byToken, 1);
        Volatile.Write(ref _interrupted, 1);
    }

    public void ThrowIfInterrupted()
    {
        if (Interrupted) throw DuckDbErrors.Canceled();
    }

    /// <summary>An error while interrupted is the interruption, whatever DuckDB calls it.</summary>
    public EngineException Fail(string? message, DuckDbErrorType type = DuckDbErrorType.Invalid) =>
        Interrupted ? DuckDbErrors.Canceled() : DuckDbErrors.Create(message, type);
}

/// <summary>
/// How the worker waits while DuckDB's own threads run the tasks of its query. A short query (a <c>SELECT 1</c>, a
/// point lookup) is usually finished by one of DuckDB's threads within microseconds of being scheduled, so the wait
/// first spins and yields for up to <see cref="YieldFor"/> and only then sleeps a millisecond at a time: sleeping at
/// once put a whole timer tick (≈1.1 ms) under every small statement, many times DuckDB's own cost. Yielding gives the
/// core to any other runnable thread, so the budget costs little on a busy machine; long queries pay one
/// <see cref="YieldFor"/> of polite spinning, then sleep as before.
/// </summary>
internal struct IdleWait
{
    internal static readonly long YieldFor = System.Diagnostics.Stopwatch.Frequency / 2000; // 0.5 ms

    private SpinWait _spin;
    private long _since;

    public void Wait()
    {
        var now = System.Diagnostics.Stopwatch.GetTimestamp();
        if (_since == 0) _since = now;
        if (now - _since < YieldFor) _spin.SpinOnce(sleep1Threshold: -1);
        else Thread.Sleep(1);
    }
}

/// <summary>Native call sequences. Every method here runs on the session's worker thread.</summary>
internal static unsafe class NativeQuery
{
    public static DuckDBPreparedStatement Prepare(DuckDBNativeConnection connection, string sql)
    {
        var state = NativeMethods.PreparedStatements.DuckDBPrepare(connection, sql, out var prepared);
        if (state != DuckDBState.Success)
        {
            var message = NativeMethods.PreparedStatements.DuckDBPrepareError(prepared);
            prepared.Dispose();
            DuckDbErrors.Throw(message);
        }
        return prepared;
    }

    public static DuckDBPreparedStatement PrepareExtracted(DuckDBNativeConnection connection, DuckDBExtractedStatements extracted, int index)
    {
        var state = NativeMethods.ExtractStatements.DuckDBPrepareExtractedStatement(connection, extracted, index, out var prepared);
        if (state != DuckDBState.Success)
        {
            var message = NativeMethods.PreparedStatements.DuckDBPrepareError(prepared);
            prepared.Dispose();
            DuckDbErrors.Throw(message);
        }
        return prepared;
    }

    public static IReadOnlyList<(string Name, DuckDbLogicalType Type)> PreparedColumns(DuckDBPreparedStatement prepared)
    {
        var n = (int)MissingNativeMethods.duckdb_prepared_statement_column_count(prepared);
        var columns = new (string, DuckDbLogicalType)[n];
        for (var i = 0; i < n; i++)
        {
            var name = MissingNativeMethods.duckdb_prepared_statement_column_name(prepared, (ulong)i) ?? $"_col{i}";
            columns[i] = (name, DuckDbLogicalType.TakeNative(MissingNativeMethods.duckdb_prepared_statement_column_logical_type(prepared, (ulong)i)));
        }
        return columns;
    }

    /// <summary>Runs a prepared statement's tasks until its result is ready, checking for interruption between tasks.</summary>
    public static ResultHandle Execute(DuckDBNativeConnection connection, DuckDBPreparedStatement prepared, StatementState state, bool streaming)
    {
        var ok = streaming
            ? MissingNativeMethods.duckdb_pending_prepared_streaming(prepared, out var raw)
            : MissingNativeMethods.duckdb_pending_prepared(prepared, out raw);
        using var pending = new PendingHandle(raw);
        if (ok != DuckDBState.Success) throw state.Fail(MissingNativeMethods.duckdb_pending_error(pending));

        var idle = new IdleWait();
        while (true)
        {
            if (state.Interrupted)
            {
                // An interrupt that arrived before DuckDB began this query was reset when it began: repeat it
                // now, or destroying the pending result would wait for DuckDB's threads to finish the query.
                NativeMethods.Startup.DuckDBInterrupt(connection);
                throw DuckDbErrors.Canceled();
            }
            var s = MissingNativeMethods.duckdb_pending_execute_task(pending);
            if (s == PendingState.ResultReady) break;
            if (s == PendingState.Error) throw state.Fail(MissingNativeMethods.duckdb_pending_error(pending));
            // DuckDB's own threads took this query's tasks: let them work.
            if (s == PendingState.NoTasksAvailable) idle.Wait();
        }

        var result = new ResultHandle();
        if (MissingNativeMethods.duckdb_execute_pending(pending, result.Pointer) != DuckDBState.Success)
        {
            var message = NativeMethods.Query.DuckDBResultError(ref result.Ref);
            var type = (DuckDbErrorType)NativeMethods.Query.DuckDBResultErrorType(ref result.Ref);
            result.Dispose();
            throw state.Fail(message, type);
        }
        return result;
    }

    public static DuckDBResultType ReturnType(ResultHandle result) => NativeMethods.Query.DuckDBResultReturnType(result.Ref);

    public static (ResultSchema Schema, DuckDbLogicalType[] Types) Schema(ResultHandle result)
    {
        var n = (int)NativeMethods.Query.DuckDBColumnCount(ref result.Ref);
        var columns = ImmutableArray.CreateBuilder<ColumnInfo>(n);
        var types = new DuckDbLogicalType[n];
        for (var i = 0; i < n; i++)
        {
            var name = NativeMethods.Query.DuckDBColumnName(ref result.Ref, i) ?? $"_col{i}";
            types[i] = DuckDbLogicalType.TakeNative(NativeMethods.Query.DuckDBColumnLogicalType(ref result.Ref, i));
            columns.Add(new ColumnInfo(name, DuckDbTypes.ToSqlType(types[i])));
        }
        return (new ResultSchema(columns.MoveToImmutable()), types);
    }

    /// <summary>Fetches the next chunk; null at the end. Throws the stream's error, if any.</summary>
    public static DuckDBDataChunk? Fetch(ResultHandle result, StatementState state)
    {
        state.ThrowIfInterrupted();
        var chunk = NativeMethods.Query.DuckDBFetchChunk(result.Ref);
        if (!chunk.IsInvalid) return chunk;
        chunk.Dispose();
        var error = NativeMethods.Query.DuckDBResultError(ref result.Ref);
        if (error is not null) throw state.Fail(error, (DuckDbErrorType)NativeMethods.Query.DuckDBResultErrorType(ref result.Ref));
        state.ThrowIfInterrupted();
        return null;
    }

    /// <summary>Rows in a chunk.</summary>
    public static int ChunkSize(DuckDBDataChunk chunk) => (int)NativeMethods.DataChunks.DuckDBDataChunkGetSize(chunk);

    /// <summary>Rows changed by INSERT/UPDATE/DELETE: a streaming result carries them as one BIGINT value.</summary>
    public static long RowsChanged(ResultHandle result, StatementState state)
    {
        var changed = NativeMethods.Query.DuckDBRowsChanged(ref result.Ref);
        using var chunk = Fetch(result, state);
        if (chunk is null || ChunkSize(chunk) == 0) return changed;
        var vector = NativeMethods.DataChunks.DuckDBDataChunkGetVector(chunk, 0);
        return *(long*)NativeMethods.Vectors.DuckDBVectorGetData(vector);
    }

    /// <summary>Runs a small query to completion and returns its rows as CLR values (metadata; cold path).</summary>
    public static List<object?[]> QueryRows(DuckDBNativeConnection connection, string sql)
    {
        var state = new StatementState();
        using var prepared = Prepare(connection, sql);
        using var result = Execute(connection, prepared, state, streaming: false);
        var (schema, types) = Schema(result);
        using var converter = new ChunkConverter(schema, types);
        var rows = new List<object?[]>();
        while (Fetch(result, state) is { } chunk)
        {
            using (chunk)
            {
                var size = ChunkSize(chunk);
                if (size == 0) continue;
                converter.Append(chunk, 0, size);
                using var batch = converter.Build(size);
                for (var r = 0; r < size; r++)
                {
                    var row = new object?[batch.Columns.Length];
                    for (var c = 0; c < row.Length; c++) row[c] = ColumnValues.Get(batch.Columns[c], r);
                    rows.Add(row);
                }
            }
        }
        return rows;
    }

    public static string? QueryScalarString(DuckDBNativeConnection connection, string sql)
    {
        var rows = QueryRows(connection, sql);
        return rows.Count > 0 ? rows[0][0]?.ToString() : null;
    }
}

/// <summary>Reads one value out of a column as a CLR object (cold paths only: metadata, tests).</summary>
public static class ColumnValues
{
    public static object? Get(Column column, int row)
    {
        if (column.IsNull(row)) return null;
        return column switch
        {
            NullColumn => null,
            BooleanColumn b => b.GetValue(row),
            PrimitiveColumn<sbyte> c => c.Values[row],
            PrimitiveColumn<short> c => c.Values[row],
            PrimitiveColumn<int> c => c.Values[row],
            PrimitiveColumn<long> c => c.Values[row],
            PrimitiveColumn<float> c => c.Values[row],
            PrimitiveColumn<double> c => c.Values[row],
            PrimitiveColumn<Int128> c => c.Values[row],
            PrimitiveColumn<IntervalValue> c => c.Values[row],
            BinaryColumn c when c.Type.Kind == SqlTypeKind.Binary => c.GetBytes(row).ToArray(),
            BinaryColumn c => c.GetString(row),
            ListColumn l => Enumerable.Range(l.Offsets[row], l.Offsets[row + 1] - l.Offsets[row]).Select(i => Get(l.Values, i)).ToArray(),
            StructColumn s => s.Children.Select(c => Get(c, row)).ToArray(),
            _ => throw new NotSupportedException($"No CLR value for {column.Type}."),
        };
    }
}
