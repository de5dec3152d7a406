using BenchmarkDotNet.Attributes;
using Gateway.Server.Auth;

namespace Gateway.Benchmarks;

/// <summary>
/// Whether a failed password-file login takes the same time for a user who exists and one who does not (a difference
/// lets a caller enumerate user names). Both run the full <see cref="PasswordFileAuthenticator"/> path against a file of
/// users hashed as <c>gateway user add</c> hashes them; the two means should be equal within their error.
/// </summary>
[MemoryDiagnoser]
public class LoginTimingBenchmarks
{
    private string _folder = "";
    private PasswordFileAuthenticator _authenticator = null!;

    [GlobalSetup]
    public void Setup()
    {
        _folder = Directory.CreateTempSubdirectory("gw-bench-login").FullName;
        var path = Path.Combine(_folder, "users.txt");
        var users = new Dictionary<string, PasswordEntry>(StringComparer.Ordinal);
        foreach (var name in new[] { "alice", "bob", "carol" }) users[name] = new PasswordEntry(PasswordHash.Create("right-" + name));
        PasswordFile.Write(path, users);
        _authenticator = new PasswordFileAuthenticator(path, TimeProvider.System);
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_folder, recursive: true);

    [Benchmark(Baseline = true)]
    public bool KnownUserWrongPassword() => _authenticator.AuthenticateAsync("alice", "wrong", CancellationToken.None).AsTask().Result.Succeeded;

    [Benchmark]
    public bool UnknownUser() => _authenticator.AuthenticateAsync("mallory", "wrong", CancellationToken.None).AsTask().Result.Succeeded;
}
