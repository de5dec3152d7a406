using System.Globalization;
using System.Text.Json.Nodes;
using Gateway.Protocol.Arrow;
using Gateway.Protocol.Columnar;

namespace Gateway.Tests.Unit.Arrow;

/// <summary>
/// What a reader of our Arrow streams must see, derived from the batches through the Column API
/// (not through the writer), as canonical JSON shared by the C# reader and tests/clients/arrow-check.js:
/// <list type="bullet">
/// <item>fields: {name, nullable, type: {id, ...parameters}, children}</item>
/// <item>values: null; booleans; 8–32-bit ints as numbers; 64-bit ints, decimals (unscaled), times and
/// timestamps (microseconds) as strings; floats as numbers ("NaN", "Infinity", "-Infinity" as strings);
/// dates as day numbers; binary as base64; intervals as {months, days, nanos}; lists as arrays; maps as
/// arrays of [key, value]; structs as objects; text fallbacks as the formatter's text.</item>
/// </list>
/// </summary>
internal static class ArrowExpected
{
    public static JsonArray Fields(ResultSchema schema, ArrowWriteOptions options) =>
        [.. schema.Columns.Select(c => Field(c.Name, c.Type, nullable: true, options))];

    public static JsonObject Field(string name, SqlType type, bool nullable, ArrowWriteOptions options)
    {
        var children = new JsonArray();
        JsonObject t;
        if (options.SendsAsText(type))
        {
            t = new() { ["id"] = "Utf8" };
        }
        else
        {
            t = type.Kind switch
            {
                SqlTypeKind.Null => new() { ["id"] = "Null" },
                SqlTypeKind.Boolean => new() { ["id"] = "Bool" },
                SqlTypeKind.TinyInt => Int(8),
                SqlTypeKind.SmallInt => Int(16),
                SqlTypeKind.Int => Int(32),
                SqlTypeKind.BigInt => Int(64),
                SqlTypeKind.Float => new() { ["id"] = "FloatingPoint", ["precision"] = "SINGLE" },
                SqlTypeKind.Double => new() { ["id"] = "FloatingPoint", ["precision"] = "DOUBLE" },
                SqlTypeKind.Decimal => new() { ["id"] = "Decimal", ["precision"] = type.Precision, ["scale"] = type.Scale, ["bitWidth"] = 128 },
                SqlTypeKind.String or SqlTypeKind.Varchar or SqlTypeKind.Char => new() { ["id"] = "Utf8" },
                SqlTypeKind.Binary => new() { ["id"] = "Binary" },
                SqlTypeKind.Date => new() { ["id"] = "Date", ["unit"] = "DAY" },
                SqlTypeKind.Time => new() { ["id"] = "Time", ["unit"] = "MICROSECOND", ["bitWidth"] = 64 },
                SqlTypeKind.Timestamp => new() { ["id"] = "Timestamp", ["unit"] = "MICROSECOND", ["timezone"] = null },
                SqlTypeKind.TimestampTz => new() { ["id"] = "Timestamp", ["unit"] = "MICROSECOND", ["timezone"] = "UTC" },
                SqlTypeKind.Interval => new() { ["id"] = "Interval", ["unit"] = "MONTH_DAY_NANO" },
                SqlTypeKind.Array => new() { ["id"] = "List" },
                SqlTypeKind.Struct => new() { ["id"] = "Struct" },
                SqlTypeKind.Map => new() { ["id"] = "Map", ["keysSorted"] = false },
                _ => throw new NotSupportedException(type.ToString()),
            };
            switch (type.Kind)
            {
                case SqlTypeKind.Array:
                    children.Add(Field("element", type.Element!, true, options));
                    break;
                case SqlTypeKind.Struct:
                    foreach (var f in type.Fields) children.Add(Field(f.Name, f.Type, true, options));
                    break;
                case SqlTypeKind.Map:
                    children.Add(new JsonObject
                    {
                        ["name"] = "entries",
                        ["nullable"] = false,
                        ["type"] = new JsonObject { ["id"] = "Struct" },
                        ["children"] = new JsonArray(Field(type.Fields[0].Name, type.Fields[0].Type, false, options), Field(type.Fields[1].Name, type.Fields[1].Type, true, options)),
                    });
                    break;
            }
        }
        return new JsonObject { ["name"] = name, ["nullable"] = nullable, ["type"] = t, ["children"] = children };

        static JsonObject Int(int bits) => new() { ["id"] = "Int", ["bitWidth"] = bits, ["signed"] = true };
    }

    /// <summary>Rows [offset, offset + count) of a batch, column by column.</summary>
    public static JsonArray Columns(ColumnBatch batch, int offset, int count, ArrowWriteOptions options)
    {
        var columns = new JsonArray();
        for (var c = 0; c < batch.Columns.Length; c++)
        {
            var values = new JsonArray();
            for (var r = offset; r < offset + count; r++) values.Add(Value(batch.Columns[c], batch.Schema.Columns[c].Type, r, options));
            columns.Add(values);
        }
        return columns;
    }

    public static JsonNode? Value(Column column, SqlType type, int row, ArrowWriteOptions options)
    {
        if (column is NullColumn || column.IsNull(row)) return null;
        if (options.SendsAsText(type)) return options.Formatter.FormatToString(column, row);
        var inv = CultureInfo.InvariantCulture;
        switch (type.Kind)
        {
            case SqlTypeKind.Boolean: return ((BooleanColumn)column).GetValue(row);
            case SqlTypeKind.TinyInt: return (int)((PrimitiveColumn<sbyte>)column).Values[row];
            case SqlTypeKind.SmallInt: return (int)((PrimitiveColumn<short>)column).Values[row];
            case SqlTypeKind.Int or SqlTypeKind.Date: return ((PrimitiveColumn<int>)column).Values[row];
            case SqlTypeKind.BigInt or SqlTypeKind.Time or SqlTypeKind.Timestamp or SqlTypeKind.TimestampTz:
                return ((PrimitiveColumn<long>)column).Values[row].ToString(inv);
            case SqlTypeKind.Float: return Number(((PrimitiveColumn<float>)column).Values[row]);
            case SqlTypeKind.Double: return Number(((PrimitiveColumn<double>)column).Values[row]);
            case SqlTypeKind.Decimal: return ((PrimitiveColumn<Int128>)column).Values[row].ToString(inv);
            case SqlTypeKind.String or SqlTypeKind.Varchar or SqlTypeKind.Char: return ((BinaryColumn)column).GetString(row);
            case SqlTypeKind.Binary: return Convert.ToBase64String(((BinaryColumn)column).GetBytes(row));
            case SqlTypeKind.Interval:
                {
                    var v = ((PrimitiveColumn<IntervalValue>)column).Values[row];
                    return new JsonObject { ["months"] = v.Months, ["days"] = v.Days, ["nanos"] = (v.Micros * 1000).ToString(inv) };
                }
            case SqlTypeKind.Array:
                {
                    var list = (ListColumn)column;
                    var items = new JsonArray();
                    for (var i = list.Offsets[row]; i < list.Offsets[row + 1]; i++) items.Add(Value(list.Values, type.Element!, i, options));
                    return items;
                }
            case SqlTypeKind.Map:
                {
                    var list = (ListColumn)column;
                    var entries = (StructColumn)list.Values;
                    var items = new JsonArray();
                    for (var i = list.Offsets[row]; i < list.Offsets[row + 1]; i++)
                    {
                        items.Add(new JsonArray(Value(entries.Children[0], type.Fields[0].Type, i, options), Value(entries.Children[1], type.Fields[1].Type, i, options)));
                    }
                    return items;
                }
            case SqlTypeKind.Struct:
                {
                    var s = (StructColumn)column;
                    var o = new JsonObject();
                    for (var f = 0; f < s.Children.Length; f++) o[type.Fields[f].Name] = Value(s.Children[f], type.Fields[f].Type, row, options);
                    return o;
                }
            default:
                throw new NotSupportedException(type.ToString());
        }
    }

    public static JsonNode Number(double v) =>
        double.IsNaN(v) ? "NaN" : double.IsPositiveInfinity(v) ? "Infinity" : double.IsNegativeInfinity(v) ? "-Infinity" : JsonValue.Create(v);
}
