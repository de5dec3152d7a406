namespace Gateway.Protocol.Hive;

/// <summary>What a negotiated <see cref="TProtocolVersion"/> allows.</summary>
public static class HiveProtocol
{
    /// <summary>Spark/Databricks versions are 0xA5XX.</summary>
    public static bool IsSpark(TProtocolVersion version) => ((int)version & ~0xFF) == 0xA500;

    /// <summary>
    /// The Hive feature level a version implies: SPARK_CLI_SERVICE_PROTOCOL_V1 builds on Hive V8, later
    /// Spark versions on Hive V10. Spark versions are numerically above every Hive one, so comparing
    /// raw values would wrongly grant them Hive V11 features (TIMESTAMPLOCALTZ_TYPE, which Spark
    /// clients do not know).
    /// </summary>
    public static TProtocolVersion HiveLevel(TProtocolVersion version) =>
        !IsSpark(version) ? version
        : version == TProtocolVersion.SPARK_CLI_SERVICE_PROTOCOL_V1 ? TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V8
        : TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V10;

    /// <summary>V6+: results are columnar (TColumn); below, row-based (TRow/TColumnValue).</summary>
    public static bool UsesColumnarResults(TProtocolVersion version) => HiveLevel(version) >= TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V6;

    /// <summary>V3+: VARCHAR and type qualifiers.</summary>
    public static bool SupportsVarchar(TProtocolVersion version) => HiveLevel(version) >= TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V3;

    /// <summary>V4+: CHAR, DECIMAL precision and scale.</summary>
    public static bool SupportsCharAndDecimalQualifiers(TProtocolVersion version) => HiveLevel(version) >= TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V4;

    /// <summary>V11+: TIMESTAMP WITH LOCAL TIME ZONE as its own type id.</summary>
    public static bool SupportsTimestampLocalTz(TProtocolVersion version) => HiveLevel(version) >= TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V11;
}
