using Gateway.Protocol.Arrow;

namespace Gateway.Tests.Unit.Arrow;

public class FlatBufferBuilderUnitTests
{
    [Fact]
    public void TablesReadBackWithAlignedScalarsAndDefaultsForAbsentSlots()
    {
        using var b = new FlatBufferBuilder(64);
        var name = b.CreateString("héllo");
        b.StartTable(1);
        b.AddInt(0, 42);
        var child = b.EndTable();
        b.StartTable(7);
        b.AddByte(0, 7);
        b.AddLong(1, long.MinValue + 3);
        b.AddShort(2, -2);
        b.AddOffset(3, name);
        b.AddOffset(4, child);
        b.AddBool(6, true);
        var root = b.EndTable();
        b.Finish(root);

        var bytes = b.WrittenSpan.ToArray();
        Assert.Equal(0, bytes.Length % 8); // the largest alignment used
        var t = FbTable.Root(bytes);
        Assert.Equal(7, t.Byte(0, 0));
        Assert.Equal(long.MinValue + 3, t.Long(1, 0)); // FbTable checks the alignment
        Assert.Equal(-2, t.Short(2, 0));
        Assert.Equal("héllo", t.String(3));
        Assert.Equal(42, t.Table(4)!.Value.Int(0, 0));
        Assert.False(t.Has(5));
        Assert.Equal(99, t.Int(5, 99));
        Assert.True(t.Bool(6, false));
        Assert.False(t.Has(12)); // beyond the vtable
    }

    [Fact]
    public void VectorsOfOffsetsAndStructsKeepOrderAndAlignment()
    {
        using var b = new FlatBufferBuilder(64);
        var strings = new[] { b.CreateString("a"), b.CreateString(""), b.CreateString("ccc") };
        var vector = b.CreateOffsetVector(strings);
        b.StartVector(16, 3, 8);
        for (var i = 2; i >= 0; i--) b.AddStructOfTwoLongs(i * 10, -i);
        var structs = b.EndVector();
        var empty = b.CreateOffsetVector([]);
        b.StartTable(3);
        b.AddOffset(0, vector);
        b.AddOffset(1, structs);
        b.AddOffset(2, empty);
        b.Finish(b.EndTable());

        var t = FbTable.Root(b.WrittenSpan.ToArray());
        var v = t.Vector(0)!.Value;
        Assert.Equal(3, v.Count);
        var s = t.Vector(1)!.Value;
        Assert.Equal(0, s.Start % 8);
        Assert.Equal([(0L, 0L), (10L, -1L), (20L, -2L)], Enumerable.Range(0, 3).Select(s.StructOfTwoLongs));
        Assert.Equal(0, t.Vector(2)!.Value.Count);
    }

    [Fact]
    public void GrowingKeepsEverythingWrittenAndResetStartsOver()
    {
        using var b = new FlatBufferBuilder(64);
        for (var round = 0; round < 2; round++)
        {
            var names = Enumerable.Range(0, 500).Select(i => b.CreateString(new string((char)('a' + i % 26), i % 40))).ToArray();
            var vector = b.CreateOffsetVector(names);
            b.StartTable(1);
            b.AddOffset(0, vector);
            b.Finish(b.EndTable());
            var bytes = b.WrittenSpan.ToArray();
            var v = FbTable.Root(bytes).Vector(0)!.Value;
            Assert.Equal(500, v.Count);
            b.Reset();
        }
    }

    [Fact]
    public void ObjectsCannotNest()
    {
        using var b = new FlatBufferBuilder();
        b.StartTable(1);
        Assert.Throws<InvalidOperationException>(() => b.CreateString("x"));
        Assert.Throws<ArgumentOutOfRangeException>(() => b.AddInt(3, 1));
    }
}
