using Thrift.Protocol;
using Thrift.Protocol.Entities;

namespace Gateway.Tests.Unit;

/// <summary>
/// Any Thrift binary-protocol value as a generic tree, read and written by Apache Thrift's own protocol, value by
/// value, as its generated code would. The oracle of ThriftOracleUnitTests and the Apache Thrift side of
/// ThriftCodecComparisonBenchmarks (which links this file).
/// </summary>
public static class ApacheThriftTree
{
    public abstract record Node(TType Type);

    public sealed record Scalar(TType Type, object? Value) : Node(Type);

    public sealed record Struct(List<(short Id, string Name, Node Value)> Fields) : Node(TType.Struct);

    public sealed record Sequence(TType Type, TType Element, List<Node> Items) : Node(Type);

    public sealed record MapNode(TType Key, TType Value, List<(Node Key, Node Value)> Items) : Node(TType.Map);

    public static async Task<Node> ReadAsync(TProtocol p, TType type)
    {
        switch (type)
        {
            case TType.Bool: return new Scalar(type, await p.ReadBoolAsync());
            case TType.Byte: return new Scalar(type, await p.ReadByteAsync());
            case TType.I16: return new Scalar(type, await p.ReadI16Async());
            case TType.I32: return new Scalar(type, await p.ReadI32Async());
            case TType.I64: return new Scalar(type, await p.ReadI64Async());
            case TType.Double: return new Scalar(type, await p.ReadDoubleAsync());
            case TType.String: return new Scalar(type, await p.ReadBinaryAsync());
            case TType.Uuid: return new Scalar(type, await p.ReadUuidAsync());
            case TType.Struct:
                {
                    await p.ReadStructBeginAsync();
                    var fields = new List<(short, string, Node)>();
                    while (true)
                    {
                        var field = await p.ReadFieldBeginAsync();
                        if (field.Type == TType.Stop) break;
                        fields.Add((field.ID, field.Name ?? "", await ReadAsync(p, field.Type)));
                        await p.ReadFieldEndAsync();
                    }
                    await p.ReadStructEndAsync();
                    return new Struct(fields);
                }
            case TType.List or TType.Set:
                {
                    // Lists and sets share the binary encoding (element type, count, elements); each is read as itself.
                    TType element;
                    int count;
                    if (type == TType.List)
                    {
                        var list = await p.ReadListBeginAsync();
                        (element, count) = (list.ElementType, list.Count);
                    }
                    else
                    {
                        var set = await p.ReadSetBeginAsync();
                        (element, count) = (set.ElementType, set.Count);
                    }
                    var items = new List<Node>(Math.Min(count, 1 << 16));
                    for (var i = 0; i < count; i++) items.Add(await ReadAsync(p, element));
                    if (type == TType.List) await p.ReadListEndAsync();
                    else await p.ReadSetEndAsync();
                    return new Sequence(type, element, items);
                }
            case TType.Map:
                {
                    var map = await p.ReadMapBeginAsync();
                    var items = new List<(Node, Node)>(Math.Min(map.Count, 1 << 16));
                    for (var i = 0; i < map.Count; i++) items.Add((await ReadAsync(p, map.KeyType), await ReadAsync(p, map.ValueType)));
                    await p.ReadMapEndAsync();
                    return new MapNode(map.KeyType, map.ValueType, items);
                }
            default:
                throw new InvalidOperationException($"type {type} in a message");
        }
    }

    public static async Task WriteAsync(TProtocol p, Node node)
    {
        switch (node)
        {
            case Scalar { Type: TType.Bool, Value: bool b }: await p.WriteBoolAsync(b); break;
            case Scalar { Type: TType.Byte, Value: sbyte v }: await p.WriteByteAsync(v); break;
            case Scalar { Type: TType.I16, Value: short v }: await p.WriteI16Async(v); break;
            case Scalar { Type: TType.I32, Value: int v }: await p.WriteI32Async(v); break;
            case Scalar { Type: TType.I64, Value: long v }: await p.WriteI64Async(v); break;
            case Scalar { Type: TType.Double, Value: double v }: await p.WriteDoubleAsync(v); break;
            case Scalar { Type: TType.String, Value: byte[] v }: await p.WriteBinaryAsync(v); break;
            case Scalar { Type: TType.Uuid, Value: Guid v }: await p.WriteUuidAsync(v); break;
            case Struct s:
                await p.WriteStructBeginAsync(new TStruct("s"));
                foreach (var (id, name, value) in s.Fields)
                {
                    await p.WriteFieldBeginAsync(new TField(name, value.Type, id));
                    await WriteAsync(p, value);
                    await p.WriteFieldEndAsync();
                }
                await p.WriteFieldStopAsync();
                await p.WriteStructEndAsync();
                break;
            case Sequence q:
                if (q.Type == TType.List) await p.WriteListBeginAsync(new TList(q.Element, q.Items.Count));
                else await p.WriteSetBeginAsync(new TSet(q.Element, q.Items.Count));
                foreach (var item in q.Items) await WriteAsync(p, item);
                if (q.Type == TType.List) await p.WriteListEndAsync();
                else await p.WriteSetEndAsync();
                break;
            case MapNode m:
                await p.WriteMapBeginAsync(new TMap(m.Key, m.Value, m.Items.Count));
                foreach (var (k, v) in m.Items)
                {
                    await WriteAsync(p, k);
                    await WriteAsync(p, v);
                }
                await p.WriteMapEndAsync();
                break;
            default:
                throw new InvalidOperationException($"unexpected node {node}");
        }
    }

}
