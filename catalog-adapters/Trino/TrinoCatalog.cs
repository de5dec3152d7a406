using System.Globalization;
using Gateway.Engines;
using Gateway.Protocol.Columnar;

namespace Gateway.Catalog.Trino;

/// <summary>
/// One catalog of a Trino engine (tables only Trino sees: its Hive, Iceberg or Delta connectors over the lake), read
/// through the engine: names from the catalog's <c>information_schema</c>, statistics from <c>SHOW STATS FOR</c> (the
/// summary row's <c>row_count</c>, bytes as the sum of the columns' <c>data_size</c>). Trino's default schema is the
/// engine's configured one, which Hive's <c>default</c> names here. A table Trino has no statistics for is unknown.
/// </summary>
public sealed class TrinoCatalog : ICatalog
{
    private readonly IEngine _engine;
    private readonly string _trinoCatalog;
    private readonly TimeProvider _time;
    private readonly string _defaultSchema;

    /// <param name="name">The gateway's name for the catalog (what the policy and engines' Catalogs name).</param>
    /// <param name="engine">The Trino engine that sees it.</param>
    /// <param name="trinoCatalog">Its name on the coordinator (defaults to <paramref name="name"/>).</param>
    /// <param name="defaultSchema">The schema Hive's <c>default</c> and unqualified names stand for (the engine's).</param>
    public TrinoCatalog(string name, IEngine engine, string? trinoCatalog, TimeProvider time, string defaultSchema = "default")
    {
        _defaultSchema = defaultSchema;
        ArgumentNullException.ThrowIfNull(engine);
        Name = name;
        _engine = engine;
        _trinoCatalog = string.IsNullOrWhiteSpace(trinoCatalog) ? name : trinoCatalog;
        _time = time;
    }

    public string Name { get; }

    private string Quoted => Quote(_trinoCatalog);

    public async ValueTask<IReadOnlyList<string>> ListSchemasAsync(CancellationToken cancellationToken)
    {
        var rows = await QueryAsync($"SELECT schema_name FROM {Quoted}.information_schema.schemata WHERE schema_name <> 'information_schema' ORDER BY 1", cancellationToken).ConfigureAwait(false);
        return [.. rows.Select(r => r[0]!)];
    }

    public async ValueTask<IReadOnlyList<CatalogTable>> ListTablesAsync(string? schema, CancellationToken cancellationToken)
    {
        var where = schema is null ? "table_schema <> 'information_schema'" : $"table_schema = {Literal(schema)}";
        var rows = await QueryAsync($"SELECT table_schema, table_name, table_type FROM {Quoted}.information_schema.tables WHERE {where} ORDER BY 1, 2", cancellationToken).ConfigureAwait(false);
        return [.. rows.Select(r => new CatalogTable(new TableRef(null, r[0], r[1]!), r[2] == "VIEW" ? CatalogTableType.View : CatalogTableType.Table))];
    }

    public async ValueTask<IReadOnlyList<CatalogColumn>?> ListColumnsAsync(TableRef table, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(table);
        var rows = await QueryAsync(
            $"SELECT column_name, data_type, ordinal_position, is_nullable, comment FROM {Quoted}.information_schema.columns " +
            $"WHERE table_schema = {Literal(SchemaOf(table))} AND table_name = {Literal(table.Name)} ORDER BY ordinal_position", cancellationToken).ConfigureAwait(false);
        if (rows.Count == 0) return null;
        return [.. rows.Select(r => new CatalogColumn(r[0]!, r[1]!, int.Parse(r[2]!, CultureInfo.InvariantCulture), r[3] == "YES", r[4]))];
    }

    public async ValueTask<TableStatistics?> GetStatisticsAsync(TableRef table, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(table);
        List<string?[]> rows;
        try
        {
            rows = await QueryAsync($"SHOW STATS FOR {Quoted}.{Quote(SchemaOf(table))}.{Quote(table.Name)}", cancellationToken).ConfigureAwait(false);
        }
        catch (EngineException ex) when (!ex.Retryable)
        {
            // No such table here (another catalog may have it), or a connector without statistics.
            return null;
        }
        // Columns: column_name, data_size, distinct_values_count, nulls_fraction, row_count, low_value, high_value;
        // the summary row (column_name NULL) carries row_count.
        long? rowsCount = null;
        double bytes = 0;
        var anyBytes = false;
        foreach (var r in rows)
        {
            if (r.Length < 5) continue;
            if (r[0] is null)
            {
                if (double.TryParse(r[4], NumberStyles.Float, CultureInfo.InvariantCulture, out var n)) rowsCount = (long)n;
            }
            else if (double.TryParse(r[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var size))
            {
                bytes += size;
                anyBytes = true;
            }
        }
        if (rowsCount is null && !anyBytes) return null;
        return new TableStatistics(rowsCount, anyBytes ? (long)bytes : null, null, null, null, $"trino SHOW STATS ({_trinoCatalog})", _time.GetUtcNow());
    }

    private string SchemaOf(TableRef table) => table.Schema is null || table.Schema.Equals("default", StringComparison.OrdinalIgnoreCase) ? _defaultSchema : table.Schema;

    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static string Literal(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

    private async Task<List<string?[]>> QueryAsync(string sql, CancellationToken cancellationToken)
    {
        await using var session = await _engine.OpenSessionAsync(new EngineSessionOptions("gateway-catalog"), cancellationToken).ConfigureAwait(false);
        await using var result = await session.ExecuteAsync(sql, ExecuteOptions.Default, cancellationToken).ConfigureAwait(false);
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
