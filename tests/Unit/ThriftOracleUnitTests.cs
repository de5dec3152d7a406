using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Gateway.Engines.HiveServer2;
using Gateway.Protocol.Hive;
using Gateway.Tests.InProcess;
using Thrift;
using Thrift.Protocol;
using Thrift.Protocol.Entities;
using Thrift.Transport.Client;

namespace Gateway.Tests.Unit;

/// <summary>
/// Apache Thrift 0.25's own binary protocol as the oracle for our codec: every message of a real session, in both
/// directions (the gateway's replies and our client's calls, recorded through a TCP proxy), is read by Apache Thrift
/// value by value into a generic tree, which must consume the message exactly, and written back by Apache Thrift,
/// which must give the very same bytes. The binary protocol has one encoding per value, so any difference is ours.
/// </summary>
public sealed class ThriftOracleUnitTests
{
    /// <summary>Apache Thrift reads <paramref name="message"/> whole and writes back exactly its bytes; returns the method name.</summary>
    internal static async Task<string> AssertApacheThriftAgreesAsync(byte[] message)
    {
        var configuration = new TConfiguration { MaxMessageSize = 256 << 20 };
        using var input = new TMemoryBufferTransport(message, configuration);
        using var reader = new TBinaryProtocol(input);
        var header = await reader.ReadMessageBeginAsync(default);
        var body = await ApacheThriftTree.ReadAsync(reader, TType.Struct);
        await reader.ReadMessageEndAsync(default);
        var rest = new byte[1];
        Assert.True(await input.ReadAsync(rest, 0, 1, default) == 0, $"{header.Name}: bytes left after the message Apache Thrift read");

        using var output = new TMemoryBufferTransport(configuration);
        using var writer = new TBinaryProtocol(output);
        await writer.WriteMessageBeginAsync(header, default);
        await ApacheThriftTree.WriteAsync(writer, body);
        await writer.WriteMessageEndAsync(default);
        await writer.Transport.FlushAsync(default);
        var again = output.GetBuffer();
        Assert.True(message.AsSpan().SequenceEqual(again), $"{header.Name} ({header.Type}): Apache Thrift writes {again.Length} bytes for our {message.Length}, first difference at {FirstDifference(message, again)}");
        return header.Name;
    }

    private static int FirstDifference(byte[] a, byte[] b)
    {
        var n = Math.Min(a.Length, b.Length);
        for (var i = 0; i < n; i++)
        {
            if (a[i] != b[i]) return i;
        }
        return n;
    }

    /// <summary>The Thrift messages of one direction of a binary connection: SASL frames skipped, then length-prefixed messages.</summary>
    private static List<byte[]> Messages(byte[] stream)
    {
        var messages = new List<byte[]>();
        var position = 0;
        // SASL frames: a status byte (START 1 .. COMPLETE 5), a 4-byte length, the payload.
        while (position < stream.Length && stream[position] is >= 1 and <= 5)
        {
            position += 5 + BinaryPrimitives.ReadInt32BigEndian(stream.AsSpan(position + 1));
        }
        while (position + 4 <= stream.Length)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(stream.AsSpan(position));
            messages.Add(stream.AsSpan(position + 4, length).ToArray());
            position += 4 + length;
        }
        Assert.Equal(stream.Length, position);
        return messages;
    }

    [Fact]
    public async Task ApacheThriftReadsAndRewritesEveryMessageOfARealSessionByteForByte()
    {
        await using var gateway = await GatewayInstance.StartAsync(new Dictionary<string, string?> { ["Gateway:DuckDb:DemoData"] = "false" });
        using var recorder = new RecordingProxy(gateway.Port);
        await using (var c = await HiveConnection.OpenAsync(new HiveConnectionOptions { Port = recorder.Port, User = "oracle", Password = "x" }))
        {
            const string everyType = "SELECT CAST(1 AS TINYINT) AS ti, CAST(2 AS SMALLINT) AS si, 3 AS i, CAST(4 AS BIGINT) AS bi, CAST(1.5 AS FLOAT) AS f, "
                + "CAST(2.25 AS DOUBLE) AS d, CAST(12.34 AS DECIMAL(10,2)) AS dec, 'text' AS s, TRUE AS b, DATE '2024-01-31' AS dt, "
                + "TIMESTAMP '2024-01-31 12:34:56.789' AS ts, CAST('ab' AS BLOB) AS bin, NULL AS n, [1, 2] AS arr, {'k': 1} AS st, MAP {'a': 1} AS m "
                + "FROM range(3)";
            await using (var op = await c.ExecuteAsync(everyType))
            {
                await op.ReadAllAsTextAsync();
                await op.FetchLogAsync();
                await c.Client.GetResultSetMetadataAsync(new TGetResultSetMetadataReq { OperationHandle = op.Handle });
                await c.Client.GetOperationStatusAsync(new TGetOperationStatusReq { OperationHandle = op.Handle, GetProgressUpdate = true });
            }
            await using (var op = await c.ExecuteAsync("SELECT range AS n, 'row ' || range AS s FROM range(5000)"))
            {
                await op.ReadAllAsTextAsync();
            }
            await Assert.ThrowsAnyAsync<Exception>(async () => await c.ExecuteAsync("SELECT * FROM no_such_table"));
            await c.Client.GetInfoAsync(new TGetInfoReq { SessionHandle = c.Session, InfoType = TGetInfoType.CLI_DBMS_VER });
            await c.Client.GetCatalogsAsync(new TGetCatalogsReq { SessionHandle = c.Session });
            await c.Client.GetSchemasAsync(new TGetSchemasReq { SessionHandle = c.Session, SchemaName = "%" });
            await c.Client.GetTablesAsync(new TGetTablesReq { SessionHandle = c.Session, SchemaName = "%", TableName = "%", TableTypes = ["TABLE", "VIEW"] });
            await c.Client.GetColumnsAsync(new TGetColumnsReq { SessionHandle = c.Session, SchemaName = "%", TableName = "%", ColumnName = "%" });
            await c.Client.GetTypeInfoAsync(new TGetTypeInfoReq { SessionHandle = c.Session });
            await c.Client.GetTableTypesAsync(new TGetTableTypesReq { SessionHandle = c.Session });
            await c.Client.GetFunctionsAsync(new TGetFunctionsReq { SessionHandle = c.Session, FunctionName = "%" });
        }
        var (up, down) = await recorder.FinishAsync();
        var calls = Messages(up);
        var replies = Messages(down);
        Assert.True(calls.Count >= 15, $"{calls.Count} calls recorded");
        Assert.Equal(calls.Count, replies.Count);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var message in calls.Concat(replies)) names.Add(await AssertApacheThriftAgreesAsync(message));
        foreach (var method in new[] { "OpenSession", "ExecuteStatement", "FetchResults", "GetResultSetMetadata", "GetOperationStatus", "GetInfo", "GetColumns", "GetTypeInfo", "CloseOperation", "CloseSession" })
        {
            Assert.Contains(method, names);
        }
    }

    /// <summary>The oracle itself: a bool written as 2 (readers take anything but 1 as false) is one it notices.</summary>
    [Fact]
    public async Task TheOracleNoticesANonCanonicalEncoding()
    {
        byte[] canonical = [0x80, 0x01, 0x00, 0x02, 0, 0, 0, 4, (byte)'T', (byte)'e', (byte)'s', (byte)'t', 0, 0, 0, 1, 2, 0, 1, 1, 0];
        Assert.Equal("Test", await AssertApacheThriftAgreesAsync(canonical));
        var odd = (byte[])canonical.Clone();
        odd[^2] = 2;
        await Assert.ThrowsAnyAsync<Xunit.Sdk.XunitException>(() => AssertApacheThriftAgreesAsync(odd));
        // And a message with a byte after its end.
        await Assert.ThrowsAnyAsync<Xunit.Sdk.XunitException>(() => AssertApacheThriftAgreesAsync([.. canonical, 0]));
    }
}
