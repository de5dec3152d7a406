using Npgsql;

namespace Gateway.Catalog.Postgres;

/// <summary>The reads the PostgreSQL-backed catalogs share.</summary>
internal static class NpgsqlReading
{
    /// <summary>The first column of every row, as text.</summary>
    public static async ValueTask<IReadOnlyList<string>> StringsAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var result = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) result.Add(reader.GetString(0));
        return result;
    }

    /// <summary>A nullable text parameter (typed, so <c>$n IS NULL</c> works).</summary>
    public static NpgsqlParameter Text(string? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text };
}
