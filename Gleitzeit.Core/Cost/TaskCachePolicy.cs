namespace Gleitzeit.Core.Cost;

/// <summary>
/// Whether a task's result is taken from (and put into) the result cache: task key <c>cache: true | false | { ttl: 1h }</c>,
/// and the workflow-wide default <c>cache:</c>. See docs/cost-control.md for what the cache key covers.
/// </summary>
public sealed record TaskCachePolicy
{
    /// <summary>Cache without expiry.</summary>
    public static TaskCachePolicy Forever { get; } = new();

    /// <summary>Never cache (a task's <c>cache: false</c> overrides the workflow's default).</summary>
    public static TaskCachePolicy Off { get; } = new() { Enabled = false };

    /// <summary>False for <c>cache: false</c>.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>How long an entry is served after it was stored; null for no expiry.</summary>
    public TimeSpan? Ttl { get; init; }

    /// <summary>Caches entries for <paramref name="ttl"/>.</summary>
    public static TaskCachePolicy For(TimeSpan ttl)
    {
        if (ttl <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(ttl), ttl, "A cache TTL must be positive.");
        return new TaskCachePolicy { Ttl = ttl };
    }
}
