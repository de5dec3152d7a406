using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Gateway.Server.Configuration;

namespace Gateway.Server.Auth;

/// <summary>
/// The HTTP session cookie (<c>hive.server2.auth</c>, HiveServer2's name): the user and an expiry,
/// signed with HMAC-SHA256. A valid cookie replaces the credential check; anything else about it
/// (tampered, expired, signed by another key) makes it count as absent.
/// Value: <c>base64url("1\n" + expiryUnixSeconds + "\n" + user) + "." + base64url(hmac)</c>.
/// </summary>
public sealed class AuthCookie
{
    public const string Name = "hive.server2.auth";
    private const int MaxValueLength = 4096;

    private readonly byte[] _key;
    private readonly TimeProvider _time;

    public AuthCookie(byte[] key, TimeSpan lifetime, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length < GatewayOptionsValidator.MinHmacKeyBytes) throw new ArgumentException("The cookie key must be at least 32 bytes.", nameof(key));
        _key = key;
        Lifetime = lifetime;
        _time = time;
    }

    public static AuthCookie Create(AuthCookieOptions options, TimeProvider time) =>
        new(options.Key is { } k ? GatewayOptionsValidator.DecodeBase64(k)! : RandomNumberGenerator.GetBytes(32), options.Lifetime, time);

    public TimeSpan Lifetime { get; }

    /// <summary>A cookie value for <paramref name="user"/>, valid for the lifetime but never past <paramref name="notAfter"/>.</summary>
    public (string Value, DateTimeOffset Expires, TimeSpan MaxAge) Issue(string user, DateTimeOffset? notAfter = null)
    {
        var now = _time.GetUtcNow();
        var expires = now + Lifetime;
        if (notAfter is { } limit && limit < expires) expires = limit;
        var seconds = expires.ToUnixTimeSeconds();
        var payload = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"1\n{seconds}\n{user}"));
        var mac = HMACSHA256.HashData(_key, payload);
        var maxAge = TimeSpan.FromSeconds(Math.Max(0, seconds - now.ToUnixTimeSeconds()));
        return (Base64Url.EncodeToString(payload) + "." + Base64Url.EncodeToString(mac), DateTimeOffset.FromUnixTimeSeconds(seconds), maxAge);
    }

    /// <summary>The user of a valid, unexpired cookie; null otherwise.</summary>
    public string? Validate(ReadOnlySpan<char> value)
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

        var text = Encoding.UTF8.GetString(payload);
        var first = text.IndexOf('\n', StringComparison.Ordinal);
        var second = first < 0 ? -1 : text.IndexOf('\n', first + 1);
        if (second < 0 || !text.AsSpan(0, first).SequenceEqual("1")) return null;
        if (!long.TryParse(text.AsSpan(first + 1, second - first - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var expiry)) return null;
        if (_time.GetUtcNow().ToUnixTimeSeconds() >= expiry) return null;
        var user = text[(second + 1)..];
        return user.Length == 0 ? null : user;
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
