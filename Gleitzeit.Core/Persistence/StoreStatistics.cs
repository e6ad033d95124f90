namespace Gleitzeit.Core.Persistence;

/// <summary>Counts and durations over a store.</summary>
public sealed record StoreStatistics
{
    /// <summary>Number of runs stored.</summary>
    public int TotalRuns { get; init; }

    /// <summary>Number of stored runs in each state.</summary>
    public IReadOnlyDictionary<WorkflowStatus, int> RunsByStatus { get; init; } = new Dictionary<WorkflowStatus, int>();

    /// <summary>Number of task states stored, over all runs.</summary>
    public int TotalTasks { get; init; }

    /// <summary>Number of stored tasks in each state.</summary>
    public IReadOnlyDictionary<WorkflowTaskStatus, int> TasksByStatus { get; init; } = new Dictionary<WorkflowTaskStatus, int>();

    /// <summary>Mean duration of finished runs, when any.</summary>
    public TimeSpan? AverageRunDuration { get; init; }

    /// <summary>Mean duration of finished tasks, when any.</summary>
    public TimeSpan? AverageTaskDuration { get; init; }
}
