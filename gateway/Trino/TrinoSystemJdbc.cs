using System.Globalization;
using System.Text;
using Gateway.Engines;
using Gateway.Engines.DuckDb;
using Gateway.Protocol.Columnar;
using Gateway.Protocol.Sql;
using Gateway.Router.Policy;
using Gateway.Server.Sessions;

namespace Gateway.Server.Trino;

/// <summary>
/// Trino's <c>system.jdbc</c> tables on the frontend: what Trino's JDBC driver (and so DBeaver, DataGrip, Metabase)
/// and our own Trino engine adapter read for DatabaseMetaData. No engine behind the gateway has them, so the gateway
/// builds the rows the user may see (catalogs from the gateway's, schemas, tables and columns from the session engine's
/// metadata, under the catalog the session uses, with the access policy's visibility) and runs the client's query over
/// them in a throwaway in-memory DuckDB (sandboxed: no files, no network, a small memory limit, one thread), so any
/// WHERE, LIKE ... ESCAPE, ORDER BY or join the driver writes is answered as Trino would. Only the tables a query
/// names are built; filters on <c>table_schem</c>/<c>table_name</c> of a query without OR are passed to the engine's
/// metadata calls so a large catalog is not listed whole for one table's columns.
/// </summary>
internal static class TrinoSystemJdbc
{
    private sealed record Table(string Name, (string Name, string Type)[] Columns);

    private const string V = "VARCHAR";
    private const string B = "BIGINT";
    private const string Bool = "BOOLEAN";

    private static readonly Table[] Tables =
    [
        new("catalogs", [("table_cat", V)]),
        new("schemas", [("table_schem", V), ("table_catalog", V)]),
        new("tables", [("table_cat", V), ("table_schem", V), ("table_name", V), ("table_type", V), ("remarks", V), ("type_cat", V), ("type_schem", V), ("type_name", V), ("self_referencing_col_name", V), ("ref_generation", V)]),
        new("columns", [("table_cat", V), ("table_schem", V), ("table_name", V), ("column_name", V), ("data_type", B), ("type_name", V), ("column_size", B), ("buffer_length", B),
            ("decimal_digits", B), ("num_prec_radix", B), ("nullable", B), ("remarks", V), ("column_def", V), ("sql_data_type", B), ("sql_datetime_sub", B), ("char_octet_length", B),
            ("ordinal_position", B), ("is_nullable", V), ("scope_catalog", V), ("scope_schema", V), ("scope_table", V), ("source_data_type", B), ("is_autoincrement", V), ("is_generatedcolumn", V)]),
        new("table_types", [("table_type", V)]),
        new("types", [("type_name", V), ("data_type", B), ("precision", B), ("literal_prefix", V), ("literal_suffix", V), ("create_params", V), ("nullable", B), ("case_sensitive", Bool),
            ("searchable", B), ("unsigned_attribute", Bool), ("fixed_prec_scale", Bool), ("auto_increment", Bool), ("local_type_name", V), ("minimum_scale", B), ("maximum_scale", B),
            ("sql_data_type", B), ("sql_datetime_sub", B), ("num_prec_radix", B)]),
        new("primary_keys", [("table_cat", V), ("table_schem", V), ("table_name", V), ("column_name", V), ("key_seq", B), ("pk_name", V)]),
        new("procedures", [("procedure_cat", V), ("procedure_schem", V), ("procedure_name", V), ("remarks", V), ("procedure_type", B), ("specific_name", V)]),
        new("procedure_columns", [("procedure_cat", V), ("procedure_schem", V), ("procedure_name", V), ("column_name", V), ("column_type", B), ("data_type", B), ("type_name", V),
            ("precision", B), ("length", B), ("scale", B), ("radix", B), ("nullable", B), ("remarks", V), ("column_def", V), ("sql_data_type", B), ("sql_datetime_sub", B),
            ("char_octet_length", B), ("ordinal_position", B), ("is_nullable", V), ("specific_name", V)]),
        new("udts", [("type_cat", V), ("type_schem", V), ("type_name", V), ("class_name", V), ("data_type", B), ("remarks", V), ("base_type", B)]),
        new("super_types", [("type_cat", V), ("type_schem", V), ("type_name", V), ("supertype_cat", V), ("supertype_schem", V), ("supertype_name", V)]),
        new("super_tables", [("table_cat", V), ("table_schem", V), ("table_name", V), ("supertable_name", V)]),
        new("attributes", [("type_cat", V), ("type_schem", V), ("type_name", V), ("attr_name", V), ("data_type", B), ("attr_type_name", V), ("attr_size", B), ("decimal_digits", B),
            ("num_prec_radix", B), ("nullable", B), ("remarks", V), ("attr_def", V), ("sql_data_type", B), ("sql_datetime_sub", B), ("char_octet_length", B), ("ordinal_position", B),
            ("is_nullable", V), ("scope_catalog", V), ("scope_schema", V), ("scope_table", V), ("source_data_type", B)]),
        new("pseudo_columns", [("table_cat", V), ("table_schem", V), ("table_name", V), ("column_name", V), ("data_type", B), ("column_size", B), ("decimal_digits", B),
            ("num_prec_radix", B), ("column_usage", V), ("remarks", V), ("char_octet_length", B), ("is_nullable", V)]),
    ];

    /// <summary>The query with its <c>system.jdbc.x</c> names as <c>jdbc.x</c> and the tables it names; null when it names none.</summary>
    public static (string Sql, IReadOnlySet<string> Tables)? Parse(string sql)
    {
        var tokens = SqlLexer.Tokenize(sql, SqlDialect.Trino);
        HashSet<string>? names = null;
        var sb = new StringBuilder(sql.Length);
        var copied = 0;
        static string Name(SqlToken t) => t.Kind == SqlTokenKind.Word ? t.Value.ToLowerInvariant() : t.Value;
        for (var k = 0; k + 4 < tokens.Count; k++)
        {
            if (!tokens[k].IsIdentifier || Name(tokens[k]) != "system" || tokens[k + 1].Kind != SqlTokenKind.Dot || !tokens[k + 2].IsIdentifier
                || Name(tokens[k + 2]) != "jdbc" || tokens[k + 3].Kind != SqlTokenKind.Dot || !tokens[k + 4].IsIdentifier)
            {
                continue;
            }
            var table = Name(tokens[k + 4]);
            (names ??= new(StringComparer.Ordinal)).Add(table);
            sb.Append(sql, copied, tokens[k].Start - copied).Append("jdbc.\"").Append(table.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
            copied = tokens[k + 4].End;
            k += 4;
        }
        return names is null ? null : (sb.Append(sql, copied, sql.Length - copied).ToString(), names);
    }

    /// <summary>Builds the named tables for <paramref name="session"/>'s user and runs <paramref name="sql"/> (from <see cref="Parse"/>) over them.</summary>
    public static async ValueTask<ColumnBatch> QueryAsync(Hs2Session session, SessionManager sessions, string sql, IReadOnlySet<string> names, CancellationToken ct)
    {
        foreach (var name in names)
        {
            if (!Tables.Any(t => t.Name == name)) throw new GatewayException($"Table 'system.jdbc.{name}' does not exist", "42S02");
        }
        var filters = Pushdown(sql);
        await using var scratch = new DuckDbEngine(DuckDbEngineOptions.InMemory(threads: 1) with { Name = "system-jdbc", MemoryLimit = "256MB" });
        await using var db = await scratch.OpenSessionAsync(new EngineSessionOptions(session.User), ct).ConfigureAwait(false);
        await RunAsync(db, "CREATE SCHEMA jdbc", ct).ConfigureAwait(false);
        foreach (var table in Tables.Where(t => names.Contains(t.Name)))
        {
            await RunAsync(db, $"CREATE TABLE jdbc.`{table.Name}` ({string.Join(", ", table.Columns.Select(c => $"`{c.Name}` {c.Type}"))})", ct).ConfigureAwait(false);
            var rows = await RowsAsync(table.Name, session, sessions, filters, ct).ConfigureAwait(false);
            foreach (var chunk in rows.Chunk(500))
            {
                var values = string.Join(", ", chunk.Select(r => "(" + string.Join(", ", r.Select(Literal)) + ")"));
                await RunAsync(db, $"INSERT INTO jdbc.`{table.Name}` VALUES {values}", ct).ConfigureAwait(false);
            }
        }
        await using var result = await db.ExecuteAsync(TrinoStatementText.ToGateway(sql), ExecuteOptions.Default, ct).ConfigureAwait(false);
        var batches = new List<ColumnBatch>();
        try
        {
            while (await result.ReadBatchAsync(10_000, ct).ConfigureAwait(false) is { } batch) batches.Add(batch);
            if (batches.Count == 1) return batches[0];
            var all = batches.Count == 0 ? new BatchBuilder(result.Schema).Build() : ColumnConcat.Concat(result.Schema, [.. batches.Select(b => (b, 0, b.RowCount))]);
            foreach (var b in batches) b.Dispose();
            return all;
        }
        catch
        {
            foreach (var b in batches) b.Dispose();
            throw;
        }
    }

    private static async Task RunAsync(IEngineSession db, string sql, CancellationToken ct)
    {
        await using var result = await db.ExecuteAsync(sql, ExecuteOptions.Default, ct).ConfigureAwait(false);
        while (await result.ReadBatchAsync(1000, ct).ConfigureAwait(false) is { } b) b.Dispose();
    }

    private static string Literal(object? value) => value switch
    {
        null => "NULL",
        bool b => b ? "true" : "false",
        long or int => Convert.ToString(value, CultureInfo.InvariantCulture)!,
        string s => Router.Policy.PolicyRewriter.Literal(s, EngineKind.DuckDb),
        _ => throw new InvalidOperationException($"no literal for {value.GetType()}"),
    };

    /// <summary>Equality or LIKE filters on <c>table_schem</c> and <c>table_name</c>, as JDBC patterns, when the query has no OR or NOT.</summary>
    private static (string? Schema, string? Table) Pushdown(string sql)
    {
        var tokens = SqlLexer.Tokenize(sql, SqlDialect.Trino);
        if (tokens.Any(t => t.IsWord("OR") || t.IsWord("NOT"))) return (null, null);
        string? schema = null, table = null;
        for (var k = 0; k + 2 < tokens.Count; k++)
        {
            var t = tokens[k];
            if (!t.IsIdentifier || tokens[k + 2].Kind != SqlTokenKind.String) continue;
            var column = t.Kind == SqlTokenKind.Word ? t.Value.ToLowerInvariant() : t.Value;
            if (column is not ("table_schem" or "table_name")) continue;
            var value = tokens[k + 2].Value;
            string? pattern = null;
            if (tokens[k + 1].IsOperator("=")) pattern = TrinoListings.Escape(value);
            else if (tokens[k + 1].IsWord("LIKE"))
            {
                // A JDBC pattern escapes with a backslash: the SQL pattern means the same only with ESCAPE '\' (or no backslash in it).
                var escaped = k + 4 < tokens.Count && tokens[k + 3].IsWord("ESCAPE") && tokens[k + 4] is { Kind: SqlTokenKind.String, Value: "\\" };
                if (escaped || !value.Contains('\\', StringComparison.Ordinal)) pattern = value;
            }
            if (pattern is null) continue;
            if (column == "table_schem") schema ??= pattern;
            else table ??= pattern;
        }
        return (schema, table);
    }

    /// <summary>The catalog name the session engine's objects are listed under: the session's catalog, else the first the user may use.</summary>
    private static string CatalogOf(Hs2Session session, SessionManager sessions, IReadOnlyList<string> visible) =>
        session.Conf.GetValueOrDefault(Routing.RoutingService.CatalogConf) is { } current && visible.Contains(current, StringComparer.OrdinalIgnoreCase)
            ? visible.First(v => v.Equals(current, StringComparison.OrdinalIgnoreCase))
            : visible.FirstOrDefault() ?? sessions.Routing.Catalogs.All.FirstOrDefault()?.Name ?? "embedded";

    private static async ValueTask<List<object?[]>> RowsAsync(string table, Hs2Session session, SessionManager sessions, (string? Schema, string? Table) filter, CancellationToken ct)
    {
        var catalogs = TrinoListings.VisibleCatalogs(session, sessions);
        var rows = new List<object?[]>();
        switch (table)
        {
            case "catalogs":
                foreach (var c in catalogs) rows.Add([c]);
                return rows;
            case "table_types":
                rows.Add(["TABLE"]);
                rows.Add(["VIEW"]);
                return rows;
            case "types":
                foreach (var (name, type) in TypeRows) rows.Add([name, (long)JdbcType(type), Precision(type), type.Kind is SqlTypeKind.String or SqlTypeKind.Varchar or SqlTypeKind.Char ? "'" : null,
                    type.Kind is SqlTypeKind.String or SqlTypeKind.Varchar or SqlTypeKind.Char ? "'" : null, null, 1L, type.Kind is SqlTypeKind.String or SqlTypeKind.Varchar or SqlTypeKind.Char,
                    3L, type.Kind is not (SqlTypeKind.TinyInt or SqlTypeKind.SmallInt or SqlTypeKind.Int or SqlTypeKind.BigInt or SqlTypeKind.Float or SqlTypeKind.Double or SqlTypeKind.Decimal),
                    false, false, null, 0L, type.Kind == SqlTypeKind.Decimal ? 38L : 0L, null, null, Radix(type)]);
                return rows;
            case "schemas" or "tables" or "columns" or "primary_keys":
                break;
            default:
                return rows;
        }
        if (catalogs.Count == 0) return rows;
        var catalog = CatalogOf(session, sessions, catalogs);
        var access = sessions.AccessControl;
        await using var lease = await session.AcquireEngineSessionAsync(ct).ConfigureAwait(false);
        var metadata = lease.Session.Metadata;
        switch (table)
        {
            case "schemas":
                IReadOnlyList<SchemaInfo> schemas = await metadata.GetSchemasAsync(null, filter.Schema, ct).ConfigureAwait(false);
                if (access is not null) schemas = access.Visible(session, schemas);
                foreach (var s in schemas.Select(s => s.Schema).Distinct(StringComparer.Ordinal)) rows.Add([s, catalog]);
                break;
            case "tables":
                IReadOnlyList<TableInfo> tables = await metadata.GetTablesAsync(null, filter.Schema, filter.Table, null, ct).ConfigureAwait(false);
                if (access is not null) tables = access.Visible(session, tables);
                foreach (var t in tables) rows.Add([catalog, t.Schema, t.Name, TableType(t.TableType), t.Comment ?? "", null, null, null, null, null]);
                break;
            case "columns":
                IReadOnlyList<ColumnMetadata> columns = await metadata.GetColumnsAsync(null, filter.Schema, filter.Table, null, ct).ConfigureAwait(false);
                if (access is not null) columns = access.Visible(session, columns);
                foreach (var c in columns)
                {
                    var type = c.Type;
                    rows.Add([catalog, c.Schema, c.Table, c.Name, (long)JdbcType(type), TrinoJson.TypeText(type), Precision(type), 0L, DecimalDigits(type), Radix(type),
                        c.Nullable ? 1L : 0L, c.Comment, c.Default, null, null, OctetLength(type), (long)c.Position, c.Nullable ? "YES" : "NO", null, null, null, null, "NO", "NO"]);
                }
                break;
            case "primary_keys" when filter.Table is { } name && !name.Contains('%', StringComparison.Ordinal) && !name.Contains('_', StringComparison.Ordinal):
                // JDBC asks for one table's keys; the engine's metadata takes the exact name.
                foreach (var k in await metadata.GetPrimaryKeysAsync(null, filter.Schema, name, ct).ConfigureAwait(false))
                {
                    rows.Add([catalog, k.Schema, k.Table, k.Column, (long)k.KeySeq, k.Name]);
                }
                break;
        }
        return rows;
    }

    private static string TableType(string engineType) => engineType.ToUpperInvariant() switch
    {
        "VIEW" => "VIEW",
        "BASE TABLE" or "TABLE" or "MANAGED_TABLE" or "EXTERNAL_TABLE" or "EXTERNAL TABLE" => "TABLE",
        var other => other,
    };

    private static readonly (string Name, SqlType Type)[] TypeRows =
    [
        ("boolean", SqlType.Boolean), ("tinyint", SqlType.TinyInt), ("smallint", SqlType.SmallInt), ("integer", SqlType.Int), ("bigint", SqlType.BigInt),
        ("real", SqlType.Float), ("double", SqlType.Double), ("decimal", SqlType.Decimal(38, 0)), ("varchar", SqlType.String), ("char", SqlType.Char(1)),
        ("varbinary", SqlType.Binary), ("date", SqlType.Date), ("time", SqlType.Time), ("timestamp", SqlType.Timestamp), ("timestamp with time zone", SqlType.TimestampTz),
        ("array", SqlType.Array(SqlType.String)), ("map", SqlType.Map(SqlType.String, SqlType.String)), ("row", SqlType.Struct([new SqlField("f", SqlType.String)])),
    ];

    /// <summary>java.sql.Types of a column, as Trino's JDBC tables give them.</summary>
    internal static int JdbcType(SqlType type) => type.Kind switch
    {
        SqlTypeKind.Boolean => 16,
        SqlTypeKind.TinyInt => -6,
        SqlTypeKind.SmallInt => 5,
        SqlTypeKind.Int => 4,
        SqlTypeKind.BigInt => -5,
        SqlTypeKind.Float => 7,
        SqlTypeKind.Double => 8,
        SqlTypeKind.Decimal => 3,
        SqlTypeKind.String or SqlTypeKind.Varchar or SqlTypeKind.Interval => 12,
        SqlTypeKind.Char => 1,
        SqlTypeKind.Binary => -3,
        SqlTypeKind.Date => 91,
        SqlTypeKind.Time => 92,
        SqlTypeKind.Timestamp => 93,
        SqlTypeKind.TimestampTz => 2014,
        SqlTypeKind.Array => 2003,
        SqlTypeKind.Null => 0,
        _ => 2000,
    };

    private static long? Precision(SqlType type) => type.Kind switch
    {
        SqlTypeKind.BigInt => 19,
        SqlTypeKind.Int => 10,
        SqlTypeKind.SmallInt => 5,
        SqlTypeKind.TinyInt => 3,
        SqlTypeKind.Decimal => type.Precision,
        SqlTypeKind.Float => 24,
        SqlTypeKind.Double => 53,
        SqlTypeKind.Varchar or SqlTypeKind.Char => type.Length,
        SqlTypeKind.String or SqlTypeKind.Binary => int.MaxValue,
        SqlTypeKind.Date => 10,
        SqlTypeKind.Time => 15,
        SqlTypeKind.Timestamp => 26,
        SqlTypeKind.TimestampTz => 32,
        _ => null,
    };

    private static long? DecimalDigits(SqlType type) => type.Kind switch
    {
        SqlTypeKind.TinyInt or SqlTypeKind.SmallInt or SqlTypeKind.Int or SqlTypeKind.BigInt => 0,
        SqlTypeKind.Decimal => type.Scale,
        SqlTypeKind.Time or SqlTypeKind.Timestamp or SqlTypeKind.TimestampTz => 6,
        _ => null,
    };

    private static long? Radix(SqlType type) => type.Kind switch
    {
        SqlTypeKind.TinyInt or SqlTypeKind.SmallInt or SqlTypeKind.Int or SqlTypeKind.BigInt or SqlTypeKind.Decimal => 10,
        SqlTypeKind.Float or SqlTypeKind.Double => 2,
        _ => null,
    };

    private static long? OctetLength(SqlType type) => type.Kind switch
    {
        SqlTypeKind.Varchar or SqlTypeKind.Char => type.Length,
        SqlTypeKind.String or SqlTypeKind.Binary => int.MaxValue,
        _ => null,
    };
}
