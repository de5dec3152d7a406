using System.Security.Cryptography;
using Gateway.Server.Operations;
using Gateway.Server.Sessions;

namespace Gateway.Server.Trino;

/// <summary>
/// One query of a Trino client: its gateway session (opened for it from the request's headers and closed with it), its
/// operation, and where its client is in the page sequence. Its id and slug are random (the slug is a secret of the
/// links), and only the user who submitted it may read or cancel it.
/// </summary>
internal sealed class TrinoQuery(string owner, Hs2Session? session, string sql, DateTimeOffset created, string baseUri)
{
    public string Id { get; } = NewId(created);
    public string Slug { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
    public string Owner { get; } = owner;
    /// <summary>Null for a query refused before its session opened.</summary>
    public Hs2Session? Session { get; } = session;

    /// <summary>scheme://host:port as the client reached the frontend: the base of the query's links.</summary>
    public string BaseUri { get; } = baseUri;
    public string Sql { get; } = sql;

    /// <summary>The statement that runs: <see cref="Sql"/>, or the prepared statement an EXECUTE names.</summary>
    public string Statement { get; set; } = sql;

    /// <summary>Set by <c>USE catalog.schema</c> naming a gateway catalog: sent as X-Trino-Set-Catalog once it succeeds.</summary>
    public string? UseCatalog { get; set; }
    public DateTimeOffset Created { get; } = created;
    public SemaphoreSlim Gate { get; } = new(1, 1);

    public Operation? Operation { get; set; }

    /// <summary>The token of the page the client asks for next.</summary>
    public long Token { get; set; }

    /// <summary>The last page sent (with its token), served again when the client repeats the request after a lost answer.</summary>
    public byte[]? LastPage { get; set; }

    /// <summary>The answer decided at submit (a refusal, a session statement): the page after the queued one, with its headers.</summary>
    public byte[]? Decided { get; set; }

    public List<KeyValuePair<string, string>> DecidedHeaders { get; } = [];

    /// <summary>Done: the last page went out (no nextUri), or it failed or was canceled.</summary>
    public bool Done { get; set; }

    public string State { get; set; } = "QUEUED";
    public long Rows { get; set; }
    public DateTimeOffset LastAccess { get; set; } = created;

    /// <summary>A query id in Trino's shape (<c>yyyyMMdd_HHmmss_index_random</c>), random enough that ids are not guessed.</summary>
    private static string NewId(DateTimeOffset at) =>
        $"{at.UtcDateTime:yyyyMMdd_HHmmss}_{RandomNumberGenerator.GetInt32(0, 100_000):00000}_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(5))}";
}
