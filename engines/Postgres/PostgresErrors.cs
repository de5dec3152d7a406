using System.Diagnostics.CodeAnalysis;
using System.Net.Sockets;
using Npgsql;

namespace Gateway.Engines.Postgres;

/// <summary>Maps Npgsql and PostgreSQL failures to <see cref="EngineException"/>.</summary>
public static class PostgresErrors
{
    /// <summary>SQLSTATE of a query canceled by the server (cancel request or statement_timeout).</summary>
    public const string QueryCanceled = "57014";

    /// <summary>
    /// PostgreSQL errors keep their SQLSTATE. Failures to reach or keep the server (class 08, shutdown, too many
    /// connections, a broken socket, a pool timeout) are retryable: the statement can go to another engine.
    /// Serialization failures and deadlocks are retryable in a new transaction.
    /// </summary>
    public static EngineException Create(Exception exception, bool connecting = false) => exception switch
    {
        EngineException e => e,
        PostgresException pg => FromPostgres(pg),
        NpgsqlException npgsql => new EngineException(
            (connecting ? "Could not connect to PostgreSQL: " : "PostgreSQL connection failure: ") + Describe(npgsql),
            connecting ? "08001" : "08006", 0, retryable: true, npgsql),
        SocketException or IOException or TimeoutException => new EngineException(
            "PostgreSQL connection failure: " + exception.Message, connecting ? "08001" : "08006", 0, retryable: true, exception),
        InvalidCastException or NotSupportedException => new EngineException(
            "PostgreSQL returned a value the gateway cannot convert: " + exception.Message, "0A000", 0, false, exception),
        OverflowException => new EngineException("A value is out of range: " + exception.Message, "22003", 0, false, exception),
        _ => new EngineException(exception.Message, "HY000", 0, false, exception),
    };

    private static EngineException FromPostgres(PostgresException pg)
    {
        var message = pg.MessageText;
        if (!string.IsNullOrEmpty(pg.Detail)) message += " (" + pg.Detail + ")";
        if (pg.Position > 0) message += $" [position {pg.Position}]";
        return new EngineException(message, pg.SqlState, 0, IsRetryable(pg.SqlState), pg);
    }

    internal static bool IsRetryable(string sqlState) =>
        sqlState.StartsWith("08", StringComparison.Ordinal)
        || sqlState is "57P01" or "57P02" or "57P03" or "53300" or "40001" or "40P01";

    private static string Describe(NpgsqlException e) =>
        e.InnerException is { } inner && !string.IsNullOrEmpty(inner.Message) && !e.Message.Contains(inner.Message, StringComparison.Ordinal)
            ? $"{e.Message} ({inner.Message})"
            : e.Message;

    internal static EngineException Canceled(Exception? inner = null) => new("Query was canceled (interrupted).", "HY008", 0, false, inner);

    [DoesNotReturn]
    internal static void ThrowCanceled(Exception? inner = null) => throw Canceled(inner);
}
