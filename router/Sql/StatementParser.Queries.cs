using Gateway.Protocol.Sql;
namespace Gateway.Router.Sql;

internal sealed partial class StatementParser
{
    private static readonly Scope EmptyScope = new([]);

    private enum RegionMode
    {
        /// <summary>A query: FROM and JOIN introduce tables; Hive's multi-insert INSERT introduces targets.</summary>
        Query,

        /// <summary>Expressions (function arguments, conditions): only subqueries and TABLE t matter.</summary>
        Expression,

        /// <summary>A JOIN's ON condition: an expression that ends at the next join, comma or clause.</summary>
        JoinCondition,
    }

    // Words that end a FROM list (and so can never be a table alias).
    private static readonly HashSet<string> FromListStops = new(StringComparer.Ordinal)
    {
        "WHERE", "GROUP", "HAVING", "ORDER", "LIMIT", "OFFSET", "FETCH", "WINDOW", "QUALIFY", "UNION", "INTERSECT",
        "EXCEPT", "MINUS", "SELECT", "INSERT", "INTO", "EMIT", "RETURNING", "SET", "WHEN", "THEN", "ELSE", "END",
        "ON", "USING", "DISTRIBUTE", "SORT", "CLUSTER", "PREWHERE", "LOCK", "OPTION", "CONNECT", "START", "VALUES",
        "JOIN", "NATURAL", "INNER", "CROSS", "LEFT", "RIGHT", "FULL", "OUTER", "SEMI", "ANTI", "ASOF", "POSITIONAL",
        "GLOBAL", "ANY", "APPLY", "LATERAL", "PIVOT", "UNPIVOT", "MATCH_RECOGNIZE", "TABLESAMPLE", "FOR", "AS",
        "WITH", "FORMAT", "SETTINGS", "REPEATABLE", "ALL", "DISTINCT", "AND", "OR", "NOT", "IS", "IN", "BY",
    };

    private static readonly HashSet<string> JoinWords = new(StringComparer.Ordinal)
    {
        "JOIN", "NATURAL", "INNER", "CROSS", "LEFT", "RIGHT", "FULL", "OUTER", "SEMI", "ANTI", "ASOF", "POSITIONAL",
        "GLOBAL", "ANY", "APPLY", "STRAIGHT_JOIN",
    };

    private static readonly HashSet<string> JoinConditionStops = new(StringComparer.Ordinal)
    {
        "WHERE", "GROUP", "HAVING", "ORDER", "LIMIT", "OFFSET", "FETCH", "WINDOW", "QUALIFY", "UNION", "INTERSECT",
        "EXCEPT", "MINUS", "SELECT", "INSERT", "EMIT", "RETURNING", "DISTRIBUTE", "SORT", "CLUSTER", "LATERAL",
        "PIVOT", "UNPIVOT", "USING", "JOIN", "NATURAL", "INNER", "CROSS", "LEFT", "RIGHT", "FULL", "OUTER", "SEMI",
        "ANTI", "ASOF", "POSITIONAL", "GLOBAL", "APPLY", "STRAIGHT_JOIN",
    };

    // A "(" after one of these opens a subquery or a list, not a function call's arguments.
    private static readonly HashSet<string> NonFunctionWords = new(StringComparer.Ordinal)
    {
        "IN", "EXISTS", "AS", "ANY", "ALL", "SOME", "ON", "FROM", "JOIN", "LATERAL", "UNION", "INTERSECT", "EXCEPT",
        "MINUS", "SELECT", "WHERE", "AND", "OR", "NOT", "THEN", "ELSE", "WHEN", "CASE", "BY", "USING", "HAVING",
        "VALUES", "TABLE", "INTO", "WITH", "RETURN", "DISTINCT", "ARRAY",
    };

    /// <summary>Does the "(" at <paramref name="i"/> open a query (subquery, parenthesized set operation)?</summary>
    private bool LooksLikeQueryAt(int i)
    {
        var j = i;
        while (j < _t.Count && _t[j].Kind == SqlTokenKind.LeftParen) j++;
        if (j >= _t.Count) return false;
        var first = _t[j];
        if (first.IsWord("SELECT") || first.IsWord("WITH") || first.IsWord("VALUES")) return true;
        if (first.IsWord("TABLE")) return j + 1 < _t.Count && IsNameToken(_t[j + 1]);
        if (first.IsWord("FROM"))
        {
            // TRIM(FROM s), SUBSTRING(s FROM 1) are calls; (FROM t SELECT ...) is Hive's FROM-first query.
            var before = i > 0 ? _t[i - 1] : _eof;
            return !(before.Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier) || NonFunctionWords.Contains(Upper(before));
        }
        return false;
    }

    private bool IsQueryStart() =>
        CurIs("SELECT") || CurIs("WITH") || CurIs("VALUES") || CurIs("FROM")
        || (CurIs("TABLE") && IsNameToken(Peek(1)))
        || (Cur.Kind == SqlTokenKind.LeftParen && LooksLikeQueryAt(_p));

    /// <summary>A "(" group: a subquery when it holds one, otherwise expressions scanned for subqueries.</summary>
    private void ParseParenGroup(Scope scope)
    {
        var isQuery = LooksLikeQueryAt(_p);
        Advance();
        Enter();
        ParseRegion(scope, isQuery ? RegionMode.Query : RegionMode.Expression);
        Exit();
        ExpectClose();
    }

    private void ExpectClose()
    {
        if (Cur.Kind == SqlTokenKind.RightParen) Advance();
        else AddProblem("unbalanced parentheses");
    }

    /// <summary>
    /// Reads tokens up to the ")" that closes the enclosing group, or the end of the statement, following
    /// subqueries and (in query mode) FROM lists, JOINs and Hive multi-insert targets.
    /// </summary>
    private void ParseRegion(Scope scope, RegionMode mode, bool topLevel = false)
    {
        Enter();
        if (mode == RegionMode.Query && CurIs("WITH")) scope = ParseWith(scope);
        while (true)
        {
            var t = Cur;
            if (IsEnd(t) || t.Kind == SqlTokenKind.RightParen) break;
            if (t.Kind == SqlTokenKind.LeftParen)
            {
                ParseParenGroup(scope);
                continue;
            }
            if (mode == RegionMode.JoinCondition && (t.Kind == SqlTokenKind.Comma || (t.Kind == SqlTokenKind.Word && JoinConditionStops.Contains(Upper(t)) && !IsFunctionCall(_p))))
            {
                break;
            }
            if (t.Kind != SqlTokenKind.Word)
            {
                Advance();
                continue;
            }
            var word = Upper(t);
            if (word == "TABLE" && (IsNameToken(Peek(1)) || Peek(1).Kind == SqlTokenKind.LeftParen))
            {
                ParseTableKeyword(scope);
                continue;
            }
            if (mode != RegionMode.Query)
            {
                Advance();
                continue;
            }
            switch (word)
            {
                case "FROM" when !PrecededByIsDistinct():
                    Advance();
                    ParseFromList(scope);
                    break;
                case "JOIN" or "APPLY":
                    Advance();
                    ParseTableFactor(scope);
                    break;
                case "INSERT":
                    // Hive's multi-insert: FROM src INSERT OVERWRITE TABLE a SELECT ... INSERT INTO TABLE b SELECT ...
                    Advance();
                    ParseInsertTarget();
                    _multiInsert = true;
                    break;
                case "INTO" when topLevel:
                    Advance();
                    ParseSelectInto();
                    break;
                case "WITH" when LooksLikeWithClauseAt(_p):
                    // A WITH after other tokens: INSERT INTO t (a, b) WITH c AS (...) SELECT ...
                    scope = ParseWith(scope);
                    break;
                case "LATERAL" when Peek(1).IsWord("VIEW"):
                    SkipLateralView(scope);
                    break;
                default:
                    Advance();
                    break;
            }
        }
        Exit();
    }

    /// <summary>WITH [RECURSIVE] name [(cols)] AS [NOT] [MATERIALIZED] ( — and not WITH TIME ZONE, WITH ROLLUP, WITH (options).</summary>
    private bool LooksLikeWithClauseAt(int i)
    {
        var j = i + 1;
        if (j < _t.Count && _t[j].IsWord("RECURSIVE")) j++;
        if (j >= _t.Count || !_t[j].IsIdentifier) return false;
        j++;
        if (j < _t.Count && _t[j].Kind == SqlTokenKind.LeftParen && !LooksLikeQueryAt(j))
        {
            j = SkipBalanced(j);
        }
        if (j >= _t.Count || !_t[j].IsWord("AS")) return false;
        j++;
        if (j < _t.Count && _t[j].IsWord("NOT")) j++;
        if (j < _t.Count && _t[j].IsWord("MATERIALIZED")) j++;
        return j < _t.Count && _t[j].Kind == SqlTokenKind.LeftParen;
    }

    private bool IsFunctionCall(int i) => i + 1 < _t.Count && _t[i + 1].Kind == SqlTokenKind.LeftParen;

    private bool PrecededByIsDistinct() =>
        Peek(-1).IsWord("DISTINCT") && (Peek(-2).IsWord("IS") || Peek(-2).IsWord("NOT"));

    /// <summary>WITH [RECURSIVE] name [(cols)] AS [[NOT] MATERIALIZED] (query), ... ; returns the scope with every CTE name.</summary>
    private Scope ParseWith(Scope outer)
    {
        Advance();
        var recursive = Accept("RECURSIVE");
        var names = new List<string>();
        var all = recursive ? outer.With(PreScanCteNames()) : null;
        while (true)
        {
            if (!Cur.IsIdentifier)
            {
                AddProblem("WITH: expected a name");
                break;
            }
            var name = _d.Fold(Cur.Value, Cur.Kind == SqlTokenKind.QuotedIdentifier);
            Advance();
            if (Cur.Kind == SqlTokenKind.LeftParen && !LooksLikeQueryAt(_p)) _p = SkipBalanced(_p);
            Accept("AS");
            Accept("NOT");
            Accept("MATERIALIZED");
            if (Cur.Kind == SqlTokenKind.LeftParen)
            {
                // Without RECURSIVE a CTE sees only the CTEs before it: in WITH sales AS (SELECT * FROM sales) the
                // inner sales is the real table. With RECURSIVE every name of the list is visible everywhere.
                ParseParenGroup(all ?? outer.With(names));
            }
            else
            {
                AddProblem($"WITH {name}: expected (query)");
            }
            names.Add(name);
            if (!_ctes.Contains(name)) _ctes.Add(name);
            // PostgreSQL's SEARCH/CYCLE clauses sit between a CTE and the next comma.
            while (Cur.Kind == SqlTokenKind.Word && (CurIs("SEARCH") || CurIs("CYCLE")))
            {
                while (!IsEnd(Cur) && Cur.Kind != SqlTokenKind.Comma && !IsQueryStart()) Advance();
            }
            if (Cur.Kind != SqlTokenKind.Comma) break;
            Advance();
        }
        return all ?? outer.With(names);
    }

    private List<string> PreScanCteNames()
    {
        var names = new List<string>();
        var i = _p;
        while (i < _t.Count && _t[i].IsIdentifier)
        {
            names.Add(_d.Fold(_t[i].Value, _t[i].Kind == SqlTokenKind.QuotedIdentifier));
            i++;
            while (i < _t.Count && _t[i].Kind != SqlTokenKind.Comma && _t[i].Kind != SqlTokenKind.Semicolon)
            {
                if (_t[i].Kind == SqlTokenKind.LeftParen)
                {
                    var wasBody = LooksLikeQueryAt(i);
                    i = SkipBalanced(i);
                    if (wasBody) break;
                }
                else if (_t[i].IsWord("SELECT") || _t[i].IsWord("INSERT"))
                {
                    return names;
                }
                else
                {
                    i++;
                }
            }
            if (i >= _t.Count || _t[i].Kind != SqlTokenKind.Comma) break;
            i++;
        }
        return names;
    }

    /// <summary>FROM item [, item | JOIN item [ON ... | USING (...)]]*, with aliases, samples, time travel, lateral views.</summary>
    private void ParseFromList(Scope scope)
    {
        Enter();
        ParseTableFactor(scope);
        var aliasTaken = false;
        while (true)
        {
            var t = Cur;
            if (t.Kind == SqlTokenKind.Comma)
            {
                Advance();
                ParseTableFactor(scope);
                aliasTaken = false;
                continue;
            }
            if (t.Kind == SqlTokenKind.LeftParen)
            {
                // Column aliases: t AS x(a, b).
                ParseParenGroup(scope);
                continue;
            }
            if (t.IsOperator("@"))
            {
                // Delta time travel: t@v12 / t@20240101000000000.
                Advance();
                if (Cur.Kind is SqlTokenKind.Word or SqlTokenKind.Number) Advance();
                continue;
            }
            if (!t.IsIdentifier) break;
            var word = Upper(t);
            if (word is "JOIN" or "APPLY")
            {
                Advance();
                ParseTableFactor(scope);
                aliasTaken = false;
            }
            else if (JoinWords.Contains(word) && !IsFunctionCall(_p))
            {
                Advance();
            }
            else if (word == "ON")
            {
                Advance();
                ParseRegion(scope, RegionMode.JoinCondition);
            }
            else if (word == "USING" && Peek(1).Kind == SqlTokenKind.LeftParen)
            {
                Advance();
                ParseParenGroup(scope);
            }
            else if (word == "LATERAL" && Peek(1).IsWord("VIEW"))
            {
                SkipLateralView(scope);
            }
            else if (word is "PIVOT" or "UNPIVOT" or "MATCH_RECOGNIZE" or "TABLESAMPLE" or "REPEATABLE")
            {
                Advance();
                while (CurIs("INCLUDE") || CurIs("EXCLUDE") || CurIs("NULLS") || CurIs("BERNOULLI") || CurIs("SYSTEM")) Advance();
                if (Cur.Kind == SqlTokenKind.LeftParen) ParseParenGroup(scope);
                aliasTaken = false;
            }
            else if ((word == "FOR" && (Peek(1).IsWord("SYSTEM_TIME") || Peek(1).IsWord("VERSION") || Peek(1).IsWord("TIMESTAMP") || Peek(1).IsWord("SYSTEM_VERSION")))
                || (word is "VERSION" or "TIMESTAMP" && Peek(1).IsWord("AS") && Peek(2).IsWord("OF")))
            {
                SkipTimeTravel(scope);
            }
            else if (word == "WITH" && (Peek(1).IsWord("ORDINALITY") || Peek(1).IsWord("OFFSET")))
            {
                Advance();
                Advance();
            }
            else if (word == "AS" && !aliasTaken)
            {
                Advance();
                if (Cur.IsIdentifier)
                {
                    Advance();
                    aliasTaken = true;
                }
            }
            else if (!aliasTaken && t.Kind == SqlTokenKind.QuotedIdentifier)
            {
                Advance();
                aliasTaken = true;
            }
            else if (!aliasTaken && !FromListStops.Contains(word) && !Peek(1).IsWord("BY"))
            {
                Advance();
                aliasTaken = true;
            }
            else
            {
                break;
            }
        }
        Exit();
    }

    /// <summary>One FROM item: a table, a (subquery), a (parenthesized join), a table function, VALUES, a path.</summary>
    private void ParseTableFactor(Scope scope)
    {
        Enter();
        while ((CurIs("LATERAL") || CurIs("ONLY")) && !Peek(1).IsWord("VIEW")) Advance();
        var t = Cur;
        if (t.Kind == SqlTokenKind.LeftParen)
        {
            if (LooksLikeQueryAt(_p))
            {
                ParseParenGroup(scope);
            }
            else
            {
                Advance();
                ParseFromList(scope);
                // Whatever the join list did not take (it stops at what it does not know) is read as expressions.
                ParseRegion(scope, RegionMode.Expression);
                ExpectClose();
            }
        }
        else if (t.IsWord("UNNEST") && Peek(1).Kind == SqlTokenKind.LeftParen)
        {
            // Expands a value; no data source.
            Advance();
            ParseParenGroup(scope);
        }
        else if (t.IsWord("TABLE") && (Peek(1).Kind == SqlTokenKind.LeftParen || IsNameToken(Peek(1))))
        {
            ParseTableKeyword(scope);
        }
        else if (t.IsWord("VALUES"))
        {
            Advance();
            SkipValuesRows(scope);
        }
        else if (t.Kind == SqlTokenKind.String)
        {
            // DuckDB: FROM 'data/*.parquet'. Where "..." is a string (Hive, Spark, Flink) it is more likely a
            // misquoted name, and either way the engine will not read it as a table.
            if (!_d.DoubleQuotedIdentifiers) AddProblem($"string literal where a table was expected at offset {t.Start}");
            AddRead(PathReference(t), scope);
            Advance();
        }
        else if (IsNameToken(t))
        {
            var name = ParseName()!;
            if (Cur.Kind == SqlTokenKind.LeftParen) ParseFunctionSource(name, scope);
            else AddRead(MakeReference(name), scope);
        }
        else
        {
            AddProblem($"expected a table at offset {t.Start}");
        }
        Exit();
    }

    /// <summary>TABLE t (a query), TABLE(t) / TABLE(fn(...)) (table functions, Flink windowing TVFs, Trino PTFs).</summary>
    private void ParseTableKeyword(Scope scope)
    {
        Advance();
        if (IsNameToken(Cur))
        {
            AddRead(MakeReference(ParseName()!), scope);
            return;
        }
        if (Cur.Kind != SqlTokenKind.LeftParen) return;
        Advance();
        Enter();
        if (IsNameToken(Cur))
        {
            var name = ParseName()!;
            if (Cur.Kind == SqlTokenKind.LeftParen) ParseFunctionSource(name, scope);
            else AddRead(MakeReference(name), scope);
        }
        ParseRegion(scope, RegionMode.Expression);
        Exit();
        ExpectClose();
    }

    /// <summary>name(args): reported as a function source with its literal arguments; the arguments are scanned for subqueries and TABLE t.</summary>
    private void ParseFunctionSource(ParsedName name, Scope scope)
    {
        var open = _p;
        var end = SkipBalanced(open);
        var arguments = CollectLiteralArguments(open + 1, end - 1);
        var reference = MakeReference(name, TableReferenceKind.Function);
        AddRead(new TableReference(TableReferenceKind.Function, reference.Parts, name.Start, name.End - name.Start) { Arguments = arguments }, scope);
        ParseParenGroup(scope);
    }

    /// <summary>Literal arguments between <paramref name="from"/> and <paramref name="to"/> (exclusive): whole-argument literals, named-argument values, list elements.</summary>
    private List<string> CollectLiteralArguments(int from, int to)
    {
        var result = new List<string>();
        var argStart = from;
        var depth = 0;
        for (var i = from; i <= to && i <= _t.Count; i++)
        {
            var atEnd = i == to || i == _t.Count;
            var k = atEnd ? SqlTokenKind.Comma : _t[i].Kind;
            if (k is SqlTokenKind.LeftParen or SqlTokenKind.LeftBracket) depth++;
            else if (k is SqlTokenKind.RightParen or SqlTokenKind.RightBracket) depth--;
            else if (k == SqlTokenKind.Comma && depth <= 0)
            {
                AddArgumentLiterals(argStart, Math.Min(i, _t.Count), result);
                argStart = i + 1;
                if (atEnd) break;
            }
        }
        return result;
    }

    private void AddArgumentLiterals(int from, int to, List<string> result)
    {
        // name => value, name := value, name = value
        if (to - from >= 3 && _t[from].IsIdentifier && (_t[from + 1].IsOperator("=>") || _t[from + 1].IsOperator("=") || _t[from + 1].IsOperator(":="))) from += 2;
        if (to - from == 1 && _t[from].Kind is SqlTokenKind.String or SqlTokenKind.Number)
        {
            result.Add(_t[from].Value);
            return;
        }
        if (to - from >= 1 && _t[from].IsWord("ARRAY")) from++;
        if (to - from >= 2 && _t[from].Kind is SqlTokenKind.LeftBracket or SqlTokenKind.LeftParen && _t[to - 1].Kind is SqlTokenKind.RightBracket or SqlTokenKind.RightParen)
        {
            for (var i = from + 1; i < to - 1; i++)
            {
                if (_t[i].Kind is SqlTokenKind.String or SqlTokenKind.Number) result.Add(_t[i].Value);
                else if (_t[i].Kind != SqlTokenKind.Comma) return;
            }
        }
    }

    /// <summary>VALUES (..), (..) used as a table (Spark allows it without parentheses around the whole).</summary>
    private void SkipValuesRows(Scope scope)
    {
        while (true)
        {
            if (Cur.Kind == SqlTokenKind.LeftParen) ParseParenGroup(scope);
            else if (Cur.Kind is SqlTokenKind.String or SqlTokenKind.Number or SqlTokenKind.Parameter) Advance();
            else break;
            if (Cur.Kind == SqlTokenKind.Comma && Peek(1).Kind is SqlTokenKind.LeftParen or SqlTokenKind.String or SqlTokenKind.Number or SqlTokenKind.Parameter) Advance();
            else break;
        }
    }

    /// <summary>LATERAL VIEW [OUTER] fn(args) alias [AS] col [, col]*: a generator over the row, not a table.</summary>
    private void SkipLateralView(Scope scope)
    {
        Advance();
        Advance();
        Accept("OUTER");
        if (IsNameToken(Cur)) ParseName();
        if (Cur.Kind == SqlTokenKind.LeftParen) ParseParenGroup(scope);
        if (Cur.IsIdentifier && !CurIs("AS") && !IsLateralViewEnd(Cur)) Advance();
        Accept("AS");
        if (Cur.IsIdentifier && !IsLateralViewEnd(Cur))
        {
            Advance();
            // Hive and Spark read the comma list greedily as column names.
            while (Cur.Kind == SqlTokenKind.Comma && Peek(1).IsIdentifier && !IsLateralViewEnd(Peek(1)))
            {
                Advance();
                Advance();
            }
        }
    }

    private static bool IsLateralViewEnd(SqlToken t) => t.Kind == SqlTokenKind.Word && (FromListStops.Contains(Upper(t)) && !t.IsWord("AS"));

    /// <summary>FOR SYSTEM_TIME AS OF expr, VERSION AS OF n, TIMESTAMP AS OF '...': skipped up to the end of the expression.</summary>
    private void SkipTimeTravel(Scope scope)
    {
        while (!IsEnd(Cur) && !CurIs("OF")) Advance();
        Accept("OF");
        var expectOperand = true;
        while (true)
        {
            var t = Cur;
            if (t.Kind is SqlTokenKind.String or SqlTokenKind.Number or SqlTokenKind.Parameter)
            {
                Advance();
                expectOperand = false;
            }
            else if (t.Kind == SqlTokenKind.LeftParen)
            {
                ParseParenGroup(scope);
                expectOperand = false;
            }
            else if (t.Kind == SqlTokenKind.Operator)
            {
                Advance();
                expectOperand = true;
            }
            else if (t.Kind == SqlTokenKind.Word && (t.IsWord("TIMESTAMP") || t.IsWord("DATE") || t.IsWord("INTERVAL") || t.IsWord("TIME")))
            {
                Advance();
            }
            else if (t.Kind == SqlTokenKind.Word && !expectOperand && IsTimeUnit(t))
            {
                Advance();
            }
            else if (t.Kind == SqlTokenKind.Word && expectOperand && !FromListStops.Contains(Upper(t)))
            {
                Advance();
                if (Cur.Kind == SqlTokenKind.LeftParen) ParseParenGroup(scope);
                expectOperand = false;
            }
            else
            {
                break;
            }
        }
    }

    private static bool IsTimeUnit(SqlToken t) => Upper(t).TrimEnd('S') is "DAY" or "HOUR" or "MINUTE" or "SECOND" or "MONTH" or "YEAR" or "WEEK" or "MILLISECOND";

    /// <summary>SELECT ... INTO [TEMP|TEMPORARY|UNLOGGED] [TABLE] t: PostgreSQL's table-creating SELECT.</summary>
    private void ParseSelectInto()
    {
        var temporary = false;
        while (CurIs("TEMP") || CurIs("TEMPORARY") || CurIs("UNLOGGED") || CurIs("TABLE"))
        {
            temporary |= CurIs("TEMP") || CurIs("TEMPORARY");
            Advance();
        }
        if (CurIs("OUTFILE") || CurIs("DUMPFILE"))
        {
            Advance();
            if (Cur.Kind == SqlTokenKind.String)
            {
                AddWrite(PathReference(Cur));
                Advance();
            }
            return;
        }
        if (ParseName() is { } name)
        {
            AddWrite(MakeReference(name, temporary: temporary));
            _selectInto = true;
        }
    }
}
