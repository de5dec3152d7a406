using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.InProcess;

/// <summary>
/// Requests whose body is cut, too long, too large or malformed, from a client that then hangs up: each is answered or
/// dropped, and none makes the server log an error (the listener fuzz found a 413 whose lingering drain failed and left
/// Kestrel to log "the body reader is in an invalid state").
/// </summary>
public sealed class HttpBodyFaultsInProcessTests
{
    [Theory]
    [InlineData("short-body")]
    [InlineData("too-large-cl")]
    [InlineData("bad-auth-short-body")]
    [InlineData("bad-chunked")]
    [InlineData("bad-ct-short")]
    [InlineData("long-body")]
    [InlineData("huge-cl")]
    [InlineData("too-large-full")]
    [InlineData("short-body", true)]
    [InlineData("too-large-cl", true)]
    [InlineData("bad-chunked", true)]
    public async Task ABadBodyAndAHangUpLogNoError(string kind, bool reset = false)
    {
        var logs = new CapturingLoggerProvider();
        await using var g = await GatewayInstance.StartAsync(new Dictionary<string, string?> { ["Gateway:DuckDb:DemoData"] = "false" }, services: s => s.AddSingleton<ILoggerProvider>(logs));
        var body = RawHttp.OpenSession("x");
        string head(string cl, string extra = "") => $"POST {g.Endpoints.HttpPath} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-thrift\r\n{extra}{cl}\r\n";
        byte[] req = kind switch
        {
            "short-body" => [.. Encoding.ASCII.GetBytes(head($"Content-Length: {body.Length + 10}\r\n")), .. body],
            "too-large-cl" => [.. Encoding.ASCII.GetBytes(head($"Content-Length: {20_000_000}\r\n")), .. body],
            "bad-auth-short-body" => [.. Encoding.ASCII.GetBytes(head($"Content-Length: {body.Length + 10}\r\n", "Authorization: Bearer x.y.z\r\n")), .. body],
            "bad-chunked" => [.. Encoding.ASCII.GetBytes(head("Transfer-Encoding: chunked\r\n")), .. Encoding.ASCII.GetBytes("zz\r\n"), .. body],
            "bad-ct-short" => [.. Encoding.ASCII.GetBytes($"POST {g.Endpoints.HttpPath} HTTP/1.1\r\nHost: x\r\nContent-Type: application/vnd.apache.thrift.compact\r\nContent-Length: {body.Length + 10}\r\n\r\n"), .. body],
            "huge-cl" => [.. Encoding.ASCII.GetBytes(head($"Content-Length: {90_000_000}\r\n")), .. body],
            "too-large-full" => [.. Encoding.ASCII.GetBytes(head($"Content-Length: {20_000_000}\r\n")), .. new byte[20_000_000]],
            _ => [.. Encoding.ASCII.GetBytes(head($"Content-Length: {body.Length - 3}\r\n")), .. body, .. body],
        };
        // A hang-up is a FIN, or with reset a RST (linger 0), as a killed client's.
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        if (reset) s.LingerState = new LingerOption(true, 0);
        await s.ConnectAsync(IPAddress.Loopback, g.HttpPort);
        try
        {
            await s.SendAsync(req, SocketFlags.None);
        }
        catch (SocketException)
        {
            // The server may cut a connection whose body it will not read; what matters is what it logged.
        }
        await Task.Delay(300);
        s.Close();
        await Task.Delay(500);
        var errors = logs.Lines.Where(l => l.StartsWith("Error", StringComparison.Ordinal)).ToList();
        Assert.True(errors.Count == 0, kind + ": " + string.Join("\n", errors));
    }
}
