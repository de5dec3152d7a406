using System.Diagnostics;
using Gateway.Engines;
using Gateway.Engines.HiveServer2;
using Gateway.Protocol.Hive;
using Gateway.Tests.InProcess;
using static Gateway.Tests.Engines.EngineText;

namespace Gateway.Tests.Engines;

/// <summary>One gateway process with the test TLS certificate on both listeners and a password file.</summary>
public sealed class GatewayProcessFixture : IAsyncLifetime
{
    public GatewayProcess Process { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Process = await GatewayProcess.StartAsync(tls: true, new Dictionary<string, string> { [RemoteGatewayFixture.User] = RemoteGatewayFixture.Password });

    public async Task DisposeAsync() => await Process.DisposeAsync();

    public HiveServer2EngineOptions Options(HiveTransportMode transport) => new()
    {
        Name = "remote-process",
        Host = "127.0.0.1",
        Port = transport == HiveTransportMode.Http ? Process.HttpUri.Port : Process.BinaryPort,
        Transport = transport,
        HttpPath = Process.HttpUri.AbsolutePath,
        Auth = transport == HiveTransportMode.Http ? HiveServer2Auth.Basic : HiveServer2Auth.SaslPlain,
        User = RemoteGatewayFixture.User,
        Password = RemoteGatewayFixture.Password,
        Tls = new EngineTlsOptions { CaFile = TestCertificate.CertificatePath },
    };
}

/// <summary>
/// Real-service tier: the engine against the gateway executable running as a separate process (started by the
/// tests with <c>dotnet gateway.dll serve</c>): HTTPS and binary TLS with SASL PLAIN, and a remote that dies.
/// </summary>
[Collection(HiveServer2EngineCollection.Name)]
public sealed class HiveServer2EngineProcessTests(GatewayProcessFixture fixture) : IClassFixture<GatewayProcessFixture>
{
    private static readonly ExecuteOptions Options = ExecuteOptions.Default;

    [Theory]
    [InlineData(HiveTransportMode.Http)]
    [InlineData(HiveTransportMode.Binary)]
    public async Task QueriesRunOnAGatewayProcessOverTls(HiveTransportMode transport)
    {
        Assert.Equal("https", fixture.Process.HttpUri.Scheme);
        await using var engine = new HiveServer2Engine(fixture.Options(transport));
        await using var session = await engine.OpenSessionAsync(new EngineSessionOptions("tester"), CancellationToken.None);
        var (schema, rows) = await QueryAsync(session, "SELECT range AS n, 'r' || range AS s, CAST(range AS DECIMAL(12,3)) / 8 AS d FROM range(20000) ORDER BY range", batchRows: 4096);
        Assert.Equal(["n", "s", "d"], schema.Columns.Select(c => c.Name));
        Assert.Equal(20_000, rows.Count);
        Assert.Equal(new string?[] { "19999", "r19999", "2499.875" }, rows[^1]);
        var probe = await engine.ProbeAsync(CancellationToken.None);
        Assert.True(probe.Healthy, probe.Error?.Message);
    }

    [Fact]
    public async Task TheCertificateIsCheckedUnlessValidationIsSkipped()
    {
        // Without the CA file the system store does not know the self-signed test certificate.
        var untrusted = fixture.Options(HiveTransportMode.Http) with { Tls = new EngineTlsOptions() };
        await using (var engine = new HiveServer2Engine(untrusted))
        {
            var e = await Assert.ThrowsAsync<EngineException>(() => engine.OpenSessionAsync(new EngineSessionOptions("tester"), CancellationToken.None).AsTask());
            Assert.Equal("08001", e.SqlState);
            Assert.False(e.Retryable);
        }
        await using (var engine = new HiveServer2Engine(fixture.Options(HiveTransportMode.Binary) with { Tls = new EngineTlsOptions() }))
        {
            var e = await Assert.ThrowsAsync<EngineException>(() => engine.OpenSessionAsync(new EngineSessionOptions("tester"), CancellationToken.None).AsTask());
            Assert.Equal("08001", e.SqlState);
        }
        var skipping = fixture.Options(HiveTransportMode.Http) with { Host = "127.0.0.1", Tls = new EngineTlsOptions { SkipCertificateValidation = true } };
        await using (var engine = new HiveServer2Engine(skipping))
        {
            await using var session = await engine.OpenSessionAsync(new EngineSessionOptions("tester"), CancellationToken.None);
            Assert.Equal("1", await ScalarAsync(session, "SELECT 1"));
        }
    }

    [Theory]
    [InlineData(HiveTransportMode.Binary)]
    [InlineData(HiveTransportMode.Http)]
    public async Task AKilledRemoteFailsTheNextCallAsRetryableAndLaterCallsFast(HiveTransportMode transport)
    {
        await using var process = await GatewayProcess.StartAsync(tls: false, new Dictionary<string, string> { ["bob"] = "builder" });
        var options = new HiveServer2EngineOptions
        {
            Name = "doomed",
            Port = transport == HiveTransportMode.Http ? process.HttpUri.Port : process.BinaryPort,
            Transport = transport,
            HttpPath = process.HttpUri.AbsolutePath,
            Auth = transport == HiveTransportMode.Http ? HiveServer2Auth.Basic : HiveServer2Auth.SaslPlain,
            User = "bob",
            Password = "builder",
            // Far beyond what the test allows: failures must come from the broken link, not from timeouts.
            RequestTimeout = TimeSpan.FromMinutes(10),
            ConnectTimeout = TimeSpan.FromSeconds(30),
        };
        await using var engine = new HiveServer2Engine(options);
        var session = await engine.OpenHiveServer2SessionAsync(new EngineSessionOptions("tester"), CancellationToken.None);
        Assert.Equal("1", await ScalarAsync(session, "SELECT 1"));
        var open = await session.ExecuteAsync("SELECT range FROM range(100000)", Options, CancellationToken.None);
        using (await open.ReadBatchAsync(10, CancellationToken.None)) { }

        process.Kill();
        Assert.True(process.HasExited);

        var watch = Stopwatch.StartNew();
        var first = await Assert.ThrowsAsync<EngineException>(() => session.ExecuteAsync("SELECT 2", Options, CancellationToken.None).AsTask());
        Assert.True(first.Retryable, first.Message);
        Assert.StartsWith("08", first.SqlState, StringComparison.Ordinal);
        Assert.True(session.IsBroken);
        var again = await Assert.ThrowsAsync<EngineException>(() => session.ExecuteAsync("SELECT 3", Options, CancellationToken.None).AsTask());
        Assert.True(again.Retryable);
        Assert.StartsWith("08", again.SqlState, StringComparison.Ordinal);
        // More rows than the first fetch left buffered here: the read needs the dead remote.
        var fetch = await Assert.ThrowsAsync<EngineException>(() => open.ReadBatchAsync(50_000, CancellationToken.None).AsTask());
        Assert.True(fetch.Retryable);
        var metadata = await Assert.ThrowsAsync<EngineException>(() => session.Metadata.GetCatalogsAsync(CancellationToken.None).AsTask());
        Assert.True(metadata.Retryable);
        await open.DisposeAsync();
        await session.DisposeAsync();
        // Bounded far below the request timeout: nothing waited on the dead remote.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"Failing and disposing took {watch.Elapsed}.");

        var reopen = await Assert.ThrowsAsync<EngineException>(() => engine.OpenSessionAsync(new EngineSessionOptions("tester"), CancellationToken.None).AsTask());
        Assert.True(reopen.Retryable, reopen.Message);
        var probe = await engine.ProbeAsync(CancellationToken.None);
        Assert.False(probe.Healthy);
        Assert.True(probe.Error!.Retryable);
    }
}
