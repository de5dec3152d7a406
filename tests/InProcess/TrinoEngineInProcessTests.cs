using Gateway.Engines.HiveServer2;
using Gateway.Tests.Engines;
using static Gateway.Tests.Engines.TrinoFakeCoordinator;

namespace Gateway.Tests.InProcess;

/// <summary>A gateway with a Trino engine (an in-test coordinator): HS2 clients reach it by routing, and its answers and errors come back as from any engine.</summary>
public sealed class TrinoEngineInProcessTests : IAsyncLifetime
{
    private TrinoFakeCoordinator _trino = null!;
    private GatewayInstance _gateway = null!;

    public async Task InitializeAsync()
    {
        _trino = await TrinoFakeCoordinator.StartAsync();
        _trino.Answer = sql => sql.StartsWith("USE ", StringComparison.Ordinal)
            ? new Script([Page("FINISHED", extra: "\"updateType\":\"USE\",")])
            : sql.Contains("orders", StringComparison.Ordinal)
                ? Query($"[{Column("id", "bigint", Sig("bigint"))},{Column("amount", "decimal(12,2)", Sig("decimal", LongArg(12), LongArg(2)))},{Column("at", "timestamp(3)", Sig("timestamp", LongArg(3)))}]",
                    "[[1,\"10.50\",\"2024-01-31 12:00:00.000\"],[2,\"-3.25\",\"2024-02-01 08:30:15.250\"]]")
                : null;
        _gateway = await GatewayInstance.StartAsync(new Dictionary<string, string?>
        {
            ["Gateway:Engines:0:Name"] = "trino",
            ["Gateway:Engines:0:Kind"] = "Trino",
            ["Gateway:Engines:0:Trino:Port"] = _trino.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Gateway:Engines:0:Trino:Catalog"] = "hive",
            ["Gateway:Engines:0:Trino:Schema"] = "sales",
            ["Gateway:Engines:0:Trino:ImpersonateUser"] = "true",
        });
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _trino.DisposeAsync();
    }

    [Fact]
    public async Task AnHs2ClientRunsStatementsOnTheTrinoEngine()
    {
        await using var c = await _gateway.ConnectAsync(user: "alice");
        var (schema, rows) = await c.QueryAsync("/*+ ENGINE(trino) */ SELECT id, amount, at FROM orders ORDER BY id");
        Assert.Equal(["id", "amount", "at"], schema.Columns.Select(col => col.Name));
        Assert.Equal(new string?[][] { ["1", "10.50", "2024-01-31 12:00:00"], ["2", "-3.25", "2024-02-01 08:30:15.25"] }, rows);
        var sent = _trino.Statements.Last(s => s.Sql.Contains("orders", StringComparison.Ordinal));
        // The statement runs as the gateway's user (ImpersonateUser), without the routing hint.
        Assert.Equal("alice", sent.Headers["X-Trino-User"].Single());

        var error = await Assert.ThrowsAsync<HiveClientException>(() => c.QueryAsync("/*+ ENGINE(trino) */ SELEC nonsense"));
        Assert.Equal("42000", error.SqlState);
        Assert.Contains("SYNTAX_ERROR", error.Message, StringComparison.Ordinal);
        // The session goes on, on the other engines too.
        Assert.Equal("1", (await c.QueryAsync("SELECT 1")).Rows[0][0]);
    }
}
