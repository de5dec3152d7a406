using Gateway.Catalog;
using Gateway.Router.Routing;
using Gateway.Router.Sql;

namespace Gateway.Server.Routing;

/// <summary>Where unqualified names of one statement resolve: the session's current catalog (if any) and schema.</summary>
public sealed record NameScope(string? Catalog, string? Schema);

/// <summary>An engine's locality: the catalog globs it sees (<c>catalog</c> or <c>catalog.schema</c>); null sees everything.</summary>
public sealed record EngineLocality(string Engine, IReadOnlyList<string>? Catalogs)
{
    public bool Sees(string catalog, string? schema)
    {
        if (Catalogs is null) return true;
        foreach (var pattern in Catalogs)
        {
            if (Glob.IsMatchCatalogSchema(pattern, catalog, schema)) return true;
        }
        return false;
    }
}

/// <summary>
/// Looks up, before a routing decision, the statistics of every table a statement references, in every catalog at once
/// (each behind its cache), within a time budget. A name qualified with a configured catalog is looked up there only;
/// otherwise every catalog is asked, the session's current catalog first. A table found in one catalog is that catalog's
/// (engines that do not see it cannot run the statement); found in several, its statistics are the first catalog's and
/// every engine that sees one of them can run it. Parquet paths and <c>read_parquet('…')</c> under the data folder are
/// sized from their footers and belong to the embedded catalog.
/// </summary>
public sealed class StatisticsResolver(CatalogRegistry catalogs, TimeProvider time)
{
    private static readonly string[] ParquetFunctions = ["read_parquet", "parquet_scan"];
    private static readonly TableStatsLookup NoTables = static _ => null;

    /// <summary>The statistics of <paramref name="analysis"/>'s references as a lookup for the router; never throws for a catalog's failure.</summary>
    public async ValueTask<TableStatsLookup> ResolveAsync(StatementAnalysis analysis, NameScope scope, IReadOnlyList<EngineLocality> engines, TimeSpan budget, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(analysis);
        // Most statements of a dashboard's chatter (SELECT 1, SET, SHOW) name no table: nothing to look up or allocate.
        if (analysis.Reads.Count == 0 && analysis.Writes.Count == 0) return NoTables;
        var lookups = new Dictionary<string, Task<Resolved>>(StringComparer.Ordinal);
        foreach (var reference in analysis.Reads.Concat(analysis.Writes))
        {
            if (reference.Temporary || reference.Kind == TableReferenceKind.Schema || lookups.ContainsKey(reference.Key)) continue;
            lookups[reference.Key] = ResolveOneAsync(reference, scope, engines);
        }
        if (lookups.Count == 0) return static _ => null;
        try
        {
            await Task.WhenAll(lookups.Values).WaitAsync(budget, time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The unfinished lookups go on in their caches; this decision treats them as unknown.
        }
        var results = new Dictionary<string, Resolved>(StringComparer.Ordinal);
        foreach (var (key, task) in lookups)
        {
            results[key] = task.IsCompletedSuccessfully ? task.Result : new Resolved(null, $"not back within {budget.TotalMilliseconds:0} ms");
        }
        return reference => results.TryGetValue(reference.Key, out var r)
            ? r.Error is { } error ? throw new CatalogLookupException(error) : r.Stats
            : null;
    }

    private async Task<Resolved> ResolveOneAsync(TableReference reference, NameScope scope, IReadOnlyList<EngineLocality> engines)
    {
        try
        {
            return reference.Kind == TableReferenceKind.Table
                ? await ResolveTableAsync(reference, scope, engines).ConfigureAwait(false)
                : await ResolveFilesAsync(reference, engines).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            return new Resolved(null, $"{ex.GetType().Name}: {ex.Message}");
        }
    }

    private async Task<Resolved> ResolveTableAsync(TableReference reference, NameScope scope, IReadOnlyList<EngineLocality> engines)
    {
        var parts = reference.Parts;
        IReadOnlyList<CachingCatalog> asked;
        TableRef name;
        if (parts.Count >= 3 && catalogs.Find(parts[0]) is { } named)
        {
            asked = [named];
            name = new TableRef(null, reference.Schema, reference.Name);
        }
        else
        {
            // A catalog name the gateway does not know (Spark's spark_catalog) qualifies nothing here.
            var schema = parts.Count >= 2 ? parts[^2] : scope.Schema;
            name = new TableRef(null, schema, reference.Name);
            asked = [.. catalogs.All.OrderBy(c => scope.Catalog is not null && c.Name.Equals(scope.Catalog, StringComparison.OrdinalIgnoreCase) ? 0 : 1)];
        }
        var answers = await Task.WhenAll(asked.Select(async c =>
        {
            try
            {
                return (Catalog: c, Stats: await c.GetStatisticsAsync(name, CancellationToken.None).ConfigureAwait(false), Error: (string?)null);
            }
            catch (Exception ex)
            {
                return (Catalog: c, Stats: (TableStatistics?)null, Error: $"catalog {c.Name}: {ex.Message}");
            }
        })).ConfigureAwait(false);
        var found = answers.Where(a => a.Stats is not null).ToList();
        if (found.Count == 0)
        {
            var errors = answers.Where(a => a.Error is not null).Select(a => a.Error!).ToList();
            return new Resolved(null, errors.Count > 0 ? string.Join("; ", errors) : null);
        }
        var first = found[0];
        var stats = Convert(first.Stats!) with { Catalog = first.Catalog.Name, Schema = name.Schema };
        if (found.Count > 1)
        {
            // The same name in several catalogs: each engine reads its own; any engine that sees one of them can run it.
            var visible = engines.Where(e => found.Any(f => e.Sees(f.Catalog.Name, name.Schema))).Select(e => e.Engine).ToList();
            stats = stats with { Catalog = null, VisibleTo = visible };
        }
        return new Resolved(stats, null);
    }

    private async Task<Resolved> ResolveFilesAsync(TableReference reference, IReadOnlyList<EngineLocality> engines)
    {
        var path = reference.Kind switch
        {
            TableReferenceKind.Path when reference.Format is null or "parquet" => reference.Name,
            TableReferenceKind.Function when ParquetFunctions.Contains(reference.Name, StringComparer.OrdinalIgnoreCase) && reference.Arguments.Count > 0 => reference.Arguments[0],
            _ => null,
        };
        if (path is null || catalogs.Embedded is not { } embedded) return new Resolved(null, null);
        var stats = await embedded.GetParquetStatisticsAsync(path, CancellationToken.None).ConfigureAwait(false);
        if (stats is null) return new Resolved(null, null);
        // Files of the local data folder: only engines that see the embedded catalog can read them.
        var visible = engines.Where(e => e.Sees(CatalogOptionsEmbeddedName, null)).Select(e => e.Engine).ToList();
        return new Resolved(Convert(stats) with { VisibleTo = visible }, null);
    }

    private const string CatalogOptionsEmbeddedName = Configuration.CatalogOptions.EmbeddedName;

    private static TableStats Convert(TableStatistics s) => new()
    {
        Rows = s.Rows,
        Bytes = s.Bytes,
        Files = s.Files,
        Freshness = s.Freshness,
    };

    private sealed record Resolved(TableStats? Stats, string? Error);
}

/// <summary>A catalog could not say anything about a table (down, timed out); the router counts the table as unknown.</summary>
public sealed class CatalogLookupException(string message) : Exception(message)
{
    public CatalogLookupException() : this("Catalog lookup failed.") { }
    public CatalogLookupException(string message, Exception inner) : this(message + ": " + inner.Message) { }
}
