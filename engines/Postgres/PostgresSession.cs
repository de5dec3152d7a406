using System.Data;
using System.Text;
using Gateway.Protocol.Columnar;
using Npgsql;
using Npgsql.PostgresTypes;
using Npgsql.Schema;

namespace Gateway.Engines.Postgres;

/// <summary>
/// The cancellation state of one statement: <see cref="PostgresSession.Interrupt"/> marks it and cancels its
/// token, which every Npgsql call of the statement observes (Npgsql then sends PostgreSQL a cancel request).
/// Marking first means an interrupt that lands before the statement reaches the server, or between two
/// fetches, is not lost.
/// </summary>
internal sealed class StatementState : IDisposable
{
    private readonly CancellationTokenSource _cts = new();
    private volatile bool _interrupted;

    public CancellationToken Token => _cts.Token;

    public bool Interrupted => _interrupted;

    public void Interrupt()
    {
        _interrupted = true;
        try
        {
            // Asynchronously: Npgsql's cancellation callback opens a connection to send the cancel request, and
            // Interrupt() must not block its caller on that.
            _ = _cts.CancelAsync();
        }
        catch (ObjectDisposedException)
        {
            // The statement is over.
        }
    }

    public void ThrowIfInterrupted()
    {
        if (_interrupted) PostgresErrors.ThrowCanceled();
    }

    public void Dispose() => _cts.Dispose();
}

/// <summary>
/// One PostgreSQL connection, held for the session's life. Statements run one at a time (a gate serialises
/// them with batch reads and metadata calls); <see cref="Interrupt"/> may come from any thread. A connection
/// streams one result at a time: starting a statement closes the session's open result (its next read fails
/// with SQLSTATE 24000). The current database is PostgreSQL's current schema (the head of search_path).
/// </summary>
public sealed class PostgresSession : IEngineSession
{
    private readonly PostgresEngine _engine;
    private readonly string _user;
    private readonly SemaphoreSlim _metadataGate = new(1, 1);
    private NpgsqlConnection _connection;
    private NpgsqlConnection? _metadataConnection;
    private volatile PostgresQueryResult? _active;
    private volatile StatementState? _current;
    private volatile string _currentDatabase = "public";
    private string? _searchPath;
    private int _disposed;

    internal PostgresSession(PostgresEngine engine, NpgsqlConnection connection, string user)
    {
        _engine = engine;
        _connection = connection;
        _user = user;
        Metadata = new PostgresMetadata(this);
    }

    /// <summary>Serialises use of the session's connection: statements, batch reads, metadata.</summary>
    internal SemaphoreSlim Gate { get; } = new(1, 1);

    public string CurrentDatabase => _currentDatabase;

    public IEngineMetadata Metadata { get; }

    /// <summary>The user the gateway opened the session for (PostgreSQL runs everything as the engine's user).</summary>
    public string User => _user;

    internal NpgsqlConnection Connection => _connection;

    internal async ValueTask InitializeAsync(string? database, CancellationToken cancellationToken)
    {
        await Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!string.IsNullOrEmpty(database)) await UseAsync(database, quoted: false, cancellationToken).ConfigureAwait(false);
            else await RefreshCurrentSchemaAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw PostgresErrors.Create(e);
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>
    /// Hive's USE, as the statement <c>USE</c> does it here: the schema must exist (unquoted match, <c>default</c> is
    /// <c>public</c> when no schema has that name; SQLSTATE 3F000 otherwise), then search_path is set to it.
    /// </summary>
    public async ValueTask UseDatabaseAsync(string database, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(database);
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        await Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await ReleaseActiveAsync("the session changed its current schema").ConfigureAwait(false);
            await EnsureConnectionAsync(cancellationToken).ConfigureAwait(false);
            await UseAsync(database, quoted: false, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException and not EngineException)
        {
            throw PostgresErrors.Create(e);
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>
    /// One round trip (<c>SELECT 1</c>) on the session's connection. A connection Npgsql already knows to be broken, or
    /// one the server ended (<c>pg_terminate_backend</c>, a restart), fails it. While a result streams the connection
    /// is busy with it and evidently alive: nothing is sent.
    /// </summary>
    public async ValueTask<bool> ValidateAsync(CancellationToken cancellationToken)
    {
        if (IsDisposed) return false;
        await Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (IsDisposed || _connection.State != ConnectionState.Open) return false;
            if (_active is not null) return true;
            await using var command = new NpgsqlCommand("SELECT 1", _connection);
            return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is 1;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return false;
        }
        finally
        {
            Gate.Release();
        }
    }

    public async ValueTask<IQueryResult> ExecuteAsync(string sql, ExecuteOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sql);
        ArgumentNullException.ThrowIfNull(options);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var script = PostgresSql.Parse(sql, options.Parameters);
        if (script.Statements.Count == 0) throw new EngineException("There is no statement to execute.", "42601");

        var state = new StatementState();
        // Current from now on, so an Interrupt() issued while the statement waits for the gate still lands.
        _current = state;
        var handedOver = false;
        try
        {
            await Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Forget(state);
            throw;
        }
        try
        {
            await ReleaseActiveAsync("a later statement ran on the same session").ConfigureAwait(false);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(state.Token, cancellationToken);
            var token = linked.Token;
            state.ThrowIfInterrupted();
            await EnsureConnectionAsync(token).ConfigureAwait(false);
            var statements = script.Statements;
            // A script runs statement by statement; only the last one's result streams back.
            for (var i = 0; i < statements.Count - 1; i++)
            {
                await RunToCompletionAsync(statements[i], token).ConfigureAwait(false);
            }
            IQueryResult result;
            try
            {
                result = await StartAsync(statements[^1], script.OrderedParameters, state, typedStrings: false, token).ConfigureAwait(false);
            }
            catch (PostgresException e) when (e.SqlState == "42P18" && script.OrderedParameters.Any(p => p.Type.Kind is SqlTypeKind.String or SqlTypeKind.Varchar or SqlTypeKind.Char))
            {
                // "could not determine data type of parameter": nothing around an untyped string says what it is
                // (SELECT ?): send strings as text.
                result = await StartAsync(statements[^1], script.OrderedParameters, state, typedStrings: true, token).ConfigureAwait(false);
            }
            if (result is PostgresQueryResult streaming)
            {
                _active = streaming;
                handedOver = true;
            }
            return result;
        }
        catch (Exception e)
        {
            throw MapFailure(e, state, cancellationToken);
        }
        finally
        {
            if (!handedOver) Forget(state);
            Gate.Release();
        }
    }

    /// <summary>
    /// Cancellation by the caller's token surfaces as <see cref="OperationCanceledException"/>; by
    /// <see cref="Interrupt"/> as EngineException HY008; everything else through <see cref="PostgresErrors"/>.
    /// </summary>
    internal static Exception MapFailure(Exception e, StatementState state, CancellationToken callerToken)
    {
        var cancellation = e is OperationCanceledException
            || e is PostgresException { SqlState: PostgresErrors.QueryCanceled }
            || e.InnerException is OperationCanceledException;
        if (cancellation && callerToken.IsCancellationRequested)
        {
            return e as OperationCanceledException ?? new OperationCanceledException("The statement was canceled.", e, callerToken);
        }
        if (cancellation && state.Interrupted) return PostgresErrors.Canceled(e);
        if (e is EngineException engine) return engine;
        return PostgresErrors.Create(e);
    }

    private void Forget(StatementState state)
    {
        if (ReferenceEquals(_current, state)) _current = null;
        state.Dispose();
    }

    public void Interrupt() => _current?.Interrupt();

    /// <summary>Runs one statement; a query's result is returned streaming, anything else completed.</summary>
    private async ValueTask<IQueryResult> StartAsync(PgStatement statement, IReadOnlyList<QueryParameter> parameters, StatementState state, bool typedStrings, CancellationToken token)
    {
        switch (statement.Kind)
        {
            case PgStatementKind.Use:
                await UseAsync(statement.UseTarget!, statement.UseTargetQuoted, token).ConfigureAwait(false);
                return CompletedResult.NoRows(null);
            case PgStatementKind.CopyStream:
                throw new EngineException("COPY FROM STDIN / TO STDOUT is not supported through the gateway; use a query.", "0A000");
            case PgStatementKind.NoRows:
                return await RunWithoutRowsAsync(statement, parameters, typedStrings, token).ConfigureAwait(false);
        }

        var plans = await DescribeAsync(statement.Sql, parameters, typedStrings, token).ConfigureAwait(false);
        if (plans.Count == 0) return await RunWithoutRowsAsync(statement, parameters, typedStrings, token).ConfigureAwait(false);

        var schema = new ResultSchema([.. plans.Select(p => new ColumnInfo(p.Name, p.Type))]);
        var copy = _engine.Options.ReadPath == PostgresReadPath.Copy && statement.Kind == PgStatementKind.Query && parameters.Count == 0;
        var columns = plans.Select(p => PgColumn.Create(p, copy)).ToArray();
        if (copy)
        {
            var exporter = await _connection.BeginBinaryExportAsync(CopyCommand(statement.Sql, plans), token).ConfigureAwait(false);
            return new PostgresQueryResult(this, state, schema, columns, exporter);
        }

        var command = CreateCommand(statement.Sql, parameters, typedStrings);
        try
        {
            // Types without a native mapping are asked for in text format (their output function's text).
            var text = plans.Select(p => p.AsText).ToArray();
            if (text.Any(t => t)) command.UnknownResultTypeList = text;
            var reader = await command.ExecuteReaderAsync(CommandBehavior.Default, token).ConfigureAwait(false);
            return new PostgresQueryResult(this, state, schema, columns, command, reader);
        }
        catch
        {
            await command.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>A statement of a script before its last: run to the end, rows discarded.</summary>
    private async ValueTask RunToCompletionAsync(PgStatement statement, CancellationToken token)
    {
        switch (statement.Kind)
        {
            case PgStatementKind.Use:
                await UseAsync(statement.UseTarget!, statement.UseTargetQuoted, token).ConfigureAwait(false);
                return;
            case PgStatementKind.CopyStream:
                throw new EngineException("COPY FROM STDIN / TO STDOUT is not supported through the gateway; use a query.", "0A000");
            default:
                await RunWithoutRowsAsync(statement, [], false, token).ConfigureAwait(false);
                return;
        }
    }

    private async ValueTask<IQueryResult> RunWithoutRowsAsync(PgStatement statement, IReadOnlyList<QueryParameter> parameters, bool typedStrings, CancellationToken token)
    {
        long? affected;
        await using (var command = CreateCommand(statement.Sql, parameters, typedStrings))
        {
            var n = await command.ExecuteNonQueryAsync(token).ConfigureAwait(false);
            affected = n >= 0 && statement.FirstKeyword is "INSERT" or "UPDATE" or "DELETE" or "MERGE" ? n : null;
        }
        if (statement.MayChangeSchema) await RefreshCurrentSchemaAsync(token).ConfigureAwait(false);
        return CompletedResult.NoRows(affected);
    }

    /// <summary>Parse and describe only (no execution): the result's columns, or none for a statement without rows.</summary>
    private async ValueTask<List<PgColumnPlan>> DescribeAsync(string sql, IReadOnlyList<QueryParameter> parameters, bool typedStrings, CancellationToken token)
    {
        await using var command = CreateCommand(sql, parameters, typedStrings);
        await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SchemaOnly, token).ConfigureAwait(false);
        var plans = new List<PgColumnPlan>(reader.FieldCount);
        if (reader.FieldCount == 0) return plans;
        foreach (var column in (await reader.GetColumnSchemaAsync(token).ConfigureAwait(false)).Cast<NpgsqlDbColumn>())
        {
            var oid = column.TypeOID;
            var type = column.PostgresType;
            while (type is PostgresDomainType domain)
            {
                type = domain.BaseType;
                oid = type.OID;
            }
            plans.Add(PostgresTypes.Plan(column.ColumnName, oid, column.NumericPrecision, column.NumericScale, column.ColumnSize));
        }
        return plans;
    }

    /// <summary>
    /// COPY (query) TO STDOUT in binary. Columns without a native mapping are turned into text by wrapping the
    /// query (binary COPY carries no type information, so each is read as the plan says). format('%s') applies
    /// the type's output function, the same text the reader path receives in text format (a ::text cast
    /// would differ for inet/cidr); num_nulls() keeps a NULL NULL without mistaking a composite of NULL fields
    /// for one.
    /// </summary>
    private static string CopyCommand(string sql, List<PgColumnPlan> plans)
    {
        var query = sql;
        if (plans.Any(p => p.AsText))
        {
            var sb = new StringBuilder("SELECT ");
            for (var i = 0; i < plans.Count; i++)
            {
                if (i > 0) sb.Append(", ");
                if (plans[i].AsText) sb.Append("CASE WHEN num_nulls(c").Append(i + 1).Append(") = 1 THEN NULL ELSE format('%s', c").Append(i + 1).Append(") END");
                else sb.Append('c').Append(i + 1);
            }
            // Newlines keep a trailing line comment from swallowing the closing parenthesis.
            sb.Append(" FROM (\n").Append(sql).Append("\n) AS gateway_q(");
            for (var i = 0; i < plans.Count; i++) sb.Append(i > 0 ? ", c" : "c").Append(i + 1);
            sb.Append(')');
            query = sb.ToString();
        }
        return "COPY (\n" + query + "\n) TO STDOUT (FORMAT BINARY)";
    }

    private NpgsqlCommand CreateCommand(string sql, IReadOnlyList<QueryParameter> parameters, bool typedStrings)
    {
        var command = new NpgsqlCommand(sql, _connection);
        foreach (var p in parameters) command.Parameters.Add(PostgresParameters.Create(p, typedStrings));
        return command;
    }

    /// <summary>
    /// Hive's USE: the schema must exist. An unquoted name also matches case-insensitively (Hive names are),
    /// and Hive's database <c>default</c> is PostgreSQL's <c>public</c> when no schema is called default.
    /// </summary>
    private async ValueTask UseAsync(string target, bool quoted, CancellationToken token)
    {
        string? schema;
        await using (var find = new NpgsqlCommand(
            "SELECT nspname FROM pg_namespace WHERE nspname = $1 OR (NOT $2 AND lower(nspname) = lower($1)) "
            + "ORDER BY nspname = $1 DESC, nspname = lower($1) DESC, nspname LIMIT 1", _connection))
        {
            find.Parameters.Add(new NpgsqlParameter<string> { TypedValue = target });
            find.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = quoted });
            schema = await find.ExecuteScalarAsync(token).ConfigureAwait(false) as string;
        }
        if (schema is null && !quoted && target.Equals("default", StringComparison.OrdinalIgnoreCase)) schema = "public";
        if (schema is null) throw new EngineException($"Schema does not exist: {target}", "3F000");
        await using (var set = new NpgsqlCommand("SELECT set_config('search_path', quote_ident($1), false)", _connection))
        {
            set.Parameters.Add(new NpgsqlParameter<string> { TypedValue = schema });
            _searchPath = await set.ExecuteScalarAsync(token).ConfigureAwait(false) as string;
        }
        _currentDatabase = schema;
    }

    private async ValueTask RefreshCurrentSchemaAsync(CancellationToken token)
    {
        await using var command = new NpgsqlCommand("SELECT current_schema(), current_setting('search_path')", _connection);
        await using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
        if (!await reader.ReadAsync(token).ConfigureAwait(false)) return;
        if (!reader.IsDBNull(0)) _currentDatabase = reader.GetString(0);
        _searchPath = reader.IsDBNull(1) ? null : reader.GetString(1);
    }

    /// <summary>
    /// A connection Npgsql broke (the server went away, a cancel that was not honoured in time) is replaced,
    /// with the session's search_path put back; its temporary tables and other settings are gone.
    /// </summary>
    private async ValueTask EnsureConnectionAsync(CancellationToken token)
    {
        if (_connection.State == ConnectionState.Open) return;
        var old = _connection;
        _connection = await _engine.OpenConnectionAsync(token).ConfigureAwait(false);
        await old.DisposeAsync().ConfigureAwait(false);
        if (_searchPath is not null)
        {
            await using var set = new NpgsqlCommand("SELECT set_config('search_path', $1, false)", _connection);
            set.Parameters.Add(new NpgsqlParameter<string> { TypedValue = _searchPath });
            await set.ExecuteScalarAsync(token).ConfigureAwait(false);
        }
    }

    /// <summary>Closes the open result, if any. Gate held.</summary>
    private async ValueTask ReleaseActiveAsync(string reason)
    {
        var active = _active;
        _active = null;
        if (active is not null) await active.ReleaseAsync(reason).ConfigureAwait(false);
    }

    /// <summary>A result finished or was released. Gate held.</summary>
    internal void OnReleased(PostgresQueryResult result, StatementState state)
    {
        if (ReferenceEquals(_active, result)) _active = null;
        Forget(state);
    }

    /// <summary>
    /// Runs a metadata query: on the session's connection when no result streams on it (so temporary tables
    /// are visible), else on a second connection, so the open result survives.
    /// </summary>
    internal async Task<List<object?[]>> QueryMetadataAsync(string sql, IReadOnlyList<object> parameters, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        try
        {
            if (_active is null)
            {
                await Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    if (_active is null)
                    {
                        await EnsureConnectionAsync(cancellationToken).ConfigureAwait(false);
                        return await QueryRowsAsync(_connection, sql, parameters, cancellationToken).ConfigureAwait(false);
                    }
                }
                finally
                {
                    Gate.Release();
                }
            }
            await _metadataGate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (_metadataConnection is null || _metadataConnection.State != ConnectionState.Open)
                {
                    if (_metadataConnection is not null) await _metadataConnection.DisposeAsync().ConfigureAwait(false);
                    _metadataConnection = await _engine.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                }
                return await QueryRowsAsync(_metadataConnection, sql, parameters, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _metadataGate.Release();
            }
        }
        catch (Exception e) when (e is not OperationCanceledException and not EngineException)
        {
            throw PostgresErrors.Create(e);
        }
    }

    private static async Task<List<object?[]>> QueryRowsAsync(NpgsqlConnection connection, string sql, IReadOnlyList<object> parameters, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var p in parameters) command.Parameters.Add(new NpgsqlParameter { Value = p });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var rows = new List<object?[]>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var row = new object?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++) row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            rows.Add(row);
        }
        return rows;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        Interrupt();
        await Gate.WaitAsync().ConfigureAwait(false);
        try
        {
            await ReleaseActiveAsync("the session closed").ConfigureAwait(false);
            await _connection.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            Gate.Release();
        }
        await _metadataGate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_metadataConnection is not null) await _metadataConnection.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            _metadataGate.Release();
            _engine.Forget(this);
        }
    }

    internal bool IsDisposed => Volatile.Read(ref _disposed) != 0;
}
