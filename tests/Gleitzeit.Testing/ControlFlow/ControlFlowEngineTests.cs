using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Persistence;
using Gleitzeit.Core.Protocol;
using NUnit.Framework;

namespace Gleitzeit.Testing.ControlFlow;

/// <summary>
/// <c>when</c>, <c>join</c> and <c>loop</c> on the engine, against one store; each store's tests derive from this
/// fixture (memory in Core's tests, SQLite in its own), so the constructs are proven on every durable path.
/// The provider returns <c>{"response": task id, "value": params.value, "params": params}</c>.
/// </summary>
public abstract class ControlFlowEngineTests
{
    private readonly List<IAsyncDisposable> _engines = [];

    /// <summary>A fresh store; the same instance is handed to a second engine to resume a run.</summary>
    protected abstract ValueTask<IWorkflowStore> CreateStoreAsync();

    [TearDown]
    public async Task DisposeEngines()
    {
        foreach (var e in _engines) await e.DisposeAsync();
        _engines.Clear();
    }

    private static JsonNode? Echo(TaskInvocation inv) =>
        new JsonObject { ["response"] = inv.TaskId, ["value"] = inv.Parameters["value"]?.DeepClone(), ["params"] = inv.Parameters.DeepClone() };

    private ExecutionEngine Engine(IWorkflowStore store, RecordingProvider provider)
    {
        var engine = new ExecutionEngine(new ProviderRegistry([new ProviderRegistration(provider)]), store);
        _engines.Add(engine);
        return engine;
    }

    private static RecordingProvider Provider(Func<TaskInvocation, CancellationToken, ValueTask<JsonNode?>>? behaviour = null) =>
        new("test/v1", behaviour ?? ((inv, _) => ValueTask.FromResult(Echo(inv))));

    private static JsonObject Value(JsonNode? v) => new() { ["value"] = v };

    [Test]
    public async Task When_true_runs_the_task_and_when_false_skips_it_without_failing_the_run()
    {
        var store = await CreateStoreAsync();
        var provider = Provider();
        var engine = Engine(store, provider);
        var workflow = new WorkflowBuilder("branch")
            .AddTask("score", "test/run", Value(5))
            .AddTask("publish", "test/run", null, t => t.DependsOn("score").When("${score.value} >= 3"))
            .AddTask("hold", "test/run", null, t => t.DependsOn("score").When("${score.value} < 3"))
            .Build();

        var run = await engine.RunAsync(workflow);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That(run.Tasks["publish"].Status, Is.EqualTo(WorkflowTaskStatus.Completed));
        Assert.That(run.Tasks["hold"].Status, Is.EqualTo(WorkflowTaskStatus.Skipped));
        Assert.That(run.Tasks["hold"].Error!.Code, Is.EqualTo(GleitzeitErrorCode.TaskConditionFalse));
        Assert.That(run.Tasks["hold"].Error!.Message, Does.Contain("${score.value} < 3"));
        Assert.That(provider.Calls.ContainsKey("hold"), Is.False);
        var stored = await store.GetRunAsync(run.WorkflowId);
        Assert.That(stored!.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That(stored.Tasks["hold"].Status, Is.EqualTo(WorkflowTaskStatus.Skipped));
        Assert.That(stored.Tasks["hold"].Error!.Code, Is.EqualTo(GleitzeitErrorCode.TaskConditionFalse));
    }

    [Test]
    public async Task A_skip_by_condition_is_published_as_a_skipped_event_with_its_code()
    {
        var store = await CreateStoreAsync();
        var engine = Engine(store, Provider());
        var events = new ConcurrentQueue<WorkflowEvent>();
        var workflow = new WorkflowBuilder("events")
            .AddTask("a", "test/run", Value(1))
            .AddTask("b", "test/run", null, t => t.DependsOn("a").When("${a.value} == 2"))
            .Build();

        await engine.RunAsync(workflow, new RunOptions { OnEvent = events.Enqueue });

        var skipped = events.OfType<TaskSkipped>().Single();
        Assert.That(skipped.TaskId, Is.EqualTo("b"));
        Assert.That(skipped.Error.Code, Is.EqualTo(GleitzeitErrorCode.TaskConditionFalse));
        Assert.That(events.OfType<TaskStarted>().Select(e => e.TaskId), Does.Not.Contain("b"));
    }

    [Test]
    public async Task A_task_below_a_skipped_task_is_skipped_too_and_the_run_still_completes()
    {
        var store = await CreateStoreAsync();
        var provider = Provider();
        var engine = Engine(store, provider);
        var workflow = new WorkflowBuilder("propagate")
            .AddTask("a", "test/run", Value(1))
            .AddTask("b", "test/run", null, t => t.DependsOn("a").When("${a.value} > 1"))
            .AddTask("c", "test/run", null, t => t.DependsOn("b"))
            .AddTask("d", "test/run", null, t => t.DependsOn("c", "a"))
            .Build();

        var run = await engine.RunAsync(workflow);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        foreach (var id in new[] { "b", "c", "d" })
        {
            Assert.That(run.Tasks[id].Status, Is.EqualTo(WorkflowTaskStatus.Skipped), id);
            Assert.That(run.Tasks[id].Error!.Code, Is.EqualTo(GleitzeitErrorCode.TaskConditionFalse), id);
        }
        Assert.That(run.Tasks["c"].Error!.Message, Is.EqualTo("dependency 'b' was skipped"));
        Assert.That(provider.TotalCalls, Is.EqualTo(1));
    }

    [Test]
    public async Task Join_any_runs_when_one_dependency_completed_and_reads_null_for_the_skipped_one()
    {
        var store = await CreateStoreAsync();
        var provider = Provider();
        var engine = Engine(store, provider);
        var workflow = new WorkflowBuilder("join-any")
            .AddTask("score", "test/run", Value(5))
            .AddTask("publish", "test/run", Value("published"), t => t.DependsOn("score").When("${score.value} >= 3"))
            .AddTask("hold", "test/run", Value("held"), t => t.DependsOn("score").When("${score.value} < 3"))
            .AddTask("notify", "test/run", new JsonObject { ["p"] = "${publish.value}", ["h"] = "${hold.value}", ["text"] = "h=${hold.value};" },
                t => t.DependsOn("publish", "hold").Join(JoinMode.Any))
            .Build();

        var run = await engine.RunAsync(workflow);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        var seen = run.Tasks["notify"].Result!["params"]!;
        Assert.That((string?)seen["p"], Is.EqualTo("published"));
        Assert.That(seen["h"], Is.Null);
        Assert.That((string?)seen["text"], Is.EqualTo("h=;"));
    }

    [Test]
    public async Task Join_any_with_no_completed_dependency_is_skipped()
    {
        var store = await CreateStoreAsync();
        var provider = Provider();
        var engine = Engine(store, provider);
        var workflow = new WorkflowBuilder("none")
            .AddTask("a", "test/run", Value(0))
            .AddTask("x", "test/run", null, t => t.DependsOn("a").When("${a.value} == 1"))
            .AddTask("y", "test/run", null, t => t.DependsOn("a").When("${a.value} == 2"))
            .AddTask("z", "test/run", null, t => t.DependsOn("x", "y").Join(JoinMode.Any))
            .Build();

        var run = await engine.RunAsync(workflow);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That(run.Tasks["z"].Status, Is.EqualTo(WorkflowTaskStatus.Skipped));
        Assert.That(run.Tasks["z"].Error!.Code, Is.EqualTo(GleitzeitErrorCode.TaskConditionFalse));
        Assert.That(provider.Calls.ContainsKey("z"), Is.False);
    }

    [Test]
    public async Task Join_any_waits_for_every_dependency_to_finish_while_others_run_on()
    {
        var store = await CreateStoreAsync();
        var slowGate = new TaskCompletionSource<JsonNode?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var afterFastRan = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var provider = Provider((inv, _) => inv.TaskId switch
        {
            "slow" => new ValueTask<JsonNode?>(slowGate.Task),
            "after_fast" => Done(afterFastRan, inv),
            _ => ValueTask.FromResult(Echo(inv)),
        });
        var engine = Engine(store, provider);
        var workflow = new WorkflowBuilder("wait")
            .AddTask("fast", "test/run")
            .AddTask("slow", "test/run")
            .AddTask("after_fast", "test/run", null, t => t.DependsOn("fast"))
            .AddTask("join", "test/run", null, t => t.DependsOn("fast", "slow").Join(JoinMode.Any))
            .Build();

        var id = await engine.SubmitAsync(workflow);
        // No supersteps: the fast branch's next task runs while the slow one is still busy.
        await afterFastRan.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var midway = await engine.GetRunAsync(id);
        Assert.That(midway!.Tasks["join"].Status, Is.EqualTo(WorkflowTaskStatus.Pending));
        Assert.That(provider.Calls.ContainsKey("join"), Is.False);
        slowGate.SetResult(new JsonObject { ["response"] = "slow" });
        var run = await engine.WaitAsync(id);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That(provider.Started["join"], Is.GreaterThan(provider.Finished["slow"]));
    }

    private static ValueTask<JsonNode?> Done(TaskCompletionSource signal, TaskInvocation inv)
    {
        signal.TrySetResult();
        return ValueTask.FromResult(Echo(inv));
    }

    [Test]
    public async Task Join_any_runs_after_a_failed_dependency_when_another_completed_and_the_run_fails()
    {
        var store = await CreateStoreAsync();
        var provider = Provider((inv, _) => inv.TaskId == "bad"
            ? throw new GleitzeitException(GleitzeitErrorCode.TaskExecutionFailed, "boom")
            : ValueTask.FromResult(Echo(inv)));
        var engine = Engine(store, provider);
        var workflow = new WorkflowBuilder("fail-any")
            .AddTask("good", "test/run", Value(1))
            .AddTask("bad", "test/run", null, t => t.WithRetry(1))
            .AddTask("all", "test/run", null, t => t.DependsOn("good", "bad"))
            .AddTask("any", "test/run", new JsonObject { ["b"] = "${bad.value}" }, t => t.DependsOn("good", "bad").Join(JoinMode.Any))
            .Build();

        var run = await engine.RunAsync(workflow);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Failed));
        Assert.That(run.Tasks["all"].Status, Is.EqualTo(WorkflowTaskStatus.Skipped));
        Assert.That(run.Tasks["all"].Error!.Code, Is.EqualTo(GleitzeitErrorCode.TaskDependencyFailed));
        Assert.That(run.Tasks["any"].Status, Is.EqualTo(WorkflowTaskStatus.Completed));
        Assert.That(run.Tasks["any"].Result!["params"]!["b"], Is.Null);
    }

    [Test]
    public async Task A_condition_on_incomparable_types_fails_the_task_naming_the_expression_and_the_value()
    {
        var store = await CreateStoreAsync();
        var provider = Provider();
        var engine = Engine(store, provider);
        var workflow = new WorkflowBuilder("bad-types")
            .AddTask("a", "test/run", Value("seven"))
            .AddTask("b", "test/run", null, t => t.DependsOn("a").When("${a.value} > 3"))
            .AddTask("c", "test/run", null, t => t.DependsOn("b"))
            .Build();

        var run = await engine.RunAsync(workflow);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Failed));
        var error = run.Tasks["b"].Error!;
        Assert.That(error.Code, Is.EqualTo(GleitzeitErrorCode.TaskConditionError));
        Assert.That(error.Message, Does.Contain("when '${a.value} > 3'").And.Contain("string \"seven\""));
        Assert.That(run.Tasks["c"].Error!.Code, Is.EqualTo(GleitzeitErrorCode.TaskDependencyFailed));
        Assert.That(provider.Calls.ContainsKey("b"), Is.False);
    }

    [Test]
    public async Task A_condition_on_a_missing_field_fails_the_task_naming_the_field()
    {
        var store = await CreateStoreAsync();
        var engine = Engine(store, Provider());
        var workflow = new WorkflowBuilder("missing")
            .AddTask("a", "test/run", Value(1))
            .AddTask("b", "test/run", null, t => t.DependsOn("a").When("${a.nope} == 1"))
            .Build();

        var run = await engine.RunAsync(workflow);

        Assert.That(run.Tasks["b"].Status, Is.EqualTo(WorkflowTaskStatus.Failed));
        Assert.That(run.Tasks["b"].Error!.Message, Does.Contain("when '${a.nope} == 1'").And.Contain("has no field 'nope'"));
    }

    [Test]
    public async Task A_root_task_condition_reads_inputs()
    {
        var store = await CreateStoreAsync();
        var provider = Provider();
        var engine = Engine(store, provider);
        var workflow = new WorkflowBuilder("inputs")
            .WithInput("mode", "fast")
            .AddTask("fast", "test/run", null, t => t.When("${inputs.mode} == 'fast'"))
            .AddTask("slow", "test/run", null, t => t.When("${inputs.mode} == 'slow'"))
            .Build();

        var run = await engine.RunAsync(workflow, new RunOptions { Inputs = new Dictionary<string, JsonNode?> { ["mode"] = "slow" } });

        Assert.That(run.Tasks["fast"].Status, Is.EqualTo(WorkflowTaskStatus.Skipped));
        Assert.That(run.Tasks["slow"].Status, Is.EqualTo(WorkflowTaskStatus.Completed));
    }

    [Test]
    public async Task A_condition_from_yaml_with_a_hostile_value_compares_it_as_data()
    {
        var store = await CreateStoreAsync();
        var provider = Provider();
        var engine = Engine(store, provider);
        var workflow = WorkflowLoader.Parse("""
            name: hostile
            tasks:
              - id: a
                method: test/run
                params: { value: "\" || true || \"" }
              - id: b
                method: test/run
                dependencies: [a]
                when: "${a.value} == \"yes\""
              - id: c
                method: test/run
                dependencies: [a]
                when: "${a.value} contains '||'"
            """, registry: new ProviderRegistry([new ProviderRegistration(provider)]));

        var run = await engine.RunAsync(workflow);

        Assert.That(run.Tasks["b"].Status, Is.EqualTo(WorkflowTaskStatus.Skipped));
        Assert.That(run.Tasks["c"].Status, Is.EqualTo(WorkflowTaskStatus.Completed));
    }

    // ---------------------------------------------------------------- loops

    private static RecordingProvider Scorer(int step) => Provider((inv, _) =>
    {
        if (inv.Parameters["iteration"] is null) return ValueTask.FromResult(Echo(inv));
        var iteration = (int)inv.Parameters["iteration"]!;
        return ValueTask.FromResult<JsonNode?>(new JsonObject { ["score"] = iteration * step, ["previous"] = inv.Parameters["previous"]?.DeepClone() });
    });

    private static JsonObject LoopParams() => new() { ["iteration"] = "${iteration}", ["previous"] = "${previous.score}" };

    [Test]
    public async Task A_loop_runs_until_its_condition_holds_and_keeps_every_iteration()
    {
        var store = await CreateStoreAsync();
        var provider = Scorer(3);
        var engine = Engine(store, provider);
        var workflow = new WorkflowBuilder("loop")
            .AddTask("refine", "test/run", LoopParams(), t => t.Loop("${self.score} >= 8 && ${iteration} >= 1", 5))
            .AddTask("after", "test/run", new JsonObject { ["value"] = "${refine.score}" }, t => t.DependsOn("refine"))
            .Build();

        var run = await engine.RunAsync(workflow);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed), () => run.Error?.Message ?? "");
        var refine = run.Tasks["refine"];
        Assert.That(provider.Calls["refine"], Is.EqualTo(3));
        Assert.That((int)refine.Result!["score"]!, Is.EqualTo(9));
        Assert.That(refine.Iteration, Is.EqualTo(3));
        Assert.That(refine.History.Select(h => h.Number), Is.EqualTo(new[] { 1, 2, 3 }));
        Assert.That(refine.History.Select(h => (int)h.Result!["score"]!), Is.EqualTo(new[] { 3, 6, 9 }));
        // ${previous.score} is null at the first iteration, then the one before.
        Assert.That(refine.History.Select(h => h.Result!["previous"]?.ToJsonString() ?? "null"), Is.EqualTo(new[] { "null", "3", "6" }));
        Assert.That((int)run.Tasks["after"].Result!["value"]!, Is.EqualTo(9));
        var stored = (await store.GetRunAsync(run.WorkflowId))!.Tasks["refine"];
        Assert.That(stored.History.Select(h => (int)h.Result!["score"]!), Is.EqualTo(new[] { 3, 6, 9 }));
        Assert.That(stored.Iteration, Is.EqualTo(3));
    }

    [Test]
    public async Task An_exhausted_loop_fails_with_loop_exhausted_and_skips_its_dependents()
    {
        var store = await CreateStoreAsync();
        var engine = Engine(store, Scorer(1));
        var workflow = new WorkflowBuilder("exhausted")
            .AddTask("refine", "test/run", LoopParams(), t => t.Loop("${self.score} >= 100", 3))
            .AddTask("after", "test/run", null, t => t.DependsOn("refine"))
            .Build();

        var run = await engine.RunAsync(workflow);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Failed));
        Assert.That(run.Tasks["refine"].Error!.Code, Is.EqualTo(GleitzeitErrorCode.TaskLoopExhausted));
        Assert.That(run.Tasks["refine"].Error!.Message, Does.Contain("after 3 iterations"));
        Assert.That(run.Tasks["refine"].History, Has.Count.EqualTo(3));
        Assert.That(run.Tasks["after"].Status, Is.EqualTo(WorkflowTaskStatus.Skipped));
    }

    [Test]
    public async Task An_exhausted_loop_with_on_exhausted_complete_completes_with_the_last_result()
    {
        var store = await CreateStoreAsync();
        var engine = Engine(store, Scorer(1));
        var workflow = new WorkflowBuilder("exhausted-ok")
            .AddTask("refine", "test/run", LoopParams(), t => t.Loop("${self.score} >= 100", 2, LoopExhaustedAction.Complete))
            .Build();

        var run = await engine.RunAsync(workflow);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That((int)run.Tasks["refine"].Result!["score"]!, Is.EqualTo(2));
    }

    [Test]
    public async Task An_until_that_cannot_be_evaluated_fails_the_task()
    {
        var store = await CreateStoreAsync();
        var engine = Engine(store, Scorer(1));
        var workflow = new WorkflowBuilder("until-error")
            .AddTask("refine", "test/run", LoopParams(), t => t.Loop("${self.score} == 'high'", 3))
            .Build();

        var run = await engine.RunAsync(workflow);

        Assert.That(run.Tasks["refine"].Error!.Code, Is.EqualTo(GleitzeitErrorCode.TaskConditionError));
        Assert.That(run.Tasks["refine"].Error!.Message, Does.Contain("loop.until '${self.score} == 'high''").And.Contain("number 1"));
    }

    [Test]
    public async Task Each_iteration_has_its_own_retries()
    {
        var store = await CreateStoreAsync();
        var failures = new ConcurrentDictionary<int, int>();
        var provider = Provider((inv, _) =>
        {
            var iteration = (int)inv.Parameters["iteration"]!;
            // The first attempt of every iteration fails with a retryable error.
            if (failures.AddOrUpdate(iteration, 1, (_, n) => n + 1) == 1) throw new GleitzeitException(GleitzeitErrorCode.ProviderTimeout, "slow");
            return ValueTask.FromResult<JsonNode?>(new JsonObject { ["score"] = iteration });
        });
        var engine = Engine(store, provider);
        var workflow = new WorkflowBuilder("retries")
            .AddTask("refine", "test/run", LoopParams(), t => t.Loop("${self.score} >= 3", 3).WithRetry(2, TimeSpan.Zero, jitter: false))
            .Build();

        var run = await engine.RunAsync(workflow);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That(run.Tasks["refine"].History.Select(h => h.Attempts), Is.EqualTo(new[] { 2, 2, 2 }));
    }

    [Test]
    public async Task A_run_interrupted_mid_loop_resumes_at_the_iteration_it_was_in()
    {
        var store = await CreateStoreAsync();
        var blocked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = Provider(async (inv, ct) =>
        {
            var iteration = (int)inv.Parameters["iteration"]!;
            if (iteration == 2)
            {
                blocked.TrySetResult();
                await Task.Delay(Timeout.Infinite, ct);
            }
            return new JsonObject { ["score"] = iteration };
        });
        var engine = Engine(store, first);
        var workflow = new WorkflowBuilder("resume-loop")
            .AddTask("refine", "test/run", LoopParams(), t => t.Loop("${self.score} >= 3", 5))
            .Build();
        var id = await engine.SubmitAsync(workflow);
        await blocked.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await engine.DisposeAsync();
        var interrupted = await store.GetRunAsync(id);
        Assert.That(interrupted!.Status, Is.EqualTo(WorkflowStatus.Interrupted));
        Assert.That(interrupted.Tasks["refine"].Iteration, Is.EqualTo(2));
        Assert.That(interrupted.Tasks["refine"].History, Has.Count.EqualTo(1));

        var second = Scorer(1);
        var resumed = await Engine(store, second).ResumeAsync(id);

        Assert.That(resumed.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That(second.Calls["refine"], Is.EqualTo(2)); // iterations 2 and 3, not 1 again
        Assert.That(resumed.Tasks["refine"].History.Select(h => (int)h.Result!["score"]!), Is.EqualTo(new[] { 1, 2, 3 }));
    }
}
