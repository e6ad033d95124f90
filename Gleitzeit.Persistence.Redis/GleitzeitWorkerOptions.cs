namespace Gleitzeit.Persistence.Redis;

/// <summary>How a <see cref="GleitzeitWorker"/> takes work from the Redis queue. Bound by <c>AddGleitzeitWorker(o => ...)</c>.</summary>
public sealed class GleitzeitWorkerOptions
{
    /// <summary>Most tasks this worker runs at once. Default: 4.</summary>
    public int Concurrency { get; set; } = 4;

    /// <summary>
    /// How long a task claimed by a worker stays its own without a sign of life. A worker renews the lease of every task it
    /// runs every third of this time; a task whose worker died is given to another worker once its lease ran out. Default: 30 s.
    /// </summary>
    public TimeSpan LeaseTime { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Name of this worker in the consumer group. Default: <c>host-pid-random</c>, unique per process.</summary>
    public string? ConsumerName { get; set; }

    /// <summary>
    /// Longest an idle worker waits before looking for work again when no notification arrives (new work is announced over
    /// pub/sub; this only bounds how late a missed announcement or a due retry is noticed). Default: 1 s.
    /// </summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Providers (by registration id) whose <c>maxConcurrency</c> bounds a resource of each worker process, not one shared by
    /// all workers: their tasks take no Redis permit, and each worker applies nothing beyond its own <see cref="Concurrency"/>
    /// and the provider's own limits. Every other bounded provider is bounded across all workers together. Default:
    /// <c>python</c> (each worker has its own pool of Python processes).
    /// </summary>
    public IList<string> PerWorkerBoundProviders { get; set; } = ["python"];

    /// <summary>How long a worker keeps trying to record a finished task while Redis is unreachable before it gives the task up for re-delivery. Default: 60 s.</summary>
    public TimeSpan ReportRetryWindow { get; set; } = TimeSpan.FromSeconds(60);
}
