using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Gleitzeit.Core;

/// <summary>
/// The <see cref="ActivitySource"/> and <see cref="Meter"/> named by <see cref="GleitzeitDiagnostics"/>, the instruments on
/// them and the attribute names (OpenTelemetry semantic conventions where one exists: durations in seconds,
/// <c>error.type</c>, <c>gen_ai.*</c>). Tag sets stay bounded: methods, provider ids, outcomes, statuses, error codes, models.
/// </summary>
internal static class Diagnostics
{
    public const string WorkflowId = "gleitzeit.workflow.id";
    public const string WorkflowName = "gleitzeit.workflow.name";
    public const string WorkflowStatus = "gleitzeit.workflow.status";
    public const string TaskId = "gleitzeit.task.id";
    public const string TaskMethod = "gleitzeit.task.method";
    public const string TaskAttempt = "gleitzeit.task.attempt";
    public const string TaskOutcome = "gleitzeit.task.outcome";
    public const string Provider = "gleitzeit.provider";
    public const string ErrorType = "error.type";
    public const string GenAiModel = "gen_ai.request.model";
    public const string GenAiTokenType = "gen_ai.token.type";

    private static readonly string? Version = typeof(Diagnostics).Assembly.GetName().Version?.ToString();

    public static readonly ActivitySource ActivitySource = new(GleitzeitDiagnostics.SourceName, Version);

    public static readonly Meter Meter = new(GleitzeitDiagnostics.MeterName, Version);

    public static readonly Counter<long> TasksCompleted = Meter.CreateCounter<long>("gleitzeit.tasks.completed", unit: "{task}", description: "Tasks that completed");

    public static readonly Counter<long> TasksFailed = Meter.CreateCounter<long>("gleitzeit.tasks.failed", unit: "{task}", description: "Tasks that failed for good");

    public static readonly Counter<long> TaskRetries = Meter.CreateCounter<long>("gleitzeit.tasks.retries", unit: "{attempt}", description: "Task attempts scheduled again after a retryable error");

    public static readonly Histogram<double> TaskDuration = Meter.CreateHistogram<double>("gleitzeit.task.duration", unit: "s",
        description: "Duration of one task attempt, by method, provider and outcome", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });

    public static readonly Histogram<double> WorkflowDuration = Meter.CreateHistogram<double>("gleitzeit.workflow.duration", unit: "s",
        description: "Duration of a run in this process, from its start (or resume) to its end, by final status", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });

    public static readonly UpDownCounter<long> TasksActive = Meter.CreateUpDownCounter<long>("gleitzeit.tasks.active", unit: "{task}", description: "Task attempts running now, by provider");

    public static readonly ObservableUpDownCounter<long> TasksQueued = Meter.CreateObservableUpDownCounter("gleitzeit.tasks.queued", Execution.ExecutionEngine.QueuedTasks,
        unit: "{task}", description: "Tasks ready to run and waiting for a free slot in this process's engines");

    public static readonly Counter<long> LlmTokens = Meter.CreateCounter<long>("gleitzeit.llm.tokens", unit: "{token}", description: "Tokens used by LLM tasks, by model and token type (input, output)");

    public static readonly Counter<long> WorkflowsFinished = Meter.CreateCounter<long>("gleitzeit.workflows.finished", unit: "{run}", description: "Runs that finished, by status");

    // Seconds; from 5 ms (a cached or trivial task) to 10 minutes (a long LLM generation or a whole run).
    private static IReadOnlyList<double> DurationBuckets => [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
}
