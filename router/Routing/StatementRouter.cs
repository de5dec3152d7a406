using System.Globalization;
using Gateway.Protocol.Sql;
using Gateway.Router.Sql;

namespace Gateway.Router.Routing;

/// <summary>Decides which engine runs a statement. Implementations never throw for a statement: they fall back.</summary>
public interface IStatementRouter
{
    RoutingDecision Route(string statement, RoutingContext context, TableStatsLookup stats, IReadOnlyList<EngineCandidate> engines);
}

/// <summary>
/// The routing pipeline: analyse the statement, then the first of these that applies decides —
/// <c>/*+ ENGINE(x) */</c> hint, session override (<c>gateway.engine</c>, <c>kyuubi.engine.type</c>), session
/// commands to the default engine, rules in priority order, the cost model, the default engine. An override or rule
/// naming an engine that is unknown, unhealthy (or, for rules, unable to run the statement) is reported in the reasons
/// and the next step decides. Immutable: build a new router to reload configuration.
/// </summary>
public sealed class StatementRouter : IStatementRouter
{
    private const string RuntimeModeKey = "execution.runtime-mode";
    private const string KyuubiEngineTypeKey = "kyuubi.engine.type";

    private readonly TimeProvider _time;
    private readonly (RoutingRule Rule, int Index)[] _rules;
    private readonly SqlDialect _dialect;

    /// <exception cref="ArgumentException">The options are invalid; the message lists every problem.</exception>
    public StatementRouter(RoutingOptions? options = null, TimeProvider? timeProvider = null)
    {
        Options = options ?? new RoutingOptions();
        var errors = RoutingOptionsValidator.Validate(Options);
        if (errors.Count > 0) throw new ArgumentException("Invalid routing options:" + Environment.NewLine + string.Join(Environment.NewLine, errors), nameof(options));
        _time = timeProvider ?? TimeProvider.System;
        _dialect = SqlDialect.FromName(Options.Dialect)!;
        CostModel = new CostModel(Options.Cost);
        _rules = [.. Options.Rules.Select((r, i) => (r, i)).OrderBy(x => x.r.Priority).ThenBy(x => x.i)];
    }

    public RoutingOptions Options { get; }
    public CostModel CostModel { get; }

    /// <summary>The dialect statements are analysed in unless the context names one: <see cref="RoutingOptions.Dialect"/>.</summary>
    public SqlDialect DefaultDialect => _dialect;

    public RoutingDecision Route(string statement, RoutingContext context, TableStatsLookup stats, IReadOnlyList<EngineCandidate> engines)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Route(StatementAnalyzer.Analyze(statement, context.Dialect ?? _dialect), context, stats, engines);
    }

    /// <exception cref="ArgumentException">The context has no default engine (a programming error, not a statement's).</exception>
    public RoutingDecision Route(StatementAnalysis analysis, RoutingContext context, TableStatsLookup stats, IReadOnlyList<EngineCandidate> engines)
    {
        ArgumentNullException.ThrowIfNull(analysis);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentException.ThrowIfNullOrWhiteSpace(context.DefaultEngine, nameof(context));
        engines ??= [];
        try
        {
            return new Decision(this, analysis, context, stats, engines).Run();
        }
        catch (Exception ex)
        {
            // Routing must never fail a statement.
            return new RoutingDecision
            {
                Engine = context.DefaultEngine,
                DecidedBy = DecisionSource.Fallback,
                Reasons = [$"router error ({ex.GetType().Name}: {ex.Message}); default engine {context.DefaultEngine}"],
                Analysis = analysis,
                Kind = analysis.Kind,
            };
        }
    }

    // One routing decision in the making: the state shared by its steps.
    private sealed class Decision
    {
        private readonly StatementRouter _router;
        private readonly StatementAnalysis _analysis;
        private readonly RoutingContext _context;
        private readonly TableStatsLookup? _lookup;
        private readonly IReadOnlyList<EngineCandidate> _engines;
        private readonly List<string> _reasons = [];
        private StatementKind _kind;
        private List<ResolvedTable> _tables = [];
        private IReadOnlyList<CandidateEstimate> _estimates = [];
        private long _scanBytes;

        public Decision(StatementRouter router, StatementAnalysis analysis, RoutingContext context, TableStatsLookup? lookup, IReadOnlyList<EngineCandidate> engines)
        {
            _router = router;
            _analysis = analysis;
            _context = context;
            _lookup = lookup;
            _engines = engines;
            _kind = analysis.Kind;
        }

        public RoutingDecision Run()
        {
            _tables = Resolve();
            ApplyStreamingContext();
            _reasons.Add(Summary());
            var input = new CostInput
            {
                Kind = _kind,
                IsWrite = _analysis.IsWrite,
                ScansWriteTargets = _analysis.ScansWriteTargets,
                Dialect = _analysis.Dialect,
                Tables = _tables,
            };
            _estimates = _router.CostModel.Evaluate(input, _engines);
            _scanBytes = _router.CostModel.EstimateScan(input).Bytes;

            var overrides = _router.Options.Overrides ?? new RoutingOverrideOptions();
            if (_analysis.EngineHint is { } hint)
            {
                if (!overrides.AllowHints) _reasons.Add($"hint ENGINE({hint}) ignored: hints are disabled");
                else if (TryNamed(hint, $"hint ENGINE({hint})", allowKind: false) is { } chosen) return Decide(chosen, DecisionSource.Hint);
            }
            if (overrides.AllowSessionEngine && _context.Conf(overrides.SessionEngineKey) is { Length: > 0 } requested)
            {
                if (TryNamed(requested, $"{overrides.SessionEngineKey}={requested}", allowKind: true) is { } chosen) return Decide(chosen, DecisionSource.Override);
            }
            if (overrides.AllowKyuubiEngineType && _context.Conf(KyuubiEngineTypeKey) is { Length: > 0 } type)
            {
                if (TryKind(type, $"{KyuubiEngineTypeKey}={type}") is { } chosen) return Decide(chosen, DecisionSource.Override);
            }
            if (_kind == StatementKind.SessionCommand)
            {
                return Fallback("session command: runs on the default engine");
            }
            if (ApplyRules() is { } ruled) return ruled;
            if (!_analysis.IsReliable)
            {
                return Fallback($"statement analysis {_analysis.Status.ToString().ToLowerInvariant()} ({_analysis.StatusReason}): cost model skipped");
            }
            var ranked = CostModel.Rank(_estimates);
            if (ranked.Count > 0)
            {
                var best = ranked[0];
                var why = $"lowest estimated cost: {FormatMs(best.CostMs)} for {FormatBytes(best.ScanBytes)}";
                if (ranked.Count > 1) why += $" (next: {ranked[1].Engine} {FormatMs(ranked[1].CostMs)})";
                _reasons.Add(why);
                return Decide(Find(best.Engine)!, DecisionSource.Cost);
            }
            return Fallback(_engines.Count == 0 ? "no engine candidates" : "no engine can run the statement");
        }

        private List<ResolvedTable> Resolve()
        {
            var result = new List<ResolvedTable>();
            var now = _router._time.GetUtcNow();
            var maxAge = _router.Options.Cost?.StatsMaxAge;
            foreach (var (reference, isWrite) in _analysis.Reads.Select(r => (r, false)).Concat(_analysis.Writes.Select(w => (w, true))))
            {
                TableStats? stats = null;
                // A new table has no statistics; schemas have none either.
                if (reference.Kind != TableReferenceKind.Schema && !reference.Temporary && _lookup is not null)
                {
                    try
                    {
                        stats = _lookup(reference);
                    }
                    catch (Exception ex)
                    {
                        _reasons.Add($"statistics of {reference} unavailable ({ex.GetType().Name}: {ex.Message})");
                    }
                }
                var stale = stats?.Freshness is { } fresh && maxAge is { } age && now - fresh > age;
                string? catalog = null, schema = null;
                if (reference.Kind == TableReferenceKind.Table)
                {
                    catalog = reference.Catalog ?? (reference.Parts.Count <= 2 ? _context.CurrentCatalog : null);
                    schema = reference.Schema ?? _context.CurrentSchema;
                }
                else if (reference.Kind == TableReferenceKind.Schema)
                {
                    catalog = reference.Catalog ?? _context.CurrentCatalog;
                    schema = reference.Schema;
                }
                result.Add(new ResolvedTable
                {
                    Reference = reference,
                    IsWrite = isWrite,
                    Stats = stats,
                    Catalog = stats?.Catalog ?? catalog,
                    Schema = stats?.Schema ?? schema,
                    StatsStale = stale,
                });
            }
            return result;
        }

        private void ApplyStreamingContext()
        {
            if (_kind is not (StatementKind.Query or StatementKind.Dml or StatementKind.Ddl)) return;
            if (_context.Conf(RuntimeModeKey) is { } mode && mode.Trim().Trim('\'', '"').Equals("streaming", StringComparison.OrdinalIgnoreCase))
            {
                _kind = StatementKind.Streaming;
                _reasons.Add($"streaming: session {RuntimeModeKey}=streaming");
                return;
            }
            if (_tables.FirstOrDefault(t => t.Stats?.IsStream == true) is { } stream)
            {
                _kind = StatementKind.Streaming;
                _reasons.Add($"streaming: {stream} is a stream");
            }
        }

        private string Summary()
        {
            var parts = new List<string> { _analysis.Verb.Length > 0 ? $"{_kind} ({_analysis.Verb})" : _kind.ToString() };
            if (_kind == StatementKind.Streaming && _analysis.StreamingReason is { } why) parts.Add($"streaming because {why}");
            var reads = _tables.Where(t => !t.IsWrite).ToList();
            var writes = _tables.Where(t => t.IsWrite).ToList();
            var sized = _kind is not (StatementKind.Metadata or StatementKind.SessionCommand);
            if (reads.Count > 0) parts.Add("reads " + string.Join(", ", reads.Select(t => sized ? Describe(t) : t.ToString())));
            if (writes.Count > 0) parts.Add("writes " + string.Join(", ", writes.Select(t => t.ToString())));
            if (!_analysis.IsReliable) parts.Add($"analysis {_analysis.Status.ToString().ToLowerInvariant()}: {_analysis.StatusReason}");
            return string.Join("; ", parts);
        }

        private string Describe(ResolvedTable t)
        {
            var (bytes, known) = _router.CostModel.EstimateBytes(t);
            var size = known ? FormatBytes(bytes) : $"no statistics, {FormatBytes(bytes)} assumed";
            if (t.StatsStale) size = $"statistics stale, {FormatBytes(bytes)} assumed";
            return $"{t} ({size})";
        }

        private EngineCandidate? Find(string name) =>
            _engines.FirstOrDefault(e => e.Name.Equals(name, StringComparison.OrdinalIgnoreCase));

        private CandidateEstimate? Estimate(string name) =>
            _estimates.FirstOrDefault(e => e.Engine.Equals(name, StringComparison.OrdinalIgnoreCase));

        /// <summary>An explicit choice by name (or kind): used when healthy, even if the model would reject it (reported).</summary>
        private EngineCandidate? TryNamed(string name, string source, bool allowKind)
        {
            var engine = Find(name.Trim());
            if (engine is null)
            {
                if (allowKind && EngineKindAliases.TryParse(name, out _)) return TryKind(name, source);
                _reasons.Add($"{source}: no engine named '{name}'; ignored");
                return null;
            }
            return Explicit(engine, source);
        }

        private EngineCandidate? TryKind(string value, string source)
        {
            if (!EngineKindAliases.TryParse(value, out var kind))
            {
                _reasons.Add($"{source}: unknown engine type; ignored");
                return null;
            }
            var ofKind = _engines.Where(e => e.Kind == kind).ToList();
            var healthy = ofKind.FirstOrDefault(e => e.Healthy);
            if (healthy is null)
            {
                _reasons.Add(ofKind.Count == 0 ? $"{source}: no {kind} engine is configured; ignored" : $"{source}: no healthy {kind} engine; ignored");
                return null;
            }
            _reasons.Add($"{source}: first healthy {kind} engine is {healthy.Name}");
            return Explicit(healthy, source);
        }

        private EngineCandidate? Explicit(EngineCandidate engine, string source)
        {
            if (!engine.Healthy)
            {
                _reasons.Add($"{source}: engine {engine.Name} is unhealthy{(engine.HealthDetail is { Length: > 0 } d ? $" ({d})" : "")}; ignored");
                return null;
            }
            _reasons.Add($"chosen by {source}");
            if (Estimate(engine.Name)?.RejectedBecause is { } concern)
            {
                _reasons.Add($"warning: {engine.Name} {concern}; the statement may fail or wait");
            }
            return engine;
        }

        private RoutingDecision? ApplyRules()
        {
            var skippedForTables = false;
            foreach (var (rule, index) in _router._rules)
            {
                var match = rule.Match ?? new RuleMatch();
                var label = $"rule #{index} '{rule.Name}'";
                if (match.UsesTables && !_analysis.IsReliable)
                {
                    skippedForTables = true;
                    continue;
                }
                if (!Matches(match)) continue;
                if (!string.IsNullOrWhiteSpace(rule.Engine))
                {
                    var estimate = Estimate(rule.Engine);
                    if (estimate is null)
                    {
                        _reasons.Add($"{label} matched, but engine {rule.Engine} is not a candidate; next rule");
                        continue;
                    }
                    if (!estimate.Eligible)
                    {
                        _reasons.Add($"{label} matched, but {estimate.Engine} was rejected ({estimate.RejectedBecause}); next rule");
                        continue;
                    }
                    _reasons.Add($"{label} matched: engine {estimate.Engine}");
                    return Decide(Find(estimate.Engine)!, DecisionSource.Rule, index, rule.Name);
                }
                var group = rule.EngineGroup!;
                var members = _engines.Where(e => e.InGroup(group)).Select(e => e.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
                var ranked = CostModel.Rank(_estimates).Where(e => members.Contains(e.Engine)).ToList();
                if (ranked.Count == 0)
                {
                    _reasons.Add(members.Count == 0
                        ? $"{label} matched, but group {group} has no engines; next rule"
                        : $"{label} matched, but no engine of group {group} can run it ({string.Join("; ", _estimates.Where(e => members.Contains(e.Engine)).Select(e => $"{e.Engine}: {e.RejectedBecause}"))}); next rule");
                    continue;
                }
                _reasons.Add($"{label} matched: cheapest of group {group} is {ranked[0].Engine} ({FormatMs(ranked[0].CostMs)})");
                return Decide(Find(ranked[0].Engine)!, DecisionSource.Rule, index, rule.Name);
            }
            if (skippedForTables) _reasons.Add("rules on tables or schemas skipped: the statement's tables are not known for sure");
            return null;
        }

        private bool Matches(RuleMatch m)
        {
            if (m.Users is { Count: > 0 } users && !users.Any(u => Glob.IsMatch(u, _context.User))) return false;
            if (m.Groups is { Count: > 0 } groups && !groups.Any(g => _context.Groups.Any(ug => Glob.IsMatch(g, ug)))) return false;
            if (m.Clients is { Count: > 0 } clients && !clients.Any(c => Glob.IsMatch(c, _context.Client))) return false;
            if (m.StatementKinds is { Count: > 0 } kinds && !kinds.Any(k => k.Equals(_kind.ToString(), StringComparison.OrdinalIgnoreCase))) return false;
            if (m.Writes is { } writes && writes != _analysis.IsWrite) return false;
            if (m.SessionConf is { Count: > 0 } conf && !conf.All(kv => _context.Conf(kv.Key) is { } v && Glob.IsMatch(kv.Value ?? "*", v))) return false;
            var all = m.TableMatch?.Equals("All", StringComparison.OrdinalIgnoreCase) == true;
            if (m.Tables is { Count: > 0 } tables)
            {
                var patterns = tables.Select(p => p.Split('.')).ToList();
                var candidates = _tables.Where(t => t.Reference.Kind == TableReferenceKind.Table).ToList();
                bool TableMatches(ResolvedTable t) => patterns.Any(p => Glob.IsMatchRightAligned(p, t.QualifiedParts));
                if (candidates.Count == 0 || (all ? !candidates.All(TableMatches) : !candidates.Any(TableMatches))) return false;
            }
            if (m.Schemas is { Count: > 0 } schemas)
            {
                var patterns = schemas.Select(p => p.Split('.')).ToList();
                var candidates = _tables.Where(t => t.Reference.Kind is TableReferenceKind.Table or TableReferenceKind.Schema).ToList();
                bool SchemaMatches(ResolvedTable t) => patterns.Any(p => Glob.IsMatchRightAligned(p, [t.Catalog, t.Schema]));
                if (candidates.Count == 0 || (all ? !candidates.All(SchemaMatches) : !candidates.Any(SchemaMatches))) return false;
            }
            return true;
        }

        private RoutingDecision Fallback(string why)
        {
            var fallback = Find(_context.DefaultEngine);
            if (fallback is { Healthy: true })
            {
                _reasons.Add($"{why}; default engine {fallback.Name}");
                return Decide(fallback, DecisionSource.Fallback);
            }
            // The default is down or unknown: the cheapest engine that can run it, else any healthy one.
            var replacement = CostModel.Rank(_estimates).Select(e => Find(e.Engine)!).FirstOrDefault() ?? _engines.FirstOrDefault(e => e.Healthy);
            var problem = fallback is null ? $"default engine {_context.DefaultEngine} is not a candidate" : $"default engine {fallback.Name} is unhealthy";
            if (replacement is null)
            {
                _reasons.Add($"{why}; {problem} and no engine is healthy: {_context.DefaultEngine} anyway");
                return Decide(null, DecisionSource.Fallback);
            }
            _reasons.Add($"{why}; {problem}: {replacement.Name} instead");
            return Decide(replacement, DecisionSource.Fallback);
        }

        private RoutingDecision Decide(EngineCandidate? engine, DecisionSource source, int? ruleIndex = null, string? ruleName = null)
        {
            var name = engine?.Name ?? _context.DefaultEngine;
            var failover = CostModel.Rank(_estimates).Select(e => e.Engine).Where(e => !e.Equals(name, StringComparison.OrdinalIgnoreCase)).ToList();
            return new RoutingDecision
            {
                Engine = name,
                DecidedBy = source,
                RuleIndex = ruleIndex,
                RuleName = ruleName,
                Reasons = _reasons,
                Candidates = _estimates,
                Failover = failover,
                Analysis = _analysis,
                Kind = _kind,
                EstimatedScanBytes = _scanBytes,
            };
        }
    }

    public static string FormatMs(double ms) =>
        ms >= 10_000 ? (ms / 1000).ToString("0.#", CultureInfo.InvariantCulture) + " s" : ms.ToString("0.#", CultureInfo.InvariantCulture) + " ms";

    /// <summary>Bytes in decimal units (1.5 GB), as decisions print them.</summary>
    public static string FormatBytes(long bytes)
    {
        string[] units = ["B", "KB", "MB", "GB", "TB", "PB", "EB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1000 && unit < units.Length - 1)
        {
            value /= 1000;
            unit++;
        }
        return unit == 0 ? $"{bytes} B" : value.ToString("0.#", CultureInfo.InvariantCulture) + " " + units[unit];
    }
}
