using System.Text;
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

    private static readonly ResultSchema TableExtendedSchema = new([
        new ColumnInfo("namespace", SqlType.String),
        new ColumnInfo("tableName", SqlType.String),
        new ColumnInfo("isTemporary", SqlType.Boolean),
        new ColumnInfo("information", SqlType.String),
    ]);

    /// <summary>
    /// Hive's DESCRIBE layout: col_name, data_type (Hive's lower-case spelling), comment; with EXTENDED or FORMATTED,
    /// the "# Detailed Table Information" rows after the columns (no view text: it may name what the user may not see).
    /// </summary>
    public static ColumnBatch Describe(IReadOnlyList<ColumnMetadata> columns, bool extended = false, TableInfo? table = null)
    {
        var builder = new BatchBuilder(DescribeSchema);
        foreach (var c in columns) builder.AddRow([c.Name, TypeName(c.Type), c.Comment]);
        if (extended && table is not null)
        {
            builder.AddRow(["", null, null]);
            builder.AddRow(["# Detailed Table Information", null, null]);
            builder.AddRow(["Database:", DatabaseName(table.Schema), null]);
            builder.AddRow(["Table:", table.Name, null]);
            builder.AddRow(["Table Type:", IsView(table) ? "VIRTUAL_VIEW" : "MANAGED_TABLE", null]);
            builder.AddRow(["Comment:", table.Comment, null]);
        }
        return builder.Build();
    }

    /// <summary>
    /// Spark's SHOW TABLE EXTENDED layout (namespace, tableName, isTemporary, information): dbt-spark tells views from
    /// tables by "Type: VIEW" in information and reads the columns from its " |-- name: type (nullable = b)" lines.
    /// </summary>
    public static ColumnBatch TableExtended(string owner, IReadOnlyList<(TableInfo Table, IReadOnlyList<ColumnMetadata> Columns)> tables)
    {
        var builder = new BatchBuilder(TableExtendedSchema);
        foreach (var (t, columns) in tables)
        {
            var info = new StringBuilder();
            var database = DatabaseName(t.Schema);
            info.Append("Database: ").Append(database).Append('\n');
            info.Append("Table: ").Append(t.Name).Append('\n');
            info.Append("Owner: ").Append(owner).Append('\n');
            info.Append("Type: ").Append(IsView(t) ? "VIEW" : "MANAGED").Append('\n');
            if (t.Comment is not null) info.Append("Comment: ").Append(t.Comment).Append('\n');
            info.Append("Schema: root\n");
            foreach (var c in columns) info.Append(" |-- ").Append(c.Name).Append(": ").Append(TypeName(c.Type)).Append(" (nullable = ").Append(c.Nullable ? "true" : "false").Append(")\n");
            builder.AddRow([database, t.Name, false, info.ToString()]);
        }
        return builder.Build();
    }

    /// <summary>DESCRIBE EXTENDED|FORMATTED t (also DESC).</summary>
    public static bool IsExtendedDescribe(string sql)
    {
        var tokens = SqlLexer.Tokenize(sql, SqlDialect.Hive);
        return tokens.Count > 1 && (tokens[0].IsWord("DESCRIBE") || tokens[0].IsWord("DESC")) && (tokens[1].IsWord("EXTENDED") || tokens[1].IsWord("FORMATTED"));
    }

    /// <summary>A PARTITION (...) clause anywhere in the statement (SHOW TABLE EXTENDED ... PARTITION).</summary>
    public static bool HasPartitionSpec(string sql) => SqlLexer.Tokenize(sql, SqlDialect.Hive).Any(t => t.IsWord("PARTITION"));

    private static bool IsView(TableInfo t) => t.TableType.Contains("VIEW", StringComparison.OrdinalIgnoreCase);

    private static string DatabaseName(string schema) => Gateway.Server.Routing.RoutingService.DefaultSchemas.Contains(schema) ? "default" : schema;

    private static string TypeName(SqlType type) => type.ToString().ToLowerInvariant();
}
