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

/// <summary>
/// A chunked body whose chunk size is absurd (beyond 64 bits, or beyond any limit): refused with 400 and the connection
/// closed, where it used to be answered 200 with an empty body, and nothing logged as an error.
/// </summary>
public sealed class HttpChunkedOverflowInProcessTests
{
    [Theory]
    [InlineData("ffffffffffffffff")]
    [InlineData("10000000000000000")]
    [InlineData("7fffffffffffffff")]
    public async Task AnOverflowingChunkSizeIs400(string size)
    {
        var logs = new CapturingLoggerProvider();
        await using var g = await GatewayInstance.StartAsync(new Dictionary<string, string?> { ["Gateway:DuckDb:DemoData"] = "false" }, services: sv => sv.AddSingleton<ILoggerProvider>(logs));
        var body = RawHttp.OpenSession("x");
        byte[] request = [.. Encoding.ASCII.GetBytes($"POST {g.Endpoints.HttpPath} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-thrift\r\nTransfer-Encoding: chunked\r\n\r\n{size}\r\n"), .. body, .. "\r\n0\r\n\r\n"u8.ToArray()];
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await s.ConnectAsync(IPAddress.Loopback, g.HttpPort);
        await s.SendAsync(request, SocketFlags.None);
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var n = await s.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
        var status = Encoding.ASCII.GetString(buffer, 0, n).Split("\r\n")[0];
        Assert.Equal("HTTP/1.1 400 Bad Request", status);
        await Task.Delay(300);
        Assert.DoesNotContain(logs.Lines, l => l.StartsWith("Error", StringComparison.Ordinal));
    }
}

/// <summary>
/// A password with a control character is refused on every transport. PBKDF2's HMAC pads a short key with zeros, so
/// HTTP Basic used to accept "pw\0" for "pw" while SASL PLAIN (which splits on NUL) could not even carry it.
/// </summary>
public sealed class ControlCharacterPasswordInProcessTests
{
    [Fact]
    public async Task APasswordWithAControlCharacterIsRefusedOverBasicAndSasl()
    {
        var folder = Directory.CreateTempSubdirectory("gw-ctl-pw").FullName;
        Gateway.Server.Auth.PasswordFile.Write(Path.Combine(folder, "users.txt"), new Dictionary<string, Gateway.Server.Auth.PasswordHash> { ["alice"] = Gateway.Server.Auth.PasswordHash.Create("alice-pw", 1000) });
        await using var g = await GatewayInstance.StartAsync(new Dictionary<string, string?>
        {
            ["Gateway:DuckDb:DemoData"] = "false",
            ["Gateway:Auth:Mode"] = "PasswordFile",
            ["Gateway:Auth:Throttle:Enabled"] = "false",
        }, folder);
        using var http = RawHttp.Client();
        using (var ok = await RawHttp.PostAsync(http, g.HttpUri, RawHttp.OpenSession("alice"), RawHttp.Basic("alice", "alice-pw")))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }
        foreach (var password in new[] { "alice-pw\0", "alice-pw\0\0\0", "alice-pw\t", "alice-pw\n", "alice-pw\u007f" })
        {
            using var refused = await RawHttp.PostAsync(http, g.HttpUri, RawHttp.OpenSession("alice"), RawHttp.Basic("alice", password));
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            if (password.Contains('\0', StringComparison.Ordinal)) continue; // SASL PLAIN cannot carry a NUL inside a field
            var sasl = await Assert.ThrowsAnyAsync<Exception>(() => g.ConnectAsync("alice", password));
            Assert.Contains("Invalid user name or password", sasl.Message, StringComparison.Ordinal);
        }
        await using var fine = await g.ConnectAsync("alice", "alice-pw");
    }
}
