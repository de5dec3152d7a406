using Gateway.Engines;
using Gateway.Engines.DuckDb;
using Gateway.Protocol.Columnar;

namespace Gateway.Tests.Engines;

/// <summary>
/// Every way out of the embedded DuckDB that SQL has, against a real database opened the way the gateway opens it:
/// a data folder with the database, a secret beside it, an allowed <c>files</c> folder, and a file outside.
/// </summary>
public sealed class DuckDbSandboxTests : IAsyncLifetime
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "gw-sandbox-" + Guid.NewGuid().ToString("N"));
    private string Data => Path.Combine(_root, "data");
    private string Files => Path.Combine(Data, "files");
    private string Secret => Path.Combine(Data, "users.txt");
    private string Outside => Path.Combine(_root, "outside.txt");
    private DuckDbEngine _engine = null!;
    private IEngineSession _session = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Files);
        await File.WriteAllTextAsync(Secret, "alice:pbkdf2-sha256:secret");
        await File.WriteAllTextAsync(Outside, "outside");
        await File.WriteAllTextAsync(Path.Combine(Files, "t.csv"), "a,b\n1,2\n");
        _engine = new DuckDbEngine(new DuckDbEngineOptions
        {
            DataDirectory = Data,
            Sandbox = new DuckDbSandboxOptions { AllowedDirectories = [Files] },
        });
        _session = await _engine.OpenSessionAsync(new EngineSessionOptions("test"), CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _session.DisposeAsync();
        await _engine.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    private async Task<List<string?[]>> QueryAsync(string sql)
    {
        await using var result = await _session.ExecuteAsync(sql, ExecuteOptions.Default, CancellationToken.None);
        var rows = new List<string?[]>();
        while (await result.ReadBatchAsync(1000, CancellationToken.None) is { } batch)
        {
            using (batch)
            {
                for (var r = 0; r < batch.RowCount; r++) rows.Add([.. batch.Columns.Select(c => ValueFormatter.Utc.FormatToString(c, r))]);
            }
        }
        return rows;
    }

    private async Task<EngineException> RefusedAsync(string sql)
    {
        var e = await Assert.ThrowsAsync<EngineException>(() => QueryAsync(sql));
        Assert.True(e.SqlState == "42501", $"expected 42501, got {e.SqlState}: {e.Message}");
        return e;
    }

    private static string Q(string s) => "'" + s.Replace("'", "''", StringComparison.Ordinal) + "'";

    [Fact]
    public async Task TheAllowedFolderIsReadableAndWritable()
    {
        Assert.Equal("1", (await QueryAsync($"SELECT a FROM read_csv({Q(Path.Combine(Files, "t.csv"))})")).Single()[0]);
        await QueryAsync($"COPY (SELECT 42 AS x) TO {Q(Path.Combine(Files, "out.csv"))} (HEADER)");
        Assert.Equal("x\n42\n", await File.ReadAllTextAsync(Path.Combine(Files, "out.csv")));
        Assert.Single(await QueryAsync($"SELECT * FROM glob({Q(Path.Combine(Files, "t*.csv"))})"));
    }

    [Theory]
    [InlineData("SELECT content FROM read_text({0})")]
    [InlineData("SELECT content FROM read_blob({0})")]
    [InlineData("SELECT * FROM read_csv({0})")]
    [InlineData("SELECT * FROM read_csv_auto({0})")]
    [InlineData("SELECT * FROM read_json({0})")]
    [InlineData("SELECT * FROM read_parquet({0})")]
    [InlineData("SELECT * FROM glob({0})")]
    [InlineData("SELECT * FROM sniff_csv({0})")]
    [InlineData("SELECT * FROM parquet_metadata({0})")]
    public async Task FileFunctionsCannotReadOutside(string template)
    {
        foreach (var path in new[] { Outside, Secret, Path.Combine(Files, "..", "users.txt"), "/etc/passwd" })
        {
            await RefusedAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, template, Q(path)));
        }
    }

    [Fact]
    public async Task RelativePathsAreRefused()
    {
        // DuckDB checks the path as written against the allowed folders, before resolving it: only absolute paths work.
        await RefusedAsync("SELECT a FROM read_csv('t.csv')");
        await RefusedAsync("SELECT content FROM read_text('../users.txt')");
        await RefusedAsync("SELECT content FROM read_text('data/users.txt')");
    }

    [Fact]
    public async Task APathAsATableOutsideIsNotFound()
    {
        // With external access off DuckDB does not try a quoted path as a file: the name is looked up as a table.
        var e = await Assert.ThrowsAsync<EngineException>(() => QueryAsync($"SELECT * FROM {Q(Outside)}"));
        Assert.Equal("42S02", e.SqlState);
        Assert.Contains("does not exist", e.Message, StringComparison.Ordinal);
        Assert.Equal("1", (await QueryAsync($"SELECT a FROM {Q(Path.Combine(Files, "t.csv"))}")).Single()[0]);
    }

    [Fact]
    public async Task OnlyTheAllowedFolderAndTheDatabasesOwnFilesAreOpen()
    {
        // DuckDB opens its own database file, WAL and spill folder to itself; SQL reaching them sees the bytes of the
        // data it can already query, and nothing of the gateway's (the password file beside them stays closed).
        var db = _engine.DatabasePath!;
        var paths = (await QueryAsync("SELECT unnest(current_setting('allowed_paths'))")).Select(r => r[0]).Order(StringComparer.Ordinal);
        Assert.Equal(new[] { db, db + ".wal", db + ".wal.checkpoint", db + ".wal.recovery" }.Order(StringComparer.Ordinal), paths);
        var directories = (await QueryAsync("SELECT unnest(current_setting('allowed_directories'))")).Select(r => r[0]).Order(StringComparer.Ordinal);
        Assert.Equal(new[] { DuckDbSandbox.AsDirectoryPrefix(Files), db + ".tmp/" }.Order(StringComparer.Ordinal), directories);
        await RefusedAsync($"SELECT content FROM read_text({Q(Secret)})");
    }

    [Fact]
    public async Task AnInMemoryDatabaseSpillsToAPrivateFolderNotTheWorkingDirectory()
    {
        await using var memory = new DuckDbEngine(DuckDbEngineOptions.InMemory());
        await using var session = await memory.OpenSessionAsync(new EngineSessionOptions("t"), CancellationToken.None);
        await using var result = await session.ExecuteAsync("SELECT current_setting('temp_directory'), current_setting('allowed_directories')::VARCHAR", ExecuteOptions.Default, CancellationToken.None);
        using var batch = await result.ReadBatchAsync(10, CancellationToken.None);
        var temp = ValueFormatter.Utc.FormatToString(batch!.Columns[0], 0)!;
        Assert.StartsWith(Path.Combine(Path.GetTempPath(), "gateway-duckdb-"), temp, StringComparison.Ordinal);
        Assert.DoesNotContain(Path.Combine(Environment.CurrentDirectory, ".tmp"), ValueFormatter.Utc.FormatToString(batch.Columns[1], 0), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("COPY (SELECT 1) TO {0}")]
    [InlineData("COPY (SELECT 1) TO {0} (FORMAT parquet)")]
    [InlineData("EXPORT DATABASE {0}")]
    public async Task CopyCannotWriteOutside(string template)
    {
        var target = Path.Combine(_root, "written");
        await RefusedAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, template, Q(target)));
        Assert.False(File.Exists(target) || Directory.Exists(target));
    }

    [Fact]
    public async Task CopyFromOutsideIsRefused()
    {
        await QueryAsync("CREATE TABLE IF NOT EXISTS c(line VARCHAR)");
        await RefusedAsync($"COPY c FROM {Q(Outside)}");
    }

    [Fact]
    public async Task AttachOutsideIsRefusedAndInsideWorks()
    {
        await RefusedAsync($"ATTACH {Q(Path.Combine(_root, "other.duckdb"))} AS other");
        Assert.False(File.Exists(Path.Combine(_root, "other.duckdb")));
        await QueryAsync($"ATTACH {Q(Path.Combine(Files, "inside.duckdb"))} AS inside");
        await QueryAsync("DETACH inside");
    }

    [Theory]
    [InlineData("INSTALL httpfs")]
    [InlineData("LOAD httpfs")]
    [InlineData("LOAD '/tmp/evil.duckdb_extension'")]
    [InlineData("FORCE INSTALL json")]
    public async Task ExtensionsCannotBeInstalledOrLoaded(string sql) => await RefusedAsync(sql);

    [Theory]
    [InlineData("SET enable_external_access = true")]
    [InlineData("SET GLOBAL enable_external_access = true")]
    [InlineData("RESET enable_external_access")]
    [InlineData("SET allowed_directories = ['/']")]
    [InlineData("SET allowed_paths = ['/etc/passwd']")]
    [InlineData("SET lock_configuration = false")]
    [InlineData("PRAGMA enable_external_access = true")]
    [InlineData("SET autoload_known_extensions = true")]
    [InlineData("SET secret_directory = '/tmp'")]
    [InlineData("SET temp_directory = '/tmp/x'")]
    [InlineData("SET log_query_path = '/tmp/queries.log'")]
    [InlineData("SELECT 1; SET enable_external_access = true")]
    public async Task TheSandboxSettingsCannotBeChanged(string sql)
    {
        await RefusedAsync(sql);
        Assert.Equal("false", (await QueryAsync("SELECT current_setting('enable_external_access')")).Single()[0]);
        await RefusedAsync($"SELECT content FROM read_text({Q(Outside)})");
    }

    [Fact]
    public async Task SymbolicLinksOutOfTheAllowedFolderAreRefused()
    {
        var fileLink = Path.Combine(Files, "link.txt");
        var dirLink = Path.Combine(Files, "up");
        File.CreateSymbolicLink(fileLink, Outside);
        Directory.CreateSymbolicLink(dirLink, _root);
        await RefusedAsync($"SELECT content FROM read_text({Q(fileLink)})");
        await RefusedAsync($"SELECT content FROM read_text({Q(Path.Combine(dirLink, "outside.txt"))})");
        await RefusedAsync($"SELECT content FROM read_text({Q(Path.Combine(dirLink, "data", "users.txt"))})");
        await RefusedAsync($"COPY (SELECT 1) TO {Q(Path.Combine(dirLink, "via-link.csv"))}");
        Assert.False(File.Exists(Path.Combine(_root, "via-link.csv")));
    }

    [Fact]
    public async Task NetworkIsRefused() => await RefusedAsync("SELECT * FROM read_csv('http://127.0.0.1:1/x.csv')");

    [Fact]
    public async Task PersistentSecretsCannotBeCreated() =>
        await RefusedAsync("CREATE PERSISTENT SECRET s (TYPE http, BEARER_TOKEN 'v')");

    [Fact]
    public async Task SqlStillWorksInsideTheDatabase()
    {
        await QueryAsync("CREATE TABLE IF NOT EXISTS t AS SELECT 1 AS x");
        Assert.Equal("1", (await QueryAsync("SELECT x FROM t")).Single()[0]);
        Assert.Equal("true", (await QueryAsync("SELECT current_setting('lock_configuration')")).Single()[0]);
    }

    [Fact]
    public void SettingsTheSandboxControlsAreRefusedInConfiguration()
    {
        var e = Assert.Throws<ArgumentException>(() => new DuckDbEngine(DuckDbEngineOptions.InMemory() with
        {
            Settings = new Dictionary<string, string> { ["enable_external_access"] = "true" },
        }));
        Assert.Contains("sandbox", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new DuckDbEngine(DuckDbEngineOptions.InMemory() with
        {
            Settings = new Dictionary<string, string> { ["x; DROP"] = "1" },
        }));
        Assert.Throws<ArgumentException>(() => new DuckDbEngine(DuckDbEngineOptions.InMemory() with
        {
            Sandbox = new DuckDbSandboxOptions { AllowedDirectories = ["relative/dir"] },
        }));
        var unknown = Assert.Throws<EngineException>(() => new DuckDbEngine(DuckDbEngineOptions.InMemory() with
        {
            Settings = new Dictionary<string, string> { ["no_such_setting"] = "1" },
        }));
        Assert.Contains("no_such_setting", unknown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithTheSandboxOffAnOperatorCanOpenEverything()
    {
        await using var open = new DuckDbEngine(DuckDbEngineOptions.InMemory() with
        {
            Sandbox = DuckDbSandboxOptions.Off,
            Settings = new Dictionary<string, string> { ["enable_external_access"] = "true" },
        });
        await using var session = await open.OpenSessionAsync(new EngineSessionOptions("ops"), CancellationToken.None);
        await using var result = await session.ExecuteAsync($"SELECT content FROM read_text({Q(Outside)})", ExecuteOptions.Default, CancellationToken.None);
        using var batch = await result.ReadBatchAsync(10, CancellationToken.None);
        Assert.Equal("outside", ValueFormatter.Utc.FormatToString(batch!.Columns[0], 0));
    }
}
