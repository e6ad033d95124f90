using Gleitzeit.Core.Cost;

namespace Gleitzeit.Persistence.Redis;

/// <summary>
/// Provider rate limits in Redis, so every worker (and engine) on the same Redis shares one pair of buckets per provider:
/// a Lua token bucket on the Redis server's clock (<c>PREFIX ratelimit:{PROVIDER}</c>), decided atomically. Same rule as
/// the in-memory limiter: each bucket holds one second's worth (at least one), refilled continuously.
/// </summary>
public sealed class RedisProviderRateLimiter : IProviderRateLimiter
{
    private const string Buckets = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local function level(field, stamp, per_min, cap)
            local v = tonumber(redis.call('HGET', KEYS[1], field) or cap)
            local last = tonumber(redis.call('HGET', KEYS[1], stamp) or now)
            if now > last then v = math.min(cap, v + (now - last) * per_min / 60000) end
            return v
        end
        local function cap_of(per_min) return math.max(1, math.ceil(per_min / 60)) end
        """;

    // KEYS[1] buckets; ARGV: requests per minute (0 none), tokens per minute (0 none), tokens wanted. Returns 0 or the wait in ms.
    private const string AcquireScript = Buckets + "\n" + """
        local rpm, tpm, want = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
        local wait, r, tk = 0, 0, 0
        if rpm > 0 then
            r = level('r', 'rt', rpm, cap_of(rpm))
            if r < 1 then wait = math.max(wait, math.ceil((1 - r) * 60000 / rpm)) end
        end
        if tpm > 0 then
            want = math.min(want, cap_of(tpm))
            tk = level('t', 'tt', tpm, cap_of(tpm))
            if tk < want then wait = math.max(wait, math.ceil((want - tk) * 60000 / tpm)) end
        end
        if wait > 0 then
            redis.call('HINCRBY', KEYS[1], 'deferred', 1)
            return wait
        end
        if rpm > 0 then redis.call('HSET', KEYS[1], 'r', r - 1, 'rt', now) end
        if tpm > 0 then redis.call('HSET', KEYS[1], 't', tk - want, 'tt', now) end
        redis.call('HINCRBY', KEYS[1], 'admitted', 1)
        redis.call('PEXPIRE', KEYS[1], 86400000)
        return 0
        """;

    // KEYS[1] buckets; ARGV: tokens per minute, extra tokens used. Leaves the token bucket owing what it lacks.
    private const string ConsumeScript = Buckets + "\n" + """
        local tpm = tonumber(ARGV[1])
        local tk = level('t', 'tt', tpm, cap_of(tpm))
        redis.call('HSET', KEYS[1], 't', tk - tonumber(ARGV[2]), 'tt', now)
        return 0
        """;

    private readonly RedisConnection _connection;

    /// <summary>Uses the connection and key prefix of <paramref name="store"/>.</summary>
    public RedisProviderRateLimiter(RedisWorkflowStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        _connection = store.Connection;
    }

    /// <inheritdoc/>
    public async ValueTask<TimeSpan> TryAcquireAsync(string providerId, RateLimitOptions limits, long tokens, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(providerId);
        ArgumentNullException.ThrowIfNull(limits);
        var wait = (long)(await _connection.RunAsync(db => db.ScriptEvaluateAsync(AcquireScript, [_connection.Keys.RateLimit(providerId)],
            [limits.RequestsPerMinute ?? 0, limits.TokensPerMinute ?? 0, Math.Max(1, tokens)]), "checking the rate limit", cancellationToken).ConfigureAwait(false));
        return wait <= 0 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(wait);
    }

    /// <inheritdoc/>
    public async ValueTask ConsumeAsync(string providerId, RateLimitOptions limits, long extraTokens, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(providerId);
        ArgumentNullException.ThrowIfNull(limits);
        if (extraTokens <= 0 || limits.TokensPerMinute is not { } tpm) return;
        await _connection.RunAsync(db => db.ScriptEvaluateAsync(ConsumeScript, [_connection.Keys.RateLimit(providerId)], [tpm, extraTokens]),
            "counting tokens against the rate limit", cancellationToken).ConfigureAwait(false);
    }
}
