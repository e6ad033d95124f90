namespace Gleitzeit.Core.Persistence;

/// <summary>One line of a run listing.</summary>
public sealed record WorkflowRunSummary(
    string WorkflowId,
    string Name,
    WorkflowStatus Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? CompletedAt,
    int TaskCount,
    int CompletedTasks,
    int FailedTasks);
