using Gateway.Protocol.Sql;
namespace Gateway.Router.Sql;

/// <summary>
/// Classifies a statement and lists the tables it reads and writes. Total: it never throws, and when it cannot be
/// sure it says so (<see cref="StatementAnalysis.Status"/>) so the router falls back instead of guessing.
/// </summary>
public static class StatementAnalyzer
{
    /// <summary>Parentheses, subqueries and CTEs nested deeper than this end the analysis as <see cref="AnalysisStatus.Failed"/>.</summary>
    public const int MaxNesting = 256;

    /// <param name="sql">One statement (a trailing semicolon is fine; several statements are analysed together and reported ambiguous).</param>
    /// <param name="dialect">Lexical rules; Spark when null (what HiveServer2 clients speak).</param>
    public static StatementAnalysis Analyze(string? sql, SqlDialect? dialect = null)
    {
        sql ??= "";
        dialect ??= SqlDialect.Spark;
        try
        {
            return new StatementParser(sql, dialect).Run();
        }
        catch (Exception ex)
        {
            // A bug here must never fail a query: the router falls back to the default engine.
            return new StatementAnalysis
            {
                Text = sql,
                Dialect = dialect,
                Status = AnalysisStatus.Failed,
                StatusReason = $"internal analysis error: {ex.GetType().Name}: {ex.Message}",
            };
        }
    }
}
