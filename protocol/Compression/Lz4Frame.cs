using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Gateway.Protocol.Compression;

/// <summary>What goes into a frame besides the blocks.</summary>
public sealed record Lz4FrameOptions
{
    public static Lz4FrameOptions Default { get; } = new();

    /// <summary>Write the uncompressed length in the header (8 bytes; lets a decoder size its output once).</summary>
    public bool ContentSize { get; init; } = true;

    /// <summary>Append the xxHash32 of the uncompressed content, checked by every conforming decoder.</summary>
    public bool ContentChecksum { get; init; } = true;
}

/// <summary>
/// The LZ4 frame format (magic 0x184D2204), as sent by the Databricks/Spark HS2 extension for
/// <c>lz4Compressed</c> Arrow batches and decoded by clients with lz4-napi's <c>decompressFrameSync</c>.
/// See README.md in this folder for the layout we write and what the decoder accepts.
/// </summary>
public static class Lz4Frame
{
    public const uint Magic = 0x184D2204;
    private const uint SkippableMagicMask = 0xFFFFFFF0;
    private const uint SkippableMagic = 0x184D2A50;

    // FLG: version 01 in bits 7-6, then block independence, block checksum, content size, content
    // checksum, a reserved bit and the dictionary id flag.
    private const byte FlagVersion = 0x40;
    private const byte FlagVersionMask = 0xC0;
    private const byte FlagIndependentBlocks = 0x20;
    private const byte FlagBlockChecksum = 0x10;
    private const byte FlagContentSize = 0x08;
    private const byte FlagContentChecksum = 0x04;
    private const byte FlagReserved = 0x02;
    private const byte FlagDictionaryId = 0x01;
    // BD: block maximum size code in bits 6-4, everything else reserved.
    private const byte BlockDescriptorReserved = 0x8F;

    private const uint UncompressedBlockBit = 0x80000000;
    private const int MaxHeaderLength = 4 + 2 + 8 + 1; // magic, FLG, BD, content size, HC (we write no dictionary id)
    private const int MaxBlockSizeCode = 7;           // 4 MiB

    /// <summary>
    /// The largest frame <see cref="Compress(ReadOnlySpan{byte}, IBufferWriter{byte})"/> writes for
    /// <paramref name="sourceLength"/> bytes: a block that does not shrink is stored as is, so this is the
    /// input plus 4 bytes per block and the header and trailer.
    /// </summary>
    public static long MaxFrameLength(int sourceLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sourceLength);
        var blockSize = BlockSize(BlockSizeCodeFor(sourceLength));
        var blocks = ((long)sourceLength + blockSize - 1) / blockSize;
        return MaxHeaderLength + sourceLength + (4 * blocks) + 4 + 4;
    }

    public static byte[] Compress(ReadOnlySpan<byte> source) => Compress(source, Lz4FrameOptions.Default);

    public static byte[] Compress(ReadOnlySpan<byte> source, Lz4FrameOptions options)
    {
        using var buffer = new Thrift.PooledBufferWriter((int)Math.Min(MaxFrameLength(source.Length), Array.MaxLength));
        Compress(source, buffer, options);
        return buffer.WrittenSpan.ToArray();
    }

    public static void Compress(ReadOnlySpan<byte> source, IBufferWriter<byte> destination) => Compress(source, destination, Lz4FrameOptions.Default);

    /// <summary>
    /// Writes <paramref name="source"/> as one frame: independent blocks of the smallest maximum size
    /// (64 KiB, 256 KiB, 1 MiB, 4 MiB) that holds the whole input, so decoders that allocate a buffer per
    /// maximum block size allocate no more than needed; inputs above 4 MiB span several 4 MiB blocks.
    /// </summary>
    public static void Compress(ReadOnlySpan<byte> source, IBufferWriter<byte> destination, Lz4FrameOptions options)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(options);

        var sizeCode = BlockSizeCodeFor(source.Length);
        var blockSize = BlockSize(sizeCode);

        var header = destination.GetSpan(MaxHeaderLength);
        BinaryPrimitives.WriteUInt32LittleEndian(header, Magic);
        var flags = (byte)(FlagVersion | FlagIndependentBlocks);
        if (options.ContentSize) flags |= FlagContentSize;
        if (options.ContentChecksum) flags |= FlagContentChecksum;
        header[4] = flags;
        header[5] = (byte)(sizeCode << 4);
        var headerLength = 6;
        if (options.ContentSize)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(header[6..], (ulong)source.Length);
            headerLength += 8;
        }
        header[headerLength] = HeaderChecksum(header[4..headerLength]);
        destination.Advance(headerLength + 1);

        if (!source.IsEmpty)
        {
            var tableSize = Lz4Block.HashTableSize(Math.Min(source.Length, blockSize));
            var table = ArrayPool<int>.Shared.Rent(tableSize);
            try
            {
                for (var offset = 0; offset < source.Length; offset += blockSize)
                {
                    var block = source.Slice(offset, Math.Min(blockSize, source.Length - offset));
                    var output = destination.GetSpan(4 + block.Length);
                    // A compressed block must be shorter than the raw one to be worth storing compressed.
                    var compressed = Lz4Block.Compress(block, output.Slice(4, block.Length - 1), table.AsSpan(0, Lz4Block.HashTableSize(block.Length)));
                    if (compressed > 0)
                    {
                        BinaryPrimitives.WriteUInt32LittleEndian(output, (uint)compressed);
                        destination.Advance(4 + compressed);
                    }
                    else
                    {
                        BinaryPrimitives.WriteUInt32LittleEndian(output, (uint)block.Length | UncompressedBlockBit);
                        block.CopyTo(output[4..]);
                        destination.Advance(4 + block.Length);
                    }
                }
            }
            finally
            {
                ArrayPool<int>.Shared.Return(table);
            }
        }

        var trailer = destination.GetSpan(8);
        BinaryPrimitives.WriteUInt32LittleEndian(trailer, 0); // EndMark
        if (options.ContentChecksum)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(trailer[4..], System.IO.Hashing.XxHash32.HashToUInt32(source));
            destination.Advance(8);
        }
        else
        {
            destination.Advance(4);
        }
    }

    /// <summary>
    /// Decodes one whole frame (nothing may follow it) with K4os.Compression.LZ4.Streams, which decodes faster than
    /// the decoder this project had (Lz4FrameBenchmarks, benchmarks/results/lz4-20261207.md). Before the library sees
    /// a byte, the frame's structure is checked here: magic, version, reserved bits, header checksum, no dictionary,
    /// a declared content size within <paramref name="maxOutputBytes"/>, every block no larger than the frame's
    /// maximum and within the input, the end mark, the content checksum's place and nothing after it. The library
    /// then decodes (verifying block and content checksums) straight into the result: the one array of the declared
    /// size, or pooled memory that never grows past the limit (one byte more fails the frame). Corrupt or
    /// unsupported input (dictionary ids, skippable frames) throws <see cref="InvalidDataException"/>, whatever the
    /// library would have thrown.
    /// </summary>
    public static byte[] Decompress(ReadOnlyMemory<byte> frame, int maxOutputBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxOutputBytes);
        var (contentSize, blockMax) = CheckStructure(frame.Span, maxOutputBytes);
        try
        {
            using var reader = K4os.Compression.LZ4.Streams.LZ4Frame.Decode(frame);
            return contentSize >= 0 ? ReadExactly(reader, (int)contentSize) : ReadUpTo(reader, maxOutputBytes, blockMax);
        }
        catch (InvalidDataException ex) when (!ex.Message.StartsWith(FailurePrefix, StringComparison.Ordinal))
        {
            Fail(ex.Message.TrimEnd('.') + ".");
            return null;
        }
        catch (Exception ex) when (ex is EndOfStreamException or ArgumentException or IndexOutOfRangeException or NotSupportedException or InvalidOperationException)
        {
            Fail($"the decoder refused it ({ex.Message.TrimEnd('.')}).");
            return null;
        }
    }

    /// <summary>
    /// A declared content size: decoded straight into the one array returned. Reading on past it (one byte) makes the
    /// library reach the end mark and check the content checksum, and shows whether the frame holds more than declared.
    /// </summary>
    private static byte[] ReadExactly(K4os.Compression.LZ4.Streams.Abstractions.ILZ4FrameReader reader, int size)
    {
        var result = GC.AllocateUninitializedArray<byte>(size);
        var written = 0;
        while (written < size)
        {
            var n = reader.ReadManyBytes(result.AsSpan(written));
            if (n <= 0) break;
            written += n;
        }
        if (written != size) Fail($"decoded {written} bytes but the header declares {size}.");
        Span<byte> probe = stackalloc byte[1];
        if (reader.ReadManyBytes(probe) > 0) Fail($"the output passes the content size of {size} bytes declared in the header.");
        return result;
    }

    /// <summary>No declared size: pooled memory growing by at most a block at a time, never past <paramref name="limit"/>.</summary>
    private static byte[] ReadUpTo(K4os.Compression.LZ4.Streams.Abstractions.ILZ4FrameReader reader, int limit, int blockMax)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(1, Math.Min(limit, blockMax)));
        var written = 0;
        try
        {
            Span<byte> probe = stackalloc byte[1];
            while (true)
            {
                if (written >= limit)
                {
                    if (reader.ReadManyBytes(probe) > 0) Fail($"the output passes the limit of {limit} bytes.");
                    break;
                }
                if (written == buffer.Length)
                {
                    var next = ArrayPool<byte>.Shared.Rent((int)Math.Min(Math.Max((long)buffer.Length * 2, (long)written + blockMax), limit));
                    buffer.AsSpan(0, written).CopyTo(next);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = next;
                }
                var room = Math.Min(buffer.Length, limit) - written;
                var n = reader.ReadManyBytes(buffer.AsSpan(written, room));
                if (n <= 0) break;
                written += n;
            }
            return buffer.AsSpan(0, written).ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The frame's layout, walked without decoding: (declared content size or -1, maximum block size).</summary>
    private static (long ContentSize, int BlockMax) CheckStructure(ReadOnlySpan<byte> frame, int maxOutputBytes)
    {
        if (frame.Length < 7) Fail($"the input is {frame.Length} bytes, shorter than the smallest frame header (7 bytes).");
        var magic = BinaryPrimitives.ReadUInt32LittleEndian(frame);
        if (magic != Magic)
        {
            if ((magic & SkippableMagicMask) == SkippableMagic) Fail($"a skippable frame (magic 0x{magic:X8}) holds no data.");
            Fail($"bad magic number 0x{magic:X8} (expected 0x{Magic:X8}).");
        }
        var flags = frame[4];
        var descriptor = frame[5];
        if ((flags & FlagVersionMask) != FlagVersion) Fail($"unsupported frame version {flags >> 6} (FLG 0x{flags:X2}).");
        if ((flags & FlagReserved) != 0) Fail($"reserved FLG bit set (FLG 0x{flags:X2}).");
        if ((descriptor & BlockDescriptorReserved) != 0) Fail($"reserved BD bits set (BD 0x{descriptor:X2}).");
        var sizeCode = (descriptor >> 4) & 7;
        if (sizeCode < 4) Fail($"invalid block maximum size code {sizeCode} (BD 0x{descriptor:X2}).");
        var blockMax = BlockSize(sizeCode);

        var descriptorLength = 2 + ((flags & FlagContentSize) != 0 ? 8 : 0) + ((flags & FlagDictionaryId) != 0 ? 4 : 0);
        if (frame.Length < 4 + descriptorLength + 1) Fail("the frame header is truncated.");
        var expectedChecksum = HeaderChecksum(frame.Slice(4, descriptorLength));
        var headerChecksum = frame[4 + descriptorLength];
        if (headerChecksum != expectedChecksum) Fail($"header checksum 0x{headerChecksum:X2} does not match the descriptor (expected 0x{expectedChecksum:X2}).");
        if ((flags & FlagDictionaryId) != 0) Fail("frames that need a dictionary are not supported.");

        long contentSize = -1;
        if ((flags & FlagContentSize) != 0)
        {
            var declared = BinaryPrimitives.ReadUInt64LittleEndian(frame[6..]);
            if (declared > (ulong)maxOutputBytes) Fail($"the header declares {declared} bytes of content, more than the limit of {maxOutputBytes}.");
            contentSize = (long)declared;
        }

        var blockChecksums = (flags & FlagBlockChecksum) != 0;
        var position = 4 + descriptorLength + 1;
        for (var blockIndex = 0; ; blockIndex++)
        {
            if (frame.Length - position < 4) Fail($"truncated before the end mark (block {blockIndex} has no size).");
            var blockWord = BinaryPrimitives.ReadUInt32LittleEndian(frame[position..]);
            position += 4;
            if (blockWord == 0) break; // EndMark
            var blockLength = (int)(blockWord & ~UncompressedBlockBit);
            if (blockLength > blockMax) Fail($"block {blockIndex} is {blockLength} bytes, more than the frame's maximum block size {blockMax}.");
            if (frame.Length - position < blockLength + (blockChecksums ? 4 : 0)) Fail($"block {blockIndex} is truncated ({blockLength} bytes declared, {frame.Length - position} left).");
            position += blockLength + (blockChecksums ? 4 : 0);
        }
        if ((flags & FlagContentChecksum) != 0)
        {
            if (frame.Length - position < 4) Fail("the content checksum is truncated.");
            position += 4;
        }
        if (position != frame.Length) Fail($"{frame.Length - position} unexpected bytes after the end of the frame.");
        return (contentSize, blockMax);
    }

    // The smallest size class holding the whole input, 4 MiB beyond that (the format's largest block).
    private static int BlockSizeCodeFor(int length)
    {
        for (var code = 4; code < MaxBlockSizeCode; code++)
        {
            if (length <= BlockSize(code)) return code;
        }
        return MaxBlockSizeCode;
    }

    // Codes 4..7 are 64 KiB, 256 KiB, 1 MiB and 4 MiB.
    private static int BlockSize(int code) => 1 << (8 + (2 * code));

    // The second byte of the xxHash32 of the descriptor (FLG through the optional fields).
    private static byte HeaderChecksum(ReadOnlySpan<byte> descriptor) => (byte)(System.IO.Hashing.XxHash32.HashToUInt32(descriptor) >> 8);

    [DoesNotReturn]
    private static void Fail(string problem) => throw new InvalidDataException(FailurePrefix + problem);

    private const string FailurePrefix = "Invalid LZ4 frame: ";
}
