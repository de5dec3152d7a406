using Gateway.Protocol.Columnar;

namespace Gateway.Protocol.Arrow;

/// <summary>
/// Which types travel as native Arrow types. Mirrors the Databricks TSparkArrowTypes flags: when a
/// flag is false the type is sent as Arrow utf8 holding the text the Thrift string path sends
/// (<see cref="ValueFormatter"/>: Hive text for scalars, JSON for ARRAY/MAP/STRUCT). The flags apply
/// at every nesting level, so with <see cref="DecimalAsArrow"/> false an array&lt;decimal&gt; becomes a
/// list of utf8. DATE is always date32 and TIME always time64[us].
/// </summary>
public sealed record ArrowWriteOptions
{
    /// <summary>TIMESTAMP and TIMESTAMP WITH TIME ZONE as timestamp[us] (the latter with zone "UTC").</summary>
    public bool TimestampAsArrow { get; init; } = true;

    /// <summary>DECIMAL(p,s) as decimal128(p,s).</summary>
    public bool DecimalAsArrow { get; init; } = true;

    /// <summary>ARRAY, MAP and STRUCT as list, map and struct rather than JSON text.</summary>
    public bool ComplexTypesAsArrow { get; init; } = true;

    /// <summary>INTERVAL as interval[month_day_nano].</summary>
    public bool IntervalTypesAsArrow { get; init; }

    /// <summary>NULL-typed columns as the Arrow null type rather than an all-null utf8 column.</summary>
    public bool NullTypeAsArrow { get; init; } = true;

    /// <summary>Formats the text fallbacks; its zone is the session time zone for TIMESTAMP WITH TIME ZONE text.</summary>
    public ValueFormatter Formatter { get; init; } = ValueFormatter.Utc;

    /// <summary>The defaults: what Databricks clients ask for unless told otherwise.</summary>
    public static ArrowWriteOptions Default { get; } = new();

    /// <summary>Every type as its Arrow type, intervals included.</summary>
    public static ArrowWriteOptions Native { get; } = new() { IntervalTypesAsArrow = true };

    /// <summary>Whether a value of <paramref name="type"/> travels as utf8 text under these options.</summary>
    public bool SendsAsText(SqlType type)
    {
        ArgumentNullException.ThrowIfNull(type);
        return type.Kind switch
        {
            SqlTypeKind.Decimal => !DecimalAsArrow,
            SqlTypeKind.Timestamp or SqlTypeKind.TimestampTz => !TimestampAsArrow,
            SqlTypeKind.Array or SqlTypeKind.Map or SqlTypeKind.Struct => !ComplexTypesAsArrow,
            SqlTypeKind.Interval => !IntervalTypesAsArrow,
            SqlTypeKind.Null => !NullTypeAsArrow,
            _ => false,
        };
    }
}
