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
/// <c>foreach</c> and <c>outputs:</c> run by the engine against a store. Each store's test project derives a fixture and
/// supplies <see cref="CreateStoreAsync"/> (an empty store for one test).
/// </summary>
[TestFixture]
public abstract class ForEachEngineTests
{
    private IWorkflowStore? _store;

    /// <summary>Returns a new, empty store for one test.</summary>
    protected abstract ValueTask<IWorkflowStore> CreateStoreAsync();

    /// <summary>The store of the current test.</summary>
    protected IWorkflowStore Store => _store ?? throw new InvalidOperationException("no store");

    /// <summary>Calls of the <c>cf/v1</c> provider, by task id.</summary>
    protected ConcurrentDictionary<string, int> Calls { get; } = new(StringComparer.Ordinal);

    private int _running;
    private int _maxRunning;

    /// <summary>Most <c>cf/work</c> calls running at once.</summary>
    protected int MaxRunning => Volatile.Read(ref _maxRunning);

    /// <summary>Holds <c>cf/work</c> calls while set (tests release it).</summary>
    protected TaskCompletionSource? Gate { get; set; }

    [SetUp]
    public async Task CreateStoreForTestAsync()
    {
        _store = await CreateStoreAsync();
        Calls.Clear();
        _running = 0;
        _maxRunning = 0;
        Gate = null;
    }

    [TearDown]
    public async Task DisposeStoreForTestAsync()
    {
        switch (_store)
        {
            case IAsyncDisposable d:
                await d.DisposeAsync();
                break;
            case IDisposable d:
                d.Dispose();
                break;
        }
        _store = null;
    }

    /// <summary>
    /// <c>cf/v1</c>: <c>cf/value</c> returns its <c>value</c> parameter; <c>cf/work</c> returns its parameters (waiting for
    /// <see cref="Gate"/> when set); <c>cf/fail</c> fails with its <c>code</c> (a number, default TASK_EXECUTION_FAILED).
    /// </summary>
    protected ProviderRegistry Registry()
    {
        var registry = new ProviderRegistry();
        registry.Register(new DelegateProvider("cf/v1", async (inv, ct) =>
        {
            Calls.AddOrUpdate(inv.TaskId, 1, (_, n) => n + 1);
            switch (inv.Request.Method)
            {
                case "cf/value":
                    return inv.Parameters["value"]?.DeepClone();
                case "cf/fail":
                    var code = (GleitzeitErrorCode?)(int?)inv.Parameters["code"] ?? GleitzeitErrorCode.TaskExecutionFailed;
                    if (inv.Parameters["fail_only"] is JsonNode only && (string?)only != inv.TaskId) return inv.Parameters.DeepClone();
                    throw new GleitzeitException(code, $"{inv.TaskId} failed on purpose");
                default:
                    var now = Interlocked.Increment(ref _running);
                    int seen;
                    while (now > (seen = Volatile.Read(ref _maxRunning)) && Interlocked.CompareExchange(ref _maxRunning, now, seen) != seen) { }
                    try
                    {
                        if (Gate is { } gate) await gate.Task.WaitAsync(ct);
                        else await Task.Yield();
                        return inv.Parameters.DeepClone();
                    }
                    finally
                    {
                        Interlocked.Decrement(ref _running);
                    }
            }
        }, "cf/value", "cf/work", "cf/fail"));
        return registry;
    }

    protected ExecutionEngine Engine() => new(Registry(), Store);

    private static Workflow Load(string yaml) => WorkflowLoader.Parse(yaml);

    private const string Research = """
        name: research
        outputs:
          report: "${merge.results}"
          count: "${research.count}"
          title: "Report on ${inputs.topic}"
        inputs: { topic: solar }
        tasks:
          - id: plan
            method: cf/value
            params: { value: [a, b, c] }
          - id: research
            dependencies: [plan]
            foreach: "${plan}"
            method: cf/work
            params: { about: "${item}", position: "${index}", text: "item ${index}: ${item} (${inputs.topic})" }
          - id: merge
            dependencies: [research]
            method: cf/work
            params: { results: "${research.results}" }
        """;

    [Test]
    public async Task A_foreach_over_a_referenced_list_runs_one_item_per_element_and_collects_their_results_in_order()
    {
        await using var engine = Engine();

        var run = await engine.RunAsync(Load(Research));

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed), run.Error?.Message);
        for (var i = 0; i < 3; i++)
        {
            var item = run.Tasks[$"research[{i}]"];
            Assert.That(item.Status, Is.EqualTo(WorkflowTaskStatus.Completed));
            Assert.That(item.Attempts, Is.EqualTo(1));
            Assert.That(Calls[$"research[{i}]"], Is.EqualTo(1));
        }
        Assert.That(Calls.ContainsKey("research"), Is.False, "the foreach task itself calls no provider");
        var result = run.GetResult("research")!;
        Assert.That((int)result["count"]!, Is.EqualTo(3));
        Assert.That(result["results"]!.AsArray().Select(r => (string?)r!["about"]), Is.EqualTo(new[] { "a", "b", "c" }));
        Assert.That(result["results"]!.AsArray().Select(r => (int)r!["position"]!), Is.EqualTo(new[] { 0, 1, 2 }), "${index} keeps its type");
        Assert.That((string?)result["results"]![2]!["text"], Is.EqualTo("item 2: c (solar)"));
        Assert.That(run.GetResult("merge")!["results"]!.AsArray().Count, Is.EqualTo(3));

        Assert.That((int)run.Outputs["count"]!, Is.EqualTo(3));
        Assert.That((string?)run.Outputs["title"], Is.EqualTo("Report on solar"));
        Assert.That(run.Outputs["report"]!.AsArray().Select(r => (string?)r!["about"]), Is.EqualTo(new[] { "a", "b", "c" }));

        var stored = await Store.GetRunAsync(run.WorkflowId);
        Assert.That(stored!.Tasks.Keys, Is.SupersetOf(new[] { "plan", "research", "research[0]", "research[1]", "research[2]", "merge" }));
        Assert.That(stored.Tasks["research[1]"].Status, Is.EqualTo(WorkflowTaskStatus.Completed));
        Assert.That((string?)stored.Tasks["research[1]"].Result!["about"], Is.EqualTo("b"));
        Assert.That((int)stored.Outputs["count"]!, Is.EqualTo(3), "outputs are read from the stored run too");
    }

    [Test]
    public async Task A_foreach_over_a_literal_list_binds_each_element_with_its_json_type()
    {
        await using var engine = Engine();
        var workflow = Load("""
            name: literal
            tasks:
              - id: each
                foreach: [1, "two", { three: 3 }]
                method: cf/work
                params: { value: "${item}" }
            """);

        var run = await engine.RunAsync(workflow);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        var results = run.GetResult("each")!["results"]!.AsArray();
        Assert.That((long)results[0]!["value"]!, Is.EqualTo(1));
        Assert.That((string?)results[1]!["value"], Is.EqualTo("two"));
        Assert.That((long)results[2]!["value"]!["three"]!, Is.EqualTo(3));
    }

    [Test]
    public async Task An_empty_list_completes_at_once_with_no_results_and_its_dependents_run()
    {
        await using var engine = Engine();
        var workflow = Load("""
            name: empty
            tasks:
              - id: plan
                method: cf/value
                params: { value: [] }
              - id: each
                dependencies: [plan]
                foreach: "${plan}"
                method: cf/work
                params: { value: "${item}" }
              - id: after
                dependencies: [each]
                method: cf/work
                params: { n: "${each.count}", all: "${each.results}" }
            """);

        var run = await engine.RunAsync(workflow);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That(run.GetResult("each")!["results"]!.AsArray(), Is.Empty);
        Assert.That((int)run.GetResult("after")!["n"]!, Is.EqualTo(0));
        Assert.That(run.Tasks.Keys.Where(k => k.StartsWith("each[", StringComparison.Ordinal)), Is.Empty);
    }

    [Test]
    public async Task A_value_that_is_not_a_list_fails_the_task_naming_its_type_and_skips_its_dependents()
    {
        await using var engine = Engine();
        var workflow = Load("""
            name: not-a-list
            tasks:
              - id: plan
                method: cf/value
                params: { value: { a: 1 } }
              - id: each
                dependencies: [plan]
                foreach: "${plan}"
                method: cf/work
                params: { value: "${item}" }
              - id: after
                dependencies: [each]
                method: cf/work
            """);

        var run = await engine.RunAsync(workflow);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Failed));
        var each = run.Tasks["each"];
        Assert.That(each.Status, Is.EqualTo(WorkflowTaskStatus.Failed));
        Assert.That(each.Error!.Code, Is.EqualTo(GleitzeitErrorCode.TaskForeachNotList));
        Assert.That(each.Error.Message, Does.Contain("${plan}").And.Contain("an object"));
        Assert.That(run.Tasks["after"].Status, Is.EqualTo(WorkflowTaskStatus.Skipped));
        Assert.That(Calls.ContainsKey("after"), Is.False);
    }

    [Test]
    public async Task An_item_that_fails_for_good_fails_the_task_skips_the_items_not_started_and_the_dependents()
    {
        await using var engine = Engine();
        var workflow = Load("""
            name: item-fails
            tasks:
              - id: each
                foreach: [a, b, c, d]
                max_concurrency: 1
                method: cf/fail
                params: { fail_only: "each[1]" }
              - id: after
                dependencies: [each]
                method: cf/work
            """);

        var run = await engine.RunAsync(workflow);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Failed));
        Assert.That(run.Tasks["each[0]"].Status, Is.EqualTo(WorkflowTaskStatus.Completed));
        Assert.That(run.Tasks["each[1]"].Status, Is.EqualTo(WorkflowTaskStatus.Failed));
        Assert.That(run.Tasks["each"].Error!.Code, Is.EqualTo(GleitzeitErrorCode.TaskItemFailed));
        Assert.That(run.Tasks["each"].Error!.Message, Does.Contain("each[1]").And.Contain("failed on purpose"));
        Assert.That(run.Tasks["each[2]"].Status, Is.EqualTo(WorkflowTaskStatus.Skipped));
        Assert.That(run.Tasks["each[3]"].Status, Is.EqualTo(WorkflowTaskStatus.Skipped));
        Assert.That(Calls.ContainsKey("each[2]") || Calls.ContainsKey("each[3]"), Is.False, "items after the failure never start (one at a time)");
        Assert.That(run.Tasks["after"].Status, Is.EqualTo(WorkflowTaskStatus.Skipped));
        var stored = await Store.GetRunAsync(run.WorkflowId);
        Assert.That(stored!.Tasks["each[3]"].Status, Is.EqualTo(WorkflowTaskStatus.Skipped));
    }

    [Test]
    public async Task Each_item_retries_on_its_own()
    {
        var attempts = new ConcurrentDictionary<string, int>();
        var registry = new ProviderRegistry();
        registry.Register(new DelegateProvider("cf/v1", (inv, _) =>
        {
            var n = attempts.AddOrUpdate(inv.TaskId, 1, (_, k) => k + 1);
            if (inv.TaskId == "each[1]" && n == 1) throw new GleitzeitException(GleitzeitErrorCode.ProviderOverloaded, "busy");
            return ValueTask.FromResult<JsonNode?>(new JsonObject { ["n"] = n });
        }, "cf/work"));
        await using var engine = new ExecutionEngine(registry, Store);
        var workflow = new WorkflowBuilder("retry")
            .ForEach("each", new object?[] { "x", "y" }, t => t.WithMethod("cf/work", new JsonObject { ["v"] = "${item}" }).WithRetry(3, TimeSpan.FromMilliseconds(1), jitter: false))
            .Build();

        var run = await engine.RunAsync(workflow);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That(run.Tasks["each[0]"].Attempts, Is.EqualTo(1));
        Assert.That(run.Tasks["each[1]"].Attempts, Is.EqualTo(2));
        Assert.That((int)run.GetResult("each")!["results"]![1]!["n"]!, Is.EqualTo(2));
    }

    [Test]
    public async Task Max_concurrency_bounds_the_items_of_one_foreach_task()
    {
        await using var engine = new ExecutionEngine(Registry(), Store, Microsoft.Extensions.Options.Options.Create(new GleitzeitOptions { MaxConcurrency = 16 }));
        var workflow = Load("""
            name: bounded
            tasks:
              - id: each
                foreach: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
                max_concurrency: 2
                method: cf/work
                params: { v: "${item}" }
            """);
        Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var id = await engine.SubmitAsync(workflow);
        // Wait until two items run; the bound must keep the others back.
        while (Volatile.Read(ref _running) < 2) await Task.Delay(1);
        var during = (await engine.GetRunAsync(id))!;
        Assert.That(during.Tasks.Values.Count(t => t.TaskId.StartsWith("each[", StringComparison.Ordinal) && t.Status == WorkflowTaskStatus.Running), Is.EqualTo(2));
        Assert.That(during.Tasks["each"].Status, Is.EqualTo(WorkflowTaskStatus.Running), "the foreach task runs while its items do");
        Gate.SetResult();

        var run = await engine.WaitAsync(id);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That(MaxRunning, Is.EqualTo(2));
        Assert.That(Calls.Count, Is.EqualTo(10));
    }

    [Test]
    public async Task An_output_that_cannot_be_resolved_fails_the_run_naming_the_output()
    {
        await using var engine = Engine();
        var workflow = Load("""
            name: bad-output
            outputs:
              answer: "${a.missing}"
            tasks:
              - id: a
                method: cf/value
                params: { value: { present: 1 } }
            """);

        var run = await engine.RunAsync(workflow);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Failed));
        Assert.That(run.Error!.Code, Is.EqualTo(GleitzeitErrorCode.WorkflowOutputFailed));
        Assert.That(run.Error.Message, Does.Contain("answer").And.Contain("missing"));
        Assert.That(run.Tasks["a"].Status, Is.EqualTo(WorkflowTaskStatus.Completed));
        Assert.That(run.Outputs, Is.Empty);
    }

    [Test]
    public async Task An_interrupted_foreach_resumes_without_expanding_again_or_rerunning_completed_items()
    {
        var workflow = Load("""
            name: resume
            tasks:
              - id: plan
                method: cf/value
                params: { value: [a, b, c, d] }
              - id: each
                dependencies: [plan]
                foreach: "${plan}"
                max_concurrency: 2
                method: cf/work
                params: { v: "${item}", i: "${index}" }
              - id: after
                dependencies: [each]
                method: cf/work
                params: { all: "${each.results}" }
            """);
        Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        string id;
        var first = new ExecutionEngine(Registry(), Store);
        await using (first)
        {
            id = await first.SubmitAsync(workflow);
            while (Volatile.Read(ref _running) < 2) await Task.Delay(1);
        }
        // Disposed while two items ran: the run is interrupted, its expansion stored.
        var interrupted = await Store.GetRunAsync(id);
        Assert.That(interrupted!.Status, Is.EqualTo(WorkflowStatus.Interrupted));
        Assert.That(interrupted.Tasks.Keys.Count(k => k.StartsWith("each[", StringComparison.Ordinal)), Is.EqualTo(4));
        Assert.That(Calls["plan"], Is.EqualTo(1));

        // Mark one item completed as if it had finished just before the stop: it must not run again.
        await Store.SaveTaskAsync(id, new TaskResult { TaskId = "each[0]", Status = WorkflowTaskStatus.Completed, Result = new JsonObject { ["v"] = "a", ["i"] = 0, ["kept"] = true }, Attempts = 1 });
        Calls.Clear();
        Gate = null;
        await using var second = Engine();

        var run = await second.ResumeAsync(id);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed), run.Error?.Message);
        Assert.That(Calls.ContainsKey("plan"), Is.False, "plan is not run again");
        Assert.That(Calls.ContainsKey("each[0]"), Is.False, "a completed item is not run again");
        Assert.That(Calls.Keys.Where(k => k.StartsWith("each[", StringComparison.Ordinal)), Is.EquivalentTo(new[] { "each[1]", "each[2]", "each[3]" }));
        var results = run.GetResult("each")!["results"]!.AsArray();
        Assert.That((bool?)results[0]!["kept"], Is.True);
        Assert.That(results.Select(r => (string?)r!["v"]), Is.EqualTo(new[] { "a", "b", "c", "d" }));
        Assert.That(run.Tasks.Keys.Count(k => k.StartsWith("each[", StringComparison.Ordinal)), Is.EqualTo(4));
    }

    [Test]
    public async Task A_resumed_run_whose_items_all_completed_completes_the_foreach_task()
    {
        var workflow = Load("""
            name: resume-done
            tasks:
              - id: each
                foreach: [x, y]
                method: cf/work
                params: { v: "${item}" }
            """);
        Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        string id;
        await using (var first = Engine())
        {
            id = await first.SubmitAsync(workflow);
            while (Volatile.Read(ref _running) < 2) await Task.Delay(1);
        }
        await Store.SaveTasksAsync(id, [
            new TaskResult { TaskId = "each[0]", Status = WorkflowTaskStatus.Completed, Result = new JsonObject { ["v"] = "x" }, Attempts = 1 },
            new TaskResult { TaskId = "each[1]", Status = WorkflowTaskStatus.Completed, Result = new JsonObject { ["v"] = "y" }, Attempts = 1 },
        ]);
        Calls.Clear();
        Gate = null;
        await using var second = Engine();

        var run = await second.ResumeAsync(id);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That(Calls, Is.Empty);
        Assert.That(run.GetResult("each")!["results"]!.AsArray().Select(r => (string?)r!["v"]), Is.EqualTo(new[] { "x", "y" }));
    }

    [Test]
    public async Task A_resumed_run_with_an_item_that_failed_fails_the_foreach_task_and_skips_the_rest()
    {
        var workflow = Load("""
            name: resume-failed
            tasks:
              - id: each
                foreach: [x, y, z]
                max_concurrency: 1
                method: cf/work
                params: { v: "${item}" }
              - id: after
                dependencies: [each]
                method: cf/work
            """);
        Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        string id;
        await using (var first = Engine())
        {
            id = await first.SubmitAsync(workflow);
            while (Volatile.Read(ref _running) < 1) await Task.Delay(1);
        }
        await Store.SaveTaskAsync(id, new TaskResult { TaskId = "each[0]", Status = WorkflowTaskStatus.Failed, Error = new GleitzeitError(GleitzeitErrorCode.TaskExecutionFailed, "boom"), Attempts = 1 });
        Calls.Clear();
        Gate = null;
        await using var second = Engine();

        var run = await second.ResumeAsync(id);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Failed));
        Assert.That(run.Tasks["each"].Error!.Code, Is.EqualTo(GleitzeitErrorCode.TaskItemFailed));
        Assert.That(run.Tasks["each[1]"].Status, Is.EqualTo(WorkflowTaskStatus.Skipped));
        Assert.That(run.Tasks["after"].Status, Is.EqualTo(WorkflowTaskStatus.Skipped));
        Assert.That(Calls, Is.Empty);
    }

    [Test]
    public async Task Cancelling_a_run_cancels_its_items()
    {
        Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var engine = Engine();
        var id = await engine.SubmitAsync(Load("""
            name: cancel
            tasks:
              - id: each
                foreach: [1, 2, 3, 4]
                max_concurrency: 2
                method: cf/work
            """));
        while (Volatile.Read(ref _running) < 2) await Task.Delay(1);

        await engine.CancelAsync(id);
        var run = await engine.WaitAsync(id);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Cancelled));
        Assert.That(Enumerable.Range(0, 4).Select(i => run.Tasks[$"each[{i}]"].Status), Has.All.EqualTo(WorkflowTaskStatus.Cancelled));
        var stored = await Store.GetRunAsync(id);
        Assert.That(stored!.Tasks.Values.Where(t => t.TaskId.StartsWith("each[", StringComparison.Ordinal)).Select(t => t.Status), Has.All.EqualTo(WorkflowTaskStatus.Cancelled));
    }

    [Test]
    public async Task Items_of_a_large_foreach_each_run_exactly_once()
    {
        await using var engine = Engine();
        var list = new JsonArray(Enumerable.Range(0, 2000).Select(i => (JsonNode?)JsonValue.Create(i)).ToArray());
        var workflow = new WorkflowBuilder("large")
            .AddTask("plan", "cf/value", new JsonObject { ["value"] = list })
            .ForEach("each", "${plan}", t => t.DependsOn("plan").WithMethod("cf/work", new JsonObject { ["v"] = "${item}" }))
            .Build();

        var run = await engine.RunAsync(workflow);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That(Calls.Count(kv => kv.Key.StartsWith("each[", StringComparison.Ordinal)), Is.EqualTo(2000));
        Assert.That(Calls.Values, Has.All.EqualTo(1));
        var results = run.GetResult("each")!["results"]!.AsArray();
        Assert.That(results.Select(r => (int)r!["v"]!), Is.EqualTo(Enumerable.Range(0, 2000)));
    }
}
