using Gateway.Engines;
using Gateway.Engines.Trino;
using Gateway.Server.Configuration;

namespace Gateway.Server.Engines;

/// <summary>Trino coordinators from their <c>Trino</c> section.</summary>
public sealed class TrinoEngineFactory(TimeProvider time) : IEngineFactory
{
    public EngineKind Kind => EngineKind.Trino;

    public IEngine Create(EngineOptions engine)
    {
        ArgumentNullException.ThrowIfNull(engine);
        var trino = engine.Trino ?? throw new InvalidOperationException($"Gateway:Engines '{engine.Name}': a Trino engine needs its Trino section.");
        return new TrinoEngine(trino with { Name = engine.Name }, time);
    }
}
