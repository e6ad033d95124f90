namespace Gleitzeit.Core.Persistence;

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
