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
}
