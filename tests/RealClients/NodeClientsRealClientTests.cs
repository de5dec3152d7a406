using System.Diagnostics;
using System.Text.Json;
using Gateway.Tests.InProcess;

namespace Gateway.Tests.RealClients;

/// <summary>
/// Third-party HiveServer2 clients from npm (installed by scripts/test.sh into tests/clients) against
/// the in-process gateway. They must run: a missing node or package is a failure, not a skip.
/// </summary>
[Collection(GatewayCollection.Name)]
public class NodeClientsRealClientTests(GatewayFixture fixture)
{
    internal static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Gateway.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Gateway.sln not found above the test binaries.");
    }

    internal static async Task<JsonElement> RunNodeAsync(string script, params string[] args)
    {
        var clients = Path.Combine(RepoRoot(), "tests", "clients");
        Assert.True(Directory.Exists(Path.Combine(clients, "node_modules")), "tests/clients/node_modules is missing: run ./scripts/test.sh (it runs npm ci).");
        var psi = new ProcessStartInfo("node") { WorkingDirectory = clients, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(script);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(cts.Token);
        var output = await stdout;
        Assert.True(process.ExitCode == 0, $"{script} exited {process.ExitCode}: {await stderr}\n{output}");
        return JsonDocument.Parse(output).RootElement;
    }

    /// <summary>A JSON value as the text a test compares: strings as they are, null as null, anything else as JSON.</summary>
    internal static string? Str(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        JsonValueKind.String => e.GetString(),
        _ => e.GetRawText(),
    };

    [Theory]
    [InlineData("nosasl")]
    [InlineData("plain")]
    public async Task HiveDriverQueriesBrowsesAndCancels(string mode)
    {
        var r = await RunNodeAsync("hive-driver-check.js", "127.0.0.1", fixture.Gateway.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), mode, "node-user", "pw");

        Assert.Equal("Spark SQL", r.GetProperty("info").GetProperty("dbmsName").GetString());
        Assert.Equal("demo", r.GetProperty("currentDatabase")[0].GetProperty("db").GetString());

        var simple = r.GetProperty("simple")[0];
        Assert.Equal("1", Str(simple.GetProperty("one")));
        Assert.Equal("two", Str(simple.GetProperty("two")));
        Assert.Null(Str(simple.GetProperty("three")));
        Assert.Equal("2.5", Str(simple.GetProperty("four")));
        Assert.Equal("12.34", Str(simple.GetProperty("five")));
        Assert.Equal("2024-01-31", Str(simple.GetProperty("six")));
        Assert.Equal("2024-01-31 12:00:00.123", Str(simple.GetProperty("seven")));

        var allTypes = r.GetProperty("allTypes");
        Assert.True(allTypes.GetProperty("columns").GetArrayLength() >= 20);
        Assert.True(allTypes.GetProperty("rows").GetArrayLength() >= 2);

        Assert.Equal(100_000, r.GetProperty("big").GetProperty("count").GetInt32());
        Assert.True(r.GetProperty("big").GetProperty("ordered").GetBoolean());

        Assert.True(r.GetProperty("catalogs").GetProperty("count").GetInt32() >= 1);
        Assert.Equal("demo", r.GetProperty("schemas").GetProperty("rows")[0].GetProperty("TABLE_SCHEM").GetString());
        Assert.Contains(r.GetProperty("tables").GetProperty("rows").EnumerateArray(), t => t.GetProperty("TABLE_NAME").GetString() == "sales");
        Assert.Contains(r.GetProperty("tableTypes").GetProperty("rows").EnumerateArray(), t => t.GetProperty("TABLE_TYPE").GetString() == "TABLE");
        Assert.Contains(r.GetProperty("columns").GetProperty("rows").EnumerateArray(), c => c.GetProperty("COLUMN_NAME").GetString() == "amount" && c.GetProperty("TYPE_NAME").GetString() == "DECIMAL");
        Assert.Contains(r.GetProperty("functions").GetProperty("rows").EnumerateArray(), f => f.GetProperty("FUNCTION_NAME").GetString() == "abs");
        Assert.Equal("customer_id", r.GetProperty("primaryKeys").GetProperty("rows")[0].GetProperty("COLUMN_NAME").GetString());
        Assert.Equal("sales", r.GetProperty("crossReference").GetProperty("rows")[0].GetProperty("FKTABLE_NAME").GetString());
        Assert.True(r.GetProperty("typeInfo").GetProperty("count").GetInt32() >= 15);

        var error = r.GetProperty("error");
        Assert.Contains("no_such_table", error.GetProperty("serverMessage").GetString(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal("42S02", error.GetProperty("sqlState").GetString());
        Assert.Equal("CANCELED_STATE", r.GetProperty("cancel").GetProperty("state").GetString());
        Assert.Equal("7", Str(r.GetProperty("afterCancel")[0].GetProperty("seven")));
    }

    [Fact]
    public async Task Jshs2QueriesFetchesAndCancels()
    {
        var r = await RunNodeAsync("jshs2-check.js", "127.0.0.1", fixture.Gateway.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "js-user");
        var simple = r.GetProperty("simple");
        Assert.Equal(["one", "two", "three", "five"], simple.GetProperty("columns").EnumerateArray().Select(c => c.GetString()));
        var row = simple.GetProperty("rows")[0];
        Assert.Equal("1", Str(row[0]));
        Assert.Equal("two", Str(row[1]));
        Assert.Equal("NULL", Str(row[2]));
        Assert.Equal("12.34", Str(row[3]));
        Assert.Equal(100_000, r.GetProperty("big").GetProperty("count").GetInt32());
        Assert.Equal("1", Str(r.GetProperty("big").GetProperty("first")[0]));
        Assert.Contains(r.GetProperty("tables").GetProperty("rows").EnumerateArray(), t => Str(t[0]) == "sales");
        Assert.Equal("CANCELED_STATE", r.GetProperty("cancel").GetString());
        Assert.Equal("8", Str(r.GetProperty("afterCancel")[0][0]));
    }
}
