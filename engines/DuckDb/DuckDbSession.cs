using System.Collections.Immutable;
using System.Text;
using DuckDB.NET.Native;
using Gateway.Protocol.Columnar;

namespace Gateway.Engines.DuckDb;

/// <summary>
/// One DuckDB connection. Every native call on it runs on the session's <see cref="SessionWorker"/>;
/// <see cref="Interrupt"/> and <see cref="IQueryResult.Progress"/> are the only calls made from other threads
/// (DuckDB allows both concurrently with a running query).
/// A DuckDB connection streams one result at a time: starting a statement closes the previous
/// streaming result of the session (its next read fails with SQLSTATE 24000).
/// </summary>
public sealed class DuckDbSession : IEngineSession
{
    private readonly DuckDbEngine _engine;
    private readonly DuckDBNativeConnection _connection;
    private readonly string _user;
    private DuckDBNativeConnection? _metadataConnection;
    private DuckDbQueryResult? _active;
    private volatile StatementState? _current;
    private volatile string _currentDatabase = "main";
    private int _disposed;

    internal DuckDbSession(DuckDbEngine engine, DuckDBNativeConnection connection, string user)
    {
        _engine = engine;
        _connection = connection;
        _user = user;
        Worker = new SessionWorker("duckdb-session");
        Metadata = new DuckDbMetadata(this);
    }

    internal SessionWorker Worker { get; }

    public string CurrentDatabase => _currentDatabase;

    public IEngineMetadata Metadata { get; }

    internal async ValueTask InitializeAsync(string? database, CancellationToken cancellationToken)
    {
        // Progress for IQueryResult.Progress (a per-connection setting), never printed to a terminal.
        await Worker.RunAsync(() =>
        {
            NativeQuery.QueryRows(_connection, "SET enable_progress_bar = true");
            NativeQuery.QueryRows(_connection, "SET enable_progress_bar_print = false");
            return true;
        }, cancellationToken).ConfigureAwait(false);
        if (!string.IsNullOrEmpty(database))
        {
            await UseDatabaseAsync(database, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await Worker.RunAsync(() =>
            {
                RefreshCurrentDatabase();
                return true;
            }, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Hive's <c>USE</c> through the dialect (<c>default</c> is schema <c>main</c>); a missing schema fails with 42000.</summary>
    public async ValueTask UseDatabaseAsync(string database, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(database);
        await using var _ = await ExecuteCoreAsync(HiveDialect.Translate("USE " + HiveDialect.QuoteHiveIdentifier(database)), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A trivial query on the session's worker and connection. An embedded connection does not break; this proves the
    /// session is open and its worker runs. A streaming result is left alone (the connection evidently works).
    /// </summary>
    public async ValueTask<bool> ValidateAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _disposed) != 0) return false;
        try
        {
            return await Worker.RunAsync(() => _active is not null || NativeQuery.QueryRows(_connection, "SELECT 1").Count == 1, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is EngineException or ObjectDisposedException)
        {
            return false;
        }
    }

    public async ValueTask<IQueryResult> ExecuteAsync(string sql, ExecuteOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sql);
        ArgumentNullException.ThrowIfNull(options);
        var parameters = options.Parameters;
        if (parameters.Count > 0 && parameters[0].Name is not null)
        {
            // Spark's :name markers are DuckDB's $name.
            sql = HiveDialect.RewriteNamedParameters(sql, parameters.Select(p => p.Name!).ToHashSet(StringComparer.OrdinalIgnoreCase));
        }
        return await ExecuteCoreAsync(HiveDialect.Translate(sql), cancellationToken, parameters, options.FirstBatchRows).ConfigureAwait(false);
    }

    /// <summary>Runs DuckDB SQL as is, without the Hive dialect translation (the gateway's own statements).</summary>
    public async ValueTask<IQueryResult> ExecuteNativeAsync(string sql, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sql);
        return await ExecuteCoreAsync(new HiveTranslation(HiveStatementKind.Sql, sql), cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<IQueryResult> ExecuteCoreAsync(HiveTranslation translation, CancellationToken cancellationToken, IReadOnlyList<QueryParameter>? parameters = null,
        int firstBatchRows = 0)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var state = new StatementState();
        // Current from now on, so an Interrupt() issued before the worker picks the statement up still lands.
        _current = state;
        using var registration = cancellationToken.Register(() => Interrupt(state, byToken: true));
        try
        {
            return await Worker.RunAsync(() => ExecuteOnWorker(translation, state, parameters ?? [], firstBatchRows), cancellationToken).ConfigureAwait(false);
        }
        catch (EngineException e) when (e.Canceled && state.CanceledByToken)
        {
            throw new OperationCanceledException("The statement was canceled.", e, cancellationToken);
        }
        catch (ObjectDisposedException e) when (Volatile.Read(ref _disposed) != 0)
        {
            throw new EngineException("The DuckDB session is closed.", "08003", inner: e);
        }
    }

    public void Interrupt()
    {
        if (_current is { } state) Interrupt(state, byToken: false);
    }

    internal void Interrupt(StatementState state, bool byToken)
    {
        state.MarkInterrupted(byToken);
        // Only the statement that owns the connection now is interrupted in DuckDB.
        if (!ReferenceEquals(_current, state)) return;
        try
        {
            NativeMethods.Startup.DuckDBInterrupt(_connection);
        }
        catch (ObjectDisposedException)
        {
            // The session closed meanwhile: nothing runs any more.
        }
    }

    /// <summary>Progress of the running query, 0..1, when DuckDB reports one.</summary>
    internal double? QueryProgress()
    {
        try
        {
            var p = NativeMethods.Startup.DuckDBQueryProgress(_connection);
            return p.Percentage >= 0 ? Math.Clamp(p.Percentage / 100.0, 0, 1) : null;
        }
        catch (ObjectDisposedException)
        {
            return null;
        }
    }

    private IQueryResult ExecuteOnWorker(HiveTranslation translation, StatementState state, IReadOnlyList<QueryParameter> parameters, int firstBatchRows)
    {
        ReleaseActive("a later statement ran on the same session");
        state.ThrowIfInterrupted();
        if (parameters.Count > 0 && translation.Kind != HiveStatementKind.Sql)
        {
            throw new EngineException("Parameters can only be bound to a query or DML statement.", "07001");
        }
        switch (translation.Kind)
        {
            case HiveStatementKind.Describe: return Describe(translation);
            case HiveStatementKind.DescribeDatabase: return DescribeDatabase(translation.Schema!);
            case HiveStatementKind.ShowTableExtended: return ShowTableExtended(translation);
            case HiveStatementKind.NoOp: return RowsQueryResult.NoRows(null);
            case HiveStatementKind.Unsupported: throw new EngineException(translation.Sql, "0A000");
        }

        var count = NativeMethods.ExtractStatements.DuckDBExtractStatements(_connection, translation.Sql, out var extracted);
        using var _extracted = extracted;
        if (count == 0)
        {
            var error = NativeMethods.ExtractStatements.DuckDBExtractStatementsError(extracted);
            throw error is null ? new EngineException("There is no statement to execute.", "42000") : DuckDbErrors.Create(error);
        }

        // A script runs statement by statement; only the last one's result streams back.
        var changesDatabase = translation.ChangesDatabase;
        if (parameters.Count > 0 && count != 1)
        {
            throw new EngineException("Parameters can only be bound to a single statement, not a script.", "07001");
        }
        for (var i = 0; i < count - 1; i++)
        {
            using var prepared = NativeQuery.PrepareExtracted(_connection, extracted, i);
            CheckNoParameters(prepared);
            changesDatabase |= ChangesSchema(prepared);
            using var _ = NativeQuery.Execute(_connection, prepared, state, streaming: false);
        }

        var last = NativeQuery.PrepareExtracted(_connection, extracted, count - 1);
        ResultHandle? result = null;
        var transferred = false;
        try
        {
            if (parameters.Count > 0)
            {
                // Column types depend on the bound values: no cast fallback (it would see unresolved types).
                DuckDbParameters.Bind(last, parameters);
            }
            else
            {
                CheckNoParameters(last);
                last = ApplyCastFallback(last, translation.Sql, count);
            }
            changesDatabase |= ChangesSchema(last);
            result = NativeQuery.Execute(_connection, last, state, streaming: true);
            var returnType = NativeQuery.ReturnType(result);
            if (returnType == DuckDBResultType.QueryResult)
            {
                var (schema, types) = NativeQuery.Schema(result);
                var query = new DuckDbQueryResult(this, state, last, result, new ChunkConverter(schema, types));
                transferred = true;
                _active = query;
                // The caller reads the first batch right away: read it in this work item (one hop instead of three).
                if (firstBatchRows > 0) query.PrefetchOnWorker(firstBatchRows);
                return query;
            }
            long? affected = returnType == DuckDBResultType.ChangedRows ? NativeQuery.RowsChanged(result, state) : null;
            result.Dispose();
            if (changesDatabase) RefreshCurrentDatabase();
            return RowsQueryResult.NoRows(affected);
        }
        finally
        {
            if (!transferred)
            {
                result?.Dispose();
                last.Dispose();
            }
        }
    }

    private static bool ChangesSchema(DuckDBPreparedStatement prepared) =>
        MissingNativeMethods.duckdb_prepared_statement_type(prepared) is StatementType.Set or StatementType.VariableSet;

    private static void CheckNoParameters(DuckDBPreparedStatement prepared)
    {
        if (NativeMethods.PreparedStatements.DuckDBParams(prepared) > 0)
        {
            throw new EngineException("The statement has parameter markers but no parameter values were given.", "07002");
        }
    }

    /// <summary>
    /// Columns of types without a native mapping (BIT, BIGNUM, GEOMETRY, ...) are cast to VARCHAR by wrapping a
    /// single SELECT; elsewhere such a column is an error naming the type.
    /// </summary>
    private DuckDBPreparedStatement ApplyCastFallback(DuckDBPreparedStatement prepared, string sql, int statementCount)
    {
        var columns = NativeQuery.PreparedColumns(prepared);
        if (columns.All(c => DuckDbTypes.IsSupported(c.Type))) return prepared;
        var unsupported = columns.First(c => !DuckDbTypes.IsSupported(c.Type));
        if (statementCount != 1 || MissingNativeMethods.duckdb_prepared_statement_type(prepared) != StatementType.Select)
        {
            throw DuckDbTypes.Unsupported(unsupported.Type);
        }
        var sb = new StringBuilder("SELECT ");
        for (var i = 0; i < columns.Count; i++)
        {
            if (i > 0) sb.Append(", ");
            if (DuckDbTypes.IsSupported(columns[i].Type)) sb.Append('#').Append(i + 1);
            else sb.Append("CAST(#").Append(i + 1).Append(" AS VARCHAR)");
            sb.Append(" AS ").Append(HiveDialect.QuoteIdentifier(columns[i].Name));
        }
        // Newlines keep a trailing line comment from swallowing the closing parenthesis.
        sb.Append(" FROM (\n").Append(sql.TrimEnd().TrimEnd(';')).Append("\n) AS gateway_cast_fallback");
        var wrapped = NativeQuery.Prepare(_connection, sb.ToString());
        prepared.Dispose();
        return wrapped;
    }

    private void ReleaseActive(string reason)
    {
        var active = _active;
        _active = null;
        active?.Release(reason);
    }

    internal void OnReleased(DuckDbQueryResult result)
    {
        if (ReferenceEquals(_active, result)) _active = null;
    }

    private void RefreshCurrentDatabase() =>
        _currentDatabase = NativeQuery.QueryScalarString(_connection, "SELECT current_schema()") ?? _currentDatabase;

    /// <summary>
    /// Runs a metadata query on the worker: on the session's connection when no result streams on it
    /// (so temporary tables are visible), else on a second connection, so the open result survives.
    /// </summary>
    internal Task<List<object?[]>> QueryMetadataAsync(string sql, CancellationToken cancellationToken) =>
        Worker.RunAsync(() =>
        {
            DuckDBNativeConnection connection;
            if (_active is null)
            {
                connection = _connection;
            }
            else
            {
                connection = _metadataConnection ??= _engine.Connect();
            }
            return NativeQuery.QueryRows(connection, sql);
        }, cancellationToken);

    internal Task<T> RunOnWorkerAsync<T>(Func<DuckDBNativeConnection, T> work, CancellationToken cancellationToken) =>
        Worker.RunAsync(() => work(_active is null ? _connection : _metadataConnection ??= _engine.Connect()), cancellationToken);

    private static readonly ResultSchema DescribeSchema = new([
        new ColumnInfo("col_name", SqlType.String),
        new ColumnInfo("data_type", SqlType.String),
        new ColumnInfo("comment", SqlType.String),
    ]);

    /// <summary>
    /// Hive's DESCRIBE: one row per column. EXTENDED/FORMATTED add Hive's trailer (an empty row, then
    /// "# Detailed Table Information" and "Key:" rows with the value in data_type); clients such as PyHive
    /// and dbt-spark read columns up to the first empty or '#' row.
    /// </summary>
    private RowsQueryResult Describe(HiveTranslation t)
    {
        var (catalog, schema) = ResolveTable(t.Catalog, t.Schema, t.Table!);
        List<(string Name, SqlType Type, string? Comment, bool Nullable)> columns;
        try
        {
            columns = DescribeColumns(_connection, catalog, schema, t.Table!);
        }
        catch (EngineException e) when (e.SqlState == "42S02")
        {
            // Hive's wording: PyHive's has_table() recognises a missing table by it.
            throw new EngineException("SemanticException [Error 10001]: Table not found " + t.ObjectName, e.SqlState, e.ErrorCode, inner: e);
        }
        var rows = columns.Select(c => new object?[] { c.Name, c.Type.ToString(), c.Comment }).ToList();
        if (t.Extended)
        {
            var info = ObjectInfo(catalog, schema, t.Table!);
            rows.Add(["", null, null]);
            rows.Add(["# Detailed Table Information", null, null]);
            rows.Add(["Database:", schema, null]);
            rows.Add(["Table:", info?.Name ?? t.Table, null]);
            rows.Add(["Owner:", _user, null]);
            rows.Add(["Table Type:", info?.IsView == true ? "VIRTUAL_VIEW" : "MANAGED_TABLE", null]);
            rows.Add(["Comment:", info?.Comment, null]);
            if (info?.IsView == true) rows.Add(["View Original Text:", info.Sql, null]);
        }
        return new RowsQueryResult(DescribeSchema, rows);
    }

    /// <summary>Where an unqualified name resolves: a temporary table or view first, as DuckDB does, else the current schema.</summary>
    private (string Catalog, string Schema) ResolveTable(string? catalog, string? schema, string table)
    {
        if (catalog is null && schema is null)
        {
            var temp = NativeQuery.QueryRows(_connection,
                "SELECT 1 FROM duckdb_tables() WHERE temporary AND lower(table_name) = lower(" + HiveDialect.QuoteLiteral(table) + ") "
                + "UNION ALL SELECT 1 FROM duckdb_views() WHERE temporary AND lower(view_name) = lower(" + HiveDialect.QuoteLiteral(table) + ")");
            if (temp.Count > 0) return ("temp", "main");
        }
        return (catalog ?? NativeQuery.QueryScalarString(_connection, "SELECT current_database()")!,
            schema ?? NativeQuery.QueryScalarString(_connection, "SELECT current_schema()")!);
    }

    private sealed record ObjectDetails(string Name, bool IsView, string? Comment, string? Sql);

    private ObjectDetails? ObjectInfo(string catalog, string schema, string table) =>
        ListObjects(catalog, HiveDialect.QuoteLiteral(schema), "lower(name) = lower(" + HiveDialect.QuoteLiteral(table) + ")").FirstOrDefault();

    /// <summary>Tables and views of one schema (a SQL expression) matching <paramref name="filter"/> on their name.</summary>
    private List<ObjectDetails> ListObjects(string catalog, string schemaSql, string filter) =>
        [.. NativeQuery.QueryRows(_connection,
            "SELECT name, is_view, comment, sql FROM (SELECT database_name, schema_name, table_name AS name, false AS is_view, comment, sql FROM duckdb_tables() "
            + "UNION ALL SELECT database_name, schema_name, view_name, true, comment, sql FROM duckdb_views() WHERE NOT internal) "
            + $"WHERE database_name = {HiveDialect.QuoteLiteral(catalog)} AND lower(schema_name) = lower({schemaSql}) AND {filter} ORDER BY name")
            .Select(r => new ObjectDetails((string)r[0]!, r[1] is true, r[2] as string, r[3] as string))];

    private static readonly ResultSchema DescribeDatabaseSchema = new([
        new ColumnInfo("db_name", SqlType.String),
        new ColumnInfo("comment", SqlType.String),
        new ColumnInfo("location", SqlType.String),
        new ColumnInfo("owner_name", SqlType.String),
        new ColumnInfo("owner_type", SqlType.String),
        new ColumnInfo("parameters", SqlType.String),
    ]);

    /// <summary>Hive's DESCRIBE DATABASE row; the location is the DuckDB database file ("" in memory).</summary>
    private RowsQueryResult DescribeDatabase(string schema)
    {
        var rows = NativeQuery.QueryRows(_connection,
            "SELECT s.schema_name, s.comment, coalesce(d.path, '') FROM duckdb_schemas() s JOIN duckdb_databases() d USING (database_name) "
            + "WHERE s.database_name = current_database() AND lower(s.schema_name) = lower(" + HiveDialect.QuoteLiteral(schema) + ")");
        if (rows.Count == 0) throw new EngineException("Database does not exist: " + schema, "42000");
        var r = rows[0];
        return new RowsQueryResult(DescribeDatabaseSchema, [[r[0], r[1] as string ?? "", r[2], _user, "USER", ""]]);
    }

    private static readonly ResultSchema ShowTableExtendedSchema = new([
        new ColumnInfo("namespace", SqlType.String),
        new ColumnInfo("tableName", SqlType.String),
        new ColumnInfo("isTemporary", SqlType.Boolean),
        new ColumnInfo("information", SqlType.String),
    ]);

    /// <summary>
    /// Spark's SHOW TABLE EXTENDED: dbt-spark tells views from tables by "Type: VIEW" in information and reads
    /// columns from its " |-- name: type (nullable = b)" lines (types in Hive's spelling here).
    /// </summary>
    private RowsQueryResult ShowTableExtended(HiveTranslation t)
    {
        var catalog = NativeQuery.QueryScalarString(_connection, "SELECT current_database()")!;
        var schema = t.Schema ?? NativeQuery.QueryScalarString(_connection, "SELECT current_schema()")!;
        var rows = new List<object?[]>();
        foreach (var o in ListObjects(catalog, HiveDialect.QuoteLiteral(schema), "regexp_full_match(name, " + HiveDialect.QuoteLiteral(t.Pattern!) + ")"))
        {
            var info = new StringBuilder();
            info.Append("Database: ").Append(schema).Append('\n');
            info.Append("Table: ").Append(o.Name).Append('\n');
            info.Append("Owner: ").Append(_user).Append('\n');
            info.Append("Type: ").Append(o.IsView ? "VIEW" : "MANAGED").Append('\n');
            if (!o.IsView) info.Append("Provider: duckdb\n");
            if (o.Comment is not null) info.Append("Comment: ").Append(o.Comment).Append('\n');
            if (o.IsView) info.Append("View Text: ").Append(o.Sql).Append('\n');
            info.Append("Schema: root\n");
            foreach (var c in DescribeColumns(_connection, catalog, schema, o.Name))
            {
                info.Append(" |-- ").Append(c.Name).Append(": ").Append(c.Type.ToString()).Append(" (nullable = ").Append(c.Nullable ? "true" : "false").Append(")\n");
            }
            rows.Add([schema, o.Name, false, info.ToString()]);
        }
        return new RowsQueryResult(ShowTableExtendedSchema, rows);
    }

    /// <summary>A table's columns with their gateway types, comments and nullability (DESCRIBE, and checks in tests).</summary>
    internal static List<(string Name, SqlType Type, string? Comment, bool Nullable)> DescribeColumns(DuckDBNativeConnection connection, string catalog, string schema, string table)
    {
        var qualified = $"{HiveDialect.QuoteIdentifier(catalog)}.{HiveDialect.QuoteIdentifier(schema)}.{HiveDialect.QuoteIdentifier(table)}";
        List<(string, DuckDbLogicalType)> types;
        using (var prepared = NativeQuery.Prepare(connection, "SELECT * FROM " + qualified))
        {
            types = [.. NativeQuery.PreparedColumns(prepared)];
        }
        var details = NativeQuery.QueryRows(connection,
            "SELECT column_name, comment, is_nullable FROM duckdb_columns() WHERE database_name = " + HiveDialect.QuoteLiteral(catalog)
            + " AND lower(schema_name) = lower(" + HiveDialect.QuoteLiteral(schema) + ") AND lower(table_name) = lower(" + HiveDialect.QuoteLiteral(table) + ")")
            .ToDictionary(r => (string)r[0]!, r => (Comment: r[1] as string, Nullable: r[2] is not false), StringComparer.Ordinal);
        return [.. types.Select(c =>
        {
            var d = details.GetValueOrDefault(c.Item1, (null, true));
            return (c.Item1, DuckDbTypes.ToSqlTypeOrString(c.Item2), d.Comment, d.Nullable);
        })];
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        Interrupt();
        try
        {
            await Worker.RunAsync(() =>
            {
                ReleaseActive("the session closed");
                _metadataConnection?.Dispose();
                _connection.Dispose();
            }).ConfigureAwait(false);
        }
        finally
        {
            Worker.Dispose();
            _engine.Forget(this);
        }
    }
}
