using Gateway.Engines;
using Gateway.Engines.DuckDb;
using Gateway.Server.Configuration;

namespace Gateway.Server.Hosting;

/// <summary>Creates the default engine from configuration (the embedded DuckDB until the router's registry arrives).</summary>
public static class EngineFactory
{
    public static async Task<IEngine> CreateDefaultAsync(GatewayOptions options, CancellationToken cancellationToken)
    {
        var engine = new DuckDbEngine(new DuckDbEngineOptions
        {
            DataDirectory = options.DuckDb.File == DuckDbEngineOptions.InMemoryPath ? DuckDbEngineOptions.InMemoryPath : options.DataFolder,
            FileName = options.DuckDb.File,
            Threads = options.DuckDb.Threads,
            MemoryLimit = options.DuckDb.MemoryLimit,
        });
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
