namespace Gleitzeit.Core;

/// <summary>State of one task. Named so as not to clash with <see cref="System.Threading.Tasks.TaskStatus"/>.</summary>
public enum WorkflowTaskStatus
{
    Pending,
    Queued,
    Running,
    Completed,
    Failed,
    Skipped,
    Cancelled,
    Retrying,

    /// <summary>Waiting for a person (<c>human/approval</c>, <c>human/input</c>): holds no slot, no thread and no timer but its
    /// timeout; stored, so any process may answer it later.</summary>
    Waiting,
}
