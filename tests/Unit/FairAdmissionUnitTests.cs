using Gateway.Server.Configuration;
using Gateway.Server.Engines;
using Gateway.Server.Sessions;
using Gateway.Tests.InProcess;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Gateway.Tests.Unit;

public class FairAdmissionUnitTests
{
    private static readonly AdmissionClaim Alice = new("alice", []);
    private static readonly AdmissionClaim Bob = new("bob", []);
    private static readonly AdmissionClaim Carol = new("carol", []);

    private static RegisteredEngine Engine(EngineCapacityOptions capacity) =>
        new(new EngineOptions { Name = "e", Capacity = capacity }, new Gateway.Engines.DuckDb.DuckDbEngine(Gateway.Engines.DuckDb.DuckDbEngineOptions.InMemory()), TimeProvider.System);

    private static async Task<IDisposable> Granted(Task<IDisposable> admit) => await admit.WaitAsync(TimeSpan.FromSeconds(5));

    [Fact]
    public async Task SlotsPassToWaitersInOrderAndTheQueueIsBounded()
    {
        var e = Engine(new EngineCapacityOptions { MaxConcurrent = 1, MaxQueue = 2, MaxQueuedPerUser = 2 });
        await using var _ = e.Engine;
        var first = await e.AdmitAsync(Alice, CancellationToken.None);
        var second = e.AdmitAsync(Alice, CancellationToken.None).AsTask();
        var third = e.AdmitAsync(Alice, CancellationToken.None).AsTask();
        Assert.Equal((1, 2), (e.Running, e.Queued));
        Assert.True(e.Saturated);
        var refused = await Assert.ThrowsAsync<GatewayException>(async () => await e.AdmitAsync(Bob, CancellationToken.None));
        Assert.Equal("53400", refused.SqlState);
        Assert.Contains("saturated", refused.Message, StringComparison.Ordinal);

        first.Dispose();
        var s2 = await Granted(second);
        Assert.False(third.IsCompleted);
        s2.Dispose();
        s2.Dispose();
        (await Granted(third)).Dispose();
        Assert.Equal((0, 0), (e.Running, e.Queued));
        Assert.Empty(e.RunningByUser);
    }

    [Fact]
    public async Task WaitingEndsAtTheQueueTimeoutOrOnCancel()
    {
        var e = Engine(new EngineCapacityOptions { MaxConcurrent = 1, MaxQueue = 5, QueueTimeout = TimeSpan.FromSeconds(0.3) });
        await using var _ = e.Engine;
        using var held = await e.AdmitAsync(Alice, CancellationToken.None);
        var timedOut = e.AdmitAsync(Bob, CancellationToken.None).AsTask();
        using var cts = new CancellationTokenSource();
        var canceled = e.AdmitAsync(Carol, cts.Token).AsTask();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => canceled);
        var e2 = await Assert.ThrowsAsync<GatewayException>(() => timedOut);
        Assert.Equal("53400", e2.SqlState);
        Assert.Equal("Engine 'e' stayed at capacity: the statement waited 0.3 s and was not started.", e2.Message);
        Assert.Equal(0, e.Queued);
        held.Dispose();
        Assert.Equal(0, e.Running);
        (await e.AdmitAsync(Bob, CancellationToken.None)).Dispose();
    }

    [Fact]
    public async Task OneUserTakesHalfTheSlotsByDefaultAndOthersStartAtOnce()
    {
        var e = Engine(new EngineCapacityOptions { MaxConcurrent = 4, QueueTimeout = TimeSpan.FromSeconds(0.3) });
        await using var _ = e.Engine;
        Assert.Equal(2, e.MaxPerUser);
        var held = new List<IDisposable> { await e.AdmitAsync(Alice, CancellationToken.None), await e.AdmitAsync(Alice, CancellationToken.None) };
        var third = e.AdmitAsync(Alice, CancellationToken.None).AsTask();
        Assert.False(third.IsCompleted);
        // Two slots are free, and the waiting statement is held back by its own user's cap only: Bob is not.
        held.Add(await e.AdmitAsync(Bob, CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(1)));
        var refused = await Assert.ThrowsAsync<GatewayException>(() => third);
        Assert.Equal("53400", refused.SqlState);
        Assert.Equal("User 'alice' already has 2 statements holding engine 'e', its per-user cap (Capacity:MaxPerUser = 2); " +
            "finish reading or close earlier results: the statement waited 0.3 s and was not started.", refused.Message);
        Assert.Equal(new Dictionary<string, int> { ["alice"] = 2, ["bob"] = 1 }, e.RunningByUser);
        foreach (var h in held) h.Dispose();
    }

    [Fact]
    public async Task FreedSlotsGoToUsersInTurnNotFirstComeFirstServed()
    {
        var e = Engine(new EngineCapacityOptions { MaxConcurrent = 1 });
        await using var _ = e.Engine;
        var held = await e.AdmitAsync(Alice, CancellationToken.None);
        // Alice queues three before Bob and Carol ask once each.
        var waiting = new List<(string User, Task<IDisposable> Slot)>();
        foreach (var who in new[] { Alice, Alice, Alice, Bob, Carol }) waiting.Add((who.User, e.AdmitAsync(who, CancellationToken.None).AsTask()));
        Assert.Equal(5, e.Queued);
        var order = new List<string>();
        while (waiting.Count > 0)
        {
            held.Dispose();
            // One slot: exactly one waiter gets it.
            var next = await Task.WhenAny(waiting.Select(w => w.Slot)).WaitAsync(TimeSpan.FromSeconds(5));
            var granted = waiting.Single(w => w.Slot == next);
            waiting.Remove(granted);
            order.Add(granted.User);
            held = await next;
            Assert.Equal(1, e.Running);
        }
        held.Dispose();
        Assert.Equal(["alice", "bob", "carol", "alice", "alice"], order);
        Assert.Equal((0, 0), e.Load);
    }

    [Fact]
    public async Task AGroupCapHoldsTheGroupBackAndNamesItself()
    {
        var e = Engine(new EngineCapacityOptions
        {
            MaxConcurrent = 8,
            QueueTimeout = TimeSpan.FromSeconds(0.3),
            Groups = new Dictionary<string, int> { ["etl"] = 1 },
        });
        await using var _ = e.Engine;
        using var etl = await e.AdmitAsync(new AdmissionClaim("loader", ["etl"]), CancellationToken.None);
        var other = e.AdmitAsync(new AdmissionClaim("nightly", ["batch", "etl"]), CancellationToken.None).AsTask();
        using var analyst = await e.AdmitAsync(new AdmissionClaim("ann", ["analysts"]), CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(1));
        var refused = await Assert.ThrowsAsync<GatewayException>(() => other);
        Assert.StartsWith("Group 'etl' already has 1 statements holding engine 'e', its cap (Capacity:Groups:etl = 1)", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AGroupCapFreesItsSlotForTheNextMemberInLine()
    {
        var e = Engine(new EngineCapacityOptions { MaxConcurrent = 8, MaxPerGroup = 1 });
        await using var _ = e.Engine;
        var first = await e.AdmitAsync(new AdmissionClaim("loader", ["etl"]), CancellationToken.None);
        var second = e.AdmitAsync(new AdmissionClaim("nightly", ["etl"]), CancellationToken.None).AsTask();
        Assert.False(second.IsCompleted);
        first.Dispose();
        (await Granted(second)).Dispose();
        Assert.Equal((0, 0), e.Load);
    }

    [Fact]
    public async Task OneUserCannotFillTheQueue()
    {
        var e = Engine(new EngineCapacityOptions { MaxConcurrent = 1, MaxQueue = 4 });
        await using var _ = e.Engine;
        var held = await e.AdmitAsync(Alice, CancellationToken.None);
        var w1 = e.AdmitAsync(Alice, CancellationToken.None).AsTask();
        var w2 = e.AdmitAsync(Alice, CancellationToken.None).AsTask();
        var refused = await Assert.ThrowsAsync<GatewayException>(async () => await e.AdmitAsync(Alice, CancellationToken.None));
        Assert.Equal("User 'alice' already has 1 statements running and 2 waiting on engine 'e' (at most 2 may wait per user, " +
            "Capacity:MaxQueuedPerUser); finish reading or close earlier results.", refused.Message);
        var bob = e.AdmitAsync(Bob, CancellationToken.None).AsTask();
        Assert.Equal(3, e.Queued);
        held.Dispose();
        (await Granted(w1)).Dispose();
        // Bob's turn came before Alice's second.
        (await Granted(bob)).Dispose();
        (await Granted(w2)).Dispose();
    }

    [Fact]
    public async Task WhileFullOneLinePerIntervalSaysWhoHoldsTheSlots()
    {
        using var logs = new CapturingLoggerProvider();
        var e = Engine(new EngineCapacityOptions { MaxConcurrent = 2, MaxPerUser = 2, SaturationLogInterval = TimeSpan.FromHours(1) });
        e.Logger = logs.CreateLogger("admission");
        await using var _ = e.Engine;
        var held = new[] { await e.AdmitAsync(Alice, CancellationToken.None), await e.AdmitAsync(Alice, CancellationToken.None) };
        var waiting = new[] { e.AdmitAsync(Bob, CancellationToken.None).AsTask(), e.AdmitAsync(Carol, CancellationToken.None).AsTask() };
        var line = Assert.Single(logs.Lines);
        Assert.Matches(@"^Warning admission\[510\] Engine e is at capacity: 2/2 running, 1/256 queued; holding: alice 2 \(oldest \d+ s\); waiting: bob 1$", line);
        foreach (var h in held) h.Dispose();
        foreach (var w in waiting) (await Granted(w)).Dispose();
        Assert.Single(logs.Lines);
    }

    [Theory]
    [InlineData(0, null, null, "MaxPerUser must be between 1 and MaxConcurrent (32)")]
    [InlineData(33, null, null, "MaxPerUser must be between 1 and MaxConcurrent (32)")]
    [InlineData(null, 257, null, "MaxQueuedPerUser must be between 0 and MaxQueue (256)")]
    [InlineData(null, null, 0, "MaxPerGroup must be at least 1")]
    public void CapsAreValidated(int? perUser, int? queuedPerUser, int? perGroup, string error)
    {
        var errors = new List<string>();
        EngineCapacityOptionsValidator.Validate(new EngineCapacityOptions { MaxPerUser = perUser, MaxQueuedPerUser = queuedPerUser, MaxPerGroup = perGroup }, "Gateway:Engines:0", errors);
        Assert.Contains(errors, m => m.StartsWith("Gateway:Engines:0:Capacity:" + error, StringComparison.Ordinal));
    }

    [Fact]
    public void GroupCapsAreValidated()
    {
        var errors = new List<string>();
        EngineCapacityOptionsValidator.Validate(new EngineCapacityOptions { Groups = new Dictionary<string, int> { ["etl"] = 0, [" x"] = 2 } }, "k", errors);
        Assert.Equal(["k:Capacity:Groups:etl must be at least 1.", "k:Capacity:Groups: ' x' is not a group name."], errors);
    }
}
