using System.Collections.Immutable;
using System.Text.Json;
using Gateway.Protocol.Columnar;

namespace Gateway.Engines.Trino;

/// <summary>A result column as Trino describes it: its name, its type's text and the type the gateway reads it as.</summary>
public sealed record TrinoColumn(string Name, string TypeText, SqlType Type);

/// <summary>A failed query's <c>error</c> (Trino's QueryError).</summary>
public sealed record TrinoError(string Message, string? ErrorName, int ErrorCode, string? ErrorType, string? SqlState, int? Line, int? Column);

/// <summary>
/// One <c>QueryResults</c> document (what <c>POST /v1/statement</c> and each <c>nextUri</c> answer): the query's id and
/// links, its columns once known, this page's rows, its state and progress, and its error or update count at the end.
/// The rows are read into a batch at once (typed, <see cref="TrinoValues"/>), so the page's bytes are not kept.
/// </summary>
public sealed class TrinoPage : IDisposable
{
    public string? Id { get; private init; }
    public Uri? NextUri { get; private init; }
    public string? InfoUri { get; private init; }
    public IReadOnlyList<TrinoColumn>? Columns { get; private init; }

    /// <summary>This page's rows (null when it has none); the page owns it until <see cref="TakeRows"/>.</summary>
    public ColumnBatch? Rows { get; private set; }

    public TrinoError? Error { get; private init; }
    public string? State { get; private init; }
    public double? ProgressPercentage { get; private init; }
    public string? UpdateType { get; private init; }

    /// <summary>With the spooling protocol: the segments' encoding (<c>json</c>, <c>json+zstd</c>, <c>json+lz4</c>) and the segments, in row order.</summary>
    public string? Encoding { get; private init; }

    public IReadOnlyList<TrinoSegment>? Segments { get; private init; }
    public long? UpdateCount { get; private init; }

    /// <summary>Hands the rows to the caller, who disposes them.</summary>
    public ColumnBatch? TakeRows()
    {
        var rows = Rows;
        Rows = null;
        return rows;
    }

    public void Dispose() => Rows?.Dispose();

    /// <summary>
    /// Reads a QueryResults document. <paramref name="known"/> are the columns an earlier page gave (a page with rows
    /// and no columns uses them); <paramref name="baseUri"/> resolves relative links.
    /// </summary>
    public static TrinoPage Parse(ReadOnlySpan<byte> json, IReadOnlyList<TrinoColumn>? known, Uri baseUri)
    {
        ArgumentNullException.ThrowIfNull(baseUri);
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 256 });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) throw Bad("the answer is not a JSON object");
        string? id = null, info = null, state = null, updateType = null;
        Uri? next = null;
        IReadOnlyList<TrinoColumn>? columns = null;
        TrinoError? error = null;
        double? progress = null;
        long? updateCount = null;
        int dataStart = -1, dataLength = 0;
        string? encoding = null;
        IReadOnlyList<TrinoSegment>? segments = null;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            if (reader.TokenType != JsonTokenType.PropertyName) throw Bad("a member has no name");
            var name = reader.GetString();
            reader.Read();
            switch (name)
            {
                case "id":
                    id = reader.GetString();
                    break;
                case "infoUri":
                    info = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                    break;
                case "nextUri":
                    next = reader.TokenType == JsonTokenType.String ? Resolve(baseUri, reader.GetString()!) : null;
                    break;
                case "columns" when reader.TokenType == JsonTokenType.StartArray && known is not null:
                    // Every page repeats them; the first page's stand for the query.
                    reader.Skip();
                    break;
                case "columns" when reader.TokenType == JsonTokenType.StartArray:
                    {
                        using var doc = JsonDocument.ParseValue(ref reader);
                        columns = [.. doc.RootElement.EnumerateArray().Select(ColumnOf)];
                        break;
                    }
                case "data" when reader.TokenType == JsonTokenType.StartArray:
                    dataStart = (int)reader.TokenStartIndex;
                    reader.Skip();
                    dataLength = (int)reader.BytesConsumed - dataStart;
                    break;
                case "data" when reader.TokenType == JsonTokenType.StartObject:
                    {
                        // The spooling protocol: {"encoding": ..., "segments": [...]}.
                        using var doc = JsonDocument.ParseValue(ref reader);
                        var root = doc.RootElement;
                        encoding = root.TryGetProperty("encoding", out var enc) ? enc.GetString() : null;
                        segments = root.TryGetProperty("segments", out var segs) && segs.ValueKind == JsonValueKind.Array ? [.. segs.EnumerateArray().Select(TrinoSegment.Parse)] : [];
                        if (encoding is null) throw Bad("spooled rows without their encoding");
                        break;
                    }
                case "stats" when reader.TokenType == JsonTokenType.StartObject:
                    {
                        using var doc = JsonDocument.ParseValue(ref reader);
                        var stats = doc.RootElement;
                        state = stats.TryGetProperty("state", out var s) ? s.GetString() : null;
                        progress = stats.TryGetProperty("progressPercentage", out var p) && p.ValueKind == JsonValueKind.Number ? p.GetDouble() : null;
                        break;
                    }
                case "error" when reader.TokenType == JsonTokenType.StartObject:
                    {
                        using var doc = JsonDocument.ParseValue(ref reader);
                        error = ErrorOf(doc.RootElement);
                        break;
                    }
                case "updateType":
                    updateType = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                    break;
                case "updateCount":
                    updateCount = reader.TokenType == JsonTokenType.Number ? reader.GetInt64() : null;
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }
        var effective = columns ?? known;
        ColumnBatch? rows = null;
        if (dataStart >= 0)
        {
            if (effective is null) throw Bad("rows came before their columns");
            rows = TrinoValues.ReadRows(json.Slice(dataStart, dataLength), SchemaOf(effective));
            if (rows.RowCount == 0)
            {
                rows.Dispose();
                rows = null;
            }
        }
        return new TrinoPage
        {
            Id = id,
            InfoUri = info,
            NextUri = next,
            Columns = columns,
            Rows = rows,
            Error = error,
            State = state,
            ProgressPercentage = progress,
            UpdateType = updateType,
            UpdateCount = updateCount,
            Encoding = encoding,
            Segments = segments,
        };
    }

    public static ResultSchema SchemaOf(IReadOnlyList<TrinoColumn> columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        return new ResultSchema([.. columns.Select(c => new ColumnInfo(c.Name, c.Type))]);
    }

    private static TrinoColumn ColumnOf(JsonElement c)
    {
        var name = c.TryGetProperty("name", out var n) ? n.GetString() ?? "" : "";
        var text = c.TryGetProperty("type", out var t) ? t.GetString() ?? "varchar" : "varchar";
        SqlType type;
        try
        {
            type = c.TryGetProperty("typeSignature", out var sig) && sig.ValueKind == JsonValueKind.Object ? TrinoTypes.FromSignature(sig) : TrinoTypes.Parse(text);
        }
        catch (Exception ex) when (ex is FormatException or KeyNotFoundException or InvalidOperationException)
        {
            throw Bad($"the type of column '{name}' ({text}) cannot be read: {ex.Message}");
        }
        return new TrinoColumn(name, text, type);
    }

    private static TrinoError ErrorOf(JsonElement e)
    {
        static string? Str(JsonElement o, string p) => o.TryGetProperty(p, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        int? line = null, column = null;
        if (e.TryGetProperty("errorLocation", out var loc) && loc.ValueKind == JsonValueKind.Object)
        {
            line = loc.TryGetProperty("lineNumber", out var l) && l.ValueKind == JsonValueKind.Number ? l.GetInt32() : null;
            column = loc.TryGetProperty("columnNumber", out var c) && c.ValueKind == JsonValueKind.Number ? c.GetInt32() : null;
        }
        return new TrinoError(
            Str(e, "message") ?? "Trino reported an error without a message.",
            Str(e, "errorName"),
            e.TryGetProperty("errorCode", out var code) && code.ValueKind == JsonValueKind.Number ? code.GetInt32() : 0,
            Str(e, "errorType"),
            Str(e, "sqlState"),
            line,
            column);
    }

    /// <summary>A link of the coordinator's, which must stay on the coordinator: another host would receive the gateway's credentials.</summary>
    private static Uri Resolve(Uri baseUri, string link)
    {
        var uri = new Uri(baseUri, link);
        if (!uri.Scheme.Equals(baseUri.Scheme, StringComparison.OrdinalIgnoreCase) || !uri.Host.Equals(baseUri.Host, StringComparison.OrdinalIgnoreCase) || uri.Port != baseUri.Port)
        {
            throw Bad($"nextUri points to {uri.GetLeftPart(UriPartial.Authority)}, not to the coordinator the statement was sent to");
        }
        return uri;
    }

    private static EngineException Bad(string what) => new($"Trino's answer is not in the documented format: {what}.", "08S01");
}
