using Gateway.Server.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Gateway.Server.Configuration;

/// <summary>
/// Follows configuration reloads (a JSON file with reloadOnChange): the new options are bound and checked by every
/// section validator, as at start. An invalid change is refused whole, with every problem logged, and the last good
/// configuration stays in force; a valid one is handed to what applies without a restart (routing: rules, costs,
/// engine routing profiles). The other sections are read once at start.
/// </summary>
public sealed partial class GatewayConfigurationWatcher : IDisposable
{
    private readonly IConfiguration _configuration;
    private readonly IReadOnlyList<IValidateOptions<GatewayOptions>> _validators;
    private readonly RoutingService _routing;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private IDisposable? _watch;

    public GatewayConfigurationWatcher(IConfiguration configuration, IEnumerable<IValidateOptions<GatewayOptions>> validators, RoutingService routing, TimeProvider time,
        ILogger<GatewayConfigurationWatcher> logger)
    {
        _configuration = configuration ?? throw new ArgumentNullException(nameof(configuration));
        _validators = [.. validators ?? throw new ArgumentNullException(nameof(validators))];
        _routing = routing ?? throw new ArgumentNullException(nameof(routing));
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
    }

    /// <summary>The last reload: when, and every problem that refused it (empty: applied).</summary>
    public RoutingApplyResult? LastReload { get; private set; }

    public void Start()
    {
        _watch?.Dispose();
        _watch = ChangeToken.OnChange(_configuration.GetReloadToken, () => Reload());
    }

    /// <summary>Binds, validates and applies the current configuration; returns the problems that refused it.</summary>
    public IReadOnlyList<string> Reload()
    {
        IReadOnlyList<string> errors;
        GatewayOptions? options = null;
        try
        {
            options = _configuration.GetSection(GatewayOptions.SectionName).Get<GatewayOptions>() ?? new GatewayOptions();
            errors = GatewayOptionsValidation.Validate(options, _validators);
        }
        catch (InvalidOperationException ex)
        {
            // "Failed to convert configuration value 'x' at 'Gateway:...'": the key and the value.
            errors = [ex.Message + (ex.InnerException is { } inner ? $" ({inner.Message})" : "")];
        }
        if (errors.Count == 0) errors = _routing.Apply(options!);
        else LogRefused(_logger, errors.Count, string.Join(" | ", errors));
        LastReload = new RoutingApplyResult(_time.GetUtcNow(), errors);
        return errors;
    }

    public void Dispose() => _watch?.Dispose();

    [LoggerMessage(EventId = 120, Level = LogLevel.Error, Message = "configuration reload refused, the last good configuration stays in force ({Count} problems): {Errors}")]
    private static partial void LogRefused(ILogger logger, int count, string errors);
}
