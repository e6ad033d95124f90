namespace Gleitzeit.Core.Persistence;

/// <summary>
/// Keeps workflow runs: their definitions, every task transition with its result, and the history of transitions.
/// The engine writes through it at every transition and awaits the write before a dependent task starts, so a durable
/// store lets <see cref="Execution.ExecutionEngine.ResumeAsync"/> continue a run after a crash.
/// One conformance suite (tests/Gleitzeit.Testing) states this contract for every implementation.
/// </summary>
public interface IWorkflowStore
{
    /// <summary>Records a new run: its definition (<see cref="WorkflowRun.Workflow"/>), inputs and initial task states.
    /// Throws WORKFLOW_ALREADY_EXISTS when the id is taken.</summary>
    ValueTask CreateRunAsync(WorkflowRun run, CancellationToken cancellationToken = default);

    /// <summary>Records a run's status change (and when it started or ended, and why it failed).</summary>
    ValueTask UpdateRunStatusAsync(string workflowId, WorkflowStatus status, DateTimeOffset timestamp, GleitzeitError? error = null, CancellationToken cancellationToken = default);

    /// <summary>Records a task transition (state, result, error, attempts, times); appends it to the run's history.</summary>
    ValueTask SaveTaskAsync(string workflowId, TaskResult task, CancellationToken cancellationToken = default);

    /// <summary>Records several task transitions of one run at once (one transaction where the store has them).</summary>
    ValueTask SaveTasksAsync(string workflowId, IReadOnlyList<TaskResult> tasks, CancellationToken cancellationToken = default);

    /// <summary>The run with its definition and every task's latest state, or null.</summary>
    ValueTask<WorkflowRun?> GetRunAsync(string workflowId, CancellationToken cancellationToken = default);

    /// <summary>Runs, newest first, filtered as the query says.</summary>
    ValueTask<IReadOnlyList<WorkflowRunSummary>> ListRunsAsync(RunQuery? query = null, CancellationToken cancellationToken = default);

    /// <summary>A task's latest state: in the given run, or the newest run that has a task with that id.</summary>
    ValueTask<StoredTaskResult?> GetTaskResultAsync(string taskId, string? workflowId = null, CancellationToken cancellationToken = default);

    /// <summary>Task results of every run of the workflow with that name, newest run first.</summary>
    ValueTask<IReadOnlyList<StoredTaskResult>> GetResultsByWorkflowNameAsync(string workflowName, CancellationToken cancellationToken = default);

    /// <summary>Counts by status and durations over everything stored.</summary>
    ValueTask<StoreStatistics> GetStatisticsAsync(CancellationToken cancellationToken = default);

    /// <summary>The run's history of transitions, oldest first.</summary>
    ValueTask<IReadOnlyList<StoredEvent>> GetEventsAsync(string workflowId, CancellationToken cancellationToken = default);

    /// <summary>Removes finished runs (completed, failed, cancelled) that ended before <paramref name="olderThan"/>, with all their data. Returns how many.</summary>
    ValueTask<int> PurgeAsync(DateTimeOffset olderThan, CancellationToken cancellationToken = default);
}

/// <summary>A filter for <see cref="IWorkflowStore.ListRunsAsync"/>.</summary>
public sealed record RunQuery
{
    /// <summary>Only runs in one of these states (any when empty).</summary>
    public IReadOnlyList<WorkflowStatus> Statuses { get; init; } = [];

    /// <summary>Only runs of the workflow with exactly this name.</summary>
    public string? Name { get; init; }

    public int Limit { get; init; } = 100;

    public int Offset { get; init; }
}

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

/// <summary>A task's state with the run it belongs to.</summary>
public sealed record StoredTaskResult(string WorkflowId, string WorkflowName, TaskResult Task);

/// <summary>One transition in a run's history. <see cref="TaskId"/> is null for a run-level transition.</summary>
public sealed record StoredEvent(string WorkflowId, string? TaskId, string Status, DateTimeOffset Timestamp, int Attempt = 0, GleitzeitError? Error = null);

/// <summary>Counts and durations over a store.</summary>
public sealed record StoreStatistics
{
    public int TotalRuns { get; init; }

    public IReadOnlyDictionary<WorkflowStatus, int> RunsByStatus { get; init; } = new Dictionary<WorkflowStatus, int>();

    public int TotalTasks { get; init; }

    public IReadOnlyDictionary<WorkflowTaskStatus, int> TasksByStatus { get; init; } = new Dictionary<WorkflowTaskStatus, int>();

    /// <summary>Mean duration of finished runs, when any.</summary>
    public TimeSpan? AverageRunDuration { get; init; }

    /// <summary>Mean duration of finished tasks, when any.</summary>
    public TimeSpan? AverageTaskDuration { get; init; }
}
