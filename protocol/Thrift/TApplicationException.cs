namespace Gateway.Protocol.Thrift;

public enum TApplicationExceptionType
{
    UNKNOWN = 0,
    UNKNOWN_METHOD = 1,
    INVALID_MESSAGE_TYPE = 2,
    WRONG_METHOD_NAME = 3,
    BAD_SEQUENCE_ID = 4,
    MISSING_RESULT = 5,
    INTERNAL_ERROR = 6,
    PROTOCOL_ERROR = 7,
    INVALID_TRANSFORM = 8,
    INVALID_PROTOCOL = 9,
    UNSUPPORTED_CLIENT_TYPE = 10,
}

/// <summary>
/// The RPC-level error a Thrift server answers with (message type EXCEPTION):
/// struct { 1: string message, 2: i32 type }.
/// </summary>
public sealed class TApplicationException : Exception
{
    public TApplicationException() : this(TApplicationExceptionType.UNKNOWN, "") { }

    public TApplicationException(string message) : this(TApplicationExceptionType.UNKNOWN, message) { }

    public TApplicationException(string message, Exception innerException) : base(message, innerException) { }

    public TApplicationException(TApplicationExceptionType type, string message) : base(message) => Type = type;

    public TApplicationExceptionType Type { get; }

    public static TApplicationException Read(ref ThriftReader reader)
    {
        string? message = null;
        var type = TApplicationExceptionType.UNKNOWN;
        reader.ReadStructBegin();
        while (true)
        {
            var field = reader.ReadFieldBegin();
            if (field.Type == TType.Stop) break;
            switch (field.Id)
            {
                case 1 when field.Type == TType.String:
                    message = reader.ReadString();
                    break;
                case 2 when field.Type == TType.I32:
                    type = (TApplicationExceptionType)reader.ReadI32();
                    break;
                default:
                    reader.Skip(field.Type);
                    break;
            }
        }
        reader.ReadStructEnd();
        return new TApplicationException(type, message ?? "");
    }

    public void Write(ThriftWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteFieldBegin(TType.String, 1);
        writer.WriteString(Message);
        writer.WriteFieldBegin(TType.I32, 2);
        writer.WriteI32((int)Type);
        writer.WriteFieldStop();
    }

    /// <summary>Writes a whole EXCEPTION message answering <paramref name="name"/>/<paramref name="seqId"/>.</summary>
    public void WriteMessage(ThriftWriter writer, string name, int seqId)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteMessageBegin(name, TMessageType.Exception, seqId);
        Write(writer);
    }
}
