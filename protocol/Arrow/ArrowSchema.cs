using System.Collections.Immutable;
using Gateway.Protocol.Columnar;

namespace Gateway.Protocol.Arrow;

/// <summary>
/// An Arrow schema read from a Schema message: the <see cref="ResultSchema"/> its batches decode to, and
/// the Arrow types behind it (units, widths, time zones), which the decoder needs to read the buffers.
/// Immutable; one per result, shared by every batch read with it.
/// </summary>
public sealed class ArrowSchema
{
    internal ArrowSchema(ResultSchema schema, ArrowField[] fields, short metadataVersion)
    {
        Schema = schema;
        Fields = fields;
        MetadataVersion = metadataVersion;
    }

    /// <summary>The columns as batches read with this schema carry them.</summary>
    public ResultSchema Schema { get; }

    /// <summary>The message's metadata version (V4 = 3, V5 = 4).</summary>
    public short MetadataVersion { get; }

    internal ArrowField[] Fields { get; }

    /// <summary>The Arrow time zone of each top-level timestamp column with one (null elsewhere).</summary>
    public IReadOnlyList<string?> TimeZones => [.. Fields.Select(f => f.Type == ArrowTypeId.Timestamp && !string.IsNullOrEmpty(f.TimeZone) ? f.TimeZone : null)];

    /// <summary>
    /// The same schema with other column names (e.g. the names a TTableSchema declares). The types and
    /// the count must stay: batches read with it are laid out exactly as before.
    /// </summary>
    public ArrowSchema WithNames(IReadOnlyList<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        if (names.Count != Fields.Length) throw new ArgumentException($"{names.Count} names for a schema of {Fields.Length} columns.", nameof(names));
        var columns = ImmutableArray.CreateBuilder<ColumnInfo>(Fields.Length);
        for (var i = 0; i < Fields.Length; i++) columns.Add(Schema.Columns[i] with { Name = names[i] });
        return new ArrowSchema(new ResultSchema(columns.MoveToImmutable()), Fields, MetadataVersion);
    }
}

/// <summary>Arrow's Type union (format/Schema.fbs), in its numbering.</summary>
internal enum ArrowTypeId : byte
{
    None = 0,
    Null = 1,
    Int = 2,
    FloatingPoint = 3,
    Binary = 4,
    Utf8 = 5,
    Bool = 6,
    Decimal = 7,
    Date = 8,
    Time = 9,
    Timestamp = 10,
    Interval = 11,
    List = 12,
    Struct = 13,
    Union = 14,
    FixedSizeBinary = 15,
    FixedSizeList = 16,
    Map = 17,
    Duration = 18,
    LargeBinary = 19,
    LargeUtf8 = 20,
    LargeList = 21,
    RunEndEncoded = 22,
    BinaryView = 23,
    Utf8View = 24,
    ListView = 25,
    LargeListView = 26,
}

/// <summary>One field of a schema, with what decoding its buffers needs.</summary>
internal sealed class ArrowField
{
    public required string Name { get; init; }
    public required ArrowTypeId Type { get; init; }
    public required SqlType SqlType { get; init; }
    public ArrowField[] Children { get; init; } = [];

    /// <summary>Int and Decimal bit width; Time bit width.</summary>
    public int BitWidth { get; init; }
    public bool Signed { get; init; }

    /// <summary>FloatingPoint precision; Date, Time, Timestamp, Duration and Interval unit.</summary>
    public short Unit { get; init; }

    /// <summary>FixedSizeBinary byte width, FixedSizeList list size.</summary>
    public int FixedSize { get; init; }

    public string? TimeZone { get; init; }
}
