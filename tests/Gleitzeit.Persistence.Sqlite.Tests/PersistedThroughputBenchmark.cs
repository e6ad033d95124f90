using System.Diagnostics;
using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Persistence;
using Gleitzeit.Core.Protocol;
using Gleitzeit.Testing;
using Microsoft.Extensions.Options;

namespace Gleitzeit.Persistence.Sqlite.Tests;

/// <summary>
/// Persisted no-op tasks per second through the <see cref="ExecutionEngine"/>, SQLite beside the in-memory store.
/// A measurement, not a test: it asserts only that the runs completed. Run it with
/// <c>dotnet test tests/Gleitzeit.Persistence.Sqlite.Tests -c Release --filter PersistedThroughputBenchmark</c>
/// and read the figures in the test output. Wall-clock rates depend on how busy the machine is; the CPU time the
/// process spent (all threads) is printed beside them as a steadier figure.
/// </summary>
[Explicit("benchmark: prints figures, asserts no timing")]
[NonParallelizable]
public sealed class PersistedThroughputBenchmark
{
    private const int Tasks = 10_000;

    [TestCase("memory", "wide", 8)]
    [TestCase("sqlite", "wide", 8)]
    [TestCase("memory", "wide", 64)]
    [TestCase("sqlite", "wide", 64)]
    [TestCase("memory", "chain", 8)]
    [TestCase("sqlite", "chain", 8)]
    public async Task Measure(string storeKind, string shape, int maxConcurrency)
    {
        using var dir = new TempDirectory();
        var registry = new ProviderRegistry();
        registry.Register(new DelegateProvider("noop/v1", (_, _) => ValueTask.FromResult<JsonNode?>(null), "noop"));
        var options = Options.Create(new GleitzeitOptions { MaxConcurrency = maxConcurrency });

        // Warm-up run (JIT, SQLite page cache) on a small workflow, then the measured run.
        double best = 0;
        for (var round = 0; round < 3; round++)
        {
            IWorkflowStore store = storeKind == "sqlite" ? new SqliteWorkflowStore(dir.File($"bench-{round}.db")) : new InMemoryWorkflowStore();
            try
            {
                await using var engine = new ExecutionEngine(registry, store, options);
                await engine.RunAsync(Build(shape, 200));
                var workflow = Build(shape, Tasks);
                var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
                var watch = Stopwatch.StartNew();
                var run = await engine.RunAsync(workflow);
                watch.Stop();
                var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
                Assert.That(run.Status, Is.EqualTo(WorkflowStatus.Completed));
                var rate = Tasks / watch.Elapsed.TotalSeconds;
                best = Math.Max(best, rate);
                await TestContext.Out.WriteLineAsync($"{storeKind,-6} {shape,-5} concurrency {maxConcurrency,2}: {Tasks} tasks in {watch.Elapsed.TotalMilliseconds:0} ms = {rate:0} tasks/s; CPU {cpu.TotalMilliseconds:0} ms = {Tasks / cpu.TotalSeconds:0} tasks per CPU-second");
            }
            finally
            {
                if (store is IAsyncDisposable d) await d.DisposeAsync();
            }
        }
        await TestContext.Out.WriteLineAsync($"BEST {storeKind} {shape} concurrency {maxConcurrency}: {best:0} tasks/s");
    }

    /// <summary>The store alone: 64 concurrent writers each saving a running and a completed state for their tasks.</summary>
    [TestCase(64)]
    [TestCase(1)]
    public async Task Store_writes_per_second(int writers)
    {
        using var dir = new TempDirectory();
        await using var store = new SqliteWorkflowStore(dir.File("writes.db"));
        var workflow = Build("wide", Tasks) with { Id = "w" };
        await store.CreateRunAsync(new WorkflowRun
        {
            WorkflowId = "w", Name = workflow.Name, Workflow = workflow,
            Tasks = workflow.Tasks.ToDictionary(t => t.Id, t => TaskResult.Pending(t.Id)),
        });
        var commitsBefore = store.Writer.Commits;
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            for (var i = w; i < Tasks; i += writers)
            {
                var now = DateTimeOffset.UtcNow;
                await store.SaveTaskAsync("w", new TaskResult { TaskId = $"t{i}", Status = WorkflowTaskStatus.Running, Attempts = 1, StartedAt = now });
                await store.SaveTaskAsync("w", new TaskResult { TaskId = $"t{i}", Status = WorkflowTaskStatus.Completed, Attempts = 1, StartedAt = now, CompletedAt = now });
            }
        })));
        watch.Stop();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        var commits = store.Writer.Commits - commitsBefore;
        await TestContext.Out.WriteLineAsync($"store only, {writers} writers: {2 * Tasks} writes in {watch.Elapsed.TotalMilliseconds:0} ms = {2 * Tasks / watch.Elapsed.TotalSeconds:0} writes/s, {commits} commits ({2.0 * Tasks / commits:0.0} writes per commit); CPU {cpu.TotalMilliseconds:0} ms");
    }

    private static Workflow Build(string shape, int count)
    {
        var tasks = new List<WorkflowTask>(count);
        for (var i = 0; i < count; i++)
        {
            tasks.Add(new WorkflowTask
            {
                Id = $"t{i}",
                Protocol = "noop/v1",
                Method = "noop",
                Dependencies = shape == "chain" && i > 0 ? [$"t{i - 1}"] : [],
            });
        }
        return new Workflow { Name = $"bench-{shape}", Tasks = tasks };
    }
}
