using Gateway.Protocol.Columnar;

namespace Gateway.Tests.Engines.Conformance;

/// <summary>
/// One value of one type for <see cref="EngineConformanceTests"/>: <paramref name="Expression"/> selects it,
/// <paramref name="NullExpression"/> a NULL of the same type; the result column must have type
/// <paramref name="Type"/> and the value must print as <paramref name="Expected"/> (Hive text, as
/// <see cref="ValueFormatter.Utc"/> writes it).
/// </summary>
public sealed record TypeSample(string Name, string Expression, string NullExpression, SqlType Type, string Expected);

/// <summary>A session setting: set it, read it back; another session must not see the new value.</summary>
public sealed record SettingProbe(string SetSql, string ReadSql, string Expected);

/// <summary>
/// What the conformance suite needs to know about one engine's SQL. Members with a body are standard SQL that
/// DuckDB and PostgreSQL both accept; a remote HiveServer2 engine overrides them with Hive/Spark SQL.
/// </summary>
public abstract class ConformanceDialect
{
    /// <summary>Every SqlType kind the engine produces, with one value each.</summary>
    public abstract IReadOnlyList<TypeSample> TypeSamples { get; }

    /// <summary>
    /// A query of <paramref name="rows"/> rows with columns <c>i</c> (BIGINT 0..rows-1, any order) and <c>s</c>
    /// (STRING 'r' followed by i), computed by the engine (range/generate_series), not stored.
    /// </summary>
    public abstract string Series(long rows);

    /// <summary>A query that returns rows only after minutes of work, so only a cancel ends it early.</summary>
    public abstract string LongRunningQuery { get; }

    public virtual string SyntaxError => "SELEC 1";

    public abstract string SyntaxErrorState { get; }

    public virtual string MissingTable => "SELECT * FROM conformance_no_such_table";

    public abstract string MissingTableState { get; }

    /// <summary>The SQLSTATE of <c>USE</c> (or the session option) naming a database that does not exist.</summary>
    public abstract string MissingDatabaseState { get; }

    public virtual string CreateDatabase(string name) => $"CREATE SCHEMA {name}";

    public virtual string DropDatabase(string name) => $"DROP SCHEMA IF EXISTS {name} CASCADE";

    public virtual string Use(string name) => $"USE {name}";

    /// <summary>A table with columns id (INT) and name (a short string), created in <paramref name="qualifiedName"/>.</summary>
    public virtual string CreateTable(string qualifiedName) => $"CREATE TABLE {qualifiedName} (id INT, name VARCHAR(20))";

    /// <summary>The types metadata reports for <see cref="CreateTable"/>'s columns.</summary>
    public abstract (SqlType Id, SqlType Name) CreatedTableTypes { get; }

    /// <summary>Inserts three rows (1, 'a'), (2, 'b'), (3, 'c').</summary>
    public virtual string InsertThree(string qualifiedName) => $"INSERT INTO {qualifiedName} VALUES (1, 'a'), (2, 'b'), (3, 'c')";

    /// <summary>Selects a BIGINT parameter plus one as <c>a</c> and a STRING parameter as <c>b</c>, with positional markers.</summary>
    public virtual string PositionalParameters => "SELECT ? + 1 AS a, ? AS b";

    /// <summary>The same with named markers :n and :t, using :n twice.</summary>
    public virtual string NamedParameters => "SELECT :n + 1 AS a, :t AS b, :n AS c";

    /// <summary>
    /// Whether the engine binds parameters. False only for an engine whose protocol has no way to send them (a
    /// remote HiveServer2 on a Hive-line protocol): the suite then expects SQLSTATE 0A000 and a usable session,
    /// never values spliced into the text.
    /// </summary>
    public virtual bool BindsParameters => true;

    public abstract SettingProbe Setting { get; }

    /// <summary>Whether starting a statement closes the session's open result (its next read fails with SQLSTATE 24000).</summary>
    public virtual bool NewStatementClosesOpenResult => true;
}
