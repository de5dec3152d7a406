namespace Gateway.Protocol.Columnar;

/// <summary>Copies a row range of a batch into a new batch (used when a client fetches fewer rows than a batch holds).</summary>
public static class ColumnSlicer
{
    public static ColumnBatch Slice(ColumnBatch batch, int offset, int count)
    {
        if (offset < 0 || count < 0 || offset + count > batch.RowCount) throw new ArgumentOutOfRangeException(nameof(offset));
        var columns = new Column[batch.Columns.Length];
        for (var i = 0; i < columns.Length; i++) columns[i] = Slice(batch.Columns[i], offset, count);
        return new ColumnBatch(batch.Schema, count, columns);
    }

    public static Column Slice(Column column, int offset, int count)
    {
        Column result = column switch
        {
            BooleanColumn b => new BooleanColumn(count, CopyBits(b.Bits, offset, count)),
            PrimitiveColumn<sbyte> p => Copy(p, offset, count),
            PrimitiveColumn<short> p => Copy(p, offset, count),
            PrimitiveColumn<int> p => Copy(p, offset, count),
            PrimitiveColumn<long> p => Copy(p, offset, count),
            PrimitiveColumn<float> p => Copy(p, offset, count),
            PrimitiveColumn<double> p => Copy(p, offset, count),
            PrimitiveColumn<Int128> p => Copy(p, offset, count),
            PrimitiveColumn<IntervalValue> p => Copy(p, offset, count),
            BinaryColumn v => SliceBinary(v, offset, count),
            ListColumn l => SliceList(l, offset, count),
            StructColumn s => new StructColumn(s.Type, count, [.. s.Children.Select(c => Slice(c, offset, count))]),
            NullColumn => new NullColumn(count),
            _ => throw new NotSupportedException($"Cannot slice {column.GetType().Name}."),
        };
        if (column.Validity is { } validity) result.SetValidity(CopyBits(validity, offset, count), pooled: false);
        return result;
    }

    private static PrimitiveColumn<T> Copy<T>(PrimitiveColumn<T> p, int offset, int count) where T : unmanaged =>
        new(p.Type, count, p.Values.AsSpan(offset, count).ToArray());

    private static BinaryColumn SliceBinary(BinaryColumn v, int offset, int count)
    {
        var start = v.Offsets[offset];
        var offsets = new int[count + 1];
        for (var i = 0; i <= count; i++) offsets[i] = v.Offsets[offset + i] - start;
        return new BinaryColumn(v.Type, count, offsets, v.Data.AsSpan(start, offsets[count]).ToArray());
    }

    private static ListColumn SliceList(ListColumn l, int offset, int count)
    {
        var start = l.Offsets[offset];
        var offsets = new int[count + 1];
        for (var i = 0; i <= count; i++) offsets[i] = l.Offsets[offset + i] - start;
        return new ListColumn(l.Type, count, offsets, Slice(l.Values, start, offsets[count]));
    }

    private static byte[] CopyBits(byte[] bits, int offset, int count)
    {
        var result = new byte[Bitmap.ByteCount(count)];
        if ((offset & 7) == 0)
        {
            bits.AsSpan(offset >> 3, result.Length).CopyTo(result);
            return result;
        }
        for (var i = 0; i < count; i++)
        {
            if (Bitmap.Get(bits, offset + i)) Bitmap.Set(result, i);
        }
        return result;
    }
}
