using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Gateway.Protocol.Columnar;
using Gateway.Protocol.Thrift;

namespace Gateway.Protocol.Arrow;

/// <summary>
/// Turns rows <c>[offset, offset + count)</c> of a batch into one record batch message. Two passes:
/// <see cref="Plan"/> walks the columns depth-first (Arrow's order for field nodes and buffers) and
/// records, per buffer, where its bytes come from and how long it is; text fallbacks are formatted
/// here into pooled scratch, because the metadata (which precedes the body) needs every length.
/// <see cref="WriteTo"/> then writes the metadata and copies each buffer into the output, rebasing
/// offsets and re-aligning bitmaps of slices on the way. Column buffers are referenced, not copied.
/// </summary>
internal sealed class ArrowBatchEncoder : IDisposable
{
    private const int Chunk = 64 * 1024;

    [ThreadStatic] private static ArrowBatchEncoder? t_cached;

    private readonly List<FieldNode> _nodes = [];
    private readonly List<BodyPart> _parts = [];
    private readonly List<byte[]> _scratchBytes = [];
    private readonly List<int[]> _scratchInts = [];
    private readonly FlatBufferBuilder _builder = new();
    private ValueFormatter _formatter = ValueFormatter.Utc;
    private ArrowWriteOptions _options = ArrowWriteOptions.Default;

    /// <summary>An encoder cached per thread (its lists and builder are reused); give it back with <see cref="Return"/>.</summary>
    public static ArrowBatchEncoder Rent()
    {
        var encoder = t_cached ?? new ArrowBatchEncoder();
        t_cached = null;
        return encoder;
    }

    public static void Return(ArrowBatchEncoder encoder)
    {
        encoder.Clear();
        t_cached = encoder;
    }

    public FlatBufferBuilder Builder => _builder;

    public void Dispose()
    {
        Clear();
        _builder.Dispose();
    }

    private void Clear()
    {
        _nodes.Clear();
        _parts.Clear();
        foreach (var a in _scratchBytes) BufferPool<byte>.Shared.Return(a); // detached text buffers (PooledBufferWriter)
        foreach (var a in _scratchInts) ArrayPool<int>.Shared.Return(a);
        _scratchBytes.Clear();
        _scratchInts.Clear();
        _builder.Reset();
        _formatter = ValueFormatter.Utc;
        _options = ArrowWriteOptions.Default;
    }

    // ---- pass 1: plan ----

    public void Plan(ColumnBatch batch, int offset, int count, ArrowWriteOptions options)
    {
        _options = options;
        _formatter = options.Formatter;
        for (var c = 0; c < batch.Columns.Length; c++) PlanColumn(batch.Columns[c], batch.Schema.Columns[c].Type, offset, count);
    }

    private void PlanColumn(Column column, SqlType type, int offset, int count)
    {
        if (_options.SendsAsText(type))
        {
            PlanText(column, offset, count);
            return;
        }
        switch (type.Kind)
        {
            case SqlTypeKind.Null:
                // V5: the null type has no buffers, only its node.
                _nodes.Add(new FieldNode(count, count));
                break;
            case SqlTypeKind.Boolean:
                PlanValidity(column, offset, count);
                _parts.Add(BodyPart.Bits(As<BooleanColumn>(column, type).Bits, offset, count));
                break;
            case SqlTypeKind.TinyInt: PlanFixed<sbyte>(column, type, offset, count); break;
            case SqlTypeKind.SmallInt: PlanFixed<short>(column, type, offset, count); break;
            case SqlTypeKind.Int or SqlTypeKind.Date: PlanFixed<int>(column, type, offset, count); break;
            case SqlTypeKind.BigInt or SqlTypeKind.Time or SqlTypeKind.Timestamp or SqlTypeKind.TimestampTz: PlanFixed<long>(column, type, offset, count); break;
            case SqlTypeKind.Float: PlanFixed<float>(column, type, offset, count); break;
            case SqlTypeKind.Double: PlanFixed<double>(column, type, offset, count); break;
            // Int128 is 16 little-endian two's complement bytes: decimal128's layout.
            case SqlTypeKind.Decimal: PlanFixed<Int128>(column, type, offset, count); break;
            case SqlTypeKind.Interval:
                PlanValidity(column, offset, count);
                _parts.Add(BodyPart.Interval(As<PrimitiveColumn<IntervalValue>>(column, type).Values, column.NullCount == 0 ? null : column.Validity, offset, count));
                break;
            case SqlTypeKind.String or SqlTypeKind.Varchar or SqlTypeKind.Char or SqlTypeKind.Binary:
                {
                    var b = As<BinaryColumn>(column, type);
                    PlanValidity(column, offset, count);
                    _parts.Add(BodyPart.Offsets(b.Offsets, offset, count + 1));
                    var start = b.Offsets[offset];
                    _parts.Add(BodyPart.Bytes(b.Data, start, b.Offsets[offset + count] - start));
                    break;
                }
            case SqlTypeKind.Array or SqlTypeKind.Map:
                {
                    var list = As<ListColumn>(column, type);
                    PlanValidity(column, offset, count);
                    var (start, end) = (0, 0);
                    if (count == 0) _parts.Add(BodyPart.Zeros(sizeof(int)));
                    else
                    {
                        _parts.Add(BodyPart.Offsets(list.Offsets, offset, count + 1));
                        (start, end) = (list.Offsets[offset], list.Offsets[offset + count]);
                    }
                    if (type.Kind == SqlTypeKind.Array)
                    {
                        PlanColumn(list.Values, type.Element!, start, end - start);
                    }
                    else
                    {
                        var entries = As<StructColumn>(list.Values, type);
                        if (entries.Children.Length != 2) ThrowMismatch(list.Values, type);
                        PlanValidity(entries, start, end - start);
                        PlanColumn(entries.Children[0], type.Fields[0].Type, start, end - start);
                        PlanColumn(entries.Children[1], type.Fields[1].Type, start, end - start);
                    }
                    break;
                }
            case SqlTypeKind.Struct:
                {
                    var s = As<StructColumn>(column, type);
                    if (s.Children.Length != type.Fields.Length) ThrowMismatch(column, type);
                    PlanValidity(column, offset, count);
                    for (var f = 0; f < s.Children.Length; f++) PlanColumn(s.Children[f], type.Fields[f].Type, offset, count);
                    break;
                }
            default:
                throw new NotSupportedException($"No Arrow encoding for {type}.");
        }
    }

    private void PlanFixed<T>(Column column, SqlType type, int offset, int count) where T : unmanaged
    {
        var values = As<PrimitiveColumn<T>>(column, type).Values;
        PlanValidity(column, offset, count);
        var size = Unsafe.SizeOf<T>();
        _parts.Add(BodyPart.Bytes(values, offset * size, count * size));
    }

    /// <summary>Adds the node and the validity buffer (empty when the slice has no nulls).</summary>
    private void PlanValidity(Column column, int offset, int count)
    {
        var validity = column.Validity;
        var nulls = validity is null || column.NullCount == 0 ? 0 : count - CountSetBits(validity, offset, count);
        _nodes.Add(new FieldNode(count, nulls));
        _parts.Add(nulls == 0 ? default : BodyPart.Bits(validity!, offset, count));
    }

    /// <summary>A utf8 column holding the Thrift path's text for each value (nulls stay null).</summary>
    private void PlanText(Column column, int offset, int count)
    {
        if (column is NullColumn)
        {
            _nodes.Add(new FieldNode(count, count));
            _parts.Add(BodyPart.Zeros(Bitmap.ByteCount(count)));
            _parts.Add(BodyPart.Zeros((count + 1) * sizeof(int)));
            _parts.Add(default);
            return;
        }
        var offsets = ArrayPool<int>.Shared.Rent(count + 1);
        _scratchInts.Add(offsets);
        PlanValidity(column, offset, count);
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
        _parts.Add(BodyPart.Offsets(offsets, 0, count + 1));
        _parts.Add(BodyPart.Bytes(data, 0, length));
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

    // ---- pass 2: write ----

    /// <summary>Writes the record batch message: prefix, metadata, body.</summary>
    public void WriteTo(IBufferWriter<byte> output, int rowCount)
    {
        var parts = CollectionsMarshal.AsSpan(_parts);
        var buffers = ArrayPool<BodyBuffer>.Shared.Rent(Math.Max(1, parts.Length));
        try
        {
            long bodyLength = 0;
            for (var i = 0; i < parts.Length; i++)
            {
                var length = parts[i].ByteLength;
                buffers[i] = new BodyBuffer(bodyLength, length);
                bodyLength += Align8(length);
            }
            _builder.Reset();
            ArrowMetadata.BuildRecordBatchMessage(_builder, rowCount, CollectionsMarshal.AsSpan(_nodes), buffers.AsSpan(0, parts.Length), bodyLength);
            ArrowIpc.WriteMessagePrefix(output, _builder.WrittenSpan);
            foreach (ref readonly var part in parts)
            {
                part.WriteTo(output);
                WriteZeros(output, (int)(Align8(part.ByteLength) - part.ByteLength));
            }
        }
        finally
        {
            ArrayPool<BodyBuffer>.Shared.Return(buffers);
        }
    }

    internal static long Align8(long n) => (n + 7) & ~7L;

    internal static void WriteZeros(IBufferWriter<byte> output, long count)
    {
        while (count > 0)
        {
            var n = (int)Math.Min(count, Chunk);
            var span = output.GetSpan(n)[..n];
            span.Clear();
            output.Advance(n);
            count -= n;
        }
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

    private enum PartKind : byte
    {
        /// <summary>A zero-length buffer (validity without nulls, utf8 data of all-empty values).</summary>
        Empty,
        /// <summary>A byte range of an array of unmanaged values, copied as it is.</summary>
        Bytes,
        /// <summary>A bit range of a bitmap, shifted to start at bit 0 and zeroed past the end.</summary>
        Bits,
        /// <summary>int32 offsets, rebased to start at 0.</summary>
        Offsets,
        /// <summary><see cref="IntervalValue"/>s as month_day_nano (micros × 1000).</summary>
        Interval,
        Zeros,
    }

    /// <summary>Where one body buffer's bytes come from. Start and Count are in the kind's own units.</summary>
    private readonly struct BodyPart
    {
        private readonly Array? _source;
        /// <summary>Intervals only: the column's validity (the values under NULLs may be anything and are written as zeros).</summary>
        private readonly byte[]? _validity;
        private readonly int _start;
        private readonly int _count;
        private readonly PartKind _kind;

        private BodyPart(PartKind kind, Array? source, int start, int count, byte[]? validity = null)
        {
            _kind = kind;
            _source = source;
            _start = start;
            _count = count;
            _validity = validity;
        }

        public static BodyPart Bytes(Array source, int byteStart, int byteCount) => byteCount == 0 ? default : new(PartKind.Bytes, source, byteStart, byteCount);
        public static BodyPart Bits(byte[] bitmap, int bitOffset, int bitCount) => bitCount == 0 ? default : new(PartKind.Bits, bitmap, bitOffset, bitCount);
        public static BodyPart Offsets(int[] offsets, int start, int entries) => new(PartKind.Offsets, offsets, start, entries);
        public static BodyPart Interval(IntervalValue[] values, byte[]? validity, int start, int count) => count == 0 ? default : new(PartKind.Interval, values, start, count, validity);
        public static BodyPart Zeros(int bytes) => bytes == 0 ? default : new(PartKind.Zeros, null, 0, bytes);

        public long ByteLength => _kind switch
        {
            PartKind.Bytes or PartKind.Zeros => _count,
            PartKind.Bits => Bitmap.ByteCount(_count),
            PartKind.Offsets => (long)_count * sizeof(int),
            PartKind.Interval => (long)_count * 16,
            _ => 0,
        };

        public void WriteTo(IBufferWriter<byte> output)
        {
            switch (_kind)
            {
                case PartKind.Bytes:
                    output.Write(MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_source!), _start), _count));
                    break;
                case PartKind.Bits: WriteBits(output, (byte[])_source!, _start, _count); break;
                case PartKind.Offsets: WriteOffsets(output, (int[])_source!, _start, _count); break;
                case PartKind.Interval: WriteIntervals(output, (IntervalValue[])_source!, _validity, _start, _count); break;
                case PartKind.Zeros: WriteZeros(output, _count); break;
            }
        }

        private static void WriteBits(IBufferWriter<byte> output, byte[] source, int bitOffset, int bitCount)
        {
            var total = Bitmap.ByteCount(bitCount);
            var first = bitOffset >> 3;
            var shift = bitOffset & 7;
            var tail = bitCount & 7;
            for (var done = 0; done < total;)
            {
                var span = output.GetSpan(Math.Min(total - done, Chunk));
                var n = Math.Min(span.Length, total - done);
                if (shift == 0)
                {
                    source.AsSpan(first + done, n).CopyTo(span);
                }
                else
                {
                    for (var j = 0; j < n; j++)
                    {
                        var s = first + done + j;
                        var next = s + 1 < source.Length ? source[s + 1] << (8 - shift) : 0;
                        span[j] = (byte)((source[s] >> shift) | next);
                    }
                }
                done += n;
                // Bits past the slice may be anything in the source; Arrow wants padding zeroed.
                if (done == total && tail != 0) span[n - 1] &= (byte)((1 << tail) - 1);
                output.Advance(n);
            }
        }

        private static void WriteOffsets(IBufferWriter<byte> output, int[] offsets, int start, int entries)
        {
            var source = offsets.AsSpan(start, entries);
            var shift = source[0];
            if (shift == 0)
            {
                output.Write(MemoryMarshal.AsBytes(source));
                return;
            }
            while (!source.IsEmpty)
            {
                var span = output.GetSpan(Math.Min(source.Length * sizeof(int), Chunk));
                var n = Math.Min(span.Length / sizeof(int), source.Length);
                var target = MemoryMarshal.Cast<byte, int>(span[..(n * sizeof(int))]);
                var j = 0;
                if (Vector.IsHardwareAccelerated)
                {
                    var by = new Vector<int>(shift);
                    for (; j + Vector<int>.Count <= n; j += Vector<int>.Count) (new Vector<int>(source[j..]) - by).CopyTo(target[j..]);
                }
                for (; j < n; j++) target[j] = source[j] - shift;
                output.Advance(n * sizeof(int));
                source = source[n..];
            }
        }

        private static void WriteIntervals(IBufferWriter<byte> output, IntervalValue[] values, byte[]? validity, int start, int count)
        {
            var source = values.AsSpan(start, count);
            var row = start;
            while (!source.IsEmpty)
            {
                var span = output.GetSpan(Math.Min(source.Length * 16, Chunk));
                var n = Math.Min(span.Length / 16, source.Length);
                for (var j = 0; j < n; j++, row++)
                {
                    // Engines leave anything under a NULL (DuckDB does): it must not overflow the nanoseconds.
                    var v = validity is not null && !Bitmap.Get(validity, row) ? default : source[j];
                    var d = span.Slice(j * 16, 16);
                    BinaryPrimitives.WriteInt32LittleEndian(d, v.Months);
                    BinaryPrimitives.WriteInt32LittleEndian(d[4..], v.Days);
                    BinaryPrimitives.WriteInt64LittleEndian(d[8..], checked(v.Micros * 1000));
                }
                output.Advance(n * 16);
                source = source[n..];
            }
        }
    }
}
