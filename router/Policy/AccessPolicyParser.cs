using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Gateway.Router.Policy;

/// <summary>
/// Reads a policy file: Trino's file-based access-control rules (<c>catalogs</c>, <c>schemas</c>, <c>tables</c>,
/// <c>system_session_properties</c>, <c>impersonation</c>, <c>queries</c>) and the gateway's <c>engines</c>. Strict,
/// because a policy that says less than its author meant opens access: every problem is reported (path and reason),
/// and a file with any problem yields no policy. Trino sections the gateway does not enforce (functions, procedures,
/// principals, system_information, authorization, catalog_session_properties) are accepted and named in
/// <see cref="AccessPolicyParseResult.Warnings"/>; any other key is an error.
/// </summary>
public static class AccessPolicyParser
{
    private static readonly HashSet<string> IgnoredTrinoSections = new(StringComparer.Ordinal)
    {
        "functions", "procedures", "principals", "system_information", "authorization", "catalog_session_properties",
    };

    private static readonly Dictionary<string, TablePrivileges> Privileges = new(StringComparer.Ordinal)
    {
        ["SELECT"] = TablePrivileges.Select,
        ["INSERT"] = TablePrivileges.Insert,
        ["DELETE"] = TablePrivileges.Delete,
        ["UPDATE"] = TablePrivileges.Update,
        ["OWNERSHIP"] = TablePrivileges.Ownership,
        ["GRANT_SELECT"] = TablePrivileges.GrantSelect,
    };

    private static readonly Dictionary<string, QueryAccess> QueryPermissions = new(StringComparer.Ordinal)
    {
        ["execute"] = QueryAccess.Execute,
        ["view"] = QueryAccess.View,
        ["kill"] = QueryAccess.Kill,
    };

    private static readonly Dictionary<string, MaskKind> PortableMasks = new(StringComparer.OrdinalIgnoreCase)
    {
        ["NULL"] = MaskKind.Null,
        ["REDACT"] = MaskKind.Redact,
        ["SHOW_LAST_4"] = MaskKind.ShowLast4,
        ["SHOW_FIRST_4"] = MaskKind.ShowFirst4,
        ["HASH"] = MaskKind.Hash,
        ["DATE_SHOW_YEAR"] = MaskKind.DateShowYear,
    };

    public static AccessPolicyParseResult Parse(string json, string source = "")
    {
        ArgumentNullException.ThrowIfNull(json);
        var errors = new List<string>();
        var warnings = new List<string>();
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(json)))[..12];
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException ex)
        {
            return new(null, [$"not valid JSON: {ex.Message}"], warnings);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return new(null, ["the policy must be a JSON object of rule sections"], warnings);
            IReadOnlyList<CatalogRule>? catalogs = null;
            IReadOnlyList<SchemaRule>? schemas = null;
            IReadOnlyList<TableRule>? tables = null;
            IReadOnlyList<SessionPropertyRule>? sessionProperties = null;
            IReadOnlyList<ImpersonationRule>? impersonation = null;
            IReadOnlyList<QueryRule>? queries = null;
            IReadOnlyList<EngineRule>? engines = null;
            foreach (var section in root.EnumerateObject())
            {
                switch (section.Name)
                {
                    case "catalogs": catalogs = Rules(section, errors, CatalogRuleOf); break;
                    case "schemas": schemas = Rules(section, errors, SchemaRuleOf); break;
                    case "tables": tables = Rules(section, errors, TableRuleOf); break;
                    case "system_session_properties": sessionProperties = Rules(section, errors, SessionPropertyRuleOf); break;
                    case "impersonation": impersonation = Rules(section, errors, ImpersonationRuleOf); break;
                    case "queries": queries = Rules(section, errors, QueryRuleOf); break;
                    case "engines": engines = Rules(section, errors, EngineRuleOf); break;
                    case var name when IgnoredTrinoSections.Contains(name):
                        warnings.Add($"{name}: Trino's section is accepted but not enforced by the gateway");
                        break;
                    default:
                        errors.Add($"{section.Name}: not a section of the policy (catalogs, schemas, tables, system_session_properties, impersonation, queries, engines)");
                        break;
                }
            }
            if (errors.Count > 0) return new(null, errors, warnings);
            var label = string.IsNullOrEmpty(source) ? $"sha256:{hash}" : $"{source} (sha256:{hash})";
            return new(new AccessPolicy(catalogs, schemas, tables, sessionProperties, impersonation, queries, engines, label), [], warnings);
        }
    }

    private static List<T>? Rules<T>(JsonProperty section, List<string> errors, Func<RuleReader, T?> read) where T : class
    {
        if (section.Value.ValueKind != JsonValueKind.Array)
        {
            errors.Add($"{section.Name}: must be an array of rules");
            return null;
        }
        var rules = new List<T>();
        var i = 0;
        foreach (var element in section.Value.EnumerateArray())
        {
            var path = $"{section.Name}[{i++}]";
            if (element.ValueKind != JsonValueKind.Object)
            {
                errors.Add($"{path}: a rule must be a JSON object");
                continue;
            }
            var reader = new RuleReader(path, element, errors);
            var rule = read(reader);
            reader.RefuseUnread();
            if (rule is not null) rules.Add(rule);
        }
        return rules;
    }

    private static CatalogRule? CatalogRuleOf(RuleReader r)
    {
        var (user, group) = r.Principal();
        var catalog = r.Pattern("catalog");
        CatalogAccess? allow = null;
        if (r.Take("allow") is not { } value) r.Error("allow", "is required (all, read-only or none)");
        else if (value.ValueKind is JsonValueKind.True or JsonValueKind.False) allow = value.GetBoolean() ? CatalogAccess.All : CatalogAccess.None;
        else if (value.ValueKind == JsonValueKind.String)
        {
            allow = value.GetString() switch
            {
                "all" => CatalogAccess.All,
                "read-only" => CatalogAccess.ReadOnly,
                "none" => CatalogAccess.None,
                _ => null,
            };
            if (allow is null) r.Error("allow", $"must be all, read-only or none (was '{value.GetString()}')");
        }
        else r.Error("allow", "must be all, read-only or none");
        return allow is { } a ? new CatalogRule(r.Path, user, group, catalog, a) : null;
    }

    private static SchemaRule? SchemaRuleOf(RuleReader r)
    {
        var (user, group) = r.Principal();
        var catalog = r.Pattern("catalog");
        var schema = r.Pattern("schema");
        var owner = r.Bool("owner", required: true);
        return owner is { } o ? new SchemaRule(r.Path, user, group, catalog, schema, o) : null;
    }

    private static TableRule? TableRuleOf(RuleReader r)
    {
        var (user, group) = r.Principal();
        var catalog = r.Pattern("catalog");
        var schema = r.Pattern("schema");
        var table = r.Pattern("table");
        var privileges = r.FlagList("privileges", Privileges, TablePrivileges.None, (x, y) => x | y, "a list, possibly empty, of SELECT, INSERT, DELETE, UPDATE, OWNERSHIP, GRANT_SELECT");
        var columns = new List<ColumnConstraint>();
        if (r.Take("columns") is { } cols)
        {
            if (cols.ValueKind != JsonValueKind.Array) r.Error("columns", "must be a list of column constraints");
            else
            {
                var j = 0;
                var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
                foreach (var c in cols.EnumerateArray())
                {
                    var cr = new RuleReader($"{r.Path}.columns[{j++}]", c, r.Errors);
                    if (c.ValueKind != JsonValueKind.Object)
                    {
                        cr.Error(null, "must be a JSON object");
                        continue;
                    }
                    var name = cr.String("name", required: true);
                    var allow = cr.Bool("allow") ?? true;
                    var maskText = cr.String("mask");
                    cr.Environment("mask_environment");
                    cr.RefuseUnread();
                    if (name is null) continue;
                    if (!names.Add(name)) cr.Error("name", $"'{name}' is constrained twice in this rule");
                    if (!allow && maskText is not null) cr.Error("mask", "a column that is not allowed cannot also be masked");
                    if (maskText is not null && string.IsNullOrWhiteSpace(maskText)) cr.Error("mask", "is empty");
                    MaskKind? kind = maskText is null ? null : PortableMasks.TryGetValue(maskText.Trim(), out var k) ? k : MaskKind.Expression;
                    columns.Add(new ColumnConstraint(name, allow, kind, kind == MaskKind.Expression ? maskText : null));
                }
            }
        }
        var filter = r.String("filter");
        if (filter is not null && string.IsNullOrWhiteSpace(filter)) r.Error("filter", "is empty");
        r.Environment("filter_environment");
        return privileges is { } pr ? new TableRule(r.Path, user, group, catalog, schema, table, pr, columns, filter) : null;
    }

    private static SessionPropertyRule? SessionPropertyRuleOf(RuleReader r)
    {
        var (user, group) = r.Principal();
        var property = r.Pattern("property");
        var allow = r.Bool("allow", required: true);
        return allow is { } a ? new SessionPropertyRule(r.Path, user, group, property, a) : null;
    }

    private static ImpersonationRule? ImpersonationRuleOf(RuleReader r)
    {
        var original = r.Pattern("original_user");
        r.RefuseRole("original_role");
        var newUser = r.String("new_user", required: true);
        if (newUser is not null)
        {
            // Checked with its capture references standing for plain text.
            try
            {
                _ = new Regex(Regex.Replace(newUser, @"\$[0-9]", "x"), RegexOptions.CultureInvariant | RegexOptions.NonBacktracking);
            }
            catch (ArgumentException ex)
            {
                r.Error("new_user", $"is not a valid regular expression: {ex.Message}");
                newUser = null;
            }
        }
        var allow = r.Bool("allow") ?? true;
        return newUser is not null ? new ImpersonationRule(r.Path, original, newUser, allow) : null;
    }

    private static QueryRule? QueryRuleOf(RuleReader r)
    {
        var (user, group) = r.Principal();
        var owner = r.Pattern("queryOwner");
        var allow = r.FlagList("allow", QueryPermissions, QueryAccess.None, (x, y) => x | y, "a list of execute, view, kill");
        if (owner is not null && allow is { } a && (a & QueryAccess.Execute) != 0) r.Error("allow", "a rule with queryOwner cannot grant execute");
        return allow is { } q ? new QueryRule(r.Path, user, group, owner, q) : null;
    }

    private static EngineRule? EngineRuleOf(RuleReader r)
    {
        var (user, group) = r.Principal();
        var engine = r.Pattern("engine");
        var allow = r.Bool("allow", required: true);
        return allow is { } a ? new EngineRule(r.Path, user, group, engine, a) : null;
    }

    /// <summary>Reads one rule's fields, reporting each problem with the rule's path; what it never read is an unknown field.</summary>
    private sealed class RuleReader(string path, JsonElement element, List<string> errors)
    {
        private readonly HashSet<string> _read = new(StringComparer.Ordinal);

        public string Path => path;
        public List<string> Errors => errors;

        public void Error(string? field, string message) => errors.Add(field is null ? $"{path}: {message}" : $"{path}.{field}: {message}");

        public JsonElement? Take(string field)
        {
            _read.Add(field);
            return element.ValueKind == JsonValueKind.Object && element.TryGetProperty(field, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;
        }

        public (Regex? User, Regex? Group) Principal()
        {
            var user = Pattern("user");
            var group = Pattern("group");
            RefuseRole("role");
            return (user, group);
        }

        /// <summary>The gateway has no roles; a rule naming one would silently match nobody (or, read as a group, the wrong users).</summary>
        public void RefuseRole(string field)
        {
            if (Take(field) is not null) Error(field, "the gateway has no roles; match users by 'user' or 'group'");
        }

        /// <summary>A regular expression that must match a whole name (as Java's <c>matches</c>); linear-time, so no input can stall a decision.</summary>
        public Regex? Pattern(string field)
        {
            if (String(field) is not { } text) return null;
            try
            {
                // Checked alone first, so that an error quotes the author's pattern, not the anchored one.
                _ = new Regex(text, RegexOptions.CultureInvariant | RegexOptions.NonBacktracking);
                return new Regex("^(?:" + text + ")$", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking);
            }
            catch (Exception ex) when (ex is ArgumentException or NotSupportedException)
            {
                Error(field, $"is not a valid regular expression: {ex.Message}");
                return null;
            }
        }

        public string? String(string field, bool required = false)
        {
            var v = Take(field);
            if (v is null)
            {
                if (required) Error(field, "is required");
                return null;
            }
            if (v.Value.ValueKind != JsonValueKind.String)
            {
                Error(field, "must be a string");
                return null;
            }
            return v.Value.GetString();
        }

        /// <summary>A required list of names from <paramref name="values"/>, combined; null (and an error) when absent or wrong.</summary>
        public T? FlagList<T>(string field, Dictionary<string, T> values, T none, Func<T, T, T> combine, string what) where T : struct
        {
            if (Take(field) is not { } list)
            {
                Error(field, $"is required ({what})");
                return null;
            }
            if (list.ValueKind != JsonValueKind.Array)
            {
                Error(field, $"must be {what}");
                return null;
            }
            var result = none;
            foreach (var item in list.EnumerateArray())
            {
                if (item.ValueKind == JsonValueKind.String && values.TryGetValue(item.GetString()!, out var one)) result = combine(result, one);
                else Error(field, $"'{item}' is not one of {string.Join(", ", values.Keys)}");
            }
            return result;
        }

        public bool? Bool(string field, bool required = false)
        {
            var v = Take(field);
            if (v is null)
            {
                if (required) Error(field, "is required (true or false)");
                return null;
            }
            if (v.Value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                Error(field, "must be true or false");
                return null;
            }
            return v.Value.GetBoolean();
        }

        /// <summary>
        /// <c>filter_environment</c>/<c>mask_environment</c>: Trino runs the expression as another user. The gateway runs
        /// it inside the user's own statement, so it accepts only an object with <c>user</c> and says so in the docs.
        /// </summary>
        public void Environment(string field)
        {
            if (Take(field) is not { } env) return;
            if (env.ValueKind != JsonValueKind.Object)
            {
                Error(field, "must be an object");
                return;
            }
            foreach (var p in env.EnumerateObject())
            {
                if (p.Name != "user" || p.Value.ValueKind != JsonValueKind.String) Error(field, $"only a 'user' string is accepted (found '{p.Name}')");
            }
        }

        public void RefuseUnread()
        {
            if (element.ValueKind != JsonValueKind.Object) return;
            foreach (var p in element.EnumerateObject())
            {
                if (!_read.Contains(p.Name)) Error(null, $"unknown field '{p.Name}'");
            }
        }
    }
}

/// <summary>A parsed policy, or the problems that refused it (never both).</summary>
public sealed record AccessPolicyParseResult(AccessPolicy? Policy, IReadOnlyList<string> Errors, IReadOnlyList<string> Warnings)
{
    public bool Valid => Policy is not null;
}
