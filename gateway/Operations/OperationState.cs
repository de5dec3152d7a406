namespace Gateway.Server.Operations;

/// <summary>Values equal TOperationState's on the wire.</summary>
public enum OperationState
{
    Initialized = 0,
    Running = 1,
    Finished = 2,
    Canceled = 3,
    Closed = 4,
    Error = 5,
    Unknown = 6,
    Pending = 7,
    TimedOut = 8,
}

/// <summary>Values equal TOperationType's on the wire.</summary>
public enum OperationType
{
    ExecuteStatement = 0,
    GetTypeInfo = 1,
    GetCatalogs = 2,
    GetSchemas = 3,
    GetTables = 4,
    GetTableTypes = 5,
    GetColumns = 6,
    GetFunctions = 7,
    Unknown = 8,
}

/// <summary>The legal moves of an operation; anything else is a bug or a race lost, and is refused.</summary>
public static class OperationStateMachine
{
    public static bool IsTerminal(OperationState s) =>
        s is OperationState.Finished or OperationState.Canceled or OperationState.Error or OperationState.TimedOut or OperationState.Closed;

    public static bool CanMove(OperationState from, OperationState to) => from switch
    {
        OperationState.Initialized => to is OperationState.Pending or OperationState.Running or OperationState.Finished or OperationState.Canceled or OperationState.Error or OperationState.TimedOut or OperationState.Closed,
        OperationState.Pending => to is OperationState.Running or OperationState.Finished or OperationState.Canceled or OperationState.Error or OperationState.TimedOut or OperationState.Closed,
        OperationState.Running => to is OperationState.Finished or OperationState.Canceled or OperationState.Error or OperationState.TimedOut or OperationState.Closed,
        // A result that fails while it streams moves from FINISHED to ERROR; a cancel stops its stream.
        OperationState.Finished => to is OperationState.Closed or OperationState.Error or OperationState.Canceled,
        OperationState.Canceled or OperationState.Error or OperationState.TimedOut => to is OperationState.Closed,
        _ => false,
    };
}
