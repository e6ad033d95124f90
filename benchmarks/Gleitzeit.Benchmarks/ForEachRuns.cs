using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Protocol;
using Gleitzeit.Testing;

namespace Gleitzeit.Benchmarks;

/// <summary>
/// <c>--only foreach</c>: a foreach over 10,000 items of a no-op provider against the same fan-out written as 10,000
/// static tasks. Both: <c>plan</c> (returns the list) → 10,000 tasks each reading one value → <c>join</c>. The static
/// fan-out's tasks read <c>${plan.v}</c>; the items read <c>${item}</c>, and the foreach task collects their results.
/// </summary>
internal static class ForEachRuns
{
    private static ITaskProvider Provider(int n)
    {
        var list = new JsonArray(Enumerable.Range(0, n).Select(i => (JsonNode?)JsonValue.Create(i)).ToArray());
        return new DelegateProvider("noop/v1", (inv, _) => ValueTask.FromResult<JsonNode?>(inv.Method == "noop/plan"
            ? new JsonObject { ["v"] = 1, ["list"] = list.DeepClone() }
            : new JsonObject { ["v"] = 1 }), "noop/run", "noop/plan");
    }

    private static Workflow Static(int n)
    {
        var tasks = new List<WorkflowTask>(n + 2) { new() { Id = "plan", Protocol = "noop/v1", Method = "noop/plan" } };
        for (var i = 0; i < n; i++)
        {
            tasks.Add(new WorkflowTask { Id = "t" + i, Protocol = "noop/v1", Method = "noop/run", Parameters = new JsonObject { ["in"] = "${plan.v}" }, Dependencies = ["plan"] });
        }
        tasks.Add(new WorkflowTask { Id = "join", Protocol = "noop/v1", Method = "noop/run", Dependencies = tasks.Skip(1).Select(t => t.Id).ToList() });
        return new Workflow { Name = $"static fan-out {n}", Tasks = tasks };
    }

    private static Workflow ForEach(int n) => new()
    {
        Name = $"foreach {n}",
        Tasks =
        [
            new WorkflowTask { Id = "plan", Protocol = "noop/v1", Method = "noop/plan" },
            new WorkflowTask
            {
                Id = "each", Protocol = "noop/v1", Method = "noop/run", Dependencies = ["plan"],
                ForEach = JsonValue.Create("${plan.list}"), Parameters = new JsonObject { ["in"] = "${item}" },
            },
            new WorkflowTask { Id = "join", Protocol = "noop/v1", Method = "noop/run", Parameters = new JsonObject { ["n"] = "${each.count}" }, Dependencies = ["each"] },
        ],
    };

    public static async Task MeasureAsync(Report report, int warmups, int runs, int n)
    {
        var fanOut = await GleitzeitRuns.MeasureAsync(Static(n), n, warmups, runs, () => GleitzeitRuns.Engine(provider: Provider(n)));
        report.Add("foreach", $"static fan-out {n:N0} tasks", fanOut);
        var each = await GleitzeitRuns.MeasureAsync(ForEach(n), n, warmups, runs, () => GleitzeitRuns.Engine(provider: Provider(n)));
        report.Add("foreach", $"foreach {n:N0} items", each);
        var ratio = each.Median / fanOut.Median;
        report.Target($"foreach per item <= 1.2x static fan-out ({n:N0})", ratio <= 1.2, $"{ratio:N2}x ({each.MicrosPerUnit:N1} vs {fanOut.MicrosPerUnit:N1} µs)");
    }
}
