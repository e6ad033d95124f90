using Gleitzeit.Core;
using Gleitzeit.Core.Persistence;

namespace Gleitzeit.Core.Tests.Execution;

/// <summary>An in-memory store whose writes fail like a full disk while <see cref="Full"/> is set; reads keep working.
/// Every task write it takes is recorded in <see cref="TaskWrites"/> ("id status" per state, one array per call).</summary>
internal sealed class FailingWritesStore : IWorkflowStore
{
    private readonly InMemoryWorkflowStore _inner = new();
    private volatile bool _full;

    public bool Full { get => _full; set => _full = value; }

    public int RefusedWrites;

    public System.Collections.Concurrent.ConcurrentQueue<string[]> TaskWrites { get; } = new();

    private void Record(IEnumerable<TaskResult> tasks) => TaskWrites.Enqueue(tasks.Select(t => $"{t.TaskId} {t.Status.ToString().ToLowerInvariant()}").ToArray());

    private void Check()
    {
        if (!_full) return;
        Interlocked.Increment(ref RefusedWrites);
        throw new GleitzeitException(GleitzeitErrorCode.PersistenceWriteFailed, "The disk holding the store is full: database or disk is full.");
    }

    public ValueTask CreateRunAsync(WorkflowRun run, CancellationToken cancellationToken = default) { Check(); return _inner.CreateRunAsync(run, cancellationToken); }
    public ValueTask UpdateRunStatusAsync(string workflowId, WorkflowStatus status, DateTimeOffset timestamp, GleitzeitError? error = null, CancellationToken cancellationToken = default) { Check(); return _inner.UpdateRunStatusAsync(workflowId, status, timestamp, error, cancellationToken); }
    public ValueTask SaveTaskAsync(string workflowId, TaskResult task, CancellationToken cancellationToken = default) { Check(); Record([task]); return _inner.SaveTaskAsync(workflowId, task, cancellationToken); }
    public async ValueTask SaveTasksAsync(string workflowId, IReadOnlyList<TaskResult> tasks, CancellationToken cancellationToken = default)
    {
        if (BeforeWrite is { } hook) await hook(tasks);
        Check();
        Record(tasks);
        await _inner.SaveTasksAsync(workflowId, tasks, cancellationToken);
    }

    /// <summary>Runs before every write of several task states, and may hold it back or throw: how a test orders writes.</summary>
    public Func<IReadOnlyList<TaskResult>, ValueTask>? BeforeWrite { get; set; }
    public ValueTask<WorkflowRun?> GetRunAsync(string workflowId, CancellationToken cancellationToken = default) => _inner.GetRunAsync(workflowId, cancellationToken);
    public ValueTask<RunLease> AcquireLeaseAsync(string workflowId, RunLease lease, DateTimeOffset now, string? takeOverFrom = null, CancellationToken cancellationToken = default) { Check(); return _inner.AcquireLeaseAsync(workflowId, lease, now, takeOverFrom, cancellationToken); }
    public ValueTask ReleaseLeaseAsync(string workflowId, string owner, CancellationToken cancellationToken = default) { Check(); return _inner.ReleaseLeaseAsync(workflowId, owner, cancellationToken); }
    public ValueTask<RunLease?> GetLeaseAsync(string workflowId, CancellationToken cancellationToken = default) => _inner.GetLeaseAsync(workflowId, cancellationToken);
    public ValueTask<IReadOnlyList<WorkflowRunSummary>> ListRunsAsync(RunQuery? query = null, CancellationToken cancellationToken = default) => _inner.ListRunsAsync(query, cancellationToken);
    public ValueTask<StoredTaskResult?> GetTaskResultAsync(string taskId, string? workflowId = null, CancellationToken cancellationToken = default) => _inner.GetTaskResultAsync(taskId, workflowId, cancellationToken);
    public ValueTask<IReadOnlyList<StoredTaskResult>> GetResultsByWorkflowNameAsync(string workflowName, CancellationToken cancellationToken = default) => _inner.GetResultsByWorkflowNameAsync(workflowName, cancellationToken);
    public ValueTask<StoreStatistics> GetStatisticsAsync(CancellationToken cancellationToken = default) => _inner.GetStatisticsAsync(cancellationToken);
    public ValueTask<IReadOnlyList<StoredEvent>> GetEventsAsync(string workflowId, CancellationToken cancellationToken = default) => _inner.GetEventsAsync(workflowId, cancellationToken);
    public ValueTask<int> PurgeAsync(DateTimeOffset olderThan, CancellationToken cancellationToken = default) => _inner.PurgeAsync(olderThan, cancellationToken);
}
