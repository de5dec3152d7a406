using System.Diagnostics.CodeAnalysis;

namespace Gateway.Server.Auth;

/// <summary>
/// Bounds on the groups one caller carries (<c>Gateway:Auth:MaxGroups</c>, <c>MaxGroupLength</c>), applied to every
/// source alike: password file, static token, JWT and cookie. A caller beyond them is refused rather than cut short:
/// the first group is the primary group that share level Group pools by (and opens remote sessions as), so silently
/// dropping one could change who the caller acts as.
/// </summary>
public sealed record GroupLimits(int MaxCount, int MaxLength)
{
    public const int DefaultMaxCount = 32;
    public const int DefaultMaxLength = 128;
    public const int Ceiling = 1024;

    public static GroupLimits Default { get; } = new(DefaultMaxCount, DefaultMaxLength);

    /// <summary>
    /// The groups trimmed, without empty entries and repeats (ordinal; the first occurrence keeps its place, so the
    /// primary group stays first), or why they are not acceptable: a control character, a name longer than
    /// <see cref="MaxLength"/>, more than <see cref="MaxCount"/> groups.
    /// </summary>
    public bool TryNormalize(IEnumerable<string?> groups, [NotNullWhen(true)] out IReadOnlyList<string>? normalized, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(groups);
        normalized = null;
        var result = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var raw in groups)
        {
            var group = raw?.Trim();
            if (string.IsNullOrEmpty(group)) continue;
            if (group.Any(char.IsControl))
            {
                error = $"group '{Shorten(group)}' contains a control character";
                return false;
            }
            if (group.Length > MaxLength)
            {
                error = $"group '{Shorten(group)}' is longer than {MaxLength} characters (Gateway:Auth:MaxGroupLength)";
                return false;
            }
            if (!seen.Add(group)) continue;
            if (result.Count == MaxCount)
            {
                error = $"more than {MaxCount} groups (Gateway:Auth:MaxGroups)";
                return false;
            }
            result.Add(group);
        }
        normalized = result;
        error = null;
        return true;
    }

    private static string Shorten(string group)
    {
        var printable = new string([.. group.Take(40).Select(c => char.IsControl(c) ? '?' : c)]);
        return group.Length > 40 ? printable + "..." : printable;
    }
}
