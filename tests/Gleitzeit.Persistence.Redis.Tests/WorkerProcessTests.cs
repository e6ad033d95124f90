using System.Globalization;
using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Definitions;
using StackExchange.Redis;
using static Gleitzeit.Persistence.Redis.Tests.WorkerRuns;

namespace Gleitzeit.Persistence.Redis.Tests;

/// <summary>Workers in real child processes sharing one Redis: what a deployment on several machines does.</summary>
[NonParallelizable]
public sealed class WorkerProcessTests
{
    /// <summary>
    /// Layers of tasks; task (l, i) depends on (l-1, i) and (l-1, i+1 mod width) and returns 1 + the sum of their results,
    /// so every result can be checked. Returns the workflow and the expected results.
    /// </summary>
    internal static (Workflow Workflow, Dictionary<string, long> Expected) Layered(int layers, int width, int sleepMs)
    {
        var builder = new WorkflowBuilder("layered");
        var expected = new Dictionary<string, long>(StringComparer.Ordinal);
        for (var l = 0; l < layers; l++)
        {
            for (var i = 0; i < width; i++)
            {
                var id = Id(l, i);
                var parameters = new JsonObject { ["add"] = 1, ["sleep_ms"] = sleepMs };
                if (l == 0)
                {
                    builder.AddTask(id, "test/sum", parameters);
                    expected[id] = 1;
                    continue;
                }
                var (left, right) = (Id(l - 1, i), Id(l - 1, (i + 1) % width));
                parameters["values"] = new JsonArray($"${{{left}.n}}", $"${{{right}.n}}");
                builder.AddTask(id, "test/sum", parameters, t => t.DependsOn(left, right));
                expected[id] = 1 + expected[left] + expected[right];
            }
        }
        return (builder.Build(), expected);
    }

    private static string Id(int layer, int i) => string.Create(CultureInfo.InvariantCulture, $"t{layer}_{i}");

    private static void AssertAllCorrect(WorkflowRun run, Dictionary<string, long> expected, Dictionary<string, int> completions)
    {
        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed), run.Error?.ToString());
        Assert.That(run.Tasks.Values.Select(t => t.Status), Is.All.EqualTo(WorkflowTaskStatus.Completed));
        Assert.That(expected.Keys.Select(k => (long?)run.GetResult(k)!["n"]), Is.EqualTo(expected.Values.Select(v => (long?)v)), "every result is the sum of its dependencies' results");
        Assert.That(completions.Keys, Is.EquivalentTo(expected.Keys));
        Assert.That(completions.Values, Is.All.EqualTo(1), "each result is recorded once");
    }

    [Test]
    public async Task Three_worker_processes_share_a_workflow_of_hundreds_of_tasks_and_run_each_once()
    {
        var options = RedisTestServer.NewOptions("three");
        await using var store = new RedisWorkflowStore(options);
        var queue = new RedisWorkflowQueue(store);
        await using var w1 = await WorkerProcess.StartAsync(options, "w1");
        await using var w2 = await WorkerProcess.StartAsync(options, "w2");
        await using var w3 = await WorkerProcess.StartAsync(options, "w3");
        var (workflow, expected) = Layered(layers: 10, width: 30, sleepMs: 10);

        var id = await queue.SubmitAsync(workflow);
        var run = await WaitAsync(queue, id);
        var executions = ExecutionsOf(id, w1, w2, w3);

        AssertAllCorrect(run, expected, await CompletionsAsync(store, id));
        Assert.That(executions.Select(e => e.Task), Is.EquivalentTo(expected.Keys), "each task ran exactly once");
        Assert.That(executions.GroupBy(e => e.Worker).Select(g => g.Key), Is.EquivalentTo(new[] { "w1", "w2", "w3" }), "all three workers took part");
        foreach (var w in new[] { w1, w2, w3 }) await w.StopAsync();
        Assert.That(new[] { w1, w2, w3 }.Select(w => w.HasExited), Is.All.True, "workers stop when asked");
    }

    [Test]
    public async Task A_killed_worker_s_tasks_are_taken_over_and_every_result_is_recorded_once()
    {
        var options = RedisTestServer.NewOptions("kill");
        await using var store = new RedisWorkflowStore(options);
        var queue = new RedisWorkflowQueue(store);
        var lease = TimeSpan.FromSeconds(3);
        await using var w1 = await WorkerProcess.StartAsync(options, "w1", lease: lease);
        await using var w2 = await WorkerProcess.StartAsync(options, "w2", lease: lease);
        await using var w3 = await WorkerProcess.StartAsync(options, "w3", lease: lease);
        var (workflow, expected) = Layered(layers: 8, width: 25, sleepMs: 200);
        var id = await queue.SubmitAsync(workflow);
        var keys = store.Connection.Keys;
        var db = await store.Connection.GetDatabaseAsync();

        // Kill w1 while it holds claimed tasks.
        while (true)
        {
            if (w1.Executions().Count >= 3)
            {
                var pending = await db.StreamPendingAsync(keys.Queue, keys.Group);
                if (pending.Consumers.Any(c => c.Name == "w1" && c.PendingMessageCount > 0)) break;
            }
            await Task.Delay(10);
        }
        await w1.KillAsync();
        var held = await db.StreamPendingMessagesAsync(keys.Queue, keys.Group, 100, "w1");
        var heldTasks = new List<string>();
        foreach (var p in held)
        {
            var entry = await db.StreamRangeAsync(keys.Queue, p.MessageId, p.MessageId);
            heldTasks.Add((string)entry.Single()["task"]!);
        }
        var run = await WaitAsync(queue, id);
        var executions = ExecutionsOf(id, w1, w2, w3);

        Assert.That(heldTasks, Is.Not.Empty, "w1 held tasks when it was killed");
        AssertAllCorrect(run, expected, await CompletionsAsync(store, id));
        Assert.That(executions.Select(e => e.Task).Distinct(), Is.EquivalentTo(expected.Keys), "every task ran");
        Assert.That(heldTasks.Select(t => executions.Any(e => e.Task == t && e.Worker != "w1")), Is.All.True, "the tasks w1 held ran on a surviving worker");
        var doubles = executions.GroupBy(e => e.Task).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.That(doubles, Is.SubsetOf(heldTasks), "only tasks the killed worker held ran twice");
    }

    [Test]
    public async Task Two_worker_processes_never_exceed_a_provider_bound_of_1()
    {
        var options = RedisTestServer.NewOptions("bound-processes");
        await using var store = new RedisWorkflowStore(options);
        var queue = new RedisWorkflowQueue(store);
        await using var w1 = await WorkerProcess.StartAsync(options, "w1", concurrency: 3, providerBound: 1);
        await using var w2 = await WorkerProcess.StartAsync(options, "w2", concurrency: 3, providerBound: 1);
        var gauge = Path.Combine(Path.GetTempPath(), $"gleitzeit-gauge-{Guid.NewGuid():N}");
        var builder = new WorkflowBuilder("bound-processes");
        for (var i = 0; i < 10; i++) builder.AddTask("t" + i, "test/busy", new JsonObject { ["gauge"] = gauge, ["sleep_ms"] = 40 });

        var id = await queue.SubmitAsync(builder.Build());
        var run = await WaitAsync(queue, id);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed), run.Error?.ToString());
        Assert.That(Gauge.Read(gauge), Is.EqualTo((0, 1)), "one task of the provider at a time across both processes");
        Assert.That(ExecutionsOf(id, w1, w2).Select(e => e.Task), Is.EquivalentTo(run.Tasks.Keys), "each task ran once");
    }

    [Test]
    public async Task A_killed_worker_s_lane_permit_is_recovered_and_the_tasks_parked_behind_it_run()
    {
        var options = RedisTestServer.NewOptions("permit-kill");
        await using var store = new RedisWorkflowStore(options);
        var queue = new RedisWorkflowQueue(store);
        var lease = TimeSpan.FromMilliseconds(1000);
        await using var w1 = await WorkerProcess.StartAsync(options, "w1", concurrency: 2, lease: lease, providerBound: 1);
        var hogGauge = Path.Combine(Path.GetTempPath(), $"gleitzeit-gauge-{Guid.NewGuid():N}");
        var gauge = Path.Combine(Path.GetTempPath(), $"gleitzeit-gauge-{Guid.NewGuid():N}");
        var hog = new WorkflowBuilder("permit-kill-hog")
            .AddTask("hog", "test/busy", new JsonObject { ["gauge"] = hogGauge, ["first_sleep_ms"] = 600_000, ["sleep_ms"] = 10 })
            .Build();
        var builder = new WorkflowBuilder("permit-kill");
        for (var i = 0; i < 3; i++) builder.AddTask("x" + i, "test/busy", new JsonObject { ["gauge"] = gauge, ["sleep_ms"] = 10 });
        var db = await store.Connection.GetDatabaseAsync();
        var lane = store.Connection.Keys.Lane("test");

        // w1 runs the hog, which holds the provider's only permit; the tasks of a second run wait parked in the lane. Then w1 dies.
        var hogId = await queue.SubmitAsync(hog);
        while (w1.Executions().Count == 0) await Task.Delay(10);
        var id = await queue.SubmitAsync(builder.Build());
        while (await db.SortedSetLengthAsync(lane + ":waiting") < 3) await Task.Delay(10);
        await w1.KillAsync();
        await using var w2 = await WorkerProcess.StartAsync(options, "w2", concurrency: 2, lease: lease, providerBound: 1);
        var hogRun = await WaitAsync(queue, hogId);
        var run = await WaitAsync(queue, id);

        Assert.That(hogRun.Status, Is.EqualTo(WorkflowStatus.Completed), hogRun.Error?.ToString());
        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed), run.Error?.ToString());
        Assert.That(ExecutionsOf(hogId, w1, w2).Select(e => e.Worker), Is.EqualTo(new[] { "w1", "w2" }), "the hog is taken over after its lease");
        Assert.That(ExecutionsOf(id, w1, w2).Select(e => e.Worker), Is.EqualTo(new[] { "w2", "w2", "w2" }), "nothing ran beside the hog on w1");
        Assert.That(Gauge.Read(gauge), Is.EqualTo((0, 1)));
        // w2 returns its own permit just after reporting the last task (the run can be seen completed a moment before):
        // wait for that, bounded; the dead worker's permit must be gone by then.
        var permits = await db.SortedSetLengthAsync(lane + ":permits");
        for (var i = 0; i < 500 && permits > 0; i++)
        {
            await Task.Delay(10);
            permits = await db.SortedSetLengthAsync(lane + ":permits");
        }
        Assert.That(permits, Is.Zero, "the dead worker's permit is gone");
    }

    [Test]
    public async Task A_worker_restarted_mid_run_picks_up_the_work()
    {
        var options = RedisTestServer.NewOptions("restart");
        await using var store = new RedisWorkflowStore(options);
        var queue = new RedisWorkflowQueue(store);
        var lease = TimeSpan.FromMilliseconds(1000);
        var log = Path.Combine(Path.GetTempPath(), $"gleitzeit-restart-{Guid.NewGuid():N}.log");
        var (workflow, expected) = Layered(layers: 6, width: 10, sleepMs: 50);
        var first = await WorkerProcess.StartAsync(options, "only", concurrency: 2, lease: lease, logFile: log);
        var id = await queue.SubmitAsync(workflow);
        while (first.Executions().Count < 10) await Task.Delay(10);
        await first.KillAsync();
        var before = first.Executions().Count;

        await using var second = await WorkerProcess.StartAsync(options, "only", concurrency: 2, lease: lease, logFile: log);
        var run = await WaitAsync(queue, id);
        var executions = ExecutionsOf(id, second);
        await first.DisposeAsync();

        AssertAllCorrect(run, expected, await CompletionsAsync(store, id));
        Assert.That(before, Is.LessThan(expected.Count), "the first process did not finish the run");
        Assert.That(executions.Select(e => e.Task).Distinct(), Is.EquivalentTo(expected.Keys));
    }

    [Test]
    public async Task Cancelling_a_run_stops_its_task_in_a_worker_process()
    {
        var options = RedisTestServer.NewOptions("xcancel");
        await using var store = new RedisWorkflowStore(options);
        var queue = new RedisWorkflowQueue(store);
        await using var worker = await WorkerProcess.StartAsync(options, "remote");
        var workflow = new WorkflowBuilder("cancel")
            .AddTask("long", "test/block", configure: t => t.WithTimeout(TimeSpan.FromMinutes(5)))
            .AddTask("next", "test/noop", configure: t => t.DependsOn("long"))
            .Build();
        var id = await queue.SubmitAsync(workflow);
        while (worker.Executions().Count == 0) await Task.Delay(10);

        await queue.CancelAsync(id);
        var run = await WaitAsync(queue, id);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Cancelled));
        Assert.That(run.Tasks["long"].Status, Is.EqualTo(WorkflowTaskStatus.Cancelled));
        Assert.That(run.Tasks["next"].Status, Is.EqualTo(WorkflowTaskStatus.Cancelled));
        Assert.That(worker.HasExited, Is.False);
    }
}
