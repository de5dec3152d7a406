using System.Buffers.Binary;
using System.Text;

namespace Gateway.Tests.Unit.Compression;

/// <summary>Deterministic inputs for the LZ4 tests (unit and real-decoder).</summary>
internal static class Lz4TestData
{
    public static byte[] Random(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    public static byte[] Repeating(int length, string pattern)
    {
        var unit = Encoding.ASCII.GetBytes(pattern);
        var data = new byte[length];
        for (var i = 0; i < length; i++) data[i] = unit[i % unit.Length];
        return data;
    }

    /// <summary>
    /// Buffers shaped like an Arrow record batch body: validity bitmap, int64 ids, float64 values,
    /// int32 offsets and UTF-8 labels, 16-byte decimals, int64 timestamps, each padded to 8 bytes.
    /// </summary>
    public static byte[] ArrowLike(int rows, int seed = 7)
    {
        var random = new Random(seed);
        using var body = new MemoryStream();
        void Pad()
        {
            while (body.Length % 8 != 0) body.WriteByte(0);
        }
        Span<byte> word = stackalloc byte[16];

        var validity = new byte[(rows + 7) / 8];
        for (var i = 0; i < rows; i++)
        {
            if (i % 7 != 3) validity[i >> 3] |= (byte)(1 << (i & 7));
        }
        body.Write(validity);
        Pad();
        for (var i = 0; i < rows; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(word, 1_000_000 + i);
            body.Write(word[..8]);
        }
        for (var i = 0; i < rows; i++)
        {
            BinaryPrimitives.WriteDoubleLittleEndian(word, Math.Round(random.NextDouble() * 10_000, 2));
            body.Write(word[..8]);
        }
        var labels = new StringBuilder();
        var offset = 0;
        for (var i = 0; i <= rows; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(word, offset);
            body.Write(word[..4]);
            if (i == rows) break;
            var label = i % 5 == 0 ? "" : $"customer-{random.Next(0, 5000):D6}";
            labels.Append(label);
            offset += label.Length;
        }
        Pad();
        body.Write(Encoding.UTF8.GetBytes(labels.ToString()));
        Pad();
        for (var i = 0; i < rows; i++)
        {
            word.Clear();
            BinaryPrimitives.WriteInt64LittleEndian(word, random.Next(0, 100_000_00));
            body.Write(word);
        }
        var start = new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc).Ticks / 10;
        for (var i = 0; i < rows; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(word, start + (i * 1_000_000L) + random.Next(0, 1000));
            body.Write(word[..8]);
        }
        return body.ToArray();
    }
}
