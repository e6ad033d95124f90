namespace Gleitzeit.Core.Persistence;

/// <summary>
/// Keeps workflow runs: their definitions, every task transition with its result, and the history of transitions.
/// It is both sides of a store: <see cref="IWorkflowStateStore"/>, what the engine writes at every transition and
/// reads back to resume, and <see cref="IWorkflowHistory"/>, what the CLI and applications query. A store implements
/// this interface; code that needs one side only may depend on that side (both are registered with every store).
/// One conformance suite (tests/Gleitzeit.Testing) states this contract for every implementation.
/// </summary>
public interface IWorkflowStore : IWorkflowStateStore, IWorkflowHistory
{
}
