using Gateway.Router.Policy;

namespace Gateway.Tests.Unit.Policy;

/// <summary>The policy format's documented semantics (Trino's file-based access control) and the gateway's strictness.</summary>
public class AccessPolicyUnitTests
{
    private static readonly AccessSubject Alice = new("alice", ["finance"]);
    private static readonly AccessSubject Bob = new("bob", ["sales", "emea"]);
    private static readonly AccessSubject Guest = new("guest", []);

    private static AccessPolicy Policy(string json)
    {
        var result = AccessPolicyParser.Parse(json, "test.json");
        Assert.True(result.Valid, string.Join("\n", result.Errors));
        return result.Policy!;
    }

    private static IReadOnlyList<string> Errors(string json)
    {
        var result = AccessPolicyParser.Parse(json);
        Assert.False(result.Valid);
        Assert.Null(result.Policy);
        return result.Errors;
    }

    [Fact]
    public void AFileWithoutRulesAllowsEverythingButImpersonation()
    {
        var p = Policy("{}");
        Assert.False(p.GovernsData);
        Assert.Equal(CatalogAccess.All, p.CatalogAccessFor(Guest, "embedded").Access);
        Assert.True(p.SchemaOwnerFor(Guest, "embedded", "demo").Owner);
        Assert.Equal(TablePrivileges.All, p.TablePrivilegesFor(Guest, "embedded", "demo", "sales").Privileges);
        Assert.True(p.SessionPropertyFor(Guest, "anything").Allowed);
        Assert.True(p.EngineFor(Guest, "duckdb").Allowed);
        Assert.Equal(QueryAccess.All, p.QueryAccessFor(Guest, "bob").Access);
        Assert.False(p.ImpersonationFor(Guest, "bob").Allowed);
        Assert.True(p.ImpersonationFor(Guest, "guest").Allowed);
        Assert.Contains("test.json (sha256:", p.Source, StringComparison.Ordinal);
    }

    [Fact]
    public void AnEmptySectionDeniesWhatItGoverns()
    {
        var p = Policy("""{ "tables": [], "engines": [] }""");
        Assert.True(p.GovernsData);
        Assert.Equal(TablePrivileges.None, p.TablePrivilegesFor(Alice, "embedded", "demo", "sales").Privileges);
        Assert.False(p.EngineFor(Alice, "duckdb").Allowed);
        // Other sections are still absent: allowed.
        Assert.Equal(CatalogAccess.All, p.CatalogAccessFor(Alice, "embedded").Access);
    }

    [Fact]
    public void TheFirstRuleThatAppliesWinsAndNoneDenies()
    {
        var p = Policy("""
            { "tables": [
                { "user": "bob", "privileges": [] },
                { "group": "finance|hr", "schema": "demo", "table": "sales", "privileges": ["SELECT", "INSERT"] },
                { "catalog": "embedded", "schema": "demo", "privileges": ["SELECT"] }
            ] }
            """);
        var (alice, aliceRule) = p.TablePrivilegesFor(Alice, "embedded", "demo", "sales");
        Assert.Equal(TablePrivileges.Select | TablePrivileges.Insert, alice);
        Assert.Equal("tables[1]", aliceRule!.Name);
        Assert.Equal(TablePrivileges.Select, p.TablePrivilegesFor(Alice, "embedded", "demo", "customers").Privileges);
        // bob's own rule comes first, though the third would allow.
        Assert.Equal(("tables[0]", TablePrivileges.None), (p.TablePrivilegesFor(Bob, "embedded", "demo", "customers").Rule!.Name, p.TablePrivilegesFor(Bob, "embedded", "demo", "customers").Privileges));
        // Nothing applies to another catalog: denied.
        Assert.Equal((TablePrivileges.None, (TableRule?)null), p.TablePrivilegesFor(Guest, "pg", "demo", "sales"));
    }

    [Fact]
    public void PatternsMatchWholeNamesCaseSensitively()
    {
        var p = Policy("""{ "catalogs": [ { "user": "al", "allow": "all" }, { "catalog": "emb.*", "allow": "read-only" } ] }""");
        // "al" does not match "alice" (whole-name match, as Java's matches()).
        Assert.Equal((CatalogAccess.ReadOnly, "catalogs[1]"), p.CatalogAccessFor(Alice, "embedded"));
        Assert.Equal((CatalogAccess.None, (string?)null), p.CatalogAccessFor(Alice, "EMBEDDED"));
        Assert.Equal(CatalogAccess.All, p.CatalogAccessFor(new AccessSubject("al", []), "anything").Access);
        // Legacy booleans.
        Assert.Equal(CatalogAccess.None, Policy("""{ "catalogs": [ { "allow": false } ] }""").CatalogAccessFor(Alice, "x").Access);
        Assert.Equal(CatalogAccess.All, Policy("""{ "catalogs": [ { "allow": true } ] }""").CatalogAccessFor(Alice, "x").Access);
    }

    [Fact]
    public void AGroupRuleAppliesWhenAnyOfTheUsersGroupsMatches()
    {
        var p = Policy("""{ "engines": [ { "group": "emea", "engine": "pg.*", "allow": true }, { "engine": "duckdb", "allow": true } ] }""");
        Assert.True(p.EngineFor(Bob, "pg_main").Allowed);
        Assert.False(p.EngineFor(Alice, "pg_main").Allowed);
        Assert.False(p.EngineFor(Guest, "pg_main").Allowed);
        Assert.True(p.EngineFor(Guest, "duckdb").Allowed);
    }

    [Fact]
    public void ColumnsMasksAndFiltersAreRead()
    {
        var p = Policy("""
            { "tables": [ { "schema": "demo", "table": "customers", "privileges": ["SELECT"],
                "filter": "region = 'EMEA'", "filter_environment": { "user": "system" },
                "columns": [
                  { "name": "email", "allow": false },
                  { "name": "phone", "mask": "show_last_4" },
                  { "name": "card", "mask": "'XXXX-' || substr(card, -4)", "mask_environment": { "user": "system" } },
                  { "name": "note" } ] } ] }
            """);
        var rule = p.TableRuleFor(Alice, "embedded", "demo", "customers")!;
        Assert.True(rule.Restricts);
        Assert.Equal("region = 'EMEA'", rule.Filter);
        Assert.Equal(
            [new ColumnConstraint("email", false, null, null), new ColumnConstraint("phone", true, MaskKind.ShowLast4, null),
             new ColumnConstraint("card", true, MaskKind.Expression, "'XXXX-' || substr(card, -4)"), new ColumnConstraint("note", true, null, null)],
            rule.Columns);
    }

    [Fact]
    public void SessionPropertiesQueriesAndImpersonationFollowTheirSections()
    {
        var p = Policy("""
            { "system_session_properties": [ { "user": "bob", "allow": false }, { "property": "gateway\\..*", "allow": true } ],
              "queries": [ { "group": "finance", "queryOwner": "bob", "allow": ["view"] }, { "allow": ["execute"] } ],
              "impersonation": [ { "original_user": "admin", "new_user": "bob", "allow": false },
                                 { "original_user": "admin", "new_user": ".*" },
                                 { "original_user": "(.*)_svc", "new_user": "$1_sandbox" } ] }
            """);
        Assert.True(p.SessionPropertyFor(Alice, "gateway.engine").Allowed);
        Assert.False(p.SessionPropertyFor(Alice, "spark.sql.shuffle.partitions").Allowed);
        Assert.Equal((false, "system_session_properties[0]"), p.SessionPropertyFor(Bob, "gateway.engine"));

        Assert.Equal(QueryAccess.View, p.QueryAccessFor(Alice, "bob").Access);
        Assert.Equal(QueryAccess.Execute, p.QueryAccessFor(Alice, null).Access);
        // One's own queries can always be viewed and killed.
        Assert.Equal(QueryAccess.View | QueryAccess.Kill, p.QueryAccessFor(Bob, "bob").Access & (QueryAccess.View | QueryAccess.Kill));

        var admin = new AccessSubject("admin", []);
        Assert.Equal((false, "impersonation[0]"), p.ImpersonationFor(admin, "bob"));
        Assert.True(p.ImpersonationFor(admin, "alice").Allowed);
        Assert.True(p.ImpersonationFor(new AccessSubject("team_svc", []), "team_sandbox").Allowed);
        Assert.False(p.ImpersonationFor(new AccessSubject("team_svc", []), "other_sandbox").Allowed);
        // A capture is literal text: "a.b_svc" may become "a.b_sandbox", not "aXb_sandbox".
        Assert.True(p.ImpersonationFor(new AccessSubject("a.b_svc", []), "a.b_sandbox").Allowed);
        Assert.False(p.ImpersonationFor(new AccessSubject("a.b_svc", []), "aXb_sandbox").Allowed);
        Assert.False(p.ImpersonationFor(Alice, "bob").Allowed);
    }

    [Fact]
    public void EveryProblemIsReportedWithItsPathAndNothingIsAllowed()
    {
        var errors = Errors("""
            { "tables": [ { "privileges": ["SELECT", "READ"], "colums": [] },
                          { "table": "(unclosed", "privileges": ["SELECT"] },
                          { "schema": "demo" },
                          { "privileges": ["SELECT"], "columns": [ { "name": "a", "allow": false, "mask": "NULL" }, { "allow": true }, { "name": "A" }, { "name": "a" } ] } ],
              "catalogs": [ { "allow": "read" }, { "role": "admin", "allow": "all" } ],
              "queries": [ { "queryOwner": "bob", "allow": ["execute"] } ],
              "schemas": [ { "owner": "yes" } ],
              "impersonation": [ { "original_user": "x" } ],
              "engine": [] }
            """);
        Assert.Contains("tables[0].privileges: 'READ' is not one of SELECT, INSERT, DELETE, UPDATE, OWNERSHIP, GRANT_SELECT", errors);
        Assert.Contains("tables[0]: unknown field 'colums'", errors);
        Assert.Contains(errors, e => e.StartsWith("tables[1].table: is not a valid regular expression", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("tables[2].privileges: is required", StringComparison.Ordinal));
        Assert.Contains("tables[3].columns[0].mask: a column that is not allowed cannot also be masked", errors);
        Assert.Contains("tables[3].columns[1].name: is required", errors);
        Assert.Contains("tables[3].columns[2].name: 'A' is constrained twice in this rule", errors);
        Assert.Contains("tables[3].columns[3].name: 'a' is constrained twice in this rule", errors);
        Assert.Contains("catalogs[0].allow: must be all, read-only or none (was 'read')", errors);
        Assert.Contains("catalogs[1].role: the gateway has no roles; match users by 'user' or 'group'", errors);
        Assert.Contains("queries[0].allow: a rule with queryOwner cannot grant execute", errors);
        Assert.Contains("schemas[0].owner: must be true or false", errors);
        Assert.Contains("impersonation[0].new_user: is required", errors);
        Assert.Contains(errors, e => e.StartsWith("engine: not a section of the policy", StringComparison.Ordinal));
        Assert.Contains("tables[1].table: is not a valid regular expression: Invalid pattern '(unclosed' at offset 9. Not enough )'s.", errors);
        Assert.True(errors.Count == 14, string.Join("\n", errors));
    }

    [Theory]
    [InlineData("", "not valid JSON")]
    [InlineData("[]", "the policy must be a JSON object of rule sections")]
    [InlineData("""{ "tables": {} }""", "tables: must be an array of rules")]
    [InlineData("""{ "tables": [ 1 ] }""", "tables[0]: a rule must be a JSON object")]
    [InlineData("""{ "tables": [ { "privileges": ["SELECT"], "filter": " " } ] }""", "tables[0].filter: is empty")]
    [InlineData("""{ "tables": [ { "privileges": ["SELECT"], "filter_environment": { "role": "x" } } ] }""", "tables[0].filter_environment: only a 'user' string is accepted (found 'role')")]
    public void MalformedFilesAreRefused(string json, string error) =>
        Assert.Contains(Errors(json), e => e.StartsWith(error, StringComparison.Ordinal));

    [Fact]
    public void TrinoSectionsTheGatewayDoesNotEnforceAreAcceptedWithAWarning()
    {
        var result = AccessPolicyParser.Parse("""{ "functions": [ { "privileges": ["EXECUTE"] } ], "catalogs": [ { "allow": "all" } ] }""");
        Assert.True(result.Valid);
        Assert.Equal(["functions: Trino's section is accepted but not enforced by the gateway"], result.Warnings);
    }
}
