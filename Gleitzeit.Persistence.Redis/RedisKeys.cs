using StackExchange.Redis;

namespace Gleitzeit.Persistence.Redis;

/// <summary>
/// The key layout. Every key of one run carries the run id as a hash tag (<c>run:{id}</c>), so a run's keys stay together.
/// </summary>
internal sealed class RedisKeys(string prefix)
{
    public string Prefix { get; } = prefix;

    /// <summary>Sorted set of run ids, scored by creation time.</summary>
    public RedisKey Runs => Prefix + "runs";

    /// <summary>Counter giving runs created at the same instant an order.</summary>
    public RedisKey Sequence => Prefix + "seq";

    /// <summary>Hash: name, status, times, error, definition, inputs, and the queue's counters.</summary>
    public RedisKey Run(string id) => Prefix + "run:{" + id + "}";

    /// <summary>Hash: task id to its state as StoreJson (status, result, error, attempts, times).</summary>
    public RedisKey Tasks(string id) => Prefix + "run:{" + id + "}:tasks";

    /// <summary>Hash: task id to its status name, for counting without parsing results.</summary>
    public RedisKey Statuses(string id) => Prefix + "run:{" + id + "}:status";

    /// <summary>List: the run's history of transitions.</summary>
    public RedisKey Events(string id) => Prefix + "run:{" + id + "}:events";

    /// <summary>Hash: task id to the number of its dependencies not yet completed (distributed runs).</summary>
    public RedisKey Pending(string id) => Prefix + "run:{" + id + "}:pending";

    /// <summary>Hash: task id to the number of its dependencies that completed (what <c>join: any</c> needs one of).</summary>
    public RedisKey CompletedDependencies(string id) => Prefix + "run:{" + id + "}:okdeps";

    /// <summary>
    /// Hash: the expansion state of the run's foreach tasks (<c>id|count</c>, <c>id|left</c> items not completed,
    /// <c>id|next</c> the next item to queue, <c>id|prio</c>) and each completed item's result JSON, by item id.
    /// </summary>
    public RedisKey ForEach(string id) => Prefix + "run:{" + id + "}:foreach";

    /// <summary>Hash: a foreach item's id to its value (JSON), what <c>${item}</c> reads.</summary>
    public RedisKey ItemValues(string id) => Prefix + "run:{" + id + "}:items";

    /// <summary>Hash: task id to its final status, written once: what makes a result recorded exactly once.</summary>
    public RedisKey Done(string id) => Prefix + "run:{" + id + "}:done";

    /// <summary>Hash: task id to the number of deliveries (attempt numbers).</summary>
    public RedisKey Attempts(string id) => Prefix + "run:{" + id + "}:attempts";

    /// <summary>Hash: the run's lease (owner, host, pid, expires in Unix ms): which process executes it.</summary>
    public RedisKey Lease(string id) => Prefix + "run:{" + id + "}:lease";

    /// <summary>String: one result cache entry (JSON), with the entry's TTL as the key's expiry.</summary>
    public RedisKey CacheEntry(string key) => Prefix + "cache:" + key;

    /// <summary>The pattern matching every result cache entry (for stats and clear).</summary>
    public string CachePattern => Prefix + "cache:*";

    /// <summary>Hash: a provider's rate-limit buckets (requests and tokens, their levels and when they were last refilled), shared by every worker.</summary>
    public RedisKey RateLimit(string providerId) => Prefix + "ratelimit:{" + providerId + "}";

    /// <summary>Hash: a run's LLM spend (<c>tokens</c>, <c>reserved</c>, <c>calls</c>) for its budget, shared by every worker.</summary>
    public RedisKey Budget(string id) => Prefix + "run:{" + id + "}:budget";

    /// <summary>Stream of ready tasks, read by the worker consumer group.</summary>
    public RedisKey Queue => Prefix + "queue";

    /// <summary>
    /// Sorted set of ready tasks (<c>len:run-id task-id</c>), scored by rank: higher priority first, first in first out
    /// among equals. Workers move the best-ranked onto <see cref="Queue"/> and claim them there in one script.
    /// </summary>
    public RedisKey Ready => Prefix + "ready";

    /// <summary>Counter giving ready tasks of one priority their order.</summary>
    public RedisKey ReadySequence => Prefix + "readyseq";

    /// <summary>Set of the lane base keys (<see cref="Lane"/>) that have ever parked a task, swept for expired permits.</summary>
    public RedisKey Lanes => Prefix + "lanes";

    /// <summary>
    /// Base of a bounded lane's keys: <c>:permits</c> (sorted set of the stream entries running in it, scored by when
    /// their permit expires, Unix ms) and <c>:waiting</c> (ready tasks parked while the lane was full, scored by rank).
    /// </summary>
    public string Lane(string name) => Prefix + "lane:" + name;

    /// <summary>Sorted set of tasks waiting to be retried, scored by when they are due (Unix ms).</summary>
    public RedisKey Delayed => Prefix + "delayed";

    public string Group => "workers";

    /// <summary>Pub/sub: "new work was queued".</summary>
    public RedisChannel WakeChannel => RedisChannel.Literal(Prefix + "wake");

    /// <summary>Pub/sub: a run id that was cancelled.</summary>
    public RedisChannel CancelChannel => RedisChannel.Literal(Prefix + "cancel");

    /// <summary>Pub/sub: a run id that finished.</summary>
    public RedisChannel FinishedChannel => RedisChannel.Literal(Prefix + "finished");

    /// <summary>How many keys <see cref="AllOf"/> names.</summary>
    public const int RunKeyCount = 10;

    public RedisKey[] AllOf(string id) => [Run(id), Tasks(id), Statuses(id), Events(id), Pending(id), Done(id), Attempts(id), CompletedDependencies(id), ForEach(id), ItemValues(id)];
}
