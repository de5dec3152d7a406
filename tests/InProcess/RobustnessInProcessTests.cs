using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using Gateway.Engines.HiveServer2;
using Gateway.Protocol.Hive;
using Gateway.Protocol.Sasl;
using Gateway.Protocol.Thrift;
using Gateway.Server.Auth;
using Gateway.Server.Sessions;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.InProcess;

/// <summary>Bad input, forged handles and limits: each fails alone while another client keeps working.</summary>
[Collection(GatewayCollection.Name)]
public class RobustnessInProcessTests(GatewayFixture fixture)
{
    private GatewayInstance Gateway => fixture.Gateway;

    private async Task<Socket> RawAsync()
    {
        var s = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await s.ConnectAsync("127.0.0.1", Gateway.Port);
        return s;
    }

    /// <summary>True when the server closed the connection (read returns 0 or the socket resets) within the wait.</summary>
    private static async Task<bool> ClosedByServerAsync(Socket s)
    {
        var buffer = new byte[4096];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            while (true)
            {
                var n = await s.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
                if (n == 0) return true;
            }
        }
        catch (SocketException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task AssertOtherClientWorksAsync(HiveConnection other)
    {
        var (_, rows) = await other.QueryAsync("SELECT 99");
        Assert.Equal("99", rows[0][0]);
    }

    [Fact]
    public async Task GarbageAndWrongFirstByteCloseOnlyThatConnection()
    {
        await using var other = await Gateway.ConnectAsync();
        using (var s = await RawAsync())
        {
            await s.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray(), SocketFlags.None);
            Assert.True(await ClosedByServerAsync(s));
        }
        using (var s = await RawAsync())
        {
            var junk = new byte[512];
            new Random(7).NextBytes(junk);
            junk[0] = 0x80;
            junk[1] = 0x01;
            await s.SendAsync(junk, SocketFlags.None);
            Assert.True(await ClosedByServerAsync(s));
        }
        await AssertOtherClientWorksAsync(other);
    }

    [Fact]
    public async Task OversizedAndTruncatedFramesCloseOnlyThatConnection()
    {
        await using var other = await Gateway.ConnectAsync();
        using (var s = await RawAsync())
        {
            var w = new ArrayBufferWriter<byte>();
            SaslFrame.Write(w, SaslStatus.Start, "PLAIN"u8);
            SaslFrame.Write(w, SaslStatus.Ok, SaslPlainServer.EncodePlain("u", "p"));
            await s.SendAsync(w.WrittenMemory, SocketFlags.None);
            var reply = new byte[5];
            await s.ReceiveAsync(reply, SocketFlags.None);
            Assert.Equal((byte)SaslStatus.Complete, reply[0]);
            var header = new byte[4];
            BinaryPrimitives.WriteInt32BigEndian(header, 1_500_000_000);
            await s.SendAsync(header, SocketFlags.None);
            Assert.True(await ClosedByServerAsync(s));
        }
        using (var s = await RawAsync())
        {
            var w = new ArrayBufferWriter<byte>();
            SaslFrame.Write(w, SaslStatus.Start, "PLAIN"u8);
            SaslFrame.Write(w, SaslStatus.Ok, new byte[] { 0x7f, 0xff, 0xff, 0xff }); // garbage PLAIN response
            await s.SendAsync(w.WrittenMemory, SocketFlags.None);
            Assert.True(await ClosedByServerAsync(s));
        }
        using (var s = await RawAsync())
        {
            var message = CallBytes("OpenSession", new TOpenSessionReq { ClientProtocol = TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V10, Username = "u" });
            await s.SendAsync(message.AsMemory(0, message.Length / 2), SocketFlags.None);
            s.Shutdown(SocketShutdown.Send);
            Assert.True(await ClosedByServerAsync(s));
        }
        await AssertOtherClientWorksAsync(other);
    }

    [Fact]
    public async Task UnknownMethodAnswersUnknownMethodAndTheConnectionLives()
    {
        using var s = await RawAsync();
        using var stream = new NetworkStream(s);
        var call = new ArrayBufferWriter<byte>();
        var w = new ThriftWriter(call);
        w.WriteMessageBegin("GetLog", TMessageType.Call, 17);
        w.WriteFieldStop();
        await stream.WriteAsync(call.WrittenMemory);
        var reply = await ReadUnframedAsync(stream);
        var reader = new ThriftReader(reply, ThriftLimits.Default);
        var header = reader.ReadMessageBegin();
        Assert.Equal(TMessageType.Exception, header.Type);
        Assert.Equal(17, header.SeqId);
        var ex = TApplicationException.Read(ref reader);
        Assert.Equal(TApplicationExceptionType.UNKNOWN_METHOD, ex.Type);

        // The same connection still serves real calls.
        var transport = new StreamTransport(stream);
        await using var c = await HiveConnection.OpenAsync(transport, new HiveConnectionOptions { User = "raw" });
        Assert.Equal("5", (await c.QueryAsync("SELECT 5")).Rows[0][0]);
    }

    [Fact]
    public async Task ForgedStaleAndForeignHandlesAreInvalid()
    {
        await using var a = await Gateway.ConnectAsync(user: "alice");
        await using var b = await Gateway.ConnectAsync(user: "alice");
        await using var mallory = await Gateway.ConnectAsync(user: "mallory");

        // b and mallory cannot use a's session, even with the right secret.
        foreach (var other in new[] { b, mallory })
        {
            var r = await other.Client.ExecuteStatementAsync(new TExecuteStatementReq { SessionHandle = a.Session, Statement = "SELECT 1" }, default);
            Assert.Equal(TStatusCode.INVALID_HANDLE_STATUS, r.Status.StatusCode);
        }

        // A forged secret on a's own connection is refused.
        var forged = new TSessionHandle { SessionId = new THandleIdentifier { Guid = a.Session.SessionId.Guid, Secret = new byte[16] } };
        var f = await a.Client.ExecuteStatementAsync(new TExecuteStatementReq { SessionHandle = forged, Statement = "SELECT 1" }, default);
        Assert.Equal(TStatusCode.INVALID_HANDLE_STATUS, f.Status.StatusCode);

        // Another client cannot fetch, cancel or close a's operation.
        var op = await a.ExecuteAsync("SELECT 1");
        var fetch = await mallory.Client.FetchResultsAsync(new TFetchResultsReq { OperationHandle = op.Handle, MaxRows = 10 }, default);
        Assert.Equal(TStatusCode.INVALID_HANDLE_STATUS, fetch.Status.StatusCode);
        var cancel = await b.Client.CancelOperationAsync(new TCancelOperationReq { OperationHandle = op.Handle }, default);
        Assert.Equal(TStatusCode.INVALID_HANDLE_STATUS, cancel.Status.StatusCode);
        Assert.Equal(TOperationState.FINISHED_STATE, (await op.StatusAsync()).OperationState);

        // A closed operation is stale.
        await op.DisposeAsync();
        var stale = await a.Client.GetOperationStatusAsync(new TGetOperationStatusReq { OperationHandle = op.Handle }, default);
        Assert.Equal(TStatusCode.INVALID_HANDLE_STATUS, stale.Status.StatusCode);

        // A random handle is invalid.
        var random = new TOperationHandle { OperationId = new THandleIdentifier { Guid = Guid.NewGuid().ToByteArray(), Secret = new byte[16] }, OperationType = TOperationType.EXECUTE_STATEMENT, HasResultSet = true };
        var none = await a.Client.FetchResultsAsync(new TFetchResultsReq { OperationHandle = random, MaxRows = 1 }, default);
        Assert.Equal(TStatusCode.INVALID_HANDLE_STATUS, none.Status.StatusCode);
    }

    [Fact]
    public async Task TwoNoSaslSessionsWithDifferentUsersOnOneConnectionBothWork()
    {
        using var s = await RawAsync();
        await using var transport = new StreamThriftTransport(new NetworkStream(s), ThriftFraming.Unframed);
        var client = new TCLIServiceClient(transport);
        var first = await client.OpenSessionAsync(new TOpenSessionReq { ClientProtocol = TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V10, Username = "ann" });
        var second = await client.OpenSessionAsync(new TOpenSessionReq { ClientProtocol = TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V10, Username = "ben" });
        foreach (var session in new[] { first.SessionHandle!, second.SessionHandle! })
        {
            var r = await client.ExecuteStatementAsync(new TExecuteStatementReq { SessionHandle = session, Statement = "SELECT 1" });
            Assert.Equal(TStatusCode.SUCCESS_STATUS, r.Status.StatusCode);
        }
    }

    [Fact]
    public async Task DelegationTokensAreClearlyUnsupported()
    {
        await using var c = await Gateway.ConnectAsync();
        var r = await c.Client.GetDelegationTokenAsync(new TGetDelegationTokenReq { SessionHandle = c.Session, Owner = "a", Renewer = "b" }, default);
        Assert.Equal(TStatusCode.ERROR_STATUS, r.Status.StatusCode);
        Assert.Contains("not supported", r.Status.ErrorMessage, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task ClosingTheConnectionClosesItsSessions()
    {
        var sessions = Gateway.Services.GetRequiredService<SessionManager>();
        var c = await Gateway.ConnectAsync(user: "leaver");
        await using (await c.ExecuteAsync("SELECT 1")) { }
        var before = sessions.SessionCount;
        // Drop the transport without CloseSession, as a crashed client would.
        await ((IAsyncDisposable)typeof(HiveConnection).GetField("_transport", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(c)!).DisposeAsync();
        for (var i = 0; i < 200 && sessions.SessionCount >= before; i++) await Task.Delay(10);
        Assert.True(sessions.SessionCount < before);
    }

    [Fact]
    public async Task ClosingAConnectionClosesEverySessionOfItAndNoOther()
    {
        var sessions = Gateway.Services.GetRequiredService<SessionManager>();
        await using var stays = await Gateway.ConnectAsync(user: "stayer");
        var c = await Gateway.ConnectAsync(user: "leaver2");
        // A second session on the same connection.
        var second = await c.Client.OpenSessionAsync(new TOpenSessionReq { ClientProtocol = TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V10, Username = "leaver2" }, default);
        Assert.Equal(TStatusCode.SUCCESS_STATUS, second.Status.StatusCode);
        var before = sessions.SessionCount;
        await ((IAsyncDisposable)typeof(HiveConnection).GetField("_transport", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(c)!).DisposeAsync();
        for (var i = 0; i < 200 && sessions.SessionCount > before - 2; i++) await Task.Delay(10);
        Assert.True(sessions.SessionCount <= before - 2, $"{before} sessions before, {sessions.SessionCount} after.");
        var (_, rows) = await stays.QueryAsync("SELECT 1");
        Assert.Equal("1", rows[0][0]);
    }

    internal static byte[] CallBytes(string method, TOpenSessionReq req)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var w = new ThriftWriter(buffer);
        w.WriteMessageBegin(method, TMessageType.Call, 1);
        w.WriteFieldBegin(TType.Struct, 1);
        req.Write(w);
        w.WriteFieldStop();
        return buffer.WrittenSpan.ToArray();
    }

    private static async Task<byte[]> ReadUnframedAsync(NetworkStream stream)
    {
        var data = new List<byte>();
        var chunk = new byte[4096];
        while (true)
        {
            var n = await stream.ReadAsync(chunk);
            if (n == 0) throw new IOException("closed");
            data.AddRange(chunk.AsSpan(0, n).ToArray());
            if (ThriftMessageScanner.TryMeasure(new ReadOnlySequence<byte>(data.ToArray()), ThriftLimits.Default, out var len)) return data.Take(len).ToArray();
        }
    }

    /// <summary>An unframed transport over an existing stream (for reusing a raw connection).</summary>
    private sealed class StreamTransport(NetworkStream stream) : IThriftTransport
    {
        public async ValueTask<ReadOnlyMemory<byte>> RoundTripAsync(ReadOnlyMemory<byte> request, CancellationToken cancellationToken)
        {
            await stream.WriteAsync(request, cancellationToken);
            return await ReadUnframedAsync(stream);
        }
    }
}

/// <summary>Gateways with their own settings: auth, limits, timeouts.</summary>
public class ConfiguredGatewayInProcessTests
{
    [Fact]
    public async Task PasswordFileAuthAcceptsGoodPasswordsAndClosesBadOnes()
    {
        var dir = Directory.CreateTempSubdirectory("gw-auth").FullName;
        PasswordFile.Write(Path.Combine(dir, "users.txt"), new Dictionary<string, PasswordHash> { ["alice"] = PasswordHash.Create("wonderland", 1000) });
        await using var gw = await GatewayInstance.StartAsync(new Dictionary<string, string?> { ["Gateway:Auth:Mode"] = "PasswordFile", ["Gateway:DuckDb:DemoData"] = "false" }, dir);
        await using (var ok = await gw.ConnectAsync("alice", "wonderland"))
        {
            Assert.Equal("1", (await ok.QueryAsync("SELECT 1")).Rows[0][0]);
        }
        var bad = await Assert.ThrowsAsync<HiveClientException>(() => gw.ConnectAsync("alice", "wrong"));
        Assert.Contains("SASL authentication failed", bad.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<HiveClientException>(() => gw.ConnectAsync("nobody", "wonderland"));
        var noSasl = await Assert.ThrowsAnyAsync<Exception>(() => gw.ConnectAsync("alice", "wonderland", HiveAuthMode.NoSasl));
        Assert.Contains("requires authentication", noSasl.Message, StringComparison.Ordinal);
        await using var still = await gw.ConnectAsync("alice", "wonderland");
        Assert.Equal("2", (await still.QueryAsync("SELECT 2")).Rows[0][0]);
    }

    [Fact]
    public async Task SessionAndOperationLimitsAreEnforced()
    {
        await using var gw = await GatewayInstance.StartAsync(new Dictionary<string, string?>
        {
            ["Gateway:Limits:MaxSessionsPerUser"] = "2",
            ["Gateway:Limits:MaxOperationsPerSession"] = "3",
            ["Gateway:DuckDb:DemoData"] = "false",
        });
        await using var s1 = await gw.ConnectAsync("bob");
        await using var s2 = await gw.ConnectAsync("bob");
        var ex = await Assert.ThrowsAsync<HiveClientException>(() => gw.ConnectAsync("bob"));
        Assert.Contains("open sessions", ex.Message, StringComparison.Ordinal);
        await using var carol = await gw.ConnectAsync("carol");

        var ops = new List<HiveOperation>();
        for (var i = 0; i < 3; i++) ops.Add(await s1.ExecuteAsync("SELECT 1"));
        var full = await Assert.ThrowsAsync<HiveClientException>(() => s1.ExecuteAsync("SELECT 1"));
        Assert.Contains("open operations", full.Message, StringComparison.Ordinal);
        await ops[0].DisposeAsync();
        await using (await s1.ExecuteAsync("SELECT 1")) { }
    }

    [Fact]
    public async Task IdleSessionsAndAbandonedOperationsAreSwept()
    {
        var clock = new ManualTimeProvider();
        await using var gw = await GatewayInstance.StartAsync(new Dictionary<string, string?>
        {
            ["Gateway:Limits:SessionIdleTimeout"] = "00:10:00",
            ["Gateway:Limits:OperationIdleTimeout"] = "00:05:00",
            ["Gateway:Limits:SweepInterval"] = "01:00:00",
            ["Gateway:DuckDb:DemoData"] = "false",
        }, time: clock);
        var sessions = gw.Services.GetRequiredService<SessionManager>();
        await using var c = await gw.ConnectAsync();
        var op = await c.ExecuteAsync("SELECT range FROM range(100000)");
        Assert.Equal((0, 0), await sessions.SweepAsync());
        clock.Advance(TimeSpan.FromMinutes(6));
        var (_, operations) = await sessions.SweepAsync();
        Assert.Equal(1, operations);
        var status = await c.Client.GetOperationStatusAsync(new TGetOperationStatusReq { OperationHandle = op.Handle }, default);
        Assert.Equal(TStatusCode.INVALID_HANDLE_STATUS, status.Status.StatusCode);
        clock.Advance(TimeSpan.FromMinutes(11));
        var (closedSessions, _) = await sessions.SweepAsync();
        Assert.Equal(1, closedSessions);
        var r = await c.Client.ExecuteStatementAsync(new TExecuteStatementReq { SessionHandle = c.Session, Statement = "SELECT 1" }, default);
        Assert.Equal(TStatusCode.INVALID_HANDLE_STATUS, r.Status.StatusCode);
    }
}
