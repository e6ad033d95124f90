namespace Gleitzeit.Core.Persistence;

/// <summary>One transition in a run's history. <see cref="TaskId"/> is null for a run-level transition.</summary>
public sealed record StoredEvent(string WorkflowId, string? TaskId, string Status, DateTimeOffset Timestamp, int Attempt = 0, GleitzeitError? Error = null);
