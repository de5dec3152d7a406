using System.Text.Json.Nodes;
using Gateway.Protocol.Arrow;
using Gateway.Protocol.Columnar;
using Gateway.Tests.Unit.Arrow;

namespace Gateway.Tests.RealClients;

/// <summary>
/// Our Arrow reader on streams written by the npm apache-arrow library (tests/clients/arrow-write.js): every
/// Arrow type it maps, several record batches (one empty), NULLs at every level, sliced vectors, nested types,
/// an empty stream, and a dictionary-encoded column it must refuse. Each stream is read from a file (the
/// Stream path) and from memory. A missing node or package fails.
/// </summary>
public class ArrowJsStreamsRealClientTests
{
    [Fact]
    public async Task StreamsWrittenByApacheArrowReadValueForValue()
    {
        var dir = Directory.CreateTempSubdirectory("gateway-arrow-js-").FullName;
        var r = await NodeClientsRealClientTests.RunNodeAsync("arrow-write.js", dir);
        var streams = Directory.GetFiles(dir, "*.json").OrderBy(f => f, StringComparer.Ordinal).ToList();
        Assert.Equal(r.GetProperty("streams").GetInt32(), streams.Count);
        Assert.Equal(5, streams.Count);
        var values = 0L;
        foreach (var json in streams)
        {
            var name = Path.GetFileNameWithoutExtension(json);
            var expected = JsonNode.Parse(File.ReadAllText(json))!.AsObject();
            var bytes = File.ReadAllBytes(Path.ChangeExtension(json, ".arrows"));
            if (expected["refused"] is { } refused)
            {
                var e = Assert.Throws<NotSupportedException>(() => ReadAll(new ArrowStreamReader(bytes)));
                Assert.Contains((string)refused!, e.Message, StringComparison.OrdinalIgnoreCase);
                continue;
            }
            values += Check(name, expected, new ArrowStreamReader(bytes));
            Check(name + " (file)", expected, new ArrowStreamReader(File.OpenRead(Path.ChangeExtension(json, ".arrows"))));
        }
        // 37 scalar columns × 30 rows, 7 nested × 13, 8 sliced × 17: far more values than a smoke test.
        Assert.True(values > 1300, $"Only {values} values compared.");
        Directory.Delete(dir, recursive: true);
    }

    private static List<ColumnBatch> ReadAll(ArrowStreamReader reader)
    {
        using (reader)
        {
            var batches = new List<ColumnBatch>();
            while (reader.ReadNextBatch() is { } b) batches.Add(b);
            return batches;
        }
    }

    private static long Check(string name, JsonObject expected, ArrowStreamReader reader)
    {
        using (reader)
        {
            var fields = expected["fields"]!.AsArray();
            var schema = reader.Schema.Schema;
            Assert.Equal(fields.Select(f => (string)f!["name"]!), schema.Columns.Select(c => c.Name));
            for (var c = 0; c < fields.Count; c++)
            {
                Assert.True((string)fields[c]!["sql"]! == schema.Columns[c].Type.ToString(), $"{name}: column {schema.Columns[c].Name} is {schema.Columns[c].Type}, expected {fields[c]!["sql"]}.");
            }
            var values = 0L;
            foreach (var expectedBatch in expected["batches"]!.AsArray())
            {
                using var batch = reader.ReadNextBatch();
                Assert.NotNull(batch);
                var rows = (int)expectedBatch!["rows"]!;
                Assert.Equal(rows, batch.RowCount);
                var actual = ArrowExpected.Columns(batch, 0, rows, ArrowWriteOptions.Native);
                var columns = expectedBatch["columns"]!.AsArray();
                for (var c = 0; c < columns.Count; c++)
                {
                    Assert.Equal(batch.Schema.Columns[c].Type, batch.Columns[c].Type);
                    if (!JsonNode.DeepEquals(columns[c], actual[c]))
                    {
                        Assert.Fail($"{name}: column {schema.Columns[c].Name} ({schema.Columns[c].Type}):\nexpected {columns[c]!.ToJsonString()}\nactual   {actual[c]!.ToJsonString()}");
                    }
                    values += rows;
                }
            }
            Assert.Null(reader.ReadNextBatch());
            return values;
        }
    }
}
