using System.Buffers;
using System.Text;

namespace Gateway.Protocol.Columnar;

/// <summary>
/// Builds a column value by value. Typed appends for hot paths; <see cref="AppendObject"/> for
/// cold paths (metadata results, tests) where a boxed value is acceptable.
/// </summary>
public abstract class ColumnBuilder
{
    private byte[] _validity = new byte[8];
    private bool _anyNull;

    protected ColumnBuilder(SqlType type) => Type = type;

    public SqlType Type { get; }
    public int Count { get; private set; }

    public static ColumnBuilder Create(SqlType type) => type.Kind switch
    {
        SqlTypeKind.Null => new NullBuilder(),
        SqlTypeKind.Boolean => new BooleanBuilder(),
        SqlTypeKind.TinyInt => new PrimitiveBuilder<sbyte>(type),
        SqlTypeKind.SmallInt => new PrimitiveBuilder<short>(type),
        SqlTypeKind.Int or SqlTypeKind.Date => new PrimitiveBuilder<int>(type),
        SqlTypeKind.BigInt or SqlTypeKind.Timestamp or SqlTypeKind.TimestampTz or SqlTypeKind.Time => new PrimitiveBuilder<long>(type),
        SqlTypeKind.Float => new PrimitiveBuilder<float>(type),
        SqlTypeKind.Double => new PrimitiveBuilder<double>(type),
        SqlTypeKind.Decimal => new PrimitiveBuilder<Int128>(type),
        SqlTypeKind.Interval => new PrimitiveBuilder<IntervalValue>(type),
        SqlTypeKind.String or SqlTypeKind.Varchar or SqlTypeKind.Char or SqlTypeKind.Binary => new BinaryBuilder(type),
        SqlTypeKind.Array or SqlTypeKind.Map => new ListBuilder(type),
        SqlTypeKind.Struct => new StructBuilder(type),
        _ => throw new NotSupportedException($"No builder for {type}."),
    };

    public void AppendNull()
    {
        MarkValidity(false);
        AppendDefault();
    }

    /// <summary>Appends a boxed CLR value: null, bool, integers, float/double, decimal, string, byte[], DateOnly, DateTime, DateTimeOffset, TimeOnly, IntervalValue, IEnumerable (array), IDictionary (map), object?[] (struct).</summary>
    public void AppendObject(object? value)
    {
        if (value is null or DBNull)
        {
            AppendNull();
            return;
        }
        MarkValidity(true);
        AppendBoxed(value);
    }

    /// <summary>
    /// Appends a value in the column's storage type without boxing (hot paths): <see cref="long"/> for BigInt,
    /// Timestamp, TimestampTz and Time, <see cref="int"/> for Int and Date, <see cref="Int128"/> for Decimal (unscaled),
    /// <see cref="IntervalValue"/> for Interval, and so on. Another type throws.
    /// </summary>
    public void Append<T>(T value) where T : unmanaged
    {
        if (this is not PrimitiveBuilder<T> primitive) throw new InvalidOperationException($"A {Type} column does not store {typeof(T).Name} values.");
        MarkValidity(true);
        primitive.Put(value);
    }

    /// <summary>Appends to a Boolean column without boxing.</summary>
    public void AppendBoolean(bool value)
    {
        if (this is not BooleanBuilder boolean) throw new InvalidOperationException($"A {Type} column does not store booleans.");
        MarkValidity(true);
        boolean.Put(value);
    }

    /// <summary>Appends UTF-8 text (String, Varchar, Char) or bytes (Binary) without an intermediate string.</summary>
    public void AppendBytes(ReadOnlySpan<byte> value)
    {
        if (this is not BinaryBuilder binary) throw new InvalidOperationException($"A {Type} column does not store text or bytes.");
        MarkValidity(true);
        binary.Put(value);
    }

    protected void MarkValidity(bool valid)
    {
        var i = Count;
        if (Bitmap.ByteCount(i + 1) > _validity.Length) Array.Resize(ref _validity, _validity.Length * 2);
        if (valid) Bitmap.Set(_validity, i);
        else _anyNull = true;
        Count = i + 1;
    }

    protected abstract void AppendDefault();
    protected abstract void AppendBoxed(object value);
    protected abstract Column BuildCore(int length);

    public Column Build()
    {
        var column = BuildCore(Count);
        if (_anyNull) column.SetValidity(_validity, pooled: false);
        return column;
    }

    private sealed class NullBuilder() : ColumnBuilder(SqlType.Null)
    {
        protected override void AppendDefault() { }
        protected override void AppendBoxed(object value) => throw new InvalidOperationException("A NULL column holds only nulls.");
        protected override Column BuildCore(int length) => new NullColumn(length);
    }

    private sealed class BooleanBuilder() : ColumnBuilder(SqlType.Boolean)
    {
        private byte[] _bits = new byte[8];

        private void Grow()
        {
            if (Bitmap.ByteCount(Count) > _bits.Length) Array.Resize(ref _bits, _bits.Length * 2);
        }

        protected override void AppendDefault() => Grow();

        protected override void AppendBoxed(object value) => Put(Convert.ToBoolean(value, System.Globalization.CultureInfo.InvariantCulture));

        public void Put(bool value)
        {
            Grow();
            if (value) Bitmap.Set(_bits, Count - 1);
        }

        protected override Column BuildCore(int length) => new BooleanColumn(length, _bits);
    }

    private sealed class PrimitiveBuilder<T>(SqlType type) : ColumnBuilder(type) where T : unmanaged
    {
        private T[] _values = new T[16];

        public void Put(T v)
        {
            if (Count > _values.Length) Array.Resize(ref _values, _values.Length * 2);
            _values[Count - 1] = v;
        }

        protected override void AppendDefault() => Put(default);

        protected override void AppendBoxed(object value) => Put((T)ValueConversions.ToStorage(Type, value));

        protected override Column BuildCore(int length) => new PrimitiveColumn<T>(Type, length, _values);
    }

    private sealed class BinaryBuilder(SqlType type) : ColumnBuilder(type)
    {
        private int[] _offsets = new int[17];
        private readonly ArrayBufferWriter<byte> _data = new();

        private void End()
        {
            if (Count + 1 > _offsets.Length) Array.Resize(ref _offsets, _offsets.Length * 2);
            _offsets[Count] = _data.WrittenCount;
        }

        protected override void AppendDefault() => End();

        protected override void AppendBoxed(object value)
        {
            switch (value)
            {
                case byte[] b: _data.Write(b); break;
                case string s: Encoding.UTF8.GetBytes(s, _data); break;
                default: Encoding.UTF8.GetBytes(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "", _data); break;
            }
            End();
        }

        public void Put(ReadOnlySpan<byte> value)
        {
            _data.Write(value);
            End();
        }

        protected override Column BuildCore(int length) => new BinaryColumn(Type, length, _offsets, _data.WrittenSpan.ToArray());
    }

    private sealed class ListBuilder : ColumnBuilder
    {
        private int[] _offsets = new int[17];
        private readonly ColumnBuilder _values;

        public ListBuilder(SqlType type) : base(type) =>
            _values = type.Kind == SqlTypeKind.Map ? new StructBuilder(SqlType.Struct(type.Fields)) : Create(type.Element!);

        private void End()
        {
            if (Count + 1 > _offsets.Length) Array.Resize(ref _offsets, _offsets.Length * 2);
            _offsets[Count] = _values.Count;
        }

        protected override void AppendDefault() => End();

        protected override void AppendBoxed(object value)
        {
            if (Type.Kind == SqlTypeKind.Map)
            {
                foreach (System.Collections.DictionaryEntry e in (System.Collections.IDictionary)value)
                {
                    _values.AppendObject(new[] { e.Key, e.Value });
                }
            }
            else
            {
                foreach (var item in (System.Collections.IEnumerable)value) _values.AppendObject(item);
            }
            End();
        }

        protected override Column BuildCore(int length) => new ListColumn(Type, length, _offsets, _values.Build());
    }

    private sealed class StructBuilder : ColumnBuilder
    {
        private readonly ColumnBuilder[] _children;

        public StructBuilder(SqlType type) : base(type) => _children = [.. type.Fields.Select(f => Create(f.Type))];

        protected override void AppendDefault()
        {
            foreach (var c in _children) c.AppendNull();
        }

        protected override void AppendBoxed(object value)
        {
            var values = (object?[])value;
            for (var i = 0; i < _children.Length; i++) _children[i].AppendObject(values[i]);
        }

        protected override Column BuildCore(int length) => new StructColumn(Type, length, [.. _children.Select(c => c.Build())]);
    }
}

/// <summary>Builds a whole batch row by row from boxed values: for small, cold results only.</summary>
public sealed class BatchBuilder
{
    private readonly ColumnBuilder[] _builders;

    public BatchBuilder(ResultSchema schema)
    {
        Schema = schema;
        _builders = [.. schema.Columns.Select(c => ColumnBuilder.Create(c.Type))];
    }

    public ResultSchema Schema { get; }
    public int RowCount { get; private set; }

    public void AddRow(params object?[] values)
    {
        if (values.Length != _builders.Length) throw new ArgumentException($"Row has {values.Length} values, schema {_builders.Length}.", nameof(values));
        for (var i = 0; i < values.Length; i++) _builders[i].AppendObject(values[i]);
        RowCount++;
    }

    public ColumnBatch Build() => new(Schema, RowCount, [.. _builders.Select(b => b.Build())]);
}
