using Gleitzeit.Core.Conditions;
using System.Text.Json.Nodes;
using Gleitzeit.Core.Pipeline;
using Gleitzeit.Core.Protocol;

namespace Gleitzeit.Core.Execution;

// Scheduling: ready tasks enter their provider's lane; a free slot (global, provider, workflow bound) dispatches the
// highest priority; a dispatched task runs one attempt through the task pipeline.
public sealed partial class ExecutionEngine
{
    /// <summary>
    /// Stores the tasks as queued, together with <paramref name="completed"/> (the completion that made them ready, when
    /// there is one), applies those states, and only then queues the tasks: a dependent must see its dependency's result.
    /// </summary>
    private async ValueTask MakeReadyAsync(RunState run, List<TaskState> ready, (TaskState Task, TaskResult State, WorkflowEvent? Event)? completed = null, bool completionStored = false)
    {
        // A person's answer was stored by the store's compare-and-set already: only the dependents are written here.
        var prefix = completionStored ? null : completed?.State;
        if (ready.Count == 0 && prefix is null && completed is null) return;
        var now = _time.GetUtcNow();
        var direct = prefix is not null ? TryStartDirectly(run, ready) : null;
        var batch = new List<TaskResult>(ready.Count + 1);
        if (prefix is not null) batch.Add(prefix);
        foreach (var t in ready)
        {
            batch.Add(t.Current with { Status = WorkflowTaskStatus.Queued });
            // A dependent starting at once is stored queued and then running in the completion's own write: one write
            // (one commit on a durable store) per task of a chain instead of two, with the same history.
            if (t == direct) batch.Add(StartState(t, now));
        }
        if (batch.Count > 0)
        {
            try
            {
                if (_ownedStore is not null) _ownedStore.SaveOwned(run.Id, batch);
                else await _store.SaveTasksAsync(run.Id, batch, CancellationToken.None).ConfigureAwait(false);
            }
            catch when (direct is not null)
            {
                // Not stored: the slot taken for the direct start is given back before the failure ends the run. A stop
                // that came meanwhile (another task's failed write, say) passed this task over as in flight, for its
                // attempt to end; there will be none, so it is ended here, as the stop ends the others.
                bool stopped;
                lock (_gate)
                {
                    ReleaseLocked(direct);
                    stopped = run.StopReason != StopReason.None && MarkFinishedLocked(direct);
                }
                direct.StartStored = null;
                direct.Attempt--;
                if (stopped)
                {
                    await RecordStoppedAsync(run, [direct]).ConfigureAwait(false);
                    await SettleAsync(run, 1).ConfigureAwait(false);
                }
                throw;
            }
        }

        if (completed is { } c) run.Transition(c.Task, c.State, c.Event);
        var listeners = run.HasListeners;
        for (int i = 0, b = prefix is null ? 0 : 1; i < ready.Count; i++, b++)
        {
            run.Transition(ready[i], batch[b], listeners ? new TaskQueued(run.Id, now, ready[i].Definition.Id) : null);
            if (ready[i] == direct) b++; // its running state, applied by the attempt (TaskState.StartStored)
        }
        List<TaskState>? late = null;
        List<TaskState>? expand = null;
        var started = StartBuffer();
        bool handOff;
        List<TaskState>? conditional = null;
        lock (_gate)
        {
            if (completed is { } done)
            {
                // Counted down only now that the completion is stored and applied: a dependent reaching zero here can
                // rely on every one of its dependencies. Those not queued above (another dependency finished in
                // between, or a condition to evaluate first) get their own queued write.
                foreach (var d in done.Task.Dependents)
                {
                    var dependent = run.Tasks[d];
                    dependent.CompletedDependencies++;
                    if (--dependent.RemainingDependencies == 0 && !dependent.Finished && !dependent.ReadyClaimed)
                    {
                        dependent.ReadyClaimed = true;
                        if (dependent.Unconditional) (late ??= []).Add(dependent);
                        else (conditional ??= []).Add(dependent);
                    }
                }
            }
            foreach (var t in ready)
            {
                if (t == direct)
                {
                    // Its slot was taken before the write; stopped meanwhile, the slot is given back.
                    if (t.Finished) ReleaseLocked(t);
                    else started.Add(t);
                    continue;
                }
                if (t.Finished) continue;
                // A foreach task does not run itself: it expands into its items (ExecutionEngine.ForEach.cs).
                if (t.Definition.ForEach is not null && t.Parent is null) (expand ??= []).Add(t);
                else EnqueueLocked(t);
            }
            handOff = DispatchLocked(started);
        }
        Start(started, handOff);
        if (late is not null) await MakeReadyAsync(run, late).ConfigureAwait(false);
        if (conditional is not null) await DecideAsync(run, conditional).ConfigureAwait(false);
        if (expand is not null)
        {
            foreach (var t in expand) await ExpandAsync(run, t).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Evaluates the <c>when</c> of tasks whose dependencies are finished (claimed ready, not yet queued): true queues
    /// them, false skips them with TASK_CONDITION_FALSE (the run does not fail for it), an error fails them.
    /// </summary>
    private async ValueTask DecideAsync(RunState run, List<TaskState> candidates)
    {
        if (candidates.Count == 0) return;
        List<TaskState>? go = null;
        foreach (var task in candidates)
        {
            bool runs;
            try
            {
                runs = TaskConditions.ShouldRun(task.Definition, run.Results, run.Inputs);
            }
            catch (GleitzeitException ex)
            {
                var now = _time.GetUtcNow();
                await EndUnsuccessfulAsync(run, task, task.Current with { Status = WorkflowTaskStatus.Failed, Error = ex.ToError(), CompletedAt = now }).ConfigureAwait(false);
                continue;
            }
            if (runs)
            {
                (go ??= []).Add(task);
                continue;
            }
            var skipped = task.Current with
            {
                Status = WorkflowTaskStatus.Skipped,
                CompletedAt = _time.GetUtcNow(),
                Error = new GleitzeitError(GleitzeitErrorCode.TaskConditionFalse, $"condition '{task.Definition.When}' is false"),
            };
            await EndUnsuccessfulAsync(run, task, skipped).ConfigureAwait(false);
        }
        if (go is not null) await MakeReadyAsync(run, go).ConfigureAwait(false);
    }

    /// <summary>
    /// An iteration of a <c>loop</c> task completed: it joins the task's history, then <c>until</c> decides. True completes
    /// the task with this result; false runs the next iteration (stored queued with the history in one write, so a
    /// resumed run continues at the right iteration), or, with none left, fails the task with TASK_LOOP_EXHAUSTED
    /// (or completes it when <c>on_exhausted: complete</c>). An <c>until</c> that cannot be evaluated fails the task.
    /// </summary>
    private async ValueTask EndIterationAsync(RunState run, TaskState task, TaskResult running, JsonNode? result, DateTimeOffset endedAt)
    {
        var def = task.Definition;
        var loop = def.Loop!;
        var iteration = Math.Max(1, running.Iteration);
        var history = running.History;
        var previous = history.Count > 0 ? history[^1].Result : null;
        var iterationStart = history.Count > 0 ? history[^1].CompletedAt : running.StartedAt;
        var kept = new List<TaskIteration>(history.Count + 1);
        kept.AddRange(history);
        kept.Add(new TaskIteration(iteration, result?.DeepClone(), task.Attempt, iterationStart, endedAt));
        var withHistory = running with { History = kept, Iteration = iteration };

        bool ends;
        try
        {
            ends = TaskConditions.LoopEnds(def, result, iteration, previous, run.Results, run.Inputs);
        }
        catch (GleitzeitException ex)
        {
            await EndUnsuccessfulAsync(run, task, withHistory with { Status = WorkflowTaskStatus.Failed, Result = result, Error = ex.ToError(), CompletedAt = endedAt }).ConfigureAwait(false);
            return;
        }
        if (ends || (iteration >= loop.MaxIterations && loop.OnExhausted == LoopExhaustedAction.Complete))
        {
            await CompleteAsync(run, task, withHistory, result, endedAt).ConfigureAwait(false);
            return;
        }
        if (iteration >= loop.MaxIterations)
        {
            var error = new GleitzeitError(GleitzeitErrorCode.TaskLoopExhausted,
                $"loop.until '{loop.Until}' still false after {loop.MaxIterations} iteration{(loop.MaxIterations == 1 ? "" : "s")}; the last result is kept in the task's result and history");
            await EndUnsuccessfulAsync(run, task, withHistory with { Status = WorkflowTaskStatus.Failed, Result = result, Error = error, CompletedAt = endedAt }).ConfigureAwait(false);
            return;
        }

        var next = withHistory with { Status = WorkflowTaskStatus.Queued, Iteration = iteration + 1, Attempts = 0, Result = result, Error = null, CompletedAt = null };
        await _store.SaveTaskAsync(run.Id, next, CancellationToken.None).ConfigureAwait(false);
        run.Transition(task, next, run.HasListeners ? new TaskQueued(run.Id, endedAt, def.Id) : null);
        lock (_gate)
        {
            ReleaseLocked(task);
            if (task.Finished) return; // the run was stopped meanwhile, which ended this task
            task.Attempt = 0;
            EnqueueLocked(task);
            DispatchLocked();
        }
    }

    /// <summary>
    /// With a store whose writes cost (SQLite, Redis, any store but the in-memory one), when the engine has nothing else
    /// queued and a slot free, the one dependent a completion makes ready takes that slot now (before the completion is
    /// written), so it can be stored running in the completion's write. Only the plain case: one ready task of the
    /// workflow itself, no loop, foreach or person, no workflow bound, the run neither stopping nor waiting. Anything
    /// else is queued and dispatched as usual.
    /// </summary>
    private TaskState? TryStartDirectly(RunState run, List<TaskState> ready)
    {
        // Not for the in-memory store: its write costs next to nothing, and the dependent starting before the completing
        // thread has finished its own bookkeeping only makes the two threads contend (the 10,000 chain's CPU +22–30%,
        // docs/benchmarks.md "One commit per chain task").
        if (ready.Count != 1 || _ownedStore is not null) return null;
        var task = ready[0];
        var def = task.Definition;
        if (task.Parent is not null || def.ForEach is not null || def.Loop is not null || task.IsHuman || run.Held is not null
            || run.StoredStatus == WorkflowStatus.Waiting || run.Cancellation.IsCancellationRequested)
        {
            return null;
        }
        lock (_gate)
        {
            if (_queued > 0 || task.Finished || run.StopReason != StopReason.None) return null;
            var lane = LaneFor(task);
            if (!lane.HasCapacity || (!lane.HoldsNoSlot && _running >= _options.MaxConcurrency)) return null;
            run.InFlight++;
            task.InFlight = true;
            task.Lane = lane;
            lane.Running++;
            if (lane.Provider is { } provider) provider.Running++;
            if (!lane.HoldsNoSlot) _running++;
        }
        return task;
    }

    /// <summary>The running state of <paramref name="task"/>'s next attempt, counted and kept for that attempt (<see cref="TaskState.StartStored"/>).</summary>
    private static TaskResult StartState(TaskState task, DateTimeOffset now)
    {
        task.Attempt++;
        var running = task.Current with { Status = WorkflowTaskStatus.Running, Attempts = task.Attempt, StartedAt = task.Current.StartedAt ?? now, Error = null };
        task.StartStored = running;
        return running;
    }

    private void EnqueueLocked(TaskState task)
    {
        if (task.Parent is { Definition.MaxConcurrency: { } bound } parent)
        {
            // An item of a bounded foreach task: it waits in its task's own queue until one of the task's slots is free.
            if (parent.ItemsInFlight >= bound)
            {
                (parent.ItemsHeld ??= new Queue<TaskState>()).Enqueue(task);
                return;
            }
            parent.ItemsInFlight++;
        }
        EnqueueRunLocked(task);
    }

    private void EnqueueRunLocked(TaskState task)
    {
        var run = task.Run;
        var key = (task.Definition.Priority, ++_sequence);
        _queued++;
        if (run.Held is not null && run.InFlight >= run.Workflow.MaxConcurrency)
        {
            run.Held.Enqueue(task, key);
            return;
        }
        run.InFlight++;
        LaneFor(task).Ready.Enqueue(task, key);
    }

    /// <summary>The lane a task waits in: its provider's, or the lane of the back end the provider names for it.</summary>
    private ProviderLane LaneFor(TaskState task)
    {
        var registration = task.Registration;
        if (!_lanes.TryGetValue(registration, out var own))
        {
            own = new ProviderLane(registration, null, registration.MaxConcurrency);
            _lanes[registration] = own;
            _laneList.Add(own);
        }
        if (task.LaneName is not { } name) return own;
        if (!_backEndLanes.TryGetValue((registration, name), out var lane))
        {
            lane = new ProviderLane(registration, own, task.LaneBound);
            _backEndLanes[(registration, name)] = lane;
            _laneList.Add(lane);
        }
        return lane;
    }

    /// <summary>
    /// Starts ready tasks while the global bound allows, highest priority first among providers with room. With
    /// <paramref name="started"/>, the chosen tasks are only marked in flight and collected there: the caller hands them to
    /// the thread pool with <see cref="Start"/> after leaving the gate, so a worker thread's wake-up (a system call) is not
    /// paid while every other completion waits for the gate. Returns whether nothing is left queued.
    /// </summary>
    private bool DispatchLocked(List<TaskState>? started = null)
    {
        while (true)
        {
            var slotFree = _running < _options.MaxConcurrency;
            ProviderLane? best = null;
            (int Priority, long Sequence) bestKey = default;
            foreach (var lane in _laneList)
            {
                if (!(slotFree || lane.HoldsNoSlot) || !lane.HasCapacity || !lane.Ready.TryPeek(out _, out var key)) continue;
                if (best is null || ReadyOrder.Instance.Compare(key, bestKey) < 0)
                {
                    best = lane;
                    bestKey = key;
                }
            }
            if (best is null) return _queued == 0;
            var task = best.Ready.Dequeue();
            _queued--;
            if (task.Finished)
            {
                ReleaseRunSlotLocked(task.Run);
                ReleaseItemSlotLocked(task);
                continue;
            }
            task.InFlight = true;
            task.Lane = best;
            best.Running++;
            if (best.Provider is { } provider) provider.Running++;
            if (!best.HoldsNoSlot) _running++;
            if (started is not null) started.Add(task);
            else ThreadPool.UnsafeQueueUserWorkItem(task, preferLocal: false);
        }
    }

    [ThreadStatic]
    private static List<TaskState>? t_started;

    /// <summary>This thread's list for <see cref="DispatchLocked"/>; empty, used between one gate and the <see cref="Start"/> after it.</summary>
    private static List<TaskState> StartBuffer() => t_started ??= new List<TaskState>(8);

    /// <summary>
    /// Hands the tasks <see cref="DispatchLocked"/> chose to the thread pool (outside the gate) and empties the list. With
    /// <paramref name="handOff"/> (nothing else was queued: no other thread has work this task could wait behind), a single
    /// task stays with this thread when it is running a task attempt (<see cref="TaskState.TryHandOff"/>): a chain's next
    /// step then starts on the thread that just finished the step before, without waking another. With work queued, the
    /// thread pool spreads it as before (handing off there cost a random DAG 4% in the A/B driver).
    /// </summary>
    private static void Start(List<TaskState> started, bool handOff)
    {
        if (handOff && started.Count == 1 && TaskState.TryHandOff(started[0]))
        {
            started.Clear();
            return;
        }
        for (var i = 0; i < started.Count; i++) ThreadPool.UnsafeQueueUserWorkItem(started[i], preferLocal: false);
        started.Clear();
    }

    private void ReleaseLocked(TaskState task)
    {
        task.InFlight = false;
        var lane = task.Lane!;
        lane.Running--;
        if (lane.Provider is { } provider) provider.Running--;
        if (!lane.HoldsNoSlot) _running--;
        ReleaseRunSlotLocked(task.Run);
        ReleaseItemSlotLocked(task);
    }

    /// <summary>An item of a bounded foreach task gave up its slot (its attempt ended, or it was dropped finished): the
    /// next held item of that task takes it.</summary>
    private void ReleaseItemSlotLocked(TaskState task)
    {
        if (task.Parent is not { Definition.MaxConcurrency: { } bound } parent) return;
        parent.ItemsInFlight--;
        while (parent.ItemsInFlight < bound && parent.ItemsHeld is { } held && held.TryDequeue(out var next))
        {
            if (next.Finished) continue;
            parent.ItemsInFlight++;
            EnqueueRunLocked(next);
        }
    }

    private void ReleaseRunSlotLocked(RunState run)
    {
        run.InFlight--;
        if (run.Held is null) return;
        while (run.InFlight < run.Workflow.MaxConcurrency && run.Held.TryDequeue(out var held, out var key))
        {
            if (held.Finished)
            {
                _queued--;
                ReleaseItemSlotLocked(held);
                continue;
            }
            run.InFlight++;
            LaneFor(held).Ready.Enqueue(held, key);
        }
    }

    internal async Task ExecuteAttemptAsync(TaskState task)
    {
        var run = task.Run;
        try
        {
            await ExecuteAttemptCoreAsync(run, task).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // The store or the engine itself failed: the run cannot be trusted to continue.
            LogEngineFault(run.Id, task.Definition.Id, ex);
            var error = ex is GleitzeitException g ? g.ToError() : new GleitzeitError(GleitzeitErrorCode.InternalError, $"{ex.GetType().Name}: {ex.Message}");
            bool newly;
            lock (_gate)
            {
                if (task.InFlight) ReleaseLocked(task);
                newly = MarkFinishedLocked(task);
                run.AnyFailed = true;
            }
            run.Transition(task, task.Current with { Status = WorkflowTaskStatus.Failed, Error = error, CompletedAt = _time.GetUtcNow() }, null);
            await StopAsync(run, StopReason.Faulted, error).ConfigureAwait(false);
            if (newly) await SettleAsync(run, 1).ConfigureAwait(false);
        }
    }

    private async Task ExecuteAttemptCoreAsync(RunState run, TaskState task)
    {
        var def = task.Definition;
        if (run.Cancellation.IsCancellationRequested)
        {
            task.StartStored = null;
            await EndCancelledAsync(run, task).ConfigureAwait(false);
            return;
        }
        DateTimeOffset startedAt;
        TaskResult running;
        if (task.StartStored is { } stored)
        {
            // Stored running already, with the completion that made it ready (TryStartDirectly).
            task.StartStored = null;
            running = stored;
            startedAt = stored.StartedAt ?? _time.GetUtcNow();
        }
        else
        {
            task.Attempt++;
            startedAt = _time.GetUtcNow();
            running = task.Current with { Status = WorkflowTaskStatus.Running, Attempts = task.Attempt, StartedAt = task.Current.StartedAt ?? startedAt, Error = null };
            await _store.SaveTaskAsync(run.Id, running, CancellationToken.None).ConfigureAwait(false);
        }
        run.Transition(task, running, run.HasListeners ? new TaskStarted(run.Id, startedAt, def.Id, task.Attempt) : null);
        if (run.StoredStatus == WorkflowStatus.Waiting) await SyncRunStatusAsync(run).ConfigureAwait(false);

        var context = new TaskContext(run.Workflow, def, task.Attempt, task.Registration, task.Method, _options, run.Cancellation.Token)
        {
            Inputs = run.Inputs,
            Results = task.Parent is null ? run.Results : new ItemResults(run.Results, task.ItemValue, task.ItemIndex),
            RunDeadline = run.Deadline,
            Progress = run.HasListeners ? ProgressSink(run, def.Id) : null,
            HasReferences = task.HasReferences,
            Iteration = task.Current.Iteration,
            PreviousIteration = task.Current.History.Count > 0 ? task.Current.History[^1].Result : null,
        };
        var outcome = await _pipeline.ExecuteAsync(context).ConfigureAwait(false);

        var endedAt = _time.GetUtcNow();
        if (outcome.IsCancelled || (!outcome.IsCompleted && run.StopReason != StopReason.None))
        {
            await EndCancelledAsync(run, task).ConfigureAwait(false);
            return;
        }
        if (outcome.IsDeferred)
        {
            await DeferAsync(run, task, running, outcome.RetryAfter!.Value, endedAt).ConfigureAwait(false);
            return;
        }
        if (outcome.IsCompleted && task.IsHuman)
        {
            await EnterWaitingAsync(run, task, running, outcome.Result, endedAt).ConfigureAwait(false);
            return;
        }
        if (outcome.IsCompleted)
        {
            if (def.Loop is not null) await EndIterationAsync(run, task, running, outcome.Result, endedAt).ConfigureAwait(false);
            else await CompleteAsync(run, task, running, outcome.Result, endedAt, outcome.CacheKey).ConfigureAwait(false);
            return;
        }

        var decision = _pipeline.DecideRetry(context, outcome, endedAt);
        if (decision.Retry)
        {
            await RetryLaterAsync(run, task, running, decision.Error, decision.Delay, endedAt).ConfigureAwait(false);
            return;
        }
        await EndUnsuccessfulAsync(run, task, running with { Status = WorkflowTaskStatus.Failed, Error = decision.Error, CompletedAt = endedAt }).ConfigureAwait(false);
    }
}
