using System.Globalization;

namespace Gateway.Router.Routing;

/// <summary>
/// <c>EXPLAIN ROUTING</c> as a table of strings: one row per engine — the chosen one first, then the failover order,
/// then the rejected ones in configuration order.
/// </summary>
public static class RoutingExplain
{
    /// <summary>engine, candidate (yes: could run it, no: rejected), estimated_scan_bytes, estimated_cost_ms, decided_by, reason.</summary>
    public static IReadOnlyList<string> Columns { get; } =
        ["engine", "candidate", "estimated_scan_bytes", "estimated_cost_ms", "decided_by", "reason"];

    public static IReadOnlyList<string?[]> ToRows(RoutingDecision decision)
    {
        ArgumentNullException.ThrowIfNull(decision);
        var rows = new List<string?[]>();
        var byName = new Dictionary<string, CandidateEstimate>(StringComparer.OrdinalIgnoreCase);
        foreach (var c in decision.Candidates) byName.TryAdd(c.Engine, c);
        var chosen = byName.GetValueOrDefault(decision.Engine);
        var reasons = string.Join("; ", decision.Reasons);
        if (chosen?.RejectedBecause is { } concern && !reasons.Contains(concern, StringComparison.Ordinal)) reasons += $"; note: {concern}";
        rows.Add(Row(decision.Engine, chosen, decision.EstimatedScanBytes, decision.DecidedByText, reasons));
        var done = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { decision.Engine };
        for (var i = 0; i < decision.Failover.Count; i++)
        {
            if (byName.TryGetValue(decision.Failover[i], out var c) && done.Add(c.Engine)) rows.Add(Row(c.Engine, c, c.ScanBytes, null, $"failover #{i + 1}"));
        }
        foreach (var c in decision.Candidates)
        {
            if (done.Add(c.Engine)) rows.Add(Row(c.Engine, c, c.ScanBytes, null, c.RejectedBecause ?? "eligible"));
        }
        return rows;
    }

    private static string?[] Row(string engine, CandidateEstimate? c, long scanBytes, string? decidedBy, string reason) =>
    [
        engine,
        c is null ? "no" : c.Eligible ? "yes" : "no",
        scanBytes.ToString(CultureInfo.InvariantCulture),
        c is null ? null : c.CostMs.ToString("0.###", CultureInfo.InvariantCulture),
        decidedBy,
        reason,
    ];
}
