using System.Buffers;
using System.Buffers.Binary;
using Gateway.Protocol.Thrift;
using static Gateway.Tests.Unit.ThriftTestSupport;

namespace Gateway.Tests.Unit;

public class ThriftProtocolUnitTests
{
    private static ThriftReader Reader(byte[] data, ThriftLimits? limits = null) => new(data, limits ?? ThriftLimits.Default);

    [Fact]
    public void PrimitivesRoundTripBigEndian()
    {
        var bytes = Bytes(w =>
        {
            w.WriteBool(true);
            w.WriteBool(false);
            w.WriteByte(-5);
            w.WriteI16(-12345);
            w.WriteI32(0x01020304);
            w.WriteI64(long.MinValue + 7);
            w.WriteDouble(-2.5e300);
            w.WriteString("héllo ✓");
            w.WriteString(""u8);
            w.WriteBinary([0, 255, 7]);
        });
        // Spot-check the wire layout: i32 0x01020304 is big-endian after bool,bool,byte,i16.
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, bytes[5..9]);
        var r = Reader(bytes);
        Assert.True(r.ReadBool());
        Assert.False(r.ReadBool());
        Assert.Equal((sbyte)-5, r.ReadByte());
        Assert.Equal((short)-12345, r.ReadI16());
        Assert.Equal(0x01020304, r.ReadI32());
        Assert.Equal(long.MinValue + 7, r.ReadI64());
        Assert.Equal(-2.5e300, r.ReadDouble());
        Assert.Equal("héllo ✓", r.ReadString());
        Assert.Equal("", r.ReadString());
        Assert.Equal(new byte[] { 0, 255, 7 }, r.ReadBinary());
        Assert.Equal(bytes.Length, r.Position);
    }

    [Fact]
    public void ContainersRoundTrip()
    {
        var bytes = Bytes(w =>
        {
            w.WriteListBegin(TType.I32, 3);
            w.WriteI32Values([1, -2, 3]);
            w.WriteSetBegin(TType.String, 1);
            w.WriteString("x");
            w.WriteMapBegin(TType.String, TType.I64, 2);
            w.WriteString("a");
            w.WriteI64(1);
            w.WriteString("b");
            w.WriteI64(2);
        });
        var r = Reader(bytes);
        var (elem, count) = r.ReadListBegin();
        Assert.Equal((TType.I32, 3), (elem, count));
        var ints = new int[3];
        r.ReadI32Values(ints);
        Assert.Equal(new[] { 1, -2, 3 }, ints);
        Assert.Equal((TType.String, 1), r.ReadSetBegin());
        Assert.Equal("x", r.ReadString());
        Assert.Equal((TType.String, TType.I64, 2), r.ReadMapBegin());
        Assert.Equal("a", r.ReadString());
        Assert.Equal(1, r.ReadI64());
        Assert.Equal("b", r.ReadString());
        Assert.Equal(2, r.ReadI64());
        Assert.Equal(0, r.Remaining);
    }

    [Fact]
    public void BulkValueWritersMatchScalarWriters()
    {
        var longs = Enumerable.Range(0, 5000).Select(i => (long)i * 1_000_003 - 7).ToArray();
        var doubles = longs.Select(l => l / 3.0).ToArray();
        var shorts = longs.Select(l => (short)l).ToArray();
        var bulk = Bytes(w =>
        {
            w.WriteI64Values(longs);
            w.WriteDoubleValues(doubles);
            w.WriteI16Values(shorts);
        });
        var scalar = Bytes(w =>
        {
            foreach (var l in longs) w.WriteI64(l);
            foreach (var d in doubles) w.WriteDouble(d);
            foreach (var s in shorts) w.WriteI16(s);
        });
        Assert.Equal(scalar, bulk);
    }

    [Fact]
    public void BinaryValuesPackedMatchOneByOne()
    {
        var values = Enumerable.Range(0, 300).Select(i => new byte[i % 7 == 0 ? 20_000 : i % 13]).ToArray();
        for (var i = 0; i < values.Length; i++) Array.Fill(values[i], (byte)i);
        var offsets = new int[values.Length + 1];
        var data = new List<byte>();
        for (var i = 0; i < values.Length; i++)
        {
            data.AddRange(values[i]);
            offsets[i + 1] = data.Count;
        }
        var packed = Bytes(w => w.WriteBinaryValues(offsets, data.ToArray(), values.Length));
        var single = Bytes(w => { foreach (var v in values) w.WriteBinary(v); });
        Assert.Equal(single, packed);
    }

    [Fact]
    public void StrictMessageHeaderRoundTrips()
    {
        var bytes = Bytes(w => w.WriteMessageBegin("ExecuteStatement", TMessageType.Call, 42));
        Assert.Equal(new byte[] { 0x80, 0x01, 0x00, 0x01 }, bytes[..4]);
        var header = Reader(bytes).ReadMessageBegin();
        Assert.Equal(new ThriftMessageHeader("ExecuteStatement", TMessageType.Call, 42), header);
    }

    [Fact]
    public void OldNonStrictMessageHeaderIsAccepted()
    {
        var bytes = Bytes(w =>
        {
            w.WriteString("GetInfo"); // i32 length + name
            w.WriteByte((sbyte)TMessageType.Oneway);
            w.WriteI32(-3);
        });
        Assert.Equal(new ThriftMessageHeader("GetInfo", TMessageType.Oneway, -3), Reader(bytes).ReadMessageBegin());
    }

    [Fact]
    public void BadVersionAndMessageTypeAreRejected()
    {
        var badVersion = Bytes(w => { w.WriteI32(unchecked((int)0x80020001)); w.WriteString("x"); w.WriteI32(1); });
        Assert.Equal(ThriftProtocolError.BadVersion, Assert.Throws<ThriftProtocolException>(() => Reader(badVersion).ReadMessageBegin()).Kind);
        var badType = Bytes(w => { w.WriteI32(unchecked((int)0x80010009)); w.WriteString("x"); w.WriteI32(1); });
        Assert.Equal(ThriftProtocolError.InvalidData, Assert.Throws<ThriftProtocolException>(() => Reader(badType).ReadMessageBegin()).Kind);
    }

    /// <summary>A struct holding one value of every type, including nested containers.</summary>
    internal static void WriteEveryType(ThriftWriter w, int nesting)
    {
        w.WriteFieldBegin(TType.Bool, 1); w.WriteBool(true);
        w.WriteFieldBegin(TType.Byte, 2); w.WriteByte(-1);
        w.WriteFieldBegin(TType.I16, 3); w.WriteI16(300);
        w.WriteFieldBegin(TType.I32, 4); w.WriteI32(-70000);
        w.WriteFieldBegin(TType.I64, 5); w.WriteI64(1L << 40);
        w.WriteFieldBegin(TType.Double, 6); w.WriteDouble(Math.PI);
        w.WriteFieldBegin(TType.String, 7); w.WriteString("unknown");
        w.WriteFieldBegin(TType.List, 8);
        w.WriteListBegin(TType.I64, 3); w.WriteI64(1); w.WriteI64(2); w.WriteI64(3);
        w.WriteFieldBegin(TType.Set, 9);
        w.WriteSetBegin(TType.String, 2); w.WriteString("s1"); w.WriteString("s2");
        // map<string, list<struct>>
        w.WriteFieldBegin(TType.Map, 10);
        w.WriteMapBegin(TType.String, TType.List, 2);
        for (var k = 0; k < 2; k++)
        {
            w.WriteString("key" + k);
            w.WriteListBegin(TType.Struct, 2);
            for (var j = 0; j < 2; j++)
            {
                w.WriteFieldBegin(TType.I32, 1); w.WriteI32(j);
                w.WriteFieldBegin(TType.Map, 2); w.WriteMapBegin(TType.I16, TType.Double, 1); w.WriteI16(5); w.WriteDouble(0.5);
                w.WriteFieldStop();
            }
        }
        // list<list<bool>>, empty map, empty list of an arbitrary element type
        w.WriteFieldBegin(TType.List, 11);
        w.WriteListBegin(TType.List, 2);
        w.WriteListBegin(TType.Bool, 2); w.WriteBool(true); w.WriteBool(false);
        w.WriteListBegin(TType.Bool, 0);
        w.WriteFieldBegin(TType.Map, 12); w.WriteMapBegin(TType.String, TType.Struct, 0);
        w.WriteFieldBegin(TType.List, 13); w.WriteListBegin(TType.Double, 0);
        if (nesting > 0)
        {
            w.WriteFieldBegin(TType.Struct, 14);
            WriteEveryType(w, nesting - 1);
        }
        w.WriteFieldStop();
    }

    [Fact]
    public void SkipHandlesEveryTypeAtAnyNesting()
    {
        var bytes = Bytes(w =>
        {
            w.WriteFieldBegin(TType.Struct, 100);
            WriteEveryType(w, 3);
            w.WriteFieldBegin(TType.I32, 1);
            w.WriteI32(99);
            w.WriteFieldStop();
        });
        var r = Reader(bytes);
        r.ReadStructBegin();
        var first = r.ReadFieldBegin();
        Assert.Equal(new ThriftFieldHeader(TType.Struct, 100), first);
        r.Skip(first.Type);
        Assert.Equal(new ThriftFieldHeader(TType.I32, 1), r.ReadFieldBegin());
        Assert.Equal(99, r.ReadI32());
        Assert.Equal(TType.Stop, r.ReadFieldBegin().Type);
        r.ReadStructEnd();
        Assert.Equal(bytes.Length, r.Position);
        Assert.Equal(0, r.Depth);
    }

    [Theory]
    [InlineData(TType.Bool)]
    [InlineData(TType.Byte)]
    [InlineData(TType.Double)]
    [InlineData(TType.I16)]
    [InlineData(TType.I32)]
    [InlineData(TType.I64)]
    [InlineData(TType.String)]
    [InlineData(TType.Struct)]
    [InlineData(TType.Map)]
    [InlineData(TType.Set)]
    [InlineData(TType.List)]
    public void SkipConsumesExactlyOneValue(TType type)
    {
        var bytes = Bytes(w =>
        {
            switch (type)
            {
                case TType.Bool: w.WriteBool(true); break;
                case TType.Byte: w.WriteByte(1); break;
                case TType.Double: w.WriteDouble(1); break;
                case TType.I16: w.WriteI16(1); break;
                case TType.I32: w.WriteI32(1); break;
                case TType.I64: w.WriteI64(1); break;
                case TType.String: w.WriteString("abc"); break;
                case TType.Struct: WriteEveryType(w, 1); break;
                case TType.Map: w.WriteMapBegin(TType.I32, TType.String, 2); w.WriteI32(1); w.WriteString("a"); w.WriteI32(2); w.WriteString("bb"); break;
                case TType.Set: w.WriteSetBegin(TType.I64, 2); w.WriteI64(1); w.WriteI64(2); break;
                case TType.List: w.WriteListBegin(TType.Struct, 1); WriteEveryType(w, 0); break;
            }
            w.WriteI32(0x7EADBEEF); // sentinel after the value
        });
        var r = Reader(bytes);
        r.Skip(type);
        Assert.Equal(0x7EADBEEF, r.ReadI32());
        Assert.Equal(0, r.Remaining);
    }

    [Fact]
    public void SkipRejectsInvalidTypeIds()
    {
        foreach (var bad in new byte[] { 1, 5, 7, 9, 16, 200 })
        {
            var ex = Assert.Throws<ThriftProtocolException>(() => Reader([bad, 0, 1, 0, 0, 0, 0, 0]).Skip((TType)bad));
            Assert.Equal(ThriftProtocolError.InvalidData, ex.Kind);
            var inField = Assert.Throws<ThriftProtocolException>(() => Reader([bad, 0, 1, 0, 0, 0, 0]).ReadFieldBegin());
            Assert.Equal(ThriftProtocolError.InvalidData, inField.Kind);
        }
    }

    [Fact]
    public void StringLongerThanLimitIsRejected()
    {
        var bytes = Bytes(w => w.WriteString(new string('x', 11)));
        var limits = ThriftLimits.Default with { MaxStringLength = 10 };
        Assert.Equal("xxxxxxxxxxx", Reader(bytes).ReadString());
        Assert.Equal(ThriftProtocolError.SizeLimit, Assert.Throws<ThriftProtocolException>(() => Reader(bytes, limits).ReadString()).Kind);
        Assert.Equal(ThriftProtocolError.SizeLimit, Assert.Throws<ThriftProtocolException>(() => Reader(bytes, limits).Skip(TType.String)).Kind);
        Assert.Equal(ThriftProtocolError.SizeLimit, Assert.Throws<ThriftProtocolException>(() => Reader(bytes, limits).ReadBinarySpan().Length).Kind);
    }

    [Fact]
    public void StringLongerThanMessageIsTruncatedNotAllocated()
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(bytes, 1_000_000);
        Assert.Equal(ThriftProtocolError.Truncated, Assert.Throws<ThriftProtocolException>(() => Reader(bytes).ReadString()).Kind);
    }

    [Fact]
    public void NegativeSizesAreRejected()
    {
        var negativeString = Bytes(w => w.WriteI32(-1));
        Assert.Equal(ThriftProtocolError.NegativeSize, Assert.Throws<ThriftProtocolException>(() => Reader(negativeString).ReadString()).Kind);
        var negativeList = Bytes(w => w.WriteListBegin(TType.I32, -2));
        Assert.Equal(ThriftProtocolError.NegativeSize, Assert.Throws<ThriftProtocolException>(() => Reader(negativeList).ReadListBegin()).Kind);
        Assert.Equal(ThriftProtocolError.NegativeSize, Assert.Throws<ThriftProtocolException>(() => Reader(negativeList).Skip(TType.List)).Kind);
        var negativeMap = Bytes(w => w.WriteMapBegin(TType.I32, TType.I32, int.MinValue));
        Assert.Equal(ThriftProtocolError.NegativeSize, Assert.Throws<ThriftProtocolException>(() => Reader(negativeMap).ReadMapBegin()).Kind);
        var negativeName = Bytes(w => { w.WriteI32(unchecked((int)0x80010001)); w.WriteI32(-4); });
        Assert.Equal(ThriftProtocolError.NegativeSize, Assert.Throws<ThriftProtocolException>(() => Reader(negativeName).ReadMessageBegin()).Kind);
    }

    [Fact]
    public void ContainerCountAboveLimitIsRejected()
    {
        var bytes = Bytes(w => { w.WriteListBegin(TType.Byte, 5); w.WriteRaw(new byte[5]); });
        var limits = ThriftLimits.Default with { MaxContainerLength = 4 };
        Assert.Equal(5, Reader(bytes).ReadListBegin().count);
        Assert.Equal(ThriftProtocolError.SizeLimit, Assert.Throws<ThriftProtocolException>(() => Reader(bytes, limits).ReadListBegin()).Kind);
        Assert.Equal(ThriftProtocolError.SizeLimit, Assert.Throws<ThriftProtocolException>(() => Reader(bytes, limits).Skip(TType.List)).Kind);
    }

    [Theory]
    [InlineData(TType.I64, 2)]          // 16 bytes claimed, 15 present
    [InlineData(TType.Struct, 16)]      // one STOP byte per struct at least
    [InlineData(TType.String, 4)]       // a length prefix per string at least
    [InlineData(TType.List, 4)]
    public void ContainerCountIsCheckedAgainstRemainingBytes(TType elem, int count)
    {
        var bytes = Bytes(w => { w.WriteListBegin(elem, count); w.WriteRaw(new byte[15]); });
        Assert.Equal(ThriftProtocolError.Truncated, Assert.Throws<ThriftProtocolException>(() => Reader(bytes).ReadListBegin()).Kind);
        var map = Bytes(w => { w.WriteMapBegin(TType.I32, elem, count); w.WriteRaw(new byte[15]); });
        Assert.Equal(ThriftProtocolError.Truncated, Assert.Throws<ThriftProtocolException>(() => Reader(map).ReadMapBegin()).Kind);
    }

    [Fact]
    public void HugeCountsFailBeforeAllocating()
    {
        var bytes = Bytes(w => w.WriteListBegin(TType.Struct, int.MaxValue));
        var limits = ThriftLimits.Default with { MaxContainerLength = int.MaxValue };
        Assert.Equal(ThriftProtocolError.Truncated, Assert.Throws<ThriftProtocolException>(() => Reader(bytes, limits).Skip(TType.List)).Kind);
    }

    [Fact]
    public void InvalidElementTypesAreRejected()
    {
        var bytes = Bytes(w => { w.WriteListBegin((TType)7, 1); w.WriteI32(0); });
        Assert.Equal(ThriftProtocolError.InvalidData, Assert.Throws<ThriftProtocolException>(() => Reader(bytes).ReadListBegin()).Kind);
        var map = Bytes(w => { w.WriteMapBegin(TType.I32, TType.Stop, 1); w.WriteI64(0); });
        Assert.Equal(ThriftProtocolError.InvalidData, Assert.Throws<ThriftProtocolException>(() => Reader(map).ReadMapBegin()).Kind);
    }

    private static byte[] NestedStructs(int depth) => Bytes(w =>
    {
        for (var i = 0; i < depth - 1; i++) w.WriteFieldBegin(TType.Struct, 1);
        for (var i = 0; i < depth; i++) w.WriteFieldStop();
    });

    [Fact]
    public void DepthLimitStopsDeepStructs()
    {
        var limits = ThriftLimits.Default with { MaxDepth = 10 };
        var r = Reader(NestedStructs(10), limits);
        r.Skip(TType.Struct);
        Assert.Equal(0, r.Remaining);
        var ex = Assert.Throws<ThriftProtocolException>(() => Reader(NestedStructs(11), limits).Skip(TType.Struct));
        Assert.Equal(ThriftProtocolError.DepthLimit, ex.Kind);
        // The default limit also holds against a hostile 100 000-deep message (no stack overflow).
        var deep = Assert.Throws<ThriftProtocolException>(() => Reader(NestedStructs(100_000)).Skip(TType.Struct));
        Assert.Equal(ThriftProtocolError.DepthLimit, deep.Kind);
    }

    [Fact]
    public void DepthLimitStopsDeepContainers()
    {
        var bytes = Bytes(w =>
        {
            for (var i = 0; i < 200; i++) w.WriteListBegin(TType.List, 1);
            w.WriteListBegin(TType.I32, 0);
        });
        var ex = Assert.Throws<ThriftProtocolException>(() => Reader(bytes).Skip(TType.List));
        Assert.Equal(ThriftProtocolError.DepthLimit, ex.Kind);
    }

    [Fact]
    public void MessageLargerThanLimitIsRejected()
    {
        var limits = ThriftLimits.Default with { MaxMessageSize = 16 };
        var data = new byte[17];
        var ex = Assert.Throws<ThriftProtocolException>(() => new ThriftReader(data, limits).ReadBool());
        Assert.Equal(ThriftProtocolError.SizeLimit, ex.Kind);
    }

    [Fact]
    public void TruncatedInputThrowsProtocolExceptionAtEveryOffset()
    {
        var bytes = Bytes(w =>
        {
            w.WriteMessageBegin("Anything", TMessageType.Call, 1);
            WriteEveryType(w, 2);
        });
        // The whole message reads.
        var full = Reader(bytes);
        full.ReadMessageBegin();
        full.Skip(TType.Struct);
        Assert.Equal(bytes.Length, full.Position);
        for (var n = 0; n < bytes.Length; n++)
        {
            var prefix = bytes[..n];
            try
            {
                var r = Reader(prefix);
                r.ReadMessageBegin();
                r.Skip(TType.Struct);
                Assert.Fail($"Prefix of {n} bytes was accepted.");
            }
            catch (ThriftProtocolException)
            {
            }
        }
    }

    [Fact]
    public void ScannerReturnsFalseUntilCompleteOnSplitSequences()
    {
        var message = Bytes(w =>
        {
            w.WriteMessageBegin("FetchResults", TMessageType.Reply, 9);
            WriteEveryType(w, 2);
        });
        var next = Bytes(w => { w.WriteMessageBegin("Next", TMessageType.Call, 10); w.WriteFieldStop(); });
        var both = message.Concat(next).ToArray();
        foreach (var segment in new[] { 1, 2, 3, 7, 64, 4096 })
        {
            for (var n = 0; n < message.Length; n++)
            {
                Assert.False(ThriftMessageScanner.TryMeasure(Segmented(message[..n], segment), ThriftLimits.Default, out var partial));
                Assert.Equal(0, partial);
            }
            Assert.True(ThriftMessageScanner.TryMeasure(Segmented(message, segment), ThriftLimits.Default, out var length));
            Assert.Equal(message.Length, length);
            // Followed by (part of) the next message: only the first is measured.
            Assert.True(ThriftMessageScanner.TryMeasure(Segmented(both[..(message.Length + 3)], segment), ThriftLimits.Default, out length));
            Assert.Equal(message.Length, length);
            Assert.True(ThriftMessageScanner.TryMeasure(Segmented(both, segment).Slice(message.Length), ThriftLimits.Default, out length));
            Assert.Equal(next.Length, length);
        }
    }

    [Fact]
    public void ScannerAcceptsNonStrictHeaders()
    {
        var message = Bytes(w =>
        {
            w.WriteString("OpenSession");
            w.WriteByte((sbyte)TMessageType.Call);
            w.WriteI32(1);
            WriteEveryType(w, 0);
        });
        Assert.True(ThriftMessageScanner.TryMeasure(Segmented(message, 5), ThriftLimits.Default, out var length));
        Assert.Equal(message.Length, length);
    }

    [Fact]
    public void ScannerRejectsMalformedAndOversizedMessages()
    {
        ThriftProtocolError Kind(byte[] data, ThriftLimits? limits = null) =>
            Assert.Throws<ThriftProtocolException>(() => ThriftMessageScanner.TryMeasure(Segmented(data, 3), limits ?? ThriftLimits.Default, out _)).Kind;

        Assert.Equal(ThriftProtocolError.BadVersion, Kind([0x80, 0x02, 0, 1, 0, 0, 0, 0]));
        // A string announced beyond MaxMessageSize fails as soon as its length is seen, not when the bytes arrive.
        var big = Bytes(w => { w.WriteMessageBegin("X", TMessageType.Call, 1); w.WriteFieldBegin(TType.String, 1); w.WriteI32(1000); });
        Assert.Equal(ThriftProtocolError.SizeLimit, Kind(big, ThriftLimits.Default with { MaxMessageSize = 512 }));
        var longString = Bytes(w => { w.WriteMessageBegin("X", TMessageType.Call, 1); w.WriteFieldBegin(TType.String, 1); w.WriteI32(1000); });
        Assert.Equal(ThriftProtocolError.SizeLimit, Kind(longString, ThriftLimits.Default with { MaxStringLength = 999 }));
        var manyStructs = Bytes(w => { w.WriteMessageBegin("X", TMessageType.Call, 1); w.WriteFieldBegin(TType.List, 1); w.WriteListBegin(TType.Struct, 100_000); });
        Assert.Equal(ThriftProtocolError.SizeLimit, Kind(manyStructs, ThriftLimits.Default with { MaxMessageSize = 50_000 }));
        var negative = Bytes(w => { w.WriteMessageBegin("X", TMessageType.Call, 1); w.WriteFieldBegin(TType.Map, 1); w.WriteMapBegin(TType.I32, TType.I32, -1); });
        Assert.Equal(ThriftProtocolError.NegativeSize, Kind(negative));
        var badField = Bytes(w => { w.WriteMessageBegin("X", TMessageType.Call, 1); w.WriteFieldBegin((TType)9, 1); });
        Assert.Equal(ThriftProtocolError.InvalidData, Kind(badField));
        var deep = Bytes(w =>
        {
            w.WriteMessageBegin("X", TMessageType.Call, 1);
            for (var i = 0; i < 100; i++) w.WriteFieldBegin(TType.Struct, 1);
        });
        Assert.Equal(ThriftProtocolError.DepthLimit, Kind(deep));
        // An HTTP request on the binary port: "POST" read as a name length is far beyond any limit.
        Assert.Equal(ThriftProtocolError.SizeLimit, Kind("POST /cliservice HTTP/1.1\r\n"u8.ToArray()));
    }

    [Fact]
    public void ScannerSkipsFixedWidthListsInOneStep()
    {
        // 1M i64 values: measured without walking element by element (and without throwing).
        var message = Bytes(w =>
        {
            w.WriteMessageBegin("X", TMessageType.Reply, 1);
            w.WriteFieldBegin(TType.List, 1);
            w.WriteListBegin(TType.I64, 1_000_000);
            w.WriteI64Values(new long[1_000_000]);
            w.WriteFieldStop();
        });
        Assert.True(ThriftMessageScanner.TryMeasure(new ReadOnlySequence<byte>(message), ThriftLimits.Default, out var length));
        Assert.Equal(message.Length, length);
        Assert.False(ThriftMessageScanner.TryMeasure(new ReadOnlySequence<byte>(message, 0, message.Length - 1), ThriftLimits.Default, out _));
    }

    [Fact]
    public void ApplicationExceptionRoundTrips()
    {
        var bytes = Bytes(w => new TApplicationException(TApplicationExceptionType.UNKNOWN_METHOD, "Invalid method name: 'GetLog'").WriteMessage(w, "GetLog", 5));
        var r = Reader(bytes);
        Assert.Equal(new ThriftMessageHeader("GetLog", TMessageType.Exception, 5), r.ReadMessageBegin());
        var ex = TApplicationException.Read(ref r);
        Assert.Equal(TApplicationExceptionType.UNKNOWN_METHOD, ex.Type);
        Assert.Equal("Invalid method name: 'GetLog'", ex.Message);
        Assert.Equal(0, r.Remaining);
    }

    [Fact]
    public void PooledBufferWriterGrowsAndDetaches()
    {
        using var w = new PooledBufferWriter(1);
        for (var i = 0; i < 10_000; i++)
        {
            w.GetSpan(1)[0] = (byte)i;
            w.Advance(1);
        }
        Assert.Equal(10_000, w.WrittenCount);
        Assert.Equal(unchecked((byte)9_999), w.WrittenSpan[^1]);
        Assert.Equal(w.WrittenSpan.ToArray(), w.WrittenMemory.ToArray());
        Assert.Throws<InvalidOperationException>(() => w.Advance(w.Capacity));
        w.Clear();
        Assert.Equal(0, w.WrittenCount);
        w.GetSpan(3)[..3].Fill(7);
        w.Advance(3);
        var array = w.Detach(out var length);
        Assert.Equal(3, length);
        Assert.Equal(new byte[] { 7, 7, 7 }, array[..3]);
        Assert.Equal(0, w.WrittenCount);
        ArrayPool<byte>.Shared.Return(array);
    }

    [Fact]
    public void APooledBufferWriterReleasedBetweenRepliesHoldsNoArrayAndRentsItsInitialCapacityAgain()
    {
        using var w = new PooledBufferWriter();
        w.GetSpan(100)[..100].Fill(1);
        w.Advance(100);
        w.Release();
        // What an idle connection keeps between calls: nothing.
        Assert.Equal((0, 0), (w.Capacity, w.WrittenCount));
        w.GetSpan(1)[0] = 9;
        w.Advance(1);
        Assert.True(w.Capacity >= 4096, $"Rented {w.Capacity} bytes, less than the initial capacity.");
        Assert.Equal(new byte[] { 9 }, w.WrittenSpan.ToArray());
    }
}
