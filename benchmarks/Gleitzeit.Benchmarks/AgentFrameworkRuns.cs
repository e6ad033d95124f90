using Microsoft.Agents.AI.Workflows;
using WorkflowCore.Interface;
using WorkflowCore.Models;
using WorkflowCore.Models.LifeCycleEvents;
using MafWorkflowBuilder = Microsoft.Agents.AI.Workflows.WorkflowBuilder;

namespace Gleitzeit.Benchmarks;

/// <summary>The same DAGs on Microsoft.Agents.AI.Workflows 1.28 (in-process, default execution).</summary>
internal static class AgentFrameworkRuns
{
    internal static long Executed;

    /// <summary>Handler invocations of the last run (a fan-in barrier may deliver each message separately).</summary>
    internal static long LastExecuted;

    /// <summary>Executors pass an int along edges; a node with several dependencies waits on a fan-in barrier edge.</summary>
    public static Workflow Build(Dag dag)
    {
        var nodes = new ExecutorBinding[dag.Count];
        for (var i = 0; i < dag.Count; i++)
        {
            Func<int, int> handler = static x => { Interlocked.Increment(ref Executed); return x + 1; };
            nodes[i] = handler.BindAsExecutor<int, int>("n" + i);
        }
        var builder = new MafWorkflowBuilder(nodes[0]);
        for (var i = 1; i < dag.Count; i++)
        {
            var deps = dag.Deps[i];
            if (deps.Length == 1) builder.AddEdge(nodes[deps[0]], nodes[i]);
            else builder.AddFanInBarrierEdge(deps.Select(d => nodes[d]), nodes[i]);
        }
        builder.WithOutputFrom(nodes[dag.Count - 1]);
        return builder.Build();
    }

    public static async Task<Sample> MeasureAsync(Dag dag, int warmups, int runs)
    {
        Workflow? workflow = null;
        return await Macro.RunAsync(warmups, runs, dag.Count,
            async () =>
            {
                var executedBefore = Interlocked.Read(ref Executed);
                await using var run = await InProcessExecution.RunAsync(workflow!, 0);
                var executed = Interlocked.Read(ref Executed) - executedBefore;
                if (executed < dag.Count) throw new InvalidOperationException($"Agent Framework ran {executed} of {dag.Count} executors");
                LastExecuted = executed;
                var status = await run.GetStatusAsync();
                if (status != RunStatus.Idle && status != RunStatus.Ended) throw new InvalidOperationException($"MAF run status {status}");
            },
            () => { workflow = Build(dag); return Task.CompletedTask; });
    }
}
