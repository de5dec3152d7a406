using System.Buffers;
using System.Buffers.Binary;
using Gateway.Protocol.Compression;
using Gateway.Protocol.Thrift;

namespace Gateway.Tests.Unit.Compression;

public class Lz4FrameUnitTests
{
    private const int Unlimited = int.MaxValue;

    // Named so that test discovery does not serialize megabytes of theory data.
    private static readonly Dictionary<string, Func<byte[]>> InputsByName = new()
    {
        ["empty"] = () => [],
        ["one byte"] = () => [42],
        ["12 bytes (no match allowed)"] = () => Lz4TestData.Repeating(12, "ab"),
        ["13 bytes (first size with a match)"] = () => Lz4TestData.Repeating(13, "ab"),
        ["text"] = () => Lz4TestData.Repeating(5000, "The quick brown fox jumps over the lazy dog. "),
        ["random 100 KiB"] = () => Lz4TestData.Random(100_000, 1),
        ["zeros 1 MiB"] = () => new byte[1 << 20],
        ["arrow-like"] = () => Lz4TestData.ArrowLike(20_000),
        ["64 KiB - 1"] = () => Lz4TestData.ArrowLike(2000)[..65535],
        ["64 KiB"] = () => Lz4TestData.ArrowLike(2000)[..65536],
        ["64 KiB + 1"] = () => Lz4TestData.ArrowLike(2000)[..65537],
        ["4 MiB"] = () => Lz4TestData.ArrowLike(80_000)[..(4 << 20)],
        ["4 MiB + 1"] = () => Lz4TestData.ArrowLike(80_000)[..((4 << 20) + 1)],
        ["random 4 MiB + 100"] = () => Lz4TestData.Random((4 << 20) + 100, 2),
    };

    public static TheoryData<string> Inputs() => [.. InputsByName.Keys];

    [Theory]
    [MemberData(nameof(Inputs))]
    public void RoundTripsWithEveryOptionCombination(string name)
    {
        var input = InputsByName[name]();
        foreach (var options in new[]
        {
            Lz4FrameOptions.Default,
            new Lz4FrameOptions { ContentSize = false },
            new Lz4FrameOptions { ContentChecksum = false },
            new Lz4FrameOptions { ContentSize = false, ContentChecksum = false },
        })
        {
            var frame = Lz4Frame.Compress(input, options);
            Assert.True(frame.Length <= Lz4Frame.MaxFrameLength(input.Length), name);
            Assert.Equal(input, Lz4Frame.Decompress(frame, input.Length));
            foreach (var block in Blocks(frame).Where(b => !b.Stored)) AssertConformingBlock(block.Data, block.DecodedLength);
        }
    }

    [Fact]
    public void WritesTheHeaderThePeerExpects()
    {
        var input = Lz4TestData.ArrowLike(100);
        var frame = Lz4Frame.Compress(input);
        Assert.Equal(0x184D2204u, BinaryPrimitives.ReadUInt32LittleEndian(frame));
        Assert.Equal(0x40 | 0x20 | 0x08 | 0x04, frame[4]); // version 01, independent blocks, content size, content checksum
        Assert.Equal(4 << 4, frame[5]);                    // 64 KiB blocks for a small input
        Assert.Equal((ulong)input.Length, BinaryPrimitives.ReadUInt64LittleEndian(frame.AsSpan(6)));
        Assert.Equal((byte)(System.IO.Hashing.XxHash32.HashToUInt32(frame.AsSpan(4, 10)) >> 8), frame[14]);
        Assert.Equal(System.IO.Hashing.XxHash32.HashToUInt32(input), BinaryPrimitives.ReadUInt32LittleEndian(frame.AsSpan(frame.Length - 4)));
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(frame.AsSpan(frame.Length - 8)));

        var bare = Lz4Frame.Compress(input, new Lz4FrameOptions { ContentSize = false, ContentChecksum = false });
        Assert.Equal(0x40 | 0x20, bare[4]);
        Assert.Equal((byte)(System.IO.Hashing.XxHash32.HashToUInt32(bare.AsSpan(4, 2)) >> 8), bare[6]);
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(bare.AsSpan(bare.Length - 4)));
    }

    [Theory]
    [InlineData(0, 4)]
    [InlineData(65536, 4)]
    [InlineData(65537, 5)]
    [InlineData(1 << 20, 6)]
    [InlineData((1 << 20) + 1, 7)]
    [InlineData(10 << 20, 7)]
    public void PicksTheSmallestBlockSizeThatHoldsTheInput(int length, int code)
    {
        var frame = Lz4Frame.Compress(new byte[length]);
        Assert.Equal(code << 4, frame[5]);
        var blockMax = 1 << (8 + (2 * code));
        Assert.Equal((length + blockMax - 1) / blockMax, Blocks(frame).Count);
        Assert.Equal(length, Lz4Frame.Decompress(frame, length).Length);
    }

    [Fact]
    public void StoresIncompressibleBlocksRaw()
    {
        var input = Lz4TestData.Random(200_000, 3);
        var frame = Lz4Frame.Compress(input);
        var block = Assert.Single(Blocks(frame));
        Assert.True(block.Stored);
        Assert.Equal(input, block.Data.ToArray());
        Assert.Equal(input.Length + 15 + 4 + 4 + 4, frame.Length);
    }

    [Fact]
    public void CompressesRepetitiveAndColumnarData()
    {
        var zeros = Lz4Frame.Compress(new byte[1 << 20]);
        Assert.True(zeros.Length < 5000, $"1 MiB of zeros took {zeros.Length} bytes");
        var arrow = Lz4TestData.ArrowLike(20_000);
        var compressed = Lz4Frame.Compress(arrow);
        Assert.True(compressed.Length < arrow.Length * 0.7, $"arrow-like {arrow.Length} -> {compressed.Length}");
    }

    [Fact]
    public void RoundTripsOverlappingMatches()
    {
        // Period-3 data compresses to matches whose offset (3) is far below their length.
        var input = Lz4TestData.Repeating(10_000, "abc");
        var frame = Lz4Frame.Compress(input);
        var block = Assert.Single(Blocks(frame));
        Assert.False(block.Stored);
        Assert.Contains(Sequences(block.Data), s => s.MatchLength > 0 && s.Offset < s.MatchLength);
        Assert.Equal(input, Lz4Frame.Decompress(frame, Unlimited));

        // The decoder on its own: "a", then 20 more by a match of offset 1; "xy" then offset 2, length 9.
        // A block whose last sequence holds no literal breaks the format's end rule: refused, not guessed at.
        Rejects(Frame(Block(0x1F, (byte)'a', 1, 0, 1, 0x00), stored: false));
        Assert.Equal("xyxyxyxyxyx" + "tail!", Ascii(Lz4Frame.Decompress(Frame(Block([0x25, (byte)'x', (byte)'y', 2, 0, 0x50, .. "tail!"u8.ToArray()]), stored: false), Unlimited)));
    }

    [Fact]
    public void RoundTripsTenMegabytes()
    {
        var input = new byte[10 << 20];
        var arrow = Lz4TestData.ArrowLike(50_000);
        for (var i = 0; i < input.Length; i += arrow.Length) arrow.AsSpan(0, Math.Min(arrow.Length, input.Length - i)).CopyTo(input.AsSpan(i));
        Lz4TestData.Random(300_000, 4).CopyTo(input.AsSpan(5 << 20)); // an incompressible stretch across no boundary in particular
        var frame = Lz4Frame.Compress(input);
        Assert.Equal(3, Blocks(frame).Count);
        Assert.Equal(input, Lz4Frame.Decompress(frame, input.Length));
    }

    [Fact]
    public void WritesIntoAnyBufferWriter()
    {
        var input = Lz4TestData.ArrowLike(5000);
        using var pooled = new PooledBufferWriter(16);
        pooled.Write("prefix"u8);
        Lz4Frame.Compress(input, pooled);
        Assert.Equal(Lz4Frame.Compress(input), pooled.WrittenSpan[6..].ToArray());

        var array = new ArrayBufferWriter<byte>(1);
        Lz4Frame.Compress(input, array);
        Assert.Equal(input, Lz4Frame.Decompress(array.WrittenMemory, input.Length));
    }

    [Fact]
    public void BlockCompressorReportsWhenTheOutputDoesNotFit()
    {
        var input = Lz4TestData.ArrowLike(3000);
        var room = new byte[Lz4Block.MaxCompressedLength(input.Length)];
        var length = Lz4Block.Compress(input, room);
        Assert.InRange(length, 1, input.Length - 1);
        for (var capacity = 0; capacity < length; capacity += Math.Max(1, length / 50))
        {
            var small = new byte[capacity + 32];
            small.AsSpan().Fill(0xEE);
            Assert.Equal(0, Lz4Block.Compress(input, small.AsSpan(0, capacity)));
            Assert.All(small[capacity..], b => Assert.Equal(0xEE, b)); // nothing written past the end
        }
        Assert.Equal(length, Lz4Block.Compress(input, new byte[length]));
        Assert.Equal(0, Lz4Block.Compress(Lz4TestData.Random(1000, 5), new byte[999]));
    }

    // --- corrupt input ---

    private static InvalidDataException Rejects(byte[] frame, int max = Unlimited)
    {
        var ex = Assert.Throws<InvalidDataException>(() => Lz4Frame.Decompress(frame, max));
        Assert.StartsWith("Invalid LZ4 frame: ", ex.Message, StringComparison.Ordinal);
        return ex;
    }

    [Fact]
    public void RejectsBadMagic()
    {
        var frame = Lz4Frame.Compress("hello"u8);
        frame[0] ^= 1;
        Assert.Contains("magic", Rejects(frame).Message, StringComparison.Ordinal);
        Assert.Contains("skippable", Rejects([0x50, 0x2A, 0x4D, 0x18, 0, 0, 0, 0]).Message, StringComparison.Ordinal);
        Assert.Contains("shorter", Rejects([0x04, 0x22, 0x4D]).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RejectsBadHeaders()
    {
        var frame = Lz4Frame.Compress("hello hello hello hello"u8);
        var badChecksum = (byte[])frame.Clone();
        badChecksum[14] ^= 0x55;
        Assert.Contains("header checksum", Rejects(badChecksum).Message, StringComparison.Ordinal);

        var changedSize = (byte[])frame.Clone();
        changedSize[6] ^= 1; // the content size is covered by the header checksum
        Assert.Contains("header checksum", Rejects(changedSize).Message, StringComparison.Ordinal);

        Assert.Contains("version", Rejects(WithDescriptor(frame, 0x80 | 0x20, 0x40)).Message, StringComparison.Ordinal);
        Assert.Contains("reserved FLG", Rejects(WithDescriptor(frame, 0x60 | 0x02, 0x40)).Message, StringComparison.Ordinal);
        Assert.Contains("reserved BD", Rejects(WithDescriptor(frame, 0x60, 0x41)).Message, StringComparison.Ordinal);
        Assert.Contains("block maximum size", Rejects(WithDescriptor(frame, 0x60, 0x30)).Message, StringComparison.Ordinal);
        Assert.Contains("dictionary", Rejects(Frame([], stored: true, flags: 0x61, extra: [1, 2, 3, 4])).Message, StringComparison.Ordinal);
        Assert.Contains("truncated", Rejects(frame[..10]).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RejectsTruncatedFrames()
    {
        var input = Lz4TestData.ArrowLike(500);
        var frame = Lz4Frame.Compress(input);
        for (var length = 0; length < frame.Length; length++)
        {
            Assert.Throws<InvalidDataException>(() => Lz4Frame.Decompress(frame.AsMemory(0, length), Unlimited));
        }
        Assert.Contains("block 0 is truncated", Rejects(frame[..30]).Message, StringComparison.Ordinal);
        Assert.Contains("end mark", Rejects(frame[..^8]).Message, StringComparison.Ordinal);

        // A compressed block that stops inside a sequence (its length field says so, honestly).
        // (What is wrong inside a block is the decoding library's to say; that it is refused is ours to check.)
        Rejects(Frame(Block(0x30, 1, 2), stored: false));
        Rejects(Frame(Block(0x10, 1, 5), stored: false));
    }

    [Fact]
    public void RejectsMatchesOutsideTheOutput()
    {
        // 2 literals, then a match 3 back: before the start of the output.
        Rejects(Frame(Block(0x20, 1, 2, 3, 0, 0x00), stored: false));
        // And offset 0.
        Rejects(Frame(Block(0x20, 1, 2, 0, 0, 0x00), stored: false));

        // Independent blocks: the second block may not refer into the first...
        byte[] first = [0x50, .. "hello"u8.ToArray()];
        byte[] second = [0x00, 5, 0, 0x00];
        Rejects(Frame([first, second], flags: 0x60));
        // ...but linked blocks may: a frame of 64 KiB blocks, each referring into the ones before, as a real encoder
        // (K4os, chained) writes it. (A hand-made linked block this small would break the format's end rules.)
        var text = Lz4TestData.Repeating(300_000, "linked blocks refer back; ");
        var linked = new System.Buffers.ArrayBufferWriter<byte>();
        K4os.Compression.LZ4.Streams.LZ4Frame.Encode(text.AsSpan(), linked, new K4os.Compression.LZ4.Streams.LZ4EncoderSettings { ChainBlocks = true, BlockSize = 64 * 1024 });
        Assert.Equal(0, linked.WrittenSpan[4] & 0x20); // not independent
        Assert.Equal(text, Lz4Frame.Decompress(linked.WrittenMemory, text.Length));
    }

    [Fact]
    public void RejectsBadChecksums()
    {
        var input = Lz4TestData.ArrowLike(500);
        var frame = Lz4Frame.Compress(input);
        frame[^1] ^= 0x80;
        Assert.Contains("content checksum", Rejects(frame).Message, StringComparison.Ordinal);

        var payload = "block checksums are checked too"u8.ToArray();
        var good = Frame([[.. payload]], flags: 0x60 | 0x10, storedBlocks: true, blockChecksums: true);
        Assert.Equal(payload, Lz4Frame.Decompress(good, Unlimited));
        good[^5] ^= 1; // last byte of the block checksum (before the end mark)
        Assert.Contains("block checksum", Rejects(good).Message, StringComparison.Ordinal);

        var changedData = Lz4Frame.Compress(input, new Lz4FrameOptions { ContentSize = false });
        changedData[^20] ^= 0x01; // somewhere in the last block's data: the content checksum catches what decodes
        Assert.Throws<InvalidDataException>(() => Lz4Frame.Decompress(changedData, Unlimited));
    }

    [Fact]
    public void RejectsInconsistentLengths()
    {
        var input = Lz4TestData.ArrowLike(500);
        var frame = Lz4Frame.Compress(input);
        Assert.Contains("after the end", Rejects([.. frame, 0]).Message, StringComparison.Ordinal);

        // A block larger than the declared maximum block size (64 KiB).
        var big = Frame([new byte[65537]], flags: 0x60, storedBlocks: true);
        Assert.Contains("maximum block size", Rejects(big).Message, StringComparison.Ordinal);

        // A compressed block that decodes past the maximum block size: 1 literal + a 70000-byte match.
        var lengthBytes = new List<byte>();
        for (var rest = 70_000 - 4 - 15; rest >= 0; rest -= 255) lengthBytes.Add((byte)Math.Min(rest, 255));
        if (lengthBytes[^1] == 255) lengthBytes.Add(0);
        Rejects(Frame(Block([0x1F, 7, 1, 0, .. lengthBytes]), stored: false));

        // Declared content size disagreeing with the blocks.
        Assert.Contains("declares", Rejects(Frame(Block(0x30, 1, 2, 3), stored: false, contentSize: 4)).Message, StringComparison.Ordinal);
        Assert.Contains("content size", Rejects(Frame(Block(0x30, 1, 2, 3), stored: false, contentSize: 2)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EnforcesMaxOutputBytes()
    {
        var input = Lz4TestData.ArrowLike(5000);
        Assert.Equal(input, Lz4Frame.Decompress(Lz4Frame.Compress(input), input.Length));

        // With a declared size the limit applies before any allocation...
        Assert.Contains("more than the limit", Rejects(Lz4Frame.Compress(input), input.Length - 1).Message, StringComparison.Ordinal);
        // ...without one, as the blocks decode.
        var unsized = Lz4Frame.Compress(input, new Lz4FrameOptions { ContentSize = false });
        Assert.Equal(input, Lz4Frame.Decompress(unsized, input.Length));
        Assert.Contains("passes the limit", Rejects(unsized, input.Length - 1).Message, StringComparison.Ordinal);
        Assert.Contains("passes the limit", Rejects(Lz4Frame.Compress(Lz4TestData.Random(1000, 9), new Lz4FrameOptions { ContentSize = false }), 999).Message, StringComparison.Ordinal);

        // A tiny frame claiming 2 GiB is refused without allocating it.
        Assert.Contains("more than the limit", Rejects(Frame(Block(0x10, 1), stored: false, contentSize: int.MaxValue), 1 << 20).Message, StringComparison.Ordinal);
        Assert.Empty(Lz4Frame.Decompress(Lz4Frame.Compress([], new Lz4FrameOptions { ContentSize = false }), 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Lz4Frame.Decompress(Lz4Frame.Compress([]), -1));
    }

    [Fact]
    public void MutatedFramesOnlyEverThrowInvalidData()
    {
        var random = new Random(11);
        var inputs = new[] { Lz4TestData.ArrowLike(300), Lz4TestData.Repeating(3000, "abcabd"), Lz4TestData.Random(500, 12) };
        foreach (var input in inputs)
        {
            foreach (var options in new[] { Lz4FrameOptions.Default, new Lz4FrameOptions { ContentSize = false, ContentChecksum = false } })
            {
                var frame = Lz4Frame.Compress(input, options);
                for (var trial = 0; trial < 2000; trial++)
                {
                    var mutated = (byte[])frame.Clone();
                    for (var flips = random.Next(1, 4); flips > 0; flips--) mutated[random.Next(mutated.Length)] = (byte)random.Next(256);
                    try
                    {
                        var output = Lz4Frame.Decompress(mutated, 1 << 20);
                        Assert.True(output.Length <= 1 << 20);
                    }
                    catch (InvalidDataException)
                    {
                    }
                }
            }
        }
    }

    // --- helpers: frame parsing and building for the tests ---

    private sealed record RawBlock(bool Stored, ReadOnlyMemory<byte> Data, int DecodedLength);

    private static List<RawBlock> Blocks(byte[] frame)
    {
        var flags = frame[4];
        var position = 4 + 2 + ((flags & 0x08) != 0 ? 8 : 0) + 1;
        var blocks = new List<RawBlock>();
        while (true)
        {
            var word = BinaryPrimitives.ReadUInt32LittleEndian(frame.AsSpan(position));
            position += 4;
            if (word == 0) return blocks;
            var stored = (word & 0x80000000) != 0;
            var length = (int)(word & 0x7FFFFFFF);
            var data = frame.AsMemory(position, length);
            blocks.Add(new RawBlock(stored, data, stored ? length : Sequences(data).Sum(s => s.LiteralLength + s.MatchLength)));
            position += length;
        }
    }

    private sealed record Sequence(int OutputPosition, int LiteralLength, int Offset, int MatchLength);

    private static List<Sequence> Sequences(ReadOnlyMemory<byte> block)
    {
        var b = block.Span;
        var result = new List<Sequence>();
        var ip = 0;
        var op = 0;
        while (true)
        {
            var token = b[ip++];
            var literals = token >> 4;
            if (literals == 15)
            {
                byte x;
                do literals += x = b[ip++]; while (x == 255);
            }
            ip += literals;
            op += literals;
            if (ip == b.Length)
            {
                result.Add(new Sequence(op, literals, 0, 0));
                return result;
            }
            var offset = b[ip] | (b[ip + 1] << 8);
            ip += 2;
            var match = token & 15;
            if (match == 15)
            {
                byte x;
                do match += x = b[ip++]; while (x == 255);
            }
            match += 4;
            result.Add(new Sequence(op, literals, offset, match));
            op += match;
        }
    }

    /// <summary>The block format's rules for compressors (the decoder does not enforce them).</summary>
    private static void AssertConformingBlock(ReadOnlyMemory<byte> block, int decodedLength)
    {
        var sequences = Sequences(block);
        Assert.Equal(0, sequences[^1].MatchLength);                  // ends with literals only
        Assert.True(sequences[^1].LiteralLength >= Math.Min(5, decodedLength)); // the last 5 bytes are literals
        foreach (var s in sequences.Take(sequences.Count - 1))
        {
            Assert.InRange(s.Offset, 1, Math.Min(65535, s.OutputPosition));
            Assert.True(s.OutputPosition <= decodedLength - 12, $"match at {s.OutputPosition} of {decodedLength}");
            Assert.True(s.OutputPosition + s.MatchLength <= decodedLength - 5);
        }
    }

    private static string Ascii(byte[] bytes) => System.Text.Encoding.ASCII.GetString(bytes);

    private static byte[] Block(params byte[] bytes) => bytes;

    private static byte[] Frame(byte[] block, bool stored, long contentSize = -1) =>
        Frame([block], flags: (byte)(0x60 | (contentSize >= 0 ? 0x08 : 0)), storedBlocks: stored,
            extra: contentSize >= 0 ? BitConverter.GetBytes((ulong)contentSize) : []);

    private static byte[] Frame(byte[][] blocks, byte flags, bool storedBlocks = false, bool blockChecksums = false, byte[]? extra = null)
    {
        var frame = new List<byte>(BitConverter.GetBytes(0x184D2204u)) { flags, 0x40 };
        frame.AddRange(extra ?? []);
        frame.Add((byte)(System.IO.Hashing.XxHash32.HashToUInt32(frame.ToArray().AsSpan(4)) >> 8));
        foreach (var block in blocks)
        {
            frame.AddRange(BitConverter.GetBytes((uint)block.Length | (storedBlocks ? 0x80000000u : 0)));
            frame.AddRange(block);
            if (blockChecksums) frame.AddRange(BitConverter.GetBytes(System.IO.Hashing.XxHash32.HashToUInt32(block)));
        }
        frame.AddRange(BitConverter.GetBytes(0u));
        return [.. frame];
    }

    private static byte[] Frame(byte[] block, bool stored, byte flags, byte[] extra) => Frame([block], flags, stored, extra: extra);

    private static byte[] WithDescriptor(byte[] frame, byte flags, byte descriptor)
    {
        byte[] result = [.. frame.AsSpan(0, 4), flags, descriptor, .. frame.AsSpan(15)];
        result = [.. result[..6], (byte)(System.IO.Hashing.XxHash32.HashToUInt32(result.AsSpan(4, 2)) >> 8), .. result[6..]];
        return result;
    }
}
