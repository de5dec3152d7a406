using System.Buffers;
using Gateway.Protocol.Columnar;

namespace Gateway.Protocol.Arrow;

/// <summary>
/// An Arrow IPC stream read message by message: the schema first, then record batches until the
/// end-of-stream marker (or the end of the input, which some writers leave the marker out of). Over
/// memory the messages are read in place; over a <see cref="Stream"/> each message is read whole into a
/// pooled buffer (at most <c>maxMessageBytes</c>, checked before anything is allocated) and its
/// buffers copied out of it into the batch. Not thread-safe.
/// </summary>
public sealed class ArrowStreamReader : IDisposable
{
    /// <summary>Default bound on one message read from a stream (metadata and body).</summary>
    public const int DefaultMaxMessageBytes = 256 * 1024 * 1024;

    private readonly ReadOnlyMemory<byte> _memory;
    private readonly Stream? _stream;
    private readonly bool _leaveOpen;
    private readonly int _maxMessageBytes;
    private byte[] _scratch = [];
    private int _position;
    private ArrowSchema? _schema;
    private bool _ended;
    private bool _disposed;

    public ArrowStreamReader(ReadOnlyMemory<byte> stream)
    {
        _memory = stream;
        _maxMessageBytes = int.MaxValue;
    }

    public ArrowStreamReader(Stream stream, bool leaveOpen = false, int maxMessageBytes = DefaultMaxMessageBytes)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMessageBytes, 16);
        _stream = stream;
        _leaveOpen = leaveOpen;
        _maxMessageBytes = maxMessageBytes;
    }

    /// <summary>The stream's schema (read from its first message on first use).</summary>
    public ArrowSchema Schema => _schema ??= ReadSchema();

    /// <summary>The next record batch, or null once the stream has ended. The caller disposes it.</summary>
    public ColumnBatch? ReadNextBatch()
    {
        var schema = Schema;
        if (_ended) return null;
        return _stream is null ? NextFromMemory(schema) : NextFromStream(schema);
    }

    private ArrowSchema ReadSchema()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_stream is null)
        {
            var schema = ArrowIpcReader.ReadSchema(_memory.Span, out var consumed);
            _position = consumed;
            return schema;
        }
        if (!FillMessage(out var metadataLength, out var bodyLength)) throw new InvalidDataException("Malformed Arrow stream: no schema message (the stream is empty or starts with the end-of-stream marker).");
        return ArrowIpcReader.SchemaOf(ArrowIpcReader.Parse(_scratch.AsSpan(0, metadataLength), _scratch.AsSpan(metadataLength, bodyLength)));
    }

    private ColumnBatch? NextFromMemory(ArrowSchema schema)
    {
        var rest = _memory.Span[_position..];
        if (!ArrowIpcReader.TryReadMessage(rest, out var message, out var consumed))
        {
            _ended = true;
            _position += consumed;
            if (_position < _memory.Length) throw new InvalidDataException($"Malformed Arrow stream: {_memory.Length - _position} bytes after the end-of-stream marker.");
            return null;
        }
        var batch = ArrowIpcReader.BatchOf(schema, message);
        _position += consumed;
        return batch;
    }

    private ColumnBatch? NextFromStream(ArrowSchema schema)
    {
        if (!FillMessage(out var metadataLength, out var bodyLength))
        {
            _ended = true;
            ReturnScratch();
            return null;
        }
        return ArrowIpcReader.BatchOf(schema, ArrowIpcReader.Parse(_scratch.AsSpan(0, metadataLength), _scratch.AsSpan(metadataLength, bodyLength)));
    }

    /// <summary>Reads the next message's metadata and body into the scratch buffer; false at the end marker or the end of the stream.</summary>
    private bool FillMessage(out int metadataLength, out int bodyLength)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        metadataLength = bodyLength = 0;
        Span<byte> prefix = stackalloc byte[8];
        var first = ReadUpTo(prefix[..4]);
        if (first == 0) return false;
        if (first < 4) throw new InvalidDataException("Malformed Arrow stream: truncated message (it ends inside a message prefix).");
        if (prefix[..4].SequenceEqual((ReadOnlySpan<byte>)[0xFF, 0xFF, 0xFF, 0xFF]))
        {
            if (ReadUpTo(prefix[4..8]) < 4) throw new InvalidDataException("Malformed Arrow stream: truncated message (it ends inside a message prefix).");
        }
        else
        {
            prefix = prefix[..4];
        }
        if (!ArrowIpcReader.TryReadPrefix(prefix, out _, out metadataLength)) return false;
        if (metadataLength > _maxMessageBytes) throw new InvalidDataException($"Arrow message metadata of {metadataLength} bytes exceeds the limit of {_maxMessageBytes}.");
        Ensure(metadataLength, 0);
        ReadExactly(_scratch.AsSpan(0, metadataLength));
        var body = ArrowIpcReader.BodyLength(_scratch.AsSpan(0, metadataLength));
        if (body > _maxMessageBytes - (long)metadataLength) throw new InvalidDataException($"Arrow message of {metadataLength + body} bytes exceeds the limit of {_maxMessageBytes}.");
        bodyLength = (int)body;
        Ensure(metadataLength + bodyLength, metadataLength);
        ReadExactly(_scratch.AsSpan(metadataLength, bodyLength));
        return true;
    }

    private int ReadUpTo(Span<byte> into)
    {
        var read = 0;
        while (read < into.Length)
        {
            var n = _stream!.Read(into[read..]);
            if (n == 0) break;
            read += n;
        }
        return read;
    }

    private void ReadExactly(Span<byte> into)
    {
        if (ReadUpTo(into) < into.Length) throw new InvalidDataException("Malformed Arrow stream: truncated message (the stream ends inside it).");
    }

    private void Ensure(int needed, int keep)
    {
        if (_scratch.Length >= needed) return;
        var grown = BufferPool<byte>.Shared.Rent(Math.Max(needed, 4096));
        _scratch.AsSpan(0, keep).CopyTo(grown);
        ReturnScratch();
        _scratch = grown;
    }

    private void ReturnScratch()
    {
        if (_scratch.Length > 0) BufferPool<byte>.Shared.Return(_scratch);
        _scratch = [];
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        ReturnScratch();
        if (_stream is not null && !_leaveOpen) _stream.Dispose();
    }
}
