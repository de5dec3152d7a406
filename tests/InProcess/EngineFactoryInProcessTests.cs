using Gateway.Engines;
using Gateway.Engines.DuckDb;
using Gateway.Server.Configuration;
using Gateway.Server.Engines;
using Gateway.Server.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.InProcess;

/// <summary>Engines come from the factories registered in DI: a kind is available exactly when a factory for it is.</summary>
public sealed class EngineFactoryInProcessTests
{
    /// <summary>Stands in for an engine kind this build has no adapter for; records what it was asked to build.</summary>
    private sealed class RecordingFactory(EngineKind kind) : IEngineFactory
    {
        public List<EngineOptions> Created { get; } = [];

        public EngineKind Kind => kind;

        public IEngine Create(EngineOptions engine)
        {
            Created.Add(engine);
            return new DuckDbEngine(DuckDbEngineOptions.InMemory() with { Name = engine.Name }, TimeProvider.System);
        }
    }

    private static Task<Microsoft.AspNetCore.Builder.WebApplication> BuildAsync(string folder, Action<IServiceCollection>? services) =>
        GatewayHost.BuildAsync([], cfg => cfg.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Gateway:DataFolder"] = folder,
            ["Gateway:Binary:Port"] = "0",
            ["Gateway:Http:Enabled"] = "false",
            ["Gateway:Trino:Enabled"] = "false",
            ["Gateway:DuckDb:DemoData"] = "false",
            ["Gateway:Engines:0:Name"] = "lake",
            ["Gateway:Engines:0:Kind"] = "Flink",
            ["Gateway:Routing:Rules:0:Name"] = "all",
            ["Gateway:Routing:Rules:0:Engine"] = "lake",
            ["Logging:LogLevel:Default"] = "Warning",
        }), services: services);

    [Fact]
    public async Task AnEngineKindIsAvailableWhenAFactoryForItIsRegistered()
    {
        var folder = Directory.CreateTempSubdirectory("gw-factory").FullName;
        var factory = new RecordingFactory(EngineKind.Flink);
        var app = await BuildAsync(folder, s => s.AddSingleton<IEngineFactory>(factory));
        await using (app)
        {
            var engines = app.Services.GetRequiredService<EngineRegistry>();
            Assert.Equal(["duckdb", "lake"], engines.All.Select(e => e.Name));
            Assert.Equal("lake", Assert.Single(factory.Created).Name);
            var lake = engines.Find("lake")!;
            Assert.Same(lake.Engine, engines.All[1].Engine);
            await using var session = await lake.Engine.OpenSessionAsync(new EngineSessionOptions("u"), CancellationToken.None);
            await using var result = await session.ExecuteAsync("SELECT 41 + 1", ExecuteOptions.Default, CancellationToken.None);
            using var batch = await result.ReadBatchAsync(10, CancellationToken.None);
            Assert.Equal(1, batch!.RowCount);
        }

        // Without it, the build stops with the engine's key, as any invalid configuration does.
        var ex = await Assert.ThrowsAsync<GatewayConfigurationException>(() => BuildAsync(folder, null));
        Assert.Contains("Gateway:Engines 'lake': engines of kind Flink are not available in this build.", ex.Errors);
    }
}
