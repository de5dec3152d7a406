using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Gateway.Protocol.Columnar;

namespace Gateway.Protocol.Arrow;

/// <summary>
/// Reads one RecordBatch body into a <see cref="ColumnBatch"/>. Field nodes and buffers are taken in
/// Arrow's depth-first order; every node length and null count, every buffer's place in the body and
/// every offset is checked before it is used, so malformed input ends in <see cref="InvalidDataException"/>
/// before anything is read outside the body or allocated beyond what the body backs. Buffers are copied
/// once into arrays rented from <see cref="BufferPool{T}"/> (the batch returns them when disposed); types
/// stored as our columns store them (little-endian fixed widths, int32 offsets, bitmaps) are one memcpy,
/// other units and widths are converted value by value.
/// </summary>
internal ref struct ArrowBatchDecoder
{
    private readonly FbVector _nodes;
    private readonly FbVector _buffers;
    private readonly ReadOnlySpan<byte> _body;
    private int _node;
    private int _buffer;

    private ArrowBatchDecoder(FbVector nodes, FbVector buffers, ReadOnlySpan<byte> body)
    {
        _nodes = nodes;
        _buffers = buffers;
        _body = body;
    }

    // Message.fbs RecordBatch slots.
    private const int BatchLength = 0, BatchNodes = 1, BatchBuffers = 2, BatchCompression = 3;

    public static ColumnBatch Decode(ArrowSchema schema, FbTable recordBatch, ReadOnlySpan<byte> body)
    {
        if (recordBatch.TryTable(BatchCompression, out var compression))
        {
            var codec = compression.Byte(0, 0) switch { 0 => "LZ4_FRAME", 1 => "ZSTD", var c => $"codec {c}" };
            throw new NotSupportedException($"The Arrow record batch body is compressed ({codec}); compressed bodies are not supported (ask for uncompressed batches).");
        }
        var length = recordBatch.Long(BatchLength, 0);
        if (length is < 0 or > int.MaxValue) Fail($"a record batch of {length} rows");
        if (!recordBatch.TryVector(BatchNodes, 16, out var nodes)) nodes = default;
        if (!recordBatch.TryVector(BatchBuffers, 16, out var buffers)) buffers = default;
        var decoder = new ArrowBatchDecoder(nodes, buffers, body);
        var fields = schema.Fields;
        var columns = new Column[fields.Length];
        var built = 0;
        try
        {
            while (built < fields.Length)
            {
                var column = decoder.Column(fields[built]);
                columns[built++] = column;
                if (column.Length != length) Fail($"column '{fields[built - 1].Name}' has {column.Length} values in a batch of {length} rows");
            }
            if (decoder._node != nodes.Count) Fail($"the batch has {nodes.Count} field nodes; its schema uses {decoder._node}");
            if (decoder._buffer != buffers.Count) Fail($"the batch has {buffers.Count} buffers; its schema uses {decoder._buffer}");
        }
        catch
        {
            for (var i = 0; i < built; i++) columns[i]?.Dispose();
            throw;
        }
        return new ColumnBatch(schema.Schema, (int)length, columns);
    }

    [DoesNotReturn]
    private static void Fail(string message) => throw new InvalidDataException("Malformed Arrow record batch: " + message + ".");

    private (int Length, int NullCount) Node(ArrowField field)
    {
        if (_node >= _nodes.Count) Fail($"no field node left for '{field.Name}' (the batch has {_nodes.Count}; does it match the schema?)");
        var (length, nulls) = _nodes.TwoLongs(_node++);
        if (length is < 0 or > int.MaxValue) Fail($"field '{field.Name}' has length {length}");
        if (nulls < 0 || nulls > length) Fail($"field '{field.Name}' has {nulls} nulls in {length} values");
        return ((int)length, (int)nulls);
    }

    private ReadOnlySpan<byte> Buffer(ArrowField field)
    {
        if (_buffer >= _buffers.Count) Fail($"no buffer left for '{field.Name}' (the batch has {_buffers.Count}; does it match the schema?)");
        var (offset, length) = _buffers.TwoLongs(_buffer++);
        if (offset < 0 || length < 0 || offset > _body.Length - length) Fail($"buffer {_buffer - 1} ({field.Name}: {length} bytes at {offset}) lies outside the {_body.Length}-byte body");
        return _body.Slice((int)offset, (int)length);
    }

    /// <summary>Checks a buffer holds <paramref name="bytes"/> bytes and returns exactly those.</summary>
    private static ReadOnlySpan<byte> Need(ReadOnlySpan<byte> buffer, long bytes, ArrowField field, string what)
    {
        if (buffer.Length < bytes) Fail($"the {what} buffer of '{field.Name}' has {buffer.Length} bytes, {bytes} needed");
        return buffer[..(int)bytes];
    }

    private Column Column(ArrowField field)
    {
        var (length, nulls) = Node(field);
        if (field.Type == ArrowTypeId.Null) return new NullColumn(length);
        var validityBuffer = Buffer(field);
        byte[]? validity = null;
        // An empty validity buffer, or a node without nulls, means every value is present.
        if (nulls > 0)
        {
            var bytes = BitmapBytes(length);
            validity = Copy<byte>(Need(validityBuffer, bytes, field, "validity"), bytes);
        }
        Column column;
        try
        {
            column = Values(field, length);
        }
        catch
        {
            if (validity is not null) BufferPool<byte>.Shared.Return(validity);
            throw;
        }
        if (validity is not null) column.SetValidity(validity, pooled: true);
        return column;
    }

    private Column Values(ArrowField field, int n)
    {
        var type = field.SqlType;
        switch (field.Type)
        {
            case ArrowTypeId.Bool:
                {
                    var bytes = BitmapBytes(n);
                    return new BooleanColumn(n, Copy<byte>(Need(Buffer(field), bytes, field, "values"), bytes), pooled: true);
                }
            case ArrowTypeId.Int:
                {
                    var values = Need(Buffer(field), (long)n * (field.BitWidth / 8), field, "values");
                    return (field.BitWidth, field.Signed) switch
                    {
                        (8, true) => Fixed<sbyte>(type, values, n),
                        (16, true) => Fixed<short>(type, values, n),
                        (32, true) => Fixed<int>(type, values, n),
                        (64, true) => Fixed<long>(type, values, n),
                        (8, false) => Convert(type, values, n, 1, static v => (short)v[0]),
                        (16, false) => Convert(type, values, n, 2, static v => (int)BinaryPrimitives.ReadUInt16LittleEndian(v)),
                        (32, false) => Convert(type, values, n, 4, static v => (long)BinaryPrimitives.ReadUInt32LittleEndian(v)),
                        _ => Convert(type, values, n, 8, static v => (Int128)BinaryPrimitives.ReadUInt64LittleEndian(v)),
                    };
                }
            case ArrowTypeId.FloatingPoint:
                return field.Unit switch
                {
                    0 => Convert(type, Need(Buffer(field), n * 2L, field, "values"), n, 2, static v => (float)BinaryPrimitives.ReadHalfLittleEndian(v)),
                    1 => Fixed<float>(type, Need(Buffer(field), n * 4L, field, "values"), n),
                    _ => Fixed<double>(type, Need(Buffer(field), n * 8L, field, "values"), n),
                };
            case ArrowTypeId.Decimal:
                {
                    var values = Need(Buffer(field), (long)n * (field.BitWidth / 8), field, "values");
                    // decimal128 is 16 little-endian two's complement bytes: Int128's layout.
                    return field.BitWidth switch
                    {
                        128 => Fixed<Int128>(type, values, n),
                        64 => Convert(type, values, n, 8, static v => (Int128)BinaryPrimitives.ReadInt64LittleEndian(v)),
                        _ => Convert(type, values, n, 4, static v => (Int128)BinaryPrimitives.ReadInt32LittleEndian(v)),
                    };
                }
            case ArrowTypeId.Date:
                return field.Unit == 0
                    ? Fixed<int>(type, Need(Buffer(field), n * 4L, field, "values"), n)
                    : Convert(type, Need(Buffer(field), n * 8L, field, "values"), n, 8, static v => DaysFromMillis(BinaryPrimitives.ReadInt64LittleEndian(v)));
            case ArrowTypeId.Time:
                return field.Unit switch
                {
                    0 => Convert(type, Need(Buffer(field), n * 4L, field, "values"), n, 4, static v => BinaryPrimitives.ReadInt32LittleEndian(v) * 1_000_000L),
                    1 => Convert(type, Need(Buffer(field), n * 4L, field, "values"), n, 4, static v => BinaryPrimitives.ReadInt32LittleEndian(v) * 1_000L),
                    2 => Fixed<long>(type, Need(Buffer(field), n * 8L, field, "values"), n),
                    _ => Convert(type, Need(Buffer(field), n * 8L, field, "values"), n, 8, static v => FloorDiv(BinaryPrimitives.ReadInt64LittleEndian(v), 1000)),
                };
            case ArrowTypeId.Timestamp:
                {
                    var values = Need(Buffer(field), n * 8L, field, "values");
                    return field.Unit switch
                    {
                        0 => Convert(type, values, n, 8, static v => Scale(BinaryPrimitives.ReadInt64LittleEndian(v), 1_000_000)),
                        1 => Convert(type, values, n, 8, static v => Scale(BinaryPrimitives.ReadInt64LittleEndian(v), 1_000)),
                        2 => Fixed<long>(type, values, n),
                        _ => Convert(type, values, n, 8, static v => FloorDiv(BinaryPrimitives.ReadInt64LittleEndian(v), 1000)),
                    };
                }
            case ArrowTypeId.Duration:
                {
                    var values = Need(Buffer(field), n * 8L, field, "values");
                    return field.Unit switch
                    {
                        0 => Convert(type, values, n, 8, static v => new IntervalValue(0, 0, Scale(BinaryPrimitives.ReadInt64LittleEndian(v), 1_000_000))),
                        1 => Convert(type, values, n, 8, static v => new IntervalValue(0, 0, Scale(BinaryPrimitives.ReadInt64LittleEndian(v), 1_000))),
                        2 => Convert(type, values, n, 8, static v => new IntervalValue(0, 0, BinaryPrimitives.ReadInt64LittleEndian(v))),
                        _ => Convert(type, values, n, 8, static v => new IntervalValue(0, 0, BinaryPrimitives.ReadInt64LittleEndian(v) / 1000)),
                    };
                }
            case ArrowTypeId.Interval:
                return field.Unit switch
                {
                    // YEAR_MONTH: int32 months. DAY_TIME: int32 days, int32 milliseconds. MONTH_DAY_NANO: int32, int32, int64 nanoseconds.
                    0 => Convert(type, Need(Buffer(field), n * 4L, field, "values"), n, 4, static v => new IntervalValue(BinaryPrimitives.ReadInt32LittleEndian(v), 0, 0)),
                    1 => Convert(type, Need(Buffer(field), n * 8L, field, "values"), n, 8,
                        static v => new IntervalValue(0, BinaryPrimitives.ReadInt32LittleEndian(v), BinaryPrimitives.ReadInt32LittleEndian(v[4..]) * 1000L)),
                    _ => Convert(type, Need(Buffer(field), n * 16L, field, "values"), n, 16,
                        static v => new IntervalValue(BinaryPrimitives.ReadInt32LittleEndian(v), BinaryPrimitives.ReadInt32LittleEndian(v[4..]), BinaryPrimitives.ReadInt64LittleEndian(v[8..]) / 1000)),
                };
            case ArrowTypeId.Utf8 or ArrowTypeId.Binary or ArrowTypeId.LargeUtf8 or ArrowTypeId.LargeBinary:
                {
                    var large = field.Type is ArrowTypeId.LargeUtf8 or ArrowTypeId.LargeBinary;
                    var offsets = Offsets(Buffer(field), n, large, field);
                    try
                    {
                        var dataBuffer = Buffer(field);
                        var end = offsets[n];
                        if (end > dataBuffer.Length) Fail($"the offsets of '{field.Name}' end at {end}, past its {dataBuffer.Length}-byte data buffer");
                        return new BinaryColumn(type, n, offsets, Copy<byte>(dataBuffer, end), pooled: true);
                    }
                    catch
                    {
                        BufferPool<int>.Shared.Return(offsets);
                        throw;
                    }
                }
            case ArrowTypeId.FixedSizeBinary:
                {
                    var width = field.FixedSize;
                    var total = (long)n * width;
                    if (total > int.MaxValue) Fail($"'{field.Name}' holds {total} bytes");
                    if (n > Math.Max(_body.Length, 1 << 20)) Fail($"'{field.Name}' claims {n} values in a {_body.Length}-byte body");
                    var data = Copy<byte>(Need(Buffer(field), total, field, "values"), (int)total);
                    return new BinaryColumn(type, n, Sequence(n, width), data, pooled: true);
                }
            case ArrowTypeId.List or ArrowTypeId.LargeList or ArrowTypeId.Map:
                {
                    var offsets = Offsets(Buffer(field), n, field.Type == ArrowTypeId.LargeList, field);
                    try
                    {
                        return new ListColumn(type, n, offsets, Child(field.Children[0], offsets[n]), pooled: true);
                    }
                    catch
                    {
                        BufferPool<int>.Shared.Return(offsets);
                        throw;
                    }
                }
            case ArrowTypeId.FixedSizeList:
                {
                    var size = field.FixedSize;
                    if ((long)n * size > int.MaxValue) Fail($"'{field.Name}' holds {(long)n * size} values");
                    // The offsets are made up, not read: bound them by the body so a tiny message cannot claim billions of rows.
                    if (n > Math.Max(_body.Length, 1 << 20)) Fail($"'{field.Name}' claims {n} lists in a {_body.Length}-byte body");
                    var child = Child(field.Children[0], n * size);
                    return new ListColumn(type, n, Sequence(n, size), child, pooled: true);
                }
            case ArrowTypeId.Struct:
                {
                    var children = new Column[field.Children.Length];
                    var built = 0;
                    try
                    {
                        for (; built < children.Length; built++) children[built] = Child(field.Children[built], n);
                    }
                    catch
                    {
                        for (var i = 0; i < built; i++) children[i].Dispose();
                        throw;
                    }
                    return new StructColumn(type, n, children);
                }
            default:
                throw new NotSupportedException($"Arrow field '{field.Name}' has type {field.Type}, which is not supported.");
        }
    }

    /// <summary>A child column that must hold at least <paramref name="needed"/> values.</summary>
    private Column Child(ArrowField field, int needed)
    {
        var child = Column(field);
        if (child.Length < needed)
        {
            child.Dispose();
            Fail($"child '{field.Name}' has {child.Length} values, its parent needs {needed}");
        }
        return child;
    }

    /// <summary>
    /// n + 1 offsets (int32, or int64 narrowed), checked to start at or above 0 and never decrease, so
    /// <c>offsets[n]</c> bounds every value. A zero-length array may come without any offset.
    /// </summary>
    private static int[] Offsets(ReadOnlySpan<byte> buffer, int n, bool large, ArrowField field)
    {
        if (n == 0 && buffer.Length < (large ? 8 : 4))
        {
            var none = BufferPool<int>.Shared.Rent(1);
            none[0] = 0;
            return none;
        }
        // Checked before renting: the buffer must back every offset.
        var source = Need(buffer, (n + 1L) * (large ? 8 : 4), field, "offsets");
        var offsets = BufferPool<int>.Shared.Rent(n + 1);
        try
        {
            if (large)
            {
                for (var i = 0; i <= n; i++)
                {
                    var o = BinaryPrimitives.ReadInt64LittleEndian(source[(i * 8)..]);
                    if (o is < 0 or > int.MaxValue) Fail($"offset {i} of '{field.Name}' is {o}");
                    offsets[i] = (int)o;
                }
            }
            else
            {
                source.CopyTo(MemoryMarshal.AsBytes(offsets.AsSpan(0, n + 1)));
            }
            var previous = offsets[0];
            if (previous < 0) Fail($"the offsets of '{field.Name}' start at {previous}");
            for (var i = 1; i <= n; i++)
            {
                var o = offsets[i];
                if (o < previous) Fail($"offset {i} of '{field.Name}' ({o}) is below the one before ({previous})");
                previous = o;
            }
            return offsets;
        }
        catch
        {
            BufferPool<int>.Shared.Return(offsets);
            throw;
        }
    }

    private static int[] Sequence(int n, int step)
    {
        var offsets = BufferPool<int>.Shared.Rent(n + 1);
        for (var i = 0; i <= n; i++) offsets[i] = i * step;
        return offsets;
    }

    /// <summary>The first <paramref name="count"/> elements' bytes, copied once into a pooled array.</summary>
    private static T[] Copy<T>(ReadOnlySpan<byte> source, int count) where T : unmanaged
    {
        var array = BufferPool<T>.Shared.Rent(Math.Max(1, count));
        source[..(count * Unsafe.SizeOf<T>())].CopyTo(MemoryMarshal.AsBytes(array.AsSpan(0, count)));
        return array;
    }

    private static PrimitiveColumn<T> Fixed<T>(SqlType type, ReadOnlySpan<byte> values, int n) where T : unmanaged =>
        new(type, n, Copy<T>(values, n), pooled: true);

    private static PrimitiveColumn<T> Convert<T>(SqlType type, ReadOnlySpan<byte> values, int n, int width, Func<ReadOnlySpan<byte>, T> read) where T : unmanaged
    {
        var array = BufferPool<T>.Shared.Rent(Math.Max(1, n));
        try
        {
            for (var i = 0; i < n; i++) array[i] = read(values.Slice(i * width, width));
        }
        catch
        {
            BufferPool<T>.Shared.Return(array);
            throw;
        }
        return new PrimitiveColumn<T>(type, n, array, pooled: true);
    }

    private static int BitmapBytes(int bits) => (int)((bits + 7L) >> 3);

    private static long FloorDiv(long value, long by) => value / by - (value % by < 0 ? 1 : 0);

    private static int DaysFromMillis(long millis)
    {
        var days = FloorDiv(millis, 86_400_000);
        if (days is < int.MinValue or > int.MaxValue) Fail($"date {millis} ms is out of range");
        return (int)days;
    }

    private static long Scale(long value, long by)
    {
        var scaled = value * by;
        if (value != 0 && (scaled / by != value)) Fail($"value {value} overflows microseconds");
        return scaled;
    }
}
