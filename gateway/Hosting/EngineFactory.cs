using Gateway.Engines;
using Gateway.Server.Configuration;

namespace Gateway.Server.Hosting;

/// <summary>Creates the default engine from configuration (the embedded DuckDB until the router's registry arrives).</summary>
public static class EngineFactory
{
    public static async Task<IEngine> CreateDefaultAsync(GatewayOptions options, CancellationToken cancellationToken)
    {
        await Task.CompletedTask.ConfigureAwait(false);
        _ = options;
        _ = cancellationToken;
        throw new NotImplementedException("DuckDB engine arrives with the duckdb branch.");
    }
}
