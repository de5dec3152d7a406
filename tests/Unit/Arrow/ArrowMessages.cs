using System.Buffers.Binary;
using Google.FlatBuffers;

namespace Gateway.Tests.Unit.Arrow;

/// <summary>
/// Hand-made Arrow IPC messages (Message.fbs, Schema.fbs) for the reader's malformed-input tests, built with the
/// FlatBuffers library; every field is written, defaults too, so a test controls exactly what the reader sees.
/// </summary>
internal static class ArrowMessages
{
    public const short MetadataV5 = 4;
    public const byte HeaderSchema = 1;
    public const byte HeaderDictionaryBatch = 2;
    public const byte HeaderRecordBatch = 3;

    public static FlatBufferBuilder Builder() => new(256) { ForceDefaults = true };

    public static int OffsetVector(FlatBufferBuilder b, params int[] offsets)
    {
        b.StartVector(4, offsets.Length, 4);
        for (var i = offsets.Length - 1; i >= 0; i--) b.AddOffset(offsets[i]);
        return b.EndVector().Value;
    }

    /// <summary>A vector of 16-byte structs of two longs (FieldNode, Buffer).</summary>
    public static int StructVector(FlatBufferBuilder b, (long First, long Second)[] items)
    {
        b.StartVector(16, items.Length, 8);
        for (var i = items.Length - 1; i >= 0; i--)
        {
            b.Prep(8, 16);
            b.PutLong(items[i].Second);
            b.PutLong(items[i].First);
        }
        return b.EndVector().Value;
    }

    public static int EmptyTable(FlatBufferBuilder b)
    {
        b.StartTable(0);
        return b.EndTable();
    }

    /// <summary>table Message { version; header (type byte + offset); bodyLength; custom_metadata }, finished.</summary>
    public static void FinishMessage(FlatBufferBuilder b, byte headerType, int header, long bodyLength = 0, short version = MetadataV5)
    {
        b.StartTable(4);
        b.AddLong(3, bodyLength, 0);
        b.AddOffset(2, header, 0);
        b.AddShort(0, version, 0);
        b.AddByte(1, headerType, 0);
        b.Finish(b.EndTable());
    }

    /// <summary>A finished RecordBatch message: table RecordBatch { length; nodes: [FieldNode]; buffers: [Buffer] }.</summary>
    public static void RecordBatch(FlatBufferBuilder b, long length, (long Length, long Nulls)[] nodes, (long Offset, long Length)[] buffers, long bodyLength)
    {
        var nodeVector = StructVector(b, nodes);
        var bufferVector = StructVector(b, buffers);
        b.StartTable(3);
        b.AddLong(0, length, 0);
        b.AddOffset(1, nodeVector, 0);
        b.AddOffset(2, bufferVector, 0);
        FinishMessage(b, HeaderRecordBatch, b.EndTable(), bodyLength);
    }

    /// <summary>The encapsulated message: 0xFFFFFFFF, the padded metadata length, the metadata zero-padded to 8, the body.</summary>
    public static byte[] Framed(FlatBufferBuilder b, ReadOnlySpan<byte> body)
    {
        var metadata = b.SizedByteArray();
        var padded = ((8 + metadata.Length + 7) & ~7) - 8;
        var message = new byte[8 + padded + body.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(message, 0xFFFFFFFF);
        BinaryPrimitives.WriteInt32LittleEndian(message.AsSpan(4), padded);
        metadata.CopyTo(message, 8);
        body.CopyTo(message.AsSpan(8 + padded));
        return message;
    }
}
