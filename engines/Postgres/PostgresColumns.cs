using System.Buffers;
using System.Text;
using Gateway.Protocol.Columnar;
using Npgsql;
using NpgsqlTypes;

namespace Gateway.Engines.Postgres;

// Column builders that read PostgreSQL values straight into the Arrow-layout buffers of a ColumnBatch: from a
// binary COPY export (NpgsqlBinaryExporter) or from a data reader's current row. Buffers come from ArrayPool and
// are handed to the built Column, whose Dispose returns them. Hot types (bool, integers, floats, dates, times,
// timestamps, intervals, decimals up to 28 digits) are never boxed; text and bytea cost one array per value
// (Npgsql has no span API for them).

/// <summary>An Arrow validity bitmap, rented only once a null shows up; every bit not cleared means "present".</summary>
internal sealed class NullMask
{
    private byte[]? _bits;

    public void SetNull(int row)
    {
        Ensure(row + 1);
        _bits![row >> 3] &= (byte)~(1 << (row & 7));
    }

    private void Ensure(int rows)
    {
        var bytes = Bitmap.ByteCount(rows);
        if (_bits is not null && _bits.Length >= bytes) return;
        var grown = BufferPool<byte>.Shared.Rent(Math.Max(bytes, Math.Max((_bits?.Length ?? 0) * 2, 128)));
        grown.AsSpan().Fill(0xFF);
        if (_bits is not null)
        {
            _bits.CopyTo(grown, 0);
            BufferPool<byte>.Shared.Return(_bits);
        }
        _bits = grown;
    }

    public void AttachTo(Column column, int rows)
    {
        if (_bits is null) return;
        Ensure(rows);
        column.SetValidity(_bits, pooled: true);
        _bits = null;
    }

    public void Release()
    {
        if (_bits is not null) BufferPool<byte>.Shared.Return(_bits);
        _bits = null;
    }
}

/// <summary>Typed appends, used by array columns to fill their element column.</summary>
internal interface IValueSink<in T>
{
    void Append(T value);
    void AppendNull();
}

internal abstract class PgColumn
{
    protected PgColumn(SqlType type) => Type = type;

    public SqlType Type { get; }

    /// <summary>Values accumulated for the batch being built.</summary>
    public int Count { get; protected set; }

    private readonly NullMask _nulls = new();

    /// <summary>Reads the exporter's current column (and moves to the next).</summary>
    public abstract ValueTask ReadCopyAsync(NpgsqlBinaryExporter exporter, CancellationToken cancellationToken);

    /// <summary>Reads column <paramref name="ordinal"/> of the reader's current (buffered) row.</summary>
    public abstract void ReadRow(NpgsqlDataReader reader, int ordinal);

    public void AppendNull()
    {
        _nulls.SetNull(Count);
        AppendDefault();
    }

    protected abstract void AppendDefault();
    protected abstract Column BuildValues(int length);
    protected abstract void ReleaseValues();

    /// <summary>Builds the column of the accumulated values, handing it the buffers, and starts over.</summary>
    public Column Build()
    {
        var length = Count;
        var column = BuildValues(length);
        _nulls.AttachTo(column, length);
        Count = 0;
        return column;
    }

    /// <summary>Returns every buffer to the pool (after a failure mid-batch, or when the result closes).</summary>
    public void Discard()
    {
        _nulls.Release();
        ReleaseValues();
        Count = 0;
    }

    /// <summary>
    /// Whether the exporter's current column is NULL, for values read as reference types (Npgsql returns null
    /// only for Nullable&lt;T&gt;). It reads the 4-byte length, which is normally buffered with the row.
    /// </summary>
    protected static bool SkipIfNull(NpgsqlBinaryExporter exporter)
    {
        if (!exporter.IsNull) return false;
        exporter.Skip();
        return true;
    }

    public static PgColumn Create(PgColumnPlan plan, bool copy) => plan.Kind switch
    {
        PgReadKind.Bool => new BoolColumn(),
        PgReadKind.Int2 => new FixedColumn<short, short>(plan.Type, NpgsqlDbType.Smallint, static v => v),
        PgReadKind.Int4 => new FixedColumn<int, int>(plan.Type, NpgsqlDbType.Integer, static v => v),
        PgReadKind.Int8 => new FixedColumn<long, long>(plan.Type, NpgsqlDbType.Bigint, static v => v),
        PgReadKind.Float4 => new FixedColumn<float, float>(plan.Type, NpgsqlDbType.Real, static v => v),
        PgReadKind.Float8 => new FixedColumn<double, double>(plan.Type, NpgsqlDbType.Double, static v => v),
        PgReadKind.Date => new FixedColumn<int, int>(plan.Type, NpgsqlDbType.Date, PgTime.DateFromRaw),
        PgReadKind.Time => new FixedColumn<long, long>(plan.Type, NpgsqlDbType.Time, static v => v),
        PgReadKind.Timestamp => new FixedColumn<long, long>(plan.Type, NpgsqlDbType.Timestamp, PgTime.TimestampFromRaw),
        PgReadKind.TimestampTz => new FixedColumn<long, long>(plan.Type, NpgsqlDbType.TimestampTz, PgTime.TimestampFromRaw),
        PgReadKind.Interval => new FixedColumn<NpgsqlInterval, IntervalValue>(plan.Type, NpgsqlDbType.Interval, static v => new IntervalValue(v.Months, v.Days, v.Time)),
        PgReadKind.DecimalFast or PgReadKind.DecimalWide => new DecimalColumn(plan.Type, wide: plan.Kind == PgReadKind.DecimalWide),
        PgReadKind.Text or PgReadKind.Jsonb or PgReadKind.Uuid or PgReadKind.Bytea => new BytesColumn(plan.Type, plan.Kind),
        PgReadKind.Array => CreateArray(plan, copy),
        _ => throw new NotSupportedException($"No reader for {plan.Kind}."),
    };

    private static PgColumn CreateArray(PgColumnPlan plan, bool copy)
    {
        var element = plan.Element!;
        var child = Create(element, copy);
        return element.Kind switch
        {
            PgReadKind.Bool => new ArrayColumn<bool>(plan.Type, NpgsqlDbType.Boolean, child),
            PgReadKind.Int2 => new ArrayColumn<short>(plan.Type, NpgsqlDbType.Smallint, child),
            PgReadKind.Int4 => new ArrayColumn<int>(plan.Type, NpgsqlDbType.Integer, child),
            PgReadKind.Int8 => new ArrayColumn<long>(plan.Type, NpgsqlDbType.Bigint, child),
            PgReadKind.Float4 => new ArrayColumn<float>(plan.Type, NpgsqlDbType.Real, child),
            PgReadKind.Float8 => new ArrayColumn<double>(plan.Type, NpgsqlDbType.Double, child),
            PgReadKind.Date => new ArrayColumn<int>(plan.Type, NpgsqlDbType.Date, child),
            PgReadKind.Time => new ArrayColumn<long>(plan.Type, NpgsqlDbType.Time, child),
            PgReadKind.Timestamp => new ArrayColumn<long>(plan.Type, NpgsqlDbType.Timestamp, child),
            PgReadKind.TimestampTz => new ArrayColumn<long>(plan.Type, NpgsqlDbType.TimestampTz, child),
            PgReadKind.Interval => new ArrayColumn<NpgsqlInterval>(plan.Type, NpgsqlDbType.Interval, child),
            PgReadKind.DecimalFast or PgReadKind.DecimalWide => new ArrayColumn<decimal>(plan.Type, NpgsqlDbType.Numeric, child),
            PgReadKind.Uuid => new ArrayColumn<Guid>(plan.Type, NpgsqlDbType.Uuid, child),
            PgReadKind.Text => new RefArrayColumn<string>(plan.Type, NpgsqlDbType.Text, child),
            PgReadKind.Jsonb => new RefArrayColumn<string>(plan.Type, NpgsqlDbType.Jsonb, child),
            PgReadKind.Bytea => new RefArrayColumn<byte[]>(plan.Type, NpgsqlDbType.Bytea, child),
            _ => throw new NotSupportedException($"No array reader for {element.Kind}."),
        };
    }
}

/// <summary>PostgreSQL's epoch is 2000-01-01; ±infinity (the extreme values) are kept as they are.</summary>
internal static class PgTime
{
    public const int EpochDays = 10_957;
    public const long EpochMicros = EpochDays * 86_400_000_000L;

    public static int DateFromRaw(int raw) => raw is int.MaxValue or int.MinValue ? raw : raw + EpochDays;

    public static long TimestampFromRaw(long raw) => raw is long.MaxValue or long.MinValue ? raw : raw + EpochMicros;
}

internal sealed class BoolColumn() : PgColumn(SqlType.Boolean), IValueSink<bool>
{
    private readonly PooledBuffer<byte> _bits = new();

    public void Append(bool value)
    {
        var i = Count;
        _bits.Ensure(Bitmap.ByteCount(i + 1), Bitmap.ByteCount(i));
        ref var b = ref _bits.Array[i >> 3];
        if ((i & 7) == 0) b = 0;
        if (value) b |= (byte)(1 << (i & 7));
        Count = i + 1;
    }

    protected override void AppendDefault() => Append(false);

    public override ValueTask ReadCopyAsync(NpgsqlBinaryExporter exporter, CancellationToken cancellationToken)
    {
        var read = exporter.ReadAsync<bool?>(NpgsqlDbType.Boolean, cancellationToken);
        if (!read.IsCompletedSuccessfully) return Slow(read);
        Put(read.Result);
        return default;
    }

    private async ValueTask Slow(ValueTask<bool?> read) => Put(await read.ConfigureAwait(false));

    private void Put(bool? v)
    {
        if (v is { } x) Append(x);
        else AppendNull();
    }

    public override void ReadRow(NpgsqlDataReader reader, int ordinal)
    {
        if (reader.IsDBNull(ordinal)) AppendNull();
        else Append(reader.GetBoolean(ordinal));
    }

    protected override Column BuildValues(int length) => new BooleanColumn(length, length == 0 ? [] : _bits.Take(), pooled: length > 0);

    protected override void ReleaseValues() => _bits.Return();
}

/// <summary>Fixed-width values read as <typeparamref name="TPg"/> (Npgsql's raw form) and stored as <typeparamref name="T"/>.</summary>
internal sealed class FixedColumn<TPg, T>(SqlType type, NpgsqlDbType dbType, Func<TPg, T> convert) : PgColumn(type), IValueSink<TPg>
    where TPg : struct
    where T : unmanaged
{
    private readonly PooledBuffer<T> _values = new();

    public void Append(TPg value) => Store(convert(value));

    private void Store(T value)
    {
        var i = Count;
        _values.Ensure(i + 1, i);
        _values.Array[i] = value;
        Count = i + 1;
    }

    protected override void AppendDefault() => Store(default);

    public override ValueTask ReadCopyAsync(NpgsqlBinaryExporter exporter, CancellationToken cancellationToken)
    {
        var read = exporter.ReadAsync<TPg?>(dbType, cancellationToken);
        if (!read.IsCompletedSuccessfully) return Slow(read);
        Put(read.Result);
        return default;
    }

    private async ValueTask Slow(ValueTask<TPg?> read) => Put(await read.ConfigureAwait(false));

    private void Put(TPg? v)
    {
        if (v is { } x) Append(x);
        else AppendNull();
    }

    public override void ReadRow(NpgsqlDataReader reader, int ordinal)
    {
        if (reader.IsDBNull(ordinal)) AppendNull();
        else Append(reader.GetFieldValue<TPg>(ordinal));
    }

    protected override Column BuildValues(int length) =>
        length == 0 ? new PrimitiveColumn<T>(Type, 0, []) : new PrimitiveColumn<T>(Type, length, _values.Take(), pooled: true);

    protected override void ReleaseValues() => _values.Return();
}

/// <summary>
/// numeric as unscaled Int128 at the column's scale. Up to 28 digits Npgsql's System.Decimal read is exact;
/// wider or unconstrained columns are decoded from numeric's wire bytes.
/// </summary>
internal sealed class DecimalColumn(SqlType type, bool wide) : PgColumn(type), IValueSink<decimal>
{
    private readonly PooledBuffer<Int128> _values = new();
    private byte[] _scratch = [];

    public void Append(decimal value) => Store(PostgresNumeric.FromDecimal(value, Type.Scale));

    private void Store(Int128 value)
    {
        var i = Count;
        _values.Ensure(i + 1, i);
        _values.Array[i] = value;
        Count = i + 1;
    }

    protected override void AppendDefault() => Store(0);

    public override ValueTask ReadCopyAsync(NpgsqlBinaryExporter exporter, CancellationToken cancellationToken)
    {
        if (wide)
        {
            if (SkipIfNull(exporter))
            {
                AppendNull();
                return default;
            }
            // The exporter interprets bytes as told: as bytea they are numeric's binary form, undecoded.
            var raw = exporter.ReadAsync<byte[]>(NpgsqlDbType.Bytea, cancellationToken);
            if (!raw.IsCompletedSuccessfully) return SlowWide(raw);
            Store(PostgresNumeric.FromBinary(raw.Result, Type.Scale));
            return default;
        }
        ValueTask<decimal?> read;
        try
        {
            read = exporter.ReadAsync<decimal?>(NpgsqlDbType.Numeric, cancellationToken);
        }
        catch (InvalidCastException e)
        {
            throw NoDecimal(e);
        }
        if (!read.IsCompletedSuccessfully) return Slow(read);
        Put(read.Result);
        return default;
    }

    /// <summary>Npgsql refuses NaN and ±Infinity as System.Decimal.</summary>
    private static EngineException NoDecimal(Exception e) => new("A numeric value (NaN or Infinity) has no decimal representation.", "22003", inner: e);

    private async ValueTask SlowWide(ValueTask<byte[]> read) => Store(PostgresNumeric.FromBinary(await read.ConfigureAwait(false), Type.Scale));

    private async ValueTask Slow(ValueTask<decimal?> read)
    {
        try
        {
            Put(await read.ConfigureAwait(false));
        }
        catch (InvalidCastException e)
        {
            throw NoDecimal(e);
        }
    }

    private void Put(decimal? v)
    {
        if (v is { } x) Append(x);
        else AppendNull();
    }

    public override void ReadRow(NpgsqlDataReader reader, int ordinal)
    {
        if (reader.IsDBNull(ordinal)) AppendNull();
        else if (wide)
        {
            // numeric's wire bytes, decoded here: exact at any precision, no allocation.
            var length = (int)reader.GetBytes(ordinal, 0, null, 0, 0);
            if (_scratch.Length < length) _scratch = new byte[Math.Max(length, 64)];
            reader.GetBytes(ordinal, 0, _scratch, 0, length);
            Store(PostgresNumeric.FromBinary(_scratch.AsSpan(0, length), Type.Scale));
        }
        else
        {
            decimal value;
            try
            {
                value = reader.GetFieldValue<decimal>(ordinal);
            }
            catch (InvalidCastException e)
            {
                throw NoDecimal(e);
            }
            Append(value);
        }
    }

    protected override Column BuildValues(int length) =>
        length == 0 ? new PrimitiveColumn<Int128>(Type, 0, []) : new PrimitiveColumn<Int128>(Type, length, _values.Take(), pooled: true);

    protected override void ReleaseValues() => _values.Return();
}

/// <summary>UTF-8 text (text, varchar, char, name, json, jsonb, uuid, anything read as text) or bytea.</summary>
internal sealed class BytesColumn(SqlType type, PgReadKind kind) : PgColumn(type), IValueSink<string>, IValueSink<byte[]>, IValueSink<Guid>
{
    private readonly PooledBuffer<int> _offsets = new();
    private readonly PooledBuffer<byte> _data = new();
    private int _dataLength;

    private void End()
    {
        var i = Count;
        _offsets.Ensure(i + 2, i + 1);
        if (i == 0) _offsets.Array[0] = 0;
        _offsets.Array[i + 1] = _dataLength;
        Count = i + 1;
    }

    private void Put(ReadOnlySpan<byte> bytes)
    {
        _data.Ensure(_dataLength + bytes.Length, _dataLength);
        bytes.CopyTo(_data.Array.AsSpan(_dataLength));
        _dataLength += bytes.Length;
        End();
    }

    public void Append(string value)
    {
        var max = Encoding.UTF8.GetMaxByteCount(value.Length);
        _data.Ensure(_dataLength + max, _dataLength);
        _dataLength += Encoding.UTF8.GetBytes(value, _data.Array.AsSpan(_dataLength));
        End();
    }

    public void Append(byte[] value) => Put(value);

    public void Append(Guid value)
    {
        _data.Ensure(_dataLength + 36, _dataLength);
        value.TryFormat(_data.Array.AsSpan(_dataLength), out var written, "D");
        _dataLength += written;
        End();
    }

    protected override void AppendDefault() => End();

    public override ValueTask ReadCopyAsync(NpgsqlBinaryExporter exporter, CancellationToken cancellationToken)
    {
        if (kind == PgReadKind.Uuid)
        {
            var guid = exporter.ReadAsync<Guid?>(NpgsqlDbType.Uuid, cancellationToken);
            if (!guid.IsCompletedSuccessfully) return SlowGuid(guid);
            PutGuid(guid.Result);
            return default;
        }
        if (SkipIfNull(exporter))
        {
            AppendNull();
            return default;
        }
        // Text types are sent as their UTF-8 bytes: read them as bytea, without decoding to a string.
        var read = exporter.ReadAsync<byte[]>(NpgsqlDbType.Bytea, cancellationToken);
        if (!read.IsCompletedSuccessfully) return Slow(read);
        PutRaw(read.Result);
        return default;
    }

    private async ValueTask Slow(ValueTask<byte[]> read) => PutRaw(await read.ConfigureAwait(false));

    private async ValueTask SlowGuid(ValueTask<Guid?> read) => PutGuid(await read.ConfigureAwait(false));

    private void PutGuid(Guid? v)
    {
        if (v is { } x) Append(x);
        else AppendNull();
    }

    private void PutRaw(byte[] raw)
    {
        // jsonb's binary form starts with a format version byte (1).
        if (kind == PgReadKind.Jsonb && raw.Length > 0) Put(raw.AsSpan(1));
        else Put(raw);
    }

    public override void ReadRow(NpgsqlDataReader reader, int ordinal)
    {
        if (reader.IsDBNull(ordinal))
        {
            AppendNull();
            return;
        }
        if (kind == PgReadKind.Uuid)
        {
            Append(reader.GetGuid(ordinal));
            return;
        }
        // GetBytes hands over a value's wire bytes, whatever its type: text is UTF-8 already, so it is copied
        // straight into the column's buffer without a string in between. jsonb starts with its version byte.
        var skip = kind == PgReadKind.Jsonb ? 1 : 0;
        var length = (int)reader.GetBytes(ordinal, 0, null, 0, 0) - skip;
        if (length > 0)
        {
            _data.Ensure(_dataLength + length, _dataLength);
            _dataLength += (int)reader.GetBytes(ordinal, skip, _data.Array, _dataLength, length);
        }
        End();
    }

    protected override Column BuildValues(int length)
    {
        if (length == 0) return new BinaryColumn(Type, 0, [0], []);
        var data = _dataLength == 0 ? [] : _data.Take();
        var column = new BinaryColumn(Type, length, _offsets.Take(), data, pooled: true);
        _dataLength = 0;
        return column;
    }

    protected override void ReleaseValues()
    {
        _offsets.Return();
        _data.Return();
        _dataLength = 0;
    }
}

/// <summary>
/// A one-dimensional array read as <typeparamref name="TItem"/>[] (elements may be NULL): offsets here, elements in
/// <paramref name="child"/>. Subclasses say how one element reaches the child.
/// </summary>
internal abstract class ArrayColumnBase<TItem>(SqlType type, NpgsqlDbType elementType, PgColumn child) : PgColumn(type)
{
    private readonly PooledBuffer<int> _offsets = new();

    /// <summary>Appends one element (or a NULL element) to the child column.</summary>
    protected abstract void AppendElement(TItem item);

    private void End()
    {
        var i = Count;
        _offsets.Ensure(i + 2, i + 1);
        if (i == 0) _offsets.Array[0] = 0;
        _offsets.Array[i + 1] = child.Count;
        Count = i + 1;
    }

    private void Put(TItem[] values)
    {
        foreach (var v in values) AppendElement(v);
        End();
    }

    protected override void AppendDefault() => End();

    public override async ValueTask ReadCopyAsync(NpgsqlBinaryExporter exporter, CancellationToken cancellationToken)
    {
        if (SkipIfNull(exporter))
        {
            AppendNull();
            return;
        }
        Put(await exporter.ReadAsync<TItem[]>(NpgsqlDbType.Array | elementType, cancellationToken).ConfigureAwait(false));
    }

    public override void ReadRow(NpgsqlDataReader reader, int ordinal)
    {
        if (reader.IsDBNull(ordinal)) AppendNull();
        else Put(reader.GetFieldValue<TItem[]>(ordinal));
    }

    protected override Column BuildValues(int length)
    {
        var values = child.Build();
        return length == 0 ? new ListColumn(Type, 0, [0], values) : new ListColumn(Type, length, _offsets.Take(), values, pooled: true);
    }

    protected override void ReleaseValues()
    {
        _offsets.Return();
        child.Discard();
    }
}

/// <summary>A one-dimensional array of a value-type element (read as <c>TPg?[]</c>, so elements may be NULL).</summary>
internal sealed class ArrayColumn<TPg>(SqlType type, NpgsqlDbType elementType, PgColumn child) : ArrayColumnBase<TPg?>(type, elementType, child)
    where TPg : struct
{
    private readonly IValueSink<TPg> _sink = (IValueSink<TPg>)child;

    protected override void AppendElement(TPg? item)
    {
        if (item is { } x) _sink.Append(x);
        else _sink.AppendNull();
    }
}

/// <summary>A one-dimensional array of text or bytea elements.</summary>
internal sealed class RefArrayColumn<TPg>(SqlType type, NpgsqlDbType elementType, PgColumn child) : ArrayColumnBase<TPg?>(type, elementType, child)
    where TPg : class
{
    private readonly IValueSink<TPg> _sink = (IValueSink<TPg>)child;

    protected override void AppendElement(TPg? item)
    {
        if (item is null) _sink.AppendNull();
        else _sink.Append(item);
    }
}
