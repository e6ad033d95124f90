using System.Globalization;
using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Persistence;
using StackExchange.Redis;

namespace Gleitzeit.Persistence.Redis;

/// <summary>
/// Keeps runs in Redis: every write is one Lua script, so a run's state, its status index and its history change together.
/// Several processes (the CLI, an app, distributed workers) can share one store. Dispose it to close the connection.
/// The query side (<see cref="IWorkflowHistory"/>) lives in <see cref="RedisRunHistory"/>; reads over many runs are
/// pipelined in chunks, never one round trip per run.
/// </summary>
public sealed class RedisWorkflowStore : IWorkflowStore, IAsyncDisposable
{
    private readonly bool _ownsConnection;
    private readonly RedisRunHistory _history;

    /// <summary>Creates a store; it connects on first use and reports PERSISTENCE_CONNECTION_FAILED when Redis is unreachable.</summary>
    public RedisWorkflowStore(RedisStoreOptions options)
        : this(new RedisConnection(options), ownsConnection: true)
    {
    }

    internal RedisWorkflowStore(RedisConnection connection, bool ownsConnection)
    {
        Connection = connection;
        _ownsConnection = ownsConnection;
        _history = new RedisRunHistory(connection);
    }

    internal RedisConnection Connection { get; }

    private RedisKeys Keys => Connection.Keys;

    /// <summary>Connects now (instead of on first use); throws PERSISTENCE_CONNECTION_FAILED naming the endpoint when Redis is unreachable.</summary>
    public async ValueTask ConnectAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await Connection.ConnectAsync().AsTask().WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask CreateRunAsync(WorkflowRun run, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        var id = run.WorkflowId;
        var args = new List<RedisValue>
        {
            id, run.Name, StoreJson.StatusName(run.Status), Time(run.CreatedAt), run.CreatedAt.ToUnixTimeMilliseconds(),
            run.Workflow is null ? "" : StoreJson.ToJson(run.Workflow).ToJsonString(),
            new JsonObject(run.Inputs.Select(kv => KeyValuePair.Create(kv.Key, kv.Value?.DeepClone()))).ToJsonString(),
            Time(run.StartedAt), Time(run.CompletedAt), run.Error is null ? "" : run.Error.ToJson().ToJsonString(),
            Math.Max(run.Workflow?.Tasks.Count ?? 0, run.Tasks.Count),
            EventJson(null, StoreJson.StatusName(run.Status), run.CreatedAt, 0, null),
            run.ParentId ?? "",
        };
        foreach (var task in run.Tasks.Values)
        {
            args.Add(task.TaskId);
            args.Add(StoreJson.ToJson(task).ToJsonString());
            args.Add(StoreJson.StatusName(task.Status));
        }
        var created = (int)await Connection.RunAsync(
            db => db.ScriptEvaluateAsync(StoreScripts.CreateRun, [Keys.Run(id), Keys.Tasks(id), Keys.Statuses(id), Keys.Events(id), Keys.Runs, Keys.Sequence], [.. args]),
            "creating run " + id, cancellationToken).ConfigureAwait(false);
        if (created == 0) throw new GleitzeitException(GleitzeitErrorCode.WorkflowAlreadyExists, $"A run with id '{id}' already exists.");
    }

    /// <inheritdoc />
    public async ValueTask UpdateRunStatusAsync(string workflowId, WorkflowStatus status, DateTimeOffset timestamp, GleitzeitError? error = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(workflowId);
        var finished = status is WorkflowStatus.Completed or WorkflowStatus.Failed or WorkflowStatus.Cancelled;
        var ok = (int)await Connection.RunAsync(
            db => db.ScriptEvaluateAsync(StoreScripts.UpdateRunStatus, [Keys.Run(workflowId), Keys.Events(workflowId)],
            [
                StoreJson.StatusName(status), Time(timestamp), error is null ? "" : error.ToJson().ToJsonString(),
                EventJson(null, StoreJson.StatusName(status), timestamp, 0, error), finished ? 1 : 0,
            ]),
            "updating run " + workflowId, cancellationToken).ConfigureAwait(false);
        if (ok == 0) throw NotFound(workflowId);
    }

    /// <inheritdoc />
    public ValueTask SaveTaskAsync(string workflowId, TaskResult task, CancellationToken cancellationToken = default) =>
        SaveTasksAsync(workflowId, [task], cancellationToken);

    /// <inheritdoc />
    public async ValueTask SaveTasksAsync(string workflowId, IReadOnlyList<TaskResult> tasks, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        if (tasks.Count == 0) return;
        var args = new RedisValue[tasks.Count * 4];
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < tasks.Count; i++)
        {
            var t = tasks[i];
            args[i * 4] = t.TaskId;
            args[i * 4 + 1] = StoreJson.ToJson(t).ToJsonString();
            args[i * 4 + 2] = StoreJson.StatusName(t.Status);
            args[i * 4 + 3] = EventJson(t.TaskId, StoreJson.StatusName(t.Status), t.CompletedAt ?? t.StartedAt ?? now, t.Attempts, t.Error);
        }
        var ok = (int)await Connection.RunAsync(
            db => db.ScriptEvaluateAsync(StoreScripts.SaveTasks, [Keys.Run(workflowId), Keys.Tasks(workflowId), Keys.Statuses(workflowId), Keys.Events(workflowId)], args),
            "saving tasks of run " + workflowId, cancellationToken).ConfigureAwait(false);
        if (ok == 0) throw NotFound(workflowId);
    }

    /// <summary>Records a waiting task's decision only while it is stored waiting, in one Lua script (atomic for every client).</summary>
    public async ValueTask<bool> TrySaveAnswerAsync(string workflowId, TaskResult decided, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(workflowId);
        ArgumentNullException.ThrowIfNull(decided);
        var status = StoreJson.StatusName(decided.Status);
        RedisValue[] args =
        [
            decided.TaskId, StoreJson.ToJson(decided).ToJsonString(), status,
            EventJson(decided.TaskId, status, decided.CompletedAt ?? decided.StartedAt ?? DateTimeOffset.UtcNow, decided.Attempts, decided.Error),
        ];
        var outcome = (int)await Connection.RunAsync(
            db => db.ScriptEvaluateAsync(StoreScripts.SaveAnswer, [Keys.Run(workflowId), Keys.Tasks(workflowId), Keys.Statuses(workflowId), Keys.Events(workflowId)], args),
            "recording an answer in run " + workflowId, cancellationToken).ConfigureAwait(false);
        if (outcome < 0) throw NotFound(workflowId);
        return outcome == 1;
    }

    /// <inheritdoc />
    public async ValueTask<WorkflowRun?> GetRunAsync(string workflowId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(workflowId);
        var (meta, tasks) = await Connection.RunAsync(async db =>
        {
            var batch = db.CreateBatch();
            var m = batch.HashGetAllAsync(Keys.Run(workflowId));
            var t = batch.HashGetAllAsync(Keys.Tasks(workflowId));
            batch.Execute();
            return (await m.ConfigureAwait(false), await t.ConfigureAwait(false));
        }, "reading run " + workflowId, cancellationToken).ConfigureAwait(false);
        if (meta.Length == 0) return null;
        return ToRun(ToDictionary(meta), tasks);
    }

    /// <inheritdoc />
    public async ValueTask<RunLease> AcquireLeaseAsync(string workflowId, RunLease lease, DateTimeOffset now, string? takeOverFrom = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(workflowId);
        ArgumentNullException.ThrowIfNull(lease);
        var result = await Connection.RunAsync(
            db => db.ScriptEvaluateAsync(StoreScripts.AcquireLease, [Keys.Lease(workflowId)],
                [lease.Owner, lease.Host, lease.ProcessId, lease.ExpiresAt.ToUnixTimeMilliseconds(), now.ToUnixTimeMilliseconds(), takeOverFrom ?? ""]),
            "taking the lease of run " + workflowId, cancellationToken).ConfigureAwait(false);
        var held = (RedisValue[])result!;
        return ToLease(held[0], held[1], held[2], held[3]);
    }

    /// <inheritdoc />
    public async ValueTask ReleaseLeaseAsync(string workflowId, string owner, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(workflowId);
        ArgumentNullException.ThrowIfNull(owner);
        await Connection.RunAsync(db => db.ScriptEvaluateAsync(StoreScripts.ReleaseLease, [Keys.Lease(workflowId)], [owner]),
            "releasing the lease of run " + workflowId, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<RunLease?> GetLeaseAsync(string workflowId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(workflowId);
        var held = await Connection.RunAsync(db => db.HashGetAsync(Keys.Lease(workflowId), ["owner", "host", "pid", "expires"]),
            "reading the lease of run " + workflowId, cancellationToken).ConfigureAwait(false);
        return held[0].IsNull ? null : ToLease(held[0], held[1], held[2], held[3]);
    }

    private static RunLease ToLease(RedisValue owner, RedisValue host, RedisValue pid, RedisValue expires) =>
        new((string)owner!, (string)host!, (int)pid, DateTimeOffset.FromUnixTimeMilliseconds((long)expires));

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<WorkflowRunSummary>> ListRunsAsync(RunQuery? query = null, CancellationToken cancellationToken = default) =>
        _history.ListRunsAsync(query, cancellationToken);

    /// <inheritdoc />
    public ValueTask<StoredTaskResult?> GetTaskResultAsync(string taskId, string? workflowId = null, CancellationToken cancellationToken = default) =>
        _history.GetTaskResultAsync(taskId, workflowId, cancellationToken);

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<StoredTaskResult>> GetResultsByWorkflowNameAsync(string workflowName, CancellationToken cancellationToken = default) =>
        _history.GetResultsByWorkflowNameAsync(workflowName, cancellationToken);

    /// <inheritdoc />
    public ValueTask<StoreStatistics> GetStatisticsAsync(CancellationToken cancellationToken = default) =>
        _history.GetStatisticsAsync(cancellationToken);

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<StoredEvent>> GetEventsAsync(string workflowId, CancellationToken cancellationToken = default) =>
        _history.GetEventsAsync(workflowId, cancellationToken);

    /// <inheritdoc />
    public ValueTask<int> PurgeAsync(DateTimeOffset olderThan, CancellationToken cancellationToken = default) =>
        _history.PurgeAsync(olderThan, cancellationToken);

    /// <summary>Closes the Redis connection when the store opened it itself; a connection passed in stays open.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_ownsConnection) await Connection.DisposeAsync().ConfigureAwait(false);
    }

    // ---------------------------------------------------------------- reading

    private static string ItemOwner(string taskId) =>
        taskId.EndsWith(']') && taskId.LastIndexOf('[') is > 0 and var open ? taskId[..open] : taskId;

    private static long ItemIndex(string taskId) =>
        taskId.EndsWith(']') && taskId.LastIndexOf('[') is > 0 and var open
            && long.TryParse(taskId.AsSpan(open + 1, taskId.Length - open - 2), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : -1;

    internal static WorkflowRun ToRun(Dictionary<string, RedisValue> meta, HashEntry[] tasks)
    {
        var workflow = meta.TryGetValue("workflow", out var w) && !w.IsNullOrEmpty ? StoreJson.WorkflowFromJson((JsonObject)JsonNode.Parse((string)w!)!) : null;
        var inputs = meta.TryGetValue("inputs", out var i) && !i.IsNullOrEmpty
            ? ((JsonObject)JsonNode.Parse((string)i!)!).ToDictionary(kv => kv.Key, kv => kv.Value?.DeepClone())
            : new Dictionary<string, JsonNode?>();
        var byId = tasks.ToDictionary(e => (string)e.Name!, e => ParseTask((string)e.Value!), StringComparer.Ordinal);
        var ordered = new Dictionary<string, TaskResult>(byId.Count, StringComparer.Ordinal);
        if (workflow is not null)
        {
            foreach (var t in workflow.Tasks)
            {
                if (byId.TryGetValue(t.Id, out var r)) ordered[t.Id] = r;
            }
        }
        // Tasks the definition does not list (a foreach task's items, id[n]) come after it, by task and then by index
        // (a hash keeps no order).
        foreach (var k in byId.Keys.Where(k => !ordered.ContainsKey(k)).OrderBy(ItemOwner, StringComparer.Ordinal).ThenBy(ItemIndex))
        {
            ordered[k] = byId[k];
        }
        return new WorkflowRun
        {
            WorkflowId = (string)meta["id"]!,
            Name = (string)meta["name"]!,
            Status = StoreJson.ParseWorkflowStatus((string)meta["status"]!),
            Tasks = ordered,
            Workflow = workflow,
            Inputs = inputs,
            CreatedAt = ParseTime(meta["created_at"])!.Value,
            StartedAt = ParseTime(meta.GetValueOrDefault("started_at")),
            CompletedAt = ParseTime(meta.GetValueOrDefault("completed_at")),
            Error = meta.TryGetValue("error", out var e) && !e.IsNullOrEmpty ? StoreJson.ErrorFromJson((JsonObject)JsonNode.Parse((string)e!)!) : null,
            ParentId = meta.TryGetValue("parent_id", out var p) && !p.IsNullOrEmpty ? (string?)p : null,
        };
    }

    internal static Dictionary<string, RedisValue> ToDictionary(HashEntry[] entries) =>
        entries.ToDictionary(e => (string)e.Name!, e => e.Value, StringComparer.Ordinal);

    internal static TaskResult ParseTask(string json)
    {
        try
        {
            return StoreJson.TaskResultFromJson((JsonObject)JsonNode.Parse(json)!);
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidCastException or InvalidOperationException or ArgumentException or FormatException)
        {
            throw new GleitzeitException(GleitzeitErrorCode.PersistenceCorrupted, $"A stored task state is not valid: {ex.Message}", ex);
        }
    }

    // ---------------------------------------------------------------- JSON forms

    internal static string Time(DateTimeOffset? time) => time?.ToString("O", CultureInfo.InvariantCulture) ?? "";

    internal static DateTimeOffset? ParseTime(RedisValue value) =>
        value.IsNullOrEmpty ? null : DateTimeOffset.Parse((string)value!, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);

    /// <summary>
    /// One entry of a run's event log. A worker's entries may add what a watcher reports beyond the state change
    /// (<see cref="RedisWorkflowRunner.WatchAsync"/>): <c>cache_key</c> on a completion served from the result cache,
    /// <c>rate_limited</c> (<c>provider</c>, <c>delay_ms</c>) on a task queued again because its provider is over its rate limit.
    /// </summary>
    internal static string EventJson(string? taskId, string status, DateTimeOffset timestamp, int attempt, GleitzeitError? error,
        string? cacheKey = null, (string Provider, TimeSpan Delay)? rateLimit = null)
    {
        var entry = new JsonObject
        {
            ["task_id"] = taskId,
            ["status"] = status,
            ["timestamp"] = Time(timestamp),
            ["attempt"] = attempt,
            ["error"] = error?.ToJson(),
        };
        if (cacheKey is not null) entry[CacheKeyField] = cacheKey;
        if (rateLimit is { } limit)
        {
            entry[RateLimitedField] = new JsonObject { ["provider"] = limit.Provider, ["delay_ms"] = (long)Math.Ceiling(limit.Delay.TotalMilliseconds) };
        }
        return entry.ToJsonString();
    }

    /// <summary>The event log field naming the cache key of a completion served from the result cache.</summary>
    internal const string CacheKeyField = "cache_key";

    /// <summary>The event log field describing a rate limit's deferral.</summary>
    internal const string RateLimitedField = "rate_limited";

    private static GleitzeitException NotFound(string workflowId) => new(GleitzeitErrorCode.WorkflowNotFound, $"No run with id '{workflowId}'.");
}
