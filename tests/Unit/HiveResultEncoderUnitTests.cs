using System.Collections;
using System.Text;
using Gateway.Protocol.Columnar;
using Gateway.Protocol.Hive;
using static Gateway.Tests.Unit.ThriftTestSupport;

namespace Gateway.Tests.Unit;

public class HiveResultEncoderUnitTests
{
    private static readonly ResultSchema EverySchema = new(
    [
        new("b", SqlType.Boolean),
        new("ti", SqlType.TinyInt),
        new("si", SqlType.SmallInt),
        new("i", SqlType.Int),
        new("bi", SqlType.BigInt),
        new("f", SqlType.Float),
        new("d", SqlType.Double),
        new("dec", SqlType.Decimal(10, 2)),
        new("s", SqlType.String),
        new("vc", SqlType.Varchar(20)),
        new("c", SqlType.Char(5)),
        new("bin", SqlType.Binary),
        new("dt", SqlType.Date),
        new("tm", SqlType.Time),
        new("ts", SqlType.Timestamp),
        new("tstz", SqlType.TimestampTz),
        new("iv", SqlType.Interval),
        new("arr", SqlType.Array(SqlType.Int)),
        new("map", SqlType.Map(SqlType.String, SqlType.Int)),
        new("st", SqlType.Struct([new("a", SqlType.Int), new("b", SqlType.String)])),
        new("n", SqlType.Null),
    ]);

    private static readonly DateTime Ts = new(2024, 1, 31, 12, 0, 0, 123, DateTimeKind.Unspecified);

    private static object?[] Row(int i) =>
    [
        i % 4 == 0,
        (sbyte)(i - 1),
        (short)(i * 1000),
        i * 100_000,
        (long)i << 40,
        1.1f * i,
        2.5 * i,
        12.34m * i,
        "text" + i,
        "vc" + i,
        "c" + i,
        new byte[] { (byte)i, 0xFF },
        new DateOnly(2024, 1, 31).AddDays(i),
        new TimeOnly(12, 34, 56),
        Ts.AddDays(i),
        new DateTimeOffset(Ts.AddDays(i), TimeSpan.Zero),
        new IntervalValue(14, 2, 3_000_000),
        new[] { 1, 2, i },
        new Hashtable { ["k"] = i },
        new object?[] { i, "x" },
        null,
    ];

    /// <summary>Rows 0 and 2 have values; row 1 is all NULL.</summary>
    private static ColumnBatch EveryTypeBatch(int rows = 3)
    {
        var builder = new BatchBuilder(EverySchema);
        for (var i = 0; i < rows; i++) builder.AddRow(i % 3 == 1 ? new object?[EverySchema.Count] : Row(i));
        return builder.Build();
    }

    private static TRowSet WriteAndRead(TRowSet rowSet)
    {
        var resp = new TFetchResultsResp { Status = new TStatus(), HasMoreRows = false, Results = rowSet };
        var back = Deserialize<TFetchResultsResp>(Serialize(resp));
        rowSet.Dispose();
        return back.Results!;
    }

    [Fact]
    public void ColumnarEncodingCarriesEveryTypeWithHiveMapping()
    {
        using var batch = EveryTypeBatch();
        var rowSet = WriteAndRead(HiveResultEncoder.Encode(batch, ValueFormatter.Utc, TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V10, startRowOffset: 40));
        Assert.Equal(40, rowSet.StartRowOffset);
        Assert.Empty(rowSet.Rows);
        var c = rowSet.Columns!;
        Assert.Equal(EverySchema.Count, c.Count);
        var expectedKinds = new[]
        {
            TColumnKind.BoolVal, TColumnKind.ByteVal, TColumnKind.I16Val, TColumnKind.I32Val, TColumnKind.I64Val,
            TColumnKind.DoubleVal, TColumnKind.DoubleVal, TColumnKind.StringVal, TColumnKind.StringVal, TColumnKind.StringVal,
            TColumnKind.StringVal, TColumnKind.BinaryVal, TColumnKind.StringVal, TColumnKind.StringVal, TColumnKind.StringVal,
            TColumnKind.StringVal, TColumnKind.StringVal, TColumnKind.StringVal, TColumnKind.StringVal, TColumnKind.StringVal,
            TColumnKind.StringVal,
        };
        Assert.Equal(expectedKinds, c.Select(x => x.Kind));

        // Row 1 is NULL in every column, rows 0 and 2 in none (except the NULL-typed column).
        for (var col = 0; col < c.Count; col++)
        {
            Assert.Equal(3, c[col].Length);
            Assert.True(c[col].Column.IsNull(1), $"column {EverySchema.Columns[col].Name} row 1");
            var allNull = EverySchema.Columns[col].Type.Kind == SqlTypeKind.Null;
            Assert.Equal(allNull, c[col].Column.IsNull(0));
            Assert.Equal(allNull, c[col].Column.IsNull(2));
        }

        Assert.True(((BooleanColumn)c[0].Column).GetValue(0));
        Assert.False(((BooleanColumn)c[0].Column).GetValue(2));
        Assert.Equal((sbyte)1, ((PrimitiveColumn<sbyte>)c[1].Column).Values[2]);
        Assert.Equal((short)2000, ((PrimitiveColumn<short>)c[2].Column).Values[2]);
        Assert.Equal(200_000, ((PrimitiveColumn<int>)c[3].Column).Values[2]);
        Assert.Equal(2L << 40, ((PrimitiveColumn<long>)c[4].Column).Values[2]);
        // FLOAT widens through its shortest text: 2.2f arrives as 2.2, not 2.200000047683716.
        Assert.Equal(2.2, ((PrimitiveColumn<double>)c[5].Column).Values[2]);
        Assert.Equal(5.0, ((PrimitiveColumn<double>)c[6].Column).Values[2]);
        Assert.Equal(new byte[] { 2, 0xFF }, ((BinaryColumn)c[11].Column).GetBytes(2).ToArray());

        string Text(int col, int row) => ((BinaryColumn)c[col].Column).GetString(row);
        Assert.Equal("0.00", Text(7, 0));
        Assert.Equal("24.68", Text(7, 2));
        Assert.Equal("text2", Text(8, 2));
        Assert.Equal("vc0", Text(9, 0));
        Assert.Equal("c2", Text(10, 2));
        Assert.Equal("2024-01-31", Text(12, 0));
        Assert.Equal("2024-02-02", Text(12, 2));
        Assert.Equal("12:34:56", Text(13, 0));
        Assert.Equal("2024-01-31 12:00:00.123", Text(14, 0));
        Assert.Equal("2024-02-02 12:00:00.123", Text(15, 2));
        Assert.Equal("1 year 2 months 2 days 00:00:03", Text(16, 0));
        Assert.Equal("[1,2,2]", Text(17, 2));
        Assert.Equal("{\"k\":2}", Text(18, 2));
        Assert.Equal("{\"a\":0,\"b\":\"x\"}", Text(19, 0));
        rowSet.Dispose();
    }

    [Fact]
    public void DecimalAndTimestampTextMatchesHive()
    {
        var schema = new ResultSchema([new("dec", SqlType.Decimal(10, 2)), new("ts", SqlType.Timestamp), new("arr", SqlType.Array(SqlType.String))]);
        var builder = new BatchBuilder(schema);
        builder.AddRow(12.34m, Ts, new[] { "a", null });
        builder.AddRow(-0.5m, Ts.AddMilliseconds(-123), Array.Empty<string>());
        using var batch = builder.Build();
        var columns = WriteAndRead(HiveResultEncoder.Encode(batch, ValueFormatter.Utc, TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V6)).Columns!;
        var dec = (BinaryColumn)columns[0].Column;
        var ts = (BinaryColumn)columns[1].Column;
        var arr = (BinaryColumn)columns[2].Column;
        Assert.Equal("12.34", dec.GetString(0));
        Assert.Equal("-0.50", dec.GetString(1));
        Assert.Equal("2024-01-31 12:00:00.123", ts.GetString(0));
        Assert.Equal("2024-01-31 12:00:00", ts.GetString(1));
        Assert.Equal("[\"a\",null]", arr.GetString(0));
        Assert.Equal("[]", arr.GetString(1));
    }

    [Fact]
    public void SlicesOfSeveralBatchesConcatenateWithoutLosingNulls()
    {
        // Unaligned slices (offsets 3 and 1) across two batches, nulls every third row.
        var schema = new ResultSchema([new("i", SqlType.BigInt), new("s", SqlType.String), new("d", SqlType.Date), new("b", SqlType.Boolean)]);
        ColumnBatch Make(int start, int count)
        {
            var builder = new BatchBuilder(schema);
            for (var i = start; i < start + count; i++)
            {
                builder.AddRow(i % 3 == 0 ? null : (long)i, i % 3 == 0 ? null : "s" + i, i % 3 == 0 ? null : new DateOnly(2024, 1, 1).AddDays(i), i % 3 == 0 ? null : i % 2 == 0);
            }
            return builder.Build();
        }
        using var first = Make(0, 20);
        using var second = Make(20, 20);
        var encoded = HiveResultEncoder.Encode([new BatchSlice(first, 3, 17), new BatchSlice(second, 1, 11)], schema, ValueFormatter.Utc, TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V8);
        var columns = WriteAndRead(encoded).Columns!;
        var expectedRows = Enumerable.Range(3, 17).Concat(Enumerable.Range(21, 11)).ToArray();
        Assert.Equal(expectedRows.Length, columns[0].Length);
        for (var k = 0; k < expectedRows.Length; k++)
        {
            var i = expectedRows[k];
            var isNull = i % 3 == 0;
            for (var c = 0; c < 4; c++) Assert.Equal(isNull, columns[c].Column.IsNull(k));
            if (isNull) continue;
            Assert.Equal(i, ((PrimitiveColumn<long>)columns[0].Column).Values[k]);
            Assert.Equal("s" + i, ((BinaryColumn)columns[1].Column).GetString(k));
            Assert.Equal(new DateOnly(2024, 1, 1).AddDays(i).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), ((BinaryColumn)columns[2].Column).GetString(k));
            Assert.Equal(i % 2 == 0, ((BooleanColumn)columns[3].Column).GetValue(k));
        }
    }

    [Fact]
    public void RowBasedEncodingBelowV6()
    {
        using var batch = EveryTypeBatch();
        var rowSet = WriteAndRead(HiveResultEncoder.Encode(batch, ValueFormatter.Utc, TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V5));
        Assert.Null(rowSet.Columns);
        Assert.Equal(3, rowSet.Rows.Count);
        var row = rowSet.Rows[2].ColVals;
        Assert.Equal(EverySchema.Count, row.Count);
        Assert.False(row[0].BoolVal!.Value);
        Assert.Equal((sbyte)1, row[1].ByteVal!.Value);
        Assert.Equal((short)2000, row[2].I16Val!.Value);
        Assert.Equal(200_000, row[3].I32Val!.Value);
        Assert.Equal(2L << 40, row[4].I64Val!.Value);
        Assert.Equal(2.2, row[5].DoubleVal!.Value);
        Assert.Equal(5.0, row[6].DoubleVal!.Value);
        Assert.Equal("24.68", row[7].StringVal!.Value);
        Assert.Equal("text2", row[8].StringVal!.Value);
        Assert.Equal(Encoding.UTF8.GetString([2, 0xFF]), row[11].StringVal!.Value);
        Assert.Equal("2024-02-02", row[12].StringVal!.Value);
        Assert.Equal("2024-02-02 12:00:00.123", row[14].StringVal!.Value);
        Assert.Equal("[1,2,2]", row[17].StringVal!.Value);
        Assert.Null(row[20].StringVal!.Value);
        // The NULL row: every value unset, in the arm of its type.
        var nulls = rowSet.Rows[1].ColVals;
        Assert.NotNull(nulls[0].BoolVal);
        Assert.Null(nulls[0].BoolVal!.Value);
        Assert.Null(nulls[4].I64Val!.Value);
        Assert.Null(nulls[7].StringVal!.Value);
    }

    [Fact]
    public void SparkVersionsAreColumnar()
    {
        using var batch = EveryTypeBatch(1);
        Assert.NotNull(HiveResultEncoder.Encode(batch, ValueFormatter.Utc, TProtocolVersion.SPARK_CLI_SERVICE_PROTOCOL_V1).Columns);
        Assert.NotNull(HiveResultEncoder.Encode(batch, ValueFormatter.Utc, TProtocolVersion.SPARK_CLI_SERVICE_PROTOCOL_V9).Columns);
        Assert.Null(HiveResultEncoder.Encode(batch, ValueFormatter.Utc, TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V1).Columns);
    }

    [Fact]
    public void TypeDescriptorsUseHiveIdsAndQualifiers()
    {
        TPrimitiveTypeEntry Entry(SqlType t, TProtocolVersion v = TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V10)
        {
            var desc = HiveResultEncoder.ToTypeDesc(t, v);
            Assert.Single(desc.Types);
            return desc.Types[0].PrimitiveEntry!;
        }
        var expected = new Dictionary<SqlType, TTypeId>
        {
            [SqlType.Null] = TTypeId.NULL_TYPE,
            [SqlType.Boolean] = TTypeId.BOOLEAN_TYPE,
            [SqlType.TinyInt] = TTypeId.TINYINT_TYPE,
            [SqlType.SmallInt] = TTypeId.SMALLINT_TYPE,
            [SqlType.Int] = TTypeId.INT_TYPE,
            [SqlType.BigInt] = TTypeId.BIGINT_TYPE,
            [SqlType.Float] = TTypeId.FLOAT_TYPE,
            [SqlType.Double] = TTypeId.DOUBLE_TYPE,
            [SqlType.Decimal(38, 10)] = TTypeId.DECIMAL_TYPE,
            [SqlType.String] = TTypeId.STRING_TYPE,
            [SqlType.Varchar(20)] = TTypeId.VARCHAR_TYPE,
            [SqlType.Char(5)] = TTypeId.CHAR_TYPE,
            [SqlType.Binary] = TTypeId.BINARY_TYPE,
            [SqlType.Date] = TTypeId.DATE_TYPE,
            [SqlType.Time] = TTypeId.STRING_TYPE,
            [SqlType.Timestamp] = TTypeId.TIMESTAMP_TYPE,
            [SqlType.TimestampTz] = TTypeId.TIMESTAMP_TYPE,
            [SqlType.Interval] = TTypeId.STRING_TYPE,
            [SqlType.Array(SqlType.Int)] = TTypeId.ARRAY_TYPE,
            [SqlType.Map(SqlType.String, SqlType.Int)] = TTypeId.MAP_TYPE,
            [SqlType.Struct([new("a", SqlType.Int)])] = TTypeId.STRUCT_TYPE,
        };
        foreach (var (type, id) in expected) Assert.Equal(id, Entry(type).Type);

        var dec = Entry(SqlType.Decimal(38, 10)).TypeQualifiers!.Qualifiers;
        Assert.Equal(38, dec["precision"].I32Value);
        Assert.Equal(10, dec["scale"].I32Value);
        Assert.Equal(20, Entry(SqlType.Varchar(20)).TypeQualifiers!.Qualifiers["characterMaximumLength"].I32Value);
        Assert.Equal(5, Entry(SqlType.Char(5)).TypeQualifiers!.Qualifiers["characterMaximumLength"].I32Value);
        Assert.Null(Entry(SqlType.Int).TypeQualifiers);

        // TIMESTAMP WITH LOCAL TIME ZONE only for Hive V11+, never for Spark clients.
        Assert.Equal(TTypeId.TIMESTAMPLOCALTZ_TYPE, Entry(SqlType.TimestampTz, TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V11).Type);
        Assert.Equal(TTypeId.TIMESTAMP_TYPE, Entry(SqlType.TimestampTz, TProtocolVersion.SPARK_CLI_SERVICE_PROTOCOL_V9).Type);
        Assert.Equal(TTypeId.TIMESTAMP_TYPE, HiveResultEncoder.ToTypeDesc(SqlType.TimestampTz).Types[0].PrimitiveEntry!.Type);
        // Older clients: no VARCHAR before V3, no CHAR or decimal qualifiers before V4, unbounded VARCHAR is STRING.
        Assert.Equal(TTypeId.STRING_TYPE, Entry(SqlType.Varchar(20), TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V2).Type);
        Assert.Equal(TTypeId.VARCHAR_TYPE, Entry(SqlType.Varchar(20), TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V3).Type);
        Assert.Equal(TTypeId.STRING_TYPE, Entry(SqlType.Char(5), TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V3).Type);
        Assert.Null(Entry(SqlType.Decimal(10, 2), TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V3).TypeQualifiers);
        Assert.Equal(TTypeId.STRING_TYPE, Entry(SqlType.Varchar(0)).Type);
    }

    [Fact]
    public void TableSchemaAndBackToTypes()
    {
        var schema = HiveResultEncoder.ToTableSchema(EverySchema, TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V11);
        var back = RoundTrip(new TGetResultSetMetadataResp { Status = new TStatus(), Schema = schema }).Schema!;
        Assert.Equal(EverySchema.Count, back.Columns.Count);
        for (var i = 0; i < EverySchema.Count; i++)
        {
            Assert.Equal(EverySchema.Columns[i].Name, back.Columns[i].ColumnName);
            Assert.Equal(i + 1, back.Columns[i].Position);
        }
        SqlType From(int i) => HiveResultEncoder.FromTypeDesc(back.Columns[i].TypeDesc);
        Assert.Equal(SqlType.Boolean, From(0));
        Assert.Equal(SqlType.BigInt, From(4));
        Assert.Equal(SqlType.Float, From(5));
        Assert.Equal(SqlType.Decimal(10, 2), From(7));
        Assert.Equal(SqlType.Varchar(20), From(9));
        Assert.Equal(SqlType.Char(5), From(10));
        Assert.Equal(SqlType.Binary, From(11));
        Assert.Equal(SqlType.Date, From(12));
        Assert.Equal(SqlType.String, From(13));
        Assert.Equal(SqlType.Timestamp, From(14));
        Assert.Equal(SqlType.TimestampTz, From(15));
        Assert.Equal(SqlTypeKind.Array, From(17).Kind);
        Assert.Equal(SqlTypeKind.Map, From(18).Kind);
        Assert.Equal(SqlTypeKind.Struct, From(19).Kind);
        Assert.Equal(SqlType.Null, From(20));
    }

    [Fact]
    public void FromTypeDescFollowsNestedEntries()
    {
        var type = HiveResultEncoder.FromTypeDesc(HiveMessagesUnitTests.EveryTypeDescKind());
        Assert.Equal(SqlTypeKind.Struct, type.Kind);
        Assert.Equal(["a", "m", "u", "d", "x"], type.Fields.Select(f => f.Name));
        Assert.Equal(SqlType.Array(SqlType.Int), type.Fields[0].Type);
        Assert.Equal(SqlType.Map(SqlType.Varchar(20), SqlType.Int), type.Fields[1].Type);
        Assert.Equal(SqlType.String, type.Fields[2].Type); // union
        Assert.Equal(SqlType.Decimal(10, 2), type.Fields[3].Type);
        Assert.Equal(SqlType.String, type.Fields[4].Type); // user defined
        var cyclic = new TTypeDesc { Types = [new TTypeEntry { ArrayEntry = new TArrayTypeEntry { ObjectTypePtr = 0 } }] };
        Assert.Throws<ArgumentException>(() => HiveResultEncoder.FromTypeDesc(cyclic));
        var dangling = new TTypeDesc { Types = [new TTypeEntry { ArrayEntry = new TArrayTypeEntry { ObjectTypePtr = 5 } }] };
        Assert.Throws<ArgumentException>(() => HiveResultEncoder.FromTypeDesc(dangling));
    }

    [Fact]
    public void ProtocolLevels()
    {
        Assert.True(HiveProtocol.IsSpark(TProtocolVersion.SPARK_CLI_SERVICE_PROTOCOL_V1));
        Assert.False(HiveProtocol.IsSpark(TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V11));
        Assert.Equal(TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V8, HiveProtocol.HiveLevel(TProtocolVersion.SPARK_CLI_SERVICE_PROTOCOL_V1));
        Assert.Equal(TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V10, HiveProtocol.HiveLevel(TProtocolVersion.SPARK_CLI_SERVICE_PROTOCOL_V7));
        Assert.False(HiveProtocol.UsesColumnarResults(TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V5));
        Assert.True(HiveProtocol.UsesColumnarResults(TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V6));
        Assert.False(HiveProtocol.SupportsTimestampLocalTz(TProtocolVersion.SPARK_CLI_SERVICE_PROTOCOL_V9));
    }

    [Fact]
    public void FromColumnPicksThePhysicalCarrier()
    {
        Assert.Equal(TColumnKind.DoubleVal, TColumn.FromColumn(new PrimitiveColumn<float>(SqlType.Float, 1, [1f])).Kind);
        Assert.Equal(TColumnKind.I32Val, TColumn.FromColumn(new PrimitiveColumn<int>(SqlType.Date, 1, [1])).Kind);
        Assert.Equal(TColumnKind.BinaryVal, TColumn.FromColumn(new BinaryColumn(SqlType.Binary, 0, [0], [])).Kind);
        Assert.Equal(TColumnKind.StringVal, TColumn.FromColumn(new BinaryColumn(SqlType.Varchar(3), 0, [0], [])).Kind);
        Assert.Throws<NotSupportedException>(() => TColumn.FromColumn(new PrimitiveColumn<Int128>(SqlType.Decimal(10, 2), 1, [1])));
        Assert.Throws<ArgumentException>(() => new TColumn(TColumnKind.I64Val, new PrimitiveColumn<int>(SqlType.Int, 1, [1])));
        // A NULL column can travel in any arm: every value null.
        var nulls = Deserialize<TColumn>(Serialize(new TColumn(TColumnKind.I64Val, new NullColumn(9))));
        Assert.Equal(9, nulls.Column.NullCount);
        Assert.Equal(SqlType.BigInt, nulls.Column.Type);
    }
}
