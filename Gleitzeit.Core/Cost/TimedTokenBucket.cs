using System.Threading.RateLimiting;

namespace Gleitzeit.Core.Cost;

/// <summary>
/// A token bucket on a <see cref="TimeProvider"/> (so a fake clock drives it): <c>capacity</c> permits, refilled
/// continuously at <c>perMinute</c>. A refused lease carries <see cref="MetadataName.RetryAfter"/>. It may owe permits
/// (<see cref="Consume"/>), which later acquisitions wait out.
/// </summary>
internal sealed class TimedTokenBucket : RateLimiter
{
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly double _capacity;
    private readonly double _perMinute;
    private double _permits;
    private DateTimeOffset _last;

    public TimedTokenBucket(double capacity, double perMinute, TimeProvider time)
    {
        _capacity = capacity;
        _perMinute = perMinute;
        _time = time;
        _permits = capacity;
        _last = time.GetUtcNow();
    }

    /// <summary>A bucket holding one second's worth of <paramref name="perMinute"/> (at least one).</summary>
    public static TimedTokenBucket PerMinute(int perMinute, TimeProvider time) => new(Math.Max(1.0, Math.Ceiling(perMinute / 60.0)), perMinute, time);

    public double Capacity => _capacity;

    public override TimeSpan? IdleDuration => null;

    public override RateLimiterStatistics? GetStatistics()
    {
        lock (_gate)
        {
            Refill();
            return new RateLimiterStatistics { CurrentAvailablePermits = (long)Math.Floor(_permits) };
        }
    }

    /// <summary>How long until <paramref name="permits"/> are there, without taking any (zero when they are).</summary>
    public TimeSpan WaitFor(double permits)
    {
        lock (_gate)
        {
            Refill();
            return Shortfall(Math.Min(permits, _capacity));
        }
    }

    /// <summary>Takes <paramref name="permits"/> whatever the bucket holds (it may go below zero: owed).</summary>
    public void Consume(double permits)
    {
        lock (_gate)
        {
            Refill();
            _permits -= permits;
        }
    }

    protected override RateLimitLease AttemptAcquireCore(int permitCount)
    {
        lock (_gate)
        {
            Refill();
            var wanted = Math.Min(permitCount, _capacity);
            var wait = Shortfall(wanted);
            if (wait > TimeSpan.Zero) return new Lease(false, wait);
            _permits -= wanted;
            return new Lease(true, null);
        }
    }

    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        while (true)
        {
            var lease = AttemptAcquireCore(permitCount);
            if (lease.IsAcquired || !lease.TryGetMetadata(MetadataName.RetryAfter, out var wait)) return lease;
            lease.Dispose();
            await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    private TimeSpan Shortfall(double wanted)
    {
        if (_permits >= wanted) return TimeSpan.Zero;
        var minutes = (wanted - _permits) / _perMinute;
        return TimeSpan.FromMilliseconds(Math.Max(1, Math.Ceiling(minutes * 60_000)));
    }

    private void Refill()
    {
        var now = _time.GetUtcNow();
        if (now <= _last) return;
        _permits = Math.Min(_capacity, _permits + (now - _last).TotalMinutes * _perMinute);
        _last = now;
    }

    private sealed class Lease(bool acquired, TimeSpan? retryAfter) : RateLimitLease
    {
        public override bool IsAcquired => acquired;

        public override IEnumerable<string> MetadataNames => retryAfter is null ? [] : [MetadataName.RetryAfter.Name];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            if (retryAfter is { } wait && metadataName == MetadataName.RetryAfter.Name)
            {
                metadata = wait;
                return true;
            }
            metadata = null;
            return false;
        }
    }
}
