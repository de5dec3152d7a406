using Gateway.Engines;
using Gateway.Protocol.Columnar;

namespace Gateway.Server.Hive;

/// <summary>
/// Result layouts of the metadata calls, column for column as JDBC's DatabaseMetaData defines them
/// (and as HiveServer2 returns them), built from what the engine reports.
/// </summary>
public static class JdbcMetadata
{
    private static ColumnInfo S(string name) => new(name, SqlType.String);
    private static ColumnInfo I(string name) => new(name, SqlType.Int);
    private static ColumnInfo Sm(string name) => new(name, SqlType.SmallInt);

    public static readonly ResultSchema Catalogs = new([S("TABLE_CAT")]);
    public static readonly ResultSchema Schemas = new([S("TABLE_SCHEM"), S("TABLE_CATALOG")]);
    public static readonly ResultSchema TableTypes = new([S("TABLE_TYPE")]);
    public static readonly ResultSchema Tables = new([
        S("TABLE_CAT"), S("TABLE_SCHEM"), S("TABLE_NAME"), S("TABLE_TYPE"), S("REMARKS"),
        S("TYPE_CAT"), S("TYPE_SCHEM"), S("TYPE_NAME"), S("SELF_REFERENCING_COL_NAME"), S("REF_GENERATION")]);
    public static readonly ResultSchema Columns = new([
        S("TABLE_CAT"), S("TABLE_SCHEM"), S("TABLE_NAME"), S("COLUMN_NAME"), I("DATA_TYPE"), S("TYPE_NAME"),
        I("COLUMN_SIZE"), Sm("BUFFER_LENGTH"), I("DECIMAL_DIGITS"), I("NUM_PREC_RADIX"), I("NULLABLE"), S("REMARKS"),
        S("COLUMN_DEF"), I("SQL_DATA_TYPE"), I("SQL_DATETIME_SUB"), I("CHAR_OCTET_LENGTH"), I("ORDINAL_POSITION"),
        S("IS_NULLABLE"), S("SCOPE_CATALOG"), S("SCOPE_SCHEMA"), S("SCOPE_TABLE"), Sm("SOURCE_DATA_TYPE"), S("IS_AUTO_INCREMENT")]);
    public static readonly ResultSchema Functions = new([
        S("FUNCTION_CAT"), S("FUNCTION_SCHEM"), S("FUNCTION_NAME"), S("REMARKS"), I("FUNCTION_TYPE"), S("SPECIFIC_NAME")]);
    public static readonly ResultSchema PrimaryKeys = new([
        S("TABLE_CAT"), S("TABLE_SCHEM"), S("TABLE_NAME"), S("COLUMN_NAME"), I("KEY_SEQ"), S("PK_NAME")]);
    public static readonly ResultSchema CrossReference = new([
        S("PKTABLE_CAT"), S("PKTABLE_SCHEM"), S("PKTABLE_NAME"), S("PKCOLUMN_NAME"),
        S("FKTABLE_CAT"), S("FKTABLE_SCHEM"), S("FKTABLE_NAME"), S("FKCOLUMN_NAME"),
        Sm("KEY_SEQ"), Sm("UPDATE_RULE"), Sm("DELETE_RULE"), S("FK_NAME"), S("PK_NAME"), Sm("DEFERRABILITY")]);
    public static readonly ResultSchema TypeInfo = new([
        S("TYPE_NAME"), I("DATA_TYPE"), I("PRECISION"), S("LITERAL_PREFIX"), S("LITERAL_SUFFIX"), S("CREATE_PARAMS"),
        Sm("NULLABLE"), new("CASE_SENSITIVE", SqlType.Boolean), Sm("SEARCHABLE"), new("UNSIGNED_ATTRIBUTE", SqlType.Boolean),
        new("FIXED_PREC_SCALE", SqlType.Boolean), new("AUTO_INCREMENT", SqlType.Boolean), S("LOCAL_TYPE_NAME"),
        Sm("MINIMUM_SCALE"), Sm("MAXIMUM_SCALE"), I("SQL_DATA_TYPE"), I("SQL_DATETIME_SUB"), I("NUM_PREC_RADIX")]);

    public static readonly string[] SupportedTableTypes = ["TABLE", "VIEW", "LOCAL TEMPORARY"];

    public static ColumnBatch BuildCatalogs(IEnumerable<string> catalogs)
    {
        var b = new BatchBuilder(Catalogs);
        foreach (var c in catalogs) b.AddRow(c);
        return b.Build();
    }

    public static ColumnBatch BuildSchemas(IEnumerable<SchemaInfo> schemas)
    {
        var b = new BatchBuilder(Schemas);
        foreach (var s in schemas.OrderBy(s => s.Catalog, StringComparer.Ordinal).ThenBy(s => s.Schema, StringComparer.Ordinal)) b.AddRow(s.Schema, s.Catalog);
        return b.Build();
    }

    public static ColumnBatch BuildTableTypes()
    {
        var b = new BatchBuilder(TableTypes);
        foreach (var t in SupportedTableTypes) b.AddRow(t);
        return b.Build();
    }

    public static ColumnBatch BuildTables(IEnumerable<TableInfo> tables)
    {
        var b = new BatchBuilder(Tables);
        foreach (var t in tables.OrderBy(t => t.TableType, StringComparer.Ordinal).ThenBy(t => t.Catalog, StringComparer.Ordinal)
                     .ThenBy(t => t.Schema, StringComparer.Ordinal).ThenBy(t => t.Name, StringComparer.Ordinal))
        {
            b.AddRow(t.Catalog, t.Schema, t.Name, t.TableType, t.Comment ?? "", null, null, null, null, null);
        }
        return b.Build();
    }

    public static ColumnBatch BuildColumns(IEnumerable<ColumnMetadata> columns)
    {
        var b = new BatchBuilder(Columns);
        foreach (var c in columns.OrderBy(c => c.Catalog, StringComparer.Ordinal).ThenBy(c => c.Schema, StringComparer.Ordinal)
                     .ThenBy(c => c.Table, StringComparer.Ordinal).ThenBy(c => c.Position))
        {
            var t = c.Type;
            b.AddRow(c.Catalog, c.Schema, c.Table, c.Name, JdbcTypes.DataType(t), JdbcTypes.TypeName(t),
                JdbcTypes.ColumnSize(t), null, JdbcTypes.DecimalDigits(t), JdbcTypes.Radix(t),
                c.Nullable ? 1 : 0, c.Comment ?? "", c.Default, null, null, JdbcTypes.CharOctetLength(t), c.Position,
                c.Nullable ? "YES" : "NO", null, null, null, null, "NO");
        }
        return b.Build();
    }

    public static ColumnBatch BuildFunctions(IEnumerable<FunctionInfo> functions)
    {
        var b = new BatchBuilder(Functions);
        foreach (var f in functions.OrderBy(f => f.Catalog, StringComparer.Ordinal).ThenBy(f => f.Schema, StringComparer.Ordinal).ThenBy(f => f.Name, StringComparer.Ordinal))
        {
            // functionResultUnknown = 0, functionNoTable = 1, functionReturnsTable = 2
            b.AddRow(f.Catalog, f.Schema, f.Name, f.Comment ?? "", f.ReturnsTable ? 2 : 1, f.Name);
        }
        return b.Build();
    }

    public static ColumnBatch BuildPrimaryKeys(IEnumerable<PrimaryKeyInfo> keys)
    {
        var b = new BatchBuilder(PrimaryKeys);
        foreach (var k in keys.OrderBy(k => k.Column, StringComparer.Ordinal)) b.AddRow(k.Catalog, k.Schema, k.Table, k.Column, k.KeySeq, k.Name);
        return b.Build();
    }

    public static ColumnBatch BuildCrossReference(IEnumerable<ForeignKeyInfo> keys)
    {
        var b = new BatchBuilder(CrossReference);
        // importedKeyNoAction = 3, importedKeyNotDeferrable = 7
        foreach (var k in keys.OrderBy(k => k.FkCatalog, StringComparer.Ordinal).ThenBy(k => k.FkSchema, StringComparer.Ordinal)
                     .ThenBy(k => k.FkTable, StringComparer.Ordinal).ThenBy(k => k.KeySeq))
        {
            b.AddRow(k.PkCatalog, k.PkSchema, k.PkTable, k.PkColumn, k.FkCatalog, k.FkSchema, k.FkTable, k.FkColumn,
                (short)k.KeySeq, (short)3, (short)3, k.FkName, k.PkName, (short)7);
        }
        return b.Build();
    }

    public static ColumnBatch BuildTypeInfo()
    {
        var b = new BatchBuilder(TypeInfo);
        void Add(string name, SqlType t, string? prefix = null, string? suffix = null, string? create = null, bool caseSensitive = false, short searchable = 3, bool unsigned = false, short maxScale = 0)
        {
            b.AddRow(name.ToUpperInvariant(), JdbcTypes.DataType(t), JdbcTypes.ColumnSize(t), prefix, suffix, create,
                (short)1, caseSensitive, searchable, unsigned, false, false, null, (short)0, maxScale, null, null, JdbcTypes.Radix(t));
        }
        Add("void", SqlType.Null, searchable: 0);
        Add("boolean", SqlType.Boolean, searchable: 2);
        Add("tinyint", SqlType.TinyInt);
        Add("smallint", SqlType.SmallInt);
        Add("int", SqlType.Int);
        Add("bigint", SqlType.BigInt);
        Add("float", SqlType.Float);
        Add("double", SqlType.Double);
        Add("string", SqlType.String, "'", "'", caseSensitive: true);
        Add("char", SqlType.Char(255), "'", "'", "length", caseSensitive: true);
        Add("varchar", SqlType.Varchar(65535), "'", "'", "max length", caseSensitive: true);
        Add("date", SqlType.Date, "DATE '", "'");
        Add("timestamp", SqlType.Timestamp, "TIMESTAMP '", "'");
        Add("timestamp with local time zone", SqlType.TimestampTz, "TIMESTAMP '", "'");
        Add("binary", SqlType.Binary, searchable: 0);
        Add("decimal", SqlType.Decimal(38, 18), create: "precision,scale", maxScale: 38);
        Add("interval_year_month", SqlType.Interval, searchable: 0);
        Add("interval_day_time", SqlType.Interval, searchable: 0);
        Add("array", SqlType.Array(SqlType.String), searchable: 0);
        Add("map", SqlType.Map(SqlType.String, SqlType.String), searchable: 0);
        Add("struct", SqlType.Struct([new SqlField("f", SqlType.String)]), searchable: 0);
        return b.Build();
    }
}

/// <summary>java.sql.Types codes and sizes for each logical type, as Hive's JDBC driver expects them.</summary>
public static class JdbcTypes
{
    public static int DataType(SqlType t) => t.Kind switch
    {
        SqlTypeKind.Null => 0,
        SqlTypeKind.Boolean => 16,
        SqlTypeKind.TinyInt => -6,
        SqlTypeKind.SmallInt => 5,
        SqlTypeKind.Int => 4,
        SqlTypeKind.BigInt => -5,
        SqlTypeKind.Float => 6,
        SqlTypeKind.Double => 8,
        SqlTypeKind.Decimal => 3,
        SqlTypeKind.String or SqlTypeKind.Varchar => 12,
        SqlTypeKind.Char => 1,
        SqlTypeKind.Binary => -2,
        SqlTypeKind.Date => 91,
        SqlTypeKind.Timestamp => 93,
        SqlTypeKind.TimestampTz => 2014,
        SqlTypeKind.Time => 12,
        SqlTypeKind.Interval => 1111,
        SqlTypeKind.Array => 2003,
        SqlTypeKind.Map => 2000,
        SqlTypeKind.Struct => 2002,
        _ => 1111,
    };

    /// <summary>Hive's type name: upper-case base name, as TYPE_NAME shows it.</summary>
    public static string TypeName(SqlType t) => t.Kind switch
    {
        SqlTypeKind.Time or SqlTypeKind.Interval => "STRING",
        SqlTypeKind.Array => "ARRAY",
        SqlTypeKind.Map => "MAP",
        SqlTypeKind.Struct => "STRUCT",
        SqlTypeKind.Decimal => "DECIMAL",
        SqlTypeKind.Varchar => "VARCHAR",
        SqlTypeKind.Char => "CHAR",
        _ => t.ToString().ToUpperInvariant(),
    };

    public static int? ColumnSize(SqlType t) => t.Kind switch
    {
        SqlTypeKind.Boolean => 1,
        SqlTypeKind.TinyInt => 3,
        SqlTypeKind.SmallInt => 5,
        SqlTypeKind.Int => 10,
        SqlTypeKind.BigInt => 19,
        SqlTypeKind.Float => 7,
        SqlTypeKind.Double => 15,
        SqlTypeKind.Decimal => t.Precision,
        SqlTypeKind.Varchar or SqlTypeKind.Char => t.Length,
        SqlTypeKind.String or SqlTypeKind.Binary => int.MaxValue,
        SqlTypeKind.Date => 10,
        SqlTypeKind.Timestamp or SqlTypeKind.TimestampTz => 29,
        SqlTypeKind.Time => 15,
        _ => null,
    };

    public static int? DecimalDigits(SqlType t) => t.Kind switch
    {
        SqlTypeKind.Boolean or SqlTypeKind.TinyInt or SqlTypeKind.SmallInt or SqlTypeKind.Int or SqlTypeKind.BigInt => 0,
        SqlTypeKind.Float => 7,
        SqlTypeKind.Double => 15,
        SqlTypeKind.Decimal => t.Scale,
        SqlTypeKind.Timestamp or SqlTypeKind.TimestampTz => 6,
        _ => null,
    };

    public static int? Radix(SqlType t) => t.Kind switch
    {
        SqlTypeKind.TinyInt or SqlTypeKind.SmallInt or SqlTypeKind.Int or SqlTypeKind.BigInt or SqlTypeKind.Float or SqlTypeKind.Double or SqlTypeKind.Decimal => 10,
        _ => null,
    };

    public static int? CharOctetLength(SqlType t) => t.Kind switch
    {
        SqlTypeKind.Varchar or SqlTypeKind.Char => t.Length * 4,
        SqlTypeKind.String or SqlTypeKind.Binary => int.MaxValue,
        _ => null,
    };
}
