using System.Net;
using Gateway.Engines;
using Gateway.Server.Auth;
using Gateway.Server.Configuration;
using Gateway.Server.Listeners;
using Gateway.Server.Sessions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gateway.Server.Hosting;

/// <summary>
/// Builds the one Kestrel host that serves every endpoint: the HiveServer2 binary listener as a
/// connection handler on a raw TCP endpoint (HTTP transports join it in the same host later).
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
        var errors = GatewayOptionsValidator.Validate(options);
        if (errors.Count > 0) throw new GatewayConfigurationException(errors);
        return options;
    }

    /// <summary>Builds (but does not start) the host. <paramref name="configure"/> adds configuration sources after the defaults.</summary>
    public static async Task<WebApplication> BuildAsync(string[] args, Action<IConfigurationBuilder>? configure = null, CancellationToken cancellationToken = default, Action<IServiceCollection>? services = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddEnvironmentVariables();
        configure?.Invoke(builder.Configuration);
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss ";
        });
        var options = LoadOptions(builder.Configuration);
        Directory.CreateDirectory(options.DataFolder);

        var engine = await EngineFactory.CreateDefaultAsync(options, cancellationToken).ConfigureAwait(false);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<IEngine>(engine);
        builder.Services.AddSingleton<SessionManager>();
        builder.Services.AddSingleton<IPasswordAuthenticator>(sp => options.Auth.Mode switch
        {
            AuthMode.PasswordFile => new PasswordFileAuthenticator(PasswordFileAuthenticator.ResolvePath(options), sp.GetRequiredService<TimeProvider>()),
            _ => new NoneAuthenticator(),
        });
        builder.Services.AddHostedService<SessionSweeper>();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));
        services?.Invoke(builder.Services);

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxConcurrentConnections = options.Limits.MaxConnections;
            if (options.Binary.Enabled)
            {
                var address = ParseAddress(options.Binary.Host);
                kestrel.Listen(address, options.Binary.Port, listen => listen.UseConnectionHandler<BinaryConnectionHandler>());
            }
        });

        var app = builder.Build();
        app.Lifetime.ApplicationStopped.Register(() =>
        {
            app.Services.GetRequiredService<SessionManager>().DisposeAsync().AsTask().GetAwaiter().GetResult();
            engine.DisposeAsync().AsTask().GetAwaiter().GetResult();
        });
        return app;
    }

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
