using System.Globalization;
using Gateway.Protocol.Columnar;

namespace Gateway.Catalog;

/// <summary>
/// A <see cref="CatalogColumn.Type"/> in its catalog's own spelling read as the gateway's type, for listings that must
/// describe a column without asking an engine: Hive's (<c>int</c>, <c>string</c>, <c>decimal(10,2)</c>,
/// <c>array&lt;int&gt;</c>, <c>map&lt;string,int&gt;</c>, <c>struct&lt;a:int,b:string&gt;</c>), PostgreSQL's
/// (<c>integer</c>, <c>character varying(20)</c>, <c>numeric(10,2)</c>, <c>timestamp without time zone</c>,
/// <c>integer[]</c>), DuckDB's (<c>INTEGER</c>, <c>VARCHAR</c>, <c>INTEGER[]</c>, <c>STRUCT(a INTEGER)</c>,
/// <c>MAP(VARCHAR, INTEGER)</c>) and Trino's. A name it does not know is a string (its values' text).
/// </summary>
public static class CatalogTypes
{
    public static SqlType Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var t = text.Trim().ToLowerInvariant();
        if (t.EndsWith("[]", StringComparison.Ordinal)) return SqlType.Array(Parse(t[..^2]));
        if (Generic(t, "array", out var inner) is { Count: 1 } element) return SqlType.Array(Parse(element[0]));
        if (Generic(t, "map", out inner) is { Count: 2 } kv) return SqlType.Map(Parse(kv[0]), Parse(kv[1]));
        if ((Generic(t, "struct", out inner) ?? Generic(t, "row", out inner)) is { Count: > 0 } fields)
        {
            return SqlType.Struct(fields.Select((f, i) => Field(f, i, angle: inner)));
        }
        var open = t.IndexOf('(', StringComparison.Ordinal);
        if (open > 0 && t.IndexOf(')', open) is var close and > 0)
        {
            var name = t[..open].Trim();
            var args = t[(open + 1)..close].Split(',', StringSplitOptions.TrimEntries);
            var tail = t[(close + 1)..].Trim();
            int Arg(int i) => i < args.Length && int.TryParse(args[i], NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : 0;
            return name switch
            {
                "decimal" or "numeric" or "dec" => SqlType.Decimal(Math.Clamp(Arg(0), 1, 38), Math.Clamp(Arg(1), 0, Math.Clamp(Arg(0), 1, 38))),
                "varchar" or "character varying" => Arg(0) > 0 ? SqlType.Varchar(Arg(0)) : SqlType.String,
                "char" or "character" or "bpchar" => Arg(0) > 0 ? SqlType.Char(Arg(0)) : SqlType.Char(1),
                "timestamp" => Simple("timestamp " + tail),
                "time" => Simple("time " + tail),
                _ => Simple(name),
            };
        }
        return Simple(t);
    }

    private static SqlType Simple(string name) => name.Trim() switch
    {
        "boolean" or "bool" => SqlType.Boolean,
        "tinyint" or "int1" or "byte" => SqlType.TinyInt,
        "smallint" or "int2" or "short" => SqlType.SmallInt,
        "integer" or "int" or "int4" or "signed" => SqlType.Int,
        "bigint" or "int8" or "long" => SqlType.BigInt,
        "real" or "float4" or "float" => SqlType.Float,
        "double" or "double precision" or "float8" => SqlType.Double,
        "decimal" or "numeric" => SqlType.Decimal(38, 0),
        "binary" or "varbinary" or "bytea" or "blob" => SqlType.Binary,
        "date" => SqlType.Date,
        "time" or "time without time zone" => SqlType.Time,
        "timestamp" or "timestamp without time zone" or "timestamp_ntz" or "datetime" => SqlType.Timestamp,
        "timestamptz" or "timestamp with time zone" or "timestamp_ltz" or "timestamp with local time zone" => SqlType.TimestampTz,
        "interval" => SqlType.Interval,
        _ => SqlType.String,
    };

    /// <summary>The arguments of <c>name&lt;...&gt;</c> or <c>name(...)</c>, split at top-level commas; null when <paramref name="t"/> is not one.</summary>
    private static List<string>? Generic(string t, string name, out bool angle)
    {
        angle = false;
        if (!t.StartsWith(name, StringComparison.Ordinal) || t.Length < name.Length + 2) return null;
        var rest = t[name.Length..].TrimStart();
        char end;
        if (rest[0] == '<') (angle, end) = (true, '>');
        else if (rest[0] == '(') end = ')';
        else return null;
        if (rest[^1] != end) return null;
        var parts = new List<string>();
        var depth = 0;
        var start = 1;
        for (var i = 1; i < rest.Length - 1; i++)
        {
            var c = rest[i];
            if (c is '<' or '(') depth++;
            else if (c is '>' or ')') depth--;
            else if (c == ',' && depth == 0)
            {
                parts.Add(rest[start..i].Trim());
                start = i + 1;
            }
        }
        parts.Add(rest[start..^1].Trim());
        return parts.Any(p => p.Length == 0) ? null : parts;
    }

    /// <summary>A struct field: Hive's <c>name:type</c> or DuckDB's and Trino's <c>name type</c> (names may be quoted).</summary>
    private static SqlField Field(string text, int index, bool angle)
    {
        var separator = angle ? text.IndexOf(':', StringComparison.Ordinal) : text.IndexOf(' ', StringComparison.Ordinal);
        if (separator <= 0) return new SqlField($"field{index}", Parse(text));
        return new SqlField(text[..separator].Trim().Trim('"', '`'), Parse(text[(separator + 1)..]));
    }
}
