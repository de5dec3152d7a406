using System.Buffers;
using System.Buffers.Binary;
using Gateway.Protocol.Columnar;
using ApacheWriter = Apache.Arrow.Ipc.ArrowStreamWriter;
using ArrowSchemaType = Apache.Arrow.Schema;

namespace Gateway.Protocol.Arrow;

/// <summary>
/// Arrow IPC stream messages written from our batches by Apache.Arrow's IPC writer (format/Columnar.rst "Encapsulated
/// message format"; metadata version V5, little-endian, no dictionaries, no compression). A stream is one schema
/// message, any number of record batch messages and the end-of-stream marker; Databricks clients take the schema
/// message and each record batch message as separate byte arrays, so each is written on its own.
/// </summary>
public static class ArrowIpc
{
    private const uint Continuation = 0xFFFFFFFF;

    /// <summary>The schema message: 0xFFFFFFFF, the int32 metadata length (padded so a body would start 8-aligned), the flatbuffer Message.</summary>
    public static void WriteSchema(ResultSchema schema, ArrowWriteOptions options, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        EnsureLittleEndian();
        var sink = new BufferWriterStream { Target = output };
        using var writer = new ApacheWriter(sink, ArrowSchemaMapping.For(schema, options), leaveOpen: true);
        writer.WriteStart();
    }

    /// <summary>
    /// A record batch message of rows <c>[offset, offset + count)</c>: prefix and metadata as for the schema, then the
    /// body, every buffer 8-aligned and zero-padded. Buffers are views of the batch's arrays (offsets rebased, bitmaps
    /// re-aligned for slices; text fallbacks formatted), copied once into the output.
    /// </summary>
    public static void WriteRecordBatch(ColumnBatch batch, int offset, int count, ArrowWriteOptions options, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (offset > batch.RowCount - count) throw new ArgumentOutOfRangeException(nameof(count), $"Rows {offset}..{offset + count} are outside a batch of {batch.RowCount}.");
        EnsureLittleEndian();
        var arrowSchema = ArrowSchemaMapping.For(batch.Schema, options);
        var views = ArrowBatchViews.Rent();
        var writer = BatchWriter.Rent(arrowSchema);
        try
        {
            using var recordBatch = views.Build(arrowSchema, batch, offset, count, options);
            writer.Stream.Target = output;
            writer.Writer.WriteRecordBatch(recordBatch);
        }
        catch
        {
            // A writer that failed part way may hold a half-built message: never reuse it.
            writer.Broken = true;
            throw;
        }
        finally
        {
            writer.Stream.Target = null;
            BatchWriter.Return(writer);
            ArrowBatchViews.Return(views);
        }
    }

    /// <summary>The end-of-stream marker: 0xFFFFFFFF followed by a zero length.</summary>
    public static void WriteEndOfStream(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var span = output.GetSpan(8);
        BinaryPrimitives.WriteUInt32LittleEndian(span, Continuation);
        BinaryPrimitives.WriteInt32LittleEndian(span[4..], 0);
        output.Advance(8);
    }

    public static byte[] SchemaBytes(ResultSchema schema, ArrowWriteOptions options)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        WriteSchema(schema, options, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>A record batch message as a new array (for callers that hand each batch over separately).</summary>
    public static byte[] RecordBatchBytes(ColumnBatch batch, int offset, int count, ArrowWriteOptions options)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        WriteRecordBatch(batch, offset, count, options, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    private static void EnsureLittleEndian()
    {
        // Buffers are copied from memory as they are; Arrow data here is little-endian.
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("The Arrow writer needs a little-endian machine.");
    }

    /// <summary>
    /// Apache.Arrow's stream writer writes the schema before the first batch. A writer per thread, kept for the schema
    /// it has already written (to a sink that discards it), writes the batch messages of every result with that schema.
    /// </summary>
    private sealed class BatchWriter
    {
        [ThreadStatic] private static BatchWriter? t_cached;

        private BatchWriter(ArrowSchemaType schema)
        {
            Schema = schema;
            Stream = new BufferWriterStream();
            Writer = new ApacheWriter(Stream, schema, leaveOpen: true);
            Writer.WriteStart();
        }

        public ArrowSchemaType Schema { get; }
        public BufferWriterStream Stream { get; }
        public ApacheWriter Writer { get; }
        public bool Broken { get; set; }

        public static BatchWriter Rent(ArrowSchemaType schema)
        {
            var cached = t_cached;
            t_cached = null;
            return cached is not null && ReferenceEquals(cached.Schema, schema) ? cached : new BatchWriter(schema);
        }

        public static void Return(BatchWriter writer)
        {
            if (!writer.Broken) t_cached = writer;
        }
    }
}
