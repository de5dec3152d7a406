using System.Collections.Concurrent;
using Gateway.Protocol.Hive;

namespace Gateway.Engines.HiveServer2;

/// <summary>What <see cref="HiveServer2Engine.ProbeAsync"/> found.</summary>
/// <param name="Healthy">A session could be opened, asked for the DBMS name and closed.</param>
/// <param name="Latency">Time the whole probe took (connect, OpenSession, GetInfo, CloseSession).</param>
/// <param name="DbmsName">The remote's CLI_DBMS_NAME (e.g. "Spark SQL", "Apache Hive").</param>
/// <param name="ProtocolVersion">The protocol the remote negotiated.</param>
/// <param name="Error">Why the probe failed; null when healthy.</param>
public sealed record HiveServer2ProbeResult(bool Healthy, TimeSpan Latency, string? DbmsName, TProtocolVersion? ProtocolVersion, EngineException? Error);

/// <summary>
/// A remote HiveServer2 engine: Spark Thrift Server, a Kyuubi engine, Hive, or another gateway. Over the binary
/// transport each engine session has its own TCP connection; over HTTP every session shares one HttpClient
/// (connection pool and cookie jar). See README.md for the invariants.
/// </summary>
public sealed class HiveServer2Engine : IEngine
{
    private readonly ConcurrentDictionary<HiveServer2Session, byte> _sessions = new();
    private readonly HttpThriftTransport? _http;
    private readonly ClientTlsOptions? _tls;
    private int _disposed;

    public HiveServer2Engine(HiveServer2EngineOptions options, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        Time = time ?? TimeProvider.System;
        LocalZone = options.SessionTimeZone is { } zone ? TimeZoneInfo.FindSystemTimeZoneById(zone) : TimeZoneInfo.Utc;
        // Nested values and intervals keep coming as the remote's text: HiveServer2 describes nested columns without
        // their element types (they are STRING here) and its interval types do not match Arrow's.
        ArrowRequest = options.ArrowResults
            ? HiveArrowOptions.Native with { ComplexTypesAsArrow = false, IntervalTypesAsArrow = false, Lz4 = options.ArrowLz4 }
            : null;
        _tls = options.Tls?.ToClientOptions();
        if (options.Transport == HiveTransportMode.Http)
        {
            _http = HttpThriftTransport.Create(new HttpThriftTransportOptions
            {
                Endpoint = options.HttpUri,
                Authorization = options.Auth switch
                {
                    HiveServer2Auth.Basic => HttpThriftTransport.Basic(options.User, options.Password ?? ""),
                    HiveServer2Auth.Bearer => HttpThriftTransport.Bearer(options.Token!),
                    _ => null,
                },
                Tls = _tls,
                Limits = options.Limits,
                // Our own per-call deadline fires first; this only backs it up.
                Timeout = options.RequestTimeout + TimeSpan.FromSeconds(30),
            });
        }
    }

    public HiveServer2EngineOptions Options { get; }

    public string Name => Options.Name;

    public EngineKind Kind => EngineKind.HiveServer2;

    internal TimeProvider Time { get; }

    /// <summary>The zone in which TIMESTAMP WITH LOCAL TIME ZONE text from the remote is read.</summary>
    internal TimeZoneInfo LocalZone { get; }

    /// <summary>The Arrow result request sent with each statement (Spark-line remotes only), or null for Thrift columns.</summary>
    internal HiveArrowOptions? ArrowRequest { get; }

    /// <summary>Sessions open now.</summary>
    public int SessionCount => _sessions.Count;

    public async ValueTask<IEngineSession> OpenSessionAsync(EngineSessionOptions options, CancellationToken cancellationToken) =>
        await OpenHiveServer2SessionAsync(options, cancellationToken).ConfigureAwait(false);

    /// <summary>Like <see cref="OpenSessionAsync"/>, typed.</summary>
    public async ValueTask<HiveServer2Session> OpenHiveServer2SessionAsync(EngineSessionOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var channel = await ConnectAsync(cancellationToken).ConfigureAwait(false);
        HiveServer2Session? session = null;
        try
        {
            var opened = await OpenRemoteSessionAsync(channel, options.User, options.Database, probe: false).ConfigureAwait(false);
            session = new HiveServer2Session(this, channel, opened.SessionHandle!, opened.ServerProtocolVersion, options.User,
                opened.InitialNamespace?.SchemaName is { Length: > 0 } ns ? ns : options.Database ?? "default");
            _sessions.TryAdd(session, 0);
            cancellationToken.ThrowIfCancellationRequested();
            // A Spark-line remote names the database in its answer; otherwise ask, unless we chose it.
            if (opened.InitialNamespace?.SchemaName is not { Length: > 0 } && options.Database is null)
            {
                try
                {
                    await session.RefreshCurrentDatabaseAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (EngineException e) when (!e.Retryable)
                {
                    // No current_database() there: keep Hive's default.
                }
            }
            return session;
        }
        catch
        {
            if (session is not null) await session.DisposeAsync().ConfigureAwait(false);
            else await channel.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>A new channel: its own TCP connection (binary), or a view of the shared HTTP client.</summary>
    private async Task<RemoteChannel> ConnectAsync(CancellationToken cancellationToken)
    {
        if (_http is not null) return new RemoteChannel(_http, ownsTransport: false, serialize: false, Options, Time);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(Options.ConnectTimeout);
        try
        {
            var transport = await ThriftTcpTransport.ConnectAsync(new ThriftTcpTransportOptions
            {
                Host = Options.Host,
                Port = Options.Port,
                Auth = Options.Auth == HiveServer2Auth.SaslPlain ? HiveAuthMode.SaslPlain : HiveAuthMode.NoSasl,
                User = Options.User,
                // Hive's PLAIN server rejects an empty password; PyHive sends "x" for the same reason.
                Password = string.IsNullOrEmpty(Options.Password) ? "x" : Options.Password,
                Tls = _tls,
                Limits = Options.Limits,
            }, deadline.Token).ConfigureAwait(false);
            return new RemoteChannel(transport, ownsTransport: true, serialize: true, Options, Time);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            throw HiveServer2Errors.FromConnectFailure(ex, Options.Endpoint, deadline.IsCancellationRequested);
        }
    }

    private async Task<TOpenSessionResp> OpenRemoteSessionAsync(RemoteChannel channel, string user, string? database, bool probe)
    {
        var requested = Options.ProtocolVersion;
        var conf = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!probe)
        {
            foreach (var (k, v) in Options.SessionConf ?? new Dictionary<string, string>()) conf[k] = v;
            if (Options.SessionTimeZone is { } zone) conf.TryAdd("spark.sql.session.timeZone", zone);
            if (Options.ImpersonateUser) conf["hive.server2.proxy.user"] = user;
            if (!string.IsNullOrEmpty(database)) conf["use:database"] = database;
        }
        var request = new TOpenSessionReq
        {
            // Spark-line versions go in the i64 field; the i32 field keeps a Hive version every server knows.
            ClientProtocol = HiveProtocol.IsSpark(requested) ? HiveProtocol.HiveLevel(requested) : requested,
            ClientProtocolI64 = HiveProtocol.IsSpark(requested) ? (long)requested : null,
            Username = Options.User,
            Password = Options.Auth is HiveServer2Auth.SaslPlain or HiveServer2Auth.Basic ? Options.Password : null,
            Configuration = conf,
            InitialNamespace = HiveProtocol.IsSpark(requested) && !probe && !string.IsNullOrEmpty(database) ? new TNamespace { SchemaName = database } : null,
        };
        // Never abandoned: a session opened behind our back would leak. Bounded by ConnectTimeout.
        var response = await channel.CallAsync("OpenSession", (c, t) => c.OpenSessionAsync(request, t), CancellationToken.None, Options.ConnectTimeout).ConfigureAwait(false);
        if (HiveServer2Errors.FromStatus(response.Status, "OpenSession") is { } error) throw error;
        if (response.SessionHandle is null) throw new EngineException("OpenSession: the remote returned no session handle.", "08S01");
        return response;
    }

    /// <summary>
    /// Checks the remote end to end: connect, OpenSession, GetInfo(DBMS_NAME), CloseSession. Never throws for a
    /// remote failure (only when <paramref name="cancellationToken"/> is canceled); bounded by ConnectTimeout plus
    /// one RequestTimeout.
    /// </summary>
    public async Task<HiveServer2ProbeResult> ProbeAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var started = Time.GetTimestamp();
        RemoteChannel? channel = null;
        TProtocolVersion? version = null;
        try
        {
            channel = await ConnectAsync(cancellationToken).ConfigureAwait(false);
            var opened = await OpenRemoteSessionAsync(channel, Options.User, null, probe: true).ConfigureAwait(false);
            version = opened.ServerProtocolVersion;
            var info = await channel.CallAsync("GetInfo",
                (c, t) => c.GetInfoAsync(new TGetInfoReq { SessionHandle = opened.SessionHandle!, InfoType = TGetInfoType.CLI_DBMS_NAME }, t),
                cancellationToken, Options.ConnectTimeout).ConfigureAwait(false);
            var closed = await channel.TryCallAsync("CloseSession", (c, t) => c.CloseSessionAsync(new TCloseSessionReq { SessionHandle = opened.SessionHandle! }, t), Options.CloseTimeout).ConfigureAwait(false);
            if (HiveServer2Errors.FromStatus(info.Status, "GetInfo") is { } infoError) throw infoError;
            if (!closed) throw new EngineException($"CloseSession on {Options.Endpoint} failed.", "08S01", retryable: true);
            return new HiveServer2ProbeResult(true, Time.GetElapsedTime(started), info.InfoValue.StringValue, version, null);
        }
        catch (EngineException e)
        {
            return new HiveServer2ProbeResult(false, Time.GetElapsedTime(started), null, version, e);
        }
        finally
        {
            if (channel is not null) await channel.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// <see cref="ProbeAsync"/> as a health report: healthy with the remote's DBMS name, or the probe's error.
    /// The probe's remote calls are never cut in half, so a canceled check may finish in the background.
    /// </summary>
    public async ValueTask<EngineHealthReport> CheckHealthAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (Volatile.Read(ref _disposed) != 0) return EngineHealthReport.Failed("the engine is closed", TimeSpan.Zero);
        var probe = await ProbeAsync(cancellationToken).ConfigureAwait(false);
        return probe.Healthy
            ? EngineHealthReport.Ok(probe.Latency, probe.DbmsName)
            : EngineHealthReport.Failed(probe.Error?.Message ?? $"{Options.Endpoint} did not answer the probe", probe.Latency);
    }

    internal void Forget(HiveServer2Session session) => _sessions.TryRemove(session, out _);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        foreach (var session in _sessions.Keys) await session.DisposeAsync().ConfigureAwait(false);
        _http?.Dispose();
    }
}
