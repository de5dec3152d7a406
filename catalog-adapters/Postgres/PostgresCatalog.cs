using Npgsql;

namespace Gateway.Catalog.Postgres;

/// <summary>
/// Statistics of tables that live in a PostgreSQL database: the planner's row estimate
/// (<c>pg_class.reltuples</c>, -1 before the first ANALYZE, then unknown), the relation's size on disk with
/// its indexes and TOAST (<c>pg_total_relation_size</c>), and freshness from the last (auto)analyze or
/// vacuum. Names are bound as parameters.
/// </summary>
public sealed class PostgresCatalog : ICatalog, IAsyncDisposable
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly TimeProvider _time;

    public PostgresCatalog(string name, string connectionString, TimeProvider time)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
        _dataSource = NpgsqlDataSource.Create(connectionString);
        _time = time;
    }

    public string Name { get; }

    public async ValueTask<IReadOnlyList<string>> ListSchemasAsync(CancellationToken cancellationToken)
    {
        await using var cmd = _dataSource.CreateCommand(
            "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' ORDER BY 1");
        return await NpgsqlReading.StringsAsync(cmd, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<IReadOnlyList<CatalogTable>> ListTablesAsync(string? schema, CancellationToken cancellationToken)
    {
        await using var cmd = _dataSource.CreateCommand(
            "SELECT n.nspname, c.relname, c.relkind::text, obj_description(c.oid, 'pg_class') FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace " +
            "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema' AND ($1::text IS NULL OR n.nspname = $1) ORDER BY 1, 2");
        cmd.Parameters.Add(NpgsqlReading.Text(schema));
        var result = new List<CatalogTable>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var type = reader.GetString(2) switch
            {
                "v" or "m" => CatalogTableType.View,
                "f" => CatalogTableType.External,
                _ => CatalogTableType.Table,
            };
            result.Add(new CatalogTable(new TableRef(null, reader.GetString(0), reader.GetString(1)), type, reader.IsDBNull(3) ? null : reader.GetString(3)));
        }
        return result;
    }

    public async ValueTask<IReadOnlyList<CatalogColumn>?> ListColumnsAsync(TableRef table, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(table);
        await using var cmd = _dataSource.CreateCommand(
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnum::int, NOT a.attnotnull, col_description(c.oid, a.attnum), " +
            "coalesce(a.attnum = ANY (pt.partattrs::int2[]), false) " +
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid " +
            "LEFT JOIN pg_partitioned_table pt ON pt.partrelid = c.oid " +
            "WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum");
        cmd.Parameters.Add(new NpgsqlParameter { Value = table.Schema ?? "public" });
        cmd.Parameters.Add(new NpgsqlParameter { Value = table.Name });
        var result = new List<CatalogColumn>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            result.Add(new CatalogColumn(reader.GetString(0), reader.GetString(1), reader.GetInt32(2), reader.GetBoolean(3),
                reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetBoolean(5)));
        }
        return result.Count == 0 ? null : result;
    }

    public async ValueTask<TableStatistics?> GetStatisticsAsync(TableRef table, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(table);
        await using var cmd = _dataSource.CreateCommand(
            // A partitioned parent has no storage of its own: its figures are its partitions' (one level).
            "SELECT CASE WHEN c.relkind = 'p' THEN (SELECT sum(greatest(ch.reltuples, 0))::bigint FROM pg_inherits i JOIN pg_class ch ON ch.oid = i.inhrelid WHERE i.inhparent = c.oid) " +
            "ELSE c.reltuples::bigint END, " +
            "(pg_total_relation_size(c.oid) + coalesce((SELECT sum(pg_total_relation_size(i.inhrelid)) FROM pg_inherits i WHERE i.inhparent = c.oid), 0))::bigint, " +
            "(SELECT count(*) FROM pg_inherits i WHERE i.inhparent = c.oid), " +
            "greatest(s.last_analyze, s.last_autoanalyze, s.last_vacuum, s.last_autovacuum) " +
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid " +
            "WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p', 'm', 'f')");
        cmd.Parameters.Add(new NpgsqlParameter { Value = table.Schema ?? "public" });
        cmd.Parameters.Add(new NpgsqlParameter { Value = table.Name });
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) return null;
        var tuples = reader.IsDBNull(0) ? -1 : reader.GetInt64(0);
        var partitions = reader.GetInt64(2);
        DateTimeOffset? freshness = reader.IsDBNull(3) ? null : new DateTimeOffset(DateTime.SpecifyKind(reader.GetDateTime(3), DateTimeKind.Utc));
        return new TableStatistics(tuples < 0 ? null : tuples, reader.GetInt64(1), null, partitions == 0 ? null : partitions, freshness,
            "postgres:pg_class", _time.GetUtcNow());
    }

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
