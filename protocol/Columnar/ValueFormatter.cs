using System.Buffers;
using System.Buffers.Text;
using System.Runtime.CompilerServices;
using System.Text;
using Gateway.Protocol.Thrift;

namespace Gateway.Protocol.Columnar;

/// <summary>
/// Writes values in Hive's text form as UTF-8: what HiveServer2 clients expect in string-carried
/// columns (DECIMAL, DATE, TIMESTAMP, intervals) and JSON text for ARRAY/MAP/STRUCT.
/// </summary>
public sealed class ValueFormatter
{
    public static readonly ValueFormatter Utc = new(TimeZoneInfo.Utc);

    public ValueFormatter(TimeZoneInfo zone) => Zone = zone;

    /// <summary>Zone in which TIMESTAMP WITH TIME ZONE instants are shown as wall-clock time.</summary>
    public TimeZoneInfo Zone { get; }

    /// <summary>Writes the value at <paramref name="row"/>; the caller handles nulls at top level.</summary>
    public void Write(Column column, int row, IBufferWriter<byte> output) => Write(column, row, output, json: false);

    private unsafe void Write(Column column, int row, IBufferWriter<byte> o, bool json)
    {
        if (json && column.IsNull(row))
        {
            Ascii(o, "null");
            return;
        }
        switch (column)
        {
            case BooleanColumn b: Ascii(o, b.GetValue(row) ? "true" : "false"); break;
            case PrimitiveColumn<sbyte> c: Number(o, c.Values[row]); break;
            case PrimitiveColumn<short> c: Number(o, c.Values[row]); break;
            case PrimitiveColumn<int> c when c.Type.Kind == SqlTypeKind.Date: Quoted(o, json, c.Values[row], &FormatDate); break;
            case PrimitiveColumn<int> c: Number(o, c.Values[row]); break;
            case PrimitiveColumn<long> c when c.Type.Kind == SqlTypeKind.Timestamp: Quoted(o, json, c.Values[row], &FormatTimestamp); break;
            case PrimitiveColumn<long> c when c.Type.Kind == SqlTypeKind.TimestampTz: Quoted(o, json, ToZone(c.Values[row]), &FormatTimestamp); break;
            case PrimitiveColumn<long> c when c.Type.Kind == SqlTypeKind.Time: Quoted(o, json, c.Values[row], &FormatTime); break;
            case PrimitiveColumn<long> c: Number(o, c.Values[row]); break;
            case PrimitiveColumn<float> c: Floating(o, c.Values[row], json); break;
            case PrimitiveColumn<double> c: Floating(o, c.Values[row], json); break;
            case PrimitiveColumn<Int128> c:
                {
                    var span = o.GetSpan(42);
                    o.Advance(FormatDecimal(c.Values[row], c.Type.Scale, span));
                    break;
                }
            case PrimitiveColumn<IntervalValue> c: Quoted(o, json, c.Values[row], &FormatInterval); break;
            case BinaryColumn c when c.Type.Kind == SqlTypeKind.Binary:
                if (json) JsonString(o, Convert.ToBase64String(c.GetBytes(row)));
                else o.Write(c.GetBytes(row));
                break;
            case BinaryColumn c:
                if (json) JsonUtf8(o, c.GetBytes(row));
                else o.Write(c.GetBytes(row));
                break;
            case ListColumn l when l.Type.Kind == SqlTypeKind.Map:
                {
                    var entries = (StructColumn)l.Values;
                    Ascii(o, "{");
                    for (var i = l.Offsets[row]; i < l.Offsets[row + 1]; i++)
                    {
                        if (i > l.Offsets[row]) Ascii(o, ",");
                        var key = entries.Children[0];
                        // JSON object keys are strings: quote keys of every type.
                        if (key is BinaryColumn { Type.Kind: not SqlTypeKind.Binary } || key.IsNull(i)) Write(key, i, o, json: true);
                        else
                        {
                            var tmp = new ArrayBufferWriter<byte>();
                            Write(key, i, tmp, json: false);
                            JsonUtf8(o, tmp.WrittenSpan);
                        }
                        Ascii(o, ":");
                        Write(entries.Children[1], i, o, json: true);
                    }
                    Ascii(o, "}");
                    break;
                }
            case ListColumn l:
                Ascii(o, "[");
                for (var i = l.Offsets[row]; i < l.Offsets[row + 1]; i++)
                {
                    if (i > l.Offsets[row]) Ascii(o, ",");
                    Write(l.Values, i, o, json: true);
                }
                Ascii(o, "]");
                break;
            case StructColumn s:
                Ascii(o, "{");
                for (var f = 0; f < s.Children.Length; f++)
                {
                    if (f > 0) Ascii(o, ",");
                    JsonString(o, s.Type.Fields[f].Name);
                    Ascii(o, ":");
                    Write(s.Children[f], row, o, json: true);
                }
                Ascii(o, "}");
                break;
            case NullColumn:
                Ascii(o, "null");
                break;
            default:
                throw new NotSupportedException($"Cannot format {column.Type}.");
        }
    }

    /// <summary>Formats one value as a .NET string (cold paths: the CLI, tests).</summary>
    public string? FormatToString(Column column, int row)
    {
        if (column.IsNull(row)) return null;
        var buffer = new ArrayBufferWriter<byte>();
        Write(column, row, buffer);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private long ToZone(long utcMicros)
    {
        if (Zone == TimeZoneInfo.Utc) return utcMicros;
        var utc = DateTime.UnixEpoch.AddTicks(utcMicros * 10);
        var offset = Zone.GetUtcOffset(utc);
        return utcMicros + offset.Ticks / 10;
    }

    // A function pointer, not a lambda: a capturing lambda here cost a closure and a delegate per value.
    private static unsafe void Quoted<T>(IBufferWriter<byte> o, bool quote, T value, delegate*<T, Span<byte>, int> format)
    {
        var span = o.GetSpan(64);
        var n = 0;
        if (quote) span[n++] = (byte)'"';
        n += format(value, span[n..]);
        if (quote) span[n++] = (byte)'"';
        o.Advance(n);
    }

    private static void Ascii(IBufferWriter<byte> o, string s)
    {
        var span = o.GetSpan(s.Length);
        for (var i = 0; i < s.Length; i++) span[i] = (byte)s[i];
        o.Advance(s.Length);
    }

    private static void Number(IBufferWriter<byte> o, long v)
    {
        var span = o.GetSpan(20);
        Utf8Formatter.TryFormat(v, span, out var n);
        o.Advance(n);
    }

    private static void Floating(IBufferWriter<byte> o, double v, bool json)
    {
        if (json && !double.IsFinite(v))
        {
            JsonString(o, double.IsNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity");
            return;
        }
        var span = o.GetSpan(32);
        v.TryFormat(span, out var n, "R", System.Globalization.CultureInfo.InvariantCulture);
        o.Advance(n);
    }

    private static void Floating(IBufferWriter<byte> o, float v, bool json)
    {
        if (json && !float.IsFinite(v))
        {
            JsonString(o, float.IsNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity");
            return;
        }
        var span = o.GetSpan(32);
        v.TryFormat(span, out var n, "R", System.Globalization.CultureInfo.InvariantCulture);
        o.Advance(n);
    }

    // ---- column-wise (the Thrift encoder's hot path) ----

    /// <summary>
    /// Formats rows <c>[offset, offset + count)</c> of <paramref name="column"/> one after another into
    /// <paramref name="output"/>; <paramref name="ends"/>[i] receives the written count after row <c>offset + i</c>. Null rows
    /// write nothing (the caller keeps the validity). DECIMAL, TIMESTAMP, DATE and TIME run in typed loops that reserve
    /// the output per chunk of rows; consecutive timestamps of the same day reuse the date's text.
    /// </summary>
    public unsafe void WriteColumn(Column column, int offset, int count, PooledBufferWriter output, Span<int> ends)
    {
        ArgumentNullException.ThrowIfNull(column);
        ArgumentNullException.ThrowIfNull(output);
        if (count == 0) return;
        if ((uint)offset > (uint)column.Length || (uint)count > (uint)(column.Length - offset) || ends.Length < count)
        {
            throw new ArgumentOutOfRangeException(nameof(count), "Rows outside the column.");
        }
        switch (column)
        {
            case PrimitiveColumn<long> c when c.Type.Kind == SqlTypeKind.Timestamp || (c.Type.Kind == SqlTypeKind.TimestampTz && Zone == TimeZoneInfo.Utc):
                WriteTimestamps(c, offset, count, output, ends);
                return;
            case PrimitiveColumn<Int128> c when c.Type.Kind == SqlTypeKind.Decimal:
                WriteDecimals(c, offset, count, output, ends);
                return;
            case PrimitiveColumn<int> c when c.Type.Kind == SqlTypeKind.Date:
                WriteEach(c, offset, count, output, ends, MaxDateBytes, &FormatDate);
                return;
            case PrimitiveColumn<long> c when c.Type.Kind == SqlTypeKind.Time:
                WriteEach(c, offset, count, output, ends, MaxTimeBytes, &FormatTime);
                return;
        }
        for (var i = 0; i < count; i++)
        {
            if (column is not NullColumn && !column.IsNull(offset + i)) Write(column, offset + i, output);
            ends[i] = output.WrittenCount;
        }
    }

    private const int MaxTimestampBytes = 32;   // -294247-01-10 04:00:54.775807 and headroom
    private const int MaxDateBytes = 16;
    private const int MaxTimeBytes = 16;
    private const int MaxDecimalBytes = 42;     // sign, 38 digits, point, leading zero

    // Output is reserved per chunk of rows at the widest value: a whole 100k-row fetch reserved at once would rent
    // (and keep in the pool) buffers several times the text's size.
    private const int ChunkRows = 1024;

    private static void WriteTimestamps(PrimitiveColumn<long> c, int offset, int count, PooledBufferWriter output, Span<int> ends)
    {
        var day = new DayText();
        for (var from = 0; from < count; from += ChunkRows)
        {
            var take = Math.Min(ChunkRows, count - from);
            var values = c.Values.AsSpan(offset + from, take);
            var chunkEnds = ends.Slice(from, take);
            var start = output.WrittenCount;
            var d = output.GetSpan(take * MaxTimestampBytes);
            var n = 0;
            if (c.Validity is null)
            {
                for (var i = 0; i < values.Length; i++)
                {
                    n += FormatTimestamp(values[i], d[n..], ref day);
                    chunkEnds[i] = start + n;
                }
            }
            else
            {
                for (var i = 0; i < values.Length; i++)
                {
                    if (!c.IsNull(offset + from + i)) n += FormatTimestamp(values[i], d[n..], ref day);
                    chunkEnds[i] = start + n;
                }
            }
            output.Advance(n);
        }
    }

    private static void WriteDecimals(PrimitiveColumn<Int128> c, int offset, int count, PooledBufferWriter output, Span<int> ends)
    {
        var scale = c.Type.Scale;
        for (var from = 0; from < count; from += ChunkRows)
        {
            var take = Math.Min(ChunkRows, count - from);
            var values = c.Values.AsSpan(offset + from, take);
            var chunkEnds = ends.Slice(from, take);
            var start = output.WrittenCount;
            var d = output.GetSpan(take * MaxDecimalBytes);
            var n = 0;
            for (var i = 0; i < values.Length; i++)
            {
                if (c.Validity is null || !c.IsNull(offset + from + i)) n += FormatDecimal(values[i], scale, d[n..]);
                chunkEnds[i] = start + n;
            }
            output.Advance(n);
        }
    }

    private static unsafe void WriteEach<T>(PrimitiveColumn<T> c, int offset, int count, PooledBufferWriter output, Span<int> ends, int maxBytes,
        delegate*<T, Span<byte>, int> format) where T : unmanaged
    {
        for (var from = 0; from < count; from += ChunkRows)
        {
            var take = Math.Min(ChunkRows, count - from);
            var values = c.Values.AsSpan(offset + from, take);
            var chunkEnds = ends.Slice(from, take);
            var start = output.WrittenCount;
            var d = output.GetSpan(take * maxBytes);
            var n = 0;
            for (var i = 0; i < values.Length; i++)
            {
                if (c.Validity is null || !c.IsNull(offset + from + i)) n += format(values[i], d[n..]);
                chunkEnds[i] = start + n;
            }
            output.Advance(n);
        }
    }

    // ---- single values ----

    public static int FormatDate(int days, Span<byte> d)
    {
        ValueConversions.DateFromDays(days).Deconstruct(out var year, out var month, out var day);
        return WriteDate(year, month, day, d);
    }

    private static int WriteDate(int year, int month, int day, Span<byte> d)
    {
        var n = 0;
        if (year < 0) { d[n++] = (byte)'-'; year = -year; }
        if (year is >= 1000 and <= 9999)
        {
            Two(year / 100, d, n);
            Two(year % 100, d, n + 2);
            n += 4;
        }
        else
        {
            n += Pad(year, 4, d[n..]);
        }
        d[n] = (byte)'-';
        Two(month, d, n + 1);
        d[n + 3] = (byte)'-';
        Two(day, d, n + 4);
        return n + 6;
    }

    /// <summary>yyyy-MM-dd HH:mm:ss[.ffffff] with trailing fractional zeros dropped, as Hive prints.</summary>
    public static int FormatTimestamp(long micros, Span<byte> d)
    {
        var day = new DayText();
        return FormatTimestamp(micros, d, ref day);
    }

    /// <summary>The text of one day ("yyyy-MM-dd "), kept while consecutive timestamps fall on it.</summary>
    private struct DayText
    {
        public long Day;
        public int Length;
        public Bytes16 Text;
    }

    [InlineArray(16)]
    private struct Bytes16
    {
        private byte _element;
    }

    private static int FormatTimestamp(long micros, Span<byte> d, ref DayText cache)
    {
        var days = Math.DivRem(micros, ValueConversions.MicrosPerDay, out var rem);
        if (rem < 0) { rem += ValueConversions.MicrosPerDay; days--; }
        if (cache.Length == 0 || cache.Day != days)
        {
            Span<byte> text = cache.Text;
            var length = FormatDate((int)days, text);
            text[length++] = (byte)' ';
            cache.Day = days;
            cache.Length = length;
        }
        ReadOnlySpan<byte> date = cache.Text;
        if (d.Length >= 16)
        {
            // One unaligned 16-byte store instead of a copy loop; the bytes past Length are overwritten next.
            Unsafe.WriteUnaligned(ref d[0], Unsafe.ReadUnaligned<UInt128>(in date[0]));
        }
        else
        {
            date[..cache.Length].CopyTo(d);
        }
        var n = cache.Length;
        return n + FormatTime(rem, d[n..]);
    }

    public static int FormatTime(long micros, Span<byte> d)
    {
        var seconds = Math.DivRem(micros, ValueConversions.MicrosPerSecond, out var frac);
        var hours = (int)(seconds / 3600);
        var rest = (int)(seconds - hours * 3600L);
        var minutes = rest / 60;
        var secs = rest - minutes * 60;
        int n;
        if ((uint)hours < 100)
        {
            Two(hours, d, 0);
            n = 2;
        }
        else
        {
            n = Pad(hours, 2, d);
        }
        if (d.Length < n + 6) throw new ArgumentException("Destination too short.", nameof(d));
        d[n] = (byte)':';
        Two(minutes, d, n + 1);
        d[n + 3] = (byte)':';
        Two(secs, d, n + 4);
        n += 6;
        if (frac != 0)
        {
            var f = (int)frac;
            d[n] = (byte)'.';
            Two(f / 10_000, d, n + 1);
            Two(f / 100 % 100, d, n + 3);
            Two(f % 100, d, n + 5);
            n += 7;
            while (d[n - 1] == (byte)'0') n--;
        }
        return n;
    }

    private static ReadOnlySpan<byte> Pairs => "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"u8;

    /// <summary>Two digits of 0..99 at <paramref name="at"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Two(int value, Span<byte> d, int at)
    {
        var pair = Pairs.Slice(value * 2, 2);
        d[at] = pair[0];
        d[at + 1] = pair[1];
    }

    public static int FormatDecimal(Int128 unscaled, int scale, Span<byte> d)
    {
        var negative = unscaled < 0;
        // Int128.MinValue cannot be negated; decimal(38) never reaches it.
        var magnitude = negative ? (UInt128)(-unscaled) : (UInt128)unscaled;
        if (magnitude <= ulong.MaxValue && (uint)scale < (uint)PowersOf10.Length)
        {
            // Up to 19 digits (most decimals): 64-bit arithmetic, split once into integer and fraction, two digits a
            // step, straight into the destination.
            var small = (ulong)magnitude;
            var whole = scale == 0 ? small : small / PowersOf10[scale];
            var length = (negative ? 1 : 0) + CountDigits(whole) + (scale == 0 ? 0 : scale + 1);
            if (d.Length < length) throw new ArgumentException("Destination too short.", nameof(d));
            var end = length;
            if (scale > 0)
            {
                Backward(small - whole * PowersOf10[scale], scale, d, ref end);
                d[--end] = (byte)'.';
            }
            Backward(whole, 1, d, ref end);
            if (negative) d[0] = (byte)'-';
            return length;
        }
        Span<byte> digits = stackalloc byte[48];
        var pos = digits.Length;
        {
            // A 128-bit division costs several times a 64-bit one: only for the digits beyond 19.
            var fraction = scale;
            while (magnitude > ulong.MaxValue || fraction > 0)
            {
                digits[--pos] = (byte)('0' + (int)(magnitude % 10));
                magnitude /= 10;
                if (--fraction == 0) digits[--pos] = (byte)'.';
            }
            Backward((ulong)magnitude, 1, digits, ref pos);
        }
        if (negative) digits[--pos] = (byte)'-';
        var text = digits[pos..];
        text.CopyTo(d);
        return text.Length;
    }

    private static ReadOnlySpan<ulong> PowersOf10 =>
    [
        1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000, 10_000_000_000,
        100_000_000_000, 1_000_000_000_000, 10_000_000_000_000, 100_000_000_000_000, 1_000_000_000_000_000,
        10_000_000_000_000_000, 100_000_000_000_000_000, 1_000_000_000_000_000_000, 10_000_000_000_000_000_000,
    ];

    private static int CountDigits(ulong value)
    {
        if (value < 10) return 1;
        // log10 from log2 (1233/4096 ≈ log10 2), corrected by one comparison.
        var t = ((System.Numerics.BitOperations.Log2(value) + 1) * 1233) >> 12;
        return value >= PowersOf10[t] ? t + 1 : t;
    }

    /// <summary>Writes <paramref name="value"/> ending at <paramref name="pos"/>, zero-padded to <paramref name="minDigits"/>.</summary>
    private static void Backward(ulong value, int minDigits, Span<byte> digits, ref int pos)
    {
        var end = pos;
        while (value >= 100)
        {
            var q = value / 100;
            var pair = Pairs.Slice((int)(value - q * 100) * 2, 2);
            digits[--pos] = pair[1];
            digits[--pos] = pair[0];
            value = q;
        }
        if (value >= 10)
        {
            var pair = Pairs.Slice((int)value * 2, 2);
            digits[--pos] = pair[1];
            digits[--pos] = pair[0];
        }
        else if (value != 0 || end - pos < minDigits)
        {
            digits[--pos] = (byte)('0' + (int)value);
        }
        while (end - pos < minDigits) digits[--pos] = (byte)'0';
    }

    public static int FormatInterval(IntervalValue v, Span<byte> d)
    {
        var sb = new StringBuilder();
        var years = v.Months / 12;
        var months = v.Months % 12;
        if (years != 0) sb.Append(years).Append(Math.Abs(years) == 1 ? " year " : " years ");
        if (months != 0) sb.Append(months).Append(Math.Abs(months) == 1 ? " month " : " months ");
        if (v.Days != 0) sb.Append(v.Days).Append(Math.Abs(v.Days) == 1 ? " day " : " days ");
        if (v.Micros != 0 || sb.Length == 0)
        {
            var micros = v.Micros;
            if (micros < 0) { sb.Append('-'); micros = -micros; }
            Span<byte> t = stackalloc byte[32];
            var hours = micros / (3600 * ValueConversions.MicrosPerSecond);
            var rest = micros % (3600 * ValueConversions.MicrosPerSecond);
            sb.Append(hours.ToString("00", System.Globalization.CultureInfo.InvariantCulture));
            var len = FormatTime(rest, t);
            sb.Append(Encoding.ASCII.GetString(t[2..len]));
        }
        var s = sb.ToString().TrimEnd();
        return Encoding.UTF8.GetBytes(s, d);
    }

    /// <summary>A non-negative value in at least <paramref name="width"/> digits, zero-padded.</summary>
    private static int Pad(int value, int width, Span<byte> d)
    {
        var v = (uint)value;
        var len = 1;
        for (var rest = v / 10; rest != 0; rest /= 10) len++;
        if (len < width) len = width;
        for (var i = len - 1; i >= 0; i--)
        {
            var q = v / 10;
            d[i] = (byte)('0' + (v - q * 10));
            v = q;
        }
        return len;
    }

    private static void JsonString(IBufferWriter<byte> o, string s) => JsonUtf8(o, Encoding.UTF8.GetBytes(s));

    private static void JsonUtf8(IBufferWriter<byte> o, ReadOnlySpan<byte> utf8)
    {
        var span = o.GetSpan(utf8.Length * 6 + 2);
        var n = 0;
        span[n++] = (byte)'"';
        foreach (var b in utf8)
        {
            switch (b)
            {
                case (byte)'"': span[n++] = (byte)'\\'; span[n++] = (byte)'"'; break;
                case (byte)'\\': span[n++] = (byte)'\\'; span[n++] = (byte)'\\'; break;
                case (byte)'\n': span[n++] = (byte)'\\'; span[n++] = (byte)'n'; break;
                case (byte)'\r': span[n++] = (byte)'\\'; span[n++] = (byte)'r'; break;
                case (byte)'\t': span[n++] = (byte)'\\'; span[n++] = (byte)'t'; break;
                case < 0x20:
                    span[n++] = (byte)'\\'; span[n++] = (byte)'u'; span[n++] = (byte)'0'; span[n++] = (byte)'0';
                    span[n++] = (byte)"0123456789abcdef"[b >> 4]; span[n++] = (byte)"0123456789abcdef"[b & 15];
                    break;
                default: span[n++] = b; break;
            }
        }
        span[n++] = (byte)'"';
        o.Advance(n);
    }
}
