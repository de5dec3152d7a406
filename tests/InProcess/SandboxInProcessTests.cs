using Gateway.Engines.HiveServer2;
using Gateway.Server.Configuration;
using Gateway.Server.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.InProcess;

/// <summary>
/// The embedded DuckDB's sandbox as a client meets it through the gateway: on a default start no SQL reaches a file
/// outside the data folder's <c>files</c> folder, each refusal answers SQLSTATE 42501 and is logged, and the
/// configuration that opens more is validated.
/// </summary>
public sealed class SandboxInProcessTests : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("gw-sandbox-host").FullName;
    private readonly CapturingLoggerProvider _logs = new();
    private GatewayInstance _gateway = null!;

    private string Data => Path.Combine(_root, "data");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Data);
        await File.WriteAllTextAsync(Path.Combine(Data, "users.txt"), "");
        await File.WriteAllTextAsync(Path.Combine(_root, "outside.txt"), "outside");
        _gateway = await GatewayInstance.StartAsync(new Dictionary<string, string?> { ["Gateway:DuckDb:DemoData"] = "false" }, Data,
            services: s => s.AddSingleton<ILoggerProvider>(_logs));
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    private static string Q(string s) => "'" + s.Replace("'", "''", StringComparison.Ordinal) + "'";

    [Theory]
    [InlineData("SELECT content FROM read_text({0})")]
    [InlineData("SELECT * FROM read_csv({0})")]
    [InlineData("COPY (SELECT 1) TO {0}")]
    [InlineData("ATTACH {0} AS other")]
    public async Task FilesOutsideTheFilesFolderAreRefusedWith42501AndLogged(string template)
    {
        await using var c = await _gateway.ConnectAsync(user: "mallory");
        foreach (var path in new[] { "/etc/passwd", Path.Combine(Data, "users.txt"), Path.Combine(_root, "outside.txt"), Path.Combine(Data, "files", "..", "users.txt") })
        {
            var ex = await Assert.ThrowsAsync<HiveClientException>(() => c.QueryAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, template, Q(path))));
            Assert.Equal("42501", ex.SqlState);
        }
        Assert.Equal("1", (await c.QueryAsync("SELECT 1")).Rows[0][0]);
        Assert.Contains(_logs.Lines, l => l.Contains("refused a statement of mallory (42501)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TheFilesFolderIsOpenAndExtensionsAndSettingsAreClosed()
    {
        var files = Path.Combine(Data, "files");
        Assert.True(Directory.Exists(files), "the gateway creates the files folder on start");
        await File.WriteAllTextAsync(Path.Combine(files, "t.csv"), "a,b\n1,2\n");
        await using var c = await _gateway.ConnectAsync();
        Assert.Equal("2", (await c.QueryAsync($"SELECT b FROM read_csv({Q(Path.Combine(files, "t.csv"))})")).Rows[0][0]);
        await c.QueryAsync($"COPY (SELECT 7 AS x) TO {Q(Path.Combine(files, "out.csv"))} (HEADER)");
        Assert.Equal("x\n7\n", await File.ReadAllTextAsync(Path.Combine(files, "out.csv")));
        foreach (var sql in new[] { "INSTALL httpfs", "LOAD httpfs", "LOAD '/tmp/x.duckdb_extension'" })
        {
            Assert.Equal("42501", (await Assert.ThrowsAsync<HiveClientException>(() => c.QueryAsync(sql))).SqlState);
        }
        // SET is the gateway's session configuration (it never reaches DuckDB); the engine's own stays locked.
        foreach (var sql in new[] { "SET enable_external_access = true", "SET GLOBAL enable_external_access = true", "RESET lock_configuration", "PRAGMA enable_external_access = true" })
        {
            try
            {
                await c.QueryAsync(sql);
            }
            catch (HiveClientException ex)
            {
                Assert.Equal("42501", ex.SqlState);
            }
            Assert.Equal("false", (await c.QueryAsync("SELECT current_setting('enable_external_access')")).Rows[0][0]);
            Assert.Equal("42501", (await Assert.ThrowsAsync<HiveClientException>(() => c.QueryAsync("SELECT content FROM read_text('/etc/passwd')"))).SqlState);
        }
    }

    [Fact]
    public async Task AnOperatorOpensMoreFoldersAndSettingsInTheConfiguration()
    {
        var lake = Path.Combine(_root, "lake");
        Directory.CreateDirectory(lake);
        await File.WriteAllTextAsync(Path.Combine(lake, "l.csv"), "v\n5\n");
        Directory.CreateDirectory(Path.Combine(_root, "data2", "shared"));
        await File.WriteAllTextAsync(Path.Combine(_root, "data2", "shared", "s.csv"), "v\n6\n");
        await using var g = await GatewayInstance.StartAsync(new Dictionary<string, string?>
        {
            ["Gateway:DuckDb:DemoData"] = "false",
            ["Gateway:DuckDb:Sandbox:AllowedDirectories:0"] = lake,
            ["Gateway:DuckDb:Sandbox:AllowedDirectories:1"] = "shared",
            ["Gateway:DuckDb:Settings:default_null_order"] = "nulls_first_on_asc_last_on_desc",
        }, Path.Combine(_root, "data2"));
        await using var c = await g.ConnectAsync();
        Assert.Equal("5", (await c.QueryAsync($"SELECT v FROM read_csv({Q(Path.Combine(lake, "l.csv"))})")).Rows[0][0]);
        Assert.Equal("6", (await c.QueryAsync($"SELECT v FROM read_csv({Q(Path.Combine(_root, "data2", "shared", "s.csv"))})")).Rows[0][0]);
        Assert.Equal("nulls_first_on_asc_last_on_desc", (await c.QueryAsync("SELECT lower(current_setting('default_null_order'))")).Rows[0][0]);
        Assert.Equal("42501", (await Assert.ThrowsAsync<HiveClientException>(() => c.QueryAsync($"SELECT content FROM read_text({Q(Path.Combine(_root, "outside.txt"))})"))).SqlState);
    }

    [Fact]
    public async Task WithTheSandboxOffEveryFileIsReachable()
    {
        await using var g = await GatewayInstance.StartAsync(new Dictionary<string, string?>
        {
            ["Gateway:DuckDb:DemoData"] = "false",
            ["Gateway:DuckDb:Sandbox:Enabled"] = "false",
        }, Path.Combine(_root, "open"));
        await using var c = await g.ConnectAsync();
        Assert.Equal("outside", (await c.QueryAsync($"SELECT content FROM read_text({Q(Path.Combine(_root, "outside.txt"))})")).Rows[0][0]);
    }

    private GatewayConfigurationException Invalid(Dictionary<string, string?> settings, Action<IConfigurationBuilder>? more = null)
    {
        settings["Gateway:DataFolder"] = Data;
        var builder = new ConfigurationBuilder();
        more?.Invoke(builder);
        builder.AddInMemoryCollection(settings);
        return Assert.Throws<GatewayConfigurationException>(() => GatewayHost.LoadOptions(builder.Build()));
    }

    [Fact]
    public void ConfigurationThatWouldExposeTheGatewaysSecretsIsRefused()
    {
        foreach (var open in new[] { ".", "/", Path.Combine(Data, "..") })
        {
            var message = Invalid(new() { ["Gateway:DuckDb:Sandbox:AllowedDirectories:0"] = open }).Message;
            Assert.True(message.Contains("holds the data folder", StringComparison.Ordinal), message);
        }
        Assert.Contains("the password file", Invalid(new() { ["Gateway:Auth:PasswordFile"] = "files/users.txt" }).Message, StringComparison.Ordinal);
        var keys = Path.Combine(_root, "keys");
        Assert.Contains("the TLS key", Invalid(new()
        {
            ["Gateway:Tls:CertificatePath"] = Path.Combine(keys, "cert.pem"),
            ["Gateway:Tls:KeyPath"] = Path.Combine(keys, "key.pem"),
            ["Gateway:DuckDb:Sandbox:AllowedDirectories:0"] = keys,
        }).Message, StringComparison.Ordinal);
        Directory.CreateDirectory(keys);
        var configFile = Path.Combine(keys, "gateway.json");
        File.WriteAllText(configFile, "{}");
        Assert.Contains("the configuration file", Invalid(new() { ["Gateway:DuckDb:Sandbox:AllowedDirectories:0"] = keys }, b => b.AddJsonFile(configFile)).Message, StringComparison.Ordinal);
        Assert.Contains("controlled by the sandbox", Invalid(new() { ["Gateway:DuckDb:Settings:enable_external_access"] = "true" }).Message, StringComparison.Ordinal);
        Assert.Contains("controlled by the sandbox", Invalid(new()
        {
            ["Gateway:Engines:0:Name"] = "scratch",
            ["Gateway:Engines:0:Kind"] = "DuckDb",
            ["Gateway:Engines:0:Database"] = ":memory:",
            ["Gateway:Engines:0:Settings:allowed_directories"] = "['/']",
        }).Message, StringComparison.Ordinal);
        Assert.Contains("for DuckDB engines only", Invalid(new()
        {
            ["Gateway:Engines:0:Name"] = "pg",
            ["Gateway:Engines:0:Kind"] = "Postgres",
            ["Gateway:Engines:0:Postgres:ConnectionString"] = "Host=127.0.0.1;Database=x;Username=u",
            ["Gateway:Engines:0:Settings:threads"] = "2",
        }).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnUnknownDuckDbSettingStopsTheStartWithAClearError()
    {
        var ex = await Assert.ThrowsAsync<GatewayConfigurationException>(() => GatewayInstance.StartAsync(new Dictionary<string, string?>
        {
            ["Gateway:DuckDb:DemoData"] = "false",
            ["Gateway:DuckDb:Settings:no_such_setting"] = "1",
        }, Path.Combine(_root, "bad")));
        Assert.Contains("Gateway:DuckDb:Settings", ex.Message, StringComparison.Ordinal);
        Assert.Contains("no_such_setting", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnotherDuckDbEngineIsSandboxedToo()
    {
        await using var g = await GatewayInstance.StartAsync(new Dictionary<string, string?>
        {
            ["Gateway:DuckDb:DemoData"] = "false",
            ["Gateway:Engines:0:Name"] = "scratch",
            ["Gateway:Engines:0:Kind"] = "DuckDb",
            ["Gateway:Engines:0:Database"] = ":memory:",
        }, Path.Combine(_root, "two"));
        await using var c = await g.ConnectAsync();
        var ex = await Assert.ThrowsAsync<HiveClientException>(() => c.QueryAsync($"/*+ ENGINE(scratch) */ SELECT content FROM read_text({Q(Path.Combine(_root, "outside.txt"))})"));
        Assert.Equal("42501", ex.SqlState);
    }
}
