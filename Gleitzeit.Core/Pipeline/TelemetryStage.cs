using System.Diagnostics;

namespace Gleitzeit.Core.Pipeline;

/// <summary>
/// The outermost stage: one <c>gleitzeit.task METHOD</c> activity, one duration measurement and the active-task count per
/// attempt, around everything else (so a short-circuiting middleware and a failed reference are seen too). The activity
/// is a child of <see cref="TaskContext.TraceParent"/> when it is set (a Redis worker passes the run's trace context read
/// from the stream entry), else of the current one (the run's, which the engine makes current for task work).
/// Allocates nothing when nobody listens.
/// </summary>
internal sealed class TelemetryStage(TimeProvider time) : ITaskMiddleware
{
    public ValueTask<TaskOutcome> InvokeAsync(TaskContext context, TaskDelegate next)
    {
        if (!Diagnostics.ActivitySource.HasListeners() && !Diagnostics.TaskDuration.Enabled && !Diagnostics.TasksCompleted.Enabled && !Diagnostics.TasksActive.Enabled)
        {
            return next(context);
        }
        return ObservedAsync(context, next);
    }

    private async ValueTask<TaskOutcome> ObservedAsync(TaskContext context, TaskDelegate next)
    {
        using var activity = Diagnostics.ActivitySource.HasListeners() ? Start(context) : null;
        var started = time.GetTimestamp();
        // Counted down only if counted up: a listener attaching mid-attempt must not see the count go below zero.
        var active = Diagnostics.TasksActive.Enabled;
        if (active) Diagnostics.TasksActive.Add(1, new KeyValuePair<string, object?>(Diagnostics.Provider, context.Registration.Id));
        TaskOutcome outcome;
        try
        {
            outcome = await next(context).ConfigureAwait(false);
        }
        finally
        {
            if (active) Diagnostics.TasksActive.Add(-1, new KeyValuePair<string, object?>(Diagnostics.Provider, context.Registration.Id));
        }

        var tags = new TagList
        {
            { Diagnostics.TaskMethod, context.Task.Method },
            { Diagnostics.Provider, context.Registration.Id },
            { Diagnostics.TaskOutcome, OutcomeName(outcome.Kind) },
        };
        switch (outcome.Kind)
        {
            case TaskOutcomeKind.Completed:
                activity?.SetStatus(ActivityStatusCode.Ok);
                Diagnostics.TasksCompleted.Add(1);
                break;
            case TaskOutcomeKind.Failed:
                var error = outcome.Error!;
                tags.Add(Diagnostics.ErrorType, error.CodeName);
                if (activity is not null)
                {
                    activity.SetStatus(ActivityStatusCode.Error, error.Message);
                    activity.SetTag(Diagnostics.ErrorType, error.CodeName);
                    activity.AddException(new GleitzeitException(error.Code, error.Message));
                }
                break;
            default:
                tags.Add(Diagnostics.ErrorType, GleitzeitErrorCode.TaskCancelled.Name());
                activity?.SetStatus(ActivityStatusCode.Error, "cancelled");
                activity?.SetTag(Diagnostics.ErrorType, GleitzeitErrorCode.TaskCancelled.Name());
                break;
        }
        Diagnostics.TaskDuration.Record(time.GetElapsedTime(started).TotalSeconds, tags);
        return outcome;
    }

    private static string OutcomeName(TaskOutcomeKind kind) => kind switch
    {
        TaskOutcomeKind.Completed => "completed",
        TaskOutcomeKind.Failed => "failed",
        _ => "cancelled",
    };

    private static Activity? Start(TaskContext context)
    {
        var activity = context.TraceParent != default
            ? Diagnostics.ActivitySource.StartActivity("gleitzeit.task " + context.Task.Method, ActivityKind.Internal, context.TraceParent)
            : Diagnostics.ActivitySource.StartActivity("gleitzeit.task " + context.Task.Method);
        if (activity is null) return null;
        activity.SetTag(Diagnostics.WorkflowId, context.WorkflowId);
        activity.SetTag(Diagnostics.WorkflowName, context.Workflow.Name);
        activity.SetTag(Diagnostics.TaskId, context.Task.Id);
        activity.SetTag(Diagnostics.TaskMethod, context.Task.Method);
        activity.SetTag(Diagnostics.Provider, context.Registration.Id);
        activity.SetTag(Diagnostics.TaskAttempt, context.Attempt);
        return activity;
    }
}
