using Gateway.Tests.InProcess;

namespace Gateway.Tests.Engines;

/// <summary>
/// The real OpenLDAP directory the LDAP tests log in against. scripts/test.sh starts it with scripts/ldap.sh and names
/// it in GATEWAY_TEST_LDAP ("ldap://127.0.0.1:P ldaps://127.0.0.1:P2 CA_DIR"); a plain <c>dotnet test</c> runs that
/// script here. Never a skip: a directory that cannot be had fails the tests with the script's output.
/// </summary>
public static class LdapTestServer
{
    public const string Variable = "GATEWAY_TEST_LDAP";
    public const string Suffix = "dc=example,dc=com";
    public const string People = "ou=people," + Suffix;
    public const string Groups = "ou=groups," + Suffix;
    public const string ServiceDn = "uid=svc-gateway," + People;

    private static readonly Lazy<(string Ldap, string Ldaps, string CaDirectory)> s_server = new(Locate, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary><c>ldap://127.0.0.1:P</c> (StartTLS offered).</summary>
    public static string LdapUrl => s_server.Value.Ldap;

    /// <summary><c>ldaps://127.0.0.1:P2</c>.</summary>
    public static string LdapsUrl => s_server.Value.Ldaps;

    /// <summary>An OpenSSL-hashed folder trusting the directory's certificate.</summary>
    public static string CaDirectory => s_server.Value.CaDirectory;

    /// <summary>Every test user's password is "&lt;name&gt;-ldap-pw".</summary>
    public static string Password(string user) => user + "-ldap-pw";

    private static (string, string, string) Locate()
    {
        var line = TestScripts.Locate(Variable, "ldap.sh", new Dictionary<string, string> { [TestCertificate.DirectoryVariable] = TestCertificate.Directory });
        var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 3) throw new InvalidOperationException($"{Variable} is '{line}', not 'ldap://… ldaps://… CA_DIR'.");
        return (parts[0], parts[1], parts[2]);
    }
}
