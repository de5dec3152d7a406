using Gateway.Protocol.Hive;
using Gateway.Protocol.Thrift;

namespace Gateway.Engines.HiveServer2;

/// <summary>How the remote engine authenticates the gateway.</summary>
public enum HiveServer2Auth
{
    /// <summary>Binary: bare Thrift messages (<c>auth=noSasl</c>). HTTP: no Authorization header.</summary>
    NoSasl,
    /// <summary>Binary only: SASL PLAIN with <see cref="HiveServer2EngineOptions.User"/> and <see cref="HiveServer2EngineOptions.Password"/>.</summary>
    SaslPlain,
    /// <summary>HTTP only: <c>Authorization: Basic</c> with User and Password.</summary>
    Basic,
    /// <summary>HTTP only: <c>Authorization: Bearer</c> with <see cref="HiveServer2EngineOptions.Token"/>.</summary>
    Bearer,
}

/// <summary>
/// A remote HiveServer2 endpoint (Spark Thrift Server, a Kyuubi engine, Hive, another gateway) and how to talk
/// to it. Immutable; validated by <see cref="Validate"/> when the engine is built.
/// </summary>
public sealed record HiveServer2EngineOptions
{
    public string Name { get; init; } = "hiveserver2";
    public string Host { get; init; } = "127.0.0.1";
    public int Port { get; init; } = 10000;
    public HiveTransportMode Transport { get; init; } = HiveTransportMode.Binary;

    /// <summary>HTTP endpoint path (<c>httpPath</c>).</summary>
    public string HttpPath { get; init; } = "/cliservice";

    public HiveServer2Auth Auth { get; init; } = HiveServer2Auth.SaslPlain;
    public string User { get; init; } = "anonymous";
    public string? Password { get; init; }

    /// <summary>The bearer token for <see cref="HiveServer2Auth.Bearer"/>.</summary>
    public string? Token { get; init; }

    /// <summary>Null means plaintext.</summary>
    public EngineTlsOptions? Tls { get; init; }

    /// <summary>
    /// The protocol asked for. A SPARK_CLI_SERVICE_PROTOCOL version goes in <c>client_protocol_i64</c> with its Hive
    /// level in <c>client_protocol</c>, so Hive-line servers answer with a Hive version and Spark-line servers
    /// (Databricks, this gateway) with a Spark one, which enables direct results and (V8+) bound parameters.
    /// </summary>
    public TProtocolVersion ProtocolVersion { get; init; } = TProtocolVersion.SPARK_CLI_SERVICE_PROTOCOL_V8;

    /// <summary>TCP connect, TLS and SASL handshakes and the OpenSession call.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Longest wait for the answer to one call; beyond it the connection counts as broken.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Longest wait for each CancelOperation/CloseOperation/CloseSession, and again for its turn on a binary
    /// connection. Keep it above the remote's GetOperationStatus long poll (Hive: 5 s, this gateway: 2 s), which a
    /// cancel may queue behind; a cleanup call that cannot get its turn marks the connection stuck.
    /// </summary>
    public TimeSpan CloseTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>GetOperationStatus polling starts at <see cref="MinPollInterval"/> and doubles up to this.</summary>
    public TimeSpan MaxPollInterval { get; init; } = TimeSpan.FromMilliseconds(500);
    public TimeSpan MinPollInterval { get; init; } = TimeSpan.FromMilliseconds(10);

    /// <summary>Sent in OpenSession's configuration (<c>set:hiveconf:k</c>, <c>kyuubi.engine.share.level</c>, ...).</summary>
    public IReadOnlyDictionary<string, string>? SessionConf { get; init; }

    /// <summary>Send <c>hive.server2.proxy.user</c> = the gateway user, so the remote runs statements as that user.</summary>
    public bool ImpersonateUser { get; init; }

    /// <summary>
    /// The remote session's time zone: sent as <c>spark.sql.session.timeZone</c> (unless <see cref="SessionConf"/>
    /// sets it) and used to read TIMESTAMP WITH LOCAL TIME ZONE text back into instants. Null sends nothing and reads
    /// such text as UTC.
    /// </summary>
    public string? SessionTimeZone { get; init; } = "UTC";

    /// <summary>
    /// Ask the remote for Arrow result batches (Spark's <c>canReadArrowResult</c>) instead of Thrift columns: DECIMAL and
    /// TIMESTAMP travel as decimal128 and timestamp[us], so neither side formats or parses their text. Sent only when the
    /// remote negotiates a Spark-line protocol (Databricks, Spark Thrift Server, Kyuubi's Spark engine, this gateway);
    /// a remote that ignores it answers with Thrift columns, which are read as usual. Off by default: plain HiveServer2
    /// does not know the flag, and Spark Thrift Server builds before the Databricks extension ignore it.
    /// </summary>
    public bool ArrowResults { get; init; }

    /// <summary>With <see cref="ArrowResults"/>: also accept LZ4-frame compressed batches (less on the wire, CPU on both ends).</summary>
    public bool ArrowLz4 { get; init; }

    /// <summary>Bounds on replies read from the remote.</summary>
    public ThriftLimits Limits { get; init; } = ThriftLimits.Default;

    public bool IsSparkProtocol => HiveProtocol.IsSpark(ProtocolVersion);

    /// <summary>Throws <see cref="ArgumentException"/> with a clear message when the options cannot work.</summary>
    public void Validate()
    {
        var who = $"HiveServer2 engine '{Name}'";
        if (string.IsNullOrWhiteSpace(Name)) throw new ArgumentException("HiveServer2 engine: Name is empty.");
        if (string.IsNullOrWhiteSpace(Host)) throw new ArgumentException($"{who}: Host is empty.");
        if (Port is < 1 or > 65535) throw new ArgumentException($"{who}: Port {Port} is not a TCP port.");
        if (!Enum.IsDefined(ProtocolVersion)) throw new ArgumentException($"{who}: unknown protocol version {(int)ProtocolVersion}.");
        switch (Transport)
        {
            case HiveTransportMode.Binary when Auth is HiveServer2Auth.Basic or HiveServer2Auth.Bearer:
                throw new ArgumentException($"{who}: {Auth} authentication needs the HTTP transport (binary supports NoSasl and SaslPlain).");
            case HiveTransportMode.Http when Auth == HiveServer2Auth.SaslPlain:
                throw new ArgumentException($"{who}: SASL is a binary-transport mechanism; over HTTP use Basic, Bearer or NoSasl.");
            case HiveTransportMode.Http when string.IsNullOrWhiteSpace(HttpPath):
                throw new ArgumentException($"{who}: HttpPath is empty.");
            case not (HiveTransportMode.Binary or HiveTransportMode.Http):
                throw new ArgumentException($"{who}: unknown transport {Transport}.");
        }
        if (Auth == HiveServer2Auth.Bearer && string.IsNullOrEmpty(Token)) throw new ArgumentException($"{who}: Bearer authentication needs a Token.");
        if (Auth is HiveServer2Auth.Basic or HiveServer2Auth.SaslPlain && string.IsNullOrEmpty(User)) throw new ArgumentException($"{who}: {Auth} authentication needs a User.");
        if (Tls?.CaFile is { Length: > 0 } ca && !File.Exists(ca)) throw new ArgumentException($"{who}: TLS CA file '{ca}' does not exist.");
        Positive(ConnectTimeout, nameof(ConnectTimeout));
        Positive(RequestTimeout, nameof(RequestTimeout));
        Positive(CloseTimeout, nameof(CloseTimeout));
        Positive(MinPollInterval, nameof(MinPollInterval));
        if (MaxPollInterval < MinPollInterval) throw new ArgumentException($"{who}: MaxPollInterval is below MinPollInterval.");
        if (SessionTimeZone is not null && !TimeZoneInfo.TryFindSystemTimeZoneById(SessionTimeZone, out _))
        {
            throw new ArgumentException($"{who}: unknown time zone '{SessionTimeZone}' (use an IANA name such as UTC or Europe/Paris).");
        }

        void Positive(TimeSpan value, string name)
        {
            if (value <= TimeSpan.Zero) throw new ArgumentException($"{who}: {name} must be positive (was {value}).");
        }
    }

    /// <summary>host:port, or the HTTP endpoint, for messages.</summary>
    public string Endpoint => Transport == HiveTransportMode.Http ? HttpUri.ToString() : $"{Host}:{Port}";

    internal Uri HttpUri => new UriBuilder(Tls is null ? "http" : "https", Host, Port, HttpPath.StartsWith('/') ? HttpPath : "/" + HttpPath).Uri;
}
