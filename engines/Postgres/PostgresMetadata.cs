using System.Globalization;

namespace Gateway.Engines.Postgres;

/// <summary>
/// HiveServer2 metadata from PostgreSQL's catalogs (pg_namespace, pg_class, pg_attribute, pg_proc,
/// pg_constraint), with the semantics of DuckDbMetadata: the SQL is fixed text, client patterns are applied in
/// C# with <see cref="JdbcPattern"/> (case-insensitive, <c>\</c> escapes), so no client text reaches SQL.
/// The JDBC catalog is the connection's database (PostgreSQL cannot look into another one); a Hive database is
/// a schema. pg_catalog, information_schema, TOAST and other sessions' temporary schemas are left out; the
/// session's own temporary tables appear as LOCAL TEMPORARY (while no result streams on the session, since
/// metadata then goes through a second connection).
/// </summary>
internal sealed class PostgresMetadata(PostgresSession session) : IEngineMetadata
{
    /// <summary>Schemas a user works in: not the system ones, not TOAST, temporary only when it is this connection's.</summary>
    private const string Visible =
        "(n.oid = pg_my_temp_schema() OR (n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'))";

    private const string Relations = "c.relkind IN ('r', 'p', 'v', 'm', 'f')";

    public async ValueTask<IReadOnlyList<string>> GetCatalogsAsync(CancellationToken cancellationToken)
    {
        var rows = await session.QueryMetadataAsync("SELECT current_database()", [], cancellationToken).ConfigureAwait(false);
        return [.. rows.Select(r => (string)r[0]!)];
    }

    public async ValueTask<IReadOnlyList<SchemaInfo>> GetSchemasAsync(string? catalog, string? schemaPattern, CancellationToken cancellationToken)
    {
        var rows = await session.QueryMetadataAsync(
            "SELECT current_database(), n.nspname FROM pg_namespace n WHERE " + Visible + " AND n.oid <> pg_my_temp_schema() ORDER BY 2",
            [], cancellationToken).ConfigureAwait(false);
        return [.. rows
            .Select(r => new SchemaInfo((string)r[0]!, (string)r[1]!))
            .Where(s => CatalogMatches(catalog, s.Catalog) && JdbcPattern.Matches(schemaPattern, s.Schema))];
    }

    public async ValueTask<IReadOnlyList<TableInfo>> GetTablesAsync(string? catalog, string? schemaPattern, string? tablePattern, IReadOnlyCollection<string>? tableTypes, CancellationToken cancellationToken)
    {
        var rows = await session.QueryMetadataAsync(
            "SELECT current_database(), n.nspname, c.relname, CASE WHEN n.oid = pg_my_temp_schema() THEN 'LOCAL TEMPORARY' "
            + "WHEN c.relkind IN ('r', 'p') THEN 'TABLE' WHEN c.relkind = 'v' THEN 'VIEW' WHEN c.relkind = 'm' THEN 'MATERIALIZED VIEW' "
            + "ELSE 'FOREIGN TABLE' END, obj_description(c.oid, 'pg_class') "
            + "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE " + Relations + " AND " + Visible
            + " ORDER BY 4, 1, 2, 3", [], cancellationToken).ConfigureAwait(false);
        return [.. rows
            .Select(r => new TableInfo((string)r[0]!, (string)r[1]!, (string)r[2]!, (string)r[3]!, r[4] as string))
            .Where(t => CatalogMatches(catalog, t.Catalog) && JdbcPattern.Matches(schemaPattern, t.Schema) && JdbcPattern.Matches(tablePattern, t.Name))
            .Where(t => tableTypes is null || tableTypes.Count == 0 || tableTypes.Contains(t.TableType, StringComparer.OrdinalIgnoreCase))];
    }

    public async ValueTask<IReadOnlyList<ColumnMetadata>> GetColumnsAsync(string? catalog, string? schemaPattern, string? tablePattern, string? columnPattern, CancellationToken cancellationToken)
    {
        // Domains are described by their base type, as results are.
        var rows = await session.QueryMetadataAsync(
            "SELECT current_database(), n.nspname, c.relname, a.attname, "
            + "row_number() OVER (PARTITION BY a.attrelid ORDER BY a.attnum)::int4, NOT a.attnotnull, col_description(c.oid, a.attnum), "
            + "pg_get_expr(d.adbin, d.adrelid), CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE a.atttypid END, "
            + "CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END "
            + "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
            + "JOIN pg_type t ON t.oid = a.atttypid LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
            + "WHERE a.attnum > 0 AND NOT a.attisdropped AND " + Relations + " AND " + Visible
            + " ORDER BY 1, 2, 3, a.attnum", [], cancellationToken).ConfigureAwait(false);
        return [.. rows
            .Where(r => CatalogMatches(catalog, (string)r[0]!) && JdbcPattern.Matches(schemaPattern, (string)r[1]!)
                && JdbcPattern.Matches(tablePattern, (string)r[2]!) && JdbcPattern.Matches(columnPattern, (string)r[3]!))
            .Select(r => new ColumnMetadata((string)r[0]!, (string)r[1]!, (string)r[2]!, (string)r[3]!,
                PostgresTypes.PlanFromTypmod((string)r[3]!, Convert.ToUInt32(r[8], CultureInfo.InvariantCulture), Convert.ToInt32(r[9], CultureInfo.InvariantCulture)).Type,
                Convert.ToInt32(r[4], CultureInfo.InvariantCulture), r[5] is true, r[6] as string, r[7] as string))];
    }

    public async ValueTask<IReadOnlyList<FunctionInfo>> GetFunctionsAsync(string? catalog, string? schemaPattern, string? functionPattern, CancellationToken cancellationToken)
    {
        // Built-in functions live in pg_catalog, so (as HiveServer2 does) schema and name patterns filter, and
        // the catalog argument does not.
        var rows = await session.QueryMetadataAsync(
            "SELECT current_database(), n.nspname, p.proname, max(d.description), bool_or(p.proretset) "
            + "FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            + "LEFT JOIN pg_description d ON d.objoid = p.oid AND d.classoid = 'pg_proc'::regclass AND d.objsubid = 0 "
            + "WHERE n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%' "
            + "GROUP BY 1, 2, 3 ORDER BY 1, 2, 3", [], cancellationToken).ConfigureAwait(false);
        return [.. rows
            .Select(r => new FunctionInfo((string)r[0]!, (string)r[1]!, (string)r[2]!, r[3] as string, r[4] is true))
            .Where(f => JdbcPattern.Matches(schemaPattern, f.Schema) && JdbcPattern.Matches(functionPattern, f.Name))];
    }

    public async ValueTask<IReadOnlyList<PrimaryKeyInfo>> GetPrimaryKeysAsync(string? catalog, string? schema, string table, CancellationToken cancellationToken)
    {
        var rows = await session.QueryMetadataAsync(
            "SELECT current_database(), n.nspname, c.relname, a.attname, k.ord::int4, con.conname "
            + "FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
            + "CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord) "
            + "JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum "
            + "WHERE con.contype = 'p' AND " + Visible + " ORDER BY 1, 2, 3, 5", [], cancellationToken).ConfigureAwait(false);
        return [.. rows
            .Where(r => NameMatches(catalog, (string)r[0]!) && NameMatches(schema, (string)r[1]!) && NameMatches(table, (string)r[2]!))
            .Select(r => new PrimaryKeyInfo((string)r[0]!, (string)r[1]!, (string)r[2]!, (string)r[3]!, Convert.ToInt32(r[4], CultureInfo.InvariantCulture), r[5] as string))];
    }

    public async ValueTask<IReadOnlyList<ForeignKeyInfo>> GetCrossReferenceAsync(string? parentCatalog, string? parentSchema, string? parentTable, string? foreignCatalog, string? foreignSchema, string? foreignTable, CancellationToken cancellationToken)
    {
        var rows = await session.QueryMetadataAsync(
            "SELECT current_database(), pn.nspname, pc.relname, pa.attname, fn.nspname, fc.relname, fa.attname, k.ord::int4, con.conname, "
            + "(SELECT pk.conname FROM pg_constraint pk WHERE pk.conrelid = con.confrelid AND pk.conindid = con.conindid AND pk.contype IN ('p', 'u') LIMIT 1) "
            + "FROM pg_constraint con "
            + "JOIN pg_class fc ON fc.oid = con.conrelid JOIN pg_namespace fn ON fn.oid = fc.relnamespace "
            + "JOIN pg_class pc ON pc.oid = con.confrelid JOIN pg_namespace pn ON pn.oid = pc.relnamespace "
            + "CROSS JOIN LATERAL unnest(con.conkey, con.confkey) WITH ORDINALITY AS k(fk_att, pk_att, ord) "
            + "JOIN pg_attribute fa ON fa.attrelid = con.conrelid AND fa.attnum = k.fk_att "
            + "JOIN pg_attribute pa ON pa.attrelid = con.confrelid AND pa.attnum = k.pk_att "
            + "WHERE con.contype = 'f' ORDER BY 5, 6, 9, 8", [], cancellationToken).ConfigureAwait(false);
        var result = new List<ForeignKeyInfo>();
        foreach (var r in rows)
        {
            var db = (string)r[0]!;
            if (!NameMatches(parentCatalog, db) || !NameMatches(parentSchema, (string)r[1]!) || !NameMatches(parentTable, (string)r[2]!)) continue;
            if (!NameMatches(foreignCatalog, db) || !NameMatches(foreignSchema, (string)r[4]!) || !NameMatches(foreignTable, (string)r[5]!)) continue;
            result.Add(new ForeignKeyInfo(db, (string)r[1]!, (string)r[2]!, (string)r[3]!, db, (string)r[4]!, (string)r[5]!, (string)r[6]!,
                Convert.ToInt32(r[7], CultureInfo.InvariantCulture), r[8] as string, r[9] as string));
        }
        return result;
    }

    private static bool CatalogMatches(string? catalog, string name) =>
        string.IsNullOrEmpty(catalog) || string.Equals(catalog, name, StringComparison.OrdinalIgnoreCase);

    private static bool NameMatches(string? wanted, string name) =>
        string.IsNullOrEmpty(wanted) || string.Equals(wanted, name, StringComparison.OrdinalIgnoreCase);
}
