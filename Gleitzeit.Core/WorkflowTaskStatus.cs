namespace Gleitzeit.Core;

/// <summary>State of one task. Named so as not to clash with <see cref="System.Threading.Tasks.TaskStatus"/>.</summary>
public enum WorkflowTaskStatus
{
    /// <summary>The task waits for its dependencies.</summary>
    Pending,
    /// <summary>The task's dependencies are met; it waits for a free slot.</summary>
    Queued,
    /// <summary>An attempt of the task is running.</summary>
    Running,
    /// <summary>The task finished with a result.</summary>
    Completed,
    /// <summary>The task failed for good.</summary>
    Failed,
    /// <summary>The task did not run: its condition was false or a dependency failed or was skipped.</summary>
    Skipped,
    /// <summary>The task was cancelled with its run.</summary>
    Cancelled,
    /// <summary>An attempt failed and the task waits to run again.</summary>
    Retrying,

    /// <summary>Waiting for a person (<c>human/approval</c>, <c>human/input</c>): holds no slot, no thread and no timer but its
    /// timeout; stored, so any process may answer it later.</summary>
    Waiting,
}
