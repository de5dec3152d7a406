using System.Text;
using Gateway.Protocol.Sql;

namespace Gateway.Engines.Postgres;

/// <summary>What kind of statement a piece of PostgreSQL text is, from its first keyword.</summary>
internal enum PgStatementKind
{
    /// <summary>SELECT, WITH, VALUES, TABLE: a query that binary COPY can stream.</summary>
    Query,
    /// <summary>May return rows but COPY cannot run it: SHOW, EXPLAIN, FETCH, CALL, EXECUTE, DML with RETURNING, unknown keywords.</summary>
    MayReturnRows,
    /// <summary>DDL, DML without RETURNING, transaction control, SET...: never returns rows.</summary>
    NoRows,
    /// <summary>Hive's <c>USE db</c>: handled by the adapter (search_path).</summary>
    Use,
    /// <summary>COPY ... FROM STDIN / TO STDOUT: needs the copy sub-protocol, refused.</summary>
    CopyStream,
}

/// <summary>One statement of a script after rewriting.</summary>
internal sealed record PgStatement(string Sql, PgStatementKind Kind, string FirstKeyword, string? UseTarget, bool UseTargetQuoted)
{
    /// <summary>SET, RESET, DISCARD and transaction ends can change search_path, so the current schema is re-read after them.</summary>
    public bool MayChangeSchema => FirstKeyword is "SET" or "RESET" or "DISCARD" or "ROLLBACK" or "ABORT" or "COMMIT" or "END";
}

/// <summary>A script split into statements, with parameter markers renumbered as PostgreSQL's <c>$n</c>.</summary>
internal sealed record PgScript(IReadOnlyList<PgStatement> Statements, IReadOnlyList<QueryParameter> OrderedParameters);

/// <summary>
/// The adapter's only SQL rewriting, over the shared lexer's PostgreSQL dialect ('...', E'...', $tag$...$tag$,
/// "identifiers", -- and nested /* */ comments), so nothing inside them is touched:
/// <list type="bullet">
/// <item>Hive's backtick identifiers become double-quoted identifiers (<c>`a``b`</c> → <c>"a`b"</c>).</item>
/// <item>Parameter markers: positional <c>?</c> become <c>$1..$n</c>; named <c>:name</c> (names given as parameters,
/// not <c>::casts</c>) become <c>$k</c> in order of first appearance. Only when parameters are given, so the
/// jsonb <c>?</c> operators keep working in statements without parameters.</item>
/// <item>Scripts are split on top-level semicolons.</item>
/// </list>
/// Everything else reaches PostgreSQL as written.
/// </summary>
internal static class PostgresSql
{
    private static readonly HashSet<string> NoRowKeywords = new(StringComparer.Ordinal)
    {
        "CREATE", "DROP", "ALTER", "TRUNCATE", "GRANT", "REVOKE", "COMMENT", "SET", "RESET", "BEGIN", "START",
        "COMMIT", "END", "ROLLBACK", "ABORT", "SAVEPOINT", "RELEASE", "VACUUM", "ANALYZE", "ANALYSE", "LOCK", "DISCARD",
        "DO", "REFRESH", "REINDEX", "CLUSTER", "CHECKPOINT", "LISTEN", "NOTIFY", "UNLISTEN", "DEALLOCATE", "PREPARE",
        "DECLARE", "CLOSE", "MOVE", "SECURITY", "IMPORT", "LOAD", "REASSIGN",
    };

    private static readonly HashSet<string> DmlKeywords = new(StringComparer.Ordinal) { "INSERT", "UPDATE", "DELETE", "MERGE" };

    public static PgScript Parse(string sql, IReadOnlyList<QueryParameter> parameters)
    {
        var named = parameters.Count > 0 && parameters[0].Name is not null;
        if (parameters.Any(p => (p.Name is not null) != named))
        {
            throw new EngineException("Parameters must be all named or all positional.", "07001");
        }
        var names = named ? new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase) : null;
        var given = named ? parameters.Select(p => p.Name!).ToHashSet(StringComparer.OrdinalIgnoreCase) : null;
        var positional = 0;

        var statements = new List<PgStatement>();
        var sb = new StringBuilder(sql.Length + 16);
        var words = new List<string>(4);
        var returning = false;
        var tokens = SqlLexer.Tokenize(sql, SqlDialect.Postgres);
        // Text between tokens (whitespace, comments, hints) is copied as written.
        var copied = 0;
        for (var k = 0; k < tokens.Count; k++)
        {
            var t = tokens[k];
            switch (t.Kind)
            {
                case SqlTokenKind.QuotedIdentifier when sql[t.Start] == '`':
                    // Hive identifier: doubled backticks escape one (the lexer undid them); double quotes are doubled.
                    if (t.IsUnterminated) throw new EngineException("Unterminated backtick identifier.", "42601");
                    sb.Append(sql, copied, t.Start - copied).Append(QuoteIdentifier(t.Value));
                    copied = t.End;
                    if (words.Count < 3) words.Add("\"");
                    continue;
                case SqlTokenKind.Parameter when t.Value == "?" && parameters.Count > 0 && !named:
                    sb.Append(sql, copied, t.Start - copied).Append('$').Append(++positional);
                    copied = t.End;
                    continue;
                case SqlTokenKind.Operator when named && t.Value == ":" && k + 1 < tokens.Count && tokens[k + 1] is { Kind: SqlTokenKind.Word } w
                    && w.Start == t.End && given!.Contains(w.Value):
                    // ':name' of a given name; '::' casts are one operator token and never get here.
                    if (!names!.TryGetValue(w.Value, out var index)) names[w.Value] = index = names.Count + 1;
                    sb.Append(sql, copied, t.Start - copied).Append('$').Append(index);
                    copied = w.End;
                    k++;
                    continue;
                case SqlTokenKind.Semicolon:
                    sb.Append(sql, copied, t.Start - copied);
                    copied = t.End;
                    AddStatement(statements, sb, words, returning);
                    sb.Clear();
                    words.Clear();
                    returning = false;
                    continue;
                case SqlTokenKind.Word:
                    if (words.Count < 3) words.Add(t.Value.ToUpperInvariant());
                    if (t.Value.Equals("RETURNING", StringComparison.OrdinalIgnoreCase)) returning = true;
                    break;
                case SqlTokenKind.QuotedIdentifier:
                    if (words.Count < 3) words.Add("\"");
                    break;
            }
        }
        sb.Append(sql, copied, sql.Length - copied);
        AddStatement(statements, sb, words, returning);

        IReadOnlyList<QueryParameter> ordered;
        if (parameters.Count == 0)
        {
            ordered = [];
        }
        else if (statements.Count > 1)
        {
            throw new EngineException("Parameters can only be bound to a single statement, not a script.", "07001");
        }
        else if (named)
        {
            // A value for a name the statement does not use is ignored, as Spark does.
            var byName = parameters.GroupBy(p => p.Name!, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.Last(), StringComparer.OrdinalIgnoreCase);
            ordered = [.. names!.OrderBy(n => n.Value).Select(n => byName[n.Key])];
        }
        else
        {
            var byOrdinal = parameters.OrderBy(p => p.Ordinal).ToList();
            for (var k = 0; k < byOrdinal.Count; k++)
            {
                if (byOrdinal[k].Ordinal != k + 1) throw new EngineException($"Parameter ordinal {byOrdinal[k].Ordinal} is out of range 1..{byOrdinal.Count}.", "07009");
            }
            // No '?' at all: the statement uses PostgreSQL's own $n markers.
            if (positional != 0 && positional != parameters.Count)
            {
                throw new EngineException($"The statement has {positional} parameter marker(s) but {parameters.Count} value(s) were given.", "07001");
            }
            ordered = byOrdinal;
        }
        return new PgScript(statements, ordered);
    }

    private static void AddStatement(List<PgStatement> statements, StringBuilder sb, List<string> words, bool returning)
    {
        var text = sb.ToString().Trim();
        if (words.Count == 0 && IsOnlyComments(text)) return;
        var first = words.Count > 0 ? words[0] : "";
        PgStatementKind kind;
        string? useTarget = null;
        var quoted = false;
        if (first is "SELECT" or "WITH" or "VALUES" or "TABLE")
        {
            kind = PgStatementKind.Query;
        }
        else if (first == "USE")
        {
            kind = PgStatementKind.Use;
            (useTarget, quoted) = ParseUseTarget(text);
        }
        else if (first == "COPY")
        {
            var upper = text.ToUpperInvariant();
            kind = upper.Contains("STDIN", StringComparison.Ordinal) || upper.Contains("STDOUT", StringComparison.Ordinal)
                ? PgStatementKind.CopyStream
                : PgStatementKind.NoRows;
        }
        else if (DmlKeywords.Contains(first))
        {
            kind = returning ? PgStatementKind.MayReturnRows : PgStatementKind.NoRows;
        }
        else if (NoRowKeywords.Contains(first))
        {
            kind = PgStatementKind.NoRows;
        }
        else
        {
            // SHOW, EXPLAIN, FETCH, CALL, EXECUTE, a parenthesised query, anything unknown: ask the server.
            kind = PgStatementKind.MayReturnRows;
        }
        statements.Add(new PgStatement(text, kind, first, useTarget, quoted));
    }

    /// <summary>The target of <c>USE x</c>: one identifier, bare or double-quoted (backticks were already rewritten).</summary>
    private static (string Target, bool Quoted) ParseUseTarget(string text)
    {
        var rest = text[3..].Trim();
        if (rest.Length >= 2 && rest[0] == '"' && rest[^1] == '"')
        {
            var inner = rest[1..^1];
            if (inner.Replace("\"\"", "", StringComparison.Ordinal).Contains('"', StringComparison.Ordinal)) throw BadUse(text);
            return (inner.Replace("\"\"", "\"", StringComparison.Ordinal), true);
        }
        if (rest.Length == 0 || !IsIdentifierStart(rest[0]) || !rest.All(IsIdentifierChar)) throw BadUse(text);
        return (rest, false);
    }

    private static EngineException BadUse(string text) => new($"USE takes one schema name: {text}", "42601");

    // A lone '(' or other punctuation is not a comment: the server reports it.
    private static bool IsOnlyComments(string text) => SqlLexer.SkipLeadingTrivia(text, SqlDialect.Postgres) == text.Length;

    private static bool IsIdentifierStart(char c) => char.IsAsciiLetter(c) || c == '_' || c > 127;

    private static bool IsIdentifierChar(char c) => char.IsAsciiLetterOrDigit(c) || c == '_' || c == '$' || c > 127;

    /// <summary>A PostgreSQL identifier in double quotes.</summary>
    public static string QuoteIdentifier(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
