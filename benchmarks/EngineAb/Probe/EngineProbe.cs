using System.Diagnostics;
using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Persistence;
using Gleitzeit.Core.Protocol;
using Gleitzeit.Testing;
using Microsoft.Extensions.Options;

namespace Gleitzeit.EngineAb;

/// <summary>
/// One engine version's side of the A/B comparison: runs a DAG of no-op tasks (each reads every dependency's result with
/// <c>${tN.v}</c>, as the benchmark harness does) on a fresh engine and in-memory store, and measures that run.
/// </summary>
public static class EngineProbe
{
    /// <summary>Runs one shape once; returns wall ms, process CPU ms and bytes allocated (all threads) for the run.</summary>
    public static double[] Run(string shape, int n, int maxConcurrency)
    {
        var workflow = ToWorkflow(shape, n);
        var registry = new ProviderRegistry();
        registry.Register(new DelegateProvider("noop/v1", static (_, _) => ValueTask.FromResult<JsonNode?>(new JsonObject { ["v"] = 1 }), "noop/run"));
        var engine = new ExecutionEngine(registry, new InMemoryWorkflowStore(),
            Options.Create(new GleitzeitOptions { MaxConcurrency = maxConcurrency, DefaultRetry = RetryPolicy.None }));
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var self = Process.GetCurrentProcess();
        var cpu = self.TotalProcessorTime;
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var sw = Stopwatch.StartNew();
        var run = engine.RunAsync(workflow).GetAwaiter().GetResult();
        sw.Stop();
        var bytes = GC.GetTotalAllocatedBytes(precise: true) - allocated;
        self.Refresh();
        var cpuMs = (self.TotalProcessorTime - cpu).TotalMilliseconds;
        if (run.Status != WorkflowStatus.Completed) throw new InvalidOperationException($"{shape} {n}: {run.Status}: {run.Error?.Message}");
        engine.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return [sw.Elapsed.TotalMilliseconds, cpuMs, bytes];
    }

    private static Workflow ToWorkflow(string shape, int n)
    {
        var deps = shape switch
        {
            "chain" => Enumerable.Range(0, n).Select(i => i == 0 ? Array.Empty<int>() : [i - 1]).ToArray(),
            "fan" => Enumerable.Range(0, n).Select(i => i == 0 ? Array.Empty<int>() : i < n - 1 ? [0] : Enumerable.Range(1, n - 2).ToArray()).ToArray(),
            "random" => RandomDeps(n),
            _ => throw new ArgumentException($"unknown shape '{shape}': chain, fan or random", nameof(shape)),
        };
        var tasks = new WorkflowTask[n];
        for (var i = 0; i < n; i++)
        {
            var parameters = new JsonObject();
            var ids = new string[deps[i].Length];
            for (var j = 0; j < ids.Length; j++)
            {
                ids[j] = "t" + deps[i][j];
                parameters["in" + j] = "${" + ids[j] + ".v}";
            }
            tasks[i] = new WorkflowTask { Id = "t" + i, Protocol = "noop/v1", Method = "noop/run", Parameters = parameters, Dependencies = ids };
        }
        return new Workflow { Name = $"{shape}-{n}", Tasks = tasks };
    }

    /// <summary>The benchmark harness's random DAG (seed 42): each node after the third reads 3 distinct earlier nodes.</summary>
    private static int[][] RandomDeps(int n)
    {
        var rng = new Random(42);
        var deps = new int[n][];
        for (var i = 0; i < n; i++)
        {
            var set = new HashSet<int>();
            while (set.Count < Math.Min(i, 3)) set.Add(rng.Next(i));
            deps[i] = set.Order().ToArray();
        }
        return deps;
    }
}
