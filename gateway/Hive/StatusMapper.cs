using Gateway.Engines;
using Gateway.Protocol.Hive;
using Gateway.Server.Sessions;
using Microsoft.Extensions.Logging;

namespace Gateway.Server.Hive;

/// <summary>The one place exceptions become TStatus (SQLSTATE, error code, message).</summary>
public static partial class StatusMapper
{
    public static TStatus Success() => new() { StatusCode = TStatusCode.SUCCESS_STATUS };

    public static TStatus Error(string message, string sqlState = "HY000", int errorCode = 0) => new()
    {
        StatusCode = TStatusCode.ERROR_STATUS,
        ErrorMessage = message,
        SqlState = sqlState,
        ErrorCode = errorCode,
        InfoMessages = [$"*{sqlState}:{errorCode}:{message}"],
    };

    public static TStatus NotSupported(string what) => Error($"{what} are not supported by this gateway.", "HYC00");

    public static TStatus FromException(Exception ex, ILogger logger) => ex switch
    {
        GatewayException { InvalidHandle: true } g => new TStatus { StatusCode = TStatusCode.INVALID_HANDLE_STATUS, ErrorMessage = g.Message, SqlState = g.SqlState },
        GatewayException g => Error(g.Message, g.SqlState, g.ErrorCode),
        EngineException e => Error(e.Message, e.SqlState, e.ErrorCode),
        OperationCanceledException => Error("The call was canceled.", "HY008"),
        ObjectDisposedException => new TStatus { StatusCode = TStatusCode.INVALID_HANDLE_STATUS, ErrorMessage = "The session was closed.", SqlState = "HY000" },
        _ => Internal(ex, logger),
    };

    private static TStatus Internal(Exception ex, ILogger logger)
    {
        LogInternalError(logger, ex);
        return Error($"Internal gateway error: {ex.GetType().Name}: {ex.Message}", "HY000");
    }

    [LoggerMessage(EventId = 200, Level = LogLevel.Error, Message = "Unexpected error answering a call")]
    private static partial void LogInternalError(ILogger logger, Exception ex);
}

internal static class HiveKeywords
{
    // SQL keywords beyond SQL-92 that the gateway's dialect reserves (what ODBC's SQL_KEYWORDS asks).
    public const string OdbcKeywords =
        "ARRAY,BIGINT,BINARY,BOOLEAN,CLUSTER,CLUSTERED,DATABASE,DATABASES,DESCRIBE,DISTRIBUTE,EXPLAIN,EXTENDED,FORMATTED,FUNCTIONS,"
        + "IF,ILIKE,LATERAL,LIMIT,MAP,MSCK,OVERWRITE,PARTITION,PARTITIONED,PIVOT,QUALIFY,RLIKE,SCHEMAS,SEMI,SHOW,SORT,STRUCT,TABLES,"
        + "TABLESAMPLE,TBLPROPERTIES,TINYINT,UNPIVOT,USE";
}
