using Gateway.Catalog;
using Gateway.Catalog.Embedded;
using Gateway.Catalog.HiveMetastore;
using Gateway.Catalog.Postgres;
using Gateway.Engines.Postgres;
using Gateway.Server.Configuration;
using Gateway.Server.Engines;

namespace Gateway.Server.Routing;

/// <summary>
/// The configured catalogs, each behind a statistics cache, in configuration order (the embedded one first). Which
/// engines see which catalog (locality) is each engine's <see cref="EngineOptions.Catalogs"/>.
/// </summary>
public sealed class CatalogRegistry : IAsyncDisposable
{
    private readonly List<ICatalog> _owned;
    private int _disposed;

    public CatalogRegistry(IReadOnlyList<CachingCatalog> catalogs, IReadOnlyList<ICatalog>? owned = null)
    {
        ArgumentNullException.ThrowIfNull(catalogs);
        All = catalogs;
        _owned = [.. owned ?? []];
    }

    /// <summary>
    /// Every catalog in configuration order (the embedded one first unless listed elsewhere). A name found in several
    /// catalogs takes its statistics from the first.
    /// </summary>
    public IReadOnlyList<CachingCatalog> All { get; }

    public CachingCatalog? Find(string name) => All.FirstOrDefault(c => c.Name.Equals(name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The embedded catalog (DuckDB tables and Parquet files of the data folder).</summary>
    public EmbeddedCatalog? Embedded => Find(CatalogOptions.EmbeddedName)?.Inner as EmbeddedCatalog;

    /// <summary>Builds the catalogs of the configuration over the engines already created (the embedded one reads the default DuckDB).</summary>
    public static CatalogRegistry Create(GatewayOptions options, EngineRegistry engines, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(engines);
        var embeddedEngine = engines.Find(EngineRegistry.EmbeddedName)?.Engine ?? engines.Default.Engine;
        var entries = options.Catalogs.ToList();
        // The embedded catalog is first unless the configuration lists it somewhere else.
        if (!entries.Any(c => c.Kind == CatalogKind.Embedded)) entries.Insert(0, new CatalogOptions { Name = CatalogOptions.EmbeddedName, Kind = CatalogKind.Embedded });
        var catalogs = new List<CachingCatalog>();
        var owned = new List<ICatalog>();
        foreach (var c in entries)
        {
            ICatalog catalog = c.Kind switch
            {
                CatalogKind.Embedded => new EmbeddedCatalog(embeddedEngine, options.DataFolder, time, CatalogOptions.EmbeddedName),
                CatalogKind.Postgres => new PostgresCatalog(c.Name, c.ConnectionString ?? ConnectionOf(c, options), time),
                CatalogKind.HiveMetastore => new HiveMetastoreCatalog(c.Name, c.ConnectionString ?? ConnectionOf(c, options), time, c.HiveCatalog),
                CatalogKind.Trino => engines.Find(c.Engine ?? "")?.Engine is Gateway.Engines.Trino.TrinoEngine trino
                    ? new Gateway.Catalog.Trino.TrinoCatalog(c.Name, trino, c.TrinoCatalog, time, trino.Options.Schema)
                    : throw new InvalidOperationException($"Gateway:Catalogs '{c.Name}': engine '{c.Engine}' is not a configured Trino engine."),
                _ => throw new InvalidOperationException($"Gateway:Catalogs '{c.Name}': kind {c.Kind} is not available in this build."),
            };
            if (c.Kind != CatalogKind.Embedded) owned.Add(catalog);
            catalogs.Add(new CachingCatalog(catalog, c.CacheTtl, time));
        }
        return new CatalogRegistry(catalogs, owned);
    }

    private static string ConnectionOf(CatalogOptions c, GatewayOptions options)
    {
        var engine = options.Engines.FirstOrDefault(e => e.Name.Equals(c.Engine, StringComparison.OrdinalIgnoreCase))?.Postgres
            ?? throw new InvalidOperationException($"Gateway:Catalogs '{c.Name}': engine '{c.Engine}' is not a configured Postgres engine.");
        return engine.BuildConnectionString();
    }

    /// <summary>Closes the catalogs this registry opened, once.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        foreach (var c in _owned)
        {
            if (c is IAsyncDisposable d) await d.DisposeAsync().ConfigureAwait(false);
        }
    }
}
