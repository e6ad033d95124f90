using System.Collections.Concurrent;

namespace Gleitzeit.Core.Cost;

/// <summary>The result cache of one process (the default of <c>AddGleitzeit</c>): lost when the process ends.</summary>
public sealed class InMemoryTaskResultCache : ITaskResultCache
{
    private readonly ConcurrentDictionary<string, TaskCacheEntry> _entries = new(StringComparer.Ordinal);

    /// <inheritdoc/>
    public ValueTask<TaskCacheEntry?> GetAsync(string key, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (!_entries.TryGetValue(key, out var entry)) return ValueTask.FromResult<TaskCacheEntry?>(null);
        if (!entry.IsExpired(now)) return ValueTask.FromResult<TaskCacheEntry?>(entry with { Result = entry.Result?.DeepClone() });
        _entries.TryRemove(KeyValuePair.Create(key, entry));
        return ValueTask.FromResult<TaskCacheEntry?>(null);
    }

    /// <inheritdoc/>
    public ValueTask SetAsync(TaskCacheEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        _entries[entry.Key] = entry with { Result = entry.Result?.DeepClone() };
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public ValueTask<TaskCacheStatistics> GetStatisticsAsync(string? workflowName, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        long entries = 0, expired = 0, bytes = 0;
        var byWorkflow = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var entry in _entries.Values)
        {
            if (workflowName is not null && entry.WorkflowName != workflowName) continue;
            if (entry.IsExpired(now))
            {
                expired++;
                continue;
            }
            entries++;
            bytes += TaskCacheKey.Utf8Length(entry.Result);
            byWorkflow[entry.WorkflowName] = byWorkflow.GetValueOrDefault(entry.WorkflowName) + 1;
        }
        return ValueTask.FromResult(new TaskCacheStatistics { Entries = entries, Expired = expired, Bytes = bytes, ByWorkflow = byWorkflow });
    }

    /// <inheritdoc/>
    public ValueTask<long> ClearAsync(string? workflowName, CancellationToken cancellationToken = default)
    {
        long removed = 0;
        foreach (var (key, entry) in _entries)
        {
            if (workflowName is not null && entry.WorkflowName != workflowName) continue;
            if (_entries.TryRemove(key, out _)) removed++;
        }
        return ValueTask.FromResult(removed);
    }
}
