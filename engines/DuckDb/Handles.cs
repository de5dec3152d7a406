using System.Runtime.InteropServices;
using DuckDB.NET.Native;

namespace Gateway.Engines.DuckDb;

// Databases, connections, prepared and extracted statements, chunks and logical types are held by DuckDB.NET.Bindings'
// SafeHandles. These two are ours because the package has no pending-result API and binds duckdb_result as a managed
// struct passed by reference, while a streaming result must stay at one native address across calls and threads.

/// <summary>A duckdb_pending_result; a forgotten Dispose is still released by the finalizer.</summary>
internal sealed class PendingHandle : SafeHandle
{
    public PendingHandle(IntPtr handle) : base(IntPtr.Zero, ownsHandle: true) => SetHandle(handle);

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        var h = handle;
        MissingNativeMethods.duckdb_destroy_pending(ref h);
        return true;
    }
}

/// <summary>
/// Owns a natively allocated duckdb_result (48 bytes, zeroed) so its address is stable for the
/// pointer-taking calls; duckdb_destroy_result must run even when execution failed.
/// </summary>
internal sealed unsafe class ResultHandle : SafeHandle
{
    public ResultHandle() : base(IntPtr.Zero, ownsHandle: true) => SetHandle((IntPtr)NativeMemory.AllocZeroed((nuint)sizeof(DuckDBResult)));

    public override bool IsInvalid => handle == IntPtr.Zero;

    public DuckDBResult* Pointer => (DuckDBResult*)handle;

    /// <summary>The result, for the package's calls that take it by reference (the address stays this one).</summary>
    public ref DuckDBResult Ref => ref *(DuckDBResult*)handle;

    protected override bool ReleaseHandle()
    {
        var p = (DuckDBResult*)handle;
        NativeMethods.Query.DuckDBDestroyResult(ref *p);
        NativeMemory.Free(p);
        return true;
    }
}
