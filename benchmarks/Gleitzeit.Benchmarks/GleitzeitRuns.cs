using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Persistence;
using Gleitzeit.Core.Protocol;
using Gleitzeit.Testing;
using Microsoft.Extensions.Options;

namespace Gleitzeit.Benchmarks;

/// <summary>Gleitzeit workflows of no-op tasks: each task reads every dependency's result with <c>${tN.v}</c>.</summary>
internal static class GleitzeitRuns
{
    public static ITaskProvider NoOp() =>
        new DelegateProvider("noop/v1", static (_, _) => ValueTask.FromResult<JsonNode?>(new JsonObject { ["v"] = 1 }), "noop/run");

    public static Workflow ToWorkflow(Dag dag)
    {
        var tasks = new WorkflowTask[dag.Count];
        for (var i = 0; i < dag.Count; i++)
        {
            var parameters = new JsonObject();
            var deps = new string[dag.Deps[i].Length];
            for (var j = 0; j < deps.Length; j++)
            {
                deps[j] = "t" + dag.Deps[i][j];
                parameters["in" + j] = "${" + deps[j] + ".v}";
            }
            tasks[i] = new WorkflowTask { Id = "t" + i, Protocol = "noop/v1", Method = "noop/run", Parameters = parameters, Dependencies = deps };
        }
        return new Workflow { Name = $"{dag.Name}-{dag.Count}", Tasks = tasks };
    }

    public static ExecutionEngine Engine(IWorkflowStore? store = null, ITaskProvider? provider = null, int maxConcurrency = 8)
    {
        var registry = new ProviderRegistry();
        registry.Register(provider ?? NoOp());
        return new ExecutionEngine(registry, store ?? new InMemoryWorkflowStore(),
            Options.Create(new GleitzeitOptions { MaxConcurrency = maxConcurrency, DefaultRetry = RetryPolicy.None }));
    }

    public static async Task RunAsync(ExecutionEngine engine, Workflow workflow)
    {
        var run = await engine.RunAsync(workflow);
        if (run.Status != WorkflowStatus.Completed)
        {
            throw new InvalidOperationException($"{workflow.Name}: run ended {run.Status}: {run.Error?.Message}");
        }
    }

    /// <summary>
    /// Measures one DAG with a fresh engine and in-memory store per run; with <paramref name="repeat"/>, one sample is that
    /// many runs one after the other (each with a fresh engine and store, nothing forced between them).
    /// </summary>
    public static Task<Sample> MeasureAsync(Dag dag, int warmups, int runs, Func<IWorkflowStore>? store = null, int maxConcurrency = 8, int repeat = 1) =>
        MeasureAsync(ToWorkflow(dag), dag.Count, warmups, runs, () => Engine(store?.Invoke(), maxConcurrency: maxConcurrency), repeat);

    /// <summary>
    /// Measures <paramref name="workflow"/> (<paramref name="units"/> tasks) on an engine from <paramref name="newEngine"/>,
    /// made before each run and disposed after it, outside the timed part only for the first of <paramref name="repeat"/>.
    /// </summary>
    public static async Task<Sample> MeasureAsync(Workflow workflow, long units, int warmups, int runs, Func<ExecutionEngine> newEngine, int repeat = 1)
    {
        ExecutionEngine? engine = null;
        return await Macro.RunAsync(warmups, runs, units * repeat,
            async () =>
            {
                for (var r = 0; r < repeat; r++)
                {
                    if (r > 0) engine = newEngine();
                    await RunAsync(engine!, workflow);
                    await engine!.DisposeAsync();
                }
            },
            () => { engine = newEngine(); return Task.CompletedTask; });
    }
}
