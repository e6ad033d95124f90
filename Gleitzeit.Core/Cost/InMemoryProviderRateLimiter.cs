using System.Collections.Concurrent;
using System.Threading.RateLimiting;

namespace Gleitzeit.Core.Cost;

/// <summary>The rate limits of one process (the default of <c>AddGleitzeit</c>): a request bucket and a token bucket per provider.</summary>
public sealed class InMemoryProviderRateLimiter : IProviderRateLimiter
{
    private readonly ConcurrentDictionary<(string Provider, int? Rpm, int? Tpm), Buckets> _buckets = new();
    private readonly TimeProvider _time;

    /// <summary>Buckets refilled on <paramref name="timeProvider"/> (the system clock by default).</summary>
    public InMemoryProviderRateLimiter(TimeProvider? timeProvider = null) => _time = timeProvider ?? TimeProvider.System;

    /// <inheritdoc/>
    public ValueTask<TimeSpan> TryAcquireAsync(string providerId, RateLimitOptions limits, long tokens, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(providerId);
        ArgumentNullException.ThrowIfNull(limits);
        var b = BucketsOf(providerId, limits);
        lock (b)
        {
            // Both or neither: a request is not taken while the tokens are short (and the other way round).
            var tokenWait = b.Tokens?.WaitFor(tokens) ?? TimeSpan.Zero;
            var requestWait = b.Requests?.WaitFor(1) ?? TimeSpan.Zero;
            var wait = tokenWait > requestWait ? tokenWait : requestWait;
            if (wait > TimeSpan.Zero) return ValueTask.FromResult(wait);
            using (var request = b.Requests?.AttemptAcquire(1))
            {
                if (request is { IsAcquired: false }) return ValueTask.FromResult(RetryAfter(request));
            }
            if (b.Tokens is { } bucket)
            {
                using var lease = bucket.AttemptAcquire((int)Math.Clamp(tokens, 1, int.MaxValue));
                if (!lease.IsAcquired) return ValueTask.FromResult(RetryAfter(lease));
            }
            return ValueTask.FromResult(TimeSpan.Zero);
        }
    }

    /// <inheritdoc/>
    public ValueTask ConsumeAsync(string providerId, RateLimitOptions limits, long extraTokens, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(providerId);
        ArgumentNullException.ThrowIfNull(limits);
        if (extraTokens > 0) BucketsOf(providerId, limits).Tokens?.Consume(extraTokens);
        return ValueTask.CompletedTask;
    }

    private Buckets BucketsOf(string providerId, RateLimitOptions limits) =>
        _buckets.GetOrAdd((providerId, limits.RequestsPerMinute, limits.TokensPerMinute), static (key, time) => new Buckets(
            key.Rpm is { } rpm ? TimedTokenBucket.PerMinute(rpm, time) : null,
            key.Tpm is { } tpm ? TimedTokenBucket.PerMinute(tpm, time) : null), _time);

    private static TimeSpan RetryAfter(RateLimitLease lease) =>
        lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromMilliseconds(1);

    private sealed record Buckets(TimedTokenBucket? Requests, TimedTokenBucket? Tokens);
}
