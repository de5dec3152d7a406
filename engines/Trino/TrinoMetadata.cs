using System.Globalization;
using System.Text;

namespace Gateway.Engines.Trino;

/// <summary>
/// The HiveServer2 metadata calls on Trino, answered from <c>system.jdbc</c> (the tables Trino's own JDBC driver reads:
/// catalogs, schemas, tables, columns, already in JDBC's shapes). Without a catalog the session's catalog is listed
/// (when the engine names one), else every catalog. Trino has no primary or foreign keys, and its functions are not
/// listed here.
/// </summary>
internal sealed class TrinoMetadata(TrinoSession session) : IEngineMetadata
{
    public async ValueTask<IReadOnlyList<string>> GetCatalogsAsync(CancellationToken cancellationToken) =>
        [.. (await session.QueryRowsAsync("SELECT table_cat FROM system.jdbc.catalogs ORDER BY table_cat", cancellationToken).ConfigureAwait(false)).Select(r => r[0]!)];

    public async ValueTask<IReadOnlyList<SchemaInfo>> GetSchemasAsync(string? catalog, string? schemaPattern, CancellationToken cancellationToken)
    {
        var where = new StringBuilder(" WHERE 1 = 1");
        Catalog(where, "table_catalog", catalog);
        Like(where, "table_schem", schemaPattern);
        var rows = await session.QueryRowsAsync("SELECT table_catalog, table_schem FROM system.jdbc.schemas" + where + " ORDER BY table_catalog, table_schem", cancellationToken).ConfigureAwait(false);
        return [.. rows.Select(r => new SchemaInfo(r[0]!, r[1]!))];
    }

    public async ValueTask<IReadOnlyList<TableInfo>> GetTablesAsync(string? catalog, string? schemaPattern, string? tablePattern, IReadOnlyCollection<string>? tableTypes, CancellationToken cancellationToken)
    {
        var where = new StringBuilder(" WHERE 1 = 1");
        Catalog(where, "table_cat", catalog);
        Like(where, "table_schem", schemaPattern);
        Like(where, "table_name", tablePattern);
        if (tableTypes is { Count: > 0 }) where.Append(" AND table_type IN (").Append(string.Join(", ", tableTypes.Select(TrinoSession.QuoteLiteral))).Append(')');
        var rows = await session.QueryRowsAsync("SELECT table_cat, table_schem, table_name, table_type, remarks FROM system.jdbc.tables" + where + " ORDER BY table_type, table_cat, table_schem, table_name", cancellationToken).ConfigureAwait(false);
        return [.. rows.Select(r => new TableInfo(r[0]!, r[1]!, r[2]!, r[3] ?? "TABLE", r[4]))];
    }

    public async ValueTask<IReadOnlyList<ColumnMetadata>> GetColumnsAsync(string? catalog, string? schemaPattern, string? tablePattern, string? columnPattern, CancellationToken cancellationToken)
    {
        var where = new StringBuilder(" WHERE 1 = 1");
        Catalog(where, "table_cat", catalog);
        Like(where, "table_schem", schemaPattern);
        Like(where, "table_name", tablePattern);
        Like(where, "column_name", columnPattern);
        var rows = await session.QueryRowsAsync(
            "SELECT table_cat, table_schem, table_name, column_name, type_name, ordinal_position, is_nullable, remarks, column_def FROM system.jdbc.columns" + where +
            " ORDER BY table_cat, table_schem, table_name, ordinal_position", cancellationToken).ConfigureAwait(false);
        return [.. rows.Select(r => new ColumnMetadata(r[0]!, r[1]!, r[2]!, r[3]!, SafeType(r[4]), int.Parse(r[5] ?? "0", CultureInfo.InvariantCulture),
            !string.Equals(r[6], "NO", StringComparison.OrdinalIgnoreCase), r[7], r[8]))];
    }

    private static Gateway.Protocol.Columnar.SqlType SafeType(string? text)
    {
        try
        {
            return TrinoTypes.Parse(text ?? "varchar");
        }
        catch (Exception ex) when (ex is FormatException or OverflowException)
        {
            return Gateway.Protocol.Columnar.SqlType.String;
        }
    }

    public ValueTask<IReadOnlyList<FunctionInfo>> GetFunctionsAsync(string? catalog, string? schemaPattern, string? functionPattern, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<FunctionInfo>>([]);

    public ValueTask<IReadOnlyList<PrimaryKeyInfo>> GetPrimaryKeysAsync(string? catalog, string? schema, string table, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<PrimaryKeyInfo>>([]);

    public ValueTask<IReadOnlyList<ForeignKeyInfo>> GetCrossReferenceAsync(string? parentCatalog, string? parentSchema, string? parentTable, string? foreignCatalog, string? foreignSchema, string? foreignTable, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<ForeignKeyInfo>>([]);

    private void Catalog(StringBuilder where, string column, string? catalog)
    {
        var effective = string.IsNullOrEmpty(catalog) ? session.CurrentCatalog : catalog;
        if (effective is not null) where.Append(" AND ").Append(column).Append(" = ").Append(TrinoSession.QuoteLiteral(effective));
    }

    /// <summary>A JDBC pattern (<c>%</c>, <c>_</c>, escape <c>\</c>) as Trino's LIKE with the same escape.</summary>
    private static void Like(StringBuilder where, string column, string? pattern)
    {
        if (pattern is null or "%") return;
        where.Append(" AND ").Append(column).Append(" LIKE ").Append(TrinoSession.QuoteLiteral(pattern)).Append(" ESCAPE '\\'");
    }
}
