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

    /// <summary>
    /// Trino binds by position only (<c>EXECUTE ... USING</c>): named markers <c>:name</c> of the given names become
    /// <c>?</c>, and the values are listed in the order the markers appear (a name used twice is sent twice, an unused
    /// one not at all). Positional parameters come back in ordinal order, the text unchanged.
    /// </summary>
    public static (string Sql, List<QueryParameter> Ordered) Positional(string sql, IReadOnlyList<QueryParameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(sql);
        var named = parameters.Count > 0 && parameters[0].Name is not null;
        if (parameters.Any(p => (p.Name is not null) != named)) throw new EngineException("Parameters must be all named or all positional.", "07001");
        if (!named) return (sql, [.. parameters.OrderBy(p => p.Ordinal)]);
        var byName = new Dictionary<string, QueryParameter>(StringComparer.OrdinalIgnoreCase);
        foreach (var p in parameters) byName[p.Name!] = p;
        var tokens = SqlLexer.Tokenize(sql, Lexing);
        var sb = new StringBuilder(sql.Length);
        var ordered = new List<QueryParameter>();
        var copied = 0;
        for (var k = 0; k + 1 < tokens.Count; k++)
        {
            var t = tokens[k];
            if (t.Kind != SqlTokenKind.Operator || t.Value != ":" || tokens[k + 1] is not { Kind: SqlTokenKind.Word } w || w.Start != t.End
                || !byName.TryGetValue(w.Value, out var value))
            {
                continue;
            }
            sb.Append(sql, copied, t.Start - copied).Append('?');
            copied = w.End;
            ordered.Add(value);
            k++;
        }
        return (sb.Append(sql, copied, sql.Length - copied).ToString(), ordered);
    }
}
