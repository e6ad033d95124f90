using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Conditions;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Persistence;
using Gleitzeit.Core.Pipeline;
using Gleitzeit.Core.Protocol;
using Gleitzeit.Core.Substitution;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace Gleitzeit.Persistence.Redis;

/// <summary>
/// Takes ready tasks from the Redis queue (a consumer group on a stream) and runs them with this process's providers,
/// each attempt through the same <see cref="TaskPipeline"/> as the engine (<c>${...}</c> references resolved from stored
/// results, parameters validated, task middleware, the task's timeout) and with its retry decision. Reports each outcome through a Lua script
/// that records it once and queues the dependents it made ready. Run any number of workers on any number of machines.
/// Execution is at-least-once (a task whose worker died runs again elsewhere after <see cref="GleitzeitWorkerOptions.LeaseTime"/>);
/// results are recorded exactly once.
/// </summary>
public sealed partial class GleitzeitWorker
{
    private static readonly RedisValue[] RunFields = ["workflow", "inputs", "started_at"];
    private static readonly Dictionary<string, TaskResult> EmptyResults = new(StringComparer.Ordinal);
    private readonly RedisConnection _connection;
    private readonly RedisWorkflowStore _store;
    private readonly RedisWorkflowQueue _queue;
    private readonly ProviderRegistry _registry;
    private readonly GleitzeitWorkerOptions _options;
    private readonly GleitzeitOptions _engineOptions;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly TaskPipeline _pipeline;
    private readonly ConcurrentDictionary<string, RunContext> _runs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Claim> _claims = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<ProviderRegistration, ITaskLanes?> _laneSources = new();
    private readonly Pulse _pulse = new();
    private long _promoteAt;
    private long _autoClaimAt;
    private RedisValue _autoClaimCursor = "0-0";
    private int _running;

    /// <summary>Creates a worker that takes ready tasks of <paramref name="store"/>'s queue and runs them with <paramref name="registry"/>'s providers; <paramref name="engineOptions"/> supply the engine's task defaults and <paramref name="pipeline"/> wraps each attempt.</summary>
    public GleitzeitWorker(
        RedisWorkflowStore store,
        ProviderRegistry registry,
        GleitzeitWorkerOptions? options = null,
        GleitzeitOptions? engineOptions = null,
        ILogger<GleitzeitWorker>? logger = null,
        TimeProvider? timeProvider = null,
        TaskPipeline? pipeline = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
        _connection = store.Connection;
        _queue = new RedisWorkflowQueue(store, timeProvider);
        _registry = registry ?? throw new ArgumentNullException(nameof(registry));
        _options = options ?? new GleitzeitWorkerOptions();
        GleitzeitWorkerOptionsValidator.Instance.ThrowIfInvalid(_options, nameof(options));
        _engineOptions = engineOptions ?? new GleitzeitOptions();
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
        _pipeline = pipeline ?? new TaskPipeline(logger: _logger, timeProvider: _time);
        ConsumerName = string.IsNullOrWhiteSpace(_options.ConsumerName)
            ? $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}"
            : _options.ConsumerName;
    }

    /// <summary>This worker's name in the consumer group.</summary>
    public string ConsumerName { get; }

    /// <summary>Tasks this worker is running now.</summary>
    public int RunningTasks => Volatile.Read(ref _running);

    /// <summary>Runs with <see cref="GleitzeitWorkerOptions.Concurrency"/> until <paramref name="cancellationToken"/> fires.</summary>
    public Task RunAsync(CancellationToken cancellationToken = default) => RunAsync(_options.Concurrency, cancellationToken);

    /// <summary>
    /// Takes and runs tasks, at most <paramref name="concurrency"/> at once, until <paramref name="cancellationToken"/> fires;
    /// then stops taking work, stops the tasks it runs and hands them back to the queue for other workers, and returns.
    /// Throws PERSISTENCE_CONNECTION_FAILED when Redis is unreachable at start; later outages are waited out (StackExchange.Redis reconnects).
    /// </summary>
    public async Task RunAsync(int concurrency, CancellationToken cancellationToken = default)
    {
        if (concurrency < 1) throw new ArgumentOutOfRangeException(nameof(concurrency), concurrency, "concurrency must be at least 1.");
        await _connection.ConnectAsync().ConfigureAwait(false);
        await EnsureGroupAsync().ConfigureAwait(false);
        var subscriber = await _connection.GetSubscriberAsync().ConfigureAwait(false);
        Action<RedisChannel, RedisValue> onWake = (_, _) => _pulse.Fire();
        Action<RedisChannel, RedisValue> onCancel = (_, runId) => CancelRun(runId!);
        await subscriber.SubscribeAsync(_connection.Keys.WakeChannel, onWake).ConfigureAwait(false);
        await subscriber.SubscribeAsync(_connection.Keys.CancelChannel, onCancel).ConfigureAwait(false);
        LogWorkerStarted(ConsumerName, concurrency, _connection.Endpoint);

        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var heartbeat = HeartbeatLoopAsync(stopping.Token);
        var slots = new SemaphoreSlim(concurrency, concurrency);
        var inFlight = new ConcurrentDictionary<Task, byte>();
        var failures = 0;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                try
                {
                    await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                var free = 1;
                while (free < concurrency && slots.Wait(0)) free++;
                var next = _pulse.Next;
                List<Taken> entries;
                try
                {
                    entries = await FetchAsync(free).ConfigureAwait(false);
                    failures = 0;
                }
                catch (Exception ex) when (RedisConnection.IsConnectionFailure(ex) || ex is RedisServerException)
                {
                    slots.Release(free);
                    failures++;
                    LogRedisTrouble(ConsumerName, ex.Message);
                    if (ex is RedisServerException && ex.Message.Contains("NOGROUP", StringComparison.Ordinal))
                    {
                        // Someone deleted the stream (FLUSHDB, a purge by hand): recreate it.
                        try
                        {
                            await EnsureGroupAsync().ConfigureAwait(false);
                        }
                        catch (Exception again) when (RedisConnection.IsConnectionFailure(again))
                        {
                            LogRedisTrouble(ConsumerName, again.Message);
                        }
                    }
                    await DelayAsync(TimeSpan.FromMilliseconds(Math.Min(5000, 200 * failures)), cancellationToken).ConfigureAwait(false);
                    continue;
                }
                if (entries.Count < free) slots.Release(free - entries.Count);
                foreach (var entry in entries)
                {
                    var work = ProcessAsync(entry, stopping.Token);
                    inFlight[work] = 0;
                    _ = work.ContinueWith(t =>
                    {
                        inFlight.TryRemove(t, out _);
                        slots.Release();
                    }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                }
                if (entries.Count == 0) await DelayAsync(next, _options.PollInterval, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            // Stop the tasks still running and hand them back: the queue re-delivers them to another worker at once.
            // A finished attempt is still reported when Redis answers; waiting out an outage is given up.
            var held = _claims.Values.ToList();
            foreach (var claim in held) claim.Abandon();
            await stopping.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(inFlight.Keys).ConfigureAwait(false);
            await heartbeat.ConfigureAwait(false);
            await ReleaseAsync(held.Select(c => c.EntryId).ToList()).ConfigureAwait(false);
            try
            {
                await subscriber.UnsubscribeAsync(_connection.Keys.WakeChannel, onWake).ConfigureAwait(false);
                await subscriber.UnsubscribeAsync(_connection.Keys.CancelChannel, onCancel).ConfigureAwait(false);
            }
            catch (Exception ex) when (RedisConnection.IsConnectionFailure(ex))
            {
                // Gone with the connection.
            }
            LogWorkerStopped(ConsumerName);
        }
    }

    // ---------------------------------------------------------------- taking work

    private Task EnsureGroupAsync() => RedisWorkflowQueue.EnsureGroupAsync(_connection);

    private async Task<List<Taken>> FetchAsync(int count)
    {
        var keys = _connection.Keys;
        var db = await _connection.GetDatabaseAsync().ConfigureAwait(false);
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        if (now >= Interlocked.Read(ref _promoteAt))
        {
            Interlocked.Exchange(ref _promoteAt, now + (long)_options.PollInterval.TotalMilliseconds);
            await db.ScriptEvaluateAsync(QueueScripts.PromoteDue, [keys.Delayed, keys.Ready, keys.ReadySequence], [now, 100, keys.WakeChannel.ToString()]).ConfigureAwait(false);
        }
        var result = new List<Taken>(count);
        if (now >= _autoClaimAt)
        {
            // Tasks whose worker stopped renewing their lease (it died, or lost Redis for longer than the lease).
            var claimed = await db.StreamAutoClaimAsync(keys.Queue, keys.Group, ConsumerName, (long)_options.LeaseTime.TotalMilliseconds, _autoClaimCursor, count).ConfigureAwait(false);
            _autoClaimCursor = claimed.NextStartId;
            if (claimed.NextStartId == "0-0")
            {
                _autoClaimAt = now + (long)(_options.LeaseTime.TotalMilliseconds / 4);
                // The permits of those workers: freed, and the tasks parked behind them made ready again.
                await db.ScriptEvaluateAsync(QueueScripts.SweepLanes, [keys.Ready, keys.Lanes], [keys.WakeChannel.ToString()]).ConfigureAwait(false);
            }
            foreach (var e in claimed.ClaimedEntries)
            {
                if (e.IsNull) continue;
                LogRedelivered(ConsumerName, (string?)e["run"] ?? "?", (string?)e["task"] ?? "?");
                result.Add(new Taken((string)e.Id!, (string?)e["run"], (string?)e["task"], (string?)e["rank"], (string?)e["traceparent"]));
            }
            if (result.Count >= count) return result;
        }
        // The best-ranked ready tasks, claimed on the stream in the same script.
        var taken = (RedisValue[])(await db.ScriptEvaluateAsync(QueueScripts.Take, [keys.Ready, keys.Queue], [keys.Group, ConsumerName, count - result.Count, keys.Prefix]).ConfigureAwait(false))!;
        for (var i = 0; i + 4 < taken.Length; i += 5)
        {
            result.Add(new Taken((string)taken[i]!, NullIfEmpty(taken[i + 1]), NullIfEmpty(taken[i + 2]), NullIfEmpty(taken[i + 3]), NullIfEmpty(taken[i + 4])));
        }
        return result;
    }

    private static string? NullIfEmpty(RedisValue value) => value.IsNullOrEmpty ? null : (string?)value;

    /// <summary>
    /// The bounded lanes <paramref name="def"/> runs in, outermost first: its provider's (<see cref="ProviderRegistration.MaxConcurrency"/>)
    /// and the back end's the provider names for it (<see cref="ITaskLanes"/>), each shared by every worker through Redis.
    /// Empty when neither is bounded, or when the task cannot be resolved here (it then fails as it would anyway).
    /// </summary>
    private List<(string Base, int Bound)> BoundedLanes(WorkflowTask def)
    {
        var lanes = new List<(string, int)>(2);
        ProviderRegistration registration;
        try
        {
            (registration, _) = _registry.Resolve(def);
        }
        catch (GleitzeitException)
        {
            return lanes;
        }
        if (registration.MaxConcurrency is { } bound && !_options.PerWorkerBoundProviders.Contains(registration.Id)) lanes.Add((_connection.Keys.Lane(registration.Id), bound));
        var source = _laneSources.GetOrAdd(registration, r => r.Provider.GetService(typeof(ITaskLanes)) as ITaskLanes);
        if (source?.LaneFor(def) is { MaxConcurrency: { } laneBound } lane) lanes.Add((_connection.Keys.Lane(registration.Id + "/" + lane.Name), laneBound));
        return lanes;
    }

    private async Task DelayAsync(Task next, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await Pulse.WaitAsync(next, timeout, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping: the loop condition sees it.
        }
    }

    private Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken) => DelayAsync(Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken), delay, cancellationToken);

    // ---------------------------------------------------------------- one task

    private async Task ProcessAsync(Taken entry, CancellationToken stopping)
    {
        var runId = entry.RunId;
        var taskId = entry.TaskId;
        var entryId = entry.EntryId;
        if (runId is null || taskId is null)
        {
            LogBadEntry(ConsumerName, entryId);
            await AckStrayAsync(entryId).ConfigureAwait(false);
            return;
        }
        using var claim = new Claim(entryId, runId, taskId);
        _claims[entryId] = claim;
        Interlocked.Increment(ref _running);
        RunContext? context = null;
        var attempt = 0;
        DateTimeOffset? startedAt = null;
        try
        {
            List<RedisValue> startArgs = [taskId, entryId];
            try
            {
                context = await GetRunAsync(runId).ConfigureAwait(false);
            }
            catch (GleitzeitException ex) when (ex.Code == GleitzeitErrorCode.WorkflowNotFound)
            {
                // Purged or never stored: the start script drops the entry.
            }
            if (context?.FindTask(taskId) is { } def)
            {
                // A task with a condition: evaluated before it takes a lane permit or an attempt. False skips it, an
                // expression that cannot be evaluated fails it (the script acknowledges the entry and settles dependents).
                if (def.When is not null && await DecideAsync(context, def).ConfigureAwait(false) is { } decided)
                {
                    await ReportAsync(context, claim, 0, null, decided, stopping).ConfigureAwait(false);
                    return;
                }
                // A foreach task runs no attempt: its list is resolved here and its items are stored, once, for any worker to run.
                if (def.ForEach is not null)
                {
                    await ExpandAsync(context, claim, def, stopping).ConfigureAwait(false);
                    return;
                }
                // A sub-workflow runs as a run of its own on the workers; this task waits for it holding no worker.
                if (def.Method == RedisWorkflowQueue.SubWorkflowMethod)
                {
                    await RunChildAsync(context, claim, def, stopping).ConfigureAwait(false);
                    return;
                }
                var lanes = BoundedLanes(def);
                if (lanes.Count > 0)
                {
                    startArgs.Add((long)_options.LeaseTime.TotalMilliseconds);
                    startArgs.Add(entry.Rank ?? "");
                    startArgs.Add(def.Priority);
                    foreach (var (laneBase, bound) in lanes)
                    {
                        startArgs.Add(laneBase);
                        startArgs.Add(bound);
                    }
                    claim.Lanes = lanes.ConvertAll(l => l.Base);
                }
            }
            var started = await QueueRedis(QueueScripts.Start, runId, startArgs, "starting task " + taskId).ConfigureAwait(false);
            var parts = (RedisResult[])started!;
            if ((int)parts[0] == 3)
            {
                // A waiting task came back from the delayed set: its timeout is due. Decide it (it does not run again).
                claim.Lanes = null;
                await DecideTimeoutAsync(runId, taskId).ConfigureAwait(false);
                return;
            }
            if ((int)parts[0] != 1)
            {
                // Not run here; when a lane was full the task waits parked in it and holds no permit.
                claim.Lanes = null;
                return;
            }
            attempt = (int)parts[1];
            startedAt = RedisWorkflowStore.ParseTime((RedisValue)parts[2]) ?? _time.GetUtcNow();
            var itemValue = parts.Length > 3 && !((RedisValue)parts[3]).IsNullOrEmpty ? (string?)(RedisValue)parts[3] : null;
            context ??= await GetRunAsync(runId).ConfigureAwait(false);
            Outcome outcome;
            if (context.Deadline is not { } deadline)
            {
                outcome = await ExecuteAsync(context, taskId, attempt, itemValue, entry.TraceParent, claim.Token).ConfigureAwait(false);
            }
            else
            {
                // The run's own timeout: whichever worker sees it pass stops the whole run.
                using var runTimeout = new CancellationTokenSource(Max(deadline - _time.GetUtcNow(), TimeSpan.Zero), _time);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(claim.Token, runTimeout.Token);
                outcome = runTimeout.IsCancellationRequested
                    ? Outcome.Cancelled(_time.GetUtcNow())
                    : await ExecuteAsync(context, taskId, attempt, itemValue, entry.TraceParent, linked.Token).ConfigureAwait(false);
                if (outcome.Kind == OutcomeKind.Cancelled && runTimeout.IsCancellationRequested && !claim.Abandoned)
                {
                    var limit = context.Workflow.Timeout!.Value;
                    LogRunTimedOut(runId, limit.TotalSeconds);
                    await RedisWorkflowQueue.StopAsync(_connection, runId, _time.GetUtcNow(), "timeout",
                        new GleitzeitError(GleitzeitErrorCode.WorkflowTimeout, $"the workflow timed out after {limit.TotalSeconds:0.###} s")).ConfigureAwait(false);
                }
            }
            // This worker is stopping and interrupted the attempt: the task goes back to the queue. An attempt that ended anyway is reported.
            if (claim.Abandoned && outcome.Kind == OutcomeKind.Cancelled) return;
            await ReportAsync(context, claim, attempt, startedAt, outcome, stopping).ConfigureAwait(false);
        }
        catch (Exception ex) when (RedisConnection.IsConnectionFailure(ex))
        {
            // Not recorded: the entry stays claimed by this worker and is re-delivered once the lease runs out.
            LogNotRecorded(ConsumerName, runId, taskId, ex.Message);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogWorkerFault(ConsumerName, runId, taskId, ex);
            // Fail the task rather than leave it to be re-delivered into the same fault forever.
            if (context is not null && !claim.Abandoned)
            {
                var error = ex is GleitzeitException g ? g.ToError() : new GleitzeitError(GleitzeitErrorCode.InternalError, $"worker {ConsumerName}: {ex.GetType().Name}: {ex.Message}");
                try
                {
                    await ReportAsync(context, claim, attempt, startedAt, Outcome.Failed(error, null, _time.GetUtcNow()), stopping).ConfigureAwait(false);
                }
                catch (Exception reportError) when (reportError is not OperationCanceledException)
                {
                    LogNotRecorded(ConsumerName, runId, taskId, reportError.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Stopping.
        }
        finally
        {
            _claims.TryRemove(entryId, out _);
            if (claim.Lanes is { } held) await ReleasePermitsAsync(entryId, held).ConfigureAwait(false);
            Interlocked.Decrement(ref _running);
        }
    }

    /// <summary>Returns the lane permits of a task that ended here; if Redis cannot be reached they expire with the lease instead.</summary>
    private async Task ReleasePermitsAsync(string entryId, List<string> lanes)
    {
        var keys = _connection.Keys;
        var args = new RedisValue[2 + lanes.Count];
        args[0] = keys.WakeChannel.ToString();
        args[1] = entryId;
        for (var i = 0; i < lanes.Count; i++) args[2 + i] = lanes[i];
        try
        {
            await _connection.RunAsync(db => db.ScriptEvaluateAsync(QueueScripts.ReleasePermits, [keys.Ready], args), "releasing lane permits").ConfigureAwait(false);
        }
        catch (Exception ex) when (RedisConnection.IsConnectionFailure(ex) || ex is RedisServerException || ex is GleitzeitException)
        {
            LogRedisTrouble(ConsumerName, ex.Message);
        }
    }

    private async Task<Outcome> ExecuteAsync(RunContext run, string taskId, int attempt, string? itemValue, string? traceParent, CancellationToken cancelled)
    {
        if (run.FindTask(taskId) is not { } def)
        {
            return CannotRun(run, taskId, new GleitzeitError(GleitzeitErrorCode.TaskNotFound, $"run '{run.Id}' has no task '{taskId}'"));
        }
        ProviderRegistration registration;
        MethodDescriptor method;
        Dictionary<string, TaskResult>? results = null;
        try
        {
            (registration, method) = _registry.Resolve(def);
            if (ReferenceResolver.ContainsReferences(def.Parameters)) results = await ReadReferencedResultsAsync(run, def).ConfigureAwait(false);
            results = WithItem(run, taskId, itemValue, results);
        }
        catch (OperationCanceledException) when (cancelled.IsCancellationRequested)
        {
            return Outcome.Cancelled(_time.GetUtcNow());
        }
        catch (GleitzeitException ex)
        {
            return CannotRun(run, taskId, ex.ToError());
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return CannotRun(run, taskId, new GleitzeitError(GleitzeitErrorCode.TaskExecutionFailed, $"{ex.GetType().Name}: {ex.Message}"));
        }

        TaskResult? own = null;
        if (def.Loop is not null)
        {
            try
            {
                own = await ReadOwnStateAsync(run, taskId).ConfigureAwait(false);
            }
            catch (GleitzeitException ex)
            {
                return CannotRun(run, taskId, ex.ToError());
            }
        }
        var context = new TaskContext(run.Workflow, def, attempt, registration, method, _engineOptions, cancelled)
        {
            Inputs = run.Inputs,
            Results = results ?? (IReadOnlyDictionary<string, TaskResult>)EmptyResults,
            RunDeadline = run.Deadline,
            // The run's trace context from the stream entry: this attempt's span joins the submitter's trace.
            TraceParent = traceParent is not null && ActivityContext.TryParse(traceParent, null, isRemote: true, out var parent) ? parent : default,
            Iteration = own is null ? 0 : Math.Max(1, own.Iteration),
            PreviousIteration = own is { History.Count: > 0 } ? own.History[^1].Result : null,
        };
        var outcome = await _pipeline.ExecuteAsync(context).ConfigureAwait(false);

        var endedAt = _time.GetUtcNow();
        if (outcome.IsCancelled) return Outcome.Cancelled(endedAt);
        if (outcome.IsDeferred) return Outcome.Deferred(outcome.RetryAfter ?? TimeSpan.FromMilliseconds(1), endedAt) with { RateLimitedProvider = registration.Id };
        if (outcome.IsCompleted && registration.Provider.GetService(typeof(Gleitzeit.Core.Human.HumanProvider)) is not null) return Outcome.Waiting(outcome.Result, endedAt);
        if (outcome.IsCompleted && own is not null) return EndIteration(run, def, own, attempt, outcome.Result, context.Results, endedAt);
        if (outcome.IsCompleted) return Outcome.Completed(outcome.Result, endedAt) with { Cached = outcome.IsCached, CacheKey = outcome.CacheKey };
        if (cancelled.IsCancellationRequested) return Outcome.Cancelled(endedAt);
        var decision = _pipeline.DecideRetry(context, outcome, endedAt);
        return decision.Retry ? Outcome.Retry(decision.Error, decision.Delay, endedAt) : Outcome.Failed(decision.Error, null, endedAt);
    }

    /// <summary>
    /// The task's <c>when</c>, over the stored states of the tasks it reads: null when it runs, else the outcome to
    /// report (skipped with TASK_CONDITION_FALSE, or failed with the evaluation's error).
    /// </summary>
    private async Task<Outcome?> DecideAsync(RunContext run, WorkflowTask def)
    {
        var states = await ReadStatesAsync(run, TaskConditions.ReferencedTasks(def), def.Id).ConfigureAwait(false);
        try
        {
            if (TaskConditions.ShouldRun(def, states, run.Inputs)) return null;
            return Outcome.Skipped(new GleitzeitError(GleitzeitErrorCode.TaskConditionFalse, $"condition '{def.When}' is false"), _time.GetUtcNow());
        }
        catch (GleitzeitException ex)
        {
            return Outcome.Failed(ex.ToError(), null, _time.GetUtcNow());
        }
    }

    /// <summary>
    /// A workflow/run task: the first delivery starts it (an attempt), loads the child workflow from its file (relative to
    /// the parent's, as the engine does), submits it into this queue as run <c>PARENT.TASK</c> linked by
    /// <see cref="WorkflowRun.ParentId"/>, and acknowledges the entry: the task waits stored running, holding no worker.
    /// When the child run ends, its last script makes this task ready again and whichever worker takes it records the
    /// child's outcome as the task's (<c>{workflow_id, status, outputs}</c>, or TASK_SUBWORKFLOW_FAILED), as the engine does.
    /// A delivery after a crash continues what was done: a child is never started twice.
    /// </summary>
    private async Task RunChildAsync(RunContext run, Claim claim, WorkflowTask def, CancellationToken stopping)
    {
        var taskId = claim.TaskId;
        // A loop's iteration N (from 2 on) runs a child of its own, PARENT.TASK#N, as in the engine.
        var own = await ReadOwnStateAsync(run, taskId).ConfigureAwait(false);
        var iteration = def.Loop is null ? 1 : Math.Max(1, own.Iteration);
        var childId = run.Id + "." + taskId + (iteration <= 1 ? "" : "#" + iteration.ToString(CultureInfo.InvariantCulture));
        var spec = def.Parameters["workflow"] is JsonValue v && v.TryGetValue<string>(out var text) ? text : "";
        var link = new RedisWorkflowQueue.ChildOf(run.Id, taskId, def.Priority);
        var keys = _connection.Keys;
        var state = await _connection.RunAsync(db => db.HashGetAsync(keys.Run(childId), ["status", "remaining"]), "reading child run " + childId).ConfigureAwait(false);
        var childStatus = (string?)state[0];
        if (childStatus is "completed" or "failed" or "cancelled" && state[1].HasValue)
        {
            var child = await _store.GetRunAsync(childId).ConfigureAwait(false)
                ?? throw new GleitzeitException(GleitzeitErrorCode.WorkflowNotFound, $"Run '{childId}' is gone.");
            var outcome = ChildOutcome(spec, child);
            if (def.Loop is not null && outcome.Kind == OutcomeKind.Completed)
            {
                // An iteration of a loop: until decides between completing, the next iteration (its own child) and exhaustion.
                var results = ReferenceResolver.ContainsReferences(def.Parameters) ? await ReadReferencedResultsAsync(run, def).ConfigureAwait(false) : EmptyResults;
                outcome = EndIteration(run, def, own, own.Attempts, outcome.Result, results, outcome.At);
            }
            else if (def.Loop is not null)
            {
                outcome = outcome with { Iteration = iteration, History = own.History };
            }
            await ReportAsync(run, claim, own.Attempts, own.StartedAt, outcome, stopping).ConfigureAwait(false);
            return;
        }
        if (childStatus is null)
        {
            var started = (RedisResult[])(await QueueRedis(QueueScripts.Start, run.Id, [taskId, claim.EntryId], "starting task " + taskId).ConfigureAwait(false))!;
            if ((int)started[0] != 1) return;
            var attempt = (int)started[1];
            var startedAt = RedisWorkflowStore.ParseTime((RedisValue)started[2]) ?? _time.GetUtcNow();
            var itemValue = started.Length > 3 && !((RedisValue)started[3]).IsNullOrEmpty ? (string?)(RedisValue)started[3] : null;
            try
            {
                var workflow = LoadChild(run.Workflow, spec);
                var inputs = await ChildInputsAsync(run, def, own, itemValue).ConfigureAwait(false);
                await _queue.SubmitAsync(workflow, inputs, childId, link, CancellationToken.None).ConfigureAwait(false);
            }
            catch (GleitzeitException ex) when (ex.Code == GleitzeitErrorCode.WorkflowAlreadyExists)
            {
                // Stored by an earlier delivery of this task: continued below.
                await EnsureChildQueuedAsync(childId, link).ConfigureAwait(false);
            }
            catch (WorkflowValidationException ex)
            {
                var error = new GleitzeitError(GleitzeitErrorCode.TaskValidationFailed, $"sub-workflow '{spec}' cannot start: {ex.Message}");
                await ReportAsync(run, claim, attempt, startedAt, Outcome.Failed(error, null, _time.GetUtcNow()), stopping).ConfigureAwait(false);
                return;
            }
            catch (GleitzeitException ex) when (ex.Code != GleitzeitErrorCode.PersistenceConnectionFailed)
            {
                await ReportAsync(run, claim, attempt, startedAt, Outcome.Failed(ex.ToError(), null, _time.GetUtcNow()), stopping).ConfigureAwait(false);
                return;
            }
        }
        else
        {
            // Stored by an earlier delivery (its worker died before this task was left waiting): make sure it runs.
            await EnsureChildQueuedAsync(childId, link).ConfigureAwait(false);
        }
        var waiting = (int)await QueueRedis(QueueScripts.AwaitChild, run.Id, [taskId, claim.EntryId, childId], "leaving task " + taskId + " waiting for run " + childId).ConfigureAwait(false);
        if (waiting == 2) await RedisWorkflowQueue.CancelChildAsync(_connection, childId, _time.GetUtcNow()).ConfigureAwait(false);
    }

    /// <summary>A child run stored but perhaps not linked or queued (its submitter died in between): links and queues it; a no-op otherwise.</summary>
    private async Task EnsureChildQueuedAsync(string childId, RedisWorkflowQueue.ChildOf link)
    {
        var keys = _connection.Keys;
        await RedisWorkflowQueue.LinkChildAsync(_connection, childId, link).ConfigureAwait(false);
        if (await _connection.RunAsync(db => db.HashExistsAsync(keys.Run(childId), "remaining"), "reading run " + childId).ConfigureAwait(false)) return;
        var stored = await _store.GetRunAsync(childId).ConfigureAwait(false);
        if (stored?.Workflow is { } workflow) await RedisWorkflowQueue.QueueFirstTasksAsync(_connection, workflow, childId, _time.GetUtcNow()).ConfigureAwait(false);
    }

    /// <summary>The child workflow a workflow/run task names: a file relative to its parent's directory (registered names are refused at submit).</summary>
    private static Workflow LoadChild(Workflow parent, string spec)
    {
        if (!SubWorkflowFiles.LooksLikeFile(spec))
        {
            throw new GleitzeitException(GleitzeitErrorCode.TaskValidationFailed,
                $"sub-workflow '{spec}' is a registered name, which Redis workers do not know; give the sub-workflow as a file path relative to this workflow's file");
        }
        var path = SubWorkflowFiles.PathOf(parent, spec);
        if (!File.Exists(path))
        {
            throw new GleitzeitException(GleitzeitErrorCode.TaskValidationFailed, $"sub-workflow file '{spec}' not found (looked at {path})");
        }
        try
        {
            return WorkflowLoader.LoadFile(path);
        }
        catch (WorkflowValidationException ex)
        {
            throw new GleitzeitException(GleitzeitErrorCode.TaskValidationFailed, $"sub-workflow '{spec}' is invalid: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// The task's <c>inputs</c> parameter with its references resolved against the stored results as the reference stage
    /// resolves them: <c>${item}</c> and <c>${index}</c> for an item, <c>${iteration}</c> and <c>${previous}</c> for a loop,
    /// null for a dependency that did not complete under <c>join: any</c>.
    /// </summary>
    private async Task<Dictionary<string, JsonNode?>> ChildInputsAsync(RunContext run, WorkflowTask def, TaskResult own, string? itemValue)
    {
        var inputs = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        if (def.Parameters["inputs"] is not JsonObject given) return inputs;
        var results = WithItem(run, def.Id, itemValue, ReferenceResolver.ContainsReferences(def.Parameters) ? await ReadReferencedResultsAsync(run, def).ConfigureAwait(false) : null)
            ?? EmptyResults;
        JsonNode? Lookup(Reference r)
        {
            if (def.Loop is not null && !results.ContainsKey(r.Root))
            {
                switch (r.Root)
                {
                    case TaskConditions.IterationRoot:
                        return ForEachLists.IndexValue(Math.Max(1, own.Iteration));
                    case TaskConditions.PreviousRoot:
                        return own.History.Count > 0 ? ReferenceResolver.Navigate(own.History[^1].Result, r.Path, r.Root) : null;
                }
            }
            if (def.Join == JoinMode.Any && !r.IsInput && !(results.TryGetValue(r.Root, out var source) && source.Status == WorkflowTaskStatus.Completed)) return null;
            return RunReferences.Lookup(r, results, run.Inputs);
        }
        var resolved = ReferenceResolver.Resolve(new JsonObject { ["inputs"] = given.DeepClone() }, Lookup, RedisWorkflowQueue.SubWorkflowMethod);
        foreach (var (k, value) in (JsonObject)resolved["inputs"]!) inputs[k] = value?.DeepClone();
        return inputs;
    }

    /// <summary>What a finished child run makes of its workflow/run task, as in the engine.</summary>
    private Outcome ChildOutcome(string spec, WorkflowRun child)
    {
        var status = StoreJson.StatusName(child.Status);
        var result = new JsonObject
        {
            ["workflow_id"] = child.WorkflowId,
            ["status"] = status,
            ["outputs"] = new JsonObject(child.Outputs.Select(kv => KeyValuePair.Create(kv.Key, kv.Value?.DeepClone()))),
        };
        if (child.Status == WorkflowStatus.Completed) return Outcome.Completed(result, _time.GetUtcNow());
        var why = child.Error is { } e ? $": {e.CodeName}: {e.Message}" : "";
        var error = new GleitzeitException(GleitzeitErrorCode.TaskSubworkflowFailed, $"sub-workflow '{spec}' (run {child.WorkflowId}) ended {status}{why}", data: result).ToError();
        return Outcome.Failed(error, null, _time.GetUtcNow());
    }

    /// <summary>
    /// A foreach task's dependencies are done: its list is resolved from the stored results (as the engine resolves it)
    /// and one script stores the expansion (the task running with <c>{items, count}</c>, every item queued with its
    /// value) and makes the first items ready, up to <see cref="WorkflowTask.MaxConcurrency"/>; a second worker
    /// expanding the same task changes nothing. An empty list completes the task with <c>{results: [], count: 0}</c>;
    /// a value that is not a list fails it with TASK_FOREACH_NOT_LIST.
    /// </summary>
    private async Task ExpandAsync(RunContext run, Claim claim, WorkflowTask def, CancellationToken stopping)
    {
        var now = _time.GetUtcNow();
        JsonArray list;
        try
        {
            var states = await ReadStatesAsync(run, ForEachLists.ReferencedTasks(def), def.Id).ConfigureAwait(false);
            list = ForEachLists.Resolve(def, states, run.Inputs);
        }
        catch (GleitzeitException ex)
        {
            await ReportAsync(run, claim, 0, now, Outcome.Failed(ex.ToError(), null, now), stopping).ConfigureAwait(false);
            return;
        }
        if (list.Count == 0)
        {
            await ReportAsync(run, claim, 0, now, Outcome.Completed(ForEachLists.Aggregate([]), now), stopping).ConfigureAwait(false);
            return;
        }
        var running = new TaskResult
        {
            TaskId = def.Id,
            Status = WorkflowTaskStatus.Running,
            StartedAt = now,
            Result = new JsonObject { ["items"] = list.DeepClone(), ["count"] = list.Count },
        };
        var args = new List<RedisValue>(6 + list.Count * 2)
        {
            def.Id, claim.EntryId, StoreJson.ToJson(running).ToJsonString(), RedisWorkflowStore.EventJson(def.Id, "running", now, 1, null),
            def.Priority, def.MaxConcurrency ?? list.Count,
        };
        for (var i = 0; i < list.Count; i++)
        {
            args.Add(StoreJson.ToJson(new TaskResult { TaskId = ForEachLists.ItemId(def.Id, i), Status = WorkflowTaskStatus.Queued }).ToJsonString());
            args.Add(list[i]?.ToJsonString() ?? "null");
        }
        await QueueRedis(QueueScripts.Expand, run.Id, args, "expanding task " + def.Id).ConfigureAwait(false);
    }

    /// <summary>
    /// A loop iteration completed: kept in the history, then <c>until</c> decides between completing, the next
    /// iteration, and TASK_LOOP_EXHAUSTED (or completing, with <c>on_exhausted: complete</c>), as in the engine.
    /// </summary>
    private Outcome EndIteration(RunContext run, WorkflowTask def, TaskResult own, int attempt, JsonNode? result, IReadOnlyDictionary<string, TaskResult> results, DateTimeOffset endedAt)
    {
        var loop = def.Loop!;
        var iteration = Math.Max(1, own.Iteration);
        var previous = own.History.Count > 0 ? own.History[^1].Result : null;
        var history = new List<TaskIteration>(own.History.Count + 1);
        history.AddRange(own.History);
        history.Add(new TaskIteration(iteration, result?.DeepClone(), attempt, own.History.Count > 0 ? own.History[^1].CompletedAt : own.StartedAt, endedAt));
        bool ends;
        try
        {
            ends = TaskConditions.LoopEnds(def, result, iteration, previous, results, run.Inputs);
        }
        catch (GleitzeitException ex)
        {
            return Outcome.Failed(ex.ToError(), result, endedAt) with { Iteration = iteration, History = history };
        }
        if (ends || (iteration >= loop.MaxIterations && loop.OnExhausted == LoopExhaustedAction.Complete))
        {
            return Outcome.Completed(result, endedAt) with { Iteration = iteration, History = history };
        }
        if (iteration >= loop.MaxIterations)
        {
            var error = new GleitzeitError(GleitzeitErrorCode.TaskLoopExhausted,
                $"loop.until '{loop.Until}' still false after {loop.MaxIterations} iteration{(loop.MaxIterations == 1 ? "" : "s")}; the last result is kept in the task's result and history");
            return Outcome.Failed(error, result, endedAt) with { Iteration = iteration, History = history };
        }
        return new Outcome(OutcomeKind.Iterate, result, null, TimeSpan.Zero, endedAt) { Iteration = iteration + 1, History = history };
    }

    private async Task<TaskResult> ReadOwnStateAsync(RunContext run, string taskId)
    {
        var json = await _connection.RunAsync(db => db.HashGetAsync(_connection.Keys.Tasks(run.Id), taskId), "reading task " + taskId).ConfigureAwait(false);
        return json.IsNullOrEmpty ? TaskResult.Pending(taskId) : RedisWorkflowStore.ParseTask((string)json!);
    }

    private async Task<Dictionary<string, TaskResult>> ReadStatesAsync(RunContext run, IReadOnlyCollection<string> roots, string forTask)
    {
        var results = new Dictionary<string, TaskResult>(StringComparer.Ordinal);
        var ids = roots.Where(r => r != Reference.InputsRoot || run.HasInputsTask).ToArray();
        if (ids.Length == 0) return results;
        var values = await _connection.RunAsync(db => db.HashGetAsync(_connection.Keys.Tasks(run.Id), ids.Select(i => (RedisValue)i).ToArray()), "reading results for " + forTask).ConfigureAwait(false);
        for (var i = 0; i < ids.Length; i++)
        {
            if (values[i].HasValue) results[ids[i]] = RedisWorkflowStore.ParseTask((string)values[i]!);
        }
        return results;
    }

    /// <summary>A waiting task's timeout is due: record what its on_timeout decides (unless a person answered first).</summary>
    private async Task DecideTimeoutAsync(string runId, string taskId)
    {
        var json = await _connection.RunAsync(db => db.HashGetAsync(_connection.Keys.Tasks(runId), taskId), "reading task " + taskId).ConfigureAwait(false);
        if (!json.HasValue) return;
        var waiting = RedisWorkflowStore.ParseTask((string)json!);
        var now = _time.GetUtcNow();
        var decided = Gleitzeit.Core.Human.HumanDecisions.DecideTimeout(waiting, now);
        if (decided is null)
        {
            // Not due yet by this worker's clock: come back then.
            if (Gleitzeit.Core.Human.HumanDecisions.TimeoutAt(waiting) is { } due)
            {
                var context = await GetRunAsync(runId).ConfigureAwait(false);
                var priority = context.FindTask(taskId)?.Priority ?? TaskPriority.Normal;
                var member = string.Create(CultureInfo.InvariantCulture, $"{priority}|{Encoding.UTF8.GetByteCount(runId)}:{runId}{taskId}");
                await _connection.RunAsync(db => db.SortedSetAddAsync(_connection.Keys.Delayed, member, due.ToUnixTimeMilliseconds()), "re-arming a timeout").ConfigureAwait(false);
                ScheduleWake(due);
            }
            return;
        }
        var run = await GetRunAsync(runId).ConfigureAwait(false);
        await RedisWorkflowQueue.RecordDecisionAsync(_connection, run.Workflow, runId, decided, now).ConfigureAwait(false);
    }

    /// <summary>The task cannot even enter the pipeline here (no such task, no provider for it, its inputs unreadable).</summary>
    private Outcome CannotRun(RunContext run, string taskId, GleitzeitError error)
    {
        LogCannotRun(ConsumerName, run.Id, taskId, error.CodeName, error.Message);
        return Outcome.Failed(error, null, _time.GetUtcNow());
    }

    /// <summary>An item's view of the results: <c>${item}</c> and <c>${index}</c> first, then the run's tasks, as in the engine. Other tasks' results are returned as they are.</summary>
    private static Dictionary<string, TaskResult>? WithItem(RunContext run, string taskId, string? itemValue, Dictionary<string, TaskResult>? results)
    {
        if (run.ForEachOf(taskId, out var index) is null) return results;
        results ??= new Dictionary<string, TaskResult>(StringComparer.Ordinal);
        results["item"] = new TaskResult { TaskId = "item", Status = WorkflowTaskStatus.Completed, Result = itemValue is null ? null : JsonNode.Parse(itemValue) };
        results["index"] = new TaskResult { TaskId = "index", Status = WorkflowTaskStatus.Completed, Result = ForEachLists.IndexValue(index) };
        return results;
    }

    private async Task<Dictionary<string, TaskResult>> ReadReferencedResultsAsync(RunContext run, WorkflowTask def)
    {
        var roots = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (_, template) in ReferenceResolver.FindTemplates(def.Parameters))
        {
            foreach (var reference in template.References)
            {
                if (!reference.IsInput || run.HasInputsTask) roots.Add(reference.Root);
            }
        }
        var results = new Dictionary<string, TaskResult>(StringComparer.Ordinal);
        if (roots.Count == 0) return results;
        var ids = roots.ToArray();
        var values = await _connection.RunAsync(db => db.HashGetAsync(_connection.Keys.Tasks(run.Id), ids.Select(i => (RedisValue)i).ToArray()), "reading results for " + def.Id).ConfigureAwait(false);
        for (var i = 0; i < ids.Length; i++)
        {
            if (values[i].HasValue) results[ids[i]] = RedisWorkflowStore.ParseTask((string)values[i]!);
        }
        return results;
    }

    // ---------------------------------------------------------------- reporting

    private async Task ReportAsync(RunContext run, Claim claim, int attempt, DateTimeOffset? startedAt, Outcome outcome, CancellationToken stopping)
    {
        var taskId = claim.TaskId;
        string script;
        List<RedisValue> args = [taskId, claim.EntryId];
        var baseResult = new TaskResult { TaskId = taskId, Attempts = attempt, StartedAt = startedAt, Iteration = outcome.Iteration, History = outcome.History };
        switch (outcome.Kind)
        {
            case OutcomeKind.Completed:
            {
                var done = baseResult with { Status = WorkflowTaskStatus.Completed, Result = outcome.Result, CompletedAt = outcome.At, Cached = outcome.Cached };
                script = QueueScripts.Complete;
                args.Add(StoreJson.ToJson(done).ToJsonString());
                // A cache hit's key in its log entry: watchers report TaskCacheHit from it, as the engine does.
                args.Add(RedisWorkflowStore.EventJson(taskId, "completed", outcome.At, attempt, null, cacheKey: outcome.CacheKey));
                // An item: its result is kept for its foreach task's aggregate, and the dependents are its foreach task's.
                var owner = run.ForEachOf(taskId, out _);
                args.Add(owner?.Id ?? "");
                args.Add(owner is null ? "" : outcome.Result?.ToJsonString() ?? "null");
                foreach (var d in run.Dependents(owner?.Id ?? taskId))
                {
                    args.Add(d);
                    args.Add(run.FindTask(d)?.Priority ?? TaskPriority.Normal);
                }
                break;
            }
            case OutcomeKind.Failed:
            case OutcomeKind.Skipped:
            {
                var failed = outcome.Kind == OutcomeKind.Failed;
                var final = baseResult with
                {
                    Status = failed ? WorkflowTaskStatus.Failed : WorkflowTaskStatus.Skipped,
                    Result = outcome.Result,
                    Error = outcome.Error,
                    CompletedAt = outcome.At,
                };
                var status = failed ? "failed" : "skipped";
                script = QueueScripts.EndUnsuccessful;
                args.Add(StoreJson.ToJson(final).ToJsonString());
                args.Add(RedisWorkflowStore.EventJson(taskId, status, outcome.At, attempt, outcome.Error));
                args.Add($": {taskId}: {outcome.Error!.CodeName}: {outcome.Error.Message}");
                args.Add(status);
                // As the engine: a failure skips dependents with TASK_DEPENDENCY_FAILED, a false condition with TASK_CONDITION_FALSE.
                var cause = failed
                    ? new GleitzeitError(GleitzeitErrorCode.TaskDependencyFailed, $"dependency '{taskId}' failed")
                    : new GleitzeitError(GleitzeitErrorCode.TaskConditionFalse, $"dependency '{taskId}' was skipped");
                // An item that failed fails its foreach task (ItemFailure, as the engine), whose dependents are skipped.
                var owner = run.ForEachOf(taskId, out _);
                if (owner is not null) cause = new GleitzeitError(GleitzeitErrorCode.TaskDependencyFailed, $"dependency '{owner.Id}' failed");
                args.Add(cause.ToJson().ToJsonString());
                args.Add(owner?.Id ?? "");
                args.Add(owner is null ? "" : ForEachLists.ItemFailure(taskId, outcome.Error).ToJson().ToJsonString());
                run.AppendSkipGraph(owner?.Id ?? taskId, args);
                break;
            }
            case OutcomeKind.Iterate:
            {
                var next = baseResult with { Status = WorkflowTaskStatus.Queued, Attempts = 0, Result = outcome.Result };
                script = QueueScripts.Iterate;
                args.Add(StoreJson.ToJson(next).ToJsonString());
                args.Add(RedisWorkflowStore.EventJson(taskId, "queued", outcome.At, 0, null));
                args.Add(run.FindTask(taskId)?.Priority ?? TaskPriority.Normal);
                break;
            }
            case OutcomeKind.Waiting:
            {
                var waiting = Gleitzeit.Core.Human.HumanDecisions.Waiting(baseResult, outcome.Result, outcome.At);
                script = QueueScripts.Wait;
                args.Add(StoreJson.ToJson(waiting).ToJsonString());
                args.Add(RedisWorkflowStore.EventJson(taskId, "waiting", outcome.At, attempt, null));
                // Its timeout comes back through the delayed set, like a retry; Start then hands it to a worker to decide.
                var timeoutAt = Gleitzeit.Core.Human.HumanDecisions.TimeoutAt(waiting);
                args.Add(timeoutAt is { } due ? due.ToUnixTimeMilliseconds() : "");
                var priority = run.FindTask(taskId)?.Priority ?? TaskPriority.Normal;
                args.Add(string.Create(CultureInfo.InvariantCulture, $"{priority}|{Encoding.UTF8.GetByteCount(run.Id)}:{run.Id}{taskId}"));
                args.Add(_connection.Keys.Delayed.ToString());
                if (timeoutAt is { } wake) ScheduleWake(wake);
                break;
            }
            case OutcomeKind.Retry:
            {
                var retrying = baseResult with { Status = WorkflowTaskStatus.Retrying, Error = outcome.Error };
                var due = outcome.At + outcome.Delay;
                script = QueueScripts.Retry;
                args.Add(StoreJson.ToJson(retrying).ToJsonString());
                args.Add(RedisWorkflowStore.EventJson(taskId, "retrying", outcome.At, attempt, outcome.Error));
                args.Add(due.ToUnixTimeMilliseconds());
                var priority = run.FindTask(taskId)?.Priority ?? TaskPriority.Normal;
                args.Add(string.Create(CultureInfo.InvariantCulture, $"{priority}|{Encoding.UTF8.GetByteCount(run.Id)}:{run.Id}{taskId}"));
                args.Add(_connection.Keys.Delayed.ToString());
                ScheduleWake(due);
                break;
            }
            case OutcomeKind.Deferred:
            {
                // Over the provider's rate limit: back to queued with the attempt uncounted, due again after the wait.
                var queued = baseResult with { Status = WorkflowTaskStatus.Queued, Attempts = Math.Max(0, attempt - 1) };
                var due = outcome.At + outcome.Delay;
                script = QueueScripts.Defer;
                args.Add(StoreJson.ToJson(queued).ToJsonString());
                // The provider and the wait in its log entry: watchers report TaskRateLimited from it, as the engine does.
                args.Add(RedisWorkflowStore.EventJson(taskId, "queued", outcome.At, attempt - 1, null,
                    rateLimit: (outcome.RateLimitedProvider ?? "", outcome.Delay)));
                args.Add(due.ToUnixTimeMilliseconds());
                var priority = run.FindTask(taskId)?.Priority ?? TaskPriority.Normal;
                args.Add(string.Create(CultureInfo.InvariantCulture, $"{priority}|{Encoding.UTF8.GetByteCount(run.Id)}:{run.Id}{taskId}"));
                args.Add(_connection.Keys.Delayed.ToString());
                ScheduleWake(due);
                break;
            }
            default:
                script = QueueScripts.EndCancelled;
                break;
        }

        // Redis may be reconnecting: keep trying for a while (the scripts are idempotent), then leave the task to re-delivery.
        var deadline = _time.GetUtcNow() + _options.ReportRetryWindow;
        var wait = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            try
            {
                var recorded = (int)await QueueRedis(script, run.Id, args, "recording task " + taskId).ConfigureAwait(false);
                if (recorded == 0 && outcome.Kind == OutcomeKind.Completed) LogDuplicate(ConsumerName, run.Id, taskId);
                return;
            }
            catch (Exception ex) when (RedisConnection.IsConnectionFailure(ex) && _time.GetUtcNow() + wait < deadline && !stopping.IsCancellationRequested)
            {
                LogRedisTrouble(ConsumerName, ex.Message);
                await Task.Delay(wait, _time, stopping).ConfigureAwait(false);
                wait = TimeSpan.FromMilliseconds(Math.Min(wait.TotalMilliseconds * 2, 2000));
            }
        }
    }

    private void ScheduleWake(DateTimeOffset due)
    {
        var ms = due.ToUnixTimeMilliseconds();
        long current;
        do
        {
            current = Interlocked.Read(ref _promoteAt);
            if (current <= ms) break;
        }
        while (Interlocked.CompareExchange(ref _promoteAt, ms, current) != current);
        var delay = due - _time.GetUtcNow();
        if (delay <= TimeSpan.Zero)
        {
            _pulse.Fire();
            return;
        }
        ITimer? timer = null;
        timer = _time.CreateTimer(_ =>
        {
            _pulse.Fire();
            timer?.Dispose();
        }, null, delay, Timeout.InfiniteTimeSpan);
    }

    private Task<RedisResult> QueueRedis(string script, string runId, IReadOnlyList<RedisValue> args, string what) =>
        RedisWorkflowQueue.Evaluate(_connection, script, runId, _time.GetUtcNow(), args, what);

    private async Task AckStrayAsync(string entryId)
    {
        var keys = _connection.Keys;
        await _connection.RunAsync(db => db.StreamAcknowledgeAsync(keys.Queue, keys.Group, entryId), "acknowledging a malformed entry").ConfigureAwait(false);
    }

    // ---------------------------------------------------------------- leases and cancellation

    private async Task HeartbeatLoopAsync(CancellationToken cancellationToken)
    {
        var period = TimeSpan.FromMilliseconds(Math.Max(30, _options.LeaseTime.TotalMilliseconds / 3));
        using var timer = new PeriodicTimer(period, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    await HeartbeatAsync().ConfigureAwait(false);
                }
                catch (Exception ex) when (RedisConnection.IsConnectionFailure(ex) || ex is RedisServerException)
                {
                    LogRedisTrouble(ConsumerName, ex.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    /// <summary>Renews the lease of every task this worker runs, and cancels those whose run was cancelled meanwhile (a missed notification).</summary>
    internal async Task HeartbeatAsync()
    {
        var claims = _claims.Values.ToList();
        if (claims.Count == 0) return;
        var keys = _connection.Keys;
        var args = new List<RedisValue> { keys.Group, ConsumerName };
        args.AddRange(claims.Select(c => (RedisValue)c.EntryId));
        var runIds = claims.Select(c => c.RunId).Distinct(StringComparer.Ordinal).ToList();
        var permits = new List<RedisValue> { (long)_options.LeaseTime.TotalMilliseconds };
        foreach (var c in claims)
        {
            if (c.Lanes is not { } held) continue;
            foreach (var lane in held)
            {
                permits.Add(lane);
                permits.Add(c.EntryId);
            }
        }
        var (renewed, flags) = await _connection.RunAsync(async db =>
        {
            var batch = db.CreateBatch();
            var r = batch.ScriptEvaluateAsync(LeaseScript, [keys.Queue], [.. args]);
            if (permits.Count > 1) _ = batch.ScriptEvaluateAsync(QueueScripts.RenewPermits, [], [.. permits]);
            var f = runIds.Select(id => batch.HashGetAsync(keys.Run(id), "cancelled")).ToList();
            batch.Execute();
            var renewedIds = (RedisValue[])(await r.ConfigureAwait(false))!;
            var cancelled = new List<bool>(f.Count);
            foreach (var t in f) cancelled.Add((await t.ConfigureAwait(false)).HasValue);
            return (renewedIds, cancelled);
        }, "renewing leases").ConfigureAwait(false);
        for (var i = 0; i < runIds.Count; i++)
        {
            if (flags[i]) CancelRun(runIds[i]);
        }
        if (renewed.Length < claims.Count)
        {
            var kept = renewed.Select(v => (string)v!).ToHashSet(StringComparer.Ordinal);
            foreach (var c in claims.Where(c => !kept.Contains(c.EntryId))) LogLeaseLost(ConsumerName, c.RunId, c.TaskId);
        }
    }

    // Resets the idle time of the entries this consumer still owns (XCLAIM ... JUSTID), never taking one another worker owns now.
    private const string LeaseScript = """
        local renewed = {}
        for i = 3, #ARGV do
            local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1)
            if p[1] and p[1][2] == ARGV[2] then
                redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[i], 'JUSTID')
                renewed[#renewed + 1] = ARGV[i]
            end
        end
        return renewed
        """;

    private void CancelRun(string runId)
    {
        foreach (var claim in _claims.Values)
        {
            if (claim.RunId == runId) claim.Cancel();
        }
    }

    /// <summary>Makes the entries of abandoned tasks immediately claimable by other workers.</summary>
    private async Task ReleaseAsync(IReadOnlyList<string> entryIds)
    {
        if (entryIds.Count == 0) return;
        var keys = _connection.Keys;
        try
        {
            var db = await _connection.GetDatabaseAsync().ConfigureAwait(false);
            foreach (var id in entryIds)
            {
                await db.ExecuteAsync("XCLAIM", [keys.Queue, keys.Group, ConsumerName, 0, id, "IDLE", (long)_options.LeaseTime.TotalMilliseconds + 1, "JUSTID"]).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (RedisConnection.IsConnectionFailure(ex) || ex is RedisServerException)
        {
            LogRedisTrouble(ConsumerName, ex.Message);
        }
    }

    // ---------------------------------------------------------------- run definitions

    private async Task<RunContext> GetRunAsync(string runId)
    {
        if (_runs.TryGetValue(runId, out var cached)) return cached;
        var values = await _connection.RunAsync(db => db.HashGetAsync(_connection.Keys.Run(runId), RunFields), "reading run " + runId).ConfigureAwait(false);
        if (values[0].IsNullOrEmpty) throw new GleitzeitException(GleitzeitErrorCode.WorkflowNotFound, $"Run '{runId}' has no stored definition.");
        var workflow = StoreJson.WorkflowFromJson((JsonObject)JsonNode.Parse((string)values[0]!)!);
        if (workflow.Id != runId) workflow = workflow with { Id = runId };
        var inputs = values[1].IsNullOrEmpty
            ? new Dictionary<string, JsonNode?>()
            : ((JsonObject)JsonNode.Parse((string)values[1]!)!).ToDictionary(kv => kv.Key, kv => kv.Value?.DeepClone());
        var startedAt = RedisWorkflowStore.ParseTime(values[2]);
        var context = new RunContext(runId, workflow, inputs) { Deadline = startedAt + workflow.Timeout };
        if (_runs.Count > 1000) _runs.Clear();
        return _runs.GetOrAdd(runId, context);
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    [LoggerMessage(1, LogLevel.Information, "Worker {Consumer} started: {Concurrency} at once, Redis at {Endpoint}")]
    private partial void LogWorkerStarted(string consumer, int concurrency, string endpoint);

    [LoggerMessage(2, LogLevel.Information, "Worker {Consumer} stopped")]
    private partial void LogWorkerStopped(string consumer);

    [LoggerMessage(3, LogLevel.Warning, "Worker {Consumer}: Redis trouble, retrying: {Message}")]
    private partial void LogRedisTrouble(string consumer, string message);

    [LoggerMessage(4, LogLevel.Information, "Worker {Consumer} took over run {WorkflowId} task {TaskId} from a worker whose lease ran out")]
    private partial void LogRedelivered(string consumer, string workflowId, string taskId);

    [LoggerMessage(5, LogLevel.Warning, "Worker {Consumer}: run {WorkflowId} task {TaskId} could not be recorded and will be re-delivered: {Message}")]
    private partial void LogNotRecorded(string consumer, string workflowId, string taskId, string message);

    [LoggerMessage(6, LogLevel.Error, "Worker {Consumer}: fault at run {WorkflowId} task {TaskId}")]
    private partial void LogWorkerFault(string consumer, string workflowId, string taskId, Exception exception);

    [LoggerMessage(7, LogLevel.Warning, "Worker {Consumer}: run {WorkflowId} task {TaskId} cannot run: {Code}: {Message}")]
    private partial void LogCannotRun(string consumer, string workflowId, string taskId, string code, string message);

    [LoggerMessage(9, LogLevel.Information, "Worker {Consumer}: run {WorkflowId} task {TaskId} was already recorded by another worker; this result is ignored")]
    private partial void LogDuplicate(string consumer, string workflowId, string taskId);

    [LoggerMessage(10, LogLevel.Warning, "Worker {Consumer}: the lease of run {WorkflowId} task {TaskId} went to another worker")]
    private partial void LogLeaseLost(string consumer, string workflowId, string taskId);

    [LoggerMessage(12, LogLevel.Warning, "Run {WorkflowId} timed out after {Seconds} s; stopping it")]
    private partial void LogRunTimedOut(string workflowId, double seconds);

    [LoggerMessage(11, LogLevel.Warning, "Worker {Consumer}: stream entry {EntryId} names no run or task; dropped")]
    private partial void LogBadEntry(string consumer, string entryId);
}
