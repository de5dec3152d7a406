using Gateway.Engines;

namespace Gateway.Server.Configuration;

/// <summary>
/// One engine the gateway may route to (section <c>Gateway:Engines</c>, a list). The embedded DuckDB is always
/// registered as <c>duckdb</c>; an entry with that name tunes it (capacity, cost, catalogs) instead of adding one.
/// </summary>
public sealed record EngineOptions
{
    public string Name { get; init; } = "";
    public EngineKind Kind { get; init; } = EngineKind.DuckDb;

    /// <summary>DuckDB: database file (relative to the data folder) or <c>:memory:</c>.</summary>
    public string? Database { get; init; }

    /// <summary>Kind Postgres: connection settings (ConnectionString, or Host/Port/Database/User/Password; MaxPoolSize, ReadPath).</summary>
    public Gateway.Engines.Postgres.PostgresEngineOptions? Postgres { get; init; }

    /// <summary>Kind HiveServer2: a remote HS2 endpoint (Spark Thrift Server, Kyuubi, Hive, another gateway): Host, Port, Transport, Auth, User, Password/Token, Tls...</summary>
    public Gateway.Engines.HiveServer2.HiveServer2EngineOptions? HiveServer2 { get; init; }

    /// <summary>The catalogs this engine sees ("locality"): a statement's tables must all be visible for it to be a candidate.</summary>
    public IReadOnlyList<string> Catalogs { get; init; } = [];

    public EngineCapacityOptions Capacity { get; init; } = new();
    public EngineCostOptions Cost { get; init; } = new();

    /// <summary>Engine session reuse: share level, idle timeout, validation (see EngineSessionPoolOptions.cs).</summary>
    public EngineSessionPoolOptions Sessions { get; init; } = new();
}

/// <summary>Admission: at most MaxConcurrent statements run; up to MaxQueue more wait up to QueueTimeout; beyond, the engine is saturated.</summary>
public sealed record EngineCapacityOptions
{
    public int MaxConcurrent { get; init; } = 32;
    public int MaxQueue { get; init; } = 256;
    public TimeSpan QueueTimeout { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>What the router's cost model assumes about an engine.</summary>
public sealed record EngineCostOptions
{
    /// <summary>Fixed latency before the first row (session start, planning, scheduling).</summary>
    public TimeSpan Startup { get; init; } = TimeSpan.Zero;

    /// <summary>Scan throughput, bytes per second.</summary>
    public double ScanBytesPerSecond { get; init; } = 1e9;
}
