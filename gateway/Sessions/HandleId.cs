using System.Security.Cryptography;

namespace Gateway.Server.Sessions;

/// <summary>
/// A session or operation handle: a public id and a random secret. Lookups go by id; the secret is
/// compared in constant time so a guessed or stale id alone never reaches someone else's state.
/// </summary>
public readonly record struct HandleId(Guid Id, byte[] Secret)
{
    public const int SecretLength = 16;

    public static HandleId New() => new(Guid.NewGuid(), RandomNumberGenerator.GetBytes(SecretLength));

    public bool SecretMatches(ReadOnlySpan<byte> secret) => CryptographicOperations.FixedTimeEquals(Secret, secret);

    /// <summary>
    /// RFC 4122 byte order, so the wire bytes are a valid UUID that clients print (the Databricks connector
    /// validates them) as the same text as <see cref="Id"/>.
    /// </summary>
    public byte[] GuidBytes() => Id.ToByteArray(bigEndian: true);

    public static Guid GuidFrom(ReadOnlySpan<byte> bytes) => bytes.Length == 16 ? new Guid(bytes, bigEndian: true) : Guid.Empty;

    public override string ToString() => Id.ToString();

    public bool Equals(HandleId other) => Id == other.Id;
    public override int GetHashCode() => Id.GetHashCode();
}

/// <summary>A client error the handler answers with a status (never a closed connection).</summary>
public sealed class GatewayException(string message, string sqlState = "HY000", int errorCode = 0, bool invalidHandle = false) : Exception(message)
{
    public GatewayException() : this("Gateway error.") { }
    public GatewayException(string message, Exception inner) : this(message) => _ = inner;

    public string SqlState { get; } = sqlState;
    public int ErrorCode { get; } = errorCode;
    public bool InvalidHandle { get; } = invalidHandle;

    public static GatewayException Invalid(string what) => new($"Invalid {what} handle: it does not exist, was closed, or belongs to another client.", "HY000", 0, invalidHandle: true);
}
