using Gateway.Catalog;
using Gateway.Engines;
using Gateway.Server.Engines;
using Gateway.Server.Policy;
using Gateway.Server.Sessions;

namespace Gateway.Server.Trino;

/// <summary>
/// What the Trino frontend lists of a gateway catalog: the session engine's own catalog from the engine's live metadata
/// (what its statements resolve against), every other catalog the user may use from that catalog's own listing (a Hive
/// Metastore, PostgreSQL, Trino or the embedded catalog, read when asked, not cached), in both cases with the access
/// policy's visibility for that catalog. Names and types are as the catalog spells them, types read by
/// <see cref="CatalogTypes"/>.
/// </summary>
internal sealed class TrinoCatalogListing
{
    /// <summary>The most tables whose columns one listing of another catalog reads (one request each); more must be narrowed.</summary>
    public const int MaxColumnTables = 500;

    private readonly Hs2Session _session;
    private readonly SessionManager _sessions;

    public TrinoCatalogListing(Hs2Session session, SessionManager sessions)
    {
        _session = session;
        _sessions = sessions;
        Visible = TrinoListings.VisibleCatalogs(session, sessions);
        EngineCatalog = sessions.Engines.Of(session.Engine) is { } engine ? EngineRegistry.CatalogOf(engine) : EngineRegistry.CatalogOf(sessions.Engines.Default);
    }

    /// <summary>The catalogs the user may use, by name.</summary>
    public IReadOnlyList<string> Visible { get; }

    /// <summary>The catalog the session engine's own objects are named under (as the access policy names them).</summary>
    public string EngineCatalog { get; }

    /// <summary>The visible catalog of that name as the gateway spells it, or null.</summary>
    public string? Find(string name) => Visible.FirstOrDefault(v => v.Equals(name, StringComparison.OrdinalIgnoreCase));

    public bool IsEngineCatalog(string catalog) => catalog.Equals(EngineCatalog, StringComparison.OrdinalIgnoreCase);

    private (CachingCatalog Catalog, CatalogVisibility Visibility) Other(string catalog)
    {
        var found = _sessions.Routing.Catalogs.Find(catalog) ?? throw new GatewayException($"Catalog '{catalog}' does not exist", "3D000");
        var caseSensitive = found.Inner is Gateway.Catalog.Postgres.PostgresCatalog;
        return (found, _sessions.AccessControl?.VisibilityIn(_session, found.Name, caseSensitive) ?? CatalogVisibility.All);
    }

    /// <summary>The schemas of another catalog the user may see.</summary>
    public async ValueTask<IReadOnlyList<SchemaInfo>> SchemasAsync(string catalog, CancellationToken ct)
    {
        var (source, visible) = Other(catalog);
        var schemas = await source.ListSchemasAsync(ct).ConfigureAwait(false);
        return [.. schemas.Where(visible.Schema).Select(s => new SchemaInfo(catalog, s))];
    }

    /// <summary>The tables of another catalog (of one schema, or all) the user may see.</summary>
    public async ValueTask<IReadOnlyList<TableInfo>> TablesAsync(string catalog, string? schema, CancellationToken ct)
    {
        var (source, visible) = Other(catalog);
        var tables = await source.ListTablesAsync(schema, ct).ConfigureAwait(false);
        return [.. tables.Where(t => visible.Table(t.Table.Schema ?? "default", t.Table.Name))
            .Select(t => new TableInfo(catalog, t.Table.Schema ?? "default", t.Table.Name, t.Type == CatalogTableType.View ? "VIEW" : "TABLE", t.Comment))];
    }

    /// <summary>The columns of some tables of another catalog the user may see (at most <see cref="MaxColumnTables"/> tables).</summary>
    public async ValueTask<IReadOnlyList<ColumnMetadata>> ColumnsAsync(string catalog, IReadOnlyList<TableInfo> tables, CancellationToken ct)
    {
        if (tables.Count > MaxColumnTables)
        {
            throw new GatewayException($"Listing the columns of {tables.Count} tables of catalog {catalog} reads each; more than {MaxColumnTables}: narrow the query by schema or table name.", "54000");
        }
        var (source, visible) = Other(catalog);
        var columns = new List<ColumnMetadata>();
        foreach (var t in tables)
        {
            var listed = await source.ListColumnsAsync(new TableRef(catalog, t.Schema, t.Name), ct).ConfigureAwait(false);
            foreach (var c in listed ?? [])
            {
                if (!visible.Column(t.Schema, t.Name, c.Name)) continue;
                columns.Add(new ColumnMetadata(catalog, t.Schema, t.Name, c.Name, CatalogTypes.Parse(c.Type), c.Position, c.Nullable, c.Comment, null));
            }
        }
        return columns;
    }
}
