using System.Buffers.Binary;
using System.Globalization;
using Gateway.Engines;
using Gateway.Engines.Postgres;
using Gateway.Protocol.Columnar;

namespace Gateway.Tests.Unit;

public class PostgresSqlUnitTests
{
    private static readonly QueryParameter[] TwoPositional =
        [new(1, null, SqlType.Int, 1L), new(2, null, SqlType.Int, 2L)];

    private static PgScript Parse(string sql, params QueryParameter[] parameters) => PostgresSql.Parse(sql, parameters);

    [Theory]
    [InlineData("SELECT `a`, `b``c`, `d\"e` FROM `t`", "SELECT \"a\", \"b`c\", \"d\"\"e\" FROM \"t\"")]
    [InlineData("SELECT '`x`', \"`y`\", $$`z`$$, $tag$ ` $tag$ -- `c`\n/* `d` /* `e` */ */", "SELECT '`x`', \"`y`\", $$`z`$$, $tag$ ` $tag$ -- `c`\n/* `d` /* `e` */ */")]
    [InlineData("SELECT E'it\\'s `x`', 'it''s `y`'", "SELECT E'it\\'s `x`', 'it''s `y`'")]
    public void BackticksBecomeDoubleQuotesOutsideLiteralsAndComments(string sql, string expected) =>
        Assert.Equal(expected, Parse(sql).Statements.Single().Sql);

    [Fact]
    public void CommentsEndWherePostgreSqlEndsThem()
    {
        // '--' ends at a bare \r too: the ';' after it separates two statements.
        Assert.Equal(["SELECT 1 -- one", "SELECT 2"], Parse("SELECT 1 -- one\r; SELECT 2").Statements.Select(s => s.Sql.Trim()));
        // Block comments nest: the ';' inside the inner one is no separator.
        Assert.Equal("SELECT /* a /* ; */ b */ 1", Parse("SELECT /* a /* ; */ b */ 1").Statements.Single().Sql);
    }

    [Fact]
    public void SemicolonsInsideLiteralsHintsAndDollarQuotesDoNotSplit()
    {
        // E'..' takes backslash escapes, a dollar-quote tag may be any identifier without '$' (non-ASCII too),
        // and a hint is a comment.
        var script = Parse("SELECT E'x\\';', \"a;b\", $fé$ ; $fé$ /*+ ; */; SELECT 2");
        Assert.Equal(["SELECT E'x\\';', \"a;b\", $fé$ ; $fé$ /*+ ; */", "SELECT 2"], script.Statements.Select(s => s.Sql));
    }

    [Fact]
    public void PositionalMarkersAreNumberedOutsideLiteralsAndComments()
    {
        var script = Parse("SELECT ?, '?', \"?\", $$?$$ /* ? */, ? -- ?", TwoPositional);
        Assert.Equal("SELECT $1, '?', \"?\", $$?$$ /* ? */, $2 -- ?", script.Statements.Single().Sql);
        Assert.Equal([1, 2], script.OrderedParameters.Select(p => p.Ordinal));
    }

    [Fact]
    public void WithoutParametersQuestionMarksAndColonsStay()
    {
        Assert.Equal("SELECT j ? 'a', x::int, :name", Parse("SELECT j ? 'a', x::int, :name").Statements.Single().Sql);
    }

    [Fact]
    public void NamedMarkersAreNumberedByFirstAppearanceAndCastsAreLeftAlone()
    {
        QueryParameter[] named = [new(0, "b", SqlType.Int, 2L), new(0, "a", SqlType.Int, 1L), new(0, "unused", SqlType.Int, 3L)];
        var script = Parse("SELECT :a::text, :B, :a, ':b', :other, arr[1:2]", named);
        Assert.Equal("SELECT $1::text, $2, $1, ':b', :other, arr[1:2]", script.Statements.Single().Sql);
        Assert.Equal(["a", "b"], script.OrderedParameters.Select(p => p.Name));
    }

    [Fact]
    public void NativeDollarMarkersWorkWithPositionalParameters()
    {
        var script = Parse("SELECT $2, $1", TwoPositional);
        Assert.Equal("SELECT $2, $1", script.Statements.Single().Sql);
        Assert.Equal(2, script.OrderedParameters.Count);
    }

    [Theory]
    [InlineData("SELECT ?", "07001")]
    [InlineData("SELECT 1; SELECT ?, ?", "07001")]
    public void ParameterMismatchesAreErrors(string sql, string state)
    {
        var e = Assert.Throws<EngineException>(() => Parse(sql, TwoPositional));
        Assert.Equal(state, e.SqlState);
        Assert.Equal("07001", Assert.Throws<EngineException>(() => Parse("SELECT 1", new QueryParameter(1, null, SqlType.Int, 1L), new QueryParameter(0, "x", SqlType.Int, 1L))).SqlState);
        Assert.Equal("07009", Assert.Throws<EngineException>(() => Parse("SELECT ?", new QueryParameter(2, null, SqlType.Int, 1L))).SqlState);
    }

    [Fact]
    public void ScriptsSplitOnTopLevelSemicolonsAndAreClassified()
    {
        var script = Parse("""
            CREATE TABLE t (a text DEFAULT ';');
            -- a comment; with a semicolon
            INSERT INTO t VALUES ($x$;$x$);
            DELETE FROM t RETURNING a;
            WITH c AS (SELECT 1) SELECT * FROM c;
            (SELECT 2);
            SHOW search_path;
            USE `My Schema`;
            use sales;
            COPY t FROM STDIN;
            ;
            /* only a comment */
            """);
        Assert.Equal(
            [PgStatementKind.NoRows, PgStatementKind.NoRows, PgStatementKind.MayReturnRows, PgStatementKind.Query, PgStatementKind.Query,
             PgStatementKind.MayReturnRows, PgStatementKind.Use, PgStatementKind.Use, PgStatementKind.CopyStream],
            script.Statements.Select(s => s.Kind));
        Assert.Equal("CREATE TABLE t (a text DEFAULT ';')", script.Statements[0].Sql);
        Assert.StartsWith("-- a comment; with a semicolon\nINSERT", script.Statements[1].Sql, StringComparison.Ordinal);
        Assert.Equal(("My Schema", true), (script.Statements[6].UseTarget, script.Statements[6].UseTargetQuoted));
        Assert.Equal(("sales", false), (script.Statements[7].UseTarget, script.Statements[7].UseTargetQuoted));
        Assert.Equal("42601", Assert.Throws<EngineException>(() => Parse("USE a b")).SqlState);
        Assert.Equal("42601", Assert.Throws<EngineException>(() => Parse("SELECT `x")).SqlState);
    }

    [Fact]
    public void NumericTypmodsDecode()
    {
        Assert.Equal((10, 2), PostgresTypes.NumericTypmod(((10 << 16) | 2) + 4));
        Assert.Equal((5, -1), PostgresTypes.NumericTypmod(((5 << 16) | 0x7FF) + 4));
        Assert.Equal((null, null), PostgresTypes.NumericTypmod(-1));
        Assert.Equal(SqlType.Decimal(6, 0), PostgresTypes.PlanFromTypmod("n", PostgresTypes.Numeric, ((5 << 16) | 0x7FF) + 4).Type);
        Assert.Equal(SqlType.Decimal(38, 10), PostgresTypes.PlanFromTypmod("n", PostgresTypes.Numeric, -1).Type);
        Assert.Equal(SqlType.Varchar(40), PostgresTypes.PlanFromTypmod("v", PostgresTypes.Varchar, 44).Type);
        Assert.Equal(SqlType.Array(SqlType.Decimal(5, 2)), PostgresTypes.PlanFromTypmod("a", 1231, ((5 << 16) | 2) + 4).Type);
        Assert.True(PostgresTypes.PlanFromTypmod("x", 869 /* inet */, -1).AsText);
    }

    /// <summary>numeric's binary form: ndigits, weight, sign, dscale, then base-10000 digits.</summary>
    private static byte[] Numeric(short weight, ushort sign, params short[] digits)
    {
        var b = new byte[8 + 2 * digits.Length];
        BinaryPrimitives.WriteInt16BigEndian(b, (short)digits.Length);
        BinaryPrimitives.WriteInt16BigEndian(b.AsSpan(2), weight);
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(4), sign);
        for (var i = 0; i < digits.Length; i++) BinaryPrimitives.WriteInt16BigEndian(b.AsSpan(8 + 2 * i), digits[i]);
        return b;
    }

    [Fact]
    public void NumericWireValuesDecodeToUnscaledIntegers()
    {
        // 12345.678 = 1|2345|6780 with weight 1.
        Assert.Equal((Int128)12345678, PostgresNumeric.FromBinary(Numeric(1, 0, 1, 2345, 6780), 3));
        Assert.Equal((Int128)(-1234568), PostgresNumeric.FromBinary(Numeric(1, 0x4000, 1, 2345, 6780), 2));
        Assert.Equal((Int128)0, PostgresNumeric.FromBinary(Numeric(0, 0), 5));
        // 0.0001 = weight -1, digit 1.
        Assert.Equal((Int128)100, PostgresNumeric.FromBinary(Numeric(-1, 0, 1), 6));
        // 38 nines (10 base-10000 digits) go through the wide path.
        var nines = Numeric(9, 0, 99, 9999, 9999, 9999, 9999, 9999, 9999, 9999, 9999, 9999);
        Assert.Equal(Int128.Parse(new string('9', 38), CultureInfo.InvariantCulture), PostgresNumeric.FromBinary(nines, 0));
        Assert.Equal("22003", Assert.Throws<EngineException>(() => PostgresNumeric.FromBinary(nines, 1)).SqlState);
        Assert.Equal("22003", Assert.Throws<EngineException>(() => PostgresNumeric.FromBinary(Numeric(0, 0xC000), 0)).SqlState);
        Assert.Equal("22003", Assert.Throws<EngineException>(() => PostgresNumeric.FromBinary(Numeric(0, 0xD000), 0)).SqlState);
    }

    [Theory]
    [InlineData("12.345", 2, "1235")]
    [InlineData("-12.345", 2, "-1235")]
    [InlineData("0.5", 0, "1")]
    [InlineData("1.5", 3, "1500")]
    [InlineData("-79228162514264337593543950335", 0, "-79228162514264337593543950335")]
    public void DecimalsRescaleRoundingHalfAwayFromZero(string value, int scale, string unscaled) =>
        Assert.Equal(Int128.Parse(unscaled, CultureInfo.InvariantCulture), PostgresNumeric.FromDecimal(decimal.Parse(value, CultureInfo.InvariantCulture), scale));
}
