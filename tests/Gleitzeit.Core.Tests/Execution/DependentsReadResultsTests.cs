using System.Text.Json.Nodes;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Protocol;
using Gleitzeit.Testing;

namespace Gleitzeit.Core.Tests.Execution;

/// <summary>
/// A dependent that starts the moment its dependency completes must see that dependency's result (regression: the
/// dependents were queued before the completed state was applied, so one of several fast dependents could fail with
/// "task 'a' has no result").
/// </summary>
public class DependentsReadResultsTests
{
    [Test]
    public async Task Fast_dependents_always_see_the_result_they_reference()
    {
        var registry = new ProviderRegistry();
        registry.Register(DelegateProvider.Echo());
        await using var engine = new ExecutionEngine(registry);
        var builder = new WorkflowBuilder("fan-out").AddTask("a", "echo", new JsonObject { ["message"] = "hello" }, t => t.WithProtocol("echo/v1"));
        for (var i = 0; i < 8; i++)
        {
            builder.AddTask($"d{i}", "echo", new JsonObject { ["message"] = "${a.response}" }, t => t.WithProtocol("echo/v1").DependsOn("a"));
        }
        var workflow = builder.Build();

        for (var run = 0; run < 100; run++)
        {
            var result = await engine.RunAsync(workflow);

            Assert.That(result.Status, Is.EqualTo(WorkflowStatus.Completed),
                $"run {run}: " + string.Join("; ", result.Tasks.Values.Where(t => t.Error is not null).Select(t => $"{t.TaskId}: {t.Error}")));
        }
    }

    [Test]
    public async Task A_join_starts_only_after_every_dependency_is_stored_and_visible()
    {
        var store = new Gleitzeit.Core.Persistence.InMemoryWorkflowStore();
        var registry = new ProviderRegistry();
        registry.Register(DelegateProvider.Echo());
        await using var engine = new ExecutionEngine(registry, store, Microsoft.Extensions.Options.Options.Create(new GleitzeitOptions { MaxConcurrency = 16 }));
        var builder = new WorkflowBuilder("joins");
        for (var j = 0; j < 50; j++)
        {
            var parts = Enumerable.Range(0, 4).Select(i => $"p{j}_{i}").ToArray();
            foreach (var part in parts) builder.AddTask(part, "echo", new JsonObject { ["message"] = part }, t => t.WithProtocol("echo/v1"));
            builder.AddTask($"join{j}", "echo", new JsonObject { ["message"] = string.Join("+", parts.Select(p => $"${{{p}.response}}")) },
                t => t.WithProtocol("echo/v1").DependsOn(parts));
        }
        var workflow = builder.Build();

        for (var run = 0; run < 40; run++)
        {
            var result = await engine.RunAsync(workflow);

            Assert.That(result.Status, Is.EqualTo(WorkflowStatus.Completed),
                $"run {run}: " + string.Join("; ", result.Tasks.Values.Where(t => t.Error is not null).Take(3).Select(t => $"{t.TaskId}: {t.Error}")));
            // In the stored history, every part's completion precedes its join's queued transition.
            var history = await store.GetEventsAsync(result.WorkflowId);
            var position = history.Select((e, i) => (e, i)).Where(x => x.e.TaskId is not null)
                .GroupBy(x => (x.e.TaskId!, x.e.Status)).ToDictionary(g => g.Key, g => g.First().i);
            for (var j = 0; j < 50; j++)
            {
                for (var i = 0; i < 4; i++)
                {
                    Assert.That(position[($"p{j}_{i}", "completed")], Is.LessThan(position[($"join{j}", "queued")]), $"run {run}, join{j}");
                }
            }
        }
    }
}
