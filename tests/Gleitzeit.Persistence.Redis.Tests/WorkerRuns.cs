using Gleitzeit.Core;

namespace Gleitzeit.Persistence.Redis.Tests;

/// <summary>What the tests with worker processes ask of a run: its end (bounded), who ran what, how often each task completed.</summary>
internal static class WorkerRuns
{
    public static async Task<WorkflowRun> WaitAsync(RedisWorkflowQueue queue, string id)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        return await queue.WaitAsync(id, limit.Token);
    }

    /// <summary>Every execution the worker processes logged for <paramref name="runId"/>, as (consumer, task id).</summary>
    public static List<(string Worker, string Task)> ExecutionsOf(string runId, params WorkerProcess[] workers) =>
        workers.SelectMany(w => w.Executions().Select(l => l.Split('\t')).Where(p => p[0] == runId).Select(p => (w.Consumer, p[1]))).ToList();

    /// <summary>How many "completed" events each task of the run has in the stored history.</summary>
    public static async Task<Dictionary<string, int>> CompletionsAsync(RedisWorkflowStore store, string runId) =>
        (await store.GetEventsAsync(runId)).Where(e => e.TaskId is not null && e.Status == "completed")
            .GroupBy(e => e.TaskId!).ToDictionary(g => g.Key, g => g.Count());
}
