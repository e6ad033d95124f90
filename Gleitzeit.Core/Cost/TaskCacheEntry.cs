using System.Text.Json.Nodes;

namespace Gleitzeit.Core.Cost;

/// <summary>One cached task result, as an <see cref="ITaskResultCache"/> keeps it.</summary>
public sealed record TaskCacheEntry
{
    /// <summary>The cache key (<see cref="TaskCacheKey"/>): lower-case hex SHA-256.</summary>
    public required string Key { get; init; }

    /// <summary>Name of the workflow whose task stored it (for <c>cache stats|clear --workflow</c>).</summary>
    public required string WorkflowName { get; init; }

    /// <summary>The task that stored it.</summary>
    public required string TaskId { get; init; }

    /// <summary>The task's method, e.g. <c>llm/chat</c>.</summary>
    public required string Method { get; init; }

    /// <summary>The result served on a hit.</summary>
    public JsonNode? Result { get; init; }

    /// <summary>When it was stored.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When it stops being served; null for never.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>Whether it is past its expiry at <paramref name="now"/>.</summary>
    public bool IsExpired(DateTimeOffset now) => ExpiresAt is { } e && e <= now;
}
