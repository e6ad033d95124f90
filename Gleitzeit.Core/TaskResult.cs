using System.Text.Json.Nodes;

namespace Gleitzeit.Core;

/// <summary>The state and outcome of one task in one run. Immutable: each transition is a new value.</summary>
public sealed record TaskResult
{
    /// <summary>The id of the task this state belongs to.</summary>
    public required string TaskId { get; init; }

    /// <summary>The task's current state.</summary>
    public WorkflowTaskStatus Status { get; init; }

    /// <summary>The task's result once it completed; null before.</summary>
    public JsonNode? Result { get; init; }

    /// <summary>Why the task failed; null unless it failed (or was skipped or cancelled with a reason).</summary>
    public GleitzeitError? Error { get; init; }

    /// <summary>Attempts started so far (1 on the first run).</summary>
    public int Attempts { get; init; }

    /// <summary>When the task's first attempt started.</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>When the task reached a final state.</summary>
    public DateTimeOffset? CompletedAt { get; init; }

    /// <summary>True when the result was served from the result cache (<c>cache:</c>) instead of calling the provider.</summary>
    public bool Cached { get; init; }

    /// <summary>For a <c>loop</c> task, the iteration now running or last run (1-based); 0 for other tasks.</summary>
    public int Iteration { get; init; }

    /// <summary>For a <c>loop</c> task, every finished iteration in order; empty for other tasks.</summary>
    public IReadOnlyList<TaskIteration> History { get; init; } = [];

    /// <summary>Time from start to finish; null until both are known.</summary>
    public TimeSpan? Duration => StartedAt is { } s && CompletedAt is { } c ? c - s : null;

    /// <summary>The state of a task that has not been queued yet.</summary>
    public static TaskResult Pending(string taskId) => new() { TaskId = taskId, Status = WorkflowTaskStatus.Pending };
}
