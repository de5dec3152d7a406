using Gateway.Protocol.Arrow;
using Gateway.Protocol.Columnar;
using Gateway.Protocol.Compression;
using Gateway.Protocol.Hive;

namespace Gateway.Engines.HiveServer2;

/// <summary>
/// Asking a Spark-line server (Databricks, Spark Thrift Server with the extension, this gateway) for Arrow result
/// batches: <c>canReadArrowResult</c> with these TSparkArrowTypes flags. A type whose flag is off comes as Arrow
/// utf8 holding the server's text (read as STRING, like the Thrift path's text carriers). Only sent when the server
/// negotiated a SPARK_CLI_SERVICE_PROTOCOL version: Hive-line servers do not know the fields.
/// </summary>
public sealed record HiveArrowOptions
{
    public bool TimestampAsArrow { get; init; } = true;
    public bool DecimalAsArrow { get; init; } = true;
    public bool ComplexTypesAsArrow { get; init; } = true;
    public bool IntervalTypesAsArrow { get; init; } = true;
    public bool NullTypeAsArrow { get; init; } = true;

    /// <summary>Also set <c>canDecompressLZ4Result</c>: the server may LZ4-frame each batch (less on the wire, CPU on both ends).</summary>
    public bool Lz4 { get; init; }

    /// <summary>Every type as its Arrow type, uncompressed: what the reader handles best.</summary>
    public static HiveArrowOptions Native { get; } = new();

    internal TSparkArrowTypes ToThrift() => new()
    {
        TimestampAsArrow = TimestampAsArrow,
        DecimalAsArrow = DecimalAsArrow,
        ComplexTypesAsArrow = ComplexTypesAsArrow,
        IntervalTypesAsArrow = IntervalTypesAsArrow,
        NullTypeAsArrow = NullTypeAsArrow,
    };

    /// <summary>Sets the Arrow fields of an ExecuteStatement request.</summary>
    internal void Apply(TExecuteStatementReq request)
    {
        request.CanReadArrowResult = true;
        request.UseArrowNativeTypes = ToThrift();
        request.CanDecompressLZ4Result = Lz4;
    }

    /// <summary>The writer's view of the same flags: which types a server that honours them sends as text.</summary>
    internal ArrowWriteOptions ToWriteOptions() => new()
    {
        TimestampAsArrow = TimestampAsArrow,
        DecimalAsArrow = DecimalAsArrow,
        ComplexTypesAsArrow = ComplexTypesAsArrow,
        IntervalTypesAsArrow = IntervalTypesAsArrow,
        NullTypeAsArrow = NullTypeAsArrow,
    };

    /// <summary>What a request without UseArrowNativeTypes gets from Spark-line servers: every special type as text.</summary>
    internal static HiveArrowOptions AllText { get; } = new()
    {
        TimestampAsArrow = false,
        DecimalAsArrow = false,
        ComplexTypesAsArrow = false,
        IntervalTypesAsArrow = false,
        NullTypeAsArrow = false,
    };
}

/// <summary>
/// How an operation's Arrow batches are to be read: the schema (from GetResultSetMetadata's <c>arrowSchema</c>,
/// renamed to the TTableSchema's names) and whether each batch is an LZ4 frame.
/// </summary>
public sealed class HiveArrowResult
{
    /// <summary>Bound on one decompressed batch (a reply is at most 64 MB by default; LZ4 may expand it several times).</summary>
    public const int MaxDecompressedBatchBytes = 512 * 1024 * 1024;

    public HiveArrowResult(ArrowSchema schema, bool lz4)
    {
        ArgumentNullException.ThrowIfNull(schema);
        Schema = schema;
        Lz4 = lz4;
    }

    public ArrowSchema Schema { get; }
    public bool Lz4 { get; }

    /// <summary>
    /// The Arrow reading of a result: null unless the server said ARROW_BASED_SET or sent an Arrow schema (a server
    /// that ignored the request answers with Thrift columns). Without <c>arrowSchema</c> the schema is the one the
    /// server would write for <paramref name="declared"/> under the flags asked for (every special type as text when
    /// none were); the batch decoder's checks catch a server that wrote something else.
    /// </summary>
    public static HiveArrowResult? From(TGetResultSetMetadataResp metadata, ResultSchema declared, HiveArrowOptions? requested)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentNullException.ThrowIfNull(declared);
        var arrowFormat = metadata.ResultFormat == TSparkRowSetType.ARROW_BASED_SET;
        if (metadata.ResultFormat is not null && !arrowFormat) return null;
        if (!arrowFormat && metadata.ArrowSchema is not { Length: > 0 }) return null;
        ArrowSchema schema;
        try
        {
            schema = metadata.ArrowSchema is { Length: > 0 } bytes
                ? ArrowIpcReader.ReadSchema(bytes)
                : ArrowIpcReader.ReadSchema(ArrowIpc.SchemaBytes(declared, (requested ?? HiveArrowOptions.AllText).ToWriteOptions()));
        }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException)
        {
            throw Error("the result's Arrow schema", e);
        }
        if (schema.Schema.Count != declared.Count)
        {
            throw new HiveClientException($"The server's Arrow schema has {schema.Schema.Count} columns; its table schema has {declared.Count}.", "08S01");
        }
        return new HiveArrowResult(schema.WithNames([.. declared.Columns.Select(c => c.Name)]), metadata.Lz4Compressed == true);
    }

    /// <summary>
    /// Reads a row set's Arrow batches (each an LZ4 frame when <see cref="Lz4"/>) into one batch; checks each
    /// batch's row count against what the server said it holds.
    /// </summary>
    public ColumnBatch Read(IReadOnlyList<ArrowBatchSlice> batches)
    {
        ArgumentNullException.ThrowIfNull(batches);
        var read = new List<ColumnBatch>(batches.Count);
        try
        {
            foreach (var b in batches)
            {
                var bytes = Lz4 ? Lz4Frame.Decompress(b.Batch, MaxDecompressedBatchBytes) : b.Batch.Span;
                var before = read.Count;
                ArrowIpcReader.ReadRecordBatches(Schema, bytes, read);
                long rows = 0;
                for (var i = before; i < read.Count; i++) rows += read[i].RowCount;
                if (rows != b.RowCount) throw new InvalidDataException($"An Arrow batch said it holds {b.RowCount} rows; its messages hold {rows}.");
            }
            switch (read.Count)
            {
                case 0:
                    return new BatchBuilder(Schema.Schema).Build();
                case 1:
                    var only = read[0];
                    read.Clear();
                    return only;
                default:
                    return ColumnConcat.Concat(Schema.Schema, [.. read.Select(r => (r, 0, r.RowCount))]);
            }
        }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException)
        {
            throw Error("an Arrow result batch", e);
        }
        finally
        {
            foreach (var r in read) r.Dispose();
        }
    }

    private static HiveClientException Error(string what, Exception e) =>
        new($"The server sent {what} this client cannot read: {e.Message}", e is NotSupportedException ? "0A000" : "08S01");
}
