using Gateway.Router.Sql;

namespace Gateway.Router.Policy;

/// <summary>
/// Checks what one analysed statement does against a policy: every table it reads needs SELECT, every table it
/// writes the privilege of its verb (INSERT, DELETE, UPDATE; DDL needs OWNERSHIP; CREATE/DROP SCHEMA needs schema
/// ownership), each in a catalog open for it (read-only catalogs refuse writes). Fails closed: while the policy
/// governs data, a statement the analysis could not fully resolve, a verb with no known privilege, a table function
/// or a file path are refused. A read of a table whose rule filters rows or restricts columns is allowed only as a
/// <see cref="AccessDecision.Restricted"/> read, which the caller must rewrite (<see cref="PolicyRewriter"/>) or refuse;
/// where that cannot be done (DESCRIBE, the targets of UPDATE, DELETE and MERGE) it is refused here.
/// </summary>
public static class StatementAccessCheck
{
    // Table functions that read no stored data: generators.
    private static readonly HashSet<string> Generators = new(StringComparer.OrdinalIgnoreCase) { "range", "generate_series", "unnest", "explode", "sequence" };

    public static AccessDecision Check(AccessPolicy policy, AccessSubject subject, StatementAnalysis analysis, PolicyNameResolver resolve)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentNullException.ThrowIfNull(analysis);
        ArgumentNullException.ThrowIfNull(resolve);
        var rules = new List<string>();
        var restricted = new List<RestrictedRead>();
        if (!policy.GovernsData) return AccessDecision.Allow(rules);
        if (analysis.Status != AnalysisStatus.Complete)
        {
            return AccessDecision.Deny($"the statement cannot be fully analysed ({analysis.StatusReason ?? "unknown"}), and an access policy is in force", rules);
        }
        if (analysis.Kind == StatementKind.Unknown && !analysis.IsExplainRouting)
        {
            return AccessDecision.Deny($"{Verb(analysis)} statements cannot be checked against the access policy", rules);
        }
        var metadata = analysis.Kind == StatementKind.Metadata;
        foreach (var read in analysis.Reads)
        {
            var denied = CheckSource(policy, subject, read, resolve, write: false, metadata ? TablePrivileges.None : TablePrivileges.Select, analysis, rules, restricted);
            if (denied is not null) return AccessDecision.Deny(denied, rules);
        }
        if (analysis.Writes.Count > 0)
        {
            if (WritePrivilege(analysis) is not { } needed)
            {
                return AccessDecision.Deny($"{Verb(analysis)} statements cannot be checked against the access policy", rules);
            }
            foreach (var write in analysis.Writes)
            {
                // Session-local temporary views and tables write no catalog; what they read is checked above.
                if (write.Temporary) continue;
                var required = analysis.ScansWriteTargets ? needed | TablePrivileges.Select : needed;
                var denied = CheckSource(policy, subject, write, resolve, write: true, required, analysis, rules, restricted);
                if (denied is not null) return AccessDecision.Deny(denied, rules);
            }
        }
        return AccessDecision.Allow(rules) with { Restricted = restricted };
    }

    /// <summary>The reason <paramref name="reference"/> is refused, or null.</summary>
    private static string? CheckSource(AccessPolicy policy, AccessSubject subject, TableReference reference, PolicyNameResolver resolve, bool write,
        TablePrivileges required, StatementAnalysis analysis, List<string> rules, List<RestrictedRead> restricted)
    {
        switch (reference.Kind)
        {
            case TableReferenceKind.Function when !write && Generators.Contains(reference.Name):
                return null;
            case TableReferenceKind.Function:
                return $"the table function {reference.Name}() reads data the access policy cannot see, and a policy is in force";
            case TableReferenceKind.Path:
                return $"files named by path ({reference}) are outside the access policy, and a policy is in force";
        }
        var name = resolve(reference);
        var (access, catalogRule) = policy.CatalogAccessFor(subject, name.Catalog);
        if (catalogRule is not null) rules.Add(catalogRule);
        var catalogLabel = name.Catalog ?? "(unknown catalog)";
        if (access == CatalogAccess.None || (write && access != CatalogAccess.All))
        {
            return $"access to catalog {catalogLabel} is {(access == CatalogAccess.None ? "denied" : "read-only")} for {subject.User} ({catalogRule ?? "no catalog rule applies"})";
        }
        if (reference.Kind == TableReferenceKind.Schema)
        {
            if (!write) return null;
            var (owner, schemaRule) = policy.SchemaOwnerFor(subject, name.Catalog, name.Name);
            if (schemaRule is not null) rules.Add(schemaRule);
            return owner ? null : $"{subject.User} does not own schema {catalogLabel}.{name.Name} ({schemaRule ?? "no schema rule applies"}), which {Verb(analysis)} needs";
        }
        // The engine's own listings name tables: they show only what the user may see, whatever the table rules say.
        if (!write && analysis.Kind != StatementKind.Metadata && SystemListings.Of(name) is { } listing)
        {
            foreach (var site in analysis.ReadSites.Where(r => r.Key == reference.Key))
            {
                restricted.Add(new RestrictedRead(site, name, SystemListings.Rule(name)) { Listing = listing });
            }
            return null;
        }
        var (held, tableRule) = policy.TablePrivilegesFor(subject, name.Catalog, name.Schema, name.Name);
        if (tableRule is not null) rules.Add(tableRule.Name);
        var why = tableRule?.Name ?? (policy.Tables is null ? "no table rules" : "no table rule applies");
        // Metadata (DESCRIBE, SHOW COLUMNS) needs any privilege on the table; everything else the ones it names.
        var ok = required == TablePrivileges.None ? held != TablePrivileges.None : (held & required) == required;
        if (!ok)
        {
            var missing = required == TablePrivileges.None ? "any privilege" : Names(required & ~held);
            return $"{subject.User} may not {Verb(analysis)} {name}: missing {missing} ({why})";
        }
        if (tableRule is { Restricts: true })
        {
            if (write && analysis.ScansWriteTargets)
            {
                return $"{name} has row filters or column restrictions ({tableRule.Name}), which {Verb(analysis)} would bypass by reading its target";
            }
            if (!write && analysis.Kind == StatementKind.Metadata)
            {
                return $"{name} has row filters or column restrictions ({tableRule.Name}), and {Verb(analysis)} of it is not filtered yet";
            }
            if (!write)
            {
                // Every site that reads the table (a self-join's both sides, a CTE's and the main query's).
                foreach (var site in analysis.ReadSites.Where(r => r.Key == reference.Key)) restricted.Add(new RestrictedRead(site, name, tableRule));
            }
        }
        return null;
    }

    private static TablePrivileges? WritePrivilege(StatementAnalysis analysis)
    {
        if (analysis.Kind == StatementKind.Ddl) return TablePrivileges.Ownership;
        var verb = analysis.Verb.ToUpperInvariant();
        if (verb.StartsWith("INSERT OVERWRITE", StringComparison.Ordinal)) return TablePrivileges.Insert | TablePrivileges.Delete;
        if (verb.StartsWith("INSERT", StringComparison.Ordinal) || verb is "COPY" or "LOAD DATA") return TablePrivileges.Insert;
        if (verb is "DELETE" or "TRUNCATE") return TablePrivileges.Delete;
        if (verb is "UPDATE" or "REFRESH MATERIALIZED VIEW") return TablePrivileges.Update;
        if (verb == "MERGE") return TablePrivileges.Insert | TablePrivileges.Update | TablePrivileges.Delete;
        return null;
    }

    private static string Verb(StatementAnalysis analysis) => analysis.Verb.Length > 0 ? analysis.Verb : "such";

    private static string Names(TablePrivileges p) => string.Join(", ", Enum.GetValues<TablePrivileges>()
        .Where(v => v is not (TablePrivileges.None or TablePrivileges.All) && (p & v) == v)
        .Select(v => v switch { TablePrivileges.GrantSelect => "GRANT_SELECT", _ => v.ToString().ToUpperInvariant() }));
}
