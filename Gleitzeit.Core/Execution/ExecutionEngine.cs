using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Persistence;
using Gleitzeit.Core.Pipeline;
using Gleitzeit.Core.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Gleitzeit.Core.Execution;

/// <summary>
/// Runs workflows. Scheduling is event-driven: each task counts its unfinished dependencies; a task whose count reaches
/// zero enters its provider's priority ready-queue; a free slot (global bound, provider bound, workflow bound) starts
/// the highest-priority ready task. Every transition is written through the <see cref="IWorkflowStore"/>, and a task's
/// completion is stored before any dependent starts.
/// </summary>
public sealed partial class ExecutionEngine : IAsyncDisposable
{
    private readonly ProviderRegistry _registry;
    private readonly IWorkflowStore _store;
    private readonly GleitzeitOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly TaskPipeline _pipeline;
    private readonly Lock _gate = new();
    private readonly ConcurrentDictionary<string, RunState> _active = new(StringComparer.Ordinal);
    private readonly Dictionary<ProviderRegistration, ProviderLane> _lanes = [];
    private readonly List<ProviderLane> _laneList = [];
    private int _running;
    private long _sequence;
    private volatile bool _disposed;

    public ExecutionEngine(
        ProviderRegistry registry,
        IWorkflowStore? store = null,
        IOptions<GleitzeitOptions>? options = null,
        ILogger<ExecutionEngine>? logger = null,
        TimeProvider? timeProvider = null,
        TaskPipeline? pipeline = null)
    {
        _registry = registry ?? throw new ArgumentNullException(nameof(registry));
        _store = store ?? new InMemoryWorkflowStore();
        _options = options?.Value ?? new GleitzeitOptions();
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
        _pipeline = pipeline ?? new TaskPipeline(logger: _logger, timeProvider: _time);
    }

    /// <summary>The providers this engine routes tasks to.</summary>
    public ProviderRegistry Registry => _registry;

    /// <summary>Where runs are kept.</summary>
    public IWorkflowStore Store => _store;

    /// <summary>The stages every task attempt of this engine goes through.</summary>
    public TaskPipeline Pipeline => _pipeline;

    /// <summary>Runs a workflow to completion. Cancelling <paramref name="cancellationToken"/> cancels the run.
    /// Throws <see cref="WorkflowValidationException"/> before anything runs when the workflow is invalid.</summary>
    public async Task<WorkflowRun> RunAsync(Workflow workflow, RunOptions? options = null, CancellationToken cancellationToken = default)
    {
        var run = await StartAsync(workflow, options, existing: null, cancellationToken).ConfigureAwait(false);
        using var registration = cancellationToken.CanBeCanceled
            ? cancellationToken.UnsafeRegister(static s => _ = ((RunState)s!).Engine.StopAsync((RunState)s!, StopReason.Cancelled, null), run)
            : default;
        return await run.Completion.Task.ConfigureAwait(false);
    }

    /// <summary>Starts a workflow in the background and returns its run id.</summary>
    public async Task<string> SubmitAsync(Workflow workflow, RunOptions? options = null, CancellationToken cancellationToken = default)
    {
        var run = await StartAsync(workflow, options, existing: null, cancellationToken).ConfigureAwait(false);
        return run.Id;
    }

    /// <summary>Waits for a run of this engine to finish; for a run not active here, returns its stored state.</summary>
    public async Task<WorkflowRun> WaitAsync(string workflowId, CancellationToken cancellationToken = default)
    {
        if (_active.TryGetValue(workflowId, out var run)) return await run.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        return await _store.GetRunAsync(workflowId, cancellationToken).ConfigureAwait(false) ?? throw NotFound(workflowId);
    }

    /// <summary>The run's current state, from memory while it runs here, else from the store.</summary>
    public async Task<WorkflowRun?> GetRunAsync(string workflowId, CancellationToken cancellationToken = default)
    {
        if (_active.TryGetValue(workflowId, out var run)) return run.Snapshot();
        return await _store.GetRunAsync(workflowId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Cancels a run: running tasks see their cancellation token fire, tasks not started are cancelled, and the run ends <c>cancelled</c>.</summary>
    public async Task CancelAsync(string workflowId, CancellationToken cancellationToken = default)
    {
        if (_active.TryGetValue(workflowId, out var run))
        {
            await StopAsync(run, StopReason.Cancelled, null).ConfigureAwait(false);
            await run.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            return;
        }
        var stored = await _store.GetRunAsync(workflowId, cancellationToken).ConfigureAwait(false) ?? throw NotFound(workflowId);
        if (!stored.IsFinished)
        {
            // Not running in this process (it crashed, or runs elsewhere): mark it so it is not resumed.
            var now = _time.GetUtcNow();
            var cancelled = stored.Tasks.Values
                .Where(t => t.Status is not (WorkflowTaskStatus.Completed or WorkflowTaskStatus.Failed or WorkflowTaskStatus.Skipped or WorkflowTaskStatus.Cancelled))
                .Select(t => t with { Status = WorkflowTaskStatus.Cancelled, CompletedAt = now, Error = CancelledError("the run was cancelled") })
                .ToList();
            if (cancelled.Count > 0) await _store.SaveTasksAsync(workflowId, cancelled, cancellationToken).ConfigureAwait(false);
            await _store.UpdateRunStatusAsync(workflowId, WorkflowStatus.Cancelled, now, new GleitzeitError(GleitzeitErrorCode.WorkflowCancelled, "the run was cancelled"), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Continues a run from its stored state after a crash or restart: completed tasks keep their results and are not
    /// run again; tasks that were running when the process died run again (at-least-once). Returns the finished run.
    /// </summary>
    public async Task<WorkflowRun> ResumeAsync(string workflowId, CancellationToken cancellationToken = default)
    {
        if (_active.TryGetValue(workflowId, out var active)) return await active.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        var stored = await _store.GetRunAsync(workflowId, cancellationToken).ConfigureAwait(false) ?? throw NotFound(workflowId);
        if (stored.IsFinished) return stored;
        if (stored.Workflow is null)
        {
            throw new GleitzeitException(GleitzeitErrorCode.WorkflowExecutionFailed, $"Run '{workflowId}' cannot be resumed: the store holds no definition for it.");
        }
        var run = await StartAsync(stored.Workflow, new RunOptions { WorkflowId = workflowId, Inputs = stored.Inputs }, stored, cancellationToken).ConfigureAwait(false);
        return await run.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Resumes, in the background, every run the store lists as pending or running and that is not active here. Returns their ids.</summary>
    public async Task<IReadOnlyList<string>> ResumeUnfinishedAsync(CancellationToken cancellationToken = default)
    {
        var unfinished = await _store.ListRunsAsync(new RunQuery { Statuses = [WorkflowStatus.Pending, WorkflowStatus.Running], Limit = int.MaxValue }, cancellationToken).ConfigureAwait(false);
        var ids = new List<string>();
        foreach (var summary in unfinished)
        {
            if (_active.ContainsKey(summary.WorkflowId)) continue;
            var stored = await _store.GetRunAsync(summary.WorkflowId, cancellationToken).ConfigureAwait(false);
            if (stored?.Workflow is null || stored.IsFinished) continue;
            try
            {
                await StartAsync(stored.Workflow, new RunOptions { WorkflowId = stored.WorkflowId, Inputs = stored.Inputs }, stored, cancellationToken).ConfigureAwait(false);
                ids.Add(stored.WorkflowId);
            }
            catch (GleitzeitException ex)
            {
                LogResumeFailed(stored.WorkflowId, ex.Message);
            }
        }
        return ids;
    }

    /// <summary>
    /// Streams the run's events: first events describing its state so far, then live ones until it finishes.
    /// For a run not active here, the stored state is described and the stream ends.
    /// </summary>
    public async IAsyncEnumerable<WorkflowEvent> WatchAsync(string workflowId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (_active.TryGetValue(workflowId, out var run))
        {
            var channel = Channel.CreateUnbounded<WorkflowEvent>(new UnboundedChannelOptions { SingleReader = true });
            var snapshot = run.Subscribe(channel, _time.GetUtcNow());
            try
            {
                foreach (var evt in snapshot) yield return evt;
                await foreach (var evt in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false)) yield return evt;
            }
            finally
            {
                run.Unsubscribe(channel);
            }
            yield break;
        }
        var stored = await _store.GetRunAsync(workflowId, cancellationToken).ConfigureAwait(false) ?? throw NotFound(workflowId);
        foreach (var evt in DescribeState(stored, _time.GetUtcNow())) yield return evt;
    }

    /// <summary>Stops every active run. Their stored state stays as it is (running), so they can be resumed later.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        var runs = _active.Values.ToList();
        foreach (var run in runs) await StopAsync(run, StopReason.Shutdown, null).ConfigureAwait(false);
        foreach (var run in runs)
        {
            try
            {
                await run.Completion.Task.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or TimeoutException)
            {
                // Shut down regardless: the run stays resumable in the store.
            }
        }
    }

    // ---------------------------------------------------------------- starting a run

    private async Task<RunState> StartAsync(Workflow workflow, RunOptions? options, WorkflowRun? existing, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(workflow);
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
        var run = new RunState(this, id, definition, inputs, options?.OnEvent, existing?.CreatedAt ?? now) { StartedAt = now };
        BuildTasks(run, existing);

        if (!_active.TryAdd(id, run))
        {
            throw new GleitzeitException(GleitzeitErrorCode.WorkflowAlreadyExists, $"A run with id '{id}' is already active.");
        }
        try
        {
            if (existing is null)
            {
                await _store.CreateRunAsync(run.Snapshot() with { Status = WorkflowStatus.Pending }, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                // Unfinished tasks go back to pending; tasks skipped now because a dependency failed before the crash
                // are stored as skipped (else the store would show them pending in a finished run).
                var reset = run.Tasks.Where(t =>
                {
                    var stored = existing.Tasks.GetValueOrDefault(t.Definition.Id);
                    return t.Finished ? stored?.Status != t.Current.Status : stored is not null && stored.Status != WorkflowTaskStatus.Pending;
                }).Select(t => t.Current).ToList();
                if (reset.Count > 0) await _store.SaveTasksAsync(id, reset, cancellationToken).ConfigureAwait(false);
            }
            await _store.UpdateRunStatusAsync(id, WorkflowStatus.Running, now, null, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _active.TryRemove(id, out _);
            throw;
        }

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
        bool finishedAlready;
        lock (_gate)
        {
            foreach (var t in run.Tasks)
            {
                if (!t.Finished && t.RemainingDependencies == 0) roots.Add(t);
            }
            finishedAlready = run.Unfinished == 0;
        }
        if (finishedAlready) await FinishRunAsync(run).ConfigureAwait(false);
        else await MakeReadyAsync(run, roots).ConfigureAwait(false);
        return run;
    }

    private void BuildTasks(RunState run, WorkflowRun? existing)
    {
        var defs = run.Workflow.Tasks;
        var tasks = new TaskState[defs.Count];
        for (var i = 0; i < defs.Count; i++)
        {
            var def = defs[i];
            var (registration, method) = _registry.Resolve(def);
            var current = TaskResult.Pending(def.Id);
            if (existing is not null && existing.Tasks.TryGetValue(def.Id, out var stored))
            {
                current = stored.Status is WorkflowTaskStatus.Completed or WorkflowTaskStatus.Failed or WorkflowTaskStatus.Skipped
                    ? stored
                    : stored with { Status = WorkflowTaskStatus.Pending, Error = null, CompletedAt = null };
            }
            var state = new TaskState(this, run, def, i, registration, method, current)
            {
                Attempt = current.Status == WorkflowTaskStatus.Pending ? current.Attempts : 0,
                Finished = current.Status is WorkflowTaskStatus.Completed or WorkflowTaskStatus.Failed or WorkflowTaskStatus.Skipped,
            };
            tasks[i] = state;
            run.ById[def.Id] = state;
        }

        var dependents = new List<int>[tasks.Length];
        foreach (var t in tasks)
        {
            foreach (var dep in t.Definition.DistinctDependencies())
            {
                var d = run.ById[dep];
                (dependents[d.Index] ??= []).Add(t.Index);
                if (d.Current.Status != WorkflowTaskStatus.Completed) t.RemainingDependencies++;
                if (d.Current.Status is WorkflowTaskStatus.Failed or WorkflowTaskStatus.Skipped && !t.Finished)
                {
                    // Resumed run whose failure did not reach this task before the crash.
                    t.Finished = true;
                    t.Current = Skip(t.Current, d.Definition.Id, _time.GetUtcNow());
                }
            }
        }
        var unfinished = 0;
        foreach (var t in tasks)
        {
            t.Dependents = dependents[t.Index]?.ToArray() ?? [];
            if (!t.Finished) unfinished++;
            if (t.Current.Status == WorkflowTaskStatus.Failed) run.AnyFailed = true;
            if (t.Current.Status == WorkflowTaskStatus.Skipped) run.AnyFailed = true;
        }
        run.Tasks = tasks;
        run.Unfinished = unfinished;
        run.Outstanding = unfinished;
        if (run.Workflow.MaxConcurrency is not null) run.Held = new PriorityQueue<TaskState, (int, long)>(ReadyOrder.Instance);
    }

    // ---------------------------------------------------------------- scheduling

    /// <summary>
    /// Stores the tasks as queued, together with <paramref name="completed"/> (the completion that made them ready, when
    /// there is one), applies those states, and only then queues the tasks: a dependent must see its dependency's result.
    /// </summary>
    private async ValueTask MakeReadyAsync(RunState run, List<TaskState> ready, (TaskState Task, TaskResult State, WorkflowEvent? Event)? completed = null)
    {
        var prefix = completed?.State;
        if (ready.Count == 0 && prefix is null) return;
        var now = _time.GetUtcNow();
        var batch = new List<TaskResult>(ready.Count + 1);
        if (prefix is not null) batch.Add(prefix);
        foreach (var t in ready) batch.Add(t.Current with { Status = WorkflowTaskStatus.Queued });
        await _store.SaveTasksAsync(run.Id, batch, CancellationToken.None).ConfigureAwait(false);

        if (completed is { } c) run.Transition(c.Task, c.State, c.Event);
        var listeners = run.HasListeners;
        for (var i = 0; i < ready.Count; i++)
        {
            run.Transition(ready[i], batch[i + (prefix is null ? 0 : 1)], listeners ? new TaskQueued(run.Id, now, ready[i].Definition.Id) : null);
        }
        List<TaskState>? late = null;
        lock (_gate)
        {
            if (completed is { } done)
            {
                // Counted down only now that the completion is stored and applied: a dependent reaching zero here can
                // rely on every one of its dependencies. Those not queued above (another dependency finished in
                // between) get their own queued write.
                foreach (var d in done.Task.Dependents)
                {
                    var dependent = run.Tasks[d];
                    if (--dependent.RemainingDependencies == 0 && !dependent.Finished && !dependent.ReadyClaimed)
                    {
                        dependent.ReadyClaimed = true;
                        (late ??= []).Add(dependent);
                    }
                }
            }
            foreach (var t in ready)
            {
                if (!t.Finished) EnqueueLocked(t);
            }
            DispatchLocked();
        }
        if (late is not null) await MakeReadyAsync(run, late).ConfigureAwait(false);
    }

    private void EnqueueLocked(TaskState task)
    {
        var run = task.Run;
        var key = (task.Definition.Priority, ++_sequence);
        if (run.Held is not null && run.InFlight >= run.Workflow.MaxConcurrency)
        {
            run.Held.Enqueue(task, key);
            return;
        }
        run.InFlight++;
        LaneFor(task.Registration).Ready.Enqueue(task, key);
    }

    private ProviderLane LaneFor(ProviderRegistration registration)
    {
        if (!_lanes.TryGetValue(registration, out var lane))
        {
            lane = new ProviderLane(registration);
            _lanes[registration] = lane;
            _laneList.Add(lane);
        }
        return lane;
    }

    /// <summary>Starts ready tasks while the global bound allows, highest priority first among providers with room.</summary>
    private void DispatchLocked()
    {
        while (_running < _options.MaxConcurrency)
        {
            ProviderLane? best = null;
            (int Priority, long Sequence) bestKey = default;
            foreach (var lane in _laneList)
            {
                if (!lane.HasCapacity || !lane.Ready.TryPeek(out _, out var key)) continue;
                if (best is null || ReadyOrder.Instance.Compare(key, bestKey) < 0)
                {
                    best = lane;
                    bestKey = key;
                }
            }
            if (best is null) return;
            var task = best.Ready.Dequeue();
            if (task.Finished)
            {
                ReleaseRunSlotLocked(task.Run);
                continue;
            }
            task.InFlight = true;
            best.Running++;
            _running++;
            ThreadPool.UnsafeQueueUserWorkItem(task, preferLocal: false);
        }
    }

    private void ReleaseLocked(TaskState task)
    {
        task.InFlight = false;
        _lanes[task.Registration].Running--;
        _running--;
        ReleaseRunSlotLocked(task.Run);
    }

    private void ReleaseRunSlotLocked(RunState run)
    {
        run.InFlight--;
        if (run.Held is null) return;
        while (run.InFlight < run.Workflow.MaxConcurrency && run.Held.TryDequeue(out var held, out var key))
        {
            if (held.Finished) continue;
            run.InFlight++;
            LaneFor(held.Registration).Ready.Enqueue(held, key);
        }
    }

    // ---------------------------------------------------------------- one attempt

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
            await EndCancelledAsync(run, task).ConfigureAwait(false);
            return;
        }
        task.Attempt++;
        var startedAt = _time.GetUtcNow();
        var running = task.Current with { Status = WorkflowTaskStatus.Running, Attempts = task.Attempt, StartedAt = task.Current.StartedAt ?? startedAt, Error = null };
        await _store.SaveTaskAsync(run.Id, running, CancellationToken.None).ConfigureAwait(false);
        run.Transition(task, running, run.HasListeners ? new TaskStarted(run.Id, startedAt, def.Id, task.Attempt) : null);

        var context = new TaskContext(run.Workflow, def, task.Attempt, task.Registration, task.Method, _options, run.Cancellation.Token)
        {
            Inputs = run.Inputs,
            Results = run.Results,
            RunDeadline = run.Deadline,
            Progress = run.HasListeners ? ProgressSink(run, def.Id) : null,
            HasReferences = task.HasReferences,
        };
        var outcome = await _pipeline.ExecuteAsync(context).ConfigureAwait(false);

        var endedAt = _time.GetUtcNow();
        if (outcome.IsCancelled || (!outcome.IsCompleted && run.StopReason != StopReason.None))
        {
            await EndCancelledAsync(run, task).ConfigureAwait(false);
            return;
        }
        if (outcome.IsCompleted)
        {
            await CompleteAsync(run, task, running, outcome.Result, endedAt).ConfigureAwait(false);
            return;
        }

        var decision = _pipeline.DecideRetry(context, outcome, endedAt);
        if (decision.Retry)
        {
            await RetryLaterAsync(run, task, running, decision.Error, decision.Delay, endedAt).ConfigureAwait(false);
            return;
        }
        await FailAsync(run, task, running with { Status = WorkflowTaskStatus.Failed, Error = decision.Error, CompletedAt = endedAt }).ConfigureAwait(false);
    }

    private async ValueTask CompleteAsync(RunState run, TaskState task, TaskResult running, JsonNode? result, DateTimeOffset endedAt)
    {
        var done = running with { Status = WorkflowTaskStatus.Completed, Result = result, CompletedAt = endedAt, Error = null };
        List<TaskState> last = [];
        lock (_gate)
        {
            ReleaseLocked(task);
            MarkFinishedLocked(task);
            // Dependents waiting for this task alone will be ready once it is stored: queue them in the same write.
            // The count-down itself waits until this completion is stored and applied (see MakeReadyAsync).
            foreach (var d in task.Dependents)
            {
                var dependent = run.Tasks[d];
                if (dependent.RemainingDependencies == 1 && !dependent.Finished)
                {
                    dependent.ReadyClaimed = true;
                    last.Add(dependent);
                }
            }
        }
        var evt = run.HasListeners ? new TaskCompleted(run.Id, endedAt, task.Definition.Id, result, task.Attempt, endedAt - (done.StartedAt ?? endedAt)) : null;
        await MakeReadyAsync(run, last, (task, done, evt)).ConfigureAwait(false);
        await SettleAsync(run, 1).ConfigureAwait(false);
    }

    private async ValueTask FailAsync(RunState run, TaskState task, TaskResult failed)
    {
        var now = failed.CompletedAt ?? _time.GetUtcNow();
        List<TaskState> skipped = [];
        bool newly;
        lock (_gate)
        {
            if (task.InFlight) ReleaseLocked(task);
            newly = MarkFinishedLocked(task);
            run.AnyFailed = true;
            var stack = new Stack<int>(task.Dependents);
            while (stack.TryPop(out var d))
            {
                var dependent = run.Tasks[d];
                if (dependent.Finished) continue;
                // A running dependent cannot exist: dependents start only after this task completed.
                MarkFinishedLocked(dependent);
                skipped.Add(dependent);
                foreach (var next in dependent.Dependents) stack.Push(next);
            }
            DispatchLocked();
        }
        var batch = new List<TaskResult>(skipped.Count + 1) { failed };
        foreach (var s in skipped) batch.Add(Skip(s.Current, task.Definition.Id, now));
        await _store.SaveTasksAsync(run.Id, batch, CancellationToken.None).ConfigureAwait(false);
        var listeners = run.HasListeners;
        run.Transition(task, failed, listeners ? new TaskFailed(run.Id, now, task.Definition.Id, failed.Error!, task.Attempt) : null);
        for (var i = 0; i < skipped.Count; i++)
        {
            run.Transition(skipped[i], batch[i + 1], listeners ? new TaskSkipped(run.Id, now, skipped[i].Definition.Id, batch[i + 1].Error!) : null);
        }
        await SettleAsync(run, skipped.Count + (newly ? 1 : 0)).ConfigureAwait(false);
    }

    private async ValueTask RetryLaterAsync(RunState run, TaskState task, TaskResult running, GleitzeitError error, TimeSpan delay, DateTimeOffset now)
    {
        var retrying = running with { Status = WorkflowTaskStatus.Retrying, Error = error };
        // Armed before anyone hears of the retry, so a listener (or a test's fake clock) never outruns the timer.
        var wait = Task.Delay(delay, _time, run.Cancellation.Token);
        await _store.SaveTaskAsync(run.Id, retrying, CancellationToken.None).ConfigureAwait(false);
        run.Transition(task, retrying, run.HasListeners ? new TaskRetrying(run.Id, now, task.Definition.Id, task.Attempt + 1, delay, error) : null);
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
        if (run.StopReason != StopReason.Shutdown)
        {
            var cancelled = task.Current with
            {
                Status = WorkflowTaskStatus.Cancelled,
                CompletedAt = _time.GetUtcNow(),
                Error = run.StopError ?? CancelledError("the run was cancelled"),
            };
            await _store.SaveTaskAsync(run.Id, cancelled, CancellationToken.None).ConfigureAwait(false);
            run.Transition(task, cancelled, run.HasListeners ? new TaskSkipped(run.Id, cancelled.CompletedAt!.Value, task.Definition.Id, cancelled.Error!) : null);
        }
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

    /// <summary>Stops a run: fires its cancellation token and ends every task not in flight (in flight ones end themselves).</summary>
    internal async Task StopAsync(RunState run, StopReason reason, GleitzeitError? error)
    {
        List<TaskState> ended = [];
        lock (_gate)
        {
            if (run.StopReason != StopReason.None || run.Unfinished == 0) return;
            run.StopReason = reason;
            run.StopError = error ?? (reason == StopReason.Cancelled ? CancelledError("the run was cancelled") : null);
            foreach (var t in run.Tasks)
            {
                if (t.Finished || t.InFlight) continue;
                MarkFinishedLocked(t);
                ended.Add(t);
            }
        }
        LogRunStopping(run.Id, reason.ToString());
        // Record the tasks that will not run before firing the token: a task in flight may end the run at once.
        if (reason != StopReason.Shutdown && ended.Count > 0)
        {
            var now = _time.GetUtcNow();
            var err = run.StopError ?? CancelledError("the run was cancelled");
            var batch = ended.Select(t => t.Current with { Status = WorkflowTaskStatus.Cancelled, CompletedAt = now, Error = err }).ToList();
            try
            {
                await _store.SaveTasksAsync(run.Id, batch, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (reason == StopReason.Faulted)
            {
                LogEngineFault(run.Id, null, ex);
            }
            var listeners = run.HasListeners;
            for (var i = 0; i < ended.Count; i++) run.Transition(ended[i], batch[i], listeners ? new TaskSkipped(run.Id, now, ended[i].Definition.Id, err) : null);
        }
        try
        {
            await run.Cancellation.CancelAsync().ConfigureAwait(false);
        }
        catch (AggregateException)
        {
            // Exceptions of cancellation callbacks belong to their owners.
        }
        await SettleAsync(run, ended.Count).ConfigureAwait(false);
    }

    private async Task FinishRunAsync(RunState run)
    {
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
                _active.TryRemove(run.Id, out _);
                run.TimeoutCancellation?.Dispose();
                run.Completion.TrySetException(new OperationCanceledException($"The engine was disposed while run '{run.Id}' was active; resume it with ResumeAsync."));
                return;
            default:
                status = run.AnyFailed ? WorkflowStatus.Failed : WorkflowStatus.Completed;
                error = run.AnyFailed ? FailureSummary(run) : null;
                break;
        }
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
        Diagnostics.WorkflowsFinished.Add(1, new KeyValuePair<string, object?>("status", StoreJson.StatusName(status)));
        run.Finish(status, error, now, new WorkflowCompleted(run.Id, now, status, error, now - run.StartedAt));
        LogRunFinished(run.Id, StoreJson.StatusName(status), (now - run.StartedAt).TotalMilliseconds);
        _active.TryRemove(run.Id, out _);
        run.TimeoutCancellation?.Dispose();
        run.Completion.TrySetResult(run.Snapshot());
    }

    // ---------------------------------------------------------------- helpers

    private Action<TaskProgressUpdate> ProgressSink(RunState run, string taskId) =>
        update => run.Publish(new TaskProgress(run.Id, _time.GetUtcNow(), taskId, update.Kind, update.Text));

    private static TaskResult Skip(TaskResult current, string failedDependency, DateTimeOffset now) => current with
    {
        Status = WorkflowTaskStatus.Skipped,
        CompletedAt = now,
        Error = new GleitzeitError(GleitzeitErrorCode.TaskDependencyFailed, $"dependency '{failedDependency}' failed"),
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

    private static GleitzeitException NotFound(string workflowId) =>
        new(GleitzeitErrorCode.WorkflowNotFound, $"No run with id '{workflowId}'.");

    private static string NewRunId() => "wf-" + Guid.CreateVersion7().ToString("N");

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
                case WorkflowTaskStatus.Skipped or WorkflowTaskStatus.Cancelled: events.Add(new TaskSkipped(run.WorkflowId, at, t.TaskId, t.Error ?? CancelledError("not run"))); break;
            }
        }
        if (run.IsFinished) events.Add(new WorkflowCompleted(run.WorkflowId, run.CompletedAt ?? now, run.Status, run.Error, run.Duration ?? TimeSpan.Zero));
        return events;
    }

    [LoggerMessage(1, LogLevel.Information, "Run {WorkflowId} ({Name}) started with {TaskCount} tasks (resumed: {Resumed})")]
    private partial void LogRunStarted(string workflowId, string name, int taskCount, bool resumed);

    [LoggerMessage(2, LogLevel.Information, "Run {WorkflowId} finished {Status} in {DurationMs} ms")]
    private partial void LogRunFinished(string workflowId, string status, double durationMs);

    [LoggerMessage(5, LogLevel.Error, "Run {WorkflowId}: engine fault at task {TaskId}")]
    private partial void LogEngineFault(string workflowId, string? taskId, Exception exception);

    [LoggerMessage(6, LogLevel.Information, "Run {WorkflowId} stopping: {Reason}")]
    private partial void LogRunStopping(string workflowId, string reason);

    [LoggerMessage(7, LogLevel.Warning, "Run {WorkflowId} could not be resumed: {Message}")]
    private partial void LogResumeFailed(string workflowId, string message);
}
