using Gateway.Engines;
using Gateway.Engines.Postgres;
using Gateway.Server.Configuration;

namespace Gateway.Server.Engines;

/// <summary>PostgreSQL engines from their <c>Postgres</c> section.</summary>
public sealed class PostgresEngineFactory(TimeProvider time) : IEngineFactory
{
    public EngineKind Kind => EngineKind.Postgres;

    public IEngine Create(EngineOptions engine)
    {
        ArgumentNullException.ThrowIfNull(engine);
        var postgres = engine.Postgres ?? throw new InvalidOperationException($"Gateway:Engines '{engine.Name}': a Postgres engine needs its Postgres section.");
        return new PostgresEngine(postgres with { Name = engine.Name }, time);
    }
}
