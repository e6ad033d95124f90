using System.Diagnostics;
using System.Text.Json.Nodes;
using Gleitzeit.Core.Definitions;

namespace Gleitzeit.Persistence.Redis.Tests;

/// <summary>
/// No-op tasks per second through the Redis queue with 1 and 2 worker processes (concurrency 8 each) on one Redis.
/// Prints figures; asserts nothing about speed. Run: <c>dotnet test --filter "FullyQualifiedName~ThroughputBenchmark"</c>.
/// </summary>
[Explicit("benchmark: prints figures, takes a while")]
[NonParallelizable]
public sealed class ThroughputBenchmark
{
    [TestCase(1)]
    [TestCase(2)]
    public async Task No_op_tasks_per_second(int workers)
    {
        const int tasks = 3000;
        var options = RedisTestServer.NewOptions("bench");
        await using var store = new RedisWorkflowStore(options);
        var queue = new RedisWorkflowQueue(store);
        var processes = new List<WorkerProcess>();
        for (var i = 0; i < workers; i++) processes.Add(await WorkerProcess.StartAsync(options, $"bench{i}", concurrency: 8));
        try
        {
            await RunAsync(queue, 200); // warm-up: JIT, script cache, connections
            var independent = await RunAsync(queue, tasks);
            var chained = await RunAsync(queue, tasks, fanIn: true);
            await TestContext.Out.WriteLineAsync(
                $"{workers} worker process(es) x concurrency 8: {tasks / independent.TotalSeconds:0} independent no-op tasks/s ({independent.TotalMilliseconds:0} ms); " +
                $"{tasks / chained.TotalSeconds:0} tasks/s as a chain (each task waits for the previous two) ({chained.TotalMilliseconds:0} ms)");
        }
        finally
        {
            foreach (var p in processes) await p.DisposeAsync();
        }
    }

    private static async Task<TimeSpan> RunAsync(RedisWorkflowQueue queue, int count, bool fanIn = false)
    {
        var builder = new WorkflowBuilder("bench");
        for (var i = 0; i < count; i++)
        {
            // fanIn: task i depends on i-2 and i-1: a chain, one task at a time, each released by a completion report.
            if (fanIn && i >= 2) builder.AddTask($"t{i}", "test/noop", new JsonObject(), t => t.DependsOn($"t{i - 2}", $"t{i - 1}"));
            else builder.AddTask($"t{i}", "test/noop", new JsonObject());
        }
        var workflow = builder.Build();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        var clock = Stopwatch.StartNew();
        var run = await queue.WaitAsync(await queue.SubmitAsync(workflow), limit.Token);
        clock.Stop();
        Assert.That(run.Status, Is.EqualTo(Gleitzeit.Core.WorkflowStatus.Completed));
        return clock.Elapsed;
    }
}
