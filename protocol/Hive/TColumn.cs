using System.Buffers;
using System.Globalization;
using Gateway.Protocol.Columnar;
using Gateway.Protocol.Thrift;

namespace Gateway.Protocol.Hive;

/// <summary>The TColumn union arm, i.e. the Thrift carrier of a column's values.</summary>
public enum TColumnKind : byte
{
    BoolVal = 1,
    ByteVal = 2,
    I16Val = 3,
    I32Val = 4,
    I64Val = 5,
    DoubleVal = 6,
    StringVal = 7,
    BinaryVal = 8,
}

/// <summary>Rows <c>[Offset, Offset + Length)</c> of a column.</summary>
public readonly record struct ColumnSlice(Column Column, int Offset, int Length);

/// <summary>
/// A columnar result column (union TColumn; each arm is <c>{1: list&lt;T&gt; values, 2: binary nulls}</c>),
/// written straight from the typed buffers of one or more <see cref="ColumnSlice"/>s: no boxing and no
/// per-value strings. Hive's nulls bitmap is the inverse of Arrow validity (bit set = NULL, least
/// significant bit first) and, as Hive writes it, stops after the last null byte.
/// Hand-written rather than generated: this is the bulk data path.
/// </summary>
public sealed partial class TColumn : IThriftStruct, IDisposable
{
    private ColumnSlice[] _slices;

    public TColumn() : this(TColumnKind.StringVal, new NullColumn(0)) { }

    public TColumn(TColumnKind kind, Column column, bool ownsColumn = false)
        : this(kind, [new ColumnSlice(column ?? throw new ArgumentNullException(nameof(column)), 0, column.Length)], ownsColumn)
    {
    }

    /// <summary>Concatenates slices of columns (e.g. parts of several engine batches) without copying.</summary>
    public TColumn(TColumnKind kind, IReadOnlyList<ColumnSlice> slices, bool ownsColumns = false)
    {
        ArgumentNullException.ThrowIfNull(slices);
        if (slices.Count == 0) throw new ArgumentException("A column needs at least one slice.", nameof(slices));
        var length = 0;
        foreach (var s in slices)
        {
            if (s.Column is null) throw new ArgumentException("A slice has no column.", nameof(slices));
            if (s.Offset < 0 || s.Length < 0 || s.Offset + s.Length > s.Column.Length) throw new ArgumentOutOfRangeException(nameof(slices), "Slice outside its column.");
            if (!Fits(kind, s.Column)) throw new ArgumentException($"A {s.Column.GetType().Name} of {s.Column.Type} cannot travel as {kind}.", nameof(slices));
            length = checked(length + s.Length);
        }
        Kind = kind;
        _slices = [.. slices];
        Length = length;
        OwnsColumns = ownsColumns;
    }

    public TColumnKind Kind { get; private set; }

    /// <summary>The (first) column carried; after <see cref="Read"/> the decoded column.</summary>
    public Column Column => _slices[0].Column;

    public IReadOnlyList<ColumnSlice> Slices => _slices;

    /// <summary>Number of values.</summary>
    public int Length { get; private set; }

    /// <summary>Whether <see cref="Dispose"/> disposes the columns (pooled buffers made for this column).</summary>
    public bool OwnsColumns { get; private set; }

    /// <summary>The carrier for a column's physical type (FLOAT travels as doubleVal).</summary>
    public static TColumnKind KindFor(Column column) => column switch
    {
        BooleanColumn => TColumnKind.BoolVal,
        PrimitiveColumn<sbyte> => TColumnKind.ByteVal,
        PrimitiveColumn<short> => TColumnKind.I16Val,
        PrimitiveColumn<int> => TColumnKind.I32Val,
        PrimitiveColumn<long> => TColumnKind.I64Val,
        PrimitiveColumn<float> or PrimitiveColumn<double> => TColumnKind.DoubleVal,
        BinaryColumn { Type.Kind: SqlTypeKind.Binary } => TColumnKind.BinaryVal,
        BinaryColumn => TColumnKind.StringVal,
        NullColumn => TColumnKind.StringVal,
        _ => throw new NotSupportedException($"{column.GetType().Name} of {column.Type} has no direct Thrift carrier; format it as text (HiveResultEncoder)."),
    };

    public static TColumn FromColumn(Column column)
    {
        ArgumentNullException.ThrowIfNull(column);
        return new TColumn(KindFor(column), column);
    }

    private static bool Fits(TColumnKind kind, Column column) => column is NullColumn || kind switch
    {
        TColumnKind.BoolVal => column is BooleanColumn,
        TColumnKind.ByteVal => column is PrimitiveColumn<sbyte>,
        TColumnKind.I16Val => column is PrimitiveColumn<short>,
        TColumnKind.I32Val => column is PrimitiveColumn<int>,
        TColumnKind.I64Val => column is PrimitiveColumn<long>,
        TColumnKind.DoubleVal => column is PrimitiveColumn<double> or PrimitiveColumn<float>,
        TColumnKind.StringVal or TColumnKind.BinaryVal => column is BinaryColumn,
        _ => false,
    };

    private static TType ElementType(TColumnKind kind) => kind switch
    {
        TColumnKind.BoolVal => TType.Bool,
        TColumnKind.ByteVal => TType.Byte,
        TColumnKind.I16Val => TType.I16,
        TColumnKind.I32Val => TType.I32,
        TColumnKind.I64Val => TType.I64,
        TColumnKind.DoubleVal => TType.Double,
        TColumnKind.StringVal or TColumnKind.BinaryVal => TType.String,
        _ => throw new ThriftProtocolException(ThriftProtocolError.InvalidData, $"Unknown TColumn arm {(int)kind}."),
    };

    private static SqlType DecodedType(TColumnKind kind) => kind switch
    {
        TColumnKind.BoolVal => SqlType.Boolean,
        TColumnKind.ByteVal => SqlType.TinyInt,
        TColumnKind.I16Val => SqlType.SmallInt,
        TColumnKind.I32Val => SqlType.Int,
        TColumnKind.I64Val => SqlType.BigInt,
        TColumnKind.DoubleVal => SqlType.Double,
        TColumnKind.BinaryVal => SqlType.Binary,
        _ => SqlType.String,
    };

    private static bool IsNullAt(Column column, int row) => column is NullColumn || column.IsNull(row);

    // ---- write ----

    public void Write(ThriftWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteFieldBegin(TType.Struct, (short)Kind);
        writer.WriteFieldBegin(TType.List, 1);
        writer.WriteListBegin(ElementType(Kind), Length);
        foreach (var slice in _slices) WriteValues(writer, slice);
        writer.WriteFieldBegin(TType.String, 2);
        WriteNulls(writer);
        writer.WriteFieldStop();
        writer.WriteFieldStop();
    }

    private void WriteValues(ThriftWriter writer, ColumnSlice slice)
    {
        var (column, offset, length) = slice;
        if (length == 0) return;
        switch (column)
        {
            case NullColumn:
                WriteDefaults(writer, length);
                break;
            case BooleanColumn b:
                WriteBools(writer, b, offset, length);
                break;
            case PrimitiveColumn<sbyte> c:
                writer.WriteByteValues(c.Values.AsSpan(offset, length));
                break;
            case PrimitiveColumn<short> c:
                writer.WriteI16Values(c.Values.AsSpan(offset, length));
                break;
            case PrimitiveColumn<int> c:
                writer.WriteI32Values(c.Values.AsSpan(offset, length));
                break;
            case PrimitiveColumn<long> c:
                writer.WriteI64Values(c.Values.AsSpan(offset, length));
                break;
            case PrimitiveColumn<double> c:
                writer.WriteDoubleValues(c.Values.AsSpan(offset, length));
                break;
            case PrimitiveColumn<float> c:
                {
                    Span<double> chunk = stackalloc double[256];
                    var values = c.Values.AsSpan(offset, length);
                    while (!values.IsEmpty)
                    {
                        var n = Math.Min(values.Length, chunk.Length);
                        for (var i = 0; i < n; i++) chunk[i] = FloatToDouble(values[i]);
                        writer.WriteDoubleValues(chunk[..n]);
                        values = values[n..];
                    }
                    break;
                }
            case BinaryColumn c:
                writer.WriteBinaryValues(c.Offsets.AsSpan(offset, length + 1), c.Data, length);
                break;
            default:
                throw new InvalidOperationException($"{column.GetType().Name} cannot be written as {Kind}.");
        }
    }

    private void WriteDefaults(ThriftWriter writer, int count)
    {
        // A string default is an empty value: a zero length prefix; fixed widths are zero bytes.
        var size = Kind is TColumnKind.StringVal or TColumnKind.BinaryVal ? 4 : TTypes.FixedSize(ElementType(Kind));
        Span<byte> zeros = stackalloc byte[1024];
        zeros.Clear();
        long total = (long)count * size;
        while (total > 0)
        {
            var n = (int)Math.Min(total, zeros.Length);
            writer.WriteRaw(zeros[..n]);
            total -= n;
        }
    }

    private static void WriteBools(ThriftWriter writer, BooleanColumn column, int offset, int length)
    {
        Span<byte> chunk = stackalloc byte[1024];
        var bits = column.Bits;
        for (var start = 0; start < length; start += chunk.Length)
        {
            var n = Math.Min(chunk.Length, length - start);
            for (var i = 0; i < n; i++)
            {
                var row = offset + start + i;
                chunk[i] = (byte)((bits[row >> 3] >> (row & 7)) & 1);
            }
            writer.WriteRaw(chunk[..n]);
        }
    }

    private void WriteNulls(ThriftWriter writer)
    {
        var last = LastNull();
        if (last < 0)
        {
            writer.WriteI32(0);
            return;
        }
        var byteCount = Bitmap.ByteCount(last + 1);
        var nulls = ArrayPool<byte>.Shared.Rent(byteCount);
        try
        {
            var span = nulls.AsSpan(0, byteCount);
            span.Clear();
            var baseRow = 0;
            foreach (var (column, offset, length) in _slices)
            {
                var end = Math.Min(length, last + 1 - baseRow);
                if (column is NullColumn)
                {
                    for (var i = 0; i < end; i++) Bitmap.Set(span, baseRow + i);
                }
                else if (column.Validity is { } validity)
                {
                    var i = 0;
                    if ((offset & 7) == 0 && (baseRow & 7) == 0)
                    {
                        // Byte-aligned: invert whole validity bytes.
                        var whole = end >> 3;
                        var src = validity.AsSpan(offset >> 3, whole);
                        var dst = span.Slice(baseRow >> 3, whole);
                        for (var k = 0; k < whole; k++) dst[k] = (byte)~src[k];
                        i = whole << 3;
                    }
                    for (; i < end; i++)
                    {
                        if (column.IsNull(offset + i)) Bitmap.Set(span, baseRow + i);
                    }
                }
                baseRow += length;
                if (baseRow > last) break;
            }
            writer.WriteBinary(span);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(nulls);
        }
    }

    /// <summary>Index of the last null value, or -1.</summary>
    private int LastNull()
    {
        var baseRow = Length;
        for (var s = _slices.Length - 1; s >= 0; s--)
        {
            var (column, offset, length) = _slices[s];
            baseRow -= length;
            if (length == 0) continue;
            if (column is NullColumn) return baseRow + length - 1;
            if (column.Validity is null) continue;
            for (var i = length - 1; i >= 0; i--)
            {
                if (column.IsNull(offset + i)) return baseRow + i;
            }
        }
        return -1;
    }

    /// <summary>
    /// FLOAT widens to double through its shortest decimal text, so 1.1f reaches the client as 1.1,
    /// not 1.100000023841858 (what a plain cast gives).
    /// </summary>
    public static double FloatToDouble(float value)
    {
        if (!float.IsFinite(value)) return value;
        Span<char> text = stackalloc char[32];
        return value.TryFormat(text, out var n, "R", CultureInfo.InvariantCulture)
            ? double.Parse(text[..n], NumberStyles.Float, CultureInfo.InvariantCulture)
            : value;
    }

    // ---- read ----

    public void Read(ref ThriftReader reader)
    {
        Column? decoded = null;
        var kind = TColumnKind.StringVal;
        reader.ReadStructBegin();
        while (true)
        {
            var field = reader.ReadFieldBegin();
            if (field.Type == TType.Stop) break;
            if (field.Id is >= 1 and <= 8 && field.Type == TType.Struct)
            {
                kind = (TColumnKind)field.Id;
                decoded?.Dispose();
                decoded = ReadArm(ref reader, kind);
            }
            else
            {
                reader.Skip(field.Type);
            }
        }
        reader.ReadStructEnd();
        if (decoded is null) ThriftProtocolException.Throw(ThriftProtocolError.InvalidData, "TColumn has no value.");
        Dispose();
        Kind = kind;
        _slices = [new ColumnSlice(decoded, 0, decoded.Length)];
        Length = decoded.Length;
        OwnsColumns = true;
    }

    private static Column ReadArm(ref ThriftReader reader, TColumnKind kind)
    {
        var armName = kind switch
        {
            TColumnKind.BoolVal => "TBoolColumn",
            TColumnKind.ByteVal => "TByteColumn",
            TColumnKind.I16Val => "TI16Column",
            TColumnKind.I32Val => "TI32Column",
            TColumnKind.I64Val => "TI64Column",
            TColumnKind.DoubleVal => "TDoubleColumn",
            TColumnKind.StringVal => "TStringColumn",
            _ => "TBinaryColumn",
        };
        Column? column = null;
        byte[]? nulls = null;
        reader.ReadStructBegin();
        while (true)
        {
            var field = reader.ReadFieldBegin();
            if (field.Type == TType.Stop) break;
            if (field.Id == 1 && field.Type == TType.List)
            {
                var (elem, count) = reader.ReadListBegin();
                ThriftReader.CheckElementType(elem, ElementType(kind), count);
                column = ReadValues(ref reader, kind, count);
            }
            else if (field.Id == 2 && field.Type == TType.String)
            {
                nulls = reader.ReadBinary();
            }
            else
            {
                reader.Skip(field.Type);
            }
        }
        reader.ReadStructEnd();
        if (column is null) ThriftProtocolException.ThrowMissingField(armName, "values");
        if (nulls is null) ThriftProtocolException.ThrowMissingField(armName, "nulls");
        ApplyNulls(column, nulls);
        return column;
    }

    private static Column ReadValues(ref ThriftReader reader, TColumnKind kind, int count)
    {
        var type = DecodedType(kind);
        switch (kind)
        {
            case TColumnKind.BoolVal:
                {
                    var bits = new byte[Bitmap.ByteCount(count)];
                    for (var i = 0; i < count; i++)
                    {
                        if (reader.ReadBool()) Bitmap.Set(bits, i);
                    }
                    return new BooleanColumn(count, bits);
                }
            case TColumnKind.ByteVal:
                {
                    var values = GC.AllocateUninitializedArray<sbyte>(count);
                    reader.ReadByteValues(values);
                    return new PrimitiveColumn<sbyte>(type, count, values);
                }
            case TColumnKind.I16Val:
                {
                    var values = GC.AllocateUninitializedArray<short>(count);
                    reader.ReadI16Values(values);
                    return new PrimitiveColumn<short>(type, count, values);
                }
            case TColumnKind.I32Val:
                {
                    var values = GC.AllocateUninitializedArray<int>(count);
                    reader.ReadI32Values(values);
                    return new PrimitiveColumn<int>(type, count, values);
                }
            case TColumnKind.I64Val:
                {
                    var values = GC.AllocateUninitializedArray<long>(count);
                    reader.ReadI64Values(values);
                    return new PrimitiveColumn<long>(type, count, values);
                }
            case TColumnKind.DoubleVal:
                {
                    var values = GC.AllocateUninitializedArray<double>(count);
                    reader.ReadDoubleValues(values);
                    return new PrimitiveColumn<double>(type, count, values);
                }
            default:
                {
                    // A first pass over the length prefixes sizes the data exactly (values sit inside the message, so
                    // the total never exceeds its size); the second copies them: no growing and recopying.
                    var probe = reader;
                    long total = 0;
                    for (var i = 0; i < count; i++) total += probe.ReadBinarySpan().Length;
                    var offsets = GC.AllocateUninitializedArray<int>(count + 1);
                    var data = GC.AllocateUninitializedArray<byte>((int)total);
                    offsets[0] = 0;
                    var used = 0;
                    for (var i = 0; i < count; i++)
                    {
                        var value = reader.ReadBinarySpan();
                        value.CopyTo(data.AsSpan(used));
                        used += value.Length;
                        offsets[i + 1] = used;
                    }
                    return new BinaryColumn(type, count, offsets, data);
                }
        }
    }

    /// <summary>Turns Hive's nulls bitmap (set = NULL, possibly short) into Arrow validity.</summary>
    private static void ApplyNulls(Column column, byte[] nulls)
    {
        var count = column.Length;
        var bytes = Bitmap.ByteCount(count);
        var any = false;
        for (var k = 0; k < Math.Min(bytes, nulls.Length) && !any; k++)
        {
            var mask = k == bytes - 1 && (count & 7) != 0 ? (byte)((1 << (count & 7)) - 1) : (byte)0xFF;
            any = (nulls[k] & mask) != 0;
        }
        if (!any) return;
        var validity = new byte[bytes];
        for (var k = 0; k < bytes; k++) validity[k] = k < nulls.Length ? (byte)~nulls[k] : (byte)0xFF;
        if ((count & 7) != 0) validity[bytes - 1] &= (byte)((1 << (count & 7)) - 1);
        column.SetValidity(validity, pooled: false);
    }

    public void Dispose()
    {
        if (!OwnsColumns) return;
        foreach (var s in _slices) s.Column.Dispose();
        OwnsColumns = false;
    }
}
