using Gateway.Engines;
using Gateway.Protocol.Columnar;
using Gateway.Router;
using Gateway.Router.Routing;
using Gateway.Server.Configuration;
using Gateway.Server.Engines;
using Gateway.Server.Hive;
using Gateway.Server.Operations;
using Gateway.Server.Routing;
using Gateway.Server.Sessions;

namespace Gateway.Server.Statements;

/// <summary>One statement as a frontend hands it over, in the session it runs in.</summary>
public sealed record StatementRequest(string Sql)
{
    /// <summary>Settings for this statement only (HS2's confOverlay), already checked with <see cref="StatementRunner.ValidateSetting"/>.</summary>
    public IReadOnlyDictionary<string, string>? Overlay { get; init; }

    public IReadOnlyList<QueryParameter> Parameters { get; init; } = [];

    public ResultFormat Format { get; init; } = ResultFormat.ThriftColumns;

    /// <summary>Return once the statement is running rather than once its first rows are read.</summary>
    public bool RunAsync { get; init; }

    /// <summary>Seconds; 0 or null is none. Beyond Limits:MaxQueryTimeout it is cut (noted in the operation log).</summary>
    public long? QueryTimeoutSeconds { get; init; }

    /// <summary>The most rows the client will read (HS2's resultRowLimit).</summary>
    public long? RowLimit { get; init; }
}

/// <summary>
/// What every frontend does with a statement, whatever its wire protocol (ARCHITECTURE: "a statement runner outside
/// the protocol service"): variable substitution and the gateway's own session commands (SET, USE...), routing, the
/// access policy (its listings, its check and rewrite), EXPLAIN ROUTING, the failover plan and the start of the
/// statement on its engine (admission and engine sessions are the operation's). The result is an
/// <see cref="Operation"/> registered with the session, read by the frontend in its own format.
/// </summary>
public sealed class StatementRunner(SessionManager sessions, GatewayOptions options)
{
    /// <summary>Rows a statement reads with its execute (the engine is asked for them at once).</summary>
    public const int PrefetchRows = 4096;

    private static readonly ExecuteOptions PrefetchingOptions = ExecuteOptions.Default with { FirstBatchRows = PrefetchRows };

    /// <summary>EXPLAIN ROUTING's columns: one row per engine (<see cref="RoutingExplain"/>), then the access policy's row.</summary>
    public static readonly ResultSchema ExplainRoutingSchema = new([.. RoutingExplain.Columns.Select(c => new ColumnInfo(c, SqlType.String))]);

    /// <summary>
    /// Starts <paramref name="request"/> in <paramref name="session"/>. A failure before the statement reaches its engine
    /// (a refused setting, the policy, routing) throws; one on the engine is the operation's error state (a synchronous
    /// caller should check it).
    /// </summary>
    public async ValueTask<Operation> StartAsync(Hs2Session session, StatementRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(request);
        var overlay = request.Overlay;
        var sql = SessionCommands.Substitute(request.Sql ?? "", session, overlay);
        if (string.IsNullOrWhiteSpace(SessionCommands.StripLeadingComments(sql))) throw new GatewayException("The statement is empty.", "42000");
        var parameters = request.Parameters;
        if (parameters.Count == 0 && SessionCommands.TryExecute(sql, session, out var commandResult, (key, value) => ValidateSetting(session, key, value)))
        {
            return Register(new MaterializedOperation(session, OperationType.ExecuteStatement, sessions.Time,
                commandResult ?? new BatchBuilder(SessionCommands.SetSchema).Build(), hasResultSet: commandResult is not null)
            { Format = request.Format });
        }
        var decision = await sessions.Routing.RouteAsync(sql, session, cancellationToken, overlay).ConfigureAwait(false);
        if (parameters.Count == 0 && sessions.AccessControl is { } lister
            && await lister.ListingAsync(decision, session, sql, cancellationToken).ConfigureAwait(false) is { } listing)
        {
            // SHOW and DESCRIBE under a policy with data rules name only what the user may see: answered from the
            // engine's listing, not by the engine.
            return await ListingAsync(session, listing, request, cancellationToken).ConfigureAwait(false);
        }
        if (decision.IsExplainRouting)
        {
            var policy = sessions.AccessControl is { } explainer ? await explainer.ExplainAsync(decision, session, sql, cancellationToken).ConfigureAwait(false) : null;
            return Register(new MaterializedOperation(session, OperationType.ExecuteStatement, sessions.Time, ExplainRouting(decision, policy), hasResultSet: true) { Format = request.Format });
        }
        if (sessions.AccessControl is { } access) (decision, sql) = await access.AuthorizeAsync(decision, session, sql, cancellationToken).ConfigureAwait(false);
        var (timeout, timeoutNote) = QueryTimeout(request.QueryTimeoutSeconds);
        var executeOptions = StatementOptions(parameters, request.RowLimit);
        var (engine, routing, failover) = Plan(decision);
        var statement = new StatementOperation(session, sessions.Time, sql, executeOptions, PrefetchRows, engine, routing, request.RowLimit, failover) { Format = request.Format };
        sessions.AddOperation(statement);
        foreach (var reason in decision.Reasons) statement.Log("Routing: " + reason);
        if (decision.Analysis.IsWrite) _ = statement.Completion.ContinueWith(_ => sessions.Routing.Written(decision), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        if (timeoutNote is not null) statement.Log(timeoutNote);
        await statement.StartAsync(request.RunAsync, timeout, cancellationToken).ConfigureAwait(false);
        return statement;
    }

    private Operation Register(Operation op)
    {
        try
        {
            sessions.AddOperation(op);
        }
        catch
        {
            _ = op.DisposeAsync().AsTask();
            throw;
        }
        return op;
    }

    /// <summary>A listing answered by the gateway from the session engine's metadata: now, or in the background for runAsync.</summary>
    private async ValueTask<Operation> ListingAsync(Hs2Session session, Func<Hs2Session, IEngineMetadata, CancellationToken, ValueTask<ColumnBatch>> build,
        StatementRequest request, CancellationToken cancellationToken)
    {
        if (request.RunAsync)
        {
            var background = new BackgroundOperation(session, OperationType.ExecuteStatement, sessions.Time) { Format = request.Format };
            sessions.AddOperation(background);
            background.Start(async ct =>
            {
                await using var lease = await session.AcquireEngineSessionAsync(ct).ConfigureAwait(false);
                return await build(session, lease.Session.Metadata, ct).ConfigureAwait(false);
            });
            return background;
        }
        ColumnBatch batch;
        await using (var lease = await session.AcquireEngineSessionAsync(cancellationToken).ConfigureAwait(false))
        {
            batch = await build(session, lease.Session.Metadata, cancellationToken).ConfigureAwait(false);
        }
        return Register(new MaterializedOperation(session, OperationType.ExecuteStatement, sessions.Time, batch) { Format = request.Format });
    }

    /// <summary>A SET or overlay setting: valid, and one the session's user (the impersonated one, if any) may set.</summary>
    public void ValidateSetting(Hs2Session session, string key, string value)
    {
        ArgumentNullException.ThrowIfNull(session);
        SessionSettingRules.Validate(key, value, sessions.Engines, sessions.Routing.Options.Overrides);
        sessions.AccessControl?.CheckSessionProperty(session.User, session.Info.Groups, key);
    }

    /// <summary>
    /// A statement's options. <see cref="StatementOperation"/> reads its first batch (PrefetchRows, or the row limit when
    /// smaller) as soon as the execute returns, so the engine is told to read it with the execute.
    /// </summary>
    private static ExecuteOptions StatementOptions(IReadOnlyList<QueryParameter> parameters, long? rowLimit)
    {
        var first = rowLimit is > 0 and var limit ? (int)Math.Min(PrefetchRows, limit) : PrefetchRows;
        if (parameters.Count == 0 && first == PrefetchRows) return PrefetchingOptions;
        return PrefetchingOptions with { Parameters = parameters, FirstBatchRows = first };
    }

    /// <summary>The engine a decision names, why (for the operation log), and where to go if it fails first.</summary>
    private (RegisteredEngine Engine, string Routing, FailoverPlan Failover) Plan(RoutingDecision decision)
    {
        var engines = sessions.Engines;
        var routing = sessions.Routing;
        var engine = engines.Find(decision.Engine) ?? engines.Default;
        routing.Metrics.Decision(engine.Name, DecidedByTag(decision.DecidedBy));
        var why = decision.DecidedBy switch
        {
            DecisionSource.Rule => $"rule #{decision.RuleIndex} '{decision.RuleName}'",
            DecisionSource.Cost => $"lowest estimated cost, {StatementRouter.FormatBytes(decision.EstimatedScanBytes)} to scan",
            DecisionSource.Hint or DecisionSource.Override when decision.Reasons.FirstOrDefault(r => r.StartsWith("chosen by ", StringComparison.Ordinal)) is { } chosen
                => chosen["chosen by ".Length..],
            _ => decision.DecidedByText,
        };
        var failoverOptions = routing.Options.Failover ?? new FailoverOptions();
        // Reads can run twice; a write that may have reached its engine runs again only when the configuration allows it.
        var safeToRepeat = (decision.Kind is StatementKind.Query or StatementKind.Metadata && !decision.Analysis.IsWrite) || failoverOptions.Writes;
        var explicitChoice = decision.DecidedBy is DecisionSource.Hint or DecisionSource.Override;
        var failover = failoverOptions.Enabled && (!explicitChoice || failoverOptions.ExplicitChoices);
        var next = failover && decision.Failover.Count > 0 ? decision.Failover.Select(engines.Find).OfType<RegisteredEngine>().Where(e => e != engine).ToList() : [];
        var plan = new FailoverPlan(next, failover ? failoverOptions.MaxAttempts : 0, safeToRepeat)
        {
            OnFailover = (from, to, ex) => routing.Metrics.Failover(from.Name, to.Name, ex is GatewayException { SqlState: "53400" } ? "saturated" : "retryable error"),
        };
        return (engine, why, plan);
    }

    /// <summary>The metric tag of a deciding step (the enum's name in lower case, without allocating per statement).</summary>
    internal static string DecidedByTag(DecisionSource source) => source switch
    {
        DecisionSource.Override => "override",
        DecisionSource.Hint => "hint",
        DecisionSource.Rule => "rule",
        DecisionSource.Cost => "cost",
        DecisionSource.Fallback => "fallback",
        _ => source.ToString().ToLowerInvariant(),
    };

    /// <summary>
    /// A statement's queryTimeout in seconds: 0 (or absent) is none, a negative one is refused (22023), and one beyond
    /// <c>Gateway:Limits:MaxQueryTimeout</c> is cut to it (noted in the operation log) — a client's
    /// <c>setQueryTimeout(Integer.MAX_VALUE)</c> means "no limit", not a timer the runtime cannot hold.
    /// </summary>
    private (TimeSpan? Timeout, string? Note) QueryTimeout(long? seconds)
    {
        if (seconds is null or 0) return (null, null);
        if (seconds < 0) throw new GatewayException($"queryTimeout must be 0 (none) or a positive number of seconds (was {seconds}).", "22023");
        var max = options.Limits.MaxQueryTimeout;
        if (seconds.Value >= (long)max.TotalSeconds)
        {
            return (max, $"queryTimeout {seconds} s is beyond the gateway's limit; using {max.TotalSeconds:0} s (Gateway:Limits:MaxQueryTimeout).");
        }
        return (TimeSpan.FromSeconds(seconds.Value), null);
    }

    /// <summary>EXPLAIN ROUTING: one row per engine, as <see cref="RoutingExplain"/> lays it out.</summary>
    private static ColumnBatch ExplainRouting(RoutingDecision decision, string? policy)
    {
        var builder = new BatchBuilder(ExplainRoutingSchema);
        foreach (var row in RoutingExplain.ToRows(decision)) builder.AddRow(row);
        // What the access policy does to the statement, after the engines (one row; none without a policy).
        if (policy is not null) builder.AddRow(["(access policy)", null, null, null, "policy", policy]);
        return builder.Build();
    }
}
