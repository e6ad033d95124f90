namespace Gleitzeit.Core.Cost;

/// <summary>
/// The buckets behind <see cref="RateLimitOptions"/>, one pair per provider: in memory for the engine (built on
/// <see cref="System.Threading.RateLimiting.RateLimiter"/>), in Redis with <c>AddRedis</c> (shared by every worker).
/// </summary>
public interface IProviderRateLimiter
{
    /// <summary>
    /// Takes one request and <paramref name="tokens"/> from provider <paramref name="providerId"/>'s buckets when both have
    /// them, returning <see cref="TimeSpan.Zero"/>; otherwise takes nothing and returns how long to wait before trying again.
    /// </summary>
    ValueTask<TimeSpan> TryAcquireAsync(string providerId, RateLimitOptions limits, long tokens, CancellationToken cancellationToken = default);

    /// <summary>A call ended having used <paramref name="extraTokens"/> more than it took when it started (may leave the token bucket owing).</summary>
    ValueTask ConsumeAsync(string providerId, RateLimitOptions limits, long extraTokens, CancellationToken cancellationToken = default);
}
