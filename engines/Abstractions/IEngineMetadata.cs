using Gateway.Protocol.Columnar;

namespace Gateway.Engines;

/// <summary>
/// Names an engine session can see, for the HiveServer2 metadata calls. Patterns are JDBC patterns
/// (<c>%</c>, <c>_</c>, escape <c>\</c>); null means "any".
/// </summary>
public interface IEngineMetadata
{
    ValueTask<IReadOnlyList<string>> GetCatalogsAsync(CancellationToken cancellationToken);
    ValueTask<IReadOnlyList<SchemaInfo>> GetSchemasAsync(string? catalog, string? schemaPattern, CancellationToken cancellationToken);
    ValueTask<IReadOnlyList<TableInfo>> GetTablesAsync(string? catalog, string? schemaPattern, string? tablePattern, IReadOnlyCollection<string>? tableTypes, CancellationToken cancellationToken);
    ValueTask<IReadOnlyList<ColumnMetadata>> GetColumnsAsync(string? catalog, string? schemaPattern, string? tablePattern, string? columnPattern, CancellationToken cancellationToken);
    ValueTask<IReadOnlyList<FunctionInfo>> GetFunctionsAsync(string? catalog, string? schemaPattern, string? functionPattern, CancellationToken cancellationToken);
    ValueTask<IReadOnlyList<PrimaryKeyInfo>> GetPrimaryKeysAsync(string? catalog, string? schema, string table, CancellationToken cancellationToken);
    ValueTask<IReadOnlyList<ForeignKeyInfo>> GetCrossReferenceAsync(string? parentCatalog, string? parentSchema, string? parentTable, string? foreignCatalog, string? foreignSchema, string? foreignTable, CancellationToken cancellationToken);
}

public sealed record SchemaInfo(string Catalog, string Schema);

/// <summary>TableType is JDBC's: TABLE, VIEW, SYSTEM TABLE, ...</summary>
public sealed record TableInfo(string Catalog, string Schema, string Name, string TableType, string? Comment);

public sealed record ColumnMetadata(string Catalog, string Schema, string Table, string Name, SqlType Type, int Position, bool Nullable, string? Comment, string? Default);

public sealed record FunctionInfo(string Catalog, string Schema, string Name, string? Comment, bool ReturnsTable);

public sealed record PrimaryKeyInfo(string Catalog, string Schema, string Table, string Column, int KeySeq, string? Name);

public sealed record ForeignKeyInfo(
    string PkCatalog, string PkSchema, string PkTable, string PkColumn,
    string FkCatalog, string FkSchema, string FkTable, string FkColumn,
    int KeySeq, string? FkName, string? PkName);
