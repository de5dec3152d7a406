using System.Text;
using Gateway.Protocol.Sql;
using Gateway.Router.Routing;
using Gateway.Router.Sql;
using static Gateway.Tests.Unit.Router.RoutingFixture;

namespace Gateway.Tests.Unit.Router;

/// <summary>
/// Random and mutated input through the lexer, the analyzer and the router: none may throw, hang or report an
/// internal error, and tokens must tile the input in order. Seeds are fixed so a failure reproduces.
/// </summary>
public class RouterFuzzUnitTests
{
    private const string Alphabet = "abcxyzSELECTFROMJOINWITHAS_019 \t\r\n'\"`\\/*-+()[]{};,.$?:@|<>=!#%^&~";

    private static readonly string[] Vocabulary =
    [
        "SELECT", "FROM", "JOIN", "LEFT", "SEMI", "ON", "USING", "WITH", "RECURSIVE", "AS", "(", ")", "(", ")", ",", ";", ".",
        "INSERT", "INTO", "OVERWRITE", "TABLE", "MERGE", "WHEN", "MATCHED", "THEN", "UPDATE", "SET", "DELETE", "CREATE",
        "VIEW", "TEMPORARY", "LATERAL", "VIEW", "explode(a)", "t1", "db.t2", "cat.db.t3", "'str'", "\"dq\"", "`bt`", "/*+ ENGINE(x) */",
        "/*+ STREAMING */", "-- c\n", "/* c */", "/* /* */", "EXPLAIN", "ROUTING", "UNION", "ALL", "VALUES", "PIVOT", "FOR",
        "SYSTEM_TIME", "VERSION", "OF", "EMIT", "CHANGES", "STREAM", "SHOW", "COLUMNS", "IN", "DESCRIBE", "USE", "DROP", "ALTER",
        "RENAME", "TO", "WHERE", "GROUP", "BY", "ORDER", "LIMIT", "1", "1.5e3", "$$x$$", "E'\\''", "r'x'", "${v}", "?", "=>",
        "read_parquet('p')", "range(10)", "UNNEST", "TABLESAMPLE", "EXECUTE", "STATEMENT", "BEGIN", "END", "COPY", "LOAD",
        "DATA", "INPATH", "DIRECTORY", "IS", "DISTINCT", "NOT", "EXISTS", "CASE", "END", "OVER", "|>", "*", "=", "<=>",
    ];

    private static readonly StatementRouter Router = new();

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    public async Task RandomInputNeverBreaksTheLexerAnalyzerOrRouter(int seed)
    {
        // A hang is a failure too; the bound is generous and not a performance check.
        var run = Task.Run(() =>
        {
            var rng = new Random(seed);
            for (var i = 0; i < 250; i++)
            {
                var sql = (i % 3) switch
                {
                    0 => RandomChars(rng),
                    1 => TokenSoup(rng),
                    _ => Mutate(rng, StatementCorpus.Cases[rng.Next(StatementCorpus.Cases.Count)].Sql),
                };
                Check(sql, rng);
            }
        });
        var finished = await Task.WhenAny(run, Task.Delay(TimeSpan.FromMinutes(2)));
        Assert.True(finished == run, "fuzzing did not finish: a loop does not terminate");
        await run;
    }

    [Fact]
    public void PathologicalShapes()
    {
        var rng = new Random(42);
        string[] shapes =
        [
            new string('(', 5000),
            new string(')', 5000),
            string.Concat(Enumerable.Repeat("SELECT * FROM (", 1000)),
            string.Concat(Enumerable.Repeat("WITH a AS (", 1000)),
            string.Concat(Enumerable.Repeat("/*", 5000)),
            string.Concat(Enumerable.Repeat("'", 5001)),
            "SELECT " + string.Join(", ", Enumerable.Range(0, 3000).Select(i => $"c{i}")) + " FROM t",
            "INSERT INTO t VALUES " + string.Join(", ", Enumerable.Range(0, 3000).Select(i => $"({i}, 'v{i}')")),
            "SELECT * FROM " + string.Join(" JOIN ", Enumerable.Range(0, 500).Select(i => $"t{i} ON true")),
            "\uD800\uDC00\uD800 SELECT \uDFFF FROM \u0000 t",
            "FROM",
            "WITH",
            "EXPLAIN ROUTING EXPLAIN ROUTING EXPLAIN",
            "MERGE INTO",
            "SELECT * FROM a JOIN",
            "SET = = =",
        ];
        foreach (var sql in shapes) Check(sql, rng);
    }

    private static void Check(string sql, Random rng)
    {
        foreach (var dialect in SqlDialect.Presets)
        {
            var tokens = SqlLexer.Tokenize(sql, dialect, includeComments: rng.Next(2) == 0);
            var end = 0;
            foreach (var t in tokens)
            {
                Assert.True(t.Start >= end && t.Length > 0 && t.End <= sql.Length, $"token {t} out of order or bounds in {Show(sql)}");
                Assert.NotNull(t.Value);
                end = t.End;
            }
            var a = StatementAnalyzer.Analyze(sql, dialect);
            Assert.False(a.StatusReason?.Contains("internal analysis error", StringComparison.Ordinal) == true, $"{a.StatusReason} for {Show(sql)} ({dialect.Name})");
            foreach (var r in a.Reads.Concat(a.Writes))
            {
                Assert.NotEmpty(r.Parts);
                Assert.True(r.Start >= 0 && r.Start + r.Length <= sql.Length, $"reference {r} outside the text");
            }
        }
        var d = Router.Route(sql, Context(), Lookup, AllEngines());
        Assert.DoesNotContain(d.Reasons, r => r.StartsWith("router error", StringComparison.Ordinal));
        Assert.NotEmpty(RoutingExplain.ToRows(d));
    }

    private static string RandomChars(Random rng)
    {
        var sb = new StringBuilder();
        var n = rng.Next(0, 200);
        for (var i = 0; i < n; i++)
        {
            var r = rng.Next(100);
            sb.Append(r switch
            {
                < 90 => Alphabet[rng.Next(Alphabet.Length)],
                < 94 => (char)rng.Next(0x80, 0x3000),
                < 97 => (char)rng.Next(0xD800, 0xE000),
                _ => (char)rng.Next(0, 32),
            });
        }
        return sb.ToString();
    }

    private static string TokenSoup(Random rng)
    {
        var n = rng.Next(0, 80);
        var sb = new StringBuilder();
        for (var i = 0; i < n; i++) sb.Append(Vocabulary[rng.Next(Vocabulary.Length)]).Append(rng.Next(5) == 0 ? "" : " ");
        return sb.ToString();
    }

    private static string Mutate(Random rng, string sql)
    {
        var sb = new StringBuilder(sql);
        var edits = rng.Next(1, 5);
        for (var e = 0; e < edits && sb.Length > 0; e++)
        {
            var at = rng.Next(sb.Length);
            switch (rng.Next(4))
            {
                case 0:
                    sb.Remove(at, Math.Min(rng.Next(1, 20), sb.Length - at));
                    break;
                case 1:
                    sb.Insert(at, Alphabet[rng.Next(Alphabet.Length)]);
                    break;
                case 2:
                    sb.Length = at;
                    break;
                default:
                    sb.Insert(at, Vocabulary[rng.Next(Vocabulary.Length)]);
                    break;
            }
        }
        return sb.ToString();
    }

    private static string Show(string sql) => sql.Length <= 300 ? sql : sql[..300] + "...";
}
