namespace Gleitzeit.Core.Cost;

/// <summary>What a result cache holds (<c>gleitzeit cache stats</c>).</summary>
public sealed record TaskCacheStatistics
{
    /// <summary>Entries still served.</summary>
    public long Entries { get; init; }

    /// <summary>Entries past their TTL not yet removed (they are never served).</summary>
    public long Expired { get; init; }

    /// <summary>Size of the stored results (UTF-8 JSON), in bytes.</summary>
    public long Bytes { get; init; }

    /// <summary>Entries still served, by workflow name.</summary>
    public IReadOnlyDictionary<string, long> ByWorkflow { get; init; } = new Dictionary<string, long>();
}
