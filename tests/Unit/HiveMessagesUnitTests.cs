using System.Buffers;
using Gateway.Protocol.Columnar;
using Gateway.Protocol.Hive;
using Gateway.Protocol.Thrift;
using static Gateway.Tests.Unit.ThriftTestSupport;

namespace Gateway.Tests.Unit;

public class HiveMessagesUnitTests
{
    private static THandleIdentifier Handle(byte seed) => new() { Guid = [.. Enumerable.Repeat(seed, 16)], Secret = [.. Enumerable.Repeat((byte)(seed + 1), 16)] };

    private static TSessionHandle Session() => new() { SessionId = Handle(1) };

    private static TOperationHandle Operation() => new() { OperationId = Handle(3), OperationType = TOperationType.EXECUTE_STATEMENT, HasResultSet = true };

    private static TStatus Ok() => new() { StatusCode = TStatusCode.SUCCESS_STATUS };

    [Fact]
    public void OpenSessionRequestWithConfigurationAndVendorFields()
    {
        var req = new TOpenSessionReq
        {
            ClientProtocol = TProtocolVersion.SPARK_CLI_SERVICE_PROTOCOL_V7,
            Username = "alice",
            Password = "pw",
            Configuration = new() { ["use:database"] = "sales", ["set:hiveconf:hive.exec.x"] = "1" },
            GetInfos = [TGetInfoType.CLI_DBMS_VER, TGetInfoType.CLI_ODBC_KEYWORDS],
            ClientProtocolI64 = (long)TProtocolVersion.SPARK_CLI_SERVICE_PROTOCOL_V7,
            ConnectionProperties = new() { ["driver"] = "x" },
            InitialNamespace = new TNamespace { CatalogName = "main", SchemaName = "default" },
            CanUseMultipleCatalogs = true,
        };
        var back = RoundTrip(req);
        Assert.Equal(TProtocolVersion.SPARK_CLI_SERVICE_PROTOCOL_V7, back.ClientProtocol);
        Assert.Equal(42247, (int)back.ClientProtocol);
        Assert.Equal("alice", back.Username);
        Assert.Equal("pw", back.Password);
        Assert.Equal("sales", back.Configuration!["use:database"]);
        Assert.Equal(2, back.Configuration.Count);
        Assert.Equal([TGetInfoType.CLI_DBMS_VER, TGetInfoType.CLI_ODBC_KEYWORDS], back.GetInfos);
        Assert.Equal(42247L, back.ClientProtocolI64);
        Assert.Equal("x", back.ConnectionProperties!["driver"]);
        Assert.Equal("main", back.InitialNamespace!.CatalogName);
        Assert.Equal("default", back.InitialNamespace.SchemaName);
        Assert.True(back.CanUseMultipleCatalogs);
    }

    [Fact]
    public void VendorFieldIdsAreOnTheWire()
    {
        var bytes = Serialize(new TOpenSessionReq { ClientProtocolI64 = 7, CanUseMultipleCatalogs = false });
        var r = new ThriftReader(bytes, ThriftLimits.Default);
        r.ReadStructBegin();
        Assert.Equal(new ThriftFieldHeader(TType.I32, 1), r.ReadFieldBegin());
        r.ReadI32();
        Assert.Equal(new ThriftFieldHeader(TType.I64, 1282), r.ReadFieldBegin());
        r.ReadI64();
        Assert.Equal(new ThriftFieldHeader(TType.Bool, 1285), r.ReadFieldBegin());
    }

    [Fact]
    public void OpenSessionWithoutClientProtocolIsAccepted()
    {
        // Databricks drivers leave client_protocol unset and send client_protocol_i64 instead.
        var bytes = Bytes(w =>
        {
            w.WriteFieldBegin(TType.I64, 1282);
            w.WriteI64((long)TProtocolVersion.SPARK_CLI_SERVICE_PROTOCOL_V7);
            w.WriteFieldStop();
        });
        var req = Deserialize<TOpenSessionReq>(bytes);
        Assert.Equal(42247L, req.ClientProtocolI64);
    }

    [Fact]
    public void OpenSessionResponseKeepsUnknownEnumValues()
    {
        var resp = new TOpenSessionResp
        {
            Status = Ok(),
            ServerProtocolVersion = (TProtocolVersion)12345,
            SessionHandle = Session(),
            Configuration = new() { ["a"] = "b" },
            GetInfos = [new TGetInfoValue { StringValue = "Spark SQL" }, new TGetInfoValue { LenValue = 128 }],
            InitialNamespace = new TNamespace { SchemaName = "s" },
            CanUseMultipleCatalogs = true,
        };
        var back = RoundTrip(resp);
        Assert.Equal(12345, (int)back.ServerProtocolVersion);
        Assert.Equal(Handle(1).Guid, back.SessionHandle!.SessionId.Guid);
        Assert.Equal(Handle(1).Secret, back.SessionHandle.SessionId.Secret);
        Assert.Equal("Spark SQL", back.GetInfos![0].StringValue);
        Assert.Equal(128, back.GetInfos[1].LenValue);
        Assert.Null(back.GetInfos[1].StringValue);
    }

    [Fact]
    public void ExecuteStatementRequestWithSparkExtensions()
    {
        var req = new TExecuteStatementReq
        {
            SessionHandle = Session(),
            Statement = "SELECT :p",
            ConfOverlay = new() { ["k"] = "v" },
            RunAsync = true,
            QueryTimeout = 30,
            GetDirectResults = new TSparkGetDirectResults { MaxRows = 2048, MaxBytes = 1 << 20 },
            CanReadArrowResult = true,
            CanDownloadResult = false,
            CanDecompressLZ4Result = true,
            UseArrowNativeTypes = new TSparkArrowTypes { TimestampAsArrow = true, DecimalAsArrow = false, ComplexTypesAsArrow = true, IntervalTypesAsArrow = false, NullTypeAsArrow = true },
            ResultRowLimit = 100,
            Parameters =
            [
                new TSparkParameter { Ordinal = 1, Name = "p", Type = "INT", Value = new TSparkParameterValue { StringValue = "42" } },
                new TSparkParameter
                {
                    Name = "arr",
                    Type = "ARRAY",
                    Arguments = [new TSparkParameterValueArg { Type = "INT", Value = "1" }, new TSparkParameterValueArg { Type = "ARRAY", Arguments = [new TSparkParameterValueArg { Type = "INT", Value = "2" }] }],
                },
                new TSparkParameter { Value = new TSparkParameterValue { DoubleValue = 0.5 } },
                new TSparkParameter { Value = new TSparkParameterValue { BooleanValue = false } },
            ],
            ResultDataFormat = new TDBSqlResultFormat { ArrowFormat = new TDBSqlArrowFormat { ArrowLayout = TDBSqlArrowLayout.ARROW_STREAMING, CompressionCodec = TDBSqlCompressionCodec.LZ4_FRAME } },
        };
        var back = RoundTrip(req);
        Assert.Equal("SELECT :p", back.Statement);
        Assert.True(back.RunAsync);
        Assert.Equal(30, back.QueryTimeout);
        Assert.Equal(2048, back.GetDirectResults!.MaxRows);
        Assert.Equal(1 << 20, back.GetDirectResults.MaxBytes);
        Assert.True(back.CanReadArrowResult);
        Assert.False(back.CanDownloadResult);
        Assert.True(back.CanDecompressLZ4Result);
        Assert.True(back.UseArrowNativeTypes!.TimestampAsArrow);
        Assert.False(back.UseArrowNativeTypes.DecimalAsArrow);
        Assert.True(back.UseArrowNativeTypes.NullTypeAsArrow);
        Assert.Equal(100, back.ResultRowLimit);
        Assert.Equal(4, back.Parameters!.Count);
        Assert.Equal("42", back.Parameters[0].Value!.StringValue);
        Assert.Equal(1, back.Parameters[0].Ordinal);
        Assert.Equal("2", back.Parameters[1].Arguments![1].Arguments![0].Value);
        Assert.Equal(0.5, back.Parameters[2].Value!.DoubleValue);
        Assert.False(back.Parameters[3].Value!.BooleanValue);
        Assert.Equal(TDBSqlCompressionCodec.LZ4_FRAME, back.ResultDataFormat!.ArrowFormat!.CompressionCodec);
        // Optional fields that were not set stay unset.
        Assert.Null(new TExecuteStatementReq().RunAsync);
        Assert.Null(RoundTrip(new TExecuteStatementReq { SessionHandle = Session(), Statement = "x" }).GetDirectResults);
    }

    [Fact]
    public void RequiredFieldsAreChecked()
    {
        // TStatus without statusCode.
        var noCode = Bytes(w => { w.WriteFieldBegin(TType.String, 5); w.WriteString("boom"); w.WriteFieldStop(); });
        var ex = Assert.Throws<ThriftProtocolException>(() => Deserialize<TStatus>(noCode));
        Assert.Contains("statusCode", ex.Message, StringComparison.Ordinal);
        // TFetchResultsReq without maxRows.
        var fetch = Bytes(w =>
        {
            w.WriteFieldBegin(TType.Struct, 1);
            Operation().Write(w);
            w.WriteFieldBegin(TType.I32, 2);
            w.WriteI32(0);
            w.WriteFieldStop();
        });
        Assert.Contains("maxRows", Assert.Throws<ThriftProtocolException>(() => Deserialize<TFetchResultsReq>(fetch)).Message, StringComparison.Ordinal);
        // A required field with the wrong wire type is skipped, so it counts as missing.
        var wrongType = Bytes(w => { w.WriteFieldBegin(TType.String, 1); w.WriteString("0"); w.WriteFieldStop(); });
        Assert.Throws<ThriftProtocolException>(() => Deserialize<TStatus>(wrongType));
    }

    [Fact]
    public void UnknownFieldsOfEveryTypeAreSkipped()
    {
        var bytes = Bytes(w =>
        {
            w.WriteFieldBegin(TType.Struct, 9001);
            ThriftProtocolUnitTests.WriteEveryType(w, 3);
            w.WriteFieldBegin(TType.I32, 1);
            w.WriteI32((int)TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V6);
            w.WriteFieldBegin(TType.Map, 9002);
            w.WriteMapBegin(TType.String, TType.List, 1);
            w.WriteString("k");
            w.WriteListBegin(TType.Struct, 1);
            ThriftProtocolUnitTests.WriteEveryType(w, 1);
            w.WriteFieldBegin(TType.String, 2);
            w.WriteString("bob");
            foreach (var (type, id) in new[] { (TType.Bool, 9003), (TType.Byte, 9004), (TType.I16, 9005), (TType.I64, 9006), (TType.Double, 9007) })
            {
                w.WriteFieldBegin(type, (short)id);
                w.WriteRaw(new byte[type switch { TType.Bool or TType.Byte => 1, TType.I16 => 2, _ => 8 }]);
            }
            w.WriteFieldBegin(TType.Set, 9008);
            w.WriteSetBegin(TType.String, 1);
            w.WriteString("x");
            w.WriteFieldBegin(TType.String, 4); // known id, wrong type: skipped
            w.WriteString("not a map");
            w.WriteFieldStop();
        });
        var req = Deserialize<TOpenSessionReq>(bytes);
        Assert.Equal(TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V6, req.ClientProtocol);
        Assert.Equal("bob", req.Username);
        Assert.Null(req.Configuration);
    }

    [Fact]
    public void RecursiveParameterArgumentsAreDepthLimited()
    {
        TSparkParameterValueArg nested = new() { Type = "INT", Value = "1" };
        for (var i = 0; i < 100; i++) nested = new TSparkParameterValueArg { Type = "ARRAY", Arguments = [nested] };
        var bytes = Serialize(nested);
        var ex = Assert.Throws<ThriftProtocolException>(() => Deserialize<TSparkParameterValueArg>(bytes));
        Assert.Equal(ThriftProtocolError.DepthLimit, ex.Kind);
        Assert.NotNull(Deserialize<TSparkParameterValueArg>(bytes, ThriftLimits.Default with { MaxDepth = 1000 }).Arguments);
    }

    [Fact]
    public void UnionsMustHaveExactlyOneMember()
    {
        Assert.Throws<InvalidOperationException>(() => Serialize(new TGetInfoValue()));
        Assert.Throws<InvalidOperationException>(() => Serialize(new TGetInfoValue { StringValue = "a", LenValue = 1 }));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    public void GetInfoValueUnionArms(int arm)
    {
        var value = arm switch
        {
            1 => new TGetInfoValue { StringValue = "Spark SQL" },
            2 => new TGetInfoValue { SmallIntValue = -3 },
            3 => new TGetInfoValue { IntegerBitmask = 0x0F },
            4 => new TGetInfoValue { IntegerFlag = 1 },
            5 => new TGetInfoValue { BinaryValue = 9 },
            _ => new TGetInfoValue { LenValue = 128 },
        };
        var bytes = Serialize(new TGetInfoResp { Status = Ok(), InfoValue = value });
        var back = Deserialize<TGetInfoResp>(bytes).InfoValue;
        Assert.Equal(value.StringValue, back.StringValue);
        Assert.Equal(value.SmallIntValue, back.SmallIntValue);
        Assert.Equal(value.IntegerBitmask, back.IntegerBitmask);
        Assert.Equal(value.IntegerFlag, back.IntegerFlag);
        Assert.Equal(value.BinaryValue, back.BinaryValue);
        Assert.Equal(value.LenValue, back.LenValue);
        // The union's field id is the arm number.
        Assert.Equal(arm, Serialize(value)[2]);
    }

    [Fact]
    public void StatusRoundTrips()
    {
        var status = new TStatus
        {
            StatusCode = TStatusCode.ERROR_STATUS,
            InfoMessages = ["*org.apache.hive.service.cli.HiveSQLException:boom:0:0", "x"],
            SqlState = "42000",
            ErrorCode = 10001,
            ErrorMessage = "Table not found",
            DisplayMessage = "Table not found",
            ErrorDetailsJson = "{}",
        };
        var back = RoundTrip(status);
        Assert.Equal(TStatusCode.ERROR_STATUS, back.StatusCode);
        Assert.Equal(status.InfoMessages, back.InfoMessages);
        Assert.Equal("42000", back.SqlState);
        Assert.Equal(10001, back.ErrorCode);
        Assert.Equal("Table not found", back.ErrorMessage);
        Assert.Equal("{}", back.ErrorDetailsJson);
    }

    [Fact]
    public void GetOperationStatusResponseRoundTrips()
    {
        var resp = new TGetOperationStatusResp
        {
            Status = Ok(),
            OperationState = TOperationState.FINISHED_STATE,
            SqlState = "00000",
            ErrorCode = 0,
            ErrorMessage = "",
            TaskStatus = "[]",
            OperationStarted = 1_700_000_000_000,
            OperationCompleted = 1_700_000_000_500,
            HasResultSet = true,
            ProgressUpdateResponse = new TProgressUpdateResp
            {
                HeaderNames = ["VERTICES", "STATUS"],
                Rows = [["Map 1", "SUCCEEDED"], []],
                ProgressedPercentage = 1.0,
                Status = TJobExecutionStatus.COMPLETE,
                FooterSummary = "done",
                StartTime = 5,
            },
            NumModifiedRows = 17,
            DisplayMessage = "d",
            DiagnosticInfo = "trace",
            ErrorDetailsJson = "{\"a\":1}",
        };
        var back = RoundTrip(resp);
        Assert.Equal(TOperationState.FINISHED_STATE, back.OperationState);
        Assert.Equal(1_700_000_000_500, back.OperationCompleted);
        Assert.True(back.HasResultSet);
        Assert.Equal("SUCCEEDED", back.ProgressUpdateResponse!.Rows[0][1]);
        Assert.Empty(back.ProgressUpdateResponse.Rows[1]);
        Assert.Equal(TJobExecutionStatus.COMPLETE, back.ProgressUpdateResponse.Status);
        Assert.Equal(17, back.NumModifiedRows);
        Assert.Equal("trace", back.DiagnosticInfo);
    }

    internal static TTypeDesc EveryTypeDescKind() => new()
    {
        Types =
        [
            new TTypeEntry { StructEntry = new TStructTypeEntry { NameToTypePtr = new() { ["a"] = 1, ["m"] = 2, ["u"] = 5, ["d"] = 6, ["x"] = 7 } } },
            new TTypeEntry { ArrayEntry = new TArrayTypeEntry { ObjectTypePtr = 3 } },
            new TTypeEntry { MapEntry = new TMapTypeEntry { KeyTypePtr = 4, ValueTypePtr = 3 } },
            new TTypeEntry { PrimitiveEntry = new TPrimitiveTypeEntry { Type = TTypeId.INT_TYPE } },
            new TTypeEntry { PrimitiveEntry = new TPrimitiveTypeEntry { Type = TTypeId.VARCHAR_TYPE, TypeQualifiers = new TTypeQualifiers { Qualifiers = new() { ["characterMaximumLength"] = new TTypeQualifierValue { I32Value = 20 } } } } },
            new TTypeEntry { UnionEntry = new TUnionTypeEntry { NameToTypePtr = new() { ["i"] = 3 } } },
            new TTypeEntry { PrimitiveEntry = new TPrimitiveTypeEntry { Type = TTypeId.DECIMAL_TYPE, TypeQualifiers = new TTypeQualifiers { Qualifiers = new() { ["precision"] = new TTypeQualifierValue { I32Value = 10 }, ["scale"] = new TTypeQualifierValue { I32Value = 2 } } } } },
            new TTypeEntry { UserDefinedTypeEntry = new TUserDefinedTypeEntry { TypeClassName = "com.example.Geo" } },
        ],
    };

    [Fact]
    public void ResultSetMetadataWithEveryTypeDescKind()
    {
        var columns = new List<TColumnDesc>
        {
            new() { ColumnName = "nested", TypeDesc = EveryTypeDescKind(), Position = 1, Comment = "all kinds" },
            new() { ColumnName = "s", TypeDesc = new TTypeDesc { Types = [new TTypeEntry { PrimitiveEntry = new TPrimitiveTypeEntry { Type = TTypeId.STRING_TYPE, TypeQualifiers = new TTypeQualifiers { Qualifiers = new() { ["x"] = new TTypeQualifierValue { StringValue = "y" } } } } }] }, Position = 2 },
        };
        var resp = new TGetResultSetMetadataResp
        {
            Status = Ok(),
            Schema = new TTableSchema { Columns = columns },
            ResultFormat = TSparkRowSetType.ARROW_BASED_SET,
            Lz4Compressed = false,
            ArrowSchema = [1, 2, 3],
            CacheLookupResult = TCacheLookupResult.CACHE_MISS,
        };
        var back = RoundTrip(resp);
        var types = back.Schema!.Columns[0].TypeDesc.Types;
        Assert.Equal(8, types.Count);
        Assert.Equal(3, types[1].ArrayEntry!.ObjectTypePtr);
        Assert.Equal(4, types[2].MapEntry!.KeyTypePtr);
        Assert.Equal(20, types[4].PrimitiveEntry!.TypeQualifiers!.Qualifiers["characterMaximumLength"].I32Value);
        Assert.Equal(3, types[5].UnionEntry!.NameToTypePtr["i"]);
        Assert.Equal("com.example.Geo", types[7].UserDefinedTypeEntry!.TypeClassName);
        Assert.Equal(["a", "m", "u", "d", "x"], types[0].StructEntry!.NameToTypePtr.Keys);
        Assert.Equal("y", back.Schema.Columns[1].TypeDesc.Types[0].PrimitiveEntry!.TypeQualifiers!.Qualifiers["x"].StringValue);
        Assert.Equal("all kinds", back.Schema.Columns[0].Comment);
        Assert.Equal(TSparkRowSetType.ARROW_BASED_SET, back.ResultFormat);
        Assert.Equal(new byte[] { 1, 2, 3 }, back.ArrowSchema);
        Assert.Equal(TCacheLookupResult.CACHE_MISS, back.CacheLookupResult);
    }

    private static TRowSet ColumnarRowSet()
    {
        var bools = new BooleanColumn(3, [0b101]);
        bools.SetValidity([0b011], pooled: false);
        var bytes = new PrimitiveColumn<sbyte>(SqlType.TinyInt, 3, [-1, 0, 1]);
        var shorts = new PrimitiveColumn<short>(SqlType.SmallInt, 3, [-300, 0, 300]);
        shorts.SetValidity([0b110], pooled: false);
        var ints = new PrimitiveColumn<int>(SqlType.Int, 3, [int.MinValue, 0, int.MaxValue]);
        var longs = new PrimitiveColumn<long>(SqlType.BigInt, 3, [long.MinValue, 5, long.MaxValue]);
        longs.SetValidity([0b101], pooled: false);
        var doubles = new PrimitiveColumn<double>(SqlType.Double, 3, [double.NaN, -0.0, 1e-300]);
        var strings = new BinaryColumn(SqlType.String, 3, [0, 1, 1, 4], "aöb"u8.ToArray());
        strings.SetValidity([0b101], pooled: false);
        var binary = new BinaryColumn(SqlType.Binary, 3, [0, 2, 2, 3], [0, 255, 9]);
        return new TRowSet
        {
            StartRowOffset = 100,
            Columns = [TColumn.FromColumn(bools), TColumn.FromColumn(bytes), TColumn.FromColumn(shorts), TColumn.FromColumn(ints), TColumn.FromColumn(longs), TColumn.FromColumn(doubles), TColumn.FromColumn(strings), TColumn.FromColumn(binary)],
        };
    }

    [Fact]
    public void FetchResultsWithColumnarRowSetOfEveryKind()
    {
        var resp = new TFetchResultsResp { Status = Ok(), HasMoreRows = true, Results = ColumnarRowSet() };
        var back = RoundTrip(resp);
        var results = back.Results!;
        Assert.Equal(100, results.StartRowOffset);
        Assert.Empty(results.Rows);
        var c = results.Columns!;
        Assert.Equal([TColumnKind.BoolVal, TColumnKind.ByteVal, TColumnKind.I16Val, TColumnKind.I32Val, TColumnKind.I64Val, TColumnKind.DoubleVal, TColumnKind.StringVal, TColumnKind.BinaryVal], c.Select(x => x.Kind));

        var bools = Assert.IsType<BooleanColumn>(c[0].Column);
        Assert.Equal(SqlType.Boolean, bools.Type);
        Assert.True(bools.GetValue(0));
        Assert.False(bools.GetValue(1));
        Assert.True(bools.IsNull(2));
        Assert.False(bools.IsNull(0));

        Assert.Equal(new sbyte[] { -1, 0, 1 }, Assert.IsType<PrimitiveColumn<sbyte>>(c[1].Column).Span.ToArray());
        Assert.Equal(SqlType.TinyInt, c[1].Column.Type);
        var shorts = Assert.IsType<PrimitiveColumn<short>>(c[2].Column);
        Assert.True(shorts.IsNull(0));
        Assert.Equal((short)300, shorts.Values[2]);
        Assert.Equal(new[] { int.MinValue, 0, int.MaxValue }, Assert.IsType<PrimitiveColumn<int>>(c[3].Column).Span.ToArray());
        Assert.Null(c[3].Column.Validity);
        var longs = Assert.IsType<PrimitiveColumn<long>>(c[4].Column);
        Assert.Equal(SqlType.BigInt, longs.Type);
        Assert.True(longs.IsNull(1));
        Assert.Equal(long.MaxValue, longs.Values[2]);
        var doubles = Assert.IsType<PrimitiveColumn<double>>(c[5].Column).Values;
        Assert.True(double.IsNaN(doubles[0]));
        Assert.True(double.IsNegative(doubles[1]));
        Assert.Equal(1e-300, doubles[2]);
        var strings = Assert.IsType<BinaryColumn>(c[6].Column);
        Assert.Equal(SqlType.String, strings.Type);
        Assert.Equal("a", strings.GetString(0));
        Assert.True(strings.IsNull(1));
        Assert.Equal("öb", strings.GetString(2));
        var binary = Assert.IsType<BinaryColumn>(c[7].Column);
        Assert.Equal(SqlType.Binary, binary.Type);
        Assert.Equal(new byte[] { 0, 255 }, binary.GetBytes(0).ToArray());
        Assert.Equal(0, binary.GetBytes(1).Length);
        back.Results!.Dispose();
    }

    [Fact]
    public void NullsBitmapIsInvertedLsbFirstAndTrimmed()
    {
        // 10 rows, nulls at 1 and 3: one byte 0b0000_1010; no nulls: an empty binary.
        var ints = new PrimitiveColumn<int>(SqlType.Int, 10, new int[10]);
        var validity = new byte[] { 0xFF, 0x03 };
        validity[0] &= unchecked((byte)~0b1010);
        ints.SetValidity(validity, pooled: false);
        Assert.Equal(new byte[] { 0b0000_1010 }, ReadNulls(Serialize(TColumn.FromColumn(ints))));
        Assert.Empty(ReadNulls(Serialize(TColumn.FromColumn(new PrimitiveColumn<int>(SqlType.Int, 10, new int[10])))));
        // A null at row 9 needs the second byte.
        var late = new PrimitiveColumn<int>(SqlType.Int, 10, new int[10]);
        late.SetValidity([0xFF, 0x01], pooled: false);
        Assert.Equal(new byte[] { 0, 0b10 }, ReadNulls(Serialize(TColumn.FromColumn(late))));
    }

    private static byte[] ReadNulls(byte[] column)
    {
        var r = new ThriftReader(column, ThriftLimits.Default);
        r.ReadStructBegin();
        r.ReadFieldBegin();
        r.ReadStructBegin();
        Assert.Equal(TType.List, r.ReadFieldBegin().Type);
        var (elem, count) = r.ReadListBegin();
        for (var i = 0; i < count; i++) r.Skip(elem);
        Assert.Equal(new ThriftFieldHeader(TType.String, 2), r.ReadFieldBegin());
        return r.ReadBinary();
    }

    [Fact]
    public void ShortNullsBitmapMeansTrailingValuesPresent()
    {
        var bytes = Bytes(w =>
        {
            w.WriteFieldBegin(TType.Struct, 4); // i32Val
            w.WriteFieldBegin(TType.List, 1);
            w.WriteListBegin(TType.I32, 12);
            w.WriteI32Values(Enumerable.Range(0, 12).ToArray());
            w.WriteFieldBegin(TType.String, 2);
            w.WriteBinary([0b0000_0101]); // rows 0 and 2 null; rows 8..11 not covered
            w.WriteFieldStop();
            w.WriteFieldStop();
        });
        var column = Deserialize<TColumn>(bytes);
        Assert.Equal(TColumnKind.I32Val, column.Kind);
        Assert.Equal(12, column.Length);
        Assert.Equal(2, column.Column.NullCount);
        for (var i = 0; i < 12; i++) Assert.Equal(i is 0 or 2, column.Column.IsNull(i));
        // Bits beyond the row count are ignored.
        var extra = Bytes(w =>
        {
            w.WriteFieldBegin(TType.Struct, 1);
            w.WriteFieldBegin(TType.List, 1);
            w.WriteListBegin(TType.Bool, 2);
            w.WriteBool(true);
            w.WriteBool(true);
            w.WriteFieldBegin(TType.String, 2);
            w.WriteBinary([0b1111_1100, 0xFF]);
            w.WriteFieldStop();
            w.WriteFieldStop();
        });
        Assert.Null(Deserialize<TColumn>(extra).Column.Validity);
    }

    [Fact]
    public void ColumnWithoutNullsFieldIsRejected()
    {
        var bytes = Bytes(w =>
        {
            w.WriteFieldBegin(TType.Struct, 5);
            w.WriteFieldBegin(TType.List, 1);
            w.WriteListBegin(TType.I64, 0);
            w.WriteFieldStop();
            w.WriteFieldStop();
        });
        Assert.Contains("nulls", Assert.Throws<ThriftProtocolException>(() => Deserialize<TColumn>(bytes)).Message, StringComparison.Ordinal);
        var wrongElement = Bytes(w =>
        {
            w.WriteFieldBegin(TType.Struct, 5);
            w.WriteFieldBegin(TType.List, 1);
            w.WriteListBegin(TType.I32, 1);
            w.WriteI32(1);
            w.WriteFieldBegin(TType.String, 2);
            w.WriteBinary([]);
            w.WriteFieldStop();
            w.WriteFieldStop();
        });
        Assert.Throws<ThriftProtocolException>(() => Deserialize<TColumn>(wrongElement));
    }

    [Fact]
    public void FetchResultsWithRowBasedRows()
    {
        var rows = new List<TRow>
        {
            new()
            {
                ColVals =
                [
                    new TColumnValue { BoolVal = new TBoolValue { Value = true } },
                    new TColumnValue { ByteVal = new TByteValue { Value = -1 } },
                    new TColumnValue { I16Val = new TI16Value { Value = 7 } },
                    new TColumnValue { I32Val = new TI32Value { Value = 8 } },
                    new TColumnValue { I64Val = new TI64Value { Value = 9 } },
                    new TColumnValue { DoubleVal = new TDoubleValue { Value = 1.5 } },
                    new TColumnValue { StringVal = new TStringValue { Value = "x" } },
                ],
            },
            new() { ColVals = [new TColumnValue { BoolVal = new TBoolValue() }, new TColumnValue { StringVal = new TStringValue() }] },
        };
        var back = RoundTrip(new TFetchResultsResp { Status = Ok(), HasMoreRows = false, Results = new TRowSet { StartRowOffset = 0, Rows = rows } });
        var r = back.Results!.Rows;
        Assert.Null(back.Results.Columns);
        Assert.True(r[0].ColVals[0].BoolVal!.Value);
        Assert.Equal((sbyte)-1, r[0].ColVals[1].ByteVal!.Value);
        Assert.Equal((short)7, r[0].ColVals[2].I16Val!.Value);
        Assert.Equal(8, r[0].ColVals[3].I32Val!.Value);
        Assert.Equal(9, r[0].ColVals[4].I64Val!.Value);
        Assert.Equal(1.5, r[0].ColVals[5].DoubleVal!.Value);
        Assert.Equal("x", r[0].ColVals[6].StringVal!.Value);
        Assert.Null(r[1].ColVals[0].BoolVal!.Value);
        Assert.Null(r[1].ColVals[1].StringVal!.Value);
    }

    [Fact]
    public void RowSetVendorFieldsRoundTrip()
    {
        var rowSet = new TRowSet
        {
            StartRowOffset = 5,
            BinaryColumns = [1, 2],
            ColumnCount = 3,
            ArrowBatches = [new TSparkArrowBatch { Batch = [9, 9], RowCount = 2 }],
            ResultLinks = [new TSparkArrowResultLink { FileLink = "https://x", ExpiryTime = 1, StartRowOffset = 0, RowCount = 10, BytesNum = 100, HttpHeaders = new() { ["h"] = "v" } }],
            CloudFetchResults = [new TDBSqlCloudResultFile { FilePath = "p", RowCount = 1 }],
            SmallInlineCloudResult = [4],
            RowCount = 77,
        };
        var back = RoundTrip(rowSet);
        Assert.Equal(new byte[] { 9, 9 }, back.ArrowBatches![0].Batch);
        Assert.Equal(2, back.ArrowBatches[0].RowCount);
        Assert.Equal("v", back.ResultLinks![0].HttpHeaders!["h"]);
        Assert.Equal("p", back.CloudFetchResults![0].FilePath);
        Assert.Equal(77, back.RowCount);
        Assert.Equal(3, back.ColumnCount);
        Assert.Equal(new byte[] { 1, 2 }, back.BinaryColumns);
        // rows is required even for columnar results.
        var noRows = Bytes(w => { w.WriteFieldBegin(TType.I64, 1); w.WriteI64(0); w.WriteFieldStop(); });
        Assert.Throws<ThriftProtocolException>(() => Deserialize<TRowSet>(noRows));
    }

    [Fact]
    public void DirectResultsRoundTrip()
    {
        var resp = new TExecuteStatementResp
        {
            Status = Ok(),
            OperationHandle = Operation(),
            DirectResults = new TSparkDirectResults
            {
                OperationStatus = new TGetOperationStatusResp { Status = Ok(), OperationState = TOperationState.FINISHED_STATE, HasResultSet = true },
                ResultSetMetadata = new TGetResultSetMetadataResp
                {
                    Status = Ok(),
                    Schema = HiveResultEncoder.ToTableSchema(new ResultSchema([new("id", SqlType.BigInt), new("name", SqlType.Varchar(10))]), TProtocolVersion.SPARK_CLI_SERVICE_PROTOCOL_V7),
                    ResultFormat = TSparkRowSetType.COLUMN_BASED_SET,
                },
                ResultSet = new TFetchResultsResp { Status = Ok(), HasMoreRows = false, Results = ColumnarRowSet() },
                CloseOperation = new TCloseOperationResp { Status = Ok() },
            },
        };
        var back = RoundTrip(resp);
        var direct = back.DirectResults!;
        Assert.Equal(TOperationState.FINISHED_STATE, direct.OperationStatus!.OperationState);
        Assert.Equal("name", direct.ResultSetMetadata!.Schema!.Columns[1].ColumnName);
        Assert.Equal(2, direct.ResultSetMetadata.Schema.Columns[1].Position);
        Assert.Equal(8, direct.ResultSet!.Results!.Columns!.Count);
        Assert.Equal(TStatusCode.SUCCESS_STATUS, direct.CloseOperation!.Status.StatusCode);
        Assert.True(back.OperationHandle!.HasResultSet);
        Assert.Null(back.OperationHandle.ModifiedRowCount);
    }

    [Fact]
    public void EveryRequestAndResponseRoundTrips()
    {
        var get = new TSparkGetDirectResults { MaxRows = 10 };
        IThriftStruct[] messages =
        [
            new TCloseSessionReq { SessionHandle = Session() },
            new TCloseSessionResp { Status = Ok() },
            new TGetInfoReq { SessionHandle = Session(), InfoType = TGetInfoType.CLI_DBMS_VER },
            new TGetTypeInfoReq { SessionHandle = Session(), GetDirectResults = get, RunAsync = true },
            new TGetTypeInfoResp { Status = Ok(), OperationHandle = Operation() },
            new TGetCatalogsReq { SessionHandle = Session() },
            new TGetCatalogsResp { Status = Ok() },
            new TGetSchemasReq { SessionHandle = Session(), CatalogName = "c", SchemaName = "s%" },
            new TGetSchemasResp { Status = Ok() },
            new TGetTablesReq { SessionHandle = Session(), CatalogName = "c", SchemaName = "s", TableName = "t_", TableTypes = ["TABLE", "VIEW"], GetDirectResults = get },
            new TGetTablesResp { Status = Ok(), OperationHandle = Operation() },
            new TGetTableTypesReq { SessionHandle = Session() },
            new TGetTableTypesResp { Status = Ok() },
            new TGetColumnsReq { SessionHandle = Session(), CatalogName = "c", SchemaName = "s", TableName = "t", ColumnName = "%" },
            new TGetColumnsResp { Status = Ok() },
            new TGetFunctionsReq { SessionHandle = Session(), FunctionName = "f%" },
            new TGetFunctionsResp { Status = Ok() },
            new TGetPrimaryKeysReq { SessionHandle = Session(), TableName = "t" },
            new TGetPrimaryKeysResp { Status = Ok() },
            new TGetCrossReferenceReq { SessionHandle = Session(), ParentTableName = "p", ForeignTableName = "f", ForeignSchemaName = "s" },
            new TGetCrossReferenceResp { Status = Ok() },
            new TGetOperationStatusReq { OperationHandle = Operation(), GetProgressUpdate = true },
            new TCancelOperationReq { OperationHandle = Operation() },
            new TCancelOperationResp { Status = Ok() },
            new TCloseOperationReq { OperationHandle = Operation() },
            new TGetResultSetMetadataReq { OperationHandle = Operation() },
            new TFetchResultsReq { OperationHandle = Operation(), Orientation = TFetchOrientation.FETCH_FIRST, MaxRows = 1000, FetchType = 1, MaxBytes = 5, StartRowOffset = 1, IncludeResultSetMetadata = true },
            new TGetDelegationTokenReq { SessionHandle = Session(), Owner = "o", Renewer = "r" },
            new TGetDelegationTokenResp { Status = Ok(), DelegationToken = "tok" },
            new TCancelDelegationTokenReq { SessionHandle = Session(), DelegationToken = "tok" },
            new TCancelDelegationTokenResp { Status = Ok() },
            new TRenewDelegationTokenReq { SessionHandle = Session(), DelegationToken = "tok" },
            new TRenewDelegationTokenResp { Status = Ok() },
            new TGetQueryIdReq { OperationHandle = Operation() },
            new TGetQueryIdResp { QueryId = "hive_20240131_1" },
            new TSetClientInfoReq { SessionHandle = Session(), Configuration = new() { ["ApplicationName"] = "Tableau" } },
            new TSetClientInfoResp { Status = Ok() },
            new TStatementConf { Sessionless = true, InitialNamespace = new TNamespace(), ClientProtocol = TProtocolVersion.SPARK_CLI_SERVICE_PROTOCOL_V9, ClientProtocolI64 = 42249 },
        ];
        foreach (var message in messages)
        {
            var bytes = Serialize(message);
            var back = (IThriftStruct)Activator.CreateInstance(message.GetType())!;
            var r = new ThriftReader(bytes, ThriftLimits.Default);
            back.Read(ref r);
            Assert.Equal(bytes.Length, r.Position);
            Assert.Equal(bytes, Serialize(back));
        }
    }
}
