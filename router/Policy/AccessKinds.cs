namespace Gateway.Router.Policy;

/// <summary>A table rule's <c>privileges</c>.</summary>
[Flags]
public enum TablePrivileges
{
    None = 0,
    Select = 1,
    Insert = 2,
    Delete = 4,
    Update = 8,
    Ownership = 16,
    GrantSelect = 32,
    All = Select | Insert | Delete | Update | Ownership | GrantSelect,
}

/// <summary>A catalog rule's <c>allow</c>: <c>all</c>, <c>read-only</c> or <c>none</c> (<c>true</c>/<c>false</c> are all/none).</summary>
public enum CatalogAccess
{
    None,
    ReadOnly,
    All,
}

/// <summary>A query rule's <c>allow</c>.</summary>
[Flags]
public enum QueryAccess
{
    None = 0,
    Execute = 1,
    View = 2,
    Kill = 4,
    All = Execute | View | Kill,
}

/// <summary>
/// How a column mask is written: one of the portable masks, rendered per engine dialect, or an SQL expression the
/// policy's author wrote for the engines it runs on.
/// </summary>
public enum MaskKind
{
    /// <summary>The column reads as NULL.</summary>
    Null,

    /// <summary>Every character replaced (strings), the value hidden (others read as NULL).</summary>
    Redact,

    /// <summary>All but the last 4 characters replaced by <c>X</c>.</summary>
    ShowLast4,

    /// <summary>All but the first 4 characters replaced by <c>X</c>.</summary>
    ShowFirst4,

    /// <summary>A hex SHA-256 of the value's text.</summary>
    Hash,

    /// <summary>Dates and timestamps keep their year (January 1st).</summary>
    DateShowYear,

    /// <summary><see cref="ColumnConstraint.MaskExpression"/> as written.</summary>
    Expression,
}
