using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gleitzeit.Core.Execution;
using StackExchange.Redis;

namespace Gleitzeit.Persistence.Redis;

/// <summary>
/// What a watcher learns from a run's event log (<see cref="RedisKeys.Events"/>) beyond the stored task states: the
/// workers record a completion served from the result cache (its <c>cache_key</c>) and a task queued again because its
/// provider is over its rate limit (<c>rate_limited</c>) in the same script that stores the state, so neither is lost
/// between two reads of a run, however briefly it lasted. Read incrementally: each read returns only the entries
/// appended since the last one.
/// </summary>
internal sealed class WorkerLog(string workflowId)
{
    private readonly Dictionary<string, TaskCacheHit> _hits = new(StringComparer.Ordinal);
    private readonly List<TaskRateLimited> _rateLimited = [];
    private long _read;

    /// <summary>Reads the entries appended since the last read.</summary>
    public async ValueTask ReadAsync(RedisConnection connection, CancellationToken cancellationToken)
    {
        var from = _read;
        var entries = await connection.RunAsync(db => db.ListRangeAsync(connection.Keys.Events(workflowId), from, -1),
            "reading events of run " + workflowId, cancellationToken).ConfigureAwait(false);
        _read = from + entries.Length;
        foreach (var entry in entries) Add(entry);
    }

    /// <summary>Takes the cache hit logged for <paramref name="taskId"/>'s completion, if it was one.</summary>
    public TaskCacheHit? TakeCacheHit(string taskId) => _hits.Remove(taskId, out var hit) ? hit : null;

    /// <summary>Takes the deferrals logged since the last call, oldest first.</summary>
    public List<TaskRateLimited> TakeRateLimited()
    {
        var taken = new List<TaskRateLimited>(_rateLimited);
        _rateLimited.Clear();
        return taken;
    }

    internal void Add(RedisValue entry)
    {
        var text = (string?)entry;
        // Most entries are plain state changes: parse only those that can carry something for the watcher.
        if (text is null || (!text.Contains(RedisWorkflowStore.CacheKeyField, StringComparison.Ordinal) && !text.Contains(RedisWorkflowStore.RateLimitedField, StringComparison.Ordinal))) return;
        JsonObject obj;
        try
        {
            if (JsonNode.Parse(text) is not JsonObject parsed) return;
            obj = parsed;
        }
        catch (JsonException)
        {
            return; // not an entry this version wrote: nothing to report from it
        }
        if (obj["task_id"] is not JsonValue idValue || !idValue.TryGetValue<string>(out var taskId)) return;
        var at = obj["timestamp"] is JsonValue ts && ts.TryGetValue<string>(out var time)
            && DateTimeOffset.TryParse(time, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var parsedAt) ? parsedAt : DateTimeOffset.MinValue;
        if (obj[RedisWorkflowStore.CacheKeyField] is JsonValue keyValue && keyValue.TryGetValue<string>(out var key))
        {
            _hits[taskId] = new TaskCacheHit(workflowId, at, taskId, key);
        }
        if (obj[RedisWorkflowStore.RateLimitedField] is JsonObject limit)
        {
            var provider = limit["provider"] is JsonValue p && p.TryGetValue<string>(out var name) ? name : "";
            var delay = limit["delay_ms"] is JsonValue d && d.TryGetValue<long>(out var ms) ? TimeSpan.FromMilliseconds(ms) : TimeSpan.Zero;
            _rateLimited.Add(new TaskRateLimited(workflowId, at, taskId, provider, delay));
        }
    }
}
