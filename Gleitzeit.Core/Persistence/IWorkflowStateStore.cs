namespace Gleitzeit.Core.Persistence;

/// <summary>
/// The engine's side of a store: records a run, its status changes and every task transition, and reads one run back
/// (to show it, and to continue it with <see cref="Execution.ExecutionEngine.ResumeAsync"/>). The engine awaits each write
/// before a dependent task starts, so a durable implementation loses nothing committed when the process dies.
/// </summary>
public interface IWorkflowStateStore
{
    /// <summary>Records a new run: its definition (<see cref="WorkflowRun.Workflow"/>), inputs and initial task states.
    /// Throws WORKFLOW_ALREADY_EXISTS when the id is taken.</summary>
    ValueTask CreateRunAsync(WorkflowRun run, CancellationToken cancellationToken = default);

    /// <summary>Records a run's status change (and when it started or ended, and why it failed).</summary>
    ValueTask UpdateRunStatusAsync(string workflowId, WorkflowStatus status, DateTimeOffset timestamp, GleitzeitError? error = null, CancellationToken cancellationToken = default);

    /// <summary>Records a task transition (state, result, error, attempts, times); appends it to the run's history.</summary>
    ValueTask SaveTaskAsync(string workflowId, TaskResult task, CancellationToken cancellationToken = default);

    /// <summary>Records several task transitions of one run at once (one transaction where the store has them).</summary>
    ValueTask SaveTasksAsync(string workflowId, IReadOnlyList<TaskResult> tasks, CancellationToken cancellationToken = default);

    /// <summary>The run with its definition and every task's latest state, or null.</summary>
    ValueTask<WorkflowRun?> GetRunAsync(string workflowId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Takes or renews the lease on a run, atomically: <paramref name="lease"/> is stored when no lease is held, when the
    /// held one is the same owner's (a renewal), when it expired (its <see cref="RunLease.ExpiresAt"/> is at or before
    /// <paramref name="now"/>), or when its owner is <paramref name="takeOverFrom"/> (known dead). Returns the lease in
    /// force afterwards: <paramref name="lease"/> when it was stored, else the other owner's, unchanged. Two owners
    /// racing for a free lease: exactly one gets it. The run need not exist.
    /// </summary>
    ValueTask<RunLease> AcquireLeaseAsync(string workflowId, RunLease lease, DateTimeOffset now, string? takeOverFrom = null, CancellationToken cancellationToken = default);

    /// <summary>Releases the lease on a run when <paramref name="owner"/> holds it (another owner's lease is left alone).</summary>
    ValueTask ReleaseLeaseAsync(string workflowId, string owner, CancellationToken cancellationToken = default);

    /// <summary>The lease held on a run (expired or not), or null.</summary>
    ValueTask<RunLease?> GetLeaseAsync(string workflowId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records the decision of a waiting task (a person's answer, or its timeout) only while the task is stored
    /// <see cref="WorkflowTaskStatus.Waiting"/>: a compare-and-set, so of two answers given at once exactly one is recorded.
    /// Returns true when <paramref name="decided"/> was stored (and appended to the history), false when the task is not
    /// stored waiting (nothing written). Throws WORKFLOW_NOT_FOUND for an unknown run. The in-memory, SQLite and Redis
    /// stores do this atomically (also across processes); this default reads, then writes, and is atomic only when
    /// nothing else writes the run at the same moment: a store of your own should override it.
    /// </summary>
    async ValueTask<bool> TrySaveAnswerAsync(string workflowId, TaskResult decided, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(decided);
        var run = await GetRunAsync(workflowId, cancellationToken).ConfigureAwait(false)
            ?? throw new GleitzeitException(GleitzeitErrorCode.WorkflowNotFound, $"No run with id '{workflowId}'.");
        if (!run.Tasks.TryGetValue(decided.TaskId, out var stored) || stored.Status != WorkflowTaskStatus.Waiting) return false;
        await SaveTaskAsync(workflowId, decided, cancellationToken).ConfigureAwait(false);
        return true;
    }
}
