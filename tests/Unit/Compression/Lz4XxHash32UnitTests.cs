using System.Text;
using Gateway.Protocol.Compression;

namespace Gateway.Tests.Unit.Compression;

public class Lz4XxHash32UnitTests
{
    private const uint Prime1 = 0x9E3779B1;

    // The sanity buffer of xxHash's reference self-test: byte i is the top byte of PRIME32_1^(2^i) mod 2^32.
    private static byte[] SanityBuffer(int length)
    {
        var data = new byte[length];
        var generator = Prime1;
        for (var i = 0; i < length; i++)
        {
            data[i] = (byte)(generator >> 24);
            generator *= generator;
        }
        return data;
    }

    [Theory]
    [InlineData(0, 0u, 0x02CC5D05u)]
    [InlineData(0, Prime1, 0x36B78AE7u)]
    [InlineData(1, 0u, 0xB85CBEE5u)]
    [InlineData(1, Prime1, 0xD5845D64u)]
    [InlineData(14, 0u, 0xE5AA0AB4u)]
    [InlineData(14, Prime1, 0x4481951Du)]
    [InlineData(101, 0u, 0x1F1AA412u)]
    [InlineData(101, Prime1, 0x498EC8E2u)]
    public void MatchesTheReferenceSelfTestVectors(int length, uint seed, uint expected) =>
        Assert.Equal(expected, System.IO.Hashing.XxHash32.HashToUInt32(SanityBuffer(length), unchecked((int)seed)));

    [Theory]
    [InlineData("a", 0x550D7456u)]
    [InlineData("abc", 0x32D153FFu)]
    [InlineData("abcd", 0xA3643705u)]
    [InlineData("abcdefgh", 0x0BB3C6BBu)]
    [InlineData("abcdefghijklmnop", 0x9D2D8B62u)]
    [InlineData("abcdefghijklmnopqrstuvwxyz0123456789", 0x42AE804Du)]
    [InlineData("Nobody inspects the spammish repetition", 0xE2293B2Fu)]
    public void MatchesKnownStringDigests(string text, uint expected) =>
        Assert.Equal(expected, System.IO.Hashing.XxHash32.HashToUInt32(Encoding.ASCII.GetBytes(text)));
}
