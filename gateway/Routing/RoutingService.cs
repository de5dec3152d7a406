using Gateway.Engines;
using Gateway.Protocol.Sql;
using Gateway.Router.Routing;
using Gateway.Router.Sql;
using Gateway.Server.Configuration;
using Gateway.Server.Engines;
using Gateway.Server.Sessions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;

namespace Gateway.Server.Routing;

/// <summary>
/// The gateway's side of routing: for each statement it builds the router's inputs — the session as a
/// <see cref="RoutingContext"/>, every registered engine as an <see cref="EngineCandidate"/> (configured profile, live
/// load and health), the statement's table statistics from the catalogs — and asks the current
/// <see cref="StatementRouter"/>. The router and the engines' profiles are an immutable snapshot, swapped whole when
/// the configuration changes and the new one is valid.
/// </summary>
public sealed partial class RoutingService : IDisposable
{
    /// <summary>Session conf naming the client application, for rules that match on <c>Clients</c>.</summary>
    public const string ClientConf = "gateway.client";

    /// <summary>Session conf naming the SQL dialect the client writes (<c>spark</c>, <c>hive</c>, <c>trino</c>, <c>postgres</c>...), when not <c>Routing:Dialect</c>.</summary>
    public const string DialectConf = "gateway.dialect";

    /// <summary>Session conf naming the catalog unqualified names resolve in first (the JDBC URL's catalog, <c>use:catalog</c>).</summary>
    public const string CatalogConf = "gateway.catalog";

    /// <summary>Each engine's default schema: Hive's default, DuckDB's main, PostgreSQL's public (one name for all of them).</summary>
    internal static readonly IReadOnlySet<string> DefaultSchemas = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "default", "main", "public" };

    /// <param name="CandidateProfiles">Each engine's profile as a candidate (its visibility set), built once per snapshot.</param>
    /// <param name="CandidateOrder">Engine indexes sorted by (Order, configuration order), once per snapshot.</param>
    private sealed record Snapshot(StatementRouter Router, IReadOnlyList<EngineRoutingProfile?> Profiles, IReadOnlyList<EngineLocality> Localities,
        EngineRoutingProfile[] CandidateProfiles, int[] CandidateOrder);

    private readonly EngineRegistry _engines;
    private readonly Policy.AccessControlService? _access;
    private readonly StatisticsResolver _statistics;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private volatile Snapshot _snapshot;

    /// <exception cref="ArgumentException">The routing configuration is invalid (the message lists every problem).</exception>
    public RoutingService(GatewayOptions options, EngineRegistry engines, CatalogRegistry catalogs, TimeProvider time, ILogger<RoutingService> logger, RoutingMetrics? metrics = null,
        Policy.AccessControlService? access = null)
    {
        _access = access;
        ArgumentNullException.ThrowIfNull(options);
        _engines = engines ?? throw new ArgumentNullException(nameof(engines));
        Catalogs = catalogs ?? throw new ArgumentNullException(nameof(catalogs));
        _time = time;
        _logger = logger;
        _statistics = new StatisticsResolver(catalogs, time);
        Metrics = metrics ?? new RoutingMetrics();
        _snapshot = Build(options, out var errors) ?? throw new ArgumentException("Invalid routing configuration:" + Environment.NewLine + string.Join(Environment.NewLine, errors), nameof(options));
    }

    public RoutingOptions Options => _snapshot.Router.Options;

    /// <summary>The last configuration change offered to <see cref="Apply"/>: when, and why it was refused (empty: applied).</summary>
    public RoutingApplyResult? LastApply { get; private set; }
    public RoutingMetrics Metrics { get; }
    public CatalogRegistry Catalogs { get; }
    public EngineRegistry Engines => _engines;

    /// <summary>Swaps in the routing part of <paramref name="options"/> (Gateway:Routing and each engine's Routing and Catalogs) when valid; returns the problems otherwise.</summary>
    public IReadOnlyList<string> Apply(GatewayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var next = Build(options, out var errors);
        LastApply = new RoutingApplyResult(_time.GetUtcNow(), errors);
        if (next is null)
        {
            LogReloadRefused(_logger, string.Join(" | ", errors));
            return errors;
        }
        _snapshot = next;
        LogReloaded(_logger, next.Router.Options.Rules.Count);
        return [];
    }

    private Snapshot? Build(GatewayOptions options, out IReadOnlyList<string> errors)
    {
        var problems = new List<string>();
        var profiles = new EngineRoutingProfile?[_engines.All.Count];
        var localities = new EngineLocality[_engines.All.Count];
        var configured = options.Engines.ToDictionary(e => e.Name, StringComparer.OrdinalIgnoreCase);
        foreach (var name in configured.Keys.Where(n => _engines.Find(n) is null && !n.Equals(EngineRegistry.EmbeddedName, StringComparison.OrdinalIgnoreCase)))
        {
            problems.Add($"Gateway:Engines '{name}' is new: adding or removing engines needs a restart.");
        }
        for (var i = 0; i < _engines.All.Count; i++)
        {
            var registered = _engines.All[i];
            // The engines' own settings are fixed at start; their routing part comes from the new options when present.
            var engineOptions = configured.GetValueOrDefault(registered.Name) ?? registered.Options;
            if (engineOptions.Routing is { } profile)
            {
                foreach (var p in RoutingOptionsValidator.ValidateProfile(registered.Name, profile)) problems.Add(p);
            }
            profiles[i] = engineOptions.Routing;
            var catalogs = VisibleCatalogs(registered.Name, engineOptions);
            localities[i] = new EngineLocality(registered.Name, catalogs);
        }
        var groups = profiles.SelectMany(p => p?.Groups ?? []).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        var routing = options.Routing ?? new RoutingOptions();
        problems.AddRange(RoutingOptionsValidator.Validate(routing, [.. _engines.All.Select(e => e.Name)], groups).Select(p => "Gateway:Routing: " + p));
        errors = problems;
        if (problems.Count > 0) return null;
        var candidateProfiles = new EngineRoutingProfile[profiles.Length];
        for (var i = 0; i < profiles.Length; i++) candidateProfiles[i] = (profiles[i] ?? new EngineRoutingProfile()) with { Visibility = localities[i].Catalogs };
        // A stable sort: equal Orders keep configuration order.
        int[] order = [.. Enumerable.Range(0, profiles.Length).OrderBy(i => candidateProfiles[i].Order).ThenBy(i => i)];
        return new Snapshot(new StatementRouter(routing, _time), profiles, localities, candidateProfiles, order);
    }

    /// <summary>An engine's catalogs; the embedded engine sees the embedded catalog unless told otherwise; empty sees all.</summary>
    private static IReadOnlyList<string>? VisibleCatalogs(string engine, EngineOptions options)
    {
        if (options.Catalogs is { Count: > 0 } catalogs) return catalogs;
        return engine.Equals(EngineRegistry.EmbeddedName, StringComparison.OrdinalIgnoreCase) ? [CatalogOptions.EmbeddedName] : null;
    }

    /// <summary>An engine's routing profile as the router gets it: its <c>Routing</c> section with <c>Catalogs</c> as visibility.</summary>
    public static EngineRoutingProfile ProfileOf(EngineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return (options.Routing ?? new EngineRoutingProfile()) with { Visibility = VisibleCatalogs(options.Name, options) };
    }

    /// <summary>Every registered engine as the router sees it now: profile, load, health; sorted by (Order, configuration order).</summary>
    public IReadOnlyList<EngineCandidate> Candidates()
    {
        // Per statement only the live part (load, health) is read; profiles and their order come with the snapshot.
        var snapshot = _snapshot;
        var candidates = new EngineCandidate[snapshot.CandidateOrder.Length];
        for (var n = 0; n < candidates.Length; n++)
        {
            var i = snapshot.CandidateOrder[n];
            var e = _engines.All[i];
            var (running, queued) = e.Load;
            if (e.Engine is IEngineLoadSource { ReportedLoad: { } reported })
            {
                // The cluster's own count includes other clients' statements; the gateway's includes what it has just admitted.
                running = Math.Max(running, reported.Running);
                queued = Math.Max(queued, reported.Queued);
            }
            var load = new EngineLoad
            {
                Running = running,
                Queued = queued,
                MaxConcurrent = e.Options.Capacity.MaxConcurrent,
                MaxQueued = e.Options.Capacity.MaxQueue,
            };
            candidates[n] = EngineCandidate.Create(e.Name, e.Kind, snapshot.CandidateProfiles[i], load, e.Healthy, e.HealthDetail);
        }
        return candidates;
    }

    /// <summary>The session as rules and overrides see it; <paramref name="overlay"/> holds one statement's own settings.</summary>
    public RoutingContext ContextOf(Hs2Session session, IReadOnlyDictionary<string, string>? overlay = null)
    {
        ArgumentNullException.ThrowIfNull(session);
        IReadOnlyDictionary<string, string> conf = session.Conf;
        if (overlay is { Count: > 0 })
        {
            var merged = new Dictionary<string, string>(session.Conf, StringComparer.Ordinal);
            foreach (var (k, v) in overlay) merged[k] = v;
            conf = merged;
        }
        return new RoutingContext
        {
            DefaultEngine = ReferenceEquals(session.Engine, _engines.Default.Engine) ? _engines.Default.Name : _engines.Of(session.Engine)?.Name ?? _engines.Default.Name,
            User = session.User,
            Groups = session.Info.Groups,
            Client = conf.GetValueOrDefault(ClientConf),
            SessionConf = conf,
            CurrentCatalog = conf.GetValueOrDefault(CatalogConf),
            Dialect = conf.GetValueOrDefault(DialectConf) is { } dialect ? SqlDialect.FromName(dialect.Trim()) : null,
            CurrentSchema = session.CurrentDatabase,
        };
    }

    /// <summary>Decides where <paramref name="statement"/> runs. Never fails for the statement's sake: the router falls back.</summary>
    public async ValueTask<RoutingDecision> RouteAsync(string statement, Hs2Session session, CancellationToken cancellationToken, IReadOnlyDictionary<string, string>? overlay = null)
    {
        var snapshot = _snapshot;
        var context = ContextOf(session, overlay);
        var analysis = StatementAnalyzer.Analyze(statement, context.Dialect ?? snapshot.Router.DefaultDialect);
        // Unqualified names resolve in the session's database; a default one (Hive's default, DuckDB's main, PostgreSQL's
        // public) means each catalog's own default schema.
        var schema = context.CurrentSchema is { } s && !DefaultSchemas.Contains(s) ? s : null;
        var lookup = await _statistics.ResolveAsync(analysis, new NameScope(context.CurrentCatalog, schema), snapshot.Localities,
            snapshot.Router.Options.StatisticsTimeout, cancellationToken).ConfigureAwait(false);
        var candidates = Candidates();
        var decision = snapshot.Router.Route(analysis, context, lookup, candidates);
        // The access policy's engines section: a rule or the cost model that picked an engine the user may not use
        // decides again among the others. An explicit choice (override, hint) stays, and the policy refuses it.
        if (_access?.Current is { Engines: not null } policy && decision.DecidedBy is not (DecisionSource.Override or DecisionSource.Hint))
        {
            var subject = new Router.Policy.AccessSubject(session.User, session.Info.Groups);
            if (!policy.EngineFor(subject, decision.Engine).Allowed)
            {
                var allowed = candidates.Where(c => policy.EngineFor(subject, c.Name).Allowed).ToList();
                var fallback = allowed.FirstOrDefault(c => c.Name.Equals(context.DefaultEngine, StringComparison.OrdinalIgnoreCase)) ?? allowed.FirstOrDefault();
                if (fallback is not null)
                {
                    var refused = decision.Engine;
                    decision = snapshot.Router.Route(analysis, context with { DefaultEngine = fallback.Name }, lookup, allowed);
                    decision = decision with { Reasons = [$"access policy: {session.User} may not use engine {refused}; routed among the engines it may use", .. decision.Reasons] };
                }
            }
        }
        if (_logger.IsEnabled(LogLevel.Debug)) LogDecision(_logger, session.User, decision.Engine, decision.DecidedByText, string.Join("; ", decision.Reasons));
        return decision;
    }

    /// <summary>After a statement that wrote tables finished: their cached statistics are stale.</summary>
    public void Written(RoutingDecision decision)
    {
        ArgumentNullException.ThrowIfNull(decision);
        foreach (var w in decision.Analysis.Writes.Where(w => w.Kind == TableReferenceKind.Table && !w.Temporary))
        {
            foreach (var c in Catalogs.All) c.InvalidateName(w.Name);
        }
    }

    public void Dispose()
    {
        Metrics.Dispose();
    }

    [LoggerMessage(EventId = 400, Level = LogLevel.Debug, Message = "Routed a statement of {User} to {Engine} ({DecidedBy}): {Reasons}")]
    private static partial void LogDecision(ILogger logger, string user, string engine, string decidedBy, string reasons);

    [LoggerMessage(EventId = 401, Level = LogLevel.Information, Message = "Routing configuration reloaded ({Rules} rules).")]
    private static partial void LogReloaded(ILogger logger, int rules);

    [LoggerMessage(EventId = 402, Level = LogLevel.Error, Message = "Routing configuration change refused; the previous one stays in force: {Errors}")]
    private static partial void LogReloadRefused(ILogger logger, string errors);
}

/// <summary>One attempt to change the routing configuration: when, and its problems (none when it was applied).</summary>
public sealed record RoutingApplyResult(DateTimeOffset At, IReadOnlyList<string> Errors)
{
    public bool Applied => Errors.Count == 0;
}
