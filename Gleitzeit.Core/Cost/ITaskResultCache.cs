namespace Gleitzeit.Core.Cost;

/// <summary>
/// Where the cache stage of the task pipeline keeps task results across runs. <c>AddGleitzeit</c> registers one in memory,
/// <c>AddSqlite</c> a table in the database, <c>AddRedis</c> keys with a TTL; implement it to keep them elsewhere.
/// Implementations are thread-safe; a failing cache never fails a task (a read that throws is a miss, a write that
/// throws is logged).
/// </summary>
public interface ITaskResultCache
{
    /// <summary>The entry under <paramref name="key"/> that has not expired at <paramref name="now"/>, or null.</summary>
    ValueTask<TaskCacheEntry?> GetAsync(string key, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Stores (or replaces) an entry.</summary>
    ValueTask SetAsync(TaskCacheEntry entry, CancellationToken cancellationToken = default);

    /// <summary>What the cache holds at <paramref name="now"/>, for one workflow name or all.</summary>
    ValueTask<TaskCacheStatistics> GetStatisticsAsync(string? workflowName, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Removes the entries of one workflow name, or all; returns how many were removed.</summary>
    ValueTask<long> ClearAsync(string? workflowName, CancellationToken cancellationToken = default);
}
