using System.Buffers;
using System.Text.Json.Nodes;
using Gateway.Protocol.Arrow;
using Gateway.Protocol.Columnar;
using Gateway.Tests.Unit.Arrow;

namespace Gateway.Tests.RealClients;

/// <summary>
/// The npm apache-arrow library (and the 13.x that @databricks/sql bundles) reads every stream our
/// writer produces, value for value (tests/clients/arrow-check.js). A missing node or package fails.
/// </summary>
public class ArrowJsRealClientTests
{
    private static readonly TimeZoneInfo PlusFiveThirty = TimeZoneInfo.CreateCustomTimeZone("Test+05:30", TimeSpan.FromMinutes(330), "Test+05:30", "Test+05:30");

    private sealed class Streams(string dir)
    {
        public int Count { get; private set; }
        public long Values { get; private set; }
        public long Rows { get; private set; }
        /// <summary>Streams apache-arrow 13 cannot read: native intervals, or rows without columns.</summary>
        public int UnreadableBy13 { get; private set; }

        public void Add(string name, ResultSchema schema, ArrowWriteOptions options, params (ColumnBatch Batch, int Offset, int Count)[] slices) =>
            Add(name, schema, options, viaStream: false, slices);

        public void Add(string name, ResultSchema schema, ArrowWriteOptions options, bool viaStream, params (ColumnBatch Batch, int Offset, int Count)[] slices)
        {
            var bytesPath = Path.Combine(dir, name + ".arrows");
            if (viaStream)
            {
                using var file = File.Create(bytesPath);
                using var writer = new ArrowStreamWriter(file, schema, options);
                foreach (var (batch, offset, count) in slices) writer.WriteBatch(batch, offset, count);
                writer.Complete();
            }
            else
            {
                var output = new ArrayBufferWriter<byte>();
                ArrowIpc.WriteSchema(schema, options, output);
                foreach (var (batch, offset, count) in slices) ArrowIpc.WriteRecordBatch(batch, offset, count, options, output);
                ArrowIpc.WriteEndOfStream(output);
                File.WriteAllBytes(bytesPath, output.WrittenSpan.ToArray());
            }
            var batches = new JsonArray();
            var rowsBefore = Rows;
            foreach (var (batch, offset, count) in slices)
            {
                batches.Add(new JsonObject { ["rows"] = count, ["columns"] = ArrowExpected.Columns(batch, offset, count, options) });
                Values += (long)count * schema.Count;
                Rows += count;
            }
            var expected = new JsonObject { ["fields"] = ArrowExpected.Fields(schema, options), ["batches"] = batches };
            File.WriteAllText(Path.Combine(dir, name + ".json"), expected.ToJsonString());
            Count++;
            if ((options.IntervalTypesAsArrow && schema.Columns.Any(c => HasInterval(c.Type))) || (schema.Count == 0 && Rows > rowsBefore)) UnreadableBy13++;
        }

        private static bool HasInterval(SqlType t) =>
            t.Kind == SqlTypeKind.Interval || (t.Element is { } e && HasInterval(e)) || t.Fields.Any(f => HasInterval(f.Type));
    }

    [Fact]
    public async Task ApacheArrowReadsEveryStreamWeWrite()
    {
        var dir = Directory.CreateTempSubdirectory("gateway-arrow-check-").FullName;
        var streams = new Streams(dir);
        var allText = new ArrowWriteOptions
        {
            TimestampAsArrow = false,
            DecimalAsArrow = false,
            ComplexTypesAsArrow = false,
            IntervalTypesAsArrow = false,
            NullTypeAsArrow = false,
            Formatter = new ValueFormatter(PlusFiveThirty),
        };
        var scalarsText = allText with { ComplexTypesAsArrow = true };

        using var every = ArrowTestData.EveryType(40);
        using var allNull = ArrowTestData.AllNull(10);
        using var noNulls = ArrowTestData.NoNulls(20);
        using var large = ArrowTestData.Large(100_000);
        using var empty = new ColumnBatch(ResultSchema.Empty, 4, []);
        var schema = every.Schema;

        streams.Add("every-type-native", schema, ArrowWriteOptions.Native, (every, 0, 40), (every, 3, 17), (every, 0, 0), (every, 21, 19));
        streams.Add("every-type-native-via-stream", schema, ArrowWriteOptions.Native, viaStream: true, (every, 5, 30), (every, 39, 1));
        streams.Add("every-type-default", schema, ArrowWriteOptions.Default, (every, 0, 40), (every, 7, 9));
        streams.Add("every-type-all-text", schema, allText, (every, 0, 40), (every, 1, 13));
        streams.Add("every-type-scalars-text", schema, scalarsText, (every, 0, 40), (every, 9, 22));
        streams.Add("sliced-at-every-offset", schema, ArrowWriteOptions.Native, [.. Enumerable.Range(0, 10).Select(o => (every, o, 7))]);
        streams.Add("all-null-native", schema, ArrowWriteOptions.Native, (allNull, 0, 10), (allNull, 3, 5));
        streams.Add("all-null-text", schema, allText, (allNull, 0, 10), (allNull, 1, 8));
        streams.Add("no-nulls", noNulls.Schema, ArrowWriteOptions.Native, (noNulls, 0, 20), (noNulls, 1, 7), (noNulls, 9, 11));
        streams.Add("no-batches", schema, ArrowWriteOptions.Native);
        streams.Add("empty-batches", schema, ArrowWriteOptions.Default, (every, 0, 0), (every, 17, 0));
        streams.Add("empty-schema", ResultSchema.Empty, ArrowWriteOptions.Default, (empty, 0, 4), (empty, 1, 2));
        streams.Add("large-multi-batch", large.Schema, ArrowWriteOptions.Default, (large, 0, 40_000), (large, 40_000, 33_333), (large, 73_333, 26_667));

        var r = await NodeClientsRealClientTests.RunNodeAsync("arrow-check.js", dir);

        Assert.Equal(streams.Count, r.GetProperty("streams").GetInt32());
        Assert.Equal(streams.Rows, r.GetProperty("rows").GetInt64());
        Assert.Equal(streams.Values, r.GetProperty("values").GetInt64());
        Assert.Equal(streams.Count - streams.UnreadableBy13, r.GetProperty("arrow13Streams").GetInt32());
        Assert.Equal(streams.UnreadableBy13, r.GetProperty("arrow13Skipped").GetArrayLength());
        Directory.Delete(dir, recursive: true);
    }
}
