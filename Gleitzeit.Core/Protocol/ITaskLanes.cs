namespace Gleitzeit.Core.Protocol;

/// <summary>
/// Offered (through <see cref="ITaskProvider.GetService"/>) by a provider that serves several independent back ends,
/// such as the MCP provider with its servers: it names the back end a task will use and that back end's bound, and the
/// scheduler gives each back end a lane of its own. A task waiting for a busy back end then waits in the scheduler's
/// ready queue, holding no engine slot, while tasks of other back ends and providers keep running.
/// </summary>
public interface ITaskLanes
{
    /// <summary>The lane of <paramref name="task"/>, or null when it cannot be known before the call (the provider's own lane).</summary>
    TaskLane? LaneFor(WorkflowTask task);
}
