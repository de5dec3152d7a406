using Gateway.Protocol.Sql;
using Gateway.Router.Sql;

namespace Gateway.Router.Routing;

/// <summary>Who asks and in which session: the inputs of rules and overrides.</summary>
public sealed record RoutingContext
{
    /// <summary>The engine used when nothing better can be decided; the router never fails a statement.</summary>
    public required string DefaultEngine { get; init; }

    public string User { get; init; } = "";
    public IReadOnlyList<string> Groups { get; init; } = [];

    /// <summary>The client's name (application name, driver), for rules.</summary>
    public string? Client { get; init; }

    /// <summary>Session configuration (<c>set:hiveconf:</c> and <c>SET</c>): overrides, streaming mode, rule conditions.</summary>
    public IReadOnlyDictionary<string, string> SessionConf { get; init; } = new Dictionary<string, string>();

    /// <summary>The dialect the client writes, when the session says; otherwise <see cref="RoutingOptions.Dialect"/>.</summary>
    public SqlDialect? Dialect { get; init; }

    /// <summary>The session's current catalog and schema, to qualify unqualified names for locality and rules.</summary>
    public string? CurrentCatalog { get; init; }

    public string? CurrentSchema { get; init; }

    internal string? Conf(string key)
    {
        if (SessionConf.TryGetValue(key, out var exact)) return exact;
        foreach (var (k, v) in SessionConf)
        {
            if (k.Equals(key, StringComparison.OrdinalIgnoreCase)) return v;
        }
        return null;
    }
}
