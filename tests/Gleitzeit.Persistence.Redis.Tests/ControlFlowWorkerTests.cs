using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Definitions;

namespace Gleitzeit.Persistence.Redis.Tests;

/// <summary><c>when</c>, <c>join</c> and <c>loop</c> on Redis workers: the same outcomes as in the engine, decided in Redis.</summary>
public sealed class ControlFlowWorkerTests
{
    private static JsonObject Add(object add) => new() { ["add"] = JsonValue.Create(add) };

    [Test]
    public async Task Conditions_skip_propagation_and_join_any_run_on_workers()
    {
        await using var h = Harness.Create("cf-when");
        h.StartWorker(name: "w1");
        h.StartWorker(name: "w2");
        var workflow = new WorkflowBuilder("branch")
            .AddTask("score", "test/sum", Add(5))
            .AddTask("publish", "test/sum", Add(1), t => t.DependsOn("score").When("${score.n} >= 3"))
            .AddTask("hold", "test/sum", Add(2), t => t.DependsOn("score").When("${score.n} < 3"))
            .AddTask("below_hold", "test/noop", configure: t => t.DependsOn("hold"))
            .AddTask("notify", "test/sum", new JsonObject { ["add"] = 10, ["values"] = new JsonArray("${publish.n}") }, t => t.DependsOn("publish", "below_hold").Join(JoinMode.Any))
            .AddTask("nobody", "test/noop", configure: t => t.DependsOn("hold", "below_hold").Join(JoinMode.Any))
            .Build();

        var run = await h.WaitAsync(await h.Queue.SubmitAsync(workflow));

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed), run.Error?.ToString());
        Assert.That(run.Tasks["publish"].Status, Is.EqualTo(WorkflowTaskStatus.Completed));
        Assert.That(run.Tasks["hold"].Error!.Code, Is.EqualTo(GleitzeitErrorCode.TaskConditionFalse));
        Assert.That(run.Tasks["below_hold"].Error!.Code, Is.EqualTo(GleitzeitErrorCode.TaskConditionFalse));
        Assert.That(run.Tasks["nobody"].Status, Is.EqualTo(WorkflowTaskStatus.Skipped));
        Assert.That((long?)run.GetResult("notify")!["n"], Is.EqualTo(11));
        Assert.That(h.ExecutionCount(run.WorkflowId, "hold"), Is.Zero);
        Assert.That(h.ExecutionCount(run.WorkflowId, "below_hold"), Is.Zero);
        var events = await h.Store.GetEventsAsync(run.WorkflowId);
        Assert.That(events.Where(e => e.TaskId == "hold").Select(e => e.Status), Is.EqualTo(new[] { "queued", "skipped" }));
    }

    [Test]
    public async Task A_failure_below_join_any_lets_it_run_and_a_condition_error_fails_the_task()
    {
        await using var h = Harness.Create("cf-fail");
        h.StartWorker();
        var workflow = new WorkflowBuilder("fail-any")
            .AddTask("good", "test/sum", Add(1))
            .AddTask("bad", "test/fail")
            .AddTask("all", "test/noop", configure: t => t.DependsOn("good", "bad"))
            .AddTask("any", "test/sum", new JsonObject { ["add"] = 1 }, t => t.DependsOn("good", "bad").Join(JoinMode.Any))
            .AddTask("typed", "test/noop", configure: t => t.DependsOn("good").When("${good.n} == 'one'"))
            .Build();

        var run = await h.WaitAsync(await h.Queue.SubmitAsync(workflow));

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Failed));
        Assert.That(run.Tasks["all"].Error!.Code, Is.EqualTo(GleitzeitErrorCode.TaskDependencyFailed));
        Assert.That(run.Tasks["any"].Status, Is.EqualTo(WorkflowTaskStatus.Completed));
        Assert.That(run.Tasks["typed"].Error!.Code, Is.EqualTo(GleitzeitErrorCode.TaskConditionError));
        Assert.That(run.Tasks["typed"].Error!.Message, Does.Contain("when '${good.n} == 'one''").And.Contain("number 1"));
    }

    [Test]
    public async Task A_loop_runs_its_iterations_on_workers_and_keeps_its_history()
    {
        await using var h = Harness.Create("cf-loop");
        h.StartWorker(name: "w1");
        h.StartWorker(name: "w2");
        var workflow = new WorkflowBuilder("loop")
            .AddTask("refine", "test/sum", new JsonObject { ["add"] = "${iteration}" }, t => t.Loop("${self.n} >= 3", 5))
            .AddTask("after", "test/sum", new JsonObject { ["add"] = 0, ["values"] = new JsonArray("${refine.n}") }, t => t.DependsOn("refine"))
            .AddTask("exhausted", "test/sum", new JsonObject { ["add"] = "${iteration}" }, t => t.Loop("${self.n} > 100", 2))
            .Build();

        var run = await h.WaitAsync(await h.Queue.SubmitAsync(workflow));

        var refine = run.Tasks["refine"];
        Assert.That(refine.Status, Is.EqualTo(WorkflowTaskStatus.Completed), refine.Error?.ToString());
        Assert.That(refine.Iteration, Is.EqualTo(3));
        Assert.That(refine.History.Select(i => (long?)i.Result!["n"]), Is.EqualTo(new long?[] { 1, 2, 3 }));
        Assert.That((long?)run.GetResult("after")!["n"], Is.EqualTo(3));
        Assert.That(h.ExecutionCount(run.WorkflowId, "refine"), Is.EqualTo(3));
        Assert.That(run.Tasks["exhausted"].Error!.Code, Is.EqualTo(GleitzeitErrorCode.TaskLoopExhausted));
        Assert.That(run.Tasks["exhausted"].History, Has.Count.EqualTo(2));
        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Failed));
    }

    [Test]
    [NonParallelizable]
    public async Task Two_worker_processes_run_branches_joins_and_loop_iterations()
    {
        var options = RedisTestServer.NewOptions("cf-processes");
        await using var store = new RedisWorkflowStore(options);
        var queue = new RedisWorkflowQueue(store);
        await using var w1 = await WorkerProcess.StartAsync(options, "w1");
        await using var w2 = await WorkerProcess.StartAsync(options, "w2");
        var builder = new WorkflowBuilder("branches");
        // 20 tasks of 150 ms on 4 slots keep one worker busy for 750 ms: the other, even slow to start on a loaded
        // machine, gets some of them.
        for (var i = 0; i < 20; i++)
        {
            builder.AddTask($"s{i}", "test/sum", new JsonObject { ["add"] = i, ["sleep_ms"] = 150 });
            builder.AddTask($"even{i}", "test/sum", new JsonObject { ["add"] = 1, ["values"] = new JsonArray($"${{s{i}.n}}") }, t => t.DependsOn($"s{i}").When($"${{s{i}.n}} < 10"));
            builder.AddTask($"loop{i}", "test/sum", new JsonObject { ["add"] = "${iteration}" }, t => t.DependsOn($"even{i}").Loop("${self.n} >= 2", 3));
            builder.AddTask($"join{i}", "test/noop", configure: t => t.DependsOn($"loop{i}", $"s{i}").Join(JoinMode.Any));
        }

        var id = await queue.SubmitAsync(builder.Build());
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var run = await queue.WaitAsync(id, limit.Token);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed), run.Error?.ToString());
        for (var i = 0; i < 20; i++)
        {
            var ran = i < 10;
            Assert.That(run.Tasks[$"even{i}"].Status, Is.EqualTo(ran ? WorkflowTaskStatus.Completed : WorkflowTaskStatus.Skipped), $"even{i}");
            Assert.That(run.Tasks[$"loop{i}"].Status, Is.EqualTo(ran ? WorkflowTaskStatus.Completed : WorkflowTaskStatus.Skipped), $"loop{i}");
            if (ran) Assert.That(run.Tasks[$"loop{i}"].History.Select(h => (long?)h.Result!["n"]), Is.EqualTo(new long?[] { 1, 2 }), $"loop{i}");
            Assert.That(run.Tasks[$"join{i}"].Status, Is.EqualTo(WorkflowTaskStatus.Completed), $"join{i}");
        }
        var executions = new[] { w1, w2 }.SelectMany(w => w.Executions().Select(l => l.Split('\t')).Where(p => p[0] == id).Select(p => (w.Consumer, Task: p[1]))).ToList();
        Assert.That(executions.Count(e => e.Task.StartsWith("loop", StringComparison.Ordinal)), Is.EqualTo(20), "10 loops of 2 iterations");
        Assert.That(executions.Where(e => e.Task.StartsWith("even", StringComparison.Ordinal)).Select(e => e.Task), Is.EquivalentTo(Enumerable.Range(0, 10).Select(i => $"even{i}")));
        Assert.That(executions.Select(e => e.Consumer).Distinct(), Is.EquivalentTo(new[] { "w1", "w2" }), "both workers took part");
    }
}
