namespace Gateway.Server.Configuration;

/// <summary>Failed-login throttling (<c>Gateway:Auth:Throttle</c>); see <see cref="Auth.LoginThrottle"/>.</summary>
public sealed record LoginThrottleOptions
{
    public bool Enabled { get; init; } = true;

    /// <summary>Failed logins of one user name within <see cref="Window"/> that block that name.</summary>
    public int MaxFailuresPerUser { get; init; } = 5;

    /// <summary>Failed logins from one client address within <see cref="Window"/> that block that address (higher: NAT).</summary>
    public int MaxFailuresPerAddress { get; init; } = 30;

    /// <summary>How long failures are counted from the first one.</summary>
    public TimeSpan Window { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a blocked user or address is refused.</summary>
    public TimeSpan BlockFor { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Users and addresses tracked at most; beyond, the oldest that are not blocked are forgotten.</summary>
    public int MaxTracked { get; init; } = 100_000;

    internal static void Validate(LoginThrottleOptions t, List<string> errors)
    {
        if (!t.Enabled) return;
        if (t.MaxFailuresPerUser < 1) errors.Add("Gateway:Auth:Throttle:MaxFailuresPerUser must be at least 1.");
        if (t.MaxFailuresPerAddress < 1) errors.Add("Gateway:Auth:Throttle:MaxFailuresPerAddress must be at least 1.");
        if (t.Window <= TimeSpan.Zero || t.Window > TimeSpan.FromDays(1)) errors.Add("Gateway:Auth:Throttle:Window must be between 0 and 1 day.");
        if (t.BlockFor <= TimeSpan.Zero || t.BlockFor > TimeSpan.FromDays(1)) errors.Add("Gateway:Auth:Throttle:BlockFor must be between 0 and 1 day.");
        if (t.MaxTracked < 100) errors.Add("Gateway:Auth:Throttle:MaxTracked must be at least 100.");
    }
}
