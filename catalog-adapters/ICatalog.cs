namespace Gateway.Catalog;

/// <summary>A table name as a statement wrote it: catalog and schema may be absent (resolved against defaults).</summary>
public sealed record TableRef(string? Catalog, string? Schema, string Name)
{
    public override string ToString() => string.Join('.', new[] { Catalog, Schema, Name }.Where(p => p is not null));
}

public enum CatalogTableType
{
    Table,
    View,
    External,
}

public sealed record CatalogTable(TableRef Table, CatalogTableType Type, string? Comment = null);

/// <summary>
/// One column of a table as its catalog describes it: <see cref="Type"/> in the catalog's own spelling (Hive's
/// <c>decimal(10,2)</c>, PostgreSQL's <c>numeric(10,2)</c>, DuckDB's <c>DECIMAL(10,2)</c>), 1-based position; Hive
/// partition columns come last with <see cref="IsPartitionKey"/>.
/// </summary>
public sealed record CatalogColumn(string Name, string Type, int Position, bool Nullable = true, string? Comment = null, bool IsPartitionKey = false);

/// <summary>
/// What a catalog knows about a table's size, for the router's cost model; every figure may be unknown.
/// <see cref="Source"/> says where the numbers came from (and so how far to trust them), <see cref="CollectedAt"/>
/// when.
/// </summary>
public sealed record TableStatistics(long? Rows, long? Bytes, long? Files, long? Partitions, DateTimeOffset? Freshness, string Source, DateTimeOffset CollectedAt);

/// <summary>
/// Names and statistics of one catalog (the embedded DuckDB, a Hive Metastore, an Iceberg REST catalog...).
/// Engines that share a catalog see the same tables: which engines see which catalog is configuration
/// ("locality"), not the catalog's business.
/// </summary>
public interface ICatalog
{
    string Name { get; }

    ValueTask<IReadOnlyList<string>> ListSchemasAsync(CancellationToken cancellationToken);

    /// <summary>Tables and views, of one schema or of all when <paramref name="schema"/> is null.</summary>
    ValueTask<IReadOnlyList<CatalogTable>> ListTablesAsync(string? schema, CancellationToken cancellationToken);

    /// <summary>The columns of a table in order, or null when the catalog does not know the table.</summary>
    ValueTask<IReadOnlyList<CatalogColumn>?> ListColumnsAsync(TableRef table, CancellationToken cancellationToken);

    /// <summary>Statistics of a table, or null when the catalog does not know the table (or anything about its size).</summary>
    ValueTask<TableStatistics?> GetStatisticsAsync(TableRef table, CancellationToken cancellationToken);
}
