using System.Diagnostics;
using Gateway.Engines.Postgres;
using Npgsql;

namespace Gateway.Tests.Engines;

/// <summary>
/// The real PostgreSQL the engine tests run against. scripts/test.sh starts it with scripts/postgres.sh and
/// names it in GATEWAY_TEST_PG (an Npgsql connection string); a plain <c>dotnet test</c> runs that script here,
/// and stops the server at exit when it was this process that started it. When PostgreSQL cannot be had the
/// tests fail with the script's output: they never skip.
/// </summary>
public static class PostgresTestServer
{
    public const string Variable = "GATEWAY_TEST_PG";

    private static readonly Lazy<string> s_connectionString = new(Locate, LazyThreadSafetyMode.ExecutionAndPublication);

    public static string ConnectionString => s_connectionString.Value;

    /// <summary>Engine options for the test server, each engine on its own pool.</summary>
    public static PostgresEngineOptions Options(string name = "postgres", PostgresReadPath readPath = PostgresReadPath.Reader, int maxPoolSize = 20) =>
        new() { Name = name, ConnectionString = ConnectionString, ReadPath = readPath, MaxPoolSize = maxPoolSize };

    /// <summary>Runs SQL on a connection of its own (test setup).</summary>
    public static async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static string Locate()
    {
        if (Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } fromScript) return fromScript;
        var script = Path.Combine(RepositoryRoot(), "scripts", "postgres.sh");
        var wasRunning = Run(script, "status", out _, out _) == 0;
        var exit = Run(script, "start", out var stdout, out var stderr);
        if (exit != 0 || string.IsNullOrWhiteSpace(stdout))
        {
            throw new InvalidOperationException($"{Variable} is not set and scripts/postgres.sh could not start PostgreSQL (exit {exit}):\n{stderr}");
        }
        if (!wasRunning)
        {
            AppDomain.CurrentDomain.ProcessExit += (_, _) => Run(script, "stop", out _, out _);
        }
        return stdout.Trim();
    }

    private static int Run(string script, string action, out string stdout, out string stderr)
    {
        var info = new ProcessStartInfo("bash", [script, action])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(info)!;
        var errors = process.StandardError.ReadToEndAsync();
        stdout = process.StandardOutput.ReadToEnd();
        // Installing PostgreSQL from apt can take minutes on a clean machine.
        if (!process.WaitForExit(TimeSpan.FromMinutes(10)))
        {
            process.Kill(entireProcessTree: true);
            stderr = "scripts/postgres.sh did not finish within 10 minutes.";
            return -1;
        }
        stderr = errors.GetAwaiter().GetResult();
        return process.ExitCode;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Gateway.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("Gateway.sln not found above " + AppContext.BaseDirectory);
    }
}
