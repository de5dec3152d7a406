using System.Text;

namespace Gateway.Engines.DuckDb;

public enum HiveStatementKind
{
    /// <summary>Run <see cref="HiveTranslation.Sql"/> on DuckDB.</summary>
    Sql,

    /// <summary>DESCRIBE: answered from the table's DuckDB types in Hive's shape (col_name, data_type, comment).</summary>
    Describe,
}

/// <summary>The outcome of <see cref="HiveDialect.Translate"/>.</summary>
public sealed record HiveTranslation(HiveStatementKind Kind, string Sql)
{
    /// <summary>For DESCRIBE: the table's name parts (catalog and schema may be null).</summary>
    public string? Catalog { get; init; }
    public string? Schema { get; init; }
    public string? Table { get; init; }

    /// <summary>The statement changes the current schema (USE).</summary>
    public bool ChangesDatabase { get; init; }
}

/// <summary>
/// The few Hive/Spark habits that HiveServer2 clients send and DuckDB does not understand, rewritten into
/// DuckDB SQL. A small, rule-based translation layer, not a transpiler:
/// <list type="bullet">
/// <item>`backtick` identifiers become "double-quoted" ones (`` doubled inside escapes a backtick);
/// string literals, "quoted identifiers" and comments are left alone.</item>
/// <item><c>current_database()</c> becomes <c>current_schema()</c>: a Hive database is a DuckDB schema.</item>
/// <item><c>SHOW DATABASES|SCHEMAS [LIKE 'pat']</c> → one column <c>database_name</c> (Hive's).</item>
/// <item><c>SHOW TABLES [IN|FROM db] [[LIKE] 'pat']</c> → one column <c>tab_name</c> (Hive's, not Spark's three).</item>
/// <item><c>DESC|DESCRIBE [EXTENDED|FORMATTED] [[catalog.]db.]table</c> → <see cref="HiveStatementKind.Describe"/>.</item>
/// <item><c>USE db</c> → <c>USE "db"</c>.</item>
/// </list>
/// Hive's database <c>default</c> is DuckDB's schema <c>main</c> in SHOW/DESCRIBE/USE. Double quotes keep
/// DuckDB's meaning (identifiers); Hive's backslash escapes inside string literals are not supported.
/// SET is not handled here: the gateway owns session configuration.
/// </summary>
public static class HiveDialect
{
    public static HiveTranslation Translate(string sql)
    {
        ArgumentNullException.ThrowIfNull(sql);
        var rewritten = RewriteTokens(sql);
        var tokens = Tokenize(rewritten);
        // Only a single statement is recognised as a command; scripts pass through (DuckDB runs them in order).
        while (tokens.Count > 0 && tokens[^1].Kind == TokenKind.Semicolon) tokens.RemoveAt(tokens.Count - 1);
        if (tokens.Count == 0 || tokens.Any(t => t.Kind == TokenKind.Semicolon)) return new(HiveStatementKind.Sql, rewritten);

        return TryShowDatabases(tokens) ?? TryShowTables(tokens) ?? TryDescribe(tokens) ?? TryUse(tokens)
            ?? new HiveTranslation(HiveStatementKind.Sql, rewritten);
    }

    /// <summary>Backticks to double quotes and current_database() to current_schema(), outside literals and comments.</summary>
    public static string RewriteTokens(string sql)
    {
        var sb = new StringBuilder(sql.Length + 8);
        var i = 0;
        while (i < sql.Length)
        {
            var c = sql[i];
            if (c is '\'' or '"')
            {
                var end = SkipQuoted(sql, i, c);
                sb.Append(sql, i, end - i);
                i = end;
            }
            else if (c == '-' && i + 1 < sql.Length && sql[i + 1] == '-')
            {
                var end = sql.IndexOf('\n', i);
                end = end < 0 ? sql.Length : end;
                sb.Append(sql, i, end - i);
                i = end;
            }
            else if (c == '/' && i + 1 < sql.Length && sql[i + 1] == '*')
            {
                var end = sql.IndexOf("*/", i + 2, StringComparison.Ordinal);
                end = end < 0 ? sql.Length : end + 2;
                sb.Append(sql, i, end - i);
                i = end;
            }
            else if (c == '`')
            {
                var ident = new StringBuilder();
                var j = i + 1;
                var closed = false;
                while (j < sql.Length)
                {
                    if (sql[j] == '`')
                    {
                        if (j + 1 < sql.Length && sql[j + 1] == '`')
                        {
                            ident.Append('`');
                            j += 2;
                            continue;
                        }
                        closed = true;
                        j++;
                        break;
                    }
                    ident.Append(sql[j++]);
                }
                if (!closed)
                {
                    // Unterminated: leave it for DuckDB to report.
                    sb.Append(sql, i, sql.Length - i);
                    break;
                }
                sb.Append(QuoteIdentifier(ident.ToString()));
                i = j;
            }
            else if (IsWordStart(c))
            {
                var j = i + 1;
                while (j < sql.Length && IsWordPart(sql[j])) j++;
                var word = sql.AsSpan(i, j - i);
                if (word.Equals("current_database", StringComparison.OrdinalIgnoreCase) && NextNonSpace(sql, j) == '('
                    && (i == 0 || sql[i - 1] != '.'))
                {
                    sb.Append("current_schema");
                }
                else
                {
                    sb.Append(word);
                }
                i = j;
            }
            else
            {
                sb.Append(c);
                i++;
            }
        }
        return sb.ToString();
    }

    /// <summary>Hive's SHOW ... LIKE pattern (<c>*</c> any run, <c>|</c> alternatives, case-insensitive) as an RE2 regex.</summary>
    public static string HivePatternToRegex(string pattern)
    {
        var sb = new StringBuilder("(?i)(?:");
        var alternatives = pattern.Split('|');
        for (var a = 0; a < alternatives.Length; a++)
        {
            if (a > 0) sb.Append('|');
            foreach (var c in alternatives[a].Trim())
            {
                if (c == '*') sb.Append(".*");
                else if (char.IsLetterOrDigit(c) || c == '_' || c > 127) sb.Append(c);
                else sb.Append('\\').Append(c);
            }
        }
        return sb.Append(')').ToString();
    }

    public static string QuoteIdentifier(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    public static string QuoteLiteral(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

    private static HiveTranslation? TryShowDatabases(List<Token> t)
    {
        if (t.Count < 2 || !t[0].Is("SHOW") || !(t[1].Is("DATABASES") || t[1].Is("SCHEMAS"))) return null;
        var i = 2;
        string? pattern = null;
        if (i < t.Count && t[i].Is("LIKE")) i++;
        if (i < t.Count && t[i].Kind == TokenKind.String) pattern = t[i++].Value;
        if (i != t.Count) return null;
        var sql = new StringBuilder("SELECT schema_name AS database_name FROM information_schema.schemata WHERE catalog_name = current_database() AND schema_name NOT IN ('information_schema', 'pg_catalog')");
        if (pattern is not null) sql.Append(" AND regexp_full_match(schema_name, ").Append(QuoteLiteral(HivePatternToRegex(pattern))).Append(')');
        sql.Append(" ORDER BY schema_name");
        return new(HiveStatementKind.Sql, sql.ToString());
    }

    private static HiveTranslation? TryShowTables(List<Token> t)
    {
        if (t.Count < 2 || !t[0].Is("SHOW") || !t[1].Is("TABLES")) return null;
        var i = 2;
        string? database = null;
        string? pattern = null;
        if (i < t.Count && (t[i].Is("IN") || t[i].Is("FROM")))
        {
            i++;
            if (i >= t.Count || !t[i].IsIdentifier) return null;
            database = MapDatabase(t[i++]);
        }
        if (i < t.Count && t[i].Is("LIKE")) i++;
        if (i < t.Count && t[i].Kind == TokenKind.String) pattern = t[i++].Value;
        if (i != t.Count) return null;
        var sql = new StringBuilder("SELECT table_name AS tab_name FROM information_schema.tables WHERE table_catalog = current_database() AND table_schema = ");
        sql.Append(database is null ? "current_schema()" : QuoteLiteral(database));
        if (pattern is not null) sql.Append(" AND regexp_full_match(table_name, ").Append(QuoteLiteral(HivePatternToRegex(pattern))).Append(')');
        sql.Append(" ORDER BY table_name");
        return new(HiveStatementKind.Sql, sql.ToString());
    }

    private static readonly string[] NotATable = ["SELECT", "WITH", "FROM", "VALUES", "TABLE", "DATABASE", "SCHEMA", "FUNCTION", "SUMMARIZE", "PIVOT", "UNPIVOT", "("];

    private static HiveTranslation? TryDescribe(List<Token> t)
    {
        if (t.Count < 2 || !(t[0].Is("DESC") || t[0].Is("DESCRIBE"))) return null;
        var i = 1;
        if (t[i].Is("EXTENDED") || t[i].Is("FORMATTED"))
        {
            // "DESCRIBE extended" alone names a table called extended.
            if (t.Count > 2) i++;
        }
        if (NotATable.Any(k => t[i].Is(k))) return null;
        var parts = new List<Token>();
        while (true)
        {
            if (i >= t.Count || !t[i].IsIdentifier) return null;
            parts.Add(t[i++]);
            if (i < t.Count && t[i].Kind == TokenKind.Dot)
            {
                i++;
                continue;
            }
            break;
        }
        if (i != t.Count || parts.Count > 3) return null;
        var table = parts[^1].Value;
        var schema = parts.Count >= 2 ? MapDatabase(parts[^2]) : null;
        var catalog = parts.Count == 3 ? parts[0].Value : null;
        return new(HiveStatementKind.Describe, "") { Catalog = catalog, Schema = schema, Table = table };
    }

    private static HiveTranslation? TryUse(List<Token> t)
    {
        if (t.Count < 2 || !t[0].Is("USE")) return null;
        if (t.Count == 2 && t[1].IsIdentifier)
        {
            return new(HiveStatementKind.Sql, "USE " + QuoteIdentifier(MapDatabase(t[1]))) { ChangesDatabase = true };
        }
        if (t.Count == 4 && t[1].IsIdentifier && t[2].Kind == TokenKind.Dot && t[3].IsIdentifier)
        {
            return new(HiveStatementKind.Sql, "USE " + QuoteIdentifier(t[1].Value) + "." + QuoteIdentifier(MapDatabase(t[3]))) { ChangesDatabase = true };
        }
        return null;
    }

    /// <summary>Hive's <c>default</c> database is DuckDB's <c>main</c> schema.</summary>
    private static string MapDatabase(Token t) => t.Value.Equals("default", StringComparison.OrdinalIgnoreCase) ? "main" : t.Value;

    private enum TokenKind { Word, QuotedIdentifier, String, Dot, Semicolon, Other }

    private readonly record struct Token(TokenKind Kind, string Value)
    {
        public bool Is(string keyword) => (Kind == TokenKind.Word || Kind == TokenKind.Other) && Value.Equals(keyword, StringComparison.OrdinalIgnoreCase);
        public bool IsIdentifier => Kind is TokenKind.Word or TokenKind.QuotedIdentifier;
    }

    private static List<Token> Tokenize(string sql)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (i < sql.Length)
        {
            var c = sql[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (c == '-' && i + 1 < sql.Length && sql[i + 1] == '-')
            {
                var end = sql.IndexOf('\n', i);
                i = end < 0 ? sql.Length : end;
            }
            else if (c == '/' && i + 1 < sql.Length && sql[i + 1] == '*')
            {
                var end = sql.IndexOf("*/", i + 2, StringComparison.Ordinal);
                i = end < 0 ? sql.Length : end + 2;
            }
            else if (c is '\'' or '"')
            {
                var end = SkipQuoted(sql, i, c);
                var closed = end - i >= 2 && sql[end - 1] == c;
                var inner = sql.Substring(i + 1, Math.Max(0, end - i - (closed ? 2 : 1)));
                var doubled = new string(c, 2);
                tokens.Add(new(c == '\'' ? TokenKind.String : TokenKind.QuotedIdentifier, inner.Replace(doubled, c.ToString(), StringComparison.Ordinal)));
                i = end;
            }
            else if (IsWordStart(c))
            {
                var j = i + 1;
                while (j < sql.Length && IsWordPart(sql[j])) j++;
                tokens.Add(new(TokenKind.Word, sql[i..j]));
                i = j;
            }
            else
            {
                tokens.Add(new(c switch { '.' => TokenKind.Dot, ';' => TokenKind.Semicolon, _ => TokenKind.Other }, c.ToString()));
                i++;
            }
        }
        return tokens;
    }

    /// <summary>Index just past a quoted run starting at <paramref name="start"/> (a doubled quote escapes it).</summary>
    private static int SkipQuoted(string sql, int start, char quote)
    {
        var j = start + 1;
        while (j < sql.Length)
        {
            if (sql[j] == quote)
            {
                if (j + 1 < sql.Length && sql[j + 1] == quote)
                {
                    j += 2;
                    continue;
                }
                return j + 1;
            }
            j++;
        }
        return sql.Length;
    }

    private static char NextNonSpace(string sql, int i)
    {
        while (i < sql.Length && char.IsWhiteSpace(sql[i])) i++;
        return i < sql.Length ? sql[i] : '\0';
    }

    private static bool IsWordStart(char c) => char.IsLetter(c) || c == '_';

    private static bool IsWordPart(char c) => char.IsLetterOrDigit(c) || c is '_' or '$';
}
