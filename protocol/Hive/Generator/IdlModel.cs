namespace Gateway.Protocol.Hive.Generator;

/// <summary>A type as written in the IDL: a base type, a container, or a name to resolve.</summary>
public abstract record IdlType
{
    public sealed record Base(string Name) : IdlType;
    public sealed record ListOf(IdlType Element) : IdlType;
    public sealed record SetOf(IdlType Element) : IdlType;
    public sealed record MapOf(IdlType Key, IdlType Value) : IdlType;
    public sealed record Named(string Name) : IdlType;
}

public enum Requiredness
{
    Default,
    Required,
    Optional,
}

public sealed record IdlField(short Id, Requiredness Requiredness, IdlType Type, string Name, string? DefaultValue);

public enum StructKind
{
    Struct,
    Union,
    Exception,
}

public sealed record IdlStruct(string Name, StructKind Kind, IReadOnlyList<IdlField> Fields, IReadOnlyDictionary<string, string> Annotations)
{
    public bool HandWritten => Annotations.TryGetValue("cs.handwritten", out var v) && v == "true";
}

public sealed record IdlEnum(string Name, IReadOnlyList<(string Name, long Value)> Members);

public sealed record IdlConst(IdlType Type, string Name, string Value);

public sealed record IdlMethod(string Name, IdlType ReturnType, IReadOnlyList<IdlField> Arguments);

public sealed record IdlService(string Name, IReadOnlyList<IdlMethod> Methods);

public sealed class IdlDocument
{
    public string? CSharpNamespace { get; set; }
    public List<IdlEnum> Enums { get; } = [];
    public Dictionary<string, IdlType> Typedefs { get; } = new(StringComparer.Ordinal);
    public List<IdlConst> Consts { get; } = [];
    public List<IdlStruct> Structs { get; } = [];
    public List<IdlService> Services { get; } = [];
}
