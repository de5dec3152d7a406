using System.Net;
using Gateway.Engines;
using Gateway.Engines.DuckDb;
using Gateway.Server.Auth;
using Gateway.Server.Configuration;
using Gateway.Server.Engines;
using Gateway.Server.Listeners;
using Gateway.Server.Operations;
using Gateway.Server.Routing;
using Gateway.Server.Sessions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gateway.Server.Hosting;

/// <summary>
/// Builds the one Kestrel host that serves every endpoint: the HiveServer2 binary listener as a
/// connection handler on a raw TCP endpoint and HiveServer2 over HTTP, each optionally behind TLS.
/// </summary>
public static class GatewayHost
{
    public static GatewayOptions LoadOptions(IConfiguration configuration)
    {
        GatewayOptions options;
        try
        {
            options = configuration.GetSection(GatewayOptions.SectionName).Get<GatewayOptions>() ?? new GatewayOptions();
        }
        catch (InvalidOperationException ex)
        {
            // "Failed to convert configuration value 'x' at 'Gateway:...' to type ...": say which key and what is allowed.
            var detail = ex.InnerException?.Message is { } inner ? $" ({inner})" : "";
            throw new GatewayConfigurationException([ex.Message + detail]);
        }
        CheckEveryEngineBound(configuration, options);
        var errors = GatewayOptionsValidation.Validate(options, ConfigurationFiles(configuration));
        if (errors.Count > 0) throw new GatewayConfigurationException(errors);
        return options;
    }

    /// <summary>The files the configuration was read from (JSON, INI, XML sources), as full paths.</summary>
    private static IEnumerable<string> ConfigurationFiles(IConfiguration configuration) =>
        configuration is IConfigurationRoot root
            ? root.Providers.OfType<FileConfigurationProvider>()
                .Select(p => p.Source.Path is { } path ? p.Source.FileProvider?.GetFileInfo(path).PhysicalPath ?? path : null)
                .OfType<string>()
            : [];

    /// <summary>
    /// The binder drops a list element holding a value it cannot convert (an unknown Kind or ShareLevel) without a
    /// word, which would start the gateway without that engine: bind each entry alone to report why.
    /// </summary>
    private static void CheckEveryEngineBound(IConfiguration configuration, GatewayOptions options)
    {
        var sections = configuration.GetSection(GatewayOptions.SectionName).GetSection(nameof(GatewayOptions.Engines)).GetChildren().ToList();
        if (sections.Count == options.Engines.Count) return;
        var errors = new List<string>();
        foreach (var section in sections)
        {
            try
            {
                section.Get<EngineOptions>();
            }
            catch (InvalidOperationException ex)
            {
                errors.Add(ex.Message + (ex.InnerException?.Message is { } inner ? $" ({inner})" : ""));
            }
        }
        if (errors.Count == 0) errors.Add($"Gateway:Engines: {sections.Count - options.Engines.Count} of {sections.Count} entries could not be read.");
        throw new GatewayConfigurationException(errors);
    }

    /// <summary>Loads the files the configuration names (certificate, JWT keys); every problem is reported at once.</summary>
    public static GatewaySecurity LoadSecurity(GatewayOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        // A configured certificate is checked even when every listener opts out of TLS: a broken file is a mistake either way.
        var tls = TlsCertificateLoader.Load(options.Tls, time, errors);
        var jwtKeys = options.Auth.Jwt.Enabled ? JwtKeyProvider.Load(options.Auth.Jwt, errors, time) : null;
        if (options.Auth.Uses(AuthMode.PasswordFile)) CheckPasswordFile(options, errors);
        if (errors.Count > 0) throw new GatewayConfigurationException(errors);
        return new GatewaySecurity(tls, jwtKeys);
    }

    /// <summary>A password file that does not parse stops the start with its line; a missing one is an empty one (users come later).</summary>
    private static void CheckPasswordFile(GatewayOptions options, List<string> errors)
    {
        try
        {
            PasswordFile.Read(PasswordFileAuthenticator.ResolvePath(options));
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            errors.Add($"Gateway:Auth:PasswordFile: {ex.Message}");
        }
    }

    /// <summary>Builds (but does not start) the host. <paramref name="configure"/> adds configuration sources after the defaults.</summary>
    public static async Task<WebApplication> BuildAsync(string[] args, Action<IConfigurationBuilder>? configure = null, CancellationToken cancellationToken = default, Action<IServiceCollection>? services = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddEnvironmentVariables();
        configure?.Invoke(builder.Configuration);
        builder.Logging.ClearProviders();
        // Kestrel's lifetime lines name every endpoint http://, the binary Thrift port too; the gateway logs each listener
        // as what it is ("gateway listening: HiveServer2 binary on ..., HiveServer2 HTTP on http://...").
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss ";
        });
        var options = LoadOptions(builder.Configuration);
        var security = LoadSecurity(options, TimeProvider.System);
        Directory.CreateDirectory(options.DataFolder);
        Gateway.Protocol.Columnar.BufferPool.RetainedBytesLimit = options.Limits.BufferPoolBytes;

        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddEngines();
        builder.Services.AddSingleton(sp => new EngineSessionPools(sp.GetRequiredService<EngineRegistry>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<EngineSessionPool>>()));
        builder.Services.AddSingleton(sp => CatalogRegistry.Create(options, sp.GetRequiredService<EngineRegistry>(), sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton<RoutingMetrics>();
        builder.Services.AddSingleton<RoutingService>();
        builder.Services.AddGatewayOptionsValidators(ConfigurationFiles(builder.Configuration));
        builder.Services.AddSingleton<GatewayConfigurationWatcher>();
        var spool = new SpoolStore(Path.GetFullPath(options.Limits.Spool.Folder ?? Path.Combine(options.DataFolder, "spool")),
            options.Limits.Spool.MaxBytesPerResult, options.Limits.Spool.MaxBytes);
        spool.Prepare();
        builder.Services.AddSingleton(spool);
        builder.Services.AddSingleton<Policy.AccessControlService>();
        builder.Services.AddSingleton<SessionManager>();
        builder.Services.AddSingleton<IPasswordAuthenticator>(sp =>
        {
            IPasswordAuthenticator Provider(AuthMode mode) => mode switch
            {
                AuthMode.PasswordFile => new PasswordFileAuthenticator(PasswordFileAuthenticator.ResolvePath(options), sp.GetRequiredService<TimeProvider>(),
                    options.Auth.GroupLimits, sp.GetRequiredService<ILogger<PasswordFileAuthenticator>>()),
                AuthMode.Ldap => new LdapAuthenticator(options.Auth.Ldap, options.Auth.GroupLimits, sp.GetRequiredService<ILogger<LdapAuthenticator>>()),
                _ => new NoneAuthenticator(),
            };
            return options.Auth.Mode == AuthMode.Chain ? new ChainAuthenticator([.. options.Auth.Chain.Select(Provider)]) : Provider(options.Auth.Mode);
        });
        builder.Services.AddSingleton(new StaticTokenAuthenticator(options.Auth.Tokens, options.Auth.GroupLimits));
        builder.Services.AddSingleton(sp => new LoginThrottle(options.Auth.Throttle, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<LoginThrottle>>()));
        builder.Services.AddSingleton(sp =>
        {
            var time = sp.GetRequiredService<TimeProvider>();
            if (security.JwtKeys is { } keys) keys.Logger = sp.GetRequiredService<ILogger<JwtKeyProvider>>();
            return new HttpAuthenticator(
                options.Auth,
                sp.GetRequiredService<IPasswordAuthenticator>(),
                sp.GetRequiredService<StaticTokenAuthenticator>(),
                security.JwtKeys is { } jwtKeys ? new JwtValidator(options.Auth.Jwt, jwtKeys, time, options.Auth.GroupLimits) : null,
                options.Auth.Cookie.Enabled ? AuthCookie.Create(options.Auth.Cookie, time, options.Auth.GroupLimits) : null,
                sp.GetRequiredService<LoginThrottle>());
        });
        builder.Services.AddSingleton(sp => new RefusalLog(sp.GetRequiredService<ILogger<RefusalLog>>(), sp.GetRequiredService<TimeProvider>(), options.Limits.RefusalLogInterval));
        builder.Services.AddSingleton<HttpThriftHandler>();
        builder.Services.AddSingleton<Trino.TrinoFrontend>();
        var endpoints = new GatewayEndpoints(options);
        builder.Services.AddSingleton(endpoints);
        builder.Services.AddHostedService<SessionSweeper>();
        builder.Services.AddHostedService<EngineSessionPoolSweeper>();
        builder.Services.AddHostedService<EngineHealthMonitor>();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));
        services?.Invoke(builder.Services);

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxConcurrentConnections = options.Limits.MaxConnections;
            kestrel.AddServerHeader = false;
            // HS2 bodies are single Thrift messages; this also bounds what Kestrel drains after a refusal.
            kestrel.Limits.MaxRequestBodySize = options.Limits.MaxMessageBytes;
            // Set deliberately rather than left to Kestrel's defaults (30 s headers, 130 s keep-alive): a client that
            // trickles headers or a body, or parks idle connections, holds no connection for long. The binary port's
            // equivalents are Gateway:Binary:HandshakeTimeout/MessageTimeout/IdleTimeout (BinaryConnectionHandler).
            kestrel.Limits.RequestHeadersTimeout = options.Http.RequestHeadersTimeout;
            kestrel.Limits.KeepAliveTimeout = options.Http.KeepAliveTimeout;
            kestrel.Limits.MinRequestBodyDataRate = options.Http.MinRequestBodyBytesPerSecond > 0
                ? new MinDataRate(options.Http.MinRequestBodyBytesPerSecond, TimeSpan.FromSeconds(5))
                : null;
            if (options.Binary.Enabled)
            {
                kestrel.Listen(ParseAddress(options.Binary.Host), options.Binary.Port, listen =>
                {
                    endpoints.BinaryListen = listen;
                    if (endpoints.BinaryTls)
                    {
                        // Only the HS2 binary protocol runs inside this TLS: advertise no HTTP/2 in ALPN.
                        listen.Protocols = HttpProtocols.Http1;
                        listen.UseHttps(HttpsOptions(security.Tls!));
                    }
                    listen.UseConnectionHandler<BinaryConnectionHandler>();
                });
            }
            if (options.Http.Enabled)
            {
                kestrel.Listen(ParseAddress(options.Http.Host), options.Http.Port, listen =>
                {
                    endpoints.HttpListen = listen;
                    // HTTP/2 needs ALPN, so cleartext stays HTTP/1.1 (keep-alive).
                    listen.Protocols = endpoints.HttpTls ? HttpProtocols.Http1AndHttp2 : HttpProtocols.Http1;
                    if (endpoints.HttpTls) listen.UseHttps(HttpsOptions(security.Tls!));
                    // After TLS, so that the refusal is an HTTP answer (503, Retry-After) the client can read, not a closed socket.
                    CountPerAddress(listen, endpoints.HttpConnections, null);
                });
            }
            if (options.Trino.Enabled)
            {
                kestrel.Listen(ParseAddress(options.Trino.Host), options.Trino.Port, listen =>
                {
                    endpoints.TrinoListen = listen;
                    listen.Protocols = endpoints.TrinoTls ? HttpProtocols.Http1AndHttp2 : HttpProtocols.Http1;
                    if (endpoints.TrinoTls) listen.UseHttps(HttpsOptions(security.Tls!));
                    CountPerAddress(listen, endpoints.TrinoConnections, GatewayEndpoints.TrinoConnectionItem);
                });
            }
        });

        var app = builder.Build();
        // The engines are created now, so that a configuration an engine refuses stops the build, not the first client.
        EngineRegistry engines;
        try
        {
            engines = app.Services.GetRequiredService<EngineRegistry>();
            if (options.DuckDb.DemoData && engines.Find(EngineRegistry.EmbeddedName)?.Engine is DuckDbEngine embedded)
            {
                await DemoData.EnsureAsync(embedded, cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        var catalogs = app.Services.GetRequiredService<CatalogRegistry>();
        // Read now: an invalid or missing policy file stops the build, never opens access.
        try
        {
            app.Services.GetRequiredService<Policy.AccessControlService>().Start();
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        var admissionLogger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Gateway.Server.Engines.Admission");
        foreach (var e in engines.All) e.Logger = admissionLogger;
        // Every reload is validated by every section's validator; routing (rules, costs, engine profiles) follows a valid one,
        // an invalid one is refused whole and logged with every problem.
        app.Services.GetRequiredService<GatewayConfigurationWatcher>().Start();
        if (options.Trino.Enabled)
        {
            // The Trino listener's requests go to the Trino frontend, the HTTP listener's to HiveServer2.
            var trino = app.Services.GetRequiredService<Trino.TrinoFrontend>();
            app.Use(async (context, next) =>
            {
                if (context.Features.Get<Microsoft.AspNetCore.Connections.Features.IConnectionItemsFeature>()?.Items.ContainsKey(GatewayEndpoints.TrinoConnectionItem) != true)
                {
                    await next(context).ConfigureAwait(false);
                    return;
                }
                if (context.Features.Get<Microsoft.AspNetCore.Connections.Features.IConnectionItemsFeature>()!.Items.ContainsKey(HttpThriftHandler.OverAddressCapItem))
                {
                    context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                    context.Response.Headers.RetryAfter = "5";
                    context.Response.Headers.Connection = "close";
                    await context.Response.WriteAsync(HttpThriftHandler.TooManyConnections(context.Connection.RemoteIpAddress?.ToString(), options.Limits.MaxConnectionsPerAddress) + "\n").ConfigureAwait(false);
                    return;
                }
                await trino.InvokeAsync(context).ConfigureAwait(false);
            });
        }
        if (options.Http.Enabled) app.Run(app.Services.GetRequiredService<HttpThriftHandler>().InvokeAsync);
        app.Lifetime.ApplicationStopped.Register(() =>
        {
            app.Services.GetRequiredService<SessionManager>().DisposeAsync().AsTask().GetAwaiter().GetResult();
            catalogs.DisposeAsync().AsTask().GetAwaiter().GetResult();
            // After the sessions gave their engine sessions back, before the engines close.
            app.Services.GetRequiredService<EngineSessionPools>().DisposeAsync().AsTask().GetAwaiter().GetResult();
            engines.DisposeAsync().AsTask().GetAwaiter().GetResult();
            security.JwtKeys?.Dispose(); // the JWKS URL's HTTP client
        });
        return app;
    }

    /// <summary>
    /// Counts an HTTP listener's connections per client address; one over the cap is marked (its requests get 503 with
    /// Retry-After). <paramref name="marker"/>, when given, marks every connection of the listener (which frontend it is).
    /// </summary>
    private static void CountPerAddress(ListenOptions listen, ConnectionsPerAddress table, string? marker) =>
        listen.Use(next => async connection =>
        {
            using var counted = table.TryEnter((connection.RemoteEndPoint as IPEndPoint)?.Address);
            if (counted is null) connection.Items[HttpThriftHandler.OverAddressCapItem] = true;
            if (marker is not null) connection.Items[marker] = true;
            await next(connection).ConfigureAwait(false);
        });

    private static HttpsConnectionAdapterOptions HttpsOptions(TlsCertificate tls) => new()
    {
        ServerCertificate = tls.Certificate,
        ServerCertificateChain = tls.Chain,
        ClientCertificateMode = ClientCertificateMode.NoCertificate,
        HandshakeTimeout = TimeSpan.FromSeconds(10),
    };

    private static IPAddress ParseAddress(string host) => host switch
    {
        "localhost" => IPAddress.Loopback,
        "*" or "0.0.0.0" => IPAddress.Any,
        _ => IPAddress.Parse(host),
    };

    /// <summary>The ports Kestrel actually bound (useful when configured with port 0).</summary>
    public static IReadOnlyList<int> BoundPorts(WebApplication app)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        return [.. addresses.Select(a => new Uri(a.Replace("*", "localhost", StringComparison.Ordinal)).Port)];
    }
}

/// <summary>What <see cref="GatewayHost.LoadSecurity"/> loaded: the server certificate and the JWT keys.</summary>
public sealed record GatewaySecurity(TlsCertificate? Tls, JwtKeyProvider? JwtKeys);

/// <summary>The listeners as configured and, once the host has started, as bound (port 0 becomes a real port).</summary>
public sealed class GatewayEndpoints(GatewayOptions options)
{
    /// <summary>Marks a connection of the Trino listener, so that its requests go to the Trino frontend.</summary>
    internal const string TrinoConnectionItem = "gateway.trino";

    internal ListenOptions? BinaryListen { get; set; }
    internal ListenOptions? HttpListen { get; set; }
    internal ListenOptions? TrinoListen { get; set; }

    public bool BinaryTls { get; } = options.Binary.Enabled && options.Tls.Enabled(options.Binary.Tls);
    public bool HttpTls { get; } = options.Http.Enabled && options.Tls.Enabled(options.Http.Tls);
    public bool TrinoTls { get; } = options.Trino.Enabled && options.Tls.Enabled(options.Trino.Tls);

    /// <summary>The Trino listener's open connections per client address (Limits:MaxConnectionsPerAddress).</summary>
    public ConnectionsPerAddress TrinoConnections { get; } = new(options.Limits.MaxConnectionsPerAddress);

    public IPEndPoint? Trino => TrinoListen?.IPEndPoint;

    /// <summary>The Trino listener's URL as clients on this machine reach it.</summary>
    public Uri? TrinoUri => Trino is { } ep ? new Uri($"{(TrinoTls ? "https" : "http")}://{Reachable(ep.Address)}:{ep.Port}") : null;
    public string HttpPath { get; } = options.Http.Path;

    /// <summary>The HTTP listener's open connections per client address (Limits:MaxConnectionsPerAddress).</summary>
    public ConnectionsPerAddress HttpConnections { get; } = new(options.Limits.MaxConnectionsPerAddress);

    public IPEndPoint? Binary => BinaryListen?.IPEndPoint;
    public IPEndPoint? Http => HttpListen?.IPEndPoint;

    /// <summary>The HTTP endpoint's URL as clients on this machine reach it.</summary>
    public Uri? HttpUri => Http is { } ep ? new Uri($"{(HttpTls ? "https" : "http")}://{Reachable(ep.Address)}:{ep.Port}{HttpPath}") : null;

    private static string Reachable(IPAddress address) =>
        address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) ? "127.0.0.1" : address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
}

public sealed class GatewayConfigurationException(IReadOnlyList<string> errors)
    : Exception("Invalid configuration:" + Environment.NewLine + string.Join(Environment.NewLine, errors.Select(e => "  - " + e)))
{
    public IReadOnlyList<string> Errors { get; } = errors;
}

/// <summary>Closes idle sessions and abandoned operations on a timer.</summary>
public sealed partial class SessionSweeper(SessionManager sessions, GatewayOptions options, TimeProvider time, ILogger<SessionSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Limits.SweepInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                var (s, o) = await sessions.SweepAsync().ConfigureAwait(false);
                if (s + o > 0) LogSwept(logger, s, o);
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }

    [LoggerMessage(EventId = 400, Level = LogLevel.Information, Message = "Closed {Sessions} idle sessions and {Operations} abandoned operations")]
    private static partial void LogSwept(ILogger logger, int sessions, int operations);
}
