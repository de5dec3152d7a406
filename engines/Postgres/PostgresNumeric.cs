using System.Buffers.Binary;
using System.Numerics;

namespace Gateway.Engines.Postgres;

/// <summary>
/// numeric values → unscaled <see cref="Int128"/> at a target scale, rounding half away from zero (PostgreSQL's
/// own rounding). Values that do not fit 38 digits, NaN and ±Infinity fail with SQLSTATE 22003.
/// </summary>
internal static class PostgresNumeric
{
    private static readonly Int128 Max38 = Int128.Parse("99999999999999999999999999999999999999", System.Globalization.CultureInfo.InvariantCulture);

    private static readonly Int128[] PowersOf10 = BuildPowers();

    private static Int128[] BuildPowers()
    {
        var p = new Int128[39];
        p[0] = 1;
        for (var i = 1; i < p.Length; i++) p[i] = p[i - 1] * 10;
        return p;
    }

    /// <summary>A System.Decimal (≤ 28 digits, scale ≤ 28) at <paramref name="scale"/>.</summary>
    public static Int128 FromDecimal(decimal value, int scale)
    {
        Span<int> bits = stackalloc int[4];
        decimal.GetBits(value, bits);
        var mantissa = ((Int128)(uint)bits[2] << 64) | ((Int128)(uint)bits[1] << 32) | (uint)bits[0];
        var current = (bits[3] >> 16) & 0xFF;
        var negative = bits[3] < 0;
        var unscaled = Rescale(mantissa, current, scale);
        return negative ? -unscaled : unscaled;
    }

    /// <summary>PostgreSQL's binary numeric: ndigits, weight, sign, dscale (int16 each), then base-10000 digits.</summary>
    public static Int128 FromBinary(ReadOnlySpan<byte> data, int scale)
    {
        if (data.Length < 8) throw Invalid("a truncated numeric value");
        var ndigits = BinaryPrimitives.ReadInt16BigEndian(data);
        var weight = BinaryPrimitives.ReadInt16BigEndian(data[2..]);
        var sign = BinaryPrimitives.ReadUInt16BigEndian(data[4..]);
        if (sign is 0xC000) throw OutOfRange("NaN");
        if (sign is 0xD000 or 0xF000) throw OutOfRange(sign == 0xD000 ? "Infinity" : "-Infinity");
        if (data.Length < 8 + 2 * ndigits) throw Invalid("a truncated numeric value");
        // value = D * 10000^(weight - ndigits + 1), D the digits read as one integer.
        var exponent10 = 4 * (weight - ndigits + 1) + scale;
        Int128 unscaled;
        if (ndigits <= 9)
        {
            Int128 d = 0;
            for (var i = 0; i < ndigits; i++) d = d * 10000 + BinaryPrimitives.ReadInt16BigEndian(data[(8 + 2 * i)..]);
            unscaled = ScaleBy(d, exponent10);
        }
        else
        {
            BigInteger d = 0;
            for (var i = 0; i < ndigits; i++) d = d * 10000 + BinaryPrimitives.ReadInt16BigEndian(data[(8 + 2 * i)..]);
            unscaled = ScaleBy(d, exponent10);
        }
        return sign == 0x4000 ? -unscaled : unscaled;
    }

    private static Int128 Rescale(Int128 mantissa, int currentScale, int scale) => ScaleBy(mantissa, scale - currentScale);

    /// <summary>d × 10^exponent, rounding half away from zero when the exponent is negative.</summary>
    private static Int128 ScaleBy(Int128 d, int exponent)
    {
        if (exponent >= 0)
        {
            if (d == 0) return 0;
            if (exponent > 38) throw OutOfRange(null);
            var p = PowersOf10[exponent];
            if (d > Max38 / p) throw OutOfRange(null);
            return d * p;
        }
        if (-exponent > 38) return 0;
        var divisor = PowersOf10[-exponent];
        var q = Int128.DivRem(d, divisor);
        var result = q.Quotient + (q.Remainder * 2 >= divisor ? 1 : 0);
        if (result > Max38) throw OutOfRange(null);
        return result;
    }

    private static Int128 ScaleBy(BigInteger d, int exponent)
    {
        BigInteger result;
        if (exponent >= 0)
        {
            result = d * BigInteger.Pow(10, exponent);
        }
        else
        {
            var divisor = BigInteger.Pow(10, -exponent);
            var q = BigInteger.DivRem(d, divisor, out var remainder);
            result = q + (remainder * 2 >= divisor ? 1 : 0);
        }
        if (result > (BigInteger)Max38) throw OutOfRange(null);
        return (Int128)result;
    }

    private static EngineException OutOfRange(string? what) =>
        new(what is null ? "A numeric value does not fit decimal(38)." : $"The numeric value {what} has no decimal representation.", "22003");

    private static EngineException Invalid(string what) => new($"PostgreSQL sent {what}.", "22000");
}
