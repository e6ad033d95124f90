using System.Diagnostics;

namespace Gleitzeit.Core.Pipeline;

/// <summary>
/// The outermost stage: one <c>gleitzeit.task METHOD</c> activity and one duration measurement per attempt, around
/// everything else (so a short-circuiting middleware and a failed reference are seen too). Costs nothing when
/// nobody listens.
/// </summary>
internal sealed class TelemetryStage(TimeProvider time) : ITaskMiddleware
{
    public ValueTask<TaskOutcome> InvokeAsync(TaskContext context, TaskDelegate next)
    {
        if (!Diagnostics.ActivitySource.HasListeners() && !Diagnostics.TaskDuration.Enabled && !Diagnostics.TasksCompleted.Enabled) return next(context);
        return ObservedAsync(context, next);
    }

    private async ValueTask<TaskOutcome> ObservedAsync(TaskContext context, TaskDelegate next)
    {
        using var activity = Diagnostics.ActivitySource.HasListeners() ? Start(context) : null;
        var started = time.GetTimestamp();
        var outcome = await next(context).ConfigureAwait(false);
        Diagnostics.TaskDuration.Record(time.GetElapsedTime(started).TotalMilliseconds);
        switch (outcome.Kind)
        {
            case TaskOutcomeKind.Completed:
                activity?.SetStatus(ActivityStatusCode.Ok);
                Diagnostics.TasksCompleted.Add(1);
                break;
            case TaskOutcomeKind.Failed:
                activity?.SetStatus(ActivityStatusCode.Error, outcome.Error!.Message);
                activity?.SetTag("gleitzeit.error.code", outcome.Error!.CodeName);
                break;
            default:
                activity?.SetStatus(ActivityStatusCode.Error, "cancelled");
                break;
        }
        return outcome;
    }

    private static Activity? Start(TaskContext context)
    {
        var activity = Diagnostics.ActivitySource.StartActivity("gleitzeit.task " + context.Task.Method);
        activity?.SetTag("gleitzeit.workflow.id", context.WorkflowId);
        activity?.SetTag("gleitzeit.workflow.name", context.Workflow.Name);
        activity?.SetTag("gleitzeit.task.id", context.Task.Id);
        activity?.SetTag("gleitzeit.task.method", context.Task.Method);
        activity?.SetTag("gleitzeit.task.attempt", context.Attempt);
        return activity;
    }
}
