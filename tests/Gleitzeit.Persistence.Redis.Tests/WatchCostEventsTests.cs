using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;

namespace Gleitzeit.Persistence.Redis.Tests;

/// <summary>
/// A watcher of a run on worker processes sees the cost events the engine emits in process: <see cref="TaskCacheHit"/>
/// before a completion served from the result cache, and <see cref="TaskRateLimited"/> for every wait for a provider's
/// rate limit (recorded by the worker in the run's event log, read by <see cref="RedisWorkflowRunner.WatchAsync"/>).
/// </summary>
public sealed class WatchCostEventsTests
{
    private static async Task<List<WorkflowEvent>> CollectAsync(IWorkflowRunner runner, string id)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var events = new List<WorkflowEvent>();
        await foreach (var e in runner.WatchAsync(id, limit.Token)) events.Add(e);
        return events;
    }

    [Test]
    public async Task A_watcher_sees_a_task_a_worker_process_served_from_the_cache_as_a_cache_hit()
    {
        var options = RedisTestServer.NewOptions("watch-cache");
        await using var store = new RedisWorkflowStore(options);
        var runner = new RedisWorkflowRunner(new RedisWorkflowQueue(store));
        await using var worker = await WorkerProcess.StartAsync(options, "w1", cost: true);
        var workflow = WorkflowLoader.Parse("""
            name: watched-cache
            cache: { ttl: 1h }
            tasks:
              - { id: sum, method: test/sum, params: { values: [1, 2, 3] } }
              - { id: twice, method: test/sum, dependencies: [sum], params: { values: [1, 2, 3] } }
              - { id: other, method: test/sum, dependencies: [sum], params: { values: [4] } }
            """);

        var id = await runner.SubmitAsync(workflow);
        var events = await CollectAsync(runner, id);
        var run = await runner.GetRunAsync(id);

        Assert.That(run!.Status, Is.EqualTo(WorkflowStatus.Completed), run.Error?.ToString());
        Assert.That(run.Tasks["twice"].Cached, Is.True);
        var hits = events.OfType<TaskCacheHit>().ToList();
        Assert.That(hits.Select(h => h.TaskId), Is.EqualTo(new[] { "twice" }), "only the task answered from the cache: " + string.Join(", ", events));
        var hit = hits[0];
        Assert.That(hit.WorkflowId, Is.EqualTo(id));
        Assert.That(await new RedisTaskResultCache(store).GetAsync(hit.Key, DateTimeOffset.UtcNow), Is.Not.Null, "the key names the entry that answered");
        var at = events.IndexOf(hit);
        Assert.That(events[at + 1], Is.TypeOf<TaskCompleted>().With.Property(nameof(TaskCompleted.TaskId)).EqualTo("twice"), "the hit comes just before its completion, as in process");
        Assert.That(events[^1], Is.TypeOf<WorkflowCompleted>());
    }

    [Test]
    public async Task A_watcher_sees_every_wait_for_a_rate_limit_on_worker_processes()
    {
        var options = RedisTestServer.NewOptions("watch-rate");
        await using var store = new RedisWorkflowStore(options);
        var runner = new RedisWorkflowRunner(new RedisWorkflowQueue(store));
        // 120 a minute: two calls at once, then one every half second.
        await using var worker = await WorkerProcess.StartAsync(options, "w1", concurrency: 4, cost: true, requestsPerMinute: 120);
        var builder = new WorkflowBuilder("watched-rate");
        for (var i = 0; i < 5; i++) builder.AddTask("ask" + i, "llm/chat", new JsonObject { ["prompt"] = "q" + i });

        var id = await runner.SubmitAsync(builder.Build());
        var events = await CollectAsync(runner, id);
        var run = await runner.GetRunAsync(id);
        var db = await store.Connection.GetDatabaseAsync();
        var deferred = (long)await db.HashGetAsync(store.Connection.Keys.RateLimit("llm"), "deferred");

        Assert.That(run!.Status, Is.EqualTo(WorkflowStatus.Completed), run.Error?.ToString());
        var waits = events.OfType<TaskRateLimited>().ToList();
        Assert.That(deferred, Is.GreaterThanOrEqualTo(3), "at most two of the five calls fit the bucket at first");
        Assert.That(waits, Has.Count.EqualTo(deferred), "every deferral the limiter counted is seen, none twice: " + string.Join(", ", waits));
        Assert.That(waits.Select(w => w.Provider), Is.All.EqualTo("llm"));
        Assert.That(waits.Select(w => w.Delay), Is.All.GreaterThan(TimeSpan.Zero));
        Assert.That(waits.Select(w => w.WorkflowId), Is.All.EqualTo(id));
        Assert.That(waits.Select(w => w.TaskId).Distinct(), Is.SubsetOf(run.Tasks.Keys));
        Assert.That(events[^1], Is.TypeOf<WorkflowCompleted>(), "the waits are reported before the run's end");
    }
}
