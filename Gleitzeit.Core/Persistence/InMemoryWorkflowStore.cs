using System.Collections.Concurrent;
using System.Text.Json.Nodes;

namespace Gleitzeit.Core.Persistence;

/// <summary>
/// Keeps runs in process memory: fast, and gone when the process ends. The default store until another is added.
/// </summary>
public sealed class InMemoryWorkflowStore : IWorkflowStore
{
    private readonly ConcurrentDictionary<string, Entry> _runs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, RunLease> _leases = new(StringComparer.Ordinal);
    private readonly Lock _leaseGate = new();
    private long _sequence;

    /// <inheritdoc />
    public ValueTask CreateRunAsync(WorkflowRun run, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        var entry = new Entry(run, Interlocked.Increment(ref _sequence));
        if (!_runs.TryAdd(run.WorkflowId, entry))
        {
            throw new GleitzeitException(GleitzeitErrorCode.WorkflowAlreadyExists, $"A run with id '{run.WorkflowId}' already exists.");
        }
        entry.Events.Add(new EventEntry(null, StoreJson.StatusName(run.Status), run.CreatedAt, 0, null));
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask UpdateRunStatusAsync(string workflowId, WorkflowStatus status, DateTimeOffset timestamp, GleitzeitError? error = null, CancellationToken cancellationToken = default)
    {
        var entry = Get(workflowId);
        lock (entry)
        {
            var run = entry.Run with { Status = status, Error = error ?? entry.Run.Error };
            if (status == WorkflowStatus.Running)
            {
                run = run with { StartedAt = run.StartedAt ?? timestamp, CompletedAt = null, Error = error };
            }
            else if (status is WorkflowStatus.Completed or WorkflowStatus.Failed or WorkflowStatus.Cancelled)
            {
                run = run with { CompletedAt = timestamp };
            }
            entry.Run = run;
            entry.Events.Add(new EventEntry(null, StoreJson.StatusName(status), timestamp, 0, error));
        }
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask SaveTaskAsync(string workflowId, TaskResult task, CancellationToken cancellationToken = default)
    {
        var entry = Get(workflowId);
        // The copy and the event are made before taking the run's lock: every completion of a run writes here.
        var detached = Detached(task);
        var evt = EventOf(task);
        lock (entry)
        {
            entry.Tasks[task.TaskId] = detached;
            entry.Events.Add(evt);
        }
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask SaveTasksAsync(string workflowId, IReadOnlyList<TaskResult> tasks, CancellationToken cancellationToken = default)
    {
        if (tasks.Count == 1) return SaveTaskAsync(workflowId, tasks[0], cancellationToken);
        Save(workflowId, tasks, detach: true);
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Stores states whose result nodes the caller hands over: the engine's own completions, whose results it never
    /// changes afterwards (it copies out of them, never into them). They are kept as they are, not copied, so a run holds
    /// one result object per task instead of two; what this store gives out is still a copy (<see cref="Entry.Snapshot"/>).
    /// </summary>
    internal void SaveOwned(string workflowId, IReadOnlyList<TaskResult> tasks) => Save(workflowId, tasks, detach: false);

    private void Save(string workflowId, IReadOnlyList<TaskResult> tasks, bool detach)
    {
        var entry = Get(workflowId);
        // Copies are made before taking the run's lock (every completion of a run writes here); owned states need none.
        TaskResult[]? copies = null;
        if (detach)
        {
            copies = new TaskResult[tasks.Count];
            for (var i = 0; i < copies.Length; i++) copies[i] = Detached(tasks[i]);
        }
        lock (entry)
        {
            for (var i = 0; i < tasks.Count; i++)
            {
                var kept = copies is null ? tasks[i] : copies[i];
                entry.Tasks[kept.TaskId] = kept;
                entry.Events.Add(EventOf(kept));
            }
        }
    }

    private static EventEntry EventOf(TaskResult task) =>
        new(task.TaskId, StoreJson.StatusName(task.Status), task.CompletedAt ?? task.StartedAt ?? DateTimeOffset.UtcNow, task.Attempts, task.Error);

    /// <summary>Records <paramref name="decided"/> only while the task is stored waiting, under the run's lock.</summary>
    public ValueTask<bool> TrySaveAnswerAsync(string workflowId, TaskResult decided, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(decided);
        var entry = Get(workflowId);
        lock (entry)
        {
            if (!entry.Tasks.TryGetValue(decided.TaskId, out var stored) || stored.Status != WorkflowTaskStatus.Waiting) return ValueTask.FromResult(false);
            entry.Tasks[decided.TaskId] = Detached(decided);
            entry.Events.Add(EventOf(decided));
        }
        return ValueTask.FromResult(true);
    }

    /// <inheritdoc />
    public ValueTask<WorkflowRun?> GetRunAsync(string workflowId, CancellationToken cancellationToken = default)
    {
        if (!_runs.TryGetValue(workflowId, out var entry)) return ValueTask.FromResult<WorkflowRun?>(null);
        lock (entry)
        {
            return ValueTask.FromResult<WorkflowRun?>(entry.Snapshot());
        }
    }

    /// <inheritdoc />
    public ValueTask<RunLease> AcquireLeaseAsync(string workflowId, RunLease lease, DateTimeOffset now, string? takeOverFrom = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(workflowId);
        ArgumentNullException.ThrowIfNull(lease);
        lock (_leaseGate)
        {
            if (_leases.TryGetValue(workflowId, out var held) && held.Owner != lease.Owner && held.ExpiresAt > now && held.Owner != takeOverFrom)
            {
                return ValueTask.FromResult(held);
            }
            _leases[workflowId] = lease;
            return ValueTask.FromResult(lease);
        }
    }

    /// <inheritdoc />
    public ValueTask ReleaseLeaseAsync(string workflowId, string owner, CancellationToken cancellationToken = default)
    {
        lock (_leaseGate)
        {
            if (_leases.TryGetValue(workflowId, out var held) && held.Owner == owner) _leases.Remove(workflowId);
        }
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<RunLease?> GetLeaseAsync(string workflowId, CancellationToken cancellationToken = default)
    {
        lock (_leaseGate)
        {
            return ValueTask.FromResult(_leases.GetValueOrDefault(workflowId));
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<WorkflowRunSummary>> ListRunsAsync(RunQuery? query = null, CancellationToken cancellationToken = default)
    {
        query ??= new RunQuery();
        IEnumerable<Entry> ordered = _runs.Values.OrderByDescending(e => e.Run.CreatedAt).ThenByDescending(e => e.Sequence);
        if (query.After is { } after)
        {
            if (!_runs.TryGetValue(after, out var anchor)) return ValueTask.FromResult<IReadOnlyList<WorkflowRunSummary>>([]);
            ordered = ordered.Where(e => e.Run.CreatedAt < anchor.Run.CreatedAt || (e.Run.CreatedAt == anchor.Run.CreatedAt && e.Sequence < anchor.Sequence));
        }
        var list = ordered
            .Select(e => { lock (e) return e.Summary(); })
            .Where(s => query.Statuses.Count == 0 || query.Statuses.Contains(s.Status))
            .Where(s => query.Name is null || s.Name == query.Name)
            .Skip(query.Offset).Take(query.Limit)
            .ToList();
        return ValueTask.FromResult<IReadOnlyList<WorkflowRunSummary>>(list);
    }

    /// <inheritdoc />
    public ValueTask<StoredTaskResult?> GetTaskResultAsync(string taskId, string? workflowId = null, CancellationToken cancellationToken = default)
    {
        IEnumerable<Entry> candidates = workflowId is null
            ? _runs.Values.OrderByDescending(e => e.Run.CreatedAt).ThenByDescending(e => e.Sequence)
            : _runs.TryGetValue(workflowId, out var one) ? [one] : [];
        foreach (var entry in candidates)
        {
            lock (entry)
            {
                if (entry.Tasks.TryGetValue(taskId, out var task))
                {
                    return ValueTask.FromResult<StoredTaskResult?>(new StoredTaskResult(entry.Run.WorkflowId, entry.Run.Name, Detached(task)));
                }
            }
        }
        return ValueTask.FromResult<StoredTaskResult?>(null);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<StoredTaskResult>> GetResultsByWorkflowNameAsync(string workflowName, CancellationToken cancellationToken = default)
    {
        var list = new List<StoredTaskResult>();
        foreach (var entry in _runs.Values.Where(e => e.Run.Name == workflowName).OrderByDescending(e => e.Run.CreatedAt).ThenByDescending(e => e.Sequence))
        {
            lock (entry)
            {
                list.AddRange(entry.Tasks.Values.Select(t => new StoredTaskResult(entry.Run.WorkflowId, entry.Run.Name, Detached(t))));
            }
        }
        return ValueTask.FromResult<IReadOnlyList<StoredTaskResult>>(list);
    }

    /// <inheritdoc />
    public ValueTask<StoreStatistics> GetStatisticsAsync(CancellationToken cancellationToken = default)
    {
        var runsByStatus = new Dictionary<WorkflowStatus, int>();
        var tasksByStatus = new Dictionary<WorkflowTaskStatus, int>();
        int totalTasks = 0, finishedRuns = 0, finishedTasks = 0;
        double runMs = 0, taskMs = 0;
        foreach (var entry in _runs.Values)
        {
            lock (entry)
            {
                runsByStatus[entry.Run.Status] = runsByStatus.GetValueOrDefault(entry.Run.Status) + 1;
                if (entry.Run.Duration is { } rd) { finishedRuns++; runMs += rd.TotalMilliseconds; }
                foreach (var t in entry.Tasks.Values)
                {
                    totalTasks++;
                    tasksByStatus[t.Status] = tasksByStatus.GetValueOrDefault(t.Status) + 1;
                    if (t.Duration is { } td) { finishedTasks++; taskMs += td.TotalMilliseconds; }
                }
            }
        }
        return ValueTask.FromResult(new StoreStatistics
        {
            TotalRuns = _runs.Count,
            RunsByStatus = runsByStatus,
            TotalTasks = totalTasks,
            TasksByStatus = tasksByStatus,
            AverageRunDuration = finishedRuns > 0 ? TimeSpan.FromMilliseconds(runMs / finishedRuns) : null,
            AverageTaskDuration = finishedTasks > 0 ? TimeSpan.FromMilliseconds(taskMs / finishedTasks) : null,
        });
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<StoredEvent>> GetEventsAsync(string workflowId, CancellationToken cancellationToken = default)
    {
        if (!_runs.TryGetValue(workflowId, out var entry)) return ValueTask.FromResult<IReadOnlyList<StoredEvent>>([]);
        lock (entry)
        {
            return ValueTask.FromResult<IReadOnlyList<StoredEvent>>(entry.Events.Select(e => e.ToStored(workflowId)).ToList());
        }
    }

    /// <inheritdoc />
    public ValueTask<int> PurgeAsync(DateTimeOffset olderThan, CancellationToken cancellationToken = default)
    {
        var removed = 0;
        foreach (var (id, entry) in _runs)
        {
            bool old;
            lock (entry)
            {
                old = entry.Run.IsFinished && (entry.Run.CompletedAt ?? entry.Run.CreatedAt) < olderThan;
            }
            if (old && _runs.TryRemove(id, out _)) removed++;
        }
        return ValueTask.FromResult(removed);
    }

    /// <summary>A copy whose JSON nodes the caller cannot reach: results are mutable and can belong to one parent only,
    /// so sharing them would let a caller change what is stored, or fail when it attaches a result elsewhere.</summary>
    private static TaskResult Detached(TaskResult task) =>
        task.Result is null && task.Error?.Data is null
            ? task
            : task with { Result = task.Result?.DeepClone(), Error = task.Error is { Data: not null } e ? e with { Data = e.Data.DeepClone() } : task.Error };

    private static Dictionary<string, JsonNode?> Detached(IReadOnlyDictionary<string, JsonNode?> inputs) =>
        inputs.ToDictionary(kv => kv.Key, kv => kv.Value?.DeepClone(), StringComparer.Ordinal);

    private Entry Get(string workflowId) =>
        _runs.TryGetValue(workflowId, out var entry)
            ? entry
            : throw new GleitzeitException(GleitzeitErrorCode.WorkflowNotFound, $"No run with id '{workflowId}'.");

    /// <summary>One <see cref="StoredEvent"/> without its run id (the entry's own).</summary>
    private readonly record struct EventEntry(string? TaskId, string Status, DateTimeOffset Timestamp, int Attempt, GleitzeitError? Error)
    {
        public StoredEvent ToStored(string workflowId) => new(workflowId, TaskId, Status, Timestamp, Attempt, Error);
    }

    private sealed class Entry(WorkflowRun run, long sequence)
    {
        public WorkflowRun Run { get; set; } = run with { Tasks = new Dictionary<string, TaskResult>(), Inputs = Detached(run.Inputs) };

        public long Sequence { get; } = sequence;

        public Dictionary<string, TaskResult> Tasks { get; } = run.Tasks.ToDictionary(kv => kv.Key, kv => Detached(kv.Value), StringComparer.Ordinal);

        /// <summary>The run's history, as values in one list: a run of n tasks keeps 3n of them until it is purged, and as
        /// objects each would be copied by every garbage collection that promotes it.</summary>
        public SegmentedList<EventEntry> Events { get; } = new();

        public WorkflowRun Snapshot()
        {
            // Definition order, as the workflow lists its tasks.
            var ordered = new Dictionary<string, TaskResult>(Tasks.Count, StringComparer.Ordinal);
            if (Run.Workflow is { } wf)
            {
                foreach (var t in wf.Tasks)
                {
                    if (Tasks.TryGetValue(t.Id, out var r)) ordered[t.Id] = Detached(r);
                }
            }
            foreach (var (k, v) in Tasks)
            {
                if (!ordered.ContainsKey(k)) ordered[k] = Detached(v);
            }
            return Run with { Tasks = ordered, Inputs = Detached(Run.Inputs) };
        }

        public WorkflowRunSummary Summary() => new(Run.WorkflowId, Run.Name, Run.Status, Run.CreatedAt, Run.StartedAt, Run.CompletedAt,
            Math.Max(Tasks.Count, Run.Workflow?.Tasks.Count ?? 0),
            Tasks.Values.Count(t => t.Status == WorkflowTaskStatus.Completed),
            Tasks.Values.Count(t => t.Status == WorkflowTaskStatus.Failed));
    }
}
