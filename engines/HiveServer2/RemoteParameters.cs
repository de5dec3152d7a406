using System.Globalization;
using System.Text;
using Gateway.Protocol.Columnar;
using Gateway.Protocol.Hive;

namespace Gateway.Engines.HiveServer2;

/// <summary>
/// Typed <see cref="QueryParameter"/>s as Spark's TSparkParameter (a Spark type name and the value as text), the
/// reverse of the gateway's own SparkParameters. Only a remote that negotiated SPARK_CLI_SERVICE_PROTOCOL_V8 or
/// later binds them; anything else is refused: values are never spliced into the statement text.
/// </summary>
internal static class RemoteParameters
{
    public static bool Supported(TProtocolVersion negotiated) =>
        HiveProtocol.IsSpark(negotiated) && negotiated >= TProtocolVersion.SPARK_CLI_SERVICE_PROTOCOL_V8;

    public static List<TSparkParameter>? ToSpark(IReadOnlyList<QueryParameter> parameters, TProtocolVersion negotiated, string endpoint)
    {
        if (parameters.Count == 0) return null;
        if (!Supported(negotiated))
        {
            throw new EngineException(
                $"The remote engine at {endpoint} negotiated protocol {negotiated}, which cannot bind parameters (SPARK_CLI_SERVICE_PROTOCOL_V8 or later is needed); "
                + "run the statement without parameters or route it to another engine.", "0A000");
        }
        var result = new List<TSparkParameter>(parameters.Count);
        foreach (var p in parameters)
        {
            var (type, text) = Encode(p);
            result.Add(new TSparkParameter
            {
                Name = p.Name,
                Ordinal = p.Name is null ? p.Ordinal : null,
                Type = type,
                Value = text is null ? null : new TSparkParameterValue { StringValue = text },
            });
        }
        return result;
    }

    private static (string Type, string? Text) Encode(QueryParameter p)
    {
        var t = p.Type;
        if (t.Kind == SqlTypeKind.Null) return ("VOID", null);
        var type = TypeName(p);
        if (p.Value is null) return (type, null);
        var v = p.Value;
        return (type, t.Kind switch
        {
            SqlTypeKind.Boolean => (bool)v ? "true" : "false",
            SqlTypeKind.TinyInt or SqlTypeKind.SmallInt or SqlTypeKind.Int or SqlTypeKind.BigInt => System.Convert.ToInt64(v, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture),
            SqlTypeKind.Float or SqlTypeKind.Double => System.Convert.ToDouble(v, CultureInfo.InvariantCulture).ToString("R", CultureInfo.InvariantCulture),
            SqlTypeKind.Decimal => Format(span => ValueFormatter.FormatDecimal((Int128)v, t.Scale, span)),
            SqlTypeKind.String or SqlTypeKind.Varchar or SqlTypeKind.Char => (string)v,
            SqlTypeKind.Binary => Utf8OrRefuse(p, (byte[])v),
            SqlTypeKind.Date => Format(span => ValueFormatter.FormatDate((int)v, span)),
            SqlTypeKind.Timestamp => Format(span => ValueFormatter.FormatTimestamp((long)v, span)),
            // An instant: the explicit zone keeps the remote's session time zone out of it.
            SqlTypeKind.TimestampTz => Format(span => ValueFormatter.FormatTimestamp((long)v, span)) + "Z",
            SqlTypeKind.Interval => IntervalText(p, (IntervalValue)v),
            _ => throw Unsupported(p, t.ToString()),
        });
    }

    private static string TypeName(QueryParameter p) => p.Type.Kind switch
    {
        SqlTypeKind.Boolean => "BOOLEAN",
        SqlTypeKind.TinyInt => "TINYINT",
        SqlTypeKind.SmallInt => "SMALLINT",
        SqlTypeKind.Int => "INT",
        SqlTypeKind.BigInt => "BIGINT",
        SqlTypeKind.Float => "FLOAT",
        SqlTypeKind.Double => "DOUBLE",
        SqlTypeKind.Decimal => string.Create(CultureInfo.InvariantCulture, $"DECIMAL({p.Type.Precision},{p.Type.Scale})"),
        SqlTypeKind.String or SqlTypeKind.Varchar or SqlTypeKind.Char => "STRING",
        SqlTypeKind.Binary => "BINARY",
        SqlTypeKind.Date => "DATE",
        SqlTypeKind.Timestamp => "TIMESTAMP_NTZ",
        SqlTypeKind.TimestampTz => "TIMESTAMP",
        SqlTypeKind.Interval when p.Value is IntervalValue { Days: 0, Micros: 0 } or null => "INTERVAL MONTH",
        SqlTypeKind.Interval when p.Value is IntervalValue { Months: 0, Micros: 0 } => "INTERVAL DAY",
        SqlTypeKind.Interval => throw Unsupported(p, "INTERVAL mixing months, days and time"),
        _ => throw Unsupported(p, p.Type.ToString()),
    };

    private static string IntervalText(QueryParameter p, IntervalValue v) =>
        v is { Days: 0, Micros: 0 } ? v.Months.ToString(CultureInfo.InvariantCulture)
        : v is { Months: 0, Micros: 0 } ? v.Days.ToString(CultureInfo.InvariantCulture)
        : throw Unsupported(p, "INTERVAL mixing months, days and time");

    private static string Utf8OrRefuse(QueryParameter p, byte[] bytes)
    {
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            // Spark parameters travel as text: bytes that are not UTF-8 would arrive altered.
            throw Unsupported(p, "BINARY that is not UTF-8 text");
        }
    }

    private delegate int SpanFormat(Span<byte> destination);

    private static string Format(SpanFormat format)
    {
        Span<byte> buffer = stackalloc byte[96];
        return Encoding.ASCII.GetString(buffer[..format(buffer)]);
    }

    private static EngineException Unsupported(QueryParameter p, string what) =>
        new($"Parameter {(p.Name is { } n ? ":" + n : "#" + p.Ordinal.ToString(CultureInfo.InvariantCulture))}: {what} cannot be sent to a remote HiveServer2 engine.", "0A000");
}
