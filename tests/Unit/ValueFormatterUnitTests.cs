using System.Globalization;
using System.Numerics;
using System.Text;
using Gateway.Protocol.Columnar;
using Gateway.Protocol.Thrift;

namespace Gateway.Tests.Unit;

/// <summary>
/// The column-wise formatter of the Thrift path (typed loops, the cached date of consecutive timestamps, digit pairs)
/// against references computed another way: .NET's DateTime and BigInteger text.
/// </summary>
public class ValueFormatterUnitTests
{
    [Theory]
    [InlineData(0L, 0, "0")]
    [InlineData(5L, 2, "0.05")]
    [InlineData(-5L, 2, "-0.05")]
    [InlineData(100L, 0, "100")]
    [InlineData(-100L, 2, "-1.00")]
    [InlineData(12345L, 2, "123.45")]
    [InlineData(7L, 0, "7")]
    [InlineData(99L, 1, "9.9")]
    [InlineData(long.MaxValue, 4, "922337203685477.5807")]
    public void DecimalsUseHiveText(long unscaled, int scale, string expected)
    {
        Span<byte> buffer = stackalloc byte[64];
        var n = ValueFormatter.FormatDecimal(unscaled, scale, buffer);
        Assert.Equal(expected, Encoding.ASCII.GetString(buffer[..n]));
    }

    [Fact]
    public void DecimalsOfEveryWidthAndScaleMatchBigIntegerText()
    {
        var random = new Random(42);
        Span<byte> buffer = stackalloc byte[64];
        for (var i = 0; i < 20_000; i++)
        {
            var digits = random.Next(1, 39);
            var scale = random.Next(0, Math.Min(digits, 38) + 1);
            var text = new StringBuilder();
            for (var d = 0; d < digits; d++) text.Append((char)('0' + random.Next(10)));
            var magnitude = BigInteger.Parse(text.ToString(), CultureInfo.InvariantCulture);
            var value = random.Next(2) == 0 ? magnitude : -magnitude;
            var n = ValueFormatter.FormatDecimal((Int128)value, scale, buffer);
            Assert.Equal(Reference(value, scale), Encoding.ASCII.GetString(buffer[..n]));
        }
    }

    [Fact]
    public void TimestampColumnsMatchDateTimeTextAcrossDaysFractionsAndNulls()
    {
        var random = new Random(7);
        var values = new List<long?>();
        var micros = new DateTime(1969, 12, 30, 23, 59, 58, DateTimeKind.Utc).Ticks / 10 - DateTime.UnixEpoch.Ticks / 10;
        for (var i = 0; i < 5_000; i++)
        {
            // Runs of the same day, day changes, fractions with and without trailing zeros, nulls, before and after 1970.
            micros += random.Next(4) switch { 0 => 1_000_000, 1 => random.NextInt64(1, 86_400_000_000L * 3), 2 => random.Next(1, 1_000_000), _ => 120_000 };
            values.Add(i % 11 == 5 ? null : micros);
        }
        values.Add(-62135596800000000L);                  // 0001-01-01 00:00:00
        values.Add(253402300799999999L);                  // 9999-12-31 23:59:59.999999
        var column = Build(SqlType.Timestamp, values.Select(v => (object?)(v is { } m ? DateTime.UnixEpoch.AddTicks(m * 10) : null)));

        var texts = FormatColumn(column);
        for (var i = 0; i < values.Count; i++)
        {
            Assert.Equal(values[i] is { } m ? TimestampReference(m) : "", texts[i]);
            Assert.Equal(values[i] is null, column.IsNull(i));
        }
    }

    [Fact]
    public void ColumnWiseTextEqualsValueByValueTextForEveryTextCarriedType()
    {
        var types = new[] { SqlType.Decimal(38, 10), SqlType.Decimal(9, 0), SqlType.Date, SqlType.Time, SqlType.TimestampTz, SqlType.Timestamp };
        var random = new Random(3);
        foreach (var type in types)
        {
            var values = new List<object?>();
            for (var i = 0; i < 500; i++)
            {
                values.Add(i % 9 == 4 ? null : type.Kind switch
                {
                    SqlTypeKind.Decimal => (decimal)random.NextInt64(-99_999_999, 99_999_999) / (type.Scale == 0 ? 1 : 1000m),
                    SqlTypeKind.Date => DateOnly.FromDayNumber(random.Next(1, 3_000_000)),
                    SqlTypeKind.Time => TimeOnly.FromTimeSpan(TimeSpan.FromTicks(random.NextInt64(0, TimeSpan.TicksPerDay) / 10 * 10)),
                    SqlTypeKind.TimestampTz => new DateTimeOffset(DateTime.UnixEpoch.AddTicks(random.NextInt64(-10_000_000_000_000_000, 10_000_000_000_000_000) / 10 * 10)),
                    _ => DateTime.UnixEpoch.AddTicks(random.NextInt64(-10_000_000_000_000_000, 10_000_000_000_000_000) / 10 * 10),
                });
            }
            var column = Build(type, values);
            var texts = FormatColumn(column, offset: 17);
            for (var i = 17; i < values.Count; i++)
            {
                Assert.Equal(ValueFormatter.Utc.FormatToString(column, i) ?? "", texts[i - 17]);
            }
        }
    }

    private static Column Build(SqlType type, IEnumerable<object?> values)
    {
        var builder = new BatchBuilder(new ResultSchema([new ColumnInfo("v", type)]));
        foreach (var v in values) builder.AddRow(v);
        return builder.Build().Columns[0];
    }

    /// <summary>Rows from <paramref name="offset"/> on, formatted column-wise in two slices, as texts (null rows empty).</summary>
    private static List<string> FormatColumn(Column column, int offset = 0)
    {
        using var output = new PooledBufferWriter(16);
        var count = column.Length - offset;
        var ends = new int[count];
        var half = count / 2;
        ValueFormatter.Utc.WriteColumn(column, offset, half, output, ends.AsSpan(0, half));
        ValueFormatter.Utc.WriteColumn(column, offset + half, count - half, output, ends.AsSpan(half));
        var texts = new List<string>();
        var start = 0;
        foreach (var end in ends)
        {
            texts.Add(Encoding.UTF8.GetString(output.WrittenSpan[start..end]));
            start = end;
        }
        return texts;
    }

    private static string Reference(BigInteger value, int scale)
    {
        var digits = BigInteger.Abs(value).ToString(CultureInfo.InvariantCulture).PadLeft(scale + 1, '0');
        var text = scale == 0 ? digits : digits[..^scale] + "." + digits[^scale..];
        return value.Sign < 0 ? "-" + text : text;
    }

    private static string TimestampReference(long micros)
    {
        var text = DateTime.UnixEpoch.AddTicks(micros * 10).ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture);
        return text.TrimEnd('0').TrimEnd('.');
    }
}
