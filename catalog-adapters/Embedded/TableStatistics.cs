namespace Gateway.Catalog;

/// <summary>What a catalog knows about a table's size; any field may be unknown.</summary>
public sealed record TableStatistics(long? Rows, long? Bytes, long? Files, long? Partitions, DateTimeOffset? Freshness);
