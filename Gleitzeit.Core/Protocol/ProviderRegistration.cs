namespace Gleitzeit.Core.Protocol;

/// <summary>A provider as registered: its id (what a task's <c>provider</c> field names) and its concurrency bound.</summary>
public sealed class ProviderRegistration
{
    public ProviderRegistration(ITaskProvider provider, string? id = null, int? maxConcurrency = null)
    {
        ArgumentNullException.ThrowIfNull(provider);
        if (maxConcurrency is <= 0) throw new ArgumentOutOfRangeException(nameof(maxConcurrency), maxConcurrency, "must be at least 1 (or null for no bound)");
        Provider = provider;
        Id = string.IsNullOrWhiteSpace(id) ? provider.Protocol.Name : id;
        MaxConcurrency = maxConcurrency;
    }

    public string Id { get; }

    public ITaskProvider Provider { get; }

    /// <summary>Most tasks this provider runs at once across all runs of the engine; null: only the global bound.</summary>
    public int? MaxConcurrency { get; }

    public ProtocolDescriptor Protocol => Provider.Protocol;
}
