using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Apache.Arrow;
using Apache.Arrow.Types;
using Gateway.Protocol.Columnar;
using Gateway.Protocol.Thrift;
using Array = System.Array;
using ArrowSchemaType = Apache.Arrow.Schema;
using Column = Gateway.Protocol.Columnar.Column;

namespace Gateway.Protocol.Arrow;

/// <summary>
/// Rows <c>[offset, offset + count)</c> of a batch as an Apache.Arrow <see cref="RecordBatch"/> whose buffers are views
/// of the batch's own (pooled) arrays, so that Apache.Arrow's IPC writer copies each value once, straight into the
/// output. Only what Arrow lays out differently is built, into pooled scratch held until <see cref="Clear"/>: bitmaps
/// of slices (shifted to bit 0, padding bits zeroed), offsets of slices (rebased to 0), intervals (month_day_nano:
/// micros × 1000) and the text fallbacks. One instance per thread, reused.
/// </summary>
internal sealed class ArrowBatchViews
{
    [ThreadStatic] private static ArrowBatchViews? t_cached;

    private readonly List<byte[]> _scratchBytes = [];
    private readonly List<int[]> _scratchInts = [];
    private readonly List<ArrayBytes> _views = [];
    private int _viewsUsed;
    private ValueFormatter _formatter = ValueFormatter.Utc;
    private ArrowWriteOptions _options = ArrowWriteOptions.Default;

    public static ArrowBatchViews Rent()
    {
        var views = t_cached ?? new ArrowBatchViews();
        t_cached = null;
        return views;
    }

    public static void Return(ArrowBatchViews views)
    {
        views.Clear();
        t_cached = views;
    }

    /// <summary>Gives the scratch back; the record batch built last must no longer be used.</summary>
    public void Clear()
    {
        foreach (var a in _scratchBytes) BufferPool<byte>.Shared.Return(a); // detached text buffers (PooledBufferWriter) and bitmaps
        foreach (var a in _scratchInts) ArrayPool<int>.Shared.Return(a);
        _scratchBytes.Clear();
        _scratchInts.Clear();
        for (var i = 0; i < _viewsUsed; i++) _views[i].Reset();
        _viewsUsed = 0;
        _formatter = ValueFormatter.Utc;
        _options = ArrowWriteOptions.Default;
    }

    public RecordBatch Build(ArrowSchemaType arrowSchema, ColumnBatch batch, int offset, int count, ArrowWriteOptions options)
    {
        _options = options;
        _formatter = options.Formatter;
        var arrays = new IArrowArray[batch.Columns.Length];
        for (var c = 0; c < arrays.Length; c++)
        {
            arrays[c] = ArrowArrayFactory.BuildArray(Data(batch.Columns[c], batch.Schema.Columns[c].Type, arrowSchema.FieldsList[c].DataType, offset, count));
        }
        return new RecordBatch(arrowSchema, arrays, count);
    }

    private ArrayData Data(Column column, SqlType type, IArrowType arrowType, int offset, int count)
    {
        if (_options.SendsAsText(type)) return Text(column, offset, count);
        switch (type.Kind)
        {
            case SqlTypeKind.Null:
                // V5: the null type has no buffers, only its node.
                return new ArrayData(arrowType, count, count, 0, [], []);
            case SqlTypeKind.Boolean:
                {
                    var (validity, nulls) = Validity(column, offset, count);
                    return new ArrayData(arrowType, count, nulls, 0, [validity, Bits(As<BooleanColumn>(column, type).Bits, offset, count)], []);
                }
            case SqlTypeKind.TinyInt: return Fixed<sbyte>(column, type, arrowType, offset, count);
            case SqlTypeKind.SmallInt: return Fixed<short>(column, type, arrowType, offset, count);
            case SqlTypeKind.Int or SqlTypeKind.Date: return Fixed<int>(column, type, arrowType, offset, count);
            case SqlTypeKind.BigInt or SqlTypeKind.Time or SqlTypeKind.Timestamp or SqlTypeKind.TimestampTz: return Fixed<long>(column, type, arrowType, offset, count);
            case SqlTypeKind.Float: return Fixed<float>(column, type, arrowType, offset, count);
            case SqlTypeKind.Double: return Fixed<double>(column, type, arrowType, offset, count);
            // Int128 is 16 little-endian two's complement bytes: decimal128's layout.
            case SqlTypeKind.Decimal: return Fixed<Int128>(column, type, arrowType, offset, count);
            case SqlTypeKind.Interval:
                {
                    var (validity, nulls) = Validity(column, offset, count);
                    var values = Intervals(As<PrimitiveColumn<IntervalValue>>(column, type).Values, column.NullCount == 0 ? null : column.Validity, offset, count);
                    return new ArrayData(arrowType, count, nulls, 0, [validity, values], []);
                }
            case SqlTypeKind.String or SqlTypeKind.Varchar or SqlTypeKind.Char or SqlTypeKind.Binary:
                {
                    var b = As<BinaryColumn>(column, type);
                    var (validity, nulls) = Validity(column, offset, count);
                    var start = b.Offsets[offset];
                    var data = new ArrowBuffer(b.Data.AsMemory(start, b.Offsets[offset + count] - start));
                    return new ArrayData(arrowType, count, nulls, 0, [validity, Offsets(b.Offsets, offset, count + 1), data], []);
                }
            case SqlTypeKind.Array or SqlTypeKind.Map:
                {
                    var list = As<ListColumn>(column, type);
                    var (validity, nulls) = Validity(column, offset, count);
                    var (start, end) = (0, 0);
                    ArrowBuffer offsets;
                    if (count == 0) offsets = Zeros(sizeof(int));
                    else
                    {
                        offsets = Offsets(list.Offsets, offset, count + 1);
                        (start, end) = (list.Offsets[offset], list.Offsets[offset + count]);
                    }
                    ArrayData child;
                    if (type.Kind == SqlTypeKind.Array)
                    {
                        child = Data(list.Values, type.Element!, ((ListType)arrowType).ValueDataType, start, end - start);
                    }
                    else
                    {
                        var entries = As<StructColumn>(list.Values, type);
                        if (entries.Children.Length != 2) ThrowMismatch(list.Values, type);
                        var map = (MapType)arrowType;
                        var (entriesValidity, entryNulls) = Validity(entries, start, end - start);
                        child = new ArrayData(map.Fields[0].DataType, end - start, entryNulls, 0, [entriesValidity],
                        [
                            Data(entries.Children[0], type.Fields[0].Type, map.KeyField.DataType, start, end - start),
                            Data(entries.Children[1], type.Fields[1].Type, map.ValueField.DataType, start, end - start),
                        ]);
                    }
                    return new ArrayData(arrowType, count, nulls, 0, [validity, offsets], [child]);
                }
            case SqlTypeKind.Struct:
                {
                    var s = As<StructColumn>(column, type);
                    if (s.Children.Length != type.Fields.Length) ThrowMismatch(column, type);
                    var structType = (StructType)arrowType;
                    var (validity, nulls) = Validity(column, offset, count);
                    var children = new ArrayData[s.Children.Length];
                    for (var f = 0; f < children.Length; f++) children[f] = Data(s.Children[f], type.Fields[f].Type, structType.Fields[f].DataType, offset, count);
                    return new ArrayData(arrowType, count, nulls, 0, [validity], children);
                }
            default:
                throw new NotSupportedException($"No Arrow encoding for {type}.");
        }
    }

    private ArrayData Fixed<T>(Column column, SqlType type, IArrowType arrowType, int offset, int count) where T : unmanaged
    {
        var values = As<PrimitiveColumn<T>>(column, type).Values;
        var (validity, nulls) = Validity(column, offset, count);
        var size = Unsafe.SizeOf<T>();
        return new ArrayData(arrowType, count, nulls, 0, [validity, View(values, offset * size, count * size)], []);
    }

    /// <summary>The validity buffer (empty when the slice has no nulls) and the slice's null count.</summary>
    private (ArrowBuffer Buffer, int Nulls) Validity(Column column, int offset, int count)
    {
        var validity = column.Validity;
        var nulls = validity is null || column.NullCount == 0 ? 0 : count - CountSetBits(validity, offset, count);
        return (nulls == 0 ? ArrowBuffer.Empty : Bits(validity!, offset, count), nulls);
    }

    /// <summary>A text (utf8) column holding the Thrift path's text for each value (nulls stay null).</summary>
    private ArrayData Text(Column column, int offset, int count)
    {
        if (column is NullColumn)
        {
            return new ArrayData(StringType.Default, count, count, 0, [Zeros(Bitmap.ByteCount(count)), Zeros((count + 1) * sizeof(int)), ArrowBuffer.Empty], []);
        }
        var offsets = ArrayPool<int>.Shared.Rent(count + 1);
        _scratchInts.Add(offsets);
        var (validity, nulls) = Validity(column, offset, count);
        using var text = new PooledBufferWriter(Math.Max(256, count * 16));
        switch (column)
        {
            // The common fallbacks without the formatter's per-value dispatch: the same static
            // formatting ValueFormatter.Write uses (TextFallbacksCarryTheThriftPathText holds them equal).
            case PrimitiveColumn<Int128> decimals:
                FormatEach(decimals, offset, count, offsets, text, static (v, scale, d) => ValueFormatter.FormatDecimal(v, scale, d), decimals.Type.Scale);
                break;
            case PrimitiveColumn<long> { Type.Kind: SqlTypeKind.Timestamp } timestamps:
                FormatEach(timestamps, offset, count, offsets, text, static (v, _, d) => ValueFormatter.FormatTimestamp(v, d), 0);
                break;
            case PrimitiveColumn<long> { Type.Kind: SqlTypeKind.TimestampTz } instants when _formatter.Zone == TimeZoneInfo.Utc:
                FormatEach(instants, offset, count, offsets, text, static (v, _, d) => ValueFormatter.FormatTimestamp(v, d), 0);
                break;
            default:
                for (var i = 0; i < count; i++)
                {
                    offsets[i] = text.WrittenCount;
                    if (!column.IsNull(offset + i)) _formatter.Write(column, offset + i, text);
                }
                break;
        }
        offsets[count] = text.WrittenCount;
        var data = text.Detach(out var length);
        if (data.Length > 0) _scratchBytes.Add(data);
        return new ArrayData(StringType.Default, count, nulls, 0, [validity, View(offsets, 0, (count + 1) * sizeof(int)), new ArrowBuffer(data.AsMemory(0, length))], []);
    }

    private delegate int FormatValue<T>(T value, int argument, Span<byte> destination);

    private static void FormatEach<T>(PrimitiveColumn<T> column, int offset, int count, int[] offsets, PooledBufferWriter text, FormatValue<T> format, int argument)
        where T : unmanaged
    {
        var values = column.Values;
        for (var i = 0; i < count; i++)
        {
            offsets[i] = text.WrittenCount;
            if (column.IsNull(offset + i)) continue;
            text.Advance(format(values[offset + i], argument, text.GetSpan(64)));
        }
    }

    private static T As<T>(Column column, SqlType type) where T : Column
    {
        if (column is not T typed) ThrowMismatch(column, type);
        return (T)column;
    }

    [DoesNotReturn]
    private static void ThrowMismatch(Column column, SqlType type) =>
        throw new ArgumentException($"A {column.GetType().Name} of {column.Type} cannot be encoded as {type}.");

    // ---- buffers ----

    /// <summary>A view of bytes of an array of unmanaged values (no copy).</summary>
    private ArrowBuffer View(Array source, int byteStart, int byteCount)
    {
        if (byteCount == 0) return ArrowBuffer.Empty;
        if (source is byte[] bytes) return new ArrowBuffer(bytes.AsMemory(byteStart, byteCount));
        if (_viewsUsed == _views.Count) _views.Add(new ArrayBytes());
        var view = _views[_viewsUsed++];
        view.Set(source, byteStart, byteCount);
        return new ArrowBuffer(view.Memory);
    }

    private ArrowBuffer Zeros(int bytes)
    {
        if (bytes == 0) return ArrowBuffer.Empty;
        var zeros = BufferPool<byte>.Shared.Rent(bytes);
        _scratchBytes.Add(zeros);
        zeros.AsSpan(0, bytes).Clear();
        return new ArrowBuffer(zeros.AsMemory(0, bytes));
    }

    /// <summary>
    /// A bit range of a bitmap starting at bit 0, the bits past the end zeroed: a view when the range starts on a byte
    /// and ends on one or at the end of the bitmap's meaningful bits, otherwise shifted into scratch.
    /// </summary>
    private ArrowBuffer Bits(byte[] source, int bitOffset, int bitCount)
    {
        if (bitCount == 0) return ArrowBuffer.Empty;
        var total = Bitmap.ByteCount(bitCount);
        var first = bitOffset >> 3;
        var shift = bitOffset & 7;
        var tail = bitCount & 7;
        if (shift == 0 && tail == 0) return new ArrowBuffer(source.AsMemory(first, total));
        var target = BufferPool<byte>.Shared.Rent(total);
        _scratchBytes.Add(target);
        var span = target.AsSpan(0, total);
        if (shift == 0)
        {
            source.AsSpan(first, total).CopyTo(span);
        }
        else
        {
            for (var j = 0; j < total; j++)
            {
                var s = first + j;
                var next = s + 1 < source.Length ? source[s + 1] << (8 - shift) : 0;
                span[j] = (byte)((source[s] >> shift) | next);
            }
        }
        // Bits past the slice may be anything in the source; Arrow wants padding zeroed.
        if (tail != 0) span[total - 1] &= (byte)((1 << tail) - 1);
        return new ArrowBuffer(target.AsMemory(0, total));
    }

    /// <summary>int32 offsets of a slice starting at 0: a view when they already do, otherwise rebased into scratch.</summary>
    private ArrowBuffer Offsets(int[] offsets, int start, int entries)
    {
        var source = offsets.AsSpan(start, entries);
        var shift = source[0];
        if (shift == 0) return View(offsets, start * sizeof(int), entries * sizeof(int));
        var rebased = ArrayPool<int>.Shared.Rent(entries);
        _scratchInts.Add(rebased);
        var target = rebased.AsSpan(0, entries);
        var j = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var by = new Vector<int>(shift);
            for (; j + Vector<int>.Count <= entries; j += Vector<int>.Count) (new Vector<int>(source[j..]) - by).CopyTo(target[j..]);
        }
        for (; j < entries; j++) target[j] = source[j] - shift;
        return View(rebased, 0, entries * sizeof(int));
    }

    /// <summary><see cref="IntervalValue"/>s as month_day_nano (months int32, days int32, nanoseconds int64).</summary>
    private ArrowBuffer Intervals(IntervalValue[] values, byte[]? validity, int start, int count)
    {
        if (count == 0) return ArrowBuffer.Empty;
        var target = BufferPool<byte>.Shared.Rent(count * 16);
        _scratchBytes.Add(target);
        var source = values.AsSpan(start, count);
        for (var j = 0; j < count; j++)
        {
            // Engines leave anything under a NULL (DuckDB does): it must not overflow the nanoseconds.
            var v = validity is not null && !Bitmap.Get(validity, start + j) ? default : source[j];
            var d = target.AsSpan(j * 16, 16);
            BinaryPrimitives.WriteInt32LittleEndian(d, v.Months);
            BinaryPrimitives.WriteInt32LittleEndian(d[4..], v.Days);
            BinaryPrimitives.WriteInt64LittleEndian(d[8..], checked(v.Micros * 1000));
        }
        return new ArrowBuffer(target.AsMemory(0, count * 16));
    }

    /// <summary>Set bits in <c>[offset, offset + count)</c>.</summary>
    internal static int CountSetBits(ReadOnlySpan<byte> bits, int offset, int count)
    {
        var set = 0;
        var i = offset;
        var end = offset + count;
        for (; i < end && (i & 7) != 0; i++) set += (bits[i >> 3] >> (i & 7)) & 1;
        var whole = bits.Slice(i >> 3, (end - i) >> 3);
        var k = 0;
        for (; k + 8 <= whole.Length; k += 8) set += BitOperations.PopCount(BinaryPrimitives.ReadUInt64LittleEndian(whole[k..]));
        for (; k < whole.Length; k++) set += BitOperations.PopCount(whole[k]);
        for (i += whole.Length << 3; i < end; i++) set += (bits[i >> 3] >> (i & 7)) & 1;
        return set;
    }

    /// <summary>Bytes of an array of any unmanaged element type as memory (Arrow buffers are bytes); reused per view.</summary>
    private sealed class ArrayBytes : MemoryManager<byte>
    {
        private Array? _source;
        private int _start;
        private int _length;

        public void Set(Array source, int start, int length) => (_source, _start, _length) = (source, start, length);

        public void Reset() => _source = null;

        public override Span<byte> GetSpan() =>
            _source is null ? [] : MemoryMarshal.CreateSpan(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_source), _start), _length);

        public override unsafe MemoryHandle Pin(int elementIndex = 0)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(elementIndex);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(elementIndex, _length);
            var handle = GCHandle.Alloc(_source, GCHandleType.Pinned);
            var pointer = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_source!)) + _start + elementIndex;
            return new MemoryHandle(pointer, handle, this);
        }

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing)
        {
        }
    }
}
