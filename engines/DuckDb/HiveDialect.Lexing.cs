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

    // Hive's and Spark's literal forms (both '...' and "..." are strings with backslash escapes, r'...' is raw) next to
    // DuckDB's own (E'...', $tag$...$tag$, nested /* */ comments), which pass through untouched.
    private static readonly SqlDialect Lexical = SqlDialect.Hive with
    {
        Name = "hive-on-duckdb",
        NestedComments = true,
        EscapeStrings = true,
        DollarQuotedStrings = true,
    };

    /// <summary>
    /// The shared lexer's tokens as the translator reads them: comments and hints are left in the gaps between tokens
    /// (so <see cref="Emit"/> copies them as written), unterminated quotes are verbatim, and a Hive string's value is
    /// decoded by <see cref="Unescape"/>, which keeps what DuckDB must still see.
    /// </summary>
    private static List<Token> Tokenize(string sql)
    {
        var lexed = SqlLexer.Tokenize(sql, Lexical);
        var tokens = new List<Token>(lexed.Count);
        foreach (var x in lexed)
        {
            var kind = x.Kind switch
            {
                SqlTokenKind.Hint or SqlTokenKind.Comment => (TokenKind?)null,
                SqlTokenKind.Word => TokenKind.Word,
                _ when x.IsUnterminated => TokenKind.Verbatim,
                SqlTokenKind.QuotedIdentifier => TokenKind.QuotedIdentifier,
                // E'...' and $$...$$ are DuckDB's: DuckDB decodes them, so they stay as written.
                SqlTokenKind.String => sql[x.Start] is '\'' or '"' or 'r' or 'R' ? TokenKind.String : TokenKind.Verbatim,
                SqlTokenKind.Dot => TokenKind.Dot,
                SqlTokenKind.Semicolon => TokenKind.Semicolon,
                _ => TokenKind.Other,
            };
            if (kind is not { } k) continue;
            var value = x.Value;
            if (k == TokenKind.String && sql[x.Start] is '\'' or '"')
            {
                var body = sql.AsSpan(x.Start + 1, x.Length - 2);
                if (body.Contains('\\')) value = Unescape(body, sql[x.Start]);
            }
            else if (k == TokenKind.Verbatim)
            {
                value = sql.Substring(x.Start, x.Length);
            }
            tokens.Add(new(k, value, x.Start, x.End));
        }
        return tokens;
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
            case TokenKind.Word when char.IsAsciiDigit(token.Value[0]) && token.Value.Any(char.IsLetter):
                // Hive's digit-leading names (2024_sales) are identifiers only in Hive; DuckDB needs them quoted.
                // 1_000_000 has no letter: it is DuckDB's number with separators and stays as written.
                sb.Append(QuoteIdentifier(token.Value));
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
