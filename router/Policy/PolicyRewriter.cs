using System.Text;
using Gateway.Engines;
using Gateway.Protocol.Sql;
using Gateway.Router.Sql;

namespace Gateway.Router.Policy;

/// <summary>A column of a restricted table as its catalog describes it (the type in the engine's own spelling).</summary>
public sealed record PolicyColumn(string Name, string Type);

/// <summary>
/// A read of a table whose rule filters rows or restricts columns, with the table's columns; null columns (for a rule
/// that only filters, such as a system listing's visibility) keep every column.
/// </summary>
public sealed record RestrictedSite(TableReference Reference, PolicyName Name, TableRule Rule, IReadOnlyList<PolicyColumn>? Columns);

/// <summary>
/// Rewrites every restricted read into a scan-site subquery, <c>(SELECT &lt;allowed and masked columns&gt; FROM t WHERE
/// &lt;filter&gt;) AS t</c>: the filter sees the raw values, masks apply to what passed it, blocked columns are absent
/// (so <c>SELECT *</c> does not return them and naming one fails), and each site of a self-join is rewritten on its
/// own. An alias the statement gave the table stays; otherwise the subquery is named like the table, so
/// <c>t.col</c> keeps resolving. In filters and custom masks <c>current_user</c> is the gateway's user, as a literal.
/// </summary>
public static class PolicyRewriter
{
    // Words that can follow a table in FROM without being its alias.
    private static readonly HashSet<string> NotAliases = new(StringComparer.OrdinalIgnoreCase)
    {
        "WHERE", "JOIN", "INNER", "LEFT", "RIGHT", "FULL", "OUTER", "CROSS", "NATURAL", "SEMI", "ANTI", "ASOF", "POSITIONAL",
        "ON", "USING", "GROUP", "ORDER", "LIMIT", "OFFSET", "UNION", "EXCEPT", "INTERSECT", "MINUS", "HAVING", "WINDOW",
        "QUALIFY", "FETCH", "FOR", "LATERAL", "TABLESAMPLE", "SAMPLE", "PIVOT", "UNPIVOT", "SELECT", "FROM", "WITH", "VALUES",
        "SET", "WHEN", "THEN", "ELSE", "END", "AND", "OR", "NOT", "CLUSTER", "DISTRIBUTE", "SORT", "TIMESTAMP", "VERSION",
        "AT", "RETURNING",
    };

    /// <summary>The rewritten statement, or null with <paramref name="error"/> saying why it cannot be (the caller refuses it).</summary>
    public static string? Rewrite(string sql, SqlDialect dialect, EngineKind engine, IReadOnlyList<RestrictedSite> sites, string user, out string? error)
    {
        ArgumentNullException.ThrowIfNull(sql);
        ArgumentNullException.ThrowIfNull(dialect);
        ArgumentNullException.ThrowIfNull(sites);
        error = null;
        var tokens = SqlLexer.Tokenize(sql, dialect);
        var text = sql;
        foreach (var site in sites.OrderByDescending(s => s.Reference.Start))
        {
            var r = site.Reference;
            var end = r.Start + r.Length;
            if (r.Length == 0 || end > sql.Length)
            {
                error = $"where {site.Name} is in the statement is not known";
                return null;
            }
            var columns = Columns(site, engine, user, out error);
            if (columns is null) return null;
            var next = tokens.FirstOrDefault(t => t.Start >= end);
            var hasAlias = next.Length > 0 && (next.Kind == SqlTokenKind.QuotedIdentifier || (next.Kind == SqlTokenKind.Word && (next.IsWord("AS") || !NotAliases.Contains(next.Value))));
            var sb = new StringBuilder("(SELECT ").Append(columns).Append(" FROM ").Append(sql, r.Start, r.Length);
            if (site.Rule.Filter is { } filter) sb.Append(" WHERE (").Append(Substitute(filter, dialect, user, engine)).Append(')');
            sb.Append(')');
            if (!hasAlias) sb.Append(" AS ").Append(Quote(r.Name, engine));
            text = string.Concat(text.AsSpan(0, r.Start), sb.ToString(), text.AsSpan(end));
        }
        return text;
    }

    private static string? Columns(RestrictedSite site, EngineKind engine, string user, out string? error)
    {
        error = null;
        if (site.Columns is null)
        {
            if (site.Rule.Columns.Count == 0) return "*";
            error = $"the columns of {site.Name} are not known";
            return null;
        }
        var byName = site.Rule.Columns.ToDictionary(c => c.Name, StringComparer.OrdinalIgnoreCase);
        foreach (var c in site.Rule.Columns)
        {
            // A constraint on a column the table does not have is a policy mistake (a typo would leave the real column open).
            if (!site.Columns.Any(col => col.Name.Equals(c.Name, StringComparison.OrdinalIgnoreCase)))
            {
                error = $"{site.Rule.Name} constrains column {c.Name}, which {site.Name} does not have";
                return null;
            }
        }
        var parts = new List<string>();
        foreach (var col in site.Columns)
        {
            var quoted = Quote(col.Name, engine);
            if (!byName.TryGetValue(col.Name, out var constraint)) parts.Add(quoted);
            else if (!constraint.Allow) continue;
            else if (constraint.IsMasked) parts.Add(ColumnMasks.Render(constraint, quoted, col.Type, engine, e => Substitute(e, SqlDialect.ForEngine(engine), user, engine)) + " AS " + quoted);
            else parts.Add(quoted);
        }
        if (parts.Count == 0)
        {
            error = $"every column of {site.Name} is blocked for this user ({site.Rule.Name})";
            return null;
        }
        return string.Join(", ", parts);
    }

    /// <summary>Identifiers as every engine path the gateway has reads them: backticks (the DuckDB and PostgreSQL adapters rewrite them), double quotes for Trino.</summary>
    private static string Quote(string name, EngineKind engine) => engine == EngineKind.Trino
        ? "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""
        : "`" + name.Replace("`", "``", StringComparison.Ordinal) + "`";

    /// <summary>A string literal the engine reads back as <paramref name="value"/>.</summary>
    public static string Literal(string value, EngineKind engine)
    {
        ArgumentNullException.ThrowIfNull(value);
        // The DuckDB adapter and Spark read '...' with Hive's backslash escapes; PostgreSQL and Trino do not.
        var literal = value.Replace("'", "''", StringComparison.Ordinal);
        if (engine is EngineKind.DuckDb or EngineKind.HiveServer2 or EngineKind.Spark) literal = literal.Replace("\\", "\\\\", StringComparison.Ordinal);
        return "'" + literal + "'";
    }

    /// <summary><c>current_user</c> (and <c>current_user()</c>) as the gateway's user, a string literal.</summary>
    private static string Substitute(string expression, SqlDialect dialect, string user, EngineKind engine)
    {
        var literal = Literal(user, engine);
        var tokens = SqlLexer.Tokenize(expression, dialect);
        var sb = new StringBuilder(expression.Length + user.Length);
        var copied = 0;
        for (var i = 0; i < tokens.Count; i++)
        {
            var t = tokens[i];
            if (!t.IsWord("current_user") || (i > 0 && tokens[i - 1].Kind == SqlTokenKind.Dot)) continue;
            var end = t.End;
            if (i + 2 < tokens.Count && tokens[i + 1].Kind == SqlTokenKind.LeftParen && tokens[i + 2].Kind == SqlTokenKind.RightParen)
            {
                end = tokens[i + 2].End;
                i += 2;
            }
            sb.Append(expression, copied, t.Start - copied).Append(literal);
            copied = end;
        }
        return sb.Append(expression, copied, expression.Length - copied).ToString();
    }
}
