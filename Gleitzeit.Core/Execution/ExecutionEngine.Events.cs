using Gleitzeit.Core.Protocol;

namespace Gleitzeit.Core.Execution;

// Events: progress of a running task, and the events that describe a stored or joined run.
public sealed partial class ExecutionEngine
{
    private Action<TaskProgressUpdate> ProgressSink(RunState run, string taskId) =>
        update => run.Publish(new TaskProgress(run.Id, _time.GetUtcNow(), taskId, update.Kind, update.Text));

    /// <summary>Events that describe a run's state as it stands (for a watcher that joins late, or a stored run).</summary>
    internal static List<WorkflowEvent> DescribeState(WorkflowRun run, DateTimeOffset now)
    {
        var events = new List<WorkflowEvent> { new WorkflowStarted(run.WorkflowId, run.StartedAt ?? run.CreatedAt, run.Name, run.Tasks.Count) };
        foreach (var t in run.Tasks.Values)
        {
            if (DescribeTask(run.WorkflowId, t, now) is { } evt) events.Add(evt);
        }
        if (run.Status == WorkflowStatus.Waiting)
        {
            events.Add(new WorkflowWaiting(run.WorkflowId, now, run.Tasks.Values.Where(t => t.Status == WorkflowTaskStatus.Waiting).Select(t => t.TaskId).ToList()));
        }
        if (run.IsFinished) events.Add(new WorkflowCompleted(run.WorkflowId, run.CompletedAt ?? now, run.Status, run.Error, run.Duration ?? TimeSpan.Zero));
        return events;
    }

    /// <summary>The event a watcher joining now sees for a task in state <paramref name="t"/> (none for pending).</summary>
    internal static WorkflowEvent? DescribeTask(string workflowId, TaskResult t, DateTimeOffset now)
    {
        var at = t.CompletedAt ?? t.StartedAt ?? now;
        return t.Status switch
        {
            WorkflowTaskStatus.Queued => new TaskQueued(workflowId, at, t.TaskId),
            WorkflowTaskStatus.Running or WorkflowTaskStatus.Retrying => new TaskStarted(workflowId, at, t.TaskId, t.Attempts),
            WorkflowTaskStatus.Completed => new TaskCompleted(workflowId, at, t.TaskId, t.Result, t.Attempts, t.Duration ?? TimeSpan.Zero),
            WorkflowTaskStatus.Failed => new TaskFailed(workflowId, at, t.TaskId, t.Error ?? new GleitzeitError(GleitzeitErrorCode.TaskExecutionFailed, "failed"), t.Attempts),
            WorkflowTaskStatus.Waiting when Human.HumanRequest.FromWaitingResult(t.Result) is { } w =>
                new TaskWaiting(workflowId, w.Since ?? at, t.TaskId, w.Request.Method, w.Request.Prompt, w.Request.Schema, w.TimeoutAt),
            WorkflowTaskStatus.Skipped or WorkflowTaskStatus.Cancelled => new TaskSkipped(workflowId, at, t.TaskId, t.Error ?? CancelledError("not run")),
            _ => null,
        };
    }

    /// <summary>Now, by the engine's clock.</summary>
    internal DateTimeOffset Now => _time.GetUtcNow();
}
