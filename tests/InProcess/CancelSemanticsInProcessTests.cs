using Gateway.Engines.HiveServer2;
using Gateway.Protocol.Hive;
using Gateway.Server.Hive;

namespace Gateway.Tests.InProcess;

/// <summary>
/// What every call says about a statement cancelled while its rows were being fetched, and that each error status's
/// infoMessages parse the way Hive JDBC parses them (HiveSQLException.toCause): 3.1.2 threw
/// StringIndexOutOfBoundsException on the gateway's old form instead of reporting the cancel.
/// </summary>
[Collection(GatewayCollection.Name)]
public class CancelSemanticsInProcessTests(GatewayFixture fixture)
{
    /// <summary>Hive JDBC's reading of infoMessages, step by step, throwing where the driver would.</summary>
    internal static (string Class, string Message, int Frames) ParseLikeHiveJdbc(IReadOnlyList<string> details)
    {
        var index = 0;
        var head = details[index++];
        Assert.StartsWith("*", head, StringComparison.Ordinal);
        var i1 = head.IndexOf(':', StringComparison.Ordinal);
        var i3 = head.LastIndexOf(':');
        var i2 = head[..i3].LastIndexOf(':');
        Assert.True(i1 > 1 && i2 > i1 && i3 > i2, $"'{head}' has no class, message, length and unique fields");
        var exceptionClass = head[1..i1];
        var message = head[(i1 + 1)..i2];
        var length = int.Parse(head[(i2 + 1)..i3], System.Globalization.CultureInfo.InvariantCulture);
        var unique = int.Parse(head[(i3 + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(unique, 0, length - 1);
        for (var i = 0; i <= unique; i++)
        {
            var frame = details[index++];
            var j1 = frame.IndexOf(':', StringComparison.Ordinal);
            var j3 = frame.LastIndexOf(':');
            var j2 = frame[..j3].LastIndexOf(':');
            Assert.True(j1 > 0 && j2 > j1 && j3 > j2, $"frame '{frame}' is not class:method:file:line");
            int.Parse(frame[(j3 + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        }
        return (exceptionClass, message, length);
    }

    private static void AssertCanceled(TStatus status)
    {
        Assert.Equal(TStatusCode.ERROR_STATUS, status.StatusCode);
        Assert.Equal("HY008", status.SqlState);
        Assert.Contains("cancel", status.ErrorMessage, StringComparison.OrdinalIgnoreCase);
        var (cls, message, _) = ParseLikeHiveJdbc(status.InfoMessages!);
        Assert.Equal(StatusMapper.ExceptionClass, cls);
        Assert.Contains("cancel", message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task AStatementCancelledWhileFetchingReadsAsCancelledInEveryCall()
    {
        await using var c = await fixture.Gateway.ConnectAsync();
        var op = await c.StartAsync("SELECT * FROM range(100000000)");
        await op.WaitAsync();
        var first = await c.Client.FetchResultsAsync(new TFetchResultsReq { OperationHandle = op.Handle, Orientation = TFetchOrientation.FETCH_NEXT, MaxRows = 1000 });
        Assert.Equal(TStatusCode.SUCCESS_STATUS, first.Status!.StatusCode);

        var cancel = await c.Client.CancelOperationAsync(new TCancelOperationReq { OperationHandle = op.Handle });
        Assert.Equal(TStatusCode.SUCCESS_STATUS, cancel.Status!.StatusCode);

        AssertCanceled((await c.Client.FetchResultsAsync(new TFetchResultsReq { OperationHandle = op.Handle, Orientation = TFetchOrientation.FETCH_NEXT, MaxRows = 1000 })).Status!);
        var status = await c.Client.GetOperationStatusAsync(new TGetOperationStatusReq { OperationHandle = op.Handle });
        Assert.Equal(TStatusCode.SUCCESS_STATUS, status.Status!.StatusCode);
        Assert.Equal(TOperationState.CANCELED_STATE, status.OperationState);
        Assert.Equal("HY008", status.SqlState);
        Assert.Contains("cancel", status.ErrorMessage, StringComparison.OrdinalIgnoreCase);
        // Cancelling again is harmless; the operation still closes.
        Assert.Equal(TStatusCode.SUCCESS_STATUS, (await c.Client.CancelOperationAsync(new TCancelOperationReq { OperationHandle = op.Handle })).Status!.StatusCode);
        AssertCanceled((await c.Client.FetchResultsAsync(new TFetchResultsReq { OperationHandle = op.Handle, Orientation = TFetchOrientation.FETCH_FIRST, MaxRows = 10 })).Status!);
        Assert.Equal(TStatusCode.SUCCESS_STATUS, (await c.Client.CloseOperationAsync(new TCloseOperationReq { OperationHandle = op.Handle })).Status!.StatusCode);
        Assert.Equal("1", (await c.QueryAsync("SELECT 1")).Rows[0][0]);
    }

    [Fact]
    public async Task EveryErrorStatusParsesAsHiveJdbcExpects()
    {
        await using var c = await fixture.Gateway.ConnectAsync();
        foreach (var sql in new[] { "SELECT * FROM no_such_table", "SELEC 1", "SELECT 'a:b:1:2'::INTEGER", "SELECT content FROM read_text('/etc/passwd')" })
        {
            var resp = await c.Client.ExecuteStatementAsync(new TExecuteStatementReq { SessionHandle = c.Session, Statement = sql, RunAsync = false });
            Assert.Equal(TStatusCode.ERROR_STATUS, resp.Status!.StatusCode);
            var (_, message, frames) = ParseLikeHiveJdbc(resp.Status.InfoMessages!);
            Assert.Equal(1, frames);
            Assert.Equal(resp.Status.ErrorMessage!.Replace('\n', ' ').Replace('\r', ' '), message);
        }
    }
}
