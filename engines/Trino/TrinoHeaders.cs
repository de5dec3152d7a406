using System.Net.Http.Headers;

namespace Gateway.Engines.Trino;

/// <summary>The client protocol's headers (Trino's "client request headers" and the response headers that change session state).</summary>
public static class TrinoHeaders
{
    public const string User = "X-Trino-User";
    public const string Source = "X-Trino-Source";
    public const string Catalog = "X-Trino-Catalog";
    public const string Schema = "X-Trino-Schema";
    public const string Path = "X-Trino-Path";
    public const string TimeZone = "X-Trino-Time-Zone";
    public const string Session = "X-Trino-Session";
    public const string Role = "X-Trino-Role";
    public const string PreparedStatement = "X-Trino-Prepared-Statement";
    public const string TransactionId = "X-Trino-Transaction-Id";
    public const string ClientInfo = "X-Trino-Client-Info";
    public const string ClientTags = "X-Trino-Client-Tags";
    public const string ClientCapabilities = "X-Trino-Client-Capabilities";
    public const string QueryDataEncoding = "X-Trino-Query-Data-Encoding";

    public const string SetCatalog = "X-Trino-Set-Catalog";
    public const string SetSchema = "X-Trino-Set-Schema";
    public const string SetPath = "X-Trino-Set-Path";
    public const string SetSession = "X-Trino-Set-Session";
    public const string ClearSession = "X-Trino-Clear-Session";
    public const string SetRole = "X-Trino-Set-Role";
    public const string AddedPrepare = "X-Trino-Added-Prepare";
    public const string DeallocatedPrepare = "X-Trino-Deallocated-Prepare";
    public const string StartedTransactionId = "X-Trino-Started-Transaction-Id";
    public const string ClearTransactionId = "X-Trino-Clear-Transaction-Id";

    /// <summary>A session property or prepared statement name as a header carries it: no separators, no spaces, no controls.</summary>
    public static bool IsToken(string name) =>
        name.Length > 0 && name.All(c => c > ' ' && c < 127 && c is not ('=' or ',' or ';' or '"'));

    /// <summary>The values of a response header, each comma-separated item once (HttpClient may fold repeated headers).</summary>
    internal static IEnumerable<string> Values(HttpResponseHeaders headers, string name) =>
        headers.TryGetValues(name, out var values) ? values.SelectMany(v => v.Split(',')).Select(v => v.Trim()).Where(v => v.Length > 0) : [];
}

/// <summary>
/// What one engine session carries from statement to statement: the catalog, schema, path, session properties, prepared
/// statements, role and transaction, as the coordinator's response headers change them (Trino keeps no session: the
/// client sends the whole state with each query).
/// </summary>
internal sealed class TrinoSessionState
{
    public TrinoSessionState(TrinoEngineOptions options, string user)
    {
        User = user;
        Catalog = options.Catalog;
        Schema = options.Schema;
        TimeZone = options.TimeZone;
        foreach (var (k, v) in options.SessionProperties ?? new Dictionary<string, string>()) Properties[k] = v;
    }

    public string User { get; }
    public string? Catalog { get; set; }
    public string? Schema { get; set; }
    public string? Path { get; set; }
    public string? TimeZone { get; set; }
    public string? Role { get; set; }
    public string? TransactionId { get; set; }
    public Dictionary<string, string> Properties { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, string> Prepared { get; } = new(StringComparer.Ordinal);

    /// <summary>The headers of a statement's first request.</summary>
    public void AddTo(HttpRequestHeaders headers, TrinoEngineOptions options)
    {
        headers.TryAddWithoutValidation(TrinoHeaders.User, User);
        headers.TryAddWithoutValidation(TrinoHeaders.Source, options.Source);
        // Timestamps and times of any precision (else Trino rounds them to milliseconds for a "legacy" client).
        headers.TryAddWithoutValidation(TrinoHeaders.ClientCapabilities, "PARAMETRIC_DATETIME");
        if (Catalog is not null) headers.TryAddWithoutValidation(TrinoHeaders.Catalog, Catalog);
        if (Schema is not null) headers.TryAddWithoutValidation(TrinoHeaders.Schema, Schema);
        if (Path is not null) headers.TryAddWithoutValidation(TrinoHeaders.Path, Path);
        if (TimeZone is not null) headers.TryAddWithoutValidation(TrinoHeaders.TimeZone, TimeZone);
        if (Role is not null) headers.TryAddWithoutValidation(TrinoHeaders.Role, Role);
        if (options.ClientTags.Count > 0) headers.TryAddWithoutValidation(TrinoHeaders.ClientTags, string.Join(',', options.ClientTags));
        // Always sent ("NONE" outside a transaction): it tells the coordinator this client carries transaction ids.
        headers.TryAddWithoutValidation(TrinoHeaders.TransactionId, TransactionId ?? "NONE");
        if (options.QueryDataEncodings.Count > 0) headers.TryAddWithoutValidation(TrinoHeaders.QueryDataEncoding, string.Join(',', options.QueryDataEncodings));
        foreach (var (k, v) in Properties) headers.TryAddWithoutValidation(TrinoHeaders.Session, k + "=" + Uri.EscapeDataString(v));
        foreach (var (k, v) in Prepared) headers.TryAddWithoutValidation(TrinoHeaders.PreparedStatement, k + "=" + Uri.EscapeDataString(v));
    }

    /// <summary>Applies what a response says changed (any response of a statement may carry these).</summary>
    public void Update(HttpResponseHeaders headers)
    {
        if (headers.TryGetValues(TrinoHeaders.SetCatalog, out var catalog)) Catalog = catalog.First();
        if (headers.TryGetValues(TrinoHeaders.SetSchema, out var schema)) Schema = schema.First();
        if (headers.TryGetValues(TrinoHeaders.SetPath, out var path)) Path = path.First();
        if (headers.TryGetValues(TrinoHeaders.SetRole, out var role)) Role = role.First();
        foreach (var item in TrinoHeaders.Values(headers, TrinoHeaders.SetSession))
        {
            var eq = item.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0) Properties[item[..eq]] = System.Net.WebUtility.UrlDecode(item[(eq + 1)..]);
        }
        foreach (var name in TrinoHeaders.Values(headers, TrinoHeaders.ClearSession)) Properties.Remove(name);
        foreach (var item in TrinoHeaders.Values(headers, TrinoHeaders.AddedPrepare))
        {
            var eq = item.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0) Prepared[item[..eq]] = System.Net.WebUtility.UrlDecode(item[(eq + 1)..]);
        }
        foreach (var name in TrinoHeaders.Values(headers, TrinoHeaders.DeallocatedPrepare)) Prepared.Remove(name);
        if (headers.TryGetValues(TrinoHeaders.StartedTransactionId, out var started)) TransactionId = started.First();
        if (headers.Contains(TrinoHeaders.ClearTransactionId)) TransactionId = null;
    }
}
