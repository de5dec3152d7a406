using Gateway.Engines;
using Gateway.Engines.Trino;
using Gateway.Protocol.Columnar;
using Gateway.Tests.InProcess;

namespace Gateway.Tests.Engines.Conformance;

/// <summary>
/// The Trino engine adapter pointed at a second gateway's Trino protocol frontend, whose own engine is its embedded
/// DuckDB: the SQL is DuckDB's (through the remote's Hive dialect), the types are what the Trino protocol carries.
/// </summary>
public sealed class TrinoDialect : ConformanceDialect
{
    // The remote's engine is DuckDB, so the SQL and most answers are DuckDB's own.
    private static readonly DuckDbDialect Remote = new();

    // What the Trino protocol carries differently: Trino's intervals are year-to-month or day-to-second, never both,
    // so DuckDB's interval travels as its text. (uuid arrives as text from DuckDB itself too: the gateway has no uuid kind.)
    public override IReadOnlyList<TypeSample> TypeSamples { get; } =
        [.. Remote.TypeSamples.Select(s => s.Name == "interval" ? s with { Type = SqlType.String } : s)];

    public override string Series(long rows) => Remote.Series(rows);

    public override string LongRunningQuery => Remote.LongRunningQuery;

    public override string SyntaxErrorState => Remote.SyntaxErrorState;

    public override string MissingTableState => Remote.MissingTableState;

    public override string MissingDatabaseState => Remote.MissingDatabaseState;

    public override (SqlType Id, SqlType Name) CreatedTableTypes => Remote.CreatedTableTypes;

    // Trino's SET SESSION: the frontend answers X-Trino-Set-Session, the adapter carries it on every later request.
    public override SettingProbe Setting { get; } = new("SET SESSION conformance_probe = 'on'", "SET conformance_probe", "conformance_probe=on");
}

/// <summary>
/// A second gateway as a separate process (password file, the test certificate on every listener) and a Trino engine
/// on its Trino protocol listener: https, checked against the test CA, HTTP Basic.
/// </summary>
public sealed class TrinoConformanceFixture : IAsyncLifetime
{
    private const string User = "conformance";
    private const string Password = "conformance-secret";

    public GatewayProcess Remote { get; private set; } = null!;

    public TrinoEngine Engine { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Remote = await GatewayProcess.StartAsync(tls: true, new Dictionary<string, string> { [User] = Password });
        Engine = new TrinoEngine(Options());
    }

    public TrinoEngineOptions Options() => new()
    {
        Name = "conformance-trino",
        Host = Remote.TrinoUri.Host,
        Port = Remote.TrinoUri.Port,
        Tls = new EngineTlsOptions { CaFile = TestCertificate.CertificatePath },
        Auth = TrinoAuth.Basic,
        User = User,
        Password = Password,
        Catalog = "embedded",
        RequestTimeout = TimeSpan.FromMinutes(2),
    };

    public async Task DisposeAsync()
    {
        if (Engine is not null) await Engine.DisposeAsync();
        if (Remote is not null) await Remote.DisposeAsync();
    }
}

/// <summary>Runs alone: one test measures the managed heap while streaming.</summary>
[CollectionDefinition(nameof(TrinoConformanceTests), DisableParallelization = true)]
public sealed class TrinoConformanceCollection : ICollectionFixture<TrinoConformanceFixture>;

/// <summary>Tier 4 for the Trino engine adapter, against a gateway process's Trino frontend over TLS with Basic.</summary>
[Collection(nameof(TrinoConformanceTests))]
public sealed class TrinoConformanceTests(TrinoConformanceFixture fixture)
    : EngineConformanceTests(fixture.Engine, new TrinoDialect());
