using System.Buffers;
using System.Runtime.CompilerServices;

namespace Gateway.Protocol.Columnar;

/// <summary>
/// One column of a batch in the Arrow memory layout: a validity bitmap (bit set = value present,
/// least-significant bit first) and typed buffers. Buffers may be rented from <see cref="BufferPool{T}"/>
/// and are then longer than <see cref="Length"/>; only the first Length entries are meaningful.
/// </summary>
public abstract class Column : IDisposable
{
    private byte[]? _validity;
    private bool _pooledValidity;

    protected Column(SqlType type, int length)
    {
        Type = type;
        Length = length;
    }

    public SqlType Type { get; }
    public int Length { get; protected set; }

    /// <summary>Arrow validity bitmap, or null when no value is null.</summary>
    public byte[]? Validity => _validity;

    public int NullCount { get; private set; }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool IsNull(int row) => _validity is { } v && (v[row >> 3] & (1 << (row & 7))) == 0;

    /// <summary>Takes ownership of a validity bitmap; counts its nulls.</summary>
    public void SetValidity(byte[]? validity, bool pooled)
    {
        ReturnValidity();
        _validity = validity;
        _pooledValidity = pooled;
        NullCount = validity is null ? 0 : Bitmap.CountZeros(validity, Length);
        if (NullCount == 0 && validity is not null)
        {
            ReturnValidity();
        }
    }

    /// <summary>
    /// Hands this column's validity bitmap, and the duty to return it to the pool, to <paramref name="target"/>
    /// (a column of the same length, e.g. the same values converted); this column is left without one.
    /// </summary>
    public void MoveValidityTo(Column target)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (ReferenceEquals(target, this)) return;
        if (target.Length != Length) throw new ArgumentException($"A validity bitmap of {Length} rows cannot go to a column of {target.Length}.", nameof(target));
        var (validity, pooled) = (_validity, _pooledValidity);
        _validity = null;
        _pooledValidity = false;
        NullCount = 0;
        target.SetValidity(validity, pooled);
    }

    /// <summary>Leaves the column empty once its buffers moved to another (nothing is returned to the pool twice).</summary>
    private protected void Emptied() => Length = 0;

    private void ReturnValidity()
    {
        if (_validity is not null && _pooledValidity) BufferPool<byte>.Shared.Return(_validity);
        _validity = null;
        _pooledValidity = false;
        NullCount = 0;
    }

    public void Dispose()
    {
        ReturnValidity();
        ReleaseBuffers();
        GC.SuppressFinalize(this);
    }

    protected abstract void ReleaseBuffers();
}

/// <summary>Bit-packed booleans (Arrow boolean).</summary>
public sealed class BooleanColumn : Column
{
    private readonly bool _pooled;

    public BooleanColumn(int length, byte[] bits, bool pooled = false) : base(SqlType.Boolean, length)
    {
        Bits = bits;
        _pooled = pooled;
    }

    public byte[] Bits { get; private set; }

    public bool GetValue(int row) => (Bits[row >> 3] & (1 << (row & 7))) != 0;

    protected override void ReleaseBuffers()
    {
        if (_pooled && Bits.Length > 0) BufferPool<byte>.Shared.Return(Bits);
        Bits = [];
    }
}

/// <summary>
/// Fixed-width values: sbyte, short, int (also DATE), long (also TIMESTAMP, TIME), float, double,
/// Int128 (DECIMAL unscaled) and <see cref="IntervalValue"/>.
/// </summary>
public sealed class PrimitiveColumn<T> : Column where T : unmanaged
{
    private readonly bool _pooled;
    private T[] _values;

    public PrimitiveColumn(SqlType type, int length, T[] values, bool pooled = false) : base(type, length)
    {
        if (values.Length < length) throw new ArgumentException("Value buffer shorter than the column.", nameof(values));
        _values = values;
        _pooled = pooled;
    }

    public T[] Values => _values;
    public ReadOnlySpan<T> Span => _values.AsSpan(0, Length);

    /// <summary>
    /// The same values under another type with this storage (e.g. DECIMAL(10,2) as DECIMAL(12,2)): buffers and
    /// validity move to the new column, which returns them to the pool; this column is left empty.
    /// </summary>
    public PrimitiveColumn<T> Retype(SqlType type)
    {
        ArgumentNullException.ThrowIfNull(type);
        var moved = new PrimitiveColumn<T>(type, Length, _values, _pooled);
        MoveValidityTo(moved);
        _values = [];
        Emptied();
        return moved;
    }

    protected override void ReleaseBuffers()
    {
        if (_pooled && _values.Length > 0) BufferPool<T>.Shared.Return(_values);
        _values = [];
    }
}

/// <summary>Variable-length values (UTF-8 text or binary): Length+1 offsets into a data buffer.</summary>
public sealed class BinaryColumn : Column
{
    private readonly bool _pooled;

    public BinaryColumn(SqlType type, int length, int[] offsets, byte[] data, bool pooled = false) : base(type, length)
    {
        if (offsets.Length < length + 1) throw new ArgumentException("Offsets buffer shorter than the column.", nameof(offsets));
        Offsets = offsets;
        Data = data;
        _pooled = pooled;
    }

    public int[] Offsets { get; private set; }
    public byte[] Data { get; private set; }
    public int DataLength => Offsets[Length];

    public ReadOnlySpan<byte> GetBytes(int row) => Data.AsSpan(Offsets[row], Offsets[row + 1] - Offsets[row]);
    public string GetString(int row) => System.Text.Encoding.UTF8.GetString(GetBytes(row));

    /// <summary>The same bytes under another text or binary type (STRING as VARCHAR(20)); buffers and validity move, this column is left empty.</summary>
    public BinaryColumn Retype(SqlType type)
    {
        ArgumentNullException.ThrowIfNull(type);
        var moved = new BinaryColumn(type, Length, Offsets, Data, _pooled);
        MoveValidityTo(moved);
        Offsets = [];
        Data = [];
        Emptied();
        return moved;
    }

    protected override void ReleaseBuffers()
    {
        if (_pooled)
        {
            if (Offsets.Length > 0) BufferPool<int>.Shared.Return(Offsets);
            if (Data.Length > 0) BufferPool<byte>.Shared.Return(Data);
        }
        Offsets = [];
        Data = [];
    }
}

/// <summary>ARRAY (and MAP, whose values are a struct of key and value): Length+1 offsets into a child column.</summary>
public sealed class ListColumn : Column
{
    private readonly bool _pooled;

    public ListColumn(SqlType type, int length, int[] offsets, Column values, bool pooled = false) : base(type, length)
    {
        if (type.Kind is not (SqlTypeKind.Array or SqlTypeKind.Map)) throw new ArgumentException("A list column is ARRAY or MAP.", nameof(type));
        Offsets = offsets;
        Values = values;
        _pooled = pooled;
    }

    public int[] Offsets { get; private set; }
    /// <summary>For MAP: a <see cref="StructColumn"/> with fields key and value.</summary>
    public Column Values { get; }

    protected override void ReleaseBuffers()
    {
        if (_pooled && Offsets.Length > 0) BufferPool<int>.Shared.Return(Offsets);
        Offsets = [];
        Values.Dispose();
    }
}

public sealed class StructColumn : Column
{
    public StructColumn(SqlType type, int length, Column[] children) : base(type, length)
    {
        if (type.Kind != SqlTypeKind.Struct && !(type.Kind == SqlTypeKind.Map)) throw new ArgumentException("A struct column is STRUCT.", nameof(type));
        Children = children;
    }

    public Column[] Children { get; }

    protected override void ReleaseBuffers()
    {
        foreach (var c in Children) c.Dispose();
    }
}

/// <summary>A column of the NULL type: every value is null and there are no buffers.</summary>
public sealed class NullColumn : Column
{
    public NullColumn(int length) : base(SqlType.Null, length) { }

    protected override void ReleaseBuffers() { }
}

public static class Bitmap
{
    public static int ByteCount(int bits) => (bits + 7) >> 3;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Set(Span<byte> bitmap, int i) => bitmap[i >> 3] |= (byte)(1 << (i & 7));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Get(ReadOnlySpan<byte> bitmap, int i) => (bitmap[i >> 3] & (1 << (i & 7))) != 0;

    public static int CountZeros(ReadOnlySpan<byte> bitmap, int bits)
    {
        var full = bits >> 3;
        var ones = 0;
        for (var i = 0; i < full; i++) ones += System.Numerics.BitOperations.PopCount(bitmap[i]);
        for (var i = full << 3; i < bits; i++) if (Get(bitmap, i)) ones++;
        return bits - ones;
    }
}
