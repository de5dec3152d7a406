using System.Text.Json;
using K4os.Compression.LZ4;

namespace Gateway.Engines.Trino;

/// <summary>
/// One segment of a spooled result (Trino 466+, asked for with <c>X-Trino-Query-Data-Encoding</c>): inline (its bytes,
/// base64, in the page) or spooled (a URI on the spooling storage, fetched with the segment's own headers and never
/// the coordinator's credentials, then acknowledged at its <c>ackUri</c>). Its metadata says where its rows start
/// (<c>rowOffset</c>), how many there are, and for compressed encodings how large it is uncompressed.
/// </summary>
public sealed record TrinoSegment(string Type, byte[]? Data, Uri? Uri, Uri? AckUri, IReadOnlyDictionary<string, IReadOnlyList<string>> Headers,
    long? RowOffset, long? RowsCount, long? UncompressedSize)
{
    internal static TrinoSegment Parse(JsonElement e)
    {
        var type = e.TryGetProperty("type", out var t) ? t.GetString() ?? "" : "";
        var metadata = e.TryGetProperty("metadata", out var m) && m.ValueKind == JsonValueKind.Object ? m : default;
        long? Number(string name) => metadata.ValueKind == JsonValueKind.Object && metadata.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64() : null;
        var headers = new Dictionary<string, IReadOnlyList<string>>(StringComparer.OrdinalIgnoreCase);
        if (e.TryGetProperty("headers", out var h) && h.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in h.EnumerateObject())
            {
                headers[p.Name] = p.Value.ValueKind == JsonValueKind.Array ? [.. p.Value.EnumerateArray().Select(x => x.GetString() ?? "")] : [p.Value.GetString() ?? ""];
            }
        }
        Uri? Link(string name) => e.TryGetProperty(name, out var u) && u.ValueKind == JsonValueKind.String && Uri.TryCreate(u.GetString(), UriKind.Absolute, out var uri) ? uri : null;
        byte[]? data = null;
        if (type == "inline")
        {
            try
            {
                data = Convert.FromBase64String(e.GetProperty("data").GetString() ?? "");
            }
            catch (FormatException)
            {
                throw new EngineException("Trino's answer is not in the documented format: an inline segment is not base64.", "08S01");
            }
        }
        return new TrinoSegment(type, data, Link("uri"), Link("ackUri"), headers, Number("rowOffset"), Number("rowsCount"), Number("uncompressedSize"));
    }

    /// <summary>The segment's rows as the JSON array of the <c>json</c> encoding, from <paramref name="bytes"/> in <paramref name="encoding"/>.</summary>
    internal ReadOnlyMemory<byte> Decode(ReadOnlyMemory<byte> bytes, string encoding, int maxBytes)
    {
        switch (encoding)
        {
            case "json":
                return bytes;
            case "json+zstd":
                {
                    long size = UncompressedSize is > 0 and var declared ? declared : (long)ZstdSharp.Decompressor.GetDecompressedSize(bytes.Span);
                    if (size <= 0) size = maxBytes;
                    if (size > maxBytes) throw TooLarge(maxBytes);
                    using var decompressor = new ZstdSharp.Decompressor();
                    var output = new byte[size];
                    int written;
                    try
                    {
                        written = decompressor.Unwrap(bytes.Span, output);
                    }
                    catch (ZstdSharp.ZstdException ex)
                    {
                        throw new EngineException($"A json+zstd segment of Trino's result does not decompress: {ex.Message}", "08S01");
                    }
                    return output.AsMemory(0, written);
                }
            case "json+lz4":
                {
                    // Raw LZ4 blocks: the uncompressed size travels in the segment's metadata.
                    if (UncompressedSize is not { } size || size <= 0) throw new EngineException("A json+lz4 segment of Trino's result has no uncompressedSize.", "08S01");
                    if (size > maxBytes) throw TooLarge(maxBytes);
                    var output = new byte[size];
                    var written = LZ4Codec.Decode(bytes.Span, output);
                    if (written != size) throw new EngineException($"A json+lz4 segment of Trino's result decompressed to {written} bytes, not {size}.", "08S01");
                    return output;
                }
            default:
                throw new EngineException($"Trino answered in the encoding '{encoding}', which the gateway did not ask for.", "08S01");
        }
    }

    private static EngineException TooLarge(int max) => new($"A Trino result segment is larger than MaxPageBytes ({max}).", "54000");
}
