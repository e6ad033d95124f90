using Gleitzeit.Core;
using Gleitzeit.Core.Cost;
using Gleitzeit.Core.Execution;
using Gleitzeit.Core.Persistence;
using Gleitzeit.Core.Pipeline;
using Gleitzeit.Core.Protocol;
using Gleitzeit.Persistence.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gleitzeit.Benchmarks;

/// <summary>
/// <c>--only cost</c>: what the cost stages (cache, rate limit, budget) add to the no-op chain when nothing is configured,
/// compared with the pipeline without them; and a cache hit against a no-op task, in memory and on SQLite.
/// </summary>
internal static class CostRuns
{
    public static async Task MeasureAsync(Report report, bool quick, int warm, int runs)
    {
        const int n = 10_000;
        var chain = Dag.Chain(n);
        var plain = GleitzeitRuns.ToWorkflow(chain);

        // Interleaved rounds pooled, so drift on a loaded machine hits both alike; the pooled minimum is the least disturbed run.
        await MeasureAsync(plain, n, warm, 1, () => Engine(new TaskPipeline()));
        Sample? before = null, unconfigured = null;
        for (var round = 0; round < (quick ? 3 : 6); round++)
        {
            before = Pool(before, await MeasureAsync(plain, n, 0, 2, () => Engine(TaskPipeline.WithoutCostStages())));
            unconfigured = Pool(unconfigured, await MeasureAsync(plain, n, 0, 2, () => Engine(new TaskPipeline())));
        }
        report.Add("6 cost", $"no-op chain {n:N0}, pipeline without cost stages", before!);
        report.Add("6 cost", $"no-op chain {n:N0}, cost stages unconfigured", unconfigured!);
        var overhead = unconfigured!.Min / before!.Min - 1;
        report.Target("unconfigured cost stages add < 5% (min)", overhead < 0.05, $"{overhead * 100:+0.0;-0.0}%");
        report.Note($"unconfigured cost stages, medians: {(unconfigured.Median / before.Median - 1) * 100:+0.0;-0.0}%; allocation {unconfigured.AllocatedBytesPerUnit - before.AllocatedBytesPerUnit:+0;-0} B/task");

        // Every task a cache hit (the chain's tasks all make the same call, warmed by one run first) vs the same chain uncached.
        var cached = plain with { Cache = TaskCachePolicy.Forever };
        var memoryCache = new InMemoryTaskResultCache();
        var services = new ServiceCollection().AddSingleton<ITaskResultCache>(memoryCache).BuildServiceProvider();
        await GleitzeitRuns.RunAsync(Engine(new TaskPipeline(services: services)), cached);
        var hits = await MeasureAsync(cached, n, warm, runs, () => Engine(new TaskPipeline(services: services)));
        report.Add("6 cost", $"cache-hit chain {n:N0} (memory)", hits);
        var ratio = hits.Median / unconfigured.Median;
        report.Target("cache hit < 2x a no-op task (memory)", ratio < 2, $"{ratio:N2}x");

        var storeN = quick ? 1_000 : 2_000;
        var small = GleitzeitRuns.ToWorkflow(Dag.Chain(storeN));
        var dir = Directory.CreateTempSubdirectory("gleitzeit-bench-cost-");
        try
        {
            var i = 0;
            var sqliteNoOp = await MeasureAsync(small, storeN, 1, quick ? 2 : 3,
                () => Engine(new TaskPipeline(), new SqliteWorkflowStore(Path.Combine(dir.FullName, $"n{i++}.db"))));
            report.Add("6 cost", $"SQLite no-op chain {storeN:N0}", sqliteNoOp);
            await using var cacheStore = new SqliteWorkflowStore(Path.Combine(dir.FullName, "cache.db"));
            var sqliteCache = new ServiceCollection().AddSingleton<ITaskResultCache>(new SqliteTaskResultCache(cacheStore)).BuildServiceProvider();
            var cachedSmall = small with { Cache = TaskCachePolicy.Forever };
            await GleitzeitRuns.RunAsync(Engine(new TaskPipeline(services: sqliteCache), new SqliteWorkflowStore(Path.Combine(dir.FullName, "warm.db"))), cachedSmall);
            var sqliteHits = await MeasureAsync(cachedSmall, storeN, 1, quick ? 2 : 3,
                () => Engine(new TaskPipeline(services: sqliteCache), new SqliteWorkflowStore(Path.Combine(dir.FullName, $"h{i++}.db"))));
            report.Add("6 cost", $"SQLite cache-hit chain {storeN:N0} (one indexed read a hit)", sqliteHits);
            report.Note($"SQLite: a cache hit costs {(sqliteHits.MicrosPerUnit - sqliteNoOp.MicrosPerUnit):N1} µs more than a no-op task ({sqliteHits.Median / sqliteNoOp.Median:N2}x the chain)");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static Sample Pool(Sample? a, Sample b) => a is null ? b : b with
    {
        Seconds = [.. a.Seconds, .. b.Seconds],
        AllocatedBytesPerUnit = (a.AllocatedBytesPerUnit * a.Seconds.Length + b.AllocatedBytesPerUnit * b.Seconds.Length) / (a.Seconds.Length + b.Seconds.Length),
        PeakWorkingSetBytes = Math.Max(a.PeakWorkingSetBytes, b.PeakWorkingSetBytes),
    };

    private static ExecutionEngine Engine(TaskPipeline pipeline, IWorkflowStore? store = null)
    {
        var registry = new ProviderRegistry();
        registry.Register(GleitzeitRuns.NoOp());
        return new ExecutionEngine(registry, store ?? new InMemoryWorkflowStore(),
            Options.Create(new GleitzeitOptions { MaxConcurrency = 8, DefaultRetry = RetryPolicy.None }), pipeline: pipeline);
    }

    private static async Task<Sample> MeasureAsync(Workflow workflow, int units, int warmups, int runs, Func<ExecutionEngine> engine)
    {
        ExecutionEngine? current = null;
        return await Macro.RunAsync(warmups, runs, units,
            async () =>
            {
                await GleitzeitRuns.RunAsync(current!, workflow);
                await current!.DisposeAsync();
            },
            () => { current = engine(); return Task.CompletedTask; });
    }
}
