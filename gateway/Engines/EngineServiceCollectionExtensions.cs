using Gateway.Engines;
using Gateway.Server.Configuration;
using Gateway.Server.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Gateway.Server.Engines;

public static class EngineServiceCollectionExtensions
{
    /// <summary>
    /// The engine factories of this build (DuckDB, PostgreSQL, remote HiveServer2, Trino) and the <see cref="EngineRegistry"/>
    /// they fill: the embedded DuckDB as <c>duckdb</c> and every <c>Gateway:Engines</c> entry by its kind's factory.
    /// Factories added before the registry is first resolved join it (tests add engines of their own this way).
    /// </summary>
    public static IServiceCollection AddEngines(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton<DuckDbEngineFactory>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IEngineFactory, DuckDbEngineFactory>(sp => sp.GetRequiredService<DuckDbEngineFactory>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IEngineFactory, PostgresEngineFactory>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IEngineFactory, HiveServer2EngineFactory>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IEngineFactory, TrinoEngineFactory>());
        services.TryAddSingleton(sp => CreateRegistry(
            sp.GetRequiredService<GatewayOptions>(), sp.GetRequiredService<DuckDbEngineFactory>(), sp.GetServices<IEngineFactory>(), sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton(sp => sp.GetRequiredService<EngineRegistry>().Default.Engine);
        return services;
    }

    private static EngineRegistry CreateRegistry(GatewayOptions options, DuckDbEngineFactory embedded, IEnumerable<IEngineFactory> factories, TimeProvider time)
    {
        var byKind = new Dictionary<EngineKind, IEngineFactory>();
        // The last registered factory of a kind wins, as DI's own single-service resolution does.
        foreach (var f in factories) byKind[f.Kind] = f;
        var created = new List<RegisteredEngine>();
        try
        {
            var embeddedOptions = options.Engines.FirstOrDefault(e => e.Name.Equals(EngineRegistry.EmbeddedName, StringComparison.OrdinalIgnoreCase))
                ?? new EngineOptions { Name = EngineRegistry.EmbeddedName, Kind = EngineKind.DuckDb, Catalogs = [CatalogOptions.EmbeddedName] };
            created.Add(new RegisteredEngine(embeddedOptions, embedded.CreateEmbedded(), time));
            foreach (var e in options.Engines.Where(e => !e.Name.Equals(EngineRegistry.EmbeddedName, StringComparison.OrdinalIgnoreCase)))
            {
                var factory = byKind.GetValueOrDefault(e.Kind)
                    ?? throw new GatewayConfigurationException([$"Gateway:Engines '{e.Name}': engines of kind {e.Kind} are not available in this build."]);
                created.Add(new RegisteredEngine(e, factory.Create(e), time));
            }
            return new EngineRegistry(created, options.DefaultEngine);
        }
        catch
        {
            // Nothing else owns them yet.
            foreach (var e in created) e.Engine.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
    }
}
