using System.Text.Json.Nodes;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Protocol;
using Gleitzeit.Testing;
using Microsoft.Extensions.Options;

namespace Gleitzeit.Core.Tests.Execution;

/// <summary>
/// A dependent that starts at once (the engine idle otherwise) is stored queued and running in the same write as the
/// completion that made it ready, so a chain costs one store write (one commit on SQLite) per task; the stored history
/// is the same as before. Anything else is queued first and stores its start on its own.
/// </summary>
public sealed class DirectStartTests
{
    private static async Task<List<string>> WritesAsync(Workflow workflow, int maxConcurrency)
    {
        var registry = new ProviderRegistry();
        registry.Register(new DelegateProvider("echo/v1", static (inv, _) => ValueTask.FromResult<JsonNode?>(new JsonObject { ["response"] = inv.TaskId }), "echo"));
        var store = new FailingWritesStore();
        await using var engine = new ExecutionEngine(registry, store, Options.Create(new GleitzeitOptions { MaxConcurrency = maxConcurrency }));
        var run = await engine.RunAsync(workflow);
        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That(run.Tasks.Values.Select(t => t.Attempts), Is.All.EqualTo(1));
        var events = (await store.GetEventsAsync(run.WorkflowId)).Where(e => e.TaskId is not null).ToList();
        foreach (var id in run.Tasks.Keys)
        {
            Assert.That(events.Where(e => e.TaskId == id).Select(e => e.Status), Is.EqualTo(new[] { "queued", "running", "completed" }), $"{id}'s stored history");
        }
        return store.TaskWrites.Select(w => string.Join(", ", w)).ToList();
    }

    private static WorkflowBuilder Echo(WorkflowBuilder builder, string id, params string[] after) =>
        builder.AddTask(id, "echo", new JsonObject { ["message"] = after.Length == 0 ? id : "${" + after[0] + ".response}" }, t => t.WithProtocol("echo/v1").DependsOn(after));

    [Test]
    public async Task A_chains_next_task_starts_in_the_write_of_the_completion_before_it()
    {
        var chain = Echo(Echo(Echo(new WorkflowBuilder("chain"), "a"), "b", "a"), "c", "b").Build();

        var writes = await WritesAsync(chain, maxConcurrency: 4);

        Assert.That(writes, Does.Contain("a completed, b queued, b running"));
        Assert.That(writes, Does.Contain("b completed, c queued, c running"));
        Assert.That(writes, Does.Not.Contain("b running").And.Not.Contain("c running"), "the attempt does not store its start again");
    }

    [Test]
    public async Task Two_dependents_made_ready_together_store_their_starts_on_their_own()
    {
        var fan = Echo(Echo(Echo(new WorkflowBuilder("fan"), "a"), "b", "a"), "c", "a").Build();

        var writes = await WritesAsync(fan, maxConcurrency: 4);

        Assert.That(writes, Does.Contain("a completed, b queued, c queued"));
        Assert.That(writes, Does.Contain("b running").And.Contain("c running"));
    }

    [Test]
    public async Task A_dependent_with_another_task_ahead_in_the_queue_stores_its_start_on_its_own()
    {
        // One slot: when a completes, d (independent, queued since the start) is ahead, so b is queued, not started.
        var workflow = Echo(Echo(Echo(new WorkflowBuilder("busy"), "a"), "b", "a"), "d").Build();

        var writes = await WritesAsync(workflow, maxConcurrency: 1);

        Assert.That(writes, Does.Contain("a completed, b queued"));
        Assert.That(writes, Does.Contain("b running"));
    }
}
