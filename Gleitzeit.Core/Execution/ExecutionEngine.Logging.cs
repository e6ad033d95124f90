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
}
