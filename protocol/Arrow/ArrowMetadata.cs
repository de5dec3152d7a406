using System.Buffers;
using Gateway.Protocol.Columnar;

namespace Gateway.Protocol.Arrow;

/// <summary>Arrow's flatbuffer metadata (format/Schema.fbs and Message.fbs, metadata version V5).</summary>
internal static class ArrowMetadata
{
    public const short MetadataVersionV5 = 4;
    public const byte HeaderSchema = 1;
    public const byte HeaderRecordBatch = 3;

    // union Type
    public const byte TypeNull = 1;
    public const byte TypeInt = 2;
    public const byte TypeFloatingPoint = 3;
    public const byte TypeBinary = 4;
    public const byte TypeUtf8 = 5;
    public const byte TypeBool = 6;
    public const byte TypeDecimal = 7;
    public const byte TypeDate = 8;
    public const byte TypeTime = 9;
    public const byte TypeTimestamp = 10;
    public const byte TypeInterval = 11;
    public const byte TypeList = 12;
    public const byte TypeStruct = 13;
    public const byte TypeMap = 17;

    // enums (all short)
    public const short PrecisionSingle = 1;
    public const short PrecisionDouble = 2;
    public const short DateUnitDay = 0;
    public const short TimeUnitMicrosecond = 2;
    public const short IntervalMonthDayNano = 2;

    public const string ListElementName = "element";
    public const string MapEntriesName = "entries";

    /// <summary>Builds a finished Message whose header is the Schema.</summary>
    public static void BuildSchemaMessage(FlatBufferBuilder b, ResultSchema schema, ArrowWriteOptions options)
    {
        var fields = ArrayPool<int>.Shared.Rent(Math.Max(1, schema.Count));
        try
        {
            for (var i = 0; i < schema.Count; i++) fields[i] = BuildField(b, schema.Columns[i].Name, schema.Columns[i].Type, nullable: true, options);
            var vector = b.CreateOffsetVector(fields.AsSpan(0, schema.Count));
            // table Schema { endianness: Endianness; fields: [Field]; custom_metadata; features }
            b.StartTable(2);
            b.AddShort(0, 0); // Little
            b.AddOffset(1, vector);
            var header = b.EndTable();
            FinishMessage(b, HeaderSchema, header, bodyLength: 0);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(fields);
        }
    }

    /// <summary>Builds a finished Message whose header is a RecordBatch with the given nodes and buffers.</summary>
    public static void BuildRecordBatchMessage(FlatBufferBuilder b, long length, ReadOnlySpan<FieldNode> nodes, ReadOnlySpan<BodyBuffer> buffers, long bodyLength)
    {
        // struct FieldNode { length: long; null_count: long; }
        b.StartVector(16, nodes.Length, 8);
        for (var i = nodes.Length - 1; i >= 0; i--) b.AddStructOfTwoLongs(nodes[i].Length, nodes[i].NullCount);
        var nodeVector = b.EndVector();
        // struct Buffer { offset: long; length: long; }
        b.StartVector(16, buffers.Length, 8);
        for (var i = buffers.Length - 1; i >= 0; i--) b.AddStructOfTwoLongs(buffers[i].Offset, buffers[i].Length);
        var bufferVector = b.EndVector();
        // table RecordBatch { length: long; nodes: [FieldNode]; buffers: [Buffer]; compression; variadicBufferCounts }
        b.StartTable(3);
        b.AddLong(0, length);
        b.AddOffset(1, nodeVector);
        b.AddOffset(2, bufferVector);
        var header = b.EndTable();
        FinishMessage(b, HeaderRecordBatch, header, bodyLength);
    }

    private static void FinishMessage(FlatBufferBuilder b, byte headerType, int header, long bodyLength)
    {
        // table Message { version: MetadataVersion; header: MessageHeader (type byte + offset); bodyLength: long; custom_metadata }
        b.StartTable(4);
        b.AddLong(3, bodyLength);
        b.AddOffset(2, header);
        b.AddShort(0, MetadataVersionV5);
        b.AddByte(1, headerType);
        var message = b.EndTable();
        b.Finish(message);
    }

    // table Field { name: string; nullable: bool; type: Type (type byte + offset); dictionary; children: [Field]; custom_metadata }
    private static int BuildField(FlatBufferBuilder b, string name, SqlType type, bool nullable, ArrowWriteOptions options)
    {
        var nameOffset = b.CreateString(name);
        int children;
        byte typeId;
        int typeTable;
        if (options.SendsAsText(type))
        {
            children = b.CreateOffsetVector([]);
            typeId = TypeUtf8;
            typeTable = EmptyTable(b);
        }
        else
        {
            children = BuildChildren(b, type, options);
            (typeId, typeTable) = BuildType(b, type);
        }
        b.StartTable(6);
        b.AddOffset(0, nameOffset);
        b.AddBool(1, nullable);
        b.AddByte(2, typeId);
        b.AddOffset(3, typeTable);
        b.AddOffset(5, children);
        return b.EndTable();
    }

    private static int BuildChildren(FlatBufferBuilder b, SqlType type, ArrowWriteOptions options)
    {
        switch (type.Kind)
        {
            case SqlTypeKind.Array:
                {
                    var element = BuildField(b, ListElementName, type.Element!, nullable: true, options);
                    return b.CreateOffsetVector([element]);
                }
            case SqlTypeKind.Map:
                {
                    // Schema.fbs: neither the entries struct nor its key may be nullable.
                    var key = BuildField(b, type.Fields[0].Name, type.Fields[0].Type, nullable: false, options);
                    var value = BuildField(b, type.Fields[1].Name, type.Fields[1].Type, nullable: true, options);
                    var entryFields = b.CreateOffsetVector([key, value]);
                    var entriesName = b.CreateString(MapEntriesName);
                    var structType = EmptyTable(b);
                    b.StartTable(6);
                    b.AddOffset(0, entriesName);
                    b.AddBool(1, false);
                    b.AddByte(2, TypeStruct);
                    b.AddOffset(3, structType);
                    b.AddOffset(5, entryFields);
                    var entries = b.EndTable();
                    return b.CreateOffsetVector([entries]);
                }
            case SqlTypeKind.Struct:
                {
                    var count = type.Fields.Length;
                    var fields = ArrayPool<int>.Shared.Rent(Math.Max(1, count));
                    try
                    {
                        for (var i = 0; i < count; i++) fields[i] = BuildField(b, type.Fields[i].Name, type.Fields[i].Type, nullable: true, options);
                        return b.CreateOffsetVector(fields.AsSpan(0, count));
                    }
                    finally
                    {
                        ArrayPool<int>.Shared.Return(fields);
                    }
                }
            default:
                return b.CreateOffsetVector([]);
        }
    }

    private static (byte Id, int Table) BuildType(FlatBufferBuilder b, SqlType type)
    {
        switch (type.Kind)
        {
            case SqlTypeKind.Null: return (TypeNull, EmptyTable(b));
            case SqlTypeKind.Boolean: return (TypeBool, EmptyTable(b));
            case SqlTypeKind.TinyInt: return (TypeInt, IntTable(b, 8));
            case SqlTypeKind.SmallInt: return (TypeInt, IntTable(b, 16));
            case SqlTypeKind.Int: return (TypeInt, IntTable(b, 32));
            case SqlTypeKind.BigInt: return (TypeInt, IntTable(b, 64));
            case SqlTypeKind.Float: return (TypeFloatingPoint, ShortTable(b, PrecisionSingle));
            case SqlTypeKind.Double: return (TypeFloatingPoint, ShortTable(b, PrecisionDouble));
            case SqlTypeKind.Decimal:
                // table Decimal { precision: int; scale: int; bitWidth: int = 128; }
                b.StartTable(3);
                b.AddInt(0, type.Precision);
                b.AddInt(1, type.Scale);
                b.AddInt(2, 128);
                return (TypeDecimal, b.EndTable());
            case SqlTypeKind.String or SqlTypeKind.Varchar or SqlTypeKind.Char: return (TypeUtf8, EmptyTable(b));
            case SqlTypeKind.Binary: return (TypeBinary, EmptyTable(b));
            // table Date { unit: DateUnit = MILLISECOND; } — DAY must be written, it is not the default.
            case SqlTypeKind.Date: return (TypeDate, ShortTable(b, DateUnitDay));
            case SqlTypeKind.Time:
                // table Time { unit: TimeUnit = MILLISECOND; bitWidth: int = 32; }
                b.StartTable(2);
                b.AddInt(1, 64);
                b.AddShort(0, TimeUnitMicrosecond);
                return (TypeTime, b.EndTable());
            case SqlTypeKind.Timestamp or SqlTypeKind.TimestampTz:
                {
                    // table Timestamp { unit: TimeUnit; timezone: string; } — no zone: wall-clock time.
                    var zone = type.Kind == SqlTypeKind.TimestampTz ? b.CreateString("UTC") : 0;
                    b.StartTable(2);
                    if (zone != 0) b.AddOffset(1, zone);
                    b.AddShort(0, TimeUnitMicrosecond);
                    return (TypeTimestamp, b.EndTable());
                }
            case SqlTypeKind.Interval: return (TypeInterval, ShortTable(b, IntervalMonthDayNano));
            case SqlTypeKind.Array: return (TypeList, EmptyTable(b));
            case SqlTypeKind.Struct: return (TypeStruct, EmptyTable(b));
            case SqlTypeKind.Map:
                // table Map { keysSorted: bool; }
                b.StartTable(1);
                b.AddBool(0, false);
                return (TypeMap, b.EndTable());
            default:
                throw new NotSupportedException($"No Arrow type for {type}.");
        }
    }

    private static int EmptyTable(FlatBufferBuilder b)
    {
        b.StartTable(0);
        return b.EndTable();
    }

    // table Int { bitWidth: int; is_signed: bool; }
    private static int IntTable(FlatBufferBuilder b, int bitWidth)
    {
        b.StartTable(2);
        b.AddInt(0, bitWidth);
        b.AddBool(1, true);
        return b.EndTable();
    }

    private static int ShortTable(FlatBufferBuilder b, short value)
    {
        b.StartTable(1);
        b.AddShort(0, value);
        return b.EndTable();
    }
}

/// <summary>Arrow's FieldNode struct: a column's (or child's) length and null count in a record batch.</summary>
internal readonly record struct FieldNode(long Length, long NullCount);

/// <summary>Arrow's Buffer struct: a buffer's place in the message body.</summary>
internal readonly record struct BodyBuffer(long Offset, long Length);
