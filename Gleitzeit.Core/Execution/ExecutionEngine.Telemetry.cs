using System.Diagnostics;

namespace Gleitzeit.Core.Execution;

// Telemetry of runs: the gleitzeit.workflow activity (parent of every attempt's), the run duration, and the queued-task
// count observed across this process's engines.
public sealed partial class ExecutionEngine
{
    private static readonly List<WeakReference<ExecutionEngine>> Engines = [];

    /// <summary>Tasks ready and waiting for a slot (in a lane or held by a run's bound); guarded by the gate.</summary>
    private int _queued;

    /// <summary>The <c>gleitzeit.tasks.queued</c> observation: queued tasks of every live engine in this process.</summary>
    internal static long QueuedTasks()
    {
        long sum = 0;
        lock (Engines)
        {
            for (var i = Engines.Count - 1; i >= 0; i--)
            {
                if (Engines[i].TryGetTarget(out var engine) && !engine._disposed) sum += Volatile.Read(ref engine._queued);
                else Engines.RemoveAt(i);
            }
        }
        return sum;
    }

    private void Register()
    {
        lock (Engines) Engines.Add(new WeakReference<ExecutionEngine>(this));
    }

    /// <summary>
    /// Starts the run's activity as a child of the caller's current one and captures the execution context task work
    /// runs in (with the run's activity current). No activity when nobody listens; the context is captured regardless,
    /// so the caller's logging scopes reach the tasks.
    /// </summary>
    private static void BeginRunTelemetry(RunState run, bool resumed)
    {
        var activity = Diagnostics.ActivitySource.HasListeners() ? Diagnostics.ActivitySource.StartActivity("gleitzeit.workflow " + run.Workflow.Name) : null;
        if (activity is not null)
        {
            activity.SetTag(Diagnostics.WorkflowId, run.Id);
            activity.SetTag(Diagnostics.WorkflowName, run.Workflow.Name);
            if (resumed) activity.SetTag("gleitzeit.workflow.resumed", true);
            run.Activity = activity;
        }
        run.Context = ExecutionContext.Capture();
    }

    /// <summary>Ends the run's activity with its final status (an error status, <c>error.type</c> and an exception event on failure).</summary>
    private static void EndRunTelemetry(RunState run, WorkflowStatus status, GleitzeitError? error, TimeSpan duration)
    {
        var statusName = Persistence.StoreJson.StatusName(status);
        if (Diagnostics.WorkflowDuration.Enabled)
        {
            Diagnostics.WorkflowDuration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>(Diagnostics.WorkflowStatus, statusName));
        }
        if (run.Activity is not { } activity) return;
        run.Activity = null;
        activity.SetTag(Diagnostics.WorkflowStatus, statusName);
        if (error is not null && status is WorkflowStatus.Failed or WorkflowStatus.Cancelled)
        {
            activity.SetStatus(ActivityStatusCode.Error, error.Message);
            activity.SetTag(Diagnostics.ErrorType, error.CodeName);
            activity.AddException(new GleitzeitException(error.Code, error.Message));
        }
        else if (status == WorkflowStatus.Completed)
        {
            activity.SetStatus(ActivityStatusCode.Ok);
        }
        activity.Stop();
    }

    /// <summary>The run never started (its first writes failed) or left this process (lease lost): its activity ends with the error.</summary>
    private static void AbandonRunTelemetry(RunState run, Exception exception)
    {
        if (run.Activity is not { } activity) return;
        run.Activity = null;
        activity.SetStatus(ActivityStatusCode.Error, exception.Message);
        activity.SetTag(Diagnostics.ErrorType, exception is GleitzeitException g ? g.Code.Name() : exception.GetType().FullName);
        activity.AddException(exception);
        activity.Stop();
    }
}
