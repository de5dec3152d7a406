namespace Gateway.Engines.DuckDb;

/// <summary>
/// What SQL on an embedded DuckDB may reach outside its own database. On by default: only
/// <see cref="AllowedDirectories"/> can be read, written, globbed or attached; no network, no extension install or
/// load, no persistent secrets; and the configuration is locked so no statement can undo any of it.
/// </summary>
public sealed record DuckDbSandboxOptions
{
    /// <summary>False turns the sandbox off: SQL then reaches every file and address the gateway process can.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>Absolute directories SQL may read and write (files, COPY, ATTACH, glob), recursively.</summary>
    public IReadOnlyList<string> AllowedDirectories { get; init; } = [];

    public static DuckDbSandboxOptions Off { get; } = new() { Enabled = false };
}

/// <summary>
/// Turns <see cref="DuckDbSandboxOptions"/> into DuckDB configuration (measured on DuckDB 1.5.6, see
/// docs/security.md): <c>enable_external_access=false</c> closes the file functions, COPY, ATTACH, INSTALL/LOAD and
/// httpfs, <c>allowed_directories</c> reopens exactly the listed folders, and <c>lock_configuration=true</c> makes
/// every later SET/RESET/PRAGMA of a setting fail.
/// </summary>
public static class DuckDbSandbox
{
    /// <summary>
    /// Settings an operator may not pass through <see cref="DuckDbEngineOptions.Settings"/> while the sandbox is on:
    /// each one would reopen a way out (files, network, extensions, secrets) or unlock the configuration.
    /// </summary>
    public static readonly IReadOnlySet<string> Guarded = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "enable_external_access", "allowed_directories", "allowed_paths", "allowed_configs", "lock_configuration",
        "allow_community_extensions", "allow_unsigned_extensions", "allow_extensions_metadata_mismatch",
        "autoinstall_known_extensions", "autoload_known_extensions", "autoinstall_extension_repository",
        "custom_extension_repository", "extension_directory", "extension_directories",
        "allow_persistent_secrets", "secret_directory", "default_secret_storage", "allow_unredacted_secrets",
        "home_directory", "file_search_path", "temp_directory", "log_query_path", "logging_storage",
        "http_logging_output", "enable_http_logging", "allow_parser_override_extension",
    };

    /// <summary>Per-connection settings the gateway's own sessions set; the locked configuration still lets them through.</summary>
    public static readonly IReadOnlyList<string> SessionSettings = ["enable_progress_bar", "enable_progress_bar_print"];

    /// <summary>
    /// The statements that apply the sandbox to a freshly opened database, in order, run on a connection of the
    /// gateway's own before any session exists. SQL rather than <c>duckdb_set_config</c>: the C API's configuration
    /// takes no list-valued settings, and a SET reports why it failed. The order matters: DuckDB refuses to change the
    /// allowed directories once external access is off, and the lock must come last.
    /// </summary>
    public static IReadOnlyList<string> Statements(DuckDbSandboxOptions sandbox)
    {
        ArgumentNullException.ThrowIfNull(sandbox);
        if (!sandbox.Enabled) return [];
        var statements = new List<string>
        {
            "SET GLOBAL allowed_directories = " + ListLiteral(sandbox.AllowedDirectories.Select(AsDirectoryPrefix)),
            "SET GLOBAL enable_external_access = false",
            "SET GLOBAL autoload_known_extensions = false",
            "SET GLOBAL autoinstall_known_extensions = false",
            "SET GLOBAL allow_community_extensions = false",
            "SET GLOBAL allow_persistent_secrets = false",
            // Each session turns progress reporting on for itself (DuckDbSession.InitializeAsync): harmless
            // per-connection settings that stay open under the lock.
            "SET GLOBAL allowed_configs = " + ListLiteral(SessionSettings),
        };
        statements.Add("SET GLOBAL lock_configuration = true");
        return statements;
    }

    /// <summary>Throws <see cref="ArgumentException"/> for a setting the sandbox does not let through, or a malformed one.</summary>
    public static void ValidateSettings(IReadOnlyDictionary<string, string>? settings, DuckDbSandboxOptions sandbox, string owner)
    {
        if (settings is null) return;
        foreach (var (name, value) in settings)
        {
            if (string.IsNullOrWhiteSpace(name) || !name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                throw new ArgumentException($"{owner}: '{name}' is not a DuckDB setting name (letters, digits and '_').");
            }
            if (value is null || value.Contains('\0', StringComparison.Ordinal))
            {
                throw new ArgumentException($"{owner}: the value of '{name}' is missing or holds a NUL character.");
            }
            if (sandbox.Enabled && Guarded.Contains(name))
            {
                throw new ArgumentException(
                    $"{owner}: '{name}' is controlled by the sandbox; list folders in AllowedDirectories, or turn the sandbox off (Sandbox: false) to set it.");
            }
        }
    }

    /// <summary>
    /// The real, absolute form of a directory for DuckDB's prefix check: symbolic links in the path resolved (a
    /// link would otherwise name a folder the prefix does not), and a trailing separator so <c>/data/files</c>
    /// does not also open <c>/data/files-secret</c>.
    /// </summary>
    public static string AsDirectoryPrefix(string directory)
    {
        var full = RealPath(Path.GetFullPath(directory));
        return full.EndsWith(Path.DirectorySeparatorChar) ? full : full + Path.DirectorySeparatorChar;
    }

    /// <summary>Resolves every symbolic link along an existing path (a missing tail is kept as written).</summary>
    public static string RealPath(string fullPath)
    {
        var root = Path.GetPathRoot(fullPath) ?? "/";
        var current = root;
        var parts = fullPath[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < parts.Length; i++)
        {
            var next = Path.Combine(current, parts[i]);
            FileSystemInfo info = Directory.Exists(next) ? new DirectoryInfo(next) : new FileInfo(next);
            if (info.Exists && info.LinkTarget is not null && info.ResolveLinkTarget(returnFinalTarget: true) is { } target)
            {
                next = target.FullName;
            }
            else if (!info.Exists)
            {
                return Path.Combine([next, .. parts[(i + 1)..]]);
            }
            current = next;
        }
        return Path.TrimEndingDirectorySeparator(current) is { Length: > 0 } trimmed ? trimmed : current;
    }

    /// <summary>True when <paramref name="path"/> lies inside one of the allowed directories (after resolving links).</summary>
    public static bool Reaches(DuckDbSandboxOptions sandbox, string path)
    {
        if (!sandbox.Enabled) return true;
        var real = RealPath(Path.GetFullPath(path));
        return sandbox.AllowedDirectories.Any(d => (real + Path.DirectorySeparatorChar).StartsWith(AsDirectoryPrefix(d), StringComparison.Ordinal));
    }

    private static string ListLiteral(IEnumerable<string> items) => "[" + string.Join(", ", items.Select(Literal)) + "]";

    private static string Literal(string text) => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";
}
