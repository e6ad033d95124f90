using System.Collections.Concurrent;
using Microsoft.Agents.AI.Workflows;
using Microsoft.Extensions.DependencyInjection;
using WorkflowCore.Interface;
using WorkflowCore.Models;
using WorkflowCore.Models.LifeCycleEvents;
using MafWorkflowBuilder = Microsoft.Agents.AI.Workflows.WorkflowBuilder;

namespace Gleitzeit.Benchmarks;

/// <summary>The same DAGs on WorkflowCore 3.22 (in-memory persistence, single-node queue).</summary>
internal static class WorkflowCoreRuns
{
    internal static long Executed;

    public sealed class NoOpStep : StepBody
    {
        public override ExecutionResult Run(IStepExecutionContext context)
        {
            Interlocked.Increment(ref Executed);
            return ExecutionResult.Next();
        }
    }

    public sealed class Data { }

    /// <summary>
    /// WorkflowCore has sequences and parallel blocks, not arbitrary DAGs: a chain is Then…Then, fan-out+in is one
    /// Parallel block between two steps, and a random DAG becomes a sequence of parallel blocks, one per longest-path
    /// level (a barrier per level, which orders more than the DAG requires).
    /// </summary>
    private sealed class DagWorkflow(string id, Dag dag) : IWorkflow<Data>
    {
        public string Id => id;
        public int Version => 1;

        public void Build(IWorkflowBuilder<Data> builder)
        {
            if (dag.Name == "chain")
            {
                IStepBuilder<Data, NoOpStep> step = builder.StartWith<NoOpStep>();
                for (var i = 1; i < dag.Count; i++) step = step.Then<NoOpStep>();
                return;
            }
            var levels = dag.Levels();
            var byLevel = Enumerable.Range(0, dag.Count).GroupBy(i => levels[i]).OrderBy(g => g.Key).Select(g => g.Count()).ToList();
            IStepBuilder<Data, NoOpStep> current = builder.StartWith<NoOpStep>();
            foreach (var width in byLevel.Skip(1))
            {
                if (width == 1)
                {
                    current = current.Then<NoOpStep>();
                    continue;
                }
                var parallel = current.Parallel();
                for (var k = 0; k < width; k++) parallel = parallel.Do(b => b.StartWith<NoOpStep>());
                current = parallel.Join().Then<NoOpStep>();
            }
        }
    }

    public static async Task<Sample> MeasureAsync(Dag dag, int warmups, int runs)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddWorkflow();
        await using var sp = services.BuildServiceProvider();
        var host = sp.GetRequiredService<IWorkflowHost>();
        var waiting = new ConcurrentDictionary<string, TaskCompletionSource>();
        host.OnLifeCycleEvent += evt =>
        {
            if (evt is WorkflowCompleted && waiting.TryGetValue(evt.WorkflowInstanceId, out var tcs)) tcs.TrySetResult();
        };
        host.OnStepError += (wf, step, ex) =>
        {
            if (waiting.TryGetValue(wf.Id, out var tcs)) tcs.TrySetException(ex);
        };
        var defId = "wc-" + dag.Name + "-" + dag.Count;
        var registry = sp.GetRequiredService<IWorkflowRegistry>();
        registry.RegisterWorkflow(new DagWorkflow(defId, dag));
        await host.StartAsync(CancellationToken.None);
        try
        {
            // The extra joiner steps of the level encoding are not tasks: count only the DAG's tasks.
            return await Macro.RunAsync(warmups, runs, dag.Count, async () =>
            {
                var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                var executedBefore = Interlocked.Read(ref Executed);
                var id = await host.StartWorkflow(defId, 1, new Data());
                waiting[id] = tcs;
                // A run may finish before it is registered as waited for: poll the store as a fallback.
                while (!tcs.Task.IsCompleted)
                {
                    var done = await Task.WhenAny(tcs.Task, Task.Delay(200));
                    if (done != tcs.Task)
                    {
                        var instance = await host.PersistenceStore.GetWorkflowInstance(id);
                        if (instance.Status == WorkflowStatus.Complete) break;
                        if (instance.Status == WorkflowStatus.Terminated) throw new InvalidOperationException("WorkflowCore run terminated");
                    }
                }
                waiting.TryRemove(id, out _);
                var executed = Interlocked.Read(ref Executed) - executedBefore;
                if (executed < dag.Count) throw new InvalidOperationException($"WorkflowCore ran {executed} of {dag.Count} steps");
            });
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }
}
