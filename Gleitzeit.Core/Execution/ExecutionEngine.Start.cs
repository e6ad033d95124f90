using System.Text.Json.Nodes;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Protocol;

namespace Gleitzeit.Core.Execution;

// Run construction: a run's tasks, counters and dependents; for a resumed run, reconciliation with its stored state.
public sealed partial class ExecutionEngine
{
    // seed: for a retry, the results kept from the run retried (completed tasks that do not run again).
    private async Task<RunState> StartAsync(Workflow workflow, RunOptions? options, WorkflowRun? existing, CancellationToken cancellationToken, WorkflowRun? seed = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(workflow);
        if (options is { Budget: not null } or { NoCache: true })
        {
            workflow = workflow with { Budget = options.Budget ?? workflow.Budget, CacheDisabled = workflow.CacheDisabled || options.NoCache };
        }
        WorkflowValidator.EnsureValid(workflow, _registry, workflow.Name);

        var id = options?.WorkflowId ?? (string.IsNullOrEmpty(workflow.Id) ? NewRunId() : workflow.Id);
        var inputs = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        foreach (var (k, v) in workflow.Inputs) inputs[k] = v?.DeepClone();
        if (options is not null)
        {
            foreach (var (k, v) in options.Inputs)
            {
                if (!workflow.Inputs.ContainsKey(k))
                {
                    throw new WorkflowValidationException([new ValidationError(GleitzeitErrorCode.WorkflowValidationFailed,
                        $"unknown input '{k}'" + (workflow.Inputs.Count > 0 ? $"; the workflow declares: {string.Join(", ", workflow.Inputs.Keys)}" : "; the workflow declares no inputs"))], workflow.Name);
                }
                inputs[k] = v?.DeepClone();
            }
        }

        var now = _time.GetUtcNow();
        var definition = workflow with { Id = id };
        var run = new RunState(this, id, definition, inputs, options?.OnEvent, existing?.CreatedAt ?? now) { StartedAt = now, ParentId = existing?.ParentId ?? options?.ParentId };
        BuildTasks(run, existing ?? seed);

        if (!_active.TryAdd(id, run))
        {
            throw new GleitzeitException(GleitzeitErrorCode.WorkflowAlreadyExists, $"A run with id '{id}' is already active.");
        }
        BeginRunTelemetry(run, existing is not null);
        try
        {
            if (existing is null)
            {
                await _store.CreateRunAsync(run.Snapshot() with { Status = WorkflowStatus.Pending }, cancellationToken).ConfigureAwait(false);
                // A resumed run's lease is taken before its state is read (ResumeStoredAsync).
                await TakeLeaseAsync(id, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                // Unfinished (and interrupted) tasks go back to pending; tasks skipped now because a dependency failed before the crash
                // are stored as skipped (else the store would show them pending in a finished run).
                var reset = run.AllTasks().Where(t => !t.Waiting).Where(t =>
                {
                    var stored = existing.Tasks.GetValueOrDefault(t.Definition.Id);
                    return t.Finished ? stored?.Status != t.Current.Status : stored is not null && stored.Status != WorkflowTaskStatus.Pending;
                }).Select(t => t.Current).ToList();
                if (reset.Count > 0) await _store.SaveTasksAsync(id, reset, cancellationToken).ConfigureAwait(false);
            }
            await _store.UpdateRunStatusAsync(id, WorkflowStatus.Running, now, null, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _active.TryRemove(id, out _);
            AbandonRunTelemetry(run, ex);
            throw;
        }

        EnsureHeartbeat();
        lock (run.EventGate)
        {
            run.Status = WorkflowStatus.Running;
        }
        LogRunStarted(id, definition.Name, run.Tasks.Length, existing is not null);
        if (run.HasListeners) run.Publish(new WorkflowStarted(id, now, definition.Name, run.Tasks.Length));

        if (definition.Timeout is { } timeout)
        {
            run.TimeoutCancellation = new CancellationTokenSource(timeout, _time);
            run.TimeoutCancellation.Token.UnsafeRegister(static s =>
            {
                var r = (RunState)s!;
                _ = r.Engine.StopAsync(r, StopReason.TimedOut, new GleitzeitError(GleitzeitErrorCode.WorkflowTimeout, $"the workflow timed out after {r.Workflow.Timeout!.Value.TotalSeconds:0.###} s"));
            }, run);
        }

        var roots = new List<TaskState>();
        List<TaskState>? concluded = null;
        var conditional = new List<TaskState>();
        bool finishedAlready;
        lock (_gate)
        {
            foreach (var t in run.Tasks)
            {
                if (t.Finished || t.Waiting || t.RemainingDependencies != 0) continue;
                if (t.Items is { } items)
                {
                    // A resumed foreach task, expanded before: its unfinished items run; with none left, it completes now.
                    foreach (var item in items)
                    {
                        if (!item.Finished) roots.Add(item);
                    }
                    if (t.ItemsRemaining == 0)
                    {
                        t.Concluding = true;
                        (concluded ??= []).Add(t);
                    }
                    continue;
                }
                t.ReadyClaimed = true;
                (t.Unconditional ? roots : conditional).Add(t);
            }
            finishedAlready = run.Unfinished == 0;
        }
        if (finishedAlready) await FinishRunAsync(run).ConfigureAwait(false);
        else
        {
            try
            {
                await MakeReadyAsync(run, roots).ConfigureAwait(false);
                if (concluded is not null)
                {
                    foreach (var t in concluded) await CompleteForEachAsync(run, t).ConfigureAwait(false);
                }
                await DecideAsync(run, conditional).ConfigureAwait(false);
                // A resumed run's waiting tasks wait again (no re-run of the request): their timeouts re-armed, and the
                // run stored waiting when nothing else can run.
                if (run.WaitingCount > 0) await ResumeWaitingAsync(run).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // The store refused the first queued states (a full disk, say): the run ends failed, it does not hang.
                await FaultAsync(run, null, ex).ConfigureAwait(false);
            }
        }
        return run;
    }

    private void BuildTasks(RunState run, WorkflowRun? existing)
    {
        var defs = run.Workflow.Tasks;
        var tasks = new TaskState[defs.Count];
        Dictionary<ProviderRegistration, ITaskLanes?>? laneSources = null;
        for (var i = 0; i < defs.Count; i++)
        {
            var def = defs[i];
            var (registration, method) = _registry.Resolve(def);
            var current = TaskResult.Pending(def.Id);
            Human.WaitingTask? wait = null;
            if (existing is not null && existing.Tasks.TryGetValue(def.Id, out var stored))
            {
                wait = stored.Status == WorkflowTaskStatus.Waiting ? Human.HumanRequest.FromWaitingResult(stored.Result) : null;
                current = stored.Status is WorkflowTaskStatus.Completed or WorkflowTaskStatus.Failed or WorkflowTaskStatus.Skipped || wait is not null
                    ? stored
                    : stored with { Status = WorkflowTaskStatus.Pending, Error = null, CompletedAt = null };
            }
            var lane = LanesOf(registration, ref laneSources)?.LaneFor(def);
            // A loop task's state says which iteration it is at from the first write on.
            if (def.Loop is not null && current.Iteration == 0) current = current with { Iteration = 1 };
            var state = new TaskState(this, run, def, i, registration, method, current)
            {
                LaneName = lane?.Name,
                LaneBound = lane?.MaxConcurrency,
                Attempt = current.Status is WorkflowTaskStatus.Pending or WorkflowTaskStatus.Waiting ? current.Attempts : 0,
                Waiting = wait is not null,
                Wait = wait,
                Finished = current.Status is WorkflowTaskStatus.Completed or WorkflowTaskStatus.Failed or WorkflowTaskStatus.Skipped,
            };
            tasks[i] = state;
            run.ById[def.Id] = state;
            if (existing is not null && def.ForEach is not null) RestoreItems(run, state, existing);
        }

        // Each task's dependencies by index, looked up by id once (a lookup in a dictionary of every task of a large run
        // is a cache miss or more), and its dependents, in task order, as exact-size arrays (counted first: no list per
        // task, no copy).
        var dependencies = new int[tasks.Length][];
        var dependents = new int[tasks.Length][];
        var counts = new int[tasks.Length];
        for (var i = 0; i < tasks.Length; i++)
        {
            var ids = tasks[i].Definition.DistinctDependencies();
            var indexes = ids.Count == 0 ? [] : new int[ids.Count];
            for (var j = 0; j < ids.Count; j++) counts[indexes[j] = run.ById[ids[j]].Index]++;
            dependencies[i] = indexes;
        }
        for (var i = 0; i < tasks.Length; i++)
        {
            dependents[i] = counts[i] == 0 ? [] : new int[counts[i]];
            counts[i] = 0;
        }
        for (var i = 0; i < tasks.Length; i++)
        {
            foreach (var d in dependencies[i]) dependents[d][counts[d]++] = i;
        }
        // A resumed run in dependency order, so that a skip decided here reaches the tasks below it; a new run has
        // nothing finished, so any order does.
        IReadOnlyList<TaskState> order = existing is null ? tasks : TopologicalOrder(tasks, dependents);
        for (var k = 0; k < order.Count; k++)
        {
            var t = order[k];
            GleitzeitError? cause = null;
            foreach (var index in dependencies[t.Index])
            {
                var d = tasks[index];
                switch (d.Current.Status)
                {
                    case WorkflowTaskStatus.Completed:
                        t.CompletedDependencies++;
                        break;
                    case WorkflowTaskStatus.Failed or WorkflowTaskStatus.Skipped:
                        cause ??= SkipCause(d.Definition.Id, d.Current);
                        break;
                    default:
                        t.RemainingDependencies++;
                        break;
                }
            }
            if (t.Finished || cause is null) continue;
            // Resumed run whose failure or skip did not reach this task before the crash.
            if (t.Definition.Join == JoinMode.All || (t.RemainingDependencies == 0 && t.CompletedDependencies == 0))
            {
                t.Finished = true;
                t.Current = Skip(t.Current, cause, _time.GetUtcNow());
            }
        }
        var unfinished = 0;
        foreach (var t in tasks)
        {
            t.Dependents = dependents[t.Index];
            if (!t.Finished) unfinished++;
            if (t.Items is { } items)
            {
                foreach (var item in items) if (!item.Finished) unfinished++;
            }
            if (t.Waiting) run.WaitingCount++;
            if (t.Current.Status == WorkflowTaskStatus.Failed) run.AnyFailed = true;
        }
        run.Tasks = tasks;
        run.Unfinished = unfinished;
        run.Outstanding = unfinished;
        if (run.Workflow.MaxConcurrency is not null) run.Held = new PriorityQueue<TaskState, (int, long)>(ReadyOrder.Instance);
    }

    /// <summary>Kahn's order over the dependency edges (the validator guarantees there is no cycle).</summary>
    private static List<TaskState> TopologicalOrder(TaskState[] tasks, int[][] dependents)
    {
        var remaining = new int[tasks.Length];
        foreach (var t in tasks) remaining[t.Index] = t.Definition.DistinctDependencies().Count;
        var queue = new Queue<TaskState>(tasks.Where(t => remaining[t.Index] == 0));
        var order = new List<TaskState>(tasks.Length);
        while (queue.TryDequeue(out var t))
        {
            order.Add(t);
            foreach (var d in dependents[t.Index])
            {
                if (--remaining[d] == 0) queue.Enqueue(tasks[d]);
            }
        }
        return order;
    }

    /// <summary>The provider's <see cref="ITaskLanes"/>, asked once per provider and run.</summary>
    private static ITaskLanes? LanesOf(ProviderRegistration registration, ref Dictionary<ProviderRegistration, ITaskLanes?>? known)
    {
        known ??= [];
        if (!known.TryGetValue(registration, out var lanes)) known[registration] = lanes = registration.Provider.GetService(typeof(ITaskLanes)) as ITaskLanes;
        return lanes;
    }

    private static string NewRunId() => "wf-" + Guid.CreateVersion7().ToString("N");
}
