using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gateway.Server.Configuration;

/// <summary>
/// One section's rules over <see cref="GatewayOptions"/> (the whole is passed, so that a section can check what it
/// refers to in another: a catalog's engine, a rule's engine). Each is an <see cref="IValidateOptions{TOptions}"/>,
/// registered in DI, and every one runs on start (<see cref="GatewayOptionsValidation.Validate"/>) and on every
/// configuration reload (<see cref="GatewayConfigurationWatcher"/>); a failure lists every problem with its key.
/// </summary>
public abstract class GatewayOptionsSectionValidator : IValidateOptions<GatewayOptions>
{
    /// <summary>The configuration keys the section covers, for logs ("Gateway:Limits").</summary>
    public abstract string Section { get; }

    public ValidateOptionsResult Validate(string? name, GatewayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        Validate(options, errors);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    protected abstract void Validate(GatewayOptions o, List<string> errors);
}

/// <summary>The section validators in the order their problems are reported, and the registration in DI.</summary>
public static class GatewayOptionsValidation
{
    /// <param name="configFiles">The files the configuration was read from: DuckDB SQL must not reach them.</param>
    public static IReadOnlyList<GatewayOptionsSectionValidator> Validators(IEnumerable<string>? configFiles = null) =>
    [
        new ListenersOptionsValidator(),
        new AuthOptionsValidator(),
        new EnginesOptionsValidator(),
        new CatalogsOptionsValidator(),
        new RoutingSectionValidator(),
        new DuckDbOptionsValidator([.. configFiles ?? []]),
        new LimitsOptionsValidator(),
        new AccessControlOptionsValidator(),
    ];

    /// <summary>Every problem of every section, in section order; empty when the options are valid.</summary>
    public static IReadOnlyList<string> Validate(GatewayOptions options, IEnumerable<string>? configFiles = null) =>
        Validate(options, Validators(configFiles));

    public static IReadOnlyList<string> Validate(GatewayOptions options, IEnumerable<IValidateOptions<GatewayOptions>> validators)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(validators);
        var errors = new List<string>();
        foreach (var validator in validators)
        {
            var result = validator.Validate(Options.DefaultName, options);
            if (result.Failed) errors.AddRange(result.Failures ?? [result.FailureMessage]);
        }
        return errors;
    }

    /// <summary>Registers every section validator as an <see cref="IValidateOptions{TOptions}"/> of <see cref="GatewayOptions"/>.</summary>
    public static IServiceCollection AddGatewayOptionsValidators(this IServiceCollection services, IEnumerable<string>? configFiles = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        foreach (var validator in Validators(configFiles)) services.AddSingleton<IValidateOptions<GatewayOptions>>(validator);
        return services;
    }
}

/// <summary>Gateway:Binary, Gateway:Http and Gateway:Tls.</summary>
public sealed class ListenersOptionsValidator : GatewayOptionsSectionValidator
{
    public override string Section => "Gateway:Binary, Gateway:Http, Gateway:Trino, Gateway:Tls";

    protected override void Validate(GatewayOptions o, List<string> errors)
    {

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
        if (o.Trino.Enabled)
        {
            ValidateListener(errors, "Trino", o.Trino.Host, o.Trino.Port, o.Trino.Tls, o);
            if (o.Trino.MaxWait <= TimeSpan.Zero || o.Trino.MaxWait > TimeSpan.FromMinutes(1)) errors.Add($"Gateway:Trino:MaxWait must be positive and at most 1 minute (was {o.Trino.MaxWait}).");
            if (o.Trino.TargetPageBytes < 4096) errors.Add($"Gateway:Trino:TargetPageBytes must be at least 4096 (was {o.Trino.TargetPageBytes}).");
            if (o.Trino.RowsPerFetch < 1) errors.Add($"Gateway:Trino:RowsPerFetch must be at least 1 (was {o.Trino.RowsPerFetch}).");
            if (o.Trino.QueryIdleTimeout <= TimeSpan.Zero || o.Trino.QueryIdleTimeout > TimeSpan.FromDays(1)) errors.Add($"Gateway:Trino:QueryIdleTimeout must be positive and at most 1 day (was {o.Trino.QueryIdleTimeout}).");
        }
        var ports = new List<(string Name, int Port)>();
        if (o.Binary.Enabled) ports.Add(("Binary", o.Binary.Port));
        if (o.Http.Enabled) ports.Add(("Http", o.Http.Port));
        if (o.Trino.Enabled) ports.Add(("Trino", o.Trino.Port));
        foreach (var clash in ports.Where(p => p.Port != 0).GroupBy(p => p.Port).Where(g => g.Count() > 1))
        {
            errors.Add($"{string.Join(" and ", clash.Select(p => $"Gateway:{p.Name}:Port"))} are {(clash.Count() == 2 ? "both" : "all")} {clash.Key}: the listeners need different ports.");
        }
        if (!o.Tls.IsConfigured && (o.Tls.KeyPath is not null || o.Tls.Password is not null))
        {
            errors.Add("Gateway:Tls:KeyPath and Gateway:Tls:Password need Gateway:Tls:CertificatePath.");
        }
    }

    private static void ValidateListener(List<string> errors, string name, string host, int port, bool? tls, GatewayOptions o)
    {
        if (port is < 0 or > 65535) errors.Add($"Gateway:{name}:Port must be 0..65535 (was {port}).");
        if (!IPAddress.TryParse(host, out _) && host is not ("localhost" or "*" or "0.0.0.0"))
        {
            errors.Add($"Gateway:{name}:Host must be an IP address, 'localhost' or '*' (was '{host}').");
        }
        if (o.Auth.Mode == AuthMode.None && !ConfigurationRules.IsLoopback(host) && !o.Auth.AllowUnauthenticatedNetworkAccess)
        {
            errors.Add($"Gateway:Auth:Mode is None but Gateway:{name}:Host '{host}' is not loopback: choose an auth mode or set Gateway:Auth:AllowUnauthenticatedNetworkAccess=true.");
        }
        if (tls == true && !o.Tls.IsConfigured)
        {
            errors.Add($"Gateway:{name}:Tls is true but no certificate is configured: set Gateway:Tls:CertificatePath.");
        }
    }
}

/// <summary>Gateway:Auth (tokens, JWT, throttling, chain, LDAP, groups, cookie).</summary>
public sealed class AuthOptionsValidator : GatewayOptionsSectionValidator
{
    public override string Section => "Gateway:Auth";

    protected override void Validate(GatewayOptions o, List<string> errors)
    {
        var a = o.Auth;
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
            else if (t.Token is not null && t.Token.Length < ConfigurationRules.MinStaticTokenLength)
            {
                errors.Add($"{key}:Token must be at least {ConfigurationRules.MinStaticTokenLength} characters (use a random value, e.g. 'openssl rand -hex 32').");
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
            if (jwt.HmacSecret is not null && ConfigurationRules.DecodeSecret(jwt.HmacSecret) is not { Length: >= ConfigurationRules.MinHmacKeyBytes })
            {
                errors.Add($"Gateway:Auth:Jwt:HmacSecret must be at least {ConfigurationRules.MinHmacKeyBytes} bytes (text, or 'base64:' and valid base64).");
            }
            foreach (var alg in jwt.Algorithms)
            {
                if (!ConfigurationRules.JwtAlgorithms.Contains(alg))
                {
                    errors.Add(string.Equals(alg, "none", StringComparison.OrdinalIgnoreCase)
                        ? "Gateway:Auth:Jwt:Algorithms must not contain 'none': unsigned tokens are never accepted."
                        : $"Gateway:Auth:Jwt:Algorithms: '{alg}' is not supported (supported: {string.Join(", ", ConfigurationRules.JwtAlgorithms)}).");
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
        if (a.Cookie.Key is not null && ConfigurationRules.DecodeBase64(a.Cookie.Key) is not { Length: >= ConfigurationRules.MinHmacKeyBytes })
        {
            errors.Add($"Gateway:Auth:Cookie:Key must be base64 of at least {ConfigurationRules.MinHmacKeyBytes} bytes (e.g. 'openssl rand -base64 32').");
        }
    }
}

/// <summary>Gateway:Engines and Gateway:DefaultEngine.</summary>
public sealed class EnginesOptionsValidator : GatewayOptionsSectionValidator
{
    public override string Section => "Gateway:Engines";

    protected override void Validate(GatewayOptions o, List<string> errors)
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
            if (e.Kind == Gateway.Engines.EngineKind.Trino)
            {
                if (e.Trino is null) errors.Add($"{key}:Trino is required for a Trino engine (Host, Port, Https, Auth, User, Catalog, Schema...).");
                else
                {
                    try { (e.Trino with { Name = string.IsNullOrWhiteSpace(e.Name) ? "trino" : e.Name }).Validate(); }
                    catch (ArgumentException ex) { errors.Add($"{key}:Trino: {ex.Message}"); }
                }
            }
        }
        if (!names.Contains(o.DefaultEngine))
        {
            errors.Add($"Gateway:DefaultEngine '{o.DefaultEngine}' is not an engine (configured: {string.Join(", ", names.Order(StringComparer.Ordinal))}).");
        }
    }
}

/// <summary>Gateway:Catalogs and the catalogs each engine names.</summary>
public sealed class CatalogsOptionsValidator : GatewayOptionsSectionValidator
{
    public override string Section => "Gateway:Catalogs";

    protected override void Validate(GatewayOptions o, List<string> errors)
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
            if (c.Kind == CatalogKind.Trino && o.Engines.FirstOrDefault(e => e.Name.Equals(c.Engine, StringComparison.OrdinalIgnoreCase)) is not { Kind: Gateway.Engines.EngineKind.Trino })
            {
                errors.Add($"{key}:Engine must name a configured Trino engine (the one that reads the catalog; was '{c.Engine}').");
            }
            if (c.CacheTtl < TimeSpan.Zero) errors.Add($"{key}:CacheTtl must not be negative.");
        }
        var catalogs = ConfigurationRules.CatalogNames(o);
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
}

/// <summary>Gateway:Routing (rules, cost model, hints) against the configured engines and groups.</summary>
public sealed class RoutingSectionValidator : GatewayOptionsSectionValidator
{
    public override string Section => "Gateway:Routing";

    protected override void Validate(GatewayOptions o, List<string> errors)
    {
        var engines = new List<string> { "duckdb" };
        engines.AddRange(o.Engines.Select(e => e.Name).Where(n => !string.IsNullOrWhiteSpace(n)));
        var groups = o.Engines.SelectMany(e => e.Routing?.Groups ?? []).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        foreach (var problem in Gateway.Router.Routing.RoutingOptionsValidator.Validate(o.Routing ?? new(), engines, groups)) errors.Add($"Gateway:Routing: {problem}");
    }
}

/// <summary>Gateway:DuckDb (its sandbox included) and Gateway:DataFolder.</summary>
public sealed class DuckDbOptionsValidator(IReadOnlyList<string> configFiles) : GatewayOptionsSectionValidator
{
    public override string Section => "Gateway:DuckDb, Gateway:DataFolder";

    protected override void Validate(GatewayOptions o, List<string> errors)
    {
        // The access policy says which rows and columns each user may see: SQL must not read it either.
        IReadOnlyList<string> protectedFiles = string.IsNullOrWhiteSpace(o.AccessControl.ConfigFile) ? configFiles : [.. configFiles, Path.GetFullPath(o.AccessControl.ConfigFile)];
        DuckDbSandboxConfiguration.Validate(o, protectedFiles, errors);
        if (string.IsNullOrWhiteSpace(o.DataFolder)) errors.Add("Gateway:DataFolder must be set.");
        if (string.IsNullOrWhiteSpace(o.DuckDb.File)) errors.Add("Gateway:DuckDb:File must be set.");
        if (o.DuckDb.Threads is < 1) errors.Add("Gateway:DuckDb:Threads must be positive.");
    }
}

/// <summary>Gateway:Limits (its spool included).</summary>
public sealed class LimitsOptionsValidator : GatewayOptionsSectionValidator
{
    public override string Section => "Gateway:Limits";

    protected override void Validate(GatewayOptions o, List<string> errors)
    {
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
    }
}

/// <summary>Gateway:AccessControl. The policy file itself is read and checked by the access control service at start.</summary>
public sealed class AccessControlOptionsValidator : GatewayOptionsSectionValidator
{
    public override string Section => "Gateway:AccessControl";

    protected override void Validate(GatewayOptions o, List<string> errors)
    {
        var a = o.AccessControl;
        if (a.ConfigFile is not null && string.IsNullOrWhiteSpace(a.ConfigFile)) errors.Add("Gateway:AccessControl:ConfigFile must be a file path when set.");
        if (a.RefreshPeriod <= TimeSpan.Zero || a.RefreshPeriod > TimeSpan.FromHours(1)) errors.Add($"Gateway:AccessControl:RefreshPeriod must be positive and at most 1 hour (was {a.RefreshPeriod}).");
    }
}
