using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Gateway.Tests.InProcess;

/// <summary>
/// One statement through a Trino protocol listener at the HTTP level, as a Trino client runs it: POST, then every
/// nextUri to the end; the rows as text, the final error, and the headers of the last page.
/// </summary>
internal static class TrinoHttp
{
    public sealed record Answer(List<string?[]> Rows, JsonElement? Error, Dictionary<string, string[]> Headers)
    {
        public string? ErrorName => Error?.GetProperty("errorName").GetString();

        public string? ErrorMessage => Error?.GetProperty("message").GetString();
    }

    /// <param name="password">With a password, Basic credentials; without, the user goes in X-Trino-User.</param>
    public static async Task<Answer> RunAsync(Uri server, string user, string sql, string? password = null, params (string Name, string Value)[] headers)
    {
        using var http = new HttpClient();
        void Identify(HttpRequestMessage request)
        {
            if (password is null) request.Headers.Add("X-Trino-User", user);
            else request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        }
        using var post = new HttpRequestMessage(HttpMethod.Post, new Uri(server, "/v1/statement")) { Content = new StringContent(sql, Encoding.UTF8, "text/plain") };
        Identify(post);
        foreach (var (name, value) in headers) post.Headers.TryAddWithoutValidation(name, value);
        var page = JsonDocument.Parse(await (await http.SendAsync(post)).Content.ReadAsStringAsync()).RootElement.Clone();
        var rows = new List<string?[]>();
        var last = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase);
        while (page.TryGetProperty("nextUri", out var next))
        {
            using var get = new HttpRequestMessage(HttpMethod.Get, next.GetString());
            Identify(get);
            using var response = await http.SendAsync(get);
            page = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
            last = response.Headers.ToDictionary(h => h.Key, h => h.Value.ToArray(), StringComparer.OrdinalIgnoreCase);
            if (page.TryGetProperty("data", out var data))
            {
                rows.AddRange(data.EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.Null ? null : v.ToString()).ToArray()));
            }
        }
        return new(rows, page.TryGetProperty("error", out var error) ? error : null, last);
    }
}
