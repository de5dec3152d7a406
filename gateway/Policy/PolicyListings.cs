using System.Text.RegularExpressions;
using Gateway.Engines;
using Gateway.Protocol.Columnar;
using Gateway.Protocol.Sql;

namespace Gateway.Server.Policy;

/// <summary>Hive's layouts and LIKE patterns for the listings the gateway answers itself under an access policy.</summary>
internal static class PolicyListings
{
    private static readonly ResultSchema DescribeSchema = new([new ColumnInfo("col_name", SqlType.String), new ColumnInfo("data_type", SqlType.String), new ColumnInfo("comment", SqlType.String)]);

    /// <summary>The pattern of <c>SHOW ... LIKE 'p'</c> (the string literal after LIKE), or null.</summary>
    public static string? LikePattern(string sql)
    {
        var tokens = SqlLexer.Tokenize(sql, SqlDialect.Hive);
        for (var i = 0; i + 1 < tokens.Count; i++)
        {
            if (tokens[i].IsWord("LIKE") && tokens[i + 1].Kind == SqlTokenKind.String) return tokens[i + 1].Value;
        }
        return null;
    }

    /// <summary>Hive's SHOW ... LIKE pattern: <c>*</c> any run, <c>|</c> alternatives, case ignored; null for none.</summary>
    public static Regex? HivePattern(string? like) => like is null ? null : new Regex(
        "^(?:" + string.Join("|", like.Split('|').Select(p => Regex.Escape(p.Trim()).Replace("\\*", ".*", StringComparison.Ordinal))) + ")$",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.NonBacktracking);

    /// <summary>One string column of names: SHOW TABLES' <c>tab_name</c>, SHOW DATABASES' <c>database_name</c>.</summary>
    public static ColumnBatch Names(string column, IReadOnlyList<string> names)
    {
        var builder = new BatchBuilder(new ResultSchema([new ColumnInfo(column, SqlType.String)]));
        foreach (var n in names) builder.AddRow([n]);
        return builder.Build();
    }

    /// <summary>Hive's DESCRIBE layout: col_name, data_type (Hive's lower-case spelling), comment.</summary>
    public static ColumnBatch Describe(IReadOnlyList<ColumnMetadata> columns)
    {
        var builder = new BatchBuilder(DescribeSchema);
        foreach (var c in columns) builder.AddRow([c.Name, c.Type.ToString().ToLowerInvariant(), c.Comment]);
        return builder.Build();
    }
}
