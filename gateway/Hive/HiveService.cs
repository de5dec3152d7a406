using Gateway.Engines;
using Gateway.Protocol.Columnar;
using Gateway.Protocol.Hive;
using Gateway.Router;
using Gateway.Router.Routing;
using Gateway.Server.Configuration;
using Gateway.Server.Engines;
using Gateway.Server.Operations;
using Gateway.Server.Routing;
using Gateway.Server.Sessions;
using Gateway.Server.Statements;
using Microsoft.Extensions.Logging;

namespace Gateway.Server.Hive;

/// <summary>
/// TCLIService for one authenticated caller (a binary connection, or one HTTP request). Every method
/// answers with a status: statement errors and bad handles never escape as exceptions, so only
/// framing errors end a connection.
/// </summary>
public sealed partial class HiveService : ITCLIService
{
    /// <summary>The newest protocol this server speaks; clients get min(theirs, ours).</summary>
    public const TProtocolVersion ServerProtocol = TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V11;

    /// <summary>The newest Spark/Databricks protocol spoken to clients of that line (V8: parameterized queries).</summary>
    public const TProtocolVersion ServerSparkProtocol = TProtocolVersion.SPARK_CLI_SERVICE_PROTOCOL_V8;

    private readonly SessionManager _sessions;
    private readonly GatewayOptions _options;
    private readonly ILogger _logger;
    private CallerContext _caller;
    private readonly bool _userFromRequest;
    private readonly StatementRunner _runner;

    /// <param name="userFromRequest">True for transports without authentication (no-SASL binary): the user is whoever OpenSession names.</param>
    public HiveService(SessionManager sessions, GatewayOptions options, CallerContext caller, bool userFromRequest, ILogger logger)
    {
        _sessions = sessions;
        _options = options;
        _caller = caller;
        _userFromRequest = userFromRequest;
        _logger = logger;
        _runner = sessions.Runner;
    }

    public CallerContext Caller => _caller;

    private readonly List<IDisposable> _afterReply = [];

    private T DisposeAfterReply<T>(T resource) where T : IDisposable
    {
        _afterReply.Add(resource);
        return resource;
    }

    /// <summary>Called by the transport once the reply is serialized: frees what the reply referenced.</summary>
    public void ReplyWritten()
    {
        for (var i = _afterReply.Count - 1; i >= 0; i--) _afterReply[i].Dispose();
        _afterReply.Clear();
    }

    public async ValueTask<TOpenSessionResp> OpenSession(TOpenSessionReq req, CancellationToken cancellationToken)
    {
        try
        {
            if (_userFromRequest) _caller = _caller with { User = string.IsNullOrWhiteSpace(req.Username) ? "anonymous" : req.Username! };
            var version = NegotiateVersion(req);
            var config = req.Configuration is null ? new Dictionary<string, string>() : new Dictionary<string, string>(req.Configuration);
            // Spark's initialNamespace is the JDBC URL's database (and catalog) in another field.
            if (req.InitialNamespace is { } ns)
            {
                if (!string.IsNullOrWhiteSpace(ns.SchemaName)) config.TryAdd("use:database", ns.SchemaName);
                if (!string.IsNullOrWhiteSpace(ns.CatalogName)) config.TryAdd("use:catalog", ns.CatalogName);
            }
            var session = await _sessions.OpenSessionAsync(_caller, (int)version, config, cancellationToken).ConfigureAwait(false);
            var resp = new TOpenSessionResp
            {
                Status = StatusMapper.Success(),
                ServerProtocolVersion = version,
                SessionHandle = new TSessionHandle { SessionId = ToThrift(session.Handle) },
                Configuration = new Dictionary<string, string>(),
            };
            if (HiveProtocol.IsSpark(version))
            {
                resp.InitialNamespace = new TNamespace { SchemaName = session.CurrentDatabase };
                resp.CanUseMultipleCatalogs = req.CanUseMultipleCatalogs == true;
            }
            return resp;
        }
        catch (Exception ex)
        {
            return new TOpenSessionResp { Status = StatusMapper.FromException(ex, _logger), ServerProtocolVersion = ServerProtocol };
        }
    }

    private static TProtocolVersion NegotiateVersion(TOpenSessionReq req)
    {
        // Databricks clients put their version in client_protocol_i64 (the i32 field keeps a Hive default).
        var client = req.ClientProtocolI64 is { } wide && wide > 0 ? wide : (long)req.ClientProtocol;
        // The SPARK_CLI_SERVICE_PROTOCOL line (0xA5XX) is answered in kind; its columnar layout is Hive's (HiveProtocol.HiveLevel).
        if (client >= (int)TProtocolVersion.SPARK_CLI_SERVICE_PROTOCOL_V1) return (TProtocolVersion)Math.Min(client, (int)ServerSparkProtocol);
        return (TProtocolVersion)Math.Min(client, (int)ServerProtocol);
    }

    public async ValueTask<TCloseSessionResp> CloseSession(TCloseSessionReq req, CancellationToken cancellationToken)
    {
        try
        {
            var session = Session(req.SessionHandle);
            await _sessions.CloseSessionAsync(session, "closed by client").ConfigureAwait(false);
            return new TCloseSessionResp { Status = StatusMapper.Success() };
        }
        catch (Exception ex)
        {
            return new TCloseSessionResp { Status = StatusMapper.FromException(ex, _logger) };
        }
    }

    public ValueTask<TGetInfoResp> GetInfo(TGetInfoReq req, CancellationToken cancellationToken)
    {
        try
        {
            var session = Session(req.SessionHandle);
            var info = _options.ServerInfo;
            var value = (int)req.InfoType switch
            {
                13 => new TGetInfoValue { StringValue = info.ServerName },
                17 => new TGetInfoValue { StringValue = info.DbmsName },
                18 => new TGetInfoValue { StringValue = info.DbmsVersion },
                30 or 32 or 35 or 34 or 31 => new TGetInfoValue { LenValue = 128 },
                10006 => new TGetInfoValue { StringValue = HiveKeywords.OdbcKeywords },
                // CLI_IDENTIFIER_QUOTE_CHAR
                29 => new TGetInfoValue { StringValue = "`" },
                // CLI_USER_NAME
                47 => new TGetInfoValue { StringValue = session.User },
                // CLI_TXN_CAPABLE: none
                46 => new TGetInfoValue { SmallIntValue = 0 },
                _ => null,
            };
            if (value is null)
            {
                return ValueTask.FromResult(new TGetInfoResp
                {
                    Status = StatusMapper.Error($"GetInfo type {(int)req.InfoType} is not supported.", "HYC00"),
                    InfoValue = new TGetInfoValue { StringValue = "" },
                });
            }
            return ValueTask.FromResult(new TGetInfoResp { Status = StatusMapper.Success(), InfoValue = value });
        }
        catch (Exception ex)
        {
            return ValueTask.FromResult(new TGetInfoResp { Status = StatusMapper.FromException(ex, _logger), InfoValue = new TGetInfoValue { StringValue = "" } });
        }
    }

    public async ValueTask<TExecuteStatementResp> ExecuteStatement(TExecuteStatementReq req, CancellationToken cancellationToken)
    {
        try
        {
            var session = Session(req.SessionHandle);
            var overlay = StatementOverlay(session, req.ConfOverlay);
            var request = new StatementRequest(req.Statement ?? "")
            {
                Overlay = overlay,
                Parameters = SparkParameters.Convert(req.Parameters, session.Formatter.Zone),
                Format = ChooseFormat(req, session, overlay),
                RunAsync = req.RunAsync == true,
                QueryTimeoutSeconds = req.QueryTimeout,
                RowLimit = req.ResultRowLimit,
            };
            var op = await _runner.StartAsync(session, request, cancellationToken).ConfigureAwait(false);
            if (!request.RunAsync && op is StatementOperation && op.State is OperationState.Error or OperationState.Canceled or OperationState.TimedOut)
            {
                // A synchronous caller learns the failure from the execute call itself, as from HiveServer2.
                var status = StatusMapper.Error(op.ErrorMessage ?? "The statement failed.", op.ErrorSqlState, op.ErrorCode);
                await _sessions.CloseOperationAsync(op).ConfigureAwait(false);
                return new TExecuteStatementResp { Status = status };
            }
            var resp = new TExecuteStatementResp { Status = StatusMapper.Success(), OperationHandle = ToThrift(op) };
            if (req.GetDirectResults is { } directRequest) resp.DirectResults = await DirectResultsAsync(op, directRequest, cancellationToken).ConfigureAwait(false);
            return resp;
        }
        catch (Exception ex)
        {
            return new TExecuteStatementResp { Status = StatusMapper.FromException(ex, _logger) };
        }
    }

    /// <summary>
    /// A metadata call whose answer does not depend on any engine (GetTypeInfo, GetTableTypes): built at once, whatever
    /// runAsync says, without leasing an engine session (a busy or unhealthy engine must not delay or fail it).
    /// </summary>
    private async ValueTask<(TStatus Status, TOperationHandle? Handle, TSparkDirectResults? Direct)> MetadataAsync(
        TSessionHandle? handle, OperationType type, Func<ColumnBatch> build, TSparkGetDirectResults? directRequest, CancellationToken cancellationToken)
    {
        try
        {
            var session = Session(handle);
            var op = new MaterializedOperation(session, type, _sessions.Time, build());
            try
            {
                _sessions.AddOperation(op);
            }
            catch
            {
                await op.DisposeAsync().ConfigureAwait(false);
                throw;
            }
            var direct = directRequest is null ? null : await DirectResultsAsync(op, directRequest, cancellationToken).ConfigureAwait(false);
            return (StatusMapper.Success(), ToThrift(op), direct);
        }
        catch (Exception ex)
        {
            return (StatusMapper.FromException(ex, _logger), null, null);
        }
    }

    /// <summary>
    /// A metadata call: built now, or in the background when the client asked for <c>runAsync</c>; with
    /// <c>getDirectResults</c> the response also carries status, metadata, the first rows and the close.
    /// </summary>
    private async ValueTask<(TStatus Status, TOperationHandle? Handle, TSparkDirectResults? Direct)> MetadataAsync(
        TSessionHandle? handle, OperationType type, Func<Hs2Session, IEngineMetadata, CancellationToken, ValueTask<ColumnBatch>> build,
        TSparkGetDirectResults? directRequest, bool? runAsync, CancellationToken cancellationToken)
    {
        try
        {
            var session = Session(handle);
            Operation op;
            if (runAsync == true)
            {
                var background = new BackgroundOperation(session, type, _sessions.Time);
                _sessions.AddOperation(background);
                background.Start(async ct =>
                {
                    await using var lease = await session.AcquireEngineSessionAsync(ct).ConfigureAwait(false);
                    return await build(session, lease.Session.Metadata, ct).ConfigureAwait(false);
                });
                op = background;
            }
            else
            {
                ColumnBatch batch;
                await using (var lease = await session.AcquireEngineSessionAsync(cancellationToken).ConfigureAwait(false))
                {
                    batch = await build(session, lease.Session.Metadata, cancellationToken).ConfigureAwait(false);
                }
                op = new MaterializedOperation(session, type, _sessions.Time, batch);
                _sessions.AddOperation(op);
            }
            var thriftHandle = ToThrift(op);
            var direct = directRequest is null ? null : await DirectResultsAsync(op, directRequest, cancellationToken).ConfigureAwait(false);
            return (StatusMapper.Success(), thriftHandle, direct);
        }
        catch (Exception ex)
        {
            return (StatusMapper.FromException(ex, _logger), null, null);
        }
    }

    public async ValueTask<TGetTypeInfoResp> GetTypeInfo(TGetTypeInfoReq req, CancellationToken cancellationToken)
    {
        var (status, handle, direct) = await MetadataAsync(req.SessionHandle, OperationType.GetTypeInfo, JdbcMetadata.BuildTypeInfo, req.GetDirectResults, cancellationToken).ConfigureAwait(false);
        return new TGetTypeInfoResp { Status = status, OperationHandle = handle, DirectResults = direct };
    }

    public async ValueTask<TGetCatalogsResp> GetCatalogs(TGetCatalogsReq req, CancellationToken cancellationToken)
    {
        var (status, handle, direct) = await MetadataAsync(req.SessionHandle, OperationType.GetCatalogs,
            async (_, md, ct) => JdbcMetadata.BuildCatalogs(await md.GetCatalogsAsync(ct).ConfigureAwait(false)), req.GetDirectResults, req.RunAsync, cancellationToken).ConfigureAwait(false);
        return new TGetCatalogsResp { Status = status, OperationHandle = handle, DirectResults = direct };
    }

    public async ValueTask<TGetSchemasResp> GetSchemas(TGetSchemasReq req, CancellationToken cancellationToken)
    {
        var (status, handle, direct) = await MetadataAsync(req.SessionHandle, OperationType.GetSchemas,
            async (session, md, ct) => JdbcMetadata.BuildSchemas(Visible(session, await md.GetSchemasAsync(Pattern(req.CatalogName), Pattern(req.SchemaName), ct).ConfigureAwait(false))), req.GetDirectResults, req.RunAsync, cancellationToken).ConfigureAwait(false);
        return new TGetSchemasResp { Status = status, OperationHandle = handle, DirectResults = direct };
    }

    public async ValueTask<TGetTablesResp> GetTables(TGetTablesReq req, CancellationToken cancellationToken)
    {
        var (status, handle, direct) = await MetadataAsync(req.SessionHandle, OperationType.GetTables,
            async (session, md, ct) => JdbcMetadata.BuildTables(Visible(session, await md.GetTablesAsync(Pattern(req.CatalogName), Pattern(req.SchemaName), Pattern(req.TableName),
                req.TableTypes is { Count: > 0 } types ? types : null, ct).ConfigureAwait(false))), req.GetDirectResults, req.RunAsync, cancellationToken).ConfigureAwait(false);
        return new TGetTablesResp { Status = status, OperationHandle = handle, DirectResults = direct };
    }

    public async ValueTask<TGetTableTypesResp> GetTableTypes(TGetTableTypesReq req, CancellationToken cancellationToken)
    {
        var (status, handle, direct) = await MetadataAsync(req.SessionHandle, OperationType.GetTableTypes, JdbcMetadata.BuildTableTypes, req.GetDirectResults, cancellationToken).ConfigureAwait(false);
        return new TGetTableTypesResp { Status = status, OperationHandle = handle, DirectResults = direct };
    }

    public async ValueTask<TGetColumnsResp> GetColumns(TGetColumnsReq req, CancellationToken cancellationToken)
    {
        var (status, handle, direct) = await MetadataAsync(req.SessionHandle, OperationType.GetColumns,
            async (session, md, ct) => JdbcMetadata.BuildColumns(Visible(session, await md.GetColumnsAsync(Pattern(req.CatalogName), Pattern(req.SchemaName), Pattern(req.TableName), Pattern(req.ColumnName), ct).ConfigureAwait(false))),
            req.GetDirectResults, req.RunAsync, cancellationToken).ConfigureAwait(false);
        return new TGetColumnsResp { Status = status, OperationHandle = handle, DirectResults = direct };
    }

    public async ValueTask<TGetFunctionsResp> GetFunctions(TGetFunctionsReq req, CancellationToken cancellationToken)
    {
        var (status, handle, direct) = await MetadataAsync(req.SessionHandle, OperationType.GetFunctions,
            async (_, md, ct) => JdbcMetadata.BuildFunctions(await md.GetFunctionsAsync(Pattern(req.CatalogName), Pattern(req.SchemaName), Pattern(req.FunctionName), ct).ConfigureAwait(false)),
            req.GetDirectResults, req.RunAsync, cancellationToken).ConfigureAwait(false);
        return new TGetFunctionsResp { Status = status, OperationHandle = handle, DirectResults = direct };
    }

    public async ValueTask<TGetPrimaryKeysResp> GetPrimaryKeys(TGetPrimaryKeysReq req, CancellationToken cancellationToken)
    {
        var (status, handle, direct) = await MetadataAsync(req.SessionHandle, OperationType.Unknown,
            async (_, md, ct) => JdbcMetadata.BuildPrimaryKeys(req.TableName is null ? [] : await md.GetPrimaryKeysAsync(Pattern(req.CatalogName), Pattern(req.SchemaName), req.TableName, ct).ConfigureAwait(false)),
            req.GetDirectResults, req.RunAsync, cancellationToken).ConfigureAwait(false);
        return new TGetPrimaryKeysResp { Status = status, OperationHandle = handle, DirectResults = direct };
    }

    public async ValueTask<TGetCrossReferenceResp> GetCrossReference(TGetCrossReferenceReq req, CancellationToken cancellationToken)
    {
        var (status, handle, direct) = await MetadataAsync(req.SessionHandle, OperationType.Unknown,
            async (_, md, ct) => JdbcMetadata.BuildCrossReference(await md.GetCrossReferenceAsync(Pattern(req.ParentCatalogName), Pattern(req.ParentSchemaName), Pattern(req.ParentTableName),
                Pattern(req.ForeignCatalogName), Pattern(req.ForeignSchemaName), Pattern(req.ForeignTableName), ct).ConfigureAwait(false)),
            null, null, cancellationToken).ConfigureAwait(false);
        return new TGetCrossReferenceResp { Status = status, OperationHandle = handle, DirectResults = direct };
    }

    public async ValueTask<TGetOperationStatusResp> GetOperationStatus(TGetOperationStatusReq req, CancellationToken cancellationToken)
    {
        try
        {
            var op = Operation(req.OperationHandle);
            await LongPollAsync(op, cancellationToken).ConfigureAwait(false);
            return OperationStatus(op, req.GetProgressUpdate == true);
        }
        catch (Exception ex)
        {
            return new TGetOperationStatusResp { Status = StatusMapper.FromException(ex, _logger) };
        }
    }

    /// <summary>Waits (bounded by Limits.StatusLongPoll) for a running operation, so pollers learn of completion without spinning.</summary>
    private async ValueTask LongPollAsync(Operation op, CancellationToken cancellationToken)
    {
        if (op.Completion.IsCompleted || _options.Limits.StatusLongPoll <= TimeSpan.Zero) return;
        try
        {
            await op.Completion.WaitAsync(_options.Limits.StatusLongPoll, _sessions.Time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Still running: report it.
        }
    }

    /// <param name="state">The state to report, when the caller acts on the same snapshot (the operation may move meanwhile).</param>
    private static TGetOperationStatusResp OperationStatus(Operation op, bool progressUpdate, OperationState? state = null)
    {
        var current = state ?? op.State;
        var resp = new TGetOperationStatusResp
        {
            Status = StatusMapper.Success(),
            OperationState = (TOperationState)(int)current,
            OperationStarted = op.Started?.ToUnixTimeMilliseconds() ?? op.Created.ToUnixTimeMilliseconds(),
            OperationCompleted = op.Completed?.ToUnixTimeMilliseconds() ?? 0,
            NumModifiedRows = op.AffectedRows,
        };
        if (current is OperationState.Error or OperationState.Canceled or OperationState.TimedOut)
        {
            // No hasResultSet on a failure: clients that copy it onto the handle (the Databricks connector)
            // would otherwise skip straight to metadata calls instead of reporting the error.
            resp.SqlState = op.ErrorSqlState;
            resp.ErrorCode = op.ErrorCode;
            resp.ErrorMessage = op.ErrorMessage ?? current.ToString();
            resp.DisplayMessage = resp.ErrorMessage;
        }
        else
        {
            resp.HasResultSet = op.HasResultSet;
        }
        if (progressUpdate)
        {
            var progress = op.Progress ?? 0;
            resp.ProgressUpdateResponse = new TProgressUpdateResp
            {
                HeaderNames = [],
                Rows = [],
                ProgressedPercentage = progress,
                Status = current switch
                {
                    OperationState.Finished => TJobExecutionStatus.COMPLETE,
                    OperationState.Running or OperationState.Pending => TJobExecutionStatus.IN_PROGRESS,
                    _ => TJobExecutionStatus.NOT_AVAILABLE,
                },
                FooterSummary = "",
                StartTime = op.Started?.ToUnixTimeMilliseconds() ?? 0,
            };
        }
        return resp;
    }

    public ValueTask<TCancelOperationResp> CancelOperation(TCancelOperationReq req, CancellationToken cancellationToken)
    {
        try
        {
            Operation(req.OperationHandle).Cancel();
            return ValueTask.FromResult(new TCancelOperationResp { Status = StatusMapper.Success() });
        }
        catch (Exception ex)
        {
            return ValueTask.FromResult(new TCancelOperationResp { Status = StatusMapper.FromException(ex, _logger) });
        }
    }

    public async ValueTask<TCloseOperationResp> CloseOperation(TCloseOperationReq req, CancellationToken cancellationToken)
    {
        try
        {
            await _sessions.CloseOperationAsync(Operation(req.OperationHandle)).ConfigureAwait(false);
            return new TCloseOperationResp { Status = StatusMapper.Success() };
        }
        catch (Exception ex)
        {
            return new TCloseOperationResp { Status = StatusMapper.FromException(ex, _logger) };
        }
    }

    public async ValueTask<TGetResultSetMetadataResp> GetResultSetMetadata(TGetResultSetMetadataReq req, CancellationToken cancellationToken)
    {
        try
        {
            var op = Operation(req.OperationHandle);
            await op.Completion.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (op.State is OperationState.Error) throw new GatewayException(op.ErrorMessage ?? "The statement failed.", op.ErrorSqlState, op.ErrorCode);
            return ResultSetMetadata(op);
        }
        catch (Exception ex)
        {
            return new TGetResultSetMetadataResp { Status = StatusMapper.FromException(ex, _logger) };
        }
    }

    public async ValueTask<TFetchResultsResp> FetchResults(TFetchResultsReq req, CancellationToken cancellationToken)
    {
        try
        {
            var op = Operation(req.OperationHandle);
            // The reply references the operation's buffers: a concurrent close waits until it is written.
            if (!op.TryPin()) throw GatewayException.Invalid("operation");
            DisposeAfterReply(new Unpin(op));
            var orientation = (FetchOrientation)(int)req.Orientation;
            var maxRows = (int)Math.Clamp(req.MaxRows <= 0 ? 1000 : req.MaxRows, 1, _options.Limits.MaxRowsPerFetch);
            if (req.FetchType == 1)
            {
                var version = (TProtocolVersion)op.Session.ProtocolVersion;
                var lines = op.TakeLog(orientation == FetchOrientation.First, maxRows);
                var logBatch = new BatchBuilder(new ResultSchema([new ColumnInfo("operation_log", SqlType.String)]));
                foreach (var l in lines) logBatch.AddRow(l);
                var logs = DisposeAfterReply(logBatch.Build());
                return new TFetchResultsResp
                {
                    Status = StatusMapper.Success(),
                    HasMoreRows = false,
                    Results = DisposeAfterReply(HiveResultEncoder.Encode(logs, ValueFormatter.Utc, version, 0)),
                };
            }
            var resp = await FetchAsync(op, orientation, maxRows, cancellationToken).ConfigureAwait(false);
            if (req.IncludeResultSetMetadata == true) resp.ResultSetMetadata = ResultSetMetadata(op);
            return resp;
        }
        catch (Exception ex)
        {
            return new TFetchResultsResp { Status = StatusMapper.FromException(ex, _logger), HasMoreRows = false };
        }
    }

    public ValueTask<TGetDelegationTokenResp> GetDelegationToken(TGetDelegationTokenReq req, CancellationToken cancellationToken) =>
        ValueTask.FromResult(new TGetDelegationTokenResp { Status = StatusMapper.NotSupported("Delegation tokens") });

    public ValueTask<TCancelDelegationTokenResp> CancelDelegationToken(TCancelDelegationTokenReq req, CancellationToken cancellationToken) =>
        ValueTask.FromResult(new TCancelDelegationTokenResp { Status = StatusMapper.NotSupported("Delegation tokens") });

    public ValueTask<TRenewDelegationTokenResp> RenewDelegationToken(TRenewDelegationTokenReq req, CancellationToken cancellationToken) =>
        ValueTask.FromResult(new TRenewDelegationTokenResp { Status = StatusMapper.NotSupported("Delegation tokens") });

    public ValueTask<TGetQueryIdResp> GetQueryId(TGetQueryIdReq req, CancellationToken cancellationToken)
    {
        // GetQueryId has no status field: an invalid handle can only be answered with an empty id.
        try
        {
            return ValueTask.FromResult(new TGetQueryIdResp { QueryId = Operation(req.OperationHandle).Handle.Id.ToString() });
        }
        catch (GatewayException)
        {
            return ValueTask.FromResult(new TGetQueryIdResp { QueryId = "" });
        }
    }

    public ValueTask<TSetClientInfoResp> SetClientInfo(TSetClientInfoReq req, CancellationToken cancellationToken)
    {
        try
        {
            var session = Session(req.SessionHandle);
            foreach (var (k, v) in req.Configuration ?? []) session.SetConf($"client.{k}", v ?? "");
            return ValueTask.FromResult(new TSetClientInfoResp { Status = StatusMapper.Success() });
        }
        catch (Exception ex)
        {
            return ValueTask.FromResult(new TSetClientInfoResp { Status = StatusMapper.FromException(ex, _logger) });
        }
    }

    private Hs2Session Session(TSessionHandle? handle)
    {
        var id = handle?.SessionId;
        if (id?.Guid is not { Length: 16 } guid || id.Secret is not { } secret) throw GatewayException.Invalid("session");
        return _sessions.GetSession(_caller, HandleId.GuidFrom(guid), secret);
    }

    private Operation Operation(TOperationHandle? handle)
    {
        var id = handle?.OperationId;
        if (id?.Guid is not { Length: 16 } guid || id.Secret is not { } secret) throw GatewayException.Invalid("operation");
        return _sessions.GetOperation(_caller, HandleId.GuidFrom(guid), secret);
    }

    private static string? Pattern(string? p) => p;

    /// <summary>
    /// ExecuteStatement's confOverlay: settings for that statement only, as in HiveServer2 (they never change the
    /// session), checked like a SET and bounded like the session's own; <c>set:hiveconf:</c> prefixes are dropped.
    /// </summary>
    private IReadOnlyDictionary<string, string>? StatementOverlay(Hs2Session session, Dictionary<string, string>? confOverlay)
    {
        if (confOverlay is not { Count: > 0 }) return null;
        var overlay = new Dictionary<string, string>(StringComparer.Ordinal);
        long chars = 0;
        foreach (var (k, v) in confOverlay)
        {
            var key = k.StartsWith("set:hiveconf:", StringComparison.Ordinal) ? k["set:hiveconf:".Length..] : k;
            var value = v ?? "";
            ValidateSetting(session, key, value);
            overlay[key] = value;
            chars += key.Length + value.Length;
        }
        new Sessions.SessionSettingsLimits(_options.Limits.MaxSessionSettings, _options.Limits.MaxSessionSettingsChars).Check(overlay.Count, chars);
        return overlay;
    }

    /// <summary>What the access policy lets the session's user see of a listing (everything without a policy).</summary>
    private IReadOnlyList<T> Visible<T>(Hs2Session session, IReadOnlyList<T> items) => _sessions.AccessControl is not { } access ? items : items switch
    {
        IReadOnlyList<SchemaInfo> s => (IReadOnlyList<T>)access.Visible(session, s),
        IReadOnlyList<TableInfo> t => (IReadOnlyList<T>)access.Visible(session, t),
        IReadOnlyList<ColumnMetadata> c => (IReadOnlyList<T>)access.Visible(session, c),
        _ => items,
    };

    /// <summary>A SET or overlay setting: valid, and one the session's user (the impersonated one, if any) may set.</summary>
    private void ValidateSetting(Hs2Session session, string key, string value) => _runner.ValidateSetting(session, key, value);

    private sealed class Unpin(Operation op) : IDisposable
    {
        public void Dispose() => op.Unpin();
    }

    private static THandleIdentifier ToThrift(HandleId h) => new() { Guid = h.GuidBytes(), Secret = h.Secret };

    private static TOperationHandle ToThrift(Operation op) => new()
    {
        OperationId = ToThrift(op.Handle),
        OperationType = (TOperationType)(int)op.Type,
        HasResultSet = op.HasResultSet,
        ModifiedRowCount = op.AffectedRows is { } n ? n : null,
    };
}
