namespace Gleitzeit.Core;

/// <summary>Where a run stands.</summary>
public enum WorkflowStatus
{
    /// <summary>Stored, not started yet.</summary>
    Pending,

    /// <summary>Executing in a process (which holds the run's lease).</summary>
    Running,

    /// <summary>Every task completed.</summary>
    Completed,

    /// <summary>A task failed for good, the run timed out, or the store failed; see <see cref="WorkflowRun.Error"/>.</summary>
    Failed,

    /// <summary>Cancelled for good: its unfinished tasks are <c>cancelled</c> and it is not resumed.</summary>
    Cancelled,

    /// <summary>
    /// Stopped without being cancelled (the process or host stopped, the engine was disposed): completed tasks keep their
    /// results, unfinished tasks are stored <c>pending</c>, and the run continues with <c>ResumeAsync</c>,
    /// <c>gleitzeit workflow resume</c> or <see cref="GleitzeitOptions.ResumeUnfinishedRunsOnStart"/>. Not finished.
    /// </summary>
    Interrupted,

    /// <summary>
    /// No task can run until a person answers a waiting task (<c>human/approval</c>, <c>human/input</c>). Stored, so the
    /// process may exit: an answer from any process continues it (<c>ApproveAsync</c>, <c>RejectAsync</c>, <c>RespondAsync</c>,
    /// <c>gleitzeit workflow approve|reject|respond</c>). Not finished.
    /// </summary>
    Waiting,
}
