using System.Collections.Immutable;

namespace Gateway.Protocol.Columnar;

public sealed record ColumnInfo(string Name, SqlType Type, string? Comment = null);

/// <summary>The column names and types of a result.</summary>
public sealed record ResultSchema(ImmutableArray<ColumnInfo> Columns)
{
    public static readonly ResultSchema Empty = new([]);
    public int Count => Columns.Length;

    public bool Equals(ResultSchema? other) => other is not null && Columns.SequenceEqual(other.Columns);
    public override int GetHashCode() => Columns.Length;
}

/// <summary>
/// A batch of rows stored column by column in the Arrow memory layout: the one currency between
/// engines and encoders. Disposing returns pooled buffers; a batch must not be used afterwards.
/// </summary>
public sealed class ColumnBatch : IDisposable
{
    public ColumnBatch(ResultSchema schema, int rowCount, Column[] columns)
    {
        if (columns.Length != schema.Count) throw new ArgumentException($"Batch has {columns.Length} columns, schema {schema.Count}.", nameof(columns));
        foreach (var c in columns)
        {
            if (c.Length != rowCount) throw new ArgumentException($"Column length {c.Length} differs from row count {rowCount}.", nameof(columns));
        }
        Schema = schema;
        RowCount = rowCount;
        Columns = columns;
    }

    public ResultSchema Schema { get; }
    public int RowCount { get; }
    public Column[] Columns { get; }

    public void Dispose()
    {
        foreach (var c in Columns) c.Dispose();
    }
}
