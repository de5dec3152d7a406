using System.Buffers;

namespace Gateway.Protocol.Columnar;

/// <summary>
/// Joins row ranges of batches of one schema into a new batch of pooled buffers (each range's values copied
/// once; offsets rebased; validity joined bit by bit, kept only when a NULL is among the rows). Nested columns
/// are joined through their children: a list's child over the range its offsets cover, a struct's children
/// over the struct's rows. The inputs are left as they were (the caller disposes them).
/// </summary>
public static class ColumnConcat
{
    public static ColumnBatch Concat(ResultSchema schema, IReadOnlyList<(ColumnBatch Batch, int Offset, int Count)> parts)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(parts);
        var total = 0;
        foreach (var (batch, offset, count) in parts)
        {
            if (batch.Columns.Length != schema.Count) throw new ArgumentException($"A batch of {batch.Columns.Length} columns cannot join a schema of {schema.Count}.", nameof(parts));
            if (offset < 0 || count < 0 || offset > batch.RowCount - count) throw new ArgumentOutOfRangeException(nameof(parts), $"Rows {offset}..{offset + count} are outside a batch of {batch.RowCount}.");
            total = checked(total + count);
        }
        var columns = new Column[schema.Count];
        try
        {
            var ranges = new List<Range>(parts.Count);
            for (var c = 0; c < columns.Length; c++)
            {
                ranges.Clear();
                foreach (var (batch, offset, count) in parts) ranges.Add(new Range(batch.Columns[c], offset, count));
                columns[c] = Join(schema.Columns[c].Type, ranges, total);
            }
        }
        catch
        {
            foreach (var col in columns) col?.Dispose();
            throw;
        }
        return new ColumnBatch(schema, total, columns);
    }

    private readonly record struct Range(Column Column, int Offset, int Count);

    private static Column Join(SqlType type, List<Range> ranges, int total)
    {
        if (type.Kind == SqlTypeKind.Null || ranges.TrueForAll(r => r.Column is NullColumn)) return new NullColumn(total);
        var first = ranges.Find(r => r.Column is not NullColumn).Column;
        Column result = first switch
        {
            BooleanColumn => Booleans(ranges, total),
            BinaryColumn => Bytes(type, ranges, total),
            PrimitiveColumn<sbyte> => Values<sbyte>(type, ranges, total),
            PrimitiveColumn<short> => Values<short>(type, ranges, total),
            PrimitiveColumn<int> => Values<int>(type, ranges, total),
            PrimitiveColumn<long> => Values<long>(type, ranges, total),
            PrimitiveColumn<float> => Values<float>(type, ranges, total),
            PrimitiveColumn<double> => Values<double>(type, ranges, total),
            PrimitiveColumn<Int128> => Values<Int128>(type, ranges, total),
            PrimitiveColumn<IntervalValue> => Values<IntervalValue>(type, ranges, total),
            ListColumn => Lists(type, ranges, total),
            StructColumn s => Structs(type, s, ranges, total),
            _ => throw new NotSupportedException($"Cannot join a {first.GetType().Name}."),
        };
        try
        {
            SetValidity(result, ranges, total);
        }
        catch
        {
            result.Dispose();
            throw;
        }
        return result;
    }

    private static T Same<T>(Range r) where T : Column => r.Column as T
        ?? throw new ArgumentException($"A {r.Column.GetType().Name} of {r.Column.Type} cannot join columns of another kind.", nameof(r));

    private static bool IsNull(Column column, int row) => column is NullColumn || column.IsNull(row);

    private static void SetValidity(Column target, List<Range> ranges, int total)
    {
        if (!ranges.Exists(r => r.Column is NullColumn || (r.Column.NullCount > 0 && AnyNull(r)))) return;
        var bytes = Bitmap.ByteCount(total);
        var validity = BufferPool<byte>.Shared.Rent(Math.Max(1, bytes));
        validity.AsSpan(0, bytes).Fill(0xFF);
        var row = 0;
        foreach (var r in ranges)
        {
            for (var i = r.Offset; i < r.Offset + r.Count; i++, row++)
            {
                if (IsNull(r.Column, i)) validity[row >> 3] &= (byte)~(1 << (row & 7));
            }
        }
        target.SetValidity(validity, pooled: true);
    }

    private static bool AnyNull(Range r)
    {
        for (var i = r.Offset; i < r.Offset + r.Count; i++)
        {
            if (r.Column.IsNull(i)) return true;
        }
        return false;
    }

    private static BooleanColumn Booleans(List<Range> ranges, int total)
    {
        var bytes = Bitmap.ByteCount(total);
        var bits = BufferPool<byte>.Shared.Rent(Math.Max(1, bytes));
        bits.AsSpan(0, bytes).Clear();
        var row = 0;
        foreach (var r in ranges)
        {
            if (r.Column is NullColumn)
            {
                row += r.Count;
                continue;
            }
            var col = Same<BooleanColumn>(r);
            for (var i = r.Offset; i < r.Offset + r.Count; i++, row++)
            {
                if (col.GetValue(i)) Bitmap.Set(bits, row);
            }
        }
        return new BooleanColumn(total, bits, pooled: true);
    }

    private static PrimitiveColumn<T> Values<T>(SqlType type, List<Range> ranges, int total) where T : unmanaged
    {
        var values = BufferPool<T>.Shared.Rent(Math.Max(1, total));
        var row = 0;
        foreach (var r in ranges)
        {
            if (r.Column is NullColumn) values.AsSpan(row, r.Count).Clear();
            else Same<PrimitiveColumn<T>>(r).Values.AsSpan(r.Offset, r.Count).CopyTo(values.AsSpan(row));
            row += r.Count;
        }
        return new PrimitiveColumn<T>(type, total, values, pooled: true);
    }

    private static BinaryColumn Bytes(SqlType type, List<Range> ranges, int total)
    {
        var size = 0;
        foreach (var r in ranges)
        {
            if (r.Column is NullColumn) continue;
            var col = Same<BinaryColumn>(r);
            size = checked(size + col.Offsets[r.Offset + r.Count] - col.Offsets[r.Offset]);
        }
        var offsets = BufferPool<int>.Shared.Rent(total + 1);
        var data = BufferPool<byte>.Shared.Rent(Math.Max(1, size));
        var row = 0;
        var at = 0;
        foreach (var r in ranges)
        {
            if (r.Column is NullColumn)
            {
                offsets.AsSpan(row, r.Count).Fill(at);
                row += r.Count;
                continue;
            }
            var col = (BinaryColumn)r.Column;
            var start = col.Offsets[r.Offset];
            for (var i = r.Offset; i < r.Offset + r.Count; i++, row++) offsets[row] = at + col.Offsets[i] - start;
            var length = col.Offsets[r.Offset + r.Count] - start;
            col.Data.AsSpan(start, length).CopyTo(data.AsSpan(at));
            at += length;
        }
        offsets[total] = at;
        return new BinaryColumn(type, total, offsets, data, pooled: true);
    }

    private static ListColumn Lists(SqlType type, List<Range> ranges, int total)
    {
        var offsets = BufferPool<int>.Shared.Rent(total + 1);
        var children = new List<Range>(ranges.Count);
        var row = 0;
        var at = 0;
        try
        {
            foreach (var r in ranges)
            {
                if (r.Column is NullColumn)
                {
                    offsets.AsSpan(row, r.Count).Fill(at);
                    row += r.Count;
                    continue;
                }
                var col = Same<ListColumn>(r);
                var start = col.Offsets[r.Offset];
                for (var i = r.Offset; i < r.Offset + r.Count; i++, row++) offsets[row] = at + col.Offsets[i] - start;
                var length = col.Offsets[r.Offset + r.Count] - start;
                children.Add(new Range(col.Values, start, length));
                at = checked(at + length);
            }
            offsets[total] = at;
            var childType = type.Kind == SqlTypeKind.Map ? SqlType.Struct(type.Fields) : type.Element!;
            var values = children.Count == 0 ? ColumnBuilder.Create(childType).Build() : Join(childType, children, at);
            return new ListColumn(type, total, offsets, values, pooled: true);
        }
        catch
        {
            BufferPool<int>.Shared.Return(offsets);
            throw;
        }
    }

    private static StructColumn Structs(SqlType type, StructColumn first, List<Range> ranges, int total)
    {
        var children = new Column[first.Children.Length];
        var childRanges = new List<Range>(ranges.Count);
        try
        {
            for (var f = 0; f < children.Length; f++)
            {
                childRanges.Clear();
                foreach (var r in ranges)
                {
                    // A NULL-typed part stands for rows whose fields are all NULL.
                    childRanges.Add(r.Column is NullColumn ? new Range(new NullColumn(r.Count), 0, r.Count) : new Range(Same<StructColumn>(r).Children[f], r.Offset, r.Count));
                }
                children[f] = Join(type.Fields[f].Type, childRanges, total);
            }
        }
        catch
        {
            foreach (var c in children) c?.Dispose();
            throw;
        }
        return new StructColumn(type, total, children);
    }
}
