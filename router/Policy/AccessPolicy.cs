using System.Text.RegularExpressions;

namespace Gateway.Router.Policy;

/// <summary>
/// An access policy in Trino's file-based access-control format (<c>rules.json</c>), plus the gateway's own
/// <c>engines</c> section. Immutable: a reload makes a new one. In each section the first rule that applies wins and
/// no applicable rule denies; a section left out allows everything it would govern (impersonation excepted, which
/// is denied without rules), so a file with no rules is today's behaviour.
/// </summary>
public sealed partial class AccessPolicy
{
    public AccessPolicy(
        IReadOnlyList<CatalogRule>? catalogs = null,
        IReadOnlyList<SchemaRule>? schemas = null,
        IReadOnlyList<TableRule>? tables = null,
        IReadOnlyList<SessionPropertyRule>? sessionProperties = null,
        IReadOnlyList<ImpersonationRule>? impersonation = null,
        IReadOnlyList<QueryRule>? queries = null,
        IReadOnlyList<EngineRule>? engines = null,
        string source = "")
    {
        Catalogs = catalogs;
        Schemas = schemas;
        Tables = tables;
        SessionProperties = sessionProperties;
        Impersonation = impersonation;
        Queries = queries;
        Engines = engines;
        Source = source;
    }

    /// <summary>No rules: everything allowed (impersonation aside), as without a policy.</summary>
    public static AccessPolicy AllowAll { get; } = new(source: "(no policy)");

    public IReadOnlyList<CatalogRule>? Catalogs { get; }
    public IReadOnlyList<SchemaRule>? Schemas { get; }
    public IReadOnlyList<TableRule>? Tables { get; }
    public IReadOnlyList<SessionPropertyRule>? SessionProperties { get; }
    public IReadOnlyList<ImpersonationRule>? Impersonation { get; }
    public IReadOnlyList<QueryRule>? Queries { get; }
    public IReadOnlyList<EngineRule>? Engines { get; }

    /// <summary>Where the policy came from and which version of it (file and content hash), for logs and EXPLAIN.</summary>
    public string Source { get; }

    /// <summary>
    /// The policy governs data: it has catalog, schema or table rules. Then statements whose tables cannot all be
    /// named are refused instead of passed through.
    /// </summary>
    public bool GovernsData => Catalogs is not null || Schemas is not null || Tables is not null;

    public (CatalogAccess Access, string? Rule) CatalogAccessFor(AccessSubject subject, string? catalog)
    {
        if (Catalogs is null) return (CatalogAccess.All, null);
        foreach (var r in Catalogs)
        {
            if (r.Applies(subject) && r.Covers(catalog)) return (r.Allow, r.Name);
        }
        return (CatalogAccess.None, null);
    }

    public (bool Owner, string? Rule) SchemaOwnerFor(AccessSubject subject, string? catalog, string? schema)
    {
        if (Schemas is null) return (true, null);
        foreach (var r in Schemas)
        {
            if (r.Applies(subject) && r.Covers(catalog, schema)) return (r.Owner, r.Name);
        }
        return (false, null);
    }

    /// <summary>The table rule that decides <paramref name="table"/> for <paramref name="subject"/>, or null when none applies (denied) — or when there are no table rules (<see cref="TableRuleFor"/>'s caller reads <see cref="Tables"/> being null as all privileges).</summary>
    public TableRule? TableRuleFor(AccessSubject subject, string? catalog, string? schema, string table)
    {
        if (Tables is null) return null;
        foreach (var r in Tables)
        {
            if (r.Applies(subject) && r.Covers(catalog, schema, table)) return r;
        }
        return null;
    }

    /// <summary>The privileges <paramref name="subject"/> holds on a table, and the rule that gave them.</summary>
    public (TablePrivileges Privileges, TableRule? Rule) TablePrivilegesFor(AccessSubject subject, string? catalog, string? schema, string table)
    {
        if (Tables is null) return (TablePrivileges.All, null);
        var rule = TableRuleFor(subject, catalog, schema, table);
        return (rule?.Privileges ?? TablePrivileges.None, rule);
    }

    /// <summary>
    /// Whether <paramref name="subject"/> may see a schema in listings (Trino's visibility): its catalog is open to it
    /// and it owns the schema or some table rule that applies to it grants a privilege in that schema.
    /// </summary>
    public bool SchemaVisibleTo(AccessSubject subject, string? catalog, string schema)
    {
        if (CatalogAccessFor(subject, catalog).Access == CatalogAccess.None) return false;
        if (Tables is null || (Schemas is not null && SchemaOwnerFor(subject, catalog, schema).Owner)) return true;
        foreach (var r in Tables)
        {
            if (r.Applies(subject) && r.Privileges != TablePrivileges.None && r.CoversSchema(catalog, schema)) return true;
        }
        return false;
    }

    /// <summary>Whether <paramref name="subject"/> may see a table in listings: any privilege on it in an open catalog.</summary>
    public bool TableVisibleTo(AccessSubject subject, string? catalog, string? schema, string table) =>
        CatalogAccessFor(subject, catalog).Access != CatalogAccess.None && TablePrivilegesFor(subject, catalog, schema, table).Privileges != TablePrivileges.None;

    /// <summary>Whether a visible table's column is listed: not blocked by the rule that decides the table.</summary>
    public bool ColumnVisibleTo(AccessSubject subject, string? catalog, string? schema, string table, string column)
    {
        if (!TableVisibleTo(subject, catalog, schema, table)) return false;
        var rule = TableRuleFor(subject, catalog, schema, table);
        return rule is null || !rule.Columns.Any(c => !c.Allow && c.Name.Equals(column, StringComparison.OrdinalIgnoreCase));
    }

    public (bool Allowed, string? Rule) SessionPropertyFor(AccessSubject subject, string property)
    {
        if (SessionProperties is null) return (true, null);
        foreach (var r in SessionProperties)
        {
            if (r.Applies(subject) && r.Covers(property)) return (r.Allow, r.Name);
        }
        return (false, null);
    }

    /// <summary>Whether <paramref name="subject"/> may act as <paramref name="newUser"/> (<c>hive.server2.proxy.user</c>); acting as oneself always is.</summary>
    public (bool Allowed, string? Rule) ImpersonationFor(AccessSubject subject, string newUser)
    {
        ArgumentNullException.ThrowIfNull(subject);
        if (string.Equals(subject.User, newUser, StringComparison.Ordinal)) return (true, null);
        if (Impersonation is null) return (false, null);
        foreach (var r in Impersonation)
        {
            var original = r.User is null ? null : r.User.Match(subject.User);
            if (original is { Success: false }) continue;
            // new_user may refer to original_user's captures ($1): substituted as literal text (escaped, so a user
            // named "a.b" does not stand for "aXb"), then the whole name must match.
            var pattern = original is null ? r.NewUser : CaptureReference().Replace(r.NewUser, m =>
            {
                var group = m.Groups[1].Value[0] - '0';
                return group < original.Groups.Count ? Regex.Escape(original.Groups[group].Value) : "";
            });
            bool matched;
            try
            {
                matched = Regex.IsMatch(newUser, "^(?:" + pattern + ")$", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking);
            }
            catch (ArgumentException)
            {
                matched = false;
            }
            if (matched) return (r.Allow, r.Name);
        }
        return (false, null);
    }

    /// <summary>What <paramref name="subject"/> may do with queries owned by <paramref name="owner"/> (null: running new ones); one's own queries can always be viewed and killed.</summary>
    public (QueryAccess Access, string? Rule) QueryAccessFor(AccessSubject subject, string? owner)
    {
        ArgumentNullException.ThrowIfNull(subject);
        var own = owner is not null && string.Equals(owner, subject.User, StringComparison.Ordinal) ? QueryAccess.View | QueryAccess.Kill : QueryAccess.None;
        if (Queries is null) return (QueryAccess.All, null);
        foreach (var r in Queries)
        {
            if (r.Applies(subject) && (owner is null ? r.QueryOwner is null : r.Covers(owner))) return (r.Allow | own, r.Name);
        }
        return (own, null);
    }

    public (bool Allowed, string? Rule) EngineFor(AccessSubject subject, string engine)
    {
        if (Engines is null) return (true, null);
        foreach (var r in Engines)
        {
            if (r.Applies(subject) && r.Covers(engine)) return (r.Allow, r.Name);
        }
        return (false, null);
    }

    [GeneratedRegex(@"\$([0-9])")]
    private static partial Regex CaptureReference();
}
