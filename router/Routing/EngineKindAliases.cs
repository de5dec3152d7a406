using Gateway.Engines;

namespace Gateway.Router.Routing;

/// <summary>Engine kinds by the names users set: Kyuubi's <c>kyuubi.engine.type</c> values and our own kind names.</summary>
public static class EngineKindAliases
{
    private static readonly Dictionary<string, EngineKind> Aliases = new(StringComparer.OrdinalIgnoreCase)
    {
        // Kyuubi's EngineType values.
        ["SPARK_SQL"] = EngineKind.Spark,
        ["TRINO"] = EngineKind.Trino,
        ["FLINK_SQL"] = EngineKind.Flink,
        ["HIVE_SQL"] = EngineKind.HiveServer2,
        // Kyuubi's JDBC engine fronts PostgreSQL, MySQL, Doris...; here that is the PostgreSQL adapter.
        ["JDBC"] = EngineKind.Postgres,
        // Ours.
        ["SPARK"] = EngineKind.Spark,
        ["FLINK"] = EngineKind.Flink,
        ["HIVE"] = EngineKind.HiveServer2,
        ["HIVESERVER2"] = EngineKind.HiveServer2,
        ["POSTGRES"] = EngineKind.Postgres,
        ["POSTGRESQL"] = EngineKind.Postgres,
        ["DUCKDB"] = EngineKind.DuckDb,
        ["PRESTO"] = EngineKind.Trino,
    };

    public static bool TryParse(string? value, out EngineKind kind)
    {
        kind = default;
        return value is not null && Aliases.TryGetValue(value.Trim(), out kind);
    }
}
