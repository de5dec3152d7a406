using Gateway.Engines;
using Gateway.Engines.DuckDb;
using Gateway.Server.Configuration;
using Gateway.Server.Hosting;

namespace Gateway.Server.Engines;

/// <summary>DuckDB engines: the embedded one of <c>Gateway:DuckDb</c> and any listed in <c>Gateway:Engines</c>, each in its sandbox.</summary>
public sealed class DuckDbEngineFactory(GatewayOptions options, TimeProvider time) : IEngineFactory
{
    public EngineKind Kind => EngineKind.DuckDb;

    public IEngine Create(EngineOptions engine)
    {
        ArgumentNullException.ThrowIfNull(engine);
        var duck = engine.Database is null or DuckDbEngineOptions.InMemoryPath
            ? DuckDbEngineOptions.InMemory() with { Name = engine.Name }
            : new DuckDbEngineOptions { Name = engine.Name, DataDirectory = options.DataFolder, FileName = engine.Database };
        return Open(duck with { Settings = engine.Settings, Sandbox = SandboxFor(engine.Sandbox) }, $"Gateway:Engines '{engine.Name}'");
    }

    /// <summary>The embedded engine (<c>Gateway:DuckDb</c>): the gateway's default, on the data folder's file unless in memory.</summary>
    public DuckDbEngine CreateEmbedded() => Open(new DuckDbEngineOptions
    {
        DataDirectory = options.DuckDb.File == DuckDbEngineOptions.InMemoryPath ? DuckDbEngineOptions.InMemoryPath : options.DataFolder,
        FileName = options.DuckDb.File,
        Threads = options.DuckDb.Threads,
        MemoryLimit = options.DuckDb.MemoryLimit,
        Settings = options.DuckDb.Settings,
        Sandbox = SandboxFor(options.DuckDb.Sandbox),
    }, "Gateway:DuckDb");

    /// <summary>The engine's sandbox with the data folder's files folder, which exists from then on, open.</summary>
    private DuckDbSandboxOptions SandboxFor(DuckDbSandboxOptions? configured)
    {
        var sandbox = DuckDbSandboxConfiguration.Resolve(options, configured);
        if (sandbox.Enabled) Directory.CreateDirectory(DuckDbSandboxConfiguration.FilesFolder(options));
        return sandbox;
    }

    /// <summary>A setting DuckDB refuses (an unknown name, a bad value) stops the start like any invalid configuration.</summary>
    private DuckDbEngine Open(DuckDbEngineOptions engine, string key)
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
}
