namespace Gateway.Server.Configuration;

/// <summary>
/// LDAP logins (<c>Gateway:Auth:Ldap</c>, used by <c>Auth:Mode</c> <c>Ldap</c> or <c>Chain</c>): a simple bind with a
/// DN made from a pattern, or a search for the user with a service account then a bind as what was found. Groups from
/// an attribute of the user's entry (<c>memberOf</c>) or from a group search.
/// </summary>
public sealed record LdapOptions
{
    /// <summary>Servers tried in order: <c>ldap://host[:389]</c> or <c>ldaps://host[:636]</c>.</summary>
    public IReadOnlyList<string> Urls { get; init; } = [];

    /// <summary>StartTLS on an <c>ldap://</c> connection before anything is sent (a password never crosses in clear).</summary>
    public bool StartTls { get; init; }

    /// <summary>
    /// An OpenSSL-hashed folder of CA certificates (<c>c_rehash</c>, as OpenLDAP's TLS_CACERTDIR) that signs the
    /// directory's certificate; unset uses the system's trust.
    /// </summary>
    public string? CaCertificatesDirectory { get; init; }

    /// <summary>Simple bind: the user's DN with <c>{0}</c> for the (escaped) user name, e.g. <c>uid={0},ou=people,dc=example,dc=com</c>.</summary>
    public string? UserDnPattern { get; init; }

    /// <summary>Search-then-bind: the service account that searches (its DN and password).</summary>
    public string? BindDn { get; init; }

    public string? BindPassword { get; init; }

    /// <summary>Search-then-bind: where users are searched, and the filter with <c>{0}</c> for the (escaped) user name.</summary>
    public string? UserSearchBase { get; init; }

    public string UserFilter { get; init; } = "(uid={0})";

    /// <summary>
    /// The attribute of the user's entry holding the login name; the name logged in is the entry's spelling of it (a
    /// directory matches names regardless of case). Empty: the name as typed.
    /// </summary>
    public string? UserNameAttribute { get; init; } = "uid";

    /// <summary>An attribute of the user's entry listing group DNs (or names); its first RDN value is the group name. Empty: none.</summary>
    public string? GroupsAttribute { get; init; } = "memberOf";

    /// <summary>Group search instead of (or besides) <see cref="GroupsAttribute"/>: the base and a filter with <c>{0}</c> for the user's DN (escaped) and <c>{1}</c> for the user name.</summary>
    public string? GroupSearchBase { get; init; }

    public string GroupFilter { get; init; } = "(&(objectClass=groupOfNames)(member={0}))";

    /// <summary>The group entry's attribute that names it.</summary>
    public string GroupNameAttribute { get; init; } = "cn";

    /// <summary>Connect and each operation time out after this; the login then fails as "directory unavailable".</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The whole login (connect, TLS, search, bind, groups, one retry) ends by then, whatever the directory does; the
    /// caller is told "directory unavailable". Below the binary listener's handshake timeout, so the client hears why.
    /// </summary>
    public TimeSpan LoginTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Logins checked against the directory at once; more wait (up to <see cref="Timeout"/>), so a slow directory ties up no more threads.</summary>
    public int MaxConcurrentBinds { get; init; } = 16;

    /// <summary>Bound service-account connections kept for searches.</summary>
    public int PoolSize { get; init; } = 4;

    public bool SearchThenBind => BindDn is not null;

    internal static void Validate(LdapOptions l, List<string> errors)
    {
        const string key = "Gateway:Auth:Ldap";
        if (l.Urls.Count == 0) errors.Add($"{key}:Urls must list at least one server (ldap://host:389 or ldaps://host:636).");
        foreach (var url in l.Urls)
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("ldap" or "ldaps") || string.IsNullOrEmpty(uri.Host) || uri.AbsolutePath is not ("" or "/"))
            {
                errors.Add($"{key}:Urls: '{url}' is not ldap://host[:port] or ldaps://host[:port].");
            }
            else if (uri.Scheme == "ldaps" && l.StartTls)
            {
                errors.Add($"{key}: StartTls is for ldap:// URLs; '{url}' is already TLS.");
            }
        }
        if ((l.UserDnPattern is null) == (l.BindDn is null))
        {
            errors.Add($"{key}: set UserDnPattern (simple bind) or BindDn with BindPassword and UserSearchBase (search then bind), not both.");
        }
        if (l.UserDnPattern is { } pattern && !pattern.Contains("{0}", StringComparison.Ordinal)) errors.Add($"{key}:UserDnPattern must contain {{0}} for the user name.");
        if (l.BindDn is not null)
        {
            if (string.IsNullOrEmpty(l.BindPassword)) errors.Add($"{key}:BindPassword is required with BindDn.");
            if (string.IsNullOrWhiteSpace(l.UserSearchBase)) errors.Add($"{key}:UserSearchBase is required with BindDn.");
            if (!l.UserFilter.Contains("{0}", StringComparison.Ordinal)) errors.Add($"{key}:UserFilter must contain {{0}} for the user name.");
        }
        if (l.GroupSearchBase is not null && !l.GroupFilter.Contains("{0}", StringComparison.Ordinal) && !l.GroupFilter.Contains("{1}", StringComparison.Ordinal))
        {
            errors.Add($"{key}:GroupFilter must contain {{0}} (the user's DN) or {{1}} (the user name).");
        }
        if (l.Timeout <= TimeSpan.Zero || l.Timeout > TimeSpan.FromMinutes(2)) errors.Add($"{key}:Timeout must be between 0 and 2 minutes.");
        if (l.LoginTimeout < l.Timeout || l.LoginTimeout > TimeSpan.FromMinutes(5)) errors.Add($"{key}:LoginTimeout must be at least Timeout and at most 5 minutes.");
        if (l.MaxConcurrentBinds < 1) errors.Add($"{key}:MaxConcurrentBinds must be at least 1.");
        if (l.PoolSize < 0) errors.Add($"{key}:PoolSize must not be negative.");
        if (l.CaCertificatesDirectory is { } ca && !Directory.Exists(ca)) errors.Add($"{key}:CaCertificatesDirectory '{ca}' does not exist.");
    }
}
