using System.Net;

namespace Gateway.Server.Listeners;

/// <summary>
/// Open connections per client address on one listener (<c>Limits:MaxConnectionsPerAddress</c>), so that one address
/// cannot take the listener's share of <c>Limits:MaxConnections</c>. IPv4-mapped IPv6 addresses count as their IPv4
/// address. The table holds only addresses with an open connection.
/// </summary>
public sealed class ConnectionsPerAddress(int max)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<IPAddress, int> _open = [];

    public int Max { get; } = max;

    /// <summary>Connections open now from <paramref name="address"/>.</summary>
    public int OpenFrom(IPAddress address)
    {
        lock (_gate) return _open.GetValueOrDefault(Normalize(address));
    }

    /// <summary>Counts a new connection, or refuses it (null) when its address already has <see cref="Max"/> open; dispose to count it out.</summary>
    public IDisposable? TryEnter(IPAddress? address)
    {
        if (address is null || Max <= 0) return Unlimited.Instance;
        var key = Normalize(address);
        lock (_gate)
        {
            var open = _open.GetValueOrDefault(key);
            if (open >= Max) return null;
            _open[key] = open + 1;
        }
        return new Entry(this, key);
    }

    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    private void Leave(IPAddress key)
    {
        lock (_gate)
        {
            var left = _open[key] - 1;
            if (left == 0) _open.Remove(key);
            else _open[key] = left;
        }
    }

    private sealed class Entry(ConnectionsPerAddress owner, IPAddress key) : IDisposable
    {
        private int _left;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _left, 1) == 0) owner.Leave(key);
        }
    }

    private sealed class Unlimited : IDisposable
    {
        public static readonly Unlimited Instance = new();

        public void Dispose()
        {
        }
    }
}
