using System.Text.Json.Nodes;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Protocol;
using Gleitzeit.Testing;
using Microsoft.Extensions.Options;

namespace Gleitzeit.Core.Tests.Execution;

/// <summary>
/// A workflow/run task waits for its child run without holding one of the engine's slots: more calls in flight than
/// <see cref="GleitzeitOptions.MaxConcurrency"/> must not take every slot from the children they wait for.
/// </summary>
public sealed class SubWorkflowSlotTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(1);

    [TestCase(1, 3)]
    [TestCase(2, 9)]
    public async Task More_sub_workflow_calls_than_slots_all_complete(int maxConcurrency, int calls)
    {
        var running = 0;
        var peak = 0;
        var registry = new ProviderRegistry();
        registry.Register(new DelegateProvider("echo/v1", async (inv, ct) =>
        {
            var now = Interlocked.Increment(ref running);
            InterlockedMax(ref peak, now);
            await Task.Yield();
            Interlocked.Decrement(ref running);
            return new JsonObject { ["response"] = inv.Parameters["message"]?.DeepClone() };
        }, "echo"));
        await using var engine = new ExecutionEngine(registry, options: Options.Create(new GleitzeitOptions { MaxConcurrency = maxConcurrency }));
        engine.RegisterWorkflow("child", new Workflow
        {
            Name = "child",
            Inputs = new Dictionary<string, JsonNode?> { ["i"] = 0 },
            Tasks = [new WorkflowTask { Id = "only", Protocol = "echo/v1", Method = "echo", Parameters = new JsonObject { ["message"] = "${inputs.i}" } }],
            Outputs = new Dictionary<string, string> { ["echo"] = "${only.response}" },
        });
        var parent = new Workflow
        {
            Name = "parent",
            Tasks = Enumerable.Range(0, calls).Select(i => new WorkflowTask
            {
                Id = "call" + i, Protocol = "workflow/v1", Method = "workflow/run",
                Parameters = new JsonObject { ["workflow"] = "child", ["inputs"] = new JsonObject { ["i"] = i } },
            }).ToList(),
        };

        var run = await engine.RunAsync(parent).WaitAsync(HangGuard);

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed), run.Error?.ToString());
        for (var i = 0; i < calls; i++) Assert.That((int?)run.GetResult("call" + i)!["outputs"]!["echo"], Is.EqualTo(i));
        Assert.That(peak, Is.LessThanOrEqualTo(maxConcurrency), "the children's tasks still keep to the engine's bound");
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen) { }
    }
}
