using System.Text.Json.Nodes;
using Gleitzeit.Core.Human;

namespace Gleitzeit.Core.Execution;

// Human in the loop: a human/v1 task's attempt returns its request; the task then waits (no slot, no thread, only its
// timeout's timer) until an answer is recorded through the store's compare-and-set, here or in another process.
// The run is stored `waiting` while no task can run until a person answers. Its owner keeps the lease while it lives
// and picks up answers recorded elsewhere on its lease heartbeat; with no live owner, whoever records the answer may
// continue the run (AnswerAsync resumes it in this engine).
public sealed partial class ExecutionEngine
{
    /// <summary>Approves a waiting <c>human/approval</c> task: it completes with <c>{approved: true, by, comment, decided_at}</c>
    /// and the run continues (here, or in the process that owns it). See <see cref="AnswerAsync"/> for the errors.</summary>
    public Task<TaskResult> ApproveAsync(string workflowId, string taskId, string? comment = null, string? by = null, CancellationToken cancellationToken = default) =>
        AnswerAsync(workflowId, taskId, HumanAnswer.Approve(comment, by), continueRun: true, cancellationToken);

    /// <summary>Rejects a waiting <c>human/approval</c> task: it completes with <c>approved: false</c> (so a downstream
    /// <c>when:</c> can branch on it) and the run continues. See <see cref="AnswerAsync"/> for the errors.</summary>
    public Task<TaskResult> RejectAsync(string workflowId, string taskId, string? comment = null, string? by = null, CancellationToken cancellationToken = default) =>
        AnswerAsync(workflowId, taskId, HumanAnswer.Reject(comment, by), continueRun: true, cancellationToken);

    /// <summary>Answers a waiting <c>human/input</c> task with <paramref name="input"/>, which must match its schema: it
    /// completes with <c>{input, by, decided_at}</c> and the run continues. See <see cref="AnswerAsync"/> for the errors.</summary>
    public Task<TaskResult> RespondAsync(string workflowId, string taskId, JsonNode? input, string? by = null, CancellationToken cancellationToken = default) =>
        AnswerAsync(workflowId, taskId, HumanAnswer.Respond(input, by), continueRun: true, cancellationToken);

    /// <summary>
    /// Records <paramref name="answer"/> for a waiting task and returns the task's decided state. The answer is stored by
    /// the store's compare-and-set, so of two answers given at once the first wins and the second gets
    /// TASK_ALREADY_ANSWERED. A run active in this engine continues at once; for another run, the answer is stored and,
    /// when <paramref name="continueRun"/> and no live process owns the run, this engine resumes it in the background
    /// (<see cref="WaitAsync"/> follows it); a live owner continues it on its next lease renewal.
    /// Errors, each leaving the store unchanged: WORKFLOW_NOT_FOUND, TASK_NOT_FOUND (naming the waiting tasks),
    /// TASK_NOT_WAITING, HUMAN_TIMEOUT (the timeout decided first), HUMAN_INPUT_INVALID (quoting each violation and its
    /// JSON path; the task keeps waiting), TASK_VALIDATION_FAILED (an approval given to an input or the reverse).
    /// </summary>
    public async Task<TaskResult> AnswerAsync(string workflowId, string taskId, HumanAnswer answer, bool continueRun = true, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(workflowId);
        ArgumentNullException.ThrowIfNull(taskId);
        ArgumentNullException.ThrowIfNull(answer);
        if (_active.TryGetValue(workflowId, out var run) && run.StopReason == StopReason.None)
        {
            return await AnswerActiveAsync(run, taskId, answer, cancellationToken).ConfigureAwait(false);
        }
        var stored = await _store.GetRunAsync(workflowId, cancellationToken).ConfigureAwait(false) ?? throw NotFound(workflowId);
        var decided = HumanDecisions.Decide(stored, taskId, answer, _time.GetUtcNow());
        if (!await _store.TrySaveAnswerAsync(workflowId, decided, cancellationToken).ConfigureAwait(false))
        {
            throw await AlreadyDecidedAsync(workflowId, taskId, cancellationToken).ConfigureAwait(false);
        }
        LogTaskAnswered(workflowId, taskId, answer.Kind.ToString());
        if (_active.TryGetValue(workflowId, out var resumedMeanwhile))
        {
            await ApplyStoredDecisionAsync(resumedMeanwhile, taskId, decided).ConfigureAwait(false);
        }
        else if (continueRun && !_disposed && stored.Workflow is not null)
        {
            try
            {
                await ResumeStoredAsync(workflowId, cancellationToken).ConfigureAwait(false);
            }
            catch (GleitzeitException ex) when (ex.Code is GleitzeitErrorCode.WorkflowLeased or GleitzeitErrorCode.WorkflowAlreadyExists)
            {
                // A live owner holds the run: it sees the stored answer on its next lease renewal and continues.
            }
        }
        return decided;
    }

    /// <summary>True when the run is active in this engine (started or resumed here and not finished).</summary>
    public bool IsActive(string workflowId) => _active.ContainsKey(workflowId);

    private async Task<TaskResult> AnswerActiveAsync(RunState run, string taskId, HumanAnswer answer, CancellationToken cancellationToken)
    {
        // Decided against this process's view, which is the stored one for a run it owns; the compare-and-set below
        // settles a race with an answer recorded elsewhere.
        var decided = HumanDecisions.Decide(run.Snapshot(), taskId, answer, _time.GetUtcNow());
        if (!await _store.TrySaveAnswerAsync(run.Id, decided, cancellationToken).ConfigureAwait(false))
        {
            var error = await AlreadyDecidedAsync(run.Id, taskId, cancellationToken).ConfigureAwait(false);
            var stored = await _store.GetRunAsync(run.Id, CancellationToken.None).ConfigureAwait(false);
            if (stored is not null) await ApplyStoredDecisionsAsync(run, stored).ConfigureAwait(false);
            throw error;
        }
        LogTaskAnswered(run.Id, taskId, answer.Kind.ToString());
        await ApplyDecisionAsync(run, run.ById[taskId], decided, answer.By, timedOut: false).ConfigureAwait(false);
        return decided;
    }

    /// <summary>The error for an answer that lost the compare-and-set: who decided first.</summary>
    private async Task<GleitzeitException> AlreadyDecidedAsync(string workflowId, string taskId, CancellationToken cancellationToken)
    {
        var now = await _store.GetRunAsync(workflowId, cancellationToken).ConfigureAwait(false);
        var task = now?.Tasks.GetValueOrDefault(taskId);
        var who = task?.Result?["by"] is { } by ? $" by {by.ToJsonString()}" : "";
        var what = task switch
        {
            { Status: WorkflowTaskStatus.Failed, Error.Code: GleitzeitErrorCode.HumanTimeout } => "its timeout decided first (on_timeout: fail)",
            { Result: JsonObject r } when r["timed_out"] is not null => $"its timeout decided first (approved: {r["approved"]?.ToJsonString()})",
            { Status: WorkflowTaskStatus.Completed } => $"another answer was recorded first{who} at {task.Result?["decided_at"]}",
            null => "it no longer exists",
            _ => $"it is {task.Status.ToString().ToLowerInvariant()} now",
        };
        return new GleitzeitException(GleitzeitErrorCode.TaskAlreadyAnswered, $"Task '{taskId}' of run '{workflowId}' was not answered by this call: {what}. The first answer wins; this one is not recorded.");
    }

    /// <summary>The attempt of a human task returned its request: the task waits, holding no slot.</summary>
    private async ValueTask EnterWaitingAsync(RunState run, TaskState task, TaskResult running, JsonNode? request, DateTimeOffset now)
    {
        var waiting = HumanDecisions.Waiting(running, request, now);
        var wait = HumanRequest.FromWaitingResult(waiting.Result)!;
        var parsed = wait.Request;
        var timeoutAt = wait.TimeoutAt;
        await _store.SaveTaskAsync(run.Id, waiting, CancellationToken.None).ConfigureAwait(false);
        bool stopping;
        lock (_gate)
        {
            stopping = run.StopReason != StopReason.None;
            if (!stopping)
            {
                ReleaseLocked(task);
                task.Waiting = true;
                task.Wait = wait;
                run.WaitingCount++;
                DispatchLocked();
            }
        }
        if (stopping)
        {
            await EndCancelledAsync(run, task).ConfigureAwait(false);
            return;
        }
        run.Transition(task, waiting, run.HasListeners ? new TaskWaiting(run.Id, now, task.Definition.Id, parsed.Method, parsed.Prompt, parsed.Schema?.DeepClone(), timeoutAt) : null);
        LogTaskWaiting(run.Id, task.Definition.Id, parsed.Method);
        ArmTimeout(run, task);
        await SyncRunStatusAsync(run).ConfigureAwait(false);
    }

    /// <summary>A resumed run: its waiting tasks' timeouts re-armed (one already past decides at once), its status synced.</summary>
    private async ValueTask ResumeWaitingAsync(RunState run)
    {
        foreach (var task in run.Tasks)
        {
            if (task.Waiting) ArmTimeout(run, task);
        }
        await SyncRunStatusAsync(run).ConfigureAwait(false);
    }

    private void ArmTimeout(RunState run, TaskState task)
    {
        if (task.Wait?.TimeoutAt is not { } deadline) return;
        var due = deadline - _time.GetUtcNow();
        if (due < TimeSpan.Zero) due = TimeSpan.Zero;
        task.WaitTimer = _time.CreateTimer(static s =>
        {
            var (engine, r, t) = ((ExecutionEngine, RunState, TaskState))s!;
            _ = engine.TimeOutAsync(r, t);
        }, (this, run, task), due, Timeout.InfiniteTimeSpan);
    }

    private async Task TimeOutAsync(RunState run, TaskState task)
    {
        try
        {
            lock (_gate)
            {
                if (!task.Waiting || task.Finished || run.StopReason != StopReason.None) return;
            }
            var decided = HumanDecisions.DecideTimeout(task.Current, _time.GetUtcNow());
            if (decided is null) return;
            if (!await _store.TrySaveAnswerAsync(run.Id, decided, CancellationToken.None).ConfigureAwait(false))
            {
                // Answered elsewhere just before: apply that answer instead.
                var stored = await _store.GetRunAsync(run.Id, CancellationToken.None).ConfigureAwait(false);
                if (stored is not null) await ApplyStoredDecisionsAsync(run, stored).ConfigureAwait(false);
                return;
            }
            LogTaskAnswered(run.Id, task.Definition.Id, "timeout");
            await ApplyDecisionAsync(run, task, decided, by: null, timedOut: true).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            await FaultAsync(run, null, ex).ConfigureAwait(false);
        }
    }

    /// <summary>Applies decisions another process stored (its answers) to this process's waiting tasks.</summary>
    private async Task ApplyStoredDecisionsAsync(RunState run, WorkflowRun stored)
    {
        if (run.WaitingCount == 0) return;
        foreach (var task in run.Tasks)
        {
            if (!task.Waiting) continue;
            if (stored.Tasks.TryGetValue(task.Definition.Id, out var state) && state.Status is WorkflowTaskStatus.Completed or WorkflowTaskStatus.Failed)
            {
                await ApplyStoredDecisionAsync(run, task.Definition.Id, state).ConfigureAwait(false);
            }
        }
    }

    private ValueTask ApplyStoredDecisionAsync(RunState run, string taskId, TaskResult decided)
    {
        if (!run.ById.TryGetValue(taskId, out var task)) return ValueTask.CompletedTask;
        var timedOut = decided.Result?["timed_out"] is not null || decided.Error?.Code == GleitzeitErrorCode.HumanTimeout;
        return ApplyDecisionAsync(run, task, decided, (string?)decided.Result?["by"], timedOut);
    }

    /// <summary>A decision already stored (by the compare-and-set) is applied here: the task completes (its dependents
    /// queue) or fails (its dependents are skipped). Applied once: a second call for the same task does nothing.</summary>
    private async ValueTask ApplyDecisionAsync(RunState run, TaskState task, TaskResult decided, string? by, bool timedOut)
    {
        List<TaskState> ready = [];
        lock (_gate)
        {
            if (!task.Waiting || task.Finished) return;
            task.Waiting = false;
            run.WaitingCount--;
            if (decided.Status == WorkflowTaskStatus.Completed)
            {
                MarkFinishedLocked(task);
                foreach (var d in task.Dependents)
                {
                    var dependent = run.Tasks[d];
                    if (dependent.RemainingDependencies == 1 && !dependent.Finished)
                    {
                        dependent.ReadyClaimed = true;
                        ready.Add(dependent);
                    }
                }
            }
        }
        task.WaitTimer?.Dispose();
        var now = decided.CompletedAt ?? _time.GetUtcNow();
        if (run.HasListeners) run.Publish(new TaskAnswered(run.Id, now, task.Definition.Id, decided.Result?.DeepClone(), by, timedOut));
        if (decided.Status != WorkflowTaskStatus.Completed)
        {
            await EndUnsuccessfulAsync(run, task, decided, failureStored: true).ConfigureAwait(false);
            await SyncRunStatusAsync(run).ConfigureAwait(false);
            return;
        }
        var evt = run.HasListeners ? new TaskCompleted(run.Id, now, task.Definition.Id, decided.Result, decided.Attempts, now - (decided.StartedAt ?? now)) : null;
        try
        {
            await MakeReadyAsync(run, ready, (task, decided, evt), completionStored: true).ConfigureAwait(false);
            await SyncRunStatusAsync(run).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            await FaultAsync(run, task, ex).ConfigureAwait(false);
        }
        await SettleAsync(run, 1).ConfigureAwait(false);
    }

    /// <summary>
    /// Stores the run as waiting when no task can run until a person answers, and as running again once one can.
    /// Serialized per run and recomputed inside, so the status written last is the current one; nothing is written once
    /// the run is stopping or finishing.
    /// </summary>
    private async ValueTask SyncRunStatusAsync(RunState run)
    {
        await run.StatusGate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (run.Ending || run.StopReason != StopReason.None) return;
            List<string>? waitingIds = null;
            lock (_gate)
            {
                if (run.WaitingCount > 0 && run.Unfinished > 0 && !run.Tasks.Any(t => !t.Finished && !t.Waiting && (t.RemainingDependencies == 0 || t.ReadyClaimed || t.InFlight)))
                {
                    waitingIds = run.Tasks.Where(t => t.Waiting).Select(t => t.Definition.Id).ToList();
                }
            }
            var desired = waitingIds is not null ? WorkflowStatus.Waiting : WorkflowStatus.Running;
            if (desired == run.StoredStatus) return;
            var now = _time.GetUtcNow();
            await _store.UpdateRunStatusAsync(run.Id, desired, now, null, CancellationToken.None).ConfigureAwait(false);
            run.StoredStatus = desired;
            run.SetStatus(desired, waitingIds is not null && run.HasListeners ? new WorkflowWaiting(run.Id, now, waitingIds) : null);
            if (waitingIds is not null) LogRunWaiting(run.Id, waitingIds.Count);
        }
        finally
        {
            run.StatusGate.Release();
        }
    }
}
