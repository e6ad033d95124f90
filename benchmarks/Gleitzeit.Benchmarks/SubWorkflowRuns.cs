using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Execution;

namespace Gleitzeit.Benchmarks;

/// <summary>
/// <c>--only subworkflow</c>: what a <c>workflow/run</c> call costs. A fan-out of n <c>workflow/run</c> tasks, each running
/// a registered one-task child workflow (a child run of its own: created, stored, run, finished, its result handed back),
/// against the same fan-out of n static no-op tasks; the difference per task is the cost of one sub-workflow call.
/// </summary>
internal static class SubWorkflowRuns
{
    private const string ChildName = "child";

    private static Workflow Child() => new()
    {
        Name = ChildName,
        Inputs = new Dictionary<string, JsonNode?> { ["i"] = 0 },
        Tasks = [new WorkflowTask { Id = "only", Protocol = "noop/v1", Method = "noop/run", Parameters = new JsonObject { ["in"] = "${inputs.i}" } }],
    };

    private static Workflow Static(int n) => new()
    {
        Name = $"static {n}",
        Tasks = Enumerable.Range(0, n).Select(i => new WorkflowTask { Id = "t" + i, Protocol = "noop/v1", Method = "noop/run", Parameters = new JsonObject { ["in"] = i } }).ToList(),
    };

    private static Workflow Calls(int n) => new()
    {
        Name = $"calls {n}",
        Tasks = Enumerable.Range(0, n).Select(i => new WorkflowTask
        {
            Id = "t" + i, Protocol = WorkflowRunProvider.ProtocolId, Method = "workflow/run",
            Parameters = new JsonObject { ["workflow"] = ChildName, ["inputs"] = new JsonObject { ["i"] = i } },
        }).ToList(),
    };

    public static async Task MeasureAsync(Report report, int warmups, int runs, int n)
    {
        var plain = await GleitzeitRuns.MeasureAsync(Static(n), n, warmups, runs, NewEngine);
        report.Add("subworkflow", $"static fan-out {n:N0} no-op tasks", plain);
        var calls = await GleitzeitRuns.MeasureAsync(Calls(n), n, warmups, runs, NewEngine);
        report.Add("subworkflow", $"fan-out of {n:N0} workflow/run calls (one-task child each)", calls);
        report.Note($"subworkflow: one workflow/run call costs {calls.MicrosPerUnit - plain.MicrosPerUnit:N1} µs more than a no-op task ({calls.MicrosPerUnit:N1} vs {plain.MicrosPerUnit:N1} µs per task, {calls.Median / plain.Median:N1}x)");
    }

    /// <summary>An engine that knows the child workflow by name.</summary>
    private static ExecutionEngine NewEngine()
    {
        var engine = GleitzeitRuns.Engine();
        engine.RegisterWorkflow(ChildName, Child());
        return engine;
    }
}
