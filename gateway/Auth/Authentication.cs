using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using Gateway.Server.Configuration;
using Microsoft.Extensions.Logging;

namespace Gateway.Server.Auth;

public sealed record AuthResult(bool Succeeded, string User, string? Error)
{
    /// <summary>The caller's groups, primary first, already within <see cref="GroupLimits"/>.</summary>
    public IReadOnlyList<string> Groups { get; init; } = [];

    public static AuthResult Ok(string user) => new(true, user, null);
    public static AuthResult Ok(string user, IReadOnlyList<string> groups) => new(true, user, null) { Groups = groups };
    public static AuthResult Fail(string error) => new(false, "", error);
}

/// <summary>Checks a user name and password (SASL PLAIN, HTTP Basic).</summary>
public interface IPasswordAuthenticator
{
    string Name { get; }
    ValueTask<AuthResult> AuthenticateAsync(string user, string password, CancellationToken cancellationToken);
}

/// <summary>
/// The groups of a user who did not log in: the one a session impersonates (<c>hive.server2.proxy.user</c>), so that
/// the policy's group rules apply to that user as they would had they logged in themselves.
/// </summary>
public interface IUserGroups
{
    /// <summary>The user's groups, primary first (within <see cref="GroupLimits"/>); null when this directory does not know the user.</summary>
    IReadOnlyList<string>? GroupsOf(string user);
}

/// <summary>Accepts any user and records the name; for loopback and trusted networks only.</summary>
public sealed class NoneAuthenticator : IPasswordAuthenticator
{
    public string Name => "none";

    public ValueTask<AuthResult> AuthenticateAsync(string user, string password, CancellationToken cancellationToken) =>
        ValueTask.FromResult(string.IsNullOrWhiteSpace(user) ? AuthResult.Ok("anonymous") : AuthResult.Ok(user));
}

/// <summary>
/// Users from a text file (format: <see cref="PasswordFile"/>). The file is re-read when it changes, so
/// <c>gateway user add</c> takes effect without a restart; a rewrite that does not parse keeps the users read before
/// (logged), as a broken JWKS file keeps the previous keys.
/// </summary>
public sealed partial class PasswordFileAuthenticator(string path, TimeProvider time, GroupLimits? groupLimits = null, ILogger? logger = null) : IPasswordAuthenticator, IUserGroups
{
    private readonly Lock _gate = new();
    private readonly GroupLimits _groupLimits = groupLimits ?? GroupLimits.Default;
    private Dictionary<string, PasswordEntry> _users = new(StringComparer.Ordinal);
    private PasswordHash _decoy = PasswordHash.Decoy(PasswordHash.DefaultIterations);
    private DateTime _loadedStamp = DateTime.MinValue;

    public string Name => "password-file";
    public string Path => path;

    /// <summary>The PBKDF2 iterations an unknown user's login costs (those of the file's typical user).</summary>
    internal int DecoyIterations => Load().Decoy.Iterations;

    public ValueTask<AuthResult> AuthenticateAsync(string user, string password, CancellationToken cancellationToken)
    {
        var (users, decoy) = Load();
        // A control character never belongs to a password: PBKDF2's HMAC pads short keys with zeros, so "pw\0" would
        // verify as "pw", and SASL PLAIN cannot carry a NUL at all. Refused on every transport, after the same work.
        if (password.Any(char.IsControl))
        {
            decoy.Verify(password);
            return ValueTask.FromResult(AuthResult.Fail("Invalid user name or password."));
        }
        if (!users.TryGetValue(user, out var entry))
        {
            // The same PBKDF2 work as for the users of the file, so timing does not reveal which names exist
            // (benchmarks/LoginTimingBenchmarks.cs measures both).
            decoy.Verify(password);
            return ValueTask.FromResult(AuthResult.Fail("Invalid user name or password."));
        }
        if (!entry.Hash.Verify(password)) return ValueTask.FromResult(AuthResult.Fail("Invalid user name or password."));
        // Only a caller who knows the password learns that their groups are out of bounds.
        return ValueTask.FromResult(_groupLimits.TryNormalize(entry.Groups, out var groups, out var error)
            ? AuthResult.Ok(user, groups)
            : AuthResult.Fail($"The groups of '{user}' in the password file are not accepted: {error}."));
    }

    public IReadOnlyList<string>? GroupsOf(string user) =>
        Load().Users.TryGetValue(user, out var entry) && _groupLimits.TryNormalize(entry.Groups, out var groups, out _) ? groups : null;

    private (Dictionary<string, PasswordEntry> Users, PasswordHash Decoy) Load()
    {
        lock (_gate)
        {
            var stamp = File.Exists(path) ? File.GetLastWriteTimeUtc(path) : DateTime.MinValue;
            if (stamp != _loadedStamp)
            {
                try
                {
                    _users = PasswordFile.Read(path);
                    _decoy = PasswordHash.Decoy(PasswordHash.TypicalIterations(_users.Values.Select(u => u.Hash)));
                }
                catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException)
                {
                    if (logger is not null) LogReloadFailed(logger, path, ex.Message);
                }
                _loadedStamp = stamp;
            }
            _ = time;
            return (_users, _decoy);
        }
    }

    public static string ResolvePath(GatewayOptions options) =>
        System.IO.Path.IsPathRooted(options.Auth.PasswordFile) ? options.Auth.PasswordFile : System.IO.Path.Combine(options.DataFolder, options.Auth.PasswordFile);

    [LoggerMessage(EventId = 322, Level = LogLevel.Warning, Message = "The password file {Path} changed but cannot be read ({Reason}); keeping the users read before")]
    private static partial void LogReloadFailed(ILogger logger, string path, string reason);
}

public sealed record PasswordHash(int Iterations, byte[] Salt, byte[] Hash)
{
    public const string Scheme = "pbkdf2-sha256";
    public const int DefaultIterations = 210_000;
    private const int SaltBytes = 16;
    private const int HashBytes = 32;

    /// <summary>A hash no password matches, verified for unknown users so that they cost what known ones do.</summary>
    public static PasswordHash Decoy(int iterations) =>
        new(iterations, RandomNumberGenerator.GetBytes(SaltBytes), RandomNumberGenerator.GetBytes(HashBytes));

    /// <summary>
    /// The iteration count most of <paramref name="hashes"/> use (the larger on a tie), or the default for none: an
    /// unknown user then costs what a typical known one does. Users whose hash has another count (made with
    /// <c>--iterations</c>) differ in time from the rest; <c>gateway user add</c> keeps to the default.
    /// </summary>
    public static int TypicalIterations(IEnumerable<PasswordHash> hashes) =>
        hashes.GroupBy(h => h.Iterations).OrderByDescending(g => g.Count()).ThenByDescending(g => g.Key).Select(g => g.Key).FirstOrDefault(DefaultIterations);

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

    public string Format() => $"{Scheme}:{Iterations}:{Convert.ToBase64String(Salt)}:{Convert.ToBase64String(Hash)}";
}

/// <summary>One user of the password file: the password hash and the groups, primary first.</summary>
public sealed record PasswordEntry(PasswordHash Hash, IReadOnlyList<string> Groups)
{
    public PasswordEntry(PasswordHash hash)
        : this(hash, [])
    {
    }
}

/// <summary>
/// Reads and writes the password file: one user a line, <c>name:pbkdf2-sha256:iterations:salt:hash</c>, optionally
/// followed by <c>:group,group,...</c> (the first is the primary group). Salt and hash are base64. Lines starting with
/// '#' are comments. A line without groups is exactly the format before groups, so old files read unchanged and a
/// file without groups is still read by an older gateway. A later line for the same user replaces an earlier one.
/// </summary>
public static class PasswordFile
{
    public const string LineFormat = "user:pbkdf2-sha256:iterations:salt:hash[:group,group,...]";

    public static Dictionary<string, PasswordEntry> Read(string path)
    {
        var users = new Dictionary<string, PasswordEntry>(StringComparer.Ordinal);
        if (!File.Exists(path)) return users;
        var lineNo = 0;
        foreach (var raw in File.ReadAllLines(path))
        {
            lineNo++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            if (!TryParseLine(line, out var user, out var entry, out var error)) throw new InvalidDataException($"{path}:{lineNo}: {error}.");
            users[user] = entry;
        }
        return users;
    }

    /// <summary>Parses one non-comment line; the error says which part is wrong and never repeats the hash.</summary>
    public static bool TryParseLine(string line, [NotNullWhen(true)] out string? user, [NotNullWhen(true)] out PasswordEntry? entry, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(line);
        user = null;
        entry = null;
        var colon = line.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            error = $"expected '{LineFormat}'";
            return false;
        }
        var name = line[..colon];
        var fields = line[(colon + 1)..].Split(':');
        if (fields[0] != PasswordHash.Scheme)
        {
            error = $"user '{name}': unknown password scheme '{Shorten(fields[0])}' (expected '{LineFormat}')";
            return false;
        }
        if (fields.Length is not (4 or 5))
        {
            error = $"user '{name}': expected 5 or 6 fields separated by ':' ('{LineFormat}'), found {fields.Length + 1}";
            return false;
        }
        if (!int.TryParse(fields[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var iterations) || iterations < 1)
        {
            error = $"user '{name}': the iteration count '{Shorten(fields[1])}' is not a positive number";
            return false;
        }
        if (DecodeBase64(fields[2]) is not { Length: > 0 } salt)
        {
            error = $"user '{name}': the salt is not base64";
            return false;
        }
        if (DecodeBase64(fields[3]) is not { Length: > 0 } hash)
        {
            error = $"user '{name}': the hash is not base64";
            return false;
        }
        IReadOnlyList<string> groups = [];
        if (fields.Length == 5 && !TryParseGroups(fields[4], out groups, out var groupError))
        {
            error = $"user '{name}': {groupError}";
            return false;
        }
        user = name;
        entry = new PasswordEntry(new PasswordHash(iterations, salt, hash), groups);
        error = null;
        return true;
    }

    /// <summary>
    /// A comma separated group list as the file and <c>gateway user</c> write it. Names are trimmed; an empty list is
    /// no groups; an empty name between commas, a ':' or a control character is an error. Repeats are dropped.
    /// </summary>
    public static bool TryParseGroups(string text, out IReadOnlyList<string> groups, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        groups = [];
        if (text.Trim().Length == 0)
        {
            error = null;
            return true;
        }
        var list = new List<string>();
        foreach (var part in text.Split(','))
        {
            var group = part.Trim();
            if (ValidateGroupName(group) is { } problem)
            {
                error = problem;
                return false;
            }
            if (!list.Contains(group, StringComparer.Ordinal)) list.Add(group);
        }
        groups = list;
        error = null;
        return true;
    }

    /// <summary>Why a group name cannot be written to the file, or null.</summary>
    public static string? ValidateGroupName(string group)
    {
        ArgumentNullException.ThrowIfNull(group);
        if (group.Length == 0) return "empty group name (groups are separated by single commas)";
        if (group.Trim() != group) return $"group '{Shorten(group)}' has surrounding spaces";
        if (group.Any(char.IsControl)) return $"group '{Shorten(group)}' contains a control character";
        if (group.Contains(':', StringComparison.Ordinal) || group.Contains(',', StringComparison.Ordinal)) return $"group '{Shorten(group)}' contains ':' or ','";
        return null;
    }

    public static void Write(string path, IReadOnlyDictionary<string, PasswordHash> users)
    {
        ArgumentNullException.ThrowIfNull(users);
        Write(path, users.ToDictionary(u => u.Key, u => new PasswordEntry(u.Value), StringComparer.Ordinal));
    }

    public static void Write(string path, IReadOnlyDictionary<string, PasswordEntry> users)
    {
        ArgumentNullException.ThrowIfNull(users);
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        var sb = new StringBuilder($"# gateway users: {LineFormat} (managed by 'gateway user')\n");
        foreach (var (user, entry) in users.OrderBy(u => u.Key, StringComparer.Ordinal))
        {
            foreach (var group in entry.Groups)
            {
                if (ValidateGroupName(group) is { } problem) throw new ArgumentException($"user '{user}': {problem}.", nameof(users));
            }
            sb.Append(user).Append(':').Append(entry.Hash.Format());
            // No groups, no sixth field: the line stays what gateways before groups read.
            if (entry.Groups.Count > 0) sb.Append(':').AppendJoin(',', entry.Groups);
            sb.Append('\n');
        }
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

    private static byte[]? DecodeBase64(string text)
    {
        try
        {
            return Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static string Shorten(string text)
    {
        var printable = new string([.. text.Take(40).Select(c => char.IsControl(c) ? '?' : c)]);
        return text.Length > 40 ? printable + "..." : printable;
    }
}
