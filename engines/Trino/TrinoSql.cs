using System.Text;
using Gateway.Protocol.Sql;

namespace Gateway.Engines.Trino;

/// <summary>
/// The adapter's only rewriting of a statement, over the shared lexer's Trino dialect (so nothing inside a string or
/// comment is touched): Hive's backtick identifiers become double-quoted ones (<c>`a``b`</c> → <c>"a`b"</c>), and a
/// trailing semicolon, which Trino's parser refuses, goes. Everything else reaches Trino as written: a statement is in
/// Trino's SQL when it is routed to Trino (the gateway's dialect rewriting happens before the engine).
/// </summary>
internal static class TrinoSql
{
    private static readonly SqlDialect Lexing = SqlDialect.Trino;

    public static string Rewrite(string sql)
    {
        ArgumentNullException.ThrowIfNull(sql);
        var tokens = SqlLexer.Tokenize(sql, Lexing);
        StringBuilder? sb = null;
        var copied = 0;
        foreach (var t in tokens)
        {
            if (t.Kind != SqlTokenKind.QuotedIdentifier || sql[t.Start] != '`') continue;
            sb ??= new StringBuilder(sql.Length + 8);
            sb.Append(sql, copied, t.Start - copied).Append('"').Append(t.Value.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
            copied = t.End;
        }
        var text = sb is null ? sql : sb.Append(sql, copied, sql.Length - copied).ToString();
        // A trailing ';' (and what trails it: spaces, comments) is not part of a Trino statement.
        var last = tokens.Count > 0 ? tokens[^1] : default;
        if (last.Length > 0 && last.Kind == SqlTokenKind.Semicolon && tokens.Count > 1)
        {
            var shift = text.Length - sql.Length;
            text = text[..(last.Start + shift)].TrimEnd();
        }
        return text;
    }
}
