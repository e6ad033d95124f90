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
}
