using System.Text.Json.Nodes;
using Gleitzeit.Core.Conditions;
using Gleitzeit.Core.Persistence;

namespace Gleitzeit.Core.Execution;

// Run transitions: a task completes, fails (its dependents skipped), retries later or is cancelled; a run stops and
// finishes.
public sealed partial class ExecutionEngine
{
    private async ValueTask CompleteAsync(RunState run, TaskState task, TaskResult running, JsonNode? result, DateTimeOffset endedAt, string? cacheKey = null)
    {
        var done = running with { Status = WorkflowTaskStatus.Completed, Result = result, CompletedAt = endedAt, Error = null, Cached = cacheKey is not null };
        if (cacheKey is not null && run.HasListeners) run.Publish(new TaskCacheHit(run.Id, endedAt, task.Definition.Id, cacheKey));
        List<TaskState> last = [];
        lock (_gate)
        {
            if (task.InFlight) ReleaseLocked(task);
            // A task in flight is never marked final by another path; a foreach task (never in flight) may have been
            // stopped meanwhile, and then its completion is not recorded.
            if (!MarkFinishedLocked(task)) return;
            // Dependents waiting for this task alone will be ready once it is stored: queue them in the same write.
            // The count-down itself waits until this completion is stored and applied (see MakeReadyAsync).
            foreach (var d in task.Dependents)
            {
                var dependent = run.Tasks[d];
                if (dependent.RemainingDependencies == 1 && !dependent.Finished && !dependent.ReadyClaimed && dependent.Unconditional)
                {
                    dependent.ReadyClaimed = true;
                    last.Add(dependent);
                }
            }
        }
        var evt = run.HasListeners ? new TaskCompleted(run.Id, endedAt, task.Definition.Id, result, task.Attempt, endedAt - (done.StartedAt ?? endedAt)) : null;
        try
        {
            await MakeReadyAsync(run, last, (task, done, evt)).ConfigureAwait(false);
            if (task.Parent is { } parent) await ItemCompletedAsync(run, parent).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // The completion (or a queued state after it) could not be stored: the run ends failed instead of hanging.
            await FaultAsync(run, task, ex).ConfigureAwait(false);
        }
        await SettleAsync(run, 1).ConfigureAwait(false);
    }

    /// <summary>
    /// A task ends failed or skipped (<paramref name="final"/> says which, with its error). Its dependents learn of it
    /// at once: one with <see cref="JoinMode.All"/> is skipped (and so on below it); one with <see cref="JoinMode.Any"/>
    /// whose last dependency this was runs if another one completed, else is skipped. Failure fails the run; a skip does not.
    /// </summary>
    private async ValueTask EndUnsuccessfulAsync(RunState run, TaskState task, TaskResult final, bool failureStored = false)
    {
        var now = final.CompletedAt ?? _time.GetUtcNow();
        var failed = final.Status == WorkflowTaskStatus.Failed;
        List<(TaskState Task, GleitzeitError Cause)> skipped = [];
        List<TaskState>? ready = null;
        List<TaskState>? conditional = null;
        bool newly;
        TaskState? failOwner = null;
        var started = StartBuffer();
        bool handOff;
        lock (_gate)
        {
            if (task.InFlight) ReleaseLocked(task);
            newly = MarkFinishedLocked(task);
            if (newly && failed) run.AnyFailed = true;
            var stack = new Stack<(TaskState From, GleitzeitError Cause)>();
            // Not newly: stopped (cancelled, interrupted) between its claim and this decision, its state already written.
            if (newly) stack.Push((task, SkipCause(task.Definition.Id, final)));
            while (stack.TryPop(out var item))
            {
                foreach (var d in item.From.Dependents)
                {
                    var dependent = run.Tasks[d];
                    if (dependent.Finished) continue;
                    // A running dependent cannot exist: dependents start only after all their dependencies finished.
                    dependent.RemainingDependencies--;
                    if (dependent.Definition.Join == JoinMode.Any)
                    {
                        if (dependent.RemainingDependencies > 0 || dependent.ReadyClaimed) continue;
                        if (dependent.CompletedDependencies > 0)
                        {
                            dependent.ReadyClaimed = true;
                            if (dependent.Unconditional) (ready ??= []).Add(dependent);
                            else (conditional ??= []).Add(dependent);
                            continue;
                        }
                    }
                    MarkFinishedLocked(dependent);
                    skipped.Add((dependent, item.Cause));
                    stack.Push((dependent, item.Cause));
                }
            }
            var itemCause = SkipCause(task.Definition.Id, final);
            if (newly && failed && task.Parent is { } owner && !owner.Finished && !owner.Concluding)
            {
                // An item failed for good: its foreach task fails (claimed here, once), and the items not started are
                // skipped now, before the slot this item held lets another one start.
                owner.Concluding = true;
                failOwner = owner;
                foreach (var item in owner.Items!)
                {
                    if (item.Finished || item.InFlight) continue;
                    MarkFinishedLocked(item);
                    skipped.Add((item, itemCause));
                }
            }
            if (task.Items is { } items)
            {
                // A failed foreach task: its items not started are skipped (those in flight finish on their own).
                foreach (var item in items)
                {
                    if (item.Finished || item.InFlight) continue;
                    MarkFinishedLocked(item);
                    skipped.Add((item, itemCause));
                }
            }
            handOff = DispatchLocked(started);
        }
        Start(started, handOff);
        if (!newly) return;
        var batch = new List<TaskResult>(skipped.Count + 1) { final };
        foreach (var (s, cause) in skipped) batch.Add(Skip(s.Current, cause, now));
        Exception? fault = null;
        try
        {
            // A timed-out wait's failure was stored by the store's compare-and-set already.
            IReadOnlyList<TaskResult> toSave = failureStored ? batch.GetRange(1, batch.Count - 1) : batch;
            if (toSave.Count > 0) await _store.SaveTasksAsync(run.Id, toSave, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            fault = ex;
        }
        var listeners = run.HasListeners;
        WorkflowEvent? evt = !listeners ? null
            : failed ? new TaskFailed(run.Id, now, task.Definition.Id, final.Error!, task.Attempt)
            : new TaskSkipped(run.Id, now, task.Definition.Id, final.Error!);
        run.Transition(task, final, evt);
        for (var i = 0; i < skipped.Count; i++)
        {
            run.Transition(skipped[i].Task, batch[i + 1], listeners ? new TaskSkipped(run.Id, now, skipped[i].Task.Definition.Id, batch[i + 1].Error!) : null);
        }
        if (fault is not null) await FaultAsync(run, null, fault).ConfigureAwait(false);
        else
        {
            try
            {
                if (ready is not null) await MakeReadyAsync(run, ready).ConfigureAwait(false);
                if (conditional is not null) await DecideAsync(run, conditional).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                await FaultAsync(run, null, ex).ConfigureAwait(false);
            }
        }
        if (fault is null && failOwner is not null) await FailForEachAsync(run, failOwner, task, final.Error!).ConfigureAwait(false);
        await SettleAsync(run, skipped.Count + (newly ? 1 : 0)).ConfigureAwait(false);
    }

    private ValueTask RetryLaterAsync(RunState run, TaskState task, TaskResult running, GleitzeitError error, TimeSpan delay, DateTimeOffset now) =>
        ParkAsync(run, task, running with { Status = WorkflowTaskStatus.Retrying, Error = error }, delay,
            run.HasListeners ? new TaskRetrying(run.Id, now, task.Definition.Id, task.Attempt + 1, delay, error) : null);

    /// <summary>
    /// The attempt made no call (its provider is over its rate limit): the task goes back to queued, the attempt uncounted,
    /// its slot freed, and it is queued in its lane again after <paramref name="delay"/>.
    /// </summary>
    private ValueTask DeferAsync(RunState run, TaskState task, TaskResult running, TimeSpan delay, DateTimeOffset now)
    {
        task.Attempt--;
        return ParkAsync(run, task, running with { Status = WorkflowTaskStatus.Queued, Attempts = task.Attempt }, delay,
            run.HasListeners ? new TaskRateLimited(run.Id, now, task.Definition.Id, task.Registration.Id, delay) : null);
    }

    /// <summary>
    /// Stores <paramref name="parked"/>, frees the task's slot, and queues the task in its lane again after
    /// <paramref name="delay"/> (a retry's back-off, a rate limit's wait); stopping the run meanwhile ends it instead.
    /// </summary>
    private async ValueTask ParkAsync(RunState run, TaskState task, TaskResult parked, TimeSpan delay, WorkflowEvent? evt)
    {
        // Armed before anyone hears of it, so a listener (or a test's fake clock) never outruns the timer.
        var wait = Task.Delay(delay, _time, run.Cancellation.Token);
        await _store.SaveTaskAsync(run.Id, parked, CancellationToken.None).ConfigureAwait(false);
        run.Transition(task, parked, evt);
        lock (_gate)
        {
            ReleaseLocked(task);
            DispatchLocked();
        }
        try
        {
            await wait.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping the run ends this task (it is not in flight, so StopAsync marked it).
            return;
        }
        lock (_gate)
        {
            if (task.Finished) return;
            EnqueueLocked(task);
            DispatchLocked();
        }
    }

    private async ValueTask EndCancelledAsync(RunState run, TaskState task)
    {
        bool newly;
        lock (_gate)
        {
            if (task.InFlight) ReleaseLocked(task);
            newly = MarkFinishedLocked(task);
            DispatchLocked();
        }
        Exception? fault = null;
        if (run.StopReason == StopReason.Shutdown)
        {
            // Interrupted, not cancelled: the task goes back to pending, and the attempt cut short does not count.
            var interrupted = Interrupted(task.Current, task.Attempt > 0 && task.Current.Status == WorkflowTaskStatus.Running ? task.Attempt - 1 : task.Current.Attempts);
            try
            {
                await _store.SaveTaskAsync(run.Id, interrupted, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                fault = ex;
            }
            run.Transition(task, interrupted, null);
        }
        else if (run.StopReason != StopReason.LeaseLost)
        {
            var cancelled = task.Current with
            {
                Status = WorkflowTaskStatus.Cancelled,
                CompletedAt = _time.GetUtcNow(),
                Error = run.StopError ?? CancelledError("the run was cancelled"),
            };
            try
            {
                await _store.SaveTaskAsync(run.Id, cancelled, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                fault = ex;
            }
            run.Transition(task, cancelled, run.HasListeners ? new TaskSkipped(run.Id, cancelled.CompletedAt!.Value, task.Definition.Id, cancelled.Error!) : null);
        }
        if (fault is not null) await FaultAsync(run, null, fault).ConfigureAwait(false);
        if (newly) await SettleAsync(run, 1).ConfigureAwait(false);
    }

    /// <summary>Marks a task final (no further scheduling); false when it already was.</summary>
    private static bool MarkFinishedLocked(TaskState task)
    {
        if (task.Finished) return false;
        task.Finished = true;
        task.Run.Unfinished--;
        return true;
    }

    /// <summary>
    /// Counts tasks whose final state is stored and applied; the run finishes when the last one settles, so its
    /// snapshot never misses a final state still on its way.
    /// </summary>
    private async ValueTask SettleAsync(RunState run, int count)
    {
        if (count > 0 && Interlocked.Add(ref run.Outstanding, -count) == 0) await FinishRunAsync(run).ConfigureAwait(false);
    }

    /// <summary>
    /// A store write of a transition failed (a full disk, say): the run cannot be trusted to continue, so it stops and ends
    /// <c>failed</c> with the store's error. The caller still settles the tasks it marked final, so the run never hangs.
    /// </summary>
    private async ValueTask FaultAsync(RunState run, TaskState? task, Exception exception)
    {
        LogEngineFault(run.Id, task?.Definition.Id, exception);
        var error = exception is GleitzeitException g ? g.ToError() : new GleitzeitError(GleitzeitErrorCode.InternalError, $"{exception.GetType().Name}: {exception.Message}");
        lock (_gate)
        {
            run.AnyFailed = true;
        }
        if (task is not null && task.Current.Status != WorkflowTaskStatus.Completed)
        {
            run.Transition(task, task.Current with { Status = WorkflowTaskStatus.Failed, Error = error, CompletedAt = _time.GetUtcNow() }, null);
        }
        await StopAsync(run, StopReason.Faulted, error).ConfigureAwait(false);
    }

    /// <summary>Stops a run: fires its cancellation token and ends every task not in flight (in flight ones end themselves).
    /// Cancelled, timed out or faulted: those tasks are stored <c>cancelled</c>. Shut down: stored <c>pending</c> (the run is
    /// interrupted, to be resumed). Lease lost: nothing is written (another process owns the run now).</summary>
    internal async Task StopAsync(RunState run, StopReason reason, GleitzeitError? error)
    {
        List<TaskState> ended = [];
        var kept = 0;
        lock (_gate)
        {
            if (run.StopReason != StopReason.None || run.Unfinished == 0) return;
            run.StopReason = reason;
            run.StopError = error ?? (reason == StopReason.Cancelled ? CancelledError("the run was cancelled") : null);
            foreach (var t in run.AllTasks())
            {
                t.WaitTimer?.Dispose();
                if (t.Finished || t.InFlight) continue;
                MarkFinishedLocked(t);
                // Interrupted, a waiting task stays stored waiting: any process may answer it, and a resume waits again.
                if (reason == StopReason.Shutdown && t.Waiting) kept++;
                else ended.Add(t);
            }
        }
        LogRunStopping(run.Id, reason.ToString());
        // Record the tasks that will not run before firing the token: a task in flight may end the run at once.
        if (ended.Count > 0) await RecordStoppedAsync(run, ended).ConfigureAwait(false);
        try
        {
            await run.Cancellation.CancelAsync().ConfigureAwait(false);
        }
        catch (AggregateException)
        {
            // Exceptions of cancellation callbacks belong to their owners.
        }
        await SettleAsync(run, ended.Count + kept).ConfigureAwait(false);
    }

    /// <summary>
    /// Stores and applies the state of tasks a stop ended (marked finished by the caller, not yet settled): cancelled
    /// with the stop's error, or pending again when the run is interrupted (shut down), to be resumed; nothing when the
    /// lease was lost (another process owns the run now).
    /// </summary>
    private async ValueTask RecordStoppedAsync(RunState run, List<TaskState> ended)
    {
        if (run.StopReason == StopReason.LeaseLost) return;
        var now = _time.GetUtcNow();
        var err = run.StopError ?? CancelledError("the run was cancelled");
        var interrupted = run.StopReason == StopReason.Shutdown;
        var batch = ended.Select(t => interrupted ? Interrupted(t.Current, t.Current.Attempts) : t.Current with { Status = WorkflowTaskStatus.Cancelled, CompletedAt = now, Error = err }).ToList();
        try
        {
            await _store.SaveTasksAsync(run.Id, batch, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // The final status write reports a store that stays broken; an interrupted run is reset on resume anyway.
            LogEngineFault(run.Id, null, ex);
        }
        var listeners = run.HasListeners && !interrupted;
        for (var i = 0; i < ended.Count; i++) run.Transition(ended[i], batch[i], listeners ? new TaskSkipped(run.Id, now, ended[i].Definition.Id, err) : null);
    }

    private async Task FinishRunAsync(RunState run)
    {
        run.Ending = true;
        lock (_gate)
        {
            // Tasks held back by the run's bound that will never run now are no longer queued.
            if (run.Held is { Count: > 0 } held)
            {
                _queued -= held.Count;
                held.Clear();
            }
        }
        var now = _time.GetUtcNow();
        WorkflowStatus status;
        GleitzeitError? error;
        switch (run.StopReason)
        {
            case StopReason.Cancelled:
                status = WorkflowStatus.Cancelled;
                error = new GleitzeitError(GleitzeitErrorCode.WorkflowCancelled, "the run was cancelled");
                break;
            case StopReason.TimedOut:
            case StopReason.Faulted:
                status = WorkflowStatus.Failed;
                error = run.StopError;
                break;
            case StopReason.Shutdown:
                // A run that was waiting for a person stays waiting: nothing else was left to run.
                status = run.StoredStatus == WorkflowStatus.Waiting ? WorkflowStatus.Waiting : WorkflowStatus.Interrupted;
                error = null;
                break;
            case StopReason.LeaseLost:
                _active.TryRemove(run.Id, out _);
                run.TimeoutCancellation?.Dispose();
                var leased = new GleitzeitException(GleitzeitErrorCode.WorkflowLeased,
                    $"Run '{run.Id}' was taken over by another process after this one failed to renew its lease; it continues there.");
                AbandonRunTelemetry(run, leased);
                run.Completion.TrySetException(leased);
                return;
            default:
                status = run.AnyFailed ? WorkflowStatus.Failed : WorkflowStatus.Completed;
                error = run.AnyFailed ? FailureSummary(run) : null;
                if (!run.AnyFailed && run.Workflow.Outputs.Count > 0)
                {
                    try
                    {
                        // Resolved now, so that a run whose outputs cannot be read does not end completed.
                        RunReferences.ResolveOutputs(run.Workflow, run.Results, run.Inputs, strict: true);
                    }
                    catch (GleitzeitException ex)
                    {
                        status = WorkflowStatus.Failed;
                        error = ex.ToError();
                    }
                }
                break;
        }
        // After any running/waiting status write in progress (SyncRunStatusAsync writes nothing once the run is ending).
        await run.StatusGate.WaitAsync().ConfigureAwait(false);
        try
        {
            await _store.UpdateRunStatusAsync(run.Id, status, now, error, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            LogEngineFault(run.Id, null, ex);
            status = WorkflowStatus.Failed;
            error ??= new GleitzeitError(GleitzeitErrorCode.PersistenceWriteFailed, $"the final state could not be stored: {ex.Message}");
        }
        finally
        {
            run.StatusGate.Release();
        }
        await ReleaseLeaseAsync(run.Id).ConfigureAwait(false);
        Diagnostics.WorkflowsFinished.Add(1, new KeyValuePair<string, object?>("status", StoreJson.StatusName(status)));
        EndRunTelemetry(run, status, error, now - run.StartedAt);
        run.Finish(status, error, now, new WorkflowCompleted(run.Id, now, status, error, now - run.StartedAt));
        LogRunFinished(run.Id, StoreJson.StatusName(status), (now - run.StartedAt).TotalMilliseconds);
        _active.TryRemove(run.Id, out _);
        run.TimeoutCancellation?.Dispose();
        run.Completion.TrySetResult(run.Snapshot());
    }

    private static TaskResult Skip(TaskResult current, GleitzeitError cause, DateTimeOffset now) => current with
    {
        Status = WorkflowTaskStatus.Skipped,
        CompletedAt = now,
        Error = cause,
    };

    /// <summary>
    /// Why the tasks below <paramref name="taskId"/> are skipped when it ends in <paramref name="final"/>: its failure
    /// (TASK_DEPENDENCY_FAILED, which fails the run), or the failure it was itself skipped for, or a false condition
    /// upstream (TASK_CONDITION_FALSE, which does not).
    /// </summary>
    private static GleitzeitError SkipCause(string taskId, TaskResult final) => final switch
    {
        { Status: WorkflowTaskStatus.Skipped, Error: { Code: GleitzeitErrorCode.TaskDependencyFailed } e } => e,
        { Status: WorkflowTaskStatus.Skipped, Error.Code: GleitzeitErrorCode.TaskConditionFalse } =>
            new GleitzeitError(GleitzeitErrorCode.TaskConditionFalse, $"dependency '{taskId}' was skipped"),
        { Status: WorkflowTaskStatus.Skipped } => new GleitzeitError(GleitzeitErrorCode.TaskDependencyFailed, $"dependency '{taskId}' was skipped"),
        _ => new GleitzeitError(GleitzeitErrorCode.TaskDependencyFailed, $"dependency '{taskId}' failed"),
    };

    /// <summary>An unfinished task of an interrupted run: pending again, nothing of the attempt cut short kept but its start.</summary>
    private static TaskResult Interrupted(TaskResult current, int attempts) => current with
    {
        Status = WorkflowTaskStatus.Pending,
        Attempts = attempts,
        Error = null,
        CompletedAt = null,
    };

    private static GleitzeitError CancelledError(string message) => new(GleitzeitErrorCode.TaskCancelled, message);

    private static GleitzeitError FailureSummary(RunState run)
    {
        var failed = run.Tasks.Where(t => t.Current.Status == WorkflowTaskStatus.Failed).ToList();
        var first = failed.FirstOrDefault();
        var detail = first?.Current.Error is { } e ? $": {first.Definition.Id}: {e.CodeName}: {e.Message}" : "";
        return new GleitzeitError(GleitzeitErrorCode.WorkflowExecutionFailed,
            $"{failed.Count} task{(failed.Count == 1 ? "" : "s")} failed{detail}");
    }
}
