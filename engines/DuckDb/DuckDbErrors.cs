using System.Diagnostics.CodeAnalysis;

namespace Gateway.Engines.DuckDb;

/// <summary>Maps DuckDB errors to <see cref="EngineException"/> with a SQLSTATE.</summary>
public static class DuckDbErrors
{
    // DuckDB messages start with the error type's name ("Catalog Error: ..."); prepare and pending errors
    // only come as text, so the prefix is how their type is recovered.
    private static readonly (string Prefix, DuckDbErrorType Type)[] Prefixes =
    [
        ("Out of Range", DuckDbErrorType.OutOfRange),
        ("Conversion", DuckDbErrorType.Conversion),
        ("Unknown Type", DuckDbErrorType.UnknownType),
        ("Decimal", DuckDbErrorType.Decimal),
        ("Mismatch Type", DuckDbErrorType.MismatchType),
        ("Divide by Zero", DuckDbErrorType.DivideByZero),
        ("Object Size", DuckDbErrorType.ObjectSize),
        ("Invalid type", DuckDbErrorType.InvalidType),
        ("Serialization", DuckDbErrorType.Serialization),
        ("TransactionContext", DuckDbErrorType.Transaction),
        ("Transaction", DuckDbErrorType.Transaction),
        ("Not implemented", DuckDbErrorType.NotImplemented),
        ("Expression", DuckDbErrorType.Expression),
        ("Catalog", DuckDbErrorType.Catalog),
        ("Parser", DuckDbErrorType.Parser),
        ("Planner", DuckDbErrorType.Planner),
        ("Scheduler", DuckDbErrorType.Scheduler),
        ("Executor", DuckDbErrorType.Executor),
        ("Constraint", DuckDbErrorType.Constraint),
        ("Index", DuckDbErrorType.Index),
        ("Stat", DuckDbErrorType.Stat),
        ("Connection", DuckDbErrorType.Connection),
        ("Syntax", DuckDbErrorType.Syntax),
        ("Settings", DuckDbErrorType.Settings),
        ("Binder", DuckDbErrorType.Binder),
        ("Network", DuckDbErrorType.Network),
        ("Optimizer", DuckDbErrorType.Optimizer),
        ("NullPointer", DuckDbErrorType.NullPointer),
        ("IO", DuckDbErrorType.IO),
        ("INTERRUPT", DuckDbErrorType.Interrupt),
        ("FATAL", DuckDbErrorType.Fatal),
        ("INTERNAL", DuckDbErrorType.Internal),
        ("Invalid Input", DuckDbErrorType.InvalidInput),
        ("Out of Memory", DuckDbErrorType.OutOfMemory),
        ("Permission", DuckDbErrorType.Permission),
        ("Parameter Not Resolved", DuckDbErrorType.ParameterNotResolved),
        ("Parameter Not Allowed", DuckDbErrorType.ParameterNotAllowed),
        ("Dependency", DuckDbErrorType.Dependency),
        ("HTTP", DuckDbErrorType.Http),
        ("Missing Extension", DuckDbErrorType.MissingExtension),
        ("Extension Autoloading", DuckDbErrorType.Autoload),
        ("Sequence", DuckDbErrorType.Sequence),
        ("Invalid Configuration", DuckDbErrorType.InvalidConfiguration),
        ("Invalid", DuckDbErrorType.Invalid),
    ];

    /// <summary>Recovers the error type from the "Xxx Error:" prefix of a DuckDB message.</summary>
    public static DuckDbErrorType TypeFromMessage(string message)
    {
        var colon = message.IndexOf(" Error:", StringComparison.Ordinal);
        if (colon <= 0) return DuckDbErrorType.Invalid;
        var name = message.AsSpan(0, colon);
        foreach (var (prefix, type) in Prefixes)
        {
            if (name.Equals(prefix, StringComparison.OrdinalIgnoreCase)) return type;
        }
        return DuckDbErrorType.Invalid;
    }

    // Refusals of the sandbox (DuckDbSandbox) that DuckDB reports as invalid input rather than as a permission error.
    private static readonly string[] SandboxRefusals =
    [
        "the configuration has been locked",
        "Persistent secrets are disabled",
        "disabled by configuration",
        "disabled through configuration",
    ];

    /// <summary>True for DuckDB's answer to something the sandbox or the locked configuration does not allow.</summary>
    public static bool IsSandboxRefusal(DuckDbErrorType type, string message) =>
        type == DuckDbErrorType.Permission
        || (type is DuckDbErrorType.InvalidInput or DuckDbErrorType.Invalid or DuckDbErrorType.Settings
            && SandboxRefusals.Any(r => message.Contains(r, StringComparison.Ordinal)));

    public static string SqlState(DuckDbErrorType type, string message) => type switch
    {
        _ when IsSandboxRefusal(type, message) => "42501",
        DuckDbErrorType.Parser or DuckDbErrorType.Syntax => "42000",
        DuckDbErrorType.Catalog when message.Contains("already exists", StringComparison.OrdinalIgnoreCase) => "42S01",
        DuckDbErrorType.Catalog when message.Contains("does not exist", StringComparison.OrdinalIgnoreCase)
            && (message.Contains("Table", StringComparison.Ordinal) || message.Contains("View", StringComparison.Ordinal)) => "42S02",
        DuckDbErrorType.Catalog => "42000",
        DuckDbErrorType.Binder when message.Contains("column", StringComparison.OrdinalIgnoreCase)
            && message.Contains("not found", StringComparison.OrdinalIgnoreCase) => "42S22",
        DuckDbErrorType.Binder or DuckDbErrorType.Planner or DuckDbErrorType.Expression or DuckDbErrorType.Optimizer => "42000",
        DuckDbErrorType.MismatchType or DuckDbErrorType.InvalidType or DuckDbErrorType.UnknownType => "42804",
        DuckDbErrorType.Conversion => "22018",
        DuckDbErrorType.OutOfRange or DuckDbErrorType.Decimal => "22003",
        DuckDbErrorType.DivideByZero => "22012",
        DuckDbErrorType.Sequence => "2200H",
        DuckDbErrorType.InvalidInput or DuckDbErrorType.Settings or DuckDbErrorType.InvalidConfiguration => "22023",
        DuckDbErrorType.Constraint or DuckDbErrorType.Index => "23000",
        DuckDbErrorType.Transaction => "40001",
        DuckDbErrorType.Dependency => "2BP01",
        DuckDbErrorType.Permission => "42501",
        DuckDbErrorType.ParameterNotResolved or DuckDbErrorType.ParameterNotAllowed => "07002",
        DuckDbErrorType.NotImplemented or DuckDbErrorType.MissingExtension or DuckDbErrorType.Autoload => "0A000",
        DuckDbErrorType.Interrupt => "HY008",
        DuckDbErrorType.OutOfMemory => "53200",
        DuckDbErrorType.IO => "58030",
        DuckDbErrorType.Connection or DuckDbErrorType.Network or DuckDbErrorType.Http => "08000",
        DuckDbErrorType.Fatal or DuckDbErrorType.Internal or DuckDbErrorType.NullPointer => "XX000",
        _ => "HY000",
    };

    public static EngineException Create(string? message, DuckDbErrorType type = DuckDbErrorType.Invalid)
    {
        message ??= "DuckDB reported an error without a message.";
        if (type == DuckDbErrorType.Invalid) type = TypeFromMessage(message);
        // Write-write conflicts are worth retrying in a new transaction.
        var retryable = type == DuckDbErrorType.Transaction && message.Contains("conflict", StringComparison.OrdinalIgnoreCase);
        return new EngineException(message, SqlState(type, message), (int)type, retryable);
    }

    [DoesNotReturn]
    internal static void Throw(string? message, DuckDbErrorType type = DuckDbErrorType.Invalid) => throw Create(message, type);

    internal static EngineException Canceled() => new("Query was canceled (interrupted).", "HY008", (int)DuckDbErrorType.Interrupt);
}
