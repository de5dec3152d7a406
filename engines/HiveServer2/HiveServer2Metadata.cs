using System.Globalization;
using Gateway.Protocol.Columnar;
using Gateway.Protocol.Hive;

namespace Gateway.Engines.HiveServer2;

/// <summary>
/// <see cref="IEngineMetadata"/> through the remote's own metadata calls. Patterns go to the remote as they are
/// (both sides speak JDBC patterns); the answers, in JDBC DatabaseMetaData layouts, are read by column name.
/// A missing catalog (Hive reports none) is the empty string.
/// </summary>
internal sealed class HiveServer2Metadata(HiveServer2Session session) : IEngineMetadata
{
    public ValueTask<IReadOnlyList<string>> GetCatalogsAsync(CancellationToken cancellationToken) =>
        ReadAsync("GetCatalogs",
            (c, h, d, t) => Op(c.GetCatalogsAsync(new TGetCatalogsReq { SessionHandle = h, GetDirectResults = d }, t), r => (r.Status, r.OperationHandle, r.DirectResults)),
            row => row.String("TABLE_CAT", 0) ?? "", cancellationToken);

    public ValueTask<IReadOnlyList<SchemaInfo>> GetSchemasAsync(string? catalog, string? schemaPattern, CancellationToken cancellationToken) =>
        ReadAsync("GetSchemas",
            (c, h, d, t) => Op(c.GetSchemasAsync(new TGetSchemasReq { SessionHandle = h, CatalogName = catalog, SchemaName = schemaPattern, GetDirectResults = d }, t), r => (r.Status, r.OperationHandle, r.DirectResults)),
            row => new SchemaInfo(row.String("TABLE_CATALOG", 1) ?? "", row.String("TABLE_SCHEM", 0) ?? ""), cancellationToken);

    public ValueTask<IReadOnlyList<TableInfo>> GetTablesAsync(string? catalog, string? schemaPattern, string? tablePattern, IReadOnlyCollection<string>? tableTypes, CancellationToken cancellationToken) =>
        ReadAsync("GetTables",
            (c, h, d, t) => Op(c.GetTablesAsync(new TGetTablesReq
            {
                SessionHandle = h,
                CatalogName = catalog,
                SchemaName = schemaPattern,
                TableName = tablePattern,
                TableTypes = tableTypes is { Count: > 0 } ? [.. tableTypes] : null,
                GetDirectResults = d,
            }, t), r => (r.Status, r.OperationHandle, r.DirectResults)),
            row => new TableInfo(row.String("TABLE_CAT", 0) ?? "", row.String("TABLE_SCHEM", 1) ?? "", row.String("TABLE_NAME", 2) ?? "",
                row.String("TABLE_TYPE", 3) ?? "TABLE", NullIfEmpty(row.String("REMARKS", 4))), cancellationToken);

    public ValueTask<IReadOnlyList<ColumnMetadata>> GetColumnsAsync(string? catalog, string? schemaPattern, string? tablePattern, string? columnPattern, CancellationToken cancellationToken) =>
        ReadAsync("GetColumns",
            (c, h, d, t) => Op(c.GetColumnsAsync(new TGetColumnsReq
            {
                SessionHandle = h,
                CatalogName = catalog,
                SchemaName = schemaPattern,
                TableName = tablePattern,
                ColumnName = columnPattern,
                GetDirectResults = d,
            }, t), r => (r.Status, r.OperationHandle, r.DirectResults)),
            row =>
            {
                var type = RemoteTypeNames.Parse(row.String("TYPE_NAME", 5), row.Int("DATA_TYPE", 4), row.Int("COLUMN_SIZE", 6), row.Int("DECIMAL_DIGITS", 8));
                var nullable = row.Int("NULLABLE", 10) is { } n ? n != 0 : !string.Equals(row.String("IS_NULLABLE", 17), "NO", StringComparison.OrdinalIgnoreCase);
                return new ColumnMetadata(row.String("TABLE_CAT", 0) ?? "", row.String("TABLE_SCHEM", 1) ?? "", row.String("TABLE_NAME", 2) ?? "",
                    row.String("COLUMN_NAME", 3) ?? "", type, row.Int("ORDINAL_POSITION", 16) ?? 0, nullable,
                    NullIfEmpty(row.String("REMARKS", 11)), row.String("COLUMN_DEF", 12));
            }, cancellationToken);

    public ValueTask<IReadOnlyList<FunctionInfo>> GetFunctionsAsync(string? catalog, string? schemaPattern, string? functionPattern, CancellationToken cancellationToken) =>
        ReadAsync("GetFunctions",
            (c, h, d, t) => Op(c.GetFunctionsAsync(new TGetFunctionsReq
            {
                SessionHandle = h,
                CatalogName = catalog,
                SchemaName = schemaPattern,
                FunctionName = JdbcPattern.IsAny(functionPattern) ? "%" : functionPattern!,
                GetDirectResults = d,
            }, t), r => (r.Status, r.OperationHandle, r.DirectResults)),
            // functionReturnsTable = 2
            row => new FunctionInfo(row.String("FUNCTION_CAT", 0) ?? "", row.String("FUNCTION_SCHEM", 1) ?? "", row.String("FUNCTION_NAME", 2) ?? "",
                NullIfEmpty(row.String("REMARKS", 3)), row.Int("FUNCTION_TYPE", 4) == 2), cancellationToken);

    public ValueTask<IReadOnlyList<PrimaryKeyInfo>> GetPrimaryKeysAsync(string? catalog, string? schema, string table, CancellationToken cancellationToken) =>
        ReadAsync("GetPrimaryKeys",
            (c, h, d, t) => Op(c.GetPrimaryKeysAsync(new TGetPrimaryKeysReq { SessionHandle = h, CatalogName = catalog, SchemaName = schema, TableName = table, GetDirectResults = d }, t), r => (r.Status, r.OperationHandle, r.DirectResults)),
            row => new PrimaryKeyInfo(row.String("TABLE_CAT", 0) ?? "", row.String("TABLE_SCHEM", 1) ?? "", row.String("TABLE_NAME", 2) ?? "",
                row.String("COLUMN_NAME", 3) ?? "", row.Int("KEY_SEQ", 4) ?? 0, row.String("PK_NAME", 5)), cancellationToken);

    public ValueTask<IReadOnlyList<ForeignKeyInfo>> GetCrossReferenceAsync(string? parentCatalog, string? parentSchema, string? parentTable, string? foreignCatalog, string? foreignSchema, string? foreignTable, CancellationToken cancellationToken) =>
        ReadAsync("GetCrossReference",
            (c, h, d, t) => Op(c.GetCrossReferenceAsync(new TGetCrossReferenceReq
            {
                SessionHandle = h,
                ParentCatalogName = parentCatalog,
                ParentSchemaName = parentSchema,
                ParentTableName = parentTable,
                ForeignCatalogName = foreignCatalog,
                ForeignSchemaName = foreignSchema,
                ForeignTableName = foreignTable,
                GetDirectResults = d,
            }, t), r => (r.Status, r.OperationHandle, r.DirectResults)),
            row => new ForeignKeyInfo(row.String("PKTABLE_CAT", 0) ?? "", row.String("PKTABLE_SCHEM", 1) ?? "", row.String("PKTABLE_NAME", 2) ?? "", row.String("PKCOLUMN_NAME", 3) ?? "",
                row.String("FKTABLE_CAT", 4) ?? "", row.String("FKTABLE_SCHEM", 5) ?? "", row.String("FKTABLE_NAME", 6) ?? "", row.String("FKCOLUMN_NAME", 7) ?? "",
                row.Int("KEY_SEQ", 8) ?? 0, row.String("FK_NAME", 11), row.String("PK_NAME", 12)), cancellationToken);

    private static async Task<(TStatus Status, TOperationHandle? Handle, TSparkDirectResults? Direct)> Op<T>(Task<T> call, Func<T, (TStatus, TOperationHandle?, TSparkDirectResults?)> parts) =>
        parts(await call.ConfigureAwait(false));

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    private async ValueTask<IReadOnlyList<T>> ReadAsync<T>(string call,
        Func<TCLIServiceClient, TSessionHandle, TSparkGetDirectResults?, CancellationToken, Task<(TStatus Status, TOperationHandle? Handle, TSparkDirectResults? Direct)>> send,
        Func<MetadataRow, T> map, CancellationToken cancellationToken)
    {
        await using var result = await session.MetadataAsync(call, send, cancellationToken).ConfigureAwait(false);
        var list = new List<T>();
        while (await result.ReadBatchAsync(10_000, cancellationToken).ConfigureAwait(false) is { } batch)
        {
            using (batch)
            {
                var row = new MetadataRow(batch);
                for (var r = 0; r < batch.RowCount; r++)
                {
                    row.Index = r;
                    list.Add(map(row));
                }
            }
        }
        return list;
    }
}

/// <summary>One row of a metadata result, read by JDBC column name (position when the name is absent).</summary>
internal sealed class MetadataRow(ColumnBatch batch)
{
    private readonly Dictionary<string, int> _byName = batch.Schema.Columns
        .Select((c, i) => (c.Name, i))
        .GroupBy(x => x.Name, StringComparer.OrdinalIgnoreCase)
        .ToDictionary(g => g.Key, g => g.First().i, StringComparer.OrdinalIgnoreCase);

    public int Index { get; set; }

    private Column? Find(string name, int position) =>
        _byName.TryGetValue(name, out var i) ? batch.Columns[i]
        : position < batch.Columns.Length ? batch.Columns[position]
        : null;

    public string? String(string name, int position) =>
        Find(name, position) is { } c && !c.IsNull(Index) ? ValueFormatter.Utc.FormatToString(c, Index) : null;

    public int? Int(string name, int position) => Find(name, position) switch
    {
        null => null,
        { } c when c.IsNull(Index) => null,
        PrimitiveColumn<sbyte> c => c.Values[Index],
        PrimitiveColumn<short> c => c.Values[Index],
        PrimitiveColumn<int> c => c.Values[Index],
        PrimitiveColumn<long> c => (int)Math.Clamp(c.Values[Index], int.MinValue, int.MaxValue),
        { } c => int.TryParse(ValueFormatter.Utc.FormatToString(c, Index), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null,
    };
}

/// <summary>
/// Types as GetColumns names them: Hive (<c>decimal(10,2)</c>, <c>array&lt;int&gt;</c>), Spark (<c>DECIMAL(10,2)</c>,
/// <c>STRUCT&lt;a: INT&gt;</c>) or a bare name with COLUMN_SIZE/DECIMAL_DIGITS (this gateway: <c>DECIMAL</c>); what
/// does not parse falls back to the java.sql.Types code in DATA_TYPE.
/// </summary>
internal static class RemoteTypeNames
{
    public static SqlType Parse(string? typeName, int? dataType, int? columnSize, int? decimalDigits)
    {
        if (!string.IsNullOrWhiteSpace(typeName))
        {
            try
            {
                var p = 0;
                var type = ParseType(typeName, ref p, columnSize, decimalDigits, top: true);
                SkipSpaces(typeName, ref p);
                if (p == typeName.Length) return type;
            }
            catch (FormatException)
            {
                // Fall back to the type code.
            }
        }
        return dataType switch
        {
            16 or -7 => SqlType.Boolean,
            -6 => SqlType.TinyInt,
            5 => SqlType.SmallInt,
            4 => SqlType.Int,
            -5 => SqlType.BigInt,
            6 or 7 => SqlType.Float,
            8 => SqlType.Double,
            2 or 3 => SqlType.Decimal(Math.Clamp(columnSize ?? 10, 1, 38), Math.Clamp(decimalDigits ?? 0, 0, Math.Clamp(columnSize ?? 10, 1, 38))),
            1 => columnSize is > 0 ? SqlType.Char(columnSize.Value) : SqlType.String,
            -2 or -3 or -4 => SqlType.Binary,
            91 => SqlType.Date,
            92 => SqlType.Time,
            93 => SqlType.Timestamp,
            2014 => SqlType.TimestampTz,
            2003 => SqlType.Array(SqlType.String),
            2000 => SqlType.Map(SqlType.String, SqlType.String),
            2002 => SqlType.Struct([]),
            0 => SqlType.Null,
            _ => SqlType.String,
        };
    }

    private static SqlType ParseType(string s, ref int p, int? columnSize, int? decimalDigits, bool top)
    {
        SkipSpaces(s, ref p);
        var name = Word(s, ref p).ToUpperInvariant();
        // Multi-word names.
        if (name == "TIMESTAMP" && TryWords(s, ref p, "WITH", "LOCAL", "TIME", "ZONE")) return SqlType.TimestampTz;
        if (name == "INTERVAL")
        {
            while (TryWordAny(s, ref p, "YEAR", "MONTH", "DAY", "HOUR", "MINUTE", "SECOND", "TO")) { }
            return SqlType.Interval;
        }
        switch (name)
        {
            case "BOOLEAN": return SqlType.Boolean;
            case "TINYINT" or "BYTE": return SqlType.TinyInt;
            case "SMALLINT" or "SHORT": return SqlType.SmallInt;
            case "INT" or "INTEGER": return SqlType.Int;
            case "BIGINT" or "LONG": return SqlType.BigInt;
            case "FLOAT" or "REAL": return SqlType.Float;
            case "DOUBLE": return SqlType.Double;
            case "STRING": return SqlType.String;
            case "BINARY": return SqlType.Binary;
            case "DATE": return SqlType.Date;
            case "TIMESTAMP" or "TIMESTAMP_NTZ" or "TIMESTAMP_LTZ": return SqlType.Timestamp;
            case "TIMESTAMPLOCALTZ": return SqlType.TimestampTz;
            case "VOID" or "NULL": return SqlType.Null;
            case "DECIMAL" or "DEC" or "NUMERIC":
                {
                    var args = Arguments(s, ref p);
                    if (args.Count == 0) return SqlType.Decimal(Math.Clamp(top ? columnSize ?? 10 : 10, 1, 38), Math.Max(0, top ? decimalDigits ?? 0 : 0));
                    var precision = Math.Clamp(args[0], 1, 38);
                    return SqlType.Decimal(precision, Math.Clamp(args.Count > 1 ? args[1] : 0, 0, precision));
                }
            case "VARCHAR" or "CHAR":
                {
                    var args = Arguments(s, ref p);
                    var length = args.Count > 0 ? args[0] : top ? columnSize ?? 0 : 0;
                    if (length <= 0) return SqlType.String;
                    return name == "CHAR" ? SqlType.Char(length) : SqlType.Varchar(length);
                }
            case "ARRAY":
                {
                    if (!TryChar(s, ref p, '<')) return SqlType.Array(SqlType.String);
                    var element = ParseType(s, ref p, null, null, top: false);
                    Expect(s, ref p, '>');
                    return SqlType.Array(element);
                }
            case "MAP":
                {
                    if (!TryChar(s, ref p, '<')) return SqlType.Map(SqlType.String, SqlType.String);
                    var key = ParseType(s, ref p, null, null, top: false);
                    Expect(s, ref p, ',');
                    var value = ParseType(s, ref p, null, null, top: false);
                    Expect(s, ref p, '>');
                    return SqlType.Map(key, value);
                }
            case "STRUCT":
                {
                    if (!TryChar(s, ref p, '<')) return SqlType.Struct([]);
                    var fields = new List<SqlField>();
                    if (!TryChar(s, ref p, '>'))
                    {
                        do
                        {
                            SkipSpaces(s, ref p);
                            var field = s[p] == '`' ? Quoted(s, ref p) : Word(s, ref p);
                            Expect(s, ref p, ':');
                            var type = ParseType(s, ref p, null, null, top: false);
                            // Spark: "a: INT NOT NULL COMMENT '...'"
                            TryWords(s, ref p, "NOT", "NULL");
                            if (TryWords(s, ref p, "COMMENT")) SkipQuoted(s, ref p);
                            fields.Add(new SqlField(field, type));
                        }
                        while (TryChar(s, ref p, ','));
                        Expect(s, ref p, '>');
                    }
                    return SqlType.Struct(fields);
                }
            default:
                throw new FormatException($"Unknown type '{name}'.");
        }
    }

    private static List<int> Arguments(string s, ref int p)
    {
        var args = new List<int>();
        if (!TryChar(s, ref p, '(')) return args;
        do
        {
            SkipSpaces(s, ref p);
            var start = p;
            while (p < s.Length && char.IsAsciiDigit(s[p])) p++;
            if (p == start) throw new FormatException("A number is expected.");
            args.Add(int.Parse(s.AsSpan(start, p - start), CultureInfo.InvariantCulture));
        }
        while (TryChar(s, ref p, ','));
        Expect(s, ref p, ')');
        return args;
    }

    private static string Word(string s, ref int p)
    {
        SkipSpaces(s, ref p);
        var start = p;
        while (p < s.Length && (char.IsLetterOrDigit(s[p]) || s[p] == '_')) p++;
        if (p == start) throw new FormatException("A name is expected.");
        return s[start..p];
    }

    private static string Quoted(string s, ref int p)
    {
        var end = s.IndexOf('`', p + 1);
        if (end < 0) throw new FormatException("Unterminated quoted name.");
        var name = s[(p + 1)..end];
        p = end + 1;
        return name;
    }

    private static void SkipQuoted(string s, ref int p)
    {
        SkipSpaces(s, ref p);
        if (p >= s.Length || s[p] != '\'') throw new FormatException("A quoted comment is expected.");
        p++;
        while (p < s.Length && s[p] != '\'') p += s[p] == '\\' ? 2 : 1;
        p++;
    }

    private static bool TryWords(string s, ref int p, params string[] words)
    {
        var at = p;
        foreach (var w in words)
        {
            SkipSpaces(s, ref at);
            if (at + w.Length > s.Length || string.Compare(s, at, w, 0, w.Length, StringComparison.OrdinalIgnoreCase) != 0) return false;
            at += w.Length;
            if (at < s.Length && char.IsLetterOrDigit(s[at])) return false;
        }
        p = at;
        return true;
    }

    private static bool TryWordAny(string s, ref int p, params string[] words)
    {
        foreach (var w in words)
        {
            if (TryWords(s, ref p, w)) return true;
        }
        return false;
    }

    private static bool TryChar(string s, ref int p, char c)
    {
        SkipSpaces(s, ref p);
        if (p < s.Length && s[p] == c)
        {
            p++;
            return true;
        }
        return false;
    }

    private static void Expect(string s, ref int p, char c)
    {
        if (!TryChar(s, ref p, c)) throw new FormatException($"'{c}' is expected.");
    }

    private static void SkipSpaces(string s, ref int p)
    {
        while (p < s.Length && char.IsWhiteSpace(s[p])) p++;
    }
}
