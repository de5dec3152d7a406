using System.Collections.Immutable;
using System.Text;

namespace Gateway.Protocol.Columnar;

/// <summary>The logical types a <see cref="ColumnBatch"/> carries; engines map onto these, encoders map out of them.</summary>
public enum SqlTypeKind : byte
{
    Null,
    Boolean,
    TinyInt,
    SmallInt,
    Int,
    BigInt,
    Float,
    Double,
    /// <summary>Stored as <see cref="Int128"/> unscaled values (Arrow decimal128).</summary>
    Decimal,
    /// <summary>UTF-8 text without a declared length.</summary>
    String,
    Varchar,
    Char,
    Binary,
    /// <summary>Days since 1970-01-01 as int32 (Arrow date32).</summary>
    Date,
    /// <summary>Microseconds since midnight as int64 (Arrow time64[us]). Hive has no TIME: it travels as text.</summary>
    Time,
    /// <summary>Microseconds since the epoch as int64, wall-clock (no zone).</summary>
    Timestamp,
    /// <summary>Microseconds since the epoch as int64, an instant (UTC).</summary>
    TimestampTz,
    /// <summary>Months, days and microseconds (<see cref="IntervalValue"/>).</summary>
    Interval,
    Array,
    Map,
    Struct,
}

public sealed record SqlField(string Name, SqlType Type);

/// <summary>An immutable logical type with its qualifiers and, for nested types, its children.</summary>
public sealed record SqlType
{
    public SqlTypeKind Kind { get; }
    public int Precision { get; }
    public int Scale { get; }
    /// <summary>Maximum length for VARCHAR/CHAR; 0 when unbounded.</summary>
    public int Length { get; }
    /// <summary>Element type of ARRAY; key/value of MAP are <see cref="Fields"/>[0] and [1]; STRUCT fields.</summary>
    public SqlType? Element { get; }
    public ImmutableArray<SqlField> Fields { get; }

    private SqlType(SqlTypeKind kind, int precision = 0, int scale = 0, int length = 0, SqlType? element = null, ImmutableArray<SqlField> fields = default)
    {
        Kind = kind;
        Precision = precision;
        Scale = scale;
        Length = length;
        Element = element;
        Fields = fields.IsDefault ? [] : fields;
    }

    public static readonly SqlType Null = new(SqlTypeKind.Null);
    public static readonly SqlType Boolean = new(SqlTypeKind.Boolean);
    public static readonly SqlType TinyInt = new(SqlTypeKind.TinyInt);
    public static readonly SqlType SmallInt = new(SqlTypeKind.SmallInt);
    public static readonly SqlType Int = new(SqlTypeKind.Int);
    public static readonly SqlType BigInt = new(SqlTypeKind.BigInt);
    public static readonly SqlType Float = new(SqlTypeKind.Float);
    public static readonly SqlType Double = new(SqlTypeKind.Double);
    public static readonly SqlType String = new(SqlTypeKind.String);
    public static readonly SqlType Binary = new(SqlTypeKind.Binary);
    public static readonly SqlType Date = new(SqlTypeKind.Date);
    public static readonly SqlType Time = new(SqlTypeKind.Time);
    public static readonly SqlType Timestamp = new(SqlTypeKind.Timestamp);
    public static readonly SqlType TimestampTz = new(SqlTypeKind.TimestampTz);
    public static readonly SqlType Interval = new(SqlTypeKind.Interval);

    public static SqlType Decimal(int precision, int scale)
    {
        if (precision is < 1 or > 38) throw new ArgumentOutOfRangeException(nameof(precision), precision, "Decimal precision must be 1..38.");
        if (scale < 0 || scale > precision) throw new ArgumentOutOfRangeException(nameof(scale), scale, "Decimal scale must be 0..precision.");
        return new(SqlTypeKind.Decimal, precision, scale);
    }

    public static SqlType Varchar(int length) => new(SqlTypeKind.Varchar, length: length);
    public static SqlType Char(int length) => new(SqlTypeKind.Char, length: length);
    public static SqlType Array(SqlType element) => new(SqlTypeKind.Array, element: element);
    public static SqlType Map(SqlType key, SqlType value) => new(SqlTypeKind.Map, fields: [new SqlField("key", key), new SqlField("value", value)]);
    public static SqlType Struct(IEnumerable<SqlField> fields) => new(SqlTypeKind.Struct, fields: [.. fields]);

    public bool IsNested => Kind is SqlTypeKind.Array or SqlTypeKind.Map or SqlTypeKind.Struct;

    public bool Equals(SqlType? other) =>
        other is not null && Kind == other.Kind && Precision == other.Precision && Scale == other.Scale && Length == other.Length
        && Equals(Element, other.Element) && Fields.SequenceEqual(other.Fields);

    public override int GetHashCode() => HashCode.Combine(Kind, Precision, Scale, Length, Element, Fields.Length);

    /// <summary>Hive's spelling of the type (as DESCRIBE and JDBC TYPE_NAME show it).</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        Append(sb, this);
        return sb.ToString();
    }

    private static void Append(StringBuilder sb, SqlType t)
    {
        switch (t.Kind)
        {
            case SqlTypeKind.Decimal: sb.Append("decimal(").Append(t.Precision).Append(',').Append(t.Scale).Append(')'); break;
            case SqlTypeKind.Varchar: sb.Append("varchar(").Append(t.Length).Append(')'); break;
            case SqlTypeKind.Char: sb.Append("char(").Append(t.Length).Append(')'); break;
            case SqlTypeKind.Array: sb.Append("array<"); Append(sb, t.Element!); sb.Append('>'); break;
            case SqlTypeKind.Map:
                sb.Append("map<"); Append(sb, t.Fields[0].Type); sb.Append(','); Append(sb, t.Fields[1].Type); sb.Append('>');
                break;
            case SqlTypeKind.Struct:
                sb.Append("struct<");
                for (var i = 0; i < t.Fields.Length; i++)
                {
                    if (i > 0) sb.Append(',');
                    sb.Append(t.Fields[i].Name).Append(':');
                    Append(sb, t.Fields[i].Type);
                }
                sb.Append('>');
                break;
            case SqlTypeKind.Null: sb.Append("void"); break;
            case SqlTypeKind.TinyInt: sb.Append("tinyint"); break;
            case SqlTypeKind.SmallInt: sb.Append("smallint"); break;
            case SqlTypeKind.Int: sb.Append("int"); break;
            case SqlTypeKind.BigInt: sb.Append("bigint"); break;
            case SqlTypeKind.TimestampTz: sb.Append("timestamp with local time zone"); break;
            default: sb.Append(t.Kind.ToString().ToLowerInvariant()); break;
        }
    }
}

/// <summary>DuckDB/Arrow month-day-micro interval.</summary>
public readonly record struct IntervalValue(int Months, int Days, long Micros);
