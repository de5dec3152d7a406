using System.Buffers;
using System.Text;
using Gateway.Engines;
using Gateway.Protocol.Sasl;
using Gateway.Server.Auth;
using Gateway.Server.Cli;
using Gateway.Server.Configuration;
using Gateway.Server.Operations;
using Microsoft.Extensions.Configuration;

namespace Gateway.Tests.Unit;

public class SaslUnitTests
{
    [Fact]
    public void FramesRoundTripAndWaitForCompleteData()
    {
        var w = new ArrayBufferWriter<byte>();
        SaslFrame.Write(w, SaslStatus.Start, "PLAIN"u8);
        SaslFrame.Write(w, SaslStatus.Ok, SaslPlainServer.EncodePlain("alice", "s3cret"));
        var bytes = w.WrittenMemory;
        for (var cut = 0; cut < 10; cut++)
        {
            var partial = new ReadOnlySequence<byte>(bytes[..cut]);
            Assert.False(SaslFrame.TryRead(ref partial, 1024, out _, out _));
        }
        var all = new ReadOnlySequence<byte>(bytes);
        Assert.True(SaslFrame.TryRead(ref all, 1024, out var s1, out var p1));
        Assert.Equal(SaslStatus.Start, s1);
        Assert.Equal("PLAIN", Encoding.ASCII.GetString(p1));
        Assert.True(SaslFrame.TryRead(ref all, 1024, out var s2, out var p2));
        Assert.Equal(SaslStatus.Ok, s2);
        Assert.True(all.IsEmpty);

        var server = new SaslPlainServer();
        Assert.Equal(SaslStepKind.Continue, server.Step(s1, p1).Kind);
        var step = server.Step(s2, p2);
        Assert.Equal(SaslStepKind.Authenticate, step.Kind);
        Assert.Equal("alice", step.Credentials.User);
        Assert.Equal("s3cret", step.Credentials.Password);
    }

    [Fact]
    public void BadFramesAreRejected()
    {
        var oversized = new byte[] { 1, 0x7f, 0xff, 0xff, 0xff };
        var seq = new ReadOnlySequence<byte>(oversized);
        Assert.Throws<SaslProtocolException>(() => SaslFrame.TryRead(ref seq, 1024, out _, out _));
        var badStatus = new ReadOnlySequence<byte>(new byte[] { 9, 0, 0, 0, 0 });
        Assert.Throws<SaslProtocolException>(() => SaslFrame.TryRead(ref badStatus, 1024, out _, out _));
    }

    [Fact]
    public void MechanismAndResponseAreChecked()
    {
        Assert.Equal(SaslStepKind.Fail, new SaslPlainServer().Step(SaslStatus.Start, "GSSAPI"u8).Kind);
        Assert.Equal(SaslStepKind.Fail, new SaslPlainServer().Step(SaslStatus.Ok, "x"u8).Kind);
        var s = new SaslPlainServer();
        s.Step(SaslStatus.Start, "PLAIN"u8);
        Assert.Equal(SaslStepKind.Fail, s.Step(SaslStatus.Ok, "no-separators"u8).Kind);
        Assert.False(SaslPlainServer.TryParsePlain("\0\0pw"u8, out _));
        Assert.True(SaslPlainServer.TryParsePlain("authz\0bob\0"u8, out var c));
        Assert.Equal(("authz", "bob", ""), (c.AuthorizationId, c.User, c.Password));
    }
}

public class PasswordFileUnitTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gw-pw").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public async Task HashesVerifyAndFileReloadsOnChange()
    {
        var path = Path.Combine(_dir, "users.txt");
        PasswordFile.Write(path, new Dictionary<string, PasswordHash> { ["alice"] = PasswordHash.Create("pw1", 1000) });
        var text = await File.ReadAllTextAsync(path);
        Assert.DoesNotContain("pw1", text, StringComparison.Ordinal);
        Assert.Contains("alice:pbkdf2-sha256:1000:", text, StringComparison.Ordinal);

        var auth = new PasswordFileAuthenticator(path, TimeProvider.System);
        Assert.True((await auth.AuthenticateAsync("alice", "pw1", default)).Succeeded);
        Assert.False((await auth.AuthenticateAsync("alice", "wrong", default)).Succeeded);
        Assert.False((await auth.AuthenticateAsync("mallory", "pw1", default)).Succeeded);

        var users = PasswordFile.Read(path);
        users["bob"] = new PasswordEntry(PasswordHash.Create("pw2", 1000));
        PasswordFile.Write(path, users);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddSeconds(5));
        Assert.True((await auth.AuthenticateAsync("bob", "pw2", default)).Succeeded);
    }

    [Fact]
    public void SaltsDifferAndCorruptLinesAreReported()
    {
        var a = PasswordHash.Create("same", 1000);
        var b = PasswordHash.Create("same", 1000);
        Assert.NotEqual(a.Format(), b.Format());
        var path = Path.Combine(_dir, "bad.txt");
        File.WriteAllText(path, "alice:md5:abc\n");
        var ex = Assert.Throws<InvalidDataException>(() => PasswordFile.Read(path));
        Assert.Contains("bad.txt:1", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => PasswordFile.ValidateUserName("a:b"));
    }
}

public class OperationStateUnitTests
{
    [Theory]
    [InlineData(OperationState.Initialized, OperationState.Pending, true)]
    [InlineData(OperationState.Pending, OperationState.Running, true)]
    [InlineData(OperationState.Running, OperationState.Finished, true)]
    [InlineData(OperationState.Running, OperationState.TimedOut, true)]
    [InlineData(OperationState.Finished, OperationState.Closed, true)]
    [InlineData(OperationState.Finished, OperationState.Running, false)]
    [InlineData(OperationState.Closed, OperationState.Running, false)]
    [InlineData(OperationState.Canceled, OperationState.Finished, false)]
    [InlineData(OperationState.Error, OperationState.Finished, false)]
    [InlineData(OperationState.TimedOut, OperationState.Canceled, false)]
    public void TransitionTableIsEnforced(OperationState from, OperationState to, bool allowed) =>
        Assert.Equal(allowed, OperationStateMachine.CanMove(from, to));
}

public class ConfigurationUnitTests
{
    [Fact]
    public void DefaultsAreValid() => Assert.Empty(GatewayOptionsValidation.Validate(new GatewayOptions()));

    [Fact]
    public void NoAuthOnANetworkAddressIsRefusedUnlessAllowed()
    {
        var open = new GatewayOptions { Binary = new BinaryListenerOptions { Host = "0.0.0.0" } };
        Assert.Contains(GatewayOptionsValidation.Validate(open), e => e.Contains("not loopback", StringComparison.Ordinal));
        Assert.Empty(GatewayOptionsValidation.Validate(open with { Auth = new AuthOptions { AllowUnauthenticatedNetworkAccess = true } }));
        Assert.Empty(GatewayOptionsValidation.Validate(open with { Auth = new AuthOptions { Mode = AuthMode.PasswordFile } }));
    }

    [Fact]
    public void UnconvertibleValuesNameTheKey()
    {
        var config = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Gateway:Auth:Mode"] = "bogus" }).Build();
        var ex = Assert.Throws<Gateway.Server.Hosting.GatewayConfigurationException>(() => Gateway.Server.Hosting.GatewayHost.LoadOptions(config));
        Assert.Contains("Gateway:Auth:Mode", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BadLimitsAreListed()
    {
        var bad = new GatewayOptions { Limits = new LimitOptions { MaxSessions = 0, MaxMessageBytes = 10, SessionIdleTimeout = TimeSpan.Zero }, Binary = new BinaryListenerOptions { Port = 70000 } };
        var errors = GatewayOptionsValidation.Validate(bad);
        Assert.Equal(4, errors.Count);
    }
}

public class CliUnitTests
{
    [Fact]
    public void ScriptsSplitOutsideQuotesAndComments()
    {
        var parts = StatementSplitter.Split("select ';' as a; -- a comment; here\nselect `x;y` from t /* ; */ ;\n-- trailing").ToList();
        Assert.Equal(2, parts.Count);
        Assert.Equal("select ';' as a", parts[0]);
        Assert.StartsWith("-- a comment; here\nselect `x;y` from t /* ; */", parts[1], StringComparison.Ordinal);
        Assert.True(StatementSplitter.EndsStatement("select 1;\n"));
        Assert.False(StatementSplitter.EndsStatement("select ';"));
    }

    [Fact]
    public void ScriptsSplitTheWayTheGatewayLexesThem()
    {
        // A line comment ends at a bare \r too (old Mac line ends, some editors): the ';' after it ends a statement.
        Assert.Equal(["select 1 -- one", "select 2"], StatementSplitter.Split("select 1 -- one\r; select 2").ToList());
        // Spark nests block comments: the ';' inside the inner one is still a comment.
        Assert.Equal(["select /* a /* ; */ b */ 1", "select 2"], StatementSplitter.Split("select /* a /* ; */ b */ 1; select 2").ToList());
        // A backslash escapes a quote inside a string; raw strings have no escapes.
        Assert.Equal(["select 'it\\'s;'", "select r'\\'", "select 3"], StatementSplitter.Split("select 'it\\'s;'; select r'\\'; select 3").ToList());
        Assert.True(StatementSplitter.EndsStatement("select 1; -- done\r"));
        Assert.False(StatementSplitter.EndsStatement("select 1; /* a comment that goes on\n"));
    }

    [Theory]
    [InlineData("-- note\nSET a=1", "SET a=1")]
    [InlineData("-- note\rSET a=1", "SET a=1")]
    [InlineData("-- note\r\n  /* block */ SET a=1", "SET a=1")]
    [InlineData("/* outer /* inner */ still */ SET a=1", "SET a=1")]
    [InlineData("/*+ hint */SELECT 1", "SELECT 1")]
    [InlineData("/* never closed SET a=1", "")]
    [InlineData("SELECT 1 -- tail", "SELECT 1 -- tail")]
    public void SessionCommandsSeeThroughLeadingComments(string sql, string expected) =>
        Assert.Equal(expected, Gateway.Server.Hive.SessionCommands.StripLeadingComments(sql));

    [Fact]
    public void TablesAreAligned()
    {
        var text = TableRenderer.Render(["id", "name"], [["1", "alice"], ["22", null]]);
        var lines = text.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(6, lines.Length);
        Assert.All(lines, l => Assert.Equal(lines[0].Length, l.Length));
        Assert.Contains("NULL", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sales%", "sales_2024", true)]
    [InlineData("sales\\_%", "sales_x", true)]
    [InlineData("sales\\_%", "salesX", false)]
    [InlineData("s_les", "SALES", true)]
    [InlineData("%", "anything", true)]
    [InlineData("a.b", "axb", false)]
    public void JdbcPatternsHonourEscapes(string pattern, string name, bool match) =>
        Assert.Equal(match, JdbcPattern.Matches(pattern, name));
}

public class OperationPinUnitTests
{
    [Fact]
    public async Task ClosingWaitsForRepliesThatStillReferenceTheResult()
    {
        await using var engine = new Gateway.Engines.DuckDb.DuckDbEngine(Gateway.Engines.DuckDb.DuckDbEngineOptions.InMemory());
        await using var session = new Gateway.Server.Sessions.Hs2Session(new Gateway.Server.Sessions.SessionInfo("u", 10, null, null, null), engine, TimeProvider.System);
        var builder = new Gateway.Protocol.Columnar.BatchBuilder(new Gateway.Protocol.Columnar.ResultSchema([new Gateway.Protocol.Columnar.ColumnInfo("x", Gateway.Protocol.Columnar.SqlType.String)]));
        builder.AddRow("still here");
        var batch = builder.Build();
        var op = new Gateway.Server.Operations.MaterializedOperation(session, Gateway.Server.Operations.OperationType.ExecuteStatement, TimeProvider.System, batch);
        Assert.True(op.TryPin());
        var fetched = await op.FetchAsync(Gateway.Server.Operations.FetchOrientation.Next, 10, CancellationToken.None);

        var closing = op.DisposeAsync().AsTask();
        await Task.Delay(50);
        // Closed for everyone else at once, but the pinned reply's buffers are intact.
        Assert.False(closing.IsCompleted);
        Assert.Equal(Gateway.Server.Operations.OperationState.Closed, op.State);
        Assert.False(op.TryPin());
        Assert.Equal("still here", ((Gateway.Protocol.Columnar.BinaryColumn)fetched.Batch.Columns[0]).GetString(0));

        op.Unpin();
        await closing.WaitAsync(TimeSpan.FromSeconds(10));
    }
}

public class EngineConfigurationUnitTests
{
    [Fact]
    public void EngineListsAreValidatedWithTheirIndex()
    {
        var o = new Gateway.Server.Configuration.GatewayOptions
        {
            DefaultEngine = "missing",
            Engines =
            [
                new Gateway.Server.Configuration.EngineOptions { Name = "a" },
                new Gateway.Server.Configuration.EngineOptions { Name = "A" },
                new Gateway.Server.Configuration.EngineOptions { Name = "bad name" },
                new Gateway.Server.Configuration.EngineOptions { Name = "duckdb", Kind = Gateway.Engines.EngineKind.Postgres },
                new Gateway.Server.Configuration.EngineOptions { Name = "c", Capacity = new() { MaxConcurrent = 0 } },
            ],
        };
        var errors = Gateway.Server.Configuration.GatewayOptionsValidation.Validate(o);
        Assert.Contains(errors, e => e.StartsWith("Gateway:Engines:1:Name 'A' is used by another engine", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Gateway:Engines:2:Name must be", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Gateway:Engines:3: 'duckdb' is the embedded engine", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Gateway:Engines:4:Capacity:MaxConcurrent", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Gateway:DefaultEngine 'missing' is not an engine", StringComparison.Ordinal));
        Assert.Empty(Gateway.Server.Configuration.GatewayOptionsValidation.Validate(new Gateway.Server.Configuration.GatewayOptions { DefaultEngine = "a", Engines = [new() { Name = "a" }] }));
    }
}

public class HandleIdUnitTests
{
    [Fact]
    public async Task SecretsAreSixteenFreshRandomBytesEachAcrossBlockBoundaries()
    {
        // Secrets are drawn from the CSPRNG in blocks of 32; take several blocks' worth on two threads.
        var secrets = new List<byte[]>();
        var other = Task.Run(() => Enumerable.Range(0, 100).Select(_ => Gateway.Server.Sessions.HandleId.New().Secret).ToList());
        for (var i = 0; i < 100; i++) secrets.Add(Gateway.Server.Sessions.HandleId.New().Secret);
        secrets.AddRange(await other);
        Assert.All(secrets, s => Assert.Equal(Gateway.Server.Sessions.HandleId.SecretLength, s.Length));
        Assert.Equal(secrets.Count, secrets.Select(Convert.ToHexString).Distinct().Count());
        // Not a block of zeros handed out (the block is wiped as it is used).
        Assert.DoesNotContain(secrets, s => s.All(b => b == 0));
        var h = Gateway.Server.Sessions.HandleId.New();
        Assert.True(h.SecretMatches(h.Secret));
        Assert.False(h.SecretMatches(Gateway.Server.Sessions.HandleId.New().Secret));
    }
}
