using System.Text;
using System.Text.RegularExpressions;

namespace Gateway.Engines;

/// <summary>JDBC name patterns: <c>%</c> any run, <c>_</c> one character, <c>\</c> escapes either.</summary>
public static class JdbcPattern
{
    public static bool IsAny(string? pattern) => pattern is null or "" or "%" or "*";

    /// <summary>Matches case-insensitively, as HiveServer2 does for identifiers.</summary>
    public static bool Matches(string? pattern, string name)
    {
        if (IsAny(pattern)) return true;
        return ToRegex(pattern!).IsMatch(name);
    }

    public static Regex ToRegex(string pattern)
    {
        var sb = new StringBuilder("^");
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '\\' && i + 1 < pattern.Length)
            {
                sb.Append(Regex.Escape(pattern[++i].ToString()));
            }
            else if (c == '%') sb.Append(".*");
            else if (c == '_') sb.Append('.');
            // Hive clients also send '*' as "any" (Hive's own metastore patterns).
            else if (c == '*') sb.Append(".*");
            else sb.Append(Regex.Escape(c.ToString()));
        }
        sb.Append('$');
        return new Regex(sb.ToString(), RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Singleline, TimeSpan.FromSeconds(1));
    }

    /// <summary>Translates a JDBC pattern into a SQL LIKE pattern with <c>\</c> as escape.</summary>
    public static string ToSqlLike(string? pattern) => IsAny(pattern) ? "%" : pattern!.Replace("*", "%", StringComparison.Ordinal);
}
