namespace Gleitzeit.Core.Protocol;

/// <summary>One back end of a provider as the scheduler sees it (see <see cref="ITaskLanes"/>): its name and how many of its tasks may run at once.</summary>
public sealed record TaskLane
{
    /// <param name="name">The back end's name, unique within the provider (an MCP server's name).</param>
    /// <param name="maxConcurrency">Most of its tasks running at once; null: only the provider's and the engine's bounds.</param>
    public TaskLane(string name, int? maxConcurrency)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (maxConcurrency is <= 0) throw new ArgumentOutOfRangeException(nameof(maxConcurrency), maxConcurrency, "must be at least 1 (or null for no bound of its own)");
        Name = name;
        MaxConcurrency = maxConcurrency;
    }

    /// <summary>The back end's name, unique within the provider.</summary>
    public string Name { get; }

    /// <summary>Most of the back end's tasks running at once; null when it has no bound of its own.</summary>
    public int? MaxConcurrency { get; }
}
