using System.Net;
using System.Net.Sockets;
using System.Text;
using Gateway.Engines;
using Gateway.Engines.HiveServer2;
using Gateway.Protocol.Columnar;
using Gateway.Protocol.Hive;
using Gateway.Protocol.Thrift;

namespace Gateway.Tests.Engines;

/// <summary>Unit tier: the remote engine's text parsers, type names, parameter encoding, error mapping and options.</summary>
public sealed class HiveServer2EngineUnitTests
{
    private static byte[] U(string s) => Encoding.UTF8.GetBytes(s);

    [Theory]
    [InlineData("123.45", 2, "12345")]
    [InlineData("-0.5", 3, "-500")]
    [InlineData("7", 2, "700")]
    [InlineData("1.005", 2, "101")]
    [InlineData("-1.005", 2, "-101")]
    [InlineData("1.004", 2, "100")]
    [InlineData("1E+3", 0, "1000")]
    [InlineData("12.5e-1", 2, "125")]
    [InlineData(" 99999999999999999999999999999999999999 ", 0, "99999999999999999999999999999999999999")]
    [InlineData("1234567890123456789012345678.0123456789", 10, "12345678901234567890123456780123456789")]
    public void DecimalTextBecomesUnscaledValues(string text, int scale, string unscaled)
    {
        Assert.True(RemoteColumns.TryParseDecimal(U(text), scale, out var value));
        Assert.Equal(Int128.Parse(unscaled, System.Globalization.CultureInfo.InvariantCulture), value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-")]
    [InlineData("1.2.3")]
    [InlineData("abc")]
    [InlineData("1e")]
    [InlineData("999999999999999999999999999999999999999999")]
    public void MalformedDecimalsAreRejected(string text) => Assert.False(RemoteColumns.TryParseDecimal(U(text), 2, out _));

    [Theory]
    [InlineData("1970-01-01", 0)]
    [InlineData("1969-12-31", -1)]
    [InlineData("2024-02-29", 19_782)]
    [InlineData("0001-01-01", -719_162)]
    [InlineData("-0001-12-31", -719_529)]
    public void DatesBecomeDays(string text, int days)
    {
        Assert.True(RemoteColumns.TryParseDate(U(text), out var d));
        Assert.Equal(days, d);
    }

    [Theory]
    [InlineData("2023-02-29")]
    [InlineData("2024-13-01")]
    [InlineData("2024-1-1x")]
    [InlineData("20240101")]
    public void InvalidDatesAreRejected(string text) => Assert.False(RemoteColumns.TryParseDate(U(text), out _));

    [Theory]
    [InlineData("2024-02-29 13:45:30.123456", 1_709_214_330_123_456L)]
    [InlineData("2024-02-29 13:45:30.123456789", 1_709_214_330_123_456L)]
    [InlineData("2024-02-29T13:45:30", 1_709_214_330_000_000L)]
    [InlineData("2024-02-29 13:45:30.0", 1_709_214_330_000_000L)]
    [InlineData("2024-02-29 13:45:30.5", 1_709_214_330_500_000L)]
    [InlineData("2024-02-29", 1_709_164_800_000_000L)]
    [InlineData("1969-12-31 23:59:59.999999", -1L)]
    public void TimestampsBecomeMicros(string text, long micros)
    {
        Assert.True(RemoteColumns.TryParseTimestamp(U(text), out var value));
        Assert.Equal(micros, value);
        // Round trip through the formatter used to send them.
        Span<byte> buffer = stackalloc byte[64];
        var n = ValueFormatter.FormatTimestamp(value, buffer);
        Assert.True(RemoteColumns.TryParseTimestamp(buffer[..n], out var again));
        Assert.Equal(value, again);
    }

    [Theory]
    [InlineData("1 year 2 months 3 days 04:05:06.000007", 14, 3, 14_706_000_007L)]
    [InlineData("-1 day", 0, -1, 0L)]
    [InlineData("-04:00:00", 0, 0, -14_400_000_000L)]
    [InlineData("00:00:00", 0, 0, 0L)]
    [InlineData("1-2", 14, 0, 0L)]
    [InlineData("-1-2", -14, 0, 0L)]
    [InlineData("3 04:05:06.000007000", 0, 3, 14_706_000_007L)]
    [InlineData("-1 02:00:00.000000000", 0, -1, -7_200_000_000L)]
    [InlineData("100:00:00", 0, 0, 360_000_000_000L)]
    public void IntervalTextsOfHiveAndTheGatewayParse(string text, int months, int days, long micros)
    {
        Assert.True(RemoteColumns.TryParseInterval(U(text), out var v));
        Assert.Equal(new IntervalValue(months, days, micros), v);
    }

    [Fact]
    public void IntervalsFormattedByTheGatewayParseBack()
    {
        Span<byte> buffer = stackalloc byte[128];
        foreach (var v in new[] { new IntervalValue(14, 3, 14_706_000_007), new IntervalValue(-25, 0, 0), new IntervalValue(0, -2, -1), new IntervalValue(0, 0, 0), new IntervalValue(1, 1, 86_400_000_000L * 2) })
        {
            var n = ValueFormatter.FormatInterval(v, buffer);
            Assert.True(RemoteColumns.TryParseInterval(buffer[..n], out var parsed), Encoding.UTF8.GetString(buffer[..n]));
            Assert.Equal(v, parsed);
        }
    }

    [Theory]
    [InlineData("decimal(10,2)", null, null, null, "decimal(10,2)")]
    [InlineData("DECIMAL", 3, 18, 4, "decimal(18,4)")]
    [InlineData("VARCHAR", 12, 20, null, "varchar(20)")]
    [InlineData("varchar(5)", null, null, null, "varchar(5)")]
    [InlineData("char(3)", null, null, null, "char(3)")]
    [InlineData("array<int>", null, null, null, "array<int>")]
    [InlineData("ARRAY<STRUCT<a: INT NOT NULL, `b c`: STRING COMMENT 'x, y'>>", null, null, null, "array<struct<a:int,b c:string>>")]
    [InlineData("map<string,array<date>>", null, null, null, "map<string,array<date>>")]
    [InlineData("TIMESTAMP WITH LOCAL TIME ZONE", 2014, null, null, "timestamp with local time zone")]
    [InlineData("timestamp_ntz", 93, null, null, "timestamp")]
    [InlineData("INTERVAL DAY TO SECOND", 1111, null, null, "interval")]
    [InlineData("ARRAY", 2003, null, null, "array<string>")]
    [InlineData("geometry", 1111, null, null, "string")]
    [InlineData("some_udt", 4, null, null, "int")]
    [InlineData(null, -5, null, null, "bigint")]
    public void TypeNamesOfGetColumnsParse(string? name, int? dataType, int? size, int? digits, string expected) =>
        Assert.Equal(expected, RemoteTypeNames.Parse(name, dataType, size, digits).ToString());

    [Theory]
    [InlineData("USE demo", true)]
    [InlineData("  use `demo`", true)]
    [InlineData("-- switch\nUSE SCHEMA x", true)]
    [InlineData("/* a */ /* b */ Use catalog c", true)]
    [InlineData("-- switch\rUSE x", true)]
    [InlineData("/* never closed USE x", false)]
    [InlineData("USER", false)]
    [InlineData("SELECT 'USE x'", false)]
    [InlineData("use", false)]
    public void UseStatementsAreRecognised(string sql, bool isUse) => Assert.Equal(isUse, HiveServer2Session.StartsWithUse(sql));

    [Fact]
    public void ParametersBecomeSparkParametersOnlyFromSparkV8()
    {
        QueryParameter[] parameters =
        [
            new(1, null, SqlType.Decimal(10, 2), (Int128)(-12345)),
            new(2, null, SqlType.TimestampTz, 1_709_214_330_500_000L),
            new(3, null, SqlType.Timestamp, 1_709_214_330_000_000L),
            new(4, null, SqlType.Date, 19_782),
            new(5, null, SqlType.Float, 1.5),
            new(6, null, SqlType.Interval, new IntervalValue(14, 0, 0)),
            new(7, null, SqlType.Binary, U("bytes")),
            new(8, null, SqlType.Int, null),
            new(9, null, SqlType.Null, null),
        ];
        var spark = RemoteParameters.ToSpark(parameters, TProtocolVersion.SPARK_CLI_SERVICE_PROTOCOL_V8, "remote")!;
        Assert.Equal(["DECIMAL(10,2)", "TIMESTAMP", "TIMESTAMP_NTZ", "DATE", "FLOAT", "INTERVAL MONTH", "BINARY", "INT", "VOID"], spark.Select(p => p.Type));
        Assert.Equal(["-123.45", "2024-02-29 13:45:30.5Z", "2024-02-29 13:45:30", "2024-02-29", "1.5", "14", "bytes", null, null], spark.Select(p => p.Value?.StringValue));
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8, 9], spark.Select(p => p.Ordinal ?? 0));

        var named = RemoteParameters.ToSpark([new QueryParameter(1, "x", SqlType.String, "v")], TProtocolVersion.SPARK_CLI_SERVICE_PROTOCOL_V9, "remote")!;
        Assert.Equal("x", named.Single().Name);
        Assert.Null(named.Single().Ordinal);

        Assert.Null(RemoteParameters.ToSpark([], TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V10, "remote"));
        foreach (var version in new[] { TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V11, TProtocolVersion.SPARK_CLI_SERVICE_PROTOCOL_V7 })
        {
            var e = Assert.Throws<EngineException>(() => RemoteParameters.ToSpark(parameters, version, "remote"));
            Assert.Equal("0A000", e.SqlState);
        }
    }

    [Fact]
    public void ParametersThatCannotTravelAsSparkTextAreRefused()
    {
        foreach (var p in new QueryParameter[]
        {
            new(1, null, SqlType.Binary, new byte[] { 0xDE, 0xAD, 0xBE, 0xEF }),
            new(1, null, SqlType.Interval, new IntervalValue(1, 2, 3)),
            new(1, null, SqlType.Array(SqlType.Int), Array.Empty<object>()),
            new(1, null, SqlType.Time, 5L),
        })
        {
            var e = Assert.Throws<EngineException>(() => RemoteParameters.ToSpark([p], TProtocolVersion.SPARK_CLI_SERVICE_PROTOCOL_V8, "remote"));
            Assert.Equal("0A000", e.SqlState);
        }
    }

    [Fact]
    public void TransportFailuresAreRetryableAndBreakTheLinkWhileRemoteAnswersDoNot()
    {
        static EngineException Map(Exception e, out bool breaks, bool timedOut = false) => HiveServer2Errors.FromCallFailure(e, "remote:1", "Call", timedOut, out breaks);

        foreach (var transport in new Exception[]
        {
            new IOException("reset"),
            new SocketException((int)SocketError.ConnectionReset),
            new HiveClientException("closed", "08S01"),
            new HttpRequestException("refused", new SocketException((int)SocketError.ConnectionRefused)),
            new HttpRequestException("bad gateway", null, HttpStatusCode.BadGateway),
            new ThriftProtocolException("garbage"),
            new TApplicationException(TApplicationExceptionType.BAD_SEQUENCE_ID, "out of sequence"),
            new OperationCanceledException(),
        })
        {
            var e = Map(transport, out var breaks, timedOut: transport is OperationCanceledException);
            Assert.True(e.Retryable, transport.GetType().Name);
            Assert.True(breaks, transport.GetType().Name);
            Assert.StartsWith("08", e.SqlState, StringComparison.Ordinal);
        }

        var auth = Map(new HttpRequestException("no", null, HttpStatusCode.Unauthorized), out var authBreaks);
        Assert.Equal("28000", auth.SqlState);
        Assert.False(auth.Retryable);
        Assert.False(authBreaks);
        var unknown = Map(new TApplicationException(TApplicationExceptionType.UNKNOWN_METHOD, "GetPrimaryKeys"), out var unknownBreaks);
        Assert.Equal("0A000", unknown.SqlState);
        Assert.False(unknownBreaks);

        var error = HiveServer2Errors.FromStatus(new TStatus { StatusCode = TStatusCode.ERROR_STATUS, SqlState = "42S02", ErrorCode = 10001, ErrorMessage = "Table not found" }, "ExecuteStatement")!;
        Assert.Equal(("42S02", 10001, "Table not found", false), (error.SqlState, error.ErrorCode, error.Message, error.Retryable));
        Assert.Null(HiveServer2Errors.FromStatus(new TStatus { StatusCode = TStatusCode.SUCCESS_WITH_INFO_STATUS }, "x"));
        Assert.True(HiveServer2Errors.FromStatus(new TStatus { StatusCode = TStatusCode.INVALID_HANDLE_STATUS }, "x")!.Retryable);
        var canceled = HiveServer2Errors.FromOperationStatus(new TGetOperationStatusResp { OperationState = TOperationState.CANCELED_STATE });
        Assert.True(canceled.Canceled);
    }

    [Fact]
    public void OptionsAreValidatedWithClearMessages()
    {
        var ok = new HiveServer2EngineOptions();
        ok.Validate();
        Assert.Contains("HTTP", Assert.Throws<ArgumentException>(() => (ok with { Auth = HiveServer2Auth.Basic }).Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("SASL", Assert.Throws<ArgumentException>(() => (ok with { Transport = HiveTransportMode.Http }).Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("Token", Assert.Throws<ArgumentException>(() => (ok with { Transport = HiveTransportMode.Http, Auth = HiveServer2Auth.Bearer }).Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("Port", Assert.Throws<ArgumentException>(() => (ok with { Port = 0 }).Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("time zone", Assert.Throws<ArgumentException>(() => (ok with { SessionTimeZone = "Mars/Olympus" }).Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("CA file", Assert.Throws<ArgumentException>(() => (ok with { Tls = new EngineTlsOptions { CaFile = "/no/such.pem" } }).Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("RequestTimeout", Assert.Throws<ArgumentException>(() => (ok with { RequestTimeout = TimeSpan.Zero }).Validate()).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new HiveServer2Engine(ok with { Host = "" }));
        Assert.Equal("https://gw:10001/cliservice", (ok with { Host = "gw", Port = 10001, Transport = HiveTransportMode.Http, Auth = HiveServer2Auth.NoSasl, Tls = new() }).Endpoint);
    }

    [Fact]
    public void FlatBatchesAreCutAndJoinedWithTheirNulls()
    {
        var schema = new ResultSchema([new ColumnInfo("i", SqlType.Int), new ColumnInfo("s", SqlType.String), new ColumnInfo("b", SqlType.Boolean), new ColumnInfo("d", SqlType.Decimal(5, 1))]);
        ColumnBatch Make(int start, int count)
        {
            var b = new BatchBuilder(schema);
            for (var i = start; i < start + count; i++) b.AddRow(i % 4 == 0 ? null : i, i % 5 == 0 ? null : "s" + i, i % 2 == 0, (Int128)i);
            return b.Build();
        }
        using var a = Make(0, 10);
        using var b = Make(10, 7);
        using var joined = FlatBatches.Concat(schema, [new BatchSlice(a, 3, 7), new BatchSlice(b, 0, 5)]);
        Assert.Equal(12, joined.RowCount);
        for (var r = 0; r < 12; r++)
        {
            var i = r + 3;
            Assert.Equal(i % 4 == 0 ? null : i.ToString(System.Globalization.CultureInfo.InvariantCulture), ValueFormatter.Utc.FormatToString(joined.Columns[0], r));
            Assert.Equal(i % 5 == 0 ? null : "s" + i, ValueFormatter.Utc.FormatToString(joined.Columns[1], r));
            Assert.Equal(i % 2 == 0 ? "true" : "false", ValueFormatter.Utc.FormatToString(joined.Columns[2], r));
            Assert.Equal($"{i / 10}.{i % 10}", ValueFormatter.Utc.FormatToString(joined.Columns[3], r));
        }
    }
}
