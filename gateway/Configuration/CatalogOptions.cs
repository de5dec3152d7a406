namespace Gateway.Server.Configuration;

public enum CatalogKind
{
    /// <summary>The embedded DuckDB's tables and the Parquet files of the data folder (always configured, as <c>embedded</c>).</summary>
    Embedded,

    /// <summary>A PostgreSQL database's schemas and tables, with row estimates and relation sizes.</summary>
    Postgres,

    /// <summary>A Hive Metastore, read from its own PostgreSQL database (numRows, totalSize, numFiles parameters).</summary>
    HiveMetastore,

    /// <summary>A catalog of a Trino engine (<see cref="CatalogOptions.Engine"/>), read through it: information_schema names, SHOW STATS FOR statistics.</summary>
    Trino,
}

/// <summary>
/// One catalog (section <c>Gateway:Catalogs</c>, a list): where table names are looked up and statistics come from.
/// Which engines see it is said by each engine's <c>Catalogs</c>.
/// </summary>
public sealed record CatalogOptions
{
    public const string EmbeddedName = "embedded";

    public string Name { get; init; } = "";
    public CatalogKind Kind { get; init; } = CatalogKind.Postgres;

    /// <summary>Postgres: the database holding the tables; HiveMetastore: the metastore's database (Npgsql syntax).</summary>
    public string? ConnectionString { get; init; }

    /// <summary>Instead of <see cref="ConnectionString"/>: a configured Postgres engine whose connection settings to use.</summary>
    public string? Engine { get; init; }

    /// <summary>Trino: the catalog's name on the coordinator (defaults to <see cref="Name"/>).</summary>
    public string? TrinoCatalog { get; init; }

    /// <summary>HiveMetastore: the metastore catalog (Hive 3's CTLGS) whose databases to read.</summary>
    public string HiveCatalog { get; init; } = "hive";

    /// <summary>How long a table's statistics are reused before the catalog is asked again (0: every statement asks).</summary>
    public TimeSpan CacheTtl { get; init; } = TimeSpan.FromMinutes(5);
}
