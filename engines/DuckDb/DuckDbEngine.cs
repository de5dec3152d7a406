using System.Collections.Concurrent;
using System.Globalization;
using DuckDB.NET.Native;

namespace Gateway.Engines.DuckDb;

public sealed record DuckDbEngineOptions
{
    public const string InMemoryPath = ":memory:";

    public string Name { get; init; } = "duckdb";

    /// <summary>Folder holding the database file; created when missing. <see cref="InMemoryPath"/> for a transient database.</summary>
    public string DataDirectory { get; init; } = "data";

    public string FileName { get; init; } = "gateway.duckdb";

    /// <summary>DuckDB worker threads; null keeps DuckDB's default (the core count).</summary>
    public int? Threads { get; init; }

    /// <summary>DuckDB memory_limit, e.g. "2GB"; null keeps DuckDB's default (80% of RAM).</summary>
    public string? MemoryLimit { get; init; }

    /// <summary>
    /// Further DuckDB configuration options (name → value) applied when the database opens. While the sandbox is on,
    /// the settings it controls (<see cref="DuckDbSandbox.Guarded"/>) are refused.
    /// </summary>
    public IReadOnlyDictionary<string, string>? Settings { get; init; }

    /// <summary>What SQL may reach outside the database; on by default, with no folder open.</summary>
    public DuckDbSandboxOptions Sandbox { get; init; } = new();

    public bool IsInMemory => DataDirectory == InMemoryPath || FileName == InMemoryPath;

    public static DuckDbEngineOptions InMemory(int? threads = null) => new() { DataDirectory = InMemoryPath, Threads = threads };

    /// <summary>Throws <see cref="ArgumentException"/> with a clear message when the options cannot work.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Name)) throw new ArgumentException("DuckDB engine: Name is empty.");
        if (!IsInMemory)
        {
            if (string.IsNullOrWhiteSpace(DataDirectory)) throw new ArgumentException("DuckDB engine: DataDirectory is empty.");
            if (string.IsNullOrWhiteSpace(FileName) || FileName.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0)
            {
                throw new ArgumentException($"DuckDB engine: FileName '{FileName}' is not a file name.");
            }
        }
        if (Threads is < 1) throw new ArgumentException($"DuckDB engine: Threads must be at least 1 (was {Threads}).");
        ArgumentNullException.ThrowIfNull(Sandbox);
        DuckDbSandbox.ValidateSettings(Settings, Sandbox, $"DuckDB engine '{Name}' Settings");
        foreach (var d in Sandbox.AllowedDirectories)
        {
            if (string.IsNullOrWhiteSpace(d) || !Path.IsPathFullyQualified(d))
            {
                throw new ArgumentException($"DuckDB engine '{Name}': allowed directory '{d}' is not an absolute path.");
            }
        }
    }
}

/// <summary>
/// The embedded DuckDB engine: one database (a file in the data folder, or in memory) shared by every
/// session; each session owns its own DuckDB connection. See README.md for threading and ownership rules.
/// </summary>
public sealed class DuckDbEngine : IEngine
{
    private readonly DuckDBDatabase _database;
    private readonly ConcurrentDictionary<DuckDbSession, byte> _sessions = new();
    private int _disposed;

    private readonly TimeProvider _time;

    public DuckDbEngine(DuckDbEngineOptions options, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        _time = time ?? TimeProvider.System;
        if (options.IsInMemory)
        {
            DatabasePath = null;
            // DuckDB spills an in-memory database to ".tmp" under the working directory and opens that folder to SQL
            // (it joins allowed_directories): under the sandbox it is a private folder of this engine's instead.
            if (options.Sandbox.Enabled) _privateTempDirectory = Path.Combine(Path.GetTempPath(), "gateway-duckdb-" + Guid.NewGuid().ToString("N"));
        }
        else
        {
            Directory.CreateDirectory(options.DataDirectory);
            DatabasePath = Path.GetFullPath(Path.Combine(options.DataDirectory, options.FileName));
        }
        _database = Open(DatabasePath, options, _privateTempDirectory);
    }

    private readonly string? _privateTempDirectory;

    public DuckDbEngineOptions Options { get; }

    /// <summary>Full path of the database file; null in memory.</summary>
    public string? DatabasePath { get; }

    public string Name => Options.Name;

    public EngineKind Kind => EngineKind.DuckDb;

    public async ValueTask<IEngineSession> OpenSessionAsync(EngineSessionOptions options, CancellationToken cancellationToken) =>
        await OpenDuckDbSessionAsync(options, cancellationToken).ConfigureAwait(false);

    /// <summary>Like <see cref="OpenSessionAsync"/>, typed.</summary>
    public async ValueTask<DuckDbSession> OpenDuckDbSessionAsync(EngineSessionOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var session = new DuckDbSession(this, Connect(), options.User);
        _sessions.TryAdd(session, 0);
        try
        {
            await session.InitializeAsync(options.Database, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await session.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return session;
    }

    internal DuckDBNativeConnection Connect()
    {
        if (NativeMethods.Startup.DuckDBConnect(_database, out var connection) != DuckDBState.Success)
        {
            connection.Dispose();
            throw new EngineException("Could not open a DuckDB connection.", "08001");
        }
        return connection;
    }

    /// <summary>Embedded, so nothing can be unreachable: healthy while the database is open and accepts a connection.</summary>
    public ValueTask<EngineHealthReport> CheckHealthAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var started = _time.GetTimestamp();
        if (Volatile.Read(ref _disposed) != 0) return ValueTask.FromResult(EngineHealthReport.Failed("the database is closed", TimeSpan.Zero));
        try
        {
            // Connecting only registers a connection with the open database: no query, no I/O.
            using (Connect()) { }
        }
        catch (ObjectDisposedException)
        {
            return ValueTask.FromResult(EngineHealthReport.Failed("the database is closed", _time.GetElapsedTime(started)));
        }
        catch (EngineException e)
        {
            return ValueTask.FromResult(EngineHealthReport.Failed(e.Message, _time.GetElapsedTime(started)));
        }
        return ValueTask.FromResult(EngineHealthReport.Ok(_time.GetElapsedTime(started)));
    }

    internal void Forget(DuckDbSession session) => _sessions.TryRemove(session, out _);

    // One connection of the engine's own for FindDatabaseAsync, on its own worker thread (started on demand, gone when idle):
    // an HS2 session's initial database is checked without opening a connection per session.
    private readonly SessionWorker _lookupWorker = new("duckdb-lookup");
    private DuckDBNativeConnection? _lookupConnection;

    /// <summary>A schema of the database (case-insensitively, as USE finds it) under its own spelling; default is main.</summary>
    public async ValueTask<string?> FindDatabaseAsync(string database, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(database);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (database.Equals("default", StringComparison.OrdinalIgnoreCase)) return "main";
        var sql = "SELECT schema_name FROM duckdb_schemas() WHERE database_name = current_database() AND lower(schema_name) = lower("
            + HiveDialect.QuoteLiteral(database) + ") LIMIT 2";
        var rows = await _lookupWorker.RunAsync(() =>
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            return NativeQuery.QueryRows(_lookupConnection ??= Connect(), sql);
        }, cancellationToken).ConfigureAwait(false);
        // Not a schema of the current database (maybe an attached database, which USE also finds), or two schemas that
        // differ in case only: a session decides.
        return rows.Count == 1 ? rows[0][0] as string : null;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        foreach (var session in _sessions.Keys)
        {
            await session.DisposeAsync().ConfigureAwait(false);
        }
        try
        {
            await _lookupWorker.RunAsync(() => _lookupConnection?.Dispose()).ConfigureAwait(false);
        }
        finally
        {
            _lookupWorker.Dispose();
        }
        _database.Dispose();
        if (_privateTempDirectory is not null && Directory.Exists(_privateTempDirectory))
        {
            try
            {
                Directory.Delete(_privateTempDirectory, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Spill files of a database that is closed; the system's temp cleanup takes what is left.
            }
        }
    }

    private static DuckDBDatabase Open(string? path, DuckDbEngineOptions options, string? tempDirectory)
    {
        if (NativeMethods.Configuration.DuckDBCreateConfig(out var config) != DuckDBState.Success)
        {
            config.Dispose();
            throw new EngineException("Could not create a DuckDB configuration.", "HY000");
        }
        using var _ = config;
        var settings = new List<KeyValuePair<string, string>>
        {
            // The gateway's machines reach no extension repository: never try to download one.
            new("autoinstall_known_extensions", "false"),
        };
        if (options.Threads is { } threads) settings.Add(new("threads", threads.ToString(CultureInfo.InvariantCulture)));
        if (options.MemoryLimit is { } limit) settings.Add(new("memory_limit", limit));
        if (tempDirectory is not null) settings.Add(new("temp_directory", tempDirectory));
        if (options.Settings is { } extra) settings.AddRange(extra);
        foreach (var (name, value) in settings)
        {
            if (NativeMethods.Configuration.DuckDBSetConfig(config, name, value) != DuckDBState.Success)
            {
                throw new EngineException($"DuckDB rejected the setting {name} = '{value}'.", "22023");
            }
        }

        if (NativeMethods.Startup.DuckDBOpen(path, out var database, config, out var error) != DuckDBState.Success)
        {
            database.Dispose();
            throw new EngineException($"Could not open DuckDB database '{path ?? DuckDbEngineOptions.InMemoryPath}': {error}", "08001");
        }
        try
        {
            ApplySandbox(database, options.Sandbox);
        }
        catch
        {
            database.Dispose();
            throw;
        }
        return database;
    }

    private static void ApplySandbox(DuckDBDatabase database, DuckDbSandboxOptions sandbox)
    {
        var statements = DuckDbSandbox.Statements(sandbox);
        if (statements.Count == 0) return;
        if (NativeMethods.Startup.DuckDBConnect(database, out var connection) != DuckDBState.Success)
        {
            connection.Dispose();
            throw new EngineException("Could not open a DuckDB connection to apply the sandbox.", "08001");
        }
        using var _ = connection;
        foreach (var sql in statements)
        {
            try
            {
                NativeQuery.QueryRows(connection, sql);
            }
            catch (EngineException e)
            {
                throw new EngineException($"Could not apply the DuckDB sandbox ({sql}): {e.Message}", e);
            }
        }
    }
}
