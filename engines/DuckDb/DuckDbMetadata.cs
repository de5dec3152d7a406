using DuckDB.NET.Native;
using Gateway.Protocol.Columnar;

namespace Gateway.Engines.DuckDb;

/// <summary>
/// HiveServer2 metadata from DuckDB's catalog functions (duckdb_databases, duckdb_schemas, duckdb_tables,
/// duckdb_views, duckdb_columns, duckdb_functions, duckdb_constraints). The SQL is fixed text; client
/// patterns are applied in C# with <see cref="JdbcPattern"/> (case-insensitive, <c>\</c> escapes), so no
/// client text reaches SQL. DuckDB's internal catalogs (system, temp) and the information_schema and
/// pg_catalog schemas are left out; the session's temporary tables appear as LOCAL TEMPORARY.
/// A JDBC catalog is a DuckDB database (attached file); a Hive database is a DuckDB schema.
/// </summary>
internal sealed class DuckDbMetadata(DuckDbSession session) : IEngineMetadata
{
    private const string HiddenSchemas = "('information_schema', 'pg_catalog')";

    public async ValueTask<IReadOnlyList<string>> GetCatalogsAsync(CancellationToken cancellationToken)
    {
        var rows = await session.QueryMetadataAsync("SELECT database_name FROM duckdb_databases() WHERE NOT internal ORDER BY database_name", cancellationToken).ConfigureAwait(false);
        return [.. rows.Select(r => (string)r[0]!)];
    }

    public async ValueTask<IReadOnlyList<SchemaInfo>> GetSchemasAsync(string? catalog, string? schemaPattern, CancellationToken cancellationToken)
    {
        var rows = await session.QueryMetadataAsync(
            "SELECT s.database_name, s.schema_name FROM duckdb_schemas() s JOIN duckdb_databases() d USING (database_name) "
            + $"WHERE NOT d.internal AND s.schema_name NOT IN {HiddenSchemas} ORDER BY 1, 2", cancellationToken).ConfigureAwait(false);
        return [.. rows
            .Select(r => new SchemaInfo((string)r[0]!, (string)r[1]!))
            .Where(s => CatalogMatches(catalog, s.Catalog) && JdbcPattern.Matches(schemaPattern, s.Schema))];
    }

    public async ValueTask<IReadOnlyList<TableInfo>> GetTablesAsync(string? catalog, string? schemaPattern, string? tablePattern, IReadOnlyCollection<string>? tableTypes, CancellationToken cancellationToken)
    {
        var rows = await session.QueryMetadataAsync(
            "SELECT database_name, schema_name, table_name, CASE WHEN database_name = 'temp' THEN 'LOCAL TEMPORARY' ELSE 'TABLE' END, comment "
            + "FROM duckdb_tables() t WHERE " + Visible("t")
            + " UNION ALL SELECT database_name, schema_name, view_name, CASE WHEN temporary THEN 'LOCAL TEMPORARY' ELSE 'VIEW' END, comment "
            + "FROM duckdb_views() v WHERE NOT v.internal AND " + Visible("v")
            + " ORDER BY 4, 1, 2, 3", cancellationToken).ConfigureAwait(false);
        return [.. rows
            .Select(r => new TableInfo((string)r[0]!, (string)r[1]!, (string)r[2]!, (string)r[3]!, r[4] as string))
            .Where(t => CatalogMatches(catalog, t.Catalog) && JdbcPattern.Matches(schemaPattern, t.Schema) && JdbcPattern.Matches(tablePattern, t.Name))
            .Where(t => tableTypes is null || tableTypes.Count == 0 || tableTypes.Contains(t.TableType, StringComparer.OrdinalIgnoreCase))];
    }

    public async ValueTask<IReadOnlyList<ColumnMetadata>> GetColumnsAsync(string? catalog, string? schemaPattern, string? tablePattern, string? columnPattern, CancellationToken cancellationToken)
    {
        const string Sql = "SELECT database_name, schema_name, table_name, column_name, column_index, is_nullable, comment, column_default, data_type "
            + "FROM duckdb_columns() c WHERE NOT c.internal AND ";
        return await session.RunOnWorkerAsync(connection =>
        {
            var rows = NativeQuery.QueryRows(connection, Sql + Visible("c") + " ORDER BY 1, 2, 3, 5")
                .Where(r => CatalogMatches(catalog, (string)r[0]!) && JdbcPattern.Matches(schemaPattern, (string)r[1]!)
                    && JdbcPattern.Matches(tablePattern, (string)r[2]!) && JdbcPattern.Matches(columnPattern, (string)r[3]!))
                .ToList();
            var types = new Dictionary<string, SqlType>(StringComparer.Ordinal);
            var result = new List<ColumnMetadata>(rows.Count);
            foreach (var r in rows)
            {
                var typeText = (string)r[8]!;
                if (!types.TryGetValue(typeText, out var type)) types[typeText] = type = ResolveType(connection, typeText);
                result.Add(new ColumnMetadata((string)r[0]!, (string)r[1]!, (string)r[2]!, (string)r[3]!, type,
                    Convert.ToInt32(r[4], System.Globalization.CultureInfo.InvariantCulture), r[5] is true, r[6] as string, r[7] as string));
            }
            return (IReadOnlyList<ColumnMetadata>)result;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>DuckDB prints a column's type as SQL; preparing a cast to it yields the exact logical type.</summary>
    private static SqlType ResolveType(DuckDBNativeConnection connection, string typeText)
    {
        try
        {
            using var prepared = NativeQuery.Prepare(connection, $"SELECT CAST(NULL AS {typeText})");
            return DuckDbTypes.ToSqlTypeOrString(NativeQuery.PreparedColumns(prepared)[0].Type);
        }
        catch (EngineException)
        {
            return SqlType.String;
        }
    }

    public async ValueTask<IReadOnlyList<FunctionInfo>> GetFunctionsAsync(string? catalog, string? schemaPattern, string? functionPattern, CancellationToken cancellationToken)
    {
        // Built-in functions live in DuckDB's internal "system" catalog, so the catalog argument is not
        // used to filter (as HiveServer2 does): schema and name patterns are.
        var rows = await session.QueryMetadataAsync(
            "SELECT database_name, schema_name, function_name, max(description), bool_or(function_type IN ('table', 'table_macro')) "
            + "FROM duckdb_functions() GROUP BY ALL ORDER BY 1, 2, 3", cancellationToken).ConfigureAwait(false);
        return [.. rows
            .Select(r => new FunctionInfo((string)r[0]!, (string)r[1]!, (string)r[2]!, r[3] as string, r[4] is true))
            .Where(f => JdbcPattern.Matches(schemaPattern, f.Schema) && JdbcPattern.Matches(functionPattern, f.Name))];
    }

    public async ValueTask<IReadOnlyList<PrimaryKeyInfo>> GetPrimaryKeysAsync(string? catalog, string? schema, string table, CancellationToken cancellationToken)
    {
        var rows = await Constraints("PRIMARY KEY", cancellationToken).ConfigureAwait(false);
        var result = new List<PrimaryKeyInfo>();
        foreach (var c in rows)
        {
            if (!NameMatches(catalog, c.Catalog) || !NameMatches(schema, c.Schema) || !NameMatches(table, c.Table)) continue;
            for (var i = 0; i < c.Columns.Length; i++) result.Add(new PrimaryKeyInfo(c.Catalog, c.Schema, c.Table, c.Columns[i], i + 1, c.Name));
        }
        return result;
    }

    public async ValueTask<IReadOnlyList<ForeignKeyInfo>> GetCrossReferenceAsync(string? parentCatalog, string? parentSchema, string? parentTable, string? foreignCatalog, string? foreignSchema, string? foreignTable, CancellationToken cancellationToken)
    {
        var all = await Constraints(null, cancellationToken).ConfigureAwait(false);
        var keys = all.Where(c => c.Type is "PRIMARY KEY" or "UNIQUE").ToList();
        var result = new List<ForeignKeyInfo>();
        foreach (var fk in all.Where(c => c.Type == "FOREIGN KEY" && c.ReferencedTable is not null))
        {
            // DuckDB foreign keys reference a table of the same schema.
            if (!NameMatches(foreignCatalog, fk.Catalog) || !NameMatches(foreignSchema, fk.Schema) || !NameMatches(foreignTable, fk.Table)) continue;
            if (!NameMatches(parentCatalog, fk.Catalog) || !NameMatches(parentSchema, fk.Schema) || !NameMatches(parentTable, fk.ReferencedTable!)) continue;
            var pkName = keys.FirstOrDefault(k => k.Catalog == fk.Catalog && k.Schema == fk.Schema
                && string.Equals(k.Table, fk.ReferencedTable, StringComparison.OrdinalIgnoreCase)
                && k.Columns.SequenceEqual(fk.ReferencedColumns, StringComparer.OrdinalIgnoreCase))?.Name;
            for (var i = 0; i < fk.Columns.Length; i++)
            {
                result.Add(new ForeignKeyInfo(fk.Catalog, fk.Schema, fk.ReferencedTable!, fk.ReferencedColumns[i],
                    fk.Catalog, fk.Schema, fk.Table, fk.Columns[i], i + 1, fk.Name, pkName));
            }
        }
        return result;
    }

    private sealed record Constraint(string Catalog, string Schema, string Table, string Type, string[] Columns, string? Name, string? ReferencedTable, string[] ReferencedColumns);

    private async Task<List<Constraint>> Constraints(string? type, CancellationToken cancellationToken)
    {
        var rows = await session.QueryMetadataAsync(
            "SELECT c.database_name, c.schema_name, c.table_name, c.constraint_type, c.constraint_column_names, c.constraint_name, "
            + "c.referenced_table, c.referenced_column_names FROM duckdb_constraints() c JOIN duckdb_databases() d USING (database_name) "
            + "WHERE NOT d.internal AND c.constraint_type IN ('PRIMARY KEY', 'UNIQUE', 'FOREIGN KEY') ORDER BY 1, 2, 3, c.constraint_index", cancellationToken).ConfigureAwait(false);
        return [.. rows
            .Select(r => new Constraint((string)r[0]!, (string)r[1]!, (string)r[2]!, (string)r[3]!, Strings(r[4]), r[5] as string, r[6] as string, Strings(r[7])))
            .Where(c => type is null || c.Type == type)];
    }

    private static string[] Strings(object? list) => list is object?[] items ? [.. items.Select(i => (string)i!)] : [];

    /// <summary>Objects of user databases, plus temporary ones (DuckDB keeps those in its internal "temp" database).</summary>
    private static string Visible(string alias) =>
        $"({alias}.database_name = 'temp' OR {alias}.database_name IN (SELECT database_name FROM duckdb_databases() WHERE NOT internal)) AND {alias}.schema_name NOT IN {HiddenSchemas}";

    private static bool CatalogMatches(string? catalog, string name) =>
        string.IsNullOrEmpty(catalog) || string.Equals(catalog, name, StringComparison.OrdinalIgnoreCase);

    private static bool NameMatches(string? wanted, string name) =>
        string.IsNullOrEmpty(wanted) || string.Equals(wanted, name, StringComparison.OrdinalIgnoreCase);
}
