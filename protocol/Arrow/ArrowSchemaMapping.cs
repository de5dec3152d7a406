using System.Runtime.CompilerServices;
using Apache.Arrow.Types;
using Gateway.Protocol.Columnar;
using ApacheField = Apache.Arrow.Field;
using ArrowSchemaType = Apache.Arrow.Schema;

namespace Gateway.Protocol.Arrow;

/// <summary>
/// Our result schema as Apache.Arrow's <see cref="ArrowSchemaType"/>, for the options' type flags (README.md "Type
/// mapping"). Cached per result schema and flag set, so a result's batches share one Arrow schema (and the
/// per-thread IPC writer that has already written it).
/// </summary>
internal static class ArrowSchemaMapping
{
    public const string ListElementName = "element";

    private static readonly ConditionalWeakTable<ResultSchema, ArrowSchemaType?[]> Cache = new();
    private static readonly TimestampType Timestamp = new(TimeUnit.Microsecond, (string?)null);
    private static readonly TimestampType TimestampUtc = new(TimeUnit.Microsecond, "UTC");
    private static readonly Time64Type Time = new(TimeUnit.Microsecond);
    private static readonly IntervalType Interval = new(IntervalUnit.MonthDayNanosecond);

    public static ArrowSchemaType For(ResultSchema schema, ArrowWriteOptions options)
    {
        var slots = Cache.GetValue(schema, static _ => new ArrowSchemaType?[32]);
        var key = Flags(options);
        var cached = Volatile.Read(ref slots[key]);
        if (cached is not null) return cached;
        var fields = new ApacheField[schema.Count];
        for (var i = 0; i < fields.Length; i++) fields[i] = Field(schema.Columns[i].Name, schema.Columns[i].Type, nullable: true, options);
        var built = new ArrowSchemaType(fields, null);
        return Interlocked.CompareExchange(ref slots[key], built, null) ?? built;
    }

    private static int Flags(ArrowWriteOptions o) =>
        (o.TimestampAsArrow ? 1 : 0) | (o.DecimalAsArrow ? 2 : 0) | (o.ComplexTypesAsArrow ? 4 : 0) | (o.IntervalTypesAsArrow ? 8 : 0) | (o.NullTypeAsArrow ? 16 : 0);

    public static ApacheField Field(string name, SqlType type, bool nullable, ArrowWriteOptions options) =>
        new(name, options.SendsAsText(type) ? StringType.Default : Type(type, options), nullable);

    private static IArrowType Type(SqlType type, ArrowWriteOptions options) => type.Kind switch
    {
        SqlTypeKind.Null => NullType.Default,
        SqlTypeKind.Boolean => BooleanType.Default,
        SqlTypeKind.TinyInt => Int8Type.Default,
        SqlTypeKind.SmallInt => Int16Type.Default,
        SqlTypeKind.Int => Int32Type.Default,
        SqlTypeKind.BigInt => Int64Type.Default,
        SqlTypeKind.Float => FloatType.Default,
        SqlTypeKind.Double => DoubleType.Default,
        SqlTypeKind.Decimal => new Decimal128Type(type.Precision, type.Scale),
        SqlTypeKind.String or SqlTypeKind.Varchar or SqlTypeKind.Char => StringType.Default,
        SqlTypeKind.Binary => BinaryType.Default,
        SqlTypeKind.Date => Date32Type.Default,
        SqlTypeKind.Time => Time,
        SqlTypeKind.Timestamp => Timestamp,
        // The values are UTC instants; the session zone only affects the text fallback.
        SqlTypeKind.TimestampTz => TimestampUtc,
        SqlTypeKind.Interval => Interval,
        SqlTypeKind.Array => new ListType(Field(ListElementName, type.Element!, nullable: true, options)),
        // Schema.fbs: neither the entries struct nor its key may be nullable.
        SqlTypeKind.Map => new MapType(Field(type.Fields[0].Name, type.Fields[0].Type, nullable: false, options),
            Field(type.Fields[1].Name, type.Fields[1].Type, nullable: true, options), keySorted: false),
        SqlTypeKind.Struct => new StructType([.. type.Fields.Select(f => Field(f.Name, f.Type, nullable: true, options))]),
        _ => throw new NotSupportedException($"No Arrow type for {type}."),
    };
}
