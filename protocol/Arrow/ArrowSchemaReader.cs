using System.Collections.Immutable;
using Gateway.Protocol.Columnar;

namespace Gateway.Protocol.Arrow;

/// <summary>
/// Turns a Schema message's fields into <see cref="ArrowField"/>s and their <see cref="SqlType"/>s: the
/// inverse of the writer's mapping (README.md), plus the other Arrow types a remote may send, widened to
/// the nearest type a batch can hold (unsigned integers one size up, half floats to FLOAT, other time
/// units to microseconds, durations and every interval unit to INTERVAL, large and fixed-size variants
/// to their 32-bit-offset forms).
/// </summary>
internal static class ArrowSchemaReader
{
    /// <summary>Deepest nesting accepted (a flatbuffer can point back at itself).</summary>
    public const int MaxDepth = 64;

    /// <summary>Most fields, children included, in one schema (offsets can make a small buffer describe a huge tree).</summary>
    public const int MaxFields = 100_000;

    // Schema.fbs slots.
    private const int SchemaEndianness = 0, SchemaFields = 1;
    private const int FieldName = 0, FieldNullable = 1, FieldTypeType = 2, FieldType = 3, FieldDictionary = 4, FieldChildren = 5;

    public static ArrowSchema Read(FbTable schema, short metadataVersion)
    {
        if (schema.Short(SchemaEndianness, 0) != 0) throw new NotSupportedException("The Arrow schema is big-endian; only little-endian Arrow data is supported.");
        var budget = MaxFields;
        ArrowField[] fields = schema.TryVector(SchemaFields, 4, out var vector) ? ReadFields(vector, 0, ref budget, "") : [];
        var columns = ImmutableArray.CreateBuilder<ColumnInfo>(fields.Length);
        foreach (var f in fields) columns.Add(new ColumnInfo(f.Name, f.SqlType));
        return new ArrowSchema(new ResultSchema(columns.MoveToImmutable()), fields, metadataVersion);
    }

    private static ArrowField[] ReadFields(FbVector vector, int depth, ref int budget, string path)
    {
        if (vector.Count > budget) FbTable.Fail($"more than {MaxFields} fields");
        budget -= vector.Count;
        var fields = new ArrowField[vector.Count];
        for (var i = 0; i < fields.Length; i++) fields[i] = ReadField(vector.Table(i), depth, ref budget, path);
        return fields;
    }

    private static ArrowField ReadField(FbTable field, int depth, ref int budget, string parent)
    {
        if (depth >= MaxDepth) FbTable.Fail($"fields nested deeper than {MaxDepth} levels");
        var name = field.String(FieldName) ?? "";
        var path = parent.Length == 0 ? name : parent + "." + name;
        var typeId = (ArrowTypeId)field.Byte(FieldTypeType, 0);
        if (field.Has(FieldDictionary)) throw new NotSupportedException($"Arrow field '{path}' is dictionary-encoded; dictionary encoding is not supported.");
        ArrowField[] children = field.TryVector(FieldChildren, 4, out var vector) ? ReadFields(vector, depth + 1, ref budget, path) : [];
        var hasType = field.TryTable(FieldType, out var type);

        switch (typeId)
        {
            case ArrowTypeId.Null:
                return Leaf(name, typeId, SqlType.Null);
            case ArrowTypeId.Bool:
                return Leaf(name, typeId, SqlType.Boolean);
            case ArrowTypeId.Int:
                {
                    var bits = Int(hasType, type, 0, 0);
                    var signed = hasType && type.Bool(1, false);
                    SqlType sql = (bits, signed) switch
                    {
                        (8, true) => SqlType.TinyInt,
                        (16, true) => SqlType.SmallInt,
                        (32, true) => SqlType.Int,
                        (64, true) => SqlType.BigInt,
                        (8, false) => SqlType.SmallInt,
                        (16, false) => SqlType.Int,
                        (32, false) => SqlType.BigInt,
                        (64, false) => SqlType.Decimal(20, 0),
                        _ => throw Invalid(path, $"an integer of {bits} bits"),
                    };
                    return new ArrowField { Name = name, Type = typeId, SqlType = sql, BitWidth = bits, Signed = signed };
                }
            case ArrowTypeId.FloatingPoint:
                {
                    var precision = Short(hasType, type, 0, 0);
                    SqlType sql = precision switch
                    {
                        0 or 1 => SqlType.Float,
                        2 => SqlType.Double,
                        _ => throw Invalid(path, $"floating point precision {precision}"),
                    };
                    return new ArrowField { Name = name, Type = typeId, SqlType = sql, Unit = precision };
                }
            case ArrowTypeId.Decimal:
                {
                    var precision = Int(hasType, type, 0, 0);
                    var scale = Int(hasType, type, 1, 0);
                    var bits = Int(hasType, type, 2, 128);
                    if (bits == 256) throw new NotSupportedException($"Arrow field '{path}' is decimal256; decimals wider than 128 bits are not supported.");
                    if (bits is not (32 or 64 or 128)) throw Invalid(path, $"a decimal of {bits} bits");
                    if (precision is < 1 or > 38 || scale < 0 || scale > precision)
                    {
                        throw new NotSupportedException($"Arrow field '{path}' is decimal({precision},{scale}); precision must be 1..38 and scale 0..precision.");
                    }
                    return new ArrowField { Name = name, Type = typeId, SqlType = SqlType.Decimal(precision, scale), BitWidth = bits };
                }
            case ArrowTypeId.Utf8 or ArrowTypeId.LargeUtf8:
                return Leaf(name, typeId, SqlType.String);
            case ArrowTypeId.Binary or ArrowTypeId.LargeBinary:
                return Leaf(name, typeId, SqlType.Binary);
            case ArrowTypeId.FixedSizeBinary:
                {
                    var width = Int(hasType, type, 0, 0);
                    if (width < 0) throw Invalid(path, $"a fixed-size binary of width {width}");
                    return new ArrowField { Name = name, Type = typeId, SqlType = SqlType.Binary, FixedSize = width };
                }
            case ArrowTypeId.Date:
                {
                    var unit = Short(hasType, type, 0, 1);
                    if (unit is not (0 or 1)) throw Invalid(path, $"date unit {unit}");
                    return new ArrowField { Name = name, Type = typeId, SqlType = SqlType.Date, Unit = unit };
                }
            case ArrowTypeId.Time:
                {
                    var unit = Short(hasType, type, 0, 1);
                    var bits = Int(hasType, type, 1, 32);
                    if (!((unit is 0 or 1 && bits == 32) || (unit is 2 or 3 && bits == 64))) throw Invalid(path, $"time unit {unit} with {bits} bits");
                    return new ArrowField { Name = name, Type = typeId, SqlType = SqlType.Time, Unit = unit, BitWidth = bits };
                }
            case ArrowTypeId.Timestamp:
                {
                    var unit = Short(hasType, type, 0, 0);
                    if (unit is < 0 or > 3) throw Invalid(path, $"timestamp unit {unit}");
                    var zone = hasType ? type.String(1) : null;
                    // A zone makes the values instants (UTC); without one they are wall-clock times.
                    var sql = string.IsNullOrEmpty(zone) ? SqlType.Timestamp : SqlType.TimestampTz;
                    return new ArrowField { Name = name, Type = typeId, SqlType = sql, Unit = unit, TimeZone = zone };
                }
            case ArrowTypeId.Duration:
                {
                    var unit = Short(hasType, type, 0, 1);
                    if (unit is < 0 or > 3) throw Invalid(path, $"duration unit {unit}");
                    return new ArrowField { Name = name, Type = typeId, SqlType = SqlType.Interval, Unit = unit };
                }
            case ArrowTypeId.Interval:
                {
                    var unit = Short(hasType, type, 0, 0);
                    if (unit is < 0 or > 2) throw Invalid(path, $"interval unit {unit}");
                    return new ArrowField { Name = name, Type = typeId, SqlType = SqlType.Interval, Unit = unit };
                }
            case ArrowTypeId.List or ArrowTypeId.LargeList or ArrowTypeId.FixedSizeList:
                {
                    if (children.Length != 1) throw Invalid(path, $"a list with {children.Length} children");
                    var size = typeId == ArrowTypeId.FixedSizeList ? Int(hasType, type, 0, 0) : 0;
                    if (size < 0) throw Invalid(path, $"a fixed-size list of size {size}");
                    return new ArrowField { Name = name, Type = typeId, SqlType = SqlType.Array(children[0].SqlType), Children = children, FixedSize = size };
                }
            case ArrowTypeId.Struct:
                return new ArrowField
                {
                    Name = name,
                    Type = typeId,
                    SqlType = SqlType.Struct(children.Select(c => new SqlField(c.Name, c.SqlType))),
                    Children = children,
                };
            case ArrowTypeId.Map:
                {
                    if (children is not [{ Type: ArrowTypeId.Struct, Children: [var key, var value] } entries])
                    {
                        throw Invalid(path, "a map whose child is not a struct of key and value");
                    }
                    var sql = SqlType.Map(key.SqlType, value.SqlType);
                    // The entries carry the names a built MAP column has (key, value), whatever the writer called them.
                    var normalized = new ArrowField { Name = entries.Name, Type = ArrowTypeId.Struct, SqlType = SqlType.Struct(sql.Fields), Children = entries.Children };
                    return new ArrowField { Name = name, Type = typeId, SqlType = sql, Children = [normalized] };
                }
            case ArrowTypeId.Union or ArrowTypeId.RunEndEncoded or ArrowTypeId.BinaryView or ArrowTypeId.Utf8View or ArrowTypeId.ListView or ArrowTypeId.LargeListView:
                throw new NotSupportedException($"Arrow field '{path}' has type {typeId}, which is not supported.");
            default:
                throw Invalid(path, $"type id {(byte)typeId}");
        }
    }

    // Defaults as Schema.fbs declares them, for a type table that is absent or leaves a field out.
    private static short Short(bool hasType, FbTable type, int slot, short fallback) => hasType ? type.Short(slot, fallback) : fallback;

    private static int Int(bool hasType, FbTable type, int slot, int fallback) => hasType ? type.Int(slot, fallback) : fallback;

    private static ArrowField Leaf(string name, ArrowTypeId type, SqlType sql) => new() { Name = name, Type = type, SqlType = sql };

    private static InvalidDataException Invalid(string path, string what) => new($"Malformed Arrow schema: field '{path}' has {what}.");
}
