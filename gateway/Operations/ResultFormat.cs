using Gateway.Protocol.Arrow;

namespace Gateway.Server.Operations;

public enum ResultEncoding
{
    /// <summary>TColumns (protocol V6+) or TRows: every Hive client.</summary>
    ThriftColumns,

    /// <summary>Spark/Databricks ARROW_BASED_SET: the schema in the metadata response, record batches in TRowSet.arrowBatches.</summary>
    Arrow,

    /// <summary>Kyuubi's variant: one binary column whose single value per fetch is an Arrow record-batch message.</summary>
    KyuubiArrow,
}

/// <param name="Arrow">How types are written when the encoding is Arrow-based.</param>
/// <param name="Lz4">Arrow batches are LZ4-frame compressed (the client said it can decompress them).</param>
public sealed record ResultFormat(ResultEncoding Encoding, ArrowWriteOptions? Arrow = null, bool Lz4 = false)
{
    public static readonly ResultFormat ThriftColumns = new(ResultEncoding.ThriftColumns);

    /// <summary>The session conf that switches a Kyuubi JDBC client's results to Arrow, and the hint that confirms it.</summary>
    public const string KyuubiFormatConf = "kyuubi.operation.result.format";
    public const string KyuubiFormatHint = "__kyuubi_operation_result_format__=arrow";
}
