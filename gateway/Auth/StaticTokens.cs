using System.Security.Cryptography;
using System.Text;
using Gateway.Server.Configuration;

namespace Gateway.Server.Auth;

/// <summary>
/// Bearer tokens listed in the configuration. Only SHA-256 digests are kept; a presented token's digest
/// is compared with every configured digest in constant time and without an early exit, so timing
/// reveals neither whether a token matched nor which one.
/// </summary>
public sealed class StaticTokenAuthenticator
{
    private readonly (byte[] Digest, string User, IReadOnlyList<string> Groups)[] _tokens;

    /// <summary>The groups are checked against <paramref name="groupLimits"/> here, once (the options validator reports them at start).</summary>
    public StaticTokenAuthenticator(IReadOnlyList<StaticTokenOptions> tokens, GroupLimits? groupLimits = null)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var limits = groupLimits ?? GroupLimits.Default;
        _tokens = [.. tokens.Select(t => (t.Token is not null ? Digest(t.Token) : Convert.FromHexString(t.TokenSha256!), t.User!, Groups(t, limits)))];
    }

    public int Count => _tokens.Length;

    /// <summary>The user the token stands for and their groups, or null.</summary>
    public (string User, IReadOnlyList<string> Groups)? Find(string token)
    {
        var digest = Digest(token);
        (string, IReadOnlyList<string>)? match = null;
        foreach (var (candidate, owner, groups) in _tokens)
        {
            if (CryptographicOperations.FixedTimeEquals(candidate, digest)) match ??= (owner, groups);
        }
        return match;
    }

    private static IReadOnlyList<string> Groups(StaticTokenOptions token, GroupLimits limits) =>
        limits.TryNormalize(token.Groups ?? [], out var groups, out var error)
            ? groups
            : throw new ArgumentException($"The groups of the static token of '{token.User}' are not accepted: {error}.", nameof(token));

    private static byte[] Digest(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));
}
