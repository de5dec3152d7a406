using System.Collections.Concurrent;
using Npgsql;

namespace Gateway.Engines.Postgres;

/// <summary>How query results are read from the server.</summary>
public enum PostgresReadPath
{
    /// <summary>A data reader (extended protocol, binary values) with typed getters. The default: measured fastest.</summary>
    Reader,
    /// <summary><c>COPY (query) TO STDOUT (FORMAT BINARY)</c> read with NpgsqlBinaryExporter, for SELECT/WITH/VALUES/TABLE.</summary>
    Copy,
}

public sealed record PostgresEngineOptions
{
    public string Name { get; init; } = "postgres";

    /// <summary>A complete Npgsql connection string; when set, the fields below override what it says only when they are set too.</summary>
    public string? ConnectionString { get; init; }

    public string? Host { get; init; }
    public int? Port { get; init; }
    public string? Database { get; init; }
    public string? User { get; init; }
    public string? Password { get; init; }

    /// <summary>Physical connections kept by the pool; every open engine session holds one.</summary>
    public int MaxPoolSize { get; init; } = 100;

    /// <summary>Seconds to wait for a connection (opening, or a free one from a full pool).</summary>
    public int ConnectTimeoutSeconds { get; init; } = 15;

    public PostgresReadPath ReadPath { get; init; } = PostgresReadPath.Reader;

    /// <summary>Throws <see cref="ArgumentException"/> with a clear message when the options cannot work.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Name)) throw new ArgumentException("PostgreSQL engine: Name is empty.");
        if (string.IsNullOrWhiteSpace(ConnectionString) && string.IsNullOrWhiteSpace(Host))
        {
            throw new ArgumentException($"PostgreSQL engine '{Name}': set Host or ConnectionString.");
        }
        if (Port is < 1 or > 65535) throw new ArgumentException($"PostgreSQL engine '{Name}': Port {Port} is not a TCP port.");
        if (MaxPoolSize < 1) throw new ArgumentException($"PostgreSQL engine '{Name}': MaxPoolSize must be at least 1 (was {MaxPoolSize}).");
        if (ConnectTimeoutSeconds < 1) throw new ArgumentException($"PostgreSQL engine '{Name}': ConnectTimeoutSeconds must be at least 1.");
        try
        {
            _ = BuildConnectionString();
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"PostgreSQL engine '{Name}': invalid connection string: {e.Message}", e);
        }
    }

    public string BuildConnectionString()
    {
        var b = new NpgsqlConnectionStringBuilder(ConnectionString ?? "");
        if (Host is not null) b.Host = Host;
        if (Port is { } port) b.Port = port;
        if (Database is not null) b.Database = Database;
        if (User is not null) b.Username = User;
        if (Password is not null) b.Password = Password;
        b.MaxPoolSize = MaxPoolSize;
        b.Timeout = ConnectTimeoutSeconds;
        // The gateway owns timeouts (query timeouts interrupt the session); Npgsql must not abort reads on its own.
        b.CommandTimeout = 0;
        // After a cancel request, wait this long for the server to end the statement before breaking the connection.
        b.CancellationTimeout = 5000;
        if (string.IsNullOrEmpty(b.ApplicationName)) b.ApplicationName = "gateway";
        b.Enlist = false;
        return b.ConnectionString;
    }
}

/// <summary>
/// A PostgreSQL server reached through Npgsql. Each engine session holds one pooled connection for its life
/// (its search_path, temporary tables and settings live there); see README.md.
/// </summary>
public sealed class PostgresEngine : IEngine
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly ConcurrentDictionary<PostgresSession, byte> _sessions = new();
    private int _disposed;

    private readonly TimeProvider _time;

    public PostgresEngine(PostgresEngineOptions options, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        _time = time ?? TimeProvider.System;
        _dataSource = NpgsqlDataSource.Create(options.BuildConnectionString());
    }

    public PostgresEngineOptions Options { get; }

    public string Name => Options.Name;

    public EngineKind Kind => EngineKind.Postgres;

    public async ValueTask<IEngineSession> OpenSessionAsync(EngineSessionOptions options, CancellationToken cancellationToken) =>
        await OpenPostgresSessionAsync(options, cancellationToken).ConfigureAwait(false);

    /// <summary>Like <see cref="OpenSessionAsync"/>, typed.</summary>
    public async ValueTask<PostgresSession> OpenPostgresSessionAsync(EngineSessionOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var session = new PostgresSession(this, connection, options.User);
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

    internal async ValueTask<NpgsqlConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw PostgresErrors.Create(e, connecting: true);
        }
    }

    /// <summary>
    /// A connection from the engine's pool and <c>SELECT 1</c> on it. A pool that stays full (every connection held
    /// by a session) answers like a server that does not: not before the caller's deadline.
    /// </summary>
    public async ValueTask<EngineHealthReport> CheckHealthAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var started = _time.GetTimestamp();
        if (Volatile.Read(ref _disposed) != 0) return EngineHealthReport.Failed("the engine is closed", TimeSpan.Zero);
        var connected = false;
        try
        {
            var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                connected = true;
                var command = new NpgsqlCommand("SELECT 1", connection);
                await using (command.ConfigureAwait(false))
                {
                    await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
                }
            }
            return EngineHealthReport.Ok(_time.GetElapsedTime(started));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e) when (e is NpgsqlException or System.Net.Sockets.SocketException or IOException or TimeoutException or InvalidOperationException or ObjectDisposedException)
        {
            return EngineHealthReport.Failed(PostgresErrors.Create(e, connecting: !connected).Message, _time.GetElapsedTime(started));
        }
    }

    internal void Forget(PostgresSession session) => _sessions.TryRemove(session, out _);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        foreach (var session in _sessions.Keys)
        {
            await session.DisposeAsync().ConfigureAwait(false);
        }
        await _dataSource.DisposeAsync().ConfigureAwait(false);
    }
}
