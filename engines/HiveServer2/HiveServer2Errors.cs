using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using Gateway.Protocol.Hive;
using Gateway.Protocol.Thrift;

namespace Gateway.Engines.HiveServer2;

/// <summary>
/// Maps what the remote says (TStatus, operation states) and what the link does (resets, timeouts, HTTP
/// errors) to <see cref="EngineException"/>. Two kinds stay apart: a statement error is the remote's answer and
/// keeps its SQLSTATE; a transport failure is SQLSTATE 08xxx, Retryable (the router may fail over), and breaks
/// the connection it happened on.
/// </summary>
public static class HiveServer2Errors
{
    /// <summary>An error status of a call; null when the status is a success.</summary>
    public static EngineException? FromStatus(TStatus? status, string call)
    {
        if (status is null) return new EngineException($"{call}: the remote returned no status.", "08S01");
        switch (status.StatusCode)
        {
            case TStatusCode.SUCCESS_STATUS or TStatusCode.SUCCESS_WITH_INFO_STATUS or TStatusCode.STILL_EXECUTING_STATUS:
                return null;
            case TStatusCode.INVALID_HANDLE_STATUS:
                // The remote no longer knows the session or operation (closed, swept, or the server restarted).
                return new EngineException($"{call}: the remote reports an invalid handle: {status.ErrorMessage ?? "no message"}", "08003", status.ErrorCode ?? 0, retryable: true);
            default:
                return new EngineException(status.ErrorMessage ?? $"{call} failed on the remote.", SqlStateOrDefault(status.SqlState), status.ErrorCode ?? 0);
        }
    }

    /// <summary>A failed, canceled or timed-out operation, as GetOperationStatus reports it.</summary>
    public static EngineException FromOperationStatus(TGetOperationStatusResp status)
    {
        ArgumentNullException.ThrowIfNull(status);
        return status.OperationState switch
        {
            TOperationState.CANCELED_STATE => new EngineException(status.ErrorMessage ?? "The statement was canceled on the remote.", "HY008", status.ErrorCode ?? 0),
            TOperationState.TIMEDOUT_STATE => new EngineException(status.ErrorMessage ?? "The statement timed out on the remote.", "HYT00", status.ErrorCode ?? 0),
            TOperationState.CLOSED_STATE => new EngineException("The remote closed the operation before it finished.", "24000", status.ErrorCode ?? 0),
            _ => new EngineException(status.ErrorMessage ?? status.DisplayMessage ?? $"The statement failed on the remote ({status.OperationState}).",
                SqlStateOrDefault(status.SqlState), status.ErrorCode ?? 0),
        };
    }

    private static string SqlStateOrDefault(string? sqlState) => sqlState is { Length: 5 } ? sqlState : "HY000";

    /// <summary>
    /// Classifies an exception raised by a call on the link. <paramref name="breaksLink"/> tells whether the
    /// connection can still be used (false after a reset, a timeout, or a reply that does not match its call).
    /// </summary>
    public static EngineException FromCallFailure(Exception ex, string endpoint, string call, bool timedOut, out bool breaksLink)
    {
        ArgumentNullException.ThrowIfNull(ex);
        breaksLink = true;
        switch (ex)
        {
            case EngineException e:
                breaksLink = false;
                return e;
            case OperationCanceledException when timedOut:
            case OperationCanceledException { InnerException: TimeoutException }:
                return Retryable($"{call}: {endpoint} did not answer in time.", "08S01", ex);
            case TApplicationException { Type: TApplicationExceptionType.BAD_SEQUENCE_ID or TApplicationExceptionType.WRONG_METHOD_NAME or TApplicationExceptionType.INVALID_MESSAGE_TYPE }:
                return Retryable($"{call}: the reply from {endpoint} does not match the call ({ex.Message}).", "08S01", ex);
            case TApplicationException { Type: TApplicationExceptionType.UNKNOWN_METHOD } app:
                breaksLink = false;
                return new EngineException($"{call} is not supported by {endpoint}: {app.Message}", "0A000", inner: ex);
            case TApplicationException app:
                breaksLink = false;
                return new EngineException($"{call} failed on {endpoint}: {app.Message}", "HY000", inner: ex);
            case ThriftProtocolException:
                return Retryable($"{call}: malformed reply from {endpoint}: {ex.Message}", "08S01", ex);
            case HiveClientException { SqlState: "28000" } auth:
                breaksLink = false;
                return new EngineException($"{endpoint} refused the credentials: {auth.Message}", "28000", inner: ex);
            case HiveClientException { SqlState: "08001" } tls:
                return new EngineException(tls.Message, "08001", inner: ex);
            case HiveClientException hc:
                return Retryable($"{call}: connection to {endpoint} lost: {hc.Message}", hc.SqlState.StartsWith("08", StringComparison.Ordinal) ? hc.SqlState : "08S01", ex);
            case HttpRequestException { StatusCode: HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden } http:
                breaksLink = false;
                return new EngineException($"{endpoint} refused the credentials: {http.Message}", "28000", inner: ex);
            case HttpRequestException { StatusCode: { } status } http when (int)status >= 500:
                return Retryable($"{call}: {endpoint} answered {http.Message}", "08S01", ex);
            case HttpRequestException { StatusCode: not null } http:
                breaksLink = false;
                return new EngineException($"{call}: {endpoint} answered {http.Message}", "08S01", inner: ex);
            case HttpRequestException { InnerException: AuthenticationException tls }:
                return new EngineException($"TLS handshake with {endpoint} failed: {tls.Message}", "08001", inner: ex);
            case HttpRequestException http:
                return Retryable($"{call}: cannot reach {endpoint}: {http.Message}", "08S01", ex);
            case AuthenticationException tls:
                return new EngineException($"TLS handshake with {endpoint} failed: {tls.Message}", "08001", inner: ex);
            case IOException or SocketException:
                return Retryable($"{call}: connection to {endpoint} lost: {ex.Message}", "08S01", ex);
            case ObjectDisposedException:
                return new EngineException($"{call}: the connection to {endpoint} is closed.", "08003", inner: ex);
            case OperationCanceledException:
                return Retryable($"{call}: the request to {endpoint} was aborted.", "08S01", ex);
            default:
                breaksLink = false;
                return new EngineException($"{call}: unexpected failure talking to {endpoint}: {ex.GetType().Name}: {ex.Message}", "HY000", inner: ex);
        }
    }

    /// <summary>A failure to establish the connection (TCP, TLS, SASL).</summary>
    public static EngineException FromConnectFailure(Exception ex, string endpoint, bool timedOut) => ex switch
    {
        EngineException e => e,
        OperationCanceledException when timedOut => Retryable($"Connecting to {endpoint} timed out.", "08001", ex),
        SocketException s => Retryable($"Cannot connect to {endpoint}: {s.Message}", "08001", ex),
        HiveClientException { SqlState: "28000" } auth => new EngineException($"{endpoint} refused the credentials: {auth.Message}", "28000", inner: ex),
        HiveClientException { SqlState: "08001" } tls => new EngineException(tls.Message, "08001", inner: ex),
        HiveClientException hc => Retryable($"Cannot connect to {endpoint}: {hc.Message}", "08001", ex),
        AuthenticationException tls => new EngineException($"TLS handshake with {endpoint} failed: {tls.Message}", "08001", inner: ex),
        IOException io => Retryable($"Cannot connect to {endpoint}: {io.Message}", "08001", ex),
        _ => new EngineException($"Cannot connect to {endpoint}: {ex.GetType().Name}: {ex.Message}", "08001", inner: ex),
    };

    private static EngineException Retryable(string message, string sqlState, Exception inner) => new(message, sqlState, 0, retryable: true, inner);
}
