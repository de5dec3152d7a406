using System.Text;
using System.Text.RegularExpressions;
using Gateway.Engines;
using Gateway.Protocol.Columnar;
using Gateway.Protocol.Sql;
using Gateway.Server.Sessions;

namespace Gateway.Server.Trino;

/// <summary>
/// Trino's browsing statements, answered by the gateway in Trino's layouts, the way BI tools and the Trino CLI send
/// them at connect time: <c>SHOW SESSION</c>, <c>SHOW CATALOGS</c> (the gateway's catalogs the user may use), <c>SHOW SCHEMAS</c>,
/// <c>SHOW TABLES</c>, <c>SHOW COLUMNS FROM t</c> and <c>DESCRIBE t</c> (from the session engine's metadata, with the
/// access policy's visibility, as GetSchemas/GetTables/GetColumns are), each with Trino's <c>LIKE</c> (SQL's
/// <c>%</c> and <c>_</c>, escape <c>\</c>... when given <c>ESCAPE</c>). Any other statement is not one of these (null).
/// </summary>
internal static class TrinoListings
{
    private static readonly ResultSchema Catalogs = Schema("Catalog");
    private static readonly ResultSchema Schemas = Schema("Schema");
    private static readonly ResultSchema Tables = Schema("Table");
    private static readonly ResultSchema Columns = Schema("Column", "Type", "Extra", "Comment");
    private static readonly ResultSchema Session = Schema("Name", "Value", "Default", "Type", "Description");

    private static ResultSchema Schema(params string[] names) => new([.. names.Select(n => new ColumnInfo(n, SqlType.String))]);

    /// <summary>What a browsing statement asks for, or null when <paramref name="sql"/> is not one.</summary>
    public static Func<Hs2Session, SessionManager, CancellationToken, ValueTask<ColumnBatch>>? Parse(string sql) =>
        Parse([.. SqlLexer.Tokenize(sql, SqlDialect.Trino).Where(t => t.Kind != SqlTokenKind.Semicolon)]);

    /// <summary>The same over the statement's tokens without its semicolons.</summary>
    public static Func<Hs2Session, SessionManager, CancellationToken, ValueTask<ColumnBatch>>? Parse(IReadOnlyList<SqlToken> tokens)
    {
        if (tokens.Count == 0) return null;
        var i = 0;
        bool Word(string w)
        {
            if (i < tokens.Count && tokens[i].IsWord(w))
            {
                i++;
                return true;
            }
            return false;
        }
        List<string>? Name()
        {
            var parts = new List<string>();
            while (i < tokens.Count && tokens[i].Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier)
            {
                parts.Add(tokens[i].Kind == SqlTokenKind.Word ? tokens[i].Value.ToLowerInvariant() : tokens[i].Value);
                i++;
                if (i < tokens.Count && tokens[i].Kind == SqlTokenKind.Dot) i++;
                else break;
            }
            return parts.Count == 0 ? null : parts;
        }
        Regex? Like(out bool ok)
        {
            ok = true;
            if (!Word("LIKE")) return null;
            if (i >= tokens.Count || tokens[i].Kind != SqlTokenKind.String)
            {
                ok = false;
                return null;
            }
            var pattern = tokens[i++].Value;
            char? escape = null;
            if (Word("ESCAPE") && i < tokens.Count && tokens[i].Kind == SqlTokenKind.String && tokens[i].Value.Length == 1) escape = tokens[i++].Value[0];
            return SqlLike(pattern, escape);
        }

        if (Word("DESCRIBE"))
        {
            var table = Name();
            return table is { Count: >= 1 and <= 3 } && i == tokens.Count ? (s, m, ct) => ColumnsOf(s, m, table, null, ct) : null;
        }
        if (!Word("SHOW")) return null;
        if (Word("SESSION"))
        {
            var like = Like(out var ok);
            return ok && i == tokens.Count ? (s, m, ct) => ValueTask.FromResult(SessionOf(s, like)) : null;
        }
        if (Word("CATALOGS"))
        {
            var like = Like(out var ok);
            return ok && i == tokens.Count ? (s, m, ct) => ValueTask.FromResult(CatalogsOf(s, m, like)) : null;
        }
        if (Word("SCHEMAS"))
        {
            string? catalog = null;
            if (Word("FROM") || Word("IN"))
            {
                if (Name() is not { Count: 1 } name) return null;
                catalog = name[0];
            }
            var like = Like(out var ok);
            return ok && i == tokens.Count ? (s, m, ct) => SchemasOf(s, m, catalog, like, ct) : null;
        }
        if (Word("TABLES"))
        {
            string? schema = null, catalog = null;
            if (Word("FROM") || Word("IN"))
            {
                if (Name() is not { Count: 1 or 2 } name) return null;
                schema = name[^1];
                if (name.Count == 2) catalog = name[0];
            }
            var like = Like(out var ok);
            return ok && i == tokens.Count ? (s, m, ct) => TablesOf(s, m, catalog, schema, like, ct) : null;
        }
        if (Word("COLUMNS") && (Word("FROM") || Word("IN")))
        {
            var table = Name();
            if (table is not { Count: >= 1 and <= 3 }) return null;
            var like = Like(out var ok);
            return ok && i == tokens.Count ? (s, m, ct) => ColumnsOf(s, m, table, like, ct) : null;
        }
        return null;
    }

    /// <summary>SQL LIKE as a whole-string, case-sensitive pattern.</summary>
    internal static Regex SqlLike(string pattern, char? escape)
    {
        var sb = new StringBuilder("^");
        for (var k = 0; k < pattern.Length; k++)
        {
            var c = pattern[k];
            if (escape is { } e && c == e && k + 1 < pattern.Length)
            {
                sb.Append(Regex.Escape(pattern[++k].ToString()));
                continue;
            }
            sb.Append(c switch { '%' => ".*", '_' => ".", _ => Regex.Escape(c.ToString()) });
        }
        return new Regex(sb.Append('$').ToString(), RegexOptions.CultureInvariant | RegexOptions.Singleline | RegexOptions.NonBacktracking);
    }

    private static ColumnBatch Names(ResultSchema schema, IEnumerable<string> names)
    {
        var builder = new BatchBuilder(schema);
        foreach (var n in names) builder.AddRow(n);
        return builder.Build();
    }

    private static ColumnBatch CatalogsOf(Hs2Session session, SessionManager sessions, Regex? like) =>
        Names(Catalogs, VisibleCatalogs(session, sessions).Where(n => like is null || like.IsMatch(n)));

    /// <summary>
    /// <c>SHOW SESSION</c>: the gateway session's settings (the client's <c>X-Trino-Session</c> properties, its time zone,
    /// catalog and the rest), in Trino's layout; the gateway has no fixed property list, so Default is empty.
    /// </summary>
    private static ColumnBatch SessionOf(Hs2Session session, Regex? like)
    {
        var builder = new BatchBuilder(Session);
        foreach (var (name, value) in session.Conf.Where(kv => like is null || like.IsMatch(kv.Key)).OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            builder.AddRow(name, value, "", "varchar", "gateway session setting");
        }
        return builder.Build();
    }

    /// <summary>The gateway's catalogs the session's user may use, by name.</summary>
    internal static IReadOnlyList<string> VisibleCatalogs(Hs2Session session, SessionManager sessions)
    {
        var policy = sessions.AccessControl?.Current;
        var subject = new Router.Policy.AccessSubject(session.User, session.Info.Groups);
        return [.. sessions.Routing.Catalogs.All.Select(c => c.Name)
            .Where(n => policy is null || policy.CatalogAccessFor(subject, n).Access != Router.Policy.CatalogAccess.None)
            .Order(StringComparer.Ordinal)];
    }

    /// <summary>
    /// The catalog a listing names, when it is one of the gateway's other than the session engine's (whose objects come
    /// from the engine's metadata, as before): its listing; a gateway catalog the user may not use, or none of that
    /// name, does not exist for them.
    /// </summary>
    private static TrinoCatalogListing? OtherCatalog(Hs2Session session, SessionManager sessions, string? catalog, out string? name)
    {
        name = null;
        if (catalog is null) return null;
        var listing = new TrinoCatalogListing(session, sessions);
        if (listing.IsEngineCatalog(catalog)) return null;
        name = listing.Find(catalog) ?? throw new GatewayException($"Catalog '{catalog}' does not exist", "3D000");
        return listing;
    }

    private static async ValueTask<ColumnBatch> SchemasOf(Hs2Session session, SessionManager sessions, string? catalog, Regex? like, CancellationToken ct)
    {
        IReadOnlyList<SchemaInfo> schemas;
        if (OtherCatalog(session, sessions, catalog, out var other) is { } listing)
        {
            schemas = await listing.SchemasAsync(other!, ct).ConfigureAwait(false);
        }
        else
        {
            await using (var lease = await session.AcquireEngineSessionAsync(ct).ConfigureAwait(false))
            {
                schemas = await lease.Session.Metadata.GetSchemasAsync(null, null, ct).ConfigureAwait(false);
            }
            if (sessions.AccessControl is { } access) schemas = access.Visible(session, schemas);
        }
        return Names(Schemas, schemas.Select(s => s.Schema).Distinct(StringComparer.Ordinal).Where(n => like is null || like.IsMatch(n)).Order(StringComparer.Ordinal));
    }

    private static async ValueTask<ColumnBatch> TablesOf(Hs2Session session, SessionManager sessions, string? catalog, string? schema, Regex? like, CancellationToken ct)
    {
        var target = schema ?? session.CurrentDatabase;
        IReadOnlyList<TableInfo> tables;
        if (OtherCatalog(session, sessions, catalog, out var other) is { } listing)
        {
            tables = await listing.TablesAsync(other!, target, ct).ConfigureAwait(false);
        }
        else
        {
            await using (var lease = await session.AcquireEngineSessionAsync(ct).ConfigureAwait(false))
            {
                tables = await lease.Session.Metadata.GetTablesAsync(null, Escape(EngineSchema(target, lease.Session.CurrentDatabase)), null, null, ct).ConfigureAwait(false);
            }
            if (sessions.AccessControl is { } access) tables = access.Visible(session, tables);
        }
        return Names(Tables, tables.Select(t => t.Name).Distinct(StringComparer.Ordinal).Where(n => like is null || like.IsMatch(n)).Order(StringComparer.Ordinal));
    }

    private static async ValueTask<ColumnBatch> ColumnsOf(Hs2Session session, SessionManager sessions, List<string> name, Regex? like, CancellationToken ct)
    {
        var table = name[^1];
        var schema = name.Count >= 2 ? name[^2] : session.CurrentDatabase;
        IReadOnlyList<ColumnMetadata> columns;
        if (OtherCatalog(session, sessions, name.Count == 3 ? name[0] : null, out var other) is { } listing)
        {
            var tables = (await listing.TablesAsync(other!, schema, ct).ConfigureAwait(false)).Where(t => t.Name.Equals(table, StringComparison.OrdinalIgnoreCase)).ToList();
            columns = tables.Count == 0 ? [] : await listing.ColumnsAsync(other!, tables, ct).ConfigureAwait(false);
            if (columns.Count == 0) throw new GatewayException($"Table '{string.Join('.', name)}' does not exist", "42S02");
        }
        else
        {
            await using (var lease = await session.AcquireEngineSessionAsync(ct).ConfigureAwait(false))
            {
                columns = await lease.Session.Metadata.GetColumnsAsync(null, Escape(EngineSchema(schema, lease.Session.CurrentDatabase)), Escape(table), null, ct).ConfigureAwait(false);
            }
            if (columns.Count == 0) throw new GatewayException($"Table '{string.Join('.', name)}' does not exist", "42S02");
            if (sessions.AccessControl is { } access)
            {
                columns = access.Visible(session, columns);
                if (columns.Count == 0) throw new GatewayException($"Access denied: {session.User} may not see {string.Join('.', name)}.", "42000");
            }
        }
        var builder = new BatchBuilder(Columns);
        foreach (var c in columns.OrderBy(c => c.Position).Where(c => like is null || like.IsMatch(c.Name))) builder.AddRow(c.Name, TrinoJson.TypeText(c.Type), "", c.Comment ?? "");
        return builder.Build();
    }

    /// <summary>Hive's <c>default</c> is the engine's default schema (DuckDB's main, PostgreSQL's public).</summary>
    private static string EngineSchema(string schema, string current) =>
        schema.Equals("default", StringComparison.OrdinalIgnoreCase) && current is "main" or "public" ? current : schema;

    /// <summary>A name as a JDBC pattern that matches only itself.</summary>
    internal static string Escape(string name) => name.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);
}
