using System.Globalization;
using Gateway.Engines;
using Gateway.Protocol.Columnar;

namespace Gateway.Catalog.Embedded;

/// <summary>
/// The embedded catalog: the tables and views of the gateway's DuckDB database, and Parquet files in the
/// data folder. Table statistics come from DuckDB (<c>duckdb_tables().estimated_size</c> rows, bytes estimated
/// from the column types); Parquet statistics from the files' footers (row counts through DuckDB's
/// <c>parquet_file_metadata</c>, bytes and freshness from the file system). Only local files under the data
/// folder are looked at: a path outside it, or a URL, is "unknown" rather than a network or disk probe.
/// </summary>
public sealed class EmbeddedCatalog : ICatalog
{
    /// <summary>Rough widths used to turn a row estimate into bytes (strings and nested values: an average guess).</summary>
    private const int VariableWidthGuess = 24;

    private readonly IEngine _engine;
    private readonly string _dataFolder;
    private readonly TimeProvider _time;

    public EmbeddedCatalog(IEngine engine, string dataFolder, TimeProvider time, string name = "embedded")
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(dataFolder);
        _engine = engine;
        _dataFolder = Path.GetFullPath(dataFolder);
        _time = time;
        Name = name;
    }

    public string Name { get; }

    public async ValueTask<IReadOnlyList<string>> ListSchemasAsync(CancellationToken cancellationToken)
    {
        var rows = await QueryAsync("SELECT DISTINCT schema_name FROM duckdb_schemas() WHERE database_name NOT IN ('system', 'temp') AND (NOT internal OR schema_name = 'main') ORDER BY 1", [], cancellationToken).ConfigureAwait(false);
        return [.. rows.Select(r => HiveName(r[0]!))];
    }

    public async ValueTask<IReadOnlyList<CatalogTable>> ListTablesAsync(string? schema, CancellationToken cancellationToken)
    {
        var duckSchema = schema is null ? null : DuckName(schema);
        var rows = await QueryAsync(
            "SELECT schema_name, table_name, 'TABLE' AS kind, comment FROM duckdb_tables() WHERE NOT internal AND (? IS NULL OR schema_name = ?) " +
            "UNION ALL SELECT schema_name, view_name, 'VIEW', comment FROM duckdb_views() WHERE NOT internal AND (? IS NULL OR schema_name = ?) ORDER BY 1, 2",
            [Text(1, duckSchema), Text(2, duckSchema), Text(3, duckSchema), Text(4, duckSchema)], cancellationToken).ConfigureAwait(false);
        return [.. rows.Select(r => new CatalogTable(new TableRef(null, HiveName(r[0]!), r[1]!), r[2] == "VIEW" ? CatalogTableType.View : CatalogTableType.Table, r[3]))];
    }

    public async ValueTask<IReadOnlyList<CatalogColumn>?> ListColumnsAsync(TableRef table, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(table);
        var rows = await QueryAsync(
            "SELECT column_name, data_type, column_index, is_nullable, comment FROM duckdb_columns() " +
            "WHERE NOT internal AND schema_name = ? AND table_name = ? ORDER BY column_index",
            [Text(1, DuckName(table.Schema ?? "default")), Text(2, table.Name)], cancellationToken).ConfigureAwait(false);
        // Every table and view has a column: none means no such table.
        if (rows.Count == 0) return null;
        return [.. rows.Select(r => new CatalogColumn(r[0]!, r[1]!, int.Parse(r[2]!, CultureInfo.InvariantCulture), r[3] == "true", r[4]))];
    }

    public async ValueTask<TableStatistics?> GetStatisticsAsync(TableRef table, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(table);
        var schema = DuckName(table.Schema ?? "default");
        var rows = await QueryAsync(
            "SELECT t.estimated_size, sum(CASE WHEN c.data_type IN ('BOOLEAN', 'TINYINT', 'UTINYINT') THEN 1 " +
            "WHEN c.data_type IN ('SMALLINT', 'USMALLINT') THEN 2 WHEN c.data_type IN ('INTEGER', 'UINTEGER', 'FLOAT', 'DATE') THEN 4 " +
            "WHEN c.data_type IN ('BIGINT', 'UBIGINT', 'DOUBLE', 'TIMESTAMP', 'TIMESTAMP WITH TIME ZONE', 'TIME', 'TIMESTAMP_NS', 'TIMESTAMP_MS', 'TIMESTAMP_S') THEN 8 " +
            "WHEN c.data_type LIKE 'DECIMAL%' OR c.data_type IN ('HUGEINT', 'UHUGEINT', 'UUID', 'INTERVAL') THEN 16 ELSE ? END) AS row_width " +
            "FROM duckdb_tables() t JOIN duckdb_columns() c ON c.table_oid = t.table_oid " +
            "WHERE NOT t.internal AND t.schema_name = ? AND t.table_name = ? GROUP BY t.estimated_size",
            [new QueryParameter(1, null, SqlType.Int, (long)VariableWidthGuess), Text(2, schema), Text(3, table.Name)], cancellationToken).ConfigureAwait(false);
        if (rows.Count == 0) return null;
        var estimatedRows = long.Parse(rows[0][0]!, CultureInfo.InvariantCulture);
        var width = long.Parse(rows[0][1]!, CultureInfo.InvariantCulture);
        return new TableStatistics(estimatedRows, estimatedRows * width, null, null, null, "duckdb:estimated_size", _time.GetUtcNow());
    }

    /// <summary>
    /// Statistics of Parquet files named by a path or glob as a statement wrote it (<c>read_parquet('…')</c>),
    /// relative to the data folder; null for URLs, paths outside the data folder, or no matching file.
    /// </summary>
    public async ValueTask<TableStatistics?> GetParquetStatisticsAsync(string pathOrGlob, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pathOrGlob);
        if (pathOrGlob.Contains("://", StringComparison.Ordinal)) return null;
        var full = Path.GetFullPath(Path.Combine(_dataFolder, pathOrGlob));
        if (!full.StartsWith(_dataFolder + Path.DirectorySeparatorChar, StringComparison.Ordinal)) return null;
        var directory = Path.GetDirectoryName(full)!;
        var pattern = Path.GetFileName(full);
        if (directory.Contains('*', StringComparison.Ordinal) || !Directory.Exists(directory)) return null;
        var files = Directory.GetFiles(directory, pattern).Select(f => new FileInfo(f)).ToList();
        if (files.Count == 0) return null;
        var rows = await QueryAsync("SELECT sum(num_rows) FROM parquet_file_metadata(?)", [Text(1, full)], cancellationToken).ConfigureAwait(false);
        var count = rows.Count == 1 && rows[0][0] is { } n ? long.Parse(n, CultureInfo.InvariantCulture) : (long?)null;
        return new TableStatistics(count, files.Sum(f => f.Length), files.Count, null, files.Max(f => new DateTimeOffset(f.LastWriteTimeUtc, TimeSpan.Zero)), "parquet:footer", _time.GetUtcNow());
    }

    private static QueryParameter Text(int ordinal, string? value) => new(ordinal, null, SqlType.String, value);

    /// <summary>Hive's default database is DuckDB's main schema.</summary>
    private static string DuckName(string schema) => schema.Equals("default", StringComparison.OrdinalIgnoreCase) ? "main" : schema;

    private static string HiveName(string schema) => schema == "main" ? "default" : schema;

    private async Task<List<string?[]>> QueryAsync(string sql, QueryParameter[] parameters, CancellationToken cancellationToken)
    {
        await using var session = await _engine.OpenSessionAsync(new EngineSessionOptions("gateway-catalog"), cancellationToken).ConfigureAwait(false);
        await using var result = await session.ExecuteAsync(sql, ExecuteOptions.Default with { Parameters = parameters }, cancellationToken).ConfigureAwait(false);
        var rows = new List<string?[]>();
        while (await result.ReadBatchAsync(10_000, cancellationToken).ConfigureAwait(false) is { } batch)
        {
            using (batch)
            {
                for (var r = 0; r < batch.RowCount; r++) rows.Add([.. batch.Columns.Select(c => ValueFormatter.Utc.FormatToString(c, r))]);
            }
        }
        return rows;
    }
}
