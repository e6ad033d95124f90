using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Human;
using Microsoft.Extensions.Time.Testing;
using static Gleitzeit.Persistence.Redis.Tests.WorkerRuns;

namespace Gleitzeit.Persistence.Redis.Tests;

/// <summary>
/// <c>foreach</c> on Redis workers: the list resolved by a worker, the expansion stored once by one script, the items
/// spread over the workers as tasks of their own, bounded by <c>max_concurrency</c>, and the aggregate stored on the
/// foreach task, with the engine's result shapes and error codes.
/// </summary>
[NonParallelizable]
public sealed class ForEachWorkerTests
{
    private static string NewGauge() => Path.Combine(Path.GetTempPath(), $"gleitzeit-fe-gauge-{Guid.NewGuid():N}");

    private static string[] ItemIds(string task, int count) => Enumerable.Range(0, count).Select(i => $"{task}[{i}]").ToArray();

    [Test]
    public async Task A_foreach_over_a_computed_list_runs_each_item_once_retries_an_item_and_aggregates_in_order()
    {
        await using var h = Harness.Create("fe-computed");
        h.StartWorker(name: "w1");
        h.StartWorker(name: "w2");
        var gauge = NewGauge();
        // Items are objects; item 3 fails its first attempt and is retried.
        var list = new JsonArray(Enumerable.Range(0, 12).Select(i => (JsonNode?)new JsonObject { ["v"] = i * 10, ["f"] = i == 3 ? 1 : 0 }).ToArray());
        var workflow = new WorkflowBuilder("fan")
            .AddTask("make", "test/busy", new JsonObject { ["gauge"] = gauge, ["sleep_ms"] = 1, ["echo"] = list })
            .ForEach("each", "${make.echo}", t => t.DependsOn("make").WithRetry(2, TimeSpan.FromMilliseconds(10), jitter: false)
                .WithMethod("test/flaky", new JsonObject { ["fail_times"] = "${item.f}", ["v"] = "${item.v}", ["i"] = "${index}" }))
            .AddTask("after", "test/sum", new JsonObject { ["add"] = 0, ["values"] = new JsonArray("${each.count}", "${each.results[11].attempt}") }, t => t.DependsOn("each"))
            .Build();

        var id = await h.Queue.SubmitAsync(workflow);
        var run = await h.WaitAsync(id);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed), run.Error?.ToString());
        var each = run.Tasks["each"];
        Assert.That((int?)each.Result!["count"], Is.EqualTo(12));
        Assert.That(((JsonArray)each.Result!["results"]!).Select(r => (int?)r!["attempt"]), Is.EqualTo(Enumerable.Range(0, 12).Select(i => (int?)(i == 3 ? 2 : 1))),
            "the aggregate holds every item's result in the items' order");
        Assert.That(run.Tasks["each[3]"].Attempts, Is.EqualTo(2), "an item retries as a task of its own");
        Assert.That(run.Tasks["each[5]"].Status, Is.EqualTo(WorkflowTaskStatus.Completed));
        Assert.That((long?)run.GetResult("after")!["n"], Is.EqualTo(13), "the foreach task's dependents read its aggregate");
        foreach (var item in ItemIds("each", 12)) Assert.That(h.ExecutionCount(id, item), Is.EqualTo(item == "each[3]" ? 2 : 1), item);
        var completions = await h.CompletionsAsync(id);
        Assert.That(ItemIds("each", 12).Select(i => completions.GetValueOrDefault(i)), Is.All.EqualTo(1), "each item's result recorded once");
        Assert.That(completions.GetValueOrDefault("each"), Is.EqualTo(1));
        var events = await h.Store.GetEventsAsync(id);
        Assert.That(events.Where(e => e.TaskId == "each").Select(e => e.Status), Is.EqualTo(new[] { "queued", "running", "completed" }), "expanded once, completed once");
        File.Delete(gauge);
    }

    [Test]
    public async Task Forty_items_with_max_concurrency_3_spread_over_two_worker_processes_never_more_than_3_at_once()
    {
        var options = RedisTestServer.NewOptions("fe-procs");
        await using var store = new RedisWorkflowStore(options);
        var queue = new RedisWorkflowQueue(store);
        await using var w1 = await WorkerProcess.StartAsync(options, "w1", concurrency: 4);
        await using var w2 = await WorkerProcess.StartAsync(options, "w2", concurrency: 4);
        var gauge = NewGauge();
        var workflow = new WorkflowBuilder("bounded")
            .ForEach("each", Enumerable.Range(0, 40).Select(i => (object?)("x" + i)), t => t.WithMaxConcurrency(3)
                .WithMethod("test/busy", new JsonObject { ["gauge"] = gauge, ["sleep_ms"] = 40, ["echo"] = "${item}" }))
            .Build();

        var id = await queue.SubmitAsync(workflow);
        var run = await WaitAsync(queue, id);
        var executions = ExecutionsOf(id, w1, w2);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed), run.Error?.ToString());
        Assert.That(executions.Select(e => e.Task), Is.EquivalentTo(ItemIds("each", 40)), "every item ran exactly once");
        Assert.That(executions.Select(e => e.Worker).Distinct(), Is.EquivalentTo(new[] { "w1", "w2" }), "the items were spread over both workers");
        Assert.That(Gauge.Read(gauge).Max, Is.InRange(1, 3), "never more than max_concurrency items ran at once, over both workers");
        Assert.That(((JsonArray)run.Tasks["each"].Result!["results"]!).Select(r => (string?)r!["echo"]), Is.EqualTo(Enumerable.Range(0, 40).Select(i => "x" + i)));
        Assert.That((await CompletionsAsync(store, id)).Values, Is.All.EqualTo(1));
        File.Delete(gauge);
    }

    [Test]
    public async Task An_empty_list_completes_with_count_0_and_a_value_that_is_not_a_list_fails_naming_its_type()
    {
        await using var h = Harness.Create("fe-edge");
        h.StartWorker();
        var workflow = new WorkflowBuilder("edges")
            .AddTask("make", "test/sum", new JsonObject { ["add"] = 7 })
            .ForEach("none", new object?[] { }, t => t.WithMethod("test/noop"))
            .AddTask("after_none", "test/sum", new JsonObject { ["add"] = 1, ["values"] = new JsonArray("${none.count}") }, t => t.DependsOn("none"))
            .ForEach("bad", "${make.n}", t => t.DependsOn("make").WithMethod("test/noop"))
            .AddTask("after_bad", "test/noop", configure: t => t.DependsOn("bad"))
            .Build();

        var run = await h.WaitAsync(await h.Queue.SubmitAsync(workflow));

        Assert.That(run.Tasks["none"].Status, Is.EqualTo(WorkflowTaskStatus.Completed));
        Assert.That(run.Tasks["none"].Result!.ToJsonString(), Is.EqualTo("""{"results":[],"count":0}"""));
        Assert.That((long?)run.GetResult("after_none")!["n"], Is.EqualTo(1));
        var bad = run.Tasks["bad"];
        Assert.That(bad.Status, Is.EqualTo(WorkflowTaskStatus.Failed));
        Assert.That(bad.Error!.Code, Is.EqualTo(GleitzeitErrorCode.TaskForeachNotList));
        Assert.That(bad.Error.Message, Is.EqualTo("foreach ${make.n}: the value is a number, not a list (7); a foreach task iterates a list"));
        Assert.That(run.Tasks["after_bad"].Error!.Code, Is.EqualTo(GleitzeitErrorCode.TaskDependencyFailed));
        Assert.That(run.Tasks.Keys.Where(k => k.StartsWith("bad[", StringComparison.Ordinal) || k.StartsWith("none[", StringComparison.Ordinal)), Is.Empty, "no items");
        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Failed));
    }

    [Test]
    public async Task An_item_failing_for_good_fails_its_foreach_task_skips_the_items_not_started_and_the_dependents()
    {
        await using var h = Harness.Create("fe-fail");
        h.StartWorker(concurrency: 2);
        var workflow = new WorkflowBuilder("failing")
            .ForEach("each", new object?[] { 0, 0, 9, 0, 0, 0 }, t => t.WithMaxConcurrency(1).WithMethod("test/flaky", new JsonObject { ["fail_times"] = "${item}" }))
            .AddTask("after", "test/noop", configure: t => t.DependsOn("each"))
            .Build();

        var id = await h.Queue.SubmitAsync(workflow);
        var run = await h.WaitAsync(id);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Failed));
        Assert.That(run.Tasks["each[0]"].Status, Is.EqualTo(WorkflowTaskStatus.Completed));
        Assert.That(run.Tasks["each[1]"].Status, Is.EqualTo(WorkflowTaskStatus.Completed));
        var item = run.Tasks["each[2]"];
        Assert.That(item.Status, Is.EqualTo(WorkflowTaskStatus.Failed));
        Assert.That(item.Error!.Code, Is.EqualTo(GleitzeitErrorCode.ProviderNotAvailable));
        var each = run.Tasks["each"];
        Assert.That(each.Status, Is.EqualTo(WorkflowTaskStatus.Failed));
        Assert.That(each.Result, Is.Null);
        Assert.That(each.Error!.Code, Is.EqualTo(GleitzeitErrorCode.TaskItemFailed));
        Assert.That(each.Error.Message, Is.EqualTo($"item each[2] failed: {item.Error.CodeName}: {item.Error.Message}"));
        foreach (var skipped in new[] { "each[3]", "each[4]", "each[5]" })
        {
            Assert.That(run.Tasks[skipped].Status, Is.EqualTo(WorkflowTaskStatus.Skipped), skipped);
            Assert.That(run.Tasks[skipped].Error!.Message, Is.EqualTo("dependency 'each[2]' failed"));
            Assert.That(h.ExecutionCount(id, skipped), Is.Zero, skipped + " never ran");
        }
        Assert.That(run.Tasks["after"].Status, Is.EqualTo(WorkflowTaskStatus.Skipped));
        Assert.That(run.Tasks["after"].Error!.Message, Is.EqualTo("dependency 'each' failed"));
    }

    [Test]
    public async Task A_worker_killed_mid_foreach_leaves_the_rest_to_the_other_and_no_completed_item_runs_again()
    {
        var options = RedisTestServer.NewOptions("fe-kill");
        await using var store = new RedisWorkflowStore(options);
        var queue = new RedisWorkflowQueue(store);
        var lease = TimeSpan.FromSeconds(3);
        await using var w1 = await WorkerProcess.StartAsync(options, "w1", concurrency: 3, lease: lease);
        await using var w2 = await WorkerProcess.StartAsync(options, "w2", concurrency: 3, lease: lease);
        var workflow = new WorkflowBuilder("killed")
            .ForEach("each", Enumerable.Range(0, 30).Select(i => (object?)i), t => t.WithMaxConcurrency(4)
                .WithMethod("test/sum", new JsonObject { ["add"] = "${item}", ["sleep_ms"] = 150 }))
            .Build();
        var id = await queue.SubmitAsync(workflow);
        var keys = store.Connection.Keys;
        var db = await store.Connection.GetDatabaseAsync();

        // Kill w1 once some items completed and it holds claimed items.
        HashSet<string> completedBefore;
        using var patience = new CancellationTokenSource(TimeSpan.FromMinutes(1)); // fails the test instead of hanging
        while (true)
        {
            var pending = await db.StreamPendingAsync(keys.Queue, keys.Group);
            var done = (await store.GetRunAsync(id))!.Tasks.Values.Where(t => t.Status == WorkflowTaskStatus.Completed).Select(t => t.TaskId).ToHashSet();
            if (done.Count >= 2 && pending.Consumers.Any(c => c.Name == "w1" && c.PendingMessageCount > 0))
            {
                await w1.KillAsync();
                // What completed until the kill (read after it, so nothing w1 finished is missed).
                completedBefore = (await store.GetRunAsync(id))!.Tasks.Values.Where(t => t.Status == WorkflowTaskStatus.Completed).Select(t => t.TaskId).ToHashSet();
                break;
            }
            await Task.Delay(10, patience.Token);
        }
        var run = await WaitAsync(queue, id);
        var executions = ExecutionsOf(id, w1, w2);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed), run.Error?.ToString());
        Assert.That(completedBefore, Is.Not.Empty, "items had completed before the kill");
        Assert.That(executions.Select(e => e.Task).Distinct(), Is.EquivalentTo(ItemIds("each", 30)), "every item ran");
        foreach (var done in completedBefore) Assert.That(executions.Count(e => e.Task == done), Is.EqualTo(1), done + " completed before the kill and never ran again");
        Assert.That((await CompletionsAsync(store, id)).Values, Is.All.EqualTo(1), "each result recorded once");
        Assert.That(((JsonArray)run.Tasks["each"].Result!["results"]!).Select(r => (long?)r!["n"]), Is.EqualTo(Enumerable.Range(0, 30).Select(i => (long?)i)));
        var events = await store.GetEventsAsync(id);
        Assert.That(events.Count(e => e.TaskId == "each" && e.Status == "running"), Is.EqualTo(1), "expanded once");
    }

    [Test]
    public async Task Cancelling_a_run_mid_foreach_cancels_the_foreach_task_and_its_items()
    {
        await using var h = Harness.Create("fe-cancel");
        h.StartWorker(concurrency: 4);
        var workflow = new WorkflowBuilder("cancel")
            .ForEach("each", new object?[] { 1, 2, 3, 4, 5, 6 }, t => t.WithMaxConcurrency(2).WithMethod("test/block"))
            .AddTask("after", "test/noop", configure: t => t.DependsOn("each"))
            .Build();
        var id = await h.Queue.SubmitAsync(workflow);
        using var patience = new CancellationTokenSource(TimeSpan.FromMinutes(1)); // fails the test instead of hanging
        while (h.Executions.Count(e => e.Line.StartsWith(id + "\t", StringComparison.Ordinal)) < 2) await Task.Delay(10, patience.Token);

        await h.Queue.CancelAsync(id);
        var run = await h.WaitAsync(id);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Cancelled));
        Assert.That(run.Tasks["each"].Status, Is.EqualTo(WorkflowTaskStatus.Cancelled));
        Assert.That(ItemIds("each", 6).Select(i => run.Tasks[i].Status), Is.All.EqualTo(WorkflowTaskStatus.Cancelled));
        Assert.That(run.Tasks["after"].Status, Is.EqualTo(WorkflowTaskStatus.Cancelled));
        Assert.That(h.Executions.Count(e => e.Line.StartsWith(id + "\t", StringComparison.Ordinal)), Is.EqualTo(2), "items beyond the bound never started");
    }

    [Test]
    public async Task Three_thousand_items_expand_in_one_script_and_aggregate_in_order()
    {
        await using var h = Harness.Create("fe-large");
        h.StartWorker(concurrency: 16);
        h.StartWorker(concurrency: 16);
        const int n = 3000;
        var workflow = new WorkflowBuilder("large")
            .ForEach("each", Enumerable.Range(0, n).Select(i => (object?)i), t => t.WithMethod("test/sum", new JsonObject { ["add"] = "${index}" }))
            .Build();

        var run = await h.WaitAsync(await h.Queue.SubmitAsync(workflow));

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed), run.Error?.ToString());
        Assert.That((int?)run.Tasks["each"].Result!["count"], Is.EqualTo(n));
        Assert.That(((JsonArray)run.Tasks["each"].Result!["results"]!).Select(r => (long?)r!["n"]), Is.EqualTo(Enumerable.Range(0, n).Select(i => (long?)i)));
        Assert.That(h.Executions.Count, Is.EqualTo(n));
    }

    [Test]
    public async Task Items_that_wait_for_a_person_complete_their_foreach_task_when_answered_and_fail_it_on_a_failing_timeout()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var h = Harness.Create("fe-human");
        h.StartWorker(time: time);
        Workflow Approvals() => new WorkflowBuilder("approve-each")
            .ForEach("each", new object?[] { "a", "b" }, t => t.WithMethod("human/approval", new JsonObject { ["prompt"] = "Ship ${item}?", ["timeout"] = 600, ["on_timeout"] = "fail" }))
            .AddTask("after", "test/sum", new JsonObject { ["add"] = 0, ["values"] = new JsonArray("${each.count}") }, t => t.DependsOn("each"))
            .Build();
        async Task UntilWaitingAsync(string id, string item)
        {
            using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            while ((await h.Store.GetRunAsync(id, limit.Token))!.Tasks.GetValueOrDefault(item)?.Status != WorkflowTaskStatus.Waiting) await Task.Delay(20, limit.Token);
        }

        var approved = await h.Queue.SubmitAsync(Approvals());
        await UntilWaitingAsync(approved, "each[0]");
        await UntilWaitingAsync(approved, "each[1]");
        await h.Queue.AnswerAsync(approved, "each[1]", HumanAnswer.Approve("ok", "ann"));
        await h.Queue.AnswerAsync(approved, "each[0]", HumanAnswer.Reject("no", "bob"));
        var done = await h.WaitAsync(approved);

        var timedOut = await h.Queue.SubmitAsync(Approvals());
        await UntilWaitingAsync(timedOut, "each[0]");
        await UntilWaitingAsync(timedOut, "each[1]");
        await h.Queue.AnswerAsync(timedOut, "each[0]", HumanAnswer.Approve("ok", "ann"));
        time.Advance(TimeSpan.FromSeconds(600));
        var failed = await h.WaitAsync(timedOut);

        Assert.That(done.Status, Is.EqualTo(WorkflowStatus.Completed), done.Error?.ToString());
        var results = (JsonArray)done.Tasks["each"].Result!["results"]!;
        Assert.That(results.Select(r => (string?)r!["by"]), Is.EqualTo(new[] { "bob", "ann" }), "the aggregate keeps the items' order, not the answers'");
        Assert.That(results.Select(r => (bool?)r!["approved"]), Is.EqualTo(new bool?[] { false, true }));
        Assert.That((long?)done.GetResult("after")!["n"], Is.EqualTo(2));
        Assert.That(failed.Status, Is.EqualTo(WorkflowStatus.Failed));
        Assert.That(failed.Tasks["each[1]"].Status, Is.EqualTo(WorkflowTaskStatus.Failed));
        Assert.That(failed.Tasks["each"].Error!.Code, Is.EqualTo(GleitzeitErrorCode.TaskItemFailed));
        Assert.That(failed.Tasks["each"].Error!.Message, Does.StartWith("item each[1] failed: "));
        Assert.That(failed.Tasks["after"].Error!.Message, Is.EqualTo("dependency 'each' failed"));
    }
}
