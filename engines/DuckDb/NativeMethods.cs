using System.Runtime.InteropServices;

namespace Gateway.Engines.DuckDb;

// Facts from DuckDB's C API header (duckdb.h). Only the functions this adapter calls are bound.

internal enum DuckDbState
{
    Success = 0,
    Error = 1,
}

internal enum PendingState
{
    ResultReady = 0,
    ResultNotReady = 1,
    Error = 2,
    NoTasksAvailable = 3,
}

internal enum ResultType
{
    Invalid = 0,
    ChangedRows = 1,
    Nothing = 2,
    QueryResult = 3,
}

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

/// <summary>duckdb_result: six pointer-sized fields, 48 bytes, passed by pointer or (some calls) by value.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct DuckDbResultStruct
{
    public ulong DeprecatedColumnCount;
    public ulong DeprecatedRowCount;
    public ulong DeprecatedRowsChanged;
    public IntPtr DeprecatedColumns;
    public IntPtr DeprecatedErrorMessage;
    public IntPtr InternalData;
}

/// <summary>duckdb_query_progress_type.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct QueryProgress
{
    public double Percentage;
    public ulong RowsProcessed;
    public ulong TotalRowsToProcess;
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

/// <summary>duckdb_list_entry.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct ListEntry
{
    public ulong Offset;
    public ulong Length;
}

internal static unsafe partial class NativeMethods
{
    private const string Lib = "libduckdb";

    // Configuration and database
    [LibraryImport(Lib)]
    internal static partial DuckDbState duckdb_create_config(out IntPtr config);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial DuckDbState duckdb_set_config(IntPtr config, string name, string option);

    [LibraryImport(Lib)]
    internal static partial void duckdb_destroy_config(ref IntPtr config);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial DuckDbState duckdb_open_ext(string? path, out IntPtr database, IntPtr config, out IntPtr error);

    [LibraryImport(Lib)]
    internal static partial void duckdb_close(ref IntPtr database);

    [LibraryImport(Lib)]
    internal static partial DuckDbState duckdb_connect(DatabaseHandle database, out IntPtr connection);

    [LibraryImport(Lib)]
    internal static partial void duckdb_disconnect(ref IntPtr connection);

    [LibraryImport(Lib)]
    internal static partial void duckdb_interrupt(ConnectionHandle connection);

    [LibraryImport(Lib)]
    internal static partial QueryProgress duckdb_query_progress(ConnectionHandle connection);

    [LibraryImport(Lib)]
    internal static partial void duckdb_free(void* ptr);

    // Statements
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial ulong duckdb_extract_statements(ConnectionHandle connection, string query, out IntPtr extracted);

    [LibraryImport(Lib)]
    internal static partial DuckDbState duckdb_prepare_extracted_statement(ConnectionHandle connection, ExtractedHandle extracted, ulong index, out IntPtr prepared);

    [LibraryImport(Lib)]
    internal static partial IntPtr duckdb_extract_statements_error(ExtractedHandle extracted);

    [LibraryImport(Lib)]
    internal static partial void duckdb_destroy_extracted(ref IntPtr extracted);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial DuckDbState duckdb_prepare(ConnectionHandle connection, string query, out IntPtr prepared);

    [LibraryImport(Lib)]
    internal static partial IntPtr duckdb_prepare_error(PreparedHandle prepared);

    [LibraryImport(Lib)]
    internal static partial ulong duckdb_nparams(PreparedHandle prepared);

    // Parameter binding (index is 1-based)
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial DuckDbState duckdb_bind_parameter_index(PreparedHandle prepared, out ulong index, string name);

    [LibraryImport(Lib)]
    internal static partial DuckDbState duckdb_bind_null(PreparedHandle prepared, ulong index);

    [LibraryImport(Lib)]
    internal static partial DuckDbState duckdb_bind_boolean(PreparedHandle prepared, ulong index, [MarshalAs(UnmanagedType.U1)] bool value);

    [LibraryImport(Lib)]
    internal static partial DuckDbState duckdb_bind_int8(PreparedHandle prepared, ulong index, sbyte value);

    [LibraryImport(Lib)]
    internal static partial DuckDbState duckdb_bind_int16(PreparedHandle prepared, ulong index, short value);

    [LibraryImport(Lib)]
    internal static partial DuckDbState duckdb_bind_int32(PreparedHandle prepared, ulong index, int value);

    [LibraryImport(Lib)]
    internal static partial DuckDbState duckdb_bind_int64(PreparedHandle prepared, ulong index, long value);

    [LibraryImport(Lib)]
    internal static partial DuckDbState duckdb_bind_float(PreparedHandle prepared, ulong index, float value);

    [LibraryImport(Lib)]
    internal static partial DuckDbState duckdb_bind_double(PreparedHandle prepared, ulong index, double value);

    [LibraryImport(Lib)]
    internal static partial DuckDbState duckdb_bind_decimal(PreparedHandle prepared, ulong index, DuckDbDecimal value);

    [LibraryImport(Lib)]
    internal static partial DuckDbState duckdb_bind_varchar_length(PreparedHandle prepared, ulong index, byte* value, ulong length);

    [LibraryImport(Lib)]
    internal static partial DuckDbState duckdb_bind_blob(PreparedHandle prepared, ulong index, byte* value, ulong length);

    [LibraryImport(Lib)]
    internal static partial DuckDbState duckdb_bind_date(PreparedHandle prepared, ulong index, int days);

    [LibraryImport(Lib)]
    internal static partial DuckDbState duckdb_bind_time(PreparedHandle prepared, ulong index, long micros);

    [LibraryImport(Lib)]
    internal static partial DuckDbState duckdb_bind_timestamp(PreparedHandle prepared, ulong index, long micros);

    [LibraryImport(Lib)]
    internal static partial DuckDbState duckdb_bind_timestamp_tz(PreparedHandle prepared, ulong index, long micros);

    [LibraryImport(Lib)]
    internal static partial DuckDbState duckdb_bind_interval(PreparedHandle prepared, ulong index, DuckDbInterval value);

    [LibraryImport(Lib)]
    internal static partial StatementType duckdb_prepared_statement_type(PreparedHandle prepared);

    [LibraryImport(Lib)]
    internal static partial ulong duckdb_prepared_statement_column_count(PreparedHandle prepared);

    /// <remarks>The caller frees the returned string.</remarks>
    [LibraryImport(Lib)]
    internal static partial IntPtr duckdb_prepared_statement_column_name(PreparedHandle prepared, ulong column);

    [LibraryImport(Lib)]
    internal static partial IntPtr duckdb_prepared_statement_column_logical_type(PreparedHandle prepared, ulong column);

    [LibraryImport(Lib)]
    internal static partial void duckdb_destroy_prepare(ref IntPtr prepared);

    // Pending (incremental) execution
    [LibraryImport(Lib)]
    internal static partial DuckDbState duckdb_pending_prepared(PreparedHandle prepared, out IntPtr pending);

    [LibraryImport(Lib)]
    internal static partial DuckDbState duckdb_pending_prepared_streaming(PreparedHandle prepared, out IntPtr pending);

    [LibraryImport(Lib)]
    internal static partial IntPtr duckdb_pending_error(PendingHandle pending);

    [LibraryImport(Lib)]
    internal static partial PendingState duckdb_pending_execute_task(PendingHandle pending);

    [LibraryImport(Lib)]
    internal static partial PendingState duckdb_pending_execute_check_state(PendingHandle pending);

    [LibraryImport(Lib)]
    internal static partial DuckDbState duckdb_execute_pending(PendingHandle pending, DuckDbResultStruct* result);

    [LibraryImport(Lib)]
    internal static partial void duckdb_destroy_pending(ref IntPtr pending);

    // Results
    [LibraryImport(Lib)]
    internal static partial ulong duckdb_column_count(DuckDbResultStruct* result);

    [LibraryImport(Lib)]
    internal static partial IntPtr duckdb_column_name(DuckDbResultStruct* result, ulong column);

    [LibraryImport(Lib)]
    internal static partial IntPtr duckdb_column_logical_type(DuckDbResultStruct* result, ulong column);

    /// <remarks>Takes the struct by value.</remarks>
    [LibraryImport(Lib)]
    internal static partial ResultType duckdb_result_return_type(DuckDbResultStruct result);

    [LibraryImport(Lib)]
    internal static partial ulong duckdb_rows_changed(DuckDbResultStruct* result);

    [LibraryImport(Lib)]
    internal static partial IntPtr duckdb_result_error(DuckDbResultStruct* result);

    [LibraryImport(Lib)]
    internal static partial DuckDbErrorType duckdb_result_error_type(DuckDbResultStruct* result);

    [LibraryImport(Lib)]
    internal static partial void duckdb_destroy_result(DuckDbResultStruct* result);

    /// <remarks>Takes the struct by value; null at the end of the stream or on error (see duckdb_result_error).</remarks>
    [LibraryImport(Lib)]
    internal static partial IntPtr duckdb_fetch_chunk(DuckDbResultStruct result);

    // Chunks and vectors (owned by their chunk)
    [LibraryImport(Lib)]
    internal static partial ulong duckdb_data_chunk_get_size(IntPtr chunk);

    [LibraryImport(Lib)]
    internal static partial IntPtr duckdb_data_chunk_get_vector(IntPtr chunk, ulong column);

    [LibraryImport(Lib)]
    internal static partial void duckdb_destroy_data_chunk(ref IntPtr chunk);

    [LibraryImport(Lib)]
    internal static partial void* duckdb_vector_get_data(IntPtr vector);

    [LibraryImport(Lib)]
    internal static partial ulong* duckdb_vector_get_validity(IntPtr vector);

    [LibraryImport(Lib)]
    internal static partial IntPtr duckdb_list_vector_get_child(IntPtr vector);

    [LibraryImport(Lib)]
    internal static partial ulong duckdb_list_vector_get_size(IntPtr vector);

    [LibraryImport(Lib)]
    internal static partial IntPtr duckdb_struct_vector_get_child(IntPtr vector, ulong index);

    [LibraryImport(Lib)]
    internal static partial IntPtr duckdb_array_vector_get_child(IntPtr vector);

    // Logical types (each returned type is owned by the caller and destroyed)
    [LibraryImport(Lib)]
    internal static partial DuckDbTypeId duckdb_get_type_id(IntPtr type);

    [LibraryImport(Lib)]
    internal static partial byte duckdb_decimal_width(IntPtr type);

    [LibraryImport(Lib)]
    internal static partial byte duckdb_decimal_scale(IntPtr type);

    [LibraryImport(Lib)]
    internal static partial DuckDbTypeId duckdb_decimal_internal_type(IntPtr type);

    [LibraryImport(Lib)]
    internal static partial IntPtr duckdb_list_type_child_type(IntPtr type);

    [LibraryImport(Lib)]
    internal static partial IntPtr duckdb_array_type_child_type(IntPtr type);

    [LibraryImport(Lib)]
    internal static partial ulong duckdb_array_type_array_size(IntPtr type);

    [LibraryImport(Lib)]
    internal static partial IntPtr duckdb_map_type_key_type(IntPtr type);

    [LibraryImport(Lib)]
    internal static partial IntPtr duckdb_map_type_value_type(IntPtr type);

    [LibraryImport(Lib)]
    internal static partial ulong duckdb_struct_type_child_count(IntPtr type);

    [LibraryImport(Lib)]
    internal static partial IntPtr duckdb_struct_type_child_name(IntPtr type, ulong index);

    [LibraryImport(Lib)]
    internal static partial IntPtr duckdb_struct_type_child_type(IntPtr type, ulong index);

    [LibraryImport(Lib)]
    internal static partial ulong duckdb_union_type_member_count(IntPtr type);

    [LibraryImport(Lib)]
    internal static partial IntPtr duckdb_union_type_member_name(IntPtr type, ulong index);

    [LibraryImport(Lib)]
    internal static partial IntPtr duckdb_union_type_member_type(IntPtr type, ulong index);

    [LibraryImport(Lib)]
    internal static partial DuckDbTypeId duckdb_enum_internal_type(IntPtr type);

    [LibraryImport(Lib)]
    internal static partial uint duckdb_enum_dictionary_size(IntPtr type);

    [LibraryImport(Lib)]
    internal static partial IntPtr duckdb_enum_dictionary_value(IntPtr type, ulong index);

    [LibraryImport(Lib)]
    internal static partial void duckdb_destroy_logical_type(ref IntPtr type);

    /// <summary>A C string owned by DuckDB (not freed).</summary>
    internal static string? PtrToString(IntPtr p) => p == IntPtr.Zero ? null : Marshal.PtrToStringUTF8(p);

    /// <summary>A C string the caller owns: read, then duckdb_free.</summary>
    internal static string? TakeString(IntPtr p)
    {
        if (p == IntPtr.Zero) return null;
        try
        {
            return Marshal.PtrToStringUTF8(p);
        }
        finally
        {
            duckdb_free((void*)p);
        }
    }
}
