using System.Runtime.CompilerServices;
using Gleitzeit.Core;
using Gleitzeit.Core.Execution;
using StackExchange.Redis;

namespace Gleitzeit.Persistence.Redis;

/// <summary>
/// The distributed <see cref="IWorkflowRunner"/>: runs are queued on <see cref="RedisWorkflowQueue"/> and executed by
/// <see cref="GleitzeitWorker"/>s on any machine; this process only submits, follows and cancels them. Registered by
/// <c>AddRedis</c> as itself and as the keyed service <c>IWorkflowRunner</c> under <see cref="ServiceKey"/> (the unkeyed
/// <see cref="IWorkflowRunner"/> stays the in-process <see cref="ExecutionEngine"/>).
/// </summary>
public sealed class RedisWorkflowRunner : IWorkflowRunner
{
    /// <summary>The key of this runner among the keyed <see cref="IWorkflowRunner"/> services.</summary>
    public const string ServiceKey = "redis";

    private readonly RedisWorkflowQueue _queue;
    private readonly TimeProvider _time;

    /// <summary>Creates the runner that submits runs to <paramref name="queue"/> for workers to execute; <paramref name="timeProvider"/> stamps them (the system clock when null).</summary>
    public RedisWorkflowRunner(RedisWorkflowQueue queue, TimeProvider? timeProvider = null)
    {
        _queue = queue ?? throw new ArgumentNullException(nameof(queue));
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>The queue the runs go through.</summary>
    public RedisWorkflowQueue Queue => _queue;

    /// <summary>Whether this runner owns the run (it was queued for workers), false for an unknown run and for one an
    /// <see cref="ExecutionEngine"/> runs.</summary>
    public Task<bool> OwnsAsync(string workflowId, CancellationToken cancellationToken = default) => _queue.IsQueuedAsync(workflowId, cancellationToken);

    /// <summary>
    /// Queues the run for workers and returns its id; nothing runs here. <see cref="RunOptions.WorkflowId"/> and
    /// <see cref="RunOptions.Inputs"/> apply; <see cref="RunOptions.OnEvent"/> cannot be honoured (the events happen in
    /// other processes: use <see cref="WatchAsync"/>) and is refused.
    /// </summary>
    public async Task<string> SubmitAsync(Workflow workflow, RunOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(workflow);
        if (options?.OnEvent is not null)
        {
            throw new ArgumentException("RunOptions.OnEvent is not supported for runs queued for workers (their events happen in the worker processes); follow the run with WatchAsync instead.", nameof(options));
        }
        // The budget and --no-cache travel with the stored definition, so every worker applies them.
        if (options is { Budget: not null } or { NoCache: true })
        {
            workflow = workflow with { Budget = options.Budget ?? workflow.Budget, CacheDisabled = workflow.CacheDisabled || options.NoCache };
        }
        return await _queue.SubmitAsync(workflow, options?.Inputs, options?.WorkflowId, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc cref="RedisWorkflowQueue.WaitAsync"/>
    public Task<WorkflowRun> WaitAsync(string workflowId, CancellationToken cancellationToken = default) => _queue.WaitAsync(workflowId, cancellationToken);

    /// <inheritdoc cref="RedisWorkflowQueue.GetRunAsync"/>
    public Task<WorkflowRun?> GetRunAsync(string workflowId, CancellationToken cancellationToken = default) => _queue.GetRunAsync(workflowId, cancellationToken);

    /// <inheritdoc cref="RedisWorkflowQueue.CancelAsync"/>
    public Task CancelAsync(string workflowId, CancellationToken cancellationToken = default) => _queue.CancelAsync(workflowId, cancellationToken);

    /// <summary>Answers a waiting task of a queued run; the workers continue the run (see <see cref="RedisWorkflowQueue.AnswerAsync"/>).</summary>
    public Task<TaskResult> AnswerAsync(string workflowId, string taskId, Gleitzeit.Core.Human.HumanAnswer answer, CancellationToken cancellationToken = default) =>
        _queue.AnswerAsync(workflowId, taskId, answer, cancellationToken);

    /// <summary>
    /// Streams the run's events as seen in the store. The first read describes the state so far (<see cref="WorkflowStarted"/>
    /// once the run started, then one event per task that left <c>pending</c>); after that, each change of a task's state
    /// or attempt count yields <see cref="TaskQueued"/>, <see cref="TaskStarted"/>, <see cref="TaskRetrying"/>,
    /// <see cref="TaskCompleted"/>, <see cref="TaskFailed"/> or <see cref="TaskSkipped"/> (skipped and cancelled tasks), and
    /// the stream ends with <see cref="WorkflowCompleted"/>. The store is read again whenever the queue's pub/sub channels
    /// announce this run (tasks queued, the run finished or cancelled) and at least every second (a task's start, a failure
    /// or a retry mid-run is not announced). A state that lasted shorter than one read is not seen: a task queued, started and completed between
    /// two reads yields only <see cref="TaskCompleted"/>. <see cref="TaskProgress"/> (streamed tokens) stays in the worker.
    /// Cost events the workers record in the run's event log are never missed: <see cref="TaskCacheHit"/> just before the
    /// <see cref="TaskCompleted"/> of a task served from the result cache, and <see cref="TaskRateLimited"/> for each wait
    /// for a provider's rate limit (before <see cref="WorkflowCompleted"/>).
    /// WORKFLOW_NOT_FOUND for an unknown run.
    /// </summary>
    public async IAsyncEnumerable<WorkflowEvent> WatchAsync(string workflowId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(workflowId);
        cancellationToken.ThrowIfCancellationRequested();
        var connection = _queue.Store.Connection;
        var pulse = new Pulse();
        var subscriber = await connection.GetSubscriberAsync().AsTask().WaitAsync(cancellationToken).ConfigureAwait(false);
        RedisChannel[] channels = [connection.Keys.WakeChannel, connection.Keys.FinishedChannel, connection.Keys.CancelChannel];
        Action<RedisChannel, RedisValue> handler = (_, value) =>
        {
            if (value == workflowId) pulse.Fire();
        };
        foreach (var channel in channels) await subscriber.SubscribeAsync(channel, handler).WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var seen = new Dictionary<string, (WorkflowTaskStatus Status, int Attempts)>(StringComparer.Ordinal);
            var started = false;
            var log = new WorkerLog(workflowId);
            while (true)
            {
                var next = pulse.Next;
                WorkflowRun? run = null;
                try
                {
                    run = await _queue.Store.GetRunAsync(workflowId, cancellationToken).ConfigureAwait(false)
                        ?? throw new GleitzeitException(GleitzeitErrorCode.WorkflowNotFound, $"No run with id '{workflowId}'.");
                    // Read after the state: every completion in it has its log entry read too (one script writes both).
                    await log.ReadAsync(connection, cancellationToken).ConfigureAwait(false);
                }
                catch (GleitzeitException ex) when (ex.Code == GleitzeitErrorCode.PersistenceConnectionFailed)
                {
                    // Redis is reconnecting: keep watching (the log is read from where it was left next time).
                }
                if (run is not null)
                {
                    foreach (var evt in Changes(run, seen, ref started, _time.GetUtcNow(), log)) yield return evt;
                    if (run.IsFinished) yield break;
                }
                await Pulse.WaitAsync(next, TimeSpan.FromSeconds(1), _time, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            foreach (var channel in channels)
            {
                try
                {
                    await subscriber.UnsubscribeAsync(channel, handler).ConfigureAwait(false);
                }
                catch (Exception ex) when (RedisConnection.IsConnectionFailure(ex))
                {
                    // The subscription dies with the connection anyway.
                }
            }
        }
    }

    /// <summary>
    /// The events between the last snapshot (<paramref name="seen"/>) and <paramref name="run"/>; updates <paramref name="seen"/>.
    /// With the workers' <paramref name="log"/>: a completion it names as a cache hit is preceded by its <see cref="TaskCacheHit"/>
    /// (as the engine emits them), and its rate-limit deferrals are reported (before <see cref="WorkflowCompleted"/>).
    /// </summary>
    internal static List<WorkflowEvent> Changes(WorkflowRun run, Dictionary<string, (WorkflowTaskStatus Status, int Attempts)> seen, ref bool started, DateTimeOffset now,
        WorkerLog? log = null)
    {
        var events = new List<WorkflowEvent>();
        if (!started && (run.Status != WorkflowStatus.Pending || run.StartedAt is not null || run.Tasks.Values.Any(t => t.Status != WorkflowTaskStatus.Pending)))
        {
            started = true;
            events.Add(new WorkflowStarted(run.WorkflowId, run.StartedAt ?? run.CreatedAt, run.Name, run.Tasks.Count));
        }
        foreach (var t in run.Tasks.Values)
        {
            var state = (t.Status, t.Attempts);
            var previous = seen.TryGetValue(t.TaskId, out var p) ? p : (WorkflowTaskStatus.Pending, 0);
            if (state == previous) continue;
            seen[t.TaskId] = state;
            var at = t.CompletedAt ?? t.StartedAt ?? now;
            switch (t.Status)
            {
                case WorkflowTaskStatus.Queued:
                    events.Add(new TaskQueued(run.WorkflowId, at, t.TaskId));
                    break;
                case WorkflowTaskStatus.Running:
                    events.Add(new TaskStarted(run.WorkflowId, at, t.TaskId, t.Attempts));
                    break;
                case WorkflowTaskStatus.Retrying:
                    events.Add(new TaskRetrying(run.WorkflowId, now, t.TaskId, t.Attempts + 1, TimeSpan.Zero,
                        t.Error ?? new GleitzeitError(GleitzeitErrorCode.TaskExecutionFailed, "the attempt failed")));
                    break;
                case WorkflowTaskStatus.Completed:
                    if (log?.TakeCacheHit(t.TaskId) is { } hit) events.Add(hit);
                    events.Add(new TaskCompleted(run.WorkflowId, at, t.TaskId, t.Result, t.Attempts, t.Duration ?? TimeSpan.Zero));
                    break;
                case WorkflowTaskStatus.Failed:
                    events.Add(new TaskFailed(run.WorkflowId, at, t.TaskId, t.Error ?? new GleitzeitError(GleitzeitErrorCode.TaskExecutionFailed, "failed"), t.Attempts));
                    break;
                case WorkflowTaskStatus.Skipped or WorkflowTaskStatus.Cancelled:
                    events.Add(new TaskSkipped(run.WorkflowId, at, t.TaskId, t.Error ?? new GleitzeitError(GleitzeitErrorCode.TaskCancelled, "not run")));
                    break;
            }
        }
        if (log is not null) events.AddRange(log.TakeRateLimited());
        if (run.IsFinished)
        {
            events.Add(new WorkflowCompleted(run.WorkflowId, run.CompletedAt ?? now, run.Status, run.Error, run.Duration ?? TimeSpan.Zero));
        }
        return events;
    }
}
