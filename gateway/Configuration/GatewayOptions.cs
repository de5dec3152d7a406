using System.Net;

namespace Gateway.Server.Configuration;

/// <summary>The whole gateway configuration (section "Gateway"); an immutable snapshot, validated at start.</summary>
public sealed record GatewayOptions
{
    public const string SectionName = "Gateway";

    public BinaryListenerOptions Binary { get; init; } = new();
    public HttpListenerOptions Http { get; init; } = new();
    public TlsOptions Tls { get; init; } = new();
    public AuthOptions Auth { get; init; } = new();
    public LimitOptions Limits { get; init; } = new();
    public DuckDbOptions DuckDb { get; init; } = new();
    public ServerInfoOptions ServerInfo { get; init; } = new();
    public ResultOptions Results { get; init; } = new();

    /// <summary>Engines besides (or tuning) the embedded DuckDB, which is always there as <c>duckdb</c>.</summary>
    public IReadOnlyList<EngineOptions> Engines { get; init; } = [];

    /// <summary>Where statements run when nothing routes them elsewhere.</summary>
    public string DefaultEngine { get; init; } = "duckdb";

    /// <summary>Catalogs that name tables and supply their statistics; the embedded one (<c>embedded</c>) is always there.</summary>
    public IReadOnlyList<CatalogOptions> Catalogs { get; init; } = [];

    /// <summary>How statements are routed among the engines (docs/routing.md); reloaded without restart.</summary>
    public Gateway.Router.Routing.RoutingOptions Routing { get; init; } = new();

    /// <summary>Folder for the embedded database, the password file default and other local state.</summary>
    public string DataFolder { get; init; } = "data";
}

public sealed record BinaryListenerOptions
{
    public bool Enabled { get; init; } = true;
    public string Host { get; init; } = "127.0.0.1";
    public int Port { get; init; } = 10000;

    /// <summary>TLS on this listener; unset means on exactly when <see cref="TlsOptions.CertificatePath"/> is configured.</summary>
    public bool? Tls { get; init; }

    /// <summary>
    /// From connect to an authenticated connection: the first byte, the TLS handshake's aftermath and the whole SASL
    /// exchange (or, without SASL, the first message). A client that has not finished by then is disconnected.
    /// </summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Once a message has begun to arrive, the rest must arrive within this long (a slow sender holds no connection).</summary>
    public TimeSpan MessageTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// A connection with no call for this long is closed, and the sessions it opened with it (time the gateway spends
    /// answering a call does not count).
    /// </summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromHours(1);
}

/// <summary>HiveServer2 over HTTP: one Thrift message per POST to <see cref="Path"/>.</summary>
public sealed record HttpListenerOptions
{
    public bool Enabled { get; init; } = true;
    public string Host { get; init; } = "127.0.0.1";
    public int Port { get; init; } = 10001;
    public string Path { get; init; } = "/cliservice";

    /// <summary>TLS on this listener; unset means on exactly when <see cref="TlsOptions.CertificatePath"/> is configured.</summary>
    public bool? Tls { get; init; }

    /// <summary>Kestrel's RequestHeadersTimeout: a request's headers must all arrive within this long.</summary>
    public TimeSpan RequestHeadersTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Kestrel's KeepAliveTimeout: an idle keep-alive connection is closed after this long (sessions stay: they are not tied to HTTP connections).</summary>
    public TimeSpan KeepAliveTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Kestrel's MinRequestBodyDataRate in bytes per second (after a 5 s grace): a slower upload is cut off.</summary>
    public double MinRequestBodyBytesPerSecond { get; init; } = 240;
}

/// <summary>The server certificate shared by the listeners that use TLS.</summary>
public sealed record TlsOptions
{
    /// <summary>A PEM certificate (optionally followed by its chain) or a PKCS#12/PFX file.</summary>
    public string? CertificatePath { get; init; }

    /// <summary>The PEM private key when <see cref="CertificatePath"/> is PEM (omit when the key is in the same file).</summary>
    public string? KeyPath { get; init; }

    /// <summary>The PFX password, or the password of an encrypted PEM key.</summary>
    public string? Password { get; init; }

    public bool IsConfigured => !string.IsNullOrWhiteSpace(CertificatePath);

    public bool Enabled(bool? listenerTls) => listenerTls ?? IsConfigured;
}

public enum AuthMode
{
    /// <summary>Any user name is accepted and recorded; passwords are ignored.</summary>
    None,
    /// <summary>Users and salted PBKDF2 password hashes from a file (see <c>gateway user add</c>).</summary>
    PasswordFile,
    /// <summary>An LDAP directory (<c>Auth:Ldap</c>): simple bind, or search then bind.</summary>
    Ldap,
    /// <summary>Each provider of <c>Auth:Chain</c> in turn (e.g. Ldap then PasswordFile); the first that accepts the password wins.</summary>
    Chain,
}

public sealed record AuthOptions
{
    public AuthMode Mode { get; init; } = AuthMode.None;

    /// <summary>Password file for <see cref="AuthMode.PasswordFile"/>; relative paths resolve against the data folder.</summary>
    public string PasswordFile { get; init; } = "users.txt";

    /// <summary>Allows <see cref="AuthMode.None"/> on a non-loopback address. Off by default: an open gateway on a network is a mistake.</summary>
    public bool AllowUnauthenticatedNetworkAccess { get; init; }

    /// <summary>Static bearer tokens for HTTP (<c>Authorization: Bearer</c>, or Basic with user <c>token</c>).</summary>
    public IReadOnlyList<StaticTokenOptions> Tokens { get; init; } = [];

    /// <summary>JWT bearer tokens for HTTP, validated against configured keys.</summary>
    public JwtOptions Jwt { get; init; } = new();

    /// <summary>The signed cookie that spares HTTP clients a credential check on every request.</summary>
    public AuthCookieOptions Cookie { get; init; } = new();

    /// <summary>The directory for <see cref="AuthMode.Ldap"/> (and a chain that names it).</summary>
    public LdapOptions Ldap { get; init; } = new();

    /// <summary>For <see cref="AuthMode.Chain"/>: the providers in order, each <c>Ldap</c> or <c>PasswordFile</c>.</summary>
    public IReadOnlyList<AuthMode> Chain { get; init; } = [];

    /// <summary>Whether logins go through <paramref name="mode"/> (itself, or as a link of the chain).</summary>
    public bool Uses(AuthMode mode) => Mode == mode || (Mode == AuthMode.Chain && Chain.Contains(mode));

    /// <summary>Failed logins counted per user and per client address, and refused for a while past a limit.</summary>
    public LoginThrottleOptions Throttle { get; init; } = new();

    /// <summary>Most groups one caller may carry, from any source; a caller with more is refused.</summary>
    public int MaxGroups { get; init; } = Auth.GroupLimits.DefaultMaxCount;

    /// <summary>Longest group name accepted, in characters; a caller with a longer one is refused.</summary>
    public int MaxGroupLength { get; init; } = Auth.GroupLimits.DefaultMaxLength;

    public Auth.GroupLimits GroupLimits => new(MaxGroups, MaxGroupLength);

    public bool BearerConfigured => Tokens.Count > 0 || Jwt.Enabled;
}

public sealed record StaticTokenOptions
{
    public string? User { get; init; }

    /// <summary>The token itself (at least 16 characters).</summary>
    public string? Token { get; init; }

    /// <summary>Instead of <see cref="Token"/>: the hex SHA-256 of the token, so the config holds no secret.</summary>
    public string? TokenSha256 { get; init; }

    /// <summary>The groups of the token's user, primary first.</summary>
    public IReadOnlyList<string> Groups { get; init; } = [];
}

public sealed record JwtOptions
{
    /// <summary>Shared secret for HS256/384/512: UTF-8 text, or <c>base64:</c> followed by base64 (at least 32 bytes).</summary>
    public string? HmacSecret { get; init; }

    /// <summary>PEM file with an RSA or EC public key (or a certificate): RS256/384/512, PS256/384/512, ES256/384/512.</summary>
    public string? PublicKeyPath { get; init; }

    /// <summary>A JSON Web Key Set file; a token's <c>kid</c> picks the key. Re-read when it changes.</summary>
    public string? JwksPath { get; init; }

    /// <summary>
    /// An https URL serving a JSON Web Key Set (an identity provider's <c>jwks_uri</c>); fetched when first needed, again
    /// after <see cref="JwksRefreshInterval"/>, and early when a token names an unknown <c>kid</c>.
    /// </summary>
    public string? JwksUrl { get; init; }

    /// <summary>A PEM file of the CA (or certificate) to trust for <see cref="JwksUrl"/> instead of the system's store.</summary>
    public string? JwksCaCertificatePath { get; init; }

    /// <summary>How long keys fetched from <see cref="JwksUrl"/> are used before they are fetched again (at least 5 minutes).</summary>
    public TimeSpan JwksRefreshInterval { get; init; } = TimeSpan.FromHours(1);

    /// <summary>The shortest time between two fetches that tokens with an unknown <c>kid</c> may cause (at least 1 second).</summary>
    public TimeSpan JwksMinRefreshInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Required value of the <c>iss</c> claim.</summary>
    public string? Issuer { get; init; }

    /// <summary>Value the <c>aud</c> claim (a string or an array) must contain.</summary>
    public string? Audience { get; init; }

    /// <summary>Accepted <c>alg</c> values; empty means every algorithm the configured keys support.</summary>
    public IReadOnlyList<string> Algorithms { get; init; } = [];

    /// <summary>The claim that names the user.</summary>
    public string UserClaim { get; init; } = "sub";

    /// <summary>
    /// The claim that lists the user's groups: a JSON array of strings, or one string of names separated by spaces or
    /// commas. A dotted name (<c>realm_access.roles</c>) reaches into objects when no claim has that exact name. Empty:
    /// tokens name no groups.
    /// </summary>
    public string? GroupsClaim { get; init; } = "groups";

    /// <summary>Keep only the groups that start with this prefix (ordinal); none: keep all.</summary>
    public string? GroupsPrefix { get; init; }

    /// <summary>Remove <see cref="GroupsPrefix"/> from the groups kept.</summary>
    public bool StripGroupsPrefix { get; init; }

    /// <summary>Tolerance for <c>exp</c> and <c>nbf</c> against this gateway's clock.</summary>
    public TimeSpan ClockSkew { get; init; } = TimeSpan.FromMinutes(1);

    public bool Enabled => HmacSecret is not null || PublicKeyPath is not null || JwksPath is not null || JwksUrl is not null;
}

public sealed record AuthCookieOptions
{
    public bool Enabled { get; init; } = true;

    /// <summary>How long a cookie is accepted (never beyond the expiry of the JWT it was issued for).</summary>
    public TimeSpan Lifetime { get; init; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Base64 HMAC key (at least 32 bytes) so several gateways accept each other's cookies; unset means
    /// a random key per process (cookies then end with a restart).
    /// </summary>
    public string? Key { get; init; }
}

public sealed record LimitOptions
{
    /// <summary>The Thrift decoder limits these settings imply (one message may not exceed MaxMessageBytes).</summary>
    public Gateway.Protocol.Thrift.ThriftLimits ToThriftLimits() => Gateway.Protocol.Thrift.ThriftLimits.Default with
    {
        MaxMessageSize = MaxMessageBytes,
        MaxStringLength = Math.Min(Gateway.Protocol.Thrift.ThriftLimits.Default.MaxStringLength, MaxMessageBytes),
    };

    /// <summary>Largest Thrift message or SASL frame accepted from a client.</summary>
    public int MaxMessageBytes { get; init; } = 16 * 1024 * 1024;
    public int MaxConnections { get; init; } = 10_000;

    /// <summary>
    /// Connections one client address may hold open on each listener (a tenth of MaxConnections by default), so one
    /// address cannot fill the port; beyond, a clear refusal (SASL error, HTTP 503 with Retry-After). 0: no cap.
    /// Clients behind one proxy or NAT share their address.
    /// </summary>
    public int MaxConnectionsPerAddress { get; init; } = 1_000;

    /// <summary>Sessions one client address may hold open (both transports); 0: no cap.</summary>
    public int MaxSessionsPerAddress { get; init; } = 1_000;
    public int MaxSessions { get; init; } = 10_000;
    public int MaxSessionsPerUser { get; init; } = 500;
    public int MaxOperationsPerSession { get; init; } = 200;

    /// <summary>
    /// Refusals (failed logins, bad requests, protocol errors, timeouts) are logged once per cause per interval, the
    /// rest counted in one line when it ends (event 399). Zero logs every refusal.
    /// </summary>
    public TimeSpan RefusalLogInterval { get; init; } = TimeSpan.FromMinutes(1);
    /// <summary>Settings one session may hold (OpenSession configuration, SET, SetClientInfo; confs and variables together).</summary>
    public int MaxSessionSettings { get; init; } = 1000;

    /// <summary>Characters of keys and values one session's settings may hold in all.</summary>
    public long MaxSessionSettingsChars { get; init; } = 1 << 20;

    /// <summary>The longest queryTimeout honoured; a larger one is cut to this (timers cannot hold more than ~49 days).</summary>
    public TimeSpan MaxQueryTimeout { get; init; } = TimeSpan.FromDays(7);

    /// <summary>Rows per FetchResults at most, whatever the client asks.</summary>
    public int MaxRowsPerFetch { get; init; } = 100_000;
    public TimeSpan SessionIdleTimeout { get; init; } = TimeSpan.FromHours(1);

    /// <summary>
    /// An HTTP session (which no connection ends: clients that go away leave it behind) with no call and no running
    /// operation for this long is closed; at most SessionIdleTimeout.
    /// </summary>
    public TimeSpan HttpSessionIdleTimeout { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>An operation nobody has touched for this long is closed (its session stays).</summary>
    public TimeSpan OperationIdleTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// A result that still holds its engine (rows streaming) and that no fetch has touched for this long gives the engine
    /// back: its rest is spooled (<see cref="Spool"/>), or past the spool's budgets the statement is canceled. Zero never.
    /// </summary>
    public TimeSpan UnreadResultTimeout { get; init; } = TimeSpan.FromMinutes(1);

    public SpoolOptions Spool { get; init; } = new();

    /// <summary>How often idle sessions, abandoned operations, unread results and idle engine sessions are looked for.</summary>
    public TimeSpan SweepInterval { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>
    /// GetOperationStatus on a running statement waits up to this long for it to finish (HiveServer2's
    /// long polling), so polling clients learn of completion at once instead of on their next poll.
    /// </summary>
    public TimeSpan StatusLongPoll { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Bytes of large result buffers (batch columns, encodings, replies of 64 KiB and more) kept for reuse while
    /// unused, for the whole process (<see cref="Gateway.Protocol.Columnar.BufferPool"/>); 0 keeps none.
    /// </summary>
    public long BufferPoolBytes { get; init; } = Gateway.Protocol.Columnar.BufferPool.DefaultRetainedBytesLimit;
}

/// <summary>Where unread results go when they give their engine back (Limits:UnreadResultTimeout), and how much of it.</summary>
public sealed record SpoolOptions
{
    /// <summary>The spool folder; unset is <c>spool</c> in the data folder. SQL cannot reach it; files are owner-only.</summary>
    public string? Folder { get; init; }

    /// <summary>One result's spool at most; a larger rest is canceled instead (57014 on the next fetch).</summary>
    public long MaxBytesPerResult { get; init; } = 1L << 30;

    /// <summary>Every spooled result together at most.</summary>
    public long MaxBytes { get; init; } = 4L << 30;
}

public sealed record DuckDbOptions
{
    /// <summary>Database file name inside the data folder, or ":memory:".</summary>
    public string File { get; init; } = "gateway.duckdb";
    public int? Threads { get; init; }
    public string? MemoryLimit { get; init; }
    /// <summary>Create the demo schema on first start.</summary>
    public bool DemoData { get; init; } = true;

    /// <summary>
    /// What SQL may reach outside the database: on by default, with the data folder's <c>files</c> folder and
    /// <c>AllowedDirectories</c> (relative to the data folder) open; <c>Enabled: false</c> opens every file the process can.
    /// </summary>
    public Gateway.Engines.DuckDb.DuckDbSandboxOptions Sandbox { get; init; } = new();

    /// <summary>Further DuckDB settings (name → value) applied when the database opens; the sandbox's own are refused while it is on.</summary>
    public IReadOnlyDictionary<string, string>? Settings { get; init; }
}

/// <summary>What GetInfo reports. BI drivers check these (the Simba Spark ODBC driver wants DBMS_VER ≥ 2.1.0).</summary>
public sealed record ServerInfoOptions
{
    public string ServerName { get; init; } = "Spark SQL";
    public string DbmsName { get; init; } = "Spark SQL";
    public string DbmsVersion { get; init; } = "3.5.0";
}

/// <summary>Result formats offered to clients that ask for them (Spark/Databricks extensions).</summary>
public sealed record ResultOptions
{
    /// <summary>Send Arrow record batches to clients that set canReadArrowResult (else Thrift columns).</summary>
    public bool Arrow { get; init; } = true;

    /// <summary>LZ4-frame-compress Arrow batches for clients that set canDecompressLZ4Result.</summary>
    public bool Lz4 { get; init; } = true;
}

public static class GatewayOptionsValidator
{
    /// <summary>JWS algorithms the gateway verifies. "none" is never among them.</summary>
    public static readonly IReadOnlySet<string> JwtAlgorithms = new HashSet<string>(StringComparer.Ordinal)
    {
        "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512",
    };

    public const int MinStaticTokenLength = 16;
    public const int MinHmacKeyBytes = 32;

    private static void ValidateEngines(List<string> errors, GatewayOptions o)
    {
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "duckdb" };
        for (var i = 0; i < o.Engines.Count; i++)
        {
            var e = o.Engines[i];
            var key = $"Gateway:Engines:{i}";
            if (string.IsNullOrWhiteSpace(e.Name) || !e.Name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
            {
                errors.Add($"{key}:Name must be letters, digits, '_' or '-' (was '{e.Name}').");
            }
            else if (!e.Name.Equals("duckdb", StringComparison.OrdinalIgnoreCase) && !names.Add(e.Name))
            {
                errors.Add($"{key}:Name '{e.Name}' is used by another engine.");
            }
            if (e.Name.Equals("duckdb", StringComparison.OrdinalIgnoreCase) && e.Kind != Gateway.Engines.EngineKind.DuckDb)
            {
                errors.Add($"{key}: 'duckdb' is the embedded engine; its Kind must be DuckDb.");
            }
            if (e.Capacity is null) errors.Add($"{key}:Capacity is empty; remove it or set its keys.");
            else EngineCapacityOptionsValidator.Validate(e.Capacity, key, errors);
            if (e.Routing is { } profile)
            {
                var prefix = $"Engines '{e.Name}' Routing";
                foreach (var problem in Gateway.Router.Routing.RoutingOptionsValidator.ValidateProfile(e.Name, profile))
                {
                    errors.Add($"{key}:Routing{(problem.StartsWith(prefix, StringComparison.Ordinal) ? problem[prefix.Length..] : ": " + problem)}");
                }
                if (profile.Visibility is not null) errors.Add($"{key}:Routing:Visibility is set by {key}:Catalogs; remove it.");
            }
            EngineSessionPoolOptionsValidator.Validate(e, key, errors);
            if (e.Health.Interval <= TimeSpan.Zero) errors.Add($"{key}:Health:Interval must be positive.");
            if (e.Health.Timeout <= TimeSpan.Zero) errors.Add($"{key}:Health:Timeout must be positive.");
            if (e.Health.UnhealthyAfter < 1) errors.Add($"{key}:Health:UnhealthyAfter must be at least 1.");
            if (e.Health.HealthyAfter < 1) errors.Add($"{key}:Health:HealthyAfter must be at least 1.");
            if (e.Kind == Gateway.Engines.EngineKind.Postgres)
            {
                if (e.Postgres is null) errors.Add($"{key}:Postgres is required for a Postgres engine (ConnectionString, or Host, Database, User, Password).");
                else
                {
                    try { (e.Postgres with { Name = string.IsNullOrWhiteSpace(e.Name) ? "postgres" : e.Name }).Validate(); }
                    catch (ArgumentException ex) { errors.Add($"{key}:Postgres: {ex.Message}"); }
                }
            }
            if (e.Kind == Gateway.Engines.EngineKind.HiveServer2)
            {
                if (e.HiveServer2 is null) errors.Add($"{key}:HiveServer2 is required for a HiveServer2 engine (Host, Port, Transport, Auth, User...).");
                else
                {
                    try { (e.HiveServer2 with { Name = string.IsNullOrWhiteSpace(e.Name) ? "hiveserver2" : e.Name }).Validate(); }
                    catch (ArgumentException ex) { errors.Add($"{key}:HiveServer2: {ex.Message}"); }
                }
            }
        }
        if (!names.Contains(o.DefaultEngine))
        {
            errors.Add($"Gateway:DefaultEngine '{o.DefaultEngine}' is not an engine (configured: {string.Join(", ", names.Order(StringComparer.Ordinal))}).");
        }
    }

    /// <summary>The catalog names configured, the embedded one included.</summary>
    public static IReadOnlyList<string> CatalogNames(GatewayOptions o)
    {
        var names = new List<string> { CatalogOptions.EmbeddedName };
        foreach (var c in o.Catalogs)
        {
            if (!names.Contains(c.Name, StringComparer.OrdinalIgnoreCase)) names.Add(c.Name);
        }
        return names;
    }

    private static void ValidateCatalogs(List<string> errors, GatewayOptions o)
    {
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < o.Catalogs.Count; i++)
        {
            var c = o.Catalogs[i];
            var key = $"Gateway:Catalogs:{i}";
            if (string.IsNullOrWhiteSpace(c.Name) || !c.Name.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '_' or '-'))
            {
                errors.Add($"{key}:Name must be letters, digits, '_' or '-' (was '{c.Name}').");
                continue;
            }
            if (!seen.Add(c.Name)) errors.Add($"{key}:Name '{c.Name}' is used by another catalog.");
            if (c.Name.Equals(CatalogOptions.EmbeddedName, StringComparison.OrdinalIgnoreCase) && c.Kind != CatalogKind.Embedded)
            {
                errors.Add($"{key}: '{CatalogOptions.EmbeddedName}' is the embedded DuckDB's catalog; its Kind must be Embedded.");
            }
            if (c.Kind == CatalogKind.Embedded && !c.Name.Equals(CatalogOptions.EmbeddedName, StringComparison.OrdinalIgnoreCase))
            {
                errors.Add($"{key}: the only Embedded catalog is '{CatalogOptions.EmbeddedName}'.");
            }
            if (c.Kind is CatalogKind.Postgres or CatalogKind.HiveMetastore)
            {
                var hasConnection = !string.IsNullOrWhiteSpace(c.ConnectionString);
                var hasEngine = !string.IsNullOrWhiteSpace(c.Engine);
                if (hasConnection == hasEngine)
                {
                    errors.Add($"{key}: set exactly one of ConnectionString (the {(c.Kind == CatalogKind.Postgres ? "PostgreSQL database" : "metastore's PostgreSQL database")}) or Engine (a Postgres engine whose connection to use).");
                }
                else if (hasEngine && o.Engines.FirstOrDefault(e => e.Name.Equals(c.Engine, StringComparison.OrdinalIgnoreCase)) is not { Kind: Gateway.Engines.EngineKind.Postgres })
                {
                    errors.Add($"{key}:Engine '{c.Engine}' is not a configured Postgres engine.");
                }
            }
            if (c.CacheTtl < TimeSpan.Zero) errors.Add($"{key}:CacheTtl must not be negative.");
        }
        var catalogs = CatalogNames(o);
        for (var i = 0; i < o.Engines.Count; i++)
        {
            var entries = o.Engines[i].Catalogs ?? [];
            for (var j = 0; j < entries.Count; j++)
            {
                var catalog = entries[j]?.Split('.')[0] ?? "";
                if (catalog.Length == 0 || (!catalog.Contains('*', StringComparison.Ordinal) && !catalog.Contains('?', StringComparison.Ordinal) && !catalogs.Contains(catalog, StringComparer.OrdinalIgnoreCase)))
                {
                    errors.Add($"Gateway:Engines:{i}:Catalogs:{j} '{entries[j]}' is not a configured catalog ({string.Join(", ", catalogs)}).");
                }
            }
        }
    }

    private static void ValidateRouting(List<string> errors, GatewayOptions o)
    {
        var engines = new List<string> { "duckdb" };
        engines.AddRange(o.Engines.Select(e => e.Name).Where(n => !string.IsNullOrWhiteSpace(n)));
        var groups = o.Engines.SelectMany(e => e.Routing?.Groups ?? []).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        foreach (var problem in Gateway.Router.Routing.RoutingOptionsValidator.Validate(o.Routing ?? new(), engines, groups)) errors.Add($"Gateway:Routing: {problem}");
    }

    /// <param name="configFiles">The configuration files the options were read from: SQL must not reach them.</param>
    public static IReadOnlyList<string> Validate(GatewayOptions o, IEnumerable<string>? configFiles = null)
    {
        var errors = new List<string>();
        if (o.Binary.Enabled) ValidateListener(errors, "Binary", o.Binary.Host, o.Binary.Port, o.Binary.Tls, o);
        if (o.Http.Enabled)
        {
            ValidateListener(errors, "Http", o.Http.Host, o.Http.Port, o.Http.Tls, o);
            if (string.IsNullOrWhiteSpace(o.Http.Path) || !o.Http.Path.StartsWith('/') || o.Http.Path.IndexOfAny(['?', '#', ' ']) >= 0)
            {
                errors.Add($"Gateway:Http:Path must start with '/' and hold no '?', '#' or spaces (was '{o.Http.Path}').");
            }
        }
        foreach (var (key, value) in new[]
        {
            ("Binary:HandshakeTimeout", o.Binary.HandshakeTimeout), ("Binary:MessageTimeout", o.Binary.MessageTimeout), ("Binary:IdleTimeout", o.Binary.IdleTimeout),
            ("Http:RequestHeadersTimeout", o.Http.RequestHeadersTimeout), ("Http:KeepAliveTimeout", o.Http.KeepAliveTimeout),
        })
        {
            if (value <= TimeSpan.Zero || value > TimeSpan.FromDays(7)) errors.Add($"Gateway:{key} must be between 0 and 7 days (was {value}).");
        }
        if (o.Http.MinRequestBodyBytesPerSecond < 0) errors.Add("Gateway:Http:MinRequestBodyBytesPerSecond must be 0 (off) or more.");
        if (o.Binary.Enabled && o.Http.Enabled && o.Binary.Port == o.Http.Port && o.Binary.Port != 0)
        {
            errors.Add($"Gateway:Binary:Port and Gateway:Http:Port are both {o.Binary.Port}: the listeners need different ports.");
        }
        if (!o.Tls.IsConfigured && (o.Tls.KeyPath is not null || o.Tls.Password is not null))
        {
            errors.Add("Gateway:Tls:KeyPath and Gateway:Tls:Password need Gateway:Tls:CertificatePath.");
        }
        ValidateAuth(errors, o.Auth);
        ValidateEngines(errors, o);
        ValidateCatalogs(errors, o);
        ValidateRouting(errors, o);
        DuckDbSandboxConfiguration.Validate(o, configFiles ?? [], errors);
        var l = o.Limits;
        if (l.MaxMessageBytes < 1024) errors.Add("Gateway:Limits:MaxMessageBytes must be at least 1024.");
        if (l.MaxConnections < 1) errors.Add("Gateway:Limits:MaxConnections must be positive.");
        if (l.MaxSessions < 1) errors.Add("Gateway:Limits:MaxSessions must be positive.");
        if (l.MaxSessionsPerUser < 1) errors.Add("Gateway:Limits:MaxSessionsPerUser must be positive.");
        if (l.MaxOperationsPerSession < 1) errors.Add("Gateway:Limits:MaxOperationsPerSession must be positive.");
        if (l.MaxRowsPerFetch < 1) errors.Add("Gateway:Limits:MaxRowsPerFetch must be positive.");
        if (l.MaxQueryTimeout < TimeSpan.FromSeconds(1) || l.MaxQueryTimeout > TimeSpan.FromDays(30)) errors.Add("Gateway:Limits:MaxQueryTimeout must be between 1 s and 30 days.");
        if (l.MaxSessionSettings < 1) errors.Add("Gateway:Limits:MaxSessionSettings must be positive.");
        if (l.RefusalLogInterval < TimeSpan.Zero || l.RefusalLogInterval > TimeSpan.FromHours(1)) errors.Add("Gateway:Limits:RefusalLogInterval must be between 0 (log every refusal) and 1 hour.");
        if (l.MaxSessionSettingsChars < 1) errors.Add("Gateway:Limits:MaxSessionSettingsChars must be positive.");
        if (l.SessionIdleTimeout <= TimeSpan.Zero) errors.Add("Gateway:Limits:SessionIdleTimeout must be positive.");
        if (l.OperationIdleTimeout <= TimeSpan.Zero) errors.Add("Gateway:Limits:OperationIdleTimeout must be positive.");
        if (l.MaxConnectionsPerAddress < 0) errors.Add("Gateway:Limits:MaxConnectionsPerAddress must not be negative (0: no cap).");
        if (l.MaxSessionsPerAddress < 0) errors.Add("Gateway:Limits:MaxSessionsPerAddress must not be negative (0: no cap).");
        if (l.HttpSessionIdleTimeout <= TimeSpan.Zero) errors.Add("Gateway:Limits:HttpSessionIdleTimeout must be positive.");
        if (l.UnreadResultTimeout < TimeSpan.Zero) errors.Add("Gateway:Limits:UnreadResultTimeout must not be negative (0: results are never reclaimed).");
        if (l.Spool is null) errors.Add("Gateway:Limits:Spool is empty; remove it or set its keys.");
        else if (l.Spool.MaxBytesPerResult < 1 << 20 || l.Spool.MaxBytes < l.Spool.MaxBytesPerResult)
        {
            errors.Add("Gateway:Limits:Spool:MaxBytesPerResult must be at least 1 MiB and MaxBytes at least MaxBytesPerResult.");
        }
        if (l.SweepInterval <= TimeSpan.Zero) errors.Add("Gateway:Limits:SweepInterval must be positive.");
        if (l.BufferPoolBytes < 0) errors.Add("Gateway:Limits:BufferPoolBytes must be 0 or more.");
        if (l.StatusLongPoll < TimeSpan.Zero || l.StatusLongPoll > TimeSpan.FromMinutes(1)) errors.Add("Gateway:Limits:StatusLongPoll must be between 0 and 1 minute.");
        if (string.IsNullOrWhiteSpace(o.DataFolder)) errors.Add("Gateway:DataFolder must be set.");
        if (string.IsNullOrWhiteSpace(o.DuckDb.File)) errors.Add("Gateway:DuckDb:File must be set.");
        if (o.DuckDb.Threads is < 1) errors.Add("Gateway:DuckDb:Threads must be positive.");
        return errors;
    }

    private static void ValidateListener(List<string> errors, string name, string host, int port, bool? tls, GatewayOptions o)
    {
        if (port is < 0 or > 65535) errors.Add($"Gateway:{name}:Port must be 0..65535 (was {port}).");
        if (!IPAddress.TryParse(host, out _) && host is not ("localhost" or "*" or "0.0.0.0"))
        {
            errors.Add($"Gateway:{name}:Host must be an IP address, 'localhost' or '*' (was '{host}').");
        }
        if (o.Auth.Mode == AuthMode.None && !IsLoopback(host) && !o.Auth.AllowUnauthenticatedNetworkAccess)
        {
            errors.Add($"Gateway:Auth:Mode is None but Gateway:{name}:Host '{host}' is not loopback: choose an auth mode or set Gateway:Auth:AllowUnauthenticatedNetworkAccess=true.");
        }
        if (tls == true && !o.Tls.IsConfigured)
        {
            errors.Add($"Gateway:{name}:Tls is true but no certificate is configured: set Gateway:Tls:CertificatePath.");
        }
    }

    private static void ValidateAuth(List<string> errors, AuthOptions a)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < a.Tokens.Count; i++)
        {
            var t = a.Tokens[i];
            var key = $"Gateway:Auth:Tokens:{i}";
            if (t is null)
            {
                errors.Add($"{key} is empty.");
                continue;
            }
            if (string.IsNullOrWhiteSpace(t.User) || t.User.Any(char.IsControl)) errors.Add($"{key}:User must name the user the token stands for.");
            if ((t.Token is null) == (t.TokenSha256 is null))
            {
                errors.Add($"{key} needs exactly one of Token or TokenSha256.");
            }
            else if (t.Token is not null && t.Token.Length < MinStaticTokenLength)
            {
                errors.Add($"{key}:Token must be at least {MinStaticTokenLength} characters (use a random value, e.g. 'openssl rand -hex 32').");
            }
            else if (t.TokenSha256 is not null && (t.TokenSha256.Length != 64 || !t.TokenSha256.All(char.IsAsciiHexDigit)))
            {
                errors.Add($"{key}:TokenSha256 must be 64 hex digits (the SHA-256 of the token, e.g. from 'printf %s TOKEN | sha256sum').");
            }
            if (!a.GroupLimits.TryNormalize(t.Groups ?? [], out _, out var groupError)) errors.Add($"{key}:Groups: {groupError}.");
            var digest = t.Token is not null ? Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(t.Token))) : t.TokenSha256?.ToLowerInvariant();
            if (digest is not null && !seen.Add(digest)) errors.Add($"{key} repeats a token configured before it.");
        }

        var jwt = a.Jwt;
        if (jwt.Enabled)
        {
            if (string.IsNullOrWhiteSpace(jwt.Issuer)) errors.Add("Gateway:Auth:Jwt:Issuer must be set: tokens are accepted only from the configured issuer.");
            if (string.IsNullOrWhiteSpace(jwt.Audience)) errors.Add("Gateway:Auth:Jwt:Audience must be set: tokens are accepted only when issued for this gateway.");
            if (string.IsNullOrWhiteSpace(jwt.UserClaim)) errors.Add("Gateway:Auth:Jwt:UserClaim must name a claim (default 'sub').");
            if (jwt.StripGroupsPrefix && string.IsNullOrEmpty(jwt.GroupsPrefix)) errors.Add("Gateway:Auth:Jwt:StripGroupsPrefix needs Gateway:Auth:Jwt:GroupsPrefix.");
            if (jwt.JwksUrl is not null && jwt.JwksRefreshInterval < TimeSpan.FromMinutes(5)) errors.Add("Gateway:Auth:Jwt:JwksRefreshInterval must be at least 5 minutes.");
            if (jwt.JwksUrl is not null && (jwt.JwksMinRefreshInterval < TimeSpan.FromSeconds(1) || jwt.JwksMinRefreshInterval > jwt.JwksRefreshInterval))
            {
                errors.Add("Gateway:Auth:Jwt:JwksMinRefreshInterval must be at least 1 second and at most JwksRefreshInterval.");
            }
            if (jwt.ClockSkew < TimeSpan.Zero || jwt.ClockSkew > TimeSpan.FromMinutes(10)) errors.Add("Gateway:Auth:Jwt:ClockSkew must be between 0 and 10 minutes.");
            if (jwt.HmacSecret is not null && DecodeSecret(jwt.HmacSecret) is not { Length: >= MinHmacKeyBytes })
            {
                errors.Add($"Gateway:Auth:Jwt:HmacSecret must be at least {MinHmacKeyBytes} bytes (text, or 'base64:' and valid base64).");
            }
            foreach (var alg in jwt.Algorithms)
            {
                if (!JwtAlgorithms.Contains(alg))
                {
                    errors.Add(string.Equals(alg, "none", StringComparison.OrdinalIgnoreCase)
                        ? "Gateway:Auth:Jwt:Algorithms must not contain 'none': unsigned tokens are never accepted."
                        : $"Gateway:Auth:Jwt:Algorithms: '{alg}' is not supported (supported: {string.Join(", ", JwtAlgorithms)}).");
                }
            }
        }
        else if (jwt.Issuer is not null || jwt.Audience is not null || jwt.Algorithms.Count > 0)
        {
            errors.Add("Gateway:Auth:Jwt is configured without a key: set HmacSecret, PublicKeyPath, JwksPath or JwksUrl.");
        }

        LoginThrottleOptions.Validate(a.Throttle ?? new(), errors);
        if (a.Mode == AuthMode.Chain)
        {
            if (a.Chain.Count == 0) errors.Add("Gateway:Auth:Chain must list the providers to try (Ldap, PasswordFile) when Mode is Chain.");
            if (a.Chain.Any(m => m is not (AuthMode.Ldap or AuthMode.PasswordFile))) errors.Add("Gateway:Auth:Chain may hold only Ldap and PasswordFile.");
            if (a.Chain.Distinct().Count() != a.Chain.Count) errors.Add("Gateway:Auth:Chain names a provider twice.");
        }
        if (a.Uses(AuthMode.Ldap)) LdapOptions.Validate(a.Ldap ?? new(), errors);
        if (a.MaxGroups is < 1 or > Auth.GroupLimits.Ceiling) errors.Add($"Gateway:Auth:MaxGroups must be between 1 and {Auth.GroupLimits.Ceiling}.");
        if (a.MaxGroupLength is < 1 or > Auth.GroupLimits.Ceiling) errors.Add($"Gateway:Auth:MaxGroupLength must be between 1 and {Auth.GroupLimits.Ceiling}.");
        if (a.Cookie.Lifetime <= TimeSpan.Zero || a.Cookie.Lifetime > TimeSpan.FromDays(7)) errors.Add("Gateway:Auth:Cookie:Lifetime must be between 0 and 7 days.");
        if (a.Cookie.Key is not null && DecodeBase64(a.Cookie.Key) is not { Length: >= MinHmacKeyBytes })
        {
            errors.Add($"Gateway:Auth:Cookie:Key must be base64 of at least {MinHmacKeyBytes} bytes (e.g. 'openssl rand -base64 32').");
        }
    }

    /// <summary>An HMAC secret: UTF-8 text, or <c>base64:</c> and base64. Null when the base64 is invalid.</summary>
    public static byte[]? DecodeSecret(string secret) =>
        secret.StartsWith("base64:", StringComparison.Ordinal) ? DecodeBase64(secret["base64:".Length..]) : System.Text.Encoding.UTF8.GetBytes(secret);

    public static byte[]? DecodeBase64(string text)
    {
        try
        {
            return Convert.FromBase64String(text.Trim());
        }
        catch (FormatException)
        {
            return null;
        }
    }

    public static bool IsLoopback(string host) =>
        host == "localhost" || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));
}
