using Gateway.Engines.DuckDb;

namespace Gateway.Server.Configuration;

/// <summary>
/// How the gateway's DuckDB engines are sandboxed (docs/security.md): SQL reaches the data folder's <c>files</c>
/// folder and the folders an operator lists, nothing else; the gateway's own state (the password file, the
/// database files, TLS and JWT keys, the config files) must stay out of reach, or the start is refused.
/// </summary>
public static class DuckDbSandboxConfiguration
{
    /// <summary>The folder of the data folder that SQL may read and write (<c>read_parquet('…/data/files/x.parquet')</c>).</summary>
    public const string FilesFolderName = "files";

    public static string FilesFolder(GatewayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Path.GetFullPath(Path.Combine(options.DataFolder, FilesFolderName));
    }

    /// <summary>
    /// The sandbox an engine gets: the files folder and the configured folders (relative ones against the data
    /// folder), absolute; the sandbox as configured when it is off.
    /// </summary>
    public static DuckDbSandboxOptions Resolve(GatewayOptions options, DuckDbSandboxOptions? configured)
    {
        ArgumentNullException.ThrowIfNull(options);
        configured ??= new DuckDbSandboxOptions();
        if (!configured.Enabled) return configured;
        var directories = new List<string> { FilesFolder(options) };
        foreach (var d in configured.AllowedDirectories)
        {
            var full = Path.GetFullPath(Path.Combine(options.DataFolder, d));
            if (!directories.Contains(full, StringComparer.Ordinal)) directories.Add(full);
        }
        return configured with { AllowedDirectories = directories };
    }

    /// <summary>
    /// Checks every DuckDB engine's Settings and Sandbox, and that no file the gateway keeps a secret in lies inside a
    /// folder SQL can reach. <paramref name="configFiles"/> are the configuration files the options came from.
    /// </summary>
    public static void Validate(GatewayOptions o, IEnumerable<string> configFiles, List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(o);
        ArgumentNullException.ThrowIfNull(errors);
        if (string.IsNullOrWhiteSpace(o.DataFolder)) return;
        var sandboxes = new List<(string Key, DuckDbSandboxOptions Sandbox)>();
        Check("Gateway:DuckDb", o.DuckDb.Sandbox, o.DuckDb.Settings);
        for (var i = 0; i < o.Engines.Count; i++)
        {
            var e = o.Engines[i];
            var key = $"Gateway:Engines:{i}";
            if (e.Kind != Gateway.Engines.EngineKind.DuckDb)
            {
                if (e.Settings is not null || e.Sandbox is not null) errors.Add($"{key}: Settings and Sandbox are for DuckDB engines only.");
                continue;
            }
            if (e.Name.Equals(Engines.EngineRegistry.EmbeddedName, StringComparison.OrdinalIgnoreCase))
            {
                if (e.Settings is not null || e.Sandbox is not null) errors.Add($"{key}: the embedded engine's Settings and Sandbox are Gateway:DuckDb:Settings and Gateway:DuckDb:Sandbox.");
                continue;
            }
            Check(key, e.Sandbox, e.Settings);
        }
        if (sandboxes.Count == 0) return;

        var data = DuckDbSandbox.RealPath(Path.GetFullPath(o.DataFolder));
        var secrets = new List<(string What, string Path)>
        {
            ("the password file (Gateway:Auth:PasswordFile)", Path.Combine(o.DataFolder, o.Auth.PasswordFile)),
        };
        if (o.Tls.CertificatePath is { } cert) secrets.Add(("the TLS certificate (Gateway:Tls:CertificatePath)", cert));
        if (o.Tls.KeyPath is { } tlsKey) secrets.Add(("the TLS key (Gateway:Tls:KeyPath)", tlsKey));
        if (o.Auth.Jwt.PublicKeyPath is { } pem) secrets.Add(("the JWT key (Gateway:Auth:Jwt:PublicKeyPath)", pem));
        if (o.Auth.Jwt.JwksPath is { } jwks) secrets.Add(("the JWKS file (Gateway:Auth:Jwt:JwksPath)", jwks));
        foreach (var file in configFiles) secrets.Add(("the configuration file", file));
        // Other users' unread results.
        secrets.Add(("the spool of unread results (Gateway:Limits:Spool:Folder)", Path.Combine(o.Limits.Spool?.Folder ?? Path.Combine(o.DataFolder, "spool"), "result.arrows")));
        foreach (var (key, sandbox) in sandboxes)
        {
            foreach (var directory in sandbox.AllowedDirectories)
            {
                var real = DuckDbSandbox.RealPath(directory);
                if (Contains(real, data))
                {
                    errors.Add($"{key}:Sandbox:AllowedDirectories: '{directory}' holds the data folder '{data}' (the gateway's databases and password file); open a folder inside it, such as its '{FilesFolderName}' folder, instead.");
                }
            }
            foreach (var (what, path) in secrets)
            {
                if (DuckDbSandbox.Reaches(sandbox, Path.GetFullPath(path)))
                {
                    errors.Add($"{key}:Sandbox: {what} '{Path.GetFullPath(path)}' lies in a folder SQL can read; move it out of the allowed folders.");
                }
            }
        }

        void Check(string key, DuckDbSandboxOptions? configured, IReadOnlyDictionary<string, string>? settings)
        {
            configured ??= new DuckDbSandboxOptions();
            if (configured.AllowedDirectories.Any(string.IsNullOrWhiteSpace))
            {
                errors.Add($"{key}:Sandbox:AllowedDirectories holds an empty entry.");
                return;
            }
            try
            {
                DuckDbSandbox.ValidateSettings(settings, configured, $"{key}:Settings");
            }
            catch (ArgumentException ex)
            {
                errors.Add(ex.Message);
            }
            if (configured.Enabled) sandboxes.Add((key, Resolve(o, configured)));
        }
    }

    /// <summary>True when <paramref name="inner"/> is <paramref name="outer"/> or lies below it (real, absolute paths).</summary>
    private static bool Contains(string outer, string inner) =>
        (inner + Path.DirectorySeparatorChar).StartsWith(outer.EndsWith(Path.DirectorySeparatorChar) ? outer : outer + Path.DirectorySeparatorChar, StringComparison.Ordinal);
}
