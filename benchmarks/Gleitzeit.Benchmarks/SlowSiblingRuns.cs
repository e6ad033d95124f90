using System.Diagnostics;
using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Testing;
using Microsoft.Agents.AI.Workflows;
using MafWorkflowBuilder = Microsoft.Agents.AI.Workflows.WorkflowBuilder;

namespace Gleitzeit.Benchmarks;

/// <summary>
/// A 1,000 ms branch beside a branch of ten 20 ms steps, both joined by a last step. The figure is when the fast branch's
/// tenth step ends (ms after the run started): about 200 ms in an engine that starts a task when its own dependencies are
/// done, about 1,200 ms in one that advances all branches in lock-step supersteps (each step waits for the slowest task).
/// </summary>
internal static class SlowSiblingRuns
{
    private const int SlowMs = 1_000;
    private const int StepMs = 20;
    private const int Steps = 10;

    public static async Task<(Sample FastBranch, double[] Total)> GleitzeitAsync(int warmups, int runs)
    {
        var fast = new List<double>();
        var total = new List<double>();
        var clock = new Stopwatch();
        double fastEnd = 0;
        var provider = new DelegateProvider("sleep/v1", async (inv, ct) =>
        {
            await Task.Delay(inv.Parameters["ms"]!.GetValue<int>(), ct);
            if (inv.TaskId == "f" + Steps) fastEnd = clock.Elapsed.TotalSeconds;
            return new JsonObject { ["v"] = 1 };
        }, "sleep/run");
        var tasks = new List<WorkflowTask> { Sleep("slow", SlowMs) };
        for (var k = 1; k <= Steps; k++) tasks.Add(Sleep("f" + k, StepMs, k == 1 ? [] : ["f" + (k - 1)]));
        tasks.Add(Sleep("join", 0, ["slow", "f" + Steps]));
        var workflow = new Gleitzeit.Core.Workflow { Name = "slow-sibling", Tasks = tasks };
        for (var i = 0; i < warmups + runs; i++)
        {
            await using var engine = GleitzeitRuns.Engine(provider: provider);
            clock.Restart();
            await GleitzeitRuns.RunAsync(engine, workflow);
            var end = clock.Elapsed.TotalSeconds;
            if (i < warmups) continue;
            fast.Add(fastEnd);
            total.Add(end);
        }
        return (new Sample([.. fast], 1, 0, 0), [.. total]);
    }

    public static async Task<(Sample FastBranch, double[] Total)> AgentFrameworkAsync(int warmups, int runs)
    {
        var fast = new List<double>();
        var total = new List<double>();
        var clock = new Stopwatch();
        double fastEnd = 0;
        ExecutorBinding Step(string id, int ms) =>
            new Func<int, IWorkflowContext, CancellationToken, ValueTask<int>>(async (x, _, ct) =>
            {
                await Task.Delay(ms, ct);
                if (id == "f" + Steps) fastEnd = clock.Elapsed.TotalSeconds;
                return x + 1;
            }).BindAsExecutor<int, int>(id);
        for (var i = 0; i < warmups + runs; i++)
        {
            // A start executor fans out to both branches; the join waits for both on a fan-in barrier edge.
            var start = new Func<int, int>(x => x).BindAsExecutor<int, int>("start");
            var slow = Step("slow", SlowMs);
            var steps = Enumerable.Range(1, Steps).Select(k => Step("f" + k, StepMs)).ToArray();
            var join = new Func<int, int>(x => x).BindAsExecutor<int, int>("join");
            var builder = new MafWorkflowBuilder(start);
            builder.AddEdge(start, slow);
            builder.AddEdge(start, steps[0]);
            for (var k = 1; k < Steps; k++) builder.AddEdge(steps[k - 1], steps[k]);
            builder.AddFanInBarrierEdge([slow, steps[^1]], join);
            builder.WithOutputFrom(join);
            var workflow = builder.Build();
            clock.Restart();
            await using (var run = await InProcessExecution.RunAsync(workflow, 0))
            {
                var status = await run.GetStatusAsync();
                if (status != RunStatus.Idle && status != RunStatus.Ended) throw new InvalidOperationException($"MAF run status {status}");
            }
            var end = clock.Elapsed.TotalSeconds;
            if (i < warmups) continue;
            fast.Add(fastEnd);
            total.Add(end);
        }
        return (new Sample([.. fast], 1, 0, 0), [.. total]);
    }

    private static WorkflowTask Sleep(string id, int ms, string[]? deps = null) => new()
    {
        Id = id, Protocol = "sleep/v1", Method = "sleep/run", Parameters = new JsonObject { ["ms"] = ms }, Dependencies = deps ?? [],
    };
}
