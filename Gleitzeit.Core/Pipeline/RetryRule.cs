namespace Gleitzeit.Core.Pipeline;

/// <summary>The retry decision itself, without logging or metrics (see <see cref="TaskPipeline.DecideRetry"/>).</summary>
internal static class RetryRule
{
    /// <summary>The longest wait a timer takes (about 49.7 days); a longer one would throw.</summary>
    internal static readonly TimeSpan LongestWait = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    public static RetryDecision Decide(GleitzeitError error, TimeSpan? retryAfter, int attempt, RetryPolicy policy, DateTimeOffset now, DateTimeOffset? runDeadline)
    {
        if (!error.IsRetryable || attempt >= policy.MaxAttempts) return RetryDecision.Fail(FinalError(error, attempt));
        if (retryAfter is not { } asked) return RetryDecision.RetryAfter(Min(policy.DelayBefore(attempt + 1), LongestWait), error);

        if (asked < TimeSpan.Zero) asked = TimeSpan.Zero;
        var limit = Min(policy.MaxDelay, LongestWait);
        var bound = "the retry policy's max_delay";
        if (runDeadline is { } deadline && deadline - now < limit)
        {
            limit = deadline - now > TimeSpan.Zero ? deadline - now : TimeSpan.Zero;
            bound = "the time the run has left before its timeout";
        }
        if (asked <= limit) return RetryDecision.RetryAfter(asked, error);
        return RetryDecision.Fail(new GleitzeitError(error.Code,
            $"{error.Message} (the provider asked to wait {Seconds(asked)} before the next attempt, longer than {bound} ({Seconds(limit)}): not retried)",
            error.Data));
    }

    /// <summary>The error a task ends with when it fails for good: a retryable error after retries becomes TASK_RETRIES_EXHAUSTED carrying it.</summary>
    public static GleitzeitError FinalError(GleitzeitError error, int attempts) =>
        attempts > 1 && error.IsRetryable
            ? new GleitzeitError(GleitzeitErrorCode.TaskRetriesExhausted, $"failed after {attempts} attempts; last error: {error.CodeName}: {error.Message}", error.ToJson())
            : error;

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static string Seconds(TimeSpan t) => FormattableString.Invariant($"{t.TotalSeconds:0.###} s");
}
