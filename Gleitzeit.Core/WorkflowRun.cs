using System.Text.Json.Nodes;

namespace Gleitzeit.Core;

/// <summary>The state of one execution of a workflow.</summary>
public sealed record WorkflowRun
{
    /// <summary>The run's unique id.</summary>
    public required string WorkflowId { get; init; }

    /// <summary>The name of the workflow run.</summary>
    public required string Name { get; init; }

    /// <summary>The run's current state.</summary>
    public WorkflowStatus Status { get; init; }

    /// <summary>Task id to state, in definition order.</summary>
    public IReadOnlyDictionary<string, TaskResult> Tasks { get; init; } = new Dictionary<string, TaskResult>();

    /// <summary>The definition this run executes (kept by durable stores so a run can be resumed).</summary>
    public Workflow? Workflow { get; init; }

    /// <summary>Input values of this run (defaults merged with the caller's).</summary>
    public IReadOnlyDictionary<string, JsonNode?> Inputs { get; init; } = new Dictionary<string, JsonNode?>();

    /// <summary>When the run was submitted.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When the run started executing; null while it waits.</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>When the run reached a final state; null before.</summary>
    public DateTimeOffset? CompletedAt { get; init; }

    /// <summary>Why the run failed or was cancelled, when it did.</summary>
    public GleitzeitError? Error { get; init; }

    /// <summary>The run that started this one through a <c>workflow/run</c> task, or null for a run of its own.</summary>
    public string? ParentId { get; init; }

    /// <summary>
    /// The workflow's <c>outputs:</c>, resolved against the tasks' results: filled once the run completed (empty before,
    /// and for a run that failed or was cancelled). A reference to a task that did not complete (skipped) is null.
    /// </summary>
    public IReadOnlyDictionary<string, JsonNode?> Outputs =>
        Status == WorkflowStatus.Completed && Workflow is { Outputs.Count: > 0 } w
            ? Execution.RunReferences.ResolveOutputs(w, Tasks, Inputs, strict: false)
            : NoOutputs;

    private static readonly IReadOnlyDictionary<string, JsonNode?> NoOutputs = new Dictionary<string, JsonNode?>();

    /// <summary>The run this one retries, when it was started by <see cref="Execution.ExecutionEngine.RetryAsync"/> (<c>retry_of</c> in --json).</summary>
    public string? RetryOf => Workflow?.RetryOf;

    /// <summary>Tokens spent by this run's LLM tasks (the sum of their results' <c>usage</c>), in total and by model; results served from the cache spent nothing and are not counted.</summary>
    public RunUsage Usage => RunUsage.FromResults(Tasks.Values.Where(t => !t.Cached).Select(t => t.Result));

    /// <summary>Time from start to finish; null until both are known.</summary>
    public TimeSpan? Duration => StartedAt is { } s && CompletedAt is { } c ? c - s : null;

    /// <summary>Completed, failed or cancelled: nothing more will run. Pending, running and interrupted runs are not finished.</summary>
    public bool IsFinished => Status is WorkflowStatus.Completed or WorkflowStatus.Failed or WorkflowStatus.Cancelled;

    /// <summary>The result of a task, or null when it has none (yet).</summary>
    public JsonNode? GetResult(string taskId) => Tasks.TryGetValue(taskId, out var t) ? t.Result : null;

    /// <summary>
    /// Returns this run when it completed; otherwise throws a <see cref="GleitzeitException"/> whose message names
    /// each task that failed, was skipped or was cancelled, with its error (and the run's own error, such as a timeout).
    /// The exception's <see cref="GleitzeitException.ErrorData"/> holds the same as JSON (<c>workflow_id</c>,
    /// <c>status</c>, <c>tasks[]</c> of <c>task_id</c>, <c>status</c>, <c>error</c>).
    /// </summary>
    /// <example><c>var run = (await engine.RunAsync(workflow)).EnsureSucceeded();</c></example>
    public WorkflowRun EnsureSucceeded()
    {
        if (Status == WorkflowStatus.Completed) return this;

        var unsuccessful = Tasks.Values
            .Where(t => t.Status is WorkflowTaskStatus.Failed or WorkflowTaskStatus.Skipped or WorkflowTaskStatus.Cancelled)
            .ToList();
        var failed = unsuccessful.Count(t => t.Status == WorkflowTaskStatus.Failed);
        var summary = Status switch
        {
            WorkflowStatus.Failed => $"failed: {failed} of {Tasks.Count} task{(Tasks.Count == 1 ? "" : "s")} failed",
            WorkflowStatus.Cancelled => "was cancelled",
            _ => $"has not finished (status {Status.ToString().ToLowerInvariant()})",
        };
        var lines = new List<string> { $"Workflow '{Name}' ({WorkflowId}) {summary}." };
        // The engine's WORKFLOW_EXECUTION_FAILED only summarises the task errors listed below; other run errors (a timeout) say more.
        if (Error is { Code: not GleitzeitErrorCode.WorkflowExecutionFailed } runError) lines.Add($"  run: {runError.CodeName}: {runError.Message}");
        foreach (var task in unsuccessful)
        {
            var status = task.Status.ToString().ToLowerInvariant();
            lines.Add(task.Error is { } e ? $"  task '{task.TaskId}' {status}: {e.CodeName}: {e.Message}" : $"  task '{task.TaskId}' {status}");
        }

        var data = new JsonObject
        {
            ["workflow_id"] = WorkflowId,
            ["status"] = Status.ToString().ToLowerInvariant(),
            ["tasks"] = new JsonArray(unsuccessful.Select(t => (JsonNode)new JsonObject
            {
                ["task_id"] = t.TaskId,
                ["status"] = t.Status.ToString().ToLowerInvariant(),
                ["error"] = t.Error?.ToJson(),
            }).ToArray()),
        };
        if (Error is not null) data["error"] = Error.ToJson();
        var code = Error?.Code ?? (Status == WorkflowStatus.Cancelled ? GleitzeitErrorCode.WorkflowCancelled : GleitzeitErrorCode.WorkflowExecutionFailed);
        throw new GleitzeitException(code, string.Join(Environment.NewLine, lines), data: data);
    }
}
