using System.Buffers.Text;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Gateway.Server.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;

namespace Gateway.Server.Auth;

public enum JwtKeyType
{
    Hmac,
    Rsa,
    Ec,
}

/// <summary>
/// One verification key, as the <see cref="Microsoft.IdentityModel.Tokens.SecurityKey"/> that
/// <c>JsonWebTokenHandler</c> verifies with, and the rule of which algorithms it may verify: only the family of its own
/// type (HMAC secrets the HS* their length allows, RSA keys RS*/PS*, EC keys the ES* of their curve), and only its JWK <c>alg</c> when it has
/// one. The rule is applied before a key is handed to the handler, so a token cannot pick an algorithm that turns a
/// public key into an HMAC secret, whatever the library would have done.
/// </summary>
public sealed class JwtKey
{
    private readonly string? _ecAlgorithm;
    private readonly int _secretBytes;

    private JwtKey(JwtKeyType type, string source, string? keyId, string? algorithm, SecurityKey key, string? ecAlgorithm, int secretBytes = 0)
    {
        _secretBytes = secretBytes;
        Type = type;
        Source = source;
        KeyId = keyId;
        Algorithm = algorithm;
        Key = key;
        _ecAlgorithm = ecAlgorithm;
    }

    public JwtKeyType Type { get; }

    /// <summary>Where the key came from, for messages.</summary>
    public string Source { get; }

    /// <summary>The JWK <c>kid</c>; null for keys from HmacSecret and PublicKeyPath.</summary>
    public string? KeyId { get; }

    /// <summary>The JWK <c>alg</c>: when set, the only algorithm this key verifies.</summary>
    public string? Algorithm { get; }

    /// <summary>The key for the token handler (public parameters only).</summary>
    public SecurityKey Key { get; }

    public static JwtKey Hmac(byte[] secret, string source, string? keyId = null, string? algorithm = null) =>
        new(JwtKeyType.Hmac, source, keyId, algorithm, new SymmetricSecurityKey(secret) { KeyId = keyId }, null, secret.Length);

    public static JwtKey FromRsa(RSA rsa, string source, string? keyId = null, string? algorithm = null)
    {
        ArgumentNullException.ThrowIfNull(rsa);
        if (rsa.KeySize < 2048) throw new CryptographicException($"{source}: RSA keys must have at least 2048 bits (this one has {rsa.KeySize}).");
        return new(JwtKeyType.Rsa, source, keyId, algorithm, new RsaSecurityKey(rsa.ExportParameters(false)) { KeyId = keyId }, null);
    }

    public static JwtKey FromEc(ECDsa ec, string source, string? keyId = null, string? algorithm = null)
    {
        ArgumentNullException.ThrowIfNull(ec);
        var alg = ec.KeySize switch
        {
            256 => "ES256",
            384 => "ES384",
            521 => "ES512",
            _ => throw new CryptographicException($"{source}: EC keys must be on P-256, P-384 or P-521 (this one has {ec.KeySize} bits)."),
        };
        // The handler's key owns a copy holding only the public point.
        var publicOnly = ECDsa.Create(ec.ExportParameters(false));
        return new(JwtKeyType.Ec, source, keyId, algorithm, new ECDsaSecurityKey(publicOnly) { KeyId = keyId }, alg);
    }

    public bool Supports(string alg)
    {
        if (Algorithm is not null && !string.Equals(Algorithm, alg, StringComparison.Ordinal)) return false;
        return Type switch
        {
            // RFC 7518 §3.2: an HMAC key at least as long as the hash (the library refuses shorter ones too).
            JwtKeyType.Hmac => alg switch { "HS256" => _secretBytes >= 32, "HS384" => _secretBytes >= 48, "HS512" => _secretBytes >= 64, _ => false },
            JwtKeyType.Rsa => alg is "RS256" or "RS384" or "RS512" or "PS256" or "PS384" or "PS512",
            JwtKeyType.Ec => string.Equals(alg, _ecAlgorithm, StringComparison.Ordinal),
            _ => false,
        };
    }
}

/// <summary>
/// The keys JWTs are checked against: the HMAC secret, the PEM public key, a JWKS file and a JWKS URL.
/// <list type="bullet">
/// <item>The file is re-read when its timestamp changes (key rotation without a restart); a rewrite that leaves it
/// unusable keeps the previous keys and logs a warning.</item>
/// <item>The URL (https only) is fetched when first needed, again once its keys are <c>JwksRefreshInterval</c> old, and
/// early when a token names a <c>kid</c> no key has (how an identity provider's rotation reaches the gateway), never
/// more often than once per <c>JwksMinRefreshInterval</c>, whatever tokens arrive. One fetch at a time; the callers
/// that asked meanwhile use its result. A fetch that fails keeps the keys last fetched.</item>
/// </list>
/// Every key, wherever it comes from, passes the same rules (<see cref="ParseJwks"/>).
/// </summary>
public sealed partial class JwtKeyProvider : IDisposable
{
    private readonly IReadOnlyList<JwtKey> _fixed;
    private readonly string? _jwksPath;
    private readonly HttpClient? _http;
    private readonly Uri? _jwksUrl;
    private readonly TimeSpan _refreshInterval;
    private readonly TimeSpan _minRefreshInterval;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _fetchGate = new(1, 1);
    private readonly Lock _gate = new();
    private IReadOnlyList<JwtKey> _jwks = [];
    private DateTime _jwksStamp;
    private IReadOnlyList<JwtKey>? _remoteKeys;
    private DateTimeOffset _remoteFetched;
    private DateTimeOffset _lastAttempt = DateTimeOffset.MinValue;

    // Microsoft.IdentityModel.Protocols' ConfigurationManager was tried: since 8.x its refresh runs in the background,
    // so the first tokens of a key the provider just added fail until that fetch lands. Here the caller that asked for
    // the refresh waits for it (bounded by the client's timeout).
    private JwtKeyProvider(IReadOnlyList<JwtKey> fixedKeys, string? jwksPath, Uri? jwksUrl, HttpClient? http, JwtOptions options, TimeProvider time)
    {
        _fixed = fixedKeys;
        _jwksPath = jwksPath;
        _jwksUrl = jwksUrl;
        _http = http;
        _refreshInterval = options.JwksRefreshInterval;
        _minRefreshInterval = options.JwksMinRefreshInterval;
        _time = time;
    }

    public ILogger? Logger { get; set; }

    /// <summary>Whether asking again can bring keys the provider does not have yet (a JWKS URL).</summary>
    public bool CanRefresh => _jwksUrl is not null;

    /// <summary>Largest JWKS document accepted from a URL.</summary>
    public const int MaxJwksBytes = 1024 * 1024;

    /// <summary>Loads every configured key; problems are added to <paramref name="errors"/> (and the result is then unusable).</summary>
    public static JwtKeyProvider Load(JwtOptions options, ICollection<string> errors, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(errors);
        var keys = new List<JwtKey>();
        if (options.HmacSecret is { } secret && ConfigurationRules.DecodeSecret(secret) is { Length: >= ConfigurationRules.MinHmacKeyBytes } bytes)
        {
            keys.Add(JwtKey.Hmac(bytes, "Gateway:Auth:Jwt:HmacSecret"));
        }
        if (options.PublicKeyPath is { } pem && LoadPem(Path.GetFullPath(pem), errors) is { } pemKey) keys.Add(pemKey);
        string? jwksPath = null;
        if (options.JwksPath is { } jwks)
        {
            jwksPath = Path.GetFullPath(jwks);
            if (!File.Exists(jwksPath))
            {
                errors.Add($"Gateway:Auth:Jwt:JwksPath: file '{jwksPath}' not found.");
                jwksPath = null;
            }
        }
        HttpClient? http = null;
        Uri? jwksUrl = null;
        if (options.JwksUrl is { } url)
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps)
            {
                errors.Add($"Gateway:Auth:Jwt:JwksUrl: '{url}' is not an https URL (keys fetched in clear could be anyone's).");
            }
            else
            {
                var handler = new SocketsHttpHandler { AllowAutoRedirect = false, ConnectTimeout = TimeSpan.FromSeconds(10) };
                if (options.JwksCaCertificatePath is { } ca)
                {
                    try
                    {
                        handler.SslOptions = Gateway.Protocol.Hive.ClientTlsOptions.TrustingPemFile(Path.GetFullPath(ca)).ToSslOptions(uri.Host);
                    }
                    catch (Exception ex) when (ex is IOException or ArgumentException or CryptographicException or UnauthorizedAccessException)
                    {
                        errors.Add($"Gateway:Auth:Jwt:JwksCaCertificatePath: {ex.Message}");
                    }
                }
                http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10), MaxResponseContentBufferSize = MaxJwksBytes };
                jwksUrl = uri;
            }
        }
        var provider = new JwtKeyProvider(keys, jwksPath, jwksUrl, http, options, time ?? TimeProvider.System);
        if (jwksPath is not null)
        {
            try
            {
                provider.ReloadJwks();
            }
            catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                errors.Add($"Gateway:Auth:Jwt:JwksPath: {ex.Message}");
            }
        }
        return provider;
    }

    /// <summary>
    /// The keys in force. <paramref name="refresh"/> asks the JWKS URL again (rate-limited by the configuration
    /// manager); a URL that cannot be fetched and never was yields the other keys only, and is logged.
    /// </summary>
    public async ValueTask<IReadOnlyList<JwtKey>> GetKeysAsync(bool refresh, CancellationToken cancellationToken)
    {
        var local = LocalKeys();
        if (_jwksUrl is null) return local;
        var remote = await RemoteKeysAsync(refresh, cancellationToken).ConfigureAwait(false);
        return remote.Count == 0 ? local : [.. local, .. remote];
    }

    private async ValueTask<IReadOnlyList<JwtKey>> RemoteKeysAsync(bool refresh, CancellationToken cancellationToken)
    {
        var asked = _time.GetUtcNow();
        var due = _remoteKeys is null || asked - _remoteFetched >= _refreshInterval || refresh;
        if (!due || asked - _lastAttempt < _minRefreshInterval) return _remoteKeys ?? [];
        await _fetchGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // A fetch that started after this caller asked answers it too.
            if (_lastAttempt >= asked || _time.GetUtcNow() - _lastAttempt < _minRefreshInterval) return _remoteKeys ?? [];
            _lastAttempt = _time.GetUtcNow();
            try
            {
                using var response = await _http!.GetAsync(_jwksUrl, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
                if (!response.IsSuccessStatusCode) throw new HttpRequestException($"HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
                var json = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                _remoteKeys = ParseJwks(json, _jwksUrl!.ToString());
                _remoteFetched = _time.GetUtcNow();
            }
            catch (Exception ex) when (ex is HttpRequestException or InvalidDataException or TaskCanceledException or IOException)
            {
                if (cancellationToken.IsCancellationRequested) throw;
                if (Logger is not null) LogJwksUrlFailed(Logger, _jwksUrl!.ToString(), ex.Message);
            }
            return _remoteKeys ?? [];
        }
        finally
        {
            _fetchGate.Release();
        }
    }

    private IReadOnlyList<JwtKey> LocalKeys()
    {
        if (_jwksPath is null) return _fixed;
        lock (_gate)
        {
            try
            {
                if (File.GetLastWriteTimeUtc(_jwksPath) != _jwksStamp) ReloadJwks();
            }
            catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                // Keep serving with the keys we have; retry at the next change.
                _jwksStamp = File.Exists(_jwksPath) ? File.GetLastWriteTimeUtc(_jwksPath) : _jwksStamp;
                if (Logger is not null) LogJwksReloadFailed(Logger, _jwksPath, ex.Message);
            }
            return [.. _fixed, .. _jwks];
        }
    }

    private void ReloadJwks()
    {
        var stamp = File.GetLastWriteTimeUtc(_jwksPath!);
        _jwks = ParseJwks(File.ReadAllText(_jwksPath!), _jwksPath!);
        _jwksStamp = stamp;
    }

    public void Dispose()
    {
        _http?.Dispose();
        _fetchGate.Dispose();
    }

    private static JwtKey? LoadPem(string path, ICollection<string> errors)
    {
        const string Key = "Gateway:Auth:Jwt:PublicKeyPath";
        if (!File.Exists(path))
        {
            errors.Add($"{Key}: file '{path}' not found.");
            return null;
        }
        var text = File.ReadAllText(path);
        if (text.Contains("PRIVATE KEY-----", StringComparison.Ordinal))
        {
            errors.Add($"{Key}: '{path}' holds a private key; give the gateway only the public key (openssl pkey -in key.pem -pubout).");
            return null;
        }
        try
        {
            if (text.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal))
            {
                using var cert = X509Certificate2.CreateFromPem(text);
                if (cert.GetRSAPublicKey() is { } certRsa) using (certRsa) return JwtKey.FromRsa(certRsa, $"{Key} '{path}'");
                if (cert.GetECDsaPublicKey() is { } certEc) using (certEc) return JwtKey.FromEc(certEc, $"{Key} '{path}'");
                errors.Add($"{Key}: the certificate in '{path}' has neither an RSA nor an EC key.");
                return null;
            }
            using var rsa = RSA.Create();
            var isRsa = true;
            try
            {
                rsa.ImportFromPem(text);
            }
            catch (CryptographicException)
            {
                isRsa = false;
            }
            if (isRsa) return JwtKey.FromRsa(rsa, $"{Key} '{path}'");
            using var ec = ECDsa.Create();
            ec.ImportFromPem(text);
            return JwtKey.FromEc(ec, $"{Key} '{path}'");
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            // Key-size refusals already name the key; anything else means the file is not what we expect.
            errors.Add(ex.Message.StartsWith(Key, StringComparison.Ordinal) ? ex.Message : $"{Key}: '{path}' is not a PEM RSA or EC public key or certificate ({ex.Message}).");
            return null;
        }
    }

    /// <summary>
    /// Parses a JWKS document with Microsoft.IdentityModel's <see cref="JsonWebKeySet"/>, then holds each key to our
    /// rules: keys of unsupported types (OKP, ...) or not for signing are skipped; RSA keys need 2048 bits, HMAC keys 32
    /// bytes, EC keys a NIST curve; a malformed supported key is an error, as is a set with no usable key.
    /// </summary>
    public static IReadOnlyList<JwtKey> ParseJwks(string json, string source)
    {
        JsonWebKeySet set;
        try
        {
            // The library reads a document without "keys" as an empty set; that is a mistake in a JWKS file.
            using (var doc = JsonDocument.Parse(json))
            {
                if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("keys", out var array) || array.ValueKind != JsonValueKind.Array)
                {
                    throw new InvalidDataException($"'{source}' is not a JSON Web Key Set (expected an object with a \"keys\" array).");
                }
                if (array.EnumerateArray().Any(k => k.ValueKind != JsonValueKind.Object)) throw new InvalidDataException($"'{source}' has a key that is not an object.");
            }
            set = new JsonWebKeySet(json);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"'{source}' is not valid JSON: {ex.Message}");
        }
        catch (ArgumentException)
        {
            throw new InvalidDataException($"'{source}' is not a JSON Web Key Set the parser accepts.");
        }
        var keys = new List<JwtKey>();
        try
        {
            var index = 0;
            foreach (var jwk in set.Keys)
            {
                var where = $"'{source}' key {index++}";
                if (jwk.Use is { Length: > 0 } use && !string.Equals(use, "sig", StringComparison.Ordinal)) continue;
                var kid = jwk.Kid is { Length: > 0 } k0 ? k0 : null;
                var alg = jwk.Alg is { Length: > 0 } a0 ? a0 : null;
                if (kid is not null) where += $" (kid '{kid}')";
                switch (jwk.Kty)
                {
                    case "RSA":
                        {
                            using var rsa = RSA.Create(new RSAParameters { Modulus = TrimLeadingZeros(Bytes(jwk.N, "n", where)), Exponent = Bytes(jwk.E, "e", where) });
                            keys.Add(JwtKey.FromRsa(rsa, $"JWKS {where}", kid, alg));
                            break;
                        }
                    case "EC":
                        {
                            var curve = jwk.Crv switch
                            {
                                "P-256" => ECCurve.NamedCurves.nistP256,
                                "P-384" => ECCurve.NamedCurves.nistP384,
                                "P-521" => ECCurve.NamedCurves.nistP521,
                                var other => throw new InvalidDataException($"{where}: curve '{other}' is not supported (P-256, P-384, P-521)."),
                            };
                            using var ec = ECDsa.Create(new ECParameters { Curve = curve, Q = new ECPoint { X = Bytes(jwk.X, "x", where), Y = Bytes(jwk.Y, "y", where) } });
                            keys.Add(JwtKey.FromEc(ec, $"JWKS {where}", kid, alg));
                            break;
                        }
                    case "oct":
                        {
                            var secret = Bytes(jwk.K, "k", where);
                            if (secret.Length < ConfigurationRules.MinHmacKeyBytes) throw new InvalidDataException($"{where}: HMAC keys must be at least {ConfigurationRules.MinHmacKeyBytes} bytes.");
                            keys.Add(JwtKey.Hmac(secret, $"JWKS {where}", kid, alg));
                            break;
                        }
                    default:
                        continue;
                }
            }
        }
        catch (CryptographicException ex)
        {
            throw new InvalidDataException(ex.Message.StartsWith("JWKS", StringComparison.Ordinal) ? ex.Message : $"'{source}': invalid key: {ex.Message}");
        }
        if (keys.Count == 0) throw new InvalidDataException($"'{source}' has no RSA, EC or oct signing key.");
        return keys;
    }

    private static byte[] Bytes(string? text, string name, string where)
    {
        if (string.IsNullOrEmpty(text)) throw new InvalidDataException($"{where}: member \"{name}\" is missing.");
        try
        {
            return Base64Url.DecodeFromChars(text);
        }
        catch (FormatException)
        {
            throw new InvalidDataException($"{where}: member \"{name}\" is not base64url.");
        }
    }

    private static byte[] TrimLeadingZeros(byte[] b)
    {
        var i = 0;
        while (i < b.Length - 1 && b[i] == 0) i++;
        return i == 0 ? b : b[i..];
    }

    [LoggerMessage(EventId = 323, Level = LogLevel.Warning, Message = "The JWKS URL {Url} cannot be fetched ({Reason}); keeping the keys fetched before, if any")]
    private static partial void LogJwksUrlFailed(ILogger logger, string url, string reason);

    [LoggerMessage(EventId = 321, Level = LogLevel.Warning, Message = "The JWKS file {Path} changed but cannot be used ({Reason}); keeping the previous keys")]
    private static partial void LogJwksReloadFailed(ILogger logger, string path, string reason);
}
