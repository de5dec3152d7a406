namespace Gateway.Router.Policy;

/// <summary>One entry of a table rule's <c>columns</c>: a column that cannot be read, or whose values are masked.</summary>
public sealed record ColumnConstraint(string Name, bool Allow, MaskKind? Mask, string? MaskExpression)
{
    public bool IsMasked => Mask is not null;
}
