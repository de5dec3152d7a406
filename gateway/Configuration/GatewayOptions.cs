using System.Net;

namespace Gateway.Server.Configuration;

/// <summary>The whole gateway configuration (section "Gateway"); an immutable snapshot, validated at start.</summary>
public sealed record GatewayOptions
{
    public const string SectionName = "Gateway";

    public BinaryListenerOptions Binary { get; init; } = new();
    public AuthOptions Auth { get; init; } = new();
    public LimitOptions Limits { get; init; } = new();
    public DuckDbOptions DuckDb { get; init; } = new();
    public ServerInfoOptions ServerInfo { get; init; } = new();
    public ResultOptions Results { get; init; } = new();

    /// <summary>Folder for the embedded database, the password file default and other local state.</summary>
    public string DataFolder { get; init; } = "data";
}

public sealed record BinaryListenerOptions
{
    public bool Enabled { get; init; } = true;
    public string Host { get; init; } = "127.0.0.1";
    public int Port { get; init; } = 10000;
}

public enum AuthMode
{
    /// <summary>Any user name is accepted and recorded; passwords are ignored.</summary>
    None,
    /// <summary>Users and salted PBKDF2 password hashes from a file (see <c>gateway user add</c>).</summary>
    PasswordFile,
}

public sealed record AuthOptions
{
    public AuthMode Mode { get; init; } = AuthMode.None;

    /// <summary>Password file for <see cref="AuthMode.PasswordFile"/>; relative paths resolve against the data folder.</summary>
    public string PasswordFile { get; init; } = "users.txt";

    /// <summary>Allows <see cref="AuthMode.None"/> on a non-loopback address. Off by default: an open gateway on a network is a mistake.</summary>
    public bool AllowUnauthenticatedNetworkAccess { get; init; }
}

public sealed record LimitOptions
{
    /// <summary>Largest Thrift message or SASL frame accepted from a client.</summary>
    public int MaxMessageBytes { get; init; } = 16 * 1024 * 1024;
    public int MaxConnections { get; init; } = 10_000;
    public int MaxSessions { get; init; } = 10_000;
    public int MaxSessionsPerUser { get; init; } = 500;
    public int MaxOperationsPerSession { get; init; } = 200;
    /// <summary>Rows per FetchResults at most, whatever the client asks.</summary>
    public int MaxRowsPerFetch { get; init; } = 100_000;
    public TimeSpan SessionIdleTimeout { get; init; } = TimeSpan.FromHours(1);
    /// <summary>An operation nobody has touched for this long is closed (its session stays).</summary>
    public TimeSpan OperationIdleTimeout { get; init; } = TimeSpan.FromMinutes(15);
    public TimeSpan SweepInterval { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>
    /// GetOperationStatus on a running statement waits up to this long for it to finish (HiveServer2's
    /// long polling), so polling clients learn of completion at once instead of on their next poll.
    /// </summary>
    public TimeSpan StatusLongPoll { get; init; } = TimeSpan.FromSeconds(2);
}

public sealed record DuckDbOptions
{
    /// <summary>Database file name inside the data folder, or ":memory:".</summary>
    public string File { get; init; } = "gateway.duckdb";
    public int? Threads { get; init; }
    public string? MemoryLimit { get; init; }
    /// <summary>Create the demo schema on first start.</summary>
    public bool DemoData { get; init; } = true;
}

/// <summary>What GetInfo reports. BI drivers check these (the Simba Spark ODBC driver wants DBMS_VER ≥ 2.1.0).</summary>
public sealed record ServerInfoOptions
{
    public string ServerName { get; init; } = "Spark SQL";
    public string DbmsName { get; init; } = "Spark SQL";
    public string DbmsVersion { get; init; } = "3.5.0";
}

/// <summary>Result formats offered to clients that ask for them (Spark/Databricks extensions).</summary>
public sealed record ResultOptions
{
    /// <summary>Send Arrow record batches to clients that set canReadArrowResult (else Thrift columns).</summary>
    public bool Arrow { get; init; } = true;

    /// <summary>LZ4-frame-compress Arrow batches for clients that set canDecompressLZ4Result.</summary>
    public bool Lz4 { get; init; } = true;
}

public static class GatewayOptionsValidator
{
    public static IReadOnlyList<string> Validate(GatewayOptions o)
    {
        var errors = new List<string>();
        if (o.Binary.Enabled)
        {
            if (o.Binary.Port is < 0 or > 65535) errors.Add($"Gateway:Binary:Port must be 0..65535 (was {o.Binary.Port}).");
            if (!IPAddress.TryParse(o.Binary.Host, out _) && o.Binary.Host is not ("localhost" or "*" or "0.0.0.0"))
            {
                errors.Add($"Gateway:Binary:Host must be an IP address, 'localhost' or '*' (was '{o.Binary.Host}').");
            }
            if (o.Auth.Mode == AuthMode.None && !IsLoopback(o.Binary.Host) && !o.Auth.AllowUnauthenticatedNetworkAccess)
            {
                errors.Add($"Gateway:Auth:Mode is None but Gateway:Binary:Host '{o.Binary.Host}' is not loopback: choose an auth mode or set Gateway:Auth:AllowUnauthenticatedNetworkAccess=true.");
            }
        }
        var l = o.Limits;
        if (l.MaxMessageBytes < 1024) errors.Add("Gateway:Limits:MaxMessageBytes must be at least 1024.");
        if (l.MaxConnections < 1) errors.Add("Gateway:Limits:MaxConnections must be positive.");
        if (l.MaxSessions < 1) errors.Add("Gateway:Limits:MaxSessions must be positive.");
        if (l.MaxSessionsPerUser < 1) errors.Add("Gateway:Limits:MaxSessionsPerUser must be positive.");
        if (l.MaxOperationsPerSession < 1) errors.Add("Gateway:Limits:MaxOperationsPerSession must be positive.");
        if (l.MaxRowsPerFetch < 1) errors.Add("Gateway:Limits:MaxRowsPerFetch must be positive.");
        if (l.SessionIdleTimeout <= TimeSpan.Zero) errors.Add("Gateway:Limits:SessionIdleTimeout must be positive.");
        if (l.OperationIdleTimeout <= TimeSpan.Zero) errors.Add("Gateway:Limits:OperationIdleTimeout must be positive.");
        if (l.SweepInterval <= TimeSpan.Zero) errors.Add("Gateway:Limits:SweepInterval must be positive.");
        if (l.StatusLongPoll < TimeSpan.Zero || l.StatusLongPoll > TimeSpan.FromMinutes(1)) errors.Add("Gateway:Limits:StatusLongPoll must be between 0 and 1 minute.");
        if (string.IsNullOrWhiteSpace(o.DataFolder)) errors.Add("Gateway:DataFolder must be set.");
        if (string.IsNullOrWhiteSpace(o.DuckDb.File)) errors.Add("Gateway:DuckDb:File must be set.");
        if (o.DuckDb.Threads is < 1) errors.Add("Gateway:DuckDb:Threads must be positive.");
        return errors;
    }

    public static bool IsLoopback(string host) =>
        host == "localhost" || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));
}
