using System.Collections.Concurrent;
using System.DirectoryServices.Protocols;
using System.Net;
using System.Text;
using Gateway.Server.Configuration;
using Microsoft.Extensions.Logging;

namespace Gateway.Server.Auth;

/// <summary>
/// Checks a user name and password against an LDAP directory (System.DirectoryServices.Protocols over OpenLDAP's
/// libldap): a simple bind as <c>UserDnPattern</c> with the name put in, or a search for the user as a service account
/// and a bind as the entry found. The user's groups come from an attribute of the entry (<c>memberOf</c>) and/or a group
/// search, and feed routing rules and share levels like any other groups.
/// <para>Names are escaped for the DN (RFC 4514) and the filter (RFC 4515), so no user name can change either. A wrong
/// password, an unknown user and a disabled account all read "Invalid user name or password."; a directory that does not
/// answer within <c>Timeout</c> (each operation) or <c>LoginTimeout</c> (the whole login) reads "directory unavailable"
/// (logged), never a hung listener: every directory call runs off the caller's thread, at most <c>MaxConcurrentBinds</c>
/// at once.</para>
/// </summary>
public sealed partial class LdapAuthenticator : IPasswordAuthenticator, IDisposable
{
    public const string InvalidCredentials = "Invalid user name or password.";
    public const string Unavailable = "The directory is unavailable; try again later.";

    private const int LdapInvalidCredentials = 49;
    private const int MaxUserLength = 256;

    private readonly LdapOptions _options;
    private readonly GroupLimits _groupLimits;
    private readonly ILogger? _logger;
    private readonly SemaphoreSlim _binds;
    private readonly ConcurrentBag<LdapConnection> _servicePool = [];
    private readonly (string Host, int Port, bool Ldaps)[] _servers;

    public LdapAuthenticator(LdapOptions options, GroupLimits? groupLimits = null, ILogger<LdapAuthenticator>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _groupLimits = groupLimits ?? GroupLimits.Default;
        _logger = logger;
        _binds = new SemaphoreSlim(options.MaxConcurrentBinds, options.MaxConcurrentBinds);
        _servers = [.. options.Urls.Select(u => new Uri(u)).Select(u => (u.Host, u.IsDefaultPort || u.Port < 0 ? (u.Scheme == "ldaps" ? 636 : 389) : u.Port, u.Scheme == "ldaps"))];
    }

    public string Name => "ldap";

    public async ValueTask<AuthResult> AuthenticateAsync(string user, string password, CancellationToken cancellationToken)
    {
        // An empty password is an anonymous ("unauthenticated") bind that most directories accept: never a login.
        if (string.IsNullOrEmpty(user) || string.IsNullOrEmpty(password) || user.Length > MaxUserLength || user.Any(char.IsControl) ||
            // Directories ignore a name's outer spaces (and its case) when matching: " alice" would bind as alice
            // and then be a different user to the gateway's limits and rules. Outer spaces are refused; case is
            // taken from the entry below.
            char.IsWhiteSpace(user[0]) || char.IsWhiteSpace(user[^1]) || password.Any(char.IsControl))
        {
            return AuthResult.Fail(InvalidCredentials);
        }
        if (!await _binds.WaitAsync(_options.Timeout, cancellationToken).ConfigureAwait(false))
        {
            if (_logger is not null) LogUnavailable(_logger, "too many logins waiting for the directory");
            return AuthResult.Fail(Unavailable);
        }
        // libldap's calls block: off the listener's thread, and off the thread pool too (a dedicated thread), so a
        // directory that hangs a TLS handshake cannot starve the pool whose timers end every other login by its
        // deadline. The slot is given back when the directory call ends, not when the caller stops waiting, so a
        // directory that hangs ties up at most MaxConcurrentBinds threads.
        var work = Task.Factory.StartNew(() =>
        {
            try
            {
                return Authenticate(user, password);
            }
            finally
            {
                _binds.Release();
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            return await work.WaitAsync(_options.LoginTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            _ = work.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            if (_logger is not null) LogUnavailable(_logger, $"no answer within {_options.LoginTimeout.TotalSeconds:0.#} s");
            return AuthResult.Fail(Unavailable);
        }
    }

    /// <summary>
    /// One login; a directory error (not a wrong password) is tried once more on fresh connections, since a pooled
    /// service connection the server closed while idle, or a connection lost mid-exchange, fails that way.
    /// </summary>
    private AuthResult Authenticate(string user, string password)
    {
        for (var attempt = 0; ; attempt++)
        {
            string? failure;
            try
            {
                return TryAuthenticate(user, password, discardService: attempt > 0);
            }
            catch (LdapException e) when (e.ErrorCode == LdapInvalidCredentials)
            {
                return AuthResult.Fail(InvalidCredentials);
            }
            catch (LdapException e)
            {
                failure = $"LDAP error {e.ErrorCode}: {e.Message}{(e.ServerErrorMessage is { Length: > 0 } s ? " (" + s + ")" : "")}";
            }
            catch (DirectoryOperationException e)
            {
                failure = $"{e.Response?.ResultCode}: {e.Message}{(e.Response?.ErrorMessage is { Length: > 0 } m ? " (" + m + ")" : "")}";
            }
            if (attempt == 1)
            {
                if (_logger is not null) LogUnavailable(_logger, failure);
                return AuthResult.Fail(Unavailable);
            }
        }
    }

    private AuthResult TryAuthenticate(string user, string password, bool discardService)
    {
        string dn;
        LdapConnection? service = null;
        var healthy = false;
        try
        {
            if (_options.SearchThenBind)
            {
                if (discardService) DrainServicePool();
                service = RentService();
                var found = FindUser(service, user);
                healthy = true;
                if (found is null) return AuthResult.Fail(InvalidCredentials);
                dn = found;
            }
            else
            {
                dn = string.Format(System.Globalization.CultureInfo.InvariantCulture, _options.UserDnPattern!, EscapeDnValue(user));
            }

            using var connection = Connect();
            connection.Bind(new NetworkCredential(dn, password));
            // Groups are read as the user where no service account searches (the user may read their own entry).
            healthy = false;
            var (name, groups) = ReadIdentity(service ?? connection, dn, user);
            healthy = true;
            return _groupLimits.TryNormalize(groups, out var normalized, out var error)
                ? AuthResult.Ok(name, normalized)
                : AuthResult.Fail($"The directory groups of '{name}' are not accepted: {error}.");
        }
        finally
        {
            // A service connection that failed a search goes, rather than back to the pool.
            if (service is not null)
            {
                if (healthy) ReturnService(service);
                else service.Dispose();
            }
        }
    }

    private void DrainServicePool()
    {
        while (_servicePool.TryTake(out var stale)) stale.Dispose();
    }

    /// <summary>The user's DN from a subtree search; null when none or several entries match (an ambiguous name never logs in).</summary>
    private string? FindUser(LdapConnection service, string user)
    {
        var filter = string.Format(System.Globalization.CultureInfo.InvariantCulture, _options.UserFilter, EscapeFilterValue(user));
        var request = new SearchRequest(_options.UserSearchBase, filter, SearchScope.Subtree, "1.1") { SizeLimit = 2, TimeLimit = _options.Timeout };
        var response = (SearchResponse)service.SendRequest(request, _options.Timeout);
        return response.Entries.Count == 1 ? response.Entries[0].DistinguishedName : null;
    }

    /// <summary>
    /// The user's name as the entry spells it (<c>UserNameAttribute</c>, when the entry holds the name given in another
    /// case, so ALICE and alice are one user to the gateway) and the user's groups.
    /// </summary>
    private (string Name, List<string> Groups) ReadIdentity(LdapConnection connection, string dn, string user)
    {
        var name = user;
        var groups = new List<string>();
        var nameAttribute = _options.UserNameAttribute is { Length: > 0 } n ? n : null;
        var groupsAttribute = _options.GroupsAttribute is { Length: > 0 } g ? g : null;
        string[] attributes = [.. new[] { nameAttribute, groupsAttribute }.OfType<string>()];
        if (attributes.Length > 0)
        {
            var request = new SearchRequest(dn, "(objectClass=*)", SearchScope.Base, attributes) { TimeLimit = _options.Timeout };
            var response = (SearchResponse)connection.SendRequest(request, _options.Timeout);
            foreach (SearchResultEntry entry in response.Entries)
            {
                if (nameAttribute is not null && entry.Attributes[nameAttribute] is { } names)
                {
                    name = names.GetValues(typeof(string)).Cast<string>().FirstOrDefault(v => string.Equals(v, user, StringComparison.OrdinalIgnoreCase)) ?? name;
                }
                if (groupsAttribute is null || entry.Attributes[groupsAttribute] is not { } values) continue;
                foreach (var value in values.GetValues(typeof(string)).Cast<string>()) groups.Add(GroupName(value));
            }
        }
        if (_options.GroupSearchBase is { } groupBase)
        {
            var filter = string.Format(System.Globalization.CultureInfo.InvariantCulture, _options.GroupFilter, EscapeFilterValue(dn), EscapeFilterValue(user));
            var request = new SearchRequest(groupBase, filter, SearchScope.Subtree, _options.GroupNameAttribute) { TimeLimit = _options.Timeout };
            var response = (SearchResponse)connection.SendRequest(request, _options.Timeout);
            foreach (SearchResultEntry entry in response.Entries)
            {
                var group = entry.Attributes[_options.GroupNameAttribute]?.GetValues(typeof(string)).Cast<string>().FirstOrDefault();
                groups.Add(group ?? GroupName(entry.DistinguishedName));
            }
        }
        return (name, groups);
    }

    /// <summary>The value of a group DN's first RDN (<c>cn=finance,ou=groups,...</c> → <c>finance</c>); a plain name as is.</summary>
    internal static string GroupName(string value)
    {
        var eq = value.IndexOf('=', StringComparison.Ordinal);
        if (eq < 0) return value;
        var sb = new StringBuilder();
        for (var i = eq + 1; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '\\' && i + 1 < value.Length)
            {
                sb.Append(value[++i]);
                continue;
            }
            if (c is ',' or '+') break;
            sb.Append(c);
        }
        return sb.ToString();
    }

    private LdapConnection RentService()
    {
        if (_servicePool.TryTake(out var pooled)) return pooled;
        var connection = Connect();
        try
        {
            connection.Bind(new NetworkCredential(_options.BindDn, _options.BindPassword));
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private void ReturnService(LdapConnection connection)
    {
        if (_servicePool.Count < _options.PoolSize) _servicePool.Add(connection);
        else connection.Dispose();
    }

    /// <summary>A connection to the first server that answers, with TLS as configured, not yet bound.</summary>
    private LdapConnection Connect()
    {
        LdapException? last = null;
        foreach (var (host, port, ldaps) in _servers)
        {
            var connection = LdapNativeTimeouts.Create(_options.Timeout,
                () => new LdapConnection(new LdapDirectoryIdentifier(host, port), null, AuthType.Basic) { Timeout = _options.Timeout });
            try
            {
                var session = connection.SessionOptions;
                session.ProtocolVersion = 3;
                session.ReferralChasing = ReferralChasingOptions.None;
                if (ldaps) session.SecureSocketLayer = true;
                // libldap (Linux) reads the trusted CAs into a TLS context; Windows' LDAP uses the machine's store.
                if (!OperatingSystem.IsWindows())
                {
                    if (_options.CaCertificatesDirectory is { } ca) session.TrustedCertificatesDirectory = ca;
                    if (ldaps || _options.StartTls) session.StartNewTlsSessionContext();
                }
                if (_options.StartTls)
                {
                    // libldap opens the connection lazily; StartTLS on a handle that has not connected fails with 81
                    // (dotnet/runtime#96988). A root DSE read, which carries nothing secret, connects it first.
                    connection.SendRequest(new SearchRequest("", "(objectClass=*)", SearchScope.Base, "1.1"), _options.Timeout);
                    session.StartTransportLayerSecurity(null);
                }
                return connection;
            }
            catch (LdapException e)
            {
                connection.Dispose();
                last = e;
            }
        }
        throw last ?? new LdapException(81, "no LDAP server configured");
    }

    /// <summary>RFC 4514: a value put into a DN, with every character that could end or change it escaped.</summary>
    public static string EscapeDnValue(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var sb = new StringBuilder(value.Length + 8);
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c is ',' or '+' or '"' or '\\' or '<' or '>' or ';' or '=' || (c == '#' && i == 0) || (c == ' ' && (i == 0 || i == value.Length - 1)))
            {
                sb.Append('\\').Append(c);
            }
            else if (c == '\0')
            {
                sb.Append("\\00");
            }
            else
            {
                sb.Append(c);
            }
        }
        return sb.ToString();
    }

    /// <summary>RFC 4515: a value put into a search filter (<c>*</c>, <c>(</c>, <c>)</c>, <c>\</c> and NUL as hex escapes).</summary>
    public static string EscapeFilterValue(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var sb = new StringBuilder(value.Length + 8);
        foreach (var c in value)
        {
            _ = c switch
            {
                '*' => sb.Append("\\2a"),
                '(' => sb.Append("\\28"),
                ')' => sb.Append("\\29"),
                '\\' => sb.Append("\\5c"),
                '\0' => sb.Append("\\00"),
                _ => sb.Append(c),
            };
        }
        return sb.ToString();
    }

    public void Dispose()
    {
        DrainServicePool();
        _binds.Dispose();
    }

    [LoggerMessage(EventId = 340, Level = LogLevel.Warning, Message = "LDAP login could not be checked: {Reason}")]
    private static partial void LogUnavailable(ILogger logger, string reason);
}

/// <summary>Tries each provider in turn (e.g. the directory, then a local password file for break-glass accounts).</summary>
public sealed class ChainAuthenticator(IReadOnlyList<IPasswordAuthenticator> links) : IPasswordAuthenticator, IUserGroups
{
    public string Name => string.Join("+", links.Select(l => l.Name));

    /// <summary>The groups from the first link that knows the user.</summary>
    public IReadOnlyList<string>? GroupsOf(string user) => links.OfType<IUserGroups>().Select(l => l.GroupsOf(user)).FirstOrDefault(g => g is not null);

    public async ValueTask<AuthResult> AuthenticateAsync(string user, string password, CancellationToken cancellationToken)
    {
        AuthResult? first = null;
        foreach (var link in links)
        {
            var result = await link.AuthenticateAsync(user, password, cancellationToken).ConfigureAwait(false);
            if (result.Succeeded) return result;
            first ??= result;
        }
        return first ?? AuthResult.Fail(LdapAuthenticator.InvalidCredentials);
    }
}
