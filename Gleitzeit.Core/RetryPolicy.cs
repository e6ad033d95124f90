namespace Gleitzeit.Core;

/// <summary>
/// Retry with exponential backoff: attempt n (n ≥ 2) waits <c>min(InitialDelay * BackoffFactor^(n-2), MaxDelay)</c>,
/// scaled by a random factor in [0.5, 1.5) when <see cref="Jitter"/> is on. Only retryable errors are retried.
/// </summary>
public sealed record RetryPolicy
{
    /// <summary>Total attempts including the first. 1 disables retries.</summary>
    public int MaxAttempts { get; init; } = 3;

    /// <summary>The delay before the first retry.</summary>
    public TimeSpan InitialDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Each further retry waits this many times longer than the one before.</summary>
    public double BackoffFactor { get; init; } = 2.0;

    /// <summary>The longest delay between attempts, whatever the backoff.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Whether each delay is scaled by a random factor in [0.5, 1.5), so retries of many tasks spread out.</summary>
    public bool Jitter { get; init; } = true;

    /// <summary>No retries.</summary>
    public static RetryPolicy None { get; } = new() { MaxAttempts = 1 };

    /// <summary>The delay before <paramref name="nextAttempt"/> (2 for the first retry), jittered when <see cref="Jitter"/> is on.</summary>
    public TimeSpan DelayBefore(int nextAttempt)
    {
        var delay = BaseDelayBefore(nextAttempt);
        if (!Jitter || delay <= TimeSpan.Zero) return delay;
        return TimeSpan.FromMilliseconds(delay.TotalMilliseconds * (0.5 + Random.Shared.NextDouble()));
    }

    /// <summary>The delay before <paramref name="nextAttempt"/> (2 for the first retry), without jitter.</summary>
    public TimeSpan BaseDelayBefore(int nextAttempt)
    {
        var exponent = Math.Max(0, nextAttempt - 2);
        var ms = InitialDelay.TotalMilliseconds * Math.Pow(BackoffFactor, exponent);
        return TimeSpan.FromMilliseconds(Math.Min(ms, MaxDelay.TotalMilliseconds));
    }
}
