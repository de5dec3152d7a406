using System.Buffers;
using System.Buffers.Text;
using System.Text;
using Gateway.Protocol.Columnar;
using Gateway.Protocol.Hive;

namespace Gateway.Engines.HiveServer2;

/// <summary>
/// Turns fetched columns (the Thrift carriers: i32, double, Hive text, ...) into columns of the types the remote
/// declared, so batches match their schema like any engine's: DECIMAL text becomes unscaled Int128, DATE text
/// days, TIMESTAMP text microseconds, FLOAT's double a float. ARRAY/MAP/STRUCT are declared STRING: HiveServer2
/// describes them without element types and sends JSON text, which is kept as it is.
/// Text is parsed from the UTF-8 bytes, without a string per value.
/// </summary>
internal static class RemoteColumns
{
    /// <summary>The type a result column gets from the remote's descriptor.</summary>
    public static SqlType Declared(SqlType described) => described.IsNested ? SqlType.String : described;

    public static ResultSchema Schema(TTableSchema? schema)
    {
        if (schema?.Columns is not { Count: > 0 } columns) return ResultSchema.Empty;
        return new ResultSchema([.. columns.OrderBy(c => c.Position).Select(c => new ColumnInfo(c.ColumnName, Declared(HiveResultEncoder.FromTypeDesc(c.TypeDesc)), c.Comment))]);
    }

    /// <summary>
    /// Converts a fetched row set (Thrift columns or rows, or Arrow batches read with <paramref name="arrow"/>); the
    /// carrier columns are consumed: those kept become the batch's, the others are disposed.
    /// </summary>
    public static ColumnBatch ToBatch(TRowSet? rowSet, ResultSchema declared, TimeZoneInfo localZone, HiveArrowResult? arrow = null)
    {
        ColumnBatch carriers;
        try
        {
            carriers = HiveRowSets.ToBatch(rowSet, declared, arrow);
        }
        catch (HiveClientException e)
        {
            throw new EngineException(e.Message, e.SqlState);
        }
        if (carriers.Columns.Length != declared.Count)
        {
            carriers.Dispose();
            throw new EngineException($"The remote sent {carriers.Columns.Length} columns for a result of {declared.Count}.", "08S01");
        }
        var columns = new Column[declared.Count];
        try
        {
            for (var i = 0; i < columns.Length; i++)
            {
                columns[i] = Convert(carriers.Columns[i], declared.Columns[i], localZone);
                // A carrier converted into new buffers gives its own back (validity and retyped buffers moved out of it).
                if (!ReferenceEquals(columns[i], carriers.Columns[i])) carriers.Columns[i].Dispose();
            }
        }
        catch
        {
            // Dispose is idempotent: a column kept as it was is both a carrier and a result.
            foreach (var c in columns) c?.Dispose();
            carriers.Dispose();
            throw;
        }
        return new ColumnBatch(declared, carriers.RowCount, columns);
    }

    private static Column Convert(Column c, ColumnInfo info, TimeZoneInfo zone)
    {
        var type = info.Type;
        switch (type.Kind)
        {
            case SqlTypeKind.Null:
                return new NullColumn(c.Length);
            case SqlTypeKind.Boolean when c is BooleanColumn:
                return c;
            case SqlTypeKind.Boolean:
                {
                    var text = Text(c, info);
                    var bits = new byte[Bitmap.ByteCount(c.Length)];
                    for (var r = 0; r < c.Length; r++)
                    {
                        if (c.IsNull(r)) continue;
                        var v = text.GetBytes(r);
                        if (Ascii.EqualsIgnoreCase(v, "true"u8) || v.SequenceEqual("1"u8)) Bitmap.Set(bits, r);
                        else if (!(Ascii.EqualsIgnoreCase(v, "false"u8) || v.SequenceEqual("0"u8))) throw Bad(info, v);
                    }
                    return WithValidity(new BooleanColumn(c.Length, bits), c);
                }
            case SqlTypeKind.TinyInt:
                return Integers<sbyte>(c, info, sbyte.MinValue, sbyte.MaxValue, static v => (sbyte)v);
            case SqlTypeKind.SmallInt:
                return Integers<short>(c, info, short.MinValue, short.MaxValue, static v => (short)v);
            case SqlTypeKind.Int:
                return Integers<int>(c, info, int.MinValue, int.MaxValue, static v => (int)v);
            case SqlTypeKind.BigInt:
                return Integers<long>(c, info, long.MinValue, long.MaxValue, static v => v);
            case SqlTypeKind.Double when c is PrimitiveColumn<double>:
                return c;
            case SqlTypeKind.Float when c is PrimitiveColumn<float>:
                return c;
            case SqlTypeKind.Float or SqlTypeKind.Double:
                return type.Kind == SqlTypeKind.Float ? Floats<float>(c, info, static d => (float)d) : Floats<double>(c, info, static d => d);
            case SqlTypeKind.String or SqlTypeKind.Varchar or SqlTypeKind.Char or SqlTypeKind.Binary:
                {
                    // A typed Arrow column (TIME, an interval, a nested value) for what the remote describes as text:
                    // the text its Thrift path would have sent.
                    if (c is not BinaryColumn bytes) return FormatAsText(c, type, zone);
                    // Same buffers, declared type.
                    return bytes.Type == type ? bytes : bytes.Retype(type);
                }
            case SqlTypeKind.Decimal when c is PrimitiveColumn<Int128> decimals:
                if (decimals.Type.Scale != type.Scale) return Rescale(decimals, info);
                return decimals.Type == type ? decimals : decimals.Retype(type);
            case SqlTypeKind.Date when c is PrimitiveColumn<int> { Type.Kind: SqlTypeKind.Date }:
                return c;
            case SqlTypeKind.Time when c is PrimitiveColumn<long> { Type.Kind: SqlTypeKind.Time }:
                return c;
            case SqlTypeKind.Interval when c is PrimitiveColumn<IntervalValue>:
                return c;
            case SqlTypeKind.Timestamp or SqlTypeKind.TimestampTz when c is PrimitiveColumn<long> { Type.Kind: SqlTypeKind.Timestamp or SqlTypeKind.TimestampTz } micros:
                // Arrow says wall clock (no zone) or instant (a zone); the declared type says which is wanted. Spark's
                // TIMESTAMP comes as an instant in the session's zone, whose wall clock the Thrift path's text shows.
                if (micros.Type.Kind == type.Kind) return micros;
                if (zone == TimeZoneInfo.Utc) return micros.Retype(type);
                return Shift(micros, info, toUtc: type.Kind == SqlTypeKind.TimestampTz, zone);
            case SqlTypeKind.Decimal:
                {
                    var text = Text(c, info);
                    return Parse<Int128>(text, info, (ReadOnlySpan<byte> v, out Int128 value) => TryParseDecimal(v, type.Scale, out value));
                }
            case SqlTypeKind.Date:
                return Parse<int>(Text(c, info), info, TryParseDate);
            case SqlTypeKind.Timestamp:
                return Parse<long>(Text(c, info), info, TryParseTimestamp);
            case SqlTypeKind.TimestampTz:
                {
                    var utc = zone == TimeZoneInfo.Utc;
                    return Parse<long>(Text(c, info), info, (ReadOnlySpan<byte> v, out long micros) =>
                        TryParseTimestamp(v, out micros) && (utc || ToUtc(ref micros, zone)));
                }
            case SqlTypeKind.Time:
                return Parse<long>(Text(c, info), info, TryParseTime);
            case SqlTypeKind.Interval:
                return Parse<IntervalValue>(Text(c, info), info, TryParseInterval);
            default:
                throw new EngineException($"Column '{info.Name}': type {type} cannot be read from the remote.", "0A000");
        }
    }

    private delegate bool SpanParser<T>(ReadOnlySpan<byte> text, out T value);

    private static BinaryColumn Text(Column c, ColumnInfo info) => c as BinaryColumn
        ?? throw new EngineException($"Column '{info.Name}' ({info.Type}) arrived as {c.Type} values; expected text.", "08S01");

    /// <summary>Moves the source's validity (and its ownership) to the converted column.</summary>
    private static T WithValidity<T>(T target, Column source) where T : Column
    {
        source.MoveValidityTo(target);
        return target;
    }

    /// <summary>Decimals at the declared scale (Arrow and the table schema disagreeing), rounding half away from zero.</summary>
    private static PrimitiveColumn<Int128> Rescale(PrimitiveColumn<Int128> c, ColumnInfo info)
    {
        var from = c.Type.Scale;
        var to = info.Type.Scale;
        var factor = Int128.One;
        for (var i = 0; i < Math.Abs(to - from); i++) factor *= 10;
        var values = BufferPool<Int128>.Shared.Rent(Math.Max(1, c.Length));
        var source = c.Span;
        try
        {
            for (var r = 0; r < source.Length; r++)
            {
                if (c.IsNull(r))
                {
                    values[r] = default;
                    continue;
                }
                if (to > from)
                {
                    values[r] = checked(source[r] * factor);
                }
                else
                {
                    var (q, rem) = Int128.DivRem(source[r], factor);
                    values[r] = q + (Int128.Abs(rem) * 2 >= factor ? Int128.Sign(source[r]) : 0);
                }
            }
        }
        catch (OverflowException)
        {
            BufferPool<Int128>.Shared.Return(values);
            throw new EngineException($"Column '{info.Name}': a value does not fit {info.Type}.", "22003");
        }
        return WithValidity(new PrimitiveColumn<Int128>(info.Type, c.Length, values, pooled: true), c);
    }

    /// <summary>Instants to wall-clock times in <paramref name="zone"/>, or back.</summary>
    private static PrimitiveColumn<long> Shift(PrimitiveColumn<long> c, ColumnInfo info, bool toUtc, TimeZoneInfo zone)
    {
        var values = BufferPool<long>.Shared.Rent(Math.Max(1, c.Length));
        var source = c.Span;
        for (var r = 0; r < source.Length; r++)
        {
            var v = source[r];
            if (!c.IsNull(r))
            {
                if (toUtc) ToUtc(ref v, zone);
                else ToWall(ref v, zone);
            }
            values[r] = v;
        }
        return WithValidity(new PrimitiveColumn<long>(info.Type, c.Length, values, pooled: true), c);
    }

    /// <summary>The text the remote's Thrift path sends for a value it describes as STRING (Hive text; JSON for nested values).</summary>
    private static BinaryColumn FormatAsText(Column c, SqlType type, TimeZoneInfo zone)
    {
        var formatter = zone == TimeZoneInfo.Utc ? ValueFormatter.Utc : new ValueFormatter(zone);
        var offsets = BufferPool<int>.Shared.Rent(c.Length + 1);
        using var text = new Gateway.Protocol.Thrift.PooledBufferWriter(Math.Max(256, c.Length * 16));
        for (var r = 0; r < c.Length; r++)
        {
            offsets[r] = text.WrittenCount;
            if (!(c is NullColumn || c.IsNull(r))) formatter.Write(c, r, text);
        }
        offsets[c.Length] = text.WrittenCount;
        var data = BufferPool<byte>.Shared.Rent(Math.Max(1, text.WrittenCount));
        text.WrittenSpan.CopyTo(data);
        var column = new BinaryColumn(type, c.Length, offsets, data, pooled: true);
        if (c is NullColumn)
        {
            var none = BufferPool<byte>.Shared.Rent(Math.Max(1, Bitmap.ByteCount(c.Length)));
            Array.Clear(none);
            column.SetValidity(none, pooled: true);
            return column;
        }
        return WithValidity(column, c);
    }

    private static void ToWall(ref long utcMicros, TimeZoneInfo zone)
    {
        var days = Math.DivRem(utcMicros, ValueConversions.MicrosPerDay, out var rem);
        if (rem < 0) days--;
        if (days is < -719_162 or > 2_932_896) return;
        var utc = DateTime.SpecifyKind(DateTime.UnixEpoch.AddTicks(utcMicros * 10), DateTimeKind.Utc);
        utcMicros += zone.GetUtcOffset(utc).Ticks / 10;
    }

    private static PrimitiveColumn<T> Parse<T>(BinaryColumn text, ColumnInfo info, SpanParser<T> parse) where T : unmanaged
    {
        var values = BufferPool<T>.Shared.Rent(Math.Max(1, text.Length));
        try
        {
            for (var r = 0; r < text.Length; r++)
            {
                if (text.IsNull(r))
                {
                    values[r] = default;
                    continue;
                }
                var bytes = text.GetBytes(r);
                if (!parse(bytes, out values[r])) throw Bad(info, bytes);
            }
        }
        catch
        {
            BufferPool<T>.Shared.Return(values);
            throw;
        }
        return WithValidity(new PrimitiveColumn<T>(info.Type, text.Length, values, pooled: true), text);
    }

    private static Column Integers<T>(Column c, ColumnInfo info, long min, long max, Func<long, T> narrow) where T : unmanaged
    {
        if (c is PrimitiveColumn<T> same && same.Type.Kind == info.Type.Kind) return c;
        if (c is BinaryColumn text)
        {
            return Parse<T>(text, info, (ReadOnlySpan<byte> v, out T value) =>
            {
                value = default;
                if (!Utf8Parser.TryParse(v.Trim(" "u8), out long l, out var used) || used != v.Trim(" "u8).Length || l < min || l > max) return false;
                value = narrow(l);
                return true;
            });
        }
        var values = BufferPool<T>.Shared.Rent(Math.Max(1, c.Length));
        for (var r = 0; r < c.Length; r++)
        {
            long v = c switch
            {
                PrimitiveColumn<sbyte> b => b.Values[r],
                PrimitiveColumn<short> s => s.Values[r],
                PrimitiveColumn<int> i => i.Values[r],
                PrimitiveColumn<long> l => l.Values[r],
                _ => throw new EngineException($"Column '{info.Name}' ({info.Type}) arrived as {c.Type} values.", "08S01"),
            };
            if (!c.IsNull(r) && (v < min || v > max))
            {
                BufferPool<T>.Shared.Return(values);
                throw new EngineException($"Column '{info.Name}': value {v} does not fit {info.Type}.", "22003");
            }
            values[r] = narrow(v);
        }
        return WithValidity(new PrimitiveColumn<T>(info.Type, c.Length, values, pooled: true), c);
    }

    private static Column Floats<T>(Column c, ColumnInfo info, Func<double, T> narrow) where T : unmanaged
    {
        if (c is BinaryColumn text)
        {
            return Parse<T>(text, info, (ReadOnlySpan<byte> v, out T value) =>
            {
                value = default;
                var t = v.Trim(" "u8);
                if (!double.TryParse(t, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var d)) return false;
                value = narrow(d);
                return true;
            });
        }
        if (c is not PrimitiveColumn<double> doubles) throw new EngineException($"Column '{info.Name}' ({info.Type}) arrived as {c.Type} values.", "08S01");
        var values = BufferPool<T>.Shared.Rent(Math.Max(1, c.Length));
        var source = doubles.Span;
        for (var r = 0; r < source.Length; r++) values[r] = narrow(source[r]);
        return WithValidity(new PrimitiveColumn<T>(info.Type, c.Length, values, pooled: true), c);
    }

    private static EngineException Bad(ColumnInfo info, ReadOnlySpan<byte> value)
    {
        var shown = Encoding.UTF8.GetString(value.Length > 64 ? value[..64] : value);
        return new EngineException($"Column '{info.Name}': '{shown}' from the remote is not a valid {info.Type} value.", "22018");
    }

    // ---- Hive text forms ----

    /// <summary>[-]digits[.digits][e[+-]digits] → unscaled at <paramref name="scale"/>, rounding half away from zero.</summary>
    internal static bool TryParseDecimal(ReadOnlySpan<byte> s, int scale, out Int128 unscaled)
    {
        unscaled = 0;
        s = s.Trim(" "u8);
        if (s.IsEmpty) return false;
        var negative = s[0] == '-';
        if (s[0] is (byte)'-' or (byte)'+') s = s[1..];
        var exponent = 0;
        var e = s.IndexOfAny((byte)'e', (byte)'E');
        if (e >= 0)
        {
            if (!Utf8Parser.TryParse(s[(e + 1)..], out exponent, out var used) || used != s.Length - e - 1) return false;
            s = s[..e];
        }
        Int128 acc = 0;
        var fraction = 0;
        var point = false;
        var digits = 0;
        try
        {
            foreach (var b in s)
            {
                if (b == '.' && !point)
                {
                    point = true;
                    continue;
                }
                if (b is < (byte)'0' or > (byte)'9') return false;
                acc = checked(acc * 10 + (b - '0'));
                digits++;
                if (point) fraction++;
            }
            if (digits == 0) return false;
            var have = fraction - exponent;
            if (have < scale)
            {
                for (var i = have; i < scale; i++) acc = checked(acc * 10);
            }
            else if (have > scale)
            {
                var drop = have - scale;
                if (drop > 38)
                {
                    acc = 0;
                }
                else
                {
                    var divisor = Int128.One;
                    for (var i = 0; i < drop; i++) divisor *= 10;
                    var quotient = Int128.DivRem(acc, divisor);
                    acc = quotient.Quotient + (quotient.Remainder >= divisor - quotient.Remainder ? 1 : 0);
                }
            }
        }
        catch (OverflowException)
        {
            return false;
        }
        unscaled = negative ? -acc : acc;
        return true;
    }

    /// <summary>[-]yyyy-MM-dd → days since 1970-01-01 (any year, proleptic Gregorian).</summary>
    internal static bool TryParseDate(ReadOnlySpan<byte> s, out int days)
    {
        days = 0;
        s = s.Trim(" "u8);
        if (!TryParseDatePart(s, out var d, out var used) || used != s.Length) return false;
        days = d;
        return true;
    }

    private static bool TryParseDatePart(ReadOnlySpan<byte> s, out int days, out int used)
    {
        days = 0;
        used = 0;
        var negative = s.Length > 0 && s[0] == '-';
        var p = negative ? 1 : 0;
        if (!Digits(s, ref p, 1, 6, out var year) || !Expect(s, ref p, '-') || !Digits(s, ref p, 1, 2, out var month)
            || !Expect(s, ref p, '-') || !Digits(s, ref p, 1, 2, out var day))
        {
            return false;
        }
        if (negative) year = -year;
        if (month is < 1 or > 12 || day < 1 || day > DaysInMonth(year, month)) return false;
        days = DaysFromCivil(year, month, day);
        used = p;
        return true;
    }

    /// <summary>yyyy-MM-dd[( |T)HH:mm:ss[.f…]] → microseconds since the epoch (digits past micros are dropped).</summary>
    internal static bool TryParseTimestamp(ReadOnlySpan<byte> s, out long micros)
    {
        micros = 0;
        s = s.Trim(" "u8);
        if (!TryParseDatePart(s, out var days, out var p)) return false;
        long time = 0;
        if (p < s.Length)
        {
            if (s[p] is not ((byte)' ' or (byte)'T')) return false;
            p++;
            if (!TryParseTimePart(s[p..], out time, out var used) || p + used != s.Length) return false;
        }
        micros = days * ValueConversions.MicrosPerDay + time;
        return true;
    }

    internal static bool TryParseTime(ReadOnlySpan<byte> s, out long micros)
    {
        s = s.Trim(" "u8);
        return TryParseTimePart(s, out micros, out var used) && used == s.Length;
    }

    private static bool TryParseTimePart(ReadOnlySpan<byte> s, out long micros, out int used)
    {
        micros = 0;
        used = 0;
        var p = 0;
        if (!Digits(s, ref p, 1, 2, out var h) || !Expect(s, ref p, ':') || !Digits(s, ref p, 2, 2, out var m)
            || !Expect(s, ref p, ':') || !Digits(s, ref p, 2, 2, out var sec) || h > 24 || m > 59 || sec > 60)
        {
            return false;
        }
        micros = ((h * 60L + m) * 60 + sec) * ValueConversions.MicrosPerSecond;
        if (p < s.Length && s[p] == '.')
        {
            p++;
            var start = p;
            long fraction = 0;
            while (p < s.Length && s[p] is >= (byte)'0' and <= (byte)'9')
            {
                if (p - start < 6) fraction = fraction * 10 + (s[p] - '0');
                p++;
            }
            if (p == start) return false;
            for (var i = Math.Min(p - start, 6); i < 6; i++) fraction *= 10;
            micros += fraction;
        }
        used = p;
        return true;
    }

    /// <summary>
    /// Hive's interval texts: year-month <c>[-]Y-M</c>, day-time <c>[-]D HH:mm:ss[.f…]</c>, and this gateway's
    /// <c>1 year 2 months 3 days 04:05:06.000007</c>.
    /// </summary>
    internal static bool TryParseInterval(ReadOnlySpan<byte> s, out IntervalValue value)
    {
        value = default;
        var text = Encoding.UTF8.GetString(s.Trim(" "u8));
        if (text.Length == 0) return false;
        var parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var negative = text[0] == '-';
        var body = negative ? text[1..] : text;
        if (parts.Length == 1 && !body.Contains(':', StringComparison.Ordinal) && body.IndexOf('-', StringComparison.Ordinal) > 0)
        {
            // Y-M
            var dash = body.IndexOf('-', StringComparison.Ordinal);
            if (!int.TryParse(body.AsSpan(0, dash), System.Globalization.CultureInfo.InvariantCulture, out var y)
                || !int.TryParse(body.AsSpan(dash + 1), System.Globalization.CultureInfo.InvariantCulture, out var mo))
            {
                return false;
            }
            var months = y * 12 + mo;
            value = new IntervalValue(negative ? -months : months, 0, 0);
            return true;
        }
        if (parts.Length == 2 && parts[1].Contains(':', StringComparison.Ordinal) && int.TryParse(parts[0], System.Globalization.CultureInfo.InvariantCulture, out var d))
        {
            // [-]D HH:mm:ss.f: the sign covers the whole value.
            if (!TryParseDuration(parts[1], out var t)) return false;
            value = negative ? new IntervalValue(0, d, -t) : new IntervalValue(0, d, t);
            return true;
        }
        int monthsTotal = 0, daysTotal = 0;
        long microsTotal = 0;
        for (var i = 0; i < parts.Length; i++)
        {
            if (parts[i].Contains(':', StringComparison.Ordinal))
            {
                var neg = parts[i].StartsWith('-');
                if (!TryParseDuration(neg ? parts[i][1..] : parts[i], out var t)) return false;
                microsTotal = neg ? -t : t;
                continue;
            }
            if (i + 1 >= parts.Length || !int.TryParse(parts[i], System.Globalization.CultureInfo.InvariantCulture, out var n)) return false;
            var unit = parts[++i].TrimEnd('s').ToUpperInvariant();
            switch (unit)
            {
                case "YEAR": monthsTotal += n * 12; break;
                case "MONTH" or "MON": monthsTotal += n; break;
                case "DAY": daysTotal += n; break;
                default: return false;
            }
        }
        value = new IntervalValue(monthsTotal, daysTotal, microsTotal);
        return true;
    }

    /// <summary>H+:mm:ss[.f…] (hours may exceed 24).</summary>
    private static bool TryParseDuration(string s, out long micros)
    {
        micros = 0;
        var first = s.IndexOf(':', StringComparison.Ordinal);
        if (first <= 0 || !long.TryParse(s.AsSpan(0, first), System.Globalization.CultureInfo.InvariantCulture, out var hours)) return false;
        if (!TryParseTime(Encoding.ASCII.GetBytes("00" + s[first..]), out var rest)) return false;
        micros = hours * 3600 * ValueConversions.MicrosPerSecond + rest;
        return true;
    }

    private static bool ToUtc(ref long wallMicros, TimeZoneInfo zone)
    {
        var days = Math.DivRem(wallMicros, ValueConversions.MicrosPerDay, out var rem);
        if (rem < 0) days--;
        // Outside DateTime's range a zone offset is meaningless; keep the value.
        if (days is < -719_162 or > 2_932_896) return true;
        var wall = DateTime.SpecifyKind(DateTime.UnixEpoch.AddTicks(wallMicros * 10), DateTimeKind.Unspecified);
        var offset = zone.IsInvalidTime(wall) ? zone.BaseUtcOffset : zone.GetUtcOffset(wall);
        wallMicros -= offset.Ticks / 10;
        return true;
    }

    private static bool Digits(ReadOnlySpan<byte> s, ref int p, int min, int max, out int value)
    {
        value = 0;
        var start = p;
        while (p < s.Length && p - start < max && s[p] is >= (byte)'0' and <= (byte)'9') value = value * 10 + (s[p++] - '0');
        return p - start >= min;
    }

    private static bool Expect(ReadOnlySpan<byte> s, ref int p, char c)
    {
        if (p >= s.Length || s[p] != c) return false;
        p++;
        return true;
    }

    private static int DaysInMonth(int year, int month) => month switch
    {
        2 => (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28,
        4 or 6 or 9 or 11 => 30,
        _ => 31,
    };

    /// <summary>Days from 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).</summary>
    private static int DaysFromCivil(int y, int m, int d)
    {
        y -= m <= 2 ? 1 : 0;
        var era = (y >= 0 ? y : y - 399) / 400;
        var yoe = y - era * 400;
        var doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        var doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146_097 + doe - 719_468;
    }
}

/// <summary>
/// Copies row ranges of flat batches (what <see cref="RemoteColumns"/> produces) into one batch of pooled
/// buffers: a fetch rarely lines up with the batch size a reader asks for.
/// </summary>
internal static class FlatBatches
{
    public static ColumnBatch Concat(ResultSchema schema, IReadOnlyList<BatchSlice> parts) =>
        ColumnConcat.Concat(schema, [.. parts.Select(p => (p.Batch, p.Offset, p.Count))]);
}
