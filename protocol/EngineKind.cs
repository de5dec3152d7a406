namespace Gateway.Engines;

/// <summary>
/// The kinds of engine the gateway fronts. It lives in the protocol assembly, which every project references, so that
/// the router can name engine kinds (dialects, Kyuubi's engine-type aliases) without referencing the engines.
/// </summary>
public enum EngineKind
{
    DuckDb,
    Postgres,
    HiveServer2,
    Trino,
    Spark,
    Flink,
}
