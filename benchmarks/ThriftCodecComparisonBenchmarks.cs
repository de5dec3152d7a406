using BenchmarkDotNet.Attributes;
using Gateway.Protocol.Columnar;
using Gateway.Protocol.Hive;
using Gateway.Protocol.Thrift;
using Gateway.Tests.Unit;
using Thrift;
using Thrift.Protocol;
using Thrift.Transport.Client;
using ApacheType = Thrift.Protocol.Entities.TType;
using TMessage = Thrift.Protocol.Entities.TMessage;
using TMessageType = Gateway.Protocol.Thrift.TMessageType;
using TType = Gateway.Protocol.Thrift.TType;

namespace Gateway.Benchmarks;

/// <summary>
/// Our Thrift codec against Apache Thrift 0.25 (TBinaryProtocol over a memory buffer) on the same bytes: a FetchResults
/// reply carrying a 10k-row TRowSet of the benchmark mix, an ExecuteStatement call and a GetOperationStatus reply.
/// Apache Thrift reads and writes every value through its protocol's async calls, as its generated code does, into a
/// generic tree (ApacheThriftTree) rather than generated classes (the Thrift compiler is not available here): that is
/// the protocol work its generated code does, without the cost of building typed objects, so it flatters Apache Thrift
/// if anything.
/// </summary>
[MemoryDiagnoser]
public class ThriftCodecComparisonBenchmarks
{
    private static readonly TConfiguration Configuration = new() { MaxMessageSize = 256 << 20 };
    private readonly PooledBufferWriter _output = new(4 << 20);
    private byte[] _message = [];
    private TMessage _header;
    private ApacheThriftTree.Node _tree = null!;
    private ColumnBatch _batch = null!;
    private TFetchResultsResp _fetch = null!;
    private TExecuteStatementReq _execute = null!;
    private TGetOperationStatusResp _status = null!;

    public enum Kind
    {
        FetchResults10kRows,
        ExecuteStatement,
        GetOperationStatus,
    }

    [Params(Kind.FetchResults10kRows, Kind.ExecuteStatement, Kind.GetOperationStatus)]
    public Kind Message { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var operation = new TOperationHandle
        {
            OperationId = new THandleIdentifier { Guid = Guid.NewGuid().ToByteArray(), Secret = Guid.NewGuid().ToByteArray() },
            OperationType = TOperationType.EXECUTE_STATEMENT,
            HasResultSet = true,
        };
        // The row set is a view of the batch's buffers: the batch lives as long as the benchmark.
        _batch = SampleBatches.Mixed(10_000, withNulls: true);
        _fetch = new TFetchResultsResp
        {
            Status = new TStatus { StatusCode = TStatusCode.SUCCESS_STATUS },
            HasMoreRows = true,
            Results = HiveResultEncoder.Encode(_batch, ValueFormatter.Utc, TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V10),
        };
        _execute = new TExecuteStatementReq
        {
            SessionHandle = new TSessionHandle { SessionId = operation.OperationId },
            Statement = "SELECT s.store_id, sum(s.amount) FROM demo.sales s JOIN demo.stores t ON s.store_id = t.id GROUP BY 1 ORDER BY 2 DESC LIMIT 100",
            ConfOverlay = new Dictionary<string, string> { ["spark.sql.shuffle.partitions"] = "8" },
            RunAsync = true,
            QueryTimeout = 0,
        };
        _status = new TGetOperationStatusResp
        {
            Status = new TStatus { StatusCode = TStatusCode.SUCCESS_STATUS },
            OperationState = TOperationState.RUNNING_STATE,
            OperationStarted = 1_733_500_000_000,
            OperationCompleted = 0,
            HasResultSet = true,
            ProgressUpdateResponse = new TProgressUpdateResp
            {
                HeaderNames = ["stage", "progress"],
                Rows = [["1", "50%"]],
                ProgressedPercentage = 0.5,
                Status = TJobExecutionStatus.IN_PROGRESS,
                FooterSummary = "",
                StartTime = 1_733_500_000_000,
            },
        };
        EncodeInto();
        _message = _output.WrittenSpan.ToArray();
        using var input = new TMemoryBufferTransport(_message, Configuration);
        using var protocol = new TBinaryProtocol(input);
        _header = protocol.ReadMessageBeginAsync(default).GetAwaiter().GetResult();
        _tree = ApacheThriftTree.ReadAsync(protocol, ApacheType.Struct).GetAwaiter().GetResult();
        Console.WriteLine($"// {Message}: {_message.Length} bytes");
    }

    [Benchmark(Baseline = true)]
    public int EncodeOurs() => EncodeInto();

    private int EncodeInto()
    {
        _output.Clear();
        var w = new ThriftWriter(_output);
        switch (Message)
        {
            case Kind.FetchResults10kRows:
                w.WriteMessageBegin("FetchResults", TMessageType.Reply, 1);
                w.WriteFieldBegin(TType.Struct, 0);
                _fetch.Write(w);
                break;
            case Kind.ExecuteStatement:
                w.WriteMessageBegin("ExecuteStatement", TMessageType.Call, 1);
                w.WriteFieldBegin(TType.Struct, 1);
                _execute.Write(w);
                break;
            default:
                w.WriteMessageBegin("GetOperationStatus", TMessageType.Reply, 1);
                w.WriteFieldBegin(TType.Struct, 0);
                _status.Write(w);
                break;
        }
        w.WriteFieldStop();
        return _output.WrittenCount;
    }

    [Benchmark]
    public async Task<int> EncodeApacheThrift()
    {
        using var output = new TMemoryBufferTransport(Configuration, _message.Length + 64);
        using var protocol = new TBinaryProtocol(output);
        await protocol.WriteMessageBeginAsync(_header, default);
        await ApacheThriftTree.WriteAsync(protocol, _tree);
        await protocol.WriteMessageEndAsync(default);
        return (int)output.Length;
    }

    [Benchmark]
    public int DecodeOurs()
    {
        var reader = new ThriftReader(_message, ThriftLimits.Default with { MaxMessageSize = 256 << 20 });
        reader.ReadMessageBegin();
        reader.ReadStructBegin();
        var fields = 0;
        while (true)
        {
            var field = reader.ReadFieldBegin();
            if (field.Type == TType.Stop) break;
            fields++;
            switch (Message)
            {
                case Kind.FetchResults10kRows:
                    {
                        var value = new TFetchResultsResp();
                        value.Read(ref reader);
                        value.Results?.Dispose();
                        break;
                    }
                case Kind.ExecuteStatement:
                    new TExecuteStatementReq().Read(ref reader);
                    break;
                default:
                    new TGetOperationStatusResp().Read(ref reader);
                    break;
            }
        }
        return fields;
    }

    [Benchmark]
    public async Task<int> DecodeApacheThrift()
    {
        using var input = new TMemoryBufferTransport(_message, Configuration);
        using var protocol = new TBinaryProtocol(input);
        await protocol.ReadMessageBeginAsync(default);
        var tree = await ApacheThriftTree.ReadAsync(protocol, ApacheType.Struct);
        await protocol.ReadMessageEndAsync(default);
        return tree is ApacheThriftTree.Struct s ? s.Fields.Count : 0;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _fetch.Results?.Dispose();
        _batch.Dispose();
        _output.Dispose();
    }
}
