using System.Buffers;
using Gateway.Protocol.Hive;
using Gateway.Protocol.Thrift;
using static Gateway.Tests.Unit.ThriftTestSupport;

namespace Gateway.Tests.Unit;

public class HiveDispatchUnitTests
{
    /// <summary>Answers OpenSession, ExecuteStatement and FetchResults; everything else is not implemented.</summary>
    private sealed class FakeService : ITCLIService
    {
        public TOpenSessionReq? LastOpen { get; private set; }
        public TExecuteStatementReq? LastExecute { get; private set; }
        public CancellationToken LastToken { get; private set; }

        public ValueTask<TOpenSessionResp> OpenSession(TOpenSessionReq req, CancellationToken cancellationToken)
        {
            LastOpen = req;
            LastToken = cancellationToken;
            return ValueTask.FromResult(new TOpenSessionResp
            {
                Status = new TStatus { StatusCode = TStatusCode.SUCCESS_STATUS },
                ServerProtocolVersion = req.ClientProtocol,
                SessionHandle = new TSessionHandle { SessionId = new THandleIdentifier { Guid = new byte[16], Secret = new byte[16] } },
                Configuration = req.Configuration,
            });
        }

        public async ValueTask<TExecuteStatementResp> ExecuteStatement(TExecuteStatementReq req, CancellationToken cancellationToken)
        {
            LastExecute = req;
            await Task.Yield();
            if (req.Statement == "crash") throw new InvalidOperationException("handler bug");
            return new TExecuteStatementResp { Status = new TStatus { StatusCode = TStatusCode.ERROR_STATUS, ErrorMessage = "no: " + req.Statement, SqlState = "42000" } };
        }

        public ValueTask<TCloseSessionResp> CloseSession(TCloseSessionReq req, CancellationToken cancellationToken) => throw new NotImplementedException();
        public ValueTask<TGetInfoResp> GetInfo(TGetInfoReq req, CancellationToken cancellationToken) => throw new NotImplementedException();
        public ValueTask<TGetTypeInfoResp> GetTypeInfo(TGetTypeInfoReq req, CancellationToken cancellationToken) => throw new NotImplementedException();
        public ValueTask<TGetCatalogsResp> GetCatalogs(TGetCatalogsReq req, CancellationToken cancellationToken) => throw new NotImplementedException();
        public ValueTask<TGetSchemasResp> GetSchemas(TGetSchemasReq req, CancellationToken cancellationToken) => throw new NotImplementedException();
        public ValueTask<TGetTablesResp> GetTables(TGetTablesReq req, CancellationToken cancellationToken) => throw new NotImplementedException();
        public ValueTask<TGetTableTypesResp> GetTableTypes(TGetTableTypesReq req, CancellationToken cancellationToken) => throw new NotImplementedException();
        public ValueTask<TGetColumnsResp> GetColumns(TGetColumnsReq req, CancellationToken cancellationToken) => throw new NotImplementedException();
        public ValueTask<TGetFunctionsResp> GetFunctions(TGetFunctionsReq req, CancellationToken cancellationToken) => throw new NotImplementedException();
        public ValueTask<TGetPrimaryKeysResp> GetPrimaryKeys(TGetPrimaryKeysReq req, CancellationToken cancellationToken) => throw new NotImplementedException();
        public ValueTask<TGetCrossReferenceResp> GetCrossReference(TGetCrossReferenceReq req, CancellationToken cancellationToken) => throw new NotImplementedException();
        public ValueTask<TGetOperationStatusResp> GetOperationStatus(TGetOperationStatusReq req, CancellationToken cancellationToken) => throw new NotImplementedException();
        public ValueTask<TCancelOperationResp> CancelOperation(TCancelOperationReq req, CancellationToken cancellationToken) => throw new NotImplementedException();
        public ValueTask<TCloseOperationResp> CloseOperation(TCloseOperationReq req, CancellationToken cancellationToken) => throw new NotImplementedException();
        public ValueTask<TGetResultSetMetadataResp> GetResultSetMetadata(TGetResultSetMetadataReq req, CancellationToken cancellationToken) => throw new NotImplementedException();
        public ValueTask<TFetchResultsResp> FetchResults(TFetchResultsReq req, CancellationToken cancellationToken) => throw new NotImplementedException();
        public ValueTask<TGetDelegationTokenResp> GetDelegationToken(TGetDelegationTokenReq req, CancellationToken cancellationToken) => throw new NotImplementedException();
        public ValueTask<TCancelDelegationTokenResp> CancelDelegationToken(TCancelDelegationTokenReq req, CancellationToken cancellationToken) => throw new NotImplementedException();
        public ValueTask<TRenewDelegationTokenResp> RenewDelegationToken(TRenewDelegationTokenReq req, CancellationToken cancellationToken) => throw new NotImplementedException();
        public ValueTask<TGetQueryIdResp> GetQueryId(TGetQueryIdReq req, CancellationToken cancellationToken) => ValueTask.FromResult(new TGetQueryIdResp { QueryId = "q-" + req.OperationHandle.OperationType });
        public ValueTask<TSetClientInfoResp> SetClientInfo(TSetClientInfoReq req, CancellationToken cancellationToken) => throw new NotImplementedException();
    }

    /// <summary>Runs the dispatcher in-process as the "server" side of a client transport.</summary>
    private sealed class LoopbackTransport(ITCLIService service) : IThriftTransport
    {
        public List<DispatchOutcome> Outcomes { get; } = [];
        public Func<byte[], byte[]>? TamperReply { get; set; }

        public async ValueTask<ReadOnlyMemory<byte>> RoundTripAsync(ReadOnlyMemory<byte> request, CancellationToken cancellationToken)
        {
            // The unframed transport would find the boundary like this.
            Assert.True(ThriftMessageScanner.TryMeasure(new ReadOnlySequence<byte>(request), ThriftLimits.Default, out var length));
            Assert.Equal(request.Length, length);
            var output = new ArrayBufferWriter<byte>();
            Outcomes.Add(await TCLIServiceDispatcher.DispatchAsync(request.ToArray(), service, output, ThriftLimits.Default, cancellationToken));
            var reply = output.WrittenSpan.ToArray();
            return TamperReply is null ? reply : TamperReply(reply);
        }
    }

    private static byte[] Call(string name, int seqId, IThriftStruct? request) => Bytes(w =>
    {
        w.WriteMessageBegin(name, TMessageType.Call, seqId);
        if (request is not null)
        {
            w.WriteFieldBegin(TType.Struct, 1);
            request.Write(w);
        }
        w.WriteFieldStop();
    });

    [Fact]
    public async Task KnownMethodRoundTripsThroughClientAndDispatcher()
    {
        var service = new FakeService();
        var transport = new LoopbackTransport(service);
        var client = new TCLIServiceClient(transport);
        var resp = await client.OpenSessionAsync(new TOpenSessionReq
        {
            ClientProtocol = TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V6,
            Username = "u",
            Configuration = new() { ["use:database"] = "db" },
        }, CancellationToken.None);
        Assert.Equal(TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V6, resp.ServerProtocolVersion);
        Assert.Equal("db", resp.Configuration!["use:database"]);
        Assert.Equal("u", service.LastOpen!.Username);
        Assert.Equal(new DispatchOutcome("OpenSession", true, 1), transport.Outcomes[0]);

        var exec = await client.ExecuteStatementAsync(new TExecuteStatementReq { SessionHandle = resp.SessionHandle!, Statement = "DROP x" }, CancellationToken.None);
        Assert.Equal(TStatusCode.ERROR_STATUS, exec.Status.StatusCode);
        Assert.Equal("no: DROP x", exec.Status.ErrorMessage);
        Assert.Equal(2, transport.Outcomes[1].SeqId);
        Assert.Equal(2, client.LastSeqId);

        var queryId = await client.GetQueryIdAsync(new TGetQueryIdReq { OperationHandle = new TOperationHandle { OperationId = new THandleIdentifier(), OperationType = TOperationType.GET_TABLES } });
        Assert.Equal("q-GET_TABLES", queryId.QueryId);
    }

    [Fact]
    public async Task ReplyEchoesNameAndSeqIdWithSuccessInFieldZero()
    {
        var output = new ArrayBufferWriter<byte>();
        using var cts = new CancellationTokenSource();
        var service = new FakeService();
        var call = Call("OpenSession", 0x1234567, new TOpenSessionReq { ClientProtocol = TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V10 });
        var outcome = await TCLIServiceDispatcher.DispatchAsync(call, service, output, ThriftLimits.Default, cts.Token);
        Assert.True(outcome.IsKnownMethod);
        Assert.Equal(cts.Token, service.LastToken);
        var r = new ThriftReader(output.WrittenSpan, ThriftLimits.Default);
        Assert.Equal(new ThriftMessageHeader("OpenSession", TMessageType.Reply, 0x1234567), r.ReadMessageBegin());
        r.ReadStructBegin();
        Assert.Equal(new ThriftFieldHeader(TType.Struct, 0), r.ReadFieldBegin());
        var resp = new TOpenSessionResp();
        resp.Read(ref r);
        Assert.Equal(TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V10, resp.ServerProtocolVersion);
        Assert.Equal(TType.Stop, r.ReadFieldBegin().Type);
        Assert.Equal(0, r.Remaining);
    }

    [Fact]
    public async Task ArgsWithUnknownFieldsAreAccepted()
    {
        var call = Bytes(w =>
        {
            w.WriteMessageBegin("ExecuteStatement", TMessageType.Call, 3);
            w.WriteFieldBegin(TType.Map, 7);
            w.WriteMapBegin(TType.String, TType.String, 1);
            w.WriteString("a");
            w.WriteString("b");
            w.WriteFieldBegin(TType.Struct, 1);
            new TExecuteStatementReq { SessionHandle = new TSessionHandle { SessionId = new THandleIdentifier() }, Statement = "SELECT 1" }.Write(w);
            w.WriteFieldBegin(TType.Struct, 2);
            ThriftProtocolUnitTests.WriteEveryType(w, 1);
            w.WriteFieldStop();
        });
        var service = new FakeService();
        var outcome = await TCLIServiceDispatcher.DispatchAsync(call, service, new ArrayBufferWriter<byte>(), ThriftLimits.Default, CancellationToken.None);
        Assert.True(outcome.IsKnownMethod);
        Assert.Equal("SELECT 1", service.LastExecute!.Statement);
    }

    [Fact]
    public async Task UnknownMethodAnswersApplicationExceptionAndKeepsSeqId()
    {
        var service = new FakeService();
        var output = new ArrayBufferWriter<byte>();
        // PyHive's legacy GetLog: any args, answered with UNKNOWN_METHOD.
        var outcome = await TCLIServiceDispatcher.DispatchAsync(Call("GetLog", 77, new TGetOperationStatusReq { OperationHandle = new TOperationHandle { OperationId = new THandleIdentifier() } }), service, output, ThriftLimits.Default, CancellationToken.None);
        Assert.Equal(new DispatchOutcome("GetLog", false, 77), outcome);
        var r = new ThriftReader(output.WrittenSpan, ThriftLimits.Default);
        Assert.Equal(new ThriftMessageHeader("GetLog", TMessageType.Exception, 77), r.ReadMessageBegin());
        var ex = TApplicationException.Read(ref r);
        Assert.Equal(TApplicationExceptionType.UNKNOWN_METHOD, ex.Type);
        Assert.Equal("Invalid method name: 'GetLog'", ex.Message);
        Assert.Equal(0, r.Remaining);

        // The same dispatcher (connection) keeps answering.
        var next = new ArrayBufferWriter<byte>();
        Assert.True((await TCLIServiceDispatcher.DispatchAsync(Call("OpenSession", 78, new TOpenSessionReq()), service, next, ThriftLimits.Default, CancellationToken.None)).IsKnownMethod);
        Assert.Equal(TMessageType.Reply, new ThriftReader(next.WrittenSpan, ThriftLimits.Default).ReadMessageBegin().Type);
    }

    [Fact]
    public async Task ClientSurfacesApplicationExceptions()
    {
        var service = new FakeService();
        var client = new TCLIServiceClient(new LoopbackTransport(service));
        var ex = await Assert.ThrowsAsync<TApplicationException>(() => client.ExecuteStatementAsync(new TExecuteStatementReq { SessionHandle = new TSessionHandle { SessionId = new THandleIdentifier() }, Statement = "crash" }));
        Assert.Equal(TApplicationExceptionType.INTERNAL_ERROR, ex.Type);
        // The connection is still usable after a handler failure.
        var ok = await client.OpenSessionAsync(new TOpenSessionReq());
        Assert.Equal(TStatusCode.SUCCESS_STATUS, ok.Status.StatusCode);
    }

    [Fact]
    public async Task HandlerExceptionIsReportedInTheOutcome()
    {
        var output = new ArrayBufferWriter<byte>();
        var outcome = await TCLIServiceDispatcher.DispatchAsync(
            Call("ExecuteStatement", 5, new TExecuteStatementReq { SessionHandle = new TSessionHandle { SessionId = new THandleIdentifier() }, Statement = "crash" }),
            new FakeService(), output, ThriftLimits.Default, CancellationToken.None);
        Assert.IsType<InvalidOperationException>(outcome.HandlerException);
        Assert.Equal(TMessageType.Exception, new ThriftReader(output.WrittenSpan, ThriftLimits.Default).ReadMessageBegin().Type);
    }

    [Fact]
    public async Task MalformedArgsThrowProtocolException()
    {
        var service = new FakeService();
        // No request struct at all.
        await Assert.ThrowsAsync<ThriftProtocolException>(async () => await TCLIServiceDispatcher.DispatchAsync(Call("OpenSession", 1, null), service, new ArrayBufferWriter<byte>(), ThriftLimits.Default, CancellationToken.None));
        // A REPLY sent to the server.
        var reply = Bytes(w => { w.WriteMessageBegin("OpenSession", TMessageType.Reply, 1); w.WriteFieldStop(); });
        await Assert.ThrowsAsync<ThriftProtocolException>(async () => await TCLIServiceDispatcher.DispatchAsync(reply, service, new ArrayBufferWriter<byte>(), ThriftLimits.Default, CancellationToken.None));
        // Truncated at every offset.
        var call = Call("ExecuteStatement", 9, new TExecuteStatementReq
        {
            SessionHandle = new TSessionHandle { SessionId = new THandleIdentifier { Guid = new byte[16], Secret = new byte[16] } },
            Statement = "SELECT 1",
            ConfOverlay = new() { ["a"] = "b" },
            GetDirectResults = new TSparkGetDirectResults { MaxRows = 5 },
            Parameters = [new TSparkParameter { Name = "p", Value = new TSparkParameterValue { DoubleValue = 1 } }],
        });
        for (var n = 0; n < call.Length; n++)
        {
            try
            {
                await TCLIServiceDispatcher.DispatchAsync(call.AsMemory(0, n), service, new ArrayBufferWriter<byte>(), ThriftLimits.Default, CancellationToken.None);
                Assert.Fail($"Prefix of {n} bytes was dispatched.");
            }
            catch (ThriftProtocolException)
            {
            }
        }
        Assert.Null(service.LastExecute);
    }

    [Fact]
    public async Task ClientChecksSequenceIdsAndMethodNames()
    {
        var service = new FakeService();
        var transport = new LoopbackTransport(service);
        var client = new TCLIServiceClient(transport);
        transport.TamperReply = reply =>
        {
            // Rewrite the reply header's seqid (strict header: version, name, seqid).
            var r = new ThriftReader(reply, ThriftLimits.Default);
            r.ReadMessageBegin();
            var body = reply[r.Position..];
            return [.. Bytes(w => w.WriteMessageBegin("OpenSession", TMessageType.Reply, 999)), .. body];
        };
        var ex = await Assert.ThrowsAsync<TApplicationException>(() => client.OpenSessionAsync(new TOpenSessionReq()));
        Assert.Equal(TApplicationExceptionType.BAD_SEQUENCE_ID, ex.Type);

        transport.TamperReply = reply =>
        {
            var r = new ThriftReader(reply, ThriftLimits.Default);
            var header = r.ReadMessageBegin();
            return [.. Bytes(w => w.WriteMessageBegin("CloseSession", TMessageType.Reply, header.SeqId)), .. reply[r.Position..]];
        };
        ex = await Assert.ThrowsAsync<TApplicationException>(() => client.OpenSessionAsync(new TOpenSessionReq()));
        Assert.Equal(TApplicationExceptionType.WRONG_METHOD_NAME, ex.Type);

        transport.TamperReply = reply =>
        {
            var r = new ThriftReader(reply, ThriftLimits.Default);
            var header = r.ReadMessageBegin();
            return Bytes(w => { w.WriteMessageBegin(header.Name, TMessageType.Reply, header.SeqId); w.WriteFieldStop(); });
        };
        ex = await Assert.ThrowsAsync<TApplicationException>(() => client.OpenSessionAsync(new TOpenSessionReq()));
        Assert.Equal(TApplicationExceptionType.MISSING_RESULT, ex.Type);

        transport.TamperReply = reply => reply[..^1];
        await Assert.ThrowsAsync<ThriftProtocolException>(() => client.OpenSessionAsync(new TOpenSessionReq()));
        Assert.Equal(4, client.LastSeqId);
    }
}
