namespace Gateway.Router;

/// <summary>What a statement does, as far as routing cares.</summary>
public enum StatementKind
{
    Query,
    Dml,
    Ddl,
    Metadata,
    SessionCommand,
    Streaming,
    Unknown,
}
