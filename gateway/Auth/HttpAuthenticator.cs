using System.Text;
using Gateway.Server.Configuration;

namespace Gateway.Server.Auth;

public enum HttpAuthFailure
{
    None,
    /// <summary>No Authorization header (and no valid cookie) where credentials are required.</summary>
    MissingCredentials,
    /// <summary>Basic credentials that are malformed or wrong.</summary>
    InvalidBasic,
    /// <summary>A bearer token (or Basic user <c>token</c>) that does not validate.</summary>
    InvalidToken,
    /// <summary>An Authorization scheme other than Basic or Bearer.</summary>
    UnsupportedScheme,
    /// <summary>Too many failed logins for the user or from the address (<see cref="LoginThrottle"/>); not checked.</summary>
    Throttled,
}

/// <summary>Who an HTTP request is from, or why it is refused.</summary>
public sealed record HttpAuthResult
{
    public bool Succeeded => Failure == HttpAuthFailure.None;
    public HttpAuthFailure Failure { get; init; }
    public string? Reason { get; init; }
    public string User { get; init; } = "anonymous";

    /// <summary>The caller's groups as the credential (or the cookie issued for it) names them, primary first.</summary>
    public IReadOnlyList<string> Groups { get; init; } = [];

    /// <summary>Nobody was identified (Auth:Mode None, no credentials): OpenSession's user name counts.</summary>
    public bool UserFromRequest { get; init; }

    /// <summary>Identified by a valid cookie: no new cookie is needed.</summary>
    public bool FromCookie { get; init; }

    /// <summary>When the credential itself stops being valid (a JWT's exp): a cookie never outlives it.</summary>
    public DateTimeOffset? CredentialExpires { get; init; }

    /// <summary>For <see cref="HttpAuthFailure.Throttled"/>: when the caller may try again.</summary>
    public TimeSpan RetryAfter { get; init; }

    public static HttpAuthResult Fail(HttpAuthFailure failure, string reason) => new() { Failure = failure, Reason = reason };
}

/// <summary>
/// Authenticates one HTTP request: a valid session cookie first, then the Authorization header —
/// Basic against the password provider SASL PLAIN uses (user <c>token</c> means the password is a
/// bearer token, the convention of Databricks/Simba drivers), or Bearer against the static tokens and
/// the JWT keys. With Auth:Mode None credentials are optional, but a bearer token that is presented
/// is still checked when tokens are configured: a client relying on its token must not silently
/// become someone else.
/// </summary>
public sealed class HttpAuthenticator
{
    public const string TokenUser = "token";

    private readonly AuthOptions _options;
    private readonly IPasswordAuthenticator _passwords;
    private readonly StaticTokenAuthenticator _tokens;
    private readonly JwtValidator? _jwt;
    private readonly LoginThrottle _throttle;

    public HttpAuthenticator(AuthOptions options, IPasswordAuthenticator passwords, StaticTokenAuthenticator tokens, JwtValidator? jwt, AuthCookie? cookie,
        LoginThrottle? throttle = null)
    {
        _throttle = throttle ?? LoginThrottle.Disabled;
        _options = options;
        _passwords = passwords;
        _tokens = tokens;
        _jwt = jwt;
        Cookie = cookie;
    }

    /// <summary>The cookie signer; null when cookies are disabled.</summary>
    public AuthCookie? Cookie { get; }

    public bool BearerConfigured => _tokens.Count > 0 || _jwt is not null;

    public ValueTask<HttpAuthResult> AuthenticateAsync(string? authorization, IEnumerable<string?> cookieHeaders, CancellationToken cancellationToken) =>
        AuthenticateAsync(authorization, cookieHeaders, null, cancellationToken);

    /// <param name="address">The client's address, for the failed-login throttle (with the user name a login names).</param>
    public async ValueTask<HttpAuthResult> AuthenticateAsync(string? authorization, IEnumerable<string?> cookieHeaders, System.Net.IPAddress? address, CancellationToken cancellationToken)
    {
        if (Cookie is not null)
        {
            foreach (var value in AuthCookie.FindValues(cookieHeaders))
            {
                if (Cookie.Validate(value) is { } identity) return new HttpAuthResult { User = identity.User, Groups = identity.Groups, FromCookie = true };
            }
        }

        if (string.IsNullOrWhiteSpace(authorization))
        {
            return _options.Mode == AuthMode.None
                ? new HttpAuthResult { UserFromRequest = true }
                : HttpAuthResult.Fail(HttpAuthFailure.MissingCredentials, "authentication required: send HTTP Basic credentials or a Bearer token");
        }

        var space = authorization.IndexOf(' ', StringComparison.Ordinal);
        var scheme = space < 0 ? authorization : authorization[..space];
        var parameter = space < 0 ? "" : authorization[(space + 1)..].Trim();
        if (scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase)) return await BasicAsync(parameter, address, cancellationToken).ConfigureAwait(false);
        if (scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase))
        {
            if (!BearerConfigured)
            {
                return _options.Mode == AuthMode.None
                    ? new HttpAuthResult { UserFromRequest = true }
                    : HttpAuthResult.Fail(HttpAuthFailure.InvalidToken, "bearer tokens are not configured on this gateway (Gateway:Auth:Tokens, Gateway:Auth:Jwt)");
            }
            return await BearerAsync(parameter, address, cancellationToken).ConfigureAwait(false);
        }
        return HttpAuthResult.Fail(HttpAuthFailure.UnsupportedScheme, $"authorization scheme '{Truncate(scheme, 32)}' is not supported: use Basic or Bearer");
    }

    private async ValueTask<HttpAuthResult> BasicAsync(string parameter, System.Net.IPAddress? address, CancellationToken cancellationToken)
    {
        string decoded;
        try
        {
            decoded = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(Convert.FromBase64String(parameter));
        }
        catch (Exception ex) when (ex is FormatException or DecoderFallbackException)
        {
            return HttpAuthResult.Fail(HttpAuthFailure.InvalidBasic, "malformed Basic credentials (expected base64 of user:password)");
        }
        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0) return HttpAuthResult.Fail(HttpAuthFailure.InvalidBasic, "malformed Basic credentials (expected base64 of user:password)");
        var user = decoded[..colon];
        var password = decoded[(colon + 1)..];

        if (string.Equals(user, TokenUser, StringComparison.Ordinal) && BearerConfigured) return await BearerAsync(password, address, cancellationToken).ConfigureAwait(false);

        if (Throttled(user, address) is { } throttled) return throttled;
        var result = await _passwords.AuthenticateAsync(user, password, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            _throttle.RecordFailure(user, address, address?.ToString() ?? "?");
            return HttpAuthResult.Fail(HttpAuthFailure.InvalidBasic, result.Error ?? "Invalid user name or password.");
        }
        _throttle.RecordSuccess(user);
        return new HttpAuthResult { User = result.User, Groups = result.Groups };
    }

    private HttpAuthResult? Throttled(string? user, System.Net.IPAddress? address) =>
        _throttle.Refusal(user, address) is { } refusal
            ? HttpAuthResult.Fail(HttpAuthFailure.Throttled, refusal) with { RetryAfter = _throttle.RetryAfter(user, address) }
            : null;

    /// <summary>A bearer token; a failed one counts against the client's address (a token names no user until it validates).</summary>
    private async ValueTask<HttpAuthResult> BearerAsync(string token, System.Net.IPAddress? address, CancellationToken cancellationToken)
    {
        if (Throttled(null, address) is { } throttled) return throttled;
        var result = await CheckBearerAsync(token, cancellationToken).ConfigureAwait(false);
        if (result.Succeeded) _throttle.RecordSuccess(result.User);
        else _throttle.RecordFailure(null, address, address?.ToString() ?? "?");
        return result;
    }

    private async ValueTask<HttpAuthResult> CheckBearerAsync(string token, CancellationToken cancellationToken)
    {
        if (token.Length == 0) return HttpAuthResult.Fail(HttpAuthFailure.InvalidToken, "empty bearer token");
        if (_tokens.Count > 0 && _tokens.Find(token) is { } match) return new HttpAuthResult { User = match.User, Groups = match.Groups };
        if (_jwt is not null && JwtValidator.LooksLikeJwt(token))
        {
            var jwt = await _jwt.ValidateAsync(token, cancellationToken).ConfigureAwait(false);
            return jwt.Succeeded
                ? new HttpAuthResult { User = jwt.User!, Groups = jwt.Groups, CredentialExpires = jwt.Expires }
                : HttpAuthResult.Fail(HttpAuthFailure.InvalidToken, jwt.Error!);
        }
        return HttpAuthResult.Fail(HttpAuthFailure.InvalidToken, "unknown token");
    }

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..max] + "...";
}
