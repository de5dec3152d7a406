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
        InfoMessages = StackTrace(message),
    };

    /// <summary>The exception class Hive JDBC rebuilds from <see cref="StackTrace"/> (it has a String constructor there).</summary>
    public const string ExceptionClass = "org.apache.hive.service.cli.HiveSQLException";

    /// <summary>
    /// An error's infoMessages in HiveServer2's own form, which Hive JDBC parses back into the cause of its
    /// SQLException (HiveSQLException.toCause): a head line <c>*class:message:frames:lastUniqueFrame</c>, then that many
    /// frame lines <c>class:method:file:line</c> (lastUniqueFrame + 1 of them are read). Hive JDBC 3.1.2 fails with
    /// StringIndexOutOfBoundsException on anything else, instead of reporting the error.
    /// </summary>
    public static List<string> StackTrace(string message) =>
        [$"*{ExceptionClass}:{message.Replace('\r', ' ').Replace('\n', ' ')}:1:0", "gateway.Hs2Server:answer::-1"];

    public static TStatus NotSupported(string what) => Error($"{what} are not supported by this gateway.", "HYC00");

    public static TStatus FromException(Exception ex, ILogger logger) => ex switch
    {
        GatewayException { InvalidHandle: true } g => new TStatus { StatusCode = TStatusCode.INVALID_HANDLE_STATUS, ErrorMessage = g.Message, SqlState = g.SqlState },
        GatewayException { InnerException: { } cause } g => Caused(g, cause, logger),
        GatewayException g => Error(g.Message, g.SqlState, g.ErrorCode),
        EngineException e => Error(e.Message, e.SqlState, e.ErrorCode),
        OperationCanceledException => Error("The call was canceled.", "HY008"),
        ObjectDisposedException => new TStatus { StatusCode = TStatusCode.INVALID_HANDLE_STATUS, ErrorMessage = "The session was closed.", SqlState = "HY000" },
        _ => Internal(ex, logger),
    };

    /// <summary>
    /// A failure the gateway did not expect: the client learns that it happened and a reference to find it in the log,
    /// not the exception's type or message (which can name files, hosts or internals).
    /// </summary>
    public static TStatus Internal(Exception ex, ILogger logger)
    {
        var reference = InternalReference();
        LogInternalError(logger, reference, ex);
        return Error(InternalMessage(reference), "HY000");
    }

    /// <summary>What a client is told of an unexpected failure (see <see cref="Internal"/>).</summary>
    public static string InternalMessage(string reference) => $"Internal gateway error (reference {reference}); the gateway's log has the details.";

    public static string InternalReference() => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4));

    private static TStatus Caused(GatewayException refusal, Exception cause, ILogger logger)
    {
        LogCause(logger, refusal.SqlState, refusal.Message, cause);
        return Error(refusal.Message, refusal.SqlState, refusal.ErrorCode);
    }

    [LoggerMessage(EventId = 200, Level = LogLevel.Error, Message = "Unexpected error answering a call (reference {Reference})")]
    private static partial void LogInternalError(ILogger logger, string reference, Exception ex);

    [LoggerMessage(EventId = 201, Level = LogLevel.Information, Message = "Refused a call ({SqlState}): {Message}")]
    private static partial void LogCause(ILogger logger, string sqlState, string message, Exception cause);
}

internal static class HiveKeywords
{
    // SQL keywords beyond SQL-92 that the gateway's dialect reserves (what ODBC's SQL_KEYWORDS asks).
    public const string OdbcKeywords =
        "ARRAY,BIGINT,BINARY,BOOLEAN,CLUSTER,CLUSTERED,DATABASE,DATABASES,DESCRIBE,DISTRIBUTE,EXPLAIN,EXTENDED,FORMATTED,FUNCTIONS,"
        + "IF,ILIKE,LATERAL,LIMIT,MAP,MSCK,OVERWRITE,PARTITION,PARTITIONED,PIVOT,QUALIFY,RLIKE,SCHEMAS,SEMI,SHOW,SORT,STRUCT,TABLES,"
        + "TABLESAMPLE,TBLPROPERTIES,TINYINT,UNPIVOT,USE";
}
