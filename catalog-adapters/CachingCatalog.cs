using System.Collections.Concurrent;

namespace Gateway.Catalog;

/// <summary>
/// Statistics cached per table for <see cref="TimeToLive"/> (routing asks for the same tables again and
/// again; catalogs can be slow). Concurrent misses for one table share one lookup; failed lookups are not
/// cached. Names and listings pass through.
/// </summary>
public sealed class CachingCatalog(ICatalog inner, TimeSpan timeToLive, TimeProvider time, int maxEntries = 100_000) : ICatalog
{
    private readonly ConcurrentDictionary<string, Lazy<Task<(TableStatistics? Stats, DateTimeOffset At)>>> _entries = new(StringComparer.OrdinalIgnoreCase);

    public string Name => inner.Name;
    public TimeSpan TimeToLive => timeToLive;
    public ICatalog Inner => inner;

    public ValueTask<IReadOnlyList<string>> ListSchemasAsync(CancellationToken cancellationToken) => inner.ListSchemasAsync(cancellationToken);

    public ValueTask<IReadOnlyList<CatalogTable>> ListTablesAsync(string? schema, CancellationToken cancellationToken) => inner.ListTablesAsync(schema, cancellationToken);

    /// <summary>Not cached: columns are asked for by people and tools, not by every routing decision.</summary>
    public ValueTask<IReadOnlyList<CatalogColumn>?> ListColumnsAsync(TableRef table, CancellationToken cancellationToken) => inner.ListColumnsAsync(table, cancellationToken);

    public async ValueTask<TableStatistics?> GetStatisticsAsync(TableRef table, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(table);
        var key = table.ToString();
        var now = time.GetUtcNow();
        while (true)
        {
            var entry = _entries.GetOrAdd(key, _ => new Lazy<Task<(TableStatistics?, DateTimeOffset)>>(() => LoadAsync(table)));
            try
            {
                var (stats, at) = await entry.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
                if (now - at < timeToLive) return stats;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception)
            {
                // A failed lookup is retried by the next caller, not remembered.
                _entries.TryRemove(new KeyValuePair<string, Lazy<Task<(TableStatistics?, DateTimeOffset)>>>(key, entry));
                throw;
            }
            // Expired: drop this entry (unless someone already replaced it) and load again.
            _entries.TryRemove(new KeyValuePair<string, Lazy<Task<(TableStatistics?, DateTimeOffset)>>>(key, entry));
        }
    }

    /// <summary>Forgets one table (after a write the gateway routed) or everything.</summary>
    public void Invalidate(TableRef? table = null)
    {
        if (table is null) _entries.Clear();
        else _entries.TryRemove(table.ToString(), out _);
    }

    /// <summary>Forgets every cached table called <paramref name="name"/>, whatever schema it was looked up in.</summary>
    public void InvalidateName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (var key in _entries.Keys)
        {
            if (key.Equals(name, StringComparison.OrdinalIgnoreCase) || key.EndsWith("." + name, StringComparison.OrdinalIgnoreCase)) _entries.TryRemove(key, out _);
        }
    }

    private async Task<(TableStatistics?, DateTimeOffset)> LoadAsync(TableRef table)
    {
        if (_entries.Count > maxEntries) _entries.Clear();
        // Not the caller's token: the lookup is shared, one caller giving up must not fail the others.
        var stats = await inner.GetStatisticsAsync(table, CancellationToken.None).ConfigureAwait(false);
        return (stats, time.GetUtcNow());
    }
}
