namespace Gateway.Protocol.Thrift;

/// <summary>Thrift wire type ids (binary protocol).</summary>
public enum TType : byte
{
    Stop = 0,
    Bool = 2,
    Byte = 3,
    Double = 4,
    I16 = 6,
    I32 = 8,
    I64 = 10,
    String = 11,
    Struct = 12,
    Map = 13,
    Set = 14,
    List = 15,
}

public enum TMessageType : byte
{
    Call = 1,
    Reply = 2,
    Exception = 3,
    Oneway = 4,
}

public readonly record struct ThriftMessageHeader(string Name, TMessageType Type, int SeqId);

public readonly record struct ThriftFieldHeader(TType Type, short Id);

/// <summary>A struct the generated code and hand-written codecs share: fields, then STOP; no struct header on the wire.</summary>
public interface IThriftStruct
{
    void Read(ref ThriftReader reader);
    void Write(ThriftWriter writer);
}

internal static class TTypes
{
    /// <summary>True for every type id the binary protocol defines (STOP excluded).</summary>
    public static bool IsValid(byte type) => type is 2 or 3 or 4 or 6 or 8 or 10 or 11 or 12 or 13 or 14 or 15;

    /// <summary>
    /// The fewest bytes one value of the type occupies: a declared element count times this must fit
    /// in what is left of the message before anything is allocated.
    /// </summary>
    public static int MinSize(TType type) => type switch
    {
        TType.Bool or TType.Byte => 1,
        TType.I16 => 2,
        TType.I32 => 4,
        TType.I64 or TType.Double => 8,
        TType.String => 4,
        TType.Struct => 1,
        TType.Map => 6,
        TType.Set or TType.List => 5,
        _ => 1,
    };

    /// <summary>Size of a fixed-width value, or 0 for variable-width types.</summary>
    public static int FixedSize(TType type) => type switch
    {
        TType.Bool or TType.Byte => 1,
        TType.I16 => 2,
        TType.I32 => 4,
        TType.I64 or TType.Double => 8,
        _ => 0,
    };
}
