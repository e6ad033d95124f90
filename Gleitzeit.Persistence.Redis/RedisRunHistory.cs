using System.Globalization;
using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Persistence;
using StackExchange.Redis;

namespace Gleitzeit.Persistence.Redis;

/// <summary>
/// The query side of <see cref="RedisWorkflowStore"/> (<see cref="IWorkflowHistory"/>): listing, results, statistics,
/// events and purging. Reads that cover many runs go in chunks of <see cref="Chunk"/> runs, each chunk one pipelined
/// batch (or one script), so their round trips grow with the number of chunks, not with the number of runs.
/// </summary>
internal sealed class RedisRunHistory(RedisConnection connection)
{
    /// <summary>Runs per pipelined batch: large enough to amortise the round trip, small enough to keep replies modest.</summary>
    public const int Chunk = 256;

    private static readonly RedisValue[] SummaryFields = ["id", "name", "status", "created_at", "started_at", "completed_at", "task_count", "seq"];

    private static readonly RedisValue[] DurationFields = ["status", "started_at", "completed_at"];

    private RedisKeys Keys => connection.Keys;

    public async ValueTask<IReadOnlyList<WorkflowRunSummary>> ListRunsAsync(RunQuery? query, CancellationToken cancellationToken)
    {
        query ??= new RunQuery();
        IEnumerable<(WorkflowRunSummary Summary, long Sequence)> summaries = await ReadSummariesAsync(cancellationToken).ConfigureAwait(false);
        if (query.After is { } after)
        {
            // Newest first: everything past the anchor; nothing when the anchor is gone.
            var list = summaries.ToList();
            var at = list.FindIndex(s => s.Summary.WorkflowId == after);
            summaries = at < 0 ? [] : list.Skip(at + 1);
        }
        return summaries
            .Where(s => query.Statuses.Count == 0 || query.Statuses.Contains(s.Summary.Status))
            .Where(s => query.Name is null || s.Summary.Name == query.Name)
            .Skip(query.Offset).Take(query.Limit)
            .Select(s => s.Summary)
            .ToList();
    }

    public async ValueTask<StoredTaskResult?> GetTaskResultAsync(string taskId, string? workflowId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(taskId);
        List<string> candidates = workflowId is not null
            ? [workflowId]
            : (await ReadSummariesAsync(cancellationToken).ConfigureAwait(false)).Select(s => s.Summary.WorkflowId).ToList();
        foreach (var slice in candidates.Chunk(Chunk))
        {
            var found = await connection.RunAsync(async db =>
            {
                var batch = db.CreateBatch();
                var pending = slice.Select(id => (batch.HashGetAsync(Keys.Tasks(id), taskId), batch.HashGetAsync(Keys.Run(id), "name"))).ToList();
                batch.Execute();
                var rows = new List<(RedisValue Json, RedisValue Name)>(pending.Count);
                foreach (var (j, n) in pending) rows.Add((await j.ConfigureAwait(false), await n.ConfigureAwait(false)));
                return rows;
            }, "reading task " + taskId, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < slice.Length; i++)
            {
                // Newest first: the first run that has the task wins.
                if (found[i].Json.HasValue && found[i].Name.HasValue) return new StoredTaskResult(slice[i], found[i].Name!, RedisWorkflowStore.ParseTask(found[i].Json!));
            }
        }
        return null;
    }

    public async ValueTask<IReadOnlyList<StoredTaskResult>> GetResultsByWorkflowNameAsync(string workflowName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(workflowName);
        var ids = (await ReadSummariesAsync(cancellationToken).ConfigureAwait(false))
            .Where(s => s.Summary.Name == workflowName)
            .Select(s => s.Summary.WorkflowId)
            .ToList();
        var list = new List<StoredTaskResult>();
        foreach (var slice in ids.Chunk(Chunk))
        {
            var rows = await connection.RunAsync(async db =>
            {
                var batch = db.CreateBatch();
                var pending = slice.Select(id => (batch.HashGetAllAsync(Keys.Run(id)), batch.HashGetAllAsync(Keys.Tasks(id)))).ToList();
                batch.Execute();
                var result = new List<(HashEntry[] Meta, HashEntry[] Tasks)>(pending.Count);
                foreach (var (m, t) in pending) result.Add((await m.ConfigureAwait(false), await t.ConfigureAwait(false)));
                return result;
            }, "reading results of workflow " + workflowName, cancellationToken).ConfigureAwait(false);
            foreach (var (meta, tasks) in rows)
            {
                if (meta.Length == 0) continue; // purged meanwhile
                var run = RedisWorkflowStore.ToRun(RedisWorkflowStore.ToDictionary(meta), tasks);
                list.AddRange(run.Tasks.Values.Select(t => new StoredTaskResult(run.WorkflowId, run.Name, t)));
            }
        }
        return list;
    }

    public async ValueTask<StoreStatistics> GetStatisticsAsync(CancellationToken cancellationToken)
    {
        var ids = await ReadIdsAsync(cancellationToken).ConfigureAwait(false);
        var runsByStatus = new Dictionary<WorkflowStatus, int>();
        var tasksByStatus = new Dictionary<WorkflowTaskStatus, int>();
        int totalRuns = 0, totalTasks = 0, finishedRuns = 0, finishedTasks = 0;
        double runMs = 0, taskMs = 0;
        foreach (var slice in ids.Chunk(Chunk))
        {
            var rows = await connection.RunAsync(async db =>
            {
                var batch = db.CreateBatch();
                var pending = slice.Select(id => (batch.HashGetAsync(Keys.Run(id), DurationFields), batch.HashValuesAsync(Keys.Tasks(id)))).ToList();
                batch.Execute();
                var result = new List<(RedisValue[] Run, RedisValue[] Tasks)>(pending.Count);
                foreach (var (r, t) in pending) result.Add((await r.ConfigureAwait(false), await t.ConfigureAwait(false)));
                return result;
            }, "reading statistics", cancellationToken).ConfigureAwait(false);
            foreach (var (run, tasks) in rows)
            {
                if (run[0].IsNull) continue; // purged meanwhile
                totalRuns++;
                var status = StoreJson.ParseWorkflowStatus((string)run[0]!);
                runsByStatus[status] = runsByStatus.GetValueOrDefault(status) + 1;
                if (RedisWorkflowStore.ParseTime(run[1]) is { } started && RedisWorkflowStore.ParseTime(run[2]) is { } completed)
                {
                    finishedRuns++;
                    runMs += (completed - started).TotalMilliseconds;
                }
                foreach (var json in tasks)
                {
                    var t = RedisWorkflowStore.ParseTask(json!);
                    totalTasks++;
                    tasksByStatus[t.Status] = tasksByStatus.GetValueOrDefault(t.Status) + 1;
                    if (t.Duration is { } td)
                    {
                        finishedTasks++;
                        taskMs += td.TotalMilliseconds;
                    }
                }
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

    public async ValueTask<IReadOnlyList<StoredEvent>> GetEventsAsync(string workflowId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(workflowId);
        var values = await connection.RunAsync(db => db.ListRangeAsync(Keys.Events(workflowId)), "reading events of run " + workflowId, cancellationToken).ConfigureAwait(false);
        return values.Select(v => ParseEvent(workflowId, v!)).ToList();
    }

    public async ValueTask<int> PurgeAsync(DateTimeOffset olderThan, CancellationToken cancellationToken)
    {
        var old = (await ReadSummariesAsync(cancellationToken).ConfigureAwait(false))
            .Where(s => s.Summary.Status is WorkflowStatus.Completed or WorkflowStatus.Failed or WorkflowStatus.Cancelled)
            .Where(s => (s.Summary.CompletedAt ?? s.Summary.CreatedAt) < olderThan)
            .Select(s => s.Summary.WorkflowId)
            .ToList();
        var removed = 0;
        foreach (var slice in old.Chunk(Chunk))
        {
            var keys = new RedisKey[1 + slice.Length * RedisKeys.RunKeyCount];
            keys[0] = Keys.Runs;
            for (var i = 0; i < slice.Length; i++) Keys.AllOf(slice[i]).CopyTo(keys, 1 + i * RedisKeys.RunKeyCount);
            var args = slice.Select(id => (RedisValue)id).ToArray();
            removed += (int)await connection.RunAsync(db => db.ScriptEvaluateAsync(StoreScripts.PurgeRuns, keys, args), "purging runs", cancellationToken).ConfigureAwait(false);
        }
        return removed;
    }

    /// <summary>Every run id, newest first by creation time.</summary>
    private async ValueTask<string[]> ReadIdsAsync(CancellationToken cancellationToken)
    {
        var ids = await connection.RunAsync(db => db.SortedSetRangeByRankAsync(Keys.Runs, 0, -1, Order.Descending), "listing runs", cancellationToken).ConfigureAwait(false);
        return ids.Select(i => (string)i!).ToArray();
    }

    /// <summary>Every run's summary, newest first (creation time, then creation order).</summary>
    private async ValueTask<List<(WorkflowRunSummary Summary, long Sequence)>> ReadSummariesAsync(CancellationToken cancellationToken)
    {
        var ids = await ReadIdsAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<(WorkflowRunSummary, long)>(ids.Length);
        foreach (var slice in ids.Chunk(Chunk))
        {
            var rows = await connection.RunAsync(async db =>
            {
                var batch = db.CreateBatch();
                var pending = slice.Select(id => (batch.HashGetAsync(Keys.Run(id), SummaryFields), batch.HashValuesAsync(Keys.Statuses(id)))).ToList();
                batch.Execute();
                var result = new List<(RedisValue[], RedisValue[])>(pending.Count);
                foreach (var (m, s) in pending) result.Add((await m.ConfigureAwait(false), await s.ConfigureAwait(false)));
                return result;
            }, "listing runs", cancellationToken).ConfigureAwait(false);
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
                    RedisWorkflowStore.ParseTime(meta[3])!.Value, RedisWorkflowStore.ParseTime(meta[4]), RedisWorkflowStore.ParseTime(meta[5]),
                    Math.Max((int)meta[6], statuses.Length), completed, failed);
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

    private static StoredEvent ParseEvent(string workflowId, string json)
    {
        var obj = (JsonObject)JsonNode.Parse(json)!;
        return new StoredEvent(workflowId, (string?)obj["task_id"], (string)obj["status"]!,
            DateTimeOffset.Parse((string)obj["timestamp"]!, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
            (int?)obj["attempt"] ?? 0, obj["error"] is JsonObject e ? StoreJson.ErrorFromJson(e) : null);
    }
}
