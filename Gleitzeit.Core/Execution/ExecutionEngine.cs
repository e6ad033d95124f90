using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
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
public sealed partial class ExecutionEngine : IWorkflowRunner, IAsyncDisposable
{
    private readonly ProviderRegistry _registry;
    private readonly IWorkflowStore _store;
    /// <summary>The store when it is the in-memory one: completions are handed to it without a copy (see <see cref="InMemoryWorkflowStore.SaveOwned"/>).</summary>
    private readonly InMemoryWorkflowStore? _ownedStore;
    private readonly GleitzeitOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly TaskPipeline _pipeline;
    private readonly Lock _gate = new();
    private readonly ConcurrentDictionary<string, RunState> _active = new(StringComparer.Ordinal);
    private readonly Dictionary<ProviderRegistration, ProviderLane> _lanes = [];
    private readonly Dictionary<(ProviderRegistration, string), ProviderLane> _backEndLanes = [];
    private readonly List<ProviderLane> _laneList = [];
    private int _running;
    private long _sequence;
    private volatile bool _disposed;

    /// <summary>Creates the engine: tasks go to <paramref name="registry"/>'s providers, runs are kept in <paramref name="store"/> (in memory when null), bounded by <paramref name="options"/>; <paramref name="pipeline"/> wraps each task attempt.</summary>
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
        _ownedStore = _store as InMemoryWorkflowStore;
        _options = options?.Value ?? new GleitzeitOptions();
        GleitzeitOptionsValidator.Instance.ThrowIfInvalid(_options, nameof(options));
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
        _pipeline = pipeline ?? new TaskPipeline(logger: _logger, timeProvider: _time);
        Register();
        // workflow/run (sub-workflows) is built in: its runs are this engine's.
        WorkflowRunProvider.AddTo(_registry, () => this);
    }

    /// <summary>The providers this engine routes tasks to.</summary>
    public ProviderRegistry Registry => _registry;

    /// <summary>Where runs are kept.</summary>
    public IWorkflowStore Store => _store;

    /// <summary>The stages every task attempt of this engine goes through.</summary>
    public TaskPipeline Pipeline => _pipeline;

    /// <summary>Runs a workflow to completion. Cancelling <paramref name="cancellationToken"/> cancels the run; disposing the
    /// engine meanwhile interrupts it (the run is returned <c>interrupted</c>, to be resumed).
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

    /// <summary>
    /// Cancels a run for good: running tasks see their cancellation token fire, tasks not started are cancelled, and the run
    /// ends <c>cancelled</c> (it is not resumed). Works on a run active here, and on one stored unfinished (interrupted, or
    /// left by a process that ended).
    /// </summary>
    public async Task CancelAsync(string workflowId, CancellationToken cancellationToken = default)
    {
        if (_active.TryGetValue(workflowId, out var run))
        {
            await StopAsync(run, StopReason.Cancelled, null).ConfigureAwait(false);
            try
            {
                var ended = await run.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
                if (ended.Status != WorkflowStatus.Interrupted) return;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // Its lease was lost to another process: cancel what the store holds.
            }
            // It was being interrupted (the engine is stopping) when the cancellation came: cancel what was stored.
        }
        var stored = await _store.GetRunAsync(workflowId, cancellationToken).ConfigureAwait(false) ?? throw NotFound(workflowId);
        if (!stored.IsFinished)
        {
            // Not running in this process (interrupted, crashed, or running elsewhere): mark it so it is not resumed.
            var now = _time.GetUtcNow();
            var cancelled = stored.Tasks.Values
                .Where(t => t.Status is not (WorkflowTaskStatus.Completed or WorkflowTaskStatus.Failed or WorkflowTaskStatus.Skipped or WorkflowTaskStatus.Cancelled))
                .Select(t => t with { Status = WorkflowTaskStatus.Cancelled, CompletedAt = now, Error = CancelledError("the run was cancelled") })
                .ToList();
            if (cancelled.Count > 0) await _store.SaveTasksAsync(workflowId, cancelled, cancellationToken).ConfigureAwait(false);
            await _store.UpdateRunStatusAsync(workflowId, WorkflowStatus.Cancelled, now, new GleitzeitError(GleitzeitErrorCode.WorkflowCancelled, "the run was cancelled"), cancellationToken).ConfigureAwait(false);
            await CancelChildrenAsync(stored, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Continues a run from its stored state after an interruption, a crash or a restart: completed tasks keep their
    /// results and are not run again; tasks that were running when the process stopped run again (at-least-once).
    /// Returns the finished run. A run another live process executes (it holds the run's lease) is refused with
    /// WORKFLOW_LEASED naming that process; a run that failed only because its store could not be written
    /// (PERSISTENCE_WRITE_FAILED, a full disk say) is resumable once the store works again.
    /// </summary>
    public async Task<WorkflowRun> ResumeAsync(string workflowId, CancellationToken cancellationToken = default)
    {
        if (_active.TryGetValue(workflowId, out var active)) return await active.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        var stored = await _store.GetRunAsync(workflowId, cancellationToken).ConfigureAwait(false) ?? throw NotFound(workflowId);
        if (!IsResumable(stored)) return stored;
        var run = await ResumeStoredAsync(workflowId, cancellationToken).ConfigureAwait(false);
        if (run is null) return await _store.GetRunAsync(workflowId, cancellationToken).ConfigureAwait(false) ?? throw NotFound(workflowId);
        return await run.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Resumes, in the background, every run the store lists as pending, running, interrupted or waiting, not active here and
    /// not owned by another live process. Returns their ids.</summary>
    public async Task<IReadOnlyList<string>> ResumeUnfinishedAsync(CancellationToken cancellationToken = default)
    {
        var unfinished = await _store.ListRunsAsync(new RunQuery { Statuses = [WorkflowStatus.Pending, WorkflowStatus.Running, WorkflowStatus.Interrupted, WorkflowStatus.Waiting], Limit = int.MaxValue }, cancellationToken).ConfigureAwait(false);
        var ids = new List<string>();
        foreach (var summary in unfinished)
        {
            if (_active.ContainsKey(summary.WorkflowId)) continue;
            try
            {
                if (await ResumeStoredAsync(summary.WorkflowId, cancellationToken).ConfigureAwait(false) is not null) ids.Add(summary.WorkflowId);
            }
            catch (GleitzeitException ex)
            {
                LogResumeFailed(summary.WorkflowId, ex.Message);
            }
        }
        return ids;
    }

    /// <summary>Takes the run's lease, reads its state under the lease (another process may have advanced it meanwhile) and
    /// starts it; null when it finished meanwhile.</summary>
    private async Task<RunState?> ResumeStoredAsync(string workflowId, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await TakeLeaseAsync(workflowId, cancellationToken).ConfigureAwait(false);
        try
        {
            var stored = await _store.GetRunAsync(workflowId, cancellationToken).ConfigureAwait(false) ?? throw NotFound(workflowId);
            if (!IsResumable(stored))
            {
                await ReleaseLeaseAsync(workflowId).ConfigureAwait(false);
                return null;
            }
            if (stored.Workflow is null)
            {
                throw new GleitzeitException(GleitzeitErrorCode.WorkflowExecutionFailed, $"Run '{workflowId}' cannot be resumed: the store holds no definition for it.");
            }
            return await StartAsync(stored.Workflow, new RunOptions { WorkflowId = workflowId, Inputs = stored.Inputs }, stored, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            if (!_active.ContainsKey(workflowId)) await ReleaseLeaseAsync(workflowId).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Unfinished, or failed only because the store could not be written.</summary>
    private static bool IsResumable(WorkflowRun run) =>
        !run.IsFinished || (run.Status == WorkflowStatus.Failed && run.Error?.Code == GleitzeitErrorCode.PersistenceWriteFailed);

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

    /// <summary>
    /// Stopping is not cancelling: every active run is interrupted. Running tasks see their cancellation token fire,
    /// unfinished tasks are stored <c>pending</c>, the run is stored <c>interrupted</c> and its lease released, so
    /// <see cref="ResumeAsync"/> (or <see cref="GleitzeitOptions.ResumeUnfinishedRunsOnStart"/>) continues it later.
    /// <see cref="RunAsync"/> and <see cref="WaitAsync"/> then return the run as <c>interrupted</c>.
    /// </summary>
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
        ITimer? heartbeat;
        lock (_gate)
        {
            heartbeat = _heartbeat;
        }
        if (heartbeat is not null) await heartbeat.DisposeAsync().ConfigureAwait(false);
    }

    private static GleitzeitException NotFound(string workflowId) =>
        new(GleitzeitErrorCode.WorkflowNotFound, $"No run with id '{workflowId}'.");
}
