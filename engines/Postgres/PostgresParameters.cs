using System.Globalization;
using System.Numerics;
using Gateway.Protocol.Columnar;
using Npgsql;
using NpgsqlTypes;

namespace Gateway.Engines.Postgres;

/// <summary>
/// <see cref="QueryParameter"/> → positional Npgsql parameters ($1, $2, ...), typed as the gateway type says.
/// Strings are sent untyped (as PostgreSQL's "unknown"), so they behave like a quoted literal and the server
/// infers the type from the context (<c>int_col = ?</c> with "5" works, as it does in Hive); where the context
/// says nothing (<c>SELECT ?</c>) the session retries with <paramref name="typedStrings"/>, as text.
/// </summary>
internal static class PostgresParameters
{
    private static readonly DateOnly Epoch = new(1970, 1, 1);

    public static NpgsqlParameter Create(QueryParameter p, bool typedStrings)
    {
        var dbType = DbType(p.Type);
        if (typedStrings && dbType == NpgsqlDbType.Unknown && p.Type.Kind is SqlTypeKind.String or SqlTypeKind.Varchar or SqlTypeKind.Char) dbType = NpgsqlDbType.Text;
        if (p.Value is null) return new NpgsqlParameter { NpgsqlDbType = dbType, Value = DBNull.Value };
        try
        {
            return p.Type.Kind switch
            {
                SqlTypeKind.Boolean => new NpgsqlParameter<bool> { NpgsqlDbType = dbType, TypedValue = (bool)p.Value },
                SqlTypeKind.TinyInt or SqlTypeKind.SmallInt => new NpgsqlParameter<short> { NpgsqlDbType = dbType, TypedValue = checked((short)(long)p.Value) },
                SqlTypeKind.Int => new NpgsqlParameter<int> { NpgsqlDbType = dbType, TypedValue = checked((int)(long)p.Value) },
                SqlTypeKind.BigInt => new NpgsqlParameter<long> { NpgsqlDbType = dbType, TypedValue = (long)p.Value },
                SqlTypeKind.Float => new NpgsqlParameter<float> { NpgsqlDbType = dbType, TypedValue = (float)(double)p.Value },
                SqlTypeKind.Double => new NpgsqlParameter<double> { NpgsqlDbType = dbType, TypedValue = (double)p.Value },
                SqlTypeKind.Decimal => Decimal((Int128)p.Value, p.Type.Scale),
                SqlTypeKind.String or SqlTypeKind.Varchar or SqlTypeKind.Char => new NpgsqlParameter<string> { NpgsqlDbType = dbType, TypedValue = (string)p.Value },
                SqlTypeKind.Binary => new NpgsqlParameter<byte[]> { NpgsqlDbType = dbType, TypedValue = (byte[])p.Value },
                SqlTypeKind.Date => new NpgsqlParameter<DateOnly> { NpgsqlDbType = dbType, TypedValue = Epoch.AddDays((int)p.Value) },
                SqlTypeKind.Time => new NpgsqlParameter<TimeSpan> { NpgsqlDbType = dbType, TypedValue = TimeSpan.FromTicks(checked((long)p.Value * 10)) },
                SqlTypeKind.Timestamp => new NpgsqlParameter<DateTime> { NpgsqlDbType = dbType, TypedValue = DateTime.SpecifyKind(DateTime.UnixEpoch.AddTicks(checked((long)p.Value * 10)), DateTimeKind.Unspecified) },
                SqlTypeKind.TimestampTz => new NpgsqlParameter<DateTime> { NpgsqlDbType = dbType, TypedValue = DateTime.UnixEpoch.AddTicks(checked((long)p.Value * 10)) },
                SqlTypeKind.Interval => Interval((IntervalValue)p.Value),
                _ => throw new EngineException($"Parameters of type {p.Type} are not supported by the PostgreSQL engine.", "0A000"),
            };
        }
        catch (Exception e) when (e is InvalidCastException or OverflowException or ArgumentOutOfRangeException)
        {
            throw new EngineException($"Parameter {Describe(p)} does not fit {p.Type}: {e.Message}", "22003", inner: e);
        }
    }

    private static string Describe(QueryParameter p) => p.Name is { } name ? $"':{name}'" : $"#{p.Ordinal}";

    private static NpgsqlDbType DbType(SqlType type) => type.Kind switch
    {
        SqlTypeKind.Boolean => NpgsqlDbType.Boolean,
        SqlTypeKind.TinyInt or SqlTypeKind.SmallInt => NpgsqlDbType.Smallint,
        SqlTypeKind.Int => NpgsqlDbType.Integer,
        SqlTypeKind.BigInt => NpgsqlDbType.Bigint,
        SqlTypeKind.Float => NpgsqlDbType.Real,
        SqlTypeKind.Double => NpgsqlDbType.Double,
        SqlTypeKind.Decimal => NpgsqlDbType.Numeric,
        SqlTypeKind.String or SqlTypeKind.Varchar or SqlTypeKind.Char => NpgsqlDbType.Unknown,
        SqlTypeKind.Binary => NpgsqlDbType.Bytea,
        SqlTypeKind.Date => NpgsqlDbType.Date,
        SqlTypeKind.Time => NpgsqlDbType.Time,
        SqlTypeKind.Timestamp => NpgsqlDbType.Timestamp,
        SqlTypeKind.TimestampTz => NpgsqlDbType.TimestampTz,
        SqlTypeKind.Interval => NpgsqlDbType.Interval,
        _ => NpgsqlDbType.Unknown,
    };

    /// <summary>Within System.Decimal's 28 digits as a decimal; beyond, as numeric text (exact).</summary>
    private static NpgsqlParameter Decimal(Int128 unscaled, int scale)
    {
        if (scale <= 28 && Int128.Abs(unscaled) <= (Int128)decimal.MaxValue)
        {
            var magnitude = (UInt128)Int128.Abs(unscaled);
            var value = new decimal((int)(uint)magnitude, (int)(uint)(magnitude >> 32), (int)(uint)(magnitude >> 64), unscaled < 0, (byte)scale);
            return new NpgsqlParameter<decimal> { NpgsqlDbType = NpgsqlDbType.Numeric, TypedValue = value };
        }
        var text = ((BigInteger)unscaled).ToString(CultureInfo.InvariantCulture);
        var negative = text.StartsWith('-');
        var digits = negative ? text[1..] : text;
        if (scale > 0)
        {
            digits = digits.PadLeft(scale + 1, '0');
            digits = digits[..^scale] + "." + digits[^scale..];
        }
        // Untyped text: the server reads it as the numeric the context wants.
        return new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Unknown, TypedValue = (negative ? "-" : "") + digits };
    }

    private static NpgsqlParameter Interval(IntervalValue v) =>
        new NpgsqlParameter<NpgsqlInterval> { NpgsqlDbType = NpgsqlDbType.Interval, TypedValue = new NpgsqlInterval(v.Months, v.Days, v.Micros) };
}
