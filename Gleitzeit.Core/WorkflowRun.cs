using System.Text.Json.Nodes;

namespace Gleitzeit.Core;

/// <summary>The state of one execution of a workflow.</summary>
public sealed record WorkflowRun
{
    public required string WorkflowId { get; init; }

    public required string Name { get; init; }

    public WorkflowStatus Status { get; init; }

    /// <summary>Task id to state, in definition order.</summary>
    public IReadOnlyDictionary<string, TaskResult> Tasks { get; init; } = new Dictionary<string, TaskResult>();

    /// <summary>The definition this run executes (kept by durable stores so a run can be resumed).</summary>
    public Workflow? Workflow { get; init; }

    /// <summary>Input values of this run (defaults merged with the caller's).</summary>
    public IReadOnlyDictionary<string, JsonNode?> Inputs { get; init; } = new Dictionary<string, JsonNode?>();

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset? StartedAt { get; init; }

    public DateTimeOffset? CompletedAt { get; init; }

    /// <summary>Why the run failed or was cancelled, when it did.</summary>
    public GleitzeitError? Error { get; init; }

    public TimeSpan? Duration => StartedAt is { } s && CompletedAt is { } c ? c - s : null;

    /// <summary>Completed, failed or cancelled: nothing more will run. Pending, running and interrupted runs are not finished.</summary>
    public bool IsFinished => Status is WorkflowStatus.Completed or WorkflowStatus.Failed or WorkflowStatus.Cancelled;

    /// <summary>The result of a task, or null when it has none (yet).</summary>
    public JsonNode? GetResult(string taskId) => Tasks.TryGetValue(taskId, out var t) ? t.Result : null;
}
