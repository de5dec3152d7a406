namespace Gateway.Router.Policy;

/// <summary>A table as the policy names it: its catalog, schema and name, folded as the engine resolves them.</summary>
public readonly record struct PolicyName(string? Catalog, string? Schema, string Name)
{
    public override string ToString() => string.Join('.', new[] { Catalog, Schema, Name }.Where(p => p is not null));
}

/// <summary>Names a statement's table reference as the policy sees it (catalog from the engine that runs it, schema from the session).</summary>
public delegate PolicyName PolicyNameResolver(Sql.TableReference reference);

/// <summary>
/// What the policy decided for one statement: allowed or refused (with the reason a user can act on), and the
/// rules that decided, for the audit line and EXPLAIN.
/// </summary>
public sealed record AccessDecision(bool Allowed, string? Reason, IReadOnlyList<string> Rules)
{
    /// <summary>Allowed reads of tables whose rule filters rows or restricts columns: the statement runs only rewritten (<see cref="PolicyRewriter"/>).</summary>
    public IReadOnlyList<RestrictedRead> Restricted { get; init; } = [];

    public static AccessDecision Allow(IReadOnlyList<string> rules) => new(true, null, rules);

    public static AccessDecision Deny(string reason, IReadOnlyList<string> rules) => new(false, reason, rules);

    /// <summary>The rules in a few words: "tables[1], catalogs[0]" or "no rule".</summary>
    public string RulesText => Rules.Count == 0 ? "no rule" : string.Join(", ", Rules);
}

/// <summary>
/// A read the policy allows only through its rule's filter and column constraints; or, with <see cref="Listing"/>, a read
/// of an engine's <c>information_schema</c> listing, allowed only filtered to what the user may see.
/// </summary>
public sealed record RestrictedRead(Sql.TableReference Reference, PolicyName Name, TableRule Rule)
{
    public SystemListing? Listing { get; init; }
}
