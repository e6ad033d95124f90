namespace Gleitzeit.Core.Protocol;

/// <summary>A provider as registered: its id (what a task's <c>provider</c> field names) and its concurrency bound.</summary>
public sealed class ProviderRegistration
{
    /// <summary>Registers <paramref name="provider"/> under <paramref name="id"/>; <paramref name="maxConcurrency"/> bounds how many of its tasks run at once.</summary>
    public ProviderRegistration(ITaskProvider provider, string? id = null, int? maxConcurrency = null)
    {
        ArgumentNullException.ThrowIfNull(provider);
        if (maxConcurrency is <= 0) throw new ArgumentOutOfRangeException(nameof(maxConcurrency), maxConcurrency, "must be at least 1 (or null for no bound)");
        Provider = provider;
        Id = string.IsNullOrWhiteSpace(id) ? provider.Protocol.Name : id;
        MaxConcurrency = maxConcurrency;
    }

    /// <summary>The registration's unique id: the one given, else the provider's protocol name (e.g. <c>llm</c>).</summary>
    public string Id { get; }

    /// <summary>The provider tasks are sent to.</summary>
    public ITaskProvider Provider { get; }

    /// <summary>Most tasks this provider runs at once across all runs of the engine; null: only the global bound.</summary>
    public int? MaxConcurrency { get; }

    /// <summary>The protocol the provider serves.</summary>
    public ProtocolDescriptor Protocol => Provider.Protocol;
}
