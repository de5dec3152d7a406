using Gateway.Engines;

namespace Gateway.Router.Policy;

/// <summary>
/// The portable masks in each engine's SQL. Engines differ where it matters: DuckDB and PostgreSQL replace one
/// regular-expression match without the <c>g</c> flag, Spark and Trino all; <c>md5</c> is text on DuckDB, PostgreSQL
/// and Spark but varbinary on Trino. So the masks are written from functions whose meaning is the same everywhere
/// they are used (<c>length</c>, <c>repeat</c>/<c>lpad</c>, <c>substr</c>, a SHA-256 as lower-case hex), and every
/// masked column keeps its name and, where the mask does not turn it into text, its type.
/// </summary>
public static class ColumnMasks
{
    /// <summary>
    /// The expression that replaces <paramref name="column"/> (already quoted for the statement's dialect) of type
    /// <paramref name="type"/> (the catalog's spelling, valid in the engine's SQL) under <paramref name="mask"/>.
    /// </summary>
    public static string Render(ColumnConstraint mask, string column, string type, EngineKind engine, Func<string, string> substitute)
    {
        ArgumentNullException.ThrowIfNull(mask);
        ArgumentNullException.ThrowIfNull(substitute);
        var text = Text(column, engine);
        var textual = IsText(type);
        return mask.Mask switch
        {
            MaskKind.Null => $"CAST(NULL AS {type})",
            MaskKind.Redact => textual ? $"{Repeat("'X'", $"length({column})", engine)}" : $"CAST(NULL AS {type})",
            MaskKind.ShowLast4 => $"CASE WHEN length({text}) <= 4 THEN {text} ELSE {Repeat("'X'", $"length({text}) - 4", engine)} || substr({text}, length({text}) - 3) END",
            MaskKind.ShowFirst4 => $"CASE WHEN length({text}) <= 4 THEN {text} ELSE substr({text}, 1, 4) || {Repeat("'X'", $"length({text}) - 4", engine)} END",
            MaskKind.Hash => Sha256Hex(text, engine),
            MaskKind.DateShowYear => $"CAST(date_trunc('year', {column}) AS {type})",
            MaskKind.Expression => "(" + substitute(mask.MaskExpression!) + ")",
            _ => throw new ArgumentOutOfRangeException(nameof(mask)),
        };
    }

    private static bool IsText(string type)
    {
        var t = type.Trim().ToUpperInvariant();
        return t.StartsWith("VARCHAR", StringComparison.Ordinal) || t.StartsWith("CHAR", StringComparison.Ordinal) || t is "TEXT" or "STRING"
            || t.StartsWith("CHARACTER", StringComparison.Ordinal) || t.StartsWith("NVARCHAR", StringComparison.Ordinal);
    }

    private static string Text(string column, EngineKind engine) => engine switch
    {
        EngineKind.Spark or EngineKind.HiveServer2 => $"CAST({column} AS STRING)",
        _ => $"CAST({column} AS VARCHAR)",
    };

    // repeat(s, n) on DuckDB, PostgreSQL and Spark; Trino has no repeat for strings: lpad('', n, s).
    private static string Repeat(string s, string n, EngineKind engine) => engine == EngineKind.Trino ? $"lpad('', {n}, {s})" : $"repeat({s}, {n})";

    private static string Sha256Hex(string text, EngineKind engine) => engine switch
    {
        EngineKind.Postgres => $"encode(sha256(convert_to({text}, 'UTF8')), 'hex')",
        EngineKind.Trino => $"lower(to_hex(sha256(to_utf8({text}))))",
        EngineKind.Spark or EngineKind.HiveServer2 => $"sha2({text}, 256)",
        _ => $"sha256({text})",
    };
}
