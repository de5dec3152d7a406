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
/// The adapter's only SQL rewriting, done by a lexer that knows PostgreSQL's literal forms ('...', E'...',
/// $tag$...$tag$, "identifiers", -- and nested /* */ comments), so nothing inside them is touched:
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
        var i = 0;
        while (i < sql.Length)
        {
            var c = sql[i];
            switch (c)
            {
                case '\'':
                    {
                        // E'...' takes backslash escapes; a plain '...' only doubled quotes.
                        var escapes = i > 0 && (sql[i - 1] is 'E' or 'e') && (i < 2 || !IsIdentifierChar(sql[i - 2]));
                        var end = SkipQuoted(sql, i, '\'', escapes);
                        sb.Append(sql, i, end - i);
                        i = end;
                        continue;
                    }
                case '"':
                    {
                        var end = SkipQuoted(sql, i, '"', false);
                        sb.Append(sql, i, end - i);
                        i = end;
                        continue;
                    }
                case '`':
                    {
                        // Hive identifier: doubled backticks escape one; double quotes inside are doubled for PostgreSQL.
                        var j = i + 1;
                        sb.Append('"');
                        while (j < sql.Length)
                        {
                            if (sql[j] == '`')
                            {
                                if (j + 1 < sql.Length && sql[j + 1] == '`') { sb.Append('`'); j += 2; continue; }
                                break;
                            }
                            if (sql[j] == '"') sb.Append('"');
                            sb.Append(sql[j]);
                            j++;
                        }
                        if (j >= sql.Length) throw new EngineException("Unterminated backtick identifier.", "42601");
                        sb.Append('"');
                        if (words.Count < 3) words.Add("\"");
                        i = j + 1;
                        continue;
                    }
                case '-' or '/' when SqlLexer.CommentEnd(sql, i, SqlDialect.Postgres) is var end and > 0:
                    // PostgreSQL's comments: '--' to \n or \r, /* */ nested.
                    sb.Append(sql, i, end - i);
                    i = end;
                    continue;
                case '$':
                    {
                        if (TryDollarQuote(sql, i, out var end))
                        {
                            sb.Append(sql, i, end - i);
                            i = end;
                            continue;
                        }
                        sb.Append(c);
                        i++;
                        continue;
                    }
                case '?' when parameters.Count > 0 && !named:
                    sb.Append('$').Append(++positional);
                    i++;
                    continue;
                case ':' when named && i + 1 < sql.Length && IsIdentifierStart(sql[i + 1]) && (i == 0 || sql[i - 1] != ':'):
                    {
                        var j = i + 1;
                        while (j < sql.Length && IsIdentifierChar(sql[j])) j++;
                        var name = sql[(i + 1)..j];
                        if (given!.Contains(name))
                        {
                            if (!names!.TryGetValue(name, out var index)) names[name] = index = names.Count + 1;
                            sb.Append('$').Append(index);
                        }
                        else
                        {
                            sb.Append(sql, i, j - i);
                        }
                        i = j;
                        continue;
                    }
                case ';':
                    AddStatement(statements, sb, words, returning);
                    sb.Clear();
                    words.Clear();
                    returning = false;
                    i++;
                    continue;
            }
            if (IsIdentifierStart(c))
            {
                var j = i + 1;
                while (j < sql.Length && IsIdentifierChar(sql[j])) j++;
                var word = sql[i..j];
                if (words.Count < 3) words.Add(word.ToUpperInvariant());
                if (word.Equals("RETURNING", StringComparison.OrdinalIgnoreCase)) returning = true;
                sb.Append(word);
                i = j;
                continue;
            }
            sb.Append(c);
            i++;
        }
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

    private static int SkipQuoted(string sql, int start, char quote, bool backslashEscapes)
    {
        var i = start + 1;
        while (i < sql.Length)
        {
            var c = sql[i];
            if (backslashEscapes && c == '\\') { i += 2; continue; }
            if (c == quote)
            {
                if (i + 1 < sql.Length && sql[i + 1] == quote) { i += 2; continue; }
                return i + 1;
            }
            i++;
        }
        // Unterminated: the rest is the literal; PostgreSQL reports the error.
        return sql.Length;
    }

    /// <summary>$tag$ ... $tag$ (tag empty or an identifier not starting with a digit); <c>$1</c> is a parameter, not a quote.</summary>
    private static bool TryDollarQuote(string sql, int start, out int end)
    {
        end = start;
        if (start > 0 && IsIdentifierChar(sql[start - 1])) return false;
        var j = start + 1;
        if (j < sql.Length && char.IsAsciiDigit(sql[j])) return false;
        while (j < sql.Length && sql[j] != '$')
        {
            if (!IsIdentifierChar(sql[j])) return false;
            j++;
        }
        if (j >= sql.Length) return false;
        var tag = sql.AsSpan(start, j - start + 1);
        var close = sql.AsSpan(j + 1).IndexOf(tag, StringComparison.Ordinal);
        end = close < 0 ? sql.Length : j + 1 + close + tag.Length;
        return true;
    }

    private static bool IsIdentifierStart(char c) => char.IsAsciiLetter(c) || c == '_' || c > 127;

    private static bool IsIdentifierChar(char c) => char.IsAsciiLetterOrDigit(c) || c == '_' || c == '$' || c > 127;

    /// <summary>A PostgreSQL identifier in double quotes.</summary>
    public static string QuoteIdentifier(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
