using System.CommandLine;
using Gateway.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Server.Cli;

public static class ServeCommand
{
    public static Command Create()
    {
        var config = new Option<FileInfo?>("--config", "-c") { Description = "JSON config file (appsettings format, section \"Gateway\"). Environment variables Gateway__Section__Key override it." };
        var data = new Option<DirectoryInfo?>("--data", "-d") { Description = "Data folder for the embedded database and local state (default ./data)." };
        var host = new Option<string?>("--host") { Description = "Address of the binary, HTTP and Trino listeners (default 127.0.0.1)." };
        var port = new Option<int?>("--port", "-p") { Description = "Port of the binary listener (default 10000)." };
        var httpPort = new Option<int?>("--http-port") { Description = "Port of the HTTP listener (default 10001)." };
        var trinoPort = new Option<int?>("--trino-port") { Description = "Port of the Trino protocol listener (default 10002; -1 turns it off)." };
        var auth = new Option<string?>("--auth") { Description = "Authentication: none or password-file." };
        var noDemo = new Option<bool>("--no-demo") { Description = "Do not create the demo schema on first start." };
        var accessControl = new Option<FileInfo?>("--access-control") { Description = "Access policy file (Trino's rules.json format; docs/security.md). Re-read when it changes." };
        var command = new Command("serve", "Start the gateway.") { config, data, host, port, httpPort, trinoPort, auth, noDemo, accessControl };
        command.SetAction(async (parse, ct) =>
        {
            var overrides = new Dictionary<string, string?>();
            if (parse.GetValue(data) is { } d) overrides["Gateway:DataFolder"] = d.FullName;
            if (parse.GetValue(host) is { } h)
            {
                overrides["Gateway:Binary:Host"] = h;
                overrides["Gateway:Http:Host"] = h;
                overrides["Gateway:Trino:Host"] = h;
            }
            if (parse.GetValue(port) is { } p) overrides["Gateway:Binary:Port"] = p.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (parse.GetValue(httpPort) is { } hp) overrides["Gateway:Http:Port"] = hp.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (parse.GetValue(trinoPort) is { } tp)
            {
                if (tp < 0) overrides["Gateway:Trino:Enabled"] = "false";
                else overrides["Gateway:Trino:Port"] = tp.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
            if (parse.GetValue(auth) is { } a) overrides["Gateway:Auth:Mode"] = a.Equals("password-file", StringComparison.OrdinalIgnoreCase) ? "PasswordFile" : a;
            if (parse.GetValue(noDemo)) overrides["Gateway:DuckDb:DemoData"] = "false";
            if (parse.GetValue(accessControl) is { } policy) overrides["Gateway:AccessControl:ConfigFile"] = policy.FullName;
            var file = parse.GetValue(config);
            try
            {
                var app = await GatewayHost.BuildAsync([], cfg =>
                {
                    if (file is not null) cfg.AddJsonFile(file.FullName, optional: false, reloadOnChange: true);
                    cfg.AddEnvironmentVariables();
                    cfg.AddInMemoryCollection(overrides);
                }, ct).ConfigureAwait(false);
                await using (app.ConfigureAwait(false))
                {
                    await app.StartAsync(ct).ConfigureAwait(false);
                    var endpoints = app.Services.GetRequiredService<GatewayEndpoints>();
                    var listening = new List<string>();
                    if (endpoints.Binary is { } binary) listening.Add($"HiveServer2 binary on {binary}{(endpoints.BinaryTls ? " (TLS)" : "")}");
                    if (endpoints.HttpUri is { } http) listening.Add($"HiveServer2 HTTP on {http}");
                    if (endpoints.TrinoUri is { } trino) listening.Add($"Trino protocol on {trino}");
                    await Console.Out.WriteLineAsync($"gateway listening: {string.Join(", ", listening)} (Ctrl+C to stop)").ConfigureAwait(false);
                    await app.WaitForShutdownAsync(ct).ConfigureAwait(false);
                }
                return 0;
            }
            catch (GatewayConfigurationException ex)
            {
                await Console.Error.WriteLineAsync(ex.Message).ConfigureAwait(false);
                return 2;
            }
            catch (IOException ex) when (ex.Message.Contains("address", StringComparison.OrdinalIgnoreCase))
            {
                await Console.Error.WriteLineAsync($"Cannot listen: {ex.Message}").ConfigureAwait(false);
                return 3;
            }
        });
        return command;
    }
}
