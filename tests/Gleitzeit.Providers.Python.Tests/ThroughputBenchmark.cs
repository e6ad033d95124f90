using System.Diagnostics;
using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Protocol;

namespace Gleitzeit.Providers.Python.Tests;

/// <summary>
/// Measures python/execute throughput; prints figures, asserts nothing about speed. Run with
/// <c>dotnet test tests/Gleitzeit.Providers.Python.Tests --filter "FullyQualifiedName~ThroughputBenchmark" --logger "console;verbosity=detailed"</c>.
/// </summary>
[Explicit("benchmark: prints tasks per second, takes a while")]
public class ThroughputBenchmark
{
    private const string Code = "result = sum(range(100))";

    [TestCase(PythonIsolation.Pool, 2, 4000)]
    [TestCase(PythonIsolation.Process, 2, 200)]
    public async Task Provider_tasks_per_second(PythonIsolation isolation, int workers, int tasks)
    {
        await using var provider = new PythonProvider(new PythonOptions { Isolation = isolation, Workers = workers });
        await RunAsync(provider, workers * 20, workers * 2); // start the workers, warm the JIT

        var elapsed = await RunAsync(provider, tasks, workers * 2);

        TestContext.Out.WriteLine($"python/execute, {isolation}, {workers} workers: {tasks} tasks in {elapsed.TotalMilliseconds:0} ms = {tasks / elapsed.TotalSeconds:0} tasks/s");
    }

    [Test]
    public async Task Engine_workflow_tasks_per_second()
    {
        const int tasks = 2000;
        var registry = new ProviderRegistry();
        await using var provider = new PythonProvider(new PythonOptions { Workers = 2 });
        registry.Register(provider, maxConcurrency: 2);
        await using var engine = new ExecutionEngine(registry);
        Workflow Build(int n)
        {
            var b = new WorkflowBuilder("bench");
            for (var i = 0; i < n; i++) b.Python($"t{i}", code: Code, context: new JsonObject { ["i"] = i });
            return b.Build();
        }
        await engine.RunAsync(Build(50));

        var workflow = Build(tasks);
        var watch = Stopwatch.StartNew();
        var run = await engine.RunAsync(workflow);
        watch.Stop();

        Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
        TestContext.Out.WriteLine($"ExecutionEngine, one workflow of {tasks} independent python/execute tasks, Pool, 2 workers: {watch.ElapsedMilliseconds} ms = {tasks / watch.Elapsed.TotalSeconds:0} tasks/s");
    }

    private static async Task<TimeSpan> RunAsync(PythonProvider provider, int tasks, int callers)
    {
        var next = -1;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, callers).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref next) < tasks)
            {
                var result = await provider.ExecuteAsync(Py.Invocation(new JsonObject { ["code"] = Code }), default);
                if ((int)result!["result"]! != 4950) throw new InvalidOperationException("wrong result");
            }
        })));
        return watch.Elapsed;
    }
}
