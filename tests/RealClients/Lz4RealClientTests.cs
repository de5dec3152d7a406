using System.Text;
using Gateway.Protocol.Compression;
using Gateway.Tests.Unit.Compression;

namespace Gateway.Tests.RealClients;

/// <summary>
/// Our LZ4 frames against lz4-napi (installed in tests/clients with @databricks/sql, which decodes
/// lz4Compressed Arrow batches with its decompressFrameSync), in both directions.
/// </summary>
public class Lz4RealClientTests
{
    private sealed record Sample(string Name, byte[] Data, Lz4FrameOptions Options, Func<byte[], byte[]>? Corrupt = null);

    private static IEnumerable<Sample> Samples()
    {
        var arrow = Lz4TestData.ArrowLike(20_000);
        yield return new("empty", [], Lz4FrameOptions.Default);
        yield return new("one-byte", [0x5A], Lz4FrameOptions.Default);
        // Flipping the header checksum byte must make the real decoder refuse the frame.
        yield return new("text", Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("SELECT * FROM sales WHERE amount > 12.34; ", 400))),
            Lz4FrameOptions.Default, frame => Flip(frame, 14));
        yield return new("random", Lz4TestData.Random(100_000, 21), Lz4FrameOptions.Default);
        yield return new("zeros", new byte[1 << 20], Lz4FrameOptions.Default);
        yield return new("overlapping", Lz4TestData.Repeating(50_000, "abcdefg"), Lz4FrameOptions.Default);
        // Flipping the last byte (of the content checksum) must too: so its acceptance elsewhere means
        // lz4-napi computed the same xxHash32 as we did.
        yield return new("arrow", arrow, Lz4FrameOptions.Default, frame => Flip(frame, frame.Length - 1));
        yield return new("arrow-unsized", arrow, new Lz4FrameOptions { ContentSize = false });
        yield return new("arrow-bare", arrow, new Lz4FrameOptions { ContentSize = false, ContentChecksum = false });
        yield return new("block-64k", arrow[..65536], Lz4FrameOptions.Default);
        yield return new("block-64k-plus-1", arrow[..65537], Lz4FrameOptions.Default);
        var large = new byte[(9 << 20) + 7]; // three 4 MiB blocks, the last one short
        for (var i = 0; i < large.Length; i += arrow.Length) arrow.AsSpan(0, Math.Min(arrow.Length, large.Length - i)).CopyTo(large.AsSpan(i));
        yield return new("multi-block", large, Lz4FrameOptions.Default);
    }

    private static byte[] Flip(byte[] frame, int index)
    {
        var copy = (byte[])frame.Clone();
        copy[index] ^= 0x01;
        return copy;
    }

    [Fact]
    public async Task Lz4NapiDecodesOurFramesAndWeDecodeTheirs()
    {
        var samples = Samples().ToList();
        var dir = Directory.CreateTempSubdirectory("lz4-check-");
        try
        {
            foreach (var s in samples)
            {
                var frame = Lz4Frame.Compress(s.Data, s.Options);
                await File.WriteAllBytesAsync(Path.Combine(dir.FullName, s.Name + ".bin"), s.Data);
                await File.WriteAllBytesAsync(Path.Combine(dir.FullName, s.Name + ".lz4"), frame);
                if (s.Corrupt is { } corrupt)
                {
                    var bad = corrupt(frame);
                    Assert.Throws<InvalidDataException>(() => Lz4Frame.Decompress(bad, s.Data.Length));
                    await File.WriteAllBytesAsync(Path.Combine(dir.FullName, s.Name + ".corrupt.lz4"), bad);
                }
            }

            var report = await NodeClientsRealClientTests.RunNodeAsync("lz4-check.js", dir.FullName);

            Assert.False(string.IsNullOrEmpty(report.GetProperty("lz4Napi").GetString()));
            var results = report.GetProperty("results").EnumerateArray().ToDictionary(r => r.GetProperty("name").GetString()!);
            Assert.Equal(samples.Count, results.Count);
            foreach (var s in samples)
            {
                var r = results[s.Name];
                Assert.False(r.TryGetProperty("error", out var error), $"{s.Name}: lz4-napi failed: {error}");
                Assert.Equal(s.Data.Length, r.GetProperty("decodedLength").GetInt32());
                Assert.True(r.GetProperty("equal").GetBoolean(), $"{s.Name}: lz4-napi decoded different bytes");
                if (s.Corrupt is not null) Assert.True(r.GetProperty("corruptRejected").GetBoolean(), $"{s.Name}: lz4-napi accepted a corrupted frame");

                // The reverse direction: frames lz4-napi made, with and without its checksums.
                var theirs = await File.ReadAllBytesAsync(Path.Combine(dir.FullName, s.Name + ".napi.lz4"));
                Assert.Equal(s.Data, Lz4Frame.Decompress(theirs, s.Data.Length));
                var checksummed = await File.ReadAllBytesAsync(Path.Combine(dir.FullName, s.Name + ".napi-checksums.lz4"));
                Assert.Equal(0x10 | 0x04, checksummed[4] & (0x10 | 0x04)); // block and content checksums present
                Assert.Equal(s.Data, Lz4Frame.Decompress(checksummed, s.Data.Length));
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
