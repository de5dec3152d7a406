using System.Buffers;
using System.Buffers.Text;
using System.Text;

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

    public static int FormatDate(int days, Span<byte> d)
    {
        ValueConversions.DateFromDays(days).Deconstruct(out var year, out var month, out var day);
        return WriteDate(year, month, day, d);
    }

    private static int WriteDate(int year, int month, int day, Span<byte> d)
    {
        var n = 0;
        if (year < 0) { d[n++] = (byte)'-'; year = -year; }
        n += Pad(year, 4, d[n..]);
        d[n++] = (byte)'-';
        n += Pad(month, 2, d[n..]);
        d[n++] = (byte)'-';
        n += Pad(day, 2, d[n..]);
        return n;
    }

    /// <summary>yyyy-MM-dd HH:mm:ss[.ffffff] with trailing fractional zeros dropped, as Hive prints.</summary>
    public static int FormatTimestamp(long micros, Span<byte> d)
    {
        var days = Math.DivRem(micros, ValueConversions.MicrosPerDay, out var rem);
        if (rem < 0) { rem += ValueConversions.MicrosPerDay; days--; }
        var n = FormatDate((int)days, d);
        d[n++] = (byte)' ';
        return n + FormatTime(rem, d[n..]);
    }

    public static int FormatTime(long micros, Span<byte> d)
    {
        var seconds = Math.DivRem(micros, ValueConversions.MicrosPerSecond, out var frac);
        var n = Pad((int)(seconds / 3600), 2, d);
        d[n++] = (byte)':';
        n += Pad((int)(seconds / 60 % 60), 2, d[n..]);
        d[n++] = (byte)':';
        n += Pad((int)(seconds % 60), 2, d[n..]);
        if (frac != 0)
        {
            d[n++] = (byte)'.';
            var digits = 6;
            while (frac % 10 == 0) { frac /= 10; digits--; }
            n += Pad((int)frac, digits, d[n..]);
        }
        return n;
    }

    public static int FormatDecimal(Int128 unscaled, int scale, Span<byte> d)
    {
        var n = 0;
        var negative = unscaled < 0;
        // Int128.MinValue cannot be negated; decimal(38) never reaches it.
        var magnitude = negative ? (UInt128)(-unscaled) : (UInt128)unscaled;
        Span<byte> digits = stackalloc byte[40];
        var count = 0;
        // Decimals up to 19 digits (most of them) take 64-bit division: a 128-bit one costs several times more.
        while (magnitude > ulong.MaxValue)
        {
            digits[count++] = (byte)('0' + (int)(magnitude % 10));
            magnitude /= 10;
        }
        var small = (ulong)magnitude;
        do
        {
            var q = small / 10;
            digits[count++] = (byte)('0' + (int)(small - q * 10));
            small = q;
        } while (small != 0);
        while (count <= scale) digits[count++] = (byte)'0';
        if (negative) d[n++] = (byte)'-';
        for (var i = count - 1; i >= 0; i--)
        {
            d[n++] = digits[i];
            if (i == scale && scale > 0) d[n++] = (byte)'.';
        }
        return n;
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
