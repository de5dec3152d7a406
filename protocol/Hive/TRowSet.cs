using Gateway.Protocol.Thrift;

namespace Gateway.Protocol.Hive;

/// <summary>
/// A fetched block of rows: row-based (<see cref="Rows"/>, protocol below V6), columnar
/// (<see cref="Columns"/>, V6+; <see cref="Rows"/> is then sent as an empty list because it is
/// required), or vendor formats (Arrow batches, result links). Hand-written because it carries
/// <see cref="TColumn"/>. Dispose after writing: encoder-made columns hold pooled buffers.
/// </summary>
public sealed partial class TRowSet : IThriftStruct, IDisposable
{
    public long StartRowOffset { get; set; }
    public List<TRow> Rows { get; set; } = new();
    public List<TColumn>? Columns { get; set; }
    public byte[]? BinaryColumns { get; set; }
    public int? ColumnCount { get; set; }
    private List<TSparkArrowBatch>? _arrowBatches;

    /// <summary>
    /// 0x501: Arrow IPC record batches (after the schema sent in the metadata response). A row set that was read
    /// holds them as <see cref="ArrowBatchSlices"/>; this copies them out on first use.
    /// </summary>
    public List<TSparkArrowBatch>? ArrowBatches
    {
        get => _arrowBatches ??= ArrowBatchSlices?.Select(s => new TSparkArrowBatch { Batch = s.Batch.ToArray(), RowCount = s.RowCount }).ToList();
        set => _arrowBatches = value;
    }

    /// <summary>0x501 as read: each batch's bytes as a slice of the reply (no copy when the reply was read over memory).</summary>
    public List<ArrowBatchSlice>? ArrowBatchSlices { get; set; }
    /// <summary>
    /// 0x501 written from pooled buffers (the server's path: no copy into a byte[] per batch). When set,
    /// it is written instead of <see cref="ArrowBatches"/> and disposed with the row set.
    /// </summary>
    public List<ArrowBatchPayload>? ArrowPayloads { get; set; }
    /// <summary>0x502: cloud-fetch links.</summary>
    public List<TSparkArrowResultLink>? ResultLinks { get; set; }
    /// <summary>0xD01.</summary>
    public List<TDBSqlCloudResultFile>? CloudFetchResults { get; set; }
    /// <summary>0xD02.</summary>
    public byte[]? SmallInlineCloudResult { get; set; }
    /// <summary>0xD03: row count for results that are not list based.</summary>
    public long? RowCount { get; set; }

    public void Read(ref ThriftReader reader)
    {
        var hasStartRowOffset = false;
        var hasRows = false;
        reader.ReadStructBegin();
        while (true)
        {
            var field = reader.ReadFieldBegin();
            if (field.Type == TType.Stop) break;
            switch (field.Id)
            {
                case 1 when field.Type == TType.I64:
                    StartRowOffset = reader.ReadI64();
                    hasStartRowOffset = true;
                    break;
                case 2 when field.Type == TType.List:
                    Rows = ReadStructList<TRow>(ref reader);
                    hasRows = true;
                    break;
                case 3 when field.Type == TType.List:
                    Columns = ReadStructList<TColumn>(ref reader);
                    break;
                case 4 when field.Type == TType.String:
                    BinaryColumns = reader.ReadBinary();
                    break;
                case 5 when field.Type == TType.I32:
                    ColumnCount = reader.ReadI32();
                    break;
                case 0x501 when field.Type == TType.List:
                    ArrowBatchSlices = ReadArrowBatches(ref reader);
                    break;
                case 0x502 when field.Type == TType.List:
                    ResultLinks = ReadStructList<TSparkArrowResultLink>(ref reader);
                    break;
                case 0xD01 when field.Type == TType.List:
                    CloudFetchResults = ReadStructList<TDBSqlCloudResultFile>(ref reader);
                    break;
                case 0xD02 when field.Type == TType.String:
                    SmallInlineCloudResult = reader.ReadBinary();
                    break;
                case 0xD03 when field.Type == TType.I64:
                    RowCount = reader.ReadI64();
                    break;
                default:
                    reader.Skip(field.Type);
                    break;
            }
        }
        reader.ReadStructEnd();
        if (!hasStartRowOffset) ThriftProtocolException.ThrowMissingField(nameof(TRowSet), "startRowOffset");
        if (!hasRows) ThriftProtocolException.ThrowMissingField(nameof(TRowSet), "rows");
    }

    /// <summary>list&lt;TSparkArrowBatch {1: binary batch, 2: i64 rowCount}&gt;, the bytes kept as slices of the reply.</summary>
    private static List<ArrowBatchSlice> ReadArrowBatches(ref ThriftReader reader)
    {
        var (elem, count) = reader.ReadListBegin();
        ThriftReader.CheckElementType(elem, TType.Struct, count);
        var list = new List<ArrowBatchSlice>(ThriftReader.InitialCapacity(count));
        for (var i = 0; i < count; i++)
        {
            ReadOnlyMemory<byte>? batch = null;
            long? rows = null;
            reader.ReadStructBegin();
            while (true)
            {
                var field = reader.ReadFieldBegin();
                if (field.Type == TType.Stop) break;
                switch (field.Id)
                {
                    case 1 when field.Type == TType.String:
                        batch = reader.ReadBinaryMemory();
                        break;
                    case 2 when field.Type == TType.I64:
                        rows = reader.ReadI64();
                        break;
                    default:
                        reader.Skip(field.Type);
                        break;
                }
            }
            reader.ReadStructEnd();
            if (batch is null) ThriftProtocolException.ThrowMissingField(nameof(TSparkArrowBatch), "batch");
            if (rows is null) ThriftProtocolException.ThrowMissingField(nameof(TSparkArrowBatch), "rowCount");
            list.Add(new ArrowBatchSlice(batch.Value, rows.Value));
        }
        return list;
    }

    private static List<T> ReadStructList<T>(ref ThriftReader reader) where T : IThriftStruct, new()
    {
        var (elem, count) = reader.ReadListBegin();
        ThriftReader.CheckElementType(elem, TType.Struct, count);
        var list = new List<T>(ThriftReader.InitialCapacity(count));
        for (var i = 0; i < count; i++)
        {
            var item = new T();
            item.Read(ref reader);
            list.Add(item);
        }
        return list;
    }

    public void Write(ThriftWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteFieldBegin(TType.I64, 1);
        writer.WriteI64(StartRowOffset);
        WriteStructList(writer, 2, Rows);
        if (Columns is { } columns) WriteStructList(writer, 3, columns);
        if (BinaryColumns is { } binaryColumns)
        {
            writer.WriteFieldBegin(TType.String, 4);
            writer.WriteBinary(binaryColumns);
        }
        if (ColumnCount is { } columnCount)
        {
            writer.WriteFieldBegin(TType.I32, 5);
            writer.WriteI32(columnCount);
        }
        if (ArrowPayloads is { } payloads)
        {
            writer.WriteFieldBegin(TType.List, 0x501);
            writer.WriteListBegin(TType.Struct, payloads.Count);
            foreach (var p in payloads)
            {
                writer.WriteFieldBegin(TType.String, 1);
                writer.WriteBinary(p.Bytes.WrittenSpan);
                writer.WriteFieldBegin(TType.I64, 2);
                writer.WriteI64(p.RowCount);
                writer.WriteFieldStop();
            }
        }
        else if (ArrowBatches is { } arrowBatches)
        {
            WriteStructList(writer, 0x501, arrowBatches);
        }
        if (ResultLinks is { } resultLinks) WriteStructList(writer, 0x502, resultLinks);
        if (CloudFetchResults is { } cloudFetchResults) WriteStructList(writer, 0xD01, cloudFetchResults);
        if (SmallInlineCloudResult is { } smallInline)
        {
            writer.WriteFieldBegin(TType.String, 0xD02);
            writer.WriteBinary(smallInline);
        }
        if (RowCount is { } rowCount)
        {
            writer.WriteFieldBegin(TType.I64, 0xD03);
            writer.WriteI64(rowCount);
        }
        writer.WriteFieldStop();
    }

    private static void WriteStructList<T>(ThriftWriter writer, short id, List<T> items) where T : IThriftStruct
    {
        writer.WriteFieldBegin(TType.List, id);
        writer.WriteListBegin(TType.Struct, items.Count);
        foreach (var item in items) item.Write(writer);
    }

    /// <summary>Returns pooled buffers of columns this row set owns (text columns the encoder formatted).</summary>
    public void Dispose()
    {
        if (ArrowPayloads is { } payloads)
        {
            foreach (var p in payloads) p.Bytes.Dispose();
            ArrowPayloads = null;
        }
        if (Columns is null) return;
        foreach (var c in Columns) c.Dispose();
    }
}

/// <summary>One Arrow IPC record-batch message (possibly LZ4-framed) in a pooled buffer, and its row count.</summary>
public sealed record ArrowBatchPayload(PooledBufferWriter Bytes, long RowCount);

/// <summary>One TSparkArrowBatch as read: its bytes (Arrow IPC messages, or an LZ4 frame of them) and the rows it says it holds.</summary>
public readonly record struct ArrowBatchSlice(ReadOnlyMemory<byte> Batch, long RowCount);
