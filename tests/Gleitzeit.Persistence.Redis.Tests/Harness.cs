using System.Collections.Concurrent;
using Gleitzeit.Core;
using Gleitzeit.Core.Persistence;
using Gleitzeit.Core.Pipeline;
using Gleitzeit.Core.Protocol;

namespace Gleitzeit.Persistence.Redis.Tests;

/// <summary>
/// A queue and any number of in-process workers on one key prefix. Each worker has its own store and connection,
/// as a worker on another machine would. Executions of the <see cref="TestProvider"/> are recorded per worker.
/// </summary>
internal sealed class Harness : IAsyncDisposable
{
    private readonly List<(GleitzeitWorker Worker, RedisWorkflowStore Store, CancellationTokenSource Stop, Task Running)> _workers = [];

    public Harness(RedisStoreOptions options)
    {
        Options = options;
        Store = new RedisWorkflowStore(options);
        Queue = new RedisWorkflowQueue(Store);
    }

    public RedisStoreOptions Options { get; }

    public RedisWorkflowStore Store { get; }

    public RedisWorkflowQueue Queue { get; }

    /// <summary>Every execution: "run\ttask\tattempt\tmethod", with the worker that ran it.</summary>
    public ConcurrentQueue<(string Worker, string Line)> Executions { get; } = new();

    public static Harness Create(string name) => new(RedisTestServer.NewOptions(name));

    public GleitzeitWorker StartWorker(int concurrency = 4, TimeSpan? lease = null, string? name = null, GleitzeitOptions? engineOptions = null, TimeProvider? time = null, TaskPipeline? pipeline = null, int? providerBound = null, ITaskProvider? provider = null, bool boundPerWorker = false)
    {
        var store = new RedisWorkflowStore(new RedisStoreOptions { Configuration = Options.Configuration, KeyPrefix = Options.KeyPrefix });
        var registry = new ProviderRegistry();
        var consumer = name ?? "w" + (_workers.Count + 1);
        registry.Register(provider ?? new TestProvider(line => Executions.Enqueue((consumer, line))), maxConcurrency: providerBound);
        registry.Register(Gleitzeit.Core.Human.HumanProvider.Instance);
        var worker = new GleitzeitWorker(store, registry, new GleitzeitWorkerOptions
        {
            ConsumerName = consumer,
            LeaseTime = lease ?? TimeSpan.FromSeconds(30),
            PollInterval = TimeSpan.FromMilliseconds(200),
            PerWorkerBoundProviders = boundPerWorker ? ["test"] : [],
        }, engineOptions ?? new GleitzeitOptions { DefaultRetry = RetryPolicy.None }, timeProvider: time, pipeline: pipeline);
        var stop = new CancellationTokenSource();
        _workers.Add((worker, store, stop, Task.Run(() => worker.RunAsync(concurrency, stop.Token))));
        return worker;
    }

    /// <summary>Waits for the run to finish; fails the test after two minutes instead of hanging.</summary>
    public async Task<WorkflowRun> WaitAsync(string runId)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        return await Queue.WaitAsync(runId, limit.Token);
    }

    public int ExecutionCount(string runId, string taskId) =>
        Executions.Count(e => e.Line.StartsWith(runId + "\t" + taskId + "\t", StringComparison.Ordinal));

    /// <summary>How many times each task's completion was recorded in the run's history.</summary>
    public async Task<Dictionary<string, int>> CompletionsAsync(string runId)
    {
        var events = await Store.GetEventsAsync(runId);
        return events.Where(e => e.TaskId is not null && e.Status == "completed").GroupBy(e => e.TaskId!).ToDictionary(g => g.Key, g => g.Count());
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var w in _workers) await w.Stop.CancelAsync();
        foreach (var w in _workers)
        {
            await w.Running;
            await w.Store.DisposeAsync();
            w.Stop.Dispose();
        }
        await Store.DisposeAsync();
    }
}
