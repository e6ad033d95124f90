using Gleitzeit.Core.Protocol;

namespace Gleitzeit.Core.Execution;

/// <summary>
/// Ready tasks of one provider, or of one back end of it (an MCP server: see <see cref="ITaskLanes"/>), and how many
/// of them run now. The lanes of one provider share its bound through <see cref="Provider"/>. Guarded by the engine's gate.
/// </summary>
internal sealed class ProviderLane(ProviderRegistration registration, ProviderLane? provider, int? maxConcurrency)
{
    public ProviderRegistration Registration { get; } = registration;

    /// <summary>The provider's own lane, whose count covers every lane of the provider; null for that lane itself.</summary>
    public ProviderLane? Provider { get; } = provider;

    public PriorityQueue<TaskState, (int Priority, long Sequence)> Ready { get; } = new(ReadyOrder.Instance);

    /// <summary>Tasks of this lane running now (for the provider's own lane: of all its lanes).</summary>
    public int Running { get; set; }

    public bool HasCapacity => (maxConcurrency is not { } max || Running < max) && Provider?.HasCapacity != false;

    /// <summary>
    /// Its tasks take none of the engine's global slots: <c>workflow/run</c> tasks, which only wait for a child run whose
    /// own tasks take the slots (holding one while waiting would deadlock as soon as the calls in flight fill them all).
    /// </summary>
    public bool HoldsNoSlot { get; } = registration.Provider is WorkflowRunProvider;
}
