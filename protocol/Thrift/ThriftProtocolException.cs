using System.Diagnostics.CodeAnalysis;

namespace Gateway.Protocol.Thrift;

public enum ThriftProtocolError
{
    Unknown = 0,
    InvalidData = 1,
    NegativeSize = 2,
    SizeLimit = 3,
    BadVersion = 4,
    NotImplemented = 5,
    DepthLimit = 6,
    /// <summary>The message ends before a value it announces (or a count cannot fit in what is left).</summary>
    Truncated = 7,
}

/// <summary>
/// Malformed input or a violated <see cref="ThriftLimits"/> bound. The stream can no longer be trusted:
/// the connection that produced it should be closed.
/// </summary>
public sealed class ThriftProtocolException : Exception
{
    public ThriftProtocolException() : this(ThriftProtocolError.Unknown, "Thrift protocol error.") { }

    public ThriftProtocolException(string message) : this(ThriftProtocolError.Unknown, message) { }

    public ThriftProtocolException(string message, Exception innerException) : base(message, innerException) => Kind = ThriftProtocolError.Unknown;

    public ThriftProtocolException(ThriftProtocolError kind, string message) : base(message) => Kind = kind;

    public ThriftProtocolError Kind { get; }

    [DoesNotReturn]
    internal static void Throw(ThriftProtocolError kind, string message) => throw new ThriftProtocolException(kind, message);

    [DoesNotReturn]
    internal static void ThrowTruncated() => throw new ThriftProtocolException(ThriftProtocolError.Truncated, "Thrift message is truncated.");

    [DoesNotReturn]
    internal static void ThrowNegativeSize(int size) => throw new ThriftProtocolException(ThriftProtocolError.NegativeSize, $"Negative length or count {size}.");

    [DoesNotReturn]
    internal static void ThrowSizeLimit(string what, long size, long limit) =>
        throw new ThriftProtocolException(ThriftProtocolError.SizeLimit, $"{what} {size} exceeds the limit {limit}.");

    [DoesNotReturn]
    internal static void ThrowDepthLimit(int limit) =>
        throw new ThriftProtocolException(ThriftProtocolError.DepthLimit, $"Nesting deeper than {limit}.");

    [DoesNotReturn]
    internal static void ThrowInvalidType(byte type) =>
        throw new ThriftProtocolException(ThriftProtocolError.InvalidData, $"Invalid Thrift type id {type}.");

    /// <summary>Generated code: a required field was absent.</summary>
    [DoesNotReturn]
    public static void ThrowMissingField(string structName, string fieldName) =>
        throw new ThriftProtocolException(ThriftProtocolError.InvalidData, $"Required field '{fieldName}' of {structName} is missing.");

    /// <summary>Generated code: a container holds elements of another type than the IDL declares.</summary>
    [DoesNotReturn]
    public static void ThrowElementType(TType expected, TType actual) =>
        throw new ThriftProtocolException(ThriftProtocolError.InvalidData, $"Container element type {actual}, expected {expected}.");
}
