namespace Gateway.Server.Configuration;

/// <summary><c>Gateway:AccessControl</c>: where the access policy is and how often it is re-read.</summary>
public sealed record AccessControlOptions
{
    /// <summary>
    /// The policy file (Trino's file-based access-control rules, docs/security.md); relative paths are from the working
    /// directory. Unset: no policy, every authenticated user may do everything, as before policies existed.
    /// </summary>
    public string? ConfigFile { get; init; }

    /// <summary>How often the file is checked for changes; a changed file applies without a restart when valid.</summary>
    public TimeSpan RefreshPeriod { get; init; } = TimeSpan.FromSeconds(2);
}
