using System.Net;

namespace Gateway.Server.Configuration;

/// <summary>The whole gateway configuration (section "Gateway"); an immutable snapshot, validated at start.</summary>
public sealed record GatewayOptions
{
    public const string SectionName = "Gateway";

    public BinaryListenerOptions Binary { get; init; } = new();
    public HttpListenerOptions Http { get; init; } = new();

    /// <summary>The Trino client protocol's listener (Trino CLI, JDBC, Superset trino://, DBeaver's Trino driver).</summary>
    public TrinoListenerOptions Trino { get; init; } = new();
    public TlsOptions Tls { get; init; } = new();
    public AuthOptions Auth { get; init; } = new();
    public LimitOptions Limits { get; init; } = new();
    public DuckDbOptions DuckDb { get; init; } = new();
    public ServerInfoOptions ServerInfo { get; init; } = new();
    public ResultOptions Results { get; init; } = new();

    /// <summary>The access policy (Trino's rules.json format plus an engines section); none configured allows everything.</summary>
    public AccessControlOptions AccessControl { get; init; } = new();

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

/// <summary>The Trino client protocol (<c>POST /v1/statement</c> and its <c>nextUri</c> pages) on a listener of its own.</summary>
public sealed record TrinoListenerOptions
{
    public bool Enabled { get; init; } = true;
    public string Host { get; init; } = "127.0.0.1";
    public int Port { get; init; } = 10002;

    /// <summary>TLS on this listener; unset means on exactly when <see cref="TlsOptions.CertificatePath"/> is configured.</summary>
    public bool? Tls { get; init; }

    /// <summary>How long a request waits for its statement before answering with its state and the next link (Trino's own is about 1 s).</summary>
    public TimeSpan MaxWait { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>About how much JSON of rows one page carries.</summary>
    public int TargetPageBytes { get; init; } = 1024 * 1024;

    /// <summary>Rows read from the statement at a time while a page fills.</summary>
    public int RowsPerFetch { get; init; } = 10_000;

    /// <summary>A query whose client asks for nothing for this long is canceled and its session closed.</summary>
    public TimeSpan QueryIdleTimeout { get; init; } = TimeSpan.FromMinutes(5);
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

/// <summary>Rules and helpers shared by the section validators (GatewayOptionsValidators.cs) and the code that uses the values.</summary>
public static class ConfigurationRules
{
    /// <summary>JWS algorithms the gateway verifies. "none" is never among them.</summary>
    public static readonly IReadOnlySet<string> JwtAlgorithms = new HashSet<string>(StringComparer.Ordinal)
    {
        "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512",
    };

    public const int MinStaticTokenLength = 16;
    public const int MinHmacKeyBytes = 32;

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
