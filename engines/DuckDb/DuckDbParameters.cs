using System.Text;
using DuckDB.NET.Native;
using Gateway.Protocol.Columnar;

namespace Gateway.Engines.DuckDb;

/// <summary>Binds <see cref="QueryParameter"/>s to a prepared DuckDB statement with DuckDB's typed bind calls.</summary>
internal static unsafe class DuckDbParameters
{
    public static void Bind(DuckDBPreparedStatement prepared, IReadOnlyList<QueryParameter> parameters)
    {
        var expected = (int)NativeMethods.PreparedStatements.DuckDBParams(prepared);
        var named = parameters.Count > 0 && parameters[0].Name is not null;
        if (parameters.Any(p => (p.Name is not null) != named))
        {
            throw new EngineException("Parameters must be all named or all positional.", "07001");
        }
        if (!named && parameters.Count != expected)
        {
            throw new EngineException($"The statement has {expected} parameter marker(s) but {parameters.Count} value(s) were given.", "07001");
        }
        foreach (var p in parameters)
        {
            ulong index;
            if (named)
            {
                // A value for a name the statement does not use is ignored, as Spark does.
                if (NativeMethods.PreparedStatements.DuckDBBindParameterIndex(prepared, out var found, p.Name!) != DuckDBState.Success) continue;
                index = (ulong)found;
            }
            else
            {
                if (p.Ordinal < 1 || p.Ordinal > expected) throw new EngineException($"Parameter ordinal {p.Ordinal} is out of range 1..{expected}.", "07009");
                index = (ulong)p.Ordinal;
            }
            if (BindOne(prepared, index, p) != DuckDBState.Success)
            {
                throw new EngineException($"Could not bind parameter {Describe(p)} as {p.Type}.", "07006");
            }
        }
    }

    private static string Describe(QueryParameter p) => p.Name is { } name ? $"':{name}'" : $"#{p.Ordinal}";

    private static DuckDBState BindOne(DuckDBPreparedStatement prepared, ulong index, QueryParameter p)
    {
        if (p.Value is null) return NativeMethods.PreparedStatements.DuckDBBindNull(prepared, (long)index);
        try
        {
            return p.Type.Kind switch
            {
                SqlTypeKind.Boolean => NativeMethods.PreparedStatements.DuckDBBindBoolean(prepared, (long)index, (bool)p.Value),
                SqlTypeKind.TinyInt => NativeMethods.PreparedStatements.DuckDBBindInt8(prepared, (long)index, checked((sbyte)(long)p.Value)),
                SqlTypeKind.SmallInt => NativeMethods.PreparedStatements.DuckDBBindInt16(prepared, (long)index, checked((short)(long)p.Value)),
                SqlTypeKind.Int => NativeMethods.PreparedStatements.DuckDBBindInt32(prepared, (long)index, checked((int)(long)p.Value)),
                SqlTypeKind.BigInt => NativeMethods.PreparedStatements.DuckDBBindInt64(prepared, (long)index, (long)p.Value),
                SqlTypeKind.Float => NativeMethods.PreparedStatements.DuckDBBindFloat(prepared, (long)index, (float)(double)p.Value),
                SqlTypeKind.Double => NativeMethods.PreparedStatements.DuckDBBindDouble(prepared, (long)index, (double)p.Value),
                SqlTypeKind.Decimal => BindDecimal(prepared, index, p.Type, (Int128)p.Value),
                SqlTypeKind.String or SqlTypeKind.Varchar or SqlTypeKind.Char => BindText(prepared, index, (string)p.Value),
                SqlTypeKind.Binary => BindBlob(prepared, index, (byte[])p.Value),
                SqlTypeKind.Date => NativeMethods.PreparedStatements.DuckDBBindDate(prepared, (long)index, new DuckDBDate { Days = (int)p.Value }),
                SqlTypeKind.Time => NativeMethods.PreparedStatements.DuckDBBindTime(prepared, (long)index, new DuckDBTime { Micros = (long)p.Value }),
                SqlTypeKind.Timestamp => NativeMethods.PreparedStatements.DuckDBBindTimestamp(prepared, (long)index, new DuckDBTimestampStruct { Micros = (long)p.Value }),
                SqlTypeKind.TimestampTz => MissingNativeMethods.duckdb_bind_timestamp_tz(prepared, index, (long)p.Value),
                SqlTypeKind.Interval => BindInterval(prepared, index, (IntervalValue)p.Value),
                _ => throw new EngineException($"Parameters of type {p.Type} are not supported by DuckDB binding.", "0A000"),
            };
        }
        catch (Exception e) when (e is InvalidCastException or OverflowException)
        {
            throw new EngineException($"Parameter {Describe(p)} does not fit {p.Type}: {e.Message}", "22003", inner: e);
        }
    }

    private static DuckDBState BindDecimal(DuckDBPreparedStatement prepared, ulong index, SqlType type, Int128 unscaled)
    {
        if (type.Precision is < 1 or > 38) throw new EngineException($"Decimal precision {type.Precision} is outside 1..38.", "22003");
        var value = new DuckDbDecimal
        {
            Width = (byte)type.Precision,
            Scale = (byte)type.Scale,
            Lower = (ulong)(unscaled & ulong.MaxValue),
            Upper = (long)(unscaled >> 64),
        };
        return MissingNativeMethods.duckdb_bind_decimal(prepared, index, value);
    }

    private static DuckDBState BindText(DuckDBPreparedStatement prepared, ulong index, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        fixed (byte* p = bytes)
        {
            // A non-null pointer even for "": DuckDB reads length bytes.
            byte empty = 0;
            return MissingNativeMethods.duckdb_bind_varchar_length(prepared, index, bytes.Length == 0 ? &empty : p, (ulong)bytes.Length);
        }
    }

    private static DuckDBState BindBlob(DuckDBPreparedStatement prepared, ulong index, byte[] data)
    {
        fixed (byte* p = data)
        {
            byte empty = 0;
            return MissingNativeMethods.duckdb_bind_blob(prepared, index, data.Length == 0 ? &empty : p, (ulong)data.Length);
        }
    }

    private static DuckDBState BindInterval(DuckDBPreparedStatement prepared, ulong index, IntervalValue value) =>
        MissingNativeMethods.duckdb_bind_interval(prepared, index, new DuckDbInterval { Months = value.Months, Days = value.Days, Micros = value.Micros });
}
