namespace Gateway.Protocol.Sql;

public enum SqlTokenKind
{
    /// <summary>An unquoted identifier or keyword; Value is the text as written.</summary>
    Word,

    /// <summary>`x`, or "x" where the dialect quotes identifiers that way; Value is the name with its quotes undone.</summary>
    QuotedIdentifier,

    /// <summary>A string literal of any style ('...', "..." in Hive/Spark, r'...', E'...', $$...$$); Value is the decoded text.</summary>
    String,

    Number,

    /// <summary><c>?</c> or an unsubstituted <c>${var}</c>.</summary>
    Parameter,

    /// <summary>Operators, single or multi-character (<c>&lt;=&gt;</c>, <c>::</c>, <c>||</c>, <c>|&gt;</c>, <c>=&gt;</c>...).</summary>
    Operator,

    LeftParen,
    RightParen,
    LeftBracket,
    RightBracket,
    LeftBrace,
    RightBrace,
    Comma,
    Dot,
    Semicolon,

    /// <summary>A <c>/*+ ... */</c> hint comment; Value is the text between <c>/*+</c> and <c>*/</c>.</summary>
    Hint,

    /// <summary>A comment; only produced when asked for, or when it is unterminated.</summary>
    Comment,
}

[Flags]
public enum SqlTokenFlags
{
    None = 0,

    /// <summary>The literal, quoted identifier or comment runs to the end of the input without its closing quote.</summary>
    Unterminated = 1,
}

/// <summary>One token: where it is in the text (UTF-16 offsets) and what it means.</summary>
public readonly record struct SqlToken(SqlTokenKind Kind, int Start, int Length, string Value, SqlTokenFlags Flags = SqlTokenFlags.None)
{
    public int End => Start + Length;
    public bool IsUnterminated => (Flags & SqlTokenFlags.Unterminated) != 0;
    public bool IsIdentifier => Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier;

    /// <summary>An unquoted word equal to <paramref name="keyword"/>, ignoring case.</summary>
    public bool IsWord(string keyword) => Kind == SqlTokenKind.Word && Value.Equals(keyword, StringComparison.OrdinalIgnoreCase);

    public bool IsOperator(string op) => Kind == SqlTokenKind.Operator && Value.Equals(op, StringComparison.Ordinal);
}
