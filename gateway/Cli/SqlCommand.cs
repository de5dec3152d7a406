using System.CommandLine;
using System.Diagnostics;
using System.Text;
using Gateway.Engines.HiveServer2;
using Gateway.Protocol.Sql;

namespace Gateway.Server.Cli;

/// <summary><c>gateway sql</c>: a small shell talking to a running gateway over the wire with the project's own HS2 client.</summary>
public static class SqlCommand
{
    public static Command Create()
    {
        var execute = new Option<string?>("--execute", "-e") { Description = "Run one statement (or several separated by ';') and exit." };
        var host = new Option<string>("--host") { Description = "Gateway host.", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int?>("--port", "-p") { Description = "Gateway port (default 10000, or 10001 with --http)." };
        var http = new Option<bool>("--http") { Description = "Use HiveServer2 over HTTP (transportMode=http)." };
        var httpPath = new Option<string>("--http-path") { Description = "HTTP endpoint path.", DefaultValueFactory = _ => "/cliservice" };
        var tls = new Option<bool>("--tls") { Description = "Use TLS (https with --http)." };
        var tlsCa = new Option<FileInfo?>("--tls-ca") { Description = "PEM file of the CA (or self-signed certificate) to trust instead of the system store; implies --tls." };
        var token = new Option<string?>("--token") { Description = "Bearer token for --http; environment variable GATEWAY_TOKEN works too." };
        var user = new Option<string>("--user", "-u") { Description = "User name.", DefaultValueFactory = _ => Environment.UserName };
        var password = new Option<string?>("--password") { Description = "Password (SASL PLAIN); environment variable GATEWAY_PASSWORD works too." };
        var noSasl = new Option<bool>("--nosasl") { Description = "Connect without SASL (auth=noSasl)." };
        var database = new Option<string?>("--database", "-d") { Description = "Initial database." };
        var maxRows = new Option<int>("--max-rows") { Description = "Rows shown per statement (the rest is counted, not printed).", DefaultValueFactory = _ => 1000 };
        var command = new Command("sql", "Run SQL against a running gateway (interactive when -e is not given).")
        {
            execute, host, port, user, password, noSasl, database, maxRows, http, httpPath, tls, tlsCa, token,
        };
        command.SetAction(async (parse, ct) =>
        {
            var useHttp = parse.GetValue(http);
            var ca = parse.GetValue(tlsCa);
            var options = new HiveConnectionOptions
            {
                Host = parse.GetValue(host)!,
                Port = parse.GetValue(port) ?? (useHttp ? 10001 : 10000),
                Transport = useHttp ? HiveTransportMode.Http : HiveTransportMode.Binary,
                HttpPath = parse.GetValue(httpPath)!,
                Tls = ca is not null ? Gateway.Protocol.Hive.ClientTlsOptions.TrustingPemFile(ca.FullName)
                    : parse.GetValue(tls) ? new Gateway.Protocol.Hive.ClientTlsOptions() : null,
                BearerToken = parse.GetValue(token) ?? (useHttp ? Environment.GetEnvironmentVariable("GATEWAY_TOKEN") : null),
                User = parse.GetValue(user)!,
                Password = parse.GetValue(password) ?? Environment.GetEnvironmentVariable("GATEWAY_PASSWORD") ?? "x",
                Auth = parse.GetValue(noSasl) ? HiveAuthMode.NoSasl : HiveAuthMode.SaslPlain,
                Database = parse.GetValue(database),
            };
            HiveConnection connection;
            try
            {
                connection = await HiveConnection.OpenAsync(options, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HiveClientException or System.Net.Sockets.SocketException or IOException or HttpRequestException)
            {
                await Console.Error.WriteLineAsync($"Cannot connect to {options.Host}:{options.Port}: {ex.Message}").ConfigureAwait(false);
                return 2;
            }
            await using (connection.ConfigureAwait(false))
            {
                var shown = parse.GetValue(maxRows);
                if (parse.GetValue(execute) is { } sql)
                {
                    var failed = false;
                    foreach (var statement in StatementSplitter.Split(sql))
                    {
                        failed |= !await RunAsync(connection, statement, shown, Console.Out, ct).ConfigureAwait(false);
                    }
                    return failed ? 1 : 0;
                }
                await ReplAsync(connection, shown, ct).ConfigureAwait(false);
                return 0;
            }
        });
        return command;
    }

    private static async Task ReplAsync(HiveConnection connection, int maxRows, CancellationToken ct)
    {
        var interactive = !Console.IsInputRedirected;
        if (interactive) await Console.Out.WriteLineAsync($"Connected (protocol {connection.ProtocolVersion}). End statements with ';'. Type 'quit;' to leave.").ConfigureAwait(false);
        var pending = new StringBuilder();
        while (!ct.IsCancellationRequested)
        {
            if (interactive) await Console.Out.WriteAsync(pending.Length == 0 ? "gateway> " : "      -> ").ConfigureAwait(false);
            var line = await Console.In.ReadLineAsync(ct).ConfigureAwait(false);
            if (line is null) break;
            pending.AppendLine(line);
            var text = pending.ToString();
            if (!StatementSplitter.EndsStatement(text)) continue;
            pending.Clear();
            foreach (var statement in StatementSplitter.Split(text))
            {
                if (statement.Trim().TrimEnd(';').Trim() is "quit" or "exit" or "\\q") return;
                await RunAsync(connection, statement, maxRows, Console.Out, ct).ConfigureAwait(false);
            }
        }
    }

    public static async Task<bool> RunAsync(HiveConnection connection, string statement, int maxRows, TextWriter output, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        try
        {
            await using var op = await connection.ExecuteAsync(statement, ct).ConfigureAwait(false);
            if (op.Handle.HasResultSet == false)
            {
                await output.WriteLineAsync($"OK ({watch.ElapsedMilliseconds} ms)").ConfigureAwait(false);
                return true;
            }
            var schema = await op.GetSchemaAsync(ct).ConfigureAwait(false);
            var rows = new List<string?[]>();
            long total = 0;
            while (true)
            {
                var (batch, more) = await op.FetchAsync(10_000, cancellationToken: ct).ConfigureAwait(false);
                using (batch)
                {
                    for (var r = 0; r < batch.RowCount; r++, total++)
                    {
                        if (rows.Count >= maxRows) continue;
                        var row = new string?[batch.Columns.Length];
                        for (var c = 0; c < row.Length; c++) row[c] = Protocol.Columnar.ValueFormatter.Utc.FormatToString(batch.Columns[c], r);
                        rows.Add(row);
                    }
                    if (batch.RowCount == 0 || !more) break;
                }
            }
            await output.WriteAsync(TableRenderer.Render([.. schema.Columns.Select(c => c.Name)], rows)).ConfigureAwait(false);
            var suffix = total > rows.Count ? $", {rows.Count} shown" : "";
            await output.WriteLineAsync($"{total} row{(total == 1 ? "" : "s")}{suffix} ({watch.ElapsedMilliseconds} ms)").ConfigureAwait(false);
            return true;
        }
        catch (HiveClientException ex)
        {
            await output.WriteLineAsync($"Error [{ex.SqlState}]: {ex.Message}").ConfigureAwait(false);
            return false;
        }
    }
}

/// <summary>Renders rows as an aligned text table.</summary>
public static class TableRenderer
{
    public static string Render(IReadOnlyList<string> headers, IReadOnlyList<string?[]> rows)
    {
        const int maxWidth = 60;
        var widths = headers.Select(h => Math.Min(maxWidth, h.Length)).ToArray();
        foreach (var row in rows)
        {
            for (var i = 0; i < widths.Length; i++) widths[i] = Math.Min(maxWidth, Math.Max(widths[i], Cell(row[i]).Length));
        }
        var sb = new StringBuilder();
        void Line()
        {
            sb.Append('+');
            foreach (var w in widths) sb.Append(new string('-', w + 2)).Append('+');
            sb.AppendLine();
        }
        void Row(IReadOnlyList<string?> cells)
        {
            sb.Append('|');
            for (var i = 0; i < widths.Length; i++)
            {
                var text = Cell(cells[i]);
                if (text.Length > widths[i]) text = text[..(widths[i] - 1)] + "…";
                sb.Append(' ').Append(text.PadRight(widths[i])).Append(" |");
            }
            sb.AppendLine();
        }
        Line();
        Row(headers);
        Line();
        foreach (var row in rows) Row(row);
        Line();
        return sb.ToString();
    }

    private static string Cell(string? value) => value is null ? "NULL" : value.Replace('\n', ' ').Replace('\r', ' ').Replace('\t', ' ');
}

/// <summary>Splits a script on ';' outside quotes and comments.</summary>
public static class StatementSplitter
{
    public static IEnumerable<string> Split(string script)
    {
        var start = 0;
        foreach (var end in Terminators(script))
        {
            var s = script[start..end].Trim();
            if (s.Length > 0) yield return s;
            start = end + 1;
        }
        var rest = script[start..].Trim();
        if (rest.Length > 0 && !IsOnlyComments(rest)) yield return rest;
    }

    public static bool EndsStatement(string text)
    {
        var last = -1;
        foreach (var t in Terminators(text)) last = t;
        // Only whitespace and closed comments after the last ';' ("select 1; -- done" runs, "select 1; /* more" waits).
        if (last < 0) return false;
        return SqlLexer.Tokenize(text[(last + 1)..], SqlDialect.Spark, includeComments: true).All(t => t.Kind == SqlTokenKind.Comment && !t.IsUnterminated);
    }

    private static bool IsOnlyComments(string s) => Hive.SessionCommands.StripLeadingComments(s).Trim().Length == 0;

    /// <summary>Offsets of the ';' that end statements: the shared lexer's tokens, so quotes, escapes and comments (ended by
    /// \n or \r) are read as the gateway reads them.</summary>
    private static IEnumerable<int> Terminators(string s)
    {
        foreach (var token in SqlLexer.Tokenize(s, SqlDialect.Spark))
        {
            if (token.Kind == SqlTokenKind.Semicolon) yield return token.Start;
        }
    }
}
