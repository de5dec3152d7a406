using Gateway.Engines;
using Gateway.Protocol.Arrow;
using Gateway.Protocol.Columnar;

namespace Gateway.Server.Operations;

/// <summary>
/// The disk every spooled result shares (<c>Limits:Spool</c>): a folder of the data folder that no SQL can reach (the
/// DuckDB sandbox allows only <c>files/</c> and its own files), and two byte budgets, one result's and all results'
/// together. Files are created owner-only and deleted when their result is closed (and at start).
/// </summary>
public sealed class SpoolStore
{
    private long _used;

    public SpoolStore(string folder, long maxBytesPerResult, long maxBytes)
    {
        Folder = folder;
        MaxBytesPerResult = maxBytesPerResult;
        MaxBytes = maxBytes;
    }

    public string Folder { get; }
    public long MaxBytesPerResult { get; }
    public long MaxBytes { get; }

    /// <summary>Bytes the spooled results hold now.</summary>
    public long UsedBytes => Interlocked.Read(ref _used);

    /// <summary>Creates the folder, removing files a previous process left (their results died with it).</summary>
    public void Prepare()
    {
        Directory.CreateDirectory(Folder);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(Folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        foreach (var stale in Directory.EnumerateFiles(Folder, "*.arrows")) File.Delete(stale);
    }

    internal bool TryReserve(long bytes)
    {
        while (true)
        {
            var used = Interlocked.Read(ref _used);
            if (used + bytes > MaxBytes) return false;
            if (Interlocked.CompareExchange(ref _used, used + bytes, used) == used) return true;
        }
    }

    internal void Return(long bytes) => Interlocked.Add(ref _used, -bytes);
}

/// <summary>Spooling stopped at a byte budget; the message says which.</summary>
public sealed class SpoolFullException(string message) : Exception(message);

/// <summary>
/// The rest of a result, read from its engine into a spool file (Arrow IPC, types as they are) so that the engine's slot
/// and session go back while a slow client still gets every row. Reads hand out exactly the rows asked for until the
/// end, as an engine result does. Not thread-safe (its operation's fetch gate orders the calls).
/// </summary>
internal sealed class ResultSpool : IQueryResult
{
    private readonly SpoolStore _store;
    private readonly FileStream _file;
    private long _reserved;
    private ArrowStreamReader? _reader;
    private ColumnBatch? _current;
    private int _cursor;

    private ResultSpool(SpoolStore store, FileStream file, ResultSchema schema)
    {
        _store = store;
        _file = file;
        Schema = schema;
    }

    public ResultSchema Schema { get; }
    public bool HasRows => true;
    public long? AffectedRows => null;
    public double? Progress => 1.0;

    /// <summary>Rows and bytes spooled.</summary>
    public long Rows { get; private set; }
    public long Bytes => _file.Length;

    /// <summary>
    /// Reads <paramref name="source"/> to its end (at most <paramref name="maxRows"/> rows when set) into a new spool.
    /// Throws <see cref="SpoolFullException"/> past a budget; the partial file is deleted whatever ends it.
    /// </summary>
    public static async Task<ResultSpool> WriteAsync(SpoolStore store, IQueryResult source, ResultSchema schema, long? maxRows, int chunkRows, CancellationToken cancellationToken)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.ReadWrite, Share = FileShare.None, Options = FileOptions.DeleteOnClose };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        var file = new FileStream(Path.Combine(store.Folder, $"{Guid.NewGuid():N}.arrows"), options);
        var spool = new ResultSpool(store, file, schema);
        try
        {
            using (var writer = new ArrowStreamWriter(file, schema, ArrowWriteOptions.Native, leaveOpen: true))
            {
                while (maxRows is not { } limit || spool.Rows < limit)
                {
                    var ask = maxRows is { } l ? (int)Math.Min(chunkRows, l - spool.Rows) : chunkRows;
                    using var batch = await source.ReadBatchAsync(ask, cancellationToken).ConfigureAwait(false);
                    if (batch is null) break;
                    if (batch.RowCount > 0)
                    {
                        writer.WriteBatch(batch);
                        spool.Rows += batch.RowCount;
                        spool.Grow(file.Length);
                    }
                    if (batch.RowCount < ask) break;
                }
                writer.Complete();
            }
            await file.FlushAsync(cancellationToken).ConfigureAwait(false);
            spool.Grow(file.Length);
            file.Position = 0;
            return spool;
        }
        catch
        {
            await spool.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private void Grow(long length)
    {
        if (length > _store.MaxBytesPerResult)
        {
            throw new SpoolFullException($"it is larger than one spooled result may be (Limits:Spool:MaxBytesPerResult = {Size(_store.MaxBytesPerResult)})");
        }
        var more = length - _reserved;
        if (more <= 0) return;
        if (!_store.TryReserve(more))
        {
            throw new SpoolFullException($"the spool is full (Limits:Spool:MaxBytes = {Size(_store.MaxBytes)}, shared by every spooled result)");
        }
        _reserved += more;
    }

    private static string Size(long bytes) => bytes >= 1 << 30 && bytes % (1 << 30) == 0 ? $"{bytes >> 30} GiB" : $"{bytes >> 20} MiB";

    public ValueTask<ColumnBatch?> ReadBatchAsync(int maxRows, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _reader ??= new ArrowStreamReader(_file, leaveOpen: true);
        var parts = new List<(ColumnBatch Batch, int Offset, int Count)>();
        var done = new List<ColumnBatch>();
        var rows = 0;
        try
        {
            while (rows < maxRows)
            {
                if (_current is null || _cursor == _current.RowCount)
                {
                    if (_current is not null) done.Add(_current);
                    _current = _reader.ReadNextBatch();
                    _cursor = 0;
                    if (_current is null) break;
                    continue;
                }
                var n = Math.Min(maxRows - rows, _current.RowCount - _cursor);
                parts.Add((_current, _cursor, n));
                _cursor += n;
                rows += n;
            }
            return ValueTask.FromResult<ColumnBatch?>(rows == 0 ? null : ColumnConcat.Concat(Schema, parts));
        }
        finally
        {
            foreach (var b in done) b.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _current?.Dispose();
        _current = null;
        _reader?.Dispose();
        await _file.DisposeAsync().ConfigureAwait(false);
        _store.Return(_reserved);
        _reserved = 0;
    }
}
