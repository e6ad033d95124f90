using System.Text.Json.Nodes;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Persistence;
using Gleitzeit.Core.Protocol;
using Gleitzeit.Testing;
using Microsoft.Extensions.Options;

namespace Gleitzeit.Core.Tests.Execution;

public class EngineBehaviourTests
{
    private static (ExecutionEngine Engine, ProviderRegistry Registry) Create(GleitzeitOptions? options = null, IWorkflowStore? store = null, params ProviderRegistration[] providers)
    {
        var registry = new ProviderRegistry(providers);
        return (new ExecutionEngine(registry, store, Options.Create(options ?? new GleitzeitOptions())), registry);
    }

    [Test]
    public async Task The_per_provider_bound_holds_while_other_providers_use_free_slots()
    {
        var slow = new RecordingProvider("slow/v1", async (_, ct) => { await Task.Delay(5, ct); return null; });
        var fast = new RecordingProvider("fast/v1");
        var (engine, _) = Create(new GleitzeitOptions { MaxConcurrency = 6 }, null, new ProviderRegistration(slow, maxConcurrency: 2), new ProviderRegistration(fast));
        await using var _e = engine;
        var builder = new WorkflowBuilder("lanes");
        for (var i = 0; i < 20; i++) builder.AddTask($"s{i}", "slow/run").AddTask($"f{i}", "fast/run");

        var run = await engine.RunAsync(builder.Build());

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That(slow.MaxConcurrent, Is.LessThanOrEqualTo(2));
        Assert.That(fast.TotalCalls, Is.EqualTo(20));
    }

    [Test]
    public async Task The_workflow_bound_holds()
    {
        var provider = new RecordingProvider(behaviour: async (_, ct) => { await Task.Delay(2, ct); return null; });
        var (engine, _) = Create(new GleitzeitOptions { MaxConcurrency = 8 }, null, new ProviderRegistration(provider));
        await using var _e = engine;
        var builder = new WorkflowBuilder("capped").WithMaxConcurrency(2);
        for (var i = 0; i < 30; i++) builder.AddTask($"t{i}", "test/run");

        var run = await engine.RunAsync(builder.Build());

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That(provider.MaxConcurrent, Is.LessThanOrEqualTo(2));
    }

    [Test]
    public async Task Watch_streams_every_lifecycle_event_in_order()
    {
        var gate = new TaskCompletionSource<JsonNode?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var provider = new RecordingProvider(behaviour: (inv, _) =>
        {
            inv.ReportProgress(TaskProgressKind.Token, "tok");
            return inv.TaskId == "a" ? new ValueTask<JsonNode?>(gate.Task) : ValueTask.FromResult<JsonNode?>(JsonValue.Create(1));
        });
        var (engine, _) = Create(null, null, new ProviderRegistration(provider));
        await using var _e = engine;
        var workflow = new WorkflowBuilder("watched").AddTask("a", "test/run").AddTask("b", "test/run", null, t => t.DependsOn("a")).Build();

        var id = await engine.SubmitAsync(workflow);
        var events = new List<WorkflowEvent>();
        var watching = Task.Run(async () =>
        {
            await foreach (var e in engine.WatchAsync(id)) events.Add(e);
        });
        await Task.Delay(50);
        gate.SetResult(JsonValue.Create("done"));
        await watching.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.That(events[0], Is.TypeOf<WorkflowStarted>());
        Assert.That(events[^1], Is.TypeOf<WorkflowCompleted>().With.Property(nameof(WorkflowCompleted.Status)).EqualTo(WorkflowStatus.Completed));
        var b = events.Where(e => e is TaskQueued { TaskId: "b" } or TaskStarted { TaskId: "b" } or TaskProgress { TaskId: "b" } or TaskCompleted { TaskId: "b" }).Select(e => e.GetType().Name).ToList();
        Assert.That(b, Is.EqualTo(new[] { "TaskQueued", "TaskStarted", "TaskProgress", "TaskCompleted" }));
        Assert.That(events.OfType<TaskCompleted>().Select(e => e.TaskId), Is.EqualTo(new[] { "a", "b" }));
    }

    [Test]
    public async Task Watching_a_finished_run_describes_its_stored_state()
    {
        var (engine, _) = Create(null, null, new ProviderRegistration(new RecordingProvider()));
        await using var _e = engine;
        var run = await engine.RunAsync(new WorkflowBuilder("done").AddTask("a", "test/run").Build());

        var events = new List<WorkflowEvent>();
        await foreach (var e in engine.WatchAsync(run.WorkflowId)) events.Add(e);

        Assert.That(events.Select(e => e.GetType().Name), Is.EqualTo(new[] { "WorkflowStarted", "TaskCompleted", "WorkflowCompleted" }));
    }

    [Test]
    public async Task Inputs_take_defaults_and_caller_overrides()
    {
        var (engine, _) = Create(null, null, new ProviderRegistration(DelegateProvider.Echo()));
        await using var _e = engine;
        var workflow = new WorkflowBuilder("inputs")
            .WithInput("who", "world").WithInput("n", 3)
            .AddTask("a", "echo", new JsonObject { ["message"] = "hello ${inputs.who} x${inputs.n}" }, t => t.WithProtocol("echo/v1"))
            .AddTask("b", "echo", new JsonObject { ["message"] = "${inputs.n}" }, t => t.WithProtocol("echo/v1"))
            .Build();

        var defaults = await engine.RunAsync(workflow);
        var overridden = await engine.RunAsync(workflow, new RunOptions { Inputs = new Dictionary<string, JsonNode?> { ["who"] = "Ada" } });

        Assert.That((string?)defaults.GetResult("a")!["response"], Is.EqualTo("hello world x3"));
        Assert.That((int)defaults.GetResult("b")!["response"]!, Is.EqualTo(3), "a lone reference keeps its JSON type");
        Assert.That((string?)overridden.GetResult("a")!["response"], Is.EqualTo("hello Ada x3"));
        Assert.That(async () => await engine.RunAsync(workflow, new RunOptions { Inputs = new Dictionary<string, JsonNode?> { ["nope"] = 1 } }),
            Throws.TypeOf<WorkflowValidationException>().With.Message.Contains("unknown input 'nope'"));
    }

    [Test]
    public async Task An_unknown_method_is_refused_before_anything_runs()
    {
        var provider = new RecordingProvider();
        var (engine, _) = Create(null, null, new ProviderRegistration(provider));
        await using var _e = engine;
        var workflow = new WorkflowBuilder("bad").AddTask("ok", "test/run").AddTask("x", "nothere/run").Build();

        var ex = await Assert.ThrowsAsync<WorkflowValidationException>(async () => await engine.RunAsync(workflow));

        Assert.That(ex!.Errors.Single().Code, Is.EqualTo(GleitzeitErrorCode.ProviderNotFound));
        Assert.That(ex.Message, Does.Contain("nothere/v1").And.Contain("test/v1"));
        Assert.That(provider.TotalCalls, Is.Zero);
    }

    [Test]
    public async Task A_reference_to_a_missing_field_fails_the_task_naming_what_exists()
    {
        var (engine, _) = Create(null, null, new ProviderRegistration(DelegateProvider.Echo()));
        await using var _e = engine;
        var workflow = new WorkflowBuilder("path")
            .AddTask("a", "echo", new JsonObject { ["message"] = "x" }, t => t.WithProtocol("echo/v1"))
            .AddTask("b", "echo", new JsonObject { ["message"] = "${a.nope}" }, t => t.WithProtocol("echo/v1").DependsOn("a"))
            .Build();

        var run = await engine.RunAsync(workflow);

        Assert.That(run.Tasks["b"].Error!.Code, Is.EqualTo(GleitzeitErrorCode.TaskValidationFailed));
        Assert.That(run.Tasks["b"].Error!.Message, Does.Contain("message").And.Contain("has no field 'nope'").And.Contain("response"));
    }

    [Test]
    public async Task Resume_keeps_completed_results_and_runs_the_rest()
    {
        var store = new InMemoryWorkflowStore();
        var provider = new RecordingProvider();
        var workflow = new WorkflowBuilder("resumable")
            .AddTask("a", "test/run").AddTask("b", "test/run", new JsonObject { ["from"] = "${a.response}" }, t => t.DependsOn("a"))
            .AddTask("c", "test/run", null, t => t.DependsOn("b")).Build() with { Id = "wf-crashed" };
        var t0 = DateTimeOffset.UtcNow;
        // The state a crash leaves behind: a completed, b running, c pending, run running.
        await store.CreateRunAsync(new WorkflowRun
        {
            WorkflowId = "wf-crashed", Name = workflow.Name, Status = WorkflowStatus.Pending, Workflow = workflow, CreatedAt = t0,
            Tasks = new Dictionary<string, TaskResult>
            {
                ["a"] = new() { TaskId = "a", Status = WorkflowTaskStatus.Completed, Result = new JsonObject { ["response"] = "from-before" }, Attempts = 1, StartedAt = t0, CompletedAt = t0 },
                ["b"] = new() { TaskId = "b", Status = WorkflowTaskStatus.Running, Attempts = 1, StartedAt = t0 },
                ["c"] = TaskResult.Pending("c"),
            },
        });
        await store.UpdateRunStatusAsync("wf-crashed", WorkflowStatus.Running, t0);
        var (engine, _) = Create(null, store, new ProviderRegistration(provider));
        await using var _e = engine;

        var run = await engine.ResumeAsync("wf-crashed");

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That(provider.Calls.Keys, Is.EquivalentTo(new[] { "b", "c" }));
        Assert.That((string?)run.GetResult("a")!["response"], Is.EqualTo("from-before"));
        Assert.That(run.Tasks["b"].Attempts, Is.EqualTo(2), "the interrupted attempt counts");
        Assert.That((await store.GetRunAsync("wf-crashed"))!.Status, Is.EqualTo(WorkflowStatus.Completed));
    }

    [Test]
    public async Task Every_transition_is_written_to_the_store()
    {
        var store = new InMemoryWorkflowStore();
        var (engine, _) = Create(null, store, new ProviderRegistration(new RecordingProvider()));
        await using var _e = engine;

        var run = await engine.RunAsync(new WorkflowBuilder("t").AddTask("a", "test/run").Build());
        var history = await store.GetEventsAsync(run.WorkflowId);

        Assert.That(history.Where(e => e.TaskId == "a").Select(e => e.Status), Is.EqualTo(new[] { "queued", "running", "completed" }));
        Assert.That(history.Where(e => e.TaskId is null).Select(e => e.Status), Is.EqualTo(new[] { "pending", "running", "completed" }));
    }

    [Test]
    public async Task Disposing_the_engine_leaves_active_runs_resumable()
    {
        var store = new InMemoryWorkflowStore();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var provider = new RecordingProvider(behaviour: async (_, ct) => { started.TrySetResult(); await Task.Delay(Timeout.InfiniteTimeSpan, ct); return null; });
        var (engine, _) = Create(null, store, new ProviderRegistration(provider));

        var id = await engine.SubmitAsync(new WorkflowBuilder("t").AddTask("a", "test/run").Build());
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await engine.DisposeAsync();

        // Stopping is not cancelling (ARCHITECTURE §17): interrupted, the task pending again, nothing cancelled.
        var stored = await store.GetRunAsync(id);
        Assert.That(stored!.Status, Is.EqualTo(WorkflowStatus.Interrupted));
        Assert.That(stored.IsFinished, Is.False);
        Assert.That(stored.Tasks["a"].Status, Is.EqualTo(WorkflowTaskStatus.Pending));
        Assert.That(stored.Error, Is.Null);
        Assert.That((await engine.WaitAsync(id)).Status, Is.EqualTo(WorkflowStatus.Interrupted));
    }
}
