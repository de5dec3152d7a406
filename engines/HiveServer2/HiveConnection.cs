using Gateway.Protocol.Columnar;
using Gateway.Protocol.Hive;
using Gateway.Protocol.Thrift;

namespace Gateway.Engines.HiveServer2;

public enum HiveTransportMode
{
    /// <summary>The binary TCP transport (port 10000 by default).</summary>
    Binary,
    /// <summary>One HTTP POST per call (<c>transportMode=http</c>, port 10001 by default).</summary>
    Http,
}

public sealed record HiveConnectionOptions
{
    public string Host { get; init; } = "127.0.0.1";
    public int Port { get; init; } = 10000;
    public HiveTransportMode Transport { get; init; } = HiveTransportMode.Binary;

    /// <summary>The HTTP endpoint path (<c>httpPath</c>).</summary>
    public string HttpPath { get; init; } = "/cliservice";

    /// <summary>TLS for either transport (https for HTTP); null means plaintext.</summary>
    public ClientTlsOptions? Tls { get; init; }

    /// <summary>HTTP only: send <c>Authorization: Bearer</c> instead of Basic credentials.</summary>
    public string? BearerToken { get; init; }

    /// <summary>Binary: SASL PLAIN or none. HTTP: Basic credentials from User/Password, or none with NoSasl.</summary>
    public HiveAuthMode Auth { get; init; } = HiveAuthMode.SaslPlain;
    public string User { get; init; } = Environment.UserName;
    public string Password { get; init; } = "x";
    public TProtocolVersion ProtocolVersion { get; init; } = TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V10;
    public string? Database { get; init; }
    public IReadOnlyDictionary<string, string>? Configuration { get; init; }
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// Ask for Arrow result batches (with these native types) when the server negotiates a Spark-line protocol
    /// (<see cref="ProtocolVersion"/> SPARK_CLI_SERVICE_PROTOCOL_*); null, or a Hive-line session, reads Thrift columns.
    /// A server that ignores the request answers with Thrift columns, which are read as usual.
    /// </summary>
    public HiveArrowOptions? Arrow { get; init; }
}

/// <summary>
/// The project's own HiveServer2 client: one session over one transport. Used by the CLI, the tests
/// and (later) the remote HiveServer2 engine.
/// </summary>
public sealed class HiveConnection : IAsyncDisposable
{
    private readonly IThriftTransport _transport;
    private bool _closed;

    private HiveConnection(IThriftTransport transport, TCLIServiceClient client, TSessionHandle session, TProtocolVersion version, HiveConnectionOptions options)
    {
        _transport = transport;
        Client = client;
        Session = session;
        ProtocolVersion = version;
        Options = options;
    }

    public TCLIServiceClient Client { get; }
    public TSessionHandle Session { get; }
    public TProtocolVersion ProtocolVersion { get; }
    public HiveConnectionOptions Options { get; }

    public static async Task<HiveConnection> OpenAsync(HiveConnectionOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        IThriftTransport transport = options.Transport == HiveTransportMode.Http
            ? HttpThriftTransport.Create(new HttpThriftTransportOptions
            {
                Endpoint = HttpEndpoint(options),
                Authorization = options.BearerToken is { } token ? HttpThriftTransport.Bearer(token)
                    : options.Auth == HiveAuthMode.NoSasl ? null
                    : HttpThriftTransport.Basic(options.User, options.Password),
                Tls = options.Tls,
            })
            : await ThriftTcpTransport.ConnectAsync(new ThriftTcpTransportOptions
            {
                Host = options.Host,
                Port = options.Port,
                Auth = options.Auth,
                User = options.User,
                Password = options.Password,
                Tls = options.Tls,
            }, cancellationToken).ConfigureAwait(false);
        try
        {
            return await OpenAsync(transport, options, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex) when (ex.StatusCode == System.Net.HttpStatusCode.Unauthorized)
        {
            await DisposeTransportAsync(transport).ConfigureAwait(false);
            throw new HiveClientException(ex.Message, "28000");
        }
        catch (HttpRequestException ex) when (ex.InnerException is System.Security.Authentication.AuthenticationException tls)
        {
            await DisposeTransportAsync(transport).ConfigureAwait(false);
            throw new HiveClientException($"TLS handshake with {options.Host}:{options.Port} failed: {tls.Message}", "08001");
        }
        catch
        {
            await DisposeTransportAsync(transport).ConfigureAwait(false);
            throw;
        }
    }

    public static Uri HttpEndpoint(HiveConnectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var path = options.HttpPath.StartsWith('/') ? options.HttpPath : "/" + options.HttpPath;
        return new UriBuilder(options.Tls is null ? "http" : "https", options.Host, options.Port, path).Uri;
    }

    private static async ValueTask DisposeTransportAsync(IThriftTransport transport)
    {
        if (transport is IAsyncDisposable a) await a.DisposeAsync().ConfigureAwait(false);
        else if (transport is IDisposable d) d.Dispose();
    }

    public static async Task<HiveConnection> OpenAsync(IThriftTransport transport, HiveConnectionOptions options, CancellationToken cancellationToken = default)
    {
        var client = new TCLIServiceClient(transport);
        var config = new Dictionary<string, string>(options.Configuration ?? new Dictionary<string, string>());
        if (options.Database is not null) config["use:database"] = options.Database;
        var resp = await client.OpenSessionAsync(new TOpenSessionReq
        {
            // Spark-line versions go in the i64 field; the i32 field keeps a Hive version every server knows.
            ClientProtocol = HiveProtocol.IsSpark(options.ProtocolVersion) ? HiveProtocol.HiveLevel(options.ProtocolVersion) : options.ProtocolVersion,
            ClientProtocolI64 = HiveProtocol.IsSpark(options.ProtocolVersion) ? (long)options.ProtocolVersion : null,
            Username = options.User,
            Password = options.Password,
            Configuration = config,
        }, cancellationToken).ConfigureAwait(false);
        Check(resp.Status);
        return new HiveConnection(transport, client, resp.SessionHandle!, resp.ServerProtocolVersion, options);
    }

    public static void Check(TStatus? status)
    {
        if (status is null) throw new HiveClientException("The server returned no status.");
        if (status.StatusCode is TStatusCode.SUCCESS_STATUS or TStatusCode.SUCCESS_WITH_INFO_STATUS or TStatusCode.STILL_EXECUTING_STATUS) return;
        throw new HiveClientException(status.ErrorMessage ?? status.StatusCode.ToString(), status.SqlState ?? "HY000", status.ErrorCode ?? 0)
        {
            Data = { ["StatusCode"] = status.StatusCode },
        };
    }

    /// <summary>Runs a statement and waits until it finishes (async execution with polling, as JDBC does).</summary>
    public async Task<HiveOperation> ExecuteAsync(string sql, CancellationToken cancellationToken = default, bool runAsync = true, long queryTimeoutSeconds = 0)
    {
        var op = await StartAsync(sql, cancellationToken, runAsync, queryTimeoutSeconds).ConfigureAwait(false);
        await op.WaitAsync(cancellationToken).ConfigureAwait(false);
        return op;
    }

    /// <summary>Submits a statement without waiting for it.</summary>
    public async Task<HiveOperation> StartAsync(string sql, CancellationToken cancellationToken = default, bool runAsync = true, long queryTimeoutSeconds = 0)
    {
        var request = new TExecuteStatementReq
        {
            SessionHandle = Session,
            Statement = sql,
            RunAsync = runAsync,
            QueryTimeout = queryTimeoutSeconds,
        };
        // Only Spark-line servers define the Arrow fields; a Hive-line session reads Thrift columns.
        var arrow = HiveProtocol.IsSpark(ProtocolVersion) ? Options.Arrow : null;
        arrow?.Apply(request);
        var resp = await Client.ExecuteStatementAsync(request, cancellationToken).ConfigureAwait(false);
        Check(resp.Status);
        return new HiveOperation(this, resp.OperationHandle!, arrow);
    }

    public async Task<HiveOperation> MetadataAsync(Func<TCLIServiceClient, TSessionHandle, Task<(TStatus? Status, TOperationHandle? Handle)>> call)
    {
        var (status, handle) = await call(Client, Session).ConfigureAwait(false);
        Check(status);
        return new HiveOperation(this, handle!);
    }

    /// <summary>Runs a query and reads every row as text (for small results: the CLI and tests).</summary>
    public async Task<(ResultSchema Schema, List<string?[]> Rows)> QueryAsync(string sql, CancellationToken cancellationToken = default)
    {
        await using var op = await ExecuteAsync(sql, cancellationToken).ConfigureAwait(false);
        return await op.ReadAllAsTextAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_closed)
        {
            _closed = true;
            try
            {
                await Client.CloseSessionAsync(new TCloseSessionReq { SessionHandle = Session }, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or HiveClientException or ThriftProtocolException or System.Net.Sockets.SocketException or ObjectDisposedException or HttpRequestException)
            {
                // The connection is already gone; nothing left to close.
            }
        }
        await DisposeTransportAsync(_transport).ConfigureAwait(false);
    }
}

/// <summary>An operation handle with the calls that act on it.</summary>
/// <param name="arrow">The Arrow types the execute request asked for, if it did.</param>
public sealed class HiveOperation(HiveConnection connection, TOperationHandle handle, HiveArrowOptions? arrow = null) : IAsyncDisposable
{
    private ResultSchema? _schema;
    private HiveArrowResult? _arrow;
    private bool _closed;

    public TOperationHandle Handle { get; } = handle;
    public TOperationState? LastState { get; private set; }

    public async Task<TGetOperationStatusResp> StatusAsync(CancellationToken cancellationToken = default)
    {
        var resp = await connection.Client.GetOperationStatusAsync(new TGetOperationStatusReq { OperationHandle = Handle, GetProgressUpdate = true }, cancellationToken).ConfigureAwait(false);
        HiveConnection.Check(resp.Status);
        LastState = resp.OperationState;
        return resp;
    }

    /// <summary>Polls until the operation leaves PENDING/RUNNING; throws when it ends in ERROR, CANCELED or TIMEDOUT.</summary>
    public async Task WaitAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var s = await StatusAsync(cancellationToken).ConfigureAwait(false);
            switch (s.OperationState)
            {
                case TOperationState.FINISHED_STATE:
                    return;
                case TOperationState.ERROR_STATE or TOperationState.CANCELED_STATE or TOperationState.TIMEDOUT_STATE or TOperationState.CLOSED_STATE:
                    throw new HiveClientException(s.ErrorMessage ?? s.OperationState.ToString()!, s.SqlState ?? "HY000", s.ErrorCode ?? 0) { Data = { ["State"] = s.OperationState } };
                default:
                    await Task.Delay(connection.Options.PollInterval, cancellationToken).ConfigureAwait(false);
                    break;
            }
        }
    }

    public async Task<ResultSchema> GetSchemaAsync(CancellationToken cancellationToken = default)
    {
        if (_schema is not null) return _schema;
        var resp = await connection.Client.GetResultSetMetadataAsync(new TGetResultSetMetadataReq { OperationHandle = Handle }, cancellationToken).ConfigureAwait(false);
        HiveConnection.Check(resp.Status);
        var columns = resp.Schema?.Columns ?? [];
        var schema = new ResultSchema([.. columns.OrderBy(c => c.Position).Select(c => new ColumnInfo(c.ColumnName, HiveResultEncoder.FromTypeDesc(c.TypeDesc), c.Comment))]);
        _arrow = HiveArrowResult.From(resp, schema, arrow);
        _schema = schema;
        return _schema;
    }

    /// <summary>How this result's Arrow batches are read (null when the server answers with Thrift columns); known after <see cref="GetSchemaAsync"/>.</summary>
    public HiveArrowResult? Arrow => _arrow;

    /// <summary>
    /// One FetchResults call. Thrift columns come as the wire carriers (text for DECIMAL, DATE, ...); Arrow batches
    /// as their Arrow types (DECIMAL as decimals, TIMESTAMP as microseconds, nested types nested), with the
    /// TTableSchema's names.
    /// </summary>
    public async Task<(ColumnBatch Batch, bool HasMoreRows)> FetchAsync(int maxRows, TFetchOrientation orientation = TFetchOrientation.FETCH_NEXT, CancellationToken cancellationToken = default)
    {
        var schema = await GetSchemaAsync(cancellationToken).ConfigureAwait(false);
        var resp = await connection.Client.FetchResultsAsync(new TFetchResultsReq { OperationHandle = Handle, Orientation = orientation, MaxRows = maxRows }, cancellationToken).ConfigureAwait(false);
        HiveConnection.Check(resp.Status);
        return (HiveRowSets.ToBatch(resp.Results, schema, _arrow), resp.HasMoreRows ?? false);
    }

    public async Task<IReadOnlyList<string>> FetchLogAsync(CancellationToken cancellationToken = default)
    {
        var resp = await connection.Client.FetchResultsAsync(new TFetchResultsReq { OperationHandle = Handle, Orientation = TFetchOrientation.FETCH_NEXT, MaxRows = 10_000, FetchType = 1 }, cancellationToken).ConfigureAwait(false);
        HiveConnection.Check(resp.Status);
        var logSchema = new ResultSchema([new ColumnInfo("log", SqlType.String)]);
        using var batch = HiveRowSets.ToBatch(resp.Results, logSchema);
        var lines = new List<string>();
        for (var i = 0; i < batch.RowCount; i++) lines.Add(ValueFormatter.Utc.FormatToString(batch.Columns[0], i) ?? "");
        return lines;
    }

    public async Task<(ResultSchema Schema, List<string?[]> Rows)> ReadAllAsTextAsync(CancellationToken cancellationToken = default, int fetchSize = 10_000)
    {
        var schema = await GetSchemaAsync(cancellationToken).ConfigureAwait(false);
        var rows = new List<string?[]>();
        if (Handle.HasResultSet == false) return (schema, rows);
        while (true)
        {
            var (batch, more) = await FetchAsync(fetchSize, cancellationToken: cancellationToken).ConfigureAwait(false);
            using (batch)
            {
                for (var r = 0; r < batch.RowCount; r++)
                {
                    var row = new string?[batch.Columns.Length];
                    for (var c = 0; c < row.Length; c++) row[c] = ValueFormatter.Utc.FormatToString(batch.Columns[c], r);
                    rows.Add(row);
                }
                if (batch.RowCount == 0 || !more) break;
            }
        }
        return (schema, rows);
    }

    public async Task CancelAsync(CancellationToken cancellationToken = default)
    {
        var resp = await connection.Client.CancelOperationAsync(new TCancelOperationReq { OperationHandle = Handle }, cancellationToken).ConfigureAwait(false);
        HiveConnection.Check(resp.Status);
    }

    public async ValueTask DisposeAsync()
    {
        if (_closed) return;
        _closed = true;
        try
        {
            await connection.Client.CloseOperationAsync(new TCloseOperationReq { OperationHandle = Handle }, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or HiveClientException or ThriftProtocolException or System.Net.Sockets.SocketException or ObjectDisposedException or HttpRequestException)
        {
            // The session or connection is already gone.
        }
    }
}

/// <summary>Turns a fetched TRowSet (columnar, row-based or Arrow) into a batch.</summary>
public static class HiveRowSets
{
    /// <summary>
    /// Arrow batches (when the row set carries them instead of columns) are read with <paramref name="arrow"/>;
    /// anything else as <see cref="ToBatch(TRowSet?, ResultSchema)"/> reads it.
    /// </summary>
    public static ColumnBatch ToBatch(TRowSet? rowSet, ResultSchema declared, HiveArrowResult? arrow)
    {
        if (rowSet is not null && rowSet.Columns is not { Count: > 0 } && (rowSet.ArrowBatchSlices is not null || rowSet.ArrowBatches is not null))
        {
            if (arrow is null) throw new HiveClientException("The server sent Arrow batches for a result it did not describe as Arrow (no Arrow schema).", "08S01");
            return arrow.Read(rowSet.ArrowBatchSlices ?? [.. rowSet.ArrowBatches!.Select(b => new ArrowBatchSlice(b.Batch, b.RowCount))]);
        }
        return ToBatch(rowSet, declared);
    }

    public static ColumnBatch ToBatch(TRowSet? rowSet, ResultSchema declared)
    {
        if (rowSet is null) return new BatchBuilder(declared).Build();
        if (rowSet.Columns is { Count: > 0 } columns)
        {
            var cols = columns.Select(c => c.Column).ToArray();
            var rows = cols.Length == 0 ? 0 : cols[0].Length;
            var schema = new ResultSchema([.. cols.Select((c, i) => new ColumnInfo(i < declared.Count ? declared.Columns[i].Name : $"_c{i}", c.Type))]);
            return new ColumnBatch(schema, rows, cols);
        }
        var textSchema = new ResultSchema([.. declared.Columns.Select(c => c with { Type = CarrierType(c.Type) })]);
        var builder = new BatchBuilder(textSchema);
        foreach (var row in rowSet.Rows ?? [])
        {
            var values = new object?[textSchema.Count];
            for (var i = 0; i < values.Length && i < row.ColVals.Count; i++) values[i] = Unwrap(row.ColVals[i]);
            builder.AddRow(values);
        }
        return builder.Build();
    }

    private static SqlType CarrierType(SqlType t) => t.Kind switch
    {
        SqlTypeKind.Boolean or SqlTypeKind.TinyInt or SqlTypeKind.SmallInt or SqlTypeKind.Int or SqlTypeKind.BigInt or SqlTypeKind.Double => t,
        SqlTypeKind.Float => SqlType.Double,
        _ => SqlType.String,
    };

    private static object? Unwrap(TColumnValue v)
    {
        if (v.BoolVal is { } b) return b.Value;
        if (v.ByteVal is { } y) return y.Value;
        if (v.I16Val is { } s) return s.Value;
        if (v.I32Val is { } i) return i.Value;
        if (v.I64Val is { } l) return l.Value;
        if (v.DoubleVal is { } d) return d.Value;
        return v.StringVal?.Value;
    }
}

