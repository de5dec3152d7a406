using System.Buffers;
using System.Buffers.Binary;
using Gateway.Protocol.Columnar;

namespace Gateway.Protocol.Arrow;

/// <summary>
/// Arrow IPC stream messages written from our batches (format/Columnar.rst "Encapsulated message
/// format"; metadata version V5, little-endian, no dictionaries, no compression). A stream is one
/// schema message, any number of record batch messages and the end-of-stream marker; Databricks
/// clients take the schema message and each record batch message as separate byte arrays.
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
        var encoder = ArrowBatchEncoder.Rent();
        try
        {
            ArrowMetadata.BuildSchemaMessage(encoder.Builder, schema, options);
            WriteMessagePrefix(output, encoder.Builder.WrittenSpan);
        }
        finally
        {
            ArrowBatchEncoder.Return(encoder);
        }
    }

    /// <summary>
    /// A record batch message of rows <c>[offset, offset + count)</c>: prefix and metadata as for the
    /// schema, then the body, every buffer 8-aligned and zero-padded. Buffers are copied straight from
    /// the batch (offsets rebased, bitmaps re-aligned for slices); text fallbacks are formatted.
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
        var encoder = ArrowBatchEncoder.Rent();
        try
        {
            encoder.Plan(batch, offset, count, options);
            encoder.WriteTo(output, count);
        }
        finally
        {
            ArrowBatchEncoder.Return(encoder);
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

    internal static void WriteMessagePrefix(IBufferWriter<byte> output, ReadOnlySpan<byte> metadata)
    {
        var padded = (int)ArrowBatchEncoder.Align8(8 + metadata.Length) - 8;
        var span = output.GetSpan(8 + padded);
        BinaryPrimitives.WriteUInt32LittleEndian(span, Continuation);
        BinaryPrimitives.WriteInt32LittleEndian(span[4..], padded);
        metadata.CopyTo(span[8..]);
        span.Slice(8 + metadata.Length, padded - metadata.Length).Clear();
        output.Advance(8 + padded);
    }

    private static void EnsureLittleEndian()
    {
        // Buffers are copied from memory as they are; Arrow data here is little-endian.
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("The Arrow writer needs a little-endian machine.");
    }
}
