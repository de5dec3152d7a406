using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net;
using System.Text;
using Gateway.Protocol.Hive;
using Gateway.Protocol.Sasl;
using Gateway.Protocol.Thrift;

namespace Gateway.Tests.Unit;

public class HiveClientTransportUnitTests
{
    /// <summary>Reads from one pipe, writes to another: one end of an in-memory connection.</summary>
    private sealed class DuplexStream(Stream input, Stream output) : Stream
    {
        public override bool CanRead => true;
        public override bool CanWrite => true;
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => input.Read(buffer, offset, count);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => input.ReadAsync(buffer, cancellationToken);
        public override void Write(byte[] buffer, int offset, int count) => output.Write(buffer, offset, count);
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => output.WriteAsync(buffer, cancellationToken);
        public override void Flush() => output.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => output.FlushAsync(cancellationToken);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                input.Dispose();
                output.Dispose();
            }
            base.Dispose(disposing);
        }
    }

    private static (Stream Client, Stream Server) Connection()
    {
        var toServer = new Pipe();
        var toClient = new Pipe();
        return (new DuplexStream(toClient.Reader.AsStream(), toServer.Writer.AsStream()), new DuplexStream(toServer.Reader.AsStream(), toClient.Writer.AsStream()));
    }

    private sealed class Service : ITCLIService
    {
        public ValueTask<TOpenSessionResp> OpenSession(TOpenSessionReq req, CancellationToken cancellationToken) =>
            ValueTask.FromResult(new TOpenSessionResp { Status = new TStatus(), ServerProtocolVersion = req.ClientProtocol, Configuration = req.Configuration });
        public ValueTask<TGetInfoResp> GetInfo(TGetInfoReq req, CancellationToken cancellationToken) =>
            ValueTask.FromResult(new TGetInfoResp { Status = new TStatus(), InfoValue = new TGetInfoValue { StringValue = new string('v', 100_000) } });
        public ValueTask<TCloseSessionResp> CloseSession(TCloseSessionReq req, CancellationToken cancellationToken) => throw new NotImplementedException();
        public ValueTask<TExecuteStatementResp> ExecuteStatement(TExecuteStatementReq req, CancellationToken cancellationToken) => throw new NotImplementedException();
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
        public ValueTask<TGetQueryIdResp> GetQueryId(TGetQueryIdReq req, CancellationToken cancellationToken) => throw new NotImplementedException();
        public ValueTask<TSetClientInfoResp> SetClientInfo(TSetClientInfoReq req, CancellationToken cancellationToken) => throw new NotImplementedException();
    }

    /// <summary>
    /// A miniature server loop (the canonical pipe loop): measure, dispatch, answer; replies are
    /// written in small pieces so the client sees partial reads.
    /// </summary>
    private static async Task ServeAsync(Stream stream, ThriftFraming framing, CancellationToken cancellationToken)
    {
        var reader = PipeReader.Create(stream);
        var service = new Service();
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            while (true)
            {
                ReadOnlySequence<byte> message;
                if (framing == ThriftFraming.Unframed)
                {
                    if (!ThriftMessageScanner.TryMeasure(buffer, ThriftLimits.Default, out var length)) break;
                    message = buffer.Slice(0, length);
                    buffer = buffer.Slice(length);
                }
                else
                {
                    if (buffer.Length < 4) break;
                    var prefix = new byte[4];
                    buffer.Slice(0, 4).CopyTo(prefix);
                    var frame = BinaryPrimitives.ReadInt32BigEndian(prefix);
                    if (buffer.Length < 4 + frame) break;
                    message = buffer.Slice(4, frame);
                    buffer = buffer.Slice(4 + frame);
                }
                var output = new PooledBufferWriter();
                await TCLIServiceDispatcher.DispatchAsync(message.ToArray(), service, output, ThriftLimits.Default, cancellationToken);
                if (framing == ThriftFraming.Framed)
                {
                    var prefix = new byte[4];
                    BinaryPrimitives.WriteInt32BigEndian(prefix, output.WrittenCount);
                    await stream.WriteAsync(prefix, cancellationToken);
                }
                for (var i = 0; i < output.WrittenCount; i += 1000)
                {
                    await stream.WriteAsync(output.WrittenMemory.Slice(i, Math.Min(1000, output.WrittenCount - i)), cancellationToken);
                    await stream.FlushAsync(cancellationToken);
                }
                output.Dispose();
            }
            reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted) return;
        }
    }

    private static TSessionHandle Session() => new() { SessionId = new THandleIdentifier() };

    [Theory]
    [InlineData(ThriftFraming.Unframed)]
    [InlineData(ThriftFraming.Framed)]
    public async Task StreamTransportRoundTrips(ThriftFraming framing)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var (clientStream, serverStream) = Connection();
        var server = ServeAsync(serverStream, framing, cts.Token);
        await using (var transport = new StreamThriftTransport(clientStream, framing))
        {
            var client = new TCLIServiceClient(transport);
            var open = await client.OpenSessionAsync(new TOpenSessionReq { ClientProtocol = TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V8, Configuration = new() { ["a"] = "b" } }, cts.Token);
            Assert.Equal(TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V8, open.ServerProtocolVersion);
            var info = await client.GetInfoAsync(new TGetInfoReq { SessionHandle = Session(), InfoType = TGetInfoType.CLI_DBMS_VER }, cts.Token);
            Assert.Equal(100_000, info.InfoValue.StringValue!.Length);
            Assert.Equal("b", (await client.OpenSessionAsync(new TOpenSessionReq { Configuration = new() { ["a"] = "b" } }, cts.Token)).Configuration!["a"]);
        }
        await server;
    }

    private static async Task<(SaslStatus Status, byte[] Payload)> ReadSaslFrameAsync(Stream stream, CancellationToken ct)
    {
        var header = new byte[SaslFrame.HeaderLength];
        await stream.ReadExactlyAsync(header, ct);
        var payload = new byte[System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(1))];
        await stream.ReadExactlyAsync(payload, ct);
        return ((SaslStatus)header[0], payload);
    }

    private static async Task WriteSaslFrameAsync(Stream stream, SaslStatus status, byte[] payload, CancellationToken ct)
    {
        var frame = new System.Buffers.ArrayBufferWriter<byte>();
        SaslFrame.Write(frame, status, payload);
        await stream.WriteAsync(frame.WrittenMemory, ct);
    }

    [Fact]
    public async Task SaslPlainHandshakeThenFramedMessages()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var (clientStream, serverStream) = Connection();
        var server = Task.Run(async () =>
        {
            var (start, mechanism) = await ReadSaslFrameAsync(serverStream, cts.Token);
            Assert.Equal(SaslStatus.Start, start);
            Assert.Equal("PLAIN", Encoding.UTF8.GetString(mechanism));
            var (status, response) = await ReadSaslFrameAsync(serverStream, cts.Token);
            Assert.Equal(SaslStatus.Complete, status);
            Assert.Equal("\0alice\0secret", Encoding.UTF8.GetString(response));
            await WriteSaslFrameAsync(serverStream, SaslStatus.Complete, [], cts.Token);
            await serverStream.FlushAsync(cts.Token);
            await ServeAsync(serverStream, ThriftFraming.Framed, cts.Token);
        });
        await SaslPlainClient.HandshakeAsync(clientStream, "alice", "secret", responseAsComplete: true, cancellationToken: cts.Token);
        await using (var transport = new StreamThriftTransport(clientStream, ThriftFraming.Framed))
        {
            var open = await new TCLIServiceClient(transport).OpenSessionAsync(new TOpenSessionReq(), cts.Token);
            Assert.Equal(TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V10, open.ServerProtocolVersion);
        }
        await server;
    }

    [Fact]
    public async Task SaslRejectionIsReported()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var (clientStream, serverStream) = Connection();
        var server = Task.Run(async () =>
        {
            await ReadSaslFrameAsync(serverStream, cts.Token);
            var (status, _) = await ReadSaslFrameAsync(serverStream, cts.Token);
            Assert.Equal(SaslStatus.Ok, status);
            await WriteSaslFrameAsync(serverStream, SaslStatus.Bad, "Error validating the login"u8.ToArray(), cts.Token);
            await serverStream.FlushAsync(cts.Token);
        });
        var ex = await Assert.ThrowsAsync<UnauthorizedAccessException>(() => SaslPlainClient.HandshakeAsync(clientStream, "x", "y", cancellationToken: cts.Token));
        Assert.Contains("Error validating the login", ex.Message, StringComparison.Ordinal);
        await server;
    }

    [Fact]
    public async Task StreamTransportRejectsOversizedFramesAndEarlyClose()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var (clientStream, serverStream) = Connection();
        await using var transport = new StreamThriftTransport(clientStream, ThriftFraming.Framed, ThriftLimits.Default with { MaxMessageSize = 100 });
        var server = Task.Run(async () =>
        {
            var request = new byte[4];
            await serverStream.ReadExactlyAsync(request, cts.Token);
            var body = new byte[BinaryPrimitives.ReadInt32BigEndian(request)];
            await serverStream.ReadExactlyAsync(body, cts.Token);
            await serverStream.WriteAsync(new byte[] { 0, 0, 1, 0 }, cts.Token); // 256 > 100
            await serverStream.FlushAsync(cts.Token);
        });
        var ex = await Assert.ThrowsAsync<ThriftProtocolException>(() => new TCLIServiceClient(transport).OpenSessionAsync(new TOpenSessionReq(), cts.Token));
        Assert.Equal(ThriftProtocolError.SizeLimit, ex.Kind);
        await server;

        var (c2, s2) = Connection();
        await using var unframed = new StreamThriftTransport(c2, ThriftFraming.Unframed);
        var closing = Task.Run(async () =>
        {
            var buffer = new byte[1];
            await s2.ReadExactlyAsync(buffer, cts.Token);
            await s2.WriteAsync(new byte[] { 0x80, 0x01 }, cts.Token);
            await s2.DisposeAsync();
        });
        await Assert.ThrowsAsync<EndOfStreamException>(() => new TCLIServiceClient(unframed).OpenSessionAsync(new TOpenSessionReq(), cts.Token));
        await closing;
    }

    [Fact]
    public async Task FramedRepliesStayValidAfterTheNextCallAndATruncatedOneIsEndOfStream()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var (clientStream, serverStream) = Connection();
        await using var transport = new StreamThriftTransport(clientStream, ThriftFraming.Framed);
        var server = Task.Run(async () =>
        {
            for (var call = 0; call < 3; call++)
            {
                var prefix = new byte[4];
                await serverStream.ReadExactlyAsync(prefix, cts.Token);
                var request = new byte[BinaryPrimitives.ReadInt32BigEndian(prefix)];
                await serverStream.ReadExactlyAsync(request, cts.Token);
                // A reply of 300 KB filled with the request's first byte, sent in uneven pieces; the third is cut short.
                var reply = new byte[300_000];
                reply.AsSpan().Fill(request[0]);
                BinaryPrimitives.WriteInt32BigEndian(prefix, reply.Length);
                await serverStream.WriteAsync(prefix, cts.Token);
                var sent = call == 2 ? reply.Length / 2 : reply.Length;
                for (var i = 0; i < sent; i += 7_777) await serverStream.WriteAsync(reply.AsMemory(i, Math.Min(7_777, sent - i)), cts.Token);
                await serverStream.FlushAsync(cts.Token);
            }
            await serverStream.DisposeAsync();
        });
        var first = await transport.RoundTripAsync(new byte[] { 1, 2 }, cts.Token);
        var second = await transport.RoundTripAsync(new byte[] { 9 }, cts.Token);
        Assert.Equal(300_000, first.Length);
        Assert.True(first.Span.IndexOfAnyExcept((byte)1) < 0);
        Assert.True(second.Span.IndexOfAnyExcept((byte)9) < 0);
        await Assert.ThrowsAsync<EndOfStreamException>(async () => await transport.RoundTripAsync(new byte[] { 5 }, cts.Token));
        await server;
    }

    private sealed class DispatchingHandler(ITCLIService service, int maxBody = int.MaxValue) : HttpMessageHandler
    {
        public string? ContentType { get; private set; }
        public Uri? Uri { get; private set; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            ContentType = request.Content!.Headers.ContentType!.MediaType;
            Uri = request.RequestUri;
            var body = await request.Content.ReadAsByteArrayAsync(cancellationToken);
            var output = new ArrayBufferWriter<byte>();
            await TCLIServiceDispatcher.DispatchAsync(body, service, output, ThriftLimits.Default, cancellationToken);
            var reply = output.WrittenSpan.ToArray();
            if (reply.Length > maxBody) return new HttpResponseMessage(HttpStatusCode.Unauthorized);
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(reply) };
        }
    }

    [Fact]
    public async Task HttpTransportPostsThriftMessages()
    {
        var handler = new DispatchingHandler(new Service());
        using var http = new HttpClient(handler);
        var client = new TCLIServiceClient(new HttpThriftTransport(http, new Uri("http://gateway:10001/cliservice")));
        var open = await client.OpenSessionAsync(new TOpenSessionReq { ClientProtocol = TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V6 });
        Assert.Equal(TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V6, open.ServerProtocolVersion);
        Assert.Equal("application/x-thrift", handler.ContentType);
        Assert.Equal("/cliservice", handler.Uri!.AbsolutePath);

        var limited = new TCLIServiceClient(new HttpThriftTransport(http, new Uri("http://gateway:10001/cliservice"), ThriftLimits.Default with { MaxMessageSize = 1000 }));
        var ex = await Assert.ThrowsAsync<ThriftProtocolException>(() => limited.GetInfoAsync(new TGetInfoReq { SessionHandle = Session() }));
        Assert.Equal(ThriftProtocolError.SizeLimit, ex.Kind);

        using var denied = new HttpClient(new DispatchingHandler(new Service(), maxBody: 10));
        await Assert.ThrowsAsync<HttpRequestException>(() => new TCLIServiceClient(new HttpThriftTransport(denied, new Uri("http://gateway/cliservice"))).OpenSessionAsync(new TOpenSessionReq()));
    }
}
