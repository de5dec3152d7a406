using Gateway.Protocol.Hive;

namespace Gateway.Engines;

/// <summary>TLS towards a remote engine (https for HTTP). Without a CA file the system trust store decides.</summary>
public sealed record EngineTlsOptions
{
    /// <summary>PEM file of the certificates to trust instead of the system store (a private CA, or the server's own certificate).</summary>
    public string? CaFile { get; init; }

    /// <summary>Accept any certificate. For throwaway test setups only.</summary>
    public bool SkipCertificateValidation { get; init; }

    /// <summary>The name to verify and send as SNI; null means the host connected to.</summary>
    public string? ServerName { get; init; }

    internal ClientTlsOptions ToClientOptions()
    {
        var tls = CaFile is { Length: > 0 } file ? ClientTlsOptions.TrustingPemFile(file) : new ClientTlsOptions();
        return tls with { SkipCertificateValidation = SkipCertificateValidation, TargetHost = ServerName };
    }
}
