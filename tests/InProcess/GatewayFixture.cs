using Gateway.Engines.HiveServer2;
using Gateway.Protocol.Hive;
using Gateway.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.InProcess;

/// <summary>A whole gateway in this process on a loopback port, over a temporary data folder.</summary>
public sealed class GatewayInstance : IAsyncDisposable
{
    private readonly WebApplication _app;

    private GatewayInstance(WebApplication app, string dataFolder)
    {
        _app = app;
        DataFolder = dataFolder;
        Endpoints = app.Services.GetRequiredService<GatewayEndpoints>();
    }

    public string DataFolder { get; }
    public GatewayEndpoints Endpoints { get; }

    /// <summary>The binary listener's port.</summary>
    public int Port => Endpoints.Binary?.Port ?? throw new InvalidOperationException("The binary listener is disabled.");

    public int HttpPort => Endpoints.Http?.Port ?? throw new InvalidOperationException("The HTTP listener is disabled.");

    /// <summary>The HTTP endpoint, e.g. http://127.0.0.1:port/cliservice.</summary>
    public Uri HttpUri => Endpoints.HttpUri ?? throw new InvalidOperationException("The HTTP listener is disabled.");

    /// <summary>The Trino listener's URL (http://127.0.0.1:port).</summary>
    public Uri TrinoUri => Endpoints.TrinoUri ?? throw new InvalidOperationException("The Trino listener is disabled.");

    public IServiceProvider Services => _app.Services;

    public static async Task<GatewayInstance> StartAsync(IDictionary<string, string?>? settings = null, string? dataFolder = null, TimeProvider? time = null,
        Action<IServiceCollection>? services = null)
    {
        dataFolder ??= Directory.CreateTempSubdirectory("gw-test").FullName;
        var config = new Dictionary<string, string?>
        {
            ["Gateway:DataFolder"] = dataFolder,
            ["Gateway:Binary:Port"] = "0",
            ["Gateway:Http:Port"] = "0",
            ["Gateway:Trino:Port"] = "0",
            ["Gateway:DuckDb:DemoData"] = "true",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>()) config[k] = v;
        var app = await GatewayHost.BuildAsync([], cfg => cfg.AddInMemoryCollection(config), default,
            s =>
            {
                if (time is not null) s.AddSingleton(time);
                services?.Invoke(s);
            });
        await app.StartAsync();
        return new GatewayInstance(app, dataFolder);
    }

    public Task<HiveConnection> ConnectAsync(string user = "tester", string password = "x", HiveAuthMode auth = HiveAuthMode.SaslPlain,
        TProtocolVersion version = TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V10, string? database = null, IReadOnlyDictionary<string, string>? configuration = null) =>
        HiveConnection.OpenAsync(new HiveConnectionOptions
        {
            Port = Port,
            User = user,
            Password = password,
            Auth = auth,
            ProtocolVersion = version,
            Database = database,
            Configuration = configuration,
        });

    /// <summary>A session over HTTP (https when the listener has TLS, trusting the test certificate).</summary>
    public Task<HiveConnection> ConnectHttpAsync(string user = "tester", string password = "x", HiveAuthMode auth = HiveAuthMode.SaslPlain, string? bearer = null,
        TProtocolVersion version = TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V10, string? database = null, IReadOnlyDictionary<string, string>? configuration = null) =>
        HiveConnection.OpenAsync(new HiveConnectionOptions
        {
            Transport = HiveTransportMode.Http,
            Port = HttpPort,
            HttpPath = Endpoints.HttpPath,
            Tls = Endpoints.HttpTls ? TestCertificate.ClientTls : null,
            User = user,
            Password = password,
            Auth = auth,
            BearerToken = bearer,
            ProtocolVersion = version,
            Database = database,
            Configuration = configuration,
        });

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        try
        {
            Directory.Delete(DataFolder, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open by a late finalizer; the temp folder is cleaned up by the OS.
        }
    }
}

/// <summary>One shared gateway with demo data for the in-process and real-client tests.</summary>
public sealed class GatewayFixture : IAsyncLifetime
{
    public GatewayInstance Gateway { get; private set; } = null!;

    public async Task InitializeAsync() => Gateway = await GatewayInstance.StartAsync();

    public async Task DisposeAsync() => await Gateway.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class GatewayCollection : ICollectionFixture<GatewayFixture>
{
    public const string Name = "gateway";
}

/// <summary>A clock the test moves by hand.</summary>
public sealed class ManualTimeProvider : TimeProvider
{
    private DateTimeOffset _now = DateTimeOffset.UtcNow;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
