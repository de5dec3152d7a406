using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Gateway.Engines.HiveServer2;
using Gateway.Protocol.Hive;
using Gateway.Server.Auth;
using Gateway.Server.Configuration;
using Gateway.Tests.Engines;
using Gateway.Tests.RealClients;

namespace Gateway.Tests.InProcess;

/// <summary>
/// Three gateways logging users in against the real OpenLDAP directory of scripts/ldap.sh: a simple bind with a DN
/// pattern over StartTLS with groups from <c>memberOf</c>; a search with a service account then a bind, over LDAPS, with
/// groups from a group search; and a chain of the directory then a local password file. A routing rule sends the
/// directory group <c>finance</c> to its own engine, so the engine a statement ran on says which groups a login got.
/// </summary>
public sealed class LdapGatewaysFixture : IAsyncLifetime
{
    public GatewayInstance SimpleBind { get; private set; } = null!;
    public GatewayInstance SearchBind { get; private set; } = null!;
    public GatewayInstance Chain { get; private set; } = null!;

    /// <summary>What the three gateways log: a refused login's reason (the client is told only that the directory is unavailable).</summary>
    public CapturingLoggerProvider Logs { get; } = new();

    private void Capture(Microsoft.Extensions.DependencyInjection.IServiceCollection services) =>
        Microsoft.Extensions.DependencyInjection.ServiceCollectionServiceExtensions.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider>(services, Logs);

    /// <summary>Settings every LDAP gateway here shares: the finance engine and rule, no login throttle (the tests fail logins on purpose).</summary>
    public static Dictionary<string, string?> Common(string mode) => new()
    {
        ["Gateway:Auth:Mode"] = mode,
        ["Gateway:Auth:Throttle:Enabled"] = "false",
        ["Gateway:DuckDb:DemoData"] = "false",
        ["Gateway:Engines:0:Name"] = "finance",
        ["Gateway:Engines:0:Kind"] = "DuckDb",
        ["Gateway:Engines:0:Database"] = ":memory:",
        ["Gateway:Routing:Rules:0:Name"] = "finance-group",
        ["Gateway:Routing:Rules:0:Priority"] = "1",
        ["Gateway:Routing:Rules:0:Match:Groups:0"] = "finance",
        ["Gateway:Routing:Rules:0:Engine"] = "finance",
        ["Gateway:Routing:Rules:1:Name"] = "everyone-else",
        ["Gateway:Routing:Rules:1:Priority"] = "2",
        ["Gateway:Routing:Rules:1:Match:Users:0"] = "*",
        ["Gateway:Routing:Rules:1:Engine"] = "duckdb",
    };

    public static Dictionary<string, string?> SimpleBindLdap(Dictionary<string, string?> s)
    {
        s["Gateway:Auth:Ldap:Urls:0"] = LdapTestServer.LdapUrl;
        s["Gateway:Auth:Ldap:StartTls"] = "true";
        s["Gateway:Auth:Ldap:CaCertificatesDirectory"] = LdapTestServer.CaDirectory;
        s["Gateway:Auth:Ldap:UserDnPattern"] = "uid={0}," + LdapTestServer.People;
        return s;
    }

    public async Task InitializeAsync()
    {
        // HTTPS on for the Databricks connector; the binary listener in clear for hive-driver's plain TCP transport.
        var simple = SimpleBindLdap(Common("Ldap"));
        foreach (var (k, v) in TestCertificate.GatewaySettings()) simple[k] = v;
        simple["Gateway:Binary:Tls"] = "false";
        SimpleBind = await GatewayInstance.StartAsync(simple, services: Capture);

        var search = Common("Ldap");
        search["Gateway:Auth:Ldap:Urls:0"] = LdapTestServer.LdapsUrl;
        search["Gateway:Auth:Ldap:CaCertificatesDirectory"] = LdapTestServer.CaDirectory;
        search["Gateway:Auth:Ldap:BindDn"] = LdapTestServer.ServiceDn;
        search["Gateway:Auth:Ldap:BindPassword"] = LdapTestServer.Password("svc-gateway");
        search["Gateway:Auth:Ldap:UserSearchBase"] = LdapTestServer.People;
        search["Gateway:Auth:Ldap:UserFilter"] = "(&(objectClass=inetOrgPerson)(uid={0}))";
        search["Gateway:Auth:Ldap:GroupsAttribute"] = "";
        search["Gateway:Auth:Ldap:GroupSearchBase"] = LdapTestServer.Groups;
        SearchBind = await GatewayInstance.StartAsync(search, services: Capture);

        var folder = Directory.CreateTempSubdirectory("gw-ldap-chain").FullName;
        PasswordFile.Write(Path.Combine(folder, "users.txt"), new Dictionary<string, PasswordEntry>
        {
            ["breakglass"] = new(PasswordHash.Create("breakglass-pw", 1000), ["finance"]),
            ["alice"] = new(PasswordHash.Create("alice-local-pw", 1000), ["ops"]),
        });
        var chain = SimpleBindLdap(Common("Chain"));
        chain["Gateway:Auth:Chain:0"] = "Ldap";
        chain["Gateway:Auth:Chain:1"] = "PasswordFile";
        Chain = await GatewayInstance.StartAsync(chain, folder, services: Capture);
    }

    public async Task DisposeAsync()
    {
        await SimpleBind.DisposeAsync();
        await SearchBind.DisposeAsync();
        await Chain.DisposeAsync();
    }
}

public sealed class LdapRealServiceTests(LdapGatewaysFixture fixture) : IClassFixture<LdapGatewaysFixture>
{
    private const string ToFinance = "Running on engine 'finance'";
    private const string ToDuckDb = "Running on engine 'duckdb'";

    private async Task<string> EngineOfAsync(GatewayInstance gateway, string user, string password)
    {
        HiveConnection c;
        try
        {
            c = await gateway.ConnectAsync(user, password);
        }
        catch (Exception e) when (e.Message.Contains("directory is unavailable", StringComparison.Ordinal))
        {
            // Say why: the gateway logs the directory's own error.
            throw new InvalidOperationException($"{e.Message} Logged: {string.Join(" | ", fixture.Logs.Lines.Where(l => l.Contains("directory", StringComparison.OrdinalIgnoreCase) || l.Contains("LDAP", StringComparison.Ordinal)))}", e);
        }
        await using var _ = c;
        await using var op = await c.ExecuteAsync("SELECT 1");
        await op.ReadAllAsTextAsync();
        var line = (await op.FetchLogAsync()).Single(l => l.Contains("Running on engine", StringComparison.Ordinal));
        return line[line.IndexOf("Running on engine", StringComparison.Ordinal)..];
    }

    private static async Task<string> RefusedAsync(GatewayInstance gateway, string user, string password)
    {
        var e = await Assert.ThrowsAnyAsync<Exception>(() => gateway.ConnectAsync(user, password));
        return e.Message;
    }

    [Fact]
    public async Task SimpleBindOverStartTlsLogsInWithMemberOfGroupsThatRoute()
    {
        Assert.StartsWith(ToFinance, await EngineOfAsync(fixture.SimpleBind, "alice", LdapTestServer.Password("alice")), StringComparison.Ordinal);
        Assert.StartsWith(ToDuckDb, await EngineOfAsync(fixture.SimpleBind, "bob", LdapTestServer.Password("bob")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConcurrentStartTlsAndLdapsLoginsAllSucceed()
    {
        // libldap's TLS set-up is process-wide: logins over StartTLS and LDAPS at once, on two gateways, must not disturb each other.
        var logins = Enumerable.Range(0, 24).Select(async i =>
        {
            var gateway = i % 2 == 0 ? fixture.SimpleBind : fixture.SearchBind;
            var user = i % 4 < 2 ? "alice" : "bob";
            await using var c = await gateway.ConnectAsync(user, LdapTestServer.Password(user));
            return (await c.QueryAsync("SELECT 1")).Rows[0][0];
        });
        Assert.All(await Task.WhenAll(logins), v => Assert.Equal("1", v));
    }

    [Fact]
    public async Task SearchThenBindOverLdapsLogsInWithGroupSearchGroupsThatRoute()
    {
        Assert.StartsWith(ToFinance, await EngineOfAsync(fixture.SearchBind, "alice", LdapTestServer.Password("alice")), StringComparison.Ordinal);
        Assert.StartsWith(ToDuckDb, await EngineOfAsync(fixture.SearchBind, "bob", LdapTestServer.Password("bob")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GroupsComeFromMemberOfOrAGroupSearch()
    {
        var memberOf = new LdapOptions
        {
            Urls = [LdapTestServer.LdapUrl],
            StartTls = true,
            CaCertificatesDirectory = LdapTestServer.CaDirectory,
            UserDnPattern = "uid={0}," + LdapTestServer.People,
        };
        var search = memberOf with { GroupsAttribute = "", GroupSearchBase = LdapTestServer.Groups };
        foreach (var options in new[] { memberOf, search })
        {
            using var ldap = new LdapAuthenticator(options);
            var alice = await ldap.AuthenticateAsync("alice", LdapTestServer.Password("alice"), default);
            Assert.True(alice.Succeeded, alice.Error);
            Assert.Equal("alice", alice.User);
            Assert.Equal(["analysts", "finance"], alice.Groups.Order(StringComparer.Ordinal));
            var bob = await ldap.AuthenticateAsync("bob", LdapTestServer.Password("bob"), default);
            Assert.Equal(["ops"], bob.Groups);
            // The directory matches names regardless of case and outer spaces: the gateway takes the entry's spelling,
            // and refuses outer spaces, so no one user gets two names (and two sets of limits and rules).
            var upper = await ldap.AuthenticateAsync("ALICE", LdapTestServer.Password("alice"), default);
            Assert.True(upper.Succeeded, upper.Error);
            Assert.Equal("alice", upper.User);
            foreach (var spaced in new[] { " alice", "alice ", "\talice" })
            {
                Assert.Equal(LdapAuthenticator.InvalidCredentials, (await ldap.AuthenticateAsync(spaced, LdapTestServer.Password("alice"), default)).Error);
            }
        }
    }

    [Theory]
    [InlineData("alice", "wrong-password")]
    [InlineData("nobody", "nobody-ldap-pw")]
    [InlineData("carol", "carol-ldap-pw")] // disabled: her password never binds
    [InlineData("alice", "")]
    [InlineData("svc-gateway", "wrong")]
    public async Task WrongPasswordsUnknownAndDisabledUsersReadTheSame(string user, string password)
    {
        foreach (var gateway in new[] { fixture.SimpleBind, fixture.SearchBind, fixture.Chain })
        {
            Assert.Contains(LdapAuthenticator.InvalidCredentials, await RefusedAsync(gateway, user, password), StringComparison.Ordinal);
        }
    }

    /// <summary>Names built to change the DN or the filter: each is escaped, so none logs in as anyone.</summary>
    [Theory]
    [InlineData("*")]
    [InlineData("alice)(uid=*")]
    [InlineData("*)(|(uid=*")]
    [InlineData("alice,ou=people")]
    [InlineData("alice\\")]
    [InlineData("a*")]
    [InlineData("alice+cn=x")]
    [InlineData(" alice")]
    [InlineData("alice ")]
    public async Task InjectedNamesNeverLogIn(string user)
    {
        foreach (var gateway in new[] { fixture.SimpleBind, fixture.SearchBind })
        {
            Assert.Contains(LdapAuthenticator.InvalidCredentials, await RefusedAsync(gateway, user, LdapTestServer.Password("alice")), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task TheChainTriesTheDirectoryThenTheLocalFile()
    {
        // The directory's password gives the directory's groups; the local file's, the file's.
        Assert.StartsWith(ToFinance, await EngineOfAsync(fixture.Chain, "alice", LdapTestServer.Password("alice")), StringComparison.Ordinal);
        Assert.StartsWith(ToDuckDb, await EngineOfAsync(fixture.Chain, "alice", "alice-local-pw"), StringComparison.Ordinal);
        Assert.StartsWith(ToFinance, await EngineOfAsync(fixture.Chain, "breakglass", "breakglass-pw"), StringComparison.Ordinal);
        Assert.StartsWith(ToDuckDb, await EngineOfAsync(fixture.Chain, "bob", LdapTestServer.Password("bob")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ManyLoginsAtOnceShareThePooledServiceAccount()
    {
        var logins = Enumerable.Range(0, 24).Select(async i =>
        {
            var user = i % 2 == 0 ? "alice" : "bob";
            var password = i % 3 == 0 ? "wrong" : LdapTestServer.Password(user);
            try
            {
                await using var c = await fixture.SearchBind.ConnectAsync(user, password);
                return password != "wrong";
            }
            catch (Exception e) when (e.Message.Contains(LdapAuthenticator.InvalidCredentials, StringComparison.Ordinal))
            {
                return password == "wrong";
            }
        });
        Assert.All(await Task.WhenAll(logins), Assert.True);
    }

    [Fact]
    public async Task HiveDriverLogsInWithADirectoryPassword()
    {
        var port = fixture.SimpleBind.Port.ToString(CultureInfo.InvariantCulture);
        var ok = await NodeClientsRealClientTests.RunNodeAsync("ldap-login-check.js", "hive-driver", "127.0.0.1", port, "alice", LdapTestServer.Password("alice"));
        Assert.True(ok.GetProperty("ok").GetBoolean(), ok.GetRawText());
        var refused = await NodeClientsRealClientTests.RunNodeAsync("ldap-login-check.js", "hive-driver", "127.0.0.1", port, "alice", "wrong");
        Assert.False(refused.GetProperty("ok").GetBoolean(), refused.GetRawText());
    }

    [Fact]
    public async Task DatabricksConnectorLogsInWithADirectoryPasswordOverHttps()
    {
        var g = fixture.SimpleBind;
        var port = g.HttpPort.ToString(CultureInfo.InvariantCulture);
        var ok = await NodeClientsRealClientTests.RunNodeAsync("ldap-login-check.js", "databricks", "localhost", port, "bob", LdapTestServer.Password("bob"),
            g.Endpoints.HttpPath, TestCertificate.CertificatePath);
        Assert.True(ok.GetProperty("ok").GetBoolean(), ok.GetRawText());
        var refused = await NodeClientsRealClientTests.RunNodeAsync("ldap-login-check.js", "databricks", "localhost", port, "carol", LdapTestServer.Password("carol"),
            g.Endpoints.HttpPath, TestCertificate.CertificatePath);
        Assert.False(refused.GetProperty("ok").GetBoolean(), refused.GetRawText());
    }

    [Fact]
    public async Task TheProjectsCliLogsInWithADirectoryPassword()
    {
        var port = fixture.SearchBind.Port.ToString(CultureInfo.InvariantCulture);
        var (exit, stdout, stderr) = await CliAsync("sql", "--port", port, "-u", "alice", "--password", LdapTestServer.Password("alice"), "-e", "SELECT 40 + 2 AS answer");
        Assert.True(exit == 0, $"exit {exit}: {stderr}\n{stdout}");
        Assert.Contains("42", stdout, StringComparison.Ordinal);
        (exit, _, stderr) = await CliAsync("sql", "--port", port, "-u", "alice", "--password", "wrong", "-e", "SELECT 1");
        Assert.Equal(2, exit);
        Assert.Contains(LdapAuthenticator.InvalidCredentials, stderr, StringComparison.Ordinal);
    }

    private static Task<(int Exit, string Stdout, string Stderr)> CliAsync(params string[] args) => GatewayCli.RunAsync(args);
}

/// <summary>The directory's TLS and its absence, checked with the authenticator alone against the real server and against sockets that never answer.</summary>
public sealed class LdapDirectoryFaultTests
{
    private static LdapOptions Options(string url, bool startTls = false, string? ca = null, double timeoutSeconds = 2, double loginSeconds = 4) => new()
    {
        Urls = [url],
        StartTls = startTls,
        CaCertificatesDirectory = ca ?? LdapTestServer.CaDirectory,
        UserDnPattern = "uid={0}," + LdapTestServer.People,
        Timeout = TimeSpan.FromSeconds(timeoutSeconds),
        LoginTimeout = TimeSpan.FromSeconds(loginSeconds),
    };

    [Fact]
    public async Task TheDirectorysTlsIsCheckedAgainstTheConfiguredCa()
    {
        using (var trusted = new LdapAuthenticator(Options(LdapTestServer.LdapsUrl)))
        {
            Assert.True((await trusted.AuthenticateAsync("alice", LdapTestServer.Password("alice"), default)).Succeeded);
        }
        // A CA folder that does not hold the directory's certificate: neither LDAPS nor StartTLS gets a password through.
        var other = Directory.CreateTempSubdirectory("gw-ldap-ca").FullName;
        try
        {
            using var rsa = System.Security.Cryptography.RSA.Create(2048);
            var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=other", rsa, System.Security.Cryptography.HashAlgorithmName.SHA256,
                System.Security.Cryptography.RSASignaturePadding.Pkcs1);
            using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
            await File.WriteAllTextAsync(Path.Combine(other, "0badc0de.0"), cert.ExportCertificatePem());
            foreach (var options in new[] { Options(LdapTestServer.LdapsUrl, ca: other), Options(LdapTestServer.LdapUrl, startTls: true, ca: other) })
            {
                using var untrusted = new LdapAuthenticator(options);
                var result = await untrusted.AuthenticateAsync("alice", LdapTestServer.Password("alice"), default);
                Assert.False(result.Succeeded);
                Assert.Equal(LdapAuthenticator.Unavailable, result.Error);
            }
        }
        finally
        {
            Directory.Delete(other, recursive: true);
        }
    }

    [Fact]
    public async Task ARefusedPortFailsTheLoginAtOnce()
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        using var ldap = new LdapAuthenticator(Options($"ldap://127.0.0.1:{port}"));
        var watch = Stopwatch.StartNew();
        var result = await ldap.AuthenticateAsync("alice", LdapTestServer.Password("alice"), default);
        Assert.Equal(LdapAuthenticator.Unavailable, result.Error);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(4), $"took {watch.Elapsed}");
    }

    /// <summary>
    /// A directory that takes the connection and never answers: in clear (libldap's own timeouts end the bind) and with
    /// TLS (the handshake that libldap does not bound; the login's own deadline ends it). Either way the login reads
    /// "unavailable" by the deadline, and more logins than the concurrency limit still end by theirs.
    /// </summary>
    [Theory]
    [InlineData("ldap")]
    [InlineData("ldaps")]
    [InlineData("starttls")]
    public async Task ASilentDirectoryFailsLoginsByTheDeadline(string scheme)
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start(200);
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        var options = Options($"{(scheme == "ldaps" ? "ldaps" : "ldap")}://127.0.0.1:{port}", startTls: scheme == "starttls", timeoutSeconds: 1, loginSeconds: 2) with { MaxConcurrentBinds = 2 };
        using var ldap = new LdapAuthenticator(options);
        var watch = Stopwatch.StartNew();
        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => ldap.AuthenticateAsync("alice", "pw", default).AsTask()));
        Assert.All(results, r => Assert.Equal(LdapAuthenticator.Unavailable, r.Error));
        // Two at once, two waiting for a slot no longer than Timeout: nobody past LoginTimeout + Timeout.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(6), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task ADownDirectoryLeavesTheListenerAndTheLocalAccountsWorking()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start(200);
        var folder = Directory.CreateTempSubdirectory("gw-ldap-down").FullName;
        PasswordFile.Write(Path.Combine(folder, "users.txt"), new Dictionary<string, PasswordEntry> { ["breakglass"] = new(PasswordHash.Create("breakglass-pw", 1000), []) });
        var settings = LdapGatewaysFixture.Common("Chain");
        settings["Gateway:Auth:Chain:0"] = "Ldap";
        settings["Gateway:Auth:Chain:1"] = "PasswordFile";
        settings["Gateway:Auth:Ldap:Urls:0"] = $"ldap://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}";
        settings["Gateway:Auth:Ldap:UserDnPattern"] = "uid={0}," + LdapTestServer.People;
        settings["Gateway:Auth:Ldap:Timeout"] = "00:00:01";
        settings["Gateway:Auth:Ldap:LoginTimeout"] = "00:00:02";
        settings["Gateway:Auth:Ldap:MaxConcurrentBinds"] = "2";
        await using var gateway = await GatewayInstance.StartAsync(settings, folder);
        // Directory users wait for the directory, then hear why; meanwhile the listener serves everyone else.
        var directoryUsers = Enumerable.Range(0, 6).Select(_ => Assert.ThrowsAnyAsync<Exception>(() => gateway.ConnectAsync("alice", "alice-ldap-pw"))).ToList();
        var watch = Stopwatch.StartNew();
        await using (var local = await gateway.ConnectAsync("breakglass", "breakglass-pw"))
        {
            await using var op = await local.ExecuteAsync("SELECT 1");
            Assert.Equal("1", Assert.Single((await op.ReadAllAsTextAsync()).Rows)[0]);
        }
        foreach (var e in await Task.WhenAll(directoryUsers)) Assert.Contains("directory is unavailable", e.Message, StringComparison.Ordinal);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(12), $"took {watch.Elapsed}");
    }
}
