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

    /// <summary>Hash: task id to its final status, written once: what makes a result recorded exactly once.</summary>
    public RedisKey Done(string id) => Prefix + "run:{" + id + "}:done";

    /// <summary>Hash: task id to the number of deliveries (attempt numbers).</summary>
    public RedisKey Attempts(string id) => Prefix + "run:{" + id + "}:attempts";

    /// <summary>Hash: the run's lease (owner, host, pid, expires in Unix ms): which process executes it.</summary>
    public RedisKey Lease(string id) => Prefix + "run:{" + id + "}:lease";

    /// <summary>Stream of ready tasks, read by the worker consumer group.</summary>
    public RedisKey Queue => Prefix + "queue";

    /// <summary>Sorted set of tasks waiting to be retried, scored by when they are due (Unix ms).</summary>
    public RedisKey Delayed => Prefix + "delayed";

    public string Group => "workers";

    /// <summary>Pub/sub: "new work was queued".</summary>
    public RedisChannel WakeChannel => RedisChannel.Literal(Prefix + "wake");

    /// <summary>Pub/sub: a run id that was cancelled.</summary>
    public RedisChannel CancelChannel => RedisChannel.Literal(Prefix + "cancel");

    /// <summary>Pub/sub: a run id that finished.</summary>
    public RedisChannel FinishedChannel => RedisChannel.Literal(Prefix + "finished");

    public RedisKey[] AllOf(string id) => [Run(id), Tasks(id), Statuses(id), Events(id), Pending(id), Done(id), Attempts(id)];
}
