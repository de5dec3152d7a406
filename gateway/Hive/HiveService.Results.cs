using Gateway.Protocol.Arrow;
using Gateway.Protocol.Columnar;
using Gateway.Protocol.Compression;
using Gateway.Protocol.Hive;
using Gateway.Protocol.Thrift;
using Gateway.Server.Operations;
using Gateway.Server.Sessions;
using Microsoft.Extensions.Logging;

namespace Gateway.Server.Hive;

// Result delivery: Thrift columns, Arrow batches (Spark/Databricks), Kyuubi's Arrow-in-a-binary-column, and
// direct results (status, metadata, first rows and close in the response of the call that started the operation).
public sealed partial class HiveService
{
    private static readonly ResultSchema KyuubiArrowSchema = new([new ColumnInfo("arrow_batch", SqlType.Binary)]);

    /// <summary>The result format an ExecuteStatement request and its session ask for.</summary>
    private ResultFormat ChooseFormat(TExecuteStatementReq req, Hs2Session session, IReadOnlyDictionary<string, string>? overlay)
    {
        string? Conf(string key) => overlay?.GetValueOrDefault(key) ?? session.Conf.GetValueOrDefault(key);
        // Arrow batches only on a Spark-line session: a Hive-line reply has no resultFormat or arrowSchema to say so.
        if (req.CanReadArrowResult == true && _options.Results.Arrow && HiveProtocol.IsSpark((TProtocolVersion)session.ProtocolVersion))
        {
            var native = req.UseArrowNativeTypes;
            var arrow = new ArrowWriteOptions
            {
                // Absent flags mean the client predates them: such clients expect text, as old Spark servers sent.
                TimestampAsArrow = native?.TimestampAsArrow ?? false,
                DecimalAsArrow = native?.DecimalAsArrow ?? false,
                ComplexTypesAsArrow = native?.ComplexTypesAsArrow ?? false,
                IntervalTypesAsArrow = native?.IntervalTypesAsArrow ?? false,
                NullTypeAsArrow = native?.NullTypeAsArrow ?? false,
                Formatter = session.Formatter,
            };
            return new ResultFormat(ResultEncoding.Arrow, arrow, Lz4: req.CanDecompressLZ4Result == true && _options.Results.Lz4);
        }
        if (Conf(ResultFormat.KyuubiFormatConf) is { } kyuubi && kyuubi.Trim().Equals("arrow", StringComparison.OrdinalIgnoreCase))
        {
            // Kyuubi's Spark engine sends timestamps as text unless told otherwise, and top-level complex values as Hive text.
            var timestampAsString = Conf("kyuubi.operation.result.arrow.timestampAsString") is not { } t
                || !t.Trim().Equals("false", StringComparison.OrdinalIgnoreCase);
            var arrow = new ArrowWriteOptions
            {
                TimestampAsArrow = !timestampAsString,
                DecimalAsArrow = true,
                ComplexTypesAsArrow = false,
                IntervalTypesAsArrow = false,
                NullTypeAsArrow = true,
                Formatter = session.Formatter,
            };
            return new ResultFormat(ResultEncoding.KyuubiArrow, arrow);
        }
        return ResultFormat.ThriftColumns;
    }

    private static TGetResultSetMetadataResp ResultSetMetadata(Operation op)
    {
        var version = (TProtocolVersion)op.Session.ProtocolVersion;
        var resp = new TGetResultSetMetadataResp
        {
            Status = StatusMapper.Success(),
            Schema = HiveResultEncoder.ToTableSchema(op.Schema, version),
        };
        var format = op.Format;
        if (HiveProtocol.IsSpark(version))
        {
            resp.ResultFormat = format.Encoding == ResultEncoding.Arrow ? TSparkRowSetType.ARROW_BASED_SET : TSparkRowSetType.COLUMN_BASED_SET;
            resp.Lz4Compressed = format.Encoding == ResultEncoding.Arrow && format.Lz4;
            if (format.Encoding == ResultEncoding.Arrow) resp.ArrowSchema = ArrowIpc.SchemaBytes(op.Schema, format.Arrow!);
        }
        if (format.Encoding == ResultEncoding.KyuubiArrow) resp.Status.InfoMessages = [ResultFormat.KyuubiFormatHint];
        return resp;
    }

    /// <summary>One fetch in the operation's format. Buffers the reply references are freed after it is written.</summary>
    private async ValueTask<TFetchResultsResp> FetchAsync(Operation op, FetchOrientation orientation, int maxRows, CancellationToken cancellationToken)
    {
        var fetched = await op.FetchAsync(orientation, maxRows, cancellationToken).ConfigureAwait(false);
        // A Thrift row set references the batch's buffers: both live until the reply is written.
        if (fetched.Owned) DisposeAfterReply(fetched.Batch);
        var format = op.Format;
        TRowSet rowSet;
        switch (format.Encoding)
        {
            case ResultEncoding.Arrow:
                rowSet = new TRowSet { StartRowOffset = fetched.StartRowOffset, Rows = [], ArrowPayloads = [] };
                DisposeAfterReply(rowSet);
                if (fetched.Count > 0)
                {
                    rowSet.ArrowPayloads.Add(new ArrowBatchPayload(EncodeArrow(fetched, format), fetched.Count));
                }
                break;
            case ResultEncoding.KyuubiArrow:
                var builder = new BatchBuilder(KyuubiArrowSchema);
                if (fetched.Count > 0)
                {
                    using var message = EncodeArrow(fetched, format);
                    builder.AddRow(message.WrittenSpan.ToArray());
                }
                var wrapper = DisposeAfterReply(builder.Build());
                rowSet = DisposeAfterReply(HiveResultEncoder.Encode(wrapper, op.Session.Formatter, (TProtocolVersion)op.Session.ProtocolVersion, fetched.StartRowOffset));
                break;
            default:
                rowSet = DisposeAfterReply(HiveResultEncoder.Encode([new BatchSlice(fetched.Batch, fetched.Offset, fetched.Count)], fetched.Batch.Schema,
                    op.Session.Formatter, (TProtocolVersion)op.Session.ProtocolVersion, fetched.StartRowOffset));
                break;
        }
        return new TFetchResultsResp { Status = StatusMapper.Success(), HasMoreRows = fetched.HasMoreRows, Results = rowSet };
    }

    private static PooledBufferWriter EncodeArrow(FetchResult fetched, ResultFormat format)
    {
        var message = new PooledBufferWriter(64 * 1024);
        try
        {
            ArrowIpc.WriteRecordBatch(fetched.Batch, fetched.Offset, fetched.Count, format.Arrow!, message);
            if (!format.Lz4) return message;
            var compressed = new PooledBufferWriter(message.WrittenCount / 2 + 1024);
            try
            {
                Lz4Frame.Compress(message.WrittenSpan, compressed);
            }
            catch
            {
                compressed.Dispose();
                throw;
            }
            message.Dispose();
            return compressed;
        }
        catch
        {
            message.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Spark's direct results: waits briefly for the operation, then answers status, metadata and the first
    /// rows; an operation with nothing left to fetch (or that failed) is closed in the same reply.
    /// </summary>
    private async ValueTask<TSparkDirectResults> DirectResultsAsync(Operation op, TSparkGetDirectResults request, CancellationToken cancellationToken)
    {
        await LongPollAsync(op, cancellationToken).ConfigureAwait(false);
        // One snapshot for the status and what follows: a statement finishing in between must not be closed while the
        // reply still calls it running (the client would poll a handle that no longer exists).
        var state = op.State;
        var direct = new TSparkDirectResults { OperationStatus = OperationStatus(op, progressUpdate: false, state) };
        var close = false;
        switch (state)
        {
            case OperationState.Finished:
                direct.ResultSetMetadata = ResultSetMetadata(op);
                if (op.HasResultSet)
                {
                    var maxRows = (int)Math.Clamp(request.MaxRows <= 0 ? _options.Limits.MaxRowsPerFetch : request.MaxRows, 1, _options.Limits.MaxRowsPerFetch);
                    direct.ResultSet = await FetchAsync(op, FetchOrientation.Next, maxRows, cancellationToken).ConfigureAwait(false);
                    close = direct.ResultSet.HasMoreRows != true;
                }
                else
                {
                    close = true;
                }
                break;
            case OperationState.Error or OperationState.Canceled or OperationState.TimedOut:
                close = true;
                break;
        }
        if (close)
        {
            // The reply may still reference the operation's buffers: it is closed once the reply is written.
            _sessions.DetachOperation(op);
            DisposeAfterReply(new CloseAfterReply(op, _logger));
            direct.CloseOperation = new TCloseOperationResp { Status = StatusMapper.Success() };
        }
        return direct;
    }

    private sealed class CloseAfterReply(Operation op, ILogger logger) : IDisposable
    {
        public void Dispose()
        {
            var closing = op.DisposeAsync();
            if (!closing.IsCompletedSuccessfully) _ = ObserveAsync(closing, logger);
        }

        private static async Task ObserveAsync(ValueTask closing, ILogger logger)
        {
            try
            {
                await closing.ConfigureAwait(false);
            }
            catch (Exception e)
            {
                LogCloseFailed(logger, e);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Closing an operation after its direct results failed")]
    private static partial void LogCloseFailed(ILogger logger, Exception exception);
}
