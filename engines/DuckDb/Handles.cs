using System.Runtime.InteropServices;

namespace Gateway.Engines.DuckDb;

// Every native object this adapter owns is held by one of these SafeHandles, so a forgotten Dispose
// is still released by the finalizer and a handle in use by a P/Invoke call is never released under it.
// DuckDB's destroy functions take a pointer to the handle variable (they null it).

internal abstract class DuckDbHandle : SafeHandle
{
    protected DuckDbHandle() : base(IntPtr.Zero, ownsHandle: true) { }

    protected DuckDbHandle(IntPtr handle) : base(IntPtr.Zero, ownsHandle: true) => SetHandle(handle);

    public override bool IsInvalid => handle == IntPtr.Zero;
}

internal sealed class DatabaseHandle : DuckDbHandle
{
    public DatabaseHandle() { }
    public DatabaseHandle(IntPtr handle) : base(handle) { }

    protected override bool ReleaseHandle()
    {
        var h = handle;
        NativeMethods.duckdb_close(ref h);
        return true;
    }
}

internal sealed class ConnectionHandle : DuckDbHandle
{
    public ConnectionHandle() { }
    public ConnectionHandle(IntPtr handle) : base(handle) { }

    protected override bool ReleaseHandle()
    {
        var h = handle;
        NativeMethods.duckdb_disconnect(ref h);
        return true;
    }
}

internal sealed class ExtractedHandle : DuckDbHandle
{
    public ExtractedHandle() { }
    public ExtractedHandle(IntPtr handle) : base(handle) { }

    protected override bool ReleaseHandle()
    {
        var h = handle;
        NativeMethods.duckdb_destroy_extracted(ref h);
        return true;
    }
}

internal sealed class PreparedHandle : DuckDbHandle
{
    public PreparedHandle() { }
    public PreparedHandle(IntPtr handle) : base(handle) { }

    protected override bool ReleaseHandle()
    {
        var h = handle;
        NativeMethods.duckdb_destroy_prepare(ref h);
        return true;
    }
}

internal sealed class PendingHandle : DuckDbHandle
{
    public PendingHandle() { }
    public PendingHandle(IntPtr handle) : base(handle) { }

    protected override bool ReleaseHandle()
    {
        var h = handle;
        NativeMethods.duckdb_destroy_pending(ref h);
        return true;
    }
}

internal sealed class ChunkHandle : DuckDbHandle
{
    public ChunkHandle(IntPtr handle) : base(handle) { }

    protected override bool ReleaseHandle()
    {
        var h = handle;
        NativeMethods.duckdb_destroy_data_chunk(ref h);
        return true;
    }
}

/// <summary>
/// Owns a natively allocated duckdb_result (48 bytes, zeroed) so its address is stable for the
/// pointer-taking calls; duckdb_destroy_result must run even when execution failed.
/// </summary>
internal sealed unsafe class ResultHandle : DuckDbHandle
{
    public ResultHandle() : base((IntPtr)NativeMemory.AllocZeroed((nuint)sizeof(DuckDbResultStruct))) { }

    public DuckDbResultStruct* Pointer => (DuckDbResultStruct*)handle;

    protected override bool ReleaseHandle()
    {
        var p = (DuckDbResultStruct*)handle;
        NativeMethods.duckdb_destroy_result(p);
        NativeMemory.Free(p);
        return true;
    }
}
