using Gateway.Protocol.Sql;
using Gateway.Router.Sql;

namespace Gateway.Router.Routing;

/// <summary>
/// Checks routing configuration at load. Every problem is reported at once, each naming where it is
/// (<c>Rules[2] 'etl': Match.StatementKinds[0] ...</c>), so a bad reload can be refused with the whole list.
/// </summary>
public static class RoutingOptionsValidator
{
    /// <param name="engines">Configured engine names, to check rule targets; null skips that check.</param>
    /// <param name="groups">Configured engine groups; null skips that check.</param>
    public static IReadOnlyList<string> Validate(RoutingOptions options, IReadOnlyCollection<string>? engines = null, IReadOnlyCollection<string>? groups = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (SqlDialect.FromName(options.Dialect) is null)
        {
            errors.Add($"Dialect '{options.Dialect}' is not one of {string.Join(", ", SqlDialect.Presets.Select(d => d.Name))}.");
        }
        var cost = options.Cost ?? new CostModelOptions();
        if (cost.DefaultScanBytes < 0) errors.Add("Cost.DefaultScanBytes must not be negative.");
        if (cost.DefaultFunctionScanBytes < 0) errors.Add("Cost.DefaultFunctionScanBytes must not be negative.");
        if (cost.AssumedRowBytes < 0) errors.Add("Cost.AssumedRowBytes must not be negative.");
        if (cost.StatsMaxAge is { } age && age <= TimeSpan.Zero) errors.Add("Cost.StatsMaxAge must be positive when set.");
        if (options.Overrides is { AllowSessionEngine: true } o && string.IsNullOrWhiteSpace(o.SessionEngineKey))
        {
            errors.Add("Overrides.SessionEngineKey must not be empty while Overrides.AllowSessionEngine is true.");
        }

        if (options.Failover is { } f && (f.MaxAttempts < 0 || f.MaxAttempts > 16)) errors.Add("Failover.MaxAttempts must be between 0 and 16.");
        if (options.StatisticsTimeout < TimeSpan.Zero || options.StatisticsTimeout > TimeSpan.FromMinutes(1))
        {
            errors.Add("StatisticsTimeout must be between 0 and 1 minute.");
        }

        var rules = options.Rules ?? [];
        var names = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < rules.Count; i++)
        {
            var rule = rules[i];
            if (rule is null)
            {
                errors.Add($"Rules[{i}]: is empty.");
                continue;
            }
            var at = string.IsNullOrWhiteSpace(rule.Name) ? $"Rules[{i}]" : $"Rules[{i}] '{rule.Name}'";
            if (string.IsNullOrWhiteSpace(rule.Name)) errors.Add($"{at}: Name is required.");
            else if (names.TryGetValue(rule.Name, out var first)) errors.Add($"{at}: Name is also used by Rules[{first}].");
            else names[rule.Name] = i;

            var hasEngine = !string.IsNullOrWhiteSpace(rule.Engine);
            var hasGroup = !string.IsNullOrWhiteSpace(rule.EngineGroup);
            if (hasEngine == hasGroup) errors.Add($"{at}: set exactly one of Engine or EngineGroup.");
            if (hasEngine && engines is not null && !engines.Contains(rule.Engine!, StringComparer.OrdinalIgnoreCase))
            {
                errors.Add($"{at}: Engine '{rule.Engine}' is not a configured engine ({Known(engines)}).");
            }
            if (hasGroup && groups is not null && !groups.Contains(rule.EngineGroup!, StringComparer.OrdinalIgnoreCase))
            {
                errors.Add($"{at}: EngineGroup '{rule.EngineGroup}' is not a group of any engine ({Known(groups)}).");
            }
            ValidateMatch(rule.Match, at, errors);
        }
        return errors;
    }

    /// <summary>Checks one engine's routing profile (<c>Gateway:Engines:&lt;name&gt;:Routing</c>).</summary>
    public static IReadOnlyList<string> ValidateProfile(string engine, EngineRoutingProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var errors = new List<string>();
        var at = $"Engines '{engine}' Routing";
        var cost = profile.Cost ?? new EngineCostParameters();
        if (!(cost.ScanBytesPerSecond > 0) || double.IsInfinity(cost.ScanBytesPerSecond)) errors.Add($"{at}: Cost.ScanBytesPerSecond must be a positive number.");
        if (cost.StartupLatency < TimeSpan.Zero) errors.Add($"{at}: Cost.StartupLatency must not be negative.");
        if (cost.PerQueryOverhead < TimeSpan.Zero) errors.Add($"{at}: Cost.PerQueryOverhead must not be negative.");
        if (cost.PerFileOverhead < TimeSpan.Zero) errors.Add($"{at}: Cost.PerFileOverhead must not be negative.");
        if (cost.AverageQueryTime < TimeSpan.Zero) errors.Add($"{at}: Cost.AverageQueryTime must not be negative.");
        CheckPatterns(profile.Visibility, $"{at}: Visibility", 2, errors);
        CheckPatterns(profile.Capabilities?.WritableCatalogs, $"{at}: Capabilities.WritableCatalogs", 1, errors);
        foreach (var dialect in profile.Capabilities?.Dialects ?? [])
        {
            if (SqlDialect.FromName(dialect) is null) errors.Add($"{at}: Capabilities.Dialects has unknown dialect '{dialect}'.");
        }
        for (var i = 0; i < profile.Groups.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(profile.Groups[i])) errors.Add($"{at}: Groups[{i}] is empty.");
        }
        return errors;
    }

    private static void ValidateMatch(RuleMatch? match, string at, List<string> errors)
    {
        if (match is null) return;
        CheckGlobs(match.Users, $"{at}: Match.Users", errors);
        CheckGlobs(match.Groups, $"{at}: Match.Groups", errors);
        CheckGlobs(match.Clients, $"{at}: Match.Clients", errors);
        CheckPatterns(match.Tables, $"{at}: Match.Tables", int.MaxValue, errors);
        CheckPatterns(match.Schemas, $"{at}: Match.Schemas", 2, errors);
        if (match.StatementKinds is { } kinds)
        {
            for (var k = 0; k < kinds.Count; k++)
            {
                if (!Enum.TryParse<StatementKind>(kinds[k], ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed) || int.TryParse(kinds[k], out _))
                {
                    errors.Add($"{at}: Match.StatementKinds[{k}] '{kinds[k]}' is not a statement kind ({string.Join(", ", Enum.GetNames<StatementKind>())}).");
                }
            }
        }
        if (match.TableMatch is { } mode && !mode.Equals("Any", StringComparison.OrdinalIgnoreCase) && !mode.Equals("All", StringComparison.OrdinalIgnoreCase))
        {
            errors.Add($"{at}: Match.TableMatch '{mode}' must be Any or All.");
        }
        if (match.SessionConf is { } conf)
        {
            foreach (var (key, value) in conf)
            {
                if (string.IsNullOrWhiteSpace(key)) errors.Add($"{at}: Match.SessionConf has an empty key.");
                else if (value is null) errors.Add($"{at}: Match.SessionConf['{key}'] needs a value glob (use \"*\" for any value).");
            }
        }
    }

    private static void CheckGlobs(IReadOnlyList<string>? globs, string at, List<string> errors)
    {
        if (globs is null) return;
        for (var i = 0; i < globs.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(globs[i])) errors.Add($"{at}[{i}] is empty.");
        }
    }

    private static void CheckPatterns(IReadOnlyList<string>? patterns, string at, int maxParts, List<string> errors)
    {
        if (patterns is null) return;
        for (var i = 0; i < patterns.Count; i++)
        {
            var p = patterns[i];
            if (string.IsNullOrWhiteSpace(p))
            {
                errors.Add($"{at}[{i}] is empty.");
                continue;
            }
            var parts = p.Split('.');
            if (parts.Any(string.IsNullOrWhiteSpace)) errors.Add($"{at}[{i}] '{p}' has an empty part.");
            else if (parts.Length > maxParts) errors.Add($"{at}[{i}] '{p}' has more than {maxParts} dotted part{(maxParts == 1 ? "" : "s")}.");
        }
    }

    private static string Known(IEnumerable<string> names)
    {
        var list = names.Order(StringComparer.OrdinalIgnoreCase).ToList();
        return list.Count == 0 ? "none configured" : "known: " + string.Join(", ", list);
    }
}
