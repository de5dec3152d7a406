using Gateway.Engines;
using Gateway.Protocol.Columnar;

namespace Gateway.Tests.Engines;

public partial class DuckDbEngineTests
{
    private static async Task<(ResultSchema Schema, string?[] Row)> BoundAsync(IEngineSession session, string sql, params QueryParameter[] parameters)
    {
        await using var result = await session.ExecuteAsync(sql, ExecuteOptions.Default with { Parameters = parameters }, CancellationToken.None);
        using var batch = await result.ReadBatchAsync(10, CancellationToken.None);
        Assert.NotNull(batch);
        return (result.Schema, [.. batch.Columns.Select(c => ValueFormatter.Utc.FormatToString(c, 0))]);
    }

    [Fact]
    public async Task EveryScalarParameterTypeBindsWithItsType()
    {
        await using var session = await OpenAsync();
        var (schema, row) = await BoundAsync(session,
            "SELECT ? AS b, ? AS t, ? AS s, ? AS i, ? AS l, ? AS f, ? AS d, ? AS dec, ? AS str, ? AS bin, ? AS dt, ? AS tm, ? AS ts, ? AS tstz, ? AS iv, ? AS n",
            new QueryParameter(1, null, SqlType.Boolean, true),
            new QueryParameter(2, null, SqlType.TinyInt, -8L),
            new QueryParameter(3, null, SqlType.SmallInt, 300L),
            new QueryParameter(4, null, SqlType.Int, 70000L),
            new QueryParameter(5, null, SqlType.BigInt, long.MaxValue),
            new QueryParameter(6, null, SqlType.Float, 1.5),
            new QueryParameter(7, null, SqlType.Double, 2.25),
            new QueryParameter(8, null, SqlType.Decimal(38, 10), Int128.Parse("12345678901234567890123456780123456789", System.Globalization.CultureInfo.InvariantCulture)),
            new QueryParameter(9, null, SqlType.String, "héllo 'x'"),
            new QueryParameter(10, null, SqlType.Binary, new byte[] { 1, 2, 255 }),
            new QueryParameter(11, null, SqlType.Date, 19782),
            new QueryParameter(12, null, SqlType.Time, 49_530_123_456L),
            new QueryParameter(13, null, SqlType.Timestamp, 1_709_214_330_123_456L),
            new QueryParameter(14, null, SqlType.TimestampTz, 1_709_214_330_000_000L),
            new QueryParameter(15, null, SqlType.Interval, new IntervalValue(14, 3, 5_000_000)),
            new QueryParameter(16, null, SqlType.Null, null));
        Assert.Equal(
            [SqlTypeKind.Boolean, SqlTypeKind.TinyInt, SqlTypeKind.SmallInt, SqlTypeKind.Int, SqlTypeKind.BigInt, SqlTypeKind.Float, SqlTypeKind.Double, SqlTypeKind.Decimal,
             SqlTypeKind.String, SqlTypeKind.Binary, SqlTypeKind.Date, SqlTypeKind.Time, SqlTypeKind.Timestamp, SqlTypeKind.TimestampTz, SqlTypeKind.Interval],
            schema.Columns.Take(15).Select(c => c.Type.Kind));
        Assert.Equal(SqlType.Decimal(38, 10), schema.Columns[7].Type);
        Assert.Equal("true", row[0]);
        Assert.Equal("-8", row[1]);
        Assert.Equal("300", row[2]);
        Assert.Equal("70000", row[3]);
        Assert.Equal(long.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture), row[4]);
        Assert.Equal("1.5", row[5]);
        Assert.Equal("2.25", row[6]);
        Assert.Equal("1234567890123456789012345678.0123456789", row[7]);
        Assert.Equal("héllo 'x'", row[8]);
        Assert.Equal("2024-02-29", row[10]);
        Assert.Equal("13:45:30.123456", row[11]);
        Assert.Equal("2024-02-29 13:45:30.123456", row[12]);
        Assert.StartsWith("2024-02-29 13:45:30", row[13], StringComparison.Ordinal);
        Assert.Equal("1 year 2 months 3 days 00:00:05", row[14]);
        Assert.Null(row[15]);
    }

    [Fact]
    public async Task NamedParametersUseSparkMarkers()
    {
        await using var session = await OpenAsync();
        var (_, row) = await BoundAsync(session,
            "SELECT :a + 1 AS a1, ':a' AS literal, /* :a */ :b AS b, 1::INTEGER AS cast_kept, `:a` AS quoted FROM (SELECT 5 AS \":a\") t",
            new QueryParameter(1, "a", SqlType.Int, 41L),
            new QueryParameter(2, "b", SqlType.String, "bee"),
            new QueryParameter(3, "unused", SqlType.Int, 1L));
        Assert.Equal(new string?[] { "42", ":a", "bee", "1", "5" }, row);
    }

    [Fact]
    public async Task ParameterErrorsAreClear()
    {
        await using var session = await OpenAsync();
        var wrongCount = await Assert.ThrowsAsync<EngineException>(async () => await BoundAsync(session, "SELECT ? + ?", new QueryParameter(1, null, SqlType.Int, 1L)));
        Assert.Equal("07001", wrongCount.SqlState);
        var script = await Assert.ThrowsAsync<EngineException>(async () => await BoundAsync(session, "SELECT 1; SELECT ?", new QueryParameter(1, null, SqlType.Int, 1L)));
        Assert.Equal("07001", script.SqlState);
        var overflow = await Assert.ThrowsAsync<EngineException>(async () => await BoundAsync(session, "SELECT ?", new QueryParameter(1, null, SqlType.TinyInt, 1000L)));
        Assert.Equal("22003", overflow.SqlState);
        var missing = await Assert.ThrowsAsync<EngineException>(async () => await QueryAsync(session, "SELECT ?"));
        Assert.Equal("07002", missing.SqlState);
        // The session still works.
        Assert.Equal("1", await ScalarAsync(session, "SELECT 1"));
    }
}
