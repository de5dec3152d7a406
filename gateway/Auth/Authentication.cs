using System.Security.Cryptography;
using System.Text;
using Gateway.Server.Configuration;

namespace Gateway.Server.Auth;

public sealed record AuthResult(bool Succeeded, string User, string? Error)
{
    public static AuthResult Ok(string user) => new(true, user, null);
    public static AuthResult Fail(string error) => new(false, "", error);
}

/// <summary>Checks a user name and password (SASL PLAIN, HTTP Basic).</summary>
public interface IPasswordAuthenticator
{
    string Name { get; }
    ValueTask<AuthResult> AuthenticateAsync(string user, string password, CancellationToken cancellationToken);
}

/// <summary>Accepts any user and records the name; for loopback and trusted networks only.</summary>
public sealed class NoneAuthenticator : IPasswordAuthenticator
{
    public string Name => "none";

    public ValueTask<AuthResult> AuthenticateAsync(string user, string password, CancellationToken cancellationToken) =>
        ValueTask.FromResult(string.IsNullOrWhiteSpace(user) ? AuthResult.Ok("anonymous") : AuthResult.Ok(user));
}

/// <summary>
/// Users from a text file, one per line: <c>user:pbkdf2-sha256:iterations:salt-base64:hash-base64</c>.
/// The file is re-read when it changes, so <c>gateway user add</c> takes effect without a restart.
/// </summary>
public sealed class PasswordFileAuthenticator(string path, TimeProvider time) : IPasswordAuthenticator
{
    private readonly Lock _gate = new();
    private Dictionary<string, PasswordHash> _users = new(StringComparer.Ordinal);
    private DateTime _loadedStamp = DateTime.MinValue;

    public string Name => "password-file";
    public string Path => path;

    public ValueTask<AuthResult> AuthenticateAsync(string user, string password, CancellationToken cancellationToken)
    {
        var users = Load();
        if (!users.TryGetValue(user, out var hash))
        {
            // Spend the same work for unknown users so timing does not reveal which names exist.
            PasswordHash.Dummy.Verify(password);
            return ValueTask.FromResult(AuthResult.Fail("Invalid user name or password."));
        }
        return ValueTask.FromResult(hash.Verify(password) ? AuthResult.Ok(user) : AuthResult.Fail("Invalid user name or password."));
    }

    private Dictionary<string, PasswordHash> Load()
    {
        lock (_gate)
        {
            var stamp = File.Exists(path) ? File.GetLastWriteTimeUtc(path) : DateTime.MinValue;
            if (stamp != _loadedStamp)
            {
                _users = PasswordFile.Read(path);
                _loadedStamp = stamp;
            }
            _ = time;
            return _users;
        }
    }

    public static string ResolvePath(GatewayOptions options) =>
        System.IO.Path.IsPathRooted(options.Auth.PasswordFile) ? options.Auth.PasswordFile : System.IO.Path.Combine(options.DataFolder, options.Auth.PasswordFile);
}

public sealed record PasswordHash(int Iterations, byte[] Salt, byte[] Hash)
{
    public const int DefaultIterations = 210_000;
    private const int SaltBytes = 16;
    private const int HashBytes = 32;

    internal static readonly PasswordHash Dummy = Create("dummy-password", 1);

    public static PasswordHash Create(string password, int iterations = DefaultIterations)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        return new PasswordHash(iterations, salt, Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, HashBytes));
    }

    public bool Verify(string password)
    {
        var candidate = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), Salt, Iterations, HashAlgorithmName.SHA256, Hash.Length);
        return CryptographicOperations.FixedTimeEquals(candidate, Hash);
    }

    public string Format() => $"pbkdf2-sha256:{Iterations}:{Convert.ToBase64String(Salt)}:{Convert.ToBase64String(Hash)}";

    public static bool TryParse(string text, out PasswordHash? hash)
    {
        hash = null;
        var parts = text.Split(':');
        if (parts.Length != 4 || parts[0] != "pbkdf2-sha256" || !int.TryParse(parts[1], out var iterations) || iterations < 1) return false;
        try
        {
            hash = new PasswordHash(iterations, Convert.FromBase64String(parts[2]), Convert.FromBase64String(parts[3]));
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}

/// <summary>Reads and writes the password file. Lines starting with '#' are comments.</summary>
public static class PasswordFile
{
    public static Dictionary<string, PasswordHash> Read(string path)
    {
        var users = new Dictionary<string, PasswordHash>(StringComparer.Ordinal);
        if (!File.Exists(path)) return users;
        var lineNo = 0;
        foreach (var raw in File.ReadAllLines(path))
        {
            lineNo++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || !PasswordHash.TryParse(line[(colon + 1)..], out var hash))
            {
                throw new InvalidDataException($"{path}:{lineNo}: expected 'user:pbkdf2-sha256:iterations:salt:hash'.");
            }
            users[line[..colon]] = hash!;
        }
        return users;
    }

    public static void Write(string path, IReadOnlyDictionary<string, PasswordHash> users)
    {
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        var sb = new StringBuilder("# gateway users: name:pbkdf2-sha256:iterations:salt:hash (managed by 'gateway user')\n");
        foreach (var (user, hash) in users.OrderBy(u => u.Key, StringComparer.Ordinal)) sb.Append(user).Append(':').Append(hash.Format()).Append('\n');
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, sb.ToString());
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(tmp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(tmp, path, overwrite: true);
    }

    public static void ValidateUserName(string user)
    {
        if (string.IsNullOrWhiteSpace(user) || user.Contains(':', StringComparison.Ordinal) || user.Any(char.IsControl) || user.Trim() != user)
        {
            throw new ArgumentException($"'{user}' is not a valid user name: no colons, control characters or surrounding spaces.");
        }
    }
}
