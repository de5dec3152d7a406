using System.Diagnostics;
using Gateway.Tests.Engines;

namespace Gateway.Tests.InProcess;

/// <summary>The project's CLI (<c>gateway sql ...</c>) as a user runs it: a separate process of the built gateway.</summary>
public static class GatewayCli
{
    public static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(GatewayProcess.GatewayDll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment.Remove("GATEWAY_PASSWORD");
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await process.WaitForExitAsync(cts.Token);
        return (process.ExitCode, await stdout, await stderr);
    }
}
