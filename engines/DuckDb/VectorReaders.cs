using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;
using DuckDB.NET.Native;
using Gateway.Protocol.Columnar;

namespace Gateway.Engines.DuckDb;

// Copies DuckDB vectors into the Arrow-layout Column classes. A reader accumulates rows from several
// vectors (chunks are 2048 rows, batches are larger) into pooled buffers and hands the buffers over to
// the Column it builds; the batch's Dispose returns them. Nothing here boxes a value.
//
// DuckDB vectors passed in are flat (duckdb_fetch_chunk flattens them). Values behind a null row are
// undefined, so every reader checks validity before it interprets bytes (string pointers, list entries).

/// <summary>Builds an Arrow validity bitmap from DuckDB's uint64 masks; allocated only once a null shows up.</summary>
internal sealed unsafe class ValidityBuilder
{
    private byte[]? _bits;

    public void Append(ulong* mask, int srcOffset, int dstOffset, int count)
    {
        if (mask == null || AllValid(mask, srcOffset, count))
        {
            if (_bits is not null)
            {
                Ensure(dstOffset + count);
                SetOnes(dstOffset, count);
            }
            return;
        }
        if (_bits is null)
        {
            Ensure(dstOffset + count);
            SetOnes(0, dstOffset);
        }
        else
        {
            Ensure(dstOffset + count);
        }
        Copy(mask, srcOffset, dstOffset, count);
    }

    /// <summary>Marks <paramref name="row"/> null; <paramref name="rows"/> is how many rows the column holds.</summary>
    public void SetNull(int row, int rows)
    {
        if (_bits is null)
        {
            Ensure(rows);
            SetOnes(0, rows);
        }
        _bits![row >> 3] &= (byte)~(1 << (row & 7));
    }

    public void AttachTo(Column column)
    {
        if (_bits is null) return;
        column.SetValidity(_bits, pooled: true);
        _bits = null;
    }

    public void Release()
    {
        if (_bits is not null) BufferPool<byte>.Shared.Return(_bits);
        _bits = null;
    }

    private void Ensure(int bits)
    {
        var bytes = Bitmap.ByteCount(bits);
        if (_bits is not null && _bits.Length >= bytes) return;
        var grown = BufferPool<byte>.Shared.Rent(Math.Max(bytes, Math.Max((_bits?.Length ?? 0) * 2, 256)));
        if (_bits is not null)
        {
            _bits.CopyTo(grown, 0);
            BufferPool<byte>.Shared.Return(_bits);
        }
        _bits = grown;
    }

    private void SetOnes(int start, int count)
    {
        var bits = _bits!;
        var i = start;
        var end = start + count;
        while (i < end && (i & 7) != 0) { bits[i >> 3] |= (byte)(1 << (i & 7)); i++; }
        if (end - i >= 8)
        {
            var whole = (end - i) >> 3;
            bits.AsSpan(i >> 3, whole).Fill(0xFF);
            i += whole << 3;
        }
        while (i < end) { bits[i >> 3] |= (byte)(1 << (i & 7)); i++; }
    }

    private void Copy(ulong* mask, int srcOffset, int dstOffset, int count)
    {
        var bits = _bits!;
        var i = 0;
        if ((srcOffset & 7) == 0 && (dstOffset & 7) == 0)
        {
            // Byte-aligned: DuckDB's little-endian uint64 words are LSB-first bytes, exactly Arrow's layout.
            var whole = count >> 3;
            new ReadOnlySpan<byte>((byte*)mask + (srcOffset >> 3), whole).CopyTo(bits.AsSpan(dstOffset >> 3));
            i = whole << 3;
        }
        for (; i < count; i++)
        {
            var s = srcOffset + i;
            var d = dstOffset + i;
            if ((mask[s >> 6] & (1UL << (s & 63))) != 0) bits[d >> 3] |= (byte)(1 << (d & 7));
            else bits[d >> 3] &= (byte)~(1 << (d & 7));
        }
    }

    private static bool AllValid(ulong* mask, int offset, int count)
    {
        var i = offset;
        var end = offset + count;
        while (i < end)
        {
            var bit = i & 63;
            var n = Math.Min(64 - bit, end - i);
            var m = n == 64 ? ulong.MaxValue : ((1UL << n) - 1) << bit;
            if ((mask[i >> 6] & m) != m) return false;
            i += n;
        }
        return true;
    }
}

internal abstract unsafe class VectorReader : IDisposable
{
    protected readonly ValidityBuilder Validity = new();

    protected VectorReader(SqlType type) => Type = type;

    public SqlType Type { get; }

    /// <summary>Rows accumulated for the batch being built.</summary>
    public int Count { get; private set; }

    /// <summary>Appends rows [offset, offset + count) of a flat vector.</summary>
    public void Append(IntPtr vector, int offset, int count)
    {
        if (count == 0) return;
        var mask = NativeMethods.Vectors.DuckDBVectorGetValidity(vector);
        Validity.Append(mask, offset, Count, count);
        AppendValues(vector, mask, offset, count);
        Count += count;
    }

    /// <summary>Marks an already appended row null (UNION members that are not the selected one).</summary>
    public void ForceNull(int row) => Validity.SetNull(row, Count);

    /// <summary>Builds the column of the accumulated rows, handing it the buffers, and starts over.</summary>
    public Column Build()
    {
        var column = BuildValues(Count);
        Validity.AttachTo(column);
        Count = 0;
        return column;
    }

    /// <summary>Returns every buffer to the pool (after a failure mid-batch).</summary>
    public void Discard()
    {
        Validity.Release();
        ReleaseValues();
        Count = 0;
    }

    public void Dispose() => Discard();

    /// <summary>Writes values at positions Count .. Count + count - 1.</summary>
    protected abstract void AppendValues(IntPtr vector, ulong* mask, int offset, int count);

    protected abstract Column BuildValues(int length);

    protected abstract void ReleaseValues();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    protected static bool IsValid(ulong* mask, int row) => mask == null || (mask[row >> 6] & (1UL << (row & 63))) != 0;

    public static VectorReader Create(DuckDbLogicalType type) => Create(type, DuckDbTypes.ToSqlType(type));

    private static VectorReader Create(DuckDbLogicalType type, SqlType sql)
    {
        switch (type.Id)
        {
            case DuckDbTypeId.Boolean: return new BooleanReader();
            case DuckDbTypeId.TinyInt: return new CopyReader<sbyte>(sql);
            case DuckDbTypeId.SmallInt: return new CopyReader<short>(sql);
            case DuckDbTypeId.Integer: return new CopyReader<int>(sql);
            case DuckDbTypeId.BigInt: return new CopyReader<long>(sql);
            case DuckDbTypeId.Float: return new CopyReader<float>(sql);
            case DuckDbTypeId.Double: return new CopyReader<double>(sql);
            case DuckDbTypeId.Date: return new CopyReader<int>(sql);
            case DuckDbTypeId.Time: return new CopyReader<long>(sql);
            case DuckDbTypeId.Timestamp: return new CopyReader<long>(sql);
            case DuckDbTypeId.TimestampTz: return new CopyReader<long>(sql);
            case DuckDbTypeId.Interval: return new CopyReader<IntervalValue>(sql);
            case DuckDbTypeId.UTinyInt: return new MappedReader<byte, short>(sql, &Convert.U8);
            case DuckDbTypeId.USmallInt: return new MappedReader<ushort, int>(sql, &Convert.U16);
            case DuckDbTypeId.UInteger: return new MappedReader<uint, long>(sql, &Convert.U32);
            case DuckDbTypeId.UBigInt: return new MappedReader<ulong, Int128>(sql, &Convert.U64);
            case DuckDbTypeId.HugeInt: return new MappedReader<Int128, Int128>(sql, &Convert.Huge);
            case DuckDbTypeId.UHugeInt: return new MappedReader<UInt128, Int128>(sql, &Convert.UHuge);
            case DuckDbTypeId.TimestampS: return new MappedReader<long, long>(sql, &Convert.Seconds);
            case DuckDbTypeId.TimestampMs: return new MappedReader<long, long>(sql, &Convert.Millis);
            case DuckDbTypeId.TimestampNs or DuckDbTypeId.TimeNs: return new MappedReader<long, long>(sql, &Convert.Nanos);
            case DuckDbTypeId.Decimal:
                return type.InternalType switch
                {
                    DuckDbTypeId.SmallInt => new MappedReader<short, Int128>(sql, &Convert.I16),
                    DuckDbTypeId.Integer => new MappedReader<int, Int128>(sql, &Convert.I32),
                    DuckDbTypeId.BigInt => new MappedReader<long, Int128>(sql, &Convert.I64),
                    DuckDbTypeId.HugeInt => new CopyReader<Int128>(sql),
                    _ => throw DuckDbTypes.Unsupported(type),
                };
            case DuckDbTypeId.Varchar or DuckDbTypeId.Blob: return new StringReader(sql);
            case DuckDbTypeId.Enum: return new EnumReader(type);
            case DuckDbTypeId.Uuid: return new UuidReader();
            case DuckDbTypeId.TimeTz: return new TimeTzReader();
            case DuckDbTypeId.SqlNull: return new NullReader();
            case DuckDbTypeId.List: return new ListReader(sql, Create(type.Child!), fixedSize: 0);
            case DuckDbTypeId.Array: return new ListReader(sql, Create(type.Child!), fixedSize: type.ArraySize);
            case DuckDbTypeId.Map:
                {
                    var entry = new StructReader(SqlType.Struct(sql.Fields), [Create(type.Fields[0].Type), Create(type.Fields[1].Type)]);
                    return new ListReader(sql, entry, fixedSize: 0);
                }
            case DuckDbTypeId.Struct: return new StructReader(sql, [.. type.Fields.Select(f => Create(f.Type))]);
            case DuckDbTypeId.Union: return new UnionReader(sql, [.. type.Fields.Select(f => Create(f.Type))]);
            default: throw DuckDbTypes.Unsupported(type);
        }
    }

    /// <summary>Value conversions used through function pointers (no delegate, no boxing).</summary>
    private static class Convert
    {
        private static readonly Int128 MaxDecimal38 = Int128.Parse("99999999999999999999999999999999999999", System.Globalization.CultureInfo.InvariantCulture);

        public static short U8(byte v) => v;
        public static int U16(ushort v) => v;
        public static long U32(uint v) => v;
        public static Int128 U64(ulong v) => v;
        public static Int128 I16(short v) => v;
        public static Int128 I32(int v) => v;
        public static Int128 I64(long v) => v;

        public static Int128 Huge(Int128 v) => v > MaxDecimal38 || v < -MaxDecimal38
            ? throw new EngineException($"HUGEINT value {v} does not fit DECIMAL(38,0).", "22003")
            : v;

        public static Int128 UHuge(UInt128 v) => v > (UInt128)MaxDecimal38
            ? throw new EngineException($"UHUGEINT value {v} does not fit DECIMAL(38,0).", "22003")
            : (Int128)v;

        // ±infinity timestamps are int64 extremes: keep them as they are rather than overflow.
        public static long Seconds(long v) => v is long.MaxValue or long.MinValue or -long.MaxValue ? v : v * 1_000_000;
        public static long Millis(long v) => v is long.MaxValue or long.MinValue or -long.MaxValue ? v : v * 1_000;
        public static long Nanos(long v) => v is long.MaxValue or long.MinValue or -long.MaxValue ? v : Math.DivRem(v, 1000, out var r) - (r < 0 ? 1 : 0);
    }
}

/// <summary>Values whose DuckDB layout is the column's layout: a memory copy.</summary>
internal sealed unsafe class CopyReader<T>(SqlType type) : VectorReader(type) where T : unmanaged
{
    private readonly PooledBuffer<T> _values = new();

    protected override void AppendValues(IntPtr vector, ulong* mask, int offset, int count)
    {
        _values.Ensure(Count + count, Count);
        var data = (T*)NativeMethods.Vectors.DuckDBVectorGetData(vector);
        new ReadOnlySpan<T>(data + offset, count).CopyTo(_values.Array.AsSpan(Count));
    }

    protected override Column BuildValues(int length) => new PrimitiveColumn<T>(Type, length, _values.Take(), pooled: true);

    protected override void ReleaseValues() => _values.Return();
}

/// <summary>Values converted one by one (widening, unit scaling, range checks); null rows are not read.</summary>
internal sealed unsafe class MappedReader<TSrc, TDst>(SqlType type, delegate*<TSrc, TDst> map) : VectorReader(type)
    where TSrc : unmanaged where TDst : unmanaged
{
    private readonly PooledBuffer<TDst> _values = new();

    protected override void AppendValues(IntPtr vector, ulong* mask, int offset, int count)
    {
        _values.Ensure(Count + count, Count);
        var src = (TSrc*)NativeMethods.Vectors.DuckDBVectorGetData(vector) + offset;
        var dst = _values.Array.AsSpan(Count, count);
        if (mask == null)
        {
            for (var i = 0; i < dst.Length; i++) dst[i] = map(src[i]);
        }
        else
        {
            for (var i = 0; i < dst.Length; i++) dst[i] = IsValid(mask, offset + i) ? map(src[i]) : default;
        }
    }

    protected override Column BuildValues(int length) => new PrimitiveColumn<TDst>(Type, length, _values.Take(), pooled: true);

    protected override void ReleaseValues() => _values.Return();
}

/// <summary>DuckDB bools are bytes; Arrow packs them into bits.</summary>
internal sealed unsafe class BooleanReader() : VectorReader(SqlType.Boolean)
{
    private readonly PooledBuffer<byte> _bits = new();

    protected override void AppendValues(IntPtr vector, ulong* mask, int offset, int count)
    {
        _bits.Ensure(Bitmap.ByteCount(Count + count), Bitmap.ByteCount(Count));
        var src = (byte*)NativeMethods.Vectors.DuckDBVectorGetData(vector) + offset;
        var bits = _bits.Array;
        for (var i = 0; i < count; i++)
        {
            var d = Count + i;
            if (src[i] != 0) bits[d >> 3] |= (byte)(1 << (d & 7));
            else bits[d >> 3] &= (byte)~(1 << (d & 7));
        }
    }

    protected override Column BuildValues(int length) => new BooleanColumn(length, _bits.Take(), pooled: true);

    protected override void ReleaseValues() => _bits.Return();
}

/// <summary>Readers that produce variable-length UTF-8 text or bytes (offsets + data).</summary>
internal abstract unsafe class BinaryReaderBase(SqlType type) : VectorReader(type)
{
    private readonly PooledBuffer<int> _offsets = new();
    private readonly PooledBuffer<byte> _data = new();
    private int _dataLength;

    protected void BeginAppend(int count)
    {
        _offsets.Ensure(Count + count + 1, Count + 1);
        if (Count == 0) _offsets.Array[0] = 0;
    }

    /// <summary>Ends row <paramref name="row"/> after its bytes were written (or none, for null).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    protected void EndRow(int row) => _offsets.Array[row + 1] = _dataLength;

    protected Span<byte> Reserve(int bytes)
    {
        var needed = (long)_dataLength + bytes;
        if (needed > Array.MaxLength) throw new EngineException("A batch exceeds 2 GiB of variable-length data; fetch fewer rows per batch.", "HY001");
        _data.Ensure((int)needed, _dataLength);
        var span = _data.Array.AsSpan(_dataLength, bytes);
        _dataLength += bytes;
        return span;
    }

    /// <summary>Gives back the unused tail of the last <see cref="Reserve"/>.</summary>
    protected void Unreserve(int bytes) => _dataLength -= bytes;

    protected void Write(ReadOnlySpan<byte> bytes) => bytes.CopyTo(Reserve(bytes.Length));

    protected override Column BuildValues(int length)
    {
        if (length == 0)
        {
            _offsets.Ensure(1, 0);
            _offsets.Array[0] = 0;
        }
        _dataLength = 0;
        return new BinaryColumn(Type, length, _offsets.Take(), _data.Take(), pooled: true);
    }

    protected override void ReleaseValues()
    {
        _offsets.Return();
        _data.Return();
        _dataLength = 0;
    }
}

/// <summary>VARCHAR and BLOB: duckdb_string_t is 16 bytes, length first, inlined when ≤ 12 bytes, else a pointer at offset 8.</summary>
internal sealed unsafe class StringReader(SqlType type) : BinaryReaderBase(type)
{
    protected override void AppendValues(IntPtr vector, ulong* mask, int offset, int count)
    {
        BeginAppend(count);
        var p = (byte*)NativeMethods.Vectors.DuckDBVectorGetData(vector) + (long)offset * 16;
        for (var i = 0; i < count; i++, p += 16)
        {
            if (IsValid(mask, offset + i))
            {
                var length = *(uint*)p;
                if (length > int.MaxValue) throw new EngineException("A value exceeds 2 GiB.", "HY001");
                var bytes = length <= 12 ? p + 4 : *(byte**)(p + 8);
                Write(new ReadOnlySpan<byte>(bytes, (int)length));
            }
            EndRow(Count + i);
        }
    }
}

/// <summary>ENUM: the dictionary's text, looked up by the UTINYINT/USMALLINT/UINTEGER index.</summary>
internal sealed unsafe class EnumReader : BinaryReaderBase
{
    private readonly byte[][] _dictionary;
    private readonly DuckDbTypeId _index;

    public EnumReader(DuckDbLogicalType type) : base(SqlType.String)
    {
        _dictionary = [.. type.EnumValues.Select(Encoding.UTF8.GetBytes)];
        _index = type.InternalType;
    }

    protected override void AppendValues(IntPtr vector, ulong* mask, int offset, int count)
    {
        BeginAppend(count);
        var data = NativeMethods.Vectors.DuckDBVectorGetData(vector);
        for (var i = 0; i < count; i++)
        {
            var row = offset + i;
            if (IsValid(mask, row))
            {
                var index = _index switch
                {
                    DuckDbTypeId.UTinyInt => ((byte*)data)[row],
                    DuckDbTypeId.USmallInt => ((ushort*)data)[row],
                    _ => (long)((uint*)data)[row],
                };
                Write(_dictionary[index]);
            }
            EndRow(Count + i);
        }
    }
}

/// <summary>UUID: a hugeint whose top bit is flipped (so it sorts as unsigned); text is 8-4-4-4-12 lowercase hex.</summary>
internal sealed unsafe class UuidReader() : BinaryReaderBase(SqlType.String)
{
    protected override void AppendValues(IntPtr vector, ulong* mask, int offset, int count)
    {
        BeginAppend(count);
        var data = (ulong*)NativeMethods.Vectors.DuckDBVectorGetData(vector);
        for (var i = 0; i < count; i++)
        {
            var row = offset + i;
            if (IsValid(mask, row))
            {
                var lower = data[row * 2];
                var upper = data[(row * 2) + 1] ^ 0x8000_0000_0000_0000UL;
                Format(upper, lower, Reserve(36));
            }
            EndRow(Count + i);
        }
    }

    internal static void Format(ulong upper, ulong lower, Span<byte> d)
    {
        const string Hex = "0123456789abcdef";
        var n = 0;
        for (var nibble = 0; nibble < 32; nibble++)
        {
            if (nibble is 8 or 12 or 16 or 20) d[n++] = (byte)'-';
            var word = nibble < 16 ? upper : lower;
            var shift = 60 - ((nibble & 15) * 4);
            d[n++] = (byte)Hex[(int)((word >> shift) & 0xF)];
        }
    }
}

/// <summary>TIME WITH TIME ZONE: 40 bits of micros, 24 bits of encoded offset; text as DuckDB prints it.</summary>
internal sealed unsafe class TimeTzReader() : BinaryReaderBase(SqlType.String)
{
    private const int MaxOffset = (16 * 60 * 60) - 1;

    protected override void AppendValues(IntPtr vector, ulong* mask, int offset, int count)
    {
        BeginAppend(count);
        var data = (ulong*)NativeMethods.Vectors.DuckDBVectorGetData(vector);
        for (var i = 0; i < count; i++)
        {
            var row = offset + i;
            if (IsValid(mask, row))
            {
                var span = Reserve(32);
                Unreserve(32 - Format(data[row], span));
            }
            EndRow(Count + i);
        }
    }

    internal static int Format(ulong bits, Span<byte> d)
    {
        var micros = (long)(bits >> 24);
        var offsetSeconds = MaxOffset - (int)(bits & 0xFF_FFFF);
        var n = ValueFormatter.FormatTime(micros, d);
        d[n++] = (byte)(offsetSeconds < 0 ? '-' : '+');
        var abs = Math.Abs(offsetSeconds);
        n += TwoDigits(abs / 3600, d[n..]);
        if (abs % 3600 != 0)
        {
            d[n++] = (byte)':';
            n += TwoDigits(abs / 60 % 60, d[n..]);
            if (abs % 60 != 0)
            {
                d[n++] = (byte)':';
                n += TwoDigits(abs % 60, d[n..]);
            }
        }
        return n;
    }

    private static int TwoDigits(int v, Span<byte> d)
    {
        d[0] = (byte)('0' + (v / 10));
        d[1] = (byte)('0' + (v % 10));
        return 2;
    }
}

internal sealed unsafe class NullReader() : VectorReader(SqlType.Null)
{
    protected override void AppendValues(IntPtr vector, ulong* mask, int offset, int count) { }

    protected override Column BuildValues(int length) => new NullColumn(length);

    protected override void ReleaseValues() { }
}

/// <summary>
/// LIST and MAP (list_entry offset/length into a child vector) and fixed-size ARRAY (row i owns child rows
/// [i*size, (i+1)*size)). Consecutive child ranges are appended as one run.
/// </summary>
internal sealed unsafe class ListReader(SqlType type, VectorReader child, int fixedSize) : VectorReader(type)
{
    private readonly PooledBuffer<int> _offsets = new();

    protected override void AppendValues(IntPtr vector, ulong* mask, int offset, int count)
    {
        _offsets.Ensure(Count + count + 1, Count + 1);
        var offsets = _offsets.Array;
        if (Count == 0) offsets[0] = 0;
        var entries = fixedSize == 0 ? (DuckDBListEntry*)NativeMethods.Vectors.DuckDBVectorGetData(vector) : null;
        var childVector = IntPtr.Zero;
        long runStart = 0, runEnd = 0;
        long total = child.Count;
        for (var i = 0; i < count; i++)
        {
            var row = offset + i;
            if (IsValid(mask, row))
            {
                long start, length;
                if (entries != null)
                {
                    start = (long)entries[row].Offset;
                    length = (long)entries[row].Length;
                }
                else
                {
                    start = (long)row * fixedSize;
                    length = fixedSize;
                }
                if (length > 0)
                {
                    if (start != runEnd || runEnd == runStart)
                    {
                        Flush(vector, ref childVector, runStart, runEnd);
                        runStart = start;
                        runEnd = start;
                    }
                    runEnd += length;
                    total += length;
                    if (total > int.MaxValue) throw new EngineException("A batch holds more than 2^31 nested values; fetch fewer rows per batch.", "HY001");
                }
            }
            offsets[Count + i + 1] = (int)total;
        }
        Flush(vector, ref childVector, runStart, runEnd);
    }

    private void Flush(IntPtr vector, ref IntPtr childVector, long start, long end)
    {
        if (end <= start) return;
        if (childVector == IntPtr.Zero)
        {
            childVector = fixedSize == 0 ? NativeMethods.Vectors.DuckDBListVectorGetChild(vector) : NativeMethods.Vectors.DuckDBArrayVectorGetChild(vector);
        }
        child.Append(childVector, checked((int)start), checked((int)(end - start)));
    }

    protected override Column BuildValues(int length)
    {
        if (length == 0)
        {
            _offsets.Ensure(1, 0);
            _offsets.Array[0] = 0;
        }
        return new ListColumn(Type, length, _offsets.Take(), child.Build(), pooled: true);
    }

    protected override void ReleaseValues()
    {
        _offsets.Return();
        child.Discard();
    }
}

internal sealed unsafe class StructReader(SqlType type, VectorReader[] children) : VectorReader(type)
{
    protected override void AppendValues(IntPtr vector, ulong* mask, int offset, int count)
    {
        for (var i = 0; i < children.Length; i++)
        {
            children[i].Append(NativeMethods.Vectors.DuckDBStructVectorGetChild(vector, i), offset, count);
        }
    }

    protected override Column BuildValues(int length) => new StructColumn(Type, length, [.. children.Select(c => c.Build())]);

    protected override void ReleaseValues()
    {
        foreach (var c in children) c.Discard();
    }
}

/// <summary>
/// UNION becomes a STRUCT of its members in which only the selected member is non-null. DuckDB stores a
/// union as a struct vector whose child 0 is the UTINYINT tag and children 1..n the members.
/// </summary>
internal sealed unsafe class UnionReader(SqlType type, VectorReader[] members) : VectorReader(type)
{
    protected override void AppendValues(IntPtr vector, ulong* mask, int offset, int count)
    {
        var tags = (byte*)NativeMethods.Vectors.DuckDBVectorGetData(NativeMethods.Vectors.DuckDBStructVectorGetChild(vector, 0)) + offset;
        for (var m = 0; m < members.Length; m++)
        {
            var member = members[m];
            var start = member.Count;
            member.Append(NativeMethods.Vectors.DuckDBStructVectorGetChild(vector, m + 1), offset, count);
            for (var i = 0; i < count; i++)
            {
                if (!IsValid(mask, offset + i) || tags[i] != m) member.ForceNull(start + i);
            }
        }
    }

    protected override Column BuildValues(int length) => new StructColumn(Type, length, [.. members.Select(c => c.Build())]);

    protected override void ReleaseValues()
    {
        foreach (var c in members) c.Discard();
    }
}

/// <summary>Converts the chunks of one result into batches: one reader per column.</summary>
internal sealed class ChunkConverter : IDisposable
{
    private readonly VectorReader[] _readers;

    public ChunkConverter(ResultSchema schema, IReadOnlyList<DuckDbLogicalType> types)
    {
        Schema = schema;
        _readers = [.. types.Select(VectorReader.Create)];
    }

    public ResultSchema Schema { get; }

    public void Append(DuckDBDataChunk chunk, int offset, int count)
    {
        for (var c = 0; c < _readers.Length; c++)
        {
            _readers[c].Append(NativeMethods.DataChunks.DuckDBDataChunkGetVector(chunk, c), offset, count);
        }
    }

    public ColumnBatch Build(int rows)
    {
        var columns = new Column[_readers.Length];
        try
        {
            for (var c = 0; c < columns.Length; c++) columns[c] = _readers[c].Build();
            return new ColumnBatch(Schema, rows, columns);
        }
        catch
        {
            foreach (var col in columns) col?.Dispose();
            Discard();
            throw;
        }
    }

    public void Discard()
    {
        foreach (var r in _readers) r.Discard();
    }

    public void Dispose() => Discard();
}
