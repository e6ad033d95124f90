namespace Gleitzeit.Core.Execution;

/// <summary>The run is <see cref="WorkflowStatus.Waiting"/>: no task can run until a person answers one of
/// <paramref name="TaskIds"/>. Stored so; the process may exit and any process may answer.</summary>
/// <param name="WorkflowId">The run.</param>
/// <param name="Timestamp">When the run started waiting.</param>
/// <param name="TaskIds">The tasks waiting for an answer.</param>
public sealed record WorkflowWaiting(string WorkflowId, DateTimeOffset Timestamp, IReadOnlyList<string> TaskIds) : WorkflowEvent(WorkflowId, Timestamp);
