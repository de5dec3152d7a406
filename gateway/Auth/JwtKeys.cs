using System.Buffers.Text;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Gateway.Server.Configuration;
using Microsoft.Extensions.Logging;

namespace Gateway.Server.Auth;

public enum JwtKeyType
{
    Hmac,
    Rsa,
    Ec,
}

/// <summary>
/// One verification key. A key verifies only the algorithm family of its own type (HMAC secrets HS*,
/// RSA keys RS*/PS*, EC keys the ES* of their curve), so a token cannot pick an algorithm that turns
/// a public key into an HMAC secret. Only public parameters are held; each verification imports them
/// into a fresh object, so concurrent requests share no mutable crypto state.
/// </summary>
public sealed class JwtKey
{
    private readonly byte[]? _secret;
    private readonly RSAParameters _rsa;
    private readonly ECParameters _ec;
    private readonly string? _ecAlgorithm;

    private JwtKey(JwtKeyType type, string source, string? keyId, string? algorithm, byte[]? secret, RSAParameters rsa, ECParameters ec, string? ecAlgorithm)
    {
        Type = type;
        Source = source;
        KeyId = keyId;
        Algorithm = algorithm;
        _secret = secret;
        _rsa = rsa;
        _ec = ec;
        _ecAlgorithm = ecAlgorithm;
    }

    public JwtKeyType Type { get; }

    /// <summary>Where the key came from, for messages.</summary>
    public string Source { get; }

    /// <summary>The JWK <c>kid</c>; null for keys from HmacSecret and PublicKeyPath.</summary>
    public string? KeyId { get; }

    /// <summary>The JWK <c>alg</c>: when set, the only algorithm this key verifies.</summary>
    public string? Algorithm { get; }

    public static JwtKey Hmac(byte[] secret, string source, string? keyId = null, string? algorithm = null) =>
        new(JwtKeyType.Hmac, source, keyId, algorithm, secret, default, default, null);

    public static JwtKey FromRsa(RSA rsa, string source, string? keyId = null, string? algorithm = null)
    {
        ArgumentNullException.ThrowIfNull(rsa);
        if (rsa.KeySize < 2048) throw new CryptographicException($"{source}: RSA keys must have at least 2048 bits (this one has {rsa.KeySize}).");
        return new(JwtKeyType.Rsa, source, keyId, algorithm, null, rsa.ExportParameters(false), default, null);
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
        return new(JwtKeyType.Ec, source, keyId, algorithm, null, default, ec.ExportParameters(false), alg);
    }

    public bool Supports(string alg)
    {
        if (Algorithm is not null && !string.Equals(Algorithm, alg, StringComparison.Ordinal)) return false;
        return Type switch
        {
            JwtKeyType.Hmac => alg is "HS256" or "HS384" or "HS512",
            JwtKeyType.Rsa => alg is "RS256" or "RS384" or "RS512" or "PS256" or "PS384" or "PS512",
            JwtKeyType.Ec => string.Equals(alg, _ecAlgorithm, StringComparison.Ordinal),
            _ => false,
        };
    }

    /// <summary>Checks a JWS signature; <paramref name="alg"/> must be one <see cref="Supports"/> accepts.</summary>
    public bool Verify(string alg, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        if (!Supports(alg)) return false;
        var hash = alg.AsSpan(2) switch
        {
            "256" => HashAlgorithmName.SHA256,
            "384" => HashAlgorithmName.SHA384,
            _ => HashAlgorithmName.SHA512,
        };
        try
        {
            switch (Type)
            {
                case JwtKeyType.Hmac:
                    {
                        Span<byte> mac = stackalloc byte[64];
                        var n = CryptographicOperations.HmacData(hash, _secret, data, mac);
                        return signature.Length == n && CryptographicOperations.FixedTimeEquals(mac[..n], signature);
                    }
                case JwtKeyType.Rsa:
                    {
                        using var rsa = RSA.Create(_rsa);
                        return rsa.VerifyData(data, signature, hash, alg[0] == 'P' ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1);
                    }
                default:
                    {
                        // JWS carries ECDSA signatures as raw r||s (IEEE P1363), not DER.
                        using var ec = ECDsa.Create(_ec);
                        return ec.VerifyData(data, signature, hash, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
                    }
            }
        }
        catch (CryptographicException)
        {
            return false;
        }
    }
}

/// <summary>
/// The keys JWTs are checked against: the HMAC secret, the PEM public key and the JWKS file. The JWKS
/// file is re-read when its timestamp changes (key rotation without a restart); a rotation that
/// leaves it unreadable keeps the previous keys and logs a warning.
/// </summary>
public sealed partial class JwtKeyProvider
{
    private readonly IReadOnlyList<JwtKey> _fixed;
    private readonly string? _jwksPath;
    private readonly Lock _gate = new();
    private IReadOnlyList<JwtKey> _jwks = [];
    private DateTime _jwksStamp;

    private JwtKeyProvider(IReadOnlyList<JwtKey> fixedKeys, string? jwksPath)
    {
        _fixed = fixedKeys;
        _jwksPath = jwksPath;
    }

    public ILogger? Logger { get; set; }

    /// <summary>Loads every configured key; problems are added to <paramref name="errors"/> (and the result is then unusable).</summary>
    public static JwtKeyProvider Load(JwtOptions options, ICollection<string> errors)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(errors);
        var keys = new List<JwtKey>();
        if (options.HmacSecret is { } secret && GatewayOptionsValidator.DecodeSecret(secret) is { Length: >= GatewayOptionsValidator.MinHmacKeyBytes } bytes)
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
        var provider = new JwtKeyProvider(keys, jwksPath);
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

    public IReadOnlyList<JwtKey> Keys
    {
        get
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
    }

    private void ReloadJwks()
    {
        var stamp = File.GetLastWriteTimeUtc(_jwksPath!);
        _jwks = ParseJwks(File.ReadAllText(_jwksPath!), _jwksPath!);
        _jwksStamp = stamp;
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

    /// <summary>Parses a JWKS document. Keys of unsupported types (OKP, ...) or not for signing are skipped; a malformed supported key is an error.</summary>
    public static IReadOnlyList<JwtKey> ParseJwks(string json, string source)
    {
        var keys = new List<JwtKey>();
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("keys", out var array) || array.ValueKind != JsonValueKind.Array)
            {
                throw new InvalidDataException($"'{source}' is not a JSON Web Key Set (expected an object with a \"keys\" array).");
            }
            var index = 0;
            foreach (var jwk in array.EnumerateArray())
            {
                var where = $"'{source}' key {index++}";
                if (jwk.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{where} is not an object.");
                if (Str(jwk, "use") is { } use && !string.Equals(use, "sig", StringComparison.Ordinal)) continue;
                var kid = Str(jwk, "kid");
                var alg = Str(jwk, "alg");
                if (kid is not null) where += $" (kid '{kid}')";
                switch (Str(jwk, "kty"))
                {
                    case "RSA":
                        {
                            using var rsa = RSA.Create(new RSAParameters { Modulus = TrimLeadingZeros(Bytes(jwk, "n", where)), Exponent = Bytes(jwk, "e", where) });
                            keys.Add(JwtKey.FromRsa(rsa, $"JWKS {where}", kid, alg));
                            break;
                        }
                    case "EC":
                        {
                            var curve = Str(jwk, "crv") switch
                            {
                                "P-256" => ECCurve.NamedCurves.nistP256,
                                "P-384" => ECCurve.NamedCurves.nistP384,
                                "P-521" => ECCurve.NamedCurves.nistP521,
                                var other => throw new InvalidDataException($"{where}: curve '{other}' is not supported (P-256, P-384, P-521)."),
                            };
                            using var ec = ECDsa.Create(new ECParameters { Curve = curve, Q = new ECPoint { X = Bytes(jwk, "x", where), Y = Bytes(jwk, "y", where) } });
                            keys.Add(JwtKey.FromEc(ec, $"JWKS {where}", kid, alg));
                            break;
                        }
                    case "oct":
                        {
                            var k = Bytes(jwk, "k", where);
                            if (k.Length < GatewayOptionsValidator.MinHmacKeyBytes) throw new InvalidDataException($"{where}: HMAC keys must be at least {GatewayOptionsValidator.MinHmacKeyBytes} bytes.");
                            keys.Add(JwtKey.Hmac(k, $"JWKS {where}", kid, alg));
                            break;
                        }
                    default:
                        continue;
                }
            }
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"'{source}' is not valid JSON: {ex.Message}");
        }
        catch (CryptographicException ex)
        {
            throw new InvalidDataException(ex.Message.StartsWith("JWKS", StringComparison.Ordinal) ? ex.Message : $"'{source}': invalid key: {ex.Message}");
        }
        if (keys.Count == 0) throw new InvalidDataException($"'{source}' has no RSA, EC or oct signing key.");
        return keys;
    }

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static byte[] Bytes(JsonElement e, string name, string where)
    {
        var text = Str(e, name) ?? throw new InvalidDataException($"{where}: member \"{name}\" is missing.");
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

    [LoggerMessage(EventId = 321, Level = LogLevel.Warning, Message = "The JWKS file {Path} changed but cannot be used ({Reason}); keeping the previous keys")]
    private static partial void LogJwksReloadFailed(ILogger logger, string path, string reason);
}
