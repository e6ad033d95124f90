using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Definitions;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace Gleitzeit.Persistence.Redis.Tests;

public sealed class DistributedExecutionTests
{
    private static JsonObject Sum(long add, params string[] values) => new() { ["add"] = add, ["values"] = new JsonArray(values.Select(v => (JsonNode)v).ToArray()) };

    [Test]
    public async Task A_workflow_runs_on_workers_with_references_and_inputs_resolved()
    {
        await using var h = Harness.Create("refs");
        h.StartWorker();
        var workflow = new WorkflowBuilder("refs")
            .WithInput("k", 100)
            .AddTask("a", "test/sum", Sum(1))
            .AddTask("b", "test/sum", Sum(2, "${a.n}"), t => t.DependsOn("a"))
            .AddTask("c", "test/sum", Sum(3, "${a.n}", "${b.n}", "${inputs.k}"), t => t.DependsOn("a", "b"))
            .Build();

        var id = await h.Queue.SubmitAsync(workflow, new Dictionary<string, JsonNode?> { ["k"] = 1000 });
        var run = await h.WaitAsync(id);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That((long?)run.GetResult("c")!["n"], Is.EqualTo(3 + 1 + 3 + 1000));
        Assert.That(run.Tasks.Values.Select(t => (t.Status, t.Attempts)), Is.All.EqualTo((WorkflowTaskStatus.Completed, 1)));
        Assert.That(run.StartedAt, Is.Not.Null);
        Assert.That(run.CompletedAt, Is.Not.Null);
    }

    [Test]
    public async Task Submitting_an_unknown_input_or_a_taken_id_is_refused()
    {
        await using var h = Harness.Create("refuse");
        var workflow = new WorkflowBuilder("w").AddTask("a", "test/noop").Build();

        await Assert.ThrowsAsync<WorkflowValidationException>(async () => await h.Queue.SubmitAsync(workflow, new Dictionary<string, JsonNode?> { ["nope"] = 1 }));
        await h.Queue.SubmitAsync(workflow, workflowId: "same");
        var ex = await Assert.ThrowsAsync<GleitzeitException>(async () => await h.Queue.SubmitAsync(workflow, workflowId: "same"));
        Assert.That(ex!.Code, Is.EqualTo(GleitzeitErrorCode.WorkflowAlreadyExists));
    }

    [Test]
    public async Task A_workflow_run_task_naming_a_registered_workflow_is_refused_at_submit_naming_the_task()
    {
        await using var h = Harness.Create("refuse-control-flow");
        var named = new WorkflowBuilder("w").RunWorkflow("child", "registered-name").Build();

        var a = await Assert.ThrowsAsync<WorkflowValidationException>(async () => await h.Queue.SubmitAsync(named));

        Assert.That(a!.Errors.Single().TaskId, Is.EqualTo("child"));
        Assert.That(a.Message, Does.Contain("registered workflow ('registered-name')").And.Contain("file path").And.Contain("ExecutionEngine"));
        Assert.That(await h.Store.ListRunsAsync(), Is.Empty, "nothing was stored");
    }

    [Test]
    public async Task Queued_runs_are_told_apart_from_engine_runs_and_only_they_are_cancelled_here()
    {
        await using var h = Harness.Create("kinds");
        var queued = await h.Queue.SubmitAsync(new WorkflowBuilder("q").AddTask("a", "test/noop").Build());
        await h.Store.CreateRunAsync(new WorkflowRun { WorkflowId = "engine-run", Name = "e", CreatedAt = DateTimeOffset.UtcNow });

        Assert.That(await h.Queue.IsQueuedAsync(queued), Is.True);
        Assert.That(await h.Queue.IsQueuedAsync("engine-run"), Is.False);
        Assert.That(await h.Queue.IsQueuedAsync("unknown"), Is.False);
        var ex = await Assert.ThrowsAsync<GleitzeitException>(async () => await h.Queue.CancelAsync("engine-run"));
        Assert.That(ex!.Code, Is.EqualTo(GleitzeitErrorCode.QueueNotFound));
        var missing = await Assert.ThrowsAsync<GleitzeitException>(async () => await h.Queue.CancelAsync("unknown"));
        Assert.That(missing!.Code, Is.EqualTo(GleitzeitErrorCode.WorkflowNotFound));
    }

    [Test]
    public async Task A_failed_task_skips_its_dependents_while_independent_tasks_complete()
    {
        await using var h = Harness.Create("fail");
        h.StartWorker();
        var workflow = new WorkflowBuilder("fail")
            .AddTask("bad", "test/fail")
            .AddTask("child", "test/noop", configure: t => t.DependsOn("bad"))
            .AddTask("grandchild", "test/noop", configure: t => t.DependsOn("child"))
            .AddTask("free", "test/noop")
            .Build();

        var run = await h.WaitAsync(await h.Queue.SubmitAsync(workflow));

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Failed));
        Assert.That(run.Tasks["bad"].Error!.Code, Is.EqualTo(GleitzeitErrorCode.InvalidParams));
        Assert.That(run.Tasks["child"].Status, Is.EqualTo(WorkflowTaskStatus.Skipped));
        Assert.That(run.Tasks["grandchild"].Error!.Code, Is.EqualTo(GleitzeitErrorCode.TaskDependencyFailed));
        Assert.That(run.Tasks["grandchild"].Error!.Message, Does.Contain("'bad'"));
        Assert.That(run.Tasks["free"].Status, Is.EqualTo(WorkflowTaskStatus.Completed));
        Assert.That(run.Error!.Message, Does.StartWith("1 task failed: bad: INVALID_PARAMS"));
        Assert.That(h.ExecutionCount(run.WorkflowId, "child"), Is.Zero);
    }

    [Test]
    public async Task A_retryable_error_is_retried_with_backoff_until_it_succeeds()
    {
        await using var h = Harness.Create("retry");
        h.StartWorker();
        var workflow = new WorkflowBuilder("retry")
            .AddTask("flaky", "test/flaky", new JsonObject { ["fail_times"] = 2 }, t => t.WithRetry(3, TimeSpan.FromMilliseconds(50), jitter: false))
            .Build();

        var run = await h.WaitAsync(await h.Queue.SubmitAsync(workflow));
        var events = await h.Store.GetEventsAsync(run.WorkflowId);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That(run.Tasks["flaky"].Attempts, Is.EqualTo(3));
        Assert.That((int?)run.GetResult("flaky")!["attempt"], Is.EqualTo(3));
        Assert.That(events.Where(e => e.TaskId == "flaky").Select(e => e.Status),
            Is.EqualTo(new[] { "queued", "running", "retrying", "running", "retrying", "running", "completed" }));
        Assert.That(events.First(e => e.Status == "retrying").Error!.Code, Is.EqualTo(GleitzeitErrorCode.ProviderNotAvailable));
    }

    [Test]
    public async Task A_retry_waits_for_its_backoff_on_the_worker_s_clock()
    {
        await using var h = Harness.Create("clock");
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        h.StartWorker(time: clock);
        var workflow = new WorkflowBuilder("clock")
            .AddTask("flaky", "test/flaky", new JsonObject { ["fail_times"] = 1 }, t => t.WithRetry(2, TimeSpan.FromSeconds(50), jitter: false))
            .Build();
        var id = await h.Queue.SubmitAsync(workflow);
        while ((await h.Store.GetRunAsync(id))!.Tasks["flaky"].Status != WorkflowTaskStatus.Retrying) await Task.Delay(10);
        var db = await h.Store.Connection.GetDatabaseAsync();
        var due = (await db.SortedSetRangeByRankWithScoresAsync(h.Store.Connection.Keys.Delayed)).Single().Score;

        Assert.That(due, Is.EqualTo((clock.GetUtcNow() + TimeSpan.FromSeconds(50)).ToUnixTimeMilliseconds()));
        clock.Advance(TimeSpan.FromSeconds(50));
        var run = await h.WaitAsync(id);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That(run.Tasks["flaky"].Attempts, Is.EqualTo(2));
        Assert.That(run.Tasks["flaky"].CompletedAt, Is.EqualTo(clock.GetUtcNow()), "times come from the worker's clock");
    }

    [Test]
    public async Task A_task_that_keeps_failing_retryably_fails_with_retries_exhausted()
    {
        await using var h = Harness.Create("exhaust");
        h.StartWorker();
        var workflow = new WorkflowBuilder("exhaust")
            .AddTask("flaky", "test/flaky", new JsonObject { ["fail_times"] = 5 }, t => t.WithRetry(2, TimeSpan.FromMilliseconds(10)))
            .Build();

        var run = await h.WaitAsync(await h.Queue.SubmitAsync(workflow));

        Assert.That(run.Tasks["flaky"].Status, Is.EqualTo(WorkflowTaskStatus.Failed));
        Assert.That(run.Tasks["flaky"].Error!.Code, Is.EqualTo(GleitzeitErrorCode.TaskRetriesExhausted));
        Assert.That(h.ExecutionCount(run.WorkflowId, "flaky"), Is.EqualTo(2));
    }

    [Test]
    public async Task A_task_that_runs_too_long_times_out()
    {
        await using var h = Harness.Create("timeout");
        h.StartWorker();
        var workflow = new WorkflowBuilder("timeout")
            .AddTask("slow", "test/block", configure: t => t.WithTimeout(TimeSpan.FromMilliseconds(200)).WithRetry(RetryPolicy.None))
            .Build();

        var run = await h.WaitAsync(await h.Queue.SubmitAsync(workflow));

        Assert.That(run.Tasks["slow"].Error!.Code, Is.EqualTo(GleitzeitErrorCode.TaskTimeout));
        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Failed));
    }

    [Test]
    public async Task A_run_past_its_timeout_stops_and_fails_with_workflow_timeout()
    {
        await using var h = Harness.Create("runtimeout");
        h.StartWorker();
        var workflow = new WorkflowBuilder("runtimeout")
            .WithTimeout(TimeSpan.FromMilliseconds(300))
            .AddTask("long", "test/block", configure: t => t.WithTimeout(TimeSpan.FromMinutes(5)))
            .AddTask("after", "test/noop", configure: t => t.DependsOn("long"))
            .Build();

        var run = await h.WaitAsync(await h.Queue.SubmitAsync(workflow));

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Failed));
        Assert.That(run.Error!.Code, Is.EqualTo(GleitzeitErrorCode.WorkflowTimeout));
        Assert.That(run.Tasks.Values.Select(t => (t.Status, t.Error!.Code)), Is.All.EqualTo((WorkflowTaskStatus.Cancelled, GleitzeitErrorCode.WorkflowTimeout)));
    }

    [Test]
    public async Task A_task_whose_method_no_provider_serves_fails_clearly()
    {
        await using var h = Harness.Create("unknown");
        h.StartWorker();
        var workflow = new WorkflowBuilder("unknown").AddTask("x", "other/thing").Build();

        var run = await h.WaitAsync(await h.Queue.SubmitAsync(workflow));

        Assert.That(run.Tasks["x"].Error!.Code, Is.EqualTo(GleitzeitErrorCode.ProviderNotFound));
    }

    [Test]
    public async Task Cancelling_reaches_a_task_running_on_another_worker()
    {
        await using var h = Harness.Create("cancel");
        h.StartWorker(name: "far-away");
        var workflow = new WorkflowBuilder("cancel")
            .AddTask("long", "test/block", configure: t => t.WithTimeout(TimeSpan.FromMinutes(5)))
            .AddTask("after", "test/noop", configure: t => t.DependsOn("long"))
            .Build();
        var id = await h.Queue.SubmitAsync(workflow);
        while ((await h.Store.GetRunAsync(id))!.Tasks["long"].Status != WorkflowTaskStatus.Running) await Task.Delay(20);

        await h.Queue.CancelAsync(id);
        var run = await h.WaitAsync(id);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Cancelled));
        Assert.That(run.Tasks["long"].Status, Is.EqualTo(WorkflowTaskStatus.Cancelled));
        Assert.That(run.Tasks["after"].Status, Is.EqualTo(WorkflowTaskStatus.Cancelled));
        Assert.That(run.Error!.Code, Is.EqualTo(GleitzeitErrorCode.WorkflowCancelled));
        Assert.That(h.ExecutionCount(id, "after"), Is.Zero);
    }

    [Test]
    public async Task Two_tasks_finishing_at_the_same_instant_never_lose_a_dependent()
    {
        await using var h = Harness.Create("fanin");
        h.StartWorker(concurrency: 8);
        h.StartWorker(concurrency: 8);
        var builder = new WorkflowBuilder("fanin");
        const int pairs = 100;
        for (var i = 0; i < pairs; i++)
        {
            var group = new JsonObject { ["group"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture), ["value"] = i };
            builder.AddTask($"a{i}", "test/pair", (JsonObject)group.DeepClone())
                .AddTask($"b{i}", "test/pair", (JsonObject)group.DeepClone())
                .AddTask($"c{i}", "test/sum", Sum(0, $"${{a{i}.n}}", $"${{b{i}.n}}"), t => t.DependsOn($"a{i}", $"b{i}"));
        }

        var run = await h.WaitAsync(await h.Queue.SubmitAsync(builder.Build()));
        var completions = await h.CompletionsAsync(run.WorkflowId);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That(Enumerable.Range(0, pairs).Select(i => (long?)run.GetResult($"c{i}")!["n"]), Is.EqualTo(Enumerable.Range(0, pairs).Select(i => (long?)(2 * i))));
        Assert.That(completions.Count, Is.EqualTo(3 * pairs));
        Assert.That(completions.Values, Is.All.EqualTo(1));
        Assert.That(h.Executions.Count, Is.EqualTo(3 * pairs), "every task ran exactly once");
    }

    [Test]
    public async Task Concurrent_completion_reports_of_two_dependencies_queue_the_dependent_exactly_once()
    {
        // The Lua scripts themselves, raced from two connections many times.
        await using var h = Harness.Create("race");
        for (var round = 0; round < 50; round++)
        {
            var workflow = new WorkflowBuilder("race")
                .AddTask("a", "test/noop").AddTask("b", "test/noop")
                .AddTask("c", "test/noop", configure: t => t.DependsOn("a", "b"))
                .Build();
            var id = await h.Queue.SubmitAsync(workflow);
            await using var other = new RedisWorkflowStore(h.Options);
            var now = DateTimeOffset.UtcNow;
            Task<RedisResult> Report(RedisWorkflowStore store, string task) =>
                RedisWorkflowQueue.Evaluate(store.Connection, QueueScripts.Complete, id, now,
                    [task, "", $$"""{"task_id":"{{task}}","status":"completed","result":1}""", RedisWorkflowStore.EventJson(task, "completed", now, 1, null), "", "", "c", TaskPriority.Normal], "test");
            await Task.WhenAll(Report(h.Store, "a"), Report(other, "b"), Report(other, "a"), Report(h.Store, "b"));

            var run = await h.Store.GetRunAsync(id);
            var db = await h.Store.Connection.GetDatabaseAsync();
            // Each queuing writes a "queued" event and a ready-set entry: one of each.
            var queued = (await h.Store.GetEventsAsync(id)).Count(e => e.TaskId == "c" && e.Status == "queued");
            var ready = await db.SortedSetScoreAsync(h.Store.Connection.Keys.Ready, $"{id.Length}:{id}c");
            Assert.That(run!.Tasks["c"].Status, Is.EqualTo(WorkflowTaskStatus.Queued), $"round {round}");
            Assert.That(queued, Is.EqualTo(1), $"round {round}");
            Assert.That(ready, Is.Not.Null, $"round {round}");
            Assert.That((await h.CompletionsAsync(id)).Values, Is.All.EqualTo(1));
        }
    }

    [Test]
    public async Task A_task_held_by_a_dead_worker_is_redelivered_after_the_lease_and_its_late_report_is_ignored()
    {
        await using var h = Harness.Create("lease");
        var workflow = new WorkflowBuilder("lease").AddTask("a", "test/sum", Sum(7)).AddTask("b", "test/sum", Sum(1, "${a.n}"), t => t.DependsOn("a")).Build();
        var id = await h.Queue.SubmitAsync(workflow);
        var keys = h.Store.Connection.Keys;
        var db = await h.Store.Connection.GetDatabaseAsync();
        try
        {
            await db.StreamCreateConsumerGroupAsync(keys.Queue, keys.Group, "0-0", createStream: true);
        }
        catch (RedisServerException)
        {
            // exists
        }
        // A worker that takes the task and then dies: it never reports and never renews its lease.
        var ghost = (RedisValue[])(await db.ScriptEvaluateAsync(QueueScripts.Take, [keys.Ready, keys.Queue], [keys.Group, "ghost", 1, keys.Prefix]))!;
        Assert.That((string?)ghost[2], Is.EqualTo("a"));

        h.StartWorker(lease: TimeSpan.FromMilliseconds(300), name: "survivor");
        var run = await h.WaitAsync(id);
        var now = DateTimeOffset.UtcNow;
        var late = (int)await RedisWorkflowQueue.Evaluate(h.Store.Connection, QueueScripts.Complete, id, now,
            ["a", (string)ghost[0]!, """{"task_id":"a","status":"completed","result":{"n":-1}}""", RedisWorkflowStore.EventJson("a", "completed", now, 1, null), "", "", "b", TaskPriority.Normal], "test");
        var after = await h.Store.GetRunAsync(id);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That(h.Executions.Where(e => e.Line.Contains("\ta\t")).Select(e => e.Worker), Is.EqualTo(new[] { "survivor" }));
        Assert.That(late, Is.Zero, "a duplicate completion is not recorded");
        Assert.That((long?)after!.GetResult("a")!["n"], Is.EqualTo(7));
        Assert.That((long?)after.GetResult("b")!["n"], Is.EqualTo(8));
        Assert.That((await h.CompletionsAsync(id)).Values, Is.All.EqualTo(1));
    }

    [Test]
    public async Task A_worker_that_stops_hands_its_running_task_back_at_once()
    {
        await using var h = Harness.Create("handback");
        var lease = TimeSpan.FromMinutes(2);
        var store = new RedisWorkflowStore(h.Options);
        var registry = new Gleitzeit.Core.Protocol.ProviderRegistry();
        registry.Register(new TestProvider(line => h.Executions.Enqueue(("leaving", line))));
        var leaving = new GleitzeitWorker(store, registry, new GleitzeitWorkerOptions { ConsumerName = "leaving", LeaseTime = lease });
        using var stop = new CancellationTokenSource();
        var running = leaving.RunAsync(1, stop.Token);
        var workflow = new WorkflowBuilder("handback").AddTask("slow", "test/sum", new JsonObject { ["add"] = 5, ["sleep_ms"] = 1000 }).Build();
        var id = await h.Queue.SubmitAsync(workflow);
        while (h.ExecutionCount(id, "slow") == 0) await Task.Delay(10);

        await stop.CancelAsync();
        await running;
        await store.DisposeAsync();
        h.StartWorker(lease: lease, name: "staying");
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(45)); // far less than the two-minute lease
        var run = await h.Queue.WaitAsync(id, limit.Token);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That(h.Executions.Select(e => e.Worker), Is.EqualTo(new[] { "leaving", "staying" }));
        Assert.That(run.Tasks["slow"].Attempts, Is.EqualTo(2));
    }

    [Test]
    public async Task A_worker_renews_the_lease_of_a_long_task_so_no_other_worker_takes_it()
    {
        await using var h = Harness.Create("renew");
        var lease = TimeSpan.FromSeconds(2);
        h.StartWorker(lease: lease, name: "runner");
        var workflow = new WorkflowBuilder("renew").AddTask("long", "test/sum", new JsonObject { ["add"] = 1, ["sleep_ms"] = 5000 }).Build();
        var id = await h.Queue.SubmitAsync(workflow);
        while (h.ExecutionCount(id, "long") == 0) await Task.Delay(20);
        h.StartWorker(lease: lease, name: "thief");

        var run = await h.WaitAsync(id);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That(h.Executions.Select(e => e.Worker), Is.EqualTo(new[] { "runner" }), "the task ran 2.5 leases long, once");
    }
}
