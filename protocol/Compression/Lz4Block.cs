using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Gateway.Protocol.Compression;

/// <summary>
/// The LZ4 block format's compressor: a greedy single-probe hash table (LZ4's "fast" level). Kept, rather than
/// K4os.Compression.LZ4's, because it is faster and allocates nothing: Lz4FrameBenchmarks, one run, ~1 MiB of the
/// large-fetch column mix, 833 µs and 0 B against the library's 1,004 µs with a large buffer per frame
/// (benchmarks/results/lz4-20261207.md). Decoding is the library's (faster there), see Lz4Frame.Decompress. A block is a run of sequences: token (literal length high nibble, match
/// length - 4 low nibble), 255-continued length bytes, literals, 2-byte little-endian offset.
/// </summary>
internal static unsafe class Lz4Block
{
    public const int MinMatch = 4;
    // End-of-block rules of the block format: the last 5 bytes are always literals, and the last match
    // starts at least 12 bytes before the end, so decoders may copy in 8-byte steps near the end.
    public const int LastLiterals = 5;
    public const int MatchStartLimit = 12;
    public const int MaxOffset = 65535;

    public const int MinHashLog = 8;
    public const int MaxHashLog = 12;

    // After 2^SkipTrigger failed probes the search starts skipping: incompressible data is crossed
    // quickly while compressible data (which finds matches early) is not affected.
    private const int SkipTrigger = 6;

    /// <summary>Hash-table entries for a block: about one per input byte, at most 2^MaxHashLog (16 KiB of ints, LZ4's default).</summary>
    public static int HashTableSize(int blockLength)
    {
        var log = blockLength <= 1 << MinHashLog ? MinHashLog : 32 - BitOperations.LeadingZeroCount((uint)blockLength - 1);
        return 1 << Math.Min(log, MaxHashLog);
    }

    /// <summary>
    /// Compresses <paramref name="source"/> as one independent block into <paramref name="destination"/>.
    /// Returns the compressed length, or 0 when it does not fit in <paramref name="destination"/> (give a
    /// destination one byte shorter than the source to learn whether compressing pays off at all).
    /// <paramref name="hashTable"/> is scratch space whose length is a power of two from 2^MinHashLog to
    /// 2^MaxHashLog; its contents are ignored.
    /// </summary>
    public static int Compress(ReadOnlySpan<byte> source, Span<byte> destination, Span<int> hashTable)
    {
        var tableSize = hashTable.Length;
        if (tableSize < 1 << MinHashLog || tableSize > 1 << MaxHashLog || !BitOperations.IsPow2(tableSize))
            throw new ArgumentException($"The hash table length must be a power of two from {1 << MinHashLog} to {1 << MaxHashLog}.", nameof(hashTable));
        if (destination.IsEmpty) return 0;
        if (source.IsEmpty)
        {
            destination[0] = 0; // one token: no literals, no match
            return 1;
        }
        hashTable.Clear();
        var shift = 32 - BitOperations.Log2((uint)tableSize);
        fixed (byte* src = source)
        fixed (byte* dst = destination)
        fixed (int* table = hashTable)
        {
            return CompressCore(src, source.Length, dst, destination.Length, table, shift);
        }
    }

    /// <summary>Compresses with a pooled hash table (for callers compressing a single block).</summary>
    public static int Compress(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        var size = HashTableSize(source.Length);
        var table = ArrayPool<int>.Shared.Rent(size);
        try
        {
            return Compress(source, destination, table.AsSpan(0, size));
        }
        finally
        {
            ArrayPool<int>.Shared.Return(table);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Read32(byte* p) => Unsafe.ReadUnaligned<uint>(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Read64(byte* p) => Unsafe.ReadUnaligned<ulong>(p);

    // Knuth's multiplicative hash of the 4 bytes at p; byte order does not matter for a hash.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Hash(byte* p, int shift) => (Read32(p) * 2654435761u) >> shift;

    private static int CompressCore(byte* src, int length, byte* dst, int capacity, int* table, int shift)
    {
        var end = src + length;
        var anchor = src;
        var op = dst;
        var oend = dst + capacity;

        // Shorter blocks cannot hold a match that respects both end-of-block rules.
        if (length > MatchStartLimit)
        {
            var matchStartLimit = end - MatchStartLimit; // the last position a match may start at
            var matchEndLimit = end - LastLiterals;      // matches end before the last literals
            var ip = src + 1;                             // position 0 is in the table already (cleared to 0)
            var forwardHash = Hash(ip, shift);

            while (true)
            {
                // Search: probe one candidate per position, stepping faster after repeated misses.
                byte* match;
                var forward = ip;
                var attempts = 1 << SkipTrigger;
                var step = 1;
                do
                {
                    var h = forwardHash;
                    ip = forward;
                    forward += step;
                    step = attempts++ >> SkipTrigger;
                    if (forward > matchStartLimit) goto LastRun;
                    match = src + table[h];
                    forwardHash = Hash(forward, shift);
                    table[h] = (int)(ip - src);
                }
                while (ip - match > MaxOffset || Read32(match) != Read32(ip));

                // Extend backwards over bytes that also match.
                while (ip > anchor && match > src && ip[-1] == match[-1])
                {
                    ip--;
                    match--;
                }

                // Literals since the last sequence.
                var literalLength = (int)(ip - anchor);
                var token = op++;
                // token + length bytes + literals + offset; the match length bytes are checked below.
                if (oend - op < LengthBytes(literalLength) + literalLength + 2) return 0;
                if (literalLength >= 15)
                {
                    *token = 15 << 4;
                    var rest = literalLength - 15;
                    for (; rest >= 255; rest -= 255) *op++ = 255;
                    *op++ = (byte)rest;
                }
                else
                {
                    *token = (byte)(literalLength << 4);
                }
                CopyLiterals(op, anchor, literalLength, oend, end);
                op += literalLength;

                while (true)
                {
                    // Offset (little-endian), then the match length beyond the 4-byte minimum.
                    var offset = (int)(ip - match);
                    op[0] = (byte)offset;
                    op[1] = (byte)(offset >> 8);
                    op += 2;
                    ip += MinMatch;
                    var matchLength = CountMatching(ip, match + MinMatch, matchEndLimit);
                    ip += matchLength;
                    if (oend - op < LengthBytes(matchLength)) return 0;
                    if (matchLength >= 15)
                    {
                        *token += 15;
                        var rest = matchLength - 15;
                        for (; rest >= 255; rest -= 255) *op++ = 255;
                        *op++ = (byte)rest;
                    }
                    else
                    {
                        *token += (byte)matchLength;
                    }
                    anchor = ip;
                    if (ip > matchStartLimit) goto LastRun;

                    // Fill in a position inside the match, then try a match right here (no literals).
                    table[Hash(ip - 2, shift)] = (int)(ip - 2 - src);
                    var hash = Hash(ip, shift);
                    match = src + table[hash];
                    table[hash] = (int)(ip - src);
                    if (ip - match > MaxOffset || Read32(match) != Read32(ip)) break;
                    if (oend - op < 1 + 2) return 0;
                    token = op++;
                    *token = 0;
                }

                ip++;
                forwardHash = Hash(ip, shift);
            }
        }

    LastRun:
        {
            var literalLength = (int)(end - anchor);
            if (oend - op < 1 + LengthBytes(literalLength) + literalLength) return 0;
            var token = op++;
            if (literalLength >= 15)
            {
                *token = 15 << 4;
                var rest = literalLength - 15;
                for (; rest >= 255; rest -= 255) *op++ = 255;
                *op++ = (byte)rest;
            }
            else
            {
                *token = (byte)(literalLength << 4);
            }
            Unsafe.CopyBlockUnaligned(op, anchor, (uint)literalLength);
            op += literalLength;
        }
        return (int)(op - dst);
    }

    // Bytes after the token for a length whose nibble is 15: 255s, then the remainder.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int LengthBytes(int length) => length < 15 ? 0 : ((length - 15) / 255) + 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyLiterals(byte* op, byte* from, int length, byte* oend, byte* end)
    {
        // Short runs (the common case) as two 8-byte moves when both buffers have the slack.
        if (length <= 16 && oend - op >= 16 && end - from >= 16)
        {
            Unsafe.WriteUnaligned(op, Read64(from));
            Unsafe.WriteUnaligned(op + 8, Read64(from + 8));
        }
        else
        {
            Unsafe.CopyBlockUnaligned(op, from, (uint)length);
        }
    }

    /// <summary>How many bytes from <paramref name="p"/> equal those from <paramref name="m"/>, stopping at <paramref name="limit"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int CountMatching(byte* p, byte* m, byte* limit)
    {
        var start = p;
        while (p <= limit - 8)
        {
            var diff = Read64(p) ^ Read64(m);
            if (diff != 0)
            {
                var equalBytes = BitConverter.IsLittleEndian ? BitOperations.TrailingZeroCount(diff) >> 3 : BitOperations.LeadingZeroCount(diff) >> 3;
                return (int)(p - start) + equalBytes;
            }
            p += 8;
            m += 8;
        }
        if (p <= limit - 4 && Read32(p) == Read32(m))
        {
            p += 4;
            m += 4;
        }
        if (p <= limit - 2 && Unsafe.ReadUnaligned<ushort>(p) == Unsafe.ReadUnaligned<ushort>(m))
        {
            p += 2;
            m += 2;
        }
        if (p < limit && *p == *m) p++;
        return (int)(p - start);
    }

    /// <summary>The largest compressed size of a block of <paramref name="length"/> bytes (all literals).</summary>
    public static int MaxCompressedLength(int length) => length + (length / 255) + 16;
}
