using System.Globalization;
using System.Text;

namespace Gateway.Protocol.Sql;

/// <summary>
/// Tokenizes Hive/Spark, Trino, Flink and ANSI (PostgreSQL/DuckDB) SQL for analysis. Total: any input, however
/// malformed, yields tokens and never an exception; what cannot be closed is marked
/// <see cref="SqlTokenFlags.Unterminated"/> and runs to the end of the text.
/// </summary>
public static class SqlLexer
{
    // Longest first: the first match wins.
    private static readonly string[] MultiCharOperators =
    [
        "<=>", "->>", "#>>", "!~*", "...",
        "<=", ">=", "<>", "!=", "==", "||", "&&", "::", "->", "=>", "<<", ">>", "**", "|>", "#>", "@>", "<@", "~*", "!~", "^@",
    ];

    // One string per ASCII character: punctuation and operators are most tokens of a long statement.
    private static readonly string[] AsciiStrings = [.. Enumerable.Range(0, 128).Select(i => ((char)i).ToString())];

    private static string Char(char c) => c < 128 ? AsciiStrings[c] : c.ToString();

    /// <summary>
    /// The index of the first character after the whitespace and comments that open <paramref name="sql"/> (optimizer
    /// hints count as comments here), by the same rules as <see cref="Tokenize"/>: a line comment ends at <c>\n</c> or
    /// <c>\r</c>, block comments nest where the dialect nests them, an unclosed one runs to the end. Allocates nothing.
    /// </summary>
    public static int SkipLeadingTrivia(string sql, SqlDialect dialect)
    {
        ArgumentNullException.ThrowIfNull(sql);
        ArgumentNullException.ThrowIfNull(dialect);
        var i = 0;
        while (i < sql.Length)
        {
            var c = sql[i];
            var next = i + 1 < sql.Length ? sql[i + 1] : '\0';
            if (char.IsWhiteSpace(c)) i++;
            else if (c == '-' && next == '-') i = LineCommentEnd(sql, i);
            else if (c == '/' && next == '*') i = BlockCommentEnd(sql, i, dialect, out _);
            else break;
        }
        return i;
    }

    /// <summary>
    /// The end of the comment starting at <paramref name="start"/> (<c>--</c> to the line end, not included; <c>/*</c>
    /// past its <c>*/</c>, nesting where the dialect nests, or the text's end), or -1 when no comment starts there.
    /// </summary>
    public static int CommentEnd(string sql, int start, SqlDialect dialect)
    {
        ArgumentNullException.ThrowIfNull(sql);
        ArgumentNullException.ThrowIfNull(dialect);
        if (start < 0 || start + 1 >= sql.Length) return -1;
        if (sql[start] == '-' && sql[start + 1] == '-') return LineCommentEnd(sql, start);
        if (sql[start] == '/' && sql[start + 1] == '*') return BlockCommentEnd(sql, start, dialect, out _);
        return -1;
    }

    /// <summary>The end of the line comment starting at <paramref name="start"/> (its line end not included).</summary>
    private static int LineCommentEnd(string sql, int start)
    {
        var end = start + 2;
        while (end < sql.Length && sql[end] != '\n' && sql[end] != '\r') end++;
        return end;
    }

    /// <summary>The end of the block comment starting at <paramref name="start"/> (after its <c>*/</c>, or the text's end).</summary>
    private static int BlockCommentEnd(string sql, int start, SqlDialect dialect, out bool closed)
    {
        var depth = 1;
        var j = start + 2;
        while (j < sql.Length)
        {
            if (sql[j] == '*' && j + 1 < sql.Length && sql[j + 1] == '/')
            {
                depth--;
                j += 2;
                if (depth == 0) break;
                continue;
            }
            if (dialect.NestedComments && sql[j] == '/' && j + 1 < sql.Length && sql[j + 1] == '*')
            {
                depth++;
                j += 2;
                continue;
            }
            j++;
        }
        closed = depth == 0;
        return j;
    }

    public static IReadOnlyList<SqlToken> Tokenize(string sql, SqlDialect dialect, bool includeComments = false)
    {
        ArgumentNullException.ThrowIfNull(dialect);
        var tokens = new List<SqlToken>();
        if (string.IsNullOrEmpty(sql)) return tokens;
        var i = 0;
        while (i < sql.Length)
        {
            var c = sql[i];
            var next = i + 1 < sql.Length ? sql[i + 1] : '\0';
            if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (c == '-' && next == '-')
            {
                var end = LineCommentEnd(sql, i);
                if (includeComments) tokens.Add(new(SqlTokenKind.Comment, i, end - i, sql[(i + 2)..end]));
                i = end;
            }
            else if (c == '/' && next == '*')
            {
                i = ScanBlockComment(sql, i, dialect, includeComments, tokens);
            }
            else if (c == '\'')
            {
                i = ScanString(sql, i, i, '\'', dialect.BackslashEscapes, SqlTokenKind.String, tokens);
            }
            else if (c == '"')
            {
                i = dialect.DoubleQuotedIdentifiers
                    ? ScanString(sql, i, i, '"', false, SqlTokenKind.QuotedIdentifier, tokens)
                    : ScanString(sql, i, i, '"', dialect.BackslashEscapes, SqlTokenKind.String, tokens);
            }
            else if (c == '`')
            {
                // Backticks quote identifiers in every dialect we lex: Hive, Spark and Flink use them, and a stray one
                // elsewhere is better read as a name than as noise.
                i = ScanString(sql, i, i, '`', false, SqlTokenKind.QuotedIdentifier, tokens);
            }
            else if (c is 'r' or 'R' && next is '\'' or '"' && dialect.RawStrings && !FollowsWordChar(sql, i))
            {
                var close = sql.IndexOf(next, i + 2);
                if (close < 0) tokens.Add(new(SqlTokenKind.String, i, sql.Length - i, sql[(i + 2)..], SqlTokenFlags.Unterminated));
                else tokens.Add(new(SqlTokenKind.String, i, close + 1 - i, sql[(i + 2)..close]));
                i = close < 0 ? sql.Length : close + 1;
            }
            else if (c is 'e' or 'E' && next == '\'' && dialect.EscapeStrings && !FollowsWordChar(sql, i))
            {
                i = ScanString(sql, i, i + 1, '\'', true, SqlTokenKind.String, tokens);
            }
            else if (IsWordStart(c))
            {
                var end = i + 1;
                while (end < sql.Length && IsWordPart(sql[end])) end++;
                tokens.Add(new(SqlTokenKind.Word, i, end - i, sql[i..end]));
                i = end;
            }
            else if (char.IsAsciiDigit(c) || (c == '.' && char.IsAsciiDigit(next) && !EndsOperand(tokens)))
            {
                i = ScanNumber(sql, i, dialect, tokens);
            }
            else if (c == '$')
            {
                i = ScanDollar(sql, i, dialect, tokens);
            }
            else
            {
                i = ScanPunctuation(sql, i, tokens);
            }
        }
        return tokens;
    }

    /// <summary>1-based line and column of a UTF-16 offset (lines end at \n).</summary>
    public static (int Line, int Column) GetLineAndColumn(string sql, int offset)
    {
        ArgumentNullException.ThrowIfNull(sql);
        offset = Math.Clamp(offset, 0, sql.Length);
        var line = 1;
        var lineStart = 0;
        for (var i = 0; i < offset; i++)
        {
            if (sql[i] == '\n')
            {
                line++;
                lineStart = i + 1;
            }
        }
        return (line, offset - lineStart + 1);
    }

    internal static bool IsWordStart(char c) => char.IsAsciiLetter(c) || c == '_' || (c >= 0x80 && !char.IsWhiteSpace(c));

    internal static bool IsWordPart(char c) => IsWordStart(c) || char.IsAsciiDigit(c) || c == '$';

    // r'..' and E'..' are prefixes only at the start of a word: in "bar'x'" the r belongs to "ba".
    private static bool FollowsWordChar(string sql, int i) => i > 0 && IsWordPart(sql[i - 1]);

    private static bool EndsOperand(List<SqlToken> tokens) =>
        tokens.Count > 0 && tokens[^1].Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier or SqlTokenKind.RightParen or SqlTokenKind.RightBracket;

    private static int ScanBlockComment(string sql, int start, SqlDialect dialect, bool includeComments, List<SqlToken> tokens)
    {
        var hint = start + 2 < sql.Length && sql[start + 2] == '+';
        var bodyStart = start + (hint ? 3 : 2);
        var j = BlockCommentEnd(sql, start, dialect, out var closed);
        var bodyEnd = closed ? j - 2 : sql.Length;
        var body = bodyEnd > bodyStart ? sql[bodyStart..bodyEnd] : "";
        var flags = closed ? SqlTokenFlags.None : SqlTokenFlags.Unterminated;
        if (hint) tokens.Add(new(SqlTokenKind.Hint, start, j - start, body, flags));
        else if (includeComments || !closed) tokens.Add(new(SqlTokenKind.Comment, start, j - start, body, flags));
        return j;
    }

    /// <summary>
    /// A quoted token from <paramref name="start"/> (its prefix, if any) whose opening quote is at <paramref name="quote"/>.
    /// A doubled quote is a quote; with <paramref name="backslash"/>, a backslash escapes the next character.
    /// </summary>
    private static int ScanString(string sql, int start, int quote, char q, bool backslash, SqlTokenKind kind, List<SqlToken> tokens)
    {
        var j = quote + 1;
        var plain = true;
        while (j < sql.Length)
        {
            var c = sql[j];
            if (backslash && c == '\\')
            {
                plain = false;
                j += 2;
                continue;
            }
            if (c == q)
            {
                if (j + 1 < sql.Length && sql[j + 1] == q)
                {
                    plain = false;
                    j += 2;
                    continue;
                }
                var body = sql.AsSpan(quote + 1, j - quote - 1);
                tokens.Add(new(kind, start, j + 1 - start, plain ? body.ToString() : Unescape(body, q, backslash)));
                return j + 1;
            }
            j++;
        }
        var rest = quote + 1 < sql.Length ? sql.AsSpan(quote + 1) : [];
        tokens.Add(new(kind, start, sql.Length - start, Unescape(rest, q, backslash), SqlTokenFlags.Unterminated));
        return sql.Length;
    }

    /// <summary>Undoes doubled quotes and, when enabled, Hive's backslash escapes (\n \t \r \b \0 \Z \uXXXX; others drop the backslash).</summary>
    private static string Unescape(ReadOnlySpan<char> body, char quote, bool backslash)
    {
        var sb = new StringBuilder(body.Length);
        for (var i = 0; i < body.Length; i++)
        {
            var c = body[i];
            if (c == quote && i + 1 < body.Length && body[i + 1] == quote)
            {
                sb.Append(quote);
                i++;
            }
            else if (backslash && c == '\\' && i + 1 < body.Length)
            {
                var n = body[++i];
                switch (n)
                {
                    case 'n': sb.Append('\n'); break;
                    case 't': sb.Append('\t'); break;
                    case 'r': sb.Append('\r'); break;
                    case 'b': sb.Append('\b'); break;
                    case '0': sb.Append('\0'); break;
                    case 'Z': sb.Append('\u001A'); break;
                    // LIKE escapes keep their backslash, as in Hive.
                    case '%' or '_': sb.Append('\\').Append(n); break;
                    case 'u' when i + 4 < body.Length && ushort.TryParse(body.Slice(i + 1, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code):
                        sb.Append((char)code);
                        i += 4;
                        break;
                    default: sb.Append(n); break;
                }
            }
            else
            {
                sb.Append(c);
            }
        }
        return sb.ToString();
    }

    private static int ScanNumber(string sql, int start, SqlDialect dialect, List<SqlToken> tokens)
    {
        var j = start;
        if (sql[j] == '0' && j + 2 < sql.Length && sql[j + 1] is 'x' or 'X' && char.IsAsciiHexDigit(sql[j + 2]))
        {
            j += 2;
            while (j < sql.Length && char.IsAsciiHexDigit(sql[j])) j++;
        }
        else
        {
            while (j < sql.Length && char.IsAsciiDigit(sql[j])) j++;
            var integral = j > start;
            if (j < sql.Length && sql[j] == '.' && !(j + 1 < sql.Length && sql[j + 1] == '.'))
            {
                // "1.5", ".5" and "1." are numbers; "t1.c" never gets here (t1 is a word).
                j++;
                while (j < sql.Length && char.IsAsciiDigit(sql[j])) j++;
                integral = false;
            }
            if (j < sql.Length && sql[j] is 'e' or 'E')
            {
                var k = j + 1;
                if (k < sql.Length && sql[k] is '+' or '-') k++;
                if (k < sql.Length && char.IsAsciiDigit(sql[k]))
                {
                    while (k < sql.Length && char.IsAsciiDigit(sql[k])) k++;
                    j = k;
                    integral = false;
                }
            }
            if (j < sql.Length && IsWordPart(sql[j]))
            {
                var w = j;
                while (w < sql.Length && IsWordPart(sql[w])) w++;
                var suffix = sql.AsSpan(j, w - j);
                if (IsNumericSuffix(suffix))
                {
                    j = w;
                }
                else if (integral && dialect.DigitLeadingIdentifiers)
                {
                    // Hive and Spark: 2024_sales is a name.
                    tokens.Add(new(SqlTokenKind.Word, start, w - start, sql[start..w]));
                    return w;
                }
            }
        }
        tokens.Add(new(SqlTokenKind.Number, start, j - start, sql[start..j]));
        return j;
    }

    // Spark's typed literals: 1L, 1S, 1Y, 1.5D, 1.5F, 1.5BD.
    private static bool IsNumericSuffix(ReadOnlySpan<char> s) =>
        s.Equals("L", StringComparison.OrdinalIgnoreCase) || s.Equals("S", StringComparison.OrdinalIgnoreCase)
        || s.Equals("Y", StringComparison.OrdinalIgnoreCase) || s.Equals("D", StringComparison.OrdinalIgnoreCase)
        || s.Equals("F", StringComparison.OrdinalIgnoreCase) || s.Equals("BD", StringComparison.OrdinalIgnoreCase);

    private static int ScanDollar(string sql, int start, SqlDialect dialect, List<SqlToken> tokens)
    {
        var next = start + 1 < sql.Length ? sql[start + 1] : '\0';
        if (next == '{')
        {
            // An unsubstituted Hive variable ${x}: one token, so the analysis can say a name depends on it.
            var close = sql.IndexOf('}', start + 2);
            var end = close < 0 ? sql.Length : close + 1;
            tokens.Add(new(SqlTokenKind.Parameter, start, end - start, sql[start..end], close < 0 ? SqlTokenFlags.Unterminated : SqlTokenFlags.None));
            return end;
        }
        if (dialect.DollarQuotedStrings)
        {
            var tagEnd = start + 1;
            // The tag follows the rules of an unquoted identifier without '$' (PostgreSQL's documented rule); $1 is a parameter.
            if (tagEnd < sql.Length && IsWordStart(sql[tagEnd]))
            {
                while (tagEnd < sql.Length && IsWordPart(sql[tagEnd]) && sql[tagEnd] != '$') tagEnd++;
            }
            if (tagEnd < sql.Length && sql[tagEnd] == '$')
            {
                var tag = sql.Substring(start, tagEnd + 1 - start);
                var close = sql.IndexOf(tag, tagEnd + 1, StringComparison.Ordinal);
                if (close < 0)
                {
                    tokens.Add(new(SqlTokenKind.String, start, sql.Length - start, sql[(tagEnd + 1)..], SqlTokenFlags.Unterminated));
                    return sql.Length;
                }
                tokens.Add(new(SqlTokenKind.String, start, close + tag.Length - start, sql[(tagEnd + 1)..close]));
                return close + tag.Length;
            }
        }
        if (char.IsAsciiDigit(next))
        {
            var end = start + 1;
            while (end < sql.Length && char.IsAsciiDigit(sql[end])) end++;
            tokens.Add(new(SqlTokenKind.Parameter, start, end - start, sql[start..end]));
            return end;
        }
        tokens.Add(new(SqlTokenKind.Operator, start, 1, "$"));
        return start + 1;
    }

    private static int ScanPunctuation(string sql, int i, List<SqlToken> tokens)
    {
        var c = sql[i];
        SqlTokenKind? kind = c switch
        {
            '(' => SqlTokenKind.LeftParen,
            ')' => SqlTokenKind.RightParen,
            '[' => SqlTokenKind.LeftBracket,
            ']' => SqlTokenKind.RightBracket,
            '{' => SqlTokenKind.LeftBrace,
            '}' => SqlTokenKind.RightBrace,
            ',' => SqlTokenKind.Comma,
            ';' => SqlTokenKind.Semicolon,
            '?' => SqlTokenKind.Parameter,
            _ => null,
        };
        if (kind is { } k)
        {
            tokens.Add(new(k, i, 1, Char(c)));
            return i + 1;
        }
        foreach (var op in MultiCharOperators)
        {
            if (string.CompareOrdinal(sql, i, op, 0, op.Length) == 0)
            {
                tokens.Add(new(SqlTokenKind.Operator, i, op.Length, op));
                return i + op.Length;
            }
        }
        if (c == '.')
        {
            tokens.Add(new(SqlTokenKind.Dot, i, 1, "."));
            return i + 1;
        }
        // A lone surrogate or any other character is one operator token: never lost, never fatal.
        tokens.Add(new(SqlTokenKind.Operator, i, 1, Char(c)));
        return i + 1;
    }
}
