using Gateway.Protocol.Sql;
namespace Gateway.Router.Sql;

// A permissive recursive-descent reader over tokens: it does not validate SQL, it follows just enough structure
// (statements, WITH, FROM/JOIN, parentheses) to know where table names are. Every loop consumes a token or
// returns, and nesting is bounded, so any input terminates.
internal sealed partial class StatementParser
{
    private readonly string _sql;
    private readonly SqlDialect _d;
    private readonly List<SqlToken> _t = [];
    private readonly List<SqlToken> _hints = [];
    private readonly SqlToken _eof;
    private int _p;
    private int _depth;

    private readonly List<TableReference> _reads = [];
    private readonly List<TableReference> _readSites = [];
    private readonly List<TableReference> _writes = [];
    private readonly HashSet<string> _readKeys = new(StringComparer.Ordinal);
    private readonly HashSet<string> _writeKeys = new(StringComparer.Ordinal);
    private readonly List<string> _ctes = [];
    private readonly List<string> _problems = [];

    private StatementKind _kind = StatementKind.Unknown;
    private string _verb = "";
    private bool _isWrite;
    private bool _ctas;
    private bool _scansTargets;
    private bool _explain;
    private bool _explainRouting;
    private string? _innerStatement;
    private string? _streamingReason;
    private string? _settingKey;
    private string? _settingValue;
    private IReadOnlyList<string>? _useTarget;
    private bool _multiInsert;
    private bool _selectInto;

    public StatementParser(string sql, SqlDialect dialect)
    {
        _sql = sql;
        _d = dialect;
        _eof = new SqlToken(SqlTokenKind.Semicolon, sql.Length, 0, "");
        foreach (var token in SqlLexer.Tokenize(sql, dialect))
        {
            if (token.IsUnterminated) AddProblem(token.Kind switch
            {
                SqlTokenKind.Comment or SqlTokenKind.Hint => "unterminated comment",
                SqlTokenKind.QuotedIdentifier => "unterminated quoted identifier",
                SqlTokenKind.Parameter => "unterminated variable reference",
                _ => "unterminated string literal",
            });
            if (token.Kind == SqlTokenKind.Hint) _hints.Add(token);
            else if (token.Kind != SqlTokenKind.Comment) _t.Add(token);
        }
    }

    public StatementAnalysis Run()
    {
        var failed = false;
        try
        {
            ParseStatements();
        }
        catch (NestingTooDeepException)
        {
            failed = true;
            _problems.Insert(0, $"nesting deeper than {StatementAnalyzer.MaxNesting} levels");
        }
        var (engineHint, streamingHint) = ReadHints();
        if (!failed) DetectStreamingSyntax();
        if (streamingHint && _streamingReason is null) _streamingReason = "/*+ STREAMING */ hint";
        var kind = _kind;
        if (_streamingReason is not null && kind is StatementKind.Query or StatementKind.Dml or StatementKind.Ddl or StatementKind.Streaming) kind = StatementKind.Streaming;
        else if (kind != StatementKind.Streaming) _streamingReason = null;
        return new StatementAnalysis
        {
            Text = _sql,
            Dialect = _d,
            Kind = kind,
            Verb = _verb,
            IsWrite = _isWrite,
            IsCreateAsSelect = _ctas,
            ScansWriteTargets = _scansTargets && _writes.Count > 0,
            IsExplain = _explain,
            IsExplainRouting = _explainRouting,
            InnerStatement = _innerStatement,
            Reads = _reads,
            ReadSites = _readSites,
            Writes = _writes,
            CteNames = _ctes,
            EngineHint = engineHint,
            StreamingReason = kind == StatementKind.Streaming ? _streamingReason : null,
            SettingKey = _settingKey,
            SettingValue = _settingValue,
            UseTarget = _useTarget,
            Status = failed ? AnalysisStatus.Failed : _problems.Count > 0 ? AnalysisStatus.Ambiguous : AnalysisStatus.Complete,
            StatusReason = _problems.Count > 0 ? string.Join("; ", _problems.Distinct(StringComparer.Ordinal)) : null,
        };
    }

    private void ParseStatements()
    {
        var count = 0;
        StatementKind firstKind = default;
        var firstVerb = "";
        while (true)
        {
            while (_p < _t.Count && _t[_p].Kind == SqlTokenKind.Semicolon) _p++;
            if (_p >= _t.Count) break;
            count++;
            ParseStatement(EmptyScope);
            if (count == 1)
            {
                firstKind = _kind;
                firstVerb = _verb;
            }
            // Whatever a statement parser left (it stops at what it does not understand) belongs to this statement.
            while (_p < _t.Count && _t[_p].Kind != SqlTokenKind.Semicolon)
            {
                if (Cur.Kind == SqlTokenKind.LeftParen) ParseParenGroup(EmptyScope);
                else _p++;
            }
        }
        if (count == 0)
        {
            AddProblem("empty statement");
            return;
        }
        if (count > 1)
        {
            _kind = firstKind;
            _verb = firstVerb;
            AddProblem($"{count} statements in one request");
        }
    }

    // ---- tokens ----

    private SqlToken Cur => _p < _t.Count ? _t[_p] : _eof;

    private SqlToken Peek(int k)
    {
        var i = _p + k;
        return i >= 0 && i < _t.Count ? _t[i] : _eof;
    }

    private void Advance()
    {
        if (_p < _t.Count) _p++;
    }

    private bool CurIs(string keyword) => Cur.IsWord(keyword);

    private bool Accept(string keyword)
    {
        if (!Cur.IsWord(keyword)) return false;
        _p++;
        return true;
    }

    private bool AcceptAll(params ReadOnlySpan<string> keywords)
    {
        for (var k = 0; k < keywords.Length; k++)
        {
            if (!Peek(k).IsWord(keywords[k])) return false;
        }
        _p += keywords.Length;
        return true;
    }

    private static bool IsEnd(SqlToken t) => t.Kind == SqlTokenKind.Semicolon;

    private static string Upper(SqlToken t) => t.Kind == SqlTokenKind.Word ? t.Value.ToUpperInvariant() : "";

    private void Enter()
    {
        if (++_depth > StatementAnalyzer.MaxNesting) throw new NestingTooDeepException();
    }

    private void Exit() => _depth--;

    private void AddProblem(string problem) => _problems.Add(problem);

    private void SetKind(StatementKind kind, string verb, bool write = false)
    {
        _kind = kind;
        _verb = verb;
        _isWrite |= write;
    }

    /// <summary>Past the parenthesis group that starts at <paramref name="i"/> (or the end of the statement if it is not closed).</summary>
    private int SkipBalanced(int i)
    {
        var depth = 0;
        for (; i < _t.Count; i++)
        {
            var k = _t[i].Kind;
            if (k == SqlTokenKind.LeftParen) depth++;
            else if (k == SqlTokenKind.RightParen && --depth <= 0) return i + 1;
            else if (k == SqlTokenKind.Semicolon) return i;
        }
        return i;
    }

    // ---- names ----

    private readonly record struct NamePart(string Value, bool Quoted, bool Variable);

    private sealed record ParsedName(List<NamePart> Parts, int Start, int End);

    private static bool IsNameToken(SqlToken t) => t.IsIdentifier || t.Kind == SqlTokenKind.Parameter && t.Value.StartsWith('$');

    /// <summary>ident ( . ident )*, where ident is a word, a quoted identifier or an unsubstituted ${var}.</summary>
    private ParsedName? ParseName()
    {
        if (!IsNameToken(Cur)) return null;
        var parts = new List<NamePart>();
        var start = Cur.Start;
        var end = Cur.End;
        while (true)
        {
            var t = Cur;
            parts.Add(new(t.Value, t.Kind == SqlTokenKind.QuotedIdentifier, t.Kind == SqlTokenKind.Parameter));
            end = t.End;
            Advance();
            if (Cur.Kind == SqlTokenKind.Dot && IsNameToken(Peek(1))) Advance();
            else break;
        }
        return new ParsedName(parts, start, end);
    }

    private static readonly HashSet<string> FileFormats = new(StringComparer.OrdinalIgnoreCase)
    {
        "parquet", "orc", "json", "csv", "text", "avro", "delta", "binaryfile", "iceberg", "hudi", "xml",
    };

    private TableReference MakeReference(ParsedName name, TableReferenceKind kind = TableReferenceKind.Table, bool temporary = false)
    {
        foreach (var part in name.Parts)
        {
            if (part.Variable) AddProblem($"name {_sql[name.Start..name.End]} uses an unsubstituted variable");
        }
        // Spark's file sources: parquet.`/data/events` names files, not a table.
        if (kind == TableReferenceKind.Table && name.Parts.Count == 2 && !name.Parts[0].Quoted && name.Parts[1].Quoted
            && FileFormats.Contains(name.Parts[0].Value) && LooksLikePath(name.Parts[1].Value))
        {
            return new TableReference(TableReferenceKind.Path, [name.Parts[1].Value], name.Start, name.End - name.Start)
            {
                Format = name.Parts[0].Value.ToLowerInvariant(),
                Temporary = temporary,
            };
        }
        var folded = new string[name.Parts.Count];
        for (var i = 0; i < folded.Length; i++) folded[i] = _d.Fold(name.Parts[i].Value, name.Parts[i].Quoted);
        return new TableReference(kind, folded, name.Start, name.End - name.Start) { Temporary = temporary };
    }

    private static bool LooksLikePath(string s) => s.Contains('/', StringComparison.Ordinal) || s.Contains('\\', StringComparison.Ordinal) || s.Contains(':', StringComparison.Ordinal);

    private TableReference PathReference(SqlToken literal, string? format = null) =>
        new(TableReferenceKind.Path, [literal.Value], literal.Start, literal.Length) { Format = format };

    private void AddRead(TableReference reference, Scope scope)
    {
        if (reference.Kind == TableReferenceKind.Table && reference.Parts.Count == 1 && scope.Contains(reference.Parts[0])) return;
        _readSites.Add(reference);
        if (_readKeys.Add(reference.Key)) _reads.Add(reference);
    }

    private void AddWrite(TableReference reference)
    {
        if (_writeKeys.Add(reference.Key)) _writes.Add(reference);
        _isWrite = true;
    }

    private sealed class NestingTooDeepException : Exception
    {
    }
}

/// <summary>CTE names visible at a point of the statement (folded).</summary>
internal sealed class Scope
{
    private readonly HashSet<string> _names;

    public Scope(IEnumerable<string> names) => _names = new HashSet<string>(names, StringComparer.Ordinal);

    public bool Contains(string name) => _names.Count > 0 && _names.Contains(name);

    public Scope With(IEnumerable<string> names)
    {
        var s = new Scope(_names);
        foreach (var n in names) s._names.Add(n);
        return s;
    }
}
