using System.Diagnostics;

namespace Gateway.Tests.Engines;

/// <summary>Runs the project's service scripts (scripts/postgres.sh, scripts/ldap.sh) for tests started without scripts/test.sh.</summary>
public static class TestScripts
{
    /// <summary>
    /// The value of <paramref name="variable"/> when scripts/test.sh set it; otherwise the stdout of
    /// <c>scripts/&lt;script&gt; start</c>, stopping the server at exit when this process started it. Never a skip: a
    /// service that cannot be had fails the tests with the script's output.
    /// </summary>
    public static string Locate(string variable, string script, IReadOnlyDictionary<string, string>? environment = null)
    {
        if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } fromScript) return fromScript;
        var path = Path.Combine(RepositoryRoot(), "scripts", script);
        var wasRunning = Run(path, "status", environment, out _, out _) == 0;
        var exit = Run(path, "start", environment, out var stdout, out var stderr);
        if (exit != 0 || string.IsNullOrWhiteSpace(stdout))
        {
            throw new InvalidOperationException($"{variable} is not set and scripts/{script} could not start its server (exit {exit}):\n{stderr}");
        }
        if (!wasRunning)
        {
            AppDomain.CurrentDomain.ProcessExit += (_, _) => Run(path, "stop", environment, out _, out _);
        }
        return stdout.Trim();
    }

    private static int Run(string script, string action, IReadOnlyDictionary<string, string>? environment, out string stdout, out string stderr)
    {
        var info = new ProcessStartInfo("bash", [script, action])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) info.Environment[k] = v;
        using var process = Process.Start(info)!;
        var errors = process.StandardError.ReadToEndAsync();
        stdout = process.StandardOutput.ReadToEnd();
        // Installing a server from apt can take minutes on a clean machine.
        if (!process.WaitForExit(TimeSpan.FromMinutes(10)))
        {
            process.Kill(entireProcessTree: true);
            stderr = $"{Path.GetFileName(script)} did not finish within 10 minutes.";
            return -1;
        }
        stderr = errors.GetAwaiter().GetResult();
        return process.ExitCode;
    }

    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Gateway.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("Gateway.sln not found above " + AppContext.BaseDirectory);
    }
}
