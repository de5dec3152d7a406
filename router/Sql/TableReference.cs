using System.Text;

namespace Gateway.Router.Sql;

public enum TableReferenceKind
{
    /// <summary>A named table or view: <see cref="TableReference.Parts"/> is [catalog.][schema.]name.</summary>
    Table,

    /// <summary>
    /// A table-valued function in FROM (<c>range(10)</c>, <c>read_parquet('s3://b/*.parquet')</c>,
    /// <c>TABLE(system.sequence(...))</c>): Parts is the function name, <see cref="TableReference.Arguments"/> its literal arguments.
    /// </summary>
    Function,

    /// <summary>
    /// Files named by path: Spark's <c>parquet.`/data/x`</c>, DuckDB's <c>FROM 'x.parquet'</c>,
    /// <c>INSERT OVERWRITE DIRECTORY '/out'</c>, <c>LOAD DATA INPATH</c>. Parts is [path] (never case-folded).
    /// </summary>
    Path,

    /// <summary>A schema (database) as a whole: <c>CREATE SCHEMA</c>, <c>SHOW TABLES IN db</c>. Parts is [catalog.]schema.</summary>
    Schema,
}

/// <summary>
/// One object a statement reads or writes. Names are unquoted and case-folded as the dialect resolves them, so
/// two spellings of one table compare equal by <see cref="Key"/>.
/// </summary>
public sealed class TableReference
{
    public TableReference(TableReferenceKind kind, IReadOnlyList<string> parts, int start = 0, int length = 0)
    {
        ArgumentNullException.ThrowIfNull(parts);
        Kind = kind;
        Parts = parts.Count == 0 ? [""] : parts;
        Start = start;
        Length = length;
    }

    public TableReferenceKind Kind { get; }

    /// <summary>Never empty.</summary>
    public IReadOnlyList<string> Parts { get; }

    /// <summary>Function sources: the literal arguments in order (strings decoded, numbers as written, list elements flattened); other arguments are left out.</summary>
    public IReadOnlyList<string> Arguments { get; init; } = [];

    /// <summary>Path sources: the data source format when the statement names one (<c>parquet</c> in <c>parquet.`/p`</c>).</summary>
    public string? Format { get; init; }

    /// <summary>Write targets created TEMPORARY (session-local views and tables): no catalog is written.</summary>
    public bool Temporary { get; init; }

    /// <summary>Where the name is in the analysed text (UTF-16 offsets), for messages and rewriting.</summary>
    public int Start { get; }

    public int Length { get; }

    /// <summary>Last part for tables and functions, the path for paths, the schema for schemas.</summary>
    public string Name => Parts[^1];

    /// <summary>Tables: the first of three or more parts; schemas: the first of two.</summary>
    public string? Catalog => Kind switch
    {
        TableReferenceKind.Table when Parts.Count >= 3 => Parts[0],
        TableReferenceKind.Schema when Parts.Count >= 2 => Parts[0],
        _ => null,
    };

    /// <summary>
    /// Tables: the part before the name (joined with dots when a catalog has nested namespaces, as Iceberg's do);
    /// schemas: the last part.
    /// </summary>
    public string? Schema => Kind switch
    {
        TableReferenceKind.Table when Parts.Count == 2 => Parts[0],
        TableReferenceKind.Table when Parts.Count > 2 => string.Join('.', Parts.Skip(1).Take(Parts.Count - 2)),
        TableReferenceKind.Schema => Parts[^1],
        _ => null,
    };

    /// <summary>Identity of the referenced object: kind and folded parts (arguments included for functions).</summary>
    public string Key => Kind + ":" + string.Join('\u001f', Parts) + (Kind == TableReferenceKind.Function ? "(" + string.Join('\u001f', Arguments) + ")" : "");

    /// <summary>Dotted name; functions with their literal arguments; paths with their format.</summary>
    public override string ToString()
    {
        switch (Kind)
        {
            case TableReferenceKind.Path:
                return Format is null ? $"'{Name}'" : $"{Format}.`{Name}`";
            case TableReferenceKind.Function:
                var sb = new StringBuilder(string.Join('.', Parts)).Append('(');
                for (var i = 0; i < Arguments.Count; i++)
                {
                    if (i > 0) sb.Append(", ");
                    sb.Append('\'').Append(Arguments[i].Replace("'", "''", StringComparison.Ordinal)).Append('\'');
                }
                return sb.Append(')').ToString();
            default:
                return string.Join('.', Parts);
        }
    }
}
