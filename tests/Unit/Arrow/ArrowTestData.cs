using System.Collections;
using Gateway.Protocol.Columnar;

namespace Gateway.Tests.Unit.Arrow;

/// <summary>Batches covering every type, nulls at every level, and awkward values, for the Arrow tests.</summary>
internal static class ArrowTestData
{
    public static readonly SqlType PointType = SqlType.Struct([new("x", SqlType.Int), new("label", SqlType.String)]);

    public static readonly ResultSchema EverySchema = new(
    [
        new("b", SqlType.Boolean),
        new("ti", SqlType.TinyInt),
        new("si", SqlType.SmallInt),
        new("i", SqlType.Int),
        new("bi", SqlType.BigInt),
        new("f", SqlType.Float),
        new("d", SqlType.Double),
        new("dec", SqlType.Decimal(10, 2)),
        new("dec38", SqlType.Decimal(38, 10)),
        new("s", SqlType.String),
        new("vc", SqlType.Varchar(20)),
        new("c", SqlType.Char(5)),
        new("bin", SqlType.Binary),
        new("dt", SqlType.Date),
        new("tm", SqlType.Time),
        new("ts", SqlType.Timestamp),
        new("tstz", SqlType.TimestampTz),
        new("iv", SqlType.Interval),
        new("arr", SqlType.Array(SqlType.Int)),
        new("arr_arr", SqlType.Array(SqlType.Array(SqlType.String))),
        new("arr_st", SqlType.Array(PointType)),
        new("map", SqlType.Map(SqlType.String, SqlType.Int)),
        new("map_arr", SqlType.Map(SqlType.Int, SqlType.Array(SqlType.Decimal(5, 1)))),
        new("st", SqlType.Struct([new("a", SqlType.Int), new("b", SqlType.String), new("ts", SqlType.Timestamp), new("inner", PointType), new("tags", SqlType.Array(SqlType.String))])),
        new("n", SqlType.Null),
    ]);

    private static readonly DateTime Ts = new(2024, 1, 31, 12, 0, 0, 123, DateTimeKind.Unspecified);

    /// <summary>A row of non-null values (with nulls inside nested values), varied by <paramref name="i"/>.</summary>
    public static object?[] Row(int i) =>
    [
        i % 4 == 0,
        (sbyte)(i % 5 == 2 ? sbyte.MinValue : i - 1),
        (short)(i % 5 == 3 ? short.MaxValue : i * -1000),
        i % 6 == 5 ? int.MinValue : i * 100_000,
        i % 7 == 4 ? long.MaxValue : i % 7 == 5 ? long.MinValue : (long)i << 40,
        i % 9 == 8 ? float.NaN : 1.1f * i,
        i % 8 == 7 ? double.NegativeInfinity : 0.1 * i - 3,
        12.34m * i - 50,
        i % 3 == 2 ? -999_999_999_999_999.999999999m : 1234567890.0123456789m * (i % 50),
        i % 5 == 0 ? "" : "text " + i + " é漢😀",
        "vc" + i,
        "c" + (i % 10),
        i % 6 == 0 ? Array.Empty<byte>() : new byte[] { (byte)i, 0x00, 0xFF },
        new DateOnly(1969, 12, 25).AddDays(i % 100 * 400 - 2000),
        new TimeOnly(i % 24, 34, 56).Add(TimeSpan.FromTicks(i * 10 * 7)),
        Ts.AddDays(i % 50 * -3000).AddTicks(i * 10),
        new DateTimeOffset(Ts.AddHours(i), TimeSpan.Zero),
        new IntervalValue(i - 14, -i, i * 3_000_001L - 7),
        i % 4 == 3 ? Array.Empty<object?>() : new object?[] { 1, i % 2 == 0 ? null : 2, i },
        new object?[] { new object?[] { "a", null }, null, Array.Empty<object?>(), new object?[] { "x" + i } },
        new object?[] { new object?[] { i, "p" + i }, null, new object?[] { null, null } },
        i % 4 == 1 ? new Hashtable() : new Hashtable { ["k" + i] = i, ["nil"] = null },
        new Hashtable { [i] = new object?[] { 1.5m, null, -2.5m } },
        new object?[] { i, i % 2 == 0 ? null : "b" + i, Ts.AddMinutes(i), i % 3 == 0 ? null : new object?[] { -i, "in" }, new object?[] { "t", null } },
        null,
    ];

    /// <summary>Rows where i % 3 == 1 are entirely NULL; the others come from <see cref="Row"/>.</summary>
    public static ColumnBatch EveryType(int rows) => Build(EverySchema, rows, i => i % 3 == 1 ? new object?[EverySchema.Count] : Row(i));

    /// <summary>Every value of every column NULL.</summary>
    public static ColumnBatch AllNull(int rows) => Build(EverySchema, rows, _ => new object?[EverySchema.Count]);

    /// <summary>No NULLs at the top level (validity buffers are empty).</summary>
    public static ColumnBatch NoNulls(int rows)
    {
        var schema = new ResultSchema([.. EverySchema.Columns.Where(c => c.Type.Kind != SqlTypeKind.Null)]);
        return Build(schema, rows, i => Row(i)[..^1]);
    }

    public static ColumnBatch Build(ResultSchema schema, int rows, Func<int, object?[]> row)
    {
        var builder = new BatchBuilder(schema);
        for (var i = 0; i < rows; i++) builder.AddRow(row(i));
        return builder.Build();
    }

    /// <summary>A wide batch for buffers longer than the writer's copy chunk: strings, booleans, ints.</summary>
    public static ColumnBatch Large(int rows)
    {
        var schema = new ResultSchema([new("id", SqlType.BigInt), new("flag", SqlType.Boolean), new("label", SqlType.String)]);
        return Build(schema, rows, i => [(long)i, i % 11 == 3 ? null : i % 3 == 0, i % 13 == 5 ? null : "label-" + i.ToString("D8", System.Globalization.CultureInfo.InvariantCulture)]);
    }
}
