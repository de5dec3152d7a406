using System.Globalization;

namespace Gateway.Protocol.Columnar;

/// <summary>Conversions between CLR values and the storage of each <see cref="SqlTypeKind"/> (cold paths).</summary>
public static class ValueConversions
{
    public const long MicrosPerSecond = 1_000_000;
    public const long MicrosPerDay = 86_400 * MicrosPerSecond;
    private static readonly DateTime Epoch = new(1970, 1, 1, 0, 0, 0, DateTimeKind.Unspecified);

    public static object ToStorage(SqlType type, object value) => type.Kind switch
    {
        SqlTypeKind.TinyInt => Convert.ToSByte(value, CultureInfo.InvariantCulture),
        SqlTypeKind.SmallInt => Convert.ToInt16(value, CultureInfo.InvariantCulture),
        SqlTypeKind.Int => Convert.ToInt32(value, CultureInfo.InvariantCulture),
        SqlTypeKind.BigInt => Convert.ToInt64(value, CultureInfo.InvariantCulture),
        SqlTypeKind.Float => Convert.ToSingle(value, CultureInfo.InvariantCulture),
        SqlTypeKind.Double => Convert.ToDouble(value, CultureInfo.InvariantCulture),
        SqlTypeKind.Decimal => value is Int128 i ? i : ToUnscaled(Convert.ToDecimal(value, CultureInfo.InvariantCulture), type.Scale),
        SqlTypeKind.Date => value switch
        {
            DateOnly d => d.DayNumber - DateOnly.FromDateTime(Epoch).DayNumber,
            DateTime dt => DateOnly.FromDateTime(dt).DayNumber - DateOnly.FromDateTime(Epoch).DayNumber,
            _ => Convert.ToInt32(value, CultureInfo.InvariantCulture),
        },
        SqlTypeKind.Timestamp or SqlTypeKind.TimestampTz => value switch
        {
            DateTimeOffset o => (o.UtcTicks - DateTime.UnixEpoch.Ticks) / 10,
            DateTime dt => (dt.Ticks - Epoch.Ticks) / 10,
            _ => Convert.ToInt64(value, CultureInfo.InvariantCulture),
        },
        SqlTypeKind.Time => value switch
        {
            TimeOnly t => t.Ticks / 10,
            TimeSpan ts => ts.Ticks / 10,
            _ => Convert.ToInt64(value, CultureInfo.InvariantCulture),
        },
        SqlTypeKind.Interval => value switch
        {
            IntervalValue iv => iv,
            TimeSpan ts => new IntervalValue(0, 0, ts.Ticks / 10),
            _ => throw new InvalidCastException($"Cannot store {value.GetType().Name} as INTERVAL."),
        },
        _ => value,
    };

    public static Int128 ToUnscaled(decimal value, int scale)
    {
        var scaled = decimal.Round(value, scale, MidpointRounding.AwayFromZero);
        var bits = decimal.GetBits(scaled);
        var currentScale = (bits[3] >> 16) & 0xFF;
        var mantissa = ((Int128)(uint)bits[2] << 64) | ((Int128)(uint)bits[1] << 32) | (uint)bits[0];
        for (var s = currentScale; s < scale; s++) mantissa *= 10;
        return (bits[3] & int.MinValue) != 0 ? -mantissa : mantissa;
    }

    public static DateOnly DateFromDays(int days) => DateOnly.FromDayNumber(DateOnly.FromDateTime(Epoch).DayNumber + days);
    public static DateTime TimestampFromMicros(long micros) => Epoch.AddTicks(micros * 10);
}
