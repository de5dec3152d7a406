namespace Gateway.Server.Configuration;

public static class EngineCapacityOptionsValidator
{
    /// <summary>Adds a message per problem of an engine's Capacity section (configuration key <paramref name="key"/>).</summary>
    public static void Validate(EngineCapacityOptions c, string key, List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(c);
        ArgumentNullException.ThrowIfNull(errors);
        key += ":Capacity";
        if (c.MaxConcurrent < 1) errors.Add($"{key}:MaxConcurrent must be at least 1.");
        if (c.MaxQueue < 0) errors.Add($"{key}:MaxQueue must not be negative.");
        if (c.QueueTimeout < TimeSpan.Zero) errors.Add($"{key}:QueueTimeout must not be negative.");
        if (c.MaxPerUser is { } perUser && (perUser < 1 || perUser > c.MaxConcurrent))
        {
            errors.Add($"{key}:MaxPerUser must be between 1 and MaxConcurrent ({c.MaxConcurrent}); unset is half of MaxConcurrent.");
        }
        if (c.MaxQueuedPerUser is { } queued && (queued < 0 || queued > c.MaxQueue))
        {
            errors.Add($"{key}:MaxQueuedPerUser must be between 0 and MaxQueue ({c.MaxQueue}); unset is half of MaxQueue.");
        }
        if (c.MaxPerGroup is { } perGroup && perGroup < 1) errors.Add($"{key}:MaxPerGroup must be at least 1; unset is no cap.");
        foreach (var (group, cap) in c.Groups ?? new Dictionary<string, int>())
        {
            if (string.IsNullOrWhiteSpace(group) || group != group.Trim()) errors.Add($"{key}:Groups: '{group}' is not a group name.");
            if (cap < 1) errors.Add($"{key}:Groups:{group} must be at least 1.");
        }
        if (c.SaturationLogInterval < TimeSpan.Zero || c.SaturationLogInterval > TimeSpan.FromHours(1))
        {
            errors.Add($"{key}:SaturationLogInterval must be between 0 (a line each time) and 1 hour.");
        }
    }
}
