namespace Gleitzeit.Core.Persistence;

/// <summary>A task's state with the run it belongs to.</summary>
public sealed record StoredTaskResult(string WorkflowId, string WorkflowName, TaskResult Task);
