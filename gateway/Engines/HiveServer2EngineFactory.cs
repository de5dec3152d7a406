using Gateway.Engines;
using Gateway.Engines.HiveServer2;
using Gateway.Server.Configuration;

namespace Gateway.Server.Engines;

/// <summary>Remote HiveServer2 engines (Hive, Spark Thrift Server, Kyuubi, another gateway) from their <c>HiveServer2</c> section.</summary>
public sealed class HiveServer2EngineFactory(TimeProvider time) : IEngineFactory
{
    public EngineKind Kind => EngineKind.HiveServer2;

    public IEngine Create(EngineOptions engine)
    {
        ArgumentNullException.ThrowIfNull(engine);
        var hs2 = engine.HiveServer2 ?? throw new InvalidOperationException($"Gateway:Engines '{engine.Name}': a HiveServer2 engine needs its HiveServer2 section.");
        return new HiveServer2Engine(hs2 with { Name = engine.Name }, time);
    }
}
