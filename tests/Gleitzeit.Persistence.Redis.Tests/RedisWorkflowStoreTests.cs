using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Persistence;
using Gleitzeit.Core.Protocol;
using Gleitzeit.Testing;

namespace Gleitzeit.Persistence.Redis.Tests;

public sealed class RedisWorkflowStoreTests
{
    private RedisWorkflowStore _store = null!;

    [SetUp]
    public void SetUp() => _store = new RedisWorkflowStore(RedisTestServer.NewOptions("store"));

    [TearDown]
    public async Task TearDown() => await _store.DisposeAsync();

    private static readonly DateTimeOffset T0 = new(2026, 1, 2, 3, 4, 5, 678, TimeSpan.Zero);

    private static WorkflowRun NewRun(string id, string name = "wf", DateTimeOffset? createdAt = null)
    {
        var workflow = new WorkflowBuilder(name)
            .AddTask("a", "echo/echo", new JsonObject { ["message"] = "hi" })
            .AddTask("b", "echo/echo", new JsonObject { ["message"] = "${a.response}" }, t => t.DependsOn("a").WithRetry(4, TimeSpan.FromMilliseconds(250)))
            .WithInput("who", "world")
            .Build() with { Id = id };
        return new WorkflowRun
        {
            WorkflowId = id,
            Name = name,
            Status = WorkflowStatus.Pending,
            Workflow = workflow,
            Inputs = new Dictionary<string, JsonNode?> { ["who"] = "you" },
            CreatedAt = createdAt ?? T0,
            Tasks = new Dictionary<string, TaskResult> { ["a"] = TaskResult.Pending("a"), ["b"] = TaskResult.Pending("b") },
        };
    }

    [Test]
    public async Task A_created_run_reads_back_with_definition_inputs_and_tasks()
    {
        await _store.CreateRunAsync(NewRun("r1"));

        var run = await _store.GetRunAsync("r1");

        Assert.That(run, Is.Not.Null);
        Assert.That(run!.Name, Is.EqualTo("wf"));
        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Pending));
        Assert.That(run.CreatedAt, Is.EqualTo(T0));
        Assert.That(run.Tasks.Keys, Is.EqualTo(new[] { "a", "b" }));
        Assert.That(run.Workflow!.Tasks[1].Retry!.MaxAttempts, Is.EqualTo(4));
        Assert.That(run.Workflow.Tasks[1].Dependencies, Is.EqualTo(new[] { "a" }));
        Assert.That((string?)run.Inputs["who"], Is.EqualTo("you"));
    }

    [Test]
    public async Task Creating_a_run_twice_is_refused()
    {
        await _store.CreateRunAsync(NewRun("r1"));

        var ex = await Assert.ThrowsAsync<GleitzeitException>(async () => await _store.CreateRunAsync(NewRun("r1")));

        Assert.That(ex!.Code, Is.EqualTo(GleitzeitErrorCode.WorkflowAlreadyExists));
    }

    [Test]
    public async Task An_unknown_run_reads_as_null_and_writes_to_it_are_refused()
    {
        Assert.That(await _store.GetRunAsync("nope"), Is.Null);
        var save = await Assert.ThrowsAsync<GleitzeitException>(async () => await _store.SaveTaskAsync("nope", TaskResult.Pending("a")));
        var update = await Assert.ThrowsAsync<GleitzeitException>(async () => await _store.UpdateRunStatusAsync("nope", WorkflowStatus.Running, T0));
        Assert.That(save!.Code, Is.EqualTo(GleitzeitErrorCode.WorkflowNotFound));
        Assert.That(update!.Code, Is.EqualTo(GleitzeitErrorCode.WorkflowNotFound));
    }

    [Test]
    public async Task Status_changes_keep_start_and_end_times_and_the_error()
    {
        await _store.CreateRunAsync(NewRun("r1"));
        var error = new GleitzeitError(GleitzeitErrorCode.WorkflowExecutionFailed, "1 task failed", new JsonObject { ["x"] = 1 });

        await _store.UpdateRunStatusAsync("r1", WorkflowStatus.Running, T0.AddSeconds(1));
        await _store.UpdateRunStatusAsync("r1", WorkflowStatus.Failed, T0.AddSeconds(3), error);
        var run = await _store.GetRunAsync("r1");

        Assert.That(run!.Status, Is.EqualTo(WorkflowStatus.Failed));
        Assert.That(run.StartedAt, Is.EqualTo(T0.AddSeconds(1)));
        Assert.That(run.CompletedAt, Is.EqualTo(T0.AddSeconds(3)));
        Assert.That(run.Error, Is.EqualTo(error).Using<GleitzeitError>((x, y) => x.Code == y.Code && x.Message == y.Message));
        Assert.That((int?)run.Error!.Data!["x"], Is.EqualTo(1));
    }

    [Test]
    public async Task Task_transitions_are_kept_with_results_and_history()
    {
        await _store.CreateRunAsync(NewRun("r1"));
        var running = new TaskResult { TaskId = "a", Status = WorkflowTaskStatus.Running, Attempts = 1, StartedAt = T0 };
        var done = running with { Status = WorkflowTaskStatus.Completed, Result = new JsonObject { ["response"] = "hi", ["n"] = 1.5 }, CompletedAt = T0.AddMilliseconds(20) };

        await _store.SaveTaskAsync("r1", running);
        await _store.SaveTasksAsync("r1", [done, TaskResult.Pending("b") with { Status = WorkflowTaskStatus.Queued }]);
        var run = await _store.GetRunAsync("r1");
        var events = await _store.GetEventsAsync("r1");

        Assert.That(run!.Tasks["a"].Status, Is.EqualTo(WorkflowTaskStatus.Completed));
        Assert.That(run.GetResult("a")!.ToJsonString(), Is.EqualTo("""{"response":"hi","n":1.5}"""));
        Assert.That(run.Tasks["a"].Duration, Is.EqualTo(TimeSpan.FromMilliseconds(20)));
        Assert.That(run.Tasks["b"].Status, Is.EqualTo(WorkflowTaskStatus.Queued));
        Assert.That(events.Select(e => (e.TaskId, e.Status)), Is.EqualTo(new (string?, string)[] { (null, "pending"), ("a", "running"), ("a", "completed"), ("b", "queued") }));
    }

    [Test]
    public async Task Runs_list_newest_first_filtered_by_status_and_name_with_counts()
    {
        await _store.CreateRunAsync(NewRun("old", "alpha", T0));
        await _store.CreateRunAsync(NewRun("mid", "beta", T0.AddMinutes(1)));
        await _store.CreateRunAsync(NewRun("new", "alpha", T0.AddMinutes(2)));
        await _store.CreateRunAsync(NewRun("same-time", "alpha", T0.AddMinutes(2)));
        await _store.SaveTaskAsync("old", new TaskResult { TaskId = "a", Status = WorkflowTaskStatus.Completed });
        await _store.SaveTaskAsync("old", new TaskResult { TaskId = "b", Status = WorkflowTaskStatus.Failed });
        await _store.UpdateRunStatusAsync("old", WorkflowStatus.Failed, T0.AddSeconds(5));

        var all = await _store.ListRunsAsync();
        var alpha = await _store.ListRunsAsync(new RunQuery { Name = "alpha", Limit = 2 });
        var failed = await _store.ListRunsAsync(new RunQuery { Statuses = [WorkflowStatus.Failed] });

        Assert.That(all.Select(r => r.WorkflowId), Is.EqualTo(new[] { "same-time", "new", "mid", "old" }));
        Assert.That(alpha.Select(r => r.WorkflowId), Is.EqualTo(new[] { "same-time", "new" }));
        Assert.That(failed.Single().WorkflowId, Is.EqualTo("old"));
        Assert.That((failed[0].TaskCount, failed[0].CompletedTasks, failed[0].FailedTasks), Is.EqualTo((2, 1, 1)));
    }

    [Test]
    public async Task Task_results_are_found_in_the_newest_run_or_the_named_one_and_by_workflow_name()
    {
        await _store.CreateRunAsync(NewRun("r1", "alpha", T0));
        await _store.CreateRunAsync(NewRun("r2", "alpha", T0.AddMinutes(1)));
        await _store.CreateRunAsync(NewRun("r3", "other", T0.AddMinutes(2)));
        await _store.SaveTaskAsync("r1", new TaskResult { TaskId = "a", Status = WorkflowTaskStatus.Completed, Result = 1 });
        await _store.SaveTaskAsync("r2", new TaskResult { TaskId = "a", Status = WorkflowTaskStatus.Completed, Result = 2 });

        var newest = await _store.GetTaskResultAsync("a");
        var inR1 = await _store.GetTaskResultAsync("a", "r1");
        var missing = await _store.GetTaskResultAsync("zzz");
        var byName = await _store.GetResultsByWorkflowNameAsync("alpha");

        Assert.That(newest!.WorkflowId, Is.EqualTo("r3"), "r3 has a task a too (pending)");
        Assert.That((int?)inR1!.Task.Result, Is.EqualTo(1));
        Assert.That(missing, Is.Null);
        Assert.That(byName.Select(r => (r.WorkflowId, r.Task.TaskId)), Is.EqualTo(new[] { ("r2", "a"), ("r2", "b"), ("r1", "a"), ("r1", "b") }));
    }

    [Test]
    public async Task Statistics_count_runs_and_tasks_by_status_and_average_durations()
    {
        await _store.CreateRunAsync(NewRun("r1"));
        await _store.CreateRunAsync(NewRun("r2"));
        await _store.UpdateRunStatusAsync("r1", WorkflowStatus.Running, T0);
        await _store.UpdateRunStatusAsync("r1", WorkflowStatus.Completed, T0.AddSeconds(4));
        await _store.SaveTaskAsync("r1", new TaskResult { TaskId = "a", Status = WorkflowTaskStatus.Completed, StartedAt = T0, CompletedAt = T0.AddSeconds(2) });

        var stats = await _store.GetStatisticsAsync();

        Assert.That(stats.TotalRuns, Is.EqualTo(2));
        Assert.That(stats.RunsByStatus[WorkflowStatus.Completed], Is.EqualTo(1));
        Assert.That(stats.RunsByStatus[WorkflowStatus.Pending], Is.EqualTo(1));
        Assert.That(stats.TotalTasks, Is.EqualTo(4));
        Assert.That(stats.TasksByStatus[WorkflowTaskStatus.Pending], Is.EqualTo(3));
        Assert.That(stats.AverageRunDuration, Is.EqualTo(TimeSpan.FromSeconds(4)));
        Assert.That(stats.AverageTaskDuration, Is.EqualTo(TimeSpan.FromSeconds(2)));
    }

    [Test]
    public async Task Purge_removes_only_finished_runs_that_ended_before_the_cutoff()
    {
        await _store.CreateRunAsync(NewRun("done-old"));
        await _store.CreateRunAsync(NewRun("done-new"));
        await _store.CreateRunAsync(NewRun("running"));
        await _store.UpdateRunStatusAsync("done-old", WorkflowStatus.Completed, T0.AddDays(1));
        await _store.UpdateRunStatusAsync("done-new", WorkflowStatus.Cancelled, T0.AddDays(3));
        await _store.UpdateRunStatusAsync("running", WorkflowStatus.Running, T0);

        var removed = await _store.PurgeAsync(T0.AddDays(2));

        Assert.That(removed, Is.EqualTo(1));
        Assert.That(await _store.GetRunAsync("done-old"), Is.Null);
        Assert.That(await _store.GetEventsAsync("done-old"), Is.Empty);
        Assert.That((await _store.ListRunsAsync()).Select(r => r.WorkflowId), Is.EquivalentTo(new[] { "done-new", "running" }));
    }

    [Test]
    public async Task The_engine_runs_a_workflow_through_the_store_and_a_second_store_instance_sees_it()
    {
        var registry = new ProviderRegistry();
        registry.Register(DelegateProvider.Echo());
        await using var engine = new ExecutionEngine(registry, _store);
        var workflow = new WorkflowBuilder("echo")
            .AddTask("a", "echo", new JsonObject { ["message"] = "hello" }, t => t.WithProtocol("echo/v1"))
            .AddTask("b", "echo", new JsonObject { ["message"] = "${a.response} again" }, t => t.DependsOn("a").WithProtocol("echo/v1"))
            .Build();

        var run = await engine.RunAsync(workflow);
        await using var other = new RedisWorkflowStore(new RedisStoreOptions { Configuration = RedisTestServer.Server.Endpoint, KeyPrefix = _store.Connection.Keys.Prefix });
        var seen = await other.GetRunAsync(run.WorkflowId);

        Assert.That(seen!.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That((string?)seen.GetResult("b")!["response"], Is.EqualTo("hello again"));
    }
}
