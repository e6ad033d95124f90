using System.Text.Json.Nodes;
using Gleitzeit.Core.Protocol;

namespace Gleitzeit.Core.Execution;

/// <summary>Something that happened in a run, as streamed by <see cref="ExecutionEngine.WatchAsync"/>.</summary>
public abstract record WorkflowEvent(string WorkflowId, DateTimeOffset Timestamp);

public sealed record WorkflowStarted(string WorkflowId, DateTimeOffset Timestamp, string Name, int TaskCount) : WorkflowEvent(WorkflowId, Timestamp);

public sealed record TaskQueued(string WorkflowId, DateTimeOffset Timestamp, string TaskId) : WorkflowEvent(WorkflowId, Timestamp);

public sealed record TaskStarted(string WorkflowId, DateTimeOffset Timestamp, string TaskId, int Attempt) : WorkflowEvent(WorkflowId, Timestamp);

/// <summary>A streamed token or output line of a running task. Not stored.</summary>
public sealed record TaskProgress(string WorkflowId, DateTimeOffset Timestamp, string TaskId, TaskProgressKind Kind, string Text) : WorkflowEvent(WorkflowId, Timestamp);

public sealed record TaskRetrying(string WorkflowId, DateTimeOffset Timestamp, string TaskId, int NextAttempt, TimeSpan Delay, GleitzeitError Error) : WorkflowEvent(WorkflowId, Timestamp);

public sealed record TaskCompleted(string WorkflowId, DateTimeOffset Timestamp, string TaskId, JsonNode? Result, int Attempts, TimeSpan Duration) : WorkflowEvent(WorkflowId, Timestamp);

public sealed record TaskFailed(string WorkflowId, DateTimeOffset Timestamp, string TaskId, GleitzeitError Error, int Attempts) : WorkflowEvent(WorkflowId, Timestamp);

/// <summary>A task that will not run: a dependency failed (TASK_DEPENDENCY_FAILED) or the run was cancelled (TASK_CANCELLED).</summary>
public sealed record TaskSkipped(string WorkflowId, DateTimeOffset Timestamp, string TaskId, GleitzeitError Error) : WorkflowEvent(WorkflowId, Timestamp);

public sealed record WorkflowCompleted(string WorkflowId, DateTimeOffset Timestamp, WorkflowStatus Status, GleitzeitError? Error, TimeSpan Duration) : WorkflowEvent(WorkflowId, Timestamp);
