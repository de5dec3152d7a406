using Gateway.Protocol.Columnar;

namespace Gateway.Tests.Unit;

public class ColumnarUnitTests
{
    [Fact]
    public void BatchBuilderKeepsValuesAndNulls()
    {
        var schema = new ResultSchema([new("id", SqlType.BigInt), new("name", SqlType.String), new("price", SqlType.Decimal(10, 2))]);
        var b = new BatchBuilder(schema);
        b.AddRow(1L, "a", 1.5m);
        b.AddRow(null, null, null);
        b.AddRow(3L, "ccc", -0.07m);
        using var batch = b.Build();
        Assert.Equal(3, batch.RowCount);
        var ids = (PrimitiveColumn<long>)batch.Columns[0];
        Assert.Equal(3L, ids.Values[2]);
        Assert.True(ids.IsNull(1));
        Assert.False(ids.IsNull(0));
        Assert.Equal(1, ids.NullCount);
        Assert.Equal("ccc", ((BinaryColumn)batch.Columns[1]).GetString(2));
        Assert.Equal("-0.07", ValueFormatter.Utc.FormatToString(batch.Columns[2], 2));
        Assert.Equal("1.50", ValueFormatter.Utc.FormatToString(batch.Columns[2], 0));
    }

    [Theory]
    [InlineData(0L, "1970-01-01 00:00:00")]
    [InlineData(1_500_000L, "1970-01-01 00:00:01.5")]
    [InlineData(-1L, "1969-12-31 23:59:59.999999")]
    [InlineData(1706702400123000L, "2024-01-31 12:00:00.123")]
    public void TimestampsUseHiveText(long micros, string expected)
    {
        Span<byte> buffer = stackalloc byte[64];
        var n = ValueFormatter.FormatTimestamp(micros, buffer);
        Assert.Equal(expected, System.Text.Encoding.ASCII.GetString(buffer[..n]));
    }

    [Fact]
    public void NestedValuesBecomeJson()
    {
        var type = SqlType.Struct([new("a", SqlType.Int), new("tags", SqlType.Array(SqlType.String)), new("m", SqlType.Map(SqlType.Int, SqlType.Date))]);
        var schema = new ResultSchema([new("s", type)]);
        var b = new BatchBuilder(schema);
        var map = new System.Collections.Hashtable { [7] = new DateOnly(2024, 1, 31) };
        b.AddRow(new object?[] { new object?[] { 1, new[] { "x", "y\"z" }, map } });
        using var batch = b.Build();
        Assert.Equal("{\"a\":1,\"tags\":[\"x\",\"y\\\"z\"],\"m\":{\"7\":\"2024-01-31\"}}", ValueFormatter.Utc.FormatToString(batch.Columns[0], 0));
    }
}
