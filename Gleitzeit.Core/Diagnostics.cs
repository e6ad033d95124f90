using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Gleitzeit.Core;

/// <summary>The <see cref="ActivitySource"/> and <see cref="Meter"/> named <c>Gleitzeit</c>, and the instruments on them.</summary>
internal static class Diagnostics
{
    public const string Name = "Gleitzeit";

    public static readonly ActivitySource ActivitySource = new(Name, typeof(Diagnostics).Assembly.GetName().Version?.ToString());

    public static readonly Meter Meter = new(Name, typeof(Diagnostics).Assembly.GetName().Version?.ToString());

    public static readonly Counter<long> TasksCompleted = Meter.CreateCounter<long>("gleitzeit.tasks.completed", description: "Tasks that completed");

    public static readonly Counter<long> TasksFailed = Meter.CreateCounter<long>("gleitzeit.tasks.failed", description: "Tasks that failed for good");

    public static readonly Counter<long> TaskRetries = Meter.CreateCounter<long>("gleitzeit.tasks.retries", description: "Task attempts scheduled again after a retryable error");

    public static readonly Histogram<double> TaskDuration = Meter.CreateHistogram<double>("gleitzeit.task.duration", unit: "ms", description: "Duration of one task attempt");

    public static readonly Counter<long> WorkflowsFinished = Meter.CreateCounter<long>("gleitzeit.workflows.finished", description: "Runs that finished, by status");
}
