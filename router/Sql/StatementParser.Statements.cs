using Gateway.Protocol.Sql;
namespace Gateway.Router.Sql;

internal sealed partial class StatementParser
{
    private static readonly HashSet<string> SessionCommandWords = new(StringComparer.Ordinal)
    {
        "RESET", "UNSET", "ADD", "LIST", "BEGIN", "START", "COMMIT", "ROLLBACK", "ABORT", "SAVEPOINT", "RELEASE",
        "END", "PREPARE", "DEALLOCATE", "DECLARE", "SOURCE", "RELOAD", "KILL", "DFS", "UNCACHE", "CLEAR", "UNLOAD",
        "LOCK", "UNLOCK", "DISCARD", "CHECKPOINT",
    };

    private void ParseStatement(Scope scope)
    {
        Enter();
        var t = Cur;
        if (t.Kind == SqlTokenKind.LeftParen)
        {
            ParseQueryStatement(scope);
            Exit();
            return;
        }
        var word = Upper(t);
        switch (word)
        {
            case "SELECT" or "VALUES" or "TABLE" or "FROM":
                ParseQueryStatement(scope);
                break;
            case "WITH":
                ParseStatement(ParseWith(scope));
                break;
            case "INSERT" or "UPSERT":
                ParseInsert(scope);
                break;
            case "REPLACE" when Peek(1).IsWord("INTO"):
                ParseInsert(scope);
                break;
            case "REPLACE" when Peek(1).IsWord("TABLE"):
                Advance();
                ParseCreateTable(scope, temporary: false);
                break;
            case "MERGE":
                ParseMerge(scope);
                break;
            case "UPDATE":
                Advance();
                Accept("ONLY");
                SetKind(StatementKind.Dml, "UPDATE", write: true);
                _scansTargets = true;
                if (ParseName() is { } target) AddWrite(MakeReference(target));
                else AddProblem("UPDATE: expected a table");
                ParseRegion(scope, RegionMode.Query);
                break;
            case "DELETE" when Peek(1).IsWord("JAR") || Peek(1).IsWord("JARS") || Peek(1).IsWord("FILE") || Peek(1).IsWord("FILES") || Peek(1).IsWord("ARCHIVE") || Peek(1).IsWord("ARCHIVES"):
                SetKind(StatementKind.SessionCommand, "DELETE RESOURCE");
                break;
            case "DELETE":
                ParseDelete(scope);
                break;
            case "CREATE":
                ParseCreate(scope);
                break;
            case "DROP":
                ParseDrop();
                break;
            case "ALTER":
                ParseAlter(scope);
                break;
            case "TRUNCATE":
                Advance();
                Accept("TABLE");
                SetKind(StatementKind.Ddl, "TRUNCATE", write: true);
                WriteNamedTarget("TRUNCATE");
                break;
            case "MSCK":
                Advance();
                Accept("REPAIR");
                Accept("TABLE");
                SetKind(StatementKind.Ddl, "MSCK REPAIR TABLE", write: true);
                WriteNamedTarget("MSCK");
                break;
            case "ANALYZE":
                ParseAnalyze();
                break;
            case "COMMENT":
                ParseComment();
                break;
            case "GRANT" or "REVOKE" or "DENY":
                SetKind(StatementKind.Ddl, word);
                break;
            case "REFRESH":
                ParseRefresh();
                break;
            case "CACHE":
                ParseCache(scope);
                break;
            case "LOAD" when Peek(1).IsWord("DATA"):
                ParseLoadData();
                break;
            case "COPY":
                ParseCopy(scope);
                break;
            case "VACUUM" or "OPTIMIZE" or "RESTORE" or "REORG":
                Advance();
                Accept("TABLE");
                SetKind(StatementKind.Dml, word, write: true);
                _scansTargets = true;
                if (IsNameToken(Cur)) WriteNamedTarget(word);
                break;
            case "CONVERT" when Peek(1).IsWord("TO"):
                AcceptAll("CONVERT", "TO");
                Accept("DELTA");
                SetKind(StatementKind.Ddl, "CONVERT TO DELTA", write: true);
                WriteNamedTarget("CONVERT TO DELTA");
                break;
            case "IMPORT" or "EXPORT":
                ParseImportExport(word);
                break;
            case "SHOW":
                ParseShow(scope);
                break;
            case "DESCRIBE" or "DESC":
                ParseDescribe(scope);
                break;
            case "EXPLAIN":
                ParseExplain(scope);
                break;
            case "SET":
                ParseSet();
                break;
            case "USE":
                ParseUse();
                break;
            case "LOAD":
                SetKind(StatementKind.SessionCommand, "LOAD");
                break;
            case "CALL":
                SetKind(StatementKind.Dml, "CALL", write: true);
                AddProblem("CALL: what a procedure reads and writes is not known statically");
                break;
            case "EXECUTE" or "EXEC":
                ParseExecute(scope);
                break;
            default:
                if (SessionCommandWords.Contains(word))
                {
                    SetKind(StatementKind.SessionCommand, word);
                }
                else
                {
                    SetKind(StatementKind.Unknown, word);
                    AddProblem(t.Kind == SqlTokenKind.Word ? $"unrecognised statement {word}" : $"unrecognised statement starting with '{Truncate(t.Value)}'");
                }
                break;
        }
        Exit();
    }

    private static string Truncate(string s) => s.Length <= 20 ? s : s[..20] + "...";

    private void WriteNamedTarget(string what)
    {
        if (ParseName() is { } name) AddWrite(MakeReference(name));
        else AddProblem($"{what}: expected a table name");
    }

    private void ParseQueryStatement(Scope scope)
    {
        var verb = Cur.Kind == SqlTokenKind.Word ? Upper(Cur) : "SELECT";
        if (verb == "FROM" || verb == "TABLE") verb = "SELECT";
        ParseRegion(scope, RegionMode.Query, topLevel: true);
        if (_multiInsert) SetKind(StatementKind.Dml, "INSERT", write: true);
        else if (_selectInto)
        {
            SetKind(StatementKind.Ddl, "SELECT INTO", write: true);
            _ctas = true;
        }
        else SetKind(StatementKind.Query, verb);
    }

    private void ParseInsert(Scope scope)
    {
        var verb = Upper(Cur);
        Advance();
        var overwrite = CurIs("OVERWRITE");
        SetKind(StatementKind.Dml, overwrite ? "INSERT OVERWRITE" : verb, write: true);
        ParseInsertTarget();
        ParseRegion(scope, RegionMode.Query);
    }

    /// <summary>After INSERT: [OVERWRITE|INTO] [TABLE] target, or [LOCAL] DIRECTORY 'path' [format clauses].</summary>
    private void ParseInsertTarget()
    {
        Accept("OVERWRITE");
        Accept("INTO");
        Accept("LOCAL");
        if (Accept("DIRECTORY"))
        {
            if (Cur.Kind == SqlTokenKind.String)
            {
                AddWrite(PathReference(Cur));
                Advance();
            }
            else
            {
                AddWrite(new TableReference(TableReferenceKind.Path, ["(directory)"], Cur.Start, 0));
            }
            // ROW FORMAT ..., STORED AS ..., USING fmt OPTIONS (...) up to the query.
            while (!IsEnd(Cur) && !IsQueryStart())
            {
                if (Cur.Kind == SqlTokenKind.LeftParen) _p = SkipBalanced(_p);
                else Advance();
            }
            return;
        }
        Accept("TABLE");
        if (ParseName() is { } name) AddWrite(MakeReference(name));
        else AddProblem("INSERT: expected a target table");
    }

    private void ParseMerge(Scope scope)
    {
        Advance();
        Accept("INTO");
        SetKind(StatementKind.Dml, "MERGE", write: true);
        _scansTargets = true;
        if (ParseName() is { } target) AddWrite(MakeReference(target));
        else AddProblem("MERGE: expected a target table");
        // Alias, Databricks' WITH SCHEMA EVOLUTION: up to USING.
        while (!IsEnd(Cur) && !CurIs("USING"))
        {
            if (Cur.Kind == SqlTokenKind.LeftParen) ParseParenGroup(scope);
            else Advance();
        }
        if (!Accept("USING"))
        {
            AddProblem("MERGE: expected USING");
            return;
        }
        ParseTableFactor(scope);
        // ON and WHEN clauses: expressions whose subqueries read tables; their INSERT/UPDATE/DELETE act on the target.
        ParseRegion(scope, RegionMode.Expression);
    }

    private void ParseDelete(Scope scope)
    {
        Advance();
        Accept("FROM");
        Accept("ONLY");
        SetKind(StatementKind.Dml, "DELETE", write: true);
        _scansTargets = true;
        if (ParseName() is { } target) AddWrite(MakeReference(target));
        else AddProblem("DELETE: expected a table");
        if (Accept("AS")) Advance();
        else if (Cur.IsIdentifier && !CurIs("WHERE") && !CurIs("USING") && !CurIs("RETURNING")) Advance();
        if (Accept("USING")) ParseFromList(scope);
        ParseRegion(scope, RegionMode.Query);
    }

    private void ParseCreate(Scope scope)
    {
        Advance();
        AcceptAll("OR", "REPLACE");
        AcceptAll("OR", "ALTER");
        var temporary = false;
        var materialized = false;
        while (true)
        {
            if (CurIs("TEMPORARY") || CurIs("TEMP") || CurIs("VOLATILE")) temporary = true;
            else if (CurIs("MATERIALIZED")) materialized = true;
            else if (!(CurIs("GLOBAL") || CurIs("LOCAL") || CurIs("EXTERNAL") || CurIs("TRANSIENT") || CurIs("UNLOGGED")
                       || CurIs("MANAGED") || CurIs("SECURE") || CurIs("RECURSIVE") || CurIs("STREAMING") || CurIs("LIVE")
                       || (CurIs("SOURCE") && (Peek(1).IsWord("STREAM") || Peek(1).IsWord("TABLE")))))
            {
                break;
            }
            Advance();
        }
        var obj = Upper(Cur);
        switch (obj)
        {
            case "TABLE":
                ParseCreateTable(scope, temporary);
                break;
            case "VIEW":
                ParseCreateView(scope, temporary, materialized);
                break;
            case "STREAM" or "SOURCE" or "SINK":
                // ksqlDB streams, RisingWave/Materialize sources and sinks: continuous by definition.
                Advance();
                SetKind(StatementKind.Ddl, "CREATE " + obj, write: true);
                _streamingReason ??= $"CREATE {obj}";
                SkipIfNotExists();
                if (ParseName() is { } stream) AddWrite(MakeReference(stream));
                ParseCreateTail(scope);
                break;
            case "DATABASE" or "SCHEMA" or "NAMESPACE":
                Advance();
                SetKind(StatementKind.Ddl, "CREATE " + obj, write: true);
                SkipIfNotExists();
                if (ParseName() is { } schema) AddWrite(MakeReference(schema, TableReferenceKind.Schema));
                break;
            case "INDEX" or "UNIQUE" or "BLOOMFILTER":
                SetKind(StatementKind.Ddl, "CREATE INDEX", write: true);
                while (!IsEnd(Cur) && !CurIs("ON")) Advance();
                if (Accept("ON"))
                {
                    Accept("TABLE");
                    if (ParseName() is { } indexed) AddWrite(MakeReference(indexed));
                }
                break;
            default:
                // Functions, macros, roles, catalogs, types...: catalog objects that are not tables.
                SetKind(StatementKind.Ddl, obj.Length > 0 ? "CREATE " + obj : "CREATE");
                break;
        }
    }

    private void SkipIfNotExists() => AcceptAll("IF", "NOT", "EXISTS");

    private void ParseCreateTable(Scope scope, bool temporary)
    {
        Advance();
        SkipIfNotExists();
        SetKind(StatementKind.Ddl, "CREATE TABLE", write: true);
        if (ParseName() is { } name) AddWrite(MakeReference(name, temporary: temporary));
        else AddProblem("CREATE TABLE: expected a name");
        ParseCreateTail(scope);
    }

    /// <summary>
    /// Column definitions and table clauses up to an optional AS query: LIKE/CLONE sources are read, WITH (...)
    /// options are checked for streaming connectors.
    /// </summary>
    private void ParseCreateTail(Scope scope)
    {
        while (!IsEnd(Cur))
        {
            if (Cur.Kind == SqlTokenKind.LeftParen)
            {
                if (LooksLikeQueryAt(_p))
                {
                    MarkCreateAsSelect();
                    ParseRegion(scope, RegionMode.Query);
                    return;
                }
                ParseParenGroup(scope);
            }
            else if (CurIs("AS") && (Peek(1).IsWord("SELECT") || Peek(1).IsWord("WITH") || Peek(1).IsWord("VALUES") || Peek(1).IsWord("FROM")
                || (Peek(1).IsWord("TABLE") && IsNameToken(Peek(2))) || (Peek(1).Kind == SqlTokenKind.LeftParen && LooksLikeQueryAt(_p + 1))))
            {
                Advance();
                MarkCreateAsSelect();
                ParseRegion(scope, RegionMode.Query);
                return;
            }
            else if ((CurIs("LIKE") || CurIs("CLONE")) && IsNameToken(Peek(1)))
            {
                Advance();
                AddRead(MakeReference(ParseName()!), scope);
            }
            else if ((CurIs("WITH") || CurIs("OPTIONS") || CurIs("TBLPROPERTIES")) && Peek(1).Kind == SqlTokenKind.LeftParen)
            {
                Advance();
                var end = SkipBalanced(_p);
                CheckStreamingOptions(_p + 1, end - 1);
                _p = end;
            }
            else
            {
                Advance();
            }
        }
    }

    private void MarkCreateAsSelect()
    {
        _ctas = true;
        if (_verb == "CREATE TABLE") _verb = "CREATE TABLE AS SELECT";
    }

    // Flink connectors that read or write unbounded streams; any '<database>-cdc' connector too.
    private static readonly HashSet<string> StreamingConnectors = new(StringComparer.OrdinalIgnoreCase)
    {
        "kafka", "upsert-kafka", "kinesis", "firehose", "pulsar", "upsert-pulsar", "rabbitmq", "pubsub",
        "google-pubsub", "datagen", "mqtt", "nats",
    };

    /// <summary>'connector' = 'kafka' (Flink) or kafka_topic = '...' (ksqlDB) among key = value options.</summary>
    private void CheckStreamingOptions(int from, int to)
    {
        for (var i = from; i + 2 < to + 1 && i + 2 < _t.Count; i++)
        {
            var key = _t[i];
            if (key.Kind is not (SqlTokenKind.String or SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier)) continue;
            // Keys may be dotted words (connector.type) in legacy Flink.
            var keyText = key.Value;
            var j = i + 1;
            while (j + 1 < _t.Count && _t[j].Kind == SqlTokenKind.Dot && _t[j + 1].IsIdentifier)
            {
                keyText += "." + _t[j + 1].Value;
                j += 2;
            }
            if (j + 1 >= _t.Count || !_t[j].IsOperator("=")) continue;
            var value = _t[j + 1];
            if (value.Kind is not (SqlTokenKind.String or SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier)) continue;
            if ((keyText.Equals("connector", StringComparison.OrdinalIgnoreCase) || keyText.Equals("connector.type", StringComparison.OrdinalIgnoreCase))
                && (StreamingConnectors.Contains(value.Value) || value.Value.EndsWith("-cdc", StringComparison.OrdinalIgnoreCase)))
            {
                _streamingReason ??= $"'connector' = '{value.Value}'";
            }
            else if (keyText.Equals("kafka_topic", StringComparison.OrdinalIgnoreCase))
            {
                _streamingReason ??= "kafka_topic option";
            }
        }
    }

    private void ParseCreateView(Scope scope, bool temporary, bool materialized)
    {
        Advance();
        SkipIfNotExists();
        SetKind(StatementKind.Ddl, materialized ? "CREATE MATERIALIZED VIEW" : "CREATE VIEW", write: true);
        if (ParseName() is { } name) AddWrite(MakeReference(name, temporary: temporary));
        else AddProblem("CREATE VIEW: expected a name");
        while (!IsEnd(Cur))
        {
            if (CurIs("AS") && !Peek(1).IsWord("JSON"))
            {
                Advance();
                _ctas = true;
                ParseRegion(scope, RegionMode.Query);
                return;
            }
            if ((CurIs("WITH") || CurIs("OPTIONS") || CurIs("TBLPROPERTIES")) && Peek(1).Kind == SqlTokenKind.LeftParen)
            {
                Advance();
                var end = SkipBalanced(_p);
                CheckStreamingOptions(_p + 1, end - 1);
                _p = end;
            }
            else if (Cur.Kind == SqlTokenKind.LeftParen) ParseParenGroup(scope);
            else Advance();
        }
    }

    private void ParseDrop()
    {
        Advance();
        while (CurIs("TEMPORARY") || CurIs("TEMP") || CurIs("EXTERNAL") || CurIs("MATERIALIZED") || CurIs("GLOBAL") || CurIs("STREAMING") || CurIs("LIVE")) Advance();
        var obj = Upper(Cur);
        switch (obj)
        {
            case "TABLE" or "VIEW" or "STREAM":
                Advance();
                SetKind(StatementKind.Ddl, "DROP " + obj, write: true);
                AcceptAll("IF", "EXISTS");
                while (ParseName() is { } name)
                {
                    AddWrite(MakeReference(name));
                    if (Cur.Kind != SqlTokenKind.Comma || !IsNameToken(Peek(1))) break;
                    Advance();
                }
                break;
            case "DATABASE" or "SCHEMA" or "NAMESPACE":
                Advance();
                SetKind(StatementKind.Ddl, "DROP " + obj, write: true);
                AcceptAll("IF", "EXISTS");
                if (ParseName() is { } schema) AddWrite(MakeReference(schema, TableReferenceKind.Schema));
                break;
            default:
                SetKind(StatementKind.Ddl, obj.Length > 0 ? "DROP " + obj : "DROP");
                break;
        }
    }

    private void ParseAlter(Scope scope)
    {
        Advance();
        while (CurIs("MATERIALIZED") || CurIs("EXTERNAL") || CurIs("STREAMING")) Advance();
        var obj = Upper(Cur);
        switch (obj)
        {
            case "TABLE" or "VIEW" or "STREAM":
                Advance();
                SetKind(StatementKind.Ddl, "ALTER " + obj, write: true);
                AcceptAll("IF", "EXISTS");
                WriteNamedTarget("ALTER " + obj);
                while (!IsEnd(Cur))
                {
                    if (AcceptAll("RENAME", "TO"))
                    {
                        if (ParseName() is { } renamed) AddWrite(MakeReference(renamed));
                    }
                    else if (CurIs("AS") && IsQueryStartAt(1))
                    {
                        Advance();
                        ParseRegion(scope, RegionMode.Query);
                    }
                    else if (Cur.Kind == SqlTokenKind.LeftParen) ParseParenGroup(scope);
                    else Advance();
                }
                break;
            case "DATABASE" or "SCHEMA" or "NAMESPACE":
                Advance();
                SetKind(StatementKind.Ddl, "ALTER " + obj, write: true);
                if (ParseName() is { } schema) AddWrite(MakeReference(schema, TableReferenceKind.Schema));
                break;
            default:
                SetKind(StatementKind.Ddl, obj.Length > 0 ? "ALTER " + obj : "ALTER");
                break;
        }
    }

    private bool IsQueryStartAt(int k)
    {
        var saved = _p;
        _p += k;
        var result = _p <= _t.Count && IsQueryStart();
        _p = saved;
        return result;
    }

    private void ParseAnalyze()
    {
        Advance();
        // Computing statistics scans the table and writes to its catalog entry.
        SetKind(StatementKind.Ddl, "ANALYZE");
        if (AcceptAll("TABLES"))
        {
            if (Accept("IN") || Accept("FROM"))
            {
                if (ParseName() is { } schema) AddWrite(MakeReference(schema, TableReferenceKind.Schema));
            }
            return;
        }
        Accept("TABLE");
        Accept("VERBOSE");
        if (ParseName() is { } name)
        {
            AddWrite(MakeReference(name));
            _scansTargets = true;
        }
    }

    private void ParseComment()
    {
        Advance();
        SetKind(StatementKind.Ddl, "COMMENT", write: true);
        if (!Accept("ON")) return;
        var obj = Upper(Cur);
        Advance();
        if (ParseName() is not { } name) return;
        switch (obj)
        {
            case "TABLE" or "VIEW":
                AddWrite(MakeReference(name));
                break;
            case "COLUMN" when name.Parts.Count > 1:
                AddWrite(MakeReference(new ParsedName(name.Parts[..^1], name.Start, name.End)));
                break;
            case "SCHEMA" or "DATABASE":
                AddWrite(MakeReference(name, TableReferenceKind.Schema));
                break;
        }
    }

    private void ParseRefresh()
    {
        Advance();
        if (AcceptAll("MATERIALIZED", "VIEW") || AcceptAll("STREAMING", "TABLE") || AcceptAll("LIVE", "TABLE"))
        {
            SetKind(StatementKind.Dml, "REFRESH MATERIALIZED VIEW", write: true);
            WriteNamedTarget("REFRESH");
            return;
        }
        // Spark's REFRESH [TABLE] t / REFRESH 'path' / REFRESH FUNCTION f: invalidates an engine's cached metadata.
        SetKind(StatementKind.Metadata, "REFRESH");
        if (Accept("FUNCTION")) return;
        Accept("TABLE");
        if (Cur.Kind == SqlTokenKind.String)
        {
            AddRead(PathReference(Cur), EmptyScope);
            Advance();
        }
        else if (ParseName() is { } name)
        {
            AddRead(MakeReference(name), EmptyScope);
        }
    }

    private void ParseCache(Scope scope)
    {
        // CACHE [LAZY] TABLE t [OPTIONS (...)] [[AS] query]: engine-local, like a session setting, but reads data.
        Advance();
        Accept("LAZY");
        Accept("TABLE");
        SetKind(StatementKind.SessionCommand, "CACHE TABLE");
        if (ParseName() is not { } name) return;
        if (CurIs("OPTIONS") && Peek(1).Kind == SqlTokenKind.LeftParen)
        {
            Advance();
            _p = SkipBalanced(_p);
        }
        Accept("AS");
        if (IsQueryStart())
        {
            AddWrite(MakeReference(name, temporary: true));
            ParseRegion(scope, RegionMode.Query);
        }
        else
        {
            AddRead(MakeReference(name), scope);
        }
    }

    private void ParseLoadData()
    {
        AcceptAll("LOAD", "DATA");
        Accept("LOCAL");
        SetKind(StatementKind.Dml, "LOAD DATA", write: true);
        if (Accept("INPATH") && Cur.Kind == SqlTokenKind.String)
        {
            AddRead(PathReference(Cur), EmptyScope);
            Advance();
        }
        while (!IsEnd(Cur) && !CurIs("TABLE")) Advance();
        if (Accept("TABLE")) WriteNamedTarget("LOAD DATA");
        else AddProblem("LOAD DATA: expected INTO TABLE");
    }

    private void ParseCopy(Scope scope)
    {
        Advance();
        SetKind(StatementKind.Dml, "COPY", write: true);
        if (Accept("INTO"))
        {
            // Databricks/Snowflake: COPY INTO t FROM 'path' | (SELECT ... FROM 'path').
            if (ParseName() is { } target) AddWrite(MakeReference(target));
            while (!IsEnd(Cur))
            {
                if (Accept("FROM") && Cur.Kind == SqlTokenKind.String)
                {
                    AddRead(PathReference(Cur), scope);
                    Advance();
                }
                else if (Cur.Kind == SqlTokenKind.LeftParen) ParseParenGroup(scope);
                else Advance();
            }
            return;
        }
        // PostgreSQL/DuckDB: COPY t [(cols)] FROM 'file' | COPY t|(query) TO 'file'.
        TableReference? table = null;
        if (Cur.Kind == SqlTokenKind.LeftParen) ParseParenGroup(scope);
        else if (ParseName() is { } name) table = MakeReference(name);
        if (Cur.Kind == SqlTokenKind.LeftParen && !LooksLikeQueryAt(_p)) _p = SkipBalanced(_p);
        if (Accept("FROM"))
        {
            if (table is not null) AddWrite(table);
            if (Cur.Kind == SqlTokenKind.String) AddRead(PathReference(Cur), scope);
        }
        else if (Accept("TO"))
        {
            if (table is not null) AddRead(table, scope);
            if (Cur.Kind == SqlTokenKind.String) AddWrite(PathReference(Cur));
        }
        else
        {
            AddProblem("COPY: expected FROM or TO");
        }
    }

    private void ParseImportExport(string word)
    {
        // Hive: EXPORT TABLE t TO 'path' / IMPORT [[EXTERNAL] TABLE t] FROM 'path'.
        Advance();
        SetKind(StatementKind.Dml, word, write: true);
        Accept("EXTERNAL");
        TableReference? table = null;
        if (Accept("TABLE") && ParseName() is { } name) table = MakeReference(name);
        while (!IsEnd(Cur) && Cur.Kind != SqlTokenKind.String) Advance();
        var path = Cur.Kind == SqlTokenKind.String ? PathReference(Cur) : null;
        if (word == "EXPORT")
        {
            if (table is not null) AddRead(table, EmptyScope);
            if (path is not null) AddWrite(path);
        }
        else
        {
            if (table is not null) AddWrite(table);
            if (path is not null) AddRead(path, EmptyScope);
        }
    }

    private void ParseShow(Scope scope)
    {
        Advance();
        var what = Upper(Cur);
        SetKind(StatementKind.Metadata, what.Length > 0 ? "SHOW " + what : "SHOW");
        switch (what)
        {
            case "COLUMNS":
                Advance();
                if (!(Accept("IN") || Accept("FROM"))) return;
                if (ParseName() is not { } table) return;
                if ((Accept("IN") || Accept("FROM")) && ParseName() is { } db)
                {
                    // SHOW COLUMNS IN t IN db: the table is db.t.
                    var parts = new List<NamePart>(db.Parts) { table.Parts[^1] };
                    AddRead(MakeReference(new ParsedName(parts, table.Start, table.End)), scope);
                }
                else
                {
                    AddRead(MakeReference(table), scope);
                }
                break;
            case "CREATE":
                Advance();
                Accept("MATERIALIZED");
                if (Accept("SCHEMA") || Accept("DATABASE"))
                {
                    if (ParseName() is { } schema) AddRead(MakeReference(schema, TableReferenceKind.Schema), scope);
                    return;
                }
                if (Accept("TABLE") || Accept("VIEW")) ReadNamed(scope);
                break;
            case "PARTITIONS" or "TBLPROPERTIES":
                Advance();
                ReadNamed(scope);
                break;
            case "STATS":
                Advance();
                Accept("FOR");
                if (Cur.Kind == SqlTokenKind.LeftParen) ParseParenGroup(scope);
                else ReadNamed(scope);
                break;
            case "TABLES" or "VIEWS" or "TABLE" or "FUNCTIONS" or "USER" or "SYSTEM" or "OBJECTS":
                Advance();
                while (CurIs("EXTENDED") || CurIs("FUNCTIONS")) Advance();
                if ((Accept("IN") || Accept("FROM")) && ParseName() is { } ns && what is "TABLES" or "VIEWS" or "TABLE" or "OBJECTS")
                {
                    AddRead(MakeReference(ns, TableReferenceKind.Schema), scope);
                }
                break;
        }
    }

    private void ReadNamed(Scope scope)
    {
        if (ParseName() is { } name) AddRead(MakeReference(name), scope);
    }

    private void ParseDescribe(Scope scope)
    {
        Advance();
        SetKind(StatementKind.Metadata, "DESCRIBE");
        if (Accept("QUERY") || IsQueryStart())
        {
            ParseRegion(scope, RegionMode.Query);
            return;
        }
        if (Accept("DATABASE") || Accept("SCHEMA") || Accept("NAMESPACE"))
        {
            Accept("EXTENDED");
            if (ParseName() is { } schema) AddRead(MakeReference(schema, TableReferenceKind.Schema), scope);
            return;
        }
        if (CurIs("FUNCTION") || CurIs("CATALOG") || CurIs("INPUT") || CurIs("OUTPUT") || CurIs("PROCEDURE")) return;
        while (CurIs("TABLE") || CurIs("EXTENDED") || CurIs("FORMATTED") || CurIs("DETAIL") || CurIs("HISTORY")) Advance();
        if (ParseName() is { } name) AddRead(MakeReference(name), scope);
        else AddProblem("DESCRIBE: expected a table");
    }

    private static readonly HashSet<string> ExplainStatementStarts = new(StringComparer.Ordinal)
    {
        "SELECT", "WITH", "VALUES", "TABLE", "FROM", "INSERT", "UPSERT", "REPLACE", "MERGE", "UPDATE", "DELETE",
        "CREATE", "DROP", "ALTER", "SHOW", "DESCRIBE", "DESC", "TRUNCATE", "COPY", "CACHE", "EXECUTE",
    };

    private void ParseExplain(Scope scope)
    {
        Advance();
        if (Accept("ROUTING"))
        {
            var start = Cur.Start;
            _explainRouting = true;
            if (IsEnd(Cur))
            {
                AddProblem("EXPLAIN ROUTING: expected a statement");
                SetKind(StatementKind.Unknown, "EXPLAIN ROUTING");
                return;
            }
            ParseStatement(scope);
            var end = _p > 0 && _p <= _t.Count ? _t[_p - 1].End : _sql.Length;
            // The statement runs to its semicolon even where the inner parser stopped early.
            var stop = _p;
            while (stop < _t.Count && _t[stop].Kind != SqlTokenKind.Semicolon) stop++;
            if (stop > 0 && stop <= _t.Count) end = Math.Max(end, _t[stop - 1].End);
            _innerStatement = _sql[start..Math.Max(start, end)];
            return;
        }
        // EXPLAIN [EXTENDED|FORMATTED|ANALYZE|...] [(options)] [PLAN FOR] statement.
        while (!IsEnd(Cur))
        {
            if (Cur.Kind == SqlTokenKind.Word && ExplainStatementStarts.Contains(Upper(Cur))) break;
            if (Cur.Kind == SqlTokenKind.LeftParen)
            {
                if (LooksLikeQueryAt(_p)) break;
                _p = SkipBalanced(_p);
                continue;
            }
            Advance();
        }
        _explain = true;
        if (IsEnd(Cur))
        {
            SetKind(StatementKind.Unknown, "EXPLAIN");
            AddProblem("EXPLAIN: expected a statement");
            return;
        }
        ParseStatement(scope);
        _verb = "EXPLAIN " + _verb;
    }

    private void ParseSet()
    {
        Advance();
        SetKind(StatementKind.SessionCommand, "SET");
        if (CurIs("CATALOG") || CurIs("SCHEMA") || CurIs("DATABASE"))
        {
            // SET CATALOG c / SET SCHEMA s: a USE in other words.
            _verb = "SET " + Upper(Cur);
            Advance();
            if (ParseName() is { } target) _useTarget = FoldParts(target);
            else if (Cur.Kind == SqlTokenKind.String) _useTarget = [Cur.Value];
            return;
        }
        if (CurIs("ROLE") || CurIs("TIME") || CurIs("PATH") || (CurIs("SESSION") && Peek(1).IsWord("AUTHORIZATION")))
        {
            _verb = "SET " + Upper(Cur);
            return;
        }
        if (CurIs("SESSION") || CurIs("VAR") || CurIs("VARIABLE") || CurIs("LOCAL")) Advance();
        if (IsEnd(Cur)) return;
        var keyStart = _p;
        while (!IsEnd(Cur) && !Cur.IsOperator("=")) Advance();
        _settingKey = TokenText(keyStart, _p);
        if (Cur.IsOperator("="))
        {
            Advance();
            var valueStart = _p;
            while (!IsEnd(Cur)) Advance();
            _settingValue = TokenText(valueStart, _p);
        }
    }

    /// <summary>The source text of tokens [from, to), unquoted when it is a single literal or quoted identifier.</summary>
    private string TokenText(int from, int to)
    {
        if (to <= from) return "";
        if (to - from == 1 && _t[from].Kind is SqlTokenKind.String or SqlTokenKind.QuotedIdentifier) return _t[from].Value;
        return _sql[_t[from].Start.._t[to - 1].End].Trim();
    }

    private List<string> FoldParts(ParsedName name) => [.. name.Parts.Select(p => _d.Fold(p.Value, p.Quoted))];

    private void ParseUse()
    {
        Advance();
        SetKind(StatementKind.SessionCommand, "USE");
        if (CurIs("MODULES")) return;
        if ((CurIs("CATALOG") || CurIs("SCHEMA") || CurIs("DATABASE") || CurIs("NAMESPACE")) && IsNameToken(Peek(1))) Advance();
        if (ParseName() is { } name) _useTarget = FoldParts(name);
    }

    private void ParseExecute(Scope scope)
    {
        Advance();
        if (AcceptAll("STATEMENT", "SET"))
        {
            // Flink: EXECUTE STATEMENT SET BEGIN INSERT ...; INSERT ...; END — one job writing every target.
            Accept("BEGIN");
            SetKind(StatementKind.Dml, "STATEMENT SET", write: true);
            while (_p < _t.Count && !CurIs("END"))
            {
                if (Cur.Kind == SqlTokenKind.Semicolon)
                {
                    Advance();
                    continue;
                }
                if (CurIs("INSERT") || CurIs("UPSERT")) ParseInsert(scope);
                else Advance();
                while (_p < _t.Count && Cur.Kind != SqlTokenKind.Semicolon && !CurIs("END")) Advance();
            }
            Accept("END");
            SetKind(StatementKind.Dml, "STATEMENT SET", write: true);
            return;
        }
        SetKind(StatementKind.Unknown, "EXECUTE");
        AddProblem("EXECUTE: the statement it runs is not known statically");
    }

    // ---- hints and streaming syntax ----

    private (string? Engine, bool Streaming) ReadHints()
    {
        string? engine = null;
        var streaming = false;
        foreach (var hint in _hints)
        {
            var tokens = SqlLexer.Tokenize(hint.Value, _d);
            for (var i = 0; i < tokens.Count; i++)
            {
                if (tokens[i].Kind != SqlTokenKind.Word) continue;
                if (tokens[i].IsWord("STREAMING"))
                {
                    streaming = true;
                }
                else if (tokens[i].IsWord("ENGINE") && i + 2 < tokens.Count && tokens[i + 1].Kind == SqlTokenKind.LeftParen)
                {
                    // The first ENGINE hint wins. The name is the text up to ")" or ",", so trino-prod stays whole.
                    var close = i + 2;
                    while (close < tokens.Count && tokens[close].Kind is not (SqlTokenKind.RightParen or SqlTokenKind.Comma)) close++;
                    if (close == i + 3 && tokens[i + 2].Kind is SqlTokenKind.String or SqlTokenKind.QuotedIdentifier) engine ??= tokens[i + 2].Value;
                    else if (close > i + 2 && close < tokens.Count) engine ??= hint.Value[tokens[i + 2].Start..tokens[close - 1].End].Trim();
                }
            }
        }
        return (engine, streaming);
    }

    /// <summary>
    /// EMIT CHANGES / EMIT FINAL / a trailing EMIT (ksqlDB, Calcite) make a query continuous, unless the word is a
    /// column (after SELECT, AS, BY, a comma, a dot or an operator). Calcite's SELECT STREAM counts in the Flink
    /// dialect, or before *, since elsewhere "SELECT stream x" selects a column named stream.
    /// </summary>
    private void DetectStreamingSyntax()
    {
        for (var i = 0; i < _t.Count; i++)
        {
            var t = _t[i];
            if (t.Kind != SqlTokenKind.Word) continue;
            var next = i + 1 < _t.Count ? _t[i + 1] : _eof;
            if (t.IsWord("EMIT") && (IsEnd(next) || next.IsWord("CHANGES") || next.IsWord("FINAL") || next.IsWord("STREAM") || next.IsWord("AFTER"))
                && i > 0 && !IsColumnPosition(_t[i - 1]))
            {
                _streamingReason ??= next.Kind == SqlTokenKind.Word ? $"EMIT {next.Value.ToUpperInvariant()}" : "EMIT";
            }
            else if (t.IsWord("SELECT") && next.IsWord("STREAM") && i + 2 < _t.Count
                && (_t[i + 2].IsOperator("*") || (_d.Name == SqlDialect.Flink.Name && _t[i + 2].IsIdentifier && !_t[i + 2].IsWord("FROM") && !_t[i + 2].IsWord("AS"))))
            {
                _streamingReason ??= "SELECT STREAM";
            }
        }
    }

    private static bool IsColumnPosition(SqlToken previous) =>
        previous.IsWord("SELECT") || previous.IsWord("AS") || previous.IsWord("BY") || previous.IsWord("DISTINCT")
        || previous.Kind is SqlTokenKind.Comma or SqlTokenKind.Dot or SqlTokenKind.Operator or SqlTokenKind.LeftParen;
}
