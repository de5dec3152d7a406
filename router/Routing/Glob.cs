namespace Gateway.Router.Routing;

/// <summary>Case-insensitive wildcards: <c>*</c> any run of characters, <c>?</c> one character.</summary>
public static class Glob
{
    /// <summary>
    /// A visibility pattern — <c>catalog</c> or <c>catalog.schema</c>, each part a glob — against a table's catalog and
    /// schema; a part that is not known (null) does not exclude.
    /// </summary>
    public static bool IsMatchCatalogSchema(string pattern, string? catalog, string? schema)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        var dot = pattern.IndexOf('.', StringComparison.Ordinal);
        var catalogGlob = dot < 0 ? pattern : pattern[..dot];
        var schemaGlob = dot < 0 ? "*" : pattern[(dot + 1)..];
        return (catalog is null || IsMatch(catalogGlob, catalog)) && (schema is null || IsMatch(schemaGlob, schema));
    }

    public static bool IsMatch(string pattern, string? text)
    {
        text ??= "";
        int p = 0, t = 0, star = -1, mark = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || char.ToLowerInvariant(pattern[p]) == char.ToLowerInvariant(text[t])))
            {
                p++;
                t++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                mark = t;
            }
            else if (star >= 0)
            {
                p = star + 1;
                t = ++mark;
            }
            else
            {
                return false;
            }
        }
        while (p < pattern.Length && pattern[p] == '*') p++;
        return p == pattern.Length;
    }

    /// <summary>
    /// A dotted pattern against a dotted name, aligned on the right (<c>events</c>, <c>raw.*</c> and <c>lake.raw.*</c>
    /// all match lake.raw.events). A name part that is unknown (null) matches only <c>*</c>.
    /// </summary>
    public static bool IsMatchRightAligned(string[] patternParts, IReadOnlyList<string?> nameParts)
    {
        for (var i = 1; i <= patternParts.Length; i++)
        {
            var part = nameParts.Count - i >= 0 ? nameParts[nameParts.Count - i] : null;
            var pattern = patternParts[^i];
            if (part is null ? pattern != "*" : !IsMatch(pattern, part)) return false;
        }
        return true;
    }
}
