using System.Text;
using Gateway.Engines;

namespace Gateway.Router.Policy;

/// <summary>The engine listings a policy filters rather than refuses: <c>information_schema.schemata</c>, <c>tables</c>, <c>columns</c>.</summary>
public enum SystemListing
{
    Schemata,
    Tables,
    Columns,
}

/// <summary>
/// Under a policy with data rules, a read of an engine's <c>information_schema</c> listing (what BI tools and engine
/// drivers browse with) runs with a visibility filter, <c>(SELECT * FROM information_schema.tables WHERE &lt;only what the
/// user may see&gt;) AS tables</c>, built from the gateway catalog's listing and the policy (never from the policy's
/// patterns translated into an engine's regular expressions, whose dialects differ). The SQL-standard columns these
/// filters name (<c>catalog_name</c>/<c>schema_name</c>, <c>table_catalog</c>/<c>table_schema</c>/<c>table_name</c>,
/// <c>column_name</c>) are the same on DuckDB and PostgreSQL; only the engine's own database is listed (<c>current_catalog</c>,
/// which both read as it; not <c>current_database()</c>, which Hive's dialect reads as the current schema).
/// </summary>
public static class SystemListings
{
    /// <summary>The engines whose <c>information_schema</c> the filters fit (the standard columns and <c>current_catalog</c>).</summary>
    public static bool Supports(EngineKind engine) => engine is EngineKind.DuckDb or EngineKind.Postgres;

    /// <summary>The listing <paramref name="name"/> is, or null for any other table.</summary>
    public static SystemListing? Of(PolicyName name) =>
        name.Schema is { } schema && schema.Equals("information_schema", StringComparison.OrdinalIgnoreCase)
            ? name.Name.ToLowerInvariant() switch
            {
                "schemata" => SystemListing.Schemata,
                "tables" => SystemListing.Tables,
                "columns" => SystemListing.Columns,
                _ => null,
            }
            : null;

    /// <summary>The rule a listing read is rewritten under: read access, no columns constrained, the filter set per statement.</summary>
    public static TableRule Rule(PolicyName name, string? filter = null) =>
        new($"visibility({name.Schema}.{name.Name})", null, null, null, null, null, TablePrivileges.Select, [], filter);

    /// <summary><c>information_schema.schemata</c>: the engine's database, only <paramref name="schemas"/> (as the engine spells them).</summary>
    public static string SchemataFilter(IEnumerable<string> schemas, EngineKind engine)
    {
        ArgumentNullException.ThrowIfNull(schemas);
        var list = schemas.SelectMany(EngineSpellings).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        return list.Count == 0 ? "1 = 0" : $"catalog_name = current_catalog AND schema_name IN ({Literals(list, engine)})";
    }

    /// <summary><c>information_schema.tables</c>: the engine's database, only <paramref name="tables"/>.</summary>
    public static string TablesFilter(IEnumerable<(string Schema, string Table)> tables, EngineKind engine)
    {
        ArgumentNullException.ThrowIfNull(tables);
        return Filter(BySchema(tables.Select(t => (t.Schema, t.Table, (IReadOnlyCollection<string>)[]))), engine,
            names => $"table_name IN ({Literals(names.Keys, engine)})");
    }

    /// <summary>
    /// <c>information_schema.columns</c>: the engine's database, the columns of <paramref name="tables"/> but the ones
    /// each names as blocked (compared case-insensitively, as the policy's column rules are).
    /// </summary>
    public static string ColumnsFilter(IEnumerable<(string Schema, string Table, IReadOnlyCollection<string> Blocked)> tables, EngineKind engine)
    {
        ArgumentNullException.ThrowIfNull(tables);
        return Filter(BySchema(tables), engine, names =>
        {
            var open = names.Where(n => n.Value.Count == 0).Select(n => n.Key).ToList();
            var parts = new List<string>();
            if (open.Count > 0) parts.Add($"table_name IN ({Literals(open, engine)})");
            foreach (var (table, blocked) in names.Where(n => n.Value.Count > 0))
            {
                parts.Add($"(table_name = {PolicyRewriter.Literal(table, engine)} AND lower(column_name) NOT IN ({Literals(blocked.Select(b => b.ToLowerInvariant()), engine)}))");
            }
            return "(" + string.Join(" OR ", parts) + ")";
        });
    }

    /// <summary>The engine's database and, per schema, what <paramref name="tablesOf"/> allows of it; nothing when no table is visible.</summary>
    private static string Filter(SortedDictionary<string, SortedDictionary<string, IReadOnlyCollection<string>>> bySchema, EngineKind engine,
        Func<SortedDictionary<string, IReadOnlyCollection<string>>, string> tablesOf)
    {
        if (bySchema.Count == 0) return "1 = 0";
        var sb = new StringBuilder("table_catalog = current_catalog AND (");
        var first = true;
        foreach (var (schema, names) in bySchema)
        {
            if (!first) sb.Append(" OR ");
            first = false;
            sb.Append('(').Append(Schema("table_schema", schema, engine)).Append(" AND ").Append(tablesOf(names)).Append(')');
        }
        return sb.Append(')').ToString();
    }

    // Gateway catalogs name an engine's default schema (DuckDB's main, PostgreSQL's public) default, as Hive does, and
    // the policy reads every default spelling as default: so do the filters.
    private static readonly string[] DefaultSpellings = ["default", "main", "public"];

    private static IEnumerable<string> EngineSpellings(string schema) => schema.Equals("default", StringComparison.OrdinalIgnoreCase) ? DefaultSpellings : [schema];

    private static string Schema(string column, string schema, EngineKind engine) => schema.Equals("default", StringComparison.OrdinalIgnoreCase)
        ? $"{column} IN ({Literals(DefaultSpellings, engine)})"
        : $"{column} = {PolicyRewriter.Literal(schema, engine)}";

    private static SortedDictionary<string, SortedDictionary<string, IReadOnlyCollection<string>>> BySchema(IEnumerable<(string Schema, string Table, IReadOnlyCollection<string> Blocked)> tables)
    {
        var bySchema = new SortedDictionary<string, SortedDictionary<string, IReadOnlyCollection<string>>>(StringComparer.Ordinal);
        foreach (var (schema, table, blocked) in tables)
        {
            if (!bySchema.TryGetValue(schema, out var names)) bySchema[schema] = names = new(StringComparer.Ordinal);
            names[table] = blocked;
        }
        return bySchema;
    }

    private static string Literals(IEnumerable<string> values, EngineKind engine) => string.Join(", ", values.Distinct(StringComparer.Ordinal).Select(v => PolicyRewriter.Literal(v, engine)));
}
