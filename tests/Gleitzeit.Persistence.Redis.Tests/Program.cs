using System.Diagnostics;
using System.Globalization;
using Gleitzeit.Core;
using Gleitzeit.Core.Pipeline;
using Gleitzeit.Core.Protocol;

namespace Gleitzeit.Persistence.Redis.Tests;

/// <summary>
/// Entry point of the test assembly when run as a program: <c>--worker --redis HOST:PORT --prefix P [--consumer NAME]
/// [--concurrency N] [--lease-ms MS] [--log FILE] [--middleware trace] [--provider-bound N] [--spans FILE]</c> runs a <see cref="GleitzeitWorker"/> with the <see cref="TestProvider"/>
/// until its standard input closes (or it is killed). Each execution is appended to the log file as it starts.
/// <c>--middleware trace</c> puts the <see cref="StageTrace"/> pair into its task pipeline, whose stages it prints.
/// <c>--spans FILE</c> appends every Gleitzeit span the worker ends as a line: trace id, parent span id, span id, name,
/// task id, attempt (what an exporter in the worker process would send).
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length == 0 || args[0] != "--worker")
        {
            await Console.Error.WriteLineAsync("This is the Gleitzeit.Persistence.Redis test assembly: run it with `dotnet test`, or with --worker --redis HOST:PORT --prefix P to start a test worker.");
            return 2;
        }
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 1; i + 1 < args.Length; i += 2) options[args[i]] = args[i + 1];
        var concurrency = int.Parse(options.GetValueOrDefault("--concurrency", "4"), CultureInfo.InvariantCulture);
        var leaseMs = int.Parse(options.GetValueOrDefault("--lease-ms", "30000"), CultureInfo.InvariantCulture);

        using var log = options.TryGetValue("--log", out var path) ? new StreamWriter(path, append: true) { AutoFlush = true } : null;
        var gate = new Lock();
        var registry = new ProviderRegistry();
        int? bound = options.TryGetValue("--provider-bound", out var b) ? int.Parse(b, CultureInfo.InvariantCulture) : null;
        registry.Register(new TestProvider(line =>
        {
            if (log is null) return;
            lock (gate) log.WriteLine(line);
        }), maxConcurrency: bound);
        registry.Register(Gleitzeit.Core.Human.HumanProvider.Instance);

        using var spans = options.TryGetValue("--spans", out var spanPath) ? new StreamWriter(spanPath, append: true) { AutoFlush = true } : null;
        using var spanListener = new ActivityListener
        {
            ShouldListenTo = s => spans is not null && s.Name == GleitzeitDiagnostics.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                lock (gate) spans!.WriteLine($"{a.TraceId}\t{a.ParentSpanId}\t{a.SpanId}\t{a.OperationName}\t{a.GetTagItem("gleitzeit.task.id")}\t{a.GetTagItem("gleitzeit.task.attempt")}");
            },
        };
        ActivitySource.AddActivityListener(spanListener);

        var pipeline = options.GetValueOrDefault("--middleware") == "trace" ? new TaskPipeline(StageTrace.Pair()) : new TaskPipeline();

        await using var store = new RedisWorkflowStore(new RedisStoreOptions { Configuration = options["--redis"], KeyPrefix = options["--prefix"] });
        var worker = new GleitzeitWorker(store, registry, new GleitzeitWorkerOptions
        {
            ConsumerName = options.GetValueOrDefault("--consumer"),
            LeaseTime = TimeSpan.FromMilliseconds(leaseMs),
            PollInterval = TimeSpan.FromMilliseconds(200),
        }, new GleitzeitOptions { DefaultRetry = RetryPolicy.None }, pipeline: pipeline);

        using var stop = new CancellationTokenSource();
        _ = Task.Run(async () =>
        {
            while (await Console.In.ReadLineAsync() is not null)
            {
            }
            await stop.CancelAsync();
        });
        Console.WriteLine("stages: " + string.Join(" ", pipeline.Stages));
        Console.WriteLine("worker " + worker.ConsumerName + " started");
        await worker.RunAsync(concurrency, stop.Token);
        return 0;
    }
}
