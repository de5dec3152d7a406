using Gateway.Engines;
using Gateway.Server.Configuration;

namespace Gateway.Server.Engines;

/// <summary>
/// Builds the engines of one kind from their <c>Gateway:Engines</c> entries. One factory per kind is registered in DI
/// (<see cref="EngineServiceCollectionExtensions.AddEngines"/>); an engine kind is available in a build when a factory
/// for it is, so a new engine (Trino, Spark, Flink) is one more factory and nothing else changes.
/// </summary>
public interface IEngineFactory
{
    EngineKind Kind { get; }

    /// <summary>
    /// The engine of <paramref name="engine"/>, not yet connected (pools and the health monitor connect later). A
    /// configuration the engine refuses is a <see cref="Hosting.GatewayConfigurationException"/> naming its key.
    /// </summary>
    IEngine Create(EngineOptions engine);
}
