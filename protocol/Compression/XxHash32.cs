using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Gateway.Protocol.Compression;

/// <summary>
/// One-shot XXH32 (the checksum of the LZ4 frame format), written from the xxHash specification:
/// four lanes over 16-byte stripes, then 4-byte words, then single bytes, then the avalanche.
/// </summary>
internal static class XxHash32
{
    private const uint Prime1 = 0x9E3779B1;
    private const uint Prime2 = 0x85EBCA77;
    private const uint Prime3 = 0xC2B2AE3D;
    private const uint Prime4 = 0x27D4EB2F;
    private const uint Prime5 = 0x165667B1;

    public static uint Hash(ReadOnlySpan<byte> data, uint seed = 0)
    {
        ref var start = ref MemoryMarshal.GetReference(data);
        var length = data.Length;
        var offset = 0;
        uint acc;

        if (length >= 16)
        {
            var v1 = seed + Prime1 + Prime2;
            var v2 = seed + Prime2;
            var v3 = seed;
            var v4 = seed - Prime1;
            var stripesEnd = length - 16;
            while (offset <= stripesEnd)
            {
                v1 = Round(v1, ReadU32(ref start, offset));
                v2 = Round(v2, ReadU32(ref start, offset + 4));
                v3 = Round(v3, ReadU32(ref start, offset + 8));
                v4 = Round(v4, ReadU32(ref start, offset + 12));
                offset += 16;
            }
            acc = BitOperations.RotateLeft(v1, 1) + BitOperations.RotateLeft(v2, 7)
                + BitOperations.RotateLeft(v3, 12) + BitOperations.RotateLeft(v4, 18);
        }
        else
        {
            acc = seed + Prime5;
        }

        // The specification adds the length modulo 2^32.
        acc += (uint)length;

        while (length - offset >= 4)
        {
            acc += ReadU32(ref start, offset) * Prime3;
            acc = BitOperations.RotateLeft(acc, 17) * Prime4;
            offset += 4;
        }
        while (offset < length)
        {
            acc += Unsafe.Add(ref start, offset) * Prime5;
            acc = BitOperations.RotateLeft(acc, 11) * Prime1;
            offset++;
        }

        acc ^= acc >> 15;
        acc *= Prime2;
        acc ^= acc >> 13;
        acc *= Prime3;
        acc ^= acc >> 16;
        return acc;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Round(uint lane, uint input) => BitOperations.RotateLeft(lane + (input * Prime2), 13) * Prime1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint ReadU32(ref byte start, int offset)
    {
        var value = Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref start, offset));
        return BitConverter.IsLittleEndian ? value : System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(value);
    }
}
