using System.Collections.Immutable;
using DuckDB.NET.Native;
using Gateway.Protocol.Columnar;

namespace Gateway.Engines.DuckDb;

/// <summary>A field of a STRUCT, a member of a UNION, or the key/value of a MAP.</summary>
public sealed record DuckDbField(string Name, DuckDbLogicalType Type);

/// <summary>
/// A managed copy of a DuckDB logical type, read once from the native handle (which is then destroyed).
/// </summary>
public sealed record DuckDbLogicalType(DuckDbTypeId Id)
{
    /// <summary>DECIMAL width and scale.</summary>
    public int Width { get; init; }
    public int Scale { get; init; }

    /// <summary>Physical storage of DECIMAL (SMALLINT/INTEGER/BIGINT/HUGEINT) and ENUM (UTINYINT/USMALLINT/UINTEGER).</summary>
    public DuckDbTypeId InternalType { get; init; }

    /// <summary>Element of LIST and ARRAY.</summary>
    public DuckDbLogicalType? Child { get; init; }

    /// <summary>Fixed size of ARRAY.</summary>
    public int ArraySize { get; init; }

    /// <summary>STRUCT fields, UNION members, MAP key and value.</summary>
    public ImmutableArray<DuckDbField> Fields { get; init; } = [];

    /// <summary>ENUM dictionary.</summary>
    public ImmutableArray<string> EnumValues { get; init; } = [];

    public static DuckDbLogicalType Of(DuckDbTypeId id) => new(id);

    public static DuckDbLogicalType Decimal(int width, int scale) => new(DuckDbTypeId.Decimal)
    {
        Width = width,
        Scale = scale,
        InternalType = width <= 4 ? DuckDbTypeId.SmallInt : width <= 9 ? DuckDbTypeId.Integer : width <= 18 ? DuckDbTypeId.BigInt : DuckDbTypeId.HugeInt,
    };

    public static DuckDbLogicalType List(DuckDbLogicalType child) => new(DuckDbTypeId.List) { Child = child };
    public static DuckDbLogicalType Array(DuckDbLogicalType child, int size) => new(DuckDbTypeId.Array) { Child = child, ArraySize = size };
    public static DuckDbLogicalType Map(DuckDbLogicalType key, DuckDbLogicalType value) => new(DuckDbTypeId.Map) { Fields = [new("key", key), new("value", value)] };
    public static DuckDbLogicalType Struct(params DuckDbField[] fields) => new(DuckDbTypeId.Struct) { Fields = [.. fields] };
    public static DuckDbLogicalType Union(params DuckDbField[] members) => new(DuckDbTypeId.Union) { Fields = [.. members] };

    public static DuckDbLogicalType Enum(params string[] values) => new(DuckDbTypeId.Enum)
    {
        EnumValues = [.. values],
        InternalType = values.Length <= byte.MaxValue + 1 ? DuckDbTypeId.UTinyInt : values.Length <= ushort.MaxValue + 1 ? DuckDbTypeId.USmallInt : DuckDbTypeId.UInteger,
    };

    public override string ToString() => Id switch
    {
        DuckDbTypeId.Decimal => $"DECIMAL({Width},{Scale})",
        DuckDbTypeId.List => $"{Child}[]",
        DuckDbTypeId.Array => $"{Child}[{ArraySize}]",
        DuckDbTypeId.Map => $"MAP({Fields[0].Type}, {Fields[1].Type})",
        DuckDbTypeId.Struct => $"STRUCT({string.Join(", ", Fields.Select(f => $"{f.Name} {f.Type}"))})",
        DuckDbTypeId.Union => $"UNION({string.Join(", ", Fields.Select(f => $"{f.Name} {f.Type}"))})",
        _ => Id.ToString().ToUpperInvariant(),
    };

    /// <summary>Reads a native logical type; does not destroy it.</summary>
    internal static DuckDbLogicalType FromNative(DuckDBLogicalType type)
    {
        var id = (DuckDbTypeId)NativeMethods.LogicalType.DuckDBGetTypeId(type);
        switch (id)
        {
            case DuckDbTypeId.Decimal:
                return new DuckDbLogicalType(id)
                {
                    Width = NativeMethods.LogicalType.DuckDBDecimalWidth(type),
                    Scale = NativeMethods.LogicalType.DuckDBDecimalScale(type),
                    InternalType = (DuckDbTypeId)NativeMethods.LogicalType.DuckDBDecimalInternalType(type),
                };
            case DuckDbTypeId.List:
                return new DuckDbLogicalType(id) { Child = TakeNative(NativeMethods.LogicalType.DuckDBListTypeChildType(type)) };
            case DuckDbTypeId.Array:
                return new DuckDbLogicalType(id)
                {
                    Child = TakeNative(NativeMethods.LogicalType.DuckDBArrayTypeChildType(type)),
                    ArraySize = checked((int)NativeMethods.LogicalType.DuckDBArrayVectorGetSize(type)),
                };
            case DuckDbTypeId.Map:
                return Map(TakeNative(NativeMethods.LogicalType.DuckDBMapTypeKeyType(type)), TakeNative(NativeMethods.LogicalType.DuckDBMapTypeValueType(type)));
            case DuckDbTypeId.Struct:
                {
                    var n = NativeMethods.LogicalType.DuckDBStructTypeChildCount(type);
                    var fields = ImmutableArray.CreateBuilder<DuckDbField>((int)n);
                    for (long i = 0; i < n; i++)
                    {
                        fields.Add(new DuckDbField(
                            NativeMethods.LogicalType.DuckDBStructTypeChildName(type, i) ?? "",
                            TakeNative(NativeMethods.LogicalType.DuckDBStructTypeChildType(type, i))));
                    }
                    return new DuckDbLogicalType(id) { Fields = fields.MoveToImmutable() };
                }
            case DuckDbTypeId.Union:
                {
                    var n = MissingNativeMethods.duckdb_union_type_member_count(type);
                    var fields = ImmutableArray.CreateBuilder<DuckDbField>((int)n);
                    for (ulong i = 0; i < n; i++)
                    {
                        fields.Add(new DuckDbField(
                            MissingNativeMethods.duckdb_union_type_member_name(type, i) ?? "",
                            TakeNative(MissingNativeMethods.duckdb_union_type_member_type(type, i))));
                    }
                    return new DuckDbLogicalType(id) { Fields = fields.MoveToImmutable() };
                }
            case DuckDbTypeId.Enum:
                {
                    var n = NativeMethods.LogicalType.DuckDBEnumDictionarySize(type);
                    var values = ImmutableArray.CreateBuilder<string>((int)n);
                    for (uint i = 0; i < n; i++)
                    {
                        values.Add(NativeMethods.LogicalType.DuckDBEnumDictionaryValue(type, i) ?? "");
                    }
                    return new DuckDbLogicalType(id) { InternalType = (DuckDbTypeId)NativeMethods.LogicalType.DuckDBEnumInternalType(type), EnumValues = values.MoveToImmutable() };
                }
            default:
                return new DuckDbLogicalType(id);
        }
    }

    /// <summary>Reads and destroys a native logical type the caller owns.</summary>
    internal static DuckDbLogicalType TakeNative(DuckDBLogicalType type)
    {
        using (type)
        {
            if (type.IsInvalid) throw new EngineException("DuckDB returned no logical type.", "HY000");
            return FromNative(type);
        }
    }
}

/// <summary>The DuckDB → <see cref="SqlType"/> mapping (see README.md for the table).</summary>
public static class DuckDbTypes
{
    /// <summary>
    /// Maps a DuckDB type to the gateway's type. Types without a mapping (BIT, BIGNUM, GEOMETRY, ...) throw
    /// <see cref="EngineException"/> naming the type; queries cast such columns to VARCHAR first
    /// (see <see cref="IsSupported"/>).
    /// </summary>
    public static SqlType ToSqlType(DuckDbLogicalType type) => type.Id switch
    {
        DuckDbTypeId.Boolean => SqlType.Boolean,
        DuckDbTypeId.TinyInt => SqlType.TinyInt,
        DuckDbTypeId.SmallInt => SqlType.SmallInt,
        DuckDbTypeId.Integer => SqlType.Int,
        DuckDbTypeId.BigInt => SqlType.BigInt,
        DuckDbTypeId.UTinyInt => SqlType.SmallInt,
        DuckDbTypeId.USmallInt => SqlType.Int,
        DuckDbTypeId.UInteger => SqlType.BigInt,
        DuckDbTypeId.UBigInt => SqlType.Decimal(20, 0),
        DuckDbTypeId.HugeInt or DuckDbTypeId.UHugeInt => SqlType.Decimal(38, 0),
        DuckDbTypeId.Float => SqlType.Float,
        DuckDbTypeId.Double => SqlType.Double,
        DuckDbTypeId.Decimal => SqlType.Decimal(type.Width, type.Scale),
        DuckDbTypeId.Varchar => SqlType.String,
        DuckDbTypeId.Blob => SqlType.Binary,
        DuckDbTypeId.Date => SqlType.Date,
        DuckDbTypeId.Time or DuckDbTypeId.TimeNs => SqlType.Time,
        DuckDbTypeId.TimeTz => SqlType.String,
        DuckDbTypeId.Timestamp or DuckDbTypeId.TimestampS or DuckDbTypeId.TimestampMs or DuckDbTypeId.TimestampNs => SqlType.Timestamp,
        DuckDbTypeId.TimestampTz => SqlType.TimestampTz,
        DuckDbTypeId.Interval => SqlType.Interval,
        DuckDbTypeId.Uuid => SqlType.String,
        DuckDbTypeId.Enum => SqlType.String,
        DuckDbTypeId.List or DuckDbTypeId.Array => SqlType.Array(ToSqlType(type.Child!)),
        DuckDbTypeId.Map => SqlType.Map(ToSqlType(type.Fields[0].Type), ToSqlType(type.Fields[1].Type)),
        DuckDbTypeId.Struct or DuckDbTypeId.Union => SqlType.Struct(type.Fields.Select(f => new SqlField(f.Name, ToSqlType(f.Type)))),
        DuckDbTypeId.SqlNull => SqlType.Null,
        _ => throw Unsupported(type),
    };

    /// <summary>Maps like <see cref="ToSqlType(DuckDbLogicalType)"/>, but a type without a mapping becomes STRING (what the cast fallback yields).</summary>
    public static SqlType ToSqlTypeOrString(DuckDbLogicalType type) => IsSupported(type) ? ToSqlType(type) : SqlType.String;

    /// <summary>True when the type (and every nested type) converts natively.</summary>
    public static bool IsSupported(DuckDbLogicalType type) => type.Id switch
    {
        DuckDbTypeId.Boolean or DuckDbTypeId.TinyInt or DuckDbTypeId.SmallInt or DuckDbTypeId.Integer or DuckDbTypeId.BigInt
            or DuckDbTypeId.UTinyInt or DuckDbTypeId.USmallInt or DuckDbTypeId.UInteger or DuckDbTypeId.UBigInt
            or DuckDbTypeId.HugeInt or DuckDbTypeId.UHugeInt or DuckDbTypeId.Float or DuckDbTypeId.Double
            or DuckDbTypeId.Varchar or DuckDbTypeId.Blob or DuckDbTypeId.Date or DuckDbTypeId.Time or DuckDbTypeId.TimeNs
            or DuckDbTypeId.TimeTz or DuckDbTypeId.Timestamp or DuckDbTypeId.TimestampS or DuckDbTypeId.TimestampMs
            or DuckDbTypeId.TimestampNs or DuckDbTypeId.TimestampTz or DuckDbTypeId.Interval or DuckDbTypeId.Uuid
            or DuckDbTypeId.SqlNull => true,
        DuckDbTypeId.Decimal => type.Width is >= 1 and <= 38,
        DuckDbTypeId.Enum => type.InternalType is DuckDbTypeId.UTinyInt or DuckDbTypeId.USmallInt or DuckDbTypeId.UInteger,
        DuckDbTypeId.List or DuckDbTypeId.Array => type.Child is not null && IsSupported(type.Child),
        DuckDbTypeId.Map or DuckDbTypeId.Struct or DuckDbTypeId.Union => type.Fields.Length > 0 && type.Fields.All(f => IsSupported(f.Type)),
        _ => false,
    };

    internal static EngineException Unsupported(DuckDbLogicalType type) =>
        new($"DuckDB type {type} has no mapping to a gateway type; cast it to VARCHAR.", "0A000");
}
