using Gateway.Engines;
using Gateway.Protocol.Columnar;
using Gateway.Server.Configuration;
using Gateway.Server.Engines;
using Gateway.Server.Hosting;
using Gateway.Server.Sessions;
using Gateway.Tests.InProcess;
using Microsoft.Extensions.Configuration;

namespace Gateway.Tests.Unit;

/// <summary>
/// Engine session pools and the HS2 session's use of them, over scripted engines and a clock moved by hand: share levels,
/// idle eviction, validation, spoiled sessions, database reset, and USE propagation across engines.
/// </summary>
public sealed class EngineSessionPoolUnitTests
{
    private static readonly EngineSessionPoolOptions Connection = new();
    private static readonly EngineSessionPoolOptions User = new() { ShareLevel = EngineShareLevel.User };

    // ---- share levels ----

    [Fact]
    public async Task UserLevelReusesAUsersEngineSessionAndNeverHandsItToAnotherUser()
    {
        await using var t = new Setup(pg: User);
        var first = await t.PgSessionOfAsync("alice");
        Assert.Equal((1, 0), (t.PgPool.Idle, t.PgPool.InUse));

        await using var bob = t.Session("bob");
        var bobs = await t.InnerAsync(bob, t.Pg);
        Assert.NotSame(first, bobs);
        Assert.Equal("bob", bobs.User);

        await using var alice = t.Session("alice");
        Assert.Same(first, await t.InnerAsync(alice, t.Pg));
        Assert.Equal((2L, 1L), (t.PgPool.Opened, t.PgPool.Reused));
        Assert.False(first.Disposed);

        // Alice's session idles again; bob's next HS2 session still never gets it.
        await alice.DisposeAsync();
        await using var bobAgain = t.Session("bob", connectionId: 9);
        var other = await t.InnerAsync(bobAgain, t.Pg);
        Assert.NotSame(first, other);
        Assert.Equal("bob", other.User);
        Assert.Equal(1, t.PgPool.Idle);
    }

    [Fact]
    public async Task ServerLevelSharesEngineSessionsAmongUsersUnderTheEnginesOwnIdentity()
    {
        await using var t = new Setup(pg: new EngineSessionPoolOptions { ShareLevel = EngineShareLevel.Server });
        var first = await t.PgSessionOfAsync("alice");
        Assert.Equal(EnginePoolKey.ServerUser, first.User);
        await using var bob = t.Session("bob");
        Assert.Same(first, await t.InnerAsync(bob, t.Pg));
        Assert.Equal((1L, 1L), (t.PgPool.Opened, t.PgPool.Reused));
    }

    [Fact]
    public async Task GroupLevelPoolsByPrimaryGroupAndAUserWithoutGroupsIsAGroupOfItsOwn()
    {
        await using var t = new Setup(pg: new EngineSessionPoolOptions { ShareLevel = EngineShareLevel.Group });
        var analysts = await t.PgSessionOfAsync("alice", groups: ["analysts", "staff"]);
        Assert.Equal("analysts", analysts.User);

        await using (var bob = t.Session("bob", groups: ["analysts"]))
        {
            Assert.Same(analysts, await t.InnerAsync(bob, t.Pg));
        }
        // No group named: carol is her own group, and a user called like a group does not get into it.
        await using var carol = t.Session("carol");
        Assert.NotSame(analysts, await t.InnerAsync(carol, t.Pg));
        await using var impostor = t.Session("analysts");
        Assert.NotSame(analysts, await t.InnerAsync(impostor, t.Pg));
        Assert.Equal(1, t.PgPool.Idle);
    }

    [Fact]
    public async Task ConnectionLevelClosesEngineSessionsWithTheirHs2Session()
    {
        await using var t = new Setup(pg: Connection);
        var first = await t.PgSessionOfAsync("alice");
        Assert.True(first.Disposed);
        await using var again = t.Session("alice");
        Assert.NotSame(first, await t.InnerAsync(again, t.Pg));
        Assert.Equal((0, 1L, 0L), (t.PgPool.Idle, t.PgPool.ClosedOnReturn, t.PgPool.Reused));
    }

    // ---- idle eviction, validation, limits ----

    [Fact]
    public async Task TheSweepClosesSessionsIdleBeyondIdleTimeout()
    {
        await using var t = new Setup(pg: User with { IdleTimeout = TimeSpan.FromMinutes(10) });
        var idle = await t.PgSessionOfAsync("alice");
        t.Clock.Advance(TimeSpan.FromMinutes(9));
        Assert.Equal(0, await t.Pools.SweepAsync(CancellationToken.None));
        Assert.False(idle.Disposed);
        t.Clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(1, await t.Pools.SweepAsync(CancellationToken.None));
        Assert.True(idle.Disposed);
        Assert.Equal((0, 1L), (t.PgPool.Idle, t.PgPool.EvictedIdle));
    }

    [Fact]
    public async Task AnExpiredIdleSessionIsNeverHandedOutEvenBeforeTheSweep()
    {
        await using var t = new Setup(pg: User with { IdleTimeout = TimeSpan.FromMinutes(10) });
        var idle = await t.PgSessionOfAsync("alice");
        t.Clock.Advance(TimeSpan.FromMinutes(11));
        await using var again = t.Session("alice");
        Assert.NotSame(idle, await t.InnerAsync(again, t.Pg));
        Assert.True(idle.Disposed);
        Assert.Equal((1L, 0L), (t.PgPool.EvictedIdle, t.PgPool.Reused));
    }

    [Fact]
    public async Task ASessionIdleBeyondValidateAfterIdleIsValidatedAndReplacedWhenDead()
    {
        await using var t = new Setup(pg: User with { ValidateAfterIdle = TimeSpan.FromSeconds(30) });
        var pooled = await t.PgSessionOfAsync("alice");

        // Briefly idle: reused without a check.
        t.Clock.Advance(TimeSpan.FromSeconds(10));
        await using (var s = t.Session("alice"))
        {
            Assert.Same(pooled, await t.InnerAsync(s, t.Pg));
        }
        Assert.Equal(0, pooled.Validations);

        // Idle long enough to be checked: alive, reused.
        t.Clock.Advance(TimeSpan.FromSeconds(31));
        await using (var s = t.Session("alice"))
        {
            Assert.Same(pooled, await t.InnerAsync(s, t.Pg));
        }
        Assert.Equal(1, pooled.Validations);

        // Dead: closed, and the statement gets a new session.
        pooled.Alive = false;
        t.Clock.Advance(TimeSpan.FromSeconds(31));
        await using var last = t.Session("alice");
        await using var lease = await last.AcquireEngineSessionAsync(t.Pg, CancellationToken.None);
        var replacement = Inner(lease);
        Assert.NotSame(pooled, replacement);
        Assert.True(pooled.Disposed);
        await using (await lease.Session.ExecuteAsync("SELECT 1", ExecuteOptions.Default, CancellationToken.None)) { }
        Assert.Equal((1L, 2L), (t.PgPool.ValidationFailures, t.PgPool.Opened));
    }

    [Fact]
    public async Task ReturningMoreThanMaxIdleClosesTheLongestIdle()
    {
        await using var t = new Setup(pg: User with { MaxIdle = 1 });
        var one = t.Session("alice", connectionId: 1);
        var two = t.Session("alice", connectionId: 2);
        var first = await t.InnerAsync(one, t.Pg);
        var second = await t.InnerAsync(two, t.Pg);
        await one.DisposeAsync();
        t.Clock.Advance(TimeSpan.FromSeconds(1));
        await two.DisposeAsync();
        Assert.True(first.Disposed);
        Assert.False(second.Disposed);
        Assert.Equal((1, 1L), (t.PgPool.Idle, t.PgPool.EvictedIdle));
    }

    [Fact]
    public async Task ASessionPastMaxLifetimeIsNotPooledAgain()
    {
        await using var t = new Setup(pg: User with { MaxLifetime = TimeSpan.FromHours(1) });
        await using var s = t.Session("alice");
        var inner = await t.InnerAsync(s, t.Pg);
        t.Clock.Advance(TimeSpan.FromHours(2));
        await s.DisposeAsync();
        Assert.True(inner.Disposed);
        Assert.Equal((0, 1L), (t.PgPool.Idle, t.PgPool.ClosedOnReturn));
    }

    // ---- what may be pooled ----

    public static TheoryData<string, bool> Outcomes => new()
    {
        { "interrupted while its rows were unread", false },
        { "canceled by its token", false },
        { "connection failure", false },
        { "statement error", true },
        { "interrupt with nothing running", true },
        { "read to the end", true },
    };

    [Theory]
    [MemberData(nameof(Outcomes))]
    public async Task OnlySessionsWhoseOperationsEndedCleanlyGoBackToThePool(string outcome, bool pooled)
    {
        await using var t = new Setup(pg: User);
        var s = t.Session("alice");
        FakeSession inner;
        await using (var lease = await s.AcquireEngineSessionAsync(t.Pg, CancellationToken.None))
        {
            inner = Inner(lease);
            var session = lease.Session;
            switch (outcome)
            {
                case "interrupted while its rows were unread":
                    await using (var result = await session.ExecuteAsync("ROWS", ExecuteOptions.Default, CancellationToken.None))
                    {
                        (await result.ReadBatchAsync(1, CancellationToken.None))!.Dispose();
                        session.Interrupt();
                        await Assert.ThrowsAsync<EngineException>(async () => await result.ReadBatchAsync(1, CancellationToken.None));
                    }
                    break;
                case "canceled by its token":
                    await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await session.ExecuteAsync("SELECT 1", ExecuteOptions.Default, new CancellationToken(true)));
                    break;
                case "connection failure":
                    Assert.True((await Assert.ThrowsAsync<EngineException>(async () => await session.ExecuteAsync("BREAK", ExecuteOptions.Default, CancellationToken.None))).Retryable);
                    break;
                case "statement error":
                    await Assert.ThrowsAsync<EngineException>(async () => await session.ExecuteAsync("FAIL", ExecuteOptions.Default, CancellationToken.None));
                    break;
                case "interrupt with nothing running":
                    session.Interrupt();
                    break;
                case "read to the end":
                    await using (var result = await session.ExecuteAsync("ROWS", ExecuteOptions.Default, CancellationToken.None))
                    {
                        while (await result.ReadBatchAsync(10, CancellationToken.None) is { } batch) batch.Dispose();
                    }
                    session.Interrupt();
                    break;
            }
        }
        await s.DisposeAsync();
        Assert.Equal(!pooled, inner.Disposed);
        Assert.Equal(pooled ? 1 : 0, t.PgPool.Idle);
        Assert.Equal(0, t.PgPool.InUse);
    }

    [Fact]
    public async Task AReturnedSessionGoesBackToItsStartingDatabaseAndOneThatCannotIsClosed()
    {
        await using var t = new Setup(pg: User);
        await using (var s = t.Session("alice"))
        {
            await t.RunAsync(s, t.Pg, "USE sales");
            Assert.Equal("sales", s.CurrentDatabase);
        }
        await using (var s = t.Session("alice"))
        {
            await using var lease = await s.AcquireEngineSessionAsync(t.Pg, CancellationToken.None);
            Assert.Equal("public", lease.Session.CurrentDatabase);
            Assert.Equal(1L, t.PgPool.Reused);
            await using (await lease.Session.ExecuteAsync("USE sales", ExecuteOptions.Default, CancellationToken.None)) { }
            Inner(lease).FailUse = true;
        }
        Assert.Equal((0, 1L), (t.PgPool.Idle, t.PgPool.ClosedOnReturn));
    }

    [Fact]
    public async Task ALeaseHeldWhenItsHs2SessionClosesGoesBackWhenReleased()
    {
        await using var t = new Setup(pg: User);
        var s = t.Session("alice");
        var lease = await s.AcquireEngineSessionAsync(t.Pg, CancellationToken.None);
        await s.DisposeAsync();
        Assert.Equal((1, 0), (t.PgPool.InUse, t.PgPool.Idle));
        await lease.DisposeAsync();
        Assert.Equal((0, 1), (t.PgPool.InUse, t.PgPool.Idle));
        Assert.False(Inner(lease).Disposed);
    }

    [Fact]
    public async Task ABusyPrimaryGetsASecondaryFromThePoolAndBothGoBack()
    {
        await using var t = new Setup(pg: User);
        var s = t.Session("alice");
        var primary = await s.AcquireEngineSessionAsync(t.Pg, CancellationToken.None);
        await using (var secondary = await s.AcquireEngineSessionAsync(t.Pg, CancellationToken.None))
        {
            Assert.True(primary.IsPrimary);
            Assert.False(secondary.IsPrimary);
            Assert.NotSame(Inner(primary), Inner(secondary));
            Assert.Equal((2, 2L), (t.PgPool.InUse, t.PgPool.Opened));
        }
        await primary.DisposeAsync();
        await s.DisposeAsync();
        Assert.Equal((0, 2), (t.PgPool.InUse, t.PgPool.Idle));
    }

    // ---- the session's current database across engines ----

    [Fact]
    public async Task UseOnTheDefaultEngineMovesOtherEnginesThatHaveTheDatabaseAndSkipsThoseThatDoNot()
    {
        await using var t = new Setup(pg: Connection);
        await using var s = t.Session("alice");
        await s.EnsureEngineSessionAsync(CancellationToken.None);
        Assert.Equal("main", s.CurrentDatabase);

        await t.RunAsync(s, t.Duck, "USE sales");
        Assert.Equal("sales", s.CurrentDatabase);
        var pg = await t.RunAsync(s, t.Pg, "SELECT 1");
        Assert.Equal("sales", pg.CurrentDatabase);

        // PostgreSQL has no only_duck: it stays where it was, the statement runs, and it is asked once only.
        await t.RunAsync(s, t.Duck, "USE only_duck");
        Assert.Equal("only_duck", s.CurrentDatabase);
        var uses = pg.Uses;
        await t.RunAsync(s, t.Pg, "SELECT 1");
        await t.RunAsync(s, t.Pg, "SELECT 2");
        Assert.Equal("sales", pg.CurrentDatabase);
        Assert.Equal(uses + 1, pg.Uses);
        Assert.Equal(["SELECT 1", "SELECT 1", "SELECT 2"], pg.Statements);

        // Hive's default database is each engine's own: DuckDB's main is PostgreSQL's public.
        await t.RunAsync(s, t.Duck, "USE default");
        Assert.Equal("main", s.CurrentDatabase);
        await t.RunAsync(s, t.Pg, "SELECT 3");
        Assert.Equal("public", pg.CurrentDatabase);
    }

    [Fact]
    public async Task UseOnAnotherEngineMovesTheSessionAndTheDefaultEngineFollowsForMetadataToo()
    {
        await using var t = new Setup(pg: Connection);
        await using var s = t.Session("alice");
        await t.RunAsync(s, t.Pg, "USE sales");
        Assert.Equal("sales", s.CurrentDatabase);
        // What metadata calls do: lease the default engine's session.
        await using var lease = await s.AcquireEngineSessionAsync(CancellationToken.None);
        Assert.Equal("sales", lease.Session.CurrentDatabase);
    }

    [Fact]
    public async Task TheInitialDatabaseIsResolvedByTheDefaultEngineAndAMissingOneFailsTheOpen()
    {
        await using var t = new Setup(pg: Connection);
        await using (var s = t.Session("alice", database: "SALES"))
        {
            await s.EnsureEngineSessionAsync(CancellationToken.None);
            Assert.Equal("sales", s.CurrentDatabase);
            Assert.Equal("sales", (await t.RunAsync(s, t.Pg, "SELECT 1")).CurrentDatabase);
        }
        await using var missing = t.Session("alice", database: "nowhere");
        var e = await Assert.ThrowsAsync<EngineException>(async () => await missing.EnsureEngineSessionAsync(CancellationToken.None));
        Assert.False(e.Retryable);
        Assert.Equal(0, t.Pools.For(t.Duck).InUse);
    }

    [Fact]
    public async Task UseOnASecondaryWhileThePrimaryStreamsMovesThePrimaryToo()
    {
        await using var t = new Setup(pg: Connection);
        await using var s = t.Session("alice");
        await using (var primary = await s.AcquireEngineSessionAsync(CancellationToken.None))
        {
            var secondary = await t.RunAsync(s, t.Duck, "USE sales");
            Assert.NotSame(Inner(primary), secondary);
            Assert.Equal("main", primary.Session.CurrentDatabase);
            Assert.Equal("sales", s.CurrentDatabase);
        }
        await using var again = await s.AcquireEngineSessionAsync(CancellationToken.None);
        Assert.True(again.IsPrimary);
        Assert.Equal("sales", again.Session.CurrentDatabase);
    }

    // ---- configuration ----

    [Fact]
    public void BadSessionsOptionsAreReportedWithTheirKeys()
    {
        var errors = GatewayOptionsValidation.Validate(new GatewayOptions
        {
            Engines =
            [
                new EngineOptions
                {
                    Name = "scratch",
                    Sessions = new EngineSessionPoolOptions
                    {
                        ShareLevel = EngineShareLevel.User,
                        IdleTimeout = TimeSpan.Zero,
                        MaxIdle = -1,
                        ValidateAfterIdle = TimeSpan.FromSeconds(-1),
                        ValidationTimeout = TimeSpan.Zero,
                        MaxLifetime = TimeSpan.Zero,
                    },
                },
                new EngineOptions
                {
                    Name = "remote",
                    Kind = EngineKind.HiveServer2,
                    HiveServer2 = new Gateway.Engines.HiveServer2.HiveServer2EngineOptions { Host = "127.0.0.1", User = "svc", ImpersonateUser = true },
                    Sessions = new EngineSessionPoolOptions { ShareLevel = EngineShareLevel.Server },
                },
            ],
        });
        Assert.Contains("Gateway:Engines:0:Sessions:IdleTimeout must be positive (was 00:00:00).", errors);
        Assert.Contains("Gateway:Engines:0:Sessions:MaxIdle must not be negative (was -1).", errors);
        Assert.Contains("Gateway:Engines:0:Sessions:ValidateAfterIdle must not be negative (was -00:00:01).", errors);
        Assert.Contains("Gateway:Engines:0:Sessions:ValidationTimeout must be positive (was 00:00:00).", errors);
        Assert.Contains("Gateway:Engines:0:Sessions:MaxLifetime must be positive when set (was 00:00:00).", errors);
        Assert.Contains(errors, e => e.StartsWith("Gateway:Engines:1:Sessions:ShareLevel Server", StringComparison.Ordinal) && e.Contains("ImpersonateUser", StringComparison.Ordinal));
        Assert.Equal(6, errors.Count);
    }

    [Fact]
    public void SessionsBindFromConfigurationAndAnUnknownShareLevelStopsTheStart()
    {
        var options = GatewayHost.LoadOptions(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Gateway:Engines:0:Name"] = "scratch",
            ["Gateway:Engines:0:Sessions:ShareLevel"] = "group",
            ["Gateway:Engines:0:Sessions:IdleTimeout"] = "00:02:00",
            ["Gateway:Engines:0:Sessions:MaxLifetime"] = "01:00:00",
        }).Build());
        var sessions = options.Engines[0].Sessions;
        Assert.Equal(new EngineSessionPoolOptions { ShareLevel = EngineShareLevel.Group, IdleTimeout = TimeSpan.FromMinutes(2), MaxLifetime = TimeSpan.FromHours(1) }, sessions);
        Assert.Equal(EngineShareLevel.Connection, new EngineOptions().Sessions.ShareLevel);

        var bad = Assert.Throws<GatewayConfigurationException>(() => GatewayHost.LoadOptions(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Gateway:Engines:0:Name"] = "scratch",
            ["Gateway:Engines:0:Sessions:ShareLevel"] = "Sometimes",
        }).Build()));
        // Not silently dropped with its engine: the binder's message names the key.
        Assert.Contains("'Gateway:Engines:0:Sessions:ShareLevel'", bad.Message, StringComparison.Ordinal);
    }

    // ---- scaffolding ----

    private static FakeSession Inner(EngineLease lease) => (FakeSession)((PooledEngineSession)lease.Session).Inner;

    /// <summary>Two scripted engines: the default "duck" (home main) and "pg" (home public), on a manual clock.</summary>
    private sealed class Setup : IAsyncDisposable
    {
        public Setup(EngineSessionPoolOptions pg)
        {
            Pg = new FakeEngine("pg", "public", "sales");
            var registry = new EngineRegistry(
            [
                new RegisteredEngine(new EngineOptions { Name = "duck" }, Duck, Clock),
                new RegisteredEngine(new EngineOptions { Name = "pg", Kind = EngineKind.Postgres, Sessions = pg }, Pg, Clock),
            ], "duck");
            Pools = new EngineSessionPools(registry, Clock, Microsoft.Extensions.Logging.Abstractions.NullLogger<EngineSessionPool>.Instance);
        }

        public ManualTimeProvider Clock { get; } = new();
        public FakeEngine Duck { get; } = new("duck", "main", "sales", "only_duck");
        public FakeEngine Pg { get; }
        public EngineSessionPools Pools { get; }
        public EngineSessionPool PgPool => Pools.For(Pg);

        public Hs2Session Session(string user, string? database = null, long connectionId = 1, IReadOnlyList<string>? groups = null) =>
            new(new SessionInfo(user, 10, connectionId, null, database) { Groups = groups ?? [] }, Duck, Clock, Pools);

        /// <summary>The engine session an HS2 session gets on <paramref name="engine"/> (leased and released).</summary>
        public async Task<FakeSession> InnerAsync(Hs2Session session, IEngine engine)
        {
            await using var lease = await session.AcquireEngineSessionAsync(engine, CancellationToken.None);
            return Inner(lease);
        }

        /// <summary>A user's HS2 session that used pg once and closed: the engine session it had.</summary>
        public async Task<FakeSession> PgSessionOfAsync(string user, IReadOnlyList<string>? groups = null)
        {
            await using var s = Session(user, groups: groups);
            return await InnerAsync(s, Pg);
        }

        /// <summary>Runs one statement on <paramref name="engine"/> as an operation would; returns the engine session it ran on.</summary>
        public async Task<FakeSession> RunAsync(Hs2Session session, IEngine engine, string sql)
        {
            await using var lease = await session.AcquireEngineSessionAsync(engine, CancellationToken.None);
            await using (await lease.Session.ExecuteAsync(sql, ExecuteOptions.Default, CancellationToken.None)) { }
            return Inner(lease);
        }

        public async ValueTask DisposeAsync() => await Pools.DisposeAsync();
    }

    /// <summary>An engine that knows some databases (case-insensitive, reported in its own spelling).</summary>
    private sealed class FakeEngine(string name, string home, params string[] databases) : IEngine
    {
        public HashSet<string> Databases { get; } = new([home, .. databases], StringComparer.OrdinalIgnoreCase);
        public string Home => home;
        public string Name => name;
        public EngineKind Kind => EngineKind.DuckDb;

        public ValueTask<IEngineSession> OpenSessionAsync(EngineSessionOptions options, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return ValueTask.FromResult<IEngineSession>(new FakeSession(this, options.User));
        }

        public ValueTask<EngineHealthReport> CheckHealthAsync(CancellationToken cancellationToken) => ValueTask.FromResult(EngineHealthReport.Ok(TimeSpan.Zero));

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    /// <summary>
    /// Statements: <c>USE x</c>; <c>ROWS</c> (three one-row batches, failing with HY008 once interrupted); <c>FAIL</c> (a
    /// statement error); <c>BREAK</c> (a retryable connection failure); anything else runs without rows.
    /// </summary>
    private sealed class FakeSession(FakeEngine engine, string user) : IEngineSession
    {
        private volatile bool _interrupted;

        public string User => user;
        public string CurrentDatabase { get; private set; } = engine.Home;
        public bool Alive { get; set; } = true;
        public bool FailUse { get; set; }
        public bool Disposed { get; private set; }
        public int Validations { get; private set; }
        public int Uses { get; private set; }
        public List<string> Statements { get; } = [];
        public IEngineMetadata Metadata => throw new NotSupportedException();

        public async ValueTask<IQueryResult> ExecuteAsync(string sql, ExecuteOptions options, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            ObjectDisposedException.ThrowIf(Disposed, this);
            _interrupted = false;
            if (sql.StartsWith("USE ", StringComparison.Ordinal))
            {
                await UseDatabaseAsync(sql[4..], cancellationToken);
                return new FakeResult(this, 0);
            }
            Statements.Add(sql);
            return sql switch
            {
                "FAIL" => throw new EngineException("Table not found", "42S02"),
                "BREAK" => throw new EngineException("connection reset", "08006", retryable: true),
                "ROWS" => new FakeResult(this, 3),
                _ => new FakeResult(this, 0),
            };
        }

        public void Interrupt() => _interrupted = true;

        public bool Interrupted => _interrupted;

        public ValueTask<bool> ValidateAsync(CancellationToken cancellationToken)
        {
            Validations++;
            return ValueTask.FromResult(Alive && !Disposed);
        }

        public ValueTask UseDatabaseAsync(string database, CancellationToken cancellationToken)
        {
            Uses++;
            if (!Alive || FailUse) throw new EngineException("connection reset", "08006", retryable: true);
            var name = database.Equals("default", StringComparison.OrdinalIgnoreCase) ? engine.Home : database;
            if (!engine.Databases.TryGetValue(name, out var actual)) throw new EngineException($"No database {database}", "42000");
            CurrentDatabase = actual;
            return ValueTask.CompletedTask;
        }

        public ValueTask DisposeAsync()
        {
            Disposed = true;
            return ValueTask.CompletedTask;
        }
    }

    private sealed class FakeResult(FakeSession session, int batches) : IQueryResult
    {
        private static readonly ResultSchema OneColumn = new([new ColumnInfo("x", SqlType.Int)]);
        private int _left = batches;

        public ResultSchema Schema => OneColumn;
        public bool HasRows => _rows;
        private readonly bool _rows = batches > 0;
        public long? AffectedRows => null;
        public double? Progress => null;

        public ValueTask<ColumnBatch?> ReadBatchAsync(int maxRows, CancellationToken cancellationToken)
        {
            if (session.Interrupted) throw new EngineException("The statement was canceled.", "HY008");
            if (_left == 0) return ValueTask.FromResult<ColumnBatch?>(null);
            _left--;
            var builder = new BatchBuilder(OneColumn);
            builder.AddRow(_left);
            return ValueTask.FromResult<ColumnBatch?>(builder.Build());
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
