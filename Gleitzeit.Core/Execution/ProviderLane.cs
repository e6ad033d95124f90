using Gleitzeit.Core.Protocol;

namespace Gleitzeit.Core.Execution;

/// <summary>Ready tasks of one provider, and how many of its tasks run now. Guarded by the engine's gate.</summary>
internal sealed class ProviderLane(ProviderRegistration registration)
{
    public ProviderRegistration Registration { get; } = registration;

    public PriorityQueue<TaskState, (int Priority, long Sequence)> Ready { get; } = new(ReadyOrder.Instance);

    public int Running { get; set; }

    public bool HasCapacity => Registration.MaxConcurrency is not { } max || Running < max;
}
