namespace Gleitzeit.Core.Execution;

/// <summary>
/// Runs workflows and answers for the runs it owns, in process (<see cref="ExecutionEngine"/>) or distributed
/// (<c>RedisWorkflowRunner</c>, the runs executed by Redis workers). Code that submits, follows or cancels runs depends
/// on this interface, so it does not care where the tasks execute.
/// </summary>
public interface IWorkflowRunner
{
    /// <summary>Starts the workflow (or queues it for workers) and returns its run id at once.
    /// Throws <see cref="Definitions.WorkflowValidationException"/> before anything is stored when the workflow is invalid.</summary>
    Task<string> SubmitAsync(Workflow workflow, RunOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Waits until the run finished and returns it (WORKFLOW_NOT_FOUND for an unknown run).</summary>
    Task<WorkflowRun> WaitAsync(string workflowId, CancellationToken cancellationToken = default);

    /// <summary>The run's current state, or null when there is no such run.</summary>
    Task<WorkflowRun?> GetRunAsync(string workflowId, CancellationToken cancellationToken = default);

    /// <summary>Cancels the run for good: tasks not started end <c>cancelled</c>, running ones see their token fire.
    /// No effect on a finished run.</summary>
    Task CancelAsync(string workflowId, CancellationToken cancellationToken = default);

    /// <summary>Streams the run's events: first events describing its state so far, then the ones that follow, ending
    /// with <see cref="WorkflowCompleted"/> when the run finishes. <see cref="ExecutionEngine"/> streams live events only
    /// for a run active in it; for any other run it describes the stored state and ends.</summary>
    IAsyncEnumerable<WorkflowEvent> WatchAsync(string workflowId, CancellationToken cancellationToken = default);
}
