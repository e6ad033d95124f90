using System.Globalization;
using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Cost;
using StackExchange.Redis;

namespace Gleitzeit.Persistence.Redis;

/// <summary>
/// The result cache in Redis, shared by every process and worker on the same Redis: one string key per entry
/// (<c>PREFIX cache:KEY</c>, the entry as JSON) whose expiry is the entry's TTL, so Redis drops expired entries itself.
/// A hit is one GET.
/// </summary>
public sealed class RedisTaskResultCache : ITaskResultCache
{
    private readonly RedisConnection _connection;

    /// <summary>Uses the connection and key prefix of <paramref name="store"/>.</summary>
    public RedisTaskResultCache(RedisWorkflowStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        _connection = store.Connection;
    }

    /// <inheritdoc/>
    public async ValueTask<TaskCacheEntry?> GetAsync(string key, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        var value = await _connection.RunAsync(db => db.StringGetAsync(_connection.Keys.CacheEntry(key)), "reading the result cache", cancellationToken).ConfigureAwait(false);
        if (value.IsNullOrEmpty) return null;
        var entry = Parse(key, (string)value!);
        return entry is null || entry.IsExpired(now) ? null : entry;
    }

    /// <inheritdoc/>
    public async ValueTask SetAsync(TaskCacheEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var json = new JsonObject
        {
            ["workflow"] = entry.WorkflowName,
            ["task_id"] = entry.TaskId,
            ["method"] = entry.Method,
            ["created_at"] = entry.CreatedAt.ToString("O", CultureInfo.InvariantCulture),
            ["expires_at"] = entry.ExpiresAt?.ToString("O", CultureInfo.InvariantCulture),
            ["result"] = entry.Result?.DeepClone(),
        }.ToJsonString();
        TimeSpan? ttl = entry.ExpiresAt is { } e ? e - entry.CreatedAt : null;
        if (ttl is { } t && t <= TimeSpan.Zero) return;
        await _connection.RunAsync(db => ttl is { } expiry ? db.StringSetAsync(_connection.Keys.CacheEntry(entry.Key), json, expiry) : db.StringSetAsync(_connection.Keys.CacheEntry(entry.Key), json), "writing the result cache", cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<TaskCacheStatistics> GetStatisticsAsync(string? workflowName, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        long entries = 0, expired = 0, bytes = 0;
        var byWorkflow = new Dictionary<string, long>(StringComparer.Ordinal);
        await foreach (var (key, value) in ScanAsync(cancellationToken).ConfigureAwait(false))
        {
            if (Parse(key, value) is not { } entry || (workflowName is not null && entry.WorkflowName != workflowName)) continue;
            if (entry.IsExpired(now))
            {
                expired++;
                continue;
            }
            entries++;
            bytes += TaskCacheKeyLength(entry.Result);
            byWorkflow[entry.WorkflowName] = byWorkflow.GetValueOrDefault(entry.WorkflowName) + 1;
        }
        return new TaskCacheStatistics { Entries = entries, Expired = expired, Bytes = bytes, ByWorkflow = byWorkflow };
    }

    /// <inheritdoc/>
    public async ValueTask<long> ClearAsync(string? workflowName, CancellationToken cancellationToken = default)
    {
        var doomed = new List<RedisKey>();
        await foreach (var (key, value) in ScanAsync(cancellationToken).ConfigureAwait(false))
        {
            if (workflowName is null || Parse(key, value)?.WorkflowName == workflowName) doomed.Add(_connection.Keys.CacheEntry(key));
        }
        long removed = 0;
        foreach (var chunk in doomed.Chunk(500))
        {
            removed += await _connection.RunAsync(db => db.KeyDeleteAsync(chunk), "clearing the result cache", cancellationToken).ConfigureAwait(false);
        }
        return removed;
    }

    private async IAsyncEnumerable<(string Key, string Value)> ScanAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var multiplexer = await _connection.ConnectAsync().ConfigureAwait(false);
        var prefix = _connection.Keys.CacheEntry("").ToString();
        var db = multiplexer.GetDatabase();
        foreach (var endpoint in multiplexer.GetEndPoints())
        {
            var server = multiplexer.GetServer(endpoint);
            if (server.IsReplica) continue;
            await foreach (var key in server.KeysAsync(db.Database, _connection.Keys.CachePattern, 500).WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                var value = await db.StringGetAsync(key).ConfigureAwait(false);
                if (!value.IsNullOrEmpty) yield return (key.ToString()[prefix.Length..], (string)value!);
            }
        }
    }

    private static TaskCacheEntry? Parse(string key, string json)
    {
        try
        {
            if (JsonNode.Parse(json) is not JsonObject o) return null;
            return new TaskCacheEntry
            {
                Key = key,
                WorkflowName = (string?)o["workflow"] ?? "",
                TaskId = (string?)o["task_id"] ?? "",
                Method = (string?)o["method"] ?? "",
                CreatedAt = DateTimeOffset.Parse((string)o["created_at"]!, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
                ExpiresAt = o["expires_at"] is { } e ? DateTimeOffset.Parse((string)e!, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind) : null,
                Result = o["result"]?.DeepClone(),
            };
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or FormatException or InvalidOperationException)
        {
            return null;
        }
    }

    private static long TaskCacheKeyLength(JsonNode? result) => result is null ? 4 : System.Text.Encoding.UTF8.GetByteCount(result.ToJsonString());
}
