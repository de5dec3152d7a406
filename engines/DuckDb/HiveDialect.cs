using System.Text;

namespace Gateway.Engines.DuckDb;

public enum HiveStatementKind
{
    /// <summary>Run <see cref="HiveTranslation.Sql"/> on DuckDB.</summary>
    Sql,

    /// <summary>DESCRIBE [EXTENDED|FORMATTED] table: answered from the table's DuckDB types in Hive's shape.</summary>
    Describe,

    /// <summary>DESCRIBE DATABASE|SCHEMA db: one row (db_name, comment, location, owner_name, owner_type, parameters).</summary>
    DescribeDatabase,

    /// <summary>SHOW TABLE EXTENDED [IN db] LIKE 'pattern': Spark's (namespace, tableName, isTemporary, information).</summary>
    ShowTableExtended,

    /// <summary>Accepted and ignored (REFRESH, ANALYZE TABLE, MSCK, CACHE, ...): no result set.</summary>
    NoOp,

    /// <summary>Rejected with SQLSTATE 0A000; <see cref="HiveTranslation.Sql"/> is the message.</summary>
    Unsupported,
}

/// <summary>The outcome of <see cref="HiveDialect.Translate"/>.</summary>
public sealed record HiveTranslation(HiveStatementKind Kind, string Sql)
{
    /// <summary>The object named by DESCRIBE (catalog and schema may be null), or the database of DESCRIBE DATABASE and SHOW TABLE EXTENDED.</summary>
    public string? Catalog { get; init; }
    public string? Schema { get; init; }
    public string? Table { get; init; }

    /// <summary>DESCRIBE: the name as the client wrote it, without quotes (for Hive's "Table not found" message).</summary>
    public string? ObjectName { get; init; }

    /// <summary>DESCRIBE EXTENDED|FORMATTED: the detailed table information follows the columns.</summary>
    public bool Extended { get; init; }

    /// <summary>SHOW TABLE EXTENDED: the Hive pattern as an RE2 regex.</summary>
    public string? Pattern { get; init; }

    /// <summary>The statement changes the current schema (USE).</summary>
    public bool ChangesDatabase { get; init; }
}

/// <summary>
/// The Hive/Spark habits that HiveServer2 clients (PyHive/SQLAlchemy, dbt-spark, Beeline, DBeaver) send and
/// DuckDB does not understand, rewritten into DuckDB SQL. A small, rule-based layer, not a transpiler: a
/// statement it does not recognise passes with only the token rewrites applied, and DuckDB SQL that uses
/// none of the Hive constructs comes out unchanged. The statement table is in README.md.
/// <para>Lexical rules are Hive's: `backticks` quote identifiers, and both '...' and "..." are string literals
/// with backslash escapes, so DuckDB's "quoted identifiers" are not available through this layer.</para>
/// Hive's database <c>default</c> is DuckDB's schema <c>main</c>. SET is not handled here: the gateway owns
/// session configuration.
/// </summary>
public static partial class HiveDialect
{
    public static HiveTranslation Translate(string sql)
    {
        ArgumentNullException.ThrowIfNull(sql);
        var all = Tokenize(sql);
        var t = new List<Token>(all);
        while (t.Count > 0 && t[^1].Kind == TokenKind.Semicolon) t.RemoveAt(t.Count - 1);
        // Only a single statement is recognised as a command; scripts get the token rewrites (DuckDB runs them in order).
        if (t.Count == 0 || t.Any(x => x.Kind == TokenKind.Semicolon)) return new(HiveStatementKind.Sql, Emit(sql, all, 0, all.Count));
        return TryCommand(sql, t) ?? new HiveTranslation(HiveStatementKind.Sql, Emit(sql, all, 0, all.Count));
    }

    private static HiveTranslation? TryCommand(string sql, List<Token> t)
    {
        var first = t[0];
        if (first.Is("SHOW")) return TryShow(t);
        if (first.Is("DESC") || first.Is("DESCRIBE")) return TryDescribeDatabase(t) ?? TryDescribe(t);
        if (first.Is("USE")) return TryUse(t);
        if (first.Is("CREATE")) return TryCreateSchema(sql, t) ?? TryCreateTableOrView(sql, t);
        if (first.Is("DROP")) return TryDropDatabase(sql, t);
        if (first.Is("INSERT")) return TryInsert(sql, t);
        if (first.Is("ALTER")) return TryAlter(sql, t);
        if (first.Is("EXPLAIN") && t.Count > 2 && (t[1].Is("EXTENDED") || t[1].Is("FORMATTED")))
        {
            return new(HiveStatementKind.Sql, Emit(sql, t, 0, t.Count, new Dictionary<int, string?> { [1] = null }));
        }
        return TryNoOp(t) ?? TryResources(t);
    }

    public static string QuoteIdentifier(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    public static string QuoteLiteral(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

    /// <summary>A Hive `identifier`, for statements built to go through <see cref="Translate"/>.</summary>
    public static string QuoteHiveIdentifier(string name) => "`" + name.Replace("`", "``", StringComparison.Ordinal) + "`";

    /// <summary>Hive's SHOW ... LIKE pattern (<c>*</c> any run, <c>|</c> alternatives, case-insensitive) as an RE2 regex.</summary>
    public static string HivePatternToRegex(string pattern)
    {
        var sb = new StringBuilder("(?i)(?:");
        var alternatives = pattern.Split('|');
        for (var a = 0; a < alternatives.Length; a++)
        {
            if (a > 0) sb.Append('|');
            foreach (var c in alternatives[a].Trim())
            {
                if (c == '*') sb.Append(".*");
                else if (char.IsLetterOrDigit(c) || c == '_' || c > 127) sb.Append(c);
                else sb.Append('\\').Append(c);
            }
        }
        return sb.Append(')').ToString();
    }

    // ---- SHOW ----------------------------------------------------------------------------------------------

    private static HiveTranslation? TryShow(List<Token> t)
    {
        if (t.Count < 2) return null;
        var w = t[1];
        if (w.Is("DATABASES") || w.Is("SCHEMAS")) return TryShowDatabases(t);
        if (w.Is("TABLES")) return TryShowTables(t, views: false);
        if (w.Is("VIEWS")) return TryShowTables(t, views: true);
        if (w.Is("TABLE")) return TryShowTableExtended(t);
        if (w.Is("FUNCTIONS") || (t.Count > 2 && t[2].Is("FUNCTIONS") && (w.Is("USER") || w.Is("SYSTEM") || w.Is("ALL")))) return TryShowFunctions(t);
        if (w.Is("PARTITIONS")) return TryShowPartitions(t);
        if (w.Is("TBLPROPERTIES")) return TryShowTblProperties(t);
        if (w.Is("CREATE")) return TryShowCreateTable(t);
        if (w.Is("COLUMNS")) return TryShowColumns(t);
        if ((t.Count == 2 && w.Is("ROLES")) || (t.Count == 3 && w.Is("CURRENT") && t[2].Is("ROLES")))
        {
            return new(HiveStatementKind.Sql, "SELECT 'public' AS role_name");
        }
        return null;
    }

    private static HiveTranslation? TryShowDatabases(List<Token> t)
    {
        var i = 2;
        if (!TryPattern(t, ref i, out var pattern) || i != t.Count) return null;
        var sql = new StringBuilder("SELECT schema_name AS database_name FROM information_schema.schemata WHERE catalog_name = current_database() AND schema_name NOT IN ('information_schema', 'pg_catalog')");
        AppendPatternFilter(sql, "schema_name", pattern);
        sql.Append(" ORDER BY schema_name");
        return new(HiveStatementKind.Sql, sql.ToString());
    }

    /// <summary>SHOW TABLES lists tables and views (as Hive does); SHOW VIEWS only views. Both answer Hive's tab_name.</summary>
    private static HiveTranslation? TryShowTables(List<Token> t, bool views)
    {
        var i = 2;
        if (!TryInDatabase(t, ref i, out var database) || !TryPattern(t, ref i, out var pattern) || i != t.Count) return null;
        var schema = database is null ? "current_schema()" : QuoteLiteral(database);
        var sql = views
            ? new StringBuilder("SELECT view_name AS tab_name FROM duckdb_views() WHERE NOT internal AND database_name = current_database() AND schema_name = ").Append(schema)
            : new StringBuilder("SELECT table_name AS tab_name FROM information_schema.tables WHERE table_catalog = current_database() AND table_schema = ").Append(schema);
        AppendPatternFilter(sql, views ? "view_name" : "table_name", pattern);
        sql.Append(views ? " ORDER BY view_name" : " ORDER BY table_name");
        return new(HiveStatementKind.Sql, sql.ToString());
    }

    /// <summary>SHOW TABLE EXTENDED [IN|FROM db] LIKE 'pattern' (dbt-spark lists relations with it).</summary>
    private static HiveTranslation? TryShowTableExtended(List<Token> t)
    {
        if (t.Count < 4 || !t[2].Is("EXTENDED")) return null;
        var i = 3;
        if (!TryInDatabase(t, ref i, out var database)) return null;
        if (i + 2 > t.Count || !t[i].Is("LIKE") || t[i + 1].Kind != TokenKind.String) return null;
        var pattern = t[i + 1].Value;
        i += 2;
        if (i < t.Count && !(t[i].Is("PARTITION") && SkipParens(t, i + 1) == t.Count)) return null;
        return new(HiveStatementKind.ShowTableExtended, "") { Schema = database, Pattern = HivePatternToRegex(pattern) };
    }

    private static HiveTranslation? TryShowFunctions(List<Token> t)
    {
        var i = 1;
        var userOnly = t[1].Is("USER");
        if (!t[i].Is("FUNCTIONS")) i++;
        i++;
        if (!TryPattern(t, ref i, out var pattern) || i != t.Count) return null;
        var sql = new StringBuilder("SELECT DISTINCT function_name AS \"function\" FROM duckdb_functions() WHERE true");
        if (userOnly) sql.Append(" AND NOT internal");
        AppendPatternFilter(sql, "function_name", pattern);
        sql.Append(" ORDER BY 1");
        return new(HiveStatementKind.Sql, sql.ToString());
    }

    /// <summary>DuckDB tables have no partitions: an empty result, after checking that the table exists.</summary>
    private static HiveTranslation? TryShowPartitions(List<Token> t)
    {
        var i = 2;
        if (!TryName(t, ref i, out var name)) return null;
        if (i < t.Count && t[i].Is("PARTITION")) i = SkipParens(t, i + 1);
        if (i != t.Count) return null;
        return new(HiveStatementKind.Sql, $"SELECT CAST(NULL AS VARCHAR) AS \"partition\" FROM (SELECT * FROM {QualifiedName(name)} LIMIT 0)");
    }

    private static HiveTranslation? TryShowTblProperties(List<Token> t)
    {
        var i = 2;
        if (!TryName(t, ref i, out var name)) return null;
        if (i < t.Count && t[i].Is("(")) i = SkipParens(t, i);
        if (i != t.Count) return null;
        return new(HiveStatementKind.Sql, $"SELECT CAST(NULL AS VARCHAR) AS prpt_name, CAST(NULL AS VARCHAR) AS prpt_value FROM (SELECT * FROM {QualifiedName(name)} LIMIT 0)");
    }

    /// <summary>SHOW CREATE TABLE: DuckDB's own DDL of the table or view, as one row.</summary>
    private static HiveTranslation? TryShowCreateTable(List<Token> t)
    {
        if (t.Count < 4 || !t[2].Is("TABLE")) return null;
        var i = 3;
        if (!TryName(t, ref i, out var name)) return null;
        if (i + 2 == t.Count && t[i].Is("AS") && t[i + 1].Is("SERDE")) i += 2;
        if (i != t.Count) return null;
        var table = name[^1].Value;
        var schema = name.Count >= 2 ? QuoteLiteral(MapDatabase(name[^2])) : "current_schema()";
        // Unqualified or not, DuckDB resolves a temporary object first. The count over the named object makes a
        // missing one fail with DuckDB's own error.
        var catalog = name.Count == 3 ? $"database_name = {QuoteLiteral(name[0].Value)}" : "(database_name = current_database() OR temporary)";
        var sql = "SELECT sql AS createtab_stmt FROM (SELECT database_name, schema_name, table_name AS name, temporary, sql FROM duckdb_tables() "
            + "UNION ALL SELECT database_name, schema_name, view_name, temporary, sql FROM duckdb_views() WHERE NOT internal) "
            + $"WHERE lower(name) = lower({QuoteLiteral(table)}) AND lower(schema_name) = lower({schema}) AND {catalog} "
            + $"AND (SELECT count(*) FROM (SELECT * FROM {QualifiedName(name)} LIMIT 0)) = 0 ORDER BY temporary DESC LIMIT 1";
        return new(HiveStatementKind.Sql, sql);
    }

    /// <summary>SHOW COLUMNS (IN|FROM) t [(IN|FROM) db] [LIKE 'pattern'] → Hive's single column <c>field</c>.</summary>
    private static HiveTranslation? TryShowColumns(List<Token> t)
    {
        if (t.Count < 4 || !(t[2].Is("IN") || t[2].Is("FROM"))) return null;
        var i = 3;
        if (!TryName(t, ref i, out var name)) return null;
        if (!TryInDatabase(t, ref i, out var database)) return null;
        if (!TryPattern(t, ref i, out var pattern) || i != t.Count) return null;
        var qualified = database is null ? QualifiedName(name) : QuoteIdentifier(database) + "." + QuoteIdentifier(name[^1].Value);
        var sql = new StringBuilder("SELECT column_name AS field FROM (DESCRIBE ").Append(qualified).Append(") WHERE true");
        AppendPatternFilter(sql, "column_name", pattern);
        return new(HiveStatementKind.Sql, sql.ToString());
    }

    /// <summary>[IN|FROM db]; false when IN/FROM is not followed by a name.</summary>
    private static bool TryInDatabase(List<Token> t, ref int i, out string? database)
    {
        database = null;
        if (i >= t.Count || !(t[i].Is("IN") || t[i].Is("FROM"))) return true;
        if (i + 1 >= t.Count || !t[i + 1].IsIdentifier) return false;
        database = MapDatabase(t[i + 1]);
        i += 2;
        return true;
    }

    /// <summary>[LIKE] ['pattern'] as Hive accepts it after SHOW DATABASES/TABLES/FUNCTIONS.</summary>
    private static bool TryPattern(List<Token> t, ref int i, out string? pattern)
    {
        pattern = null;
        var like = i < t.Count && t[i].Is("LIKE");
        if (like) i++;
        if (i < t.Count && t[i].Kind == TokenKind.String) pattern = t[i++].Value;
        return !like || pattern is not null;
    }

    private static void AppendPatternFilter(StringBuilder sql, string column, string? pattern)
    {
        if (pattern is not null) sql.Append(" AND regexp_full_match(").Append(column).Append(", ").Append(QuoteLiteral(HivePatternToRegex(pattern))).Append(')');
    }

    // ---- DESCRIBE / USE -----------------------------------------------------------------------------------

    private static readonly string[] NotATable = ["SELECT", "WITH", "FROM", "VALUES", "TABLE", "DATABASE", "SCHEMA", "FUNCTION", "SUMMARIZE", "PIVOT", "UNPIVOT", "QUERY", "("];

    private static HiveTranslation? TryDescribe(List<Token> t)
    {
        if (t.Count < 2) return null;
        var i = 1;
        // Spark: DESCRIBE TABLE [EXTENDED] t.
        if (t[i].Is("TABLE") && t.Count > 2) i++;
        var extended = false;
        if ((t[i].Is("EXTENDED") || t[i].Is("FORMATTED")) && t.Count > i + 1)
        {
            // "DESCRIBE extended" alone names a table called extended.
            extended = true;
            i++;
        }
        if (NotATable.Any(k => t[i].Is(k))) return null;
        if (!TryName(t, ref i, out var parts) || i != t.Count) return null;
        var schema = parts.Count >= 2 ? MapDatabase(parts[^2]) : null;
        var catalog = parts.Count == 3 ? parts[0].Value : null;
        return new(HiveStatementKind.Describe, "")
        {
            Catalog = catalog,
            Schema = schema,
            Table = parts[^1].Value,
            Extended = extended,
            ObjectName = string.Join('.', parts.Select(p => p.Value)),
        };
    }

    private static HiveTranslation? TryDescribeDatabase(List<Token> t)
    {
        if (t.Count < 3 || !(t[1].Is("DATABASE") || t[1].Is("SCHEMA"))) return null;
        var i = 2;
        if (t[i].Is("EXTENDED") && t.Count == 4) i++;
        if (i + 1 != t.Count || !t[i].IsIdentifier) return null;
        return new(HiveStatementKind.DescribeDatabase, "") { Schema = MapDatabase(t[i]) };
    }

    private static HiveTranslation? TryUse(List<Token> t)
    {
        if (t.Count == 2 && t[1].IsIdentifier)
        {
            return new(HiveStatementKind.Sql, "USE " + QuoteIdentifier(MapDatabase(t[1]))) { ChangesDatabase = true };
        }
        if (t.Count == 4 && t[1].IsIdentifier && t[2].Kind == TokenKind.Dot && t[3].IsIdentifier)
        {
            return new(HiveStatementKind.Sql, "USE " + QuoteIdentifier(t[1].Value) + "." + QuoteIdentifier(MapDatabase(t[3]))) { ChangesDatabase = true };
        }
        return null;
    }

    // ---- DDL and DML ----------------------------------------------------------------------------------------

    /// <summary>CREATE DATABASE|SCHEMA [IF NOT EXISTS] x [COMMENT '..'] [LOCATION '..'] [WITH DBPROPERTIES (..)] → CREATE SCHEMA.</summary>
    private static HiveTranslation? TryCreateSchema(string sql, List<Token> t)
    {
        if (t.Count < 3 || !(t[1].Is("DATABASE") || t[1].Is("SCHEMA"))) return null;
        var edits = new Dictionary<int, string?>();
        if (t[1].Is("DATABASE")) edits[1] = "SCHEMA";
        var i = 2;
        if (i + 3 <= t.Count && t[i].Is("IF") && t[i + 1].Is("NOT") && t[i + 2].Is("EXISTS")) i += 3;
        if (i >= t.Count || !t[i].IsIdentifier) return null;
        i++;
        while (i < t.Count)
        {
            if ((t[i].Is("COMMENT") || t[i].Is("LOCATION") || t[i].Is("MANAGEDLOCATION")) && i + 1 < t.Count && t[i + 1].Kind == TokenKind.String)
            {
                Drop(edits, i, i + 2);
                i += 2;
            }
            else if (t[i].Is("WITH") && i + 2 < t.Count && (t[i + 1].Is("DBPROPERTIES") || t[i + 1].Is("PROPERTIES")) && t[i + 2].Is("("))
            {
                var end = SkipParens(t, i + 2);
                if (end > t.Count) return null;
                Drop(edits, i, end);
                i = end;
            }
            else
            {
                return null;
            }
        }
        return edits.Count == 0 ? null : new(HiveStatementKind.Sql, Emit(sql, t, 0, t.Count, edits));
    }

    /// <summary>DROP DATABASE [IF EXISTS] x [CASCADE|RESTRICT] → DROP SCHEMA.</summary>
    private static HiveTranslation? TryDropDatabase(string sql, List<Token> t) =>
        t.Count >= 3 && t[1].Is("DATABASE")
            ? new(HiveStatementKind.Sql, Emit(sql, t, 0, t.Count, new Dictionary<int, string?> { [1] = "SCHEMA" }))
            : null;

    private static readonly string[] QueryStarts = ["SELECT", "WITH", "FROM", "VALUES", "TABLE", "("];

    /// <summary>
    /// CREATE [OR REPLACE] [TEMPORARY] TABLE x [(cols)] [USING fmt] [OPTIONS (..)] [PARTITIONED BY (..)]
    /// [CLUSTERED BY (..) [SORTED BY (..)] INTO n BUCKETS] [STORED AS fmt] [LOCATION '..'] [COMMENT '..']
    /// [TBLPROPERTIES (..)] [[AS] query]: the storage clauses go, and so do column COMMENTs. Typed partition
    /// columns (Hive's PARTITIONED BY (dt STRING)) join the column list.
    /// CREATE [OR REPLACE] [GLOBAL] TEMPORARY VIEW → CREATE OR REPLACE TEMP VIEW; a view's COMMENT/TBLPROPERTIES go.
    /// </summary>
    private static HiveTranslation? TryCreateTableOrView(string sql, List<Token> t)
    {
        var edits = new Dictionary<int, string?>();
        var i = 1;
        var orReplace = false;
        if (i + 1 < t.Count && t[i].Is("OR") && t[i + 1].Is("REPLACE"))
        {
            orReplace = true;
            i += 2;
        }
        var global = i < t.Count && t[i].Is("GLOBAL") ? i++ : -1;
        var temporary = i < t.Count && t[i].Is("TEMPORARY") ? i++ : -1;
        if (i >= t.Count) return null;
        var view = t[i].Is("VIEW");
        if (!view && !t[i].Is("TABLE")) return null;
        i++;
        if (i + 3 <= t.Count && t[i].Is("IF") && t[i + 1].Is("NOT") && t[i + 2].Is("EXISTS")) i += 3;
        if (!TryName(t, ref i, out _)) return null;

        if (view && temporary >= 0)
        {
            // Spark's temporary views are session-scoped and dbt re-creates them freely.
            if (global >= 0) edits[global] = null;
            edits[temporary] = orReplace ? "TEMP" : "OR REPLACE TEMP";
        }
        else if (global >= 0)
        {
            return null;
        }

        // The column list: COMMENT 'text' after a column is Hive's, not DuckDB's.
        var columnsClose = -1;
        if (i < t.Count && t[i].Is("(") && !(i + 1 < t.Count && QueryStarts.Any(k => t[i + 1].Is(k))))
        {
            var end = SkipParens(t, i);
            if (end > t.Count) return null;
            for (var k = i + 1; k < end - 1; k++)
            {
                if (t[k].Is("COMMENT") && t[k + 1].Kind == TokenKind.String) Drop(edits, k, k + 2);
            }
            columnsClose = end - 1;
            i = end;
        }

        var partitionColumns = new List<(int From, int To)>();
        while (i < t.Count && !t[i].Is("AS") && !QueryStarts.Any(k => t[i].Is(k)))
        {
            var start = i;
            if (t[i].Is("COMMENT") || t[i].Is("LOCATION"))
            {
                if (i + 1 >= t.Count || t[i + 1].Kind != TokenKind.String) return null;
                i += 2;
            }
            else if (t[i].Is("TBLPROPERTIES") || (!view && t[i].Is("OPTIONS")))
            {
                i = SkipParens(t, i + 1);
            }
            else if (!view && t[i].Is("USING") && i + 1 < t.Count && t[i + 1].IsIdentifier)
            {
                i += 2;
            }
            else if (!view && t[i].Is("STORED") && i + 2 < t.Count && t[i + 1].Is("AS") && t[i + 2].IsIdentifier)
            {
                i += 3;
            }
            else if (!view && t[i].Is("PARTITIONED") && i + 1 < t.Count && t[i + 1].Is("BY"))
            {
                i = SkipParens(t, i + 2);
                if (i > t.Count || TypedColumns(t, start + 3, i - 1) is not { } typed) return null;
                partitionColumns.AddRange(typed);
            }
            else if (!view && t[i].Is("CLUSTERED") && i + 1 < t.Count && t[i + 1].Is("BY"))
            {
                i = SkipParens(t, i + 2);
                if (i + 1 < t.Count && t[i].Is("SORTED") && t[i + 1].Is("BY")) i = SkipParens(t, i + 2);
                if (i + 2 >= t.Count || !t[i].Is("INTO") || !t[i + 2].Is("BUCKETS")) return null;
                i += 3;
            }
            else
            {
                return null;
            }
            if (i > t.Count) return null;
            Drop(edits, start, i);
        }
        if (partitionColumns.Count > 0)
        {
            // Without a column list (CTAS), partition columns are already among the query's columns.
            if (columnsClose < 0) return null;
            var added = string.Join(", ", partitionColumns.Select(c => Emit(sql, t, c.From, c.To).Trim()));
            edits[columnsClose] = ", " + added + ")";
        }
        // AS is optional before the query in Spark.
        if (i < t.Count && !t[i].Is("AS")) edits[i] = "AS " + sql[t[i].Start..t[i].End];
        return edits.Count == 0 ? null : new(HiveStatementKind.Sql, Emit(sql, t, 0, t.Count, edits));
    }

    /// <summary>
    /// The entries of a PARTITIONED BY list as token ranges when all declare columns ("dt STRING"), none when
    /// all name existing ones ("dt", "years(ts)"), null when they mix.
    /// </summary>
    private static List<(int From, int To)>? TypedColumns(List<Token> t, int from, int to)
    {
        var entries = new List<(int, int)>();
        var untyped = 0;
        var start = from;
        var depth = 0;
        for (var k = from; k <= to; k++)
        {
            if (k < to && t[k].Is("(")) depth++;
            else if (k < to && t[k].Is(")")) depth--;
            else if (k == to || (depth == 0 && t[k].Is(",")))
            {
                if (k - start >= 2 && t[start].IsIdentifier && t[start + 1].IsIdentifier) entries.Add((start, k));
                else untyped++;
                start = k + 1;
            }
        }
        return untyped == 0 ? entries : entries.Count == 0 ? [] : null;
    }

    /// <summary>
    /// INSERT OVERWRITE [TABLE] x query → DELETE FROM x; INSERT INTO x query (no transaction: DuckDB runs the
    /// script's statements in order). INSERT INTO TABLE x → INSERT INTO x. PARTITION clauses are not handled.
    /// </summary>
    private static HiveTranslation? TryInsert(string sql, List<Token> t)
    {
        if (t.Count < 3) return null;
        var overwrite = t[1].Is("OVERWRITE");
        if (!overwrite && !t[1].Is("INTO")) return null;
        var edits = new Dictionary<int, string?>();
        if (overwrite) edits[1] = "INTO";
        var i = 2;
        if (t[i].Is("TABLE"))
        {
            edits[i] = null;
            i++;
        }
        else if (!overwrite)
        {
            return null;
        }
        if (t[i].Is("DIRECTORY") || t[i].Is("LOCAL")) return null;
        var nameStart = i;
        if (!TryName(t, ref i, out _) || (i < t.Count && t[i].Is("PARTITION"))) return null;
        var insert = Emit(sql, t, 0, t.Count, edits);
        return new(HiveStatementKind.Sql, overwrite ? "DELETE FROM " + Emit(sql, t, nameStart, i).Trim() + "; " + insert.TrimStart() : insert);
    }

    /// <summary>
    /// ALTER TABLE|VIEW a.x RENAME TO a.y: DuckDB takes an unqualified new name (dbt-spark qualifies it).
    /// ALTER TABLE x SET|UNSET TBLPROPERTIES (..): accepted and ignored.
    /// </summary>
    private static HiveTranslation? TryAlter(string sql, List<Token> t)
    {
        if (t.Count < 4 || !(t[1].Is("TABLE") || t[1].Is("VIEW"))) return null;
        var i = 2;
        if (!TryName(t, ref i, out _) || i + 1 >= t.Count) return null;
        if ((t[i].Is("SET") || t[i].Is("UNSET")) && t[i + 1].Is("TBLPROPERTIES")) return new(HiveStatementKind.NoOp, "");
        if (!t[i].Is("RENAME") || !t[i + 1].Is("TO")) return null;
        i += 2;
        var target = i;
        if (!TryName(t, ref i, out var newName) || i != t.Count || newName.Count == 1) return null;
        // The qualifier's first token becomes empty (its leading space stays), the rest of it goes.
        var edits = new Dictionary<int, string?> { [target] = "" };
        Drop(edits, target + 1, i - 1);
        return new(HiveStatementKind.Sql, Emit(sql, t, 0, t.Count, edits));
    }

    // ---- Accepted no-ops and unsupported commands ----------------------------------------------------------

    /// <summary>Spark/Hive housekeeping that has no meaning for DuckDB tables.</summary>
    private static HiveTranslation? TryNoOp(List<Token> t)
    {
        var noOp = t[0].Is("REFRESH")
            || (t.Count >= 2 && t[0].Is("ANALYZE") && t[1].Is("TABLE"))
            || (t.Count >= 2 && t[0].Is("MSCK"))
            || (t.Count >= 3 && t[0].Is("CACHE") && (t[1].Is("TABLE") || (t[1].Is("LAZY") && t[2].Is("TABLE"))) && !t.Any(x => x.Is("AS") || x.Is("SELECT")))
            || (t.Count >= 3 && t[0].Is("UNCACHE") && t[1].Is("TABLE"))
            || (t.Count == 2 && t[0].Is("CLEAR") && t[1].Is("CACHE"));
        return noOp ? new(HiveStatementKind.NoOp, "") : null;
    }

    private static readonly string[] ResourceKinds = ["JAR", "JARS", "FILE", "FILES", "ARCHIVE", "ARCHIVES"];

    /// <summary>ADD|DELETE|LIST JAR|FILE|ARCHIVE: Hive session resources; DuckDB has no JVM to load them into.</summary>
    private static HiveTranslation? TryResources(List<Token> t)
    {
        if (t.Count < 2 || !(t[0].Is("ADD") || t[0].Is("DELETE") || t[0].Is("LIST")) || !ResourceKinds.Any(k => t[1].Is(k))) return null;
        var command = t[0].Value.ToUpperInvariant() + " " + t[1].Value.ToUpperInvariant();
        return new(HiveStatementKind.Unsupported, command + " is not supported by the embedded DuckDB engine.");
    }

    // ---- Helpers ---------------------------------------------------------------------------------------------

    /// <summary>A [[catalog.]db.]name at <paramref name="i"/>.</summary>
    private static bool TryName(List<Token> t, ref int i, out List<Token> parts)
    {
        parts = [];
        while (true)
        {
            if (i >= t.Count || !t[i].IsIdentifier) return false;
            parts.Add(t[i++]);
            if (i < t.Count && t[i].Kind == TokenKind.Dot)
            {
                i++;
                continue;
            }
            return parts.Count <= 3;
        }
    }

    /// <summary>The name as DuckDB SQL, each part quoted, Hive's default database as main.</summary>
    private static string QualifiedName(List<Token> parts)
    {
        var sb = new StringBuilder();
        for (var k = 0; k < parts.Count; k++)
        {
            if (k > 0) sb.Append('.');
            sb.Append(QuoteIdentifier(k == parts.Count - 2 ? MapDatabase(parts[k]) : parts[k].Value));
        }
        return sb.ToString();
    }

    /// <summary>Index past the balanced parentheses opening at <paramref name="i"/>, or past the end when there are none.</summary>
    private static int SkipParens(List<Token> t, int i)
    {
        if (i >= t.Count || !t[i].Is("(")) return t.Count + 1;
        var depth = 0;
        for (; i < t.Count; i++)
        {
            if (t[i].Is("(")) depth++;
            else if (t[i].Is(")") && --depth == 0) return i + 1;
        }
        return t.Count + 1;
    }

    private static void Drop(Dictionary<int, string?> edits, int from, int to)
    {
        for (var k = from; k < to; k++) edits[k] = null;
    }

    /// <summary>Hive's <c>default</c> database is DuckDB's <c>main</c> schema.</summary>
    private static string MapDatabase(Token t) => t.Value.Equals("default", StringComparison.OrdinalIgnoreCase) ? "main" : t.Value;
}
