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

    /// <summary>
    /// The policy in force for <paramref name="task"/> of <paramref name="workflow"/>, or null when it is not cached: the
    /// task's own <c>cache:</c>, else the workflow's default (which does not apply to <c>python/</c> and <c>human/</c> tasks);
    /// never when the run has the cache disabled (<c>--no-cache</c>).
    /// </summary>
    public static TaskCachePolicy? InEffect(Workflow workflow, WorkflowTask task)
    {
        ArgumentNullException.ThrowIfNull(workflow);
        ArgumentNullException.ThrowIfNull(task);
        if (task.Cache is null && workflow.Cache is null || workflow.CacheDisabled) return null;
        var policy = task.Cache ?? (workflow.Cache is { } byDefault && DefaultApplies(task) ? byDefault : null);
        return policy is { Enabled: true } ? policy : null;
    }

    /// <summary>Code and people are not cached by the workflow's default: a python task may have effects, an answer is a decision.</summary>
    private static bool DefaultApplies(WorkflowTask task) =>
        !task.Protocol.StartsWith("python/", StringComparison.Ordinal) && !task.Protocol.StartsWith("human/", StringComparison.Ordinal);

    /// <summary>Caches entries for <paramref name="ttl"/>.</summary>
    public static TaskCachePolicy For(TimeSpan ttl)
    {
        if (ttl <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(ttl), ttl, "A cache TTL must be positive.");
        return new TaskCachePolicy { Ttl = ttl };
    }
}
