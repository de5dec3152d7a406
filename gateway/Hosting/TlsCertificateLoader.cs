using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Gateway.Server.Configuration;

namespace Gateway.Server.Hosting;

/// <summary>The server certificate (with its private key) and the intermediates to send with it.</summary>
public sealed record TlsCertificate(X509Certificate2 Certificate, X509Certificate2Collection Chain);

/// <summary>
/// Loads <c>Gateway:Tls</c> at start: a PFX (with password), or a PEM certificate (optionally followed
/// by its chain) with its key in <c>KeyPath</c> or in the same file. Every problem becomes a message
/// naming the key and the file instead of a stack trace.
/// </summary>
public static class TlsCertificateLoader
{
    public static TlsCertificate? Load(TlsOptions options, TimeProvider time, ICollection<string> errors)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(errors);
        if (!options.IsConfigured) return null;
        var certPath = Path.GetFullPath(options.CertificatePath!);
        var keyPath = options.KeyPath is null ? null : Path.GetFullPath(options.KeyPath);
        if (!File.Exists(certPath))
        {
            errors.Add($"Gateway:Tls:CertificatePath: file '{certPath}' not found.");
            return null;
        }
        if (keyPath is not null && !File.Exists(keyPath))
        {
            errors.Add($"Gateway:Tls:KeyPath: file '{keyPath}' not found.");
            return null;
        }

        X509Certificate2 certificate;
        var chain = new X509Certificate2Collection();
        try
        {
            if (IsPem(certPath))
            {
                certificate = LoadPem(certPath, keyPath, options.Password);
                var all = new X509Certificate2Collection();
                all.ImportFromPemFile(certPath);
                foreach (var c in all)
                {
                    if (c.Thumbprint != certificate.Thumbprint) chain.Add(c);
                    else c.Dispose();
                }
            }
            else
            {
                if (keyPath is not null)
                {
                    errors.Add("Gateway:Tls:KeyPath applies to PEM certificates only; a PFX file carries its own key.");
                    return null;
                }
                var collection = X509CertificateLoader.LoadPkcs12CollectionFromFile(certPath, options.Password);
                certificate = collection.FirstOrDefault(c => c.HasPrivateKey)
                    ?? throw new CryptographicException("the PFX file holds no certificate with a private key");
                foreach (var c in collection)
                {
                    if (!ReferenceEquals(c, certificate)) chain.Add(c);
                }
            }
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException or IOException)
        {
            errors.Add($"Gateway:Tls: cannot load the certificate from '{certPath}'{(keyPath is null ? "" : $" with key '{keyPath}'")}: {ex.Message}");
            return null;
        }

        if (!certificate.HasPrivateKey)
        {
            errors.Add($"Gateway:Tls: the certificate in '{certPath}' has no private key: set Gateway:Tls:KeyPath to its PEM key.");
            return null;
        }
        var now = time.GetUtcNow().UtcDateTime;
        if (certificate.NotAfter.ToUniversalTime() < now)
        {
            errors.Add($"Gateway:Tls: the certificate '{certificate.Subject}' in '{certPath}' expired on {certificate.NotAfter.ToUniversalTime():yyyy-MM-dd}.");
            return null;
        }
        if (certificate.NotBefore.ToUniversalTime() > now.AddMinutes(5))
        {
            errors.Add($"Gateway:Tls: the certificate '{certificate.Subject}' in '{certPath}' is not valid before {certificate.NotBefore.ToUniversalTime():yyyy-MM-dd HH:mm} UTC.");
            return null;
        }
        return new TlsCertificate(certificate, chain);
    }

    private static bool IsPem(string path)
    {
        Span<byte> head = stackalloc byte[64];
        using var file = File.OpenRead(path);
        var n = file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        return System.Text.Encoding.ASCII.GetString(head[..n]).Contains("-----BEGIN", StringComparison.Ordinal);
    }

    private static X509Certificate2 LoadPem(string certPath, string? keyPath, string? password)
    {
        var cert = password is null
            ? X509Certificate2.CreateFromPemFile(certPath, keyPath)
            : X509Certificate2.CreateFromEncryptedPemFile(certPath, password, keyPath);
        if (!OperatingSystem.IsWindows()) return cert;
        // SChannel cannot use an ephemeral PEM key for a server handshake: round-trip through PKCS#12.
        using (cert)
        {
            return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pkcs12), null);
        }
    }
}
