using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Gateway.Server.Configuration;

namespace Gateway.Server.Auth;

public sealed record JwtValidationResult(bool Succeeded, string? User, DateTimeOffset? Expires, string? Error)
{
    /// <summary>The groups of <see cref="JwtOptions.GroupsClaim"/>, filtered by the prefix, within the group limits.</summary>
    public IReadOnlyList<string> Groups { get; init; } = [];

    public static JwtValidationResult Fail(string error) => new(false, null, null, error);
}

/// <summary>
/// Validates compact-serialized JWS tokens (RFC 7515/7519). Order matters: the header is checked
/// (no "none", no unknown critical extensions, an allowed algorithm), then the signature, and only
/// then the claims, so a forged token learns nothing about which claims would have passed.
/// </summary>
public sealed class JwtValidator
{
    public const int MaxTokenLength = 16 * 1024;

    private readonly JwtOptions _options;
    private readonly JwtKeyProvider _keys;
    private readonly TimeProvider _time;
    private readonly GroupLimits _groupLimits;

    public JwtValidator(JwtOptions options, JwtKeyProvider keys, TimeProvider time, GroupLimits? groupLimits = null)
    {
        _options = options;
        _keys = keys;
        _time = time;
        _groupLimits = groupLimits ?? GroupLimits.Default;
    }

    /// <summary>Three base64url parts separated by dots: worth validating as a JWT rather than matching as a static token.</summary>
    public static bool LooksLikeJwt(string token) => token.AsSpan().Count('.') == 2;

    public JwtValidationResult Validate(string token)
    {
        if (token.Length > MaxTokenLength) return JwtValidationResult.Fail($"token longer than {MaxTokenLength} characters");
        var parts = token.Split('.');
        if (parts.Length != 3 || parts[0].Length == 0 || parts[1].Length == 0) return JwtValidationResult.Fail("not a JWT (expected header.payload.signature)");

        using var header = ParseJson(parts[0]);
        if (header is null) return JwtValidationResult.Fail("malformed token header");
        var h = header.RootElement;
        if (!h.TryGetProperty("alg", out var algElement) || algElement.ValueKind != JsonValueKind.String) return JwtValidationResult.Fail("token header has no alg");
        var alg = algElement.GetString()!;
        if (string.Equals(alg, "none", StringComparison.OrdinalIgnoreCase)) return JwtValidationResult.Fail("unsigned tokens (alg none) are not accepted");
        if (!GatewayOptionsValidator.JwtAlgorithms.Contains(alg)) return JwtValidationResult.Fail($"algorithm '{alg}' is not supported");
        if (_options.Algorithms.Count > 0 && !_options.Algorithms.Contains(alg, StringComparer.Ordinal)) return JwtValidationResult.Fail($"algorithm '{alg}' is not allowed");
        if (h.TryGetProperty("crit", out _)) return JwtValidationResult.Fail("token has critical header extensions this gateway does not understand");
        var kid = h.TryGetProperty("kid", out var kidElement) && kidElement.ValueKind == JsonValueKind.String ? kidElement.GetString() : null;

        byte[] signature;
        try
        {
            signature = Base64Url.DecodeFromChars(parts[2]);
        }
        catch (FormatException)
        {
            return JwtValidationResult.Fail("malformed token signature");
        }
        if (signature.Length == 0) return JwtValidationResult.Fail("token is not signed");

        var candidates = Candidates(alg, kid);
        if (candidates.Count == 0)
        {
            return JwtValidationResult.Fail(kid is null ? $"no configured key verifies {alg}" : $"no configured key with kid '{kid}' verifies {alg}");
        }
        var signedPart = Encoding.ASCII.GetBytes(token, 0, parts[0].Length + 1 + parts[1].Length);
        if (!candidates.Any(k => k.Verify(alg, signedPart, signature))) return JwtValidationResult.Fail("invalid signature");

        using var payload = ParseJson(parts[1]);
        if (payload is null) return JwtValidationResult.Fail("malformed token payload");
        return CheckClaims(payload.RootElement);
    }

    /// <summary>
    /// Keys for this algorithm. A token with a kid uses the keys of that kid, else the keys without a kid
    /// (HmacSecret, PublicKeyPath); a token without a kid tries every key that supports the algorithm.
    /// </summary>
    private List<JwtKey> Candidates(string alg, string? kid)
    {
        var usable = _keys.Keys.Where(k => k.Supports(alg)).ToList();
        if (kid is null) return usable;
        var byKid = usable.Where(k => string.Equals(k.KeyId, kid, StringComparison.Ordinal)).ToList();
        return byKid.Count > 0 ? byKid : [.. usable.Where(k => k.KeyId is null)];
    }

    private JwtValidationResult CheckClaims(JsonElement claims)
    {
        if (claims.ValueKind != JsonValueKind.Object) return JwtValidationResult.Fail("token payload is not a JSON object");
        var now = _time.GetUtcNow();
        var skew = _options.ClockSkew;

        if (!TryNumericDate(claims, "exp", out var exp, out var expPresent) || !expPresent) return JwtValidationResult.Fail(expPresent ? "malformed exp claim" : "token has no exp claim");
        if (now > exp + skew) return JwtValidationResult.Fail($"token expired at {Format(exp)}");
        if (!TryNumericDate(claims, "nbf", out var nbf, out var nbfPresent)) return JwtValidationResult.Fail("malformed nbf claim");
        if (nbfPresent && now + skew < nbf) return JwtValidationResult.Fail($"token not valid before {Format(nbf)}");

        var iss = claims.TryGetProperty("iss", out var issElement) && issElement.ValueKind == JsonValueKind.String ? issElement.GetString() : null;
        if (!string.Equals(iss, _options.Issuer, StringComparison.Ordinal)) return JwtValidationResult.Fail(iss is null ? "token has no iss claim" : $"issuer '{iss}' is not accepted");

        if (!AudienceMatches(claims)) return JwtValidationResult.Fail($"token audience does not include '{_options.Audience}'");

        if (!claims.TryGetProperty(_options.UserClaim, out var userElement) || userElement.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(userElement.GetString()))
        {
            return JwtValidationResult.Fail($"token has no '{_options.UserClaim}' claim naming the user");
        }
        if (!TryGroups(claims, out var groups, out var groupError)) return JwtValidationResult.Fail(groupError);
        return new JwtValidationResult(true, userElement.GetString(), exp, null) { Groups = groups };
    }

    /// <summary>
    /// The groups claim: absent or null means no groups; a string holds names separated by spaces or commas; an array
    /// must hold only strings. Anything else refuses the token, as a malformed exp does: the claim is meant to be read.
    /// </summary>
    private bool TryGroups(JsonElement claims, out IReadOnlyList<string> groups, [NotNullWhen(false)] out string? error)
    {
        groups = [];
        error = null;
        var name = _options.GroupsClaim;
        if (string.IsNullOrEmpty(name) || FindClaim(claims, name) is not { } claim) return true;
        List<string> names;
        switch (claim.ValueKind)
        {
            case JsonValueKind.Null:
                return true;
            case JsonValueKind.String:
                names = [.. claim.GetString()!.Split([' ', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
                break;
            case JsonValueKind.Array when claim.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String):
                names = [.. claim.EnumerateArray().Select(e => e.GetString()!)];
                break;
            default:
                error = $"malformed '{name}' claim (expected an array of strings, or a string of names separated by spaces or commas)";
                return false;
        }
        if (_options.GroupsPrefix is { Length: > 0 } prefix)
        {
            names = [.. names.Where(g => g.StartsWith(prefix, StringComparison.Ordinal)).Select(g => _options.StripGroupsPrefix ? g[prefix.Length..] : g)];
        }
        if (_groupLimits.TryNormalize(names, out var normalized, out var limitError))
        {
            groups = normalized;
            return true;
        }
        error = $"the '{name}' claim is not accepted: {limitError}";
        return false;
    }

    /// <summary>A claim by its exact name, else (for a dotted name) by walking nested objects: <c>realm_access.roles</c>.</summary>
    private static JsonElement? FindClaim(JsonElement claims, string name)
    {
        if (claims.TryGetProperty(name, out var exact)) return exact;
        if (!name.Contains('.', StringComparison.Ordinal)) return null;
        var current = claims;
        foreach (var part in name.Split('.'))
        {
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(part, out current)) return null;
        }
        return current;
    }

    private bool AudienceMatches(JsonElement claims)
    {
        if (!claims.TryGetProperty("aud", out var aud)) return false;
        if (aud.ValueKind == JsonValueKind.String) return string.Equals(aud.GetString(), _options.Audience, StringComparison.Ordinal);
        return aud.ValueKind == JsonValueKind.Array
            && aud.EnumerateArray().Any(a => a.ValueKind == JsonValueKind.String && string.Equals(a.GetString(), _options.Audience, StringComparison.Ordinal));
    }

    private static bool TryNumericDate(JsonElement claims, string name, out DateTimeOffset value, out bool present)
    {
        value = default;
        present = claims.TryGetProperty(name, out var element);
        if (!present) return true;
        // NumericDate: seconds since the epoch, possibly fractional.
        if (element.ValueKind != JsonValueKind.Number || !element.TryGetDouble(out var seconds) || double.IsNaN(seconds) || seconds < 0 || seconds > 253_402_300_799) return false;
        value = DateTimeOffset.FromUnixTimeMilliseconds((long)(seconds * 1000));
        return true;
    }

    private static string Format(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    private static JsonDocument? ParseJson(string base64Url)
    {
        try
        {
            var doc = JsonDocument.Parse(Base64Url.DecodeFromChars(base64Url), new JsonDocumentOptions { MaxDepth = 16 });
            if (doc.RootElement.ValueKind == JsonValueKind.Object) return doc;
            doc.Dispose();
            return null;
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            return null;
        }
    }
}
