using Gateway.Engines;

namespace Gateway.Server.Configuration;

/// <summary>Who may reuse an engine's sessions (Kyuubi's share levels, applied to engine sessions).</summary>
public enum EngineShareLevel
{
    /// <summary>Engine sessions belong to one HiveServer2 session and close with it.</summary>
    Connection,

    /// <summary>Pooled per user: the user's later HiveServer2 sessions reuse them.</summary>
    User,

    /// <summary>Pooled per primary group (the first group auth names; the user name when it names none).</summary>
    Group,

    /// <summary>One pool for every user; sessions are opened as the engine's own identity.</summary>
    Server,
}

/// <summary>
/// How one engine's sessions are kept (<c>Gateway:Engines:N:Sessions</c>). Only <see cref="ShareLevel"/> Connection
/// closes them with their HiveServer2 session; the other levels return them to a pool keyed by level and principal.
/// </summary>
public sealed record EngineSessionPoolOptions
{
    public EngineShareLevel ShareLevel { get; init; } = EngineShareLevel.Connection;

    /// <summary>A pooled session idle this long is closed (by the periodic sweep, or when found at reuse).</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Idle sessions kept per pool key; returning one more closes the longest idle.</summary>
    public int MaxIdle { get; init; } = 8;

    /// <summary>A pooled session idle at least this long is validated before reuse (zero: always).</summary>
    public TimeSpan ValidateAfterIdle { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Bounds one validation, and the reset of a returned session's database.</summary>
    public TimeSpan ValidationTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>A session older than this is not reused (closed when returned or found idle); null: no limit.</summary>
    public TimeSpan? MaxLifetime { get; init; }
}

public static class EngineSessionPoolOptionsValidator
{
    /// <summary>Adds a message per problem of <paramref name="engine"/>'s Sessions section (configuration key <paramref name="key"/>).</summary>
    public static void Validate(EngineOptions engine, string key, List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(errors);
        var s = engine.Sessions;
        if (s is null)
        {
            errors.Add($"{key}:Sessions is empty; remove it or set ShareLevel (Connection, User, Group or Server).");
            return;
        }
        if (!Enum.IsDefined(s.ShareLevel)) errors.Add($"{key}:Sessions:ShareLevel must be Connection, User, Group or Server (was {(int)s.ShareLevel}).");
        if (s.IdleTimeout <= TimeSpan.Zero) errors.Add($"{key}:Sessions:IdleTimeout must be positive (was {s.IdleTimeout}).");
        if (s.MaxIdle < 0) errors.Add($"{key}:Sessions:MaxIdle must not be negative (was {s.MaxIdle}).");
        if (s.ValidateAfterIdle < TimeSpan.Zero) errors.Add($"{key}:Sessions:ValidateAfterIdle must not be negative (was {s.ValidateAfterIdle}).");
        if (s.ValidationTimeout <= TimeSpan.Zero) errors.Add($"{key}:Sessions:ValidationTimeout must be positive (was {s.ValidationTimeout}).");
        if (s.MaxLifetime is { } lifetime && lifetime <= TimeSpan.Zero) errors.Add($"{key}:Sessions:MaxLifetime must be positive when set (was {lifetime}).");
        if (s.ShareLevel == EngineShareLevel.Server && engine.Kind == EngineKind.HiveServer2 && engine.HiveServer2?.ImpersonateUser == true)
        {
            errors.Add($"{key}:Sessions:ShareLevel Server shares each engine session among all users, but HiveServer2:ImpersonateUser runs a session as one user: use ShareLevel User or Group, or turn ImpersonateUser off.");
        }
    }
}
