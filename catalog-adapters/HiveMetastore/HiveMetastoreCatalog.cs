using System.Globalization;
using Gateway.Catalog.Postgres;
using Npgsql;

namespace Gateway.Catalog.HiveMetastore;

/// <summary>
/// A Hive Metastore read through its own backing database (PostgreSQL): databases (<c>"DBS"</c>), tables
/// (<c>"TBLS"</c>, <c>"TABLE_PARAMS"</c>), partitions (<c>"PARTITIONS"</c>, <c>"PARTITION_PARAMS"</c>) and columns
/// (<c>"SDS"</c>/<c>"COLUMNS_V2"</c>). Statistics are the parameters Hive and Spark maintain: <c>numRows</c>,
/// <c>totalSize</c>, <c>numFiles</c> on the table, or summed over its partitions when the table's own are absent
/// (partitioned tables keep them per partition); freshness from <c>transient_lastDdlTime</c>. Reading the
/// database directly is one query per lookup, where the Thrift API would be several round trips — and it
/// needs only read access. Hive names are lower case; lookups fold to it.
/// </summary>
public sealed class HiveMetastoreCatalog : ICatalog, IAsyncDisposable
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly TimeProvider _time;
    private readonly string _catalogName;

    /// <param name="catalogName">The metastore catalog (Hive 3+ <c>"CTLGS"</c>), usually <c>hive</c>; ignored by older schemas.</param>
    public HiveMetastoreCatalog(string name, string connectionString, TimeProvider time, string catalogName = "hive")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
        _dataSource = NpgsqlDataSource.Create(connectionString);
        _time = time;
        _catalogName = catalogName;
    }

    public string Name { get; }

    public async ValueTask<IReadOnlyList<string>> ListSchemasAsync(CancellationToken cancellationToken)
    {
        await using var cmd = _dataSource.CreateCommand("SELECT \"NAME\" FROM \"DBS\" WHERE " + await CatalogFilterAsync("\"DBS\"").ConfigureAwait(false) + " ORDER BY 1");
        AddCatalog(cmd);
        return await NpgsqlReading.StringsAsync(cmd, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<IReadOnlyList<CatalogTable>> ListTablesAsync(string? schema, CancellationToken cancellationToken)
    {
        await using var cmd = _dataSource.CreateCommand(
            "SELECT d.\"NAME\", t.\"TBL_NAME\", t.\"TBL_TYPE\", (SELECT p.\"PARAM_VALUE\" FROM \"TABLE_PARAMS\" p WHERE p.\"TBL_ID\" = t.\"TBL_ID\" AND p.\"PARAM_KEY\" = 'comment') " +
            "FROM \"TBLS\" t JOIN \"DBS\" d ON d.\"DB_ID\" = t.\"DB_ID\" WHERE " + await CatalogFilterAsync("d").ConfigureAwait(false) + " AND ($2::text IS NULL OR d.\"NAME\" = lower($2)) ORDER BY 1, 2");
        AddCatalog(cmd);
        cmd.Parameters.Add(NpgsqlReading.Text(schema));
        var result = new List<CatalogTable>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var type = reader.IsDBNull(2) ? "" : reader.GetString(2);
            result.Add(new CatalogTable(new TableRef(null, reader.GetString(0), reader.GetString(1)),
                type switch
                {
                    "VIRTUAL_VIEW" or "MATERIALIZED_VIEW" => CatalogTableType.View,
                    "EXTERNAL_TABLE" => CatalogTableType.External,
                    _ => CatalogTableType.Table,
                },
                reader.IsDBNull(3) ? null : reader.GetString(3)));
        }
        return result;
    }

    public async ValueTask<IReadOnlyList<CatalogColumn>?> ListColumnsAsync(TableRef table, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(table);
        var catalogFilter = await CatalogFilterAsync("d").ConfigureAwait(false);
        // The table's storage descriptor names its column descriptor; partition keys are the table's own, after the columns.
        await using var cmd = _dataSource.CreateCommand(
            "WITH t AS (SELECT t.\"TBL_ID\", s.\"CD_ID\" FROM \"TBLS\" t JOIN \"DBS\" d ON d.\"DB_ID\" = t.\"DB_ID\" LEFT JOIN \"SDS\" s ON s.\"SD_ID\" = t.\"SD_ID\" " +
            "  WHERE " + catalogFilter + " AND d.\"NAME\" = lower($2) AND t.\"TBL_NAME\" = lower($3)) " +
            "SELECT 0, c.\"COLUMN_NAME\", c.\"TYPE_NAME\", c.\"COMMENT\", c.\"INTEGER_IDX\"::bigint FROM \"COLUMNS_V2\" c JOIN t ON c.\"CD_ID\" = t.\"CD_ID\" " +
            "UNION ALL SELECT 1, k.\"PKEY_NAME\", k.\"PKEY_TYPE\", k.\"PKEY_COMMENT\", k.\"INTEGER_IDX\"::bigint FROM \"PARTITION_KEYS\" k JOIN t ON k.\"TBL_ID\" = t.\"TBL_ID\" " +
            "UNION ALL SELECT 2, NULL, NULL, NULL, count(*) FROM t ORDER BY 1, 5");
        AddCatalog(cmd);
        cmd.Parameters.Add(new NpgsqlParameter { Value = table.Schema ?? "default" });
        cmd.Parameters.Add(new NpgsqlParameter { Value = table.Name });
        var result = new List<CatalogColumn>();
        var known = false;
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var kind = reader.GetInt32(0);
            if (kind == 2)
            {
                known = reader.GetInt64(4) > 0;
                continue;
            }
            result.Add(new CatalogColumn(reader.GetString(1), reader.IsDBNull(2) ? "string" : reader.GetString(2), result.Count + 1, true,
                reader.IsDBNull(3) ? null : reader.GetString(3), IsPartitionKey: kind == 1));
        }
        return known ? result : null;
    }

    public async ValueTask<TableStatistics?> GetStatisticsAsync(TableRef table, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(table);
        var catalogFilter = await CatalogFilterAsync("d").ConfigureAwait(false);
        await using var cmd = _dataSource.CreateCommand(
            "WITH t AS (SELECT t.\"TBL_ID\" FROM \"TBLS\" t JOIN \"DBS\" d ON d.\"DB_ID\" = t.\"DB_ID\" " +
            "  WHERE " + catalogFilter + " AND d.\"NAME\" = lower($2) AND t.\"TBL_NAME\" = lower($3)), " +
            "tp AS (SELECT p.\"PARAM_KEY\" AS k, p.\"PARAM_VALUE\" AS v FROM \"TABLE_PARAMS\" p JOIN t ON p.\"TBL_ID\" = t.\"TBL_ID\"), " +
            "parts AS (SELECT pa.\"PART_ID\" FROM \"PARTITIONS\" pa JOIN t ON pa.\"TBL_ID\" = t.\"TBL_ID\"), " +
            "pp AS (SELECT p.\"PARAM_KEY\" AS k, sum(CASE WHEN p.\"PARAM_VALUE\" ~ '^-?[0-9]+$' THEN p.\"PARAM_VALUE\"::bigint END) AS total, " +
            "       max(CASE WHEN p.\"PARAM_VALUE\" ~ '^[0-9]+$' THEN p.\"PARAM_VALUE\"::bigint END) AS latest, count(*) AS n " +
            "  FROM \"PARTITION_PARAMS\" p JOIN parts ON p.\"PART_ID\" = parts.\"PART_ID\" GROUP BY p.\"PARAM_KEY\") " +
            "SELECT (SELECT count(*) FROM t), " +
            "  (SELECT v FROM tp WHERE k = 'numRows'), (SELECT v FROM tp WHERE k = 'totalSize'), (SELECT v FROM tp WHERE k = 'numFiles'), " +
            "  (SELECT v FROM tp WHERE k = 'transient_lastDdlTime'), (SELECT count(*) FROM parts), " +
            "  (SELECT total FROM pp WHERE k = 'numRows'), (SELECT total FROM pp WHERE k = 'totalSize'), (SELECT total FROM pp WHERE k = 'numFiles'), " +
            "  (SELECT latest FROM pp WHERE k = 'transient_lastDdlTime'), (SELECT n FROM pp WHERE k = 'numRows')");
        AddCatalog(cmd);
        cmd.Parameters.Add(new NpgsqlParameter { Value = table.Schema ?? "default" });
        cmd.Parameters.Add(new NpgsqlParameter { Value = table.Name });
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        if (reader.GetInt64(0) == 0) return null;
        var partitions = reader.GetInt64(5);
        // Hive writes -1 for "not computed"; Spark leaves the key out.
        long? Param(int i) => reader.IsDBNull(i) || !long.TryParse(reader.GetString(i), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) || v < 0 ? null : v;
        long? Sum(int i) => reader.IsDBNull(i) ? null : reader.GetInt64(i) is var v && v >= 0 ? v : null;
        var rows = Param(1);
        var bytes = Param(2);
        var files = Param(3);
        var ddl = Param(4);
        // A partitioned table's own parameters are usually empty: sum its partitions', but only when every partition has them.
        var partitionsWithRows = reader.IsDBNull(10) ? 0 : reader.GetInt64(10);
        if (partitions > 0)
        {
            if (rows is null && partitionsWithRows == partitions) rows = Sum(6);
            bytes ??= Sum(7);
            files ??= Sum(8);
            if (Sum(9) is { } latestPartition && latestPartition > (ddl ?? 0)) ddl = latestPartition;
        }
        var freshness = ddl is { } seconds ? DateTimeOffset.FromUnixTimeSeconds(seconds) : (DateTimeOffset?)null;
        return new TableStatistics(rows, bytes, files, partitions == 0 ? null : partitions, freshness, "hive-metastore", _time.GetUtcNow());
    }

    private Task<bool>? _hasCatalogColumn;

    /// <summary>Hive 3+ schemas scope databases by catalog ("CTLG_NAME"); Hive 2 has no such column (then $1 is unused).</summary>
    private async ValueTask<string> CatalogFilterAsync(string alias)
    {
        var detect = _hasCatalogColumn ??= DetectCatalogColumnAsync();
        bool has;
        try
        {
            has = await detect.ConfigureAwait(false);
        }
        catch
        {
            // Not remembered: the next lookup asks again.
            _hasCatalogColumn = null;
            throw;
        }
        return has ? $"{alias}.\"CTLG_NAME\" = $1" : "$1::text IS NOT NULL";
    }

    private void AddCatalog(NpgsqlCommand cmd) => cmd.Parameters.Add(NpgsqlReading.Text(_catalogName));

    private async Task<bool> DetectCatalogColumnAsync()
    {
        await using var cmd = _dataSource.CreateCommand(
            "SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 'DBS' AND column_name = 'CTLG_NAME')");
        return (bool)(await cmd.ExecuteScalarAsync().ConfigureAwait(false))!;
    }

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
