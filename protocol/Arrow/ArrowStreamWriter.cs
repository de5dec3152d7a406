using System.Buffers;
using Gateway.Protocol.Columnar;
using Gateway.Protocol.Thrift;

namespace Gateway.Protocol.Arrow;

/// <summary>
/// An Arrow IPC stream: the schema message once (before the first batch, or at completion for a
/// result without batches), record batches, and the end-of-stream marker on <see cref="Complete"/>.
/// Over an <see cref="IBufferWriter{T}"/> messages are written in place; over a <see cref="Stream"/>
/// each message is staged in a pooled buffer and written out whole. Disposing without completing
/// leaves the stream without its end marker. Not thread-safe.
/// </summary>
public sealed class ArrowStreamWriter : IDisposable, IAsyncDisposable
{
    private readonly IBufferWriter<byte>? _output;
    private readonly Stream? _stream;
    private readonly bool _leaveOpen;
    private PooledBufferWriter? _staging;
    private bool _schemaWritten;
    private bool _completed;
    private bool _disposed;

    public ArrowStreamWriter(IBufferWriter<byte> output, ResultSchema schema, ArrowWriteOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(schema);
        _output = output;
        Schema = schema;
        Options = options ?? ArrowWriteOptions.Default;
    }

    public ArrowStreamWriter(Stream stream, ResultSchema schema, ArrowWriteOptions? options = null, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(schema);
        _stream = stream;
        _leaveOpen = leaveOpen;
        Schema = schema;
        Options = options ?? ArrowWriteOptions.Default;
    }

    public ResultSchema Schema { get; }
    public ArrowWriteOptions Options { get; }
    public int BatchCount { get; private set; }
    public long RowCount { get; private set; }

    public void WriteBatch(ColumnBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        WriteBatch(batch, 0, batch.RowCount);
    }

    public void WriteBatch(ColumnBatch batch, int offset, int count)
    {
        Stage(batch, offset, count);
        Flush();
        Count(count);
    }

    public async ValueTask WriteBatchAsync(ColumnBatch batch, int offset, int count, CancellationToken cancellationToken = default)
    {
        Stage(batch, offset, count);
        await FlushAsync(cancellationToken).ConfigureAwait(false);
        Count(count);
    }

    private void Stage(ColumnBatch batch, int offset, int count)
    {
        var schemaWritten = _schemaWritten;
        var target = Begin(batch);
        try
        {
            ArrowIpc.WriteRecordBatch(batch, offset, count, Options, target);
        }
        catch when (_staging is not null)
        {
            // Staged bytes never reached the stream: drop them (the schema too, if it was staged with them).
            _staging.Clear();
            _schemaWritten = schemaWritten;
            throw;
        }
    }

    /// <summary>Writes the schema if no batch did, then the end-of-stream marker.</summary>
    public void Complete()
    {
        var target = BeginCompletion();
        if (target is null) return;
        ArrowIpc.WriteEndOfStream(target);
        Flush();
        _completed = true;
    }

    public async ValueTask CompleteAsync(CancellationToken cancellationToken = default)
    {
        var target = BeginCompletion();
        if (target is null) return;
        ArrowIpc.WriteEndOfStream(target);
        await FlushAsync(cancellationToken).ConfigureAwait(false);
        _completed = true;
    }

    private IBufferWriter<byte> Begin(ColumnBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_completed) throw new InvalidOperationException("The stream is already complete.");
        if (batch.Columns.Length != Schema.Count) throw new ArgumentException($"The batch has {batch.Columns.Length} columns, the stream {Schema.Count}.", nameof(batch));
        for (var i = 0; i < Schema.Count; i++)
        {
            if (!batch.Schema.Columns[i].Type.Equals(Schema.Columns[i].Type))
            {
                throw new ArgumentException($"Column {i} of the batch is {batch.Schema.Columns[i].Type}, the stream's is {Schema.Columns[i].Type}.", nameof(batch));
            }
        }
        return Target();
    }

    private IBufferWriter<byte>? BeginCompletion()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _completed ? null : Target();
    }

    private IBufferWriter<byte> Target()
    {
        IBufferWriter<byte> target = _output ?? (_staging ??= new PooledBufferWriter());
        if (!_schemaWritten)
        {
            ArrowIpc.WriteSchema(Schema, Options, target);
            _schemaWritten = true;
        }
        return target;
    }

    private void Count(int rows)
    {
        BatchCount++;
        RowCount += rows;
    }

    private void Flush()
    {
        if (_staging is null || _stream is null) return;
        _stream.Write(_staging.WrittenSpan);
        _staging.Clear();
    }

    private async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        if (_staging is null || _stream is null) return;
        await _stream.WriteAsync(_staging.WrittenMemory, cancellationToken).ConfigureAwait(false);
        _staging.Clear();
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _staging?.Dispose();
        _staging = null;
        if (_stream is not null && !_leaveOpen) _stream.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        _staging?.Dispose();
        _staging = null;
        if (_stream is not null && !_leaveOpen) await _stream.DisposeAsync().ConfigureAwait(false);
    }
}
