using System.Text.Json.Nodes;

namespace Gleitzeit.Core;

/// <summary>The state and outcome of one task in one run. Immutable: each transition is a new value.</summary>
public sealed record TaskResult
{
    public required string TaskId { get; init; }

    public WorkflowTaskStatus Status { get; init; }

    public JsonNode? Result { get; init; }

    public GleitzeitError? Error { get; init; }

    /// <summary>Attempts started so far (1 on the first run).</summary>
    public int Attempts { get; init; }

    public DateTimeOffset? StartedAt { get; init; }

    public DateTimeOffset? CompletedAt { get; init; }

    /// <summary>For a <c>loop</c> task, the iteration now running or last run (1-based); 0 for other tasks.</summary>
    public int Iteration { get; init; }

    /// <summary>For a <c>loop</c> task, every finished iteration in order; empty for other tasks.</summary>
    public IReadOnlyList<TaskIteration> History { get; init; } = [];

    public TimeSpan? Duration => StartedAt is { } s && CompletedAt is { } c ? c - s : null;

    public static TaskResult Pending(string taskId) => new() { TaskId = taskId, Status = WorkflowTaskStatus.Pending };
}
