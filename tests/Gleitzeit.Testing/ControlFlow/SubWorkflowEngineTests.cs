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
/// <c>workflow/run</c> sub-workflows run by the engine against a store: files relative to the parent, registered names,
/// the child's own run linked by its parent id, failures, cancellation and resume. Each store's project derives a fixture.
/// </summary>
[TestFixture]
public abstract class SubWorkflowEngineTests
{
    private IWorkflowStore? _store;
    private string _dir = "";

    /// <summary>Returns a new, empty store for one test.</summary>
    protected abstract ValueTask<IWorkflowStore> CreateStoreAsync();

    protected IWorkflowStore Store => _store ?? throw new InvalidOperationException("no store");

    protected ConcurrentDictionary<string, int> Calls { get; } = new(StringComparer.Ordinal);

    protected TaskCompletionSource? Gate { get; set; }

    private int _waiting;

    [SetUp]
    public async Task SetUpAsync()
    {
        _store = await CreateStoreAsync();
        _dir = Path.Combine(Path.GetTempPath(), "gleitzeit-sub-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
        Calls.Clear();
        Gate = null;
        _waiting = 0;
    }

    [TearDown]
    public async Task TearDownAsync()
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
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    protected ProviderRegistry Registry()
    {
        var registry = new ProviderRegistry();
        registry.Register(new DelegateProvider("cf/v1", async (inv, ct) =>
        {
            Calls.AddOrUpdate(inv.WorkflowId + "/" + inv.TaskId, 1, (_, n) => n + 1);
            if (inv.Request.Method == "cf/fail") throw new GleitzeitException(GleitzeitErrorCode.TaskExecutionFailed, $"{inv.TaskId} failed on purpose");
            if (inv.Request.Method == "cf/hold" && Gate is { } gate)
            {
                Interlocked.Increment(ref _waiting);
                await gate.Task.WaitAsync(ct);
            }
            return inv.Parameters.DeepClone();
        }, "cf/work", "cf/fail", "cf/hold"));
        return registry;
    }

    private string Write(string name, string yaml)
    {
        var path = Path.Combine(_dir, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, yaml);
        return path;
    }

    private const string Refine = """
        name: refine
        inputs: { draft: "" }
        outputs:
          text: "${polish.text}"
          score: "${score.value}"
        tasks:
          - id: polish
            method: cf/work
            params: { text: "polished ${inputs.draft}" }
          - id: score
            dependencies: [polish]
            method: cf/work
            params: { value: 8 }
        """;

    private const string Parent = """
        name: parent
        outputs: { final: "${refine.outputs.text}" }
        tasks:
          - id: draft
            method: cf/work
            params: { text: first }
          - id: refine
            dependencies: [draft]
            method: workflow/run
            params: { workflow: sub/refine.yaml, inputs: { draft: "${draft.text}" } }
        """;

    [Test]
    public async Task A_sub_workflow_file_runs_as_a_child_run_linked_to_its_parent_and_answers_its_outputs()
    {
        Write("sub/refine.yaml", Refine);
        var parent = WorkflowLoader.LoadFile(Write("parent.yaml", Parent), registry: Registry());
        await using var engine = new ExecutionEngine(Registry(), Store);

        var run = await engine.RunAsync(parent);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed), run.Error?.Message);
        var result = run.GetResult("refine")!;
        var childId = (string)result["workflow_id"]!;
        Assert.That(childId, Is.EqualTo(run.WorkflowId + ".refine"));
        Assert.That((string?)result["status"], Is.EqualTo("completed"));
        Assert.That((string?)result["outputs"]!["text"], Is.EqualTo("polished first"));
        Assert.That((long)result["outputs"]!["score"]!, Is.EqualTo(8));
        Assert.That((string?)run.Outputs["final"], Is.EqualTo("polished first"));
        var child = await Store.GetRunAsync(childId);
        Assert.That(child!.ParentId, Is.EqualTo(run.WorkflowId));
        Assert.That(child.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That(child.Tasks.Keys, Is.EquivalentTo(new[] { "polish", "score" }));
    }

    [Test]
    public async Task A_registered_workflow_runs_by_name_from_the_builder()
    {
        await using var engine = new ExecutionEngine(Registry(), Store);
        engine.RegisterWorkflow("refine", WorkflowLoader.Parse(Refine, registry: Registry()));
        var parent = new WorkflowBuilder("parent")
            .AddTask("draft", "cf/work", new JsonObject { ["text"] = "second" })
            .RunWorkflow("refine", "refine", new { draft = "${draft.text}" }, t => t.DependsOn("draft"))
            .Output("final", "${refine.outputs.text}")
            .Build();

        var run = await engine.RunAsync(parent);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed), run.Error?.Message);
        Assert.That((string?)run.Outputs["final"], Is.EqualTo("polished second"));
    }

    [Test]
    public async Task A_child_that_fails_fails_the_task_and_the_parent()
    {
        Write("bad.yaml", "name: bad\ntasks:\n  - id: x\n    method: cf/fail\n");
        var parent = WorkflowLoader.LoadFile(Write("parent.yaml", "name: p\ntasks:\n  - id: sub\n    method: workflow/run\n    params: { workflow: bad.yaml }\n"), registry: Registry());
        await using var engine = new ExecutionEngine(Registry(), Store);

        var run = await engine.RunAsync(parent);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Failed));
        var error = run.Tasks["sub"].Error!;
        Assert.That(error.Code, Is.EqualTo(GleitzeitErrorCode.TaskSubworkflowFailed));
        Assert.That(error.Message, Does.Contain(run.WorkflowId + ".sub").And.Contain("failed"));
        Assert.That((string?)error.Data!["status"], Is.EqualTo("failed"));
    }

    [Test]
    public void A_missing_or_invalid_child_file_and_a_cycle_are_refused_before_anything_runs()
    {
        var missing = Assert.Throws<WorkflowValidationException>(() =>
            WorkflowLoader.LoadFile(Write("p1.yaml", "name: p\ntasks:\n  - id: sub\n    method: workflow/run\n    params: { workflow: nope.yaml }\n"), registry: Registry()))!;
        Assert.That(missing.Errors[0].Message, Does.Contain("'nope.yaml' not found"));
        Assert.That(missing.Errors[0].Location!.Line, Is.EqualTo(5));
        Assert.That(missing.Errors[0].Location!.Column, Is.EqualTo(25));

        var child = Write("child.yaml", "name: c\ntasks:\n  - id: x\n    method: cf/work\n    dependencies: [ghost]\n");
        var invalid = Assert.Throws<WorkflowValidationException>(() =>
            WorkflowLoader.LoadFile(Write("p2.yaml", "name: p\ntasks:\n  - id: sub\n    method: workflow/run\n    params: { workflow: child.yaml }\n"), registry: Registry()))!;
        Assert.That(invalid.Errors[0].Message, Does.Contain("sub-workflow 'child.yaml' is invalid").And.Contain(child + ":5:20").And.Contain("ghost"));

        Write("a.yaml", "name: a\ntasks:\n  - id: sub\n    method: workflow/run\n    params: { workflow: b.yaml }\n");
        Write("b.yaml", "name: b\ntasks:\n  - id: sub\n    method: workflow/run\n    params: { workflow: a.yaml }\n");
        var cycle = Assert.Throws<WorkflowValidationException>(() => WorkflowLoader.LoadFile(Path.Combine(_dir, "a.yaml"), registry: Registry()))!;
        Assert.That(cycle.Errors[0].Code, Is.EqualTo(GleitzeitErrorCode.WorkflowSubworkflowCycle));
        Assert.That(cycle.Message, Does.Contain("a.yaml -> b.yaml -> a.yaml").Or.Contain("b.yaml -> a.yaml -> b.yaml"));
    }

    [Test]
    public async Task An_unknown_registered_name_is_refused_when_the_engine_validates()
    {
        await using var engine = new ExecutionEngine(Registry(), Store);
        engine.RegisterWorkflow("refine", WorkflowLoader.Parse(Refine, registry: Registry()));
        var parent = new WorkflowBuilder("parent").RunWorkflow("sub", "refin").Build();

        WorkflowValidationException? ex = null;
        try
        {
            await engine.RunAsync(parent);
        }
        catch (WorkflowValidationException caught)
        {
            ex = caught;
        }

        Assert.That(ex, Is.Not.Null, "the engine refuses the run before it starts");

        Assert.That(ex!.Message, Does.Contain("no workflow is registered as 'refin'").And.Contain("refine"));
    }

    [Test]
    public async Task Cancelling_the_parent_cancels_the_child()
    {
        Write("hold.yaml", "name: hold\ntasks:\n  - id: h\n    method: cf/hold\n");
        var parent = WorkflowLoader.LoadFile(Write("parent.yaml", "name: p\ntasks:\n  - id: sub\n    method: workflow/run\n    params: { workflow: hold.yaml }\n"), registry: Registry());
        Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var engine = new ExecutionEngine(Registry(), Store);
        var id = await engine.SubmitAsync(parent);
        while (Volatile.Read(ref _waiting) < 1) await Task.Delay(1);

        await engine.CancelAsync(id);
        var run = await engine.WaitAsync(id);
        var child = await engine.WaitAsync(id + ".sub");

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Cancelled));
        Assert.That(child.Status, Is.EqualTo(WorkflowStatus.Cancelled));
        Assert.That((await Store.GetRunAsync(id + ".sub"))!.Status, Is.EqualTo(WorkflowStatus.Cancelled));
    }

    [Test]
    public async Task An_interrupted_parent_resumes_its_child_without_rerunning_what_the_child_completed()
    {
        Write("child.yaml", "name: c\ntasks:\n  - id: first\n    method: cf/work\n  - id: second\n    dependencies: [first]\n    method: cf/hold\n");
        var parent = WorkflowLoader.LoadFile(Write("parent.yaml", "name: p\ntasks:\n  - id: sub\n    method: workflow/run\n    params: { workflow: child.yaml }\n  - id: after\n    dependencies: [sub]\n    method: cf/work\n"), registry: Registry());
        Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        string id;
        await using (var first = new ExecutionEngine(Registry(), Store))
        {
            id = await first.SubmitAsync(parent);
            while (Volatile.Read(ref _waiting) < 1) await Task.Delay(1);
        }
        Assert.That((await Store.GetRunAsync(id))!.Status, Is.EqualTo(WorkflowStatus.Interrupted));
        Assert.That((await Store.GetRunAsync(id + ".sub"))!.Status, Is.EqualTo(WorkflowStatus.Interrupted));
        Gate = null;
        await using var second = new ExecutionEngine(Registry(), Store);

        var run = await second.ResumeAsync(id);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed), run.Error?.Message);
        Assert.That(Calls[id + ".sub/first"], Is.EqualTo(1), "the child's completed task is not run again");
        Assert.That(Calls[id + ".sub/second"], Is.EqualTo(2), "the child's interrupted task runs again");
        Assert.That((await Store.GetRunAsync(id + ".sub"))!.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That(Calls[id + "/after"], Is.EqualTo(1));
    }

    [Test]
    public async Task Each_iteration_of_a_loop_task_runs_a_child_of_its_own_until_the_childs_output_says_stop()
    {
        Write("step.yaml", "name: step\ninputs: { n: 0 }\noutputs: { n: \"${echo.n}\" }\ntasks:\n  - id: echo\n    method: cf/work\n    params: { n: \"${inputs.n}\" }\n");
        var parent = WorkflowLoader.LoadFile(Write("parent.yaml", """
            name: p
            outputs: { last: "${repeat.outputs.n}" }
            tasks:
              - id: repeat
                method: workflow/run
                loop:
                  until: "${self.outputs.n} >= 3"
                  max_iterations: 5
                params: { workflow: step.yaml, inputs: { n: "${iteration}" } }
            """), registry: Registry());
        await using var engine = new ExecutionEngine(Registry(), Store);

        var run = await engine.RunAsync(parent);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed), run.Error?.Message);
        var task = run.Tasks["repeat"];
        Assert.That(task.Iteration, Is.EqualTo(3));
        Assert.That((long)run.Outputs["last"]!, Is.EqualTo(3));
        var expectedIds = new[] { run.WorkflowId + ".repeat", run.WorkflowId + ".repeat#2", run.WorkflowId + ".repeat#3" };
        Assert.That(task.History.Select(h => (string?)h.Result!["workflow_id"]), Is.EqualTo(expectedIds));
        Assert.That(task.History.Select(h => (long)h.Result!["outputs"]!["n"]!), Is.EqualTo(new long[] { 1, 2, 3 }));
        for (var i = 0; i < expectedIds.Length; i++)
        {
            var child = await Store.GetRunAsync(expectedIds[i]);
            Assert.That(child!.Status, Is.EqualTo(WorkflowStatus.Completed));
            Assert.That(child.ParentId, Is.EqualTo(run.WorkflowId));
            Assert.That(Calls[expectedIds[i] + "/echo"], Is.EqualTo(1), "every iteration's child runs once");
        }
        Assert.That(await Store.GetRunAsync(run.WorkflowId + ".repeat#4"), Is.Null);
    }

    [Test]
    public async Task A_loop_interrupted_in_its_second_childs_run_resumes_that_child_and_reruns_no_earlier_iteration()
    {
        Write("step.yaml", "name: step\ninputs: { n: 0 }\noutputs: { n: \"${echo.n}\" }\ntasks:\n  - id: echo\n    method: cf/work\n    params: { n: \"${inputs.n}\" }\n  - id: h\n    dependencies: [echo]\n    when: \"${inputs.n} >= 2\"\n    method: cf/hold\n");
        var parent = WorkflowLoader.LoadFile(Write("parent.yaml", """
            name: p
            tasks:
              - id: repeat
                method: workflow/run
                loop:
                  until: "${self.outputs.n} >= 2"
                  max_iterations: 4
                params: { workflow: step.yaml, inputs: { n: "${iteration}" } }
            """), registry: Registry());
        Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        string id;
        await using (var first = new ExecutionEngine(Registry(), Store))
        {
            id = await first.SubmitAsync(parent);
            var ended = first.WaitAsync(id);
            while (Volatile.Read(ref _waiting) < 1 && !ended.IsCompleted) await Task.Delay(1);
            Assert.That(ended.IsCompleted, Is.False, "the second iteration's child holds the run");
        }
        Assert.That((await Store.GetRunAsync(id))!.Status, Is.EqualTo(WorkflowStatus.Interrupted));
        Assert.That((await Store.GetRunAsync(id + ".repeat"))!.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That((await Store.GetRunAsync(id + ".repeat#2"))!.Status, Is.EqualTo(WorkflowStatus.Interrupted));
        Gate = null;
        await using var second = new ExecutionEngine(Registry(), Store);

        var run = await second.ResumeAsync(id);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed), run.Error?.Message);
        Assert.That(run.Tasks["repeat"].Iteration, Is.EqualTo(2));
        Assert.That((string?)run.GetResult("repeat")!["workflow_id"], Is.EqualTo(id + ".repeat#2"));
        Assert.That(Calls[id + ".repeat/echo"], Is.EqualTo(1), "the first iteration's child is not run again");
        Assert.That(Calls[id + ".repeat#2/echo"], Is.EqualTo(1), "the second child's completed task is not run again");
        Assert.That(Calls[id + ".repeat#2/h"], Is.EqualTo(2), "the second child's interrupted task runs again");
        Assert.That(await Store.GetRunAsync(id + ".repeat#3"), Is.Null);
    }
}
