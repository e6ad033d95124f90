namespace Gleitzeit.Core.Execution;

/// <summary>A task was completed from the result cache (its <see cref="TaskCompleted"/> follows); <paramref name="Key"/> is the cache key.</summary>
public sealed record TaskCacheHit(string WorkflowId, DateTimeOffset Timestamp, string TaskId, string Key) : WorkflowEvent(WorkflowId, Timestamp);
