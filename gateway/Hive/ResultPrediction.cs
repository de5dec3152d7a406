namespace Gateway.Server.Hive;

/// <summary>
/// Whether a statement will return rows, decided before it runs: an asynchronous ExecuteStatement
/// answers with the operation handle before the engine has said, and clients (PyHive, JDBC) read
/// <c>hasResultSet</c> from that handle. GetOperationStatus reports the engine's own answer later.
/// </summary>
public static class ResultPrediction
{
    private static readonly string[] RowKeywords =
        ["SELECT", "WITH", "SHOW", "DESCRIBE", "DESC", "EXPLAIN", "VALUES", "FROM", "TABLE", "PRAGMA", "SUMMARIZE", "LIST", "("];

    public static bool ReturnsRows(string sql)
    {
        var text = SessionCommands.StripLeadingComments(sql).TrimStart();
        foreach (var keyword in RowKeywords)
        {
            if (!text.StartsWith(keyword, StringComparison.OrdinalIgnoreCase)) continue;
            if (keyword == "(" || text.Length == keyword.Length || !char.IsLetterOrDigit(text[keyword.Length]) && text[keyword.Length] != '_') return true;
        }
        return false;
    }
}
