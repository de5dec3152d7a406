using Gateway.Protocol.Sql;
using Gateway.Router.Routing;
using Gateway.Server.Engines;

namespace Gateway.Server.Sessions;

/// <summary>
/// The session settings the gateway itself reads, checked when they are set — OpenSession configuration, <c>SET</c>,
/// ExecuteStatement's confOverlay — so that a bad value fails the call that sets it (SQLSTATE 42000 or 22023) and
/// never reaches a later statement: a session whose time zone was <c>Mars/Olympus</c> used to fail every statement
/// after, the <c>SET</c> that would repair it included. Settings the gateway does not read pass untouched.
/// </summary>
public static class SessionSettingRules
{
    /// <summary>The settings that name the session's time zone (Spark's, then Hive's).</summary>
    public static readonly string[] TimeZoneKeys = ["spark.sql.session.timeZone", "hive.local.time.zone"];

    private static readonly string[] BooleanKeys = ["hive.variable.substitute", "kyuubi.operation.result.arrow.timestampAsString"];

    public static void Validate(string key, string value, EngineRegistry engines, RoutingOverrideOptions? overrides)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(engines);
        value ??= "";
        overrides ??= new RoutingOverrideOptions();
        var trimmed = value.Trim();
        if (key.Equals(SessionManager.ProxyUserKey, StringComparison.OrdinalIgnoreCase))
        {
            throw new GatewayException($"{SessionManager.ProxyUserKey} is given when the session opens (OpenSession's configuration, or ;{SessionManager.ProxyUserKey}=user in a JDBC URL); SET cannot change who the session runs as.", "42000");
        }
        if (key.Equals(overrides.SessionEngineKey, StringComparison.OrdinalIgnoreCase) && trimmed.Length > 0
            && engines.Find(trimmed) is null && !EngineKindAliases.TryParse(trimmed, out _))
        {
            throw new GatewayException($"Unknown engine '{trimmed}' in {key}; configured engines: {string.Join(", ", engines.All.Select(e => e.Name))}.", "42000");
        }
        if (key.Equals(Routing.RoutingService.DialectConf, StringComparison.OrdinalIgnoreCase) && trimmed.Length > 0 && Gateway.Protocol.Sql.SqlDialect.FromName(trimmed) is null)
        {
            throw new GatewayException($"Unknown dialect '{trimmed}' in {key} ({string.Join(", ", Gateway.Protocol.Sql.SqlDialect.Presets.Select(d => d.Name))}).", "42000");
        }
        if (key.Equals("kyuubi.engine.type", StringComparison.OrdinalIgnoreCase) && trimmed.Length > 0 && !EngineKindAliases.TryParse(trimmed, out _))
        {
            throw new GatewayException($"Unknown engine type '{trimmed}' in {key} (SPARK_SQL, TRINO, FLINK_SQL, HIVE_SQL, JDBC, DUCKDB...).", "42000");
        }
        if (TimeZoneKeys.Contains(key, StringComparer.Ordinal) && !TimeZoneInfo.TryFindSystemTimeZoneById(value, out _))
        {
            throw new GatewayException($"Unknown time zone '{Printable(value)}' in {key}: use an IANA name such as Europe/Paris, or UTC.", "22023");
        }
        if (BooleanKeys.Contains(key, StringComparer.Ordinal) && !bool.TryParse(trimmed, out _))
        {
            throw new GatewayException($"{key} must be true or false (was '{Printable(value)}').", "22023");
        }
        if (key.Equals(Operations.ResultFormat.KyuubiFormatConf, StringComparison.Ordinal) && trimmed.Length > 0
            && !trimmed.Equals("arrow", StringComparison.OrdinalIgnoreCase) && !trimmed.Equals("thrift", StringComparison.OrdinalIgnoreCase))
        {
            throw new GatewayException($"{key} must be arrow or thrift (was '{Printable(value)}').", "22023");
        }
    }

    private static string Printable(string value) =>
        new([.. value.Take(64).Select(c => char.IsControl(c) ? '?' : c)]);
}
