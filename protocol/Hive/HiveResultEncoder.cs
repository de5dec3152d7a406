using System.Buffers;
using System.Text;
using Gateway.Protocol.Columnar;
using Gateway.Protocol.Thrift;

namespace Gateway.Protocol.Hive;

/// <summary>Rows <c>[Offset, Offset + Count)</c> of a batch.</summary>
public readonly record struct BatchSlice(ColumnBatch Batch, int Offset, int Count);

/// <summary>
/// Maps our columnar batches and types onto HiveServer2 result sets.
/// <para>Columnar (V6+): BOOLEAN boolVal, TINYINT byteVal, SMALLINT i16Val, INT i32Val, BIGINT i64Val,
/// FLOAT/DOUBLE doubleVal, BINARY binaryVal, STRING/VARCHAR/CHAR stringVal straight from the batch;
/// every other type (DECIMAL, DATE, TIME, TIMESTAMP[TZ], INTERVAL, ARRAY/MAP/STRUCT as JSON, NULL)
/// as stringVal in Hive's text form, formatted batch-wise into one pooled UTF-8 column.</para>
/// <para>Row-based (below V6): one TRow of TColumnValue per row; BINARY travels as stringVal.</para>
/// </summary>
public static class HiveResultEncoder
{
    public static TRowSet Encode(ColumnBatch batch, ValueFormatter formatter, TProtocolVersion protocol, long startRowOffset = 0)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return Encode([new BatchSlice(batch, 0, batch.RowCount)], batch.Schema, formatter, protocol, startRowOffset);
    }

    /// <summary>
    /// One row set from consecutive parts of one or more batches (a fetch rarely lines up with engine
    /// batches). Physical columns are referenced, not copied: the batches must stay alive until the
    /// row set is written; dispose the row set afterwards to return its formatted text buffers.
    /// </summary>
    public static TRowSet Encode(IReadOnlyList<BatchSlice> slices, ResultSchema schema, ValueFormatter formatter, TProtocolVersion protocol, long startRowOffset = 0)
    {
        ArgumentNullException.ThrowIfNull(slices);
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(formatter);
        foreach (var s in slices)
        {
            if (s.Batch.Columns.Length != schema.Count) throw new ArgumentException("A batch does not match the schema.", nameof(slices));
            if (s.Offset < 0 || s.Count < 0 || s.Offset + s.Count > s.Batch.RowCount) throw new ArgumentOutOfRangeException(nameof(slices), "Slice outside its batch.");
        }
        var rowSet = new TRowSet { StartRowOffset = startRowOffset };
        if (HiveProtocol.UsesColumnarResults(protocol))
        {
            var columns = new List<TColumn>(schema.Count);
            try
            {
                for (var c = 0; c < schema.Count; c++) columns.Add(EncodeColumn(slices, c, schema.Columns[c].Type, formatter));
            }
            catch
            {
                foreach (var done in columns) done.Dispose();
                throw;
            }
            rowSet.Columns = columns;
        }
        else
        {
            rowSet.Rows = EncodeRows(slices, schema, formatter);
        }
        return rowSet;
    }

    /// <summary>The TColumn arm a type travels in (columnar results).</summary>
    public static TColumnKind CarrierFor(SqlType type) => type.Kind switch
    {
        SqlTypeKind.Boolean => TColumnKind.BoolVal,
        SqlTypeKind.TinyInt => TColumnKind.ByteVal,
        SqlTypeKind.SmallInt => TColumnKind.I16Val,
        SqlTypeKind.Int => TColumnKind.I32Val,
        SqlTypeKind.BigInt => TColumnKind.I64Val,
        SqlTypeKind.Float or SqlTypeKind.Double => TColumnKind.DoubleVal,
        SqlTypeKind.Binary => TColumnKind.BinaryVal,
        _ => TColumnKind.StringVal,
    };

    /// <summary>Whether values of the type need text formatting (rather than being sent from their buffers).</summary>
    public static bool IsTextCarried(SqlType type) => type.Kind is not (
        SqlTypeKind.Boolean or SqlTypeKind.TinyInt or SqlTypeKind.SmallInt or SqlTypeKind.Int or SqlTypeKind.BigInt
        or SqlTypeKind.Float or SqlTypeKind.Double or SqlTypeKind.Binary
        or SqlTypeKind.String or SqlTypeKind.Varchar or SqlTypeKind.Char or SqlTypeKind.Null);

    private static TColumn EncodeColumn(IReadOnlyList<BatchSlice> slices, int c, SqlType type, ValueFormatter formatter)
    {
        var kind = CarrierFor(type);
        if (!IsTextCarried(type))
        {
            var parts = new ColumnSlice[slices.Count];
            for (var i = 0; i < parts.Length; i++) parts[i] = new ColumnSlice(slices[i].Batch.Columns[c], slices[i].Offset, slices[i].Count);
            return new TColumn(kind, parts);
        }
        return new TColumn(TColumnKind.StringVal, FormatText(slices, c, formatter), ownsColumn: true);
    }

    /// <summary>Formats a column of the slices into one pooled UTF-8 <see cref="BinaryColumn"/> (nulls kept).</summary>
    private static BinaryColumn FormatText(IReadOnlyList<BatchSlice> slices, int c, ValueFormatter formatter)
    {
        var total = 0;
        foreach (var s in slices) total = checked(total + s.Count);
        var offsets = BufferPool<int>.Shared.Rent(total + 1);
        byte[]? validity = null;
        using var data = new PooledBufferWriter(Math.Max(256, total * TextBytesPerValue(slices.Count > 0 ? slices[0].Batch.Columns[c].Type : SqlType.Null)));
        var row = 0;
        try
        {
            offsets[0] = 0;
            foreach (var (batch, offset, count) in slices)
            {
                var column = batch.Columns[c];
                formatter.WriteColumn(column, offset, count, data, offsets.AsSpan(row + 1, count));
                if (column is NullColumn || column.Validity is not null)
                {
                    for (var r = 0; r < count; r++)
                    {
                        if (column is not NullColumn && !column.IsNull(offset + r)) continue;
                        if (validity is null)
                        {
                            validity = BufferPool<byte>.Shared.Rent(Bitmap.ByteCount(total));
                            validity.AsSpan(0, Bitmap.ByteCount(total)).Fill(0xFF);
                        }
                        validity[(row + r) >> 3] &= (byte)~(1 << ((row + r) & 7));
                    }
                }
                row += count;
            }
        }
        catch
        {
            BufferPool<int>.Shared.Return(offsets);
            if (validity is not null) BufferPool<byte>.Shared.Return(validity);
            throw;
        }
        var bytes = data.Detach(out _);
        var text = new BinaryColumn(SqlType.String, total, offsets, bytes, pooled: true);
        if (validity is not null) text.SetValidity(validity, pooled: true);
        return text;
    }

    /// <summary>A typical width per value, so the text buffer is rarely regrown (and never rented much larger than the text).</summary>
    private static int TextBytesPerValue(SqlType type) => type.Kind switch
    {
        SqlTypeKind.Timestamp or SqlTypeKind.TimestampTz => 20,
        SqlTypeKind.Date or SqlTypeKind.Time => 11,
        _ => 12,
    };

    private static List<TRow> EncodeRows(IReadOnlyList<BatchSlice> slices, ResultSchema schema, ValueFormatter formatter)
    {
        var total = 0;
        foreach (var s in slices) total += s.Count;
        var rows = new List<TRow>(total);
        foreach (var (batch, offset, count) in slices)
        {
            for (var r = offset; r < offset + count; r++)
            {
                var values = new List<TColumnValue>(schema.Count);
                for (var c = 0; c < schema.Count; c++) values.Add(EncodeValue(batch.Columns[c], schema.Columns[c].Type, r, formatter));
                rows.Add(new TRow { ColVals = values });
            }
        }
        return rows;
    }

    private static TColumnValue EncodeValue(Column column, SqlType type, int row, ValueFormatter formatter)
    {
        var isNull = column is NullColumn || column.IsNull(row);
        switch (type.Kind)
        {
            case SqlTypeKind.Boolean:
                return new TColumnValue { BoolVal = new TBoolValue { Value = isNull ? null : ((BooleanColumn)column).GetValue(row) } };
            case SqlTypeKind.TinyInt:
                return new TColumnValue { ByteVal = new TByteValue { Value = isNull ? null : ((PrimitiveColumn<sbyte>)column).Values[row] } };
            case SqlTypeKind.SmallInt:
                return new TColumnValue { I16Val = new TI16Value { Value = isNull ? null : ((PrimitiveColumn<short>)column).Values[row] } };
            case SqlTypeKind.Int:
                return new TColumnValue { I32Val = new TI32Value { Value = isNull ? null : ((PrimitiveColumn<int>)column).Values[row] } };
            case SqlTypeKind.BigInt:
                return new TColumnValue { I64Val = new TI64Value { Value = isNull ? null : ((PrimitiveColumn<long>)column).Values[row] } };
            case SqlTypeKind.Float:
                return new TColumnValue { DoubleVal = new TDoubleValue { Value = isNull ? null : TColumn.FloatToDouble(((PrimitiveColumn<float>)column).Values[row]) } };
            case SqlTypeKind.Double:
                return new TColumnValue { DoubleVal = new TDoubleValue { Value = isNull ? null : ((PrimitiveColumn<double>)column).Values[row] } };
            default:
                {
                    string? text = null;
                    if (!isNull)
                    {
                        // Text and (below V6) binary values go as they are; everything else in Hive's text form.
                        text = column is BinaryColumn b ? Encoding.UTF8.GetString(b.GetBytes(row)) : formatter.FormatToString(column, row);
                    }
                    return new TColumnValue { StringVal = new TStringValue { Value = text } };
                }
        }
    }

    // ---- types ----

    /// <summary>
    /// The type descriptor Hive itself reports: a single primitiveEntry, also for ARRAY/MAP/STRUCT
    /// (Hive's TypeDescriptor.toTTypeDesc emits the complex type id as a primitive entry, and Hive
    /// JDBC reads only types[0].primitiveEntry). Uses the qualifiers of V4+; TIMESTAMP WITH TIME ZONE
    /// is reported as TIMESTAMP_TYPE (see the overload taking the negotiated version).
    /// </summary>
    public static TTypeDesc ToTypeDesc(SqlType type) => ToTypeDesc(type, TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V10);

    public static TTypeDesc ToTypeDesc(SqlType type, TProtocolVersion protocol)
    {
        ArgumentNullException.ThrowIfNull(type);
        var entry = new TPrimitiveTypeEntry();
        switch (type.Kind)
        {
            case SqlTypeKind.Null: entry.Type = TTypeId.NULL_TYPE; break;
            case SqlTypeKind.Boolean: entry.Type = TTypeId.BOOLEAN_TYPE; break;
            case SqlTypeKind.TinyInt: entry.Type = TTypeId.TINYINT_TYPE; break;
            case SqlTypeKind.SmallInt: entry.Type = TTypeId.SMALLINT_TYPE; break;
            case SqlTypeKind.Int: entry.Type = TTypeId.INT_TYPE; break;
            case SqlTypeKind.BigInt: entry.Type = TTypeId.BIGINT_TYPE; break;
            case SqlTypeKind.Float: entry.Type = TTypeId.FLOAT_TYPE; break;
            case SqlTypeKind.Double: entry.Type = TTypeId.DOUBLE_TYPE; break;
            case SqlTypeKind.Decimal:
                entry.Type = TTypeId.DECIMAL_TYPE;
                if (HiveProtocol.SupportsCharAndDecimalQualifiers(protocol))
                {
                    entry.TypeQualifiers = Qualifiers((TCLIServiceConstants.PRECISION, type.Precision), (TCLIServiceConstants.SCALE, type.Scale));
                }
                break;
            case SqlTypeKind.Varchar when type.Length > 0 && HiveProtocol.SupportsVarchar(protocol):
                entry.Type = TTypeId.VARCHAR_TYPE;
                entry.TypeQualifiers = Qualifiers((TCLIServiceConstants.CHARACTER_MAXIMUM_LENGTH, type.Length));
                break;
            case SqlTypeKind.Char when type.Length > 0 && HiveProtocol.SupportsCharAndDecimalQualifiers(protocol):
                entry.Type = TTypeId.CHAR_TYPE;
                entry.TypeQualifiers = Qualifiers((TCLIServiceConstants.CHARACTER_MAXIMUM_LENGTH, type.Length));
                break;
            case SqlTypeKind.Binary: entry.Type = TTypeId.BINARY_TYPE; break;
            case SqlTypeKind.Date: entry.Type = TTypeId.DATE_TYPE; break;
            case SqlTypeKind.Timestamp: entry.Type = TTypeId.TIMESTAMP_TYPE; break;
            case SqlTypeKind.TimestampTz:
                entry.Type = HiveProtocol.SupportsTimestampLocalTz(protocol) ? TTypeId.TIMESTAMPLOCALTZ_TYPE : TTypeId.TIMESTAMP_TYPE;
                break;
            case SqlTypeKind.Array: entry.Type = TTypeId.ARRAY_TYPE; break;
            case SqlTypeKind.Map: entry.Type = TTypeId.MAP_TYPE; break;
            case SqlTypeKind.Struct: entry.Type = TTypeId.STRUCT_TYPE; break;
            // Hive has no TIME; our month-day-micro interval matches neither Hive interval: both travel as text.
            // Unbounded VARCHAR/CHAR, or VARCHAR/CHAR for clients too old for them, are STRING.
            default: entry.Type = TTypeId.STRING_TYPE; break;
        }
        return new TTypeDesc { Types = [new TTypeEntry { PrimitiveEntry = entry }] };
    }

    private static TTypeQualifiers Qualifiers(params (string Key, int Value)[] values)
    {
        var map = new Dictionary<string, TTypeQualifierValue>(values.Length, StringComparer.Ordinal);
        foreach (var (key, value) in values) map[key] = new TTypeQualifierValue { I32Value = value };
        return new TTypeQualifiers { Qualifiers = map };
    }

    public static TTableSchema ToTableSchema(ResultSchema schema, TProtocolVersion protocol)
    {
        ArgumentNullException.ThrowIfNull(schema);
        var columns = new List<TColumnDesc>(schema.Count);
        for (var i = 0; i < schema.Count; i++)
        {
            var info = schema.Columns[i];
            columns.Add(new TColumnDesc
            {
                ColumnName = info.Name,
                TypeDesc = ToTypeDesc(info.Type, protocol),
                Position = i + 1,
                Comment = info.Comment,
            });
        }
        return new TTableSchema { Columns = columns };
    }

    /// <summary>
    /// Client side: the type a descriptor names. Complex types reported Hive-style (a primitive entry
    /// with ARRAY/MAP/STRUCT_TYPE) carry no element types: they come back as array&lt;string&gt;,
    /// map&lt;string,string&gt; and a struct without fields (their values are JSON text anyway). Full
    /// nested entries (arrayEntry/mapEntry/structEntry) are followed.
    /// </summary>
    public static SqlType FromTypeDesc(TTypeDesc desc)
    {
        ArgumentNullException.ThrowIfNull(desc);
        if (desc.Types.Count == 0) throw new ArgumentException("Empty type descriptor.", nameof(desc));
        return FromEntry(desc.Types, 0, 0);
    }

    private static SqlType FromEntry(List<TTypeEntry> types, int index, int depth)
    {
        if (index < 0 || index >= types.Count) throw new ArgumentException($"Type pointer {index} outside the descriptor.", nameof(types));
        if (depth > types.Count) throw new ArgumentException("Cyclic type descriptor.", nameof(types));
        var entry = types[index];
        if (entry.PrimitiveEntry is { } p) return FromPrimitive(p);
        if (entry.ArrayEntry is { } a) return SqlType.Array(FromEntry(types, a.ObjectTypePtr, depth + 1));
        if (entry.MapEntry is { } m) return SqlType.Map(FromEntry(types, m.KeyTypePtr, depth + 1), FromEntry(types, m.ValueTypePtr, depth + 1));
        if (entry.StructEntry is { } s) return SqlType.Struct(s.NameToTypePtr.Select(kv => new SqlField(kv.Key, FromEntry(types, kv.Value, depth + 1))));
        return SqlType.String;
    }

    private static SqlType FromPrimitive(TPrimitiveTypeEntry entry)
    {
        int? Qualifier(string key) =>
            entry.TypeQualifiers?.Qualifiers.TryGetValue(key, out var v) == true ? v.I32Value : null;

        return entry.Type switch
        {
            TTypeId.BOOLEAN_TYPE => SqlType.Boolean,
            TTypeId.TINYINT_TYPE => SqlType.TinyInt,
            TTypeId.SMALLINT_TYPE => SqlType.SmallInt,
            TTypeId.INT_TYPE => SqlType.Int,
            TTypeId.BIGINT_TYPE => SqlType.BigInt,
            TTypeId.FLOAT_TYPE => SqlType.Float,
            TTypeId.DOUBLE_TYPE => SqlType.Double,
            TTypeId.STRING_TYPE => SqlType.String,
            TTypeId.TIMESTAMP_TYPE => SqlType.Timestamp,
            TTypeId.BINARY_TYPE => SqlType.Binary,
            TTypeId.ARRAY_TYPE => SqlType.Array(SqlType.String),
            TTypeId.MAP_TYPE => SqlType.Map(SqlType.String, SqlType.String),
            TTypeId.STRUCT_TYPE => SqlType.Struct([]),
            // Hive's default DECIMAL is decimal(10,0).
            TTypeId.DECIMAL_TYPE => SqlType.Decimal(Math.Clamp(Qualifier(TCLIServiceConstants.PRECISION) ?? 10, 1, 38),
                Math.Clamp(Qualifier(TCLIServiceConstants.SCALE) ?? 0, 0, Math.Clamp(Qualifier(TCLIServiceConstants.PRECISION) ?? 10, 1, 38))),
            TTypeId.NULL_TYPE => SqlType.Null,
            TTypeId.DATE_TYPE => SqlType.Date,
            TTypeId.VARCHAR_TYPE => SqlType.Varchar(Math.Max(0, Qualifier(TCLIServiceConstants.CHARACTER_MAXIMUM_LENGTH) ?? 0)),
            TTypeId.CHAR_TYPE => SqlType.Char(Math.Max(0, Qualifier(TCLIServiceConstants.CHARACTER_MAXIMUM_LENGTH) ?? 0)),
            TTypeId.INTERVAL_YEAR_MONTH_TYPE or TTypeId.INTERVAL_DAY_TIME_TYPE => SqlType.Interval,
            TTypeId.TIMESTAMPLOCALTZ_TYPE => SqlType.TimestampTz,
            _ => SqlType.String,
        };
    }
}
