namespace Gleitzeit.Core.Persistence;

/// <summary>
/// The query side of a store, for people and tools rather than the engine: runs listed and filtered, task results by
/// task id or workflow name, statistics, each run's history of transitions, and purging old runs.
/// </summary>
public interface IWorkflowHistory
{
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
