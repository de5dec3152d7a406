using System.Buffers;
using System.Text.Json;
using Gateway.Protocol.Columnar;

namespace Gateway.Server.Trino;

/// <summary>
/// The Trino client protocol's JSON for the gateway's columns and rows: each <see cref="SqlType"/> as a Trino type (its
/// text and <c>typeSignature</c>), each value as Trino's JSON result format writes it (numbers as numbers; decimals,
/// dates, times and timestamps as their text with six fractional digits; timestamps with a zone in UTC; varbinary as
/// base64; arrays as arrays, maps as objects, rows as arrays of their fields). Intervals travel as their Hive text
/// (varchar): the gateway's interval mixes months with days, which no single Trino interval type holds.
/// </summary>
internal static class TrinoJson
{
    public static string TypeText(SqlType type) => Gateway.Engines.Trino.TrinoTypes.ToTrino(type, intervalsAsText: true);

    public static void WriteSignature(Utf8JsonWriter w, SqlType type)
    {
        w.WriteStartObject();
        var (raw, longs) = type.Kind switch
        {
            SqlTypeKind.Decimal => ("decimal", new long[] { type.Precision, type.Scale }),
            SqlTypeKind.Varchar => ("varchar", [type.Length]),
            SqlTypeKind.Char => ("char", [type.Length]),
            SqlTypeKind.Time => ("time", [6]),
            SqlTypeKind.Timestamp => ("timestamp", [6]),
            SqlTypeKind.TimestampTz => ("timestamp with time zone", [6]),
            SqlTypeKind.Array => ("array", []),
            SqlTypeKind.Map => ("map", []),
            SqlTypeKind.Struct => ("row", []),
            SqlTypeKind.String or SqlTypeKind.Interval => ("varchar", [int.MaxValue]),
            _ => (TypeText(type), Array.Empty<long>()),
        };
        w.WriteString("rawType", raw);
        w.WriteStartArray("arguments");
        foreach (var l in longs)
        {
            w.WriteStartObject();
            w.WriteString("kind", "LONG");
            w.WriteNumber("value", l);
            w.WriteEndObject();
        }
        if (type.Kind == SqlTypeKind.Array) TypeArgument(w, type.Element!);
        if (type.Kind == SqlTypeKind.Map)
        {
            TypeArgument(w, type.Fields[0].Type);
            TypeArgument(w, type.Fields[1].Type);
        }
        if (type.Kind == SqlTypeKind.Struct)
        {
            foreach (var f in type.Fields)
            {
                w.WriteStartObject();
                w.WriteString("kind", "NAMED_TYPE");
                w.WritePropertyName("value");
                w.WriteStartObject();
                w.WritePropertyName("fieldName");
                w.WriteStartObject();
                w.WriteString("name", f.Name);
                w.WriteBoolean("delimited", false);
                w.WriteEndObject();
                w.WritePropertyName("typeSignature");
                WriteSignature(w, f.Type);
                w.WriteEndObject();
                w.WriteEndObject();
            }
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void TypeArgument(Utf8JsonWriter w, SqlType type)
    {
        w.WriteStartObject();
        w.WriteString("kind", "TYPE");
        w.WritePropertyName("value");
        WriteSignature(w, type);
        w.WriteEndObject();
    }

    public static void WriteColumns(Utf8JsonWriter w, ResultSchema schema)
    {
        w.WriteStartArray("columns");
        foreach (var c in schema.Columns)
        {
            w.WriteStartObject();
            w.WriteString("name", c.Name);
            w.WriteString("type", TypeText(c.Type));
            w.WritePropertyName("typeSignature");
            WriteSignature(w, c.Type);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    /// <summary>Rows <paramref name="offset"/>..+<paramref name="count"/> of <paramref name="batch"/>, each an array of values.</summary>
    public static void WriteRows(Utf8JsonWriter w, ColumnBatch batch, int offset, int count, ArrayBufferWriter<byte> scratch)
    {
        for (var r = offset; r < offset + count; r++)
        {
            w.WriteStartArray();
            foreach (var column in batch.Columns) WriteValue(w, column, r, scratch);
            w.WriteEndArray();
        }
    }

    private static void WriteValue(Utf8JsonWriter w, Column column, int row, ArrayBufferWriter<byte> scratch)
    {
        if (column.IsNull(row) || column is NullColumn)
        {
            w.WriteNullValue();
            return;
        }
        Span<byte> text = stackalloc byte[64];
        switch (column)
        {
            case BooleanColumn b:
                w.WriteBooleanValue(b.GetValue(row));
                return;
            case PrimitiveColumn<sbyte> p: w.WriteNumberValue(p.Values[row]); return;
            case PrimitiveColumn<short> p: w.WriteNumberValue(p.Values[row]); return;
            case PrimitiveColumn<int> p when column.Type.Kind == SqlTypeKind.Date:
                w.WriteStringValue(text[..ValueFormatter.FormatDate(p.Values[row], text)]);
                return;
            case PrimitiveColumn<int> p: w.WriteNumberValue(p.Values[row]); return;
            case PrimitiveColumn<long> p when column.Type.Kind == SqlTypeKind.Time:
                w.WriteStringValue(text[..Time(p.Values[row], text)]);
                return;
            case PrimitiveColumn<long> p when column.Type.Kind is SqlTypeKind.Timestamp or SqlTypeKind.TimestampTz:
                {
                    var micros = p.Values[row];
                    var days = (int)Math.Floor(micros / (double)ValueConversions.MicrosPerDay);
                    var n = ValueFormatter.FormatDate(days, text);
                    text[n++] = (byte)' ';
                    n += Time(micros - days * ValueConversions.MicrosPerDay, text[n..]);
                    if (column.Type.Kind == SqlTypeKind.TimestampTz)
                    {
                        " UTC"u8.CopyTo(text[n..]);
                        n += 4;
                    }
                    w.WriteStringValue(text[..n]);
                    return;
                }
            case PrimitiveColumn<long> p: w.WriteNumberValue(p.Values[row]); return;
            case PrimitiveColumn<float> p: Floating(w, p.Values[row]); return;
            case PrimitiveColumn<double> p: Floating(w, p.Values[row]); return;
            case PrimitiveColumn<Int128> p:
                w.WriteStringValue(text[..ValueFormatter.FormatDecimal(p.Values[row], column.Type.Scale, text)]);
                return;
            case BinaryColumn bin when column.Type.Kind == SqlTypeKind.Binary:
                w.WriteBase64StringValue(bin.GetBytes(row));
                return;
            case BinaryColumn bin:
                w.WriteStringValue(bin.GetBytes(row));
                return;
            case ListColumn list when column.Type.Kind == SqlTypeKind.Map:
                {
                    var entries = (StructColumn)list.Values;
                    w.WriteStartObject();
                    for (var i = list.Offsets[row]; i < list.Offsets[row + 1]; i++)
                    {
                        scratch.ResetWrittenCount();
                        ValueFormatter.Utc.Write(entries.Children[0], i, scratch);
                        w.WritePropertyName(scratch.WrittenSpan);
                        WriteValue(w, entries.Children[1], i, scratch);
                    }
                    w.WriteEndObject();
                    return;
                }
            case ListColumn list:
                w.WriteStartArray();
                for (var i = list.Offsets[row]; i < list.Offsets[row + 1]; i++) WriteValue(w, list.Values, i, scratch);
                w.WriteEndArray();
                return;
            case StructColumn st:
                w.WriteStartArray();
                foreach (var child in st.Children) WriteValue(w, child, row, scratch);
                w.WriteEndArray();
                return;
            default:
                scratch.ResetWrittenCount();
                ValueFormatter.Utc.Write(column, row, scratch);
                w.WriteStringValue(scratch.WrittenSpan);
                return;
        }
    }

    private static void Floating(Utf8JsonWriter w, double v)
    {
        if (double.IsNaN(v)) w.WriteStringValue("NaN");
        else if (double.IsPositiveInfinity(v)) w.WriteStringValue("Infinity");
        else if (double.IsNegativeInfinity(v)) w.WriteStringValue("-Infinity");
        else w.WriteNumberValue(v);
    }

    private static void Floating(Utf8JsonWriter w, float v)
    {
        if (float.IsFinite(v)) w.WriteNumberValue(v);
        else Floating(w, (double)v);
    }

    /// <summary>HH:mm:ss.ffffff of microseconds since midnight.</summary>
    private static int Time(long micros, Span<byte> d)
    {
        var seconds = micros / ValueConversions.MicrosPerSecond;
        var fraction = micros % ValueConversions.MicrosPerSecond;
        Two((int)(seconds / 3600), d, 0);
        d[2] = (byte)':';
        Two((int)(seconds / 60 % 60), d, 3);
        d[5] = (byte)':';
        Two((int)(seconds % 60), d, 6);
        d[8] = (byte)'.';
        for (var i = 14; i >= 9; i--)
        {
            d[i] = (byte)('0' + fraction % 10);
            fraction /= 10;
        }
        return 15;
    }

    private static void Two(int v, Span<byte> d, int at)
    {
        d[at] = (byte)('0' + v / 10 % 10);
        d[at + 1] = (byte)('0' + v % 10);
    }
}
