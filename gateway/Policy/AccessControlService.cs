using System.Security.Cryptography;
using System.Text;
using Gateway.Router.Policy;
using Gateway.Router.Routing;
using Gateway.Router.Sql;
using Gateway.Server.Configuration;
using Gateway.Server.Engines;
using Gateway.Server.Hosting;
using Gateway.Server.Routing;
using Gateway.Server.Sessions;
using Microsoft.Extensions.Logging;

namespace Gateway.Server.Policy;

/// <summary>
/// The access policy in force (<c>Gateway:AccessControl:ConfigFile</c>) and its enforcement on each statement. The
/// policy is one immutable snapshot, swapped whole when the file changes and the new one is valid; an invalid file is
/// refused with every problem logged and the last good policy stays (at start, an invalid or missing file stops the
/// gateway: a configured policy never silently opens access). Every decision under a policy that governs data is
/// logged on the <c>Gateway.Audit</c> category (user, statement hash, allowed or denied, the rules that decided).
/// </summary>
public sealed partial class AccessControlService : IDisposable
{
    private static readonly IReadOnlySet<string> DefaultSchemas = RoutingService.DefaultSchemas;

    private readonly string? _path;
    private readonly TimeSpan _refresh;
    private readonly EngineRegistry _engines;
    private readonly CatalogRegistry _catalogs;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ILogger _audit;
    // Columns of restricted tables, for a minute: a stale list fails safe (a new column stays out of the subquery, a
    // dropped one fails the statement), and a dashboard's every statement would otherwise ask the catalog again.
    private static readonly TimeSpan ColumnsTtl = TimeSpan.FromMinutes(1);
    private const int MaxCachedTables = 10_000;
    // An information_schema read is filtered with the visible tables named in the statement: bounded.
    private const int MaxListedTables = 20_000;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Catalog, string? Schema, string Table), (IReadOnlyList<PolicyColumn> Columns, DateTimeOffset At)> _columns = new();
    private volatile AccessPolicy _policy;
    private string? _seenText;
    private ITimer? _timer;
    private int _reloading;

    public AccessControlService(GatewayOptions options, EngineRegistry engines, CatalogRegistry catalogs, TimeProvider time, ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggers);
        _engines = engines ?? throw new ArgumentNullException(nameof(engines));
        _catalogs = catalogs ?? throw new ArgumentNullException(nameof(catalogs));
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _logger = loggers.CreateLogger<AccessControlService>();
        _audit = loggers.CreateLogger("Gateway.Audit");
        _refresh = options.AccessControl.RefreshPeriod;
        if (string.IsNullOrWhiteSpace(options.AccessControl.ConfigFile))
        {
            _policy = AccessPolicy.AllowAll;
            return;
        }
        _path = Path.GetFullPath(options.AccessControl.ConfigFile);
        var (text, result) = Read(_path);
        if (result.Policy is null) throw new GatewayConfigurationException([.. result.Errors.Select(e => $"Gateway:AccessControl:ConfigFile ({_path}): {e}")]);
        foreach (var w in result.Warnings) LogWarning(_logger, _path, w);
        _policy = result.Policy;
        _seenText = text;
        LogLoaded(_logger, _policy.Source);
    }

    /// <summary>The policy in force now.</summary>
    public AccessPolicy Current => _policy;

    /// <summary>The last reload that found the file changed: when, and the problems that refused it (empty: applied).</summary>
    public AccessPolicyReload? LastReload { get; private set; }

    /// <summary>Starts re-reading the file every RefreshPeriod (nothing to do without a file).</summary>
    public void Start()
    {
        if (_path is null || _timer is not null) return;
        _timer = _time.CreateTimer(_ => Reload(), null, _refresh, _refresh);
    }

    /// <summary>Reads the file again; applies it when it changed and is valid. Returns the problems that refused it.</summary>
    public IReadOnlyList<string> Reload()
    {
        if (_path is null) return [];
        if (Interlocked.Exchange(ref _reloading, 1) != 0) return [];
        try
        {
            var (text, result) = Read(_path);
            // Unchanged since the last read, valid or not (or unreadable for the same reason): nothing to apply, nothing to log again.
            var seen = text ?? "\0" + string.Join("|", result.Errors);
            if (seen == _seenText) return LastReload?.Errors ?? [];
            _seenText = seen;
            IReadOnlyList<string> errors;
            if (result.Policy is { } policy)
            {
                _policy = policy;
                errors = [];
                foreach (var w in result.Warnings) LogWarning(_logger, _path, w);
                LogLoaded(_logger, policy.Source);
            }
            else
            {
                errors = result.Errors;
                LogRefused(_logger, _path, errors.Count, string.Join(" | ", errors), _policy.Source);
            }
            LastReload = new AccessPolicyReload(_time.GetUtcNow(), errors);
            return errors;
        }
        finally
        {
            Volatile.Write(ref _reloading, 0);
        }
    }

    private static (string? Text, AccessPolicyParseResult Result) Read(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return (null, new AccessPolicyParseResult(null, [$"cannot be read: {ex.Message}"], []));
        }
        return (text, AccessPolicyParser.Parse(text, path));
    }

    /// <summary>
    /// Checks a routed statement for <paramref name="session"/>'s user: the engines it may use (an explicit choice of
    /// another is refused; failover goes only to engines it may use and where the statement is allowed too), then the
    /// statement itself. A statement that reads tables with row filters or column constraints is rewritten into one
    /// that reads them through scan-site subqueries (and runs on the chosen engine only: its masks are that engine's
    /// SQL). Returns the decision and the text to run, or throws SQLSTATE 42000.
    /// </summary>
    public async ValueTask<(RoutingDecision Decision, string Statement)> AuthorizeAsync(RoutingDecision decision, Hs2Session session, string statement, CancellationToken cancellationToken)
    {
        var (d, s, _) = await AuthorizeCoreAsync(decision, session, statement, cancellationToken).ConfigureAwait(false);
        return (d, s);
    }

    /// <summary>
    /// For <c>EXPLAIN ROUTING</c>: what the policy does to the inner statement, as one line, or null without a policy.
    /// A user who may view other users' queries (the <c>queries</c> section; everyone without one) sees the rules and the
    /// rewritten statement; others see only that a policy applies. Refused statements are refused here too.
    /// </summary>
    public async ValueTask<string?> ExplainAsync(RoutingDecision decision, Hs2Session session, string statement, CancellationToken cancellationToken)
    {
        var policy = _policy;
        if (policy.Engines is null && !policy.GovernsData) return null;
        var (_, rewritten, result) = await AuthorizeCoreAsync(decision, session, statement, cancellationToken).ConfigureAwait(false);
        var subject = new AccessSubject(session.User, session.Info.Groups);
        if ((policy.QueryAccessFor(subject, "\u0000another user").Access & QueryAccess.View) == 0) return "an access policy applies to this statement";
        var inner = decision.Analysis.InnerStatement is { } text && statement.IndexOf(text, StringComparison.Ordinal) is var at and >= 0 ? at : 0;
        var what = result!.Restricted.Count > 0 ? $"rewritten ({string.Join(", ", result.Restricted.Select(r => r.Name.ToString()).Distinct())} filtered or masked); runs: {rewritten[inner..].Trim()}" : "allowed";
        return $"{what}; rules: {result.RulesText}; policy: {policy.Source}";
    }

    private async ValueTask<(RoutingDecision Decision, string Statement, AccessDecision? Result)> AuthorizeCoreAsync(RoutingDecision decision, Hs2Session session, string statement, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(decision);
        ArgumentNullException.ThrowIfNull(session);
        var policy = _policy;
        if (policy.Engines is null && !policy.GovernsData) return (decision, statement, null);
        var subject = new AccessSubject(session.User, session.Info.Groups);
        var (engineAllowed, engineRule) = policy.EngineFor(subject, decision.Engine);
        AccessDecision result;
        if (!engineAllowed)
        {
            result = AccessDecision.Deny($"{subject.User} may not run statements on engine {decision.Engine} ({engineRule ?? "no engine rule applies"})", engineRule is null ? [] : [engineRule]);
        }
        else
        {
            result = StatementAccessCheck.Check(policy, subject, decision.Analysis, Resolver(decision.Engine, session));
            if (engineRule is not null) result = result with { Rules = [engineRule, .. result.Rules] };
        }
        if (result.Allowed && result.Restricted.Count > 0)
        {
            var (rewritten, error) = await RewriteAsync(decision, session, statement, result, cancellationToken).ConfigureAwait(false);
            if (rewritten is null) result = AccessDecision.Deny(error!, result.Rules);
            else
            {
                Audit(policy, subject, statement, decision.Engine, result, rewritten: true);
                return (decision with { Failover = [] }, rewritten, result);
            }
        }
        Audit(policy, subject, statement, decision.Engine, result);
        if (!result.Allowed) throw Denied(result);
        if (decision.Failover.Count == 0) return (decision, statement, result);
        var failover = decision.Failover.Where(e => policy.EngineFor(subject, e).Allowed
            && StatementAccessCheck.Check(policy, subject, decision.Analysis, Resolver(e, session)) is { Allowed: true, Restricted.Count: 0 }).ToList();
        return (failover.Count == decision.Failover.Count ? decision : decision with { Failover = failover }, statement, result);
    }

    /// <summary>The statement with every restricted read rewritten, and checked to do what it did before; or why not.</summary>
    private async ValueTask<(string? Statement, string? Error)> RewriteAsync(RoutingDecision decision, Hs2Session session, string statement, AccessDecision result, CancellationToken cancellationToken)
    {
        var kind = _engines.Find(decision.Engine)?.Kind ?? Gateway.Engines.EngineKind.DuckDb;
        var sites = new List<RestrictedSite>();
        foreach (var read in result.Restricted)
        {
            if (read.Listing is { } listing)
            {
                var (site, failed) = await ListingSiteAsync(read, listing, decision.Engine, kind, session, cancellationToken).ConfigureAwait(false);
                if (site is null) return (null, failed);
                sites.Add(site);
                continue;
            }
            var catalog = read.Name.Catalog is { } c ? _catalogs.Find(c) : null;
            IReadOnlyList<PolicyColumn>? columns = null;
            if (catalog is not null)
            {
                // A default schema (Hive's default, DuckDB's main, PostgreSQL's public) is each catalog's own default.
                var schema = read.Reference.Schema ?? session.CurrentDatabase;
                if (schema is not null && DefaultSchemas.Contains(schema)) schema = null;
                var key = (catalog.Name, schema, read.Reference.Name);
                var now = _time.GetUtcNow();
                if (_columns.TryGetValue(key, out var cached) && now - cached.At < ColumnsTtl)
                {
                    columns = cached.Columns;
                }
                else
                {
                    try
                    {
                        var listed = await catalog.ListColumnsAsync(new Gateway.Catalog.TableRef(null, schema, read.Reference.Name), cancellationToken).ConfigureAwait(false);
                        if (listed is not null)
                        {
                            columns = [.. listed.Select(col => new PolicyColumn(col.Name, col.Type))];
                            if (_columns.Count >= MaxCachedTables) _columns.Clear();
                            _columns[key] = (columns, now);
                        }
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        return (null, $"the columns of {read.Name}, which {read.Rule.Name} restricts, could not be read from catalog {catalog.Name} ({ex.Message})");
                    }
                }
            }
            if (columns is null) return (null, $"the columns of {read.Name}, which {read.Rule.Name} restricts, are not known to any catalog of the gateway");
            sites.Add(new RestrictedSite(read.Reference, read.Name, read.Rule, columns));
        }
        var rewritten = PolicyRewriter.Rewrite(statement, decision.Analysis.Dialect, kind, sites, session.User, out var error);
        if (rewritten is null) return (null, error);
        // After rewriting, a read is still a read: the same kind of statement, writing the same tables.
        var again = StatementAnalyzer.Analyze(rewritten, decision.Analysis.Dialect);
        var before = decision.Analysis;
        if (again.Status != AnalysisStatus.Complete || again.Kind != before.Kind || again.IsWrite != before.IsWrite
            || !again.Writes.Select(w => w.Key).SequenceEqual(before.Writes.Select(w => w.Key)))
        {
            return (null, "the statement rewritten for the policy's filters and masks would not do what the original does");
        }
        return (rewritten, null);
    }

    /// <summary>
    /// A read of an engine's <c>information_schema</c> listing, filtered to what the user may see: the schemas, tables and
    /// columns of the read's gateway catalog (listed again for each such read: listings are not a hot path) that the policy shows them (<see cref="SystemListings"/>).
    /// </summary>
    private async ValueTask<(RestrictedSite? Site, string? Error)> ListingSiteAsync(RestrictedRead read, SystemListing listing, string engine,
        Gateway.Engines.EngineKind kind, Hs2Session session, CancellationToken cancellationToken)
    {
        if (!SystemListings.Supports(kind)) return (null, $"{read.Name} of a {kind} engine cannot be filtered by the access policy");
        var catalog = read.Name.Catalog is { } c ? _catalogs.Find(c) : null;
        if (catalog is null) return (null, $"{read.Name} is filtered from the gateway catalog {read.Name.Catalog ?? "of its engine"}, and none is configured");
        var policy = _policy;
        var subject = new AccessSubject(session.User, session.Info.Groups);
        var (_, fold) = Naming(engine);
        var name = read.Name.Catalog;
        string filter;
        try
        {
            if (listing == SystemListing.Schemata)
            {
                var schemas = await catalog.ListSchemasAsync(cancellationToken).ConfigureAwait(false);
                filter = SystemListings.SchemataFilter(schemas.Where(s => policy.SchemaVisibleTo(subject, name, SchemaName(s, fold))), kind);
            }
            else
            {
                var tables = (await catalog.ListTablesAsync(null, cancellationToken).ConfigureAwait(false))
                    .Where(t => policy.TableVisibleTo(subject, name, SchemaName(t.Table.Schema ?? "default", fold), fold(t.Table.Name)))
                    .Select(t => (Schema: t.Table.Schema ?? "default", t.Table.Name)).ToList();
                if (tables.Count > MaxListedTables)
                {
                    return (null, $"{read.Name} would list {tables.Count} tables, more than the access policy filters ({MaxListedTables}); list them with GetTables or SHOW TABLES");
                }
                filter = listing == SystemListing.Tables
                    ? SystemListings.TablesFilter(tables, kind)
                    : SystemListings.ColumnsFilter(tables.Select(t => (t.Schema, t.Name, (IReadOnlyCollection<string>)[..
                        policy.TableRuleFor(subject, name, SchemaName(t.Schema, fold), fold(t.Name))?.Columns.Where(col => !col.Allow).Select(col => col.Name) ?? []])), kind);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return (null, $"{read.Name} is filtered from what catalog {catalog.Name} lists, which could not be read ({ex.Message})");
        }
        return (new RestrictedSite(read.Reference, read.Name, SystemListings.Rule(read.Name, filter), null), null);
    }

    /// <summary>
    /// Whether the session's user may see a schema, a table or a column of the gateway catalog <paramref name="catalog"/>
    /// as that catalog's own listing spells them (names folded to lower case unless <paramref name="caseSensitive"/>, as
    /// for PostgreSQL): for listings of a catalog other than the session engine's.
    /// </summary>
    public CatalogVisibility VisibilityIn(Hs2Session session, string catalog, bool caseSensitive)
    {
        var policy = _policy;
        Func<string, string> fold = caseSensitive ? static s => s : static s => s.ToLowerInvariant();
        var subject = new AccessSubject(session.User, session.Info.Groups);
        var name = catalog.ToLowerInvariant();
        if (!policy.GovernsData) return CatalogVisibility.All;
        return new(
            schema => policy.SchemaVisibleTo(subject, name, SchemaName(schema, fold)),
            (schema, table) => policy.TableVisibleTo(subject, name, SchemaName(schema, fold), fold(table)),
            (schema, table, column) => policy.ColumnVisibleTo(subject, name, SchemaName(schema, fold), fold(table), column));
    }

    /// <summary>The schemas of a GetSchemas answer that the session's user may see (all without data rules).</summary>
    public IReadOnlyList<Gateway.Engines.SchemaInfo> Visible(Hs2Session session, IReadOnlyList<Gateway.Engines.SchemaInfo> schemas)
    {
        var policy = _policy;
        if (!policy.GovernsData) return schemas;
        var (subject, catalog, fold) = Listing(session);
        return [.. schemas.Where(s => policy.SchemaVisibleTo(subject, catalog, SchemaName(s.Schema, fold)))];
    }

    /// <summary>The tables of a GetTables answer that the session's user may see: any privilege in an open catalog.</summary>
    public IReadOnlyList<Gateway.Engines.TableInfo> Visible(Hs2Session session, IReadOnlyList<Gateway.Engines.TableInfo> tables)
    {
        var policy = _policy;
        if (!policy.GovernsData) return tables;
        var (subject, catalog, fold) = Listing(session);
        return [.. tables.Where(t => policy.TableVisibleTo(subject, catalog, SchemaName(t.Schema, fold), fold(t.Name)))];
    }

    /// <summary>The columns of a GetColumns answer that the session's user may see: of visible tables, and not blocked.</summary>
    public IReadOnlyList<Gateway.Engines.ColumnMetadata> Visible(Hs2Session session, IReadOnlyList<Gateway.Engines.ColumnMetadata> columns)
    {
        var policy = _policy;
        if (!policy.GovernsData) return columns;
        var (subject, catalog, fold) = Listing(session);
        return [.. columns.Where(c => policy.ColumnVisibleTo(subject, catalog, SchemaName(c.Schema, fold), fold(c.Table), c.Name))];
    }

    /// <summary>
    /// Under a policy with data rules, the gateway's own answer to a listing statement (SHOW SCHEMAS/DATABASES,
    /// SHOW TABLES/VIEWS, DESCRIBE of a table), built from the session engine's metadata in Hive's layouts so that it
    /// names only what the user may see; null for any other statement (or without such a policy). A listing the policy
    /// refuses throws SQLSTATE 42000.
    /// </summary>
    public async ValueTask<Func<Hs2Session, Gateway.Engines.IEngineMetadata, CancellationToken, ValueTask<Gateway.Protocol.Columnar.ColumnBatch>>?> ListingAsync(
        RoutingDecision decision, Hs2Session session, string statement, CancellationToken cancellationToken)
    {
        var analysis = decision.Analysis;
        if (!_policy.GovernsData || !analysis.IsReliable) return null;
        switch (analysis.Verb)
        {
            case "SHOW SCHEMAS" or "SHOW DATABASES":
                {
                    var like = PolicyListings.LikePattern(statement);
                    return async (s, md, ct) => PolicyListings.Names("database_name", ShowSchemas(s, await md.GetSchemasAsync(null, null, ct).ConfigureAwait(false), like));
                }
            case "SHOW TABLES" or "SHOW VIEWS":
                {
                    // The schema itself must be open to the user (its catalog).
                    await AuthorizeAsync(decision, session, statement, cancellationToken).ConfigureAwait(false);
                    var schema = analysis.Reads.FirstOrDefault(r => r.Kind == TableReferenceKind.Schema)?.Name ?? session.CurrentDatabase;
                    var like = PolicyListings.LikePattern(statement);
                    string[]? types = analysis.Verb == "SHOW VIEWS" ? ["VIEW"] : null;
                    return async (s, md, ct) => PolicyListings.Names("tab_name", ShowTables(s, await md.GetTablesAsync(null, null, null, types, ct).ConfigureAwait(false), schema, like));
                }
            case "DESCRIBE" when analysis.Reads is [{ Kind: TableReferenceKind.Table } described]:
                {
                    var extended = PolicyListings.IsExtendedDescribe(statement);
                    return async (s, md, ct) =>
                    {
                        var columns = Describe(s, await md.GetColumnsAsync(null, null, described.Name, null, ct).ConfigureAwait(false), described);
                        var table = extended ? TableOf(s, await md.GetTablesAsync(null, null, described.Name, null, ct).ConfigureAwait(false), described) : null;
                        return PolicyListings.Describe(columns, extended, table);
                    };
                }
            case "SHOW COLUMNS" when analysis.Reads is [{ Kind: TableReferenceKind.Table } shown]:
                {
                    // SHOW COLUMNS IN t LIKE 'p' (Hive's pattern, after the table and its database).
                    var pattern = PolicyListings.HivePattern(PolicyListings.LikePattern(statement));
                    return async (s, md, ct) => PolicyListings.Names("field",
                        [.. Describe(s, await md.GetColumnsAsync(null, null, shown.Name, null, ct).ConfigureAwait(false), shown, "SHOW COLUMNS")
                            .Select(c => c.Name).Where(n => pattern is null || pattern.IsMatch(n))]);
                }
            case "SHOW TABLE":
                {
                    // SHOW TABLE EXTENDED [IN db] LIKE 'p' (dbt-spark lists relations with it): Spark's layout, naming
                    // only the visible tables, each with only its visible columns. The schema must be open to the user.
                    if (PolicyListings.HasPartitionSpec(statement))
                    {
                        throw Denied(AccessDecision.Deny("SHOW TABLE EXTENDED ... PARTITION cannot be filtered by the access policy", []));
                    }
                    await AuthorizeAsync(decision, session, statement, cancellationToken).ConfigureAwait(false);
                    var schema = analysis.Reads.FirstOrDefault(r => r.Kind == TableReferenceKind.Schema)?.Name ?? session.CurrentDatabase;
                    var like = PolicyListings.LikePattern(statement);
                    return async (s, md, ct) =>
                    {
                        var tables = Visible(s, await md.GetTablesAsync(null, null, null, null, ct).ConfigureAwait(false));
                        var names = ShowTables(s, tables, schema, like).ToHashSet(StringComparer.Ordinal);
                        var target = schema is null || DefaultSchemas.Contains(schema) ? null : schema;
                        var shown = tables.Where(t => names.Contains(t.Name) && (target is null ? DefaultSchemas.Contains(t.Schema) : t.Schema.Equals(target, StringComparison.OrdinalIgnoreCase)))
                            .GroupBy(t => t.Name, StringComparer.Ordinal).Select(g => g.First()).OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
                        var columns = shown.Count == 0 ? [] : Visible(s, await md.GetColumnsAsync(null, null, null, null, ct).ConfigureAwait(false));
                        return PolicyListings.TableExtended(s.User, [.. shown.Select(t => (t, (IReadOnlyList<Gateway.Engines.ColumnMetadata>)[.. columns
                            .Where(c => c.Schema == t.Schema && c.Table == t.Name).OrderBy(c => c.Position)]))]);
                    };
                }
            default:
                return null;
        }
    }

    /// <summary>
    /// <c>SHOW TABLES</c>/<c>SHOW VIEWS</c> under a policy with data rules, answered from the session engine's own listing
    /// so that it names only what the user may see: the table names of <paramref name="schema"/> (a default schema is any
    /// of the defaults), matching Hive's <c>LIKE</c> pattern (<c>*</c> any run, <c>|</c> alternatives, case ignored).
    /// </summary>
    private IReadOnlyList<string> ShowTables(Hs2Session session, IReadOnlyList<Gateway.Engines.TableInfo> tables, string? schema, string? like)
    {
        var target = schema is null || DefaultSchemas.Contains(schema) ? null : schema;
        var pattern = PolicyListings.HivePattern(like);
        return [.. Visible(session, tables)
            .Where(t => target is null ? DefaultSchemas.Contains(t.Schema) : t.Schema.Equals(target, StringComparison.OrdinalIgnoreCase))
            .Where(t => pattern is null || pattern.IsMatch(t.Name))
            .Select(t => t.Name).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
    }

    /// <summary>
    /// <c>SHOW SCHEMAS</c>/<c>SHOW DATABASES</c> under a policy with data rules: the visible schemas (a default schema is
    /// named <c>default</c>, as Hive names it), matching Hive's <c>LIKE</c> pattern.
    /// </summary>
    private IReadOnlyList<string> ShowSchemas(Hs2Session session, IReadOnlyList<Gateway.Engines.SchemaInfo> schemas, string? like)
    {
        var pattern = PolicyListings.HivePattern(like);
        return [.. Visible(session, schemas)
            .Select(s => DefaultSchemas.Contains(s.Schema) ? "default" : s.Schema)
            .Where(n => pattern is null || pattern.IsMatch(n))
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
    }

    /// <summary>
    /// <c>DESCRIBE t</c> under a policy with data rules, answered from the session engine's listing: the visible columns
    /// of <paramref name="reference"/> (blocked ones left out), or SQLSTATE 42000 when the user may not see the table.
    /// </summary>
    private IReadOnlyList<Gateway.Engines.ColumnMetadata> Describe(Hs2Session session, IReadOnlyList<Gateway.Engines.ColumnMetadata> columns, TableReference reference, string verb = "DESCRIBE")
    {
        var policy = _policy;
        var (subject, catalog, fold) = Listing(session);
        var schema = reference.Schema ?? session.CurrentDatabase;
        var target = schema is null || DefaultSchemas.Contains(schema) ? "default" : fold(schema);
        var name = fold(reference.Name);
        if (!policy.TableVisibleTo(subject, catalog, target, name))
        {
            var result = AccessDecision.Deny($"{subject.User} may not {verb} {catalog}.{target}.{name}: no privilege on it", []);
            Audit(policy, subject, verb + " " + reference, null, result);
            throw Denied(result);
        }
        return [.. Visible(session, columns).Where(c => SchemaName(c.Schema, fold) == target && fold(c.Table) == name).OrderBy(c => c.Position)];
    }

    /// <summary>The listed table <paramref name="reference"/> names (its type and comment for DESCRIBE EXTENDED), once <see cref="Describe"/> allowed it.</summary>
    private Gateway.Engines.TableInfo? TableOf(Hs2Session session, IReadOnlyList<Gateway.Engines.TableInfo> tables, TableReference reference)
    {
        var (_, _, fold) = Listing(session);
        var schema = reference.Schema ?? session.CurrentDatabase;
        var target = schema is null || DefaultSchemas.Contains(schema) ? "default" : fold(schema);
        return tables.FirstOrDefault(t => SchemaName(t.Schema, fold) == target && fold(t.Name) == fold(reference.Name));
    }

    /// <summary>Metadata calls list the session's engine: its objects are named as statements on it would name them.</summary>
    private (AccessSubject Subject, string Catalog, Func<string, string> Fold) Listing(Hs2Session session)
    {
        var engine = _engines.Of(session.Engine) ?? _engines.Default;
        var (catalog, fold) = Naming(engine.Name);
        return (new AccessSubject(session.User, session.Info.Groups), fold(catalog), fold);
    }

    /// <summary>
    /// How the policy names what an engine holds: its first <c>Catalogs</c> entry (the embedded DuckDB's is
    /// <c>embedded</c>, an engine that lists none is a catalog of its own name), names lower-cased except on PostgreSQL,
    /// whose quoted names are case-sensitive.
    /// </summary>
    private (string Catalog, Func<string, string> Fold) Naming(string engineName)
    {
        var engine = _engines.Find(engineName);
        var catalog = engine is not null ? EngineRegistry.CatalogOf(engine)
            : engineName.Equals(EngineRegistry.EmbeddedName, StringComparison.OrdinalIgnoreCase) ? CatalogOptions.EmbeddedName : engineName;
        Func<string, string> fold = engine?.Kind == Gateway.Engines.EngineKind.Postgres ? static s => s : static s => s.ToLowerInvariant();
        return (catalog, fold);
    }

    private static string SchemaName(string schema, Func<string, string> fold) => DefaultSchemas.Contains(schema) ? "default" : fold(schema);

    /// <summary><c>SET key=value</c> and statement overlays: refused (42000) when the system_session_properties section denies the key.</summary>
    public void CheckSessionProperty(string user, IReadOnlyList<string> groups, string key)
    {
        var policy = _policy;
        if (policy.SessionProperties is null) return;
        var (allowed, rule) = policy.SessionPropertyFor(new AccessSubject(user, groups), key);
        if (allowed) return;
        var result = AccessDecision.Deny($"{user} may not set session property {key} ({rule ?? "no session property rule applies"})", rule is null ? [] : [rule]);
        Audit(policy, new AccessSubject(user, groups), "SET " + key, null, result);
        throw Denied(result);
    }

    /// <summary>
    /// <c>hive.server2.proxy.user</c>: refused (42000, audited) unless the policy's impersonation section lets
    /// <paramref name="user"/> act as <paramref name="newUser"/>; allowed ones are audited too. Without an impersonation
    /// section nobody may act as another user.
    /// </summary>
    public void CheckImpersonation(string user, IReadOnlyList<string> groups, string newUser)
    {
        var policy = _policy;
        var subject = new AccessSubject(user, groups);
        var (allowed, rule) = policy.ImpersonationFor(subject, newUser);
        var result = allowed
            ? AccessDecision.Allow(rule is null ? [] : [rule])
            : AccessDecision.Deny($"{user} may not act as {newUser} ({rule ?? (policy.Impersonation is null ? "the access policy has no impersonation rules" : "no impersonation rule applies")})", rule is null ? [] : [rule]);
        if (_audit.IsEnabled(LogLevel.Information)) LogImpersonation(_audit, user, newUser, allowed ? "allowed" : "denied", result.RulesText, policy.Source);
        if (!allowed) throw Denied(result);
    }

    private static GatewayException Denied(AccessDecision result) => new($"Access denied: {result.Reason}.", "42000");

    /// <summary>
    /// Names a reference as the policy sees it: three-part names keep their catalog; shorter ones are in the first
    /// catalog of the engine that runs the statement (the embedded DuckDB's is <c>embedded</c>, an engine without
    /// catalogs is its own name); a missing schema is the session's database; every default schema (Hive's default,
    /// DuckDB's main, PostgreSQL's public) is <c>default</c>. Names are lower-cased except on PostgreSQL, whose quoted
    /// names are case-sensitive.
    /// </summary>
    private PolicyNameResolver Resolver(string engineName, Hs2Session session)
    {
        var (catalog, fold) = Naming(engineName);
        var current = session.CurrentDatabase;
        return reference => reference.Kind == TableReferenceKind.Schema
            ? new PolicyName(fold(reference.Catalog ?? catalog), null, SchemaName(reference.Name, fold))
            : new PolicyName(fold(reference.Catalog ?? catalog), SchemaName(reference.Schema ?? current ?? "default", fold), fold(reference.Name));
    }

    private void Audit(AccessPolicy policy, AccessSubject subject, string statement, string? engine, AccessDecision result, bool rewritten = false)
    {
        if (!_audit.IsEnabled(LogLevel.Information)) return;
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(statement)))[..16];
        if (rewritten) LogRewritten(_audit, subject.User, hash, engine ?? "-", string.Join(", ", result.Restricted.Select(r => r.Name.ToString()).Distinct()), result.RulesText, policy.Source);
        else if (result.Allowed) LogAllowed(_audit, subject.User, hash, engine ?? "-", result.RulesText, policy.Source);
        else LogDenied(_audit, subject.User, hash, engine ?? "-", result.Reason ?? "", result.RulesText, policy.Source);
    }

    public void Dispose() => _timer?.Dispose();

    [LoggerMessage(EventId = 130, Level = LogLevel.Information, Message = "access policy in force: {Source}")]
    private static partial void LogLoaded(ILogger logger, string source);

    [LoggerMessage(EventId = 131, Level = LogLevel.Error, Message = "access policy {Path} refused, the last good policy ({Current}) stays in force ({Count} problems): {Errors}")]
    private static partial void LogRefused(ILogger logger, string path, int count, string errors, string current);

    [LoggerMessage(EventId = 132, Level = LogLevel.Warning, Message = "access policy {Path}: {Warning}")]
    private static partial void LogWarning(ILogger logger, string path, string warning);

    [LoggerMessage(EventId = 140, Level = LogLevel.Information, Message = "access allowed: user={User} statement={Hash} engine={Engine} rules={Rules} policy={Policy}")]
    private static partial void LogAllowed(ILogger logger, string user, string hash, string engine, string rules, string policy);

    [LoggerMessage(EventId = 142, Level = LogLevel.Information, Message = "access rewritten: user={User} statement={Hash} engine={Engine} filtered/masked={Tables} rules={Rules} policy={Policy}")]
    private static partial void LogRewritten(ILogger logger, string user, string hash, string engine, string tables, string rules, string policy);

    [LoggerMessage(EventId = 143, Level = LogLevel.Information, Message = "impersonation {Outcome}: user={User} as={NewUser} rules={Rules} policy={Policy}")]
    private static partial void LogImpersonation(ILogger logger, string user, string newUser, string outcome, string rules, string policy);

    [LoggerMessage(EventId = 141, Level = LogLevel.Warning, Message = "access denied: user={User} statement={Hash} engine={Engine} reason={Reason} rules={Rules} policy={Policy}")]
    private static partial void LogDenied(ILogger logger, string user, string hash, string engine, string reason, string rules, string policy);
}

/// <summary>A reload of the policy file: when, and the problems that refused it (empty: applied).</summary>
public sealed record AccessPolicyReload(DateTimeOffset At, IReadOnlyList<string> Errors)
{
    public bool Applied => Errors.Count == 0;
}

/// <summary>What of one catalog's listing a user may see (<see cref="AccessControlService.VisibilityIn"/>).</summary>
public sealed record CatalogVisibility(Func<string, bool> Schema, Func<string, string, bool> Table, Func<string, string, string, bool> Column)
{
    public static CatalogVisibility All { get; } = new(_ => true, (_, _) => true, (_, _, _) => true);
}
