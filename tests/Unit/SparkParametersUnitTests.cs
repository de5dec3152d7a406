using Gateway.Protocol.Columnar;
using Gateway.Protocol.Hive;
using Gateway.Server.Hive;
using Gateway.Server.Sessions;

namespace Gateway.Tests.Unit;

public class SparkParametersUnitTests
{
    private static (SqlType Type, object? Value) One(string? type, string? value, TimeZoneInfo? zone = null)
    {
        var p = SparkParameters.Convert([new TSparkParameter { Name = "p", Type = type, Value = value is null ? null : new TSparkParameterValue { StringValue = value } }], zone ?? TimeZoneInfo.Utc);
        return (p[0].Type, p[0].Value);
    }

    [Theory]
    [InlineData("DECIMAL", "123.456", 6, 3, "123456")]
    [InlineData("DECIMAL", "-0.5", 1, 1, "-5")]
    [InlineData("DECIMAL", "1e-7", 7, 7, "1")]
    [InlineData("DECIMAL", "12E3", 5, 0, "12000")]
    [InlineData("DECIMAL(10,2)", "123.456", 10, 2, "12346")]
    [InlineData("decimal(5, 0)", "-42", 5, 0, "-42")]
    public void DecimalsKeepTheirDigits(string type, string text, int precision, int scale, string unscaled)
    {
        var (t, v) = One(type, text);
        Assert.Equal(SqlType.Decimal(precision, scale), t);
        Assert.Equal(Int128.Parse(unscaled, System.Globalization.CultureInfo.InvariantCulture), v);
    }

    [Fact]
    public void TimestampsWithoutZoneAreReadInTheSessionZone()
    {
        var paris = TimeZoneInfo.FindSystemTimeZoneById("Europe/Paris");
        var (t, v) = One("TIMESTAMP", "2024-07-01 12:00:00", paris);
        Assert.Equal(SqlType.TimestampTz, t);
        Assert.Equal(new DateTimeOffset(2024, 7, 1, 10, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds() * 1000, v);
        Assert.Equal(new DateTimeOffset(2024, 7, 1, 12, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds() * 1000, One("TIMESTAMP", "2024-07-01T12:00:00.000Z", paris).Value);
        Assert.Equal(new DateTimeOffset(2024, 7, 1, 12, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds() * 1000, One("TIMESTAMP_NTZ", "2024-07-01 12:00:00", paris).Value);
        Assert.Equal(19905, One("DATE", "2024-07-01T00:00:00.000Z").Value);
    }

    [Theory]
    [InlineData("INTEGER", "3.0", 3L)]
    [InlineData("BIGINT", "9007199254740993", 9007199254740993L)]
    [InlineData("INT", "-2147483648", -2147483648L)]
    public void IntegersAcceptJavaScriptSpellings(string type, string text, long expected) => Assert.Equal(expected, One(type, text).Value);

    [Fact]
    public void NullsNeedNoType()
    {
        Assert.Equal((SqlType.Null, null), One(null, null));
        Assert.Equal((SqlType.Null, null), One("VOID", "ignored"));
        Assert.Equal(SqlTypeKind.Int, One("INTEGER", null).Type.Kind);
    }

    [Theory]
    [InlineData("INT", "2147483648", "22003")]
    [InlineData("BOOLEAN", "maybe", "22018")]
    [InlineData("DECIMAL(3,1)", "123.4", "22003")]
    [InlineData("DECIMAL(40,1)", "1", "22018")]
    [InlineData("STRUCT", "{}", "0A000")]
    public void BadValuesNameTheParameter(string type, string text, string sqlState)
    {
        var e = Assert.Throws<GatewayException>(() => One(type, text));
        Assert.Equal(sqlState, e.SqlState);
        Assert.Contains("':p'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MixingNamedAndPositionalIsRefused()
    {
        var e = Assert.Throws<GatewayException>(() => SparkParameters.Convert(
            [new TSparkParameter { Name = "a", Type = "INT", Value = new TSparkParameterValue { StringValue = "1" } }, new TSparkParameter { Type = "INT", Value = new TSparkParameterValue { StringValue = "1" } }],
            TimeZoneInfo.Utc));
        Assert.Equal("07001", e.SqlState);
    }
}
