using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Cost;
using Gleitzeit.Persistence.Sqlite.Writing;
using Microsoft.Data.Sqlite;

namespace Gleitzeit.Persistence.Sqlite;

/// <summary>
/// The result cache in the store's SQLite file (table <c>cache_entries</c>), shared by every process that opens the file.
/// A hit is one indexed read; writes go through the store's group-commit writer. Expired entries are never served and are
/// removed when the same key is written again or by <see cref="ClearAsync"/>.
/// </summary>
public sealed class SqliteTaskResultCache : ITaskResultCache
{
    private readonly SqliteWorkflowStore _store;

    /// <summary>Keeps entries in <paramref name="store"/>'s database.</summary>
    public SqliteTaskResultCache(SqliteWorkflowStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
    }

    /// <inheritdoc/>
    public ValueTask<TaskCacheEntry?> GetAsync(string key, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        return _store.Reader.Read(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT workflow, task_id, method, result, created_at, expires_at FROM cache_entries WHERE key = $key AND (expires_at IS NULL OR expires_at > $now)";
            command.Parameters.AddWithValue("$key", key);
            command.Parameters.AddWithValue("$now", now.UtcTicks);
            using var reader = command.ExecuteReader();
            if (!reader.Read()) return null;
            return (TaskCacheEntry?)new TaskCacheEntry
            {
                Key = key,
                WorkflowName = reader.GetString(0),
                TaskId = reader.GetString(1),
                Method = reader.GetString(2),
                Result = reader.IsDBNull(3) ? null : Parse(reader.GetString(3)),
                CreatedAt = new DateTimeOffset(reader.GetInt64(4), TimeSpan.Zero),
                ExpiresAt = reader.IsDBNull(5) ? null : new DateTimeOffset(reader.GetInt64(5), TimeSpan.Zero),
            };
        }, cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask SetAsync(TaskCacheEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        cancellationToken.ThrowIfCancellationRequested();
        var result = entry.Result?.ToJsonString();
        return new ValueTask(_store.Writer.EnqueueAsync(new SqlOp(s => s.Execute("""
            INSERT INTO cache_entries (key, workflow, task_id, method, result, created_at, expires_at)
            VALUES ($key, $workflow, $task, $method, $result, $created, $expires)
            ON CONFLICT (key) DO UPDATE SET workflow = excluded.workflow, task_id = excluded.task_id, method = excluded.method,
                result = excluded.result, created_at = excluded.created_at, expires_at = excluded.expires_at
            """,
            ("$key", entry.Key), ("$workflow", entry.WorkflowName), ("$task", entry.TaskId), ("$method", entry.Method),
            ("$result", (object?)result ?? DBNull.Value), ("$created", entry.CreatedAt.UtcTicks),
            ("$expires", entry.ExpiresAt is { } e ? e.UtcTicks : DBNull.Value)))));
    }

    /// <inheritdoc/>
    public ValueTask<TaskCacheStatistics> GetStatisticsAsync(string? workflowName, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        _store.Reader.Read(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = """
                SELECT workflow,
                       SUM(CASE WHEN expires_at IS NULL OR expires_at > $now THEN 1 ELSE 0 END),
                       SUM(CASE WHEN expires_at IS NULL OR expires_at > $now THEN 0 ELSE 1 END),
                       SUM(CASE WHEN expires_at IS NULL OR expires_at > $now THEN COALESCE(LENGTH(CAST(result AS BLOB)), 4) ELSE 0 END)
                FROM cache_entries WHERE ($workflow IS NULL OR workflow = $workflow) GROUP BY workflow
                """;
            command.Parameters.AddWithValue("$now", now.UtcTicks);
            command.Parameters.AddWithValue("$workflow", (object?)workflowName ?? DBNull.Value);
            using var reader = command.ExecuteReader();
            long entries = 0, expired = 0, bytes = 0;
            var byWorkflow = new Dictionary<string, long>(StringComparer.Ordinal);
            while (reader.Read())
            {
                var live = reader.GetInt64(1);
                entries += live;
                expired += reader.GetInt64(2);
                bytes += reader.GetInt64(3);
                if (live > 0) byWorkflow[reader.GetString(0)] = live;
            }
            return new TaskCacheStatistics { Entries = entries, Expired = expired, Bytes = bytes, ByWorkflow = byWorkflow };
        }, cancellationToken);

    /// <inheritdoc/>
    public async ValueTask<long> ClearAsync(string? workflowName, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return await _store.Writer.EnqueueAsync(new SqlOp(s => workflowName is null
            ? s.Execute("DELETE FROM cache_entries")
            : s.Execute("DELETE FROM cache_entries WHERE workflow = $workflow", ("$workflow", workflowName)))).ConfigureAwait(false);
    }

    private static JsonNode? Parse(string text)
    {
        try
        {
            return JsonNode.Parse(text);
        }
        catch (System.Text.Json.JsonException ex)
        {
            throw new GleitzeitException(GleitzeitErrorCode.PersistenceCorrupted, $"A result cache entry is not valid JSON: {ex.Message}");
        }
    }
}
