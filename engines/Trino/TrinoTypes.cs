using System.Globalization;
using System.Text.Json;
using Gateway.Protocol.Columnar;

namespace Gateway.Engines.Trino;

/// <summary>
/// Trino's types as our <see cref="SqlType"/>s: from a column's <c>typeSignature</c> (<c>rawType</c> and its
/// <c>arguments</c>, each <c>{"kind": "LONG"|"TYPE"|"NAMED_TYPE", "value": ...}</c>), or from a type's text
/// (<c>decimal(10,2)</c>, <c>row(a integer, "b c" varchar)</c>) as <c>system.jdbc.columns</c> and <c>DESCRIBE</c> name it.
/// Types the gateway has no column for (<c>json</c>, <c>uuid</c>, <c>ipaddress</c>, <c>time with time zone</c>,
/// geospatial and sketches) travel as text, as Trino's JSON result format writes them.
/// </summary>
public static class TrinoTypes
{
    /// <summary>Trino's unbounded varchar length.</summary>
    public const int UnboundedLength = int.MaxValue;

    public static SqlType FromSignature(JsonElement signature)
    {
        var raw = signature.TryGetProperty("rawType", out var r) ? r.GetString() ?? "" : "";
        var args = signature.TryGetProperty("arguments", out var a) && a.ValueKind == JsonValueKind.Array ? a : default;
        long Long(int i) => args.ValueKind == JsonValueKind.Array && args.GetArrayLength() > i && args[i].GetProperty("value") is { ValueKind: JsonValueKind.Number } v ? v.GetInt64() : -1;
        SqlType Type(int i) => args.ValueKind == JsonValueKind.Array && args.GetArrayLength() > i ? FromSignature(args[i].GetProperty("value")) : SqlType.String;
        switch (raw.ToLowerInvariant())
        {
            case "decimal":
                return SqlType.Decimal((int)Math.Clamp(Long(0), 1, 38), (int)Math.Max(0, Long(1)));
            case "varchar":
                {
                    var length = Long(0);
                    return length is < 0 or >= UnboundedLength ? SqlType.String : SqlType.Varchar((int)length);
                }
            case "char":
                return SqlType.Char((int)Math.Max(1, Long(0)));
            case "array":
                return SqlType.Array(Type(0));
            case "map":
                return SqlType.Map(Type(0), Type(1));
            case "row":
                {
                    var fields = new List<SqlField>();
                    if (args.ValueKind == JsonValueKind.Array)
                    {
                        var i = 0;
                        foreach (var arg in args.EnumerateArray())
                        {
                            var value = arg.GetProperty("value");
                            var name = value.TryGetProperty("fieldName", out var f) && f.ValueKind == JsonValueKind.Object && f.TryGetProperty("name", out var n) ? n.GetString() : null;
                            fields.Add(new SqlField(name ?? $"field{i}", FromSignature(value.GetProperty("typeSignature"))));
                            i++;
                        }
                    }
                    return SqlType.Struct(fields);
                }
            default:
                return Simple(raw);
        }
    }

    /// <summary>A type from its text, as Trino prints it.</summary>
    public static SqlType Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var pos = 0;
        var type = ParseType(text, ref pos);
        return type;
    }

    private static SqlType ParseType(string s, ref int pos)
    {
        SkipSpaces(s, ref pos);
        var start = pos;
        // Base names may be several words: "timestamp(3) with time zone", "double precision", "interval day to second".
        while (pos < s.Length && s[pos] is not ('(' or ')' or ',')) pos++;
        var head = s[start..pos].Trim();
        if (pos >= s.Length || s[pos] != '(') return Simple(head);
        var name = head.ToLowerInvariant();
        pos++;
        switch (name)
        {
            case "array":
                {
                    var element = ParseType(s, ref pos);
                    Expect(s, ref pos, ')');
                    return SqlType.Array(element);
                }
            case "map":
                {
                    var key = ParseType(s, ref pos);
                    Expect(s, ref pos, ',');
                    var value = ParseType(s, ref pos);
                    Expect(s, ref pos, ')');
                    return SqlType.Map(key, value);
                }
            case "row":
                {
                    var fields = new List<SqlField>();
                    while (true)
                    {
                        SkipSpaces(s, ref pos);
                        var fieldName = ReadFieldName(s, ref pos);
                        var fieldType = ParseType(s, ref pos);
                        fields.Add(new SqlField(fieldName ?? $"field{fields.Count}", fieldType));
                        SkipSpaces(s, ref pos);
                        if (pos < s.Length && s[pos] == ',')
                        {
                            pos++;
                            continue;
                        }
                        Expect(s, ref pos, ')');
                        return SqlType.Struct(fields);
                    }
                }
            default:
                {
                    // Numeric arguments: decimal(10,2), varchar(20), timestamp(6) [with time zone].
                    var close = s.IndexOf(')', pos);
                    if (close < 0) throw new FormatException($"Unbalanced Trino type '{s}'.");
                    var numbers = s[pos..close].Split(',').Select(p => long.Parse(p.Trim(), CultureInfo.InvariantCulture)).ToArray();
                    pos = close + 1;
                    var tailStart = pos;
                    while (pos < s.Length && s[pos] is not (')' or ',')) pos++;
                    var tail = s[tailStart..pos].Trim().ToLowerInvariant();
                    return name switch
                    {
                        "decimal" => SqlType.Decimal((int)numbers[0], numbers.Length > 1 ? (int)numbers[1] : 0),
                        "varchar" => numbers[0] >= UnboundedLength ? SqlType.String : SqlType.Varchar((int)numbers[0]),
                        "char" => SqlType.Char((int)numbers[0]),
                        "timestamp" => tail == "with time zone" ? SqlType.TimestampTz : SqlType.Timestamp,
                        "time" => tail == "with time zone" ? SqlType.String : SqlType.Time,
                        _ => Simple(name),
                    };
                }
        }
    }

    /// <summary>A row field's name (quoted or not), when one comes before its type.</summary>
    private static string? ReadFieldName(string s, ref int pos)
    {
        if (pos < s.Length && s[pos] == '"')
        {
            var sb = new System.Text.StringBuilder();
            pos++;
            while (pos < s.Length)
            {
                if (s[pos] == '"')
                {
                    if (pos + 1 < s.Length && s[pos + 1] == '"')
                    {
                        sb.Append('"');
                        pos += 2;
                        continue;
                    }
                    pos++;
                    break;
                }
                sb.Append(s[pos++]);
            }
            return sb.ToString();
        }
        // "name type": a word followed by a space and more before the next separator.
        var start = pos;
        while (pos < s.Length && !char.IsWhiteSpace(s[pos]) && s[pos] is not ('(' or ')' or ',')) pos++;
        if (pos < s.Length && char.IsWhiteSpace(s[pos]))
        {
            var word = s[start..pos];
            var save = pos;
            SkipSpaces(s, ref pos);
            // "double precision", "timestamp(3) with time zone" are types, not "name type": only a known type word follows a name.
            if (pos < s.Length && char.IsLetter(s[pos]) && !word.Equals("double", StringComparison.OrdinalIgnoreCase)) return word;
            pos = save;
        }
        pos = start;
        return null;
    }

    private static void SkipSpaces(string s, ref int pos)
    {
        while (pos < s.Length && char.IsWhiteSpace(s[pos])) pos++;
    }

    private static void Expect(string s, ref int pos, char c)
    {
        SkipSpaces(s, ref pos);
        if (pos >= s.Length || s[pos] != c) throw new FormatException($"Expected '{c}' at {pos} in Trino type '{s}'.");
        pos++;
    }

    private static SqlType Simple(string raw) => raw.Trim().ToLowerInvariant() switch
    {
        "boolean" => SqlType.Boolean,
        "tinyint" => SqlType.TinyInt,
        "smallint" => SqlType.SmallInt,
        "integer" or "int" => SqlType.Int,
        "bigint" => SqlType.BigInt,
        "real" => SqlType.Float,
        "double" or "double precision" => SqlType.Double,
        "decimal" => SqlType.Decimal(38, 0),
        "varchar" => SqlType.String,
        "char" => SqlType.Char(1),
        "varbinary" => SqlType.Binary,
        "date" => SqlType.Date,
        "time" => SqlType.Time,
        "timestamp" => SqlType.Timestamp,
        "timestamp with time zone" => SqlType.TimestampTz,
        "interval year to month" or "interval day to second" => SqlType.Interval,
        "unknown" => SqlType.Null,
        // json, uuid, ipaddress, time with time zone, geometry, HyperLogLog...: their JSON text.
        _ => SqlType.String,
    };

    /// <summary>
    /// The type Trino knows <paramref name="type"/> as (the gateway's frontend and CASTs use it). With
    /// <paramref name="intervalsAsText"/> an interval is <c>varchar</c>: the gateway's interval mixes months with days,
    /// which no single Trino interval type holds, so the frontend sends its text.
    /// </summary>
    public static string ToTrino(SqlType type, bool intervalsAsText = false)
    {
        ArgumentNullException.ThrowIfNull(type);
        return type.Kind switch
        {
            SqlTypeKind.Null => "unknown",
            SqlTypeKind.Boolean => "boolean",
            SqlTypeKind.TinyInt => "tinyint",
            SqlTypeKind.SmallInt => "smallint",
            SqlTypeKind.Int => "integer",
            SqlTypeKind.BigInt => "bigint",
            SqlTypeKind.Float => "real",
            SqlTypeKind.Double => "double",
            SqlTypeKind.Decimal => $"decimal({type.Precision},{type.Scale})",
            SqlTypeKind.String => "varchar",
            SqlTypeKind.Varchar => $"varchar({type.Length})",
            SqlTypeKind.Char => $"char({type.Length})",
            SqlTypeKind.Binary => "varbinary",
            SqlTypeKind.Date => "date",
            SqlTypeKind.Time => "time(6)",
            SqlTypeKind.Timestamp => "timestamp(6)",
            SqlTypeKind.TimestampTz => "timestamp(6) with time zone",
            SqlTypeKind.Interval => intervalsAsText ? "varchar" : "interval day to second",
            SqlTypeKind.Array => $"array({ToTrino(type.Element!, intervalsAsText)})",
            SqlTypeKind.Map => $"map({ToTrino(type.Fields[0].Type, intervalsAsText)}, {ToTrino(type.Fields[1].Type, intervalsAsText)})",
            SqlTypeKind.Struct => $"row({string.Join(", ", type.Fields.Select(f => $"\"{f.Name.Replace("\"", "\"\"", StringComparison.Ordinal)}\" {ToTrino(f.Type, intervalsAsText)}"))})",
            _ => "varchar",
        };
    }
}
