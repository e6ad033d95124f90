using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Microsoft.Extensions.DependencyInjection;

namespace Gleitzeit.Persistence.Redis.Tests;

/// <summary>The distributed <see cref="IWorkflowRunner"/> against a real redis-server and in-process workers, used through the interface only.</summary>
public sealed class RedisWorkflowRunnerTests
{
    private static JsonObject Sum(long add, params string[] values) => new() { ["add"] = add, ["values"] = new JsonArray(values.Select(v => (JsonNode)v).ToArray()) };

    private static async Task<List<WorkflowEvent>> CollectAsync(IWorkflowRunner runner, string id)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var events = new List<WorkflowEvent>();
        await foreach (var e in runner.WatchAsync(id, limit.Token)) events.Add(e);
        return events;
    }

    [Test]
    public async Task Submit_get_watch_and_wait_go_through_the_workers()
    {
        await using var h = Harness.Create("runner-flow");
        IWorkflowRunner runner = new RedisWorkflowRunner(h.Queue);
        var workflow = new WorkflowBuilder("flow")
            .WithInput("k", 0)
            .AddTask("a", "test/sum", Sum(1))
            .AddTask("b", "test/sum", Sum(2, "${a.n}", "${inputs.k}"), t => t.DependsOn("a"))
            .AddTask("c", "test/sum", Sum(3, "${b.n}"), t => t.DependsOn("b"))
            .Build();

        var id = await runner.SubmitAsync(workflow, new RunOptions { WorkflowId = "flow-1", Inputs = new Dictionary<string, JsonNode?> { ["k"] = 10 } });
        var queued = await runner.GetRunAsync(id);
        var watching = CollectAsync(runner, id);
        h.StartWorker();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var run = await runner.WaitAsync(id, limit.Token);
        var events = await watching;

        Assert.That(id, Is.EqualTo("flow-1"));
        Assert.That(queued!.IsFinished, Is.False, "nothing runs in the submitting process");
        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That((long?)run.GetResult("c")!["n"], Is.EqualTo(3 + 2 + 1 + 10));
        Assert.That(events[0], Is.TypeOf<WorkflowStarted>());
        Assert.That(events.OfType<WorkflowStarted>().Count(), Is.EqualTo(1));
        Assert.That(events[^1], Is.TypeOf<WorkflowCompleted>().With.Property(nameof(WorkflowCompleted.Status)).EqualTo(WorkflowStatus.Completed));
        Assert.That(events.OfType<TaskCompleted>().Select(e => e.TaskId), Is.EqualTo(new[] { "a", "b", "c" }));
        Assert.That((long?)events.OfType<TaskCompleted>().Last().Result!["n"], Is.EqualTo(16));
        Assert.That(await runner.GetRunAsync("unknown"), Is.Null);
    }

    [Test]
    public async Task Watching_sees_a_task_start_and_a_cancel_ends_the_run_cancelled()
    {
        await using var h = Harness.Create("runner-cancel");
        h.StartWorker();
        IWorkflowRunner runner = new RedisWorkflowRunner(h.Queue);
        var workflow = new WorkflowBuilder("cancel")
            .AddTask("long", "test/block", configure: t => t.WithTimeout(TimeSpan.FromMinutes(5)))
            .AddTask("after", "test/noop", configure: t => t.DependsOn("long"))
            .Build();

        var id = await runner.SubmitAsync(workflow);
        var events = new List<WorkflowEvent>();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await foreach (var e in runner.WatchAsync(id, limit.Token))
        {
            events.Add(e);
            if (e is TaskStarted { TaskId: "long" }) await runner.CancelAsync(id);
        }
        var run = await runner.WaitAsync(id, limit.Token);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Cancelled));
        Assert.That(events.OfType<TaskStarted>().Select(e => (e.TaskId, e.Attempt)), Is.EqualTo(new[] { ("long", 1) }));
        Assert.That(events.OfType<TaskSkipped>().Select(e => e.TaskId), Is.EquivalentTo(new[] { "long", "after" }));
        Assert.That(events[^1], Is.TypeOf<WorkflowCompleted>().With.Property(nameof(WorkflowCompleted.Status)).EqualTo(WorkflowStatus.Cancelled));
    }

    [Test]
    public async Task Ownership_and_refusals()
    {
        await using var h = Harness.Create("runner-owns");
        var runner = new RedisWorkflowRunner(h.Queue);
        var workflow = new WorkflowBuilder("w").AddTask("a", "test/noop").Build();

        var id = await runner.SubmitAsync(workflow);
        await h.Store.CreateRunAsync(new WorkflowRun { WorkflowId = "engine-run", Name = "e", CreatedAt = DateTimeOffset.UtcNow });

        Assert.That(await runner.OwnsAsync(id), Is.True);
        Assert.That(await runner.OwnsAsync("engine-run"), Is.False);
        Assert.That(await runner.OwnsAsync("unknown"), Is.False);
        var onEvent = await Assert.ThrowsAsync<ArgumentException>(async () => await runner.SubmitAsync(workflow, new RunOptions { OnEvent = _ => { } }));
        Assert.That(onEvent!.Message, Does.Contain("WatchAsync"));
        var missing = await Assert.ThrowsAsync<GleitzeitException>(async () => await CollectAsync(runner, "unknown"));
        Assert.That(missing!.Code, Is.EqualTo(GleitzeitErrorCode.WorkflowNotFound));
    }

    [Test]
    public async Task AddRedis_registers_the_distributed_runner_keyed_and_leaves_the_engine_the_default()
    {
        var options = RedisTestServer.NewOptions("runner-di");
        var services = new ServiceCollection();
        services.AddGleitzeit().AddRedis(o =>
        {
            o.Configuration = options.Configuration;
            o.KeyPrefix = options.KeyPrefix;
        });
        await using var sp = services.BuildServiceProvider();

        Assert.That(sp.GetRequiredService<IWorkflowRunner>(), Is.SameAs(sp.GetRequiredService<ExecutionEngine>()));
        Assert.That(sp.GetRequiredKeyedService<IWorkflowRunner>(RedisWorkflowRunner.ServiceKey), Is.SameAs(sp.GetRequiredService<RedisWorkflowRunner>()));
        Assert.That(sp.GetRequiredService<RedisWorkflowRunner>().Queue, Is.SameAs(sp.GetRequiredService<RedisWorkflowQueue>()));
    }
}
