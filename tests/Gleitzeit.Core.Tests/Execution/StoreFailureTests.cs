using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Protocol;
using Gleitzeit.Testing;

namespace Gleitzeit.Core.Tests.Execution;

/// <summary>A store that stops taking writes (a full disk) ends the run failed with PERSISTENCE_WRITE_FAILED instead of
/// hanging it, and the run is resumable once the store works again (issue 15.4).</summary>
public sealed class StoreFailureTests
{
    // Guards against the hang this fixes: without the fix the run never finishes.
    private static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(1);

    private static (ProviderRegistry Registry, Func<int> Calls) Registry(FailingWritesStore store, string fillDiskAt)
    {
        var calls = 0;
        var filled = 0;
        var registry = new ProviderRegistry();
        registry.Register(new DelegateProvider("echo/v1", (inv, _) =>
        {
            Interlocked.Increment(ref calls);
            if (inv.TaskId == fillDiskAt && Interlocked.Exchange(ref filled, 1) == 0) store.Full = true;
            return ValueTask.FromResult<JsonNode?>(new JsonObject { ["response"] = inv.Parameters["message"]?.DeepClone() });
        }, "echo"));
        return (registry, () => Volatile.Read(ref calls));
    }

    private static Workflow Chain() => new WorkflowBuilder("full-disk")
        .AddTask("a", "echo", new JsonObject { ["message"] = "a" }, t => t.WithProtocol("echo/v1"))
        .AddTask("b", "echo", new JsonObject { ["message"] = "${a.response} b" }, t => t.WithProtocol("echo/v1").DependsOn("a"))
        .AddTask("c", "echo", new JsonObject { ["message"] = "c" }, t => t.WithProtocol("echo/v1"))
        .Build();

    [Test]
    public async Task A_completion_the_store_refuses_ends_the_run_failed_instead_of_hanging_and_it_resumes_once_space_is_back()
    {
        var store = new FailingWritesStore();
        var (registry, calls) = Registry(store, fillDiskAt: "a");
        await using var engine = new ExecutionEngine(registry, store, Microsoft.Extensions.Options.Options.Create(new GleitzeitOptions { MaxConcurrency = 1 }));

        var run = await engine.RunAsync(Chain()).WaitAsync(HangGuard);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Failed));
        Assert.That(run.Error?.Code, Is.EqualTo(GleitzeitErrorCode.PersistenceWriteFailed));
        Assert.That(run.Error?.Message, Does.Contain("full"));
        Assert.That(run.Tasks["b"].Status, Is.Not.EqualTo(WorkflowTaskStatus.Completed));

        store.Full = false;
        var stored = await store.GetRunAsync(run.WorkflowId);
        Assert.That(stored!.IsFinished, Is.False, "the final status could not be written either: the store still holds the run unfinished");
        var before = calls();
        var resumed = await engine.ResumeAsync(run.WorkflowId).WaitAsync(HangGuard);

        Assert.That(resumed.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That((string?)resumed.GetResult("b")!["response"], Is.EqualTo("a b"));
        Assert.That(calls() - before, Is.GreaterThanOrEqualTo(2), "what was not stored runs again");
    }

    [Test]
    public async Task A_completion_refused_together_with_its_dependents_start_gives_the_slot_back_and_resumes()
    {
        // A lone chain: b starts at once, so it is stored running in a's completion write; that write is refused.
        var store = new FailingWritesStore();
        var (registry, calls) = Registry(store, fillDiskAt: "a");
        await using var engine = new ExecutionEngine(registry, store, Microsoft.Extensions.Options.Options.Create(new GleitzeitOptions { MaxConcurrency = 1 }));
        var chain = new WorkflowBuilder("lone-chain")
            .AddTask("a", "echo", new JsonObject { ["message"] = "a" }, t => t.WithProtocol("echo/v1"))
            .AddTask("b", "echo", new JsonObject { ["message"] = "${a.response} b" }, t => t.WithProtocol("echo/v1").DependsOn("a"))
            .Build();

        var run = await engine.RunAsync(chain).WaitAsync(HangGuard);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Failed));
        Assert.That(run.Error?.Code, Is.EqualTo(GleitzeitErrorCode.PersistenceWriteFailed));
        Assert.That(calls(), Is.EqualTo(1), "b never started: its start was part of the refused write");

        store.Full = false;
        // The single slot the refused start had taken is free again: the resumed run gets it.
        var resumed = await engine.ResumeAsync(run.WorkflowId).WaitAsync(HangGuard);
        Assert.That(resumed.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That((string?)resumed.GetResult("b")!["response"], Is.EqualTo("a b"));
    }

    [TestCase("a")]
    [TestCase("c")]
    public async Task Failures_cancellations_and_queued_states_the_store_refuses_never_hang_the_run(string fillDiskAt)
    {
        var store = new FailingWritesStore();
        var (registry, _) = Registry(store, fillDiskAt);
        await using var engine = new ExecutionEngine(registry, store);
        var workflow = new WorkflowBuilder("wide")
            .AddTask("a", "echo", new JsonObject { ["message"] = "a" }, t => t.WithProtocol("echo/v1"))
            .AddTask("b", "echo", new JsonObject { ["message"] = "${a.response}" }, t => t.WithProtocol("echo/v1").DependsOn("a"))
            .AddTask("c", "echo", new JsonObject { ["message"] = "c" }, t => t.WithProtocol("echo/v1"))
            .AddTask("d", "echo", new JsonObject { ["message"] = "${c.response}" }, t => t.WithProtocol("echo/v1").DependsOn("c"))
            .AddTask("e", "echo", new JsonObject { ["message"] = "e" }, t => t.WithProtocol("echo/v1"))
            .Build();

        var run = await engine.RunAsync(workflow).WaitAsync(HangGuard);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Failed));
        Assert.That(run.Error?.Code, Is.EqualTo(GleitzeitErrorCode.PersistenceWriteFailed));
        Assert.That(store.RefusedWrites, Is.GreaterThan(0));
    }

    [Test]
    public async Task A_run_stored_failed_by_a_write_failure_is_resumable()
    {
        var store = new FailingWritesStore();
        var (registry, _) = Registry(store, fillDiskAt: "none");
        await using var engine = new ExecutionEngine(registry, store);
        var workflow = Chain() with { Id = "stored-failed" };
        await store.CreateRunAsync(new WorkflowRun
        {
            WorkflowId = "stored-failed", Name = workflow.Name, Workflow = workflow, CreatedAt = DateTimeOffset.UtcNow,
            Tasks = workflow.Tasks.ToDictionary(t => t.Id, t => TaskResult.Pending(t.Id)),
        });
        await store.UpdateRunStatusAsync("stored-failed", WorkflowStatus.Failed, DateTimeOffset.UtcNow,
            new GleitzeitError(GleitzeitErrorCode.PersistenceWriteFailed, "disk full"));

        var resumed = await engine.ResumeAsync("stored-failed");

        Assert.That(resumed.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That(resumed.Error, Is.Null);
    }
    [Test]
    public async Task A_dependent_started_directly_whose_write_fails_after_another_failure_stopped_the_run_still_ends()
    {
        // b's completion (with b2 started directly, so b2 counts as in flight) is being written when a's completion
        // fails and stops the run: the stop passes b2 over as in flight. Then b's write fails too. The CLI hung here
        // once (a full disk with two independent chains): b2 was neither finished nor in flight, and nothing ended it.
        var store = new FailingWritesStore();
        var bWriting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stopWritten = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        store.BeforeWrite = async tasks =>
        {
            if (tasks.Any(t => t.TaskId == "b" && t.Status == WorkflowTaskStatus.Completed))
            {
                bWriting.TrySetResult();
                await stopWritten.Task;
                throw new GleitzeitException(GleitzeitErrorCode.PersistenceWriteFailed, "The disk holding the store is full: database or disk is full.");
            }
            if (tasks.Any(t => t.TaskId == "a" && t.Status == WorkflowTaskStatus.Completed))
            {
                await bWriting.Task;
                throw new GleitzeitException(GleitzeitErrorCode.PersistenceWriteFailed, "The disk holding the store is full: database or disk is full.");
            }
            if (tasks.Any(t => t.Status == WorkflowTaskStatus.Cancelled)) stopWritten.TrySetResult();
        };
        var registry = new ProviderRegistry();
        registry.Register(DelegateProvider.Echo());
        await using var engine = new ExecutionEngine(registry, store, Microsoft.Extensions.Options.Options.Create(new GleitzeitOptions { MaxConcurrency = 4 }));
        var workflow = new WorkflowBuilder("two-chains")
            .AddTask("a", "echo", new JsonObject { ["message"] = "a" }, t => t.WithProtocol("echo/v1"))
            .AddTask("a2", "echo", new JsonObject { ["message"] = "${a.response}" }, t => t.WithProtocol("echo/v1").DependsOn("a"))
            .AddTask("a3", "echo", new JsonObject { ["message"] = "${a2.response}" }, t => t.WithProtocol("echo/v1").DependsOn("a2"))
            .AddTask("b", "echo", new JsonObject { ["message"] = "b" }, t => t.WithProtocol("echo/v1"))
            .AddTask("b2", "echo", new JsonObject { ["message"] = "${b.response}" }, t => t.WithProtocol("echo/v1").DependsOn("b"))
            .Build();

        var run = await engine.RunAsync(workflow).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Failed));
        Assert.That(run.Error?.Code, Is.EqualTo(GleitzeitErrorCode.PersistenceWriteFailed));
        Assert.That(run.Tasks["b2"].Status, Is.EqualTo(WorkflowTaskStatus.Cancelled), "ended by the run's stop, not run");
        Assert.That(run.Tasks.Values.Select(t => t.Status), Has.None.EqualTo(WorkflowTaskStatus.Running).And.None.EqualTo(WorkflowTaskStatus.Queued));
    }
}
