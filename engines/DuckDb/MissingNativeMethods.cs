using System.Runtime.InteropServices;
using System.Runtime.InteropServices.Marshalling;
using DuckDB.NET.Native;

namespace Gateway.Engines.DuckDb;

// DuckDB's C API comes from DuckDB.NET.Bindings (DuckDB.NET.Native.NativeMethods: databases, connections, prepared and
// extracted statements, results, chunks, vectors, logical types, its SafeHandles). This file holds only what that
// package lacks or gets wrong for libduckdb 1.5, from DuckDB's C API header (duckdb.h):
// - the pending-result API (duckdb_pending_prepared[_streaming], duckdb_pending_execute_task, duckdb_execute_pending):
//   it runs a query task by task on our worker thread, which is what makes cancellation and interruption prompt;
// - the prepared statement's own type and result columns (duckdb_prepared_statement_type/_column_*), read before
//   executing to choose the VARCHAR cast fallback;
// - binds it lacks or that would copy: decimal, interval, timestamp with time zone, varchar and blob from a pointer
//   and a length (the package's take a string or a byte[]);
// - UNION member types;
// - the enums, because the package's stop short of libduckdb 1.5: its duckdb_type ends at SQLNULL (36: no TIME_NS,
//   GEOMETRY, VARIANT), its duckdb_error_type at SEQUENCE (41: no INVALID_CONFIGURATION), and its statement types
//   carry a SHOW (18) that duckdb.h does not have, which shifts CALL, SET and LOAD by one.

/// <summary>duckdb_pending_state.</summary>
internal enum PendingState
{
    ResultReady = 0,
    ResultNotReady = 1,
    Error = 2,
    NoTasksAvailable = 3,
}

/// <summary>duckdb_statement_type (only the values read here).</summary>
internal enum StatementType
{
    Invalid = 0,
    Select = 1,
    Set = 20,
    VariableSet = 13,
}

/// <summary>duckdb_error_type.</summary>
public enum DuckDbErrorType
{
    Invalid = 0,
    OutOfRange = 1,
    Conversion = 2,
    UnknownType = 3,
    Decimal = 4,
    MismatchType = 5,
    DivideByZero = 6,
    ObjectSize = 7,
    InvalidType = 8,
    Serialization = 9,
    Transaction = 10,
    NotImplemented = 11,
    Expression = 12,
    Catalog = 13,
    Parser = 14,
    Planner = 15,
    Scheduler = 16,
    Executor = 17,
    Constraint = 18,
    Index = 19,
    Stat = 20,
    Connection = 21,
    Syntax = 22,
    Settings = 23,
    Binder = 24,
    Network = 25,
    Optimizer = 26,
    NullPointer = 27,
    IO = 28,
    Interrupt = 29,
    Fatal = 30,
    Internal = 31,
    InvalidInput = 32,
    OutOfMemory = 33,
    Permission = 34,
    ParameterNotResolved = 35,
    ParameterNotAllowed = 36,
    Dependency = 37,
    Http = 38,
    MissingExtension = 39,
    Autoload = 40,
    Sequence = 41,
    InvalidConfiguration = 42,
}

/// <summary>duckdb_type.</summary>
public enum DuckDbTypeId
{
    Invalid = 0,
    Boolean = 1,
    TinyInt = 2,
    SmallInt = 3,
    Integer = 4,
    BigInt = 5,
    UTinyInt = 6,
    USmallInt = 7,
    UInteger = 8,
    UBigInt = 9,
    Float = 10,
    Double = 11,
    Timestamp = 12,
    Date = 13,
    Time = 14,
    Interval = 15,
    HugeInt = 16,
    Varchar = 17,
    Blob = 18,
    Decimal = 19,
    TimestampS = 20,
    TimestampMs = 21,
    TimestampNs = 22,
    Enum = 23,
    List = 24,
    Struct = 25,
    Map = 26,
    Uuid = 27,
    Union = 28,
    Bit = 29,
    TimeTz = 30,
    TimestampTz = 31,
    UHugeInt = 32,
    Array = 33,
    Any = 34,
    Bignum = 35,
    SqlNull = 36,
    StringLiteral = 37,
    IntegerLiteral = 38,
    TimeNs = 39,
    Geometry = 40,
    Variant = 41,
}

/// <summary>duckdb_decimal: width, scale, then a 16-byte hugeint (8-aligned).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct DuckDbDecimal
{
    public byte Width;
    public byte Scale;
    public ulong Lower;
    public long Upper;
}

/// <summary>duckdb_interval.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct DuckDbInterval
{
    public int Months;
    public int Days;
    public long Micros;
}

internal static unsafe partial class MissingNativeMethods
{
    private const string Lib = "duckdb";

    // Prepared statements
    [LibraryImport(Lib)]
    internal static partial StatementType duckdb_prepared_statement_type(DuckDBPreparedStatement prepared);

    [LibraryImport(Lib)]
    internal static partial ulong duckdb_prepared_statement_column_count(DuckDBPreparedStatement prepared);

    [LibraryImport(Lib)]
    [return: MarshalUsing(typeof(DuckDBCallerOwnedStringMarshaller))]
    internal static partial string? duckdb_prepared_statement_column_name(DuckDBPreparedStatement prepared, ulong column);

    [LibraryImport(Lib)]
    internal static partial DuckDBLogicalType duckdb_prepared_statement_column_logical_type(DuckDBPreparedStatement prepared, ulong column);

    // Binds (index is 1-based)
    [LibraryImport(Lib)]
    internal static partial DuckDBState duckdb_bind_decimal(DuckDBPreparedStatement prepared, ulong index, DuckDbDecimal value);

    [LibraryImport(Lib)]
    internal static partial DuckDBState duckdb_bind_varchar_length(DuckDBPreparedStatement prepared, ulong index, byte* value, ulong length);

    [LibraryImport(Lib)]
    internal static partial DuckDBState duckdb_bind_blob(DuckDBPreparedStatement prepared, ulong index, byte* value, ulong length);

    [LibraryImport(Lib)]
    internal static partial DuckDBState duckdb_bind_timestamp_tz(DuckDBPreparedStatement prepared, ulong index, long micros);

    [LibraryImport(Lib)]
    internal static partial DuckDBState duckdb_bind_interval(DuckDBPreparedStatement prepared, ulong index, DuckDbInterval value);

    // Pending (incremental) execution
    [LibraryImport(Lib)]
    internal static partial DuckDBState duckdb_pending_prepared(DuckDBPreparedStatement prepared, out IntPtr pending);

    [LibraryImport(Lib)]
    internal static partial DuckDBState duckdb_pending_prepared_streaming(DuckDBPreparedStatement prepared, out IntPtr pending);

    [LibraryImport(Lib)]
    [return: MarshalUsing(typeof(DuckDBOwnedStringMarshaller))]
    internal static partial string? duckdb_pending_error(PendingHandle pending);

    [LibraryImport(Lib)]
    internal static partial PendingState duckdb_pending_execute_task(PendingHandle pending);

    [LibraryImport(Lib)]
    internal static partial DuckDBState duckdb_execute_pending(PendingHandle pending, DuckDBResult* result);

    [LibraryImport(Lib)]
    internal static partial void duckdb_destroy_pending(ref IntPtr pending);

    // UNION types
    [LibraryImport(Lib)]
    internal static partial ulong duckdb_union_type_member_count(DuckDBLogicalType type);

    [LibraryImport(Lib)]
    [return: MarshalUsing(typeof(DuckDBCallerOwnedStringMarshaller))]
    internal static partial string? duckdb_union_type_member_name(DuckDBLogicalType type, ulong index);

    [LibraryImport(Lib)]
    internal static partial DuckDBLogicalType duckdb_union_type_member_type(DuckDBLogicalType type, ulong index);
}
