using System.Globalization;
using System.Text;
using Gateway.Protocol.Columnar;

namespace Gateway.Engines.Trino;

/// <summary>
/// An engine session on Trino: the session state the coordinator's headers maintain (catalog, schema, properties,
/// prepared statements, transaction), sent with each statement, and at most one open result. Trino keeps no session of
/// its own, so opening one costs nothing and a session stays valid as long as the coordinator answers.
/// </summary>
public sealed class TrinoSession : IEngineSession
{
    /// <summary>The name parameters are prepared under (<c>X-Trino-Prepared-Statement</c>) for <c>EXECUTE ... USING</c>.</summary>
    private const string ParameterStatement = "gateway_parameters";
    private TrinoQueryResult? _open;
    private int _disposed;

    internal TrinoSession(TrinoEngine engine, string user)
    {
        Engine = engine;
        State = new TrinoSessionState(engine.Options, user);
        Metadata = new TrinoMetadata(this);
    }

    internal TrinoEngine Engine { get; }
    internal TrinoClient Client => Engine.Client;
    internal TrinoSessionState State { get; }

    public string CurrentDatabase => State.Schema ?? Engine.Options.Schema;

    /// <summary>The catalog unqualified names resolve in, as the coordinator last set it.</summary>
    public string? CurrentCatalog => State.Catalog;

    public IEngineMetadata Metadata { get; }

    public async ValueTask<IQueryResult> ExecuteAsync(string sql, ExecuteOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sql);
        ArgumentNullException.ThrowIfNull(options);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        await EndOpenResultAsync().ConfigureAwait(false);
        var text = TrinoSql.Rewrite(sql);
        if (options.Parameters.Count > 0)
        {
            // Trino binds parameters through a prepared statement: the text travels in a header, the values as literals.
            var (prepared, ordered) = TrinoSql.Positional(text, options.Parameters);
            State.Prepared[ParameterStatement] = prepared;
            text = ordered.Count == 0 ? $"EXECUTE {ParameterStatement}" : $"EXECUTE {ParameterStatement} USING {string.Join(", ", ordered.Select(Literal))}";
        }
        try
        {
            // The result registers itself as the open one before its first request, so an Interrupt while it starts reaches it.
            return await TrinoQueryResult.StartAsync(this, text, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            State.Prepared.Remove(ParameterStatement);
        }
    }

    /// <summary>A parameter as a Trino literal of its type.</summary>
    internal static string Literal(QueryParameter p)
    {
        if (p.Value is null) return "NULL";
        var v = p.Value;
        var inv = CultureInfo.InvariantCulture;
        return p.Type.Kind switch
        {
            SqlTypeKind.Boolean => (bool)v ? "true" : "false",
            SqlTypeKind.TinyInt or SqlTypeKind.SmallInt or SqlTypeKind.Int => Convert.ToInt64(v, inv).ToString(inv),
            SqlTypeKind.BigInt => $"BIGINT '{Convert.ToInt64(v, inv).ToString(inv)}'",
            SqlTypeKind.Float => $"REAL '{Convert.ToDouble(v, inv).ToString("R", inv)}'",
            SqlTypeKind.Double => $"DOUBLE '{Convert.ToDouble(v, inv).ToString("R", inv)}'",
            SqlTypeKind.Decimal => $"DECIMAL '{DecimalText((Int128)v, p.Type.Scale)}'",
            SqlTypeKind.Date => $"DATE '{ValueConversions.DateFromDays((int)v):yyyy-MM-dd}'",
            SqlTypeKind.Timestamp => $"TIMESTAMP '{ValueConversions.TimestampFromMicros((long)v).ToString("yyyy-MM-dd HH:mm:ss.ffffff", inv)}'",
            SqlTypeKind.TimestampTz => $"TIMESTAMP '{ValueConversions.TimestampFromMicros((long)v).ToString("yyyy-MM-dd HH:mm:ss.ffffff", inv)} UTC'",
            SqlTypeKind.Binary => $"X'{Convert.ToHexString((byte[])v)}'",
            _ => "'" + Convert.ToString(v, inv)!.Replace("'", "''", StringComparison.Ordinal) + "'",
        };
    }

    private static string DecimalText(Int128 unscaled, int scale)
    {
        Span<byte> text = stackalloc byte[64];
        return Encoding.ASCII.GetString(text[..ValueFormatter.FormatDecimal(unscaled, scale, text)]);
    }

    internal void Started(TrinoQueryResult result) => Volatile.Write(ref _open, result);

    internal void Ended(TrinoQueryResult result) => Interlocked.CompareExchange(ref _open, null, result);

    /// <summary>A new statement closes the open result (its query canceled on the coordinator); reading it then fails with 24000.</summary>
    private async Task EndOpenResultAsync()
    {
        if (Interlocked.Exchange(ref _open, null) is { } open) await open.CloseAsync("a newer statement started on the session").ConfigureAwait(false);
    }

    public void Interrupt() => Volatile.Read(ref _open)?.Interrupt();

    public ValueTask<bool> ValidateAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(_disposed == 0);
    }

    public async ValueTask UseDatabaseAsync(string database, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(database);
        var schema = database.Equals("default", StringComparison.OrdinalIgnoreCase) ? Engine.Options.Schema : database;
        var target = State.Catalog is { } catalog ? $"{Quote(catalog)}.{Quote(schema)}" : Quote(schema);
        try
        {
            var result = await ExecuteAsync("USE " + target, ExecuteOptions.Default, cancellationToken).ConfigureAwait(false);
            await result.DisposeAsync().ConfigureAwait(false);
        }
        catch (EngineException ex) when (!ex.Retryable)
        {
            throw new EngineException($"Trino has no schema {schema}{(State.Catalog is { } c ? $" in catalog {c}" : "")}: {ex.Message}", ex.SqlState, ex.ErrorCode);
        }
    }

    internal static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    internal static string QuoteLiteral(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

    /// <summary>Runs a metadata query to its end and returns its rows as text.</summary>
    internal async Task<List<string?[]>> QueryRowsAsync(string sql, CancellationToken cancellationToken)
    {
        var rows = new List<string?[]>();
        var text = new System.Buffers.ArrayBufferWriter<byte>();
        var result = await ExecuteAsync(sql, ExecuteOptions.Default, cancellationToken).ConfigureAwait(false);
        await using (result.ConfigureAwait(false))
        {
            while (await result.ReadBatchAsync(10_000, cancellationToken).ConfigureAwait(false) is { } batch)
            {
                using (batch)
                {
                    for (var r = 0; r < batch.RowCount; r++)
                    {
                        var row = new string?[batch.Columns.Length];
                        for (var c = 0; c < row.Length; c++)
                        {
                            if (batch.Columns[c].IsNull(r)) continue;
                            text.ResetWrittenCount();
                            ValueFormatter.Utc.Write(batch.Columns[c], r, text);
                            row[c] = Encoding.UTF8.GetString(text.WrittenSpan);
                        }
                        rows.Add(row);
                    }
                }
            }
        }
        return rows;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await EndOpenResultAsync().ConfigureAwait(false);
        Engine.Closed(this);
    }
}
