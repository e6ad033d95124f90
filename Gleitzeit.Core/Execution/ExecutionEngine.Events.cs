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
            var at = t.CompletedAt ?? t.StartedAt ?? now;
            switch (t.Status)
            {
                case WorkflowTaskStatus.Queued: events.Add(new TaskQueued(run.WorkflowId, at, t.TaskId)); break;
                case WorkflowTaskStatus.Running or WorkflowTaskStatus.Retrying: events.Add(new TaskStarted(run.WorkflowId, at, t.TaskId, t.Attempts)); break;
                case WorkflowTaskStatus.Completed: events.Add(new TaskCompleted(run.WorkflowId, at, t.TaskId, t.Result, t.Attempts, t.Duration ?? TimeSpan.Zero)); break;
                case WorkflowTaskStatus.Failed: events.Add(new TaskFailed(run.WorkflowId, at, t.TaskId, t.Error ?? new GleitzeitError(GleitzeitErrorCode.TaskExecutionFailed, "failed"), t.Attempts)); break;
                case WorkflowTaskStatus.Waiting when Human.HumanRequest.FromWaitingResult(t.Result) is { } w:
                    events.Add(new TaskWaiting(run.WorkflowId, w.Since ?? at, t.TaskId, w.Request.Method, w.Request.Prompt, w.Request.Schema, w.TimeoutAt));
                    break;
                case WorkflowTaskStatus.Skipped or WorkflowTaskStatus.Cancelled: events.Add(new TaskSkipped(run.WorkflowId, at, t.TaskId, t.Error ?? CancelledError("not run"))); break;
            }
        }
        if (run.Status == WorkflowStatus.Waiting)
        {
            events.Add(new WorkflowWaiting(run.WorkflowId, now, run.Tasks.Values.Where(t => t.Status == WorkflowTaskStatus.Waiting).Select(t => t.TaskId).ToList()));
        }
        if (run.IsFinished) events.Add(new WorkflowCompleted(run.WorkflowId, run.CompletedAt ?? now, run.Status, run.Error, run.Duration ?? TimeSpan.Zero));
        return events;
    }
}
