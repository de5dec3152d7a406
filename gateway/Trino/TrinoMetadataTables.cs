using System.Globalization;
using System.Text;
using Gateway.Engines;
using Gateway.Engines.DuckDb;
using Gateway.Protocol.Columnar;
using Gateway.Protocol.Sql;
using Gateway.Router.Policy;
using Gateway.Server.Engines;
using Gateway.Server.Sessions;

namespace Gateway.Server.Trino;

/// <summary>
/// Trino's metadata tables on the frontend: <c>system.jdbc.*</c>, what Trino's JDBC driver (and so DBeaver, DataGrip,
/// Metabase) and our own Trino engine adapter read for DatabaseMetaData, and <c>information_schema.*</c> (also
/// <c>catalog.information_schema.*</c>), what Superset's and SQLAlchemy's <c>trino://</c> dialect and dbt-trino read, with
/// Trino's type names in <c>data_type</c>. The gateway builds the rows the user may see (catalogs from the gateway's;
/// schemas, tables and columns of each catalog as <see cref="TrinoCatalogListing"/> lists them: the session engine's
/// from its live metadata, the others from their own listings; with the access policy's visibility) and runs the client's query over them in a throwaway in-memory DuckDB (sandboxed: no files, no
/// network, a small memory limit, one thread), so any WHERE, LIKE ... ESCAPE, ORDER BY or join a tool writes is
/// answered as Trino would, whatever engine the session is on. Only the tables a query names are built; equality and
/// LIKE filters on the schema and table name (and equality on the catalog) of a query without OR/NOT are applied to
/// the listings, so a large catalog is not listed whole for one table's columns. A query that also names an ordinary table fails (the
/// throwaway database has only these tables).
/// </summary>
internal static class TrinoMetadataTables
{
    private sealed record Table(string Schema, string Name, (string Name, string Type)[] Columns)
    {
        public string Key => Schema + "." + Name;
    }

    private const string Jdbc = "jdbc";
    private const string Info = "information_schema";

    /// <summary>The schema information_schema's tables live in inside the throwaway database (DuckDB has its own information_schema).</summary>
    private const string InfoLocal = "trino_information_schema";

    private const string V = "VARCHAR";
    private const string B = "BIGINT";
    private const string Bool = "BOOLEAN";

    private static readonly Table[] Tables =
    [
        new(Jdbc, "catalogs", [("table_cat", V)]),
        new(Jdbc, "schemas", [("table_schem", V), ("table_catalog", V)]),
        new(Jdbc, "tables", [("table_cat", V), ("table_schem", V), ("table_name", V), ("table_type", V), ("remarks", V), ("type_cat", V), ("type_schem", V), ("type_name", V), ("self_referencing_col_name", V), ("ref_generation", V)]),
        new(Jdbc, "columns", [("table_cat", V), ("table_schem", V), ("table_name", V), ("column_name", V), ("data_type", B), ("type_name", V), ("column_size", B), ("buffer_length", B),
            ("decimal_digits", B), ("num_prec_radix", B), ("nullable", B), ("remarks", V), ("column_def", V), ("sql_data_type", B), ("sql_datetime_sub", B), ("char_octet_length", B),
            ("ordinal_position", B), ("is_nullable", V), ("scope_catalog", V), ("scope_schema", V), ("scope_table", V), ("source_data_type", B), ("is_autoincrement", V), ("is_generatedcolumn", V)]),
        new(Jdbc, "table_types", [("table_type", V)]),
        new(Jdbc, "types", [("type_name", V), ("data_type", B), ("precision", B), ("literal_prefix", V), ("literal_suffix", V), ("create_params", V), ("nullable", B), ("case_sensitive", Bool),
            ("searchable", B), ("unsigned_attribute", Bool), ("fixed_prec_scale", Bool), ("auto_increment", Bool), ("local_type_name", V), ("minimum_scale", B), ("maximum_scale", B),
            ("sql_data_type", B), ("sql_datetime_sub", B), ("num_prec_radix", B)]),
        new(Jdbc, "primary_keys", [("table_cat", V), ("table_schem", V), ("table_name", V), ("column_name", V), ("key_seq", B), ("pk_name", V)]),
        new(Jdbc, "procedures", [("procedure_cat", V), ("procedure_schem", V), ("procedure_name", V), ("remarks", V), ("procedure_type", B), ("specific_name", V)]),
        new(Jdbc, "procedure_columns", [("procedure_cat", V), ("procedure_schem", V), ("procedure_name", V), ("column_name", V), ("column_type", B), ("data_type", B), ("type_name", V),
            ("precision", B), ("length", B), ("scale", B), ("radix", B), ("nullable", B), ("remarks", V), ("column_def", V), ("sql_data_type", B), ("sql_datetime_sub", B),
            ("char_octet_length", B), ("ordinal_position", B), ("is_nullable", V), ("specific_name", V)]),
        new(Jdbc, "udts", [("type_cat", V), ("type_schem", V), ("type_name", V), ("class_name", V), ("data_type", B), ("remarks", V), ("base_type", B)]),
        new(Jdbc, "super_types", [("type_cat", V), ("type_schem", V), ("type_name", V), ("supertype_cat", V), ("supertype_schem", V), ("supertype_name", V)]),
        new(Jdbc, "super_tables", [("table_cat", V), ("table_schem", V), ("table_name", V), ("supertable_name", V)]),
        new(Jdbc, "attributes", [("type_cat", V), ("type_schem", V), ("type_name", V), ("attr_name", V), ("data_type", B), ("attr_type_name", V), ("attr_size", B), ("decimal_digits", B),
            ("num_prec_radix", B), ("nullable", B), ("remarks", V), ("attr_def", V), ("sql_data_type", B), ("sql_datetime_sub", B), ("char_octet_length", B), ("ordinal_position", B),
            ("is_nullable", V), ("scope_catalog", V), ("scope_schema", V), ("scope_table", V), ("source_data_type", B)]),
        new(Jdbc, "pseudo_columns", [("table_cat", V), ("table_schem", V), ("table_name", V), ("column_name", V), ("data_type", B), ("column_size", B), ("decimal_digits", B),
            ("num_prec_radix", B), ("column_usage", V), ("remarks", V), ("char_octet_length", B), ("is_nullable", V)]),
        new(Info, "schemata", [("catalog_name", V), ("schema_name", V)]),
        new(Info, "tables", [("table_catalog", V), ("table_schema", V), ("table_name", V), ("table_type", V)]),
        new(Info, "columns", [("table_catalog", V), ("table_schema", V), ("table_name", V), ("column_name", V), ("ordinal_position", B), ("column_default", V),
            ("is_nullable", V), ("data_type", V), ("comment", V), ("extra_info", V)]),
        new(Info, "views", [("table_catalog", V), ("table_schema", V), ("table_name", V), ("view_owner", V), ("view_definition", V)]),
        new(Info, "table_privileges", [("grantor", V), ("grantor_type", V), ("grantee", V), ("grantee_type", V), ("table_catalog", V), ("table_schema", V), ("table_name", V),
            ("privilege_type", V), ("is_grantable", V), ("with_hierarchy", V)]),
        new(Info, "roles", [("role_name", V)]),
        new(Info, "applicable_roles", [("grantee", V), ("grantee_type", V), ("role_name", V), ("is_grantable", V)]),
        new(Info, "enabled_roles", [("role_name", V)]),
    ];

    /// <summary>A query over the metadata tables: its text for the throwaway database, the tables it names, and the catalogs it names them in.</summary>
    /// <param name="References">How many times the query names a metadata table (a self-join names one twice).</param>
    public sealed record Request(string Sql, IReadOnlySet<string> Tables, IReadOnlySet<string> Catalogs, int References = 1);

    /// <summary>Metadata-table queries that run at once in the process (each has its own throwaway database); more wait.</summary>
    public const int MaxConcurrent = 4;

    /// <summary>How long one may run, and how many rows its answer may have (it is materialized): bounds a cross join.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public const int MaxRows = 1_000_000;

    private static readonly SemaphoreSlim Slots = new(MaxConcurrent, MaxConcurrent);

    /// <summary>
    /// The query with its <c>system.jdbc.x</c>, <c>information_schema.x</c> and <c>catalog.information_schema.x</c>
    /// names rewritten to the throwaway database's; null when it names none of them.
    /// </summary>
    public static Request? Parse(string sql) => Parse(sql, SqlLexer.Tokenize(sql, SqlDialect.Trino));

    /// <summary>The same over the statement's tokens.</summary>
    public static Request? Parse(string sql, IReadOnlyList<SqlToken> tokens)
    {
        HashSet<string>? names = null;
        var references = 0;
        var catalogs = new HashSet<string>(StringComparer.Ordinal);
        var sb = new StringBuilder(sql.Length);
        var copied = 0;
        static string Name(SqlToken t) => t.Kind == SqlTokenKind.Word ? t.Value.ToLowerInvariant() : t.Value;
        bool Is(int k, string name) => k < tokens.Count && tokens[k].IsIdentifier && Name(tokens[k]) == name;
        bool Dot(int k) => k < tokens.Count && tokens[k].Kind == SqlTokenKind.Dot;
        bool Ident(int k) => k < tokens.Count && tokens[k].IsIdentifier;
        for (var k = 0; k < tokens.Count; k++)
        {
            if (!Ident(k) || (k > 0 && Dot(k - 1))) continue;
            int first = k, last;
            string schema, local;
            if (Is(k, "system") && Dot(k + 1) && Is(k + 2, Jdbc) && Dot(k + 3) && Ident(k + 4))
            {
                (schema, local, last) = (Jdbc, Jdbc, k + 4);
            }
            else if (Dot(k + 1) && Is(k + 2, Info) && Dot(k + 3) && Ident(k + 4))
            {
                catalogs.Add(Name(tokens[k]));
                (schema, local, last) = (Info, InfoLocal, k + 4);
            }
            else if (Is(k, Info) && Dot(k + 1) && Ident(k + 2) && !Dot(k + 3))
            {
                (schema, local, last) = (Info, InfoLocal, k + 2);
            }
            else continue;
            var table = Name(tokens[last]);
            (names ??= new(StringComparer.Ordinal)).Add(schema + "." + table);
            references++;
            sb.Append(sql, copied, tokens[first].Start - copied).Append(local).Append(".\"").Append(table.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
            copied = tokens[last].End;
            k = last;
        }
        return names is null ? null : new(sb.Append(sql, copied, sql.Length - copied).ToString(), names, catalogs, references);
    }

    /// <summary>Builds the tables <paramref name="request"/> names for <paramref name="session"/>'s user and runs its query over them.</summary>
    public static async ValueTask<ColumnBatch> QueryAsync(Hs2Session session, SessionManager sessions, Request request, CancellationToken ct)
    {
        foreach (var name in request.Tables)
        {
            if (!Tables.Any(t => t.Key == name)) throw new GatewayException($"Table '{(name.StartsWith(Jdbc + ".", StringComparison.Ordinal) ? "system." : "")}{name}' does not exist", "42S02");
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(Timeout);
        if (!await Slots.WaitAsync(Timeout, ct).ConfigureAwait(false))
        {
            throw new GatewayException($"{MaxConcurrent} metadata queries are running already; try again.", "53000");
        }
        try
        {
            return await RunQueryAsync(session, sessions, request, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw new GatewayException(string.Create(CultureInfo.InvariantCulture, $"The metadata query ran longer than {Timeout.TotalSeconds:0} s; narrow it."), "57014");
        }
        finally
        {
            Slots.Release();
        }
    }

    private static async ValueTask<ColumnBatch> RunQueryAsync(Hs2Session session, SessionManager sessions, Request request, CancellationToken ct)
    {
        var listing = new TrinoCatalogListing(session, sessions);
        var filter = Pushdown(request);
        // system.jdbc lists every catalog the user may use (or the one its query names); information_schema the catalog it is
        // qualified with, else the session's current catalog (X-Trino-Catalog), else the session engine's.
        IReadOnlyList<string> jdbcCatalogs = filter.Catalog is { } only ? [.. listing.Visible.Where(v => v.Equals(only, StringComparison.OrdinalIgnoreCase))] : listing.Visible;
        var current = session.Conf.GetValueOrDefault(Routing.RoutingService.CatalogConf) ?? listing.EngineCatalog;
        IReadOnlyList<string> infoCatalogs = [.. (request.Catalogs.Count > 0 ? (IEnumerable<string>)request.Catalogs : [current]).Select(listing.Find).OfType<string>().Distinct(StringComparer.OrdinalIgnoreCase)];
        await using var scratch = new DuckDbEngine(DuckDbEngineOptions.InMemory(threads: 1) with { Name = "trino-metadata", MemoryLimit = "256MB" });
        await using var db = await scratch.OpenSessionAsync(new EngineSessionOptions(session.User), ct).ConfigureAwait(false);
        await RunAsync(db, $"CREATE SCHEMA {Jdbc}", ct).ConfigureAwait(false);
        await RunAsync(db, $"CREATE SCHEMA {InfoLocal}", ct).ConfigureAwait(false);
        var source = new Source(session, sessions, listing, jdbcCatalogs, infoCatalogs, filter);
        try
        {
            foreach (var table in Tables.Where(t => request.Tables.Contains(t.Key)))
            {
                var schema = table.Schema == Jdbc ? Jdbc : InfoLocal;
                await RunAsync(db, $"CREATE TABLE {schema}.`{table.Name}` ({string.Join(", ", table.Columns.Select(c => $"`{c.Name}` {c.Type}"))})", ct).ConfigureAwait(false);
                foreach (var chunk in (await source.RowsAsync(table.Key, ct).ConfigureAwait(false)).Chunk(500))
                {
                    var values = string.Join(", ", chunk.Select(r => "(" + string.Join(", ", r.Select(Literal)) + ")"));
                    await RunAsync(db, $"INSERT INTO {schema}.`{table.Name}` VALUES {values}", ct).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            await source.DisposeAsync().ConfigureAwait(false);
        }
        await using var result = await db.ExecuteAsync(TrinoStatementText.ToGateway(request.Sql), ExecuteOptions.Default, ct).ConfigureAwait(false);
        var batches = new List<ColumnBatch>();
        try
        {
            var rows = 0L;
            while (await result.ReadBatchAsync(10_000, ct).ConfigureAwait(false) is { } batch)
            {
                batches.Add(batch);
                if ((rows += batch.RowCount) > MaxRows) throw new GatewayException(string.Create(CultureInfo.InvariantCulture, $"The metadata query returns more than {MaxRows:N0} rows; narrow it."), "54000");
            }
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

    /// <summary>
    /// Equality or LIKE filters on the schema and table name columns, as JDBC patterns, and an equality on the catalog
    /// column, when they must hold for every row the query reads: one SELECT over one metadata table, no OR or NOT
    /// (the drivers' own queries). Anything else lists everything and lets the query filter.
    /// </summary>
    private static (string? Catalog, string? Schema, string? Table) Pushdown(Request request)
    {
        var tokens = SqlLexer.Tokenize(request.Sql, SqlDialect.Trino);
        if (request.References != 1 || tokens.Count(t => t.IsWord("SELECT")) != 1 || tokens.Any(t => t.IsWord("OR") || t.IsWord("NOT")))
        {
            return (null, null, null);
        }
        string? catalog = null, schema = null, table = null;
        for (var k = 0; k + 2 < tokens.Count; k++)
        {
            var t = tokens[k];
            if (!t.IsIdentifier || tokens[k + 2].Kind != SqlTokenKind.String) continue;
            var column = t.Kind == SqlTokenKind.Word ? t.Value.ToLowerInvariant() : t.Value;
            var value = tokens[k + 2].Value;
            if (column is "table_cat" or "table_catalog" or "catalog_name")
            {
                if (tokens[k + 1].IsOperator("=")) catalog ??= value;
                continue;
            }
            if (column is not ("table_schem" or "table_schema" or "schema_name" or "table_name")) continue;
            string? pattern = null;
            if (tokens[k + 1].IsOperator("=")) pattern = TrinoListings.Escape(value);
            else if (tokens[k + 1].IsWord("LIKE"))
            {
                // A JDBC pattern escapes with a backslash: the SQL pattern means the same only with ESCAPE '\\' (or no backslash in it).
                var escaped = k + 4 < tokens.Count && tokens[k + 3].IsWord("ESCAPE") && tokens[k + 4] is { Kind: SqlTokenKind.String, Value: "\\" };
                if (escaped || !value.Contains('\\', StringComparison.Ordinal)) pattern = value;
            }
            if (pattern is null) continue;
            if (column == "table_name") table ??= pattern;
            else schema ??= pattern;
        }
        return (catalog, schema, table);
    }

    /// <summary>The rows of the metadata tables for one query, each listing read once (several tables may need it).</summary>
    private sealed class Source(Hs2Session session, SessionManager sessions, TrinoCatalogListing listing, IReadOnlyList<string> jdbcCatalogs,
        IReadOnlyList<string> infoCatalogs, (string? Catalog, string? Schema, string? Table) filter) : IAsyncDisposable
    {
        private IAsyncDisposable? _lease;
        private IEngineMetadata? _metadata;
        private readonly Dictionary<string, IReadOnlyList<SchemaInfo>> _schemas = new(StringComparer.OrdinalIgnoreCase);
        private readonly Dictionary<string, IReadOnlyList<TableInfo>> _tables = new(StringComparer.OrdinalIgnoreCase);
        private readonly Dictionary<string, IReadOnlyList<ColumnMetadata>> _columns = new(StringComparer.OrdinalIgnoreCase);

        private async ValueTask<IEngineMetadata> MetadataAsync(CancellationToken ct)
        {
            if (_metadata is not null) return _metadata;
            var lease = await session.AcquireEngineSessionAsync(ct).ConfigureAwait(false);
            _lease = lease;
            return _metadata = lease.Session.Metadata;
        }

        private async ValueTask<IReadOnlyList<SchemaInfo>> SchemasAsync(string catalog, CancellationToken ct)
        {
            if (_schemas.TryGetValue(catalog, out var known)) return known;
            IReadOnlyList<SchemaInfo> schemas;
            if (listing.IsEngineCatalog(catalog))
            {
                schemas = await (await MetadataAsync(ct).ConfigureAwait(false)).GetSchemasAsync(null, filter.Schema, ct).ConfigureAwait(false);
                if (sessions.AccessControl is { } access) schemas = access.Visible(session, schemas);
            }
            else
            {
                var pattern = filter.Schema is { } p ? JdbcPattern.ToRegex(p) : null;
                schemas = [.. (await listing.SchemasAsync(catalog, ct).ConfigureAwait(false)).Where(s => pattern is null || pattern.IsMatch(s.Schema))];
            }
            return _schemas[catalog] = schemas;
        }

        private async ValueTask<IReadOnlyList<TableInfo>> TablesAsync(string catalog, CancellationToken ct)
        {
            if (_tables.TryGetValue(catalog, out var known)) return known;
            IReadOnlyList<TableInfo> tables;
            if (listing.IsEngineCatalog(catalog))
            {
                tables = await (await MetadataAsync(ct).ConfigureAwait(false)).GetTablesAsync(null, filter.Schema, filter.Table, null, ct).ConfigureAwait(false);
                if (sessions.AccessControl is { } access) tables = access.Visible(session, tables);
            }
            else
            {
                var schemaPattern = filter.Schema is { } p ? JdbcPattern.ToRegex(p) : null;
                var tablePattern = filter.Table is { } q ? JdbcPattern.ToRegex(q) : null;
                var exactSchema = filter.Schema is { } e && !e.Contains('%', StringComparison.Ordinal) && !e.Contains('_', StringComparison.Ordinal) ? e : null;
                tables = [.. (await listing.TablesAsync(catalog, exactSchema, ct).ConfigureAwait(false))
                    .Where(t => (schemaPattern is null || schemaPattern.IsMatch(t.Schema)) && (tablePattern is null || tablePattern.IsMatch(t.Name)))];
            }
            return _tables[catalog] = tables;
        }

        private async ValueTask<IReadOnlyList<ColumnMetadata>> ColumnsAsync(string catalog, CancellationToken ct)
        {
            if (_columns.TryGetValue(catalog, out var known)) return known;
            IReadOnlyList<ColumnMetadata> columns;
            if (listing.IsEngineCatalog(catalog))
            {
                columns = await (await MetadataAsync(ct).ConfigureAwait(false)).GetColumnsAsync(null, filter.Schema, filter.Table, null, ct).ConfigureAwait(false);
                if (sessions.AccessControl is { } access) columns = access.Visible(session, columns);
            }
            else
            {
                columns = await listing.ColumnsAsync(catalog, await TablesAsync(catalog, ct).ConfigureAwait(false), ct).ConfigureAwait(false);
            }
            return _columns[catalog] = columns;
        }

        public async ValueTask<List<object?[]>> RowsAsync(string table, CancellationToken ct)
        {
            var rows = new List<object?[]>();
            switch (table)
            {
                case "jdbc.catalogs":
                    foreach (var c in jdbcCatalogs) rows.Add([c]);
                    return rows;
                case "jdbc.table_types":
                    rows.Add(["TABLE"]);
                    rows.Add(["VIEW"]);
                    return rows;
                case "jdbc.types":
                    foreach (var (name, type) in TypeRows) rows.Add(TypeRow(name, type));
                    return rows;
                case "information_schema.enabled_roles" or "information_schema.applicable_roles" or "information_schema.roles" or "information_schema.table_privileges":
                    return rows;
            }
            foreach (var catalog in table.StartsWith(Jdbc + ".", StringComparison.Ordinal) ? jdbcCatalogs : infoCatalogs)
            {
                await AddRowsAsync(rows, table, catalog, ct).ConfigureAwait(false);
            }
            return rows;
        }

        private async ValueTask AddRowsAsync(List<object?[]> rows, string table, string catalog, CancellationToken ct)
        {
            switch (table)
            {
                case "jdbc.schemas":
                    foreach (var s in (await SchemasAsync(catalog, ct).ConfigureAwait(false)).Select(s => s.Schema).Distinct(StringComparer.Ordinal)) rows.Add([s, catalog]);
                    break;
                case "information_schema.schemata":
                    foreach (var s in (await SchemasAsync(catalog, ct).ConfigureAwait(false)).Select(s => s.Schema).Distinct(StringComparer.Ordinal)) rows.Add([catalog, s]);
                    break;
                case "jdbc.tables":
                    foreach (var t in await TablesAsync(catalog, ct).ConfigureAwait(false)) rows.Add([catalog, t.Schema, t.Name, TableType(t.TableType), t.Comment ?? "", null, null, null, null, null]);
                    break;
                case "information_schema.tables":
                    foreach (var t in await TablesAsync(catalog, ct).ConfigureAwait(false)) rows.Add([catalog, t.Schema, t.Name, TableType(t.TableType) == "VIEW" ? "VIEW" : "BASE TABLE"]);
                    break;
                case "information_schema.views":
                    foreach (var t in (await TablesAsync(catalog, ct).ConfigureAwait(false)).Where(t => TableType(t.TableType) == "VIEW")) rows.Add([catalog, t.Schema, t.Name, null, null]);
                    break;
                case "jdbc.columns":
                    foreach (var c in await ColumnsAsync(catalog, ct).ConfigureAwait(false))
                    {
                        var type = c.Type;
                        rows.Add([catalog, c.Schema, c.Table, c.Name, (long)JdbcType(type), TrinoJson.TypeText(type), Precision(type), 0L, DecimalDigits(type), Radix(type),
                            c.Nullable ? 1L : 0L, c.Comment, c.Default, null, null, OctetLength(type), (long)c.Position, c.Nullable ? "YES" : "NO", null, null, null, null, "NO", "NO"]);
                    }
                    break;
                case "information_schema.columns":
                    foreach (var c in await ColumnsAsync(catalog, ct).ConfigureAwait(false))
                    {
                        rows.Add([catalog, c.Schema, c.Table, c.Name, (long)c.Position, c.Default, c.Nullable ? "YES" : "NO", TrinoJson.TypeText(c.Type), c.Comment, null]);
                    }
                    break;
                case "jdbc.primary_keys" when listing.IsEngineCatalog(catalog) && filter.Table is { } name && !name.Contains('%', StringComparison.Ordinal) && !name.Contains('_', StringComparison.Ordinal):
                    // JDBC asks for one table's keys; the engine's metadata takes the exact name. Other catalogs list no keys.
                    foreach (var k in await (await MetadataAsync(ct).ConfigureAwait(false)).GetPrimaryKeysAsync(null, filter.Schema, name, ct).ConfigureAwait(false))
                    {
                        rows.Add([catalog, k.Schema, k.Table, k.Column, (long)k.KeySeq, k.Name]);
                    }
                    break;
            }
        }

        public ValueTask DisposeAsync() => _lease?.DisposeAsync() ?? ValueTask.CompletedTask;
    }

    private static object?[] TypeRow(string name, SqlType type)
    {
        var text = type.Kind is SqlTypeKind.String or SqlTypeKind.Varchar or SqlTypeKind.Char;
        var numeric = type.Kind is SqlTypeKind.TinyInt or SqlTypeKind.SmallInt or SqlTypeKind.Int or SqlTypeKind.BigInt or SqlTypeKind.Float or SqlTypeKind.Double or SqlTypeKind.Decimal;
        return [name, (long)JdbcType(type), Precision(type), text ? "'" : null, text ? "'" : null, null, 1L, text, 3L, !numeric, false, false, null, 0L,
            type.Kind == SqlTypeKind.Decimal ? 38L : 0L, null, null, Radix(type)];
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

    /// <summary>java.sql.Types of a column, as Trino's JDBC tables give them (REAL, VARBINARY, TIME: not Hive's codes, <see cref="Hive.JdbcTypes"/>).</summary>
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
