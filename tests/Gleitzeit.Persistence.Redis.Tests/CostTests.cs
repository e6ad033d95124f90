using Gleitzeit.Core;
using Gleitzeit.Core.Cost;
using Gleitzeit.Core.Definitions;
using static Gleitzeit.Persistence.Redis.Tests.WorkerRuns;

namespace Gleitzeit.Persistence.Redis.Tests;

/// <summary>Cost control on Redis workers: the result cache and the run budget are shared by every worker process.</summary>
public sealed class CostTests
{
    private static List<string> ExecutionsOf(string runId, WorkerProcess worker) =>
        worker.Executions().Select(l => l.Split('\t')).Where(p => p[0] == runId).Select(p => p[1]).ToList();

    [Test]
    public async Task A_result_cached_by_one_worker_process_is_served_by_another()
    {
        var options = RedisTestServer.NewOptions("cost-cache");
        await using var store = new RedisWorkflowStore(options);
        var queue = new RedisWorkflowQueue(store);
        var workflow = WorkflowLoader.Parse("""
            name: cached-on-workers
            cache: { ttl: 1h }
            tasks:
              - { id: sum, method: test/sum, params: { values: [1, 2, 3] } }
              - { id: twice, method: test/sum, dependencies: [sum], params: { values: [1, 2, 3] } }
              - { id: other, method: test/sum, dependencies: [sum], params: { values: [4] } }
            """);

        string firstId;
        await using (var w1 = await WorkerProcess.StartAsync(options, "w1", cost: true))
        {
            firstId = await queue.SubmitAsync(workflow);
            var first = await WaitAsync(queue, firstId);
            Assert.That(first.Status, Is.EqualTo(WorkflowStatus.Completed), first.Error?.ToString());
            Assert.That(first.Tasks["twice"].Cached, Is.True, "the same call in the same run hits");
            Assert.That(ExecutionsOf(firstId, w1), Is.EquivalentTo(new[] { "sum", "other" }));
            await w1.StopAsync();
        }
        await using var w2 = await WorkerProcess.StartAsync(options, "w2", cost: true);
        var secondId = await queue.SubmitAsync(workflow);
        var second = await WaitAsync(queue, secondId);

        Assert.That(second.Status, Is.EqualTo(WorkflowStatus.Completed), second.Error?.ToString());
        Assert.That(second.Tasks.Values.Select(t => t.Cached), Is.All.True);
        Assert.That(ExecutionsOf(secondId, w2), Is.Empty, "w2 called no provider: every result came from w1's entries");
        Assert.That((long)second.GetResult("sum")!["n"]!, Is.EqualTo(6));
        var stats = await new RedisTaskResultCache(store).GetStatisticsAsync("cached-on-workers", DateTimeOffset.UtcNow);
        Assert.That(stats.Entries, Is.EqualTo(2));
    }

    [Test]
    public async Task A_budget_is_shared_by_two_worker_processes_under_concurrency()
    {
        var options = RedisTestServer.NewOptions("cost-budget");
        await using var store = new RedisWorkflowStore(options);
        var queue = new RedisWorkflowQueue(store);
        await using var w1 = await WorkerProcess.StartAsync(options, "w1", concurrency: 6, cost: true);
        await using var w2 = await WorkerProcess.StartAsync(options, "w2", concurrency: 6, cost: true);
        var builder = new WorkflowBuilder("budget-on-workers");
        for (var i = 0; i < 24; i++) builder.AddTask("ask" + i, "llm/chat", new System.Text.Json.Nodes.JsonObject { ["prompt"] = "q" + i });
        var workflow = builder.Build() with { Budget = new WorkflowBudget { MaxLlmCalls = 7 } };

        var id = await queue.SubmitAsync(workflow);
        var run = await WaitAsync(queue, id);
        var spend = await new RedisBudgetLedger(store).GetSpendAsync(id);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Failed));
        Assert.That(run.Tasks.Values.Count(t => t.Status == WorkflowTaskStatus.Completed), Is.EqualTo(7), "exactly the budget's calls ran, across both workers: " + string.Join("; ", run.Tasks.Values.Select(t => t.Error?.ToString()).Distinct()));
        Assert.That(run.Tasks.Values.Count(t => t.Error?.Code == GleitzeitErrorCode.BudgetExceeded), Is.EqualTo(17));
        Assert.That(spend.LlmCalls, Is.EqualTo(7));
        Assert.That(spend.Tokens, Is.EqualTo(7 * 30), "usage counted from each result");
        Assert.That(spend.ReservedTokens, Is.Zero);
        Assert.That(run.Error!.Message, Does.Contain("BUDGET_EXCEEDED"));
    }

    [Test]
    public async Task A_rate_limit_is_shared_by_two_worker_processes_and_tasks_wait_instead_of_failing()
    {
        var options = RedisTestServer.NewOptions("cost-rate");
        await using var store = new RedisWorkflowStore(options);
        var queue = new RedisWorkflowQueue(store);
        // 120 a minute: two at once, then one every half second, for both workers together.
        await using var w1 = await WorkerProcess.StartAsync(options, "w1", concurrency: 4, cost: true, requestsPerMinute: 120);
        await using var w2 = await WorkerProcess.StartAsync(options, "w2", concurrency: 4, cost: true, requestsPerMinute: 120);
        var builder = new WorkflowBuilder("rate-on-workers");
        for (var i = 0; i < 8; i++) builder.AddTask("ask" + i, "llm/chat", new System.Text.Json.Nodes.JsonObject { ["prompt"] = "q" + i });

        var id = await queue.SubmitAsync(builder.Build());
        var run = await WaitAsync(queue, id);
        var db = await store.Connection.GetDatabaseAsync();
        var bucket = store.Connection.Keys.RateLimit("llm");
        var admitted = (long)await db.HashGetAsync(bucket, "admitted");
        var deferred = (long)await db.HashGetAsync(bucket, "deferred");
        var requeued = (await store.GetEventsAsync(id)).Count(e => e.Status == "queued" && e.TaskId is not null);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed), run.Error?.ToString());
        Assert.That(run.Tasks.Values.Select(t => t.Attempts), Is.All.EqualTo(1), "a wait for the limit is no attempt");
        Assert.That(admitted, Is.EqualTo(8), "both workers took their calls from the one bucket in Redis");
        Assert.That(deferred, Is.GreaterThanOrEqualTo(6), "at most two calls fit the shared bucket at first; the other six waited at least once");
        Assert.That(requeued, Is.GreaterThanOrEqualTo(6), "each wait is recorded as queued again");
    }

    [Test]
    public async Task The_redis_ledger_admits_atomically()
    {
        var options = RedisTestServer.NewOptions("cost-ledger");
        await using var store = new RedisWorkflowStore(options);
        var ledger = new RedisBudgetLedger(store);
        var budget = new WorkflowBudget { MaxTokens = 1000 };

        var admitted = await Task.WhenAll(Enumerable.Range(0, 50).Select(async _ => (await ledger.TryReserveAsync("r", budget, 100)).Admitted));
        Assert.That(admitted.Count(a => a), Is.EqualTo(10));
        await ledger.SettleAsync("r", 100, 40);
        var after = await ledger.TryReserveAsync("r", budget, 60);

        Assert.That(after.Admitted, Is.True, "900 held + 40 used + 60 = 1000");
        Assert.That(after.Spend, Is.EqualTo(new BudgetSpend { Tokens = 40, ReservedTokens = 960, LlmCalls = 11 }));
        Assert.That((await ledger.TryReserveAsync("r", budget, 0)).Admitted, Is.False);
    }

    [Test]
    public async Task Redis_cache_entries_expire_with_their_ttl_and_clear_by_workflow()
    {
        var options = RedisTestServer.NewOptions("cost-ttl");
        await using var store = new RedisWorkflowStore(options);
        var cache = new RedisTaskResultCache(store);
        var now = DateTimeOffset.UtcNow;
        await cache.SetAsync(new TaskCacheEntry { Key = "k1", WorkflowName = "a", TaskId = "t", Method = "m", Result = 1, CreatedAt = now, ExpiresAt = now.AddHours(1) });
        await cache.SetAsync(new TaskCacheEntry { Key = "k2", WorkflowName = "b", TaskId = "t", Method = "m", Result = 2, CreatedAt = now });

        Assert.That((await cache.GetAsync("k1", now))?.Result?.GetValue<int>(), Is.EqualTo(1));
        Assert.That(await cache.GetAsync("k1", now.AddHours(2)), Is.Null, "past its expiry (as Redis itself would drop it)");
        var db = await store.Connection.GetDatabaseAsync();
        var ttl = await db.KeyTimeToLiveAsync(store.Connection.Keys.CacheEntry("k1"));
        Assert.That(ttl, Is.Not.Null.And.GreaterThan(TimeSpan.FromMinutes(59)), "the key carries the entry's TTL");
        Assert.That(await db.KeyTimeToLiveAsync(store.Connection.Keys.CacheEntry("k2")), Is.Null);
        Assert.That(await cache.ClearAsync("a"), Is.EqualTo(1));
        Assert.That((await cache.GetStatisticsAsync(null, now)).Entries, Is.EqualTo(1));
    }
}
