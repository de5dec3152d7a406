using Gateway.Protocol.Sql;
using Gateway.Router.Sql;

namespace Gateway.Router.Routing;

/// <summary>A referenced object with what the catalog said about it and where it lives.</summary>
public sealed record ResolvedTable
{
    public required TableReference Reference { get; init; }
    public bool IsWrite { get; init; }
    public TableStats? Stats { get; init; }

    /// <summary>The catalog and schema it lives in, when known (from the statistics, the name, or the session).</summary>
    public string? Catalog { get; init; }

    public string? Schema { get; init; }

    /// <summary>The statistics are older than <see cref="CostModelOptions.StatsMaxAge"/>: sizes count as unknown.</summary>
    public bool StatsStale { get; init; }

    /// <summary>catalog.schema.name as far as known, for messages and rule globs.</summary>
    public IReadOnlyList<string?> QualifiedParts => Reference.Kind switch
    {
        TableReferenceKind.Table => [Catalog, Schema, Reference.Name],
        TableReferenceKind.Schema => [Catalog, Schema],
        _ => [.. Reference.Parts],
    };

    public override string ToString() => Reference.Kind == TableReferenceKind.Table
        ? string.Join('.', QualifiedParts.Where(p => p is not null))
        : Reference.ToString();
}

/// <summary>The facts about a statement the cost model uses.</summary>
public sealed record CostInput
{
    public StatementKind Kind { get; init; }
    public bool IsWrite { get; init; }
    public bool ScansWriteTargets { get; init; }
    public SqlDialect Dialect { get; init; } = SqlDialect.Spark;
    public IReadOnlyList<ResolvedTable> Tables { get; init; } = [];
}

/// <summary>
/// Estimates, per engine: cost = per-query overhead + startup (when not started) + scan bytes / throughput
/// + files × per-file overhead + queue wait. An engine is rejected, with the reason, when it is unhealthy, lacks a
/// capability (streaming, batch, dialect, writing to the target's catalog), cannot see a referenced table, or is
/// saturated. Pure: the same inputs give the same estimates.
/// </summary>
public sealed class CostModel
{
    public CostModel(CostModelOptions? options = null) => Options = options ?? new CostModelOptions();

    public CostModelOptions Options { get; }

    /// <summary>One estimate per engine, in the order given.</summary>
    public IReadOnlyList<CandidateEstimate> Evaluate(CostInput input, IReadOnlyList<EngineCandidate> engines)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(engines);
        var (bytes, files) = EstimateScan(input);
        var result = new CandidateEstimate[engines.Count];
        for (var i = 0; i < engines.Count; i++)
        {
            var e = engines[i];
            var queue = QueueWaitMs(e);
            // A throughput that is not a positive number (unvalidated input) must not make an engine look free.
            var throughput = e.Cost.ScanBytesPerSecond is > 0 and < double.PositiveInfinity ? e.Cost.ScanBytesPerSecond : 1;
            var scanMs = bytes / throughput * 1000;
            var cost = e.Cost.PerQueryOverhead.TotalMilliseconds
                + (e.Load.Started ? 0 : e.Cost.StartupLatency.TotalMilliseconds)
                + scanMs
                + (files * e.Cost.PerFileOverhead.TotalMilliseconds)
                + queue;
            if (double.IsNaN(cost) || cost < 0) cost = double.PositiveInfinity;
            result[i] = new CandidateEstimate
            {
                Engine = e.Name,
                Kind = e.Kind,
                RejectedBecause = Reject(e, input),
                ScanBytes = bytes,
                CostMs = cost,
                QueueWaitMs = queue,
            };
        }
        return result;
    }

    /// <summary>Eligible estimates, cheapest first; ties keep the engines' order.</summary>
    public static IReadOnlyList<CandidateEstimate> Rank(IReadOnlyList<CandidateEstimate> estimates) =>
        [.. estimates.Select((e, i) => (e, i)).Where(x => x.e.Eligible).OrderBy(x => x.e.CostMs).ThenBy(x => x.i).Select(x => x.e)];

    /// <summary>Bytes and files the statement scans: what it reads, plus the targets of a read-modify-write. Metadata and session commands scan nothing.</summary>
    public (long Bytes, long Files) EstimateScan(CostInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Kind is StatementKind.Metadata or StatementKind.SessionCommand) return (0, 0);
        long bytes = 0, files = 0;
        foreach (var t in input.Tables)
        {
            if (t.IsWrite && (!input.ScansWriteTargets || t.Reference.Kind != TableReferenceKind.Table)) continue;
            bytes = SaturatingAdd(bytes, EstimateBytes(t).Bytes);
            if (!t.StatsStale && t.Stats?.Files is { } f and > 0) files = SaturatingAdd(files, f);
        }
        return (bytes, files);
    }

    /// <summary>The size used for one table, and whether it came from statistics.</summary>
    public (long Bytes, bool Known) EstimateBytes(ResolvedTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        var stats = table.StatsStale ? null : table.Stats;
        if (stats?.Bytes is { } b and >= 0) return (b, true);
        if (stats?.Rows is { } rows and >= 0 && Options.AssumedRowBytes > 0) return (SaturatingMultiply(rows, Options.AssumedRowBytes), true);
        return table.Reference.Kind switch
        {
            TableReferenceKind.Function => (Options.DefaultFunctionScanBytes, false),
            TableReferenceKind.Schema => (0, true),
            _ => (Options.DefaultScanBytes, false),
        };
    }

    /// <summary>Time to a free slot: the statements ahead of this one, drained MaxConcurrent at a time.</summary>
    public static double QueueWaitMs(EngineCandidate engine)
    {
        ArgumentNullException.ThrowIfNull(engine);
        if (engine.Load.MaxConcurrent is not { } max || max <= 0) return 0;
        var ahead = Math.Max(0L, (long)engine.Load.Running + engine.Load.Queued - max + 1);
        return ahead * engine.Cost.AverageQueryTime.TotalMilliseconds / max;
    }

    private static string? Reject(EngineCandidate e, CostInput input)
    {
        if (!e.Healthy) return e.HealthDetail is { Length: > 0 } d ? $"unhealthy: {d}" : "unhealthy";
        var caps = e.Capabilities;
        if (input.Kind == StatementKind.Streaming && !caps.Streaming) return "not a streaming engine";
        if (input.Kind != StatementKind.Streaming && !caps.Batch) return "streaming-only engine";
        if (caps.Dialects.Count > 0 && !caps.Dialects.Contains(input.Dialect.Name, StringComparer.OrdinalIgnoreCase))
        {
            return $"does not accept {input.Dialect.Name} SQL";
        }
        var persistentWrites = input.Tables.Where(t => t.IsWrite && !t.Reference.Temporary).ToList();
        if ((persistentWrites.Count > 0 || (input.IsWrite && !input.Tables.Any(t => t.IsWrite))) && !caps.CanWrite) return "read-only engine";
        foreach (var w in persistentWrites)
        {
            if (caps.WritableCatalogs is { } writable && w.Catalog is { } catalog && !writable.Any(p => Glob.IsMatch(p, catalog)))
            {
                return $"cannot write to catalog {catalog} ({w})";
            }
        }
        foreach (var t in input.Tables)
        {
            if (!CanSee(e, t)) return $"cannot see {t}";
        }
        if (e.Load.IsSaturated)
        {
            return $"saturated: {e.Load.Running}/{e.Load.MaxConcurrent} running, {e.Load.Queued}/{e.Load.MaxQueued} queued";
        }
        return null;
    }

    private static bool CanSee(EngineCandidate e, ResolvedTable t)
    {
        if (t.Stats?.VisibleTo is { } visibleTo && !visibleTo.Contains(e.Name, StringComparer.OrdinalIgnoreCase)) return false;
        if (e.Visibility is not { } patterns || t.Reference.Temporary) return true;
        if (t.Reference.Kind is TableReferenceKind.Function or TableReferenceKind.Path) return true;
        // What the router cannot resolve (an unqualified name without a session catalog) does not exclude an engine.
        foreach (var pattern in patterns)
        {
            if (Glob.IsMatchCatalogSchema(pattern, t.Catalog, t.Schema)) return true;
        }
        return false;
    }

    private static long SaturatingAdd(long a, long b) => b > 0 && a > long.MaxValue - b ? long.MaxValue : a + b;

    private static long SaturatingMultiply(long a, long b) => a != 0 && b > long.MaxValue / a ? long.MaxValue : a * b;
}
