namespace Gleitzeit.Core.Execution;

/// <summary>A task's provider is over its rate limit: the task is queued again after <paramref name="Delay"/>, holding no slot meanwhile.</summary>
public sealed record TaskRateLimited(string WorkflowId, DateTimeOffset Timestamp, string TaskId, string Provider, TimeSpan Delay) : WorkflowEvent(WorkflowId, Timestamp);
