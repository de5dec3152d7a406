using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Gateway.Protocol.Hive;

namespace Gateway.Tests.InProcess;

/// <summary>
/// The self-signed server certificate of the TLS tests (CN=localhost, SAN DNS:localhost and
/// IP:127.0.0.1). scripts/test.sh makes it with openssl and names its folder in GATEWAY_TEST_TLS_DIR;
/// a plain <c>dotnet test</c> gets an equivalent one made here, so the TLS tests never skip.
/// </summary>
public static class TestCertificate
{
    public const string DirectoryVariable = "GATEWAY_TEST_TLS_DIR";

    private static readonly Lazy<string> s_directory = new(Locate);

    /// <summary>The folder holding cert.pem and key.pem.</summary>
    public static string Directory => s_directory.Value;

    public static string CertificatePath => Path.Combine(Directory, "cert.pem");
    public static string KeyPath => Path.Combine(Directory, "key.pem");

    /// <summary>Where the certificate came from, for assertions and messages.</summary>
    public static bool FromScript => Environment.GetEnvironmentVariable(DirectoryVariable) is { Length: > 0 };

    /// <summary>Client settings that trust exactly this certificate (no validation is switched off).</summary>
    public static ClientTlsOptions ClientTls => ClientTlsOptions.TrustingPemFile(CertificatePath);

    /// <summary>Gateway settings for a TLS certificate on both listeners.</summary>
    public static Dictionary<string, string?> GatewaySettings() => new()
    {
        ["Gateway:Tls:CertificatePath"] = CertificatePath,
        ["Gateway:Tls:KeyPath"] = KeyPath,
    };

    private static string Locate()
    {
        if (Environment.GetEnvironmentVariable(DirectoryVariable) is { Length: > 0 } dir)
        {
            foreach (var file in new[] { "cert.pem", "key.pem" })
            {
                if (!File.Exists(Path.Combine(dir, file))) throw new InvalidOperationException($"{DirectoryVariable}={dir} but {file} is missing there (scripts/test.sh creates it).");
            }
            return dir;
        }
        var created = System.IO.Directory.CreateTempSubdirectory("gw-tls").FullName;
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment | X509KeyUsageFlags.KeyCertSign, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        using var cert = request.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));
        File.WriteAllText(Path.Combine(created, "cert.pem"), cert.ExportCertificatePem());
        File.WriteAllText(Path.Combine(created, "key.pem"), key.ExportPkcs8PrivateKeyPem());
        return created;
    }
}
