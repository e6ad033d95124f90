using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Definitions;

namespace Gleitzeit.Dashboard.Tests;

/// <summary>Workflows the tests run over the gate provider.</summary>
internal static class Workflows
{
    /// <summary>plan → (left, right) → merge, where <c>left</c> waits for the gate named <paramref name="gate"/>.</summary>
    public static Workflow Diamond(string gate, string name = "diamond") => new WorkflowBuilder(name)
        .AddTask("plan", "gate/pass", new JsonObject { ["result"] = new JsonObject { ["response"] = "plan ready", ["usage"] = new JsonObject { ["prompt_tokens"] = 10, ["completion_tokens"] = 5, ["total_tokens"] = 15 }, ["model"] = "test-model" } })
        .AddTask("left", "gate/wait", new JsonObject { ["gate"] = gate, ["message"] = "${plan.response}" }, t => t.DependsOn("plan"))
        .AddTask("right", "gate/pass", new JsonObject { ["message"] = "right side" }, t => t.DependsOn("plan"))
        .AddTask("merge", "gate/pass", new JsonObject { ["message"] = "${left.response} + ${right.response}" }, t => t.DependsOn("left", "right"))
        .Build();

    /// <summary>One task that completes at once.</summary>
    public static Workflow Single(string name = "single", JsonNode? result = null, string? taskName = null) => new WorkflowBuilder(name)
        .AddTask("only", "gate/pass", result is null ? new JsonObject { ["message"] = "hello" } : new JsonObject { ["result"] = result }, t => { if (taskName is not null) t.WithName(taskName); })
        .Build();

    /// <summary>first fails; second is skipped because of it.</summary>
    public static Workflow Failing() => new WorkflowBuilder("failing")
        .AddTask("first", "gate/fail", new JsonObject { ["message"] = "the model refused" })
        .AddTask("second", "gate/pass", new JsonObject { ["message"] = "never" }, t => t.DependsOn("first"))
        .Build();
}
