using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using Gateway.Protocol.Columnar;

namespace Gateway.Protocol.Arrow;

/// <summary>
/// Reads Arrow IPC stream messages (format/Columnar.rst "Encapsulated message format"): the schema into an
/// <see cref="ArrowSchema"/>, record batches into <see cref="ColumnBatch"/>es. Databricks-style results
/// hand the schema message (<c>arrowSchema</c>) and each batch's messages (<c>arrowBatches[i].batch</c>)
/// over separately, which <see cref="ReadSchema(ReadOnlySpan{byte})"/> and
/// <see cref="ReadRecordBatches"/> take as they are; a whole stream goes through
/// <see cref="ArrowStreamReader"/>. Malformed input throws <see cref="InvalidDataException"/>; valid
/// Arrow this reader does not handle (compressed bodies, dictionaries, big-endian data, view and union
/// types, metadata before V4) throws <see cref="NotSupportedException"/>. See README.md.
/// Kept rather than Apache.Arrow's reader because it is faster: ArrowIpcBenchmarks, one run, 10k rows of the mix,
/// 21–22 µs and 392 B for the whole decode against 33–36 µs and 3,712 B for Apache.Arrow's read plus one copy per
/// buffer (benchmarks/results/arrow-reader-20261207.md); and it checks every position before reading it.
/// </summary>
public static class ArrowIpcReader
{
    internal const byte HeaderSchema = 1;
    internal const byte HeaderDictionaryBatch = 2;
    internal const byte HeaderRecordBatch = 3;

    private const uint Continuation = 0xFFFFFFFF;
    private const short MetadataVersionV4 = 3;
    private const short MetadataVersionV5 = 4;

    // Message.fbs Message slots.
    private const int MessageVersion = 0, MessageHeaderType = 1, MessageHeader = 2, MessageBodyLength = 3;

    /// <summary>The schema message at the start of <paramref name="bytes"/> (anything after it is ignored).</summary>
    public static ArrowSchema ReadSchema(ReadOnlySpan<byte> bytes) => ReadSchema(bytes, out _);

    public static ArrowSchema ReadSchema(ReadOnlySpan<byte> bytes, out int consumed)
    {
        if (!TryReadMessage(bytes, out var message, out consumed)) throw new InvalidDataException("Malformed Arrow stream: no schema message (the input is empty or starts with the end-of-stream marker).");
        return SchemaOf(message);
    }

    /// <summary>The one record batch message at the start of <paramref name="bytes"/>.</summary>
    public static ColumnBatch ReadRecordBatch(ArrowSchema schema, ReadOnlySpan<byte> bytes) => ReadRecordBatch(schema, bytes, out _);

    public static ColumnBatch ReadRecordBatch(ArrowSchema schema, ReadOnlySpan<byte> bytes, out int consumed)
    {
        ArgumentNullException.ThrowIfNull(schema);
        if (!TryReadMessage(bytes, out var message, out consumed)) throw new InvalidDataException("Malformed Arrow stream: no record batch message (the input is empty or is the end-of-stream marker).");
        return BatchOf(schema, message);
    }

    /// <summary>
    /// Every record batch message in <paramref name="bytes"/> (one Databricks <c>arrowBatches</c> entry holds
    /// one or more), added to <paramref name="output"/>, until the input ends or an end-of-stream marker
    /// ends it. Returns how many were added; on failure the batches added by this call are disposed and removed.
    /// </summary>
    public static int ReadRecordBatches(ArrowSchema schema, ReadOnlySpan<byte> bytes, ICollection<ColumnBatch> output)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(output);
        var added = new List<ColumnBatch>(1);
        try
        {
            while (true)
            {
                if (!TryReadMessage(bytes, out var message, out var consumed))
                {
                    if (consumed < bytes.Length) throw new InvalidDataException($"Malformed Arrow stream: {bytes.Length - consumed} bytes after the end-of-stream marker.");
                    break;
                }
                added.Add(BatchOf(schema, message));
                bytes = bytes[consumed..];
            }
        }
        catch
        {
            foreach (var b in added) b.Dispose();
            throw;
        }
        foreach (var b in added) output.Add(b);
        return added.Count;
    }

    internal static ArrowSchema SchemaOf(in ArrowMessage message)
    {
        if (message.HeaderType != HeaderSchema) throw new InvalidDataException($"Malformed Arrow stream: expected a Schema message, found {HeaderName(message.HeaderType)}.");
        return ArrowSchemaReader.Read(message.Header, message.Version);
    }

    internal static ColumnBatch BatchOf(ArrowSchema schema, in ArrowMessage message) => message.HeaderType switch
    {
        HeaderRecordBatch => ArrowBatchDecoder.Decode(schema, message.Header, message.Body),
        HeaderDictionaryBatch => throw new NotSupportedException("The Arrow stream has a dictionary batch; dictionary-encoded data is not supported."),
        _ => throw new InvalidDataException($"Malformed Arrow stream: expected a RecordBatch message, found {HeaderName(message.HeaderType)}."),
    };

    private static string HeaderName(byte type) => type switch
    {
        HeaderSchema => "a Schema",
        HeaderDictionaryBatch => "a DictionaryBatch",
        HeaderRecordBatch => "a RecordBatch",
        4 => "a Tensor",
        5 => "a SparseTensor",
        _ => $"header type {type}",
    };

    /// <summary>
    /// The message at the start of <paramref name="bytes"/>. False at the end of the input (consumed 0) or
    /// at an end-of-stream marker (consumed is its size). Both the current framing (0xFFFFFFFF, int32
    /// length) and the pre-0.15 one (int32 length alone) are read.
    /// </summary>
    internal static bool TryReadMessage(ReadOnlySpan<byte> bytes, out ArrowMessage message, out int consumed)
    {
        message = default;
        consumed = 0;
        if (bytes.IsEmpty) return false;
        if (!TryReadPrefix(bytes, out var prefix, out var metadataLength))
        {
            consumed = prefix;
            return false;
        }
        if (metadataLength > bytes.Length - prefix) Truncated($"its metadata needs {metadataLength} bytes, {bytes.Length - prefix} are left");
        var metadata = bytes.Slice(prefix, metadataLength);
        var bodyLength = BodyLength(metadata);
        var start = prefix + metadataLength;
        if (bodyLength > bytes.Length - start) Truncated($"its body needs {bodyLength} bytes, {bytes.Length - start} are left");
        message = Parse(metadata, bytes.Slice(start, (int)bodyLength));
        consumed = start + (int)bodyLength;
        return true;
    }

    /// <summary>
    /// The prefix's size and the metadata length; false (with the marker's size) at an end-of-stream marker.
    /// Needs 8 bytes when the continuation marker is present, 4 otherwise.
    /// </summary>
    internal static bool TryReadPrefix(ReadOnlySpan<byte> bytes, out int prefixLength, out int metadataLength)
    {
        if (bytes.Length < 4) Truncated("it ends inside a message prefix");
        var first = BinaryPrimitives.ReadUInt32LittleEndian(bytes);
        if (first == Continuation)
        {
            if (bytes.Length < 8) Truncated("it ends inside a message prefix");
            prefixLength = 8;
            metadataLength = BinaryPrimitives.ReadInt32LittleEndian(bytes[4..]);
        }
        else
        {
            prefixLength = 4;
            metadataLength = (int)first;
        }
        if (metadataLength < 0) throw new InvalidDataException($"Malformed Arrow stream: a message declares {metadataLength} bytes of metadata.");
        return metadataLength != 0;
    }

    /// <summary>The body length a message's metadata declares (checked to be non-negative).</summary>
    internal static long BodyLength(ReadOnlySpan<byte> metadata)
    {
        var length = FbTable.Root(metadata).Long(MessageBodyLength, 0);
        if (length < 0) throw new InvalidDataException($"Malformed Arrow stream: a message declares a body of {length} bytes.");
        return length;
    }

    internal static ArrowMessage Parse(ReadOnlySpan<byte> metadata, ReadOnlySpan<byte> body)
    {
        var root = FbTable.Root(metadata);
        var version = root.Short(MessageVersion, 0);
        if (version < MetadataVersionV4) throw new NotSupportedException($"The Arrow message has metadata version V{version + 1}; versions before V4 (Arrow 1.0) are not supported.");
        if (version > MetadataVersionV5) throw new NotSupportedException($"The Arrow message has metadata version V{version + 1}; this reader knows V4 and V5.");
        var headerType = root.Byte(MessageHeaderType, 0);
        if (!root.TryTable(MessageHeader, out var header)) throw new InvalidDataException("Malformed Arrow stream: a message without a header.");
        return new ArrowMessage(version, headerType, header, body);
    }

    [DoesNotReturn]
    private static void Truncated(string why) => throw new InvalidDataException($"Malformed Arrow stream: truncated message ({why}).");
}

/// <summary>One message: its version, header (Schema, RecordBatch, ...) and body.</summary>
internal readonly ref struct ArrowMessage(short version, byte headerType, FbTable header, ReadOnlySpan<byte> body)
{
    public short Version { get; } = version;
    public byte HeaderType { get; } = headerType;
    public FbTable Header { get; } = header;
    public ReadOnlySpan<byte> Body { get; } = body;
}
