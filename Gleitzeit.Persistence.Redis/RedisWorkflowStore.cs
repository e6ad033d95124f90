using System.Globalization;
using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Persistence;
using StackExchange.Redis;

namespace Gleitzeit.Persistence.Redis;

/// <summary>
/// Keeps runs in Redis: every write is one Lua script, so a run's state, its status index and its history change together.
/// Several processes (the CLI, an app, distributed workers) can share one store. Dispose it to close the connection.
/// </summary>
public sealed class RedisWorkflowStore : IWorkflowStore, IAsyncDisposable
{
    private readonly bool _ownsConnection;

    /// <summary>Creates a store; it connects on first use and reports PERSISTENCE_CONNECTION_FAILED when Redis is unreachable.</summary>
    public RedisWorkflowStore(RedisStoreOptions options)
        : this(new RedisConnection(options), ownsConnection: true)
    {
    }

    internal RedisWorkflowStore(RedisConnection connection, bool ownsConnection)
    {
        Connection = connection;
        _ownsConnection = ownsConnection;
    }

    internal RedisConnection Connection { get; }

    private RedisKeys Keys => Connection.Keys;

    /// <summary>Connects now (instead of on first use); throws PERSISTENCE_CONNECTION_FAILED naming the endpoint when Redis is unreachable.</summary>
    public async ValueTask ConnectAsync(CancellationToken cancellationToken = default) =>
        await Connection.ConnectAsync().AsTask().WaitAsync(cancellationToken).ConfigureAwait(false);

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
        };
        foreach (var task in run.Tasks.Values)
        {
            args.Add(task.TaskId);
            args.Add(StoreJson.ToJson(task).ToJsonString());
            args.Add(StoreJson.StatusName(task.Status));
        }
        var created = (int)await Connection.RunAsync(
            db => db.ScriptEvaluateAsync(StoreScripts.CreateRun, [Keys.Run(id), Keys.Tasks(id), Keys.Statuses(id), Keys.Events(id), Keys.Runs, Keys.Sequence], [.. args]),
            "creating run " + id).ConfigureAwait(false);
        if (created == 0) throw new GleitzeitException(GleitzeitErrorCode.WorkflowAlreadyExists, $"A run with id '{id}' already exists.");
    }

    public async ValueTask UpdateRunStatusAsync(string workflowId, WorkflowStatus status, DateTimeOffset timestamp, GleitzeitError? error = null, CancellationToken cancellationToken = default)
    {
        var finished = status is WorkflowStatus.Completed or WorkflowStatus.Failed or WorkflowStatus.Cancelled;
        var ok = (int)await Connection.RunAsync(
            db => db.ScriptEvaluateAsync(StoreScripts.UpdateRunStatus, [Keys.Run(workflowId), Keys.Events(workflowId)],
            [
                StoreJson.StatusName(status), Time(timestamp), error is null ? "" : error.ToJson().ToJsonString(),
                EventJson(null, StoreJson.StatusName(status), timestamp, 0, error), finished ? 1 : 0,
            ]),
            "updating run " + workflowId).ConfigureAwait(false);
        if (ok == 0) throw NotFound(workflowId);
    }

    public ValueTask SaveTaskAsync(string workflowId, TaskResult task, CancellationToken cancellationToken = default) =>
        SaveTasksAsync(workflowId, [task], cancellationToken);

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
            "saving tasks of run " + workflowId).ConfigureAwait(false);
        if (ok == 0) throw NotFound(workflowId);
    }

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
        }, "reading run " + workflowId).ConfigureAwait(false);
        if (meta.Length == 0) return null;
        return ToRun(ToDictionary(meta), tasks);
    }

    public async ValueTask<IReadOnlyList<WorkflowRunSummary>> ListRunsAsync(RunQuery? query = null, CancellationToken cancellationToken = default)
    {
        query ??= new RunQuery();
        var summaries = await ReadSummariesAsync().ConfigureAwait(false);
        return summaries
            .Where(s => query.Statuses.Count == 0 || query.Statuses.Contains(s.Summary.Status))
            .Where(s => query.Name is null || s.Summary.Name == query.Name)
            .Skip(query.Offset).Take(query.Limit)
            .Select(s => s.Summary)
            .ToList();
    }

    public async ValueTask<StoredTaskResult?> GetTaskResultAsync(string taskId, string? workflowId = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(taskId);
        List<string> candidates = workflowId is not null ? [workflowId] : (await ReadSummariesAsync().ConfigureAwait(false)).Select(s => s.Summary.WorkflowId).ToList();
        const int chunk = 256;
        for (var start = 0; start < candidates.Count; start += chunk)
        {
            var slice = candidates.Skip(start).Take(chunk).ToList();
            var found = await Connection.RunAsync(async db =>
            {
                var batch = db.CreateBatch();
                var pending = slice.Select(id => (batch.HashGetAsync(Keys.Tasks(id), taskId), batch.HashGetAsync(Keys.Run(id), "name"))).ToList();
                batch.Execute();
                var rows = new List<(RedisValue Json, RedisValue Name)>(pending.Count);
                foreach (var (j, n) in pending) rows.Add((await j.ConfigureAwait(false), await n.ConfigureAwait(false)));
                return rows;
            }, "reading task " + taskId).ConfigureAwait(false);
            for (var i = 0; i < slice.Count; i++)
            {
                // Newest first: the first run that has the task wins.
                if (found[i].Json.HasValue && found[i].Name.HasValue) return new StoredTaskResult(slice[i], found[i].Name!, ParseTask(found[i].Json!));
            }
        }
        return null;
    }

    public async ValueTask<IReadOnlyList<StoredTaskResult>> GetResultsByWorkflowNameAsync(string workflowName, CancellationToken cancellationToken = default)
    {
        var list = new List<StoredTaskResult>();
        foreach (var (summary, _) in (await ReadSummariesAsync().ConfigureAwait(false)).Where(s => s.Summary.Name == workflowName))
        {
            var run = await GetRunAsync(summary.WorkflowId, cancellationToken).ConfigureAwait(false);
            if (run is null) continue;
            list.AddRange(run.Tasks.Values.Select(t => new StoredTaskResult(run.WorkflowId, run.Name, t)));
        }
        return list;
    }

    public async ValueTask<StoreStatistics> GetStatisticsAsync(CancellationToken cancellationToken = default)
    {
        var runsByStatus = new Dictionary<WorkflowStatus, int>();
        var tasksByStatus = new Dictionary<WorkflowTaskStatus, int>();
        int totalRuns = 0, totalTasks = 0, finishedRuns = 0, finishedTasks = 0;
        double runMs = 0, taskMs = 0;
        foreach (var (summary, _) in await ReadSummariesAsync().ConfigureAwait(false))
        {
            var run = await GetRunAsync(summary.WorkflowId, cancellationToken).ConfigureAwait(false);
            if (run is null) continue;
            totalRuns++;
            runsByStatus[run.Status] = runsByStatus.GetValueOrDefault(run.Status) + 1;
            if (run.Duration is { } rd) { finishedRuns++; runMs += rd.TotalMilliseconds; }
            foreach (var t in run.Tasks.Values)
            {
                totalTasks++;
                tasksByStatus[t.Status] = tasksByStatus.GetValueOrDefault(t.Status) + 1;
                if (t.Duration is { } td) { finishedTasks++; taskMs += td.TotalMilliseconds; }
            }
        }
        return new StoreStatistics
        {
            TotalRuns = totalRuns,
            RunsByStatus = runsByStatus,
            TotalTasks = totalTasks,
            TasksByStatus = tasksByStatus,
            AverageRunDuration = finishedRuns > 0 ? TimeSpan.FromMilliseconds(runMs / finishedRuns) : null,
            AverageTaskDuration = finishedTasks > 0 ? TimeSpan.FromMilliseconds(taskMs / finishedTasks) : null,
        };
    }

    public async ValueTask<IReadOnlyList<StoredEvent>> GetEventsAsync(string workflowId, CancellationToken cancellationToken = default)
    {
        var values = await Connection.RunAsync(db => db.ListRangeAsync(Keys.Events(workflowId)), "reading events of run " + workflowId).ConfigureAwait(false);
        return values.Select(v => ParseEvent(workflowId, v!)).ToList();
    }

    public async ValueTask<int> PurgeAsync(DateTimeOffset olderThan, CancellationToken cancellationToken = default)
    {
        var removed = 0;
        foreach (var (summary, _) in await ReadSummariesAsync().ConfigureAwait(false))
        {
            if (summary.Status is not (WorkflowStatus.Completed or WorkflowStatus.Failed or WorkflowStatus.Cancelled)) continue;
            if ((summary.CompletedAt ?? summary.CreatedAt) >= olderThan) continue;
            var id = summary.WorkflowId;
            var keys = Keys.AllOf(id);
            var deleted = await Connection.RunAsync(async db =>
            {
                var tx = db.CreateTransaction();
                var z = tx.SortedSetRemoveAsync(Keys.Runs, id);
                _ = tx.KeyDeleteAsync(keys);
                await tx.ExecuteAsync().ConfigureAwait(false);
                return await z.ConfigureAwait(false);
            }, "purging run " + id).ConfigureAwait(false);
            if (deleted) removed++;
        }
        return removed;
    }

    public async ValueTask DisposeAsync()
    {
        if (_ownsConnection) await Connection.DisposeAsync().ConfigureAwait(false);
    }

    // ---------------------------------------------------------------- reading

    private static readonly RedisValue[] SummaryFields = ["id", "name", "status", "created_at", "started_at", "completed_at", "task_count", "seq"];

    /// <summary>Every run's summary, newest first (creation time, then creation order).</summary>
    private async ValueTask<List<(WorkflowRunSummary Summary, long Sequence)>> ReadSummariesAsync()
    {
        var ids = await Connection.RunAsync(db => db.SortedSetRangeByRankAsync(Keys.Runs, 0, -1, Order.Descending), "listing runs").ConfigureAwait(false);
        var list = new List<(WorkflowRunSummary, long)>(ids.Length);
        const int chunk = 256;
        for (var start = 0; start < ids.Length; start += chunk)
        {
            var slice = ids.Skip(start).Take(chunk).Select(i => (string)i!).ToList();
            var rows = await Connection.RunAsync(async db =>
            {
                var batch = db.CreateBatch();
                var pending = slice.Select(id => (batch.HashGetAsync(Keys.Run(id), SummaryFields), batch.HashValuesAsync(Keys.Statuses(id)))).ToList();
                batch.Execute();
                var result = new List<(RedisValue[], RedisValue[])>(pending.Count);
                foreach (var (m, s) in pending) result.Add((await m.ConfigureAwait(false), await s.ConfigureAwait(false)));
                return result;
            }, "listing runs").ConfigureAwait(false);
            foreach (var (meta, statuses) in rows)
            {
                if (meta[0].IsNull) continue; // purged meanwhile
                int completed = 0, failed = 0;
                foreach (var s in statuses)
                {
                    if (s == "completed") completed++;
                    else if (s == "failed") failed++;
                }
                var summary = new WorkflowRunSummary((string)meta[0]!, (string)meta[1]!, StoreJson.ParseWorkflowStatus((string)meta[2]!),
                    ParseTime(meta[3])!.Value, ParseTime(meta[4]), ParseTime(meta[5]), Math.Max((int)meta[6], statuses.Length), completed, failed);
                list.Add((summary, (long)meta[7]));
            }
        }
        list.Sort((a, b) =>
        {
            var c = b.Item1.CreatedAt.CompareTo(a.Item1.CreatedAt);
            return c != 0 ? c : b.Item2.CompareTo(a.Item2);
        });
        return list;
    }

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
        foreach (var (k, v) in byId) ordered.TryAdd(k, v);
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

    internal static string EventJson(string? taskId, string status, DateTimeOffset timestamp, int attempt, GleitzeitError? error) => new JsonObject
    {
        ["task_id"] = taskId,
        ["status"] = status,
        ["timestamp"] = Time(timestamp),
        ["attempt"] = attempt,
        ["error"] = error?.ToJson(),
    }.ToJsonString();

    private static StoredEvent ParseEvent(string workflowId, string json)
    {
        var obj = (JsonObject)JsonNode.Parse(json)!;
        return new StoredEvent(workflowId, (string?)obj["task_id"], (string)obj["status"]!,
            DateTimeOffset.Parse((string)obj["timestamp"]!, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
            (int?)obj["attempt"] ?? 0, obj["error"] is JsonObject e ? StoreJson.ErrorFromJson(e) : null);
    }

    private static GleitzeitException NotFound(string workflowId) => new(GleitzeitErrorCode.WorkflowNotFound, $"No run with id '{workflowId}'.");
}
