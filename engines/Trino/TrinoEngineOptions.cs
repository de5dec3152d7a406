namespace Gateway.Engines.Trino;

/// <summary>How the gateway authenticates to a Trino coordinator.</summary>
public enum TrinoAuth
{
    /// <summary>No Authorization header: a coordinator without authentication (it trusts <c>X-Trino-User</c>).</summary>
    None,
    /// <summary>HTTP Basic with <see cref="TrinoEngineOptions.User"/> and <see cref="TrinoEngineOptions.Password"/> (Trino's password authenticators; needs TLS there).</summary>
    Basic,
    /// <summary><c>Authorization: Bearer</c> with <see cref="TrinoEngineOptions.Token"/> (Trino's JWT or OAuth 2.0 authenticators).</summary>
    Bearer,
}

/// <summary>
/// A Trino (or Starburst, or Presto-compatible with <c>X-Trino-*</c> headers) coordinator and how to talk to it over the
/// client REST protocol. Immutable; validated by <see cref="Validate"/> when the engine is built.
/// </summary>
public sealed record TrinoEngineOptions
{
    public string Name { get; init; } = "trino";
    public string Host { get; init; } = "127.0.0.1";
    public int Port { get; init; } = 8080;

    /// <summary>Speak https to the coordinator (with <see cref="Tls"/>'s trust settings); also on when <see cref="Tls"/> is set.</summary>
    public bool Https { get; init; }

    public EngineTlsOptions? Tls { get; init; }

    public TrinoAuth Auth { get; init; } = TrinoAuth.None;

    /// <summary>Who the gateway authenticates as, and the <c>X-Trino-User</c> of its statements unless <see cref="ImpersonateUser"/>.</summary>
    public string User { get; init; } = "gateway";

    public string? Password { get; init; }
    public string? Token { get; init; }

    /// <summary>Send the gateway's user as <c>X-Trino-User</c> (Trino must let <see cref="User"/> impersonate: its impersonation rules).</summary>
    public bool ImpersonateUser { get; init; }

    /// <summary>The catalog unqualified names resolve in (<c>X-Trino-Catalog</c>); a session's USE may change it.</summary>
    public string? Catalog { get; init; }

    /// <summary>The schema Hive's <c>default</c> stands for, and the session's first (<c>X-Trino-Schema</c>).</summary>
    public string Schema { get; init; } = "default";

    /// <summary><c>X-Trino-Source</c>: how the coordinator's resource groups and query list name the gateway.</summary>
    public string Source { get; init; } = "sql-gateway";

    /// <summary><c>X-Trino-Client-Tags</c> of every statement (resource group selectors).</summary>
    public IReadOnlyList<string> ClientTags { get; init; } = [];

    /// <summary>Session properties every engine session starts with (<c>X-Trino-Session</c>), e.g. <c>query_max_run_time</c>.</summary>
    public IReadOnlyDictionary<string, string>? SessionProperties { get; init; }

    /// <summary><c>X-Trino-Time-Zone</c>: the zone of the session (what <c>current_timestamp</c> and zone-less casts use); null leaves the coordinator's.</summary>
    public string? TimeZone { get; init; }

    /// <summary>How long to wait for a connection and for each HTTP exchange with the coordinator.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>How long a 502/503/504 (a load balancer in front of a busy or restarting coordinator) is retried before the statement fails.</summary>
    public TimeSpan RetryFor { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The spooling protocol's encodings to ask for (<c>X-Trino-Query-Data-Encoding</c>), most preferred first, from
    /// <c>json+zstd</c>, <c>json+lz4</c>, <c>json</c>; empty (the default) keeps the direct protocol. A coordinator
    /// without spooling answers directly either way. Spooled segments are fetched from the spooling storage with their
    /// own headers, never with the engine's credentials.
    /// </summary>
    public IReadOnlyList<string> QueryDataEncodings { get; init; } = [];

    /// <summary>
    /// Read the cluster's running and queued queries (<c>system.runtime.queries</c>, every query the engine's user may
    /// see) with each health check, so the router sees the load of Trino's other clients too. A coordinator that
    /// refuses the query leaves the load to what the gateway counts itself.
    /// </summary>
    public bool ReadLoad { get; init; } = true;

    /// <summary>The largest result page (or segment) accepted, in bytes; a larger one fails the statement rather than the gateway.</summary>
    public int MaxPageBytes { get; init; } = 64 * 1024 * 1024;

    internal bool UsesTls => Https || Tls is not null;

    internal Uri BaseUri => new UriBuilder(UsesTls ? "https" : "http", Host, Port).Uri;

    public void Validate()
    {
        var who = $"Trino engine '{Name}'";
        if (string.IsNullOrWhiteSpace(Host)) throw new ArgumentException($"{who}: Host is required.");
        if (Port is < 1 or > 65535) throw new ArgumentException($"{who}: Port must be 1-65535 (was {Port}).");
        if (string.IsNullOrWhiteSpace(User)) throw new ArgumentException($"{who}: User is required (X-Trino-User).");
        if (Auth == TrinoAuth.Basic && Password is null) throw new ArgumentException($"{who}: Auth Basic needs a Password.");
        if (Auth == TrinoAuth.Bearer && string.IsNullOrEmpty(Token)) throw new ArgumentException($"{who}: Auth Bearer needs a Token.");
        if (Auth == TrinoAuth.Basic && !UsesTls) throw new ArgumentException($"{who}: Auth Basic sends a password, so it needs Https (Trino refuses it over http too).");
        if (string.IsNullOrWhiteSpace(Schema)) throw new ArgumentException($"{who}: Schema must name a schema.");
        if (Tls?.CaFile is { Length: > 0 } ca && !File.Exists(ca)) throw new ArgumentException($"{who}: TLS CA file '{ca}' does not exist.");
        if (ConnectTimeout <= TimeSpan.Zero || RequestTimeout <= TimeSpan.Zero) throw new ArgumentException($"{who}: ConnectTimeout and RequestTimeout must be positive.");
        if (RetryFor < TimeSpan.Zero) throw new ArgumentException($"{who}: RetryFor must not be negative.");
        if (MaxPageBytes < 64 * 1024) throw new ArgumentException($"{who}: MaxPageBytes must be at least 65536.");
        foreach (var (key, value) in SessionProperties ?? new Dictionary<string, string>())
        {
            if (!TrinoHeaders.IsToken(key) || value.Any(char.IsControl)) throw new ArgumentException($"{who}: session property '{key}' is not a valid name=value.");
        }
        foreach (var encoding in QueryDataEncodings)
        {
            if (encoding is not ("json" or "json+zstd" or "json+lz4")) throw new ArgumentException($"{who}: query data encoding '{encoding}' is not one of json+zstd, json+lz4, json.");
        }
        foreach (var tag in ClientTags)
        {
            if (tag.Contains(',', StringComparison.Ordinal) || tag.Any(char.IsControl)) throw new ArgumentException($"{who}: client tag '{tag}' may not contain a comma or control characters.");
        }
    }
}
