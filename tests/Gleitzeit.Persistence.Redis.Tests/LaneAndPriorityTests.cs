using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Protocol;
using StackExchange.Redis;

namespace Gleitzeit.Persistence.Redis.Tests;

/// <summary>Task priorities order the ready set, and provider / back-end bounds hold across all workers.</summary>
public sealed class LaneAndPriorityTests
{
    private static JsonObject Busy(string gauge, int sleepMs = 30, int? firstSleepMs = null)
    {
        var p = new JsonObject { ["gauge"] = gauge, ["sleep_ms"] = sleepMs };
        if (firstSleepMs is { } f) p["first_sleep_ms"] = f;
        return p;
    }

    private static string NewGauge() => Path.Combine(Path.GetTempPath(), $"gleitzeit-gauge-{Guid.NewGuid():N}");

    private static List<string> StartOrder(Harness h, string runId) =>
        h.Executions.Select(e => e.Line.Split('\t')).Where(f => f[0] == runId).Select(f => f[1]).ToList();

    [Test]
    public async Task Priorities_order_the_ready_set_and_equal_priorities_run_first_in_first_out()
    {
        await using var h = Harness.Create("prio");
        var workflow = new WorkflowBuilder("prio")
            .AddTask("first", "test/noop", configure: t => t.WithPriority(TaskPriority.Urgent))
            .AddTask("n1", "test/noop")
            .AddTask("low1", "test/noop", configure: t => t.WithPriority(TaskPriority.Low))
            .AddTask("high1", "test/noop", configure: t => t.WithPriority(TaskPriority.High))
            .AddTask("n2", "test/noop")
            .AddTask("p15", "test/noop", configure: t => t.WithPriority(15))
            .AddTask("high2", "test/noop", configure: t => t.WithPriority(TaskPriority.High))
            .AddTask("low2", "test/noop", configure: t => t.WithPriority(TaskPriority.Low))
            .AddTask("n3", "test/noop")
            // Made ready only when "first" completes, after all the others: its priority still puts it ahead of them.
            .AddTask("after", "test/noop", configure: t => t.DependsOn("first").WithPriority(TaskPriority.Urgent))
            .Build();
        var id = await h.Queue.SubmitAsync(workflow);
        h.StartWorker(concurrency: 1);

        var run = await h.WaitAsync(id);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That(StartOrder(h, id), Is.EqualTo(new[] { "first", "after", "high1", "high2", "p15", "n1", "n2", "n3", "low1", "low2" }));
    }

    [Test]
    public async Task A_retried_task_goes_back_into_the_ready_set_by_its_priority()
    {
        await using var h = Harness.Create("prio-retry");
        var workflow = new WorkflowBuilder("prio-retry")
            .AddTask("flaky", "test/flaky", new JsonObject { ["fail_times"] = 0 },
                t => t.WithPriority(TaskPriority.Urgent).WithRetry(2, TimeSpan.FromMilliseconds(1), jitter: false))
            .AddTask("n1", "test/noop")
            .AddTask("n2", "test/noop")
            .Build();
        var id = await h.Queue.SubmitAsync(workflow);
        var keys = h.Store.Connection.Keys;
        var db = await h.Store.Connection.GetDatabaseAsync();
        // Take "flaky" as a worker would, fail it with a retry, and only then start the worker: both "n" tasks are ready before it.
        var taken = (RedisValue[])(await db.ScriptEvaluateAsync(QueueScripts.Take, [keys.Ready, keys.Queue], [keys.Group, "tester", 1, keys.Prefix]))!;
        Assert.That((string?)taken[2], Is.EqualTo("flaky"));
        var now = DateTimeOffset.UtcNow;
        await RedisWorkflowQueue.Evaluate(h.Store.Connection, QueueScripts.Retry, id, now,
        [
            "flaky", (string)taken[0]!, """{"task_id":"flaky","status":"retrying","attempts":1}""", RedisWorkflowStore.EventJson("flaky", "retrying", now, 1, null),
            now.ToUnixTimeMilliseconds(), $"{TaskPriority.Urgent}|{id.Length}:{id}flaky", keys.Delayed.ToString(),
        ], "test");
        h.StartWorker(concurrency: 1);

        var run = await h.WaitAsync(id);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That(StartOrder(h, id), Is.EqualTo(new[] { "flaky", "n1", "n2" }), "the due retry outranks the normal tasks queued before it");
    }

    [Test]
    public async Task A_provider_bound_of_1_is_never_exceeded_across_two_workers()
    {
        await using var h = Harness.Create("bound");
        var gauge = NewGauge();
        var builder = new WorkflowBuilder("bound");
        for (var i = 0; i < 12; i++) builder.AddTask("t" + i, "test/busy", Busy(gauge));
        var id = await h.Queue.SubmitAsync(builder.Build());
        h.StartWorker(concurrency: 4, providerBound: 1);
        h.StartWorker(concurrency: 4, providerBound: 1);

        var run = await h.WaitAsync(id);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That(Gauge.Read(gauge), Is.EqualTo((0, 1)), "one task of the provider at a time, across both workers");
        Assert.That(run.Tasks.Values.Select(t => t.Attempts), Is.All.EqualTo(1), "a parked task is not an attempt");
        var db = await h.Store.Connection.GetDatabaseAsync();
        var lane = h.Store.Connection.Keys.Lane("test");
        Assert.That(await db.SortedSetLengthAsync(lane + ":permits"), Is.Zero, "every permit was returned");
        Assert.That(await db.SortedSetLengthAsync(lane + ":waiting"), Is.Zero);
    }

    [Test]
    public async Task Without_a_bound_the_same_tasks_overlap()
    {
        // The control for the test above: the workload does run tasks at once when nothing bounds them.
        await using var h = Harness.Create("unbound");
        var gauge = NewGauge();
        var builder = new WorkflowBuilder("unbound");
        for (var i = 0; i < 4; i++) builder.AddTask("t" + i, "test/busy", Busy(gauge, sleepMs: 200));
        var id = await h.Queue.SubmitAsync(builder.Build());
        h.StartWorker(concurrency: 8);

        var run = await h.WaitAsync(id);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That(Gauge.Read(gauge).Max, Is.GreaterThan(1));
    }

    [Test]
    public async Task A_provider_bound_named_per_worker_takes_no_shared_permit()
    {
        await using var h = Harness.Create("perworker");
        var gauge = NewGauge();
        var builder = new WorkflowBuilder("perworker");
        for (var i = 0; i < 6; i++) builder.AddTask("t" + i, "test/busy", Busy(gauge, sleepMs: 200));
        var id = await h.Queue.SubmitAsync(builder.Build());
        h.StartWorker(concurrency: 1, providerBound: 1, boundPerWorker: true);
        h.StartWorker(concurrency: 1, providerBound: 1, boundPerWorker: true);

        var run = await h.WaitAsync(id);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That(Gauge.Read(gauge).Max, Is.EqualTo(2), "each worker runs one at a time, both at once");
        var db = await h.Store.Connection.GetDatabaseAsync();
        Assert.That(await db.KeyExistsAsync(h.Store.Connection.Keys.Lane("test") + ":permits"), Is.False);
        Assert.That(await db.KeyExistsAsync(h.Store.Connection.Keys.Lane("test") + ":waiting"), Is.False);
    }

    [Test]
    public async Task A_back_end_lane_bound_holds_across_workers_while_other_back_ends_keep_running()
    {
        await using var h = Harness.Create("backend");
        var slow = NewGauge();
        var fast = NewGauge();
        var builder = new WorkflowBuilder("backend");
        for (var i = 0; i < 6; i++) builder.AddTask("s" + i, "test/busy", new JsonObject { ["gauge"] = slow, ["sleep_ms"] = 30, ["lane"] = "slow" });
        for (var i = 0; i < 6; i++) builder.AddTask("f" + i, "test/busy", new JsonObject { ["gauge"] = fast, ["sleep_ms"] = 30, ["lane"] = "fast" });
        var id = await h.Queue.SubmitAsync(builder.Build());
        for (var w = 0; w < 2; w++)
        {
            var name = "w" + (w + 1);
            h.StartWorker(concurrency: 4, name: name, provider: new LaneTestProvider(new TestProvider(line => h.Executions.Enqueue((name, line)))));
        }

        var run = await h.WaitAsync(id);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That(Gauge.Read(slow), Is.EqualTo((0, 1)), "the back end bounded at 1");
        Assert.That(Gauge.Read(fast).Max, Is.LessThanOrEqualTo(3), "the back end bounded at 3");
    }

    [Test]
    public async Task A_permit_whose_worker_died_is_recovered_and_the_tasks_parked_behind_it_run()
    {
        await using var h = Harness.Create("deadpermit");
        var gauge = NewGauge();
        var keys = h.Store.Connection.Keys;
        var db = await h.Store.Connection.GetDatabaseAsync();
        var lane = keys.Lane("test");
        // A worker holding the provider's only permit dies: nobody renews it, nobody returns it.
        var time = (RedisValue[])(await db.ExecuteAsync("TIME"))!;
        var serverMs = (long)time[0] * 1000 + (long)time[1] / 1000;
        await db.SortedSetAddAsync(lane + ":permits", "0-1", serverMs + 4000);
        var builder = new WorkflowBuilder("deadpermit");
        for (var i = 0; i < 3; i++) builder.AddTask("t" + i, "test/busy", Busy(gauge));
        var id = await h.Queue.SubmitAsync(builder.Build());
        h.StartWorker(concurrency: 2, lease: TimeSpan.FromMilliseconds(400), providerBound: 1);

        // The lane is full: every task is parked, none runs.
        while (await db.SortedSetLengthAsync(lane + ":waiting") < 3) await Task.Delay(10);
        Assert.That(h.Executions, Is.Empty);
        var run = await h.WaitAsync(id);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That(Gauge.Read(gauge), Is.EqualTo((0, 1)));
        Assert.That(await db.SortedSetLengthAsync(lane + ":permits"), Is.Zero, "the dead worker's permit is gone");
    }

    /// <summary>The test provider with back ends: a task's <c>lane</c> parameter names one; "slow" is bounded at 1, "fast" at 3.</summary>
    private sealed class LaneTestProvider(TestProvider inner) : ITaskProvider, ITaskLanes
    {
        public ProtocolDescriptor Protocol => inner.Protocol;

        public ValueTask<JsonNode?> ExecuteAsync(TaskInvocation invocation, CancellationToken cancellationToken) => inner.ExecuteAsync(invocation, cancellationToken);

        public ValueTask<ProviderHealth> CheckHealthAsync(CancellationToken cancellationToken) => inner.CheckHealthAsync(cancellationToken);

        public object? GetService(Type serviceType) => serviceType.IsInstanceOfType(this) ? this : null;

        public TaskLane? LaneFor(WorkflowTask task) => (string?)task.Parameters["lane"] switch
        {
            "slow" => new TaskLane("slow", 1),
            "fast" => new TaskLane("fast", 3),
            _ => null,
        };
    }
}
