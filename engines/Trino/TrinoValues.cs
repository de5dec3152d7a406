using System.Buffers;
using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Gateway.Protocol.Columnar;

namespace Gateway.Engines.Trino;

/// <summary>
/// Reads the rows of Trino's JSON result format (<c>data</c>: an array of rows, each an array of values) into typed
/// columns. Scalars are appended in their storage type without boxing or intermediate strings: numbers as numbers,
/// text as its UTF-8 bytes, decimals, dates, times, timestamps and intervals parsed from their text
/// (<c>"123.45"</c>, <c>"2024-01-31"</c>, <c>"2024-01-31 12:34:56.123456"</c>, <c>"... UTC"</c> or <c>"... +01:00"</c> or
/// <c>"... Europe/Paris"</c>, <c>"1 02:03:04.500"</c>, <c>"1-2"</c>), varbinary from base64, <c>NaN</c> and the
/// infinities from strings. Arrays, maps and rows (rows are arrays of their fields' values) are built from boxed
/// values: nested columns are not the hot path.
/// </summary>
internal static class TrinoValues
{
    private static readonly ConcurrentDictionary<string, TimeZoneInfo?> Zones = new(StringComparer.Ordinal);

    /// <summary>The rows of <paramref name="data"/> (the <c>data</c> array's JSON) as one batch of <paramref name="schema"/>.</summary>
    public static ColumnBatch ReadRows(ReadOnlySpan<byte> data, ResultSchema schema)
    {
        var builders = new ColumnBuilder[schema.Count];
        for (var i = 0; i < builders.Length; i++) builders[i] = ColumnBuilder.Create(schema.Columns[i].Type);
        var reader = new Utf8JsonReader(data, new JsonReaderOptions { MaxDepth = 256 });
        Next(ref reader, JsonTokenType.StartArray);
        var rows = 0;
        var scratch = new ArrayBufferWriter<byte>(256);
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartArray) throw Bad("a row is not an array");
            for (var c = 0; c < builders.Length; c++)
            {
                if (!reader.Read() || reader.TokenType == JsonTokenType.EndArray) throw Bad($"row {rows} has {c} values, not {builders.Length}");
                Append(ref reader, builders[c], scratch);
            }
            if (!reader.Read() || reader.TokenType != JsonTokenType.EndArray) throw Bad($"row {rows} has more than {builders.Length} values");
            rows++;
        }
        return new ColumnBatch(schema, rows, [.. builders.Select(b => b.Build())]);
    }

    private static void Next(ref Utf8JsonReader reader, JsonTokenType expected)
    {
        if (!reader.Read() || reader.TokenType != expected) throw Bad($"expected {expected}");
    }

    private static EngineException Bad(string what) => new($"Trino's result is not in the documented format: {what}.", "08S01");

    /// <summary>Appends the value the reader is on (and leaves the reader on its last token).</summary>
    private static void Append(ref Utf8JsonReader reader, ColumnBuilder builder, ArrayBufferWriter<byte> scratch)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            builder.AppendNull();
            return;
        }
        var type = builder.Type;
        switch (type.Kind)
        {
            case SqlTypeKind.Null:
                builder.AppendNull();
                return;
            case SqlTypeKind.Boolean:
                builder.AppendBoolean(reader.TokenType switch
                {
                    JsonTokenType.True => true,
                    JsonTokenType.False => false,
                    _ => throw Bad("a boolean is not true or false"),
                });
                return;
            case SqlTypeKind.TinyInt:
                builder.Append((sbyte)Integer(ref reader));
                return;
            case SqlTypeKind.SmallInt:
                builder.Append((short)Integer(ref reader));
                return;
            case SqlTypeKind.Int:
                builder.Append((int)Integer(ref reader));
                return;
            case SqlTypeKind.BigInt:
                builder.Append(Integer(ref reader));
                return;
            case SqlTypeKind.Float:
                builder.Append((float)Floating(ref reader));
                return;
            case SqlTypeKind.Double:
                builder.Append(Floating(ref reader));
                return;
            case SqlTypeKind.String or SqlTypeKind.Varchar or SqlTypeKind.Char:
                builder.AppendBytes(Utf8(ref reader, scratch));
                return;
            case SqlTypeKind.Binary:
                {
                    var text = Utf8(ref reader, scratch);
                    var bytes = ArrayPool<byte>.Shared.Rent(Base64.GetMaxDecodedFromUtf8Length(text.Length));
                    try
                    {
                        if (Base64.DecodeFromUtf8(text, bytes, out _, out var written) != OperationStatus.Done) throw Bad("a varbinary is not base64");
                        builder.AppendBytes(bytes.AsSpan(0, written));
                    }
                    finally
                    {
                        ArrayPool<byte>.Shared.Return(bytes);
                    }
                    return;
                }
            case SqlTypeKind.Decimal:
                builder.Append(ParseDecimal(Utf8(ref reader, scratch), type.Scale));
                return;
            case SqlTypeKind.Date:
                builder.Append(ParseDate(Utf8(ref reader, scratch)));
                return;
            case SqlTypeKind.Time:
                builder.Append(ParseTime(Utf8(ref reader, scratch)));
                return;
            case SqlTypeKind.Timestamp:
                builder.Append(ParseTimestamp(Utf8(ref reader, scratch), out _));
                return;
            case SqlTypeKind.TimestampTz:
                builder.Append(ParseTimestampTz(Utf8(ref reader, scratch)));
                return;
            case SqlTypeKind.Interval:
                builder.Append(ParseInterval(Utf8(ref reader, scratch)));
                return;
            default:
                builder.AppendObject(Boxed(ref reader, type, scratch));
                return;
        }
    }

    /// <summary>A value as <see cref="ColumnBuilder.AppendObject"/> takes it, for the elements of nested columns.</summary>
    private static object? Boxed(ref Utf8JsonReader reader, SqlType type, ArrayBufferWriter<byte> scratch)
    {
        if (reader.TokenType == JsonTokenType.Null) return null;
        switch (type.Kind)
        {
            case SqlTypeKind.Array:
                {
                    if (reader.TokenType != JsonTokenType.StartArray) throw Bad("an array value is not a JSON array");
                    var items = new List<object?>();
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray) items.Add(Boxed(ref reader, type.Element!, scratch));
                    return items;
                }
            case SqlTypeKind.Map:
                {
                    if (reader.TokenType != JsonTokenType.StartObject) throw Bad("a map value is not a JSON object");
                    var map = new Dictionary<object, object?>();
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                    {
                        var key = KeyOf(reader.GetString()!, type.Fields[0].Type);
                        reader.Read();
                        map[key] = Boxed(ref reader, type.Fields[1].Type, scratch);
                    }
                    return map;
                }
            case SqlTypeKind.Struct:
                {
                    var values = new object?[type.Fields.Length];
                    if (reader.TokenType == JsonTokenType.StartArray)
                    {
                        var i = 0;
                        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                        {
                            var v = Boxed(ref reader, i < values.Length ? type.Fields[i].Type : SqlType.String, scratch);
                            if (i < values.Length) values[i] = v;
                            i++;
                        }
                        return values;
                    }
                    // Older servers wrote rows as objects keyed by field name.
                    if (reader.TokenType != JsonTokenType.StartObject) throw Bad("a row value is neither an array nor an object");
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                    {
                        var name = reader.GetString();
                        reader.Read();
                        var index = type.Fields.IndexOf(type.Fields.FirstOrDefault(f => f.Name == name)!);
                        var v = Boxed(ref reader, index >= 0 ? type.Fields[index].Type : SqlType.String, scratch);
                        if (index >= 0) values[index] = v;
                    }
                    return values;
                }
            case SqlTypeKind.Boolean:
                return reader.TokenType == JsonTokenType.True;
            case SqlTypeKind.TinyInt or SqlTypeKind.SmallInt or SqlTypeKind.Int or SqlTypeKind.BigInt:
                return Integer(ref reader);
            case SqlTypeKind.Float or SqlTypeKind.Double:
                return Floating(ref reader);
            case SqlTypeKind.Decimal:
                return ParseDecimal(Utf8(ref reader, scratch), type.Scale);
            case SqlTypeKind.Date:
                return ParseDate(Utf8(ref reader, scratch));
            case SqlTypeKind.Time:
                return ParseTime(Utf8(ref reader, scratch));
            case SqlTypeKind.Timestamp:
                return ParseTimestamp(Utf8(ref reader, scratch), out _);
            case SqlTypeKind.TimestampTz:
                return ParseTimestampTz(Utf8(ref reader, scratch));
            case SqlTypeKind.Interval:
                return ParseInterval(Utf8(ref reader, scratch));
            case SqlTypeKind.Binary:
                return Convert.FromBase64String(Encoding.UTF8.GetString(Utf8(ref reader, scratch)));
            default:
                return Encoding.UTF8.GetString(Utf8(ref reader, scratch));
        }
    }

    private static object KeyOf(string key, SqlType type) => type.Kind switch
    {
        SqlTypeKind.TinyInt or SqlTypeKind.SmallInt or SqlTypeKind.Int or SqlTypeKind.BigInt => long.Parse(key, CultureInfo.InvariantCulture),
        SqlTypeKind.Float or SqlTypeKind.Double => double.Parse(key, CultureInfo.InvariantCulture),
        SqlTypeKind.Boolean => bool.Parse(key),
        SqlTypeKind.Decimal => ParseDecimal(Encoding.UTF8.GetBytes(key), type.Scale),
        SqlTypeKind.Date => ParseDate(Encoding.UTF8.GetBytes(key)),
        SqlTypeKind.Timestamp => ParseTimestamp(Encoding.UTF8.GetBytes(key), out _),
        _ => key,
    };

    private static long Integer(ref Utf8JsonReader reader) =>
        reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var v) ? v : throw Bad("an integer is not a JSON integer");

    private static double Floating(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Number) return reader.GetDouble();
        if (reader.TokenType == JsonTokenType.String)
        {
            if (reader.ValueTextEquals("NaN"u8)) return double.NaN;
            if (reader.ValueTextEquals("Infinity"u8)) return double.PositiveInfinity;
            if (reader.ValueTextEquals("-Infinity"u8)) return double.NegativeInfinity;
        }
        throw Bad("a double is neither a number nor NaN/Infinity");
    }

    /// <summary>The UTF-8 of a string value (unescaped), or the raw JSON of any other value (a json column's objects).</summary>
    private static ReadOnlySpan<byte> Utf8(ref Utf8JsonReader reader, ArrayBufferWriter<byte> scratch)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            if (!reader.ValueIsEscaped && !reader.HasValueSequence) return reader.ValueSpan;
            scratch.ResetWrittenCount();
            var length = reader.HasValueSequence ? checked((int)reader.ValueSequence.Length) : reader.ValueSpan.Length;
            var span = scratch.GetSpan(length);
            var n = reader.CopyString(span);
            return span[..n];
        }
        if (reader.TokenType is JsonTokenType.Number or JsonTokenType.True or JsonTokenType.False) return reader.ValueSpan;
        if (reader.TokenType is JsonTokenType.StartArray or JsonTokenType.StartObject)
        {
            using var doc = JsonDocument.ParseValue(ref reader);
            scratch.ResetWrittenCount();
            using (var writer = new Utf8JsonWriter(scratch)) doc.WriteTo(writer);
            return scratch.WrittenSpan;
        }
        throw Bad($"unexpected {reader.TokenType}");
    }

    /// <summary>"-123.45" as the unscaled value at <paramref name="scale"/> (Trino writes exactly the scale's digits; more are cut, fewer padded).</summary>
    internal static Int128 ParseDecimal(ReadOnlySpan<byte> text, int scale)
    {
        Int128 value = 0;
        var negative = false;
        var i = 0;
        if (i < text.Length && (text[i] == '-' || text[i] == '+'))
        {
            negative = text[i] == '-';
            i++;
        }
        var fraction = -1;
        var digits = 0;
        for (; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '.' && fraction < 0)
            {
                fraction = 0;
                continue;
            }
            if (c is < (byte)'0' or > (byte)'9') throw Bad($"'{Encoding.UTF8.GetString(text)}' is not a decimal");
            if (fraction >= 0)
            {
                if (fraction == scale) continue;
                fraction++;
            }
            value = value * 10 + (c - '0');
            digits++;
        }
        if (digits == 0) throw Bad($"'{Encoding.UTF8.GetString(text)}' is not a decimal");
        for (var f = Math.Max(fraction, 0); f < scale; f++) value *= 10;
        return negative ? -value : value;
    }

    private static int Digits(ReadOnlySpan<byte> s, int start, int count)
    {
        var v = 0;
        for (var i = start; i < start + count; i++)
        {
            if (i >= s.Length || s[i] is < (byte)'0' or > (byte)'9') throw Bad($"'{Encoding.UTF8.GetString(s)}' is not a date or time");
            v = v * 10 + (s[i] - '0');
        }
        return v;
    }

    /// <summary>"2024-01-31" (also "-0044-03-15", "+12345-01-01") as days since 1970-01-01.</summary>
    internal static int ParseDate(ReadOnlySpan<byte> s) => ParseDatePart(s, out _);

    private static int ParseDatePart(ReadOnlySpan<byte> s, out int consumed)
    {
        var sign = 1;
        var i = 0;
        if (s.Length > 0 && (s[0] == '-' || s[0] == '+'))
        {
            sign = s[0] == '-' ? -1 : 1;
            i = 1;
        }
        var yearStart = i;
        while (i < s.Length && s[i] != '-') i++;
        var year = sign * Digits(s, yearStart, i - yearStart);
        if (i + 6 > s.Length || s[i + 3] != '-') throw Bad($"'{Encoding.UTF8.GetString(s)}' is not a date");
        var month = Digits(s, i + 1, 2);
        var day = Digits(s, i + 4, 2);
        consumed = i + 6;
        return (int)(DaysFromCivil(year, month, day));
    }

    /// <summary>Days since 1970-01-01 of a proleptic Gregorian date (any year, Trino's range included).</summary>
    private static long DaysFromCivil(long y, int m, int d)
    {
        y -= m <= 2 ? 1 : 0;
        var era = (y >= 0 ? y : y - 399) / 400;
        var yoe = y - era * 400;
        var doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        var doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + doe - 719468;
    }

    /// <summary>"12:34:56[.fffffffffff]" as microseconds since midnight (finer digits are cut).</summary>
    internal static long ParseTime(ReadOnlySpan<byte> s) => ParseTimePart(s, 0, out _);

    private static long ParseTimePart(ReadOnlySpan<byte> s, int start, out int consumed)
    {
        var hours = Digits(s, start, 2);
        if (start + 8 > s.Length || s[start + 2] != ':' || s[start + 5] != ':') throw Bad($"'{Encoding.UTF8.GetString(s)}' is not a time");
        var minutes = Digits(s, start + 3, 2);
        var seconds = Digits(s, start + 6, 2);
        var i = start + 8;
        long micros = 0;
        if (i < s.Length && s[i] == '.')
        {
            i++;
            var n = 0;
            while (i < s.Length && s[i] is >= (byte)'0' and <= (byte)'9')
            {
                if (n < 6) micros = micros * 10 + (s[i] - '0');
                n++;
                i++;
            }
            for (; n < 6; n++) micros *= 10;
        }
        consumed = i;
        return ((hours * 60L + minutes) * 60 + seconds) * ValueConversions.MicrosPerSecond + micros;
    }

    /// <summary>"2024-01-31 12:34:56[.ffffff]" as microseconds since the epoch (wall clock); <paramref name="consumed"/> is where a zone would start.</summary>
    internal static long ParseTimestamp(ReadOnlySpan<byte> s, out int consumed)
    {
        var days = ParseDatePart(s, out var at);
        if (at >= s.Length || (s[at] != ' ' && s[at] != 'T')) throw Bad($"'{Encoding.UTF8.GetString(s)}' is not a timestamp");
        var time = ParseTimePart(s, at + 1, out consumed);
        return days * ValueConversions.MicrosPerDay + time;
    }

    /// <summary>"2024-01-31 12:34:56.123 UTC" (or "+01:00", or a region such as "Europe/Paris") as the UTC instant in microseconds.</summary>
    internal static long ParseTimestampTz(ReadOnlySpan<byte> s)
    {
        var local = ParseTimestamp(s, out var at);
        var zone = Encoding.UTF8.GetString(s[at..]).Trim();
        if (zone.Length == 0 || zone is "UTC" or "Z" or "GMT" or "UT") return local;
        if (zone[0] is '+' or '-' && zone.Length >= 3)
        {
            var sign = zone[0] == '-' ? -1 : 1;
            var parts = zone[1..].Split(':');
            var hours = int.Parse(parts[0], CultureInfo.InvariantCulture);
            var minutes = parts.Length > 1 ? int.Parse(parts[1], CultureInfo.InvariantCulture) : 0;
            return local - sign * (hours * 60L + minutes) * 60 * ValueConversions.MicrosPerSecond;
        }
        var tz = Zones.GetOrAdd(zone, static z => TimeZoneInfo.TryFindSystemTimeZoneById(z, out var found) ? found : null)
            ?? throw Bad($"the time zone '{zone}' is not known here");
        var wall = DateTime.UnixEpoch.AddTicks(local * 10);
        var offset = tz.GetUtcOffset(DateTime.SpecifyKind(wall, DateTimeKind.Unspecified));
        return local - offset.Ticks / 10;
    }

    /// <summary>"1 02:03:04.500" (day to second) or "1-2" (year to month), either with a leading '-'.</summary>
    internal static IntervalValue ParseInterval(ReadOnlySpan<byte> s)
    {
        var negative = s.Length > 0 && s[0] == '-';
        var body = negative ? s[1..] : s;
        var space = body.IndexOf((byte)' ');
        if (space < 0)
        {
            var dash = body.IndexOf((byte)'-');
            if (dash < 0) throw Bad($"'{Encoding.UTF8.GetString(s)}' is not an interval");
            var years = Digits(body, 0, dash);
            var months = Digits(body, dash + 1, body.Length - dash - 1);
            var total = years * 12 + months;
            return new IntervalValue(negative ? -total : total, 0, 0);
        }
        var days = Digits(body, 0, space);
        var micros = ParseTimePart(body, space + 1, out _);
        return negative ? new IntervalValue(0, -days, -micros) : new IntervalValue(0, days, micros);
    }
}
