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
    private readonly (byte[] Digest, string User)[] _tokens;

    public StaticTokenAuthenticator(IReadOnlyList<StaticTokenOptions> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        _tokens = [.. tokens.Select(t => (t.Token is not null ? Digest(t.Token) : Convert.FromHexString(t.TokenSha256!), t.User!))];
    }

    public int Count => _tokens.Length;

    /// <summary>The user the token stands for, or null.</summary>
    public string? Find(string token)
    {
        var digest = Digest(token);
        string? user = null;
        foreach (var (candidate, owner) in _tokens)
        {
            if (CryptographicOperations.FixedTimeEquals(candidate, digest)) user ??= owner;
        }
        return user;
    }

    private static byte[] Digest(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));
}
