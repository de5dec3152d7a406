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

    private static string Locate() => TestScripts.Locate(Variable, "postgres.sh");
}
