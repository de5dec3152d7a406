namespace Gateway.Protocol.Thrift;

/// <summary>
/// Bounds on what a peer may make us allocate or recurse into. Every length and count read from the
/// wire is checked against these and against the bytes actually left in the message.
/// </summary>
public sealed record ThriftLimits
{
    public static ThriftLimits Default { get; } = new();

    /// <summary>Largest complete message (header and body) accepted.</summary>
    public int MaxMessageSize { get; init; } = 64 * 1024 * 1024;

    /// <summary>Largest string or binary value.</summary>
    public int MaxStringLength { get; init; } = 16 * 1024 * 1024;

    /// <summary>Largest element count of a list, set or map.</summary>
    public int MaxContainerLength { get; init; } = 10_000_000;

    /// <summary>Deepest nesting of structs and containers.</summary>
    public int MaxDepth { get; init; } = 64;

    /// <summary>Longest method name in a message header (names are identifiers; this stops garbage early).</summary>
    public int MaxMethodNameLength { get; init; } = 1024;
}
