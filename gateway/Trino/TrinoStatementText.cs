using System.Text;
using Gateway.Protocol.Sql;

namespace Gateway.Server.Trino;

/// <summary>
/// A Trino client's statement in the spelling the gateway's pipeline reads (Hive's, which routing, the access policy
/// and every engine adapter take): Trino's double-quoted identifiers become backtick-quoted ones, and backslashes in
/// string literals, which Trino takes literally and Hive as escapes, are doubled. Comments, other literals and the
/// rest of the text are kept as written, and so is the meaning.
/// </summary>
internal static class TrinoStatementText
{
    public static string ToGateway(string sql) => ToGateway(sql, SqlLexer.Tokenize(sql ?? throw new ArgumentNullException(nameof(sql)), SqlDialect.Trino));

    /// <summary>The same over the statement's tokens (lexed once by the caller).</summary>
    public static string ToGateway(string sql, IReadOnlyList<SqlToken> tokens)
    {
        ArgumentNullException.ThrowIfNull(sql);
        StringBuilder? sb = null;
        var copied = 0;
        foreach (var t in tokens)
        {
            string? replacement = null;
            if (t.Kind == SqlTokenKind.QuotedIdentifier && sql[t.Start] == '"')
            {
                replacement = "`" + t.Value.Replace("`", "``", StringComparison.Ordinal) + "`";
            }
            else if (t.Kind == SqlTokenKind.String && sql[t.Start] == '\'' && sql.AsSpan(t.Start, t.Length).Contains('\\'))
            {
                replacement = "'" + t.Value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'";
            }
            if (replacement is null) continue;
            sb ??= new StringBuilder(sql.Length + 16);
            sb.Append(sql, copied, t.Start - copied).Append(replacement);
            copied = t.End;
        }
        return sb is null ? sql : sb.Append(sql, copied, sql.Length - copied).ToString();
    }
}
