using System.Text.RegularExpressions;

namespace Gateway.Router.Policy;

/// <summary>
/// What every rule matches on: <c>user</c> (a regular expression over the whole user name) and <c>group</c> (over
/// any one of the user's groups); a field left out matches everyone. <see cref="Name"/> says where the rule is in
/// the file (<c>tables[2]</c>), for explanations and the audit line.
/// </summary>
public abstract record AccessRule(string Name, Regex? User, Regex? Group)
{
    public bool Applies(AccessSubject subject)
    {
        ArgumentNullException.ThrowIfNull(subject);
        if (User is not null && !User.IsMatch(subject.User)) return false;
        if (Group is null) return true;
        foreach (var g in subject.Groups)
        {
            if (Group.IsMatch(g)) return true;
        }
        return false;
    }

    /// <summary>A missing pattern matches anything; a name that is not known (null) matches only a missing pattern.</summary>
    protected static bool Matches(Regex? pattern, string? value) => pattern is null || (value is not null && pattern.IsMatch(value));
}

public sealed record CatalogRule(string Name, Regex? User, Regex? Group, Regex? Catalog, CatalogAccess Allow) : AccessRule(Name, User, Group)
{
    public bool Covers(string? catalog) => Matches(Catalog, catalog);
}

public sealed record SchemaRule(string Name, Regex? User, Regex? Group, Regex? Catalog, Regex? Schema, bool Owner) : AccessRule(Name, User, Group)
{
    public bool Covers(string? catalog, string? schema) => Matches(Catalog, catalog) && Matches(Schema, schema);
}

public sealed record TableRule(
    string Name, Regex? User, Regex? Group, Regex? Catalog, Regex? Schema, Regex? Table,
    TablePrivileges Privileges, IReadOnlyList<ColumnConstraint> Columns, string? Filter) : AccessRule(Name, User, Group)
{
    public bool Covers(string? catalog, string? schema, string table) => Matches(Catalog, catalog) && Matches(Schema, schema) && Matches(Table, table);

    /// <summary>The rule can cover some table of the schema.</summary>
    public bool CoversSchema(string? catalog, string schema) => Matches(Catalog, catalog) && Matches(Schema, schema);

    /// <summary>Row filters, masks or blocked columns: a read of the table is rewritten, not passed through.</summary>
    public bool Restricts => Filter is not null || Columns.Count > 0;
}

public sealed record SessionPropertyRule(string Name, Regex? User, Regex? Group, Regex? Property, bool Allow) : AccessRule(Name, User, Group)
{
    public bool Covers(string property) => Matches(Property, property);
}

/// <summary>
/// <c>impersonation</c>: <c>original_user</c> may act as users matching <c>new_user</c>, in which <c>$1</c>...
/// refer to what <c>original_user</c>'s groups captured.
/// </summary>
public sealed record ImpersonationRule(string Name, Regex? OriginalUser, string NewUser, bool Allow) : AccessRule(Name, OriginalUser, null);

public sealed record QueryRule(string Name, Regex? User, Regex? Group, Regex? QueryOwner, QueryAccess Allow) : AccessRule(Name, User, Group)
{
    public bool Covers(string? owner) => Matches(QueryOwner, owner);
}

/// <summary>The gateway's own section: which engines a user's statements may run on, whatever routing or an override says.</summary>
public sealed record EngineRule(string Name, Regex? User, Regex? Group, Regex? Engine, bool Allow) : AccessRule(Name, User, Group)
{
    public bool Covers(string engine) => Matches(Engine, engine);
}
