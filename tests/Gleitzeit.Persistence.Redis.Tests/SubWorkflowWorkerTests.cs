using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Definitions;

namespace Gleitzeit.Persistence.Redis.Tests;

/// <summary>
/// <c>workflow/run</c> on Redis workers: the child is a queued run of its own (<c>PARENT.TASK</c>, linked by its parent
/// id) whose tasks any worker runs; the parent's task waits holding no worker and takes the child's outcome, as in the engine.
/// </summary>
[NonParallelizable]
public sealed class SubWorkflowWorkerTests
{
    private string _dir = "";

    [SetUp]
    public void CreateDirectory()
    {
        _dir = Path.Combine(Path.GetTempPath(), "gleitzeit-sub-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(_dir, "children"));
        // Eight parallel tasks, then their sum: the child's output.
        var tasks = string.Concat(Enumerable.Range(0, 8).Select(i => $"""
              - id: p{i}
                method: test/sum
                params: {"{"} add: "${"{"}inputs.base{"}"}", sleep_ms: 150 {"}"}

            """));
        File.WriteAllText(Path.Combine(_dir, "children", "fan.yaml"), $"""
            name: fan
            inputs:
              base: 0
            outputs:
              total: "${"{"}sum.n{"}"}"
            tasks:
            {tasks}  - id: sum
                dependencies: [p0, p1, p2, p3, p4, p5, p6, p7]
                method: test/sum
                params:
                  add: 0
                  values: ["${"{"}p0.n{"}"}", "${"{"}p1.n{"}"}", "${"{"}p2.n{"}"}", "${"{"}p3.n{"}"}", "${"{"}p4.n{"}"}", "${"{"}p5.n{"}"}", "${"{"}p6.n{"}"}", "${"{"}p7.n{"}"}"]
            """);
        File.WriteAllText(Path.Combine(_dir, "children", "stuck.yaml"), """
            name: stuck
            tasks:
              - id: wait
                method: test/block
            """);
        File.WriteAllText(Path.Combine(_dir, "children", "attempt.yaml"), """
            name: attempt
            inputs:
              n: 1
            outputs:
              quality: "${s.n}"
            tasks:
              - id: s
                method: test/sum
                params: { add: "${inputs.n}" }
            """);
        File.WriteAllText(Path.Combine(_dir, "children", "broken.yaml"), """
            name: broken
            tasks:
              - id: bad
                method: test/fail
            """);
    }

    [TearDown]
    public void DeleteDirectory() => Directory.Delete(_dir, recursive: true);

    [Test]
    public async Task A_sub_workflow_s_tasks_run_on_both_worker_processes_and_its_outputs_become_the_task_s_result()
    {
        var options = RedisTestServer.NewOptions("sub-procs");
        await using var store = new RedisWorkflowStore(options);
        var queue = new RedisWorkflowQueue(store);
        await using var w1 = await WorkerProcess.StartAsync(options, "w1", concurrency: 2);
        await using var w2 = await WorkerProcess.StartAsync(options, "w2", concurrency: 2);
        var workflow = new WorkflowBuilder("parent").WithBaseDirectory(_dir)
            .AddTask("make", "test/sum", new JsonObject { ["add"] = 5 })
            .RunWorkflow("sub", "children/fan.yaml", new { @base = "${make.n}" }, t => t.DependsOn("make"))
            .AddTask("after", "test/sum", new JsonObject { ["add"] = 1, ["values"] = new JsonArray("${sub.outputs.total}") }, t => t.DependsOn("sub"))
            .Build();

        var id = await queue.SubmitAsync(workflow);
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var run = await queue.WaitAsync(id, limit.Token);
        var child = await store.GetRunAsync(id + ".sub");
        var childExecutions = new[] { w1, w2 }.SelectMany(w => w.Executions().Select(l => l.Split('\t')).Where(p => p[0] == id + ".sub").Select(p => (w.Consumer, Task: p[1]))).ToList();

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed), run.Error?.ToString());
        Assert.That(child, Is.Not.Null);
        Assert.That(child!.ParentId, Is.EqualTo(id), "the child run is linked to its parent");
        Assert.That(child.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That(childExecutions.Select(e => e.Task), Is.EquivalentTo(new[] { "p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7", "sum" }), "each child task ran once");
        Assert.That(childExecutions.Select(e => e.Consumer).Distinct(), Is.EquivalentTo(new[] { "w1", "w2" }), "the child's tasks were spread over both workers");
        var sub = run.Tasks["sub"];
        Assert.That((string?)sub.Result!["workflow_id"], Is.EqualTo(id + ".sub"));
        Assert.That((string?)sub.Result!["status"], Is.EqualTo("completed"));
        Assert.That((long?)sub.Result!["outputs"]!["total"], Is.EqualTo(40));
        Assert.That((long?)run.GetResult("after")!["n"], Is.EqualTo(41));
    }

    [Test]
    public async Task A_failed_child_fails_the_task_with_TASK_SUBWORKFLOW_FAILED_and_skips_its_dependents()
    {
        await using var h = Harness.Create("sub-fail");
        h.StartWorker();
        var workflow = new WorkflowBuilder("parent").WithBaseDirectory(_dir)
            .RunWorkflow("sub", "children/broken.yaml")
            .AddTask("after", "test/noop", configure: t => t.DependsOn("sub"))
            .Build();

        var id = await h.Queue.SubmitAsync(workflow);
        var run = await h.WaitAsync(id);

        var sub = run.Tasks["sub"];
        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Failed));
        Assert.That(sub.Status, Is.EqualTo(WorkflowTaskStatus.Failed));
        Assert.That(sub.Error!.Code, Is.EqualTo(GleitzeitErrorCode.TaskSubworkflowFailed));
        Assert.That(sub.Error.Message, Does.StartWith($"sub-workflow 'children/broken.yaml' (run {id}.sub) ended failed: WORKFLOW_EXECUTION_FAILED"));
        Assert.That(run.Tasks["after"].Error!.Code, Is.EqualTo(GleitzeitErrorCode.TaskDependencyFailed));
        Assert.That((await h.Store.GetRunAsync(id + ".sub"))!.ParentId, Is.EqualTo(id));
    }

    [Test]
    public async Task Cancelling_the_parent_cancels_its_child_run()
    {
        await using var h = Harness.Create("sub-cancel");
        h.StartWorker(concurrency: 1);
        var workflow = new WorkflowBuilder("parent").WithBaseDirectory(_dir)
            .RunWorkflow("sub", "children/stuck.yaml")
            .Build();
        var id = await h.Queue.SubmitAsync(workflow);
        // The child's task runs on the only worker slot: the parent's task holds none while it waits.
        using var patience = new CancellationTokenSource(TimeSpan.FromMinutes(1)); // fails the test instead of hanging
        while (h.ExecutionCount(id + ".sub", "wait") == 0) await Task.Delay(10, patience.Token);

        await h.Queue.CancelAsync(id);
        var run = await h.WaitAsync(id);
        var child = await h.WaitAsync(id + ".sub");

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Cancelled));
        Assert.That(run.Tasks["sub"].Status, Is.EqualTo(WorkflowTaskStatus.Cancelled));
        Assert.That(child.Status, Is.EqualTo(WorkflowStatus.Cancelled));
        Assert.That(child.Tasks["wait"].Status, Is.EqualTo(WorkflowTaskStatus.Cancelled));
    }

    [Test]
    public async Task A_foreach_of_sub_workflows_runs_one_child_per_item()
    {
        await using var h = Harness.Create("sub-foreach");
        h.StartWorker(concurrency: 4);
        h.StartWorker(concurrency: 4);
        var workflow = new WorkflowBuilder("parent").WithBaseDirectory(_dir)
            .ForEach("each", new object?[] { 1, 2, 3 }, t => t.WithMaxConcurrency(2).WithMethod("workflow/run", new JsonObject
            {
                ["workflow"] = "children/fan.yaml",
                ["inputs"] = new JsonObject { ["base"] = "${item}" },
            }))
            .Build();

        var id = await h.Queue.SubmitAsync(workflow);
        var run = await h.WaitAsync(id);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed), run.Error?.ToString());
        var results = (JsonArray)run.Tasks["each"].Result!["results"]!;
        Assert.That(results.Select(r => (long?)r!["outputs"]!["total"]), Is.EqualTo(new long?[] { 8, 16, 24 }));
        Assert.That(results.Select(r => (string?)r!["workflow_id"]), Is.EqualTo(new[] { id + ".each[0]", id + ".each[1]", id + ".each[2]" }));
        foreach (var i in new[] { 0, 1, 2 }) Assert.That((await h.Store.GetRunAsync($"{id}.each[{i}]"))!.ParentId, Is.EqualTo(id));
    }

    [Test]
    public async Task A_looping_workflow_run_task_runs_a_child_per_iteration_until_its_condition_holds()
    {
        await using var h = Harness.Create("sub-loop");
        h.StartWorker(name: "w1");
        h.StartWorker(name: "w2");
        var workflow = new WorkflowBuilder("parent").WithBaseDirectory(_dir)
            .RunWorkflow("improve", "children/attempt.yaml", new { n = "${iteration}" }, t => t.Loop("${self.outputs.quality} >= 3", 5))
            .Output("quality", "${improve.outputs.quality}")
            .Build();

        var id = await h.Queue.SubmitAsync(workflow);
        var run = await h.WaitAsync(id);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed), run.Error?.ToString());
        var improve = run.Tasks["improve"];
        Assert.That(improve.Iteration, Is.EqualTo(3));
        Assert.That(improve.History.Select(i => (string?)i.Result!["workflow_id"]), Is.EqualTo(new[] { id + ".improve", id + ".improve#2", id + ".improve#3" }));
        Assert.That(improve.History.Select(i => (long?)i.Result!["outputs"]!["quality"]), Is.EqualTo(new long?[] { 1, 2, 3 }));
        Assert.That((long?)run.Outputs["quality"], Is.EqualTo(3));
        foreach (var child in new[] { ".improve", ".improve#2", ".improve#3" })
        {
            Assert.That(h.ExecutionCount(id + child, "s"), Is.EqualTo(1), child);
            Assert.That((await h.Store.GetRunAsync(id + child))!.ParentId, Is.EqualTo(id));
        }
    }

    [Test]
    public async Task A_worker_killed_inside_a_sub_workflow_leaves_the_rest_to_the_other_and_the_parent_completes()
    {
        var options = RedisTestServer.NewOptions("sub-kill");
        await using var store = new RedisWorkflowStore(options);
        var queue = new RedisWorkflowQueue(store);
        var lease = TimeSpan.FromSeconds(3);
        await using var w1 = await WorkerProcess.StartAsync(options, "w1", concurrency: 2, lease: lease);
        await using var w2 = await WorkerProcess.StartAsync(options, "w2", concurrency: 2, lease: lease);
        var workflow = new WorkflowBuilder("parent").WithBaseDirectory(_dir)
            .RunWorkflow("sub", "children/fan.yaml", new { @base = 2 })
            .AddTask("after", "test/sum", new JsonObject { ["add"] = 0, ["values"] = new JsonArray("${sub.outputs.total}") }, t => t.DependsOn("sub"))
            .Build();
        var id = await queue.SubmitAsync(workflow);
        var childId = id + ".sub";
        var keys = store.Connection.Keys;
        var db = await store.Connection.GetDatabaseAsync();

        HashSet<string> completedBefore;
        using var patience = new CancellationTokenSource(TimeSpan.FromMinutes(1)); // fails the test instead of hanging
        while (true)
        {
            var child = await store.GetRunAsync(childId);
            var pending = await db.StreamPendingAsync(keys.Queue, keys.Group);
            if (child is not null && child.Tasks.Values.Any(t => t.Status == WorkflowTaskStatus.Completed)
                && pending.Consumers.Any(c => c.Name == "w1" && c.PendingMessageCount > 0))
            {
                await w1.KillAsync();
                completedBefore = (await store.GetRunAsync(childId))!.Tasks.Values.Where(t => t.Status == WorkflowTaskStatus.Completed).Select(t => t.TaskId).ToHashSet();
                break;
            }
            await Task.Delay(10, patience.Token);
        }
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var run = await queue.WaitAsync(id, limit.Token);
        var executions = new[] { w1, w2 }.SelectMany(w => w.Executions().Select(l => l.Split('\t')).Where(p => p[0] == childId).Select(p => p[1])).ToList();
        var completions = (await store.GetEventsAsync(childId)).Where(e => e.TaskId is not null && e.Status == "completed").GroupBy(e => e.TaskId!).ToDictionary(g => g.Key, g => g.Count());

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed), run.Error?.ToString());
        Assert.That((long?)run.GetResult("after")!["n"], Is.EqualTo(16));
        Assert.That(completions.Keys, Is.EquivalentTo(new[] { "p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7", "sum" }));
        Assert.That(completions.Values, Is.All.EqualTo(1), "each child result recorded once");
        foreach (var done in completedBefore) Assert.That(executions.Count(t => t == done), Is.EqualTo(1), done + " completed before the kill and never ran again");
        Assert.That((await store.GetEventsAsync(id)).Count(e => e.TaskId == "sub" && e.Status == "running"), Is.EqualTo(1), "the child was started once");
    }
}
