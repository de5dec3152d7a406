using Gateway.Protocol.Columnar;

namespace Gateway.Engines.Postgres;

/// <summary>How a PostgreSQL type is read into a column (see README.md, "Type map").</summary>
internal enum PgReadKind
{
    Bool,
    Int2,
    Int4,
    Int8,
    Float4,
    Float8,
    /// <summary>numeric(p,s) with p ≤ 28: read as System.Decimal (no allocation).</summary>
    DecimalFast,
    /// <summary>numeric beyond 28 digits or unconstrained: the wire bytes, decoded to Int128.</summary>
    DecimalWide,
    /// <summary>text, varchar, bpchar, name, json, and anything read as text: UTF-8 bytes.</summary>
    Text,
    /// <summary>jsonb: binary form is a version byte before the text.</summary>
    Jsonb,
    Uuid,
    Bytea,
    Date,
    Time,
    Timestamp,
    TimestampTz,
    Interval,
    Array,
}

/// <summary>How one result column is read: its gateway type, the read kind, and whether it travels as text.</summary>
internal sealed record PgColumnPlan(string Name, SqlType Type, PgReadKind Kind, bool AsText, PgColumnPlan? Element = null);

internal static class PostgresTypes
{
    // Built-in type OIDs (pg_type.dat); stable across PostgreSQL versions.
    public const uint Bool = 16, Bytea = 17, Char1 = 18, Name = 19, Int8 = 20, Int2 = 21, Int4 = 23, Text = 25, Oid = 26,
        Json = 114, Float4 = 700, Float8 = 701, Bpchar = 1042, Varchar = 1043, Date = 1082, Time = 1083,
        Timestamp = 1114, TimestampTz = 1184, Interval = 1186, Numeric = 1700, Uuid = 2950, Jsonb = 3802;

    /// <summary>Array type OID → element OID, for the element types that map natively.</summary>
    private static readonly Dictionary<uint, uint> ArrayElements = new()
    {
        [1000] = Bool,
        [1001] = Bytea,
        [1003] = Name,
        [1005] = Int2,
        [1007] = Int4,
        [1016] = Int8,
        [1009] = Text,
        [199] = Json,
        [1021] = Float4,
        [1022] = Float8,
        [1014] = Bpchar,
        [1015] = Varchar,
        [1182] = Date,
        [1183] = Time,
        [1115] = Timestamp,
        [1185] = TimestampTz,
        [1187] = Interval,
        [1231] = Numeric,
        [2951] = Uuid,
        [3807] = Jsonb,
    };

    /// <summary>Unconstrained numeric (no declared precision): decimal(38,10), rounded half away from zero.</summary>
    public static readonly SqlType UnconstrainedNumeric = SqlType.Decimal(38, 10);

    /// <summary>
    /// The plan for a column of type <paramref name="oid"/> (a domain already resolved to its base type) with its
    /// declared precision/scale (numeric) or length (varchar/char), when it has them.
    /// </summary>
    public static PgColumnPlan Plan(string name, uint oid, int? precision, int? scale, int? length)
    {
        if (ArrayElements.TryGetValue(oid, out var elementOid))
        {
            var element = Plan("element", elementOid, precision, scale, length);
            return new PgColumnPlan(name, SqlType.Array(element.Type), PgReadKind.Array, false, element);
        }
        return oid switch
        {
            Bool => new(name, SqlType.Boolean, PgReadKind.Bool, false),
            Int2 => new(name, SqlType.SmallInt, PgReadKind.Int2, false),
            Int4 => new(name, SqlType.Int, PgReadKind.Int4, false),
            Int8 => new(name, SqlType.BigInt, PgReadKind.Int8, false),
            Float4 => new(name, SqlType.Float, PgReadKind.Float4, false),
            Float8 => new(name, SqlType.Double, PgReadKind.Float8, false),
            Numeric => NumericPlan(name, precision, scale),
            Text or Name or Json => new(name, SqlType.String, PgReadKind.Text, false),
            Varchar => new(name, length is > 0 and <= 65535 ? SqlType.Varchar(length.Value) : SqlType.String, PgReadKind.Text, false),
            Bpchar => new(name, length is > 0 and <= 255 ? SqlType.Char(length.Value) : SqlType.String, PgReadKind.Text, false),
            Jsonb => new(name, SqlType.String, PgReadKind.Jsonb, false),
            Uuid => new(name, SqlType.String, PgReadKind.Uuid, false),
            Bytea => new(name, SqlType.Binary, PgReadKind.Bytea, false),
            Date => new(name, SqlType.Date, PgReadKind.Date, false),
            Time => new(name, SqlType.Time, PgReadKind.Time, false),
            Timestamp => new(name, SqlType.Timestamp, PgReadKind.Timestamp, false),
            TimestampTz => new(name, SqlType.TimestampTz, PgReadKind.TimestampTz, false),
            Interval => new(name, SqlType.Interval, PgReadKind.Interval, false),
            // Enums, timetz, money, inet, xml, bit, ranges, composites, arrays of those, "char", oid...: PostgreSQL's text form.
            _ => new(name, SqlType.String, PgReadKind.Text, true),
        };
    }

    private static PgColumnPlan NumericPlan(string name, int? precision, int? scale)
    {
        if (precision is not (> 0 and <= 1000)) return new(name, UnconstrainedNumeric, PgReadKind.DecimalWide, false);
        var p = precision.Value;
        var s = scale ?? 0;
        // Npgsql reads the typmod's scale unsigned; PostgreSQL 15 stores negative scales in 11 bits.
        if (s >= 0x400) s -= 0x800;
        if (s < 0)
        {
            // numeric(p,-k) (PostgreSQL 15) rounds to 10^k: integers of up to p + k digits.
            p -= s;
            s = 0;
        }
        if (p > 38)
        {
            // Wider than decimal128: keep the scale (capped), values beyond 38 digits fail with 22003.
            return new(name, SqlType.Decimal(38, Math.Min(s, 38)), PgReadKind.DecimalWide, false);
        }
        s = Math.Min(s, p);
        return new(name, SqlType.Decimal(p, s), p <= 28 ? PgReadKind.DecimalFast : PgReadKind.DecimalWide, false);
    }

    /// <summary>numeric's type modifier: precision in the high 16 bits, scale (signed 11 bits) in the low, plus 4.</summary>
    public static (int? Precision, int? Scale) NumericTypmod(int typmod)
    {
        if (typmod < 4) return (null, null);
        var t = typmod - 4;
        var scale = t & 0x7FF;
        if ((scale & 0x400) != 0) scale -= 0x800;
        return ((t >> 16) & 0xFFFF, scale);
    }

    /// <summary>varchar(n)/char(n) type modifier: n + 4.</summary>
    public static int? LengthTypmod(int typmod) => typmod >= 4 ? typmod - 4 : null;

    /// <summary>The plan for a catalog column: type OID and typmod as pg_attribute holds them.</summary>
    public static PgColumnPlan PlanFromTypmod(string name, uint oid, int typmod)
    {
        var baseOid = ArrayElements.TryGetValue(oid, out var element) ? element : oid;
        if (baseOid == Numeric)
        {
            var (p, s) = NumericTypmod(typmod);
            return Plan(name, oid, p, s, null);
        }
        return Plan(name, oid, null, null, baseOid is Varchar or Bpchar ? LengthTypmod(typmod) : null);
    }
}
