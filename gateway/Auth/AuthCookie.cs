using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Gateway.Server.Configuration;

namespace Gateway.Server.Auth;

/// <summary>Who a valid cookie names.</summary>
public sealed record AuthCookieIdentity(string User, IReadOnlyList<string> Groups);

/// <summary>
/// The HTTP session cookie (<c>hive.server2.auth</c>, HiveServer2's name): the user, their groups and an expiry,
/// signed with HMAC-SHA256. A valid cookie replaces the credential check; anything else about it
/// (tampered, expired, signed by another key) makes it count as absent.
/// Value: <c>base64url(payload) + "." + base64url(hmac(payload))</c>, where the payload is
/// <c>"1\n" + expiryUnixSeconds + "\n" + user</c> for a caller without groups (the format before groups, so gateways
/// sharing a key across versions still understand each other), and
/// <c>"2\n" + expiryUnixSeconds + "\n" + groupCount + "\n" + group + "\n" ... + user</c> otherwise. Groups hold no
/// control characters (<see cref="GroupLimits"/>) and the user comes last, so any user name survives. The groups are
/// those of the credential the cookie was issued for: a change to them takes effect when the cookie expires.
/// </summary>
public sealed class AuthCookie
{
    public const string Name = "hive.server2.auth";

    /// <summary>Longest value accepted; a caller whose cookie would be longer gets none (their credentials are checked on each request).</summary>
    public const int MaxValueLength = 8192;

    private readonly byte[] _key;
    private readonly TimeProvider _time;
    private readonly GroupLimits _groupLimits;

    public AuthCookie(byte[] key, TimeSpan lifetime, TimeProvider time, GroupLimits? groupLimits = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length < ConfigurationRules.MinHmacKeyBytes) throw new ArgumentException("The cookie key must be at least 32 bytes.", nameof(key));
        _key = key;
        Lifetime = lifetime;
        _time = time;
        _groupLimits = groupLimits ?? GroupLimits.Default;
    }

    public static AuthCookie Create(AuthCookieOptions options, TimeProvider time, GroupLimits? groupLimits = null) =>
        new(options.Key is { } k ? ConfigurationRules.DecodeBase64(k)! : RandomNumberGenerator.GetBytes(32), options.Lifetime, time, groupLimits);

    public TimeSpan Lifetime { get; }

    /// <summary>
    /// A cookie value for <paramref name="user"/> and <paramref name="groups"/> (already within the group limits), valid
    /// for the lifetime but never past <paramref name="notAfter"/>.
    /// </summary>
    public (string Value, DateTimeOffset Expires, TimeSpan MaxAge) Issue(string user, DateTimeOffset? notAfter = null, IReadOnlyList<string>? groups = null)
    {
        ArgumentNullException.ThrowIfNull(user);
        var now = _time.GetUtcNow();
        var expires = now + Lifetime;
        if (notAfter is { } limit && limit < expires) expires = limit;
        var seconds = expires.ToUnixTimeSeconds();
        var text = new StringBuilder();
        if (groups is not { Count: > 0 })
        {
            text.Append(CultureInfo.InvariantCulture, $"1\n{seconds}\n");
        }
        else
        {
            text.Append(CultureInfo.InvariantCulture, $"2\n{seconds}\n{groups.Count}\n");
            foreach (var group in groups)
            {
                if (group.Length == 0 || group.Any(char.IsControl)) throw new ArgumentException("Group names in a cookie must be non-empty and hold no control characters.", nameof(groups));
                text.Append(group).Append('\n');
            }
        }
        var payload = Encoding.UTF8.GetBytes(text.Append(user).ToString());
        var mac = HMACSHA256.HashData(_key, payload);
        var maxAge = TimeSpan.FromSeconds(Math.Max(0, seconds - now.ToUnixTimeSeconds()));
        return (Base64Url.EncodeToString(payload) + "." + Base64Url.EncodeToString(mac), DateTimeOffset.FromUnixTimeSeconds(seconds), maxAge);
    }

    /// <summary>The user and groups of a valid, unexpired cookie; null otherwise.</summary>
    public AuthCookieIdentity? Validate(ReadOnlySpan<char> value)
    {
        if (value.IsEmpty || value.Length > MaxValueLength) return null;
        var dot = value.IndexOf('.');
        if (dot <= 0) return null;
        byte[] payload, mac;
        try
        {
            payload = Base64Url.DecodeFromChars(value[..dot]);
            mac = Base64Url.DecodeFromChars(value[(dot + 1)..]);
        }
        catch (FormatException)
        {
            return null;
        }
        if (!CryptographicOperations.FixedTimeEquals(HMACSHA256.HashData(_key, payload), mac)) return null;

        // Signed by us from here on; still parsed defensively (another gateway with the same key may differ in limits).
        var text = Encoding.UTF8.GetString(payload);
        var at = 0;
        if (!NextLine(text, ref at, out var version) || version is not ("1" or "2")) return null;
        if (!NextLine(text, ref at, out var expiryText)) return null;
        if (!long.TryParse(expiryText, NumberStyles.None, CultureInfo.InvariantCulture, out var expiry)) return null;
        if (_time.GetUtcNow().ToUnixTimeSeconds() >= expiry) return null;
        IReadOnlyList<string> groups = [];
        if (version == "2")
        {
            if (!NextLine(text, ref at, out var countText) || !int.TryParse(countText, NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count < 1) return null;
            if (count > _groupLimits.MaxCount) return null;
            var list = new List<string>(count);
            for (var i = 0; i < count; i++)
            {
                if (!NextLine(text, ref at, out var group)) return null;
                list.Add(group);
            }
            if (!_groupLimits.TryNormalize(list, out var normalized, out _) || normalized.Count != count) return null;
            groups = normalized;
        }
        var user = text[at..];
        return user.Length == 0 ? null : new AuthCookieIdentity(user, groups);
    }

    private static bool NextLine(string text, ref int at, out string line)
    {
        var end = text.IndexOf('\n', at);
        if (end < 0)
        {
            line = "";
            return false;
        }
        line = text[at..end];
        at = end + 1;
        return true;
    }

    /// <summary>
    /// Every <c>hive.server2.auth</c> value in the Cookie headers. Parsed leniently: hive-driver echoes
    /// whole Set-Cookie lines (with <c>Path=</c>, <c>HttpOnly</c>) back in its Cookie header.
    /// </summary>
    public static IEnumerable<string> FindValues(IEnumerable<string?> cookieHeaders)
    {
        foreach (var header in cookieHeaders)
        {
            if (string.IsNullOrEmpty(header)) continue;
            foreach (var part in header.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = part.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0 || !part.AsSpan(0, eq).Trim().SequenceEqual(Name)) continue;
                var value = part[(eq + 1)..].Trim().Trim('"');
                if (value.Length > 0) yield return value;
            }
        }
    }
}
