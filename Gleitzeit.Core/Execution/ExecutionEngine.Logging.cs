using Microsoft.Extensions.Logging;

namespace Gleitzeit.Core.Execution;

// The engine's log messages (task failures and retries are the task pipeline's).
public sealed partial class ExecutionEngine
{
    [LoggerMessage(1, LogLevel.Information, "Run {WorkflowId} ({Name}) started with {TaskCount} tasks (resumed: {Resumed})")]
    private partial void LogRunStarted(string workflowId, string name, int taskCount, bool resumed);

    [LoggerMessage(2, LogLevel.Information, "Run {WorkflowId} finished {Status} in {DurationMs} ms")]
    private partial void LogRunFinished(string workflowId, string status, double durationMs);

    [LoggerMessage(5, LogLevel.Error, "Run {WorkflowId}: engine fault at task {TaskId}")]
    private partial void LogEngineFault(string workflowId, string? taskId, Exception exception);

    [LoggerMessage(6, LogLevel.Information, "Run {WorkflowId} stopping: {Reason}")]
    private partial void LogRunStopping(string workflowId, string reason);

    [LoggerMessage(7, LogLevel.Warning, "Run {WorkflowId} could not be resumed: {Message}")]
    private partial void LogResumeFailed(string workflowId, string message);

    [LoggerMessage(8, LogLevel.Error, "Run {WorkflowId}: its lease was taken over by {Owner} (this process did not renew it in time); stopping it here without writing")]
    private partial void LogLeaseLost(string workflowId, string owner);

    [LoggerMessage(9, LogLevel.Warning, "Run {WorkflowId}: the lease could not be renewed or released")]
    private partial void LogLeaseWriteFailed(string workflowId, Exception exception);

    [LoggerMessage(40, LogLevel.Error, "Run {WorkflowId}: the OnEvent handler threw on {EventType}; the run goes on")]
    internal partial void LogEventHandlerFailed(string workflowId, string eventType, Exception exception);

    [LoggerMessage(10, LogLevel.Information, "Run {WorkflowId}: took over the lease of {Owner}, a process on this machine that has ended")]
    private partial void LogLeaseTakenOver(string workflowId, string owner);

    [LoggerMessage(40, LogLevel.Information, "Run {WorkflowId}: task {TaskId} waits for a person ({Method})")]
    private partial void LogTaskWaiting(string workflowId, string taskId, string method);

    [LoggerMessage(41, LogLevel.Information, "Run {WorkflowId}: task {TaskId} decided ({Decision})")]
    private partial void LogTaskAnswered(string workflowId, string taskId, string decision);

    [LoggerMessage(42, LogLevel.Information, "Run {WorkflowId} is waiting: {Count} task(s) wait for a person, nothing else can run")]
    private partial void LogRunWaiting(string workflowId, int count);
}
