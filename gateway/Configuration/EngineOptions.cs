using Gateway.Engines;
using Gateway.Router.Routing;

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

    /// <summary>DuckDB: further settings (name → value) applied when the database opens; the sandbox's own are refused while it is on.</summary>
    public IReadOnlyDictionary<string, string>? Settings { get; init; }

    /// <summary>DuckDB: what SQL may reach outside the database (as <c>Gateway:DuckDb:Sandbox</c>; on by default).</summary>
    public Gateway.Engines.DuckDb.DuckDbSandboxOptions? Sandbox { get; init; }

    /// <summary>Kind Postgres: connection settings (ConnectionString, or Host/Port/Database/User/Password; MaxPoolSize, ReadPath).</summary>
    public Gateway.Engines.Postgres.PostgresEngineOptions? Postgres { get; init; }

    /// <summary>Kind HiveServer2: a remote HS2 endpoint (Spark Thrift Server, Kyuubi, Hive, another gateway): Host, Port, Transport, Auth, User, Password/Token, Tls...</summary>
    public Gateway.Engines.HiveServer2.HiveServer2EngineOptions? HiveServer2 { get; init; }

    /// <summary>Kind Trino: a coordinator over the client REST protocol: Host, Port, Https, Tls, Auth (None/Basic/Bearer), User, Password/Token, Catalog, Schema...</summary>
    public Gateway.Engines.Trino.TrinoEngineOptions? Trino { get; init; }

    /// <summary>
    /// The catalogs this engine sees ("locality"), as globs of <c>catalog</c> or <c>catalog.schema</c> naming entries of
    /// <c>Gateway:Catalogs</c>: the router gives it only statements whose tables all live there. Empty sees every catalog.
    /// </summary>
    public IReadOnlyList<string> Catalogs { get; init; } = [];

    public EngineCapacityOptions Capacity { get; init; } = new();

    /// <summary>
    /// How the router sees this engine: <c>Order</c>, <c>Groups</c>, <c>Capabilities</c> and <c>Cost</c> (docs/routing.md).
    /// Its <c>Visibility</c> comes from <see cref="Catalogs"/>. Reloaded without restart.
    /// </summary>
    public EngineRoutingProfile? Routing { get; init; }

    /// <summary>Engine session reuse: share level, idle timeout, validation (see EngineSessionPoolOptions.cs).</summary>
    public EngineSessionPoolOptions Sessions { get; init; } = new();

    /// <summary>Periodic probes, and how many failures make the engine unhealthy (the router skips it then).</summary>
    public EngineHealthOptions Health { get; init; } = new();
}

/// <summary>
/// How the gateway probes an engine (<see cref="Gateway.Engines.IEngine.CheckHealthAsync"/>) and turns results into
/// a healthy/unhealthy state. A statement that fails with a connection-level error counts as a failed probe and
/// brings the next probe forward.
/// </summary>
public sealed record EngineHealthOptions
{
    /// <summary>False: never probed, always healthy (failure reports are ignored).</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>Time between the starts of two probes. A probe still running delays the next; probes never overlap.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>A probe without an answer by then fails ("timed out after 5 s").</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Consecutive failures (probes or reported statement failures) that make a healthy engine unhealthy. Two: one
    /// lost connection (a pooled connection the server dropped, a blip) does not take an engine out of routing, while
    /// a dead engine goes within one early probe of the first failed statement.
    /// </summary>
    public int UnhealthyAfter { get; init; } = 2;

    /// <summary>Consecutive successful probes that make an unhealthy engine healthy again; one end-to-end probe is evidence enough.</summary>
    public int HealthyAfter { get; init; } = 1;
}

/// <summary>
/// Admission (gateway/Engines/FairAdmission.cs): at most MaxConcurrent statements hold the engine, one user at most
/// MaxPerUser of them and one group at most its cap; up to MaxQueue more wait up to QueueTimeout, served round-robin
/// across users; beyond, the statement is refused (53400) with what blocked it.
/// </summary>
public sealed record EngineCapacityOptions
{
    public int MaxConcurrent { get; init; } = 32;
    public int MaxQueue { get; init; } = 256;
    public TimeSpan QueueTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Slots one user may hold at once; unset is half of MaxConcurrent (at least 1). MaxConcurrent turns the cap off.</summary>
    public int? MaxPerUser { get; init; }

    /// <summary>Statements of one user that may wait; unset is half of MaxQueue (at least 1 when MaxQueue is).</summary>
    public int? MaxQueuedPerUser { get; init; }

    /// <summary>Slots the statements of one group may hold at once; unset: no cap (a group such as "users" may hold everyone).</summary>
    public int? MaxPerGroup { get; init; }

    /// <summary>Caps of named groups (group → slots), ahead of MaxPerGroup.</summary>
    public IReadOnlyDictionary<string, int>? Groups { get; init; }

    /// <summary>While the engine is full, at most one line per interval says who holds its slots (event 510).</summary>
    public TimeSpan SaturationLogInterval { get; init; } = TimeSpan.FromMinutes(1);
}
