using System.Buffers;

namespace Gateway.Protocol.Thrift;

/// <summary>
/// Finds where one unframed binary-protocol message ends (the no-SASL transport has no length prefix):
/// walks the header and the body struct without materializing anything. Cost is proportional to the
/// number of values, not bytes: strings and fixed-width containers are skipped in one step.
/// </summary>
public static class ThriftMessageScanner
{
    /// <summary>
    /// False when <paramref name="buffer"/> does not yet hold a whole message (never throws for that);
    /// true with the exact length of the first message. Throws <see cref="ThriftProtocolException"/> on
    /// malformed data or when the message would exceed <see cref="ThriftLimits.MaxMessageSize"/>.
    /// </summary>
    public static bool TryMeasure(ReadOnlySequence<byte> buffer, ThriftLimits limits, out int messageLength)
    {
        ArgumentNullException.ThrowIfNull(limits);
        var scanner = new Scanner(buffer, limits);
        if (scanner.Message())
        {
            messageLength = checked((int)scanner.Consumed);
            return true;
        }
        messageLength = 0;
        return false;
    }

    private ref struct Scanner
    {
        private SequenceReader<byte> _reader;
        private readonly ThriftLimits _limits;
        private int _depth;

        public Scanner(ReadOnlySequence<byte> buffer, ThriftLimits limits)
        {
            _reader = new SequenceReader<byte>(buffer);
            _limits = limits;
            _depth = 0;
        }

        public readonly long Consumed => _reader.Consumed;

        public bool Message()
        {
            if (!_reader.TryReadBigEndian(out int first)) return false;
            int nameLength;
            if (first < 0)
            {
                if (((uint)first & 0xFFFF0000u) != 0x80010000u)
                {
                    ThriftProtocolException.Throw(ThriftProtocolError.BadVersion, $"Bad Thrift version word 0x{(uint)first:X8}.");
                }
                CheckMessageType((byte)(first & 0xFF));
                if (!_reader.TryReadBigEndian(out nameLength)) return false;
                CheckName(nameLength);
                if (!Advance(nameLength)) return false;
            }
            else
            {
                nameLength = first;
                CheckName(nameLength);
                if (!Advance(nameLength)) return false;
                if (!_reader.TryRead(out var type)) return false;
                CheckMessageType(type);
            }
            if (!Advance(4)) return false; // seqid
            return Skip(TType.Struct);
        }

        private static void CheckMessageType(byte type)
        {
            if (type is < 1 or > 4) ThriftProtocolException.Throw(ThriftProtocolError.InvalidData, $"Invalid message type {type}.");
        }

        private readonly void CheckName(int length)
        {
            if (length < 0) ThriftProtocolException.ThrowNegativeSize(length);
            var max = Math.Min(_limits.MaxMethodNameLength, _limits.MaxStringLength);
            if (length > max) ThriftProtocolException.ThrowSizeLimit("Method name length", length, max);
        }

        private bool Advance(long count)
        {
            if (_reader.Consumed + count > _limits.MaxMessageSize)
            {
                ThriftProtocolException.ThrowSizeLimit("Message size", _reader.Consumed + count, _limits.MaxMessageSize);
            }
            if (_reader.Remaining < count) return false;
            _reader.Advance(count);
            return true;
        }

        private bool Skip(TType type)
        {
            switch (type)
            {
                case TType.Bool:
                case TType.Byte:
                    return Advance(1);
                case TType.I16:
                    return Advance(2);
                case TType.I32:
                    return Advance(4);
                case TType.I64:
                case TType.Double:
                    return Advance(8);
                case TType.String:
                    {
                        if (!_reader.TryReadBigEndian(out int length)) return false;
                        if (length < 0) ThriftProtocolException.ThrowNegativeSize(length);
                        if (length > _limits.MaxStringLength) ThriftProtocolException.ThrowSizeLimit("String length", length, _limits.MaxStringLength);
                        return Advance(length);
                    }
                case TType.Struct:
                    {
                        Enter();
                        while (true)
                        {
                            if (!_reader.TryRead(out var fieldType)) return false;
                            if (fieldType == 0) break;
                            if (!TTypes.IsValid(fieldType)) ThriftProtocolException.ThrowInvalidType(fieldType);
                            if (!Advance(2)) return false; // field id
                            if (!Skip((TType)fieldType)) return false;
                        }
                        _depth--;
                        return true;
                    }
                case TType.List:
                case TType.Set:
                    {
                        Enter();
                        if (!_reader.TryRead(out var elem)) return false;
                        if (!_reader.TryReadBigEndian(out int count)) return false;
                        CheckCount(count, elem, 0, isMap: false);
                        if (!SkipMany(count, elem, 0, isMap: false)) return false;
                        _depth--;
                        return true;
                    }
                case TType.Map:
                    {
                        Enter();
                        if (!_reader.TryRead(out var key)) return false;
                        if (!_reader.TryRead(out var value)) return false;
                        if (!_reader.TryReadBigEndian(out int count)) return false;
                        CheckCount(count, key, value, isMap: true);
                        if (!SkipMany(count, key, value, isMap: true)) return false;
                        _depth--;
                        return true;
                    }
                default:
                    ThriftProtocolException.ThrowInvalidType((byte)type);
                    return false;
            }
        }

        private bool SkipMany(int count, byte first, byte second, bool isMap)
        {
            if (count == 0) return true;
            var a = TTypes.FixedSize((TType)first);
            var b = isMap ? TTypes.FixedSize((TType)second) : 0;
            if (a > 0 && (!isMap || b > 0)) return Advance((long)count * (a + b));
            for (var i = 0; i < count; i++)
            {
                if (!Skip((TType)first)) return false;
                if (isMap && !Skip((TType)second)) return false;
            }
            return true;
        }

        private readonly void CheckCount(int count, byte first, byte second, bool isMap)
        {
            if (count < 0) ThriftProtocolException.ThrowNegativeSize(count);
            if (count == 0) return;
            if (count > _limits.MaxContainerLength) ThriftProtocolException.ThrowSizeLimit("Container count", count, _limits.MaxContainerLength);
            if (!TTypes.IsValid(first)) ThriftProtocolException.ThrowInvalidType(first);
            long min = TTypes.MinSize((TType)first);
            if (isMap)
            {
                if (!TTypes.IsValid(second)) ThriftProtocolException.ThrowInvalidType(second);
                min += TTypes.MinSize((TType)second);
            }
            // The elements cannot fit in what the message may still grow to.
            var room = _limits.MaxMessageSize - _reader.Consumed;
            if (count * min > room) ThriftProtocolException.ThrowSizeLimit("Container size", count * min, room);
        }

        private void Enter()
        {
            if (++_depth > _limits.MaxDepth) ThriftProtocolException.ThrowDepthLimit(_limits.MaxDepth);
        }
    }
}
