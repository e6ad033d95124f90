using System.Text.Json.Nodes;

namespace Gleitzeit.Core.Pipeline;

/// <summary>
/// How one task attempt ended: completed with a result, failed with a <see cref="GleitzeitError"/> (retryable or not,
/// as its code says, with the provider's Retry-After when it gave one), or cancelled.
/// </summary>
public readonly struct TaskOutcome
{
    private TaskOutcome(TaskOutcomeKind kind, JsonNode? result, GleitzeitError? error, TimeSpan? retryAfter, string? cacheKey = null)
    {
        CacheKey = cacheKey;
        Kind = kind;
        Result = result;
        Error = error;
        RetryAfter = retryAfter;
    }

    /// <summary>Whether the attempt completed, failed or was cancelled.</summary>
    public TaskOutcomeKind Kind { get; }

    /// <summary>The task's result when <see cref="Kind"/> is <see cref="TaskOutcomeKind.Completed"/>.</summary>
    public JsonNode? Result { get; }

    /// <summary>What went wrong when <see cref="Kind"/> is <see cref="TaskOutcomeKind.Failed"/>.</summary>
    public GleitzeitError? Error { get; }

    /// <summary>How long the provider asked to wait before the next attempt (HTTP Retry-After), if it said.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>The cache key when the result was served from the result cache (<see cref="FromCache"/>); else null.</summary>
    public string? CacheKey { get; }

    /// <summary>Whether the result came from the result cache rather than the provider.</summary>
    public bool IsCached => CacheKey is not null;

    /// <summary>True when the attempt produced a result.</summary>
    public bool IsCompleted => Kind == TaskOutcomeKind.Completed;

    /// <summary>True when the attempt failed with an error.</summary>
    public bool IsFailed => Kind == TaskOutcomeKind.Failed;

    /// <summary>True when the attempt was cancelled.</summary>
    public bool IsCancelled => Kind == TaskOutcomeKind.Cancelled;

    /// <summary>The call was not made: run the task again after <see cref="RetryAfter"/> (see <see cref="Deferred"/>).</summary>
    public bool IsDeferred => Kind == TaskOutcomeKind.Deferred;

    /// <summary>The attempt produced <paramref name="result"/>.</summary>
    public static TaskOutcome Completed(JsonNode? result) => new(TaskOutcomeKind.Completed, result, null, null);

    /// <summary>The attempt was answered from the result cache under <paramref name="cacheKey"/> with <paramref name="result"/>.</summary>
    public static TaskOutcome FromCache(JsonNode? result, string cacheKey) =>
        new(TaskOutcomeKind.Completed, result, null, null, cacheKey ?? throw new ArgumentNullException(nameof(cacheKey)));

    /// <summary>The attempt failed; <paramref name="retryAfter"/> is the wait the provider asked for, if any.</summary>
    public static TaskOutcome Failed(GleitzeitError error, TimeSpan? retryAfter = null) =>
        new(TaskOutcomeKind.Failed, null, error ?? throw new ArgumentNullException(nameof(error)), retryAfter);

    /// <summary>
    /// The attempt made no call and the task should be queued again after <paramref name="wait"/> without counting the
    /// attempt (the rate-limit stage answers so). Only built-in stages return it: from task middleware it is INTERNAL_ERROR.
    /// </summary>
    public static TaskOutcome Deferred(TimeSpan wait) =>
        new(TaskOutcomeKind.Deferred, null, null, wait > TimeSpan.Zero ? wait : TimeSpan.FromMilliseconds(1));

    /// <summary>The run was cancelled while the attempt ran.</summary>
    public static TaskOutcome Cancelled { get; } = new(TaskOutcomeKind.Cancelled, null, null, null);

    /// <summary>The kind with its result or error, for logs.</summary>
    public override string ToString() => Kind switch
    {
        TaskOutcomeKind.Completed => "completed",
        TaskOutcomeKind.Failed => $"failed: {Error}",
        TaskOutcomeKind.Cancelled => "cancelled",
        TaskOutcomeKind.Deferred => $"deferred for {RetryAfter}",
        _ => "no outcome",
    };
}
