using Gateway.Protocol.Sql;
using Gateway.Router.Sql;

namespace Gateway.Tests.Unit.Router;

public class SqlLexerUnitTests
{
    private static List<SqlToken> Lex(string sql, SqlDialect? dialect = null, bool comments = false) =>
        [.. SqlLexer.Tokenize(sql, dialect ?? SqlDialect.Spark, comments)];

    [Fact]
    public void TokensCarryKindPositionAndValue()
    {
        const string sql = "SELECT `a b`, 'x' FROM t1 WHERE c >= 1.5e3;";
        var t = Lex(sql);
        Assert.Equal(
            [SqlTokenKind.Word, SqlTokenKind.QuotedIdentifier, SqlTokenKind.Comma, SqlTokenKind.String, SqlTokenKind.Word, SqlTokenKind.Word,
             SqlTokenKind.Word, SqlTokenKind.Word, SqlTokenKind.Operator, SqlTokenKind.Number, SqlTokenKind.Semicolon],
            t.Select(x => x.Kind));
        Assert.Equal("a b", t[1].Value);
        Assert.Equal("`a b`", sql.Substring(t[1].Start, t[1].Length));
        Assert.Equal("x", t[3].Value);
        Assert.Equal(">=", t[8].Value);
        Assert.Equal("1.5e3", t[9].Value);
        Assert.Equal(sql.Length, t[^1].End);
    }

    [Fact]
    public void DoubleQuotesDependOnTheDialect()
    {
        Assert.Equal(SqlTokenKind.String, Lex("\"x\"", SqlDialect.Spark)[0].Kind);
        Assert.Equal(SqlTokenKind.String, Lex("\"x\"", SqlDialect.Hive)[0].Kind);
        Assert.Equal(SqlTokenKind.QuotedIdentifier, Lex("\"x\"", SqlDialect.Trino)[0].Kind);
        Assert.Equal(SqlTokenKind.QuotedIdentifier, Lex("\"x\"", SqlDialect.Ansi)[0].Kind);
        var t = Lex("\"a\"\"b\"", SqlDialect.Trino);
        Assert.Equal("a\"b", Assert.Single(t).Value);
    }

    [Theory]
    [InlineData("'it''s'", "it's")]
    [InlineData("'it\\'s'", "it's")]
    [InlineData("'a\\nb\\tc'", "a\nb\tc")]
    [InlineData("'100\\%'", "100\\%")]
    [InlineData("'\\u0041BC'", "ABC")]
    [InlineData("\"say \\\"hi\\\"\"", "say \"hi\"")]
    [InlineData("r'C:\\new\\table'", "C:\\new\\table")]
    [InlineData("R\"raw \\d+\"", "raw \\d+")]
    public void HiveStringsHaveBothEscapes(string literal, string value)
    {
        var t = Assert.Single(Lex(literal, SqlDialect.Hive));
        Assert.Equal(SqlTokenKind.String, t.Kind);
        Assert.Equal(value, t.Value);
        Assert.Equal(literal.Length, t.Length);
    }

    [Fact]
    public void TrinoHasNoBackslashEscapes()
    {
        var t = Lex("'a\\' FROM t", SqlDialect.Trino);
        Assert.Equal("a\\", t[0].Value);
        Assert.True(t[1].IsWord("FROM"));
    }

    [Fact]
    public void PostgresStyleLiterals()
    {
        var t = Lex("E'it\\'s' $$ a 'b' $$ $fn$ x $$ y $fn$ $1", SqlDialect.Ansi);
        Assert.Equal([SqlTokenKind.String, SqlTokenKind.String, SqlTokenKind.String, SqlTokenKind.Parameter], t.Select(x => x.Kind));
        Assert.Equal("it's", t[0].Value);
        Assert.Equal(" a 'b' ", t[1].Value);
        Assert.Equal(" x $$ y ", t[2].Value);
        // Not in Spark: E is a word there and $$ two operators.
        Assert.Equal(SqlTokenKind.Word, Lex("E'x'", SqlDialect.Spark)[0].Kind);
        // Identifiers may contain $ after the first character.
        Assert.Equal("a$b", Assert.Single(Lex("a$b", SqlDialect.Ansi)).Value);
    }

    [Fact]
    public void CommentsAreSkippedUnlessAskedFor()
    {
        const string sql = "SELECT 1 -- FROM x\n/* JOIN y */ FROM t";
        Assert.DoesNotContain(Lex(sql), t => t.IsWord("JOIN") || t.Kind == SqlTokenKind.Comment);
        var withComments = Lex(sql, comments: true);
        Assert.Equal(2, withComments.Count(t => t.Kind == SqlTokenKind.Comment));
        Assert.Equal(" FROM x", withComments.First(t => t.Kind == SqlTokenKind.Comment).Value);
    }

    [Fact]
    public void BlockCommentsNestInSparkAndAnsiButNotInHiveOrTrino()
    {
        const string sql = "/* a /* b */ c */ SELECT";
        Assert.Equal(["SELECT"], Lex(sql, SqlDialect.Spark).Select(t => t.Value));
        Assert.Equal(["SELECT"], Lex(sql, SqlDialect.Ansi).Select(t => t.Value));
        Assert.Equal(["c", "*", "/", "SELECT"], Lex(sql, SqlDialect.Hive).Select(t => t.Value));
        Assert.Equal(["c", "*", "/", "SELECT"], Lex(sql, SqlDialect.Trino).Select(t => t.Value));
    }

    [Fact]
    public void HintCommentsAreTokens()
    {
        var t = Lex("SELECT /*+ ENGINE(trino), BROADCAST(d) */ * FROM f");
        var hint = Assert.Single(t, x => x.Kind == SqlTokenKind.Hint);
        Assert.Equal(" ENGINE(trino), BROADCAST(d) ", hint.Value);
        Assert.Equal(7, hint.Start);
    }

    [Theory]
    [InlineData("'open", SqlTokenKind.String)]
    [InlineData("`open", SqlTokenKind.QuotedIdentifier)]
    [InlineData("/* open", SqlTokenKind.Comment)]
    [InlineData("/*+ open", SqlTokenKind.Hint)]
    [InlineData("${open", SqlTokenKind.Parameter)]
    [InlineData("r'open", SqlTokenKind.String)]
    public void UnterminatedTokensRunToTheEnd(string sql, SqlTokenKind kind)
    {
        var tokens = Lex("x " + sql, comments: false);
        Assert.Equal(2, tokens.Count);
        Assert.Equal(kind, tokens[1].Kind);
        Assert.True(tokens[1].IsUnterminated);
        Assert.Equal(sql.Length + 2, tokens[1].End);
    }

    [Theory]
    [InlineData("1L", SqlTokenKind.Number)]
    [InlineData("1.5BD", SqlTokenKind.Number)]
    [InlineData("0x1F", SqlTokenKind.Number)]
    [InlineData(".5", SqlTokenKind.Number)]
    [InlineData("2024_sales", SqlTokenKind.Word)]
    public void NumbersAndDigitLeadingWords(string text, SqlTokenKind kind)
    {
        var t = Assert.Single(Lex(text, SqlDialect.Spark));
        Assert.Equal(kind, t.Kind);
        Assert.Equal(text, t.Value);
    }

    [Fact]
    public void TrinoDoesNotStartIdentifiersWithDigits()
    {
        var t = Lex("2024_sales", SqlDialect.Trino);
        Assert.Equal([SqlTokenKind.Number, SqlTokenKind.Word], t.Select(x => x.Kind));
    }

    [Fact]
    public void QualifiedNamesWithNumbersKeepTheirDots()
    {
        var t = Lex("t.1 .5 a.b");
        Assert.Equal([SqlTokenKind.Word, SqlTokenKind.Dot, SqlTokenKind.Number, SqlTokenKind.Number, SqlTokenKind.Word, SqlTokenKind.Dot, SqlTokenKind.Word], t.Select(x => x.Kind));
    }

    [Theory]
    [InlineData("a <=> b", "<=>")]
    [InlineData("a::int", "::")]
    [InlineData("a || b", "||")]
    [InlineData("FROM t |> WHERE", "|>")]
    [InlineData("f(x => 1)", "=>")]
    [InlineData("a != b", "!=")]
    [InlineData("j ->> 'k'", "->>")]
    public void MultiCharacterOperators(string sql, string op) => Assert.Contains(Lex(sql), t => t.IsOperator(op));

    [Fact]
    public void LineAndColumn()
    {
        const string sql = "SELECT 1\nFROM t\n  WHERE x";
        Assert.Equal((1, 1), SqlLexer.GetLineAndColumn(sql, 0));
        Assert.Equal((2, 6), SqlLexer.GetLineAndColumn(sql, sql.IndexOf('t', StringComparison.Ordinal)));
        Assert.Equal((3, 3), SqlLexer.GetLineAndColumn(sql, sql.IndexOf("WHERE", StringComparison.Ordinal)));
        Assert.Equal((3, 10), SqlLexer.GetLineAndColumn(sql, 10_000));
    }

    [Fact]
    public void DialectPresetsByName()
    {
        Assert.Same(SqlDialect.Trino, SqlDialect.FromName(" TRINO "));
        Assert.Null(SqlDialect.FromName("oracle"));
        Assert.Equal(SqlDialect.DuckDb, SqlDialect.ForEngine(Gateway.Engines.EngineKind.DuckDb));
        Assert.Equal(SqlDialect.Spark, SqlDialect.ForEngine(Gateway.Engines.EngineKind.Spark));
    }

    [Theory]
    [InlineData("  -- a\n  SELECT 1", "hive", 9)]
    [InlineData("-- a\rSELECT 1", "hive", 5)]
    [InlineData("/* a /* b */ c */SELECT 1", "spark", 17)]
    [InlineData("/* a /* b */ c */SELECT 1", "hive", 13)]
    [InlineData("/*+ BROADCAST(t) */ SELECT 1", "spark", 20)]
    [InlineData("/* never closed", "ansi", 15)]
    [InlineData("SELECT 1", "ansi", 0)]
    [InlineData("", "ansi", 0)]
    public void LeadingTriviaIsSkippedByTheTokenizersRules(string sql, string dialect, int expected)
    {
        var d = SqlDialect.FromName(dialect)!;
        Assert.Equal(expected, SqlLexer.SkipLeadingTrivia(sql, d));
        // The same place as the first token the tokenizer reads (or the end).
        var first = SqlLexer.Tokenize(sql, d).FirstOrDefault(t => t.Kind is not (SqlTokenKind.Hint or SqlTokenKind.Comment));
        if (!sql.StartsWith("/*+", StringComparison.Ordinal)) Assert.Equal(first == default ? sql.Length : first.Start, expected);
    }

    [Fact]
    public void CommentEndsAreTheTokenizersToo()
    {
        Assert.Equal(6, SqlLexer.CommentEnd("x -- y\nz", 2, SqlDialect.Hive));
        Assert.Equal(17, SqlLexer.CommentEnd("/* a /* b */ c */ d", 0, SqlDialect.DuckDb));
        Assert.Equal(12, SqlLexer.CommentEnd("/* a /* b */ c */ d", 0, SqlDialect.Trino));
        Assert.Equal(-1, SqlLexer.CommentEnd("- -", 0, SqlDialect.Ansi));
        Assert.Equal(-1, SqlLexer.CommentEnd("-", 0, SqlDialect.Ansi));
    }
}
