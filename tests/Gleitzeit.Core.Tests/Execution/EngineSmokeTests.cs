using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Protocol;
using Gleitzeit.Testing;

namespace Gleitzeit.Core.Tests.Execution;

public class EngineSmokeTests
{
    [Test]
    public async Task Chain_passes_results_through_references()
    {
        var registry = new ProviderRegistry();
        registry.Register(DelegateProvider.Echo());
        await using var engine = new ExecutionEngine(registry);
        var wf = new WorkflowBuilder("chain")
            .AddTask("a", "echo", new JsonObject { ["message"] = "hi" }, t => t.WithProtocol("echo/v1"))
            .AddTask("b", "echo", new JsonObject { ["message"] = "a said ${a.response}" }, t => t.WithProtocol("echo/v1").DependsOn("a"))
            .Build();

        var run = await engine.RunAsync(wf);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        Assert.That((string?)run.GetResult("b")!["response"], Is.EqualTo("a said hi"));
    }
}
