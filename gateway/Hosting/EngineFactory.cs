using Gateway.Engines;
using Gateway.Engines.DuckDb;
using Gateway.Engines.HiveServer2;
using Gateway.Engines.Postgres;
using Gateway.Server.Configuration;
using Gateway.Server.Engines;

namespace Gateway.Server.Hosting;

/// <summary>Creates the engines of the configuration: the embedded DuckDB (always, as <c>duckdb</c>) and the listed ones.</summary>
public static class EngineFactory
{
    public const string EmbeddedName = "duckdb";

    public static async Task<EngineRegistry> CreateRegistryAsync(GatewayOptions options, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var created = new List<RegisteredEngine>();
        try
        {
            var embeddedOptions = options.Engines.FirstOrDefault(e => e.Name.Equals(EmbeddedName, StringComparison.OrdinalIgnoreCase))
                ?? new EngineOptions { Name = EmbeddedName, Kind = EngineKind.DuckDb, Catalogs = ["embedded"] };
            created.Add(new RegisteredEngine(embeddedOptions, await CreateDefaultAsync(options, time, cancellationToken).ConfigureAwait(false), time));
            foreach (var e in options.Engines.Where(e => !e.Name.Equals(EmbeddedName, StringComparison.OrdinalIgnoreCase)))
            {
                created.Add(new RegisteredEngine(e, Create(e, options, time), time));
            }
            return new EngineRegistry(created, options.DefaultEngine);
        }
        catch
        {
            foreach (var e in created) await e.Engine.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static IEngine Create(EngineOptions e, GatewayOptions options, TimeProvider time) => e.Kind switch
    {
        EngineKind.DuckDb => OpenDuckDb((e.Database is null or DuckDbEngineOptions.InMemoryPath
            ? DuckDbEngineOptions.InMemory() with { Name = e.Name }
            : new DuckDbEngineOptions { Name = e.Name, DataDirectory = options.DataFolder, FileName = e.Database })
            with
        { Settings = e.Settings, Sandbox = SandboxFor(options, e.Sandbox) }, $"Gateway:Engines '{e.Name}'", time),
        EngineKind.Postgres => new PostgresEngine((e.Postgres ?? throw new InvalidOperationException($"Gateway:Engines '{e.Name}': a Postgres engine needs its Postgres section."))
            with
        { Name = e.Name }, time),
        EngineKind.HiveServer2 => new HiveServer2Engine((e.HiveServer2 ?? throw new InvalidOperationException($"Gateway:Engines '{e.Name}': a HiveServer2 engine needs its HiveServer2 section."))
            with
        { Name = e.Name }, time),
        _ => throw new InvalidOperationException($"Gateway:Engines '{e.Name}': engines of kind {e.Kind} are not available in this build."),
    };

    /// <summary>The engine's sandbox with the data folder's files folder, which exists from then on, open.</summary>
    private static DuckDbSandboxOptions SandboxFor(GatewayOptions options, DuckDbSandboxOptions? configured)
    {
        var sandbox = DuckDbSandboxConfiguration.Resolve(options, configured);
        if (sandbox.Enabled) Directory.CreateDirectory(DuckDbSandboxConfiguration.FilesFolder(options));
        return sandbox;
    }

    /// <summary>A setting DuckDB refuses (an unknown name, a bad value) stops the start like any invalid configuration.</summary>
    private static DuckDbEngine OpenDuckDb(DuckDbEngineOptions engine, string key, TimeProvider time)
    {
        try
        {
            return new DuckDbEngine(engine, time);
        }
        catch (EngineException ex) when (engine.Settings is { Count: > 0 })
        {
            throw new GatewayConfigurationException([$"{key}:Settings: {ex.Message}"]);
        }
    }

    public static async Task<IEngine> CreateDefaultAsync(GatewayOptions options, TimeProvider time, CancellationToken cancellationToken)
    {
        var engine = OpenDuckDb(new DuckDbEngineOptions
        {
            DataDirectory = options.DuckDb.File == DuckDbEngineOptions.InMemoryPath ? DuckDbEngineOptions.InMemoryPath : options.DataFolder,
            FileName = options.DuckDb.File,
            Threads = options.DuckDb.Threads,
            MemoryLimit = options.DuckDb.MemoryLimit,
            Settings = options.DuckDb.Settings,
            Sandbox = SandboxFor(options, options.DuckDb.Sandbox),
        }, "Gateway:DuckDb", time);
        try
        {
            if (options.DuckDb.DemoData) await DemoData.EnsureAsync(engine, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await engine.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return engine;
    }
}
