using System.Net;
using System.Net.Sockets;

namespace Gateway.Tests.InProcess;

/// <summary>
/// A TCP proxy in front of a gateway port for one connection, recording every byte each way (the client's calls, the
/// gateway's replies) in the order they passed. Each side's end is passed on as a half-close.
/// </summary>
public sealed class RecordingProxy : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly MemoryStream _up = new();
    private readonly MemoryStream _down = new();
    private readonly Task _pumping;

    public RecordingProxy(int target)
    {
        _listener.Start();
        _pumping = Task.Run(async () =>
        {
            using var client = await _listener.AcceptTcpClientAsync();
            using var server = new TcpClient();
            await server.ConnectAsync(IPAddress.Loopback, target);
            await Task.WhenAll(Pump(client.GetStream(), server.GetStream(), _up, server), Pump(server.GetStream(), client.GetStream(), _down, client));
        });
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>What passed each way, once both sides have closed (the client first, as a session ends).</summary>
    public async Task<(byte[] Up, byte[] Down)> FinishAsync()
    {
        await _pumping.WaitAsync(TimeSpan.FromSeconds(30));
        lock (_up)
        {
            lock (_down) return (_up.ToArray(), _down.ToArray());
        }
    }

    private static async Task Pump(NetworkStream from, NetworkStream to, MemoryStream record, TcpClient toClient)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            int n;
            while ((n = await from.ReadAsync(buffer)) > 0)
            {
                lock (record) record.Write(buffer, 0, n);
                await to.WriteAsync(buffer.AsMemory(0, n));
            }
        }
        catch (IOException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
        finally
        {
            try
            {
                toClient.Client.Shutdown(SocketShutdown.Send);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // That side is gone already.
            }
        }
    }

    public void Dispose() => _listener.Stop();
}
