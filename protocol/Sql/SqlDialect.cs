using Gateway.Engines;

namespace Gateway.Protocol.Sql;

/// <summary>How a dialect folds the case of identifiers.</summary>
public enum IdentifierCase
{
    /// <summary>Kept as written.</summary>
    Preserve,
    Lower,
    Upper,
}

/// <summary>
/// The lexical rules of one SQL dialect, as far as tokenizing and naming tables are concerned. Presets cover the
/// engines behind the gateway; <c>with</c> expressions make variants (Spark with ANSI double-quoted identifiers:
/// <c>SqlDialect.Spark with { DoubleQuotedIdentifiers = true }</c>).
/// </summary>
public sealed record SqlDialect(string Name)
{
    /// <summary>"..." is an identifier (ANSI, Trino, PostgreSQL) rather than a string literal (Hive, Spark).</summary>
    public bool DoubleQuotedIdentifiers { get; init; }

    /// <summary>A backslash escapes the next character inside '...' and "..." literals (Hive, Spark).</summary>
    public bool BackslashEscapes { get; init; }

    /// <summary>/* /* */ */ nests (ANSI, PostgreSQL, DuckDB, Spark 3.0+); Hive, Trino and Flink end at the first */.</summary>
    public bool NestedComments { get; init; }

    /// <summary>r'...' / R"..." raw literals without escapes (Spark).</summary>
    public bool RawStrings { get; init; }

    /// <summary>E'...' literals with backslash escapes (PostgreSQL, DuckDB).</summary>
    public bool EscapeStrings { get; init; }

    /// <summary>$$...$$ and $tag$...$tag$ literals (PostgreSQL, DuckDB).</summary>
    public bool DollarQuotedStrings { get; init; }

    /// <summary>Identifiers may start with a digit when they are not numbers (Hive, Spark: <c>2024_sales</c>).</summary>
    public bool DigitLeadingIdentifiers { get; init; }

    public IdentifierCase UnquotedCase { get; init; } = IdentifierCase.Lower;
    public IdentifierCase QuotedCase { get; init; } = IdentifierCase.Preserve;

    // Hive's metastore stores every name in lower case, quoted or not.
    public static SqlDialect Hive { get; } = new("hive")
    {
        BackslashEscapes = true,
        RawStrings = true,
        DigitLeadingIdentifiers = true,
        QuotedCase = IdentifierCase.Lower,
    };

    public static SqlDialect Spark { get; } = Hive with { Name = "spark", NestedComments = true };

    // Trino lower-cases every identifier, quoted ones included (connectors see lower-case names).
    public static SqlDialect Trino { get; } = new("trino")
    {
        DoubleQuotedIdentifiers = true,
        QuotedCase = IdentifierCase.Lower,
    };

    // Calcite as Flink configures it: `backticks`, names are case-sensitive and kept as written.
    public static SqlDialect Flink { get; } = new("flink")
    {
        UnquotedCase = IdentifierCase.Preserve,
    };

    // The standard's quoting with PostgreSQL's folding (unquoted to lower case, quoted kept): what DuckDB and
    // PostgreSQL do, and what catalogs behind them expect. The standard itself folds unquoted names to upper case.
    public static SqlDialect Ansi { get; } = new("ansi")
    {
        DoubleQuotedIdentifiers = true,
        NestedComments = true,
        EscapeStrings = true,
        DollarQuotedStrings = true,
    };

    public static SqlDialect Postgres { get; } = Ansi with { Name = "postgres" };
    public static SqlDialect DuckDb { get; } = Ansi with { Name = "duckdb" };

    public static IReadOnlyList<SqlDialect> Presets { get; } = [Hive, Spark, Trino, Flink, Ansi, Postgres, DuckDb];

    /// <summary>A preset by name (case-insensitive), or null.</summary>
    public static SqlDialect? FromName(string? name)
    {
        if (string.IsNullOrWhiteSpace(name)) return null;
        foreach (var d in Presets)
        {
            if (d.Name.Equals(name.Trim(), StringComparison.OrdinalIgnoreCase)) return d;
        }
        return null;
    }

    /// <summary>The dialect an engine speaks natively.</summary>
    public static SqlDialect ForEngine(EngineKind kind) => kind switch
    {
        EngineKind.DuckDb => DuckDb,
        EngineKind.Postgres => Postgres,
        EngineKind.HiveServer2 => Hive,
        EngineKind.Spark => Spark,
        EngineKind.Trino => Trino,
        EngineKind.Flink => Flink,
        _ => Ansi,
    };

    /// <summary>Folds one identifier part the way this dialect resolves it.</summary>
    public string Fold(string identifier, bool quoted) => (quoted ? QuotedCase : UnquotedCase) switch
    {
        IdentifierCase.Lower => identifier.ToLowerInvariant(),
        IdentifierCase.Upper => identifier.ToUpperInvariant(),
        _ => identifier,
    };
}
