using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Gateway.Server.Configuration;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Gateway.Server.Auth;

public sealed record JwtValidationResult(bool Succeeded, string? User, DateTimeOffset? Expires, string? Error)
{
    /// <summary>The groups of <see cref="JwtOptions.GroupsClaim"/>, filtered by the prefix, within the group limits.</summary>
    public IReadOnlyList<string> Groups { get; init; } = [];

    public static JwtValidationResult Fail(string error) => new(false, null, null, error);
}

/// <summary>
/// Validates compact-serialized JWS tokens (RFC 7515/7519) with Microsoft.IdentityModel's <see cref="JsonWebTokenHandler"/>:
/// signature, issuer, audience and lifetime. Around it, the gateway's own policy, in this order: the header first (no
/// <c>none</c>, no unknown critical extensions, an allowed algorithm, no parameter twice), then only the keys whose type
/// and JWK <c>alg</c> fit the token's algorithm are given to the handler (so no algorithm confusion, whatever the
/// library would accept), then the handler, and only for a token it accepted the user and group claims (no claim
/// twice). A forged token learns nothing about which claims would have passed.
/// </summary>
public sealed class JwtValidator
{
    public const int MaxTokenLength = 16 * 1024;

    private static readonly JsonWebTokenHandler s_handler = new() { MaximumTokenSizeInBytes = MaxTokenLength };

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

    public async ValueTask<JwtValidationResult> ValidateAsync(string token, CancellationToken cancellationToken = default)
    {
        if (token.Length > MaxTokenLength) return JwtValidationResult.Fail($"token longer than {MaxTokenLength} characters");
        var parts = token.Split('.');
        if (parts.Length != 3 || parts[0].Length == 0 || parts[1].Length == 0) return JwtValidationResult.Fail("not a JWT (expected header.payload.signature)");

        using var header = ParseJson(parts[0]);
        if (header is null) return JwtValidationResult.Fail("malformed token header");
        // Two "alg" (or "kid") members are read differently by different parsers: refused before anything trusts one.
        if (DuplicateMember(header.RootElement) is { } repeated) return JwtValidationResult.Fail($"token header has the parameter '{repeated}' twice");
        var h = header.RootElement;
        if (!h.TryGetProperty("alg", out var algElement) || algElement.ValueKind != JsonValueKind.String) return JwtValidationResult.Fail("token header has no alg");
        var alg = algElement.GetString()!;
        if (string.Equals(alg, "none", StringComparison.OrdinalIgnoreCase)) return JwtValidationResult.Fail("unsigned tokens (alg none) are not accepted");
        if (!ConfigurationRules.JwtAlgorithms.Contains(alg)) return JwtValidationResult.Fail($"algorithm '{alg}' is not supported");
        if (_options.Algorithms.Count > 0 && !_options.Algorithms.Contains(alg, StringComparer.Ordinal)) return JwtValidationResult.Fail($"algorithm '{alg}' is not allowed");
        if (h.TryGetProperty("crit", out _)) return JwtValidationResult.Fail("token has critical header extensions this gateway does not understand");
        var kid = h.TryGetProperty("kid", out var kidElement) && kidElement.ValueKind == JsonValueKind.String ? kidElement.GetString() : null;
        if (parts[2].Length == 0) return JwtValidationResult.Fail("token is not signed");

        var candidates = Candidates(await _keys.GetKeysAsync(refresh: false, cancellationToken).ConfigureAwait(false), alg, kid);
        if (kid is not null && _keys.CanRefresh && !candidates.Any(k => string.Equals(k.KeyId, kid, StringComparison.Ordinal)))
        {
            // A kid no key has: the identity provider may have rotated; its key set is asked again (rate-limited).
            candidates = Candidates(await _keys.GetKeysAsync(refresh: true, cancellationToken).ConfigureAwait(false), alg, kid);
        }
        if (candidates.Count == 0)
        {
            return JwtValidationResult.Fail(kid is null ? $"no configured key verifies {alg}" : $"no configured key with kid '{kid}' verifies {alg}");
        }

        var parameters = new TokenValidationParameters
        {
            IssuerSigningKeys = [.. candidates.Select(k => k.Key)],
            TryAllIssuerSigningKeys = true,
            ValidAlgorithms = [alg],
            RequireSignedTokens = true,
            ValidateIssuerSigningKey = false,
            ValidIssuer = _options.Issuer,
            ValidateIssuer = true,
            ValidAudience = _options.Audience,
            ValidateAudience = true,
            RequireAudience = true,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            ClockSkew = _options.ClockSkew,
            // The library reads DateTime.UtcNow; the gateway's clock is a TimeProvider.
            LifetimeValidator = ValidateLifetime,
            SaveSigninToken = false,
        };
        TokenValidationResult result;
        try
        {
            result = await s_handler.ValidateTokenAsync(token, parameters).ConfigureAwait(false);
        }
        catch (ArgumentException)
        {
            return JwtValidationResult.Fail("malformed token");
        }
        if (!result.IsValid) return JwtValidationResult.Fail(Describe(result.Exception, token, parts[1]));

        using var payload = ParseJson(parts[1]);
        if (payload is null) return JwtValidationResult.Fail("malformed token payload");
        if (DuplicateMember(payload.RootElement) is { } twice) return JwtValidationResult.Fail($"token has the claim '{twice}' twice");
        var expires = result.SecurityToken is JsonWebToken { ValidTo: var to } && to != DateTime.MinValue ? new DateTimeOffset(to, TimeSpan.Zero) : (DateTimeOffset?)null;
        return CheckClaims(payload.RootElement, expires);
    }

    /// <summary>
    /// Lifetime against the gateway's clock: <c>exp</c> required, <c>nbf</c> honoured, both with the configured skew.
    /// Throws the library's exception types with the gateway's messages.
    /// </summary>
    private bool ValidateLifetime(DateTime? notBefore, DateTime? expires, SecurityToken securityToken, TokenValidationParameters parameters)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        var skew = parameters.ClockSkew;
        if (expires is not { } exp) throw new SecurityTokenNoExpirationException(GatewayMessage + "token has no exp claim");
        if (now > exp + skew) throw new SecurityTokenExpiredException(GatewayMessage + $"token expired at {Format(exp)}") { Expires = exp };
        if (notBefore is { } nbf && now + skew < nbf) throw new SecurityTokenNotYetValidException(GatewayMessage + $"token not valid before {Format(nbf)}") { NotBefore = nbf };
        return true;
    }

    /// <summary>Marks a message the gateway wrote (the library's own carry IDX codes and hidden PII).</summary>
    private const string GatewayMessage = "gateway: ";

    /// <summary>What the client is told about a token the handler refused: the reason, never key material.</summary>
    private string Describe(Exception? error, string token, string payloadPart)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            if (e.Message.StartsWith(GatewayMessage, StringComparison.Ordinal)) return e.Message[GatewayMessage.Length..];
        }
        return error switch
        {
            SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => "invalid signature",
            SecurityTokenInvalidIssuerException => ClaimOf(token, "iss") is { } iss ? $"issuer '{iss}' is not accepted" : "token has no iss claim",
            SecurityTokenInvalidAudienceException => $"token audience does not include '{_options.Audience}'",
            SecurityTokenNoExpirationException => "token has no exp claim",
            SecurityTokenInvalidLifetimeException => "malformed exp or nbf claim",
            SecurityTokenInvalidAlgorithmException => "algorithm is not allowed for this key",
            SecurityTokenMalformedException or ArgumentException => MalformedDate(payloadPart) ?? "malformed token",
            null => "token refused",
            _ => $"token refused ({error.GetType().Name})",
        };
    }

    /// <summary>Which of the lifetime claims is not a NumericDate, when that is why the library could not read the token.</summary>
    private static string? MalformedDate(string payloadPart)
    {
        using var payload = ParseJson(payloadPart);
        if (payload is null) return null;
        foreach (var claim in (ReadOnlySpan<string>)["exp", "nbf", "iat"])
        {
            if (payload.RootElement.TryGetProperty(claim, out var value) && value.ValueKind != JsonValueKind.Number) return $"malformed {claim} claim";
        }
        return null;
    }

    /// <summary>A string claim of a token the handler parsed (its signature already checked by then, or the refusal is about it).</summary>
    private static string? ClaimOf(string token, string claim)
    {
        try
        {
            return new JsonWebToken(token).TryGetPayloadValue<string>(claim, out var value) ? value : null;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    /// <summary>
    /// Keys for this algorithm. A token with a kid uses the keys of that kid, else the keys without a kid
    /// (HmacSecret, PublicKeyPath); a token without a kid tries every key that supports the algorithm.
    /// </summary>
    private static List<JwtKey> Candidates(IReadOnlyList<JwtKey> keys, string alg, string? kid)
    {
        var usable = keys.Where(k => k.Supports(alg)).ToList();
        if (kid is null) return usable;
        var byKid = usable.Where(k => string.Equals(k.KeyId, kid, StringComparison.Ordinal)).ToList();
        return byKid.Count > 0 ? byKid : [.. usable.Where(k => k.KeyId is null)];
    }

    private JwtValidationResult CheckClaims(JsonElement claims, DateTimeOffset? expires)
    {
        if (claims.ValueKind != JsonValueKind.Object) return JwtValidationResult.Fail("token payload is not a JSON object");
        if (!claims.TryGetProperty(_options.UserClaim, out var userElement) || userElement.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(userElement.GetString()))
        {
            return JwtValidationResult.Fail($"token has no '{_options.UserClaim}' claim naming the user");
        }
        if (!TryGroups(claims, out var groups, out var groupError)) return JwtValidationResult.Fail(groupError);
        return new JwtValidationResult(true, userElement.GetString(), expires, null) { Groups = groups };
    }

    /// <summary>The first member name an object (or any object inside it) holds twice; null when none does.</summary>
    private static string? DuplicateMember(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                {
                    var seen = new HashSet<string>(StringComparer.Ordinal);
                    foreach (var member in element.EnumerateObject())
                    {
                        if (!seen.Add(member.Name)) return member.Name;
                        if (DuplicateMember(member.Value) is { } inner) return member.Name + "." + inner;
                    }
                    return null;
                }
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    if (DuplicateMember(item) is { } inner) return inner;
                }
                return null;
            default:
                return null;
        }
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

    private static string Format(DateTime t) => t.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

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
