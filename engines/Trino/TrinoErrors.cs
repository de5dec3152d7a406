using System.Net;

namespace Gateway.Engines.Trino;

/// <summary>
/// Trino's errors as the gateway's: the SQLSTATE from <c>sqlState</c> when the coordinator gives one, else from
/// <c>errorName</c> (the standard's classes where one fits, as the other engines map theirs), else from <c>errorType</c>.
/// <c>USER_ERROR</c>s are the statement's fault and final; <c>INTERNAL_ERROR</c>, <c>INSUFFICIENT_RESOURCES</c> and
/// <c>EXTERNAL</c> are the cluster's, and may succeed elsewhere (failover before the first row).
/// </summary>
public static class TrinoErrors
{
    private static readonly Dictionary<string, string> ByName = new(StringComparer.Ordinal)
    {
        ["SYNTAX_ERROR"] = "42000",
        ["TABLE_NOT_FOUND"] = "42S02",
        ["SCHEMA_NOT_FOUND"] = "3F000",
        ["CATALOG_NOT_FOUND"] = "3D000",
        ["COLUMN_NOT_FOUND"] = "42S22",
        ["MISSING_TABLE"] = "42S02",
        ["MISSING_SCHEMA_NAME"] = "3F000",
        ["MISSING_CATALOG_NAME"] = "3D000",
        ["FUNCTION_NOT_FOUND"] = "42883",
        ["TYPE_MISMATCH"] = "42804",
        ["AMBIGUOUS_NAME"] = "42702",
        ["TABLE_ALREADY_EXISTS"] = "42S01",
        ["SCHEMA_ALREADY_EXISTS"] = "42P06",
        ["PERMISSION_DENIED"] = "42501",
        ["DIVISION_BY_ZERO"] = "22012",
        ["INVALID_CAST_ARGUMENT"] = "22018",
        ["NUMERIC_VALUE_OUT_OF_RANGE"] = "22003",
        ["INVALID_FUNCTION_ARGUMENT"] = "22023",
        ["INVALID_LITERAL"] = "22007",
        ["NOT_SUPPORTED"] = "0A000",
        ["USER_CANCELED"] = "HY008",
        ["EXCEEDED_TIME_LIMIT"] = "HYT00",
        ["QUERY_REJECTED"] = "53000",
        ["CLUSTER_OUT_OF_MEMORY"] = "53200",
        ["EXCEEDED_GLOBAL_MEMORY_LIMIT"] = "53200",
        ["EXCEEDED_LOCAL_MEMORY_LIMIT"] = "53200",
        ["SERVER_STARTING_UP"] = "08004",
        ["SERVER_SHUTTING_DOWN"] = "08006",
        ["NO_NODES_AVAILABLE"] = "08004",
        ["TRANSACTION_CONFLICT"] = "40001",
        ["NOT_IN_TRANSACTION"] = "25000",
    };

    public static EngineException ToException(TrinoError error, string? queryId = null)
    {
        ArgumentNullException.ThrowIfNull(error);
        var sqlState = error.SqlState is { Length: 5 } given ? given
            : error.ErrorName is { } name && ByName.TryGetValue(name, out var mapped) ? mapped
            : error.ErrorType switch
            {
                "USER_ERROR" => "42000",
                "INSUFFICIENT_RESOURCES" => "53000",
                "EXTERNAL" => "58000",
                _ => "HY000",
            };
        // The user canceled and exceeded-time errors are final too, whatever their type.
        var retryable = error.ErrorType is "INTERNAL_ERROR" or "INSUFFICIENT_RESOURCES" or "EXTERNAL"
            && error.ErrorName is not ("USER_CANCELED" or "EXCEEDED_TIME_LIMIT" or "ADMINISTRATIVELY_KILLED" or "ADMINISTRATIVELY_PREEMPTED");
        var where = error.Line is { } line ? $" (line {line}{(error.Column is { } col ? $":{col}" : "")})" : "";
        var label = error.ErrorName is { } n ? $"{n}: " : "";
        var query = queryId is null ? "" : $" [Trino query {queryId}]";
        return new EngineException($"{label}{error.Message}{where}{query}", sqlState, error.ErrorCode, retryable);
    }

    /// <summary>An HTTP answer other than 200 (and the retried 502/503/504): the statement failed; 401/403 are the gateway's credentials.</summary>
    public static EngineException FromStatus(HttpStatusCode status, string? body, Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        var text = string.IsNullOrWhiteSpace(body) ? "" : ": " + (body.Length > 512 ? body[..512] + "..." : body.Trim());
        var where = uri.GetLeftPart(UriPartial.Authority);
        return status switch
        {
            HttpStatusCode.Unauthorized => new EngineException($"Trino at {where} refused the gateway's credentials (401){text}", "28000"),
            HttpStatusCode.Forbidden => new EngineException($"Trino at {where} refused the gateway (403){text}", "42501"),
            HttpStatusCode.NotFound => new EngineException($"Trino at {where} does not know {uri.AbsolutePath} (404): the query is gone or this is not a Trino coordinator{text}", "08S01"),
            HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout =>
                new EngineException($"Trino at {where} stayed unavailable ({(int)status}){text}", "08S01", retryable: true),
            _ => new EngineException($"Trino at {where} answered {(int)status}{text}", "08S01", retryable: (int)status >= 500),
        };
    }
}
