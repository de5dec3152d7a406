using Gateway.Server.Configuration;
using Gateway.Server.Sessions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gateway.Server.Hosting;

/// <summary>
/// Closes pooled engine sessions idle beyond their engine's Sessions:IdleTimeout (or past MaxLifetime), every
/// Limits:SweepInterval. Expired sessions found at reuse are closed then too, so a late sweep never hands one out.
/// </summary>
public sealed partial class EngineSessionPoolSweeper(EngineSessionPools pools, GatewayOptions options, TimeProvider time, ILogger<EngineSessionPoolSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Limits.SweepInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                var evicted = await pools.SweepAsync(stoppingToken).ConfigureAwait(false);
                if (evicted > 0) LogSwept(logger, evicted);
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }

    [LoggerMessage(EventId = 720, Level = LogLevel.Debug, Message = "Closed {Sessions} idle pooled engine sessions")]
    private static partial void LogSwept(ILogger logger, int sessions);
}
