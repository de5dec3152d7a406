using Gateway.Engines;
using Gateway.Protocol.Columnar;

namespace Gateway.Server.Sessions;

/// <summary>
/// An engine session as the pool hands it out: it forwards everything to the engine's session and watches what happens
/// on it, so the pool knows whether the session may serve anyone else. It is spoiled, for good, when a statement or
/// fetch is interrupted or canceled mid-way, or fails at the connection level (a retryable error); a spoiled session
/// still serves its HiveServer2 session as before, but is closed rather than pooled when given back.
/// Disposing it does nothing: the pool closes engine sessions.
/// </summary>
public sealed class PooledEngineSession : IEngineSession
{
    private TrackedMetadata? _metadata;
    private string? _spoiled;
    private int _running;

    internal PooledEngineSession(EngineSessionPool pool, IEngineSession inner, EnginePoolKey key, string homeDatabase, DateTimeOffset opened)
    {
        Pool = pool;
        Inner = inner;
        Key = key;
        HomeDatabase = homeDatabase;
        Opened = opened;
        IdleSince = opened;
    }

    public EngineSessionPool Pool { get; }
    public IEngineSession Inner { get; }
    public EnginePoolKey Key { get; }

    /// <summary>Where the session started: its database is reset to this before another HiveServer2 session gets it.</summary>
    public string HomeDatabase { get; }

    public DateTimeOffset Opened { get; }

    /// <summary>When it was last given back to the pool.</summary>
    internal DateTimeOffset IdleSince { get; set; }

    /// <summary>Why the session must not be pooled again; null while it may.</summary>
    public string? SpoiledReason => Volatile.Read(ref _spoiled);

    public bool Reusable => SpoiledReason is null;

    /// <summary>A statement on it failed at the connection level: whatever state it held is gone, and it serves no one, its own HS2 session included.</summary>
    public bool ConnectionLost => Volatile.Read(ref _connectionLost);

    private bool _connectionLost;

    public string CurrentDatabase => Inner.CurrentDatabase;

    public IEngineMetadata Metadata => _metadata ??= new TrackedMetadata(this, Inner.Metadata);

    /// <summary>Statements started on it so far: above one, a failure may be a connection that went stale while it waited.</summary>
    public int Statements => Volatile.Read(ref _statements);

    private int _statements;

    public async ValueTask<IQueryResult> ExecuteAsync(string sql, ExecuteOptions options, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _statements);
        Interlocked.Increment(ref _running);
        var handedOver = false;
        try
        {
            var result = await Inner.ExecuteAsync(sql, options, cancellationToken).ConfigureAwait(false);
            handedOver = true;
            return new TrackedResult(this, result);
        }
        catch (Exception e)
        {
            Observe(e);
            throw;
        }
        finally
        {
            if (!handedOver) Interlocked.Decrement(ref _running);
        }
    }

    public void Interrupt()
    {
        // An interrupt with nothing running is a no-op for every adapter; one that lands on a statement or an unread result stops it mid-way.
        if (Volatile.Read(ref _running) > 0) Spoil("a statement on it was interrupted mid-way");
        Inner.Interrupt();
    }

    public ValueTask<bool> ValidateAsync(CancellationToken cancellationToken) => Inner.ValidateAsync(cancellationToken);

    public async ValueTask UseDatabaseAsync(string database, CancellationToken cancellationToken)
    {
        try
        {
            await Inner.UseDatabaseAsync(database, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Observe(e);
            throw;
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>A failure on the session: statement errors leave it reusable; interruptions and connection failures spoil it.</summary>
    internal void Observe(Exception e)
    {
        switch (e)
        {
            case OperationCanceledException:
                Spoil("a statement on it was canceled mid-way");
                break;
            case EngineException { Canceled: true }:
                Spoil("a statement on it was interrupted mid-way");
                break;
            case EngineException { Retryable: true } failure:
                Spoil($"it failed at the connection level ({failure.SqlState})");
                if (!failure.SqlState.StartsWith("40", StringComparison.Ordinal)) Volatile.Write(ref _connectionLost, true);
                break;
            case EngineException:
                break;
            default:
                Spoil($"it failed unexpectedly ({e.GetType().Name})");
                break;
        }
    }

    private void Spoil(string reason) => Interlocked.CompareExchange(ref _spoiled, reason, null);

    private void Finished() => Interlocked.Decrement(ref _running);

    /// <summary>Counts the result as running on the session until it is read to the end, fails or is disposed.</summary>
    private sealed class TrackedResult(PooledEngineSession owner, IQueryResult inner) : IQueryResult
    {
        private int _done;

        public ResultSchema Schema => inner.Schema;
        public bool HasRows => inner.HasRows;
        public long? AffectedRows => inner.AffectedRows;
        public double? Progress => inner.Progress;

        public async ValueTask<ColumnBatch?> ReadBatchAsync(int maxRows, CancellationToken cancellationToken)
        {
            try
            {
                var batch = await inner.ReadBatchAsync(maxRows, cancellationToken).ConfigureAwait(false);
                if (batch is null) Done();
                return batch;
            }
            catch (Exception e)
            {
                owner.Observe(e);
                Done();
                throw;
            }
        }

        private void Done()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0) owner.Finished();
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                await inner.DisposeAsync().ConfigureAwait(false);
            }
            finally
            {
                Done();
            }
        }
    }

    /// <summary>Metadata calls, watched for connection failures like statements.</summary>
    private sealed class TrackedMetadata(PooledEngineSession owner, IEngineMetadata inner) : IEngineMetadata
    {
        private async ValueTask<T> Watch<T>(ValueTask<T> call)
        {
            try
            {
                return await call.ConfigureAwait(false);
            }
            catch (Exception e)
            {
                owner.Observe(e);
                throw;
            }
        }

        public ValueTask<IReadOnlyList<string>> GetCatalogsAsync(CancellationToken cancellationToken) =>
            Watch(inner.GetCatalogsAsync(cancellationToken));

        public ValueTask<IReadOnlyList<SchemaInfo>> GetSchemasAsync(string? catalog, string? schemaPattern, CancellationToken cancellationToken) =>
            Watch(inner.GetSchemasAsync(catalog, schemaPattern, cancellationToken));

        public ValueTask<IReadOnlyList<TableInfo>> GetTablesAsync(string? catalog, string? schemaPattern, string? tablePattern, IReadOnlyCollection<string>? tableTypes, CancellationToken cancellationToken) =>
            Watch(inner.GetTablesAsync(catalog, schemaPattern, tablePattern, tableTypes, cancellationToken));

        public ValueTask<IReadOnlyList<ColumnMetadata>> GetColumnsAsync(string? catalog, string? schemaPattern, string? tablePattern, string? columnPattern, CancellationToken cancellationToken) =>
            Watch(inner.GetColumnsAsync(catalog, schemaPattern, tablePattern, columnPattern, cancellationToken));

        public ValueTask<IReadOnlyList<FunctionInfo>> GetFunctionsAsync(string? catalog, string? schemaPattern, string? functionPattern, CancellationToken cancellationToken) =>
            Watch(inner.GetFunctionsAsync(catalog, schemaPattern, functionPattern, cancellationToken));

        public ValueTask<IReadOnlyList<PrimaryKeyInfo>> GetPrimaryKeysAsync(string? catalog, string? schema, string table, CancellationToken cancellationToken) =>
            Watch(inner.GetPrimaryKeysAsync(catalog, schema, table, cancellationToken));

        public ValueTask<IReadOnlyList<ForeignKeyInfo>> GetCrossReferenceAsync(string? parentCatalog, string? parentSchema, string? parentTable, string? foreignCatalog, string? foreignSchema, string? foreignTable, CancellationToken cancellationToken) =>
            Watch(inner.GetCrossReferenceAsync(parentCatalog, parentSchema, parentTable, foreignCatalog, foreignSchema, foreignTable, cancellationToken));
    }
}
