using System.Globalization;
using System.Numerics;
using Gateway.Engines;
using Gateway.Protocol.Columnar;
using Gateway.Protocol.Hive;
using Gateway.Server.Sessions;

namespace Gateway.Server.Hive;

/// <summary>
/// The Spark/Databricks <c>parameters</c> of ExecuteStatement (TSparkParameter: a Spark type name and a value,
/// usually as text) as typed <see cref="QueryParameter"/>s the engine binds. Values are parsed here, so a
/// malformed value fails the statement with 22018 before anything runs.
/// </summary>
public static class SparkParameters
{
    public static IReadOnlyList<QueryParameter> Convert(IReadOnlyList<TSparkParameter>? parameters, TimeZoneInfo sessionZone)
    {
        if (parameters is not { Count: > 0 }) return [];
        ArgumentNullException.ThrowIfNull(sessionZone);
        var named = parameters[0].Name is not null;
        var result = new QueryParameter[parameters.Count];
        for (var i = 0; i < parameters.Count; i++)
        {
            var p = parameters[i];
            if ((p.Name is not null) != named)
            {
                throw new GatewayException("Parameters must be all named or all positional, not both.", "07001");
            }
            if (named && !IsName(p.Name!))
            {
                throw new GatewayException($"'{p.Name}' is not a valid parameter name.", "07001");
            }
            var label = named ? $"':{p.Name}'" : $"#{p.Ordinal ?? i + 1}";
            var (type, value) = ConvertValue(p, label, sessionZone);
            result[i] = new QueryParameter(p.Ordinal ?? i + 1, p.Name, type, value);
        }
        return result;
    }

    private static bool IsName(string name) =>
        name.Length > 0 && (char.IsLetter(name[0]) || name[0] == '_') && name.All(c => char.IsLetterOrDigit(c) || c == '_');

    private static (SqlType Type, object? Value) ConvertValue(TSparkParameter p, string label, TimeZoneInfo zone)
    {
        if (p.Arguments is { Count: > 0 })
        {
            throw new GatewayException($"Parameter {label}: complex-type parameters (ARRAY, MAP, STRUCT) are not supported; bind scalar values.", "0A000");
        }
        var typeName = (p.Type ?? "").Trim();
        var text = p.Value switch
        {
            null => null,
            { StringValue: { } s } => s,
            { DoubleValue: { } d } => d.ToString("R", CultureInfo.InvariantCulture),
            { BooleanValue: { } b } => b ? "true" : "false",
            _ => null,
        };
        var (baseName, args) = SplitType(typeName);
        if (text is null || baseName is "" or "VOID" or "NULL")
        {
            // Spark's NULL: neither type nor value (or an explicit VOID).
            return (baseName is "" or "VOID" or "NULL" ? SqlType.Null : TypeOnly(baseName, args, label), null);
        }
        try
        {
            switch (baseName)
            {
                case "BOOLEAN":
                    return (SqlType.Boolean, text.Trim().ToUpperInvariant() switch
                    {
                        "TRUE" or "1" => true,
                        "FALSE" or "0" => false,
                        _ => throw Bad(label, text, baseName),
                    });
                case "TINYINT" or "BYTE":
                    return (SqlType.TinyInt, Integer(text, sbyte.MinValue, sbyte.MaxValue, label, baseName));
                case "SMALLINT" or "SHORT":
                    return (SqlType.SmallInt, Integer(text, short.MinValue, short.MaxValue, label, baseName));
                case "INT" or "INTEGER":
                    return (SqlType.Int, Integer(text, int.MinValue, int.MaxValue, label, baseName));
                case "BIGINT" or "LONG":
                    return (SqlType.BigInt, Integer(text, long.MinValue, long.MaxValue, label, baseName));
                case "FLOAT" or "REAL":
                    return (SqlType.Float, Double(text, label, baseName));
                case "DOUBLE":
                    return (SqlType.Double, Double(text, label, baseName));
                case "DECIMAL" or "DEC" or "NUMERIC":
                    return Decimal(text, args, label);
                case "STRING" or "VARCHAR" or "CHAR":
                    return (SqlType.String, text);
                case "BINARY":
                    return (SqlType.Binary, System.Text.Encoding.UTF8.GetBytes(text));
                case "DATE":
                    return (SqlType.Date, Date(text, label));
                case "TIMESTAMP" or "TIMESTAMP_LTZ":
                    return (SqlType.TimestampTz, Instant(text, zone, label));
                case "TIMESTAMP_NTZ":
                    return (SqlType.Timestamp, WallClock(text, label));
                case "INTERVAL MONTH" or "INTERVAL YEAR" or "INTERVAL YEAR TO MONTH":
                    return (SqlType.Interval, new IntervalValue(checked((int)Integer(text, int.MinValue, int.MaxValue, label, baseName) * (baseName == "INTERVAL YEAR" ? 12 : 1)), 0, 0));
                case "INTERVAL DAY":
                    return (SqlType.Interval, new IntervalValue(0, (int)Integer(text, int.MinValue, int.MaxValue, label, baseName), 0));
                case "ARRAY" or "MAP" or "STRUCT":
                    throw new GatewayException($"Parameter {label}: complex-type parameters ({baseName}) are not supported; bind scalar values.", "0A000");
                default:
                    throw new GatewayException($"Parameter {label}: type '{typeName}' is not supported.", "0A000");
            }
        }
        catch (OverflowException)
        {
            throw new GatewayException($"Parameter {label}: '{text}' is out of range for {baseName}.", "22003");
        }
    }

    private static SqlType TypeOnly(string baseName, string? args, string label) => baseName switch
    {
        "BOOLEAN" => SqlType.Boolean,
        "TINYINT" or "BYTE" => SqlType.TinyInt,
        "SMALLINT" or "SHORT" => SqlType.SmallInt,
        "INT" or "INTEGER" => SqlType.Int,
        "BIGINT" or "LONG" => SqlType.BigInt,
        "FLOAT" or "REAL" => SqlType.Float,
        "DOUBLE" => SqlType.Double,
        "DECIMAL" or "DEC" or "NUMERIC" => DecimalType(args, label) ?? SqlType.Decimal(10, 0),
        "DATE" => SqlType.Date,
        "TIMESTAMP" or "TIMESTAMP_LTZ" => SqlType.TimestampTz,
        "TIMESTAMP_NTZ" => SqlType.Timestamp,
        "BINARY" => SqlType.Binary,
        _ => SqlType.String,
    };

    /// <summary>"DECIMAL(10, 2)" → ("DECIMAL", "10, 2"); "interval   day" → ("INTERVAL DAY", null).</summary>
    private static (string Base, string? Args) SplitType(string typeName)
    {
        var open = typeName.IndexOf('(', StringComparison.Ordinal);
        var name = open < 0 ? typeName : typeName[..open];
        var args = open < 0 ? null : typeName[(open + 1)..].TrimEnd().TrimEnd(')');
        return (string.Join(' ', name.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToUpperInvariant(), args);
    }

    private static GatewayException Bad(string label, string text, string type) =>
        new($"Parameter {label}: '{text}' is not a valid {type} value.", "22018");

    private static long Integer(string text, long min, long max, string label, string type)
    {
        var t = text.Trim();
        if (!long.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v))
        {
            // JavaScript numbers arrive as "1e+21" or "3.0" when integral.
            if (!double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) || d != Math.Floor(d)) throw Bad(label, text, type);
            if (d < min || d > max) throw new OverflowException();
            v = (long)d;
        }
        if (v < min || v > max) throw new OverflowException();
        return v;
    }

    private static double Double(string text, string label, string type) =>
        double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : throw Bad(label, text, type);

    private static SqlType? DecimalType(string? args, string label)
    {
        if (args is null) return null;
        var parts = args.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length is < 1 or > 2
            || !int.TryParse(parts[0], CultureInfo.InvariantCulture, out var precision)
            || !int.TryParse(parts.Length == 2 ? parts[1] : "0", CultureInfo.InvariantCulture, out var scale)
            || precision is < 1 or > 38 || scale < 0 || scale > precision)
        {
            throw new GatewayException($"Parameter {label}: 'DECIMAL({args})' is not a valid decimal type.", "22018");
        }
        return SqlType.Decimal(precision, scale);
    }

    /// <summary>Exact decimal text (digits, optional point and exponent) → unscaled value at the declared or the literal's own scale.</summary>
    private static (SqlType, object?) Decimal(string text, string? args, string label)
    {
        var t = text.Trim();
        var negative = t.StartsWith('-');
        if (negative || t.StartsWith('+')) t = t[1..];
        var exponent = 0;
        var e = t.IndexOfAny(['e', 'E']);
        if (e >= 0)
        {
            if (!int.TryParse(t[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out exponent)) throw Bad(label, text, "DECIMAL");
            t = t[..e];
        }
        var point = t.IndexOf('.', StringComparison.Ordinal);
        var digits = point < 0 ? t : t.Remove(point, 1);
        var scale = (point < 0 ? 0 : t.Length - point - 1) - exponent;
        if (digits.Length == 0 || !digits.All(char.IsAsciiDigit)) throw Bad(label, text, "DECIMAL");
        var unscaled = BigInteger.Parse(digits, CultureInfo.InvariantCulture);
        if (scale < 0)
        {
            unscaled *= BigInteger.Pow(10, -scale);
            scale = 0;
        }
        var declared = DecimalType(args, label);
        if (declared is not null)
        {
            if (scale > declared.Scale)
            {
                // Round half up to the declared scale, as a cast would.
                var divisor = BigInteger.Pow(10, scale - declared.Scale);
                unscaled = BigInteger.DivRem(unscaled, divisor, out var rest);
                if (rest * 2 >= divisor) unscaled += 1;
            }
            else
            {
                unscaled *= BigInteger.Pow(10, declared.Scale - scale);
            }
            scale = declared.Scale;
        }
        var precision = Math.Max(Math.Max(unscaled.IsZero ? 1 : BigInteger.Abs(unscaled).ToString(CultureInfo.InvariantCulture).Length, scale), 1);
        if (declared is not null && precision > declared.Precision || precision > 38)
        {
            throw new GatewayException($"Parameter {label}: '{text}' does not fit {(declared is null ? "DECIMAL(38)" : declared.ToString())}.", "22003");
        }
        var type = declared ?? SqlType.Decimal(Math.Max(precision, 1), scale);
        return (type, (Int128)(negative ? -unscaled : unscaled));
    }

    private static readonly string[] DateFormats = ["yyyy-MM-dd", "yyyy-M-d"];

    private static int Date(string text, string label)
    {
        var t = text.Trim();
        // A full timestamp bound as DATE keeps its calendar date.
        var cut = t.IndexOfAny(['T', ' ']);
        if (cut > 0) t = t[..cut];
        if (!DateOnly.TryParseExact(t, DateFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)) throw Bad(label, text, "DATE");
        return date.DayNumber - DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber;
    }

    private static long Instant(string text, TimeZoneInfo zone, string label)
    {
        var t = text.Trim();
        if (DateTimeOffset.TryParse(t, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var withZone) && HasZone(t))
        {
            return (withZone.UtcTicks - DateTime.UnixEpoch.Ticks) / 10;
        }
        // No zone written: the wall clock is in the session time zone, as Spark reads TIMESTAMP literals.
        var local = ParseWallClock(t) ?? throw Bad(label, text, "TIMESTAMP");
        var utc = TimeZoneInfo.ConvertTimeToUtc(DateTime.SpecifyKind(local, DateTimeKind.Unspecified), zone);
        return (utc.Ticks - DateTime.UnixEpoch.Ticks) / 10;
    }

    private static long WallClock(string text, string label)
    {
        var local = ParseWallClock(text.Trim()) ?? throw Bad(label, text, "TIMESTAMP_NTZ");
        return (local.Ticks - DateTime.UnixEpoch.Ticks) / 10;
    }

    private static DateTime? ParseWallClock(string t)
    {
        // Ignore a zone suffix for wall-clock reads.
        if (HasZone(t) && DateTimeOffset.TryParse(t, CultureInfo.InvariantCulture, DateTimeStyles.None, out var dto)) return dto.DateTime;
        return DateTime.TryParse(t, CultureInfo.InvariantCulture, DateTimeStyles.AllowWhiteSpaces | DateTimeStyles.NoCurrentDateDefault, out var dt) ? dt : null;
    }

    private static bool HasZone(string t)
    {
        if (t.EndsWith('Z') || t.EndsWith('z')) return true;
        var timeStart = t.IndexOfAny(['T', ' ']);
        if (timeStart < 0) return false;
        var tail = t[timeStart..];
        return tail.Contains('+', StringComparison.Ordinal) || tail.LastIndexOf('-') > 0;
    }
}
