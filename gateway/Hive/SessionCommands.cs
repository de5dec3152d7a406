using System.Text.RegularExpressions;
using Gateway.Protocol.Columnar;
using Gateway.Protocol.Sql;
using Gateway.Server.Sessions;

namespace Gateway.Server.Hive;

/// <summary>
/// Statements the gateway answers itself because they change the HiveServer2 session, not the
/// engine: <c>SET</c>, <c>SET k</c>, <c>SET k=v</c>, <c>SET -v</c>, <c>RESET</c>, <c>RESET k</c>. Also Hive's
/// variable substitution (<c>${hivevar:x}</c>, <c>${hiveconf:x}</c>, <c>${x}</c>).
/// </summary>
public static partial class SessionCommands
{
    public static readonly ResultSchema SetSchema = new([new ColumnInfo("set", SqlType.String)]);

    /// <summary>Returns a result batch (or null for "no result set") when the statement is a session command; false otherwise.</summary>
    /// <param name="validate">Checks a <c>SET key=value</c> before it takes effect; throws <see cref="GatewayException"/> to refuse it.</param>
    public static bool TryExecute(string statement, Hs2Session session, out ColumnBatch? result, Action<string, string>? validate = null)
    {
        result = null;
        var sql = StripLeadingComments(statement).Trim().TrimEnd(';').Trim();
        if (sql.Equals("RESET", StringComparison.OrdinalIgnoreCase))
        {
            session.Conf.Clear();
            return true;
        }
        if (sql.StartsWith("RESET", StringComparison.OrdinalIgnoreCase) && sql.Length > 5 && char.IsWhiteSpace(sql[5]))
        {
            // RESET key (Spark 3): back to the default, i.e. the session no longer sets it.
            var key = Unquote(sql[5..].Trim());
            if (key.StartsWith("hiveconf:", StringComparison.OrdinalIgnoreCase)) key = key["hiveconf:".Length..];
            if (key.StartsWith("hivevar:", StringComparison.OrdinalIgnoreCase)) session.HiveVars.TryRemove(key["hivevar:".Length..], out _);
            else session.Conf.TryRemove(key, out _);
            return true;
        }
        if (!sql.StartsWith("SET", StringComparison.OrdinalIgnoreCase) || (sql.Length > 3 && !char.IsWhiteSpace(sql[3]))) return false;
        var body = sql[3..].Trim();
        var builder = new BatchBuilder(SetSchema);
        if (body.Length == 0 || body == "-v")
        {
            foreach (var (k, v) in session.Conf.OrderBy(kv => kv.Key, StringComparer.Ordinal)) builder.AddRow($"{k}={v}");
            foreach (var (k, v) in session.HiveVars.OrderBy(kv => kv.Key, StringComparer.Ordinal)) builder.AddRow($"hivevar:{k}={v}");
            result = builder.Build();
            return true;
        }
        var eq = body.IndexOf('=', StringComparison.Ordinal);
        if (eq < 0)
        {
            var key = Unquote(body);
            builder.AddRow(Lookup(session, key) is { } value ? $"{key}={value}" : $"{key} is undefined");
            result = builder.Build();
            return true;
        }
        var name = Unquote(body[..eq].Trim());
        var val = Unquote(body[(eq + 1)..].Trim());
        if (name.Length == 0) throw new GatewayException("SET needs a key: SET key=value.", "42000");
        validate?.Invoke(name.StartsWith("hiveconf:", StringComparison.OrdinalIgnoreCase) ? name["hiveconf:".Length..] : name, val);
        if (name.StartsWith("hivevar:", StringComparison.OrdinalIgnoreCase)) session.SetVar(name["hivevar:".Length..], val);
        else if (name.StartsWith("hiveconf:", StringComparison.OrdinalIgnoreCase)) session.SetConf(name["hiveconf:".Length..], val);
        else session.SetConf(name, val);
        return true;
    }

    private static string? Lookup(Hs2Session session, string key)
    {
        if (key.StartsWith("hivevar:", StringComparison.OrdinalIgnoreCase)) return session.HiveVars.GetValueOrDefault(key["hivevar:".Length..]);
        if (key.StartsWith("hiveconf:", StringComparison.OrdinalIgnoreCase)) return session.Conf.GetValueOrDefault(key["hiveconf:".Length..]);
        return session.Conf.GetValueOrDefault(key);
    }

    private static string Unquote(string s) =>
        s.Length >= 2 && (s[0] == '\'' || s[0] == '"' || s[0] == '`') && s[^1] == s[0] ? s[1..^1] : s;

    /// <summary>Replaces defined <c>${hivevar:x}</c>, <c>${hiveconf:x}</c> and <c>${x}</c>; undefined ones stay as written, as in Hive.</summary>
    /// <param name="overlay">Settings of this statement only (confOverlay), looked up before the session's.</param>
    public static string Substitute(string statement, Hs2Session session, IReadOnlyDictionary<string, string>? overlay = null)
    {
        if (!statement.Contains("${", StringComparison.Ordinal)) return statement;
        string? Conf(string key) => overlay?.GetValueOrDefault(key) ?? session.Conf.GetValueOrDefault(key);
        if (Conf("hive.variable.substitute") is { } on && on.Trim().Equals("false", StringComparison.OrdinalIgnoreCase)) return statement;
        return VariablePattern().Replace(statement, m =>
        {
            var ns = m.Groups["ns"].Value;
            var name = m.Groups["name"].Value;
            string? value = ns.ToLowerInvariant() switch
            {
                "hivevar" => session.HiveVars.GetValueOrDefault(name),
                "hiveconf" => Conf(name),
                "" => session.HiveVars.GetValueOrDefault(name) ?? Conf(name),
                _ => null,
            };
            return value ?? m.Value;
        });
    }

    [GeneratedRegex(@"\$\{(?:(?<ns>hivevar|hiveconf|system|env):)?(?<name>[^}:]+)\}", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex VariablePattern();

    /// <summary>The statement without the whitespace and comments before it (the shared lexer's rules, Spark dialect).</summary>
    public static string StripLeadingComments(string sql) => sql[SqlLexer.SkipLeadingTrivia(sql, SqlDialect.Spark)..];
}
