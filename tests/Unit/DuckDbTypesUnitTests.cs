using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Gateway.Engines;
using Gateway.Engines.DuckDb;
using Gateway.Protocol.Columnar;

namespace Gateway.Tests.Unit;

public class DuckDbTypesUnitTests
{
    public static TheoryData<DuckDbTypeId, string> Scalars => new()
    {
        { DuckDbTypeId.Boolean, "boolean" },
        { DuckDbTypeId.TinyInt, "tinyint" },
        { DuckDbTypeId.SmallInt, "smallint" },
        { DuckDbTypeId.Integer, "int" },
        { DuckDbTypeId.BigInt, "bigint" },
        { DuckDbTypeId.UTinyInt, "smallint" },
        { DuckDbTypeId.USmallInt, "int" },
        { DuckDbTypeId.UInteger, "bigint" },
        { DuckDbTypeId.UBigInt, "decimal(20,0)" },
        { DuckDbTypeId.HugeInt, "decimal(38,0)" },
        { DuckDbTypeId.UHugeInt, "decimal(38,0)" },
        { DuckDbTypeId.Float, "float" },
        { DuckDbTypeId.Double, "double" },
        { DuckDbTypeId.Varchar, "string" },
        { DuckDbTypeId.Blob, "binary" },
        { DuckDbTypeId.Date, "date" },
        { DuckDbTypeId.Time, "time" },
        { DuckDbTypeId.TimeNs, "time" },
        { DuckDbTypeId.TimeTz, "string" },
        { DuckDbTypeId.Timestamp, "timestamp" },
        { DuckDbTypeId.TimestampS, "timestamp" },
        { DuckDbTypeId.TimestampMs, "timestamp" },
        { DuckDbTypeId.TimestampNs, "timestamp" },
        { DuckDbTypeId.TimestampTz, "timestamp with local time zone" },
        { DuckDbTypeId.Interval, "interval" },
        { DuckDbTypeId.Uuid, "string" },
        { DuckDbTypeId.SqlNull, "void" },
    };

    [Theory]
    [MemberData(nameof(Scalars))]
    public void ScalarTypesMapToHiveTypes(DuckDbTypeId id, string hive) =>
        Assert.Equal(hive, DuckDbTypes.ToSqlType(DuckDbLogicalType.Of(id)).ToString());

    [Fact]
    public void NestedTypesMapRecursively()
    {
        var type = DuckDbLogicalType.Struct(
            new DuckDbField("id", DuckDbLogicalType.Of(DuckDbTypeId.UInteger)),
            new DuckDbField("tags", DuckDbLogicalType.List(DuckDbLogicalType.Enum("a", "b"))),
            new DuckDbField("xy", DuckDbLogicalType.Array(DuckDbLogicalType.Of(DuckDbTypeId.Double), 2)),
            new DuckDbField("m", DuckDbLogicalType.Map(DuckDbLogicalType.Of(DuckDbTypeId.Varchar), DuckDbLogicalType.Decimal(9, 2))),
            new DuckDbField("u", DuckDbLogicalType.Union(new DuckDbField("n", DuckDbLogicalType.Of(DuckDbTypeId.Integer)), new DuckDbField("s", DuckDbLogicalType.Of(DuckDbTypeId.Varchar)))));
        Assert.Equal("struct<id:bigint,tags:array<string>,xy:array<double>,m:map<string,decimal(9,2)>,u:struct<n:int,s:string>>",
            DuckDbTypes.ToSqlType(type).ToString());
        Assert.True(DuckDbTypes.IsSupported(type));
    }

    [Theory]
    [InlineData(DuckDbTypeId.Bit)]
    [InlineData(DuckDbTypeId.Bignum)]
    [InlineData(DuckDbTypeId.Geometry)]
    [InlineData(DuckDbTypeId.Variant)]
    public void TypesWithoutMappingAreNamedOrBecomeStrings(DuckDbTypeId id)
    {
        var type = DuckDbLogicalType.Of(id);
        Assert.False(DuckDbTypes.IsSupported(type));
        var e = Assert.Throws<EngineException>(() => DuckDbTypes.ToSqlType(type));
        Assert.Contains(id.ToString().ToUpperInvariant(), e.Message, StringComparison.Ordinal);
        Assert.Equal(SqlType.String, DuckDbTypes.ToSqlTypeOrString(type));
        // Nested anywhere, the whole column falls back.
        Assert.False(DuckDbTypes.IsSupported(DuckDbLogicalType.List(type)));
        Assert.Equal(SqlType.String, DuckDbTypes.ToSqlTypeOrString(DuckDbLogicalType.Map(DuckDbLogicalType.Of(DuckDbTypeId.Integer), type)));
    }

    [Fact]
    public void NativeStructsHaveTheHeaderLayout()
    {
        // The package's structs that cross the boundary by address (ResultHandle allocates the result natively).
        Assert.Equal(48, Unsafe.SizeOf<DuckDB.NET.Native.DuckDBResult>());
        Assert.Equal(24, Unsafe.SizeOf<DuckDB.NET.Native.DuckDBQueryProgress>());
        Assert.Equal(16, Unsafe.SizeOf<DuckDB.NET.Native.DuckDBListEntry>());
        // Ours, for the binds the package lacks.
        Assert.Equal(24, Unsafe.SizeOf<DuckDbDecimal>());
        Assert.Equal(16, Unsafe.SizeOf<DuckDbInterval>());
        // Copied as is from DuckDB vectors: duckdb_interval and duckdb_hugeint.
        Assert.Equal(16, Unsafe.SizeOf<IntervalValue>());
        var interval = new IntervalValue(1, 2, 3);
        var raw = Unsafe.As<IntervalValue, CInterval>(ref interval);
        Assert.Equal((1, 2, 3L), (raw.Months, raw.Days, raw.Micros));
        var huge = (Int128)(-5);
        var words = Unsafe.As<Int128, CHugeInt>(ref huge);
        Assert.Equal(ulong.MaxValue - 4, words.Lower);
        Assert.Equal(-1L, words.Upper);
    }

    // The C header's duckdb_interval and duckdb_hugeint.
    [StructLayout(LayoutKind.Sequential)]
    private struct CInterval
    {
        public int Months;
        public int Days;
        public long Micros;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct CHugeInt
    {
        public ulong Lower;
        public long Upper;
    }

    [Theory]
    [InlineData("Parser Error: syntax error at or near \"SELEC\"", DuckDbErrorType.Parser, "42000")]
    [InlineData("Catalog Error: Table with name nope does not exist!", DuckDbErrorType.Catalog, "42S02")]
    [InlineData("Catalog Error: Schema with name x does not exist!", DuckDbErrorType.Catalog, "42000")]
    [InlineData("Catalog Error: Table with name t already exists!", DuckDbErrorType.Catalog, "42S01")]
    [InlineData("Binder Error: Referenced column \"x\" not found in FROM clause!", DuckDbErrorType.Binder, "42S22")]
    [InlineData("Conversion Error: Could not convert string 'abc' to INT32", DuckDbErrorType.Conversion, "22018")]
    [InlineData("Constraint Error: Duplicate key \"a: 1\" violates primary key constraint.", DuckDbErrorType.Constraint, "23000")]
    [InlineData("INTERRUPT Error: Interrupted!", DuckDbErrorType.Interrupt, "HY008")]
    [InlineData("Out of Range Error: Overflow in multiplication", DuckDbErrorType.OutOfRange, "22003")]
    [InlineData("Invalid Input Error: bad", DuckDbErrorType.InvalidInput, "22023")]
    [InlineData("TransactionContext Error: Catalog write-write conflict on create with \"t\"", DuckDbErrorType.Transaction, "40001")]
    [InlineData("something without a prefix", DuckDbErrorType.Invalid, "HY000")]
    public void ErrorsMapToSqlStates(string message, DuckDbErrorType type, string sqlState)
    {
        Assert.Equal(type, DuckDbErrors.TypeFromMessage(message));
        var e = DuckDbErrors.Create(message);
        Assert.Equal(sqlState, e.SqlState);
        Assert.Equal((int)type, e.ErrorCode);
        Assert.Equal(type == DuckDbErrorType.Transaction, e.Retryable);
        Assert.Equal(message, e.Message);
    }
}
