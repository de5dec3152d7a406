using System.Globalization;
using System.Text;
using Gateway.Protocol.Sql;

namespace Gateway.Engines.DuckDb;

// Tokens of Hive/Spark SQL and their DuckDB spelling. Hive's lexical rules, not DuckDB's:
// `backticks` quote identifiers, both '...' and "..." are string literals with backslash escapes.
public static partial class HiveDialect
{
    private enum TokenKind
    {
        Word,

        /// <summary>`backtick` identifier; Value is the name.</summary>
        QuotedIdentifier,

        /// <summary>'...' or "..." (Hive escapes decoded), r'...' (raw); Value is the text.</summary>
        String,

        /// <summary>DuckDB-only literals kept byte for byte: E'...', $$...$$, and unterminated quotes.</summary>
        Verbatim,
        Dot,
        Semicolon,
        Other,
    }

    private readonly record struct Token(TokenKind Kind, string Value, int Start, int End)
    {
        public bool Is(string keyword) => (Kind == TokenKind.Word || Kind == TokenKind.Other) && Value.Equals(keyword, StringComparison.OrdinalIgnoreCase);
        public bool IsIdentifier => Kind is TokenKind.Word or TokenKind.QuotedIdentifier;
    }

    /// <summary>
    /// Spark's named parameter markers (<c>:name</c>) in DuckDB's spelling (<c>$name</c>), for the given names only
    /// and never inside literals, quoted identifiers, comments or <c>::</c> casts.
    /// </summary>
    public static string RewriteNamedParameters(string sql, IReadOnlySet<string> names)
    {
        ArgumentNullException.ThrowIfNull(sql);
        ArgumentNullException.ThrowIfNull(names);
        var t = Tokenize(sql);
        StringBuilder? sb = null;
        var copied = 0;
        for (var i = 0; i + 1 < t.Count; i++)
        {
            if (!t[i].Is(":") || t[i + 1].Kind != TokenKind.Word || t[i + 1].Start != t[i].End || !names.Contains(t[i + 1].Value)) continue;
            if (i > 0 && t[i - 1].Is(":") && t[i - 1].End == t[i].Start) continue;
            sb ??= new StringBuilder(sql.Length);
            sb.Append(sql, copied, t[i].Start - copied).Append('$');
            copied = t[i].End;
        }
        return sb is null ? sql : sb.Append(sql, copied, sql.Length - copied).ToString();
    }

    private static List<Token> Tokenize(string sql)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (i < sql.Length)
        {
            var c = sql[i];
            var next = i + 1 < sql.Length ? sql[i + 1] : '\0';
            if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if ((c == '-' && next == '-') || (c == '/' && next == '*'))
            {
                // Comments as DuckDB, which runs the text, reads them: '--' ends at \n or \r, block comments nest.
                i = SqlLexer.CommentEnd(sql, i, SqlDialect.DuckDb);
            }
            else if (c is '\'' or '"')
            {
                var (end, value, closed) = ScanHiveString(sql, i);
                tokens.Add(new(closed ? TokenKind.String : TokenKind.Verbatim, value, i, end));
                i = end;
            }
            else if (c == '`')
            {
                var (end, name, closed) = ScanBacktick(sql, i);
                tokens.Add(new(closed ? TokenKind.QuotedIdentifier : TokenKind.Verbatim, name, i, end));
                i = end;
            }
            else if (c == '$' && DollarTagEnd(sql, i) is var tagEnd and > 0)
            {
                // DuckDB's $tag$...$tag$ string: no escapes of any kind.
                var tag = sql[i..tagEnd];
                var close = sql.IndexOf(tag, tagEnd, StringComparison.Ordinal);
                var end = close < 0 ? sql.Length : close + tag.Length;
                tokens.Add(new(TokenKind.Verbatim, sql[i..end], i, end));
                i = end;
            }
            else if (IsWordStart(c))
            {
                var j = i + 1;
                while (j < sql.Length && IsWordPart(sql[j])) j++;
                if (j == i + 1 && j < sql.Length && sql[j] == '\'' && c is 'e' or 'E')
                {
                    // DuckDB's E'...' escape string: DuckDB decodes it, so it stays as written.
                    var end = SkipBackslashQuoted(sql, j, '\'');
                    tokens.Add(new(TokenKind.Verbatim, sql[i..end], i, end));
                    i = end;
                }
                else if (j == i + 1 && j < sql.Length && sql[j] is '\'' or '"' && c is 'r' or 'R')
                {
                    // Spark's raw string r'...': no escapes.
                    var close = sql.IndexOf(sql[j], j + 1);
                    var end = close < 0 ? sql.Length : close + 1;
                    tokens.Add(close < 0 ? new(TokenKind.Verbatim, "", i, end) : new(TokenKind.String, sql[(j + 1)..close], i, end));
                    i = end;
                }
                else
                {
                    tokens.Add(new(TokenKind.Word, sql[i..j], i, j));
                    i = j;
                }
            }
            else
            {
                tokens.Add(new(c switch { '.' => TokenKind.Dot, ';' => TokenKind.Semicolon, _ => TokenKind.Other }, c.ToString(), i, i + 1));
                i++;
            }
        }
        return tokens;
    }

    /// <summary>
    /// A Hive string literal: a backslash escapes the next character, and (as in standard SQL and recent Spark)
    /// a doubled quote is a quote. Returns the index past it and the decoded text.
    /// </summary>
    private static (int End, string Value, bool Closed) ScanHiveString(string sql, int start)
    {
        var quote = sql[start];
        var j = start + 1;
        while (j < sql.Length)
        {
            if (sql[j] == '\\')
            {
                j += 2;
                continue;
            }
            if (sql[j] == quote)
            {
                if (j + 1 < sql.Length && sql[j + 1] == quote)
                {
                    j += 2;
                    continue;
                }
                return (j + 1, Unescape(sql.AsSpan(start + 1, j - start - 1), quote), true);
            }
            j++;
        }
        return (sql.Length, "", false);
    }

    /// <summary>
    /// Hive's and Spark's escapes: <c>\0 \b \n \r \t \Z \\ \' \"</c>, <c>\uXXXX</c>, <c>\UXXXXXXXX</c>, octal
    /// <c>\[01][0-7][0-7]</c>; <c>\%</c> and <c>\_</c> keep their backslash (LIKE escapes). Other backslashes are
    /// kept too (Hive drops them) so DuckDB regexes ('\d+') and blob literals ('\xAA') mean what they say.
    /// </summary>
    private static string Unescape(ReadOnlySpan<char> body, char quote)
    {
        if (body.IndexOf('\\') < 0 && body.IndexOf(quote) < 0) return body.ToString();
        var sb = new StringBuilder(body.Length);
        for (var i = 0; i < body.Length; i++)
        {
            var c = body[i];
            if (c == quote && i + 1 < body.Length && body[i + 1] == quote)
            {
                sb.Append(quote);
                i++;
                continue;
            }
            if (c != '\\' || i + 1 == body.Length)
            {
                sb.Append(c);
                continue;
            }
            var n = body[++i];
            if (n == 'u' && i + 4 < body.Length && IsHex(body.Slice(i + 1, 4)))
            {
                sb.Append((char)int.Parse(body.Slice(i + 1, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                i += 4;
            }
            else if (n == 'U' && i + 8 < body.Length && IsHex(body.Slice(i + 1, 8))
                && int.TryParse(body.Slice(i + 1, 8), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var codePoint)
                && codePoint is >= 0 and <= 0x10FFFF and not (>= 0xD800 and <= 0xDFFF))
            {
                sb.Append(char.ConvertFromUtf32(codePoint));
                i += 8;
            }
            else if (n is '0' or '1' && i + 2 < body.Length && body[i + 1] is >= '0' and <= '7' && body[i + 2] is >= '0' and <= '7')
            {
                sb.Append((char)(((n - '0') * 64) + ((body[i + 1] - '0') * 8) + (body[i + 2] - '0')));
                i += 2;
            }
            else
            {
                switch (n)
                {
                    case '0': sb.Append('\0'); break;
                    case 'b': sb.Append('\b'); break;
                    case 'n': sb.Append('\n'); break;
                    case 'r': sb.Append('\r'); break;
                    case 't': sb.Append('\t'); break;
                    case 'Z': sb.Append('\u001A'); break;
                    case '\\' or '\'' or '"': sb.Append(n); break;
                    default: sb.Append('\\').Append(n); break;
                }
            }
        }
        return sb.ToString();
    }

    private static bool IsHex(ReadOnlySpan<char> s)
    {
        foreach (var c in s)
        {
            if (!char.IsAsciiHexDigit(c)) return false;
        }
        return true;
    }

    private static (int End, string Name, bool Closed) ScanBacktick(string sql, int start)
    {
        var name = new StringBuilder();
        var j = start + 1;
        while (j < sql.Length)
        {
            if (sql[j] == '`')
            {
                if (j + 1 < sql.Length && sql[j + 1] == '`')
                {
                    name.Append('`');
                    j += 2;
                    continue;
                }
                return (j + 1, name.ToString(), true);
            }
            name.Append(sql[j++]);
        }
        return (sql.Length, "", false);
    }

    /// <summary>Index past the opening <c>$tag$</c> of a dollar-quoted string at <paramref name="i"/>, or 0 (<c>$1</c> is a parameter).</summary>
    private static int DollarTagEnd(string sql, int i)
    {
        var j = i + 1;
        if (j < sql.Length && char.IsAsciiDigit(sql[j])) return 0;
        while (j < sql.Length && (char.IsLetterOrDigit(sql[j]) || sql[j] == '_')) j++;
        return j < sql.Length && sql[j] == '$' ? j + 1 : 0;
    }

    private static int SkipBackslashQuoted(string sql, int start, char quote)
    {
        var j = start + 1;
        while (j < sql.Length)
        {
            if (sql[j] == '\\') j++;
            else if (sql[j] == quote)
            {
                if (j + 1 < sql.Length && sql[j + 1] == quote) j++;
                else return j + 1;
            }
            j++;
        }
        return sql.Length;
    }

    private static bool IsWordStart(char c) => char.IsLetter(c) || c == '_';

    private static bool IsWordPart(char c) => char.IsLetterOrDigit(c) || c is '_' or '$';

    /// <summary>
    /// The DuckDB text of tokens [<paramref name="from"/>, <paramref name="to"/>): whitespace and comments between
    /// them as written, each token in DuckDB's spelling, and <paramref name="edits"/> applied (a token index mapped
    /// to its replacement text, or to null to drop it with the space before it).
    /// </summary>
    private static string Emit(string sql, List<Token> t, int from, int to, IReadOnlyDictionary<int, string?>? edits = null)
    {
        var sb = new StringBuilder(sql.Length + 16);
        // A whole statement keeps its leading comments.
        var gapStart = from == 0 ? 0 : from < t.Count ? t[from].Start : sql.Length;
        for (var i = from; i < to; i++)
        {
            string? replacement = null;
            if (edits is not null && edits.TryGetValue(i, out replacement) && replacement is null)
            {
                gapStart = t[i].End;
                continue;
            }
            sb.Append(sql, gapStart, t[i].Start - gapStart);
            if (replacement is not null) sb.Append(replacement);
            else AppendDuckDb(sb, sql, t, i);
            gapStart = t[i].End;
        }
        // Trailing whitespace and comments belong to the statement when it ends with the last token.
        var end = to >= t.Count ? sql.Length : gapStart;
        sb.Append(sql, gapStart, end - gapStart);
        return sb.ToString();
    }

    private static void AppendDuckDb(StringBuilder sb, string sql, List<Token> t, int i)
    {
        var token = t[i];
        var afterDot = i > 0 && t[i - 1].Kind == TokenKind.Dot;
        var beforeDot = i + 1 < t.Count && t[i + 1].Kind == TokenKind.Dot;
        switch (token.Kind)
        {
            case TokenKind.Word when token.Value.Equals("current_database", StringComparison.OrdinalIgnoreCase) && !afterDot
                && i + 1 < t.Count && t[i + 1].Is("("):
                sb.Append("current_schema");
                break;
            case TokenKind.Word when token.Value.Equals("current_timestamp", StringComparison.OrdinalIgnoreCase) && !afterDot
                && i + 1 < t.Count && t[i + 1].Is("("):
                // Spark's current_timestamp() (dbt-spark's macro); DuckDB's takes no parentheses.
                sb.Append("get_current_timestamp");
                break;
            case TokenKind.Word or TokenKind.QuotedIdentifier when beforeDot && !afterDot && token.Value.Equals("default", StringComparison.OrdinalIgnoreCase):
                // default.t: Hive's default database is DuckDB's main schema.
                sb.Append("main");
                break;
            case TokenKind.QuotedIdentifier:
                sb.Append(QuoteIdentifier(token.Value));
                break;
            case TokenKind.String:
                var text = sql.AsSpan(token.Start, token.End - token.Start);
                // A plain '...' literal without backslashes is already DuckDB's: keep it byte for byte.
                if (text[0] == '\'' && text.IndexOf('\\') < 0) sb.Append(text);
                else AppendLiteral(sb, token.Value);
                if (i > 0 && (t[i - 1].Is("LIKE") || t[i - 1].Is("ILIKE")) && !(i + 1 < t.Count && t[i + 1].Is("ESCAPE"))
                    && UsesLikeEscapes(token.Value))
                {
                    // Hive's LIKE takes \% and \_ as escapes by default; DuckDB's only with ESCAPE.
                    sb.Append(" ESCAPE '\\'");
                }
                break;
            default:
                sb.Append(sql, token.Start, token.End - token.Start);
                break;
        }
    }

    /// <summary>A LIKE pattern that escapes a wildcard, every backslash of it escaping %, _ or a backslash.</summary>
    private static bool UsesLikeEscapes(string pattern)
    {
        var escapesWildcard = false;
        for (var i = 0; i < pattern.Length; i++)
        {
            if (pattern[i] != '\\') continue;
            if (i + 1 == pattern.Length || pattern[i + 1] is not ('%' or '_' or '\\')) return false;
            escapesWildcard |= pattern[i + 1] != '\\';
            i++;
        }
        return escapesWildcard;
    }

    /// <summary>A DuckDB literal; NUL cannot travel in query text, so it becomes chr(0).</summary>
    private static void AppendLiteral(StringBuilder sb, string value)
    {
        if (!value.Contains('\0', StringComparison.Ordinal))
        {
            sb.Append(QuoteLiteral(value));
            return;
        }
        sb.Append('(').AppendJoin(" || chr(0) || ", value.Split('\0').Select(QuoteLiteral)).Append(')');
    }
}
