using Gateway.Server.Listeners;
using Gateway.Tests.InProcess;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Unit;

/// <summary>Refusals logged once per cause per interval, the rest counted in one line (400 junk requests wrote 400 lines).</summary>
public sealed class RefusalLogUnitTests
{
    private readonly ManualTimeProvider _clock = new();
    private readonly CapturingLoggerProvider _lines = new();

    private RefusalLog Create(TimeSpan interval)
    {
        var factory = LoggerFactory.Create(b => b.AddProvider(_lines).SetMinimumLevel(LogLevel.Trace));
        return new RefusalLog(factory.CreateLogger<RefusalLog>(), _clock, interval);
    }

    [Fact]
    public void TheFirstOfACauseIsLoggedAndTheRestCountedInOneLine()
    {
        using var log = Create(TimeSpan.FromMinutes(1));
        var logged = Enumerable.Range(0, 400).Count(_ => log.ShouldLog(311, "framing"));
        Assert.Equal(1, logged);
        // Another cause, and another event, each have their own first line.
        Assert.True(log.ShouldLog(311, "malformed call"));
        Assert.True(log.ShouldLog(310, "framing"));
        Assert.Empty(_lines.Lines);

        _clock.Advance(TimeSpan.FromSeconds(61));
        log.Flush();
        var summary = Assert.Single(_lines.Lines);
        Assert.Contains("399 more refusals", summary, StringComparison.Ordinal);
        Assert.Contains("event 311, framing", summary, StringComparison.Ordinal);
        // Under a steady flood each interval costs one summary line.
        Assert.False(log.ShouldLog(311, "framing"));
        _clock.Advance(TimeSpan.FromSeconds(61));
        log.Flush();
        Assert.Contains("1 more refusals", _lines.Lines.Last(), StringComparison.Ordinal);
        // A cause quiet for two intervals is forgotten; its next refusal is logged in full again.
        _clock.Advance(TimeSpan.FromMinutes(3));
        log.Flush();
        Assert.True(log.ShouldLog(311, "framing"));
    }

    [Fact]
    public void ARefusalAfterTheIntervalReportsTheLastOneAndIsLogged()
    {
        using var log = Create(TimeSpan.FromMinutes(1));
        Assert.True(log.ShouldLog(302, "credentials"));
        Assert.False(log.ShouldLog(302, "credentials"));
        _clock.Advance(TimeSpan.FromMinutes(2));
        Assert.True(log.ShouldLog(302, "credentials"));
        Assert.Contains("1 more refusals", Assert.Single(_lines.Lines), StringComparison.Ordinal);
    }

    [Fact]
    public void TheIntervalIsValidated()
    {
        var errors = Gateway.Server.Configuration.GatewayOptionsValidation.Validate(new Gateway.Server.Configuration.GatewayOptions
        {
            Limits = new Gateway.Server.Configuration.LimitOptions { RefusalLogInterval = TimeSpan.FromSeconds(-1) },
        });
        Assert.Contains(errors, e => e.Contains("RefusalLogInterval", StringComparison.Ordinal));
    }

    [Fact]
    public void CausesAreBoundedAndZeroLogsEverything()
    {
        using (var log = Create(TimeSpan.FromMinutes(1)))
        {
            for (var i = 0; i < RefusalLog.MaxCauses; i++) Assert.True(log.ShouldLog(305, "phase " + i));
            Assert.True(log.ShouldLog(305, "one more"));   // the shared "other" cause, first time
            Assert.False(log.ShouldLog(305, "and another")); // counted under "other"
        }
        // Disposing reports what was still counted.
        Assert.Contains(_lines.Lines, l => l.Contains("event 305, other", StringComparison.Ordinal));
        using var every = Create(TimeSpan.Zero);
        Assert.All(Enumerable.Range(0, 10), _ => Assert.True(every.ShouldLog(311, "framing")));
    }
}

/// <summary>The gateway end to end: 400 junk HTTP requests and 100 junk binary connections write a line each cause, not one each.</summary>
public sealed class RefusalLogInProcessTests
{
    [Fact]
    public async Task JunkRequestsDoNotFloodTheLog()
    {
        var logs = new CapturingLoggerProvider();
        await using var g = await GatewayInstance.StartAsync(new Dictionary<string, string?> { ["Gateway:DuckDb:DemoData"] = "false" },
            services: s => Microsoft.Extensions.DependencyInjection.ServiceCollectionServiceExtensions.AddSingleton<ILoggerProvider>(s, logs));
        using var http = RawHttp.Client();
        for (var i = 0; i < 400; i++)
        {
            using var r = await RawHttp.PostAsync(http, g.HttpUri, "not a thrift message"u8.ToArray());
            Assert.Equal(System.Net.HttpStatusCode.BadRequest, r.StatusCode);
        }
        for (var i = 0; i < 100; i++)
        {
            using var s = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
            await s.ConnectAsync(System.Net.IPAddress.Loopback, g.Port);
            await s.SendAsync("GET / HTTP/1.1\r\n\r\n"u8.ToArray(), System.Net.Sockets.SocketFlags.None);
            var buffer = new byte[16];
            while (await s.ReceiveAsync(buffer, System.Net.Sockets.SocketFlags.None) > 0)
            {
            }
        }
        Assert.Equal(1, logs.Lines.Count(l => l.Contains("[311]", StringComparison.Ordinal)));
        Assert.Equal(1, logs.Lines.Count(l => l.Contains("[301]", StringComparison.Ordinal)));
    }
}
