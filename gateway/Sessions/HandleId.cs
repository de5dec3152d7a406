using System.Security.Cryptography;

namespace Gateway.Server.Sessions;

/// <summary>
/// A session or operation handle: a public id and a random secret. Lookups go by id; the secret is
/// compared in constant time so a guessed or stale id alone never reaches someone else's state.
/// </summary>
public readonly record struct HandleId(Guid Id, byte[] Secret)
{
    public const int SecretLength = 16;

    public static HandleId New()
    {
        var secret = new byte[SecretLength];
        NextSecret(secret);
        return new(Guid.NewGuid(), secret);
    }

    // Secrets come from the CSPRNG in blocks of 32 per call (one RAND_bytes per 32 handles instead of one each): every
    // statement creates an operation handle, and the per-call cost of the OS/OpenSSL generator showed in its profile.
    // A block is per thread and each byte is handed out once.
    [ThreadStatic] private static byte[]? t_random;
    [ThreadStatic] private static int t_randomUsed;

    private static void NextSecret(Span<byte> secret)
    {
        var block = t_random ??= new byte[SecretLength * 32];
        if (t_randomUsed == 0 || t_randomUsed + secret.Length > block.Length)
        {
            RandomNumberGenerator.Fill(block);
            t_randomUsed = 0;
        }
        var taken = block.AsSpan(t_randomUsed, secret.Length);
        taken.CopyTo(secret);
        // Nothing handed out stays in the block.
        CryptographicOperations.ZeroMemory(taken);
        t_randomUsed += secret.Length;
        if (t_randomUsed == block.Length) t_randomUsed = 0;
    }

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

/// <summary>
/// A client error the handler answers with a status (never a closed connection). The client sees the message and the
/// SQLSTATE; an inner exception is the cause for the log (StatusMapper logs it), never for the client.
/// </summary>
public sealed class GatewayException(string message, string sqlState = "HY000", int errorCode = 0, bool invalidHandle = false, Exception? inner = null)
    : Exception(message, inner)
{
    public GatewayException() : this("Gateway error.") { }
    public GatewayException(string message, Exception inner) : this(message, "HY000", 0, false, inner) { }

    public string SqlState { get; } = sqlState;
    public int ErrorCode { get; } = errorCode;
    public bool InvalidHandle { get; } = invalidHandle;

    public static GatewayException Invalid(string what) => new($"Invalid {what} handle: it does not exist, was closed, or belongs to another client.", "HY000", 0, invalidHandle: true);
}
