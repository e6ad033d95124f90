using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Gleitzeit.Core;
using Gleitzeit.Core.Definitions;
using Gleitzeit.Core.Protocol;
using Gleitzeit.Persistence.Redis;
using Gleitzeit.Testing;

namespace Gleitzeit.Benchmarks;

/// <summary>
/// <c>--only scaleout</c>: independent tasks through the Redis queue with 1, 2 and 4 <see cref="GleitzeitWorker"/>
/// processes (this program started with <c>--scaleout-worker</c>), each at concurrency 16, on a private redis-server.
/// I/O-bound tasks await 20 ms (ideal: workers × 16 / 20 ms); no-op tasks measure the queue's own cost (ideal: workers ×
/// the one-worker rate). Efficiency = actual / ideal.
/// </summary>
internal static class ScaleOutRuns
{
    private const int Concurrency = 16;
    private const int SleepMs = 20;

    public static async Task MeasureAsync(Report report, bool quick)
    {
        var (server, missing) = await RedisServer.StartAsync();
        if (server is null)
        {
            report.Note("scale-out: skipped — " + missing);
            return;
        }
        await using var _ = server;
        var runs = quick ? 2 : 3;
        double? noOpOne = null;
        foreach (var workers in new[] { 1, 2, 4 })
        {
            var options = new RedisStoreOptions { Configuration = server.Configuration, KeyPrefix = $"bench{workers}:" };
            await using var store = new RedisWorkflowStore(options);
            var queue = new RedisWorkflowQueue(store);
            var processes = new List<Process>();
            try
            {
                for (var i = 0; i < workers; i++) processes.Add(await StartWorkerAsync(options, $"w{workers}-{i}"));
                var ioCount = (quick ? 800 : 2_000) * workers;
                var noOpCount = quick ? 2_000 : 5_000;
                await RunAsync(queue, Wide("sleep", 200)); // warm-up: JIT, scripts, connections in every process
                var io = await Macro.RunAsync(0, runs, ioCount, () => RunAsync(queue, Wide("sleep", ioCount)));
                report.Add("9 scale-out", $"{workers} worker process(es) x {Concurrency}: {ioCount:N0} tasks of {SleepMs} ms", io);
                var ideal = workers * Concurrency * 1000.0 / SleepMs;
                report.Target($"I/O-bound efficiency, {workers} worker(s)", io.UnitsPerSecond / ideal >= 0.8, $"{io.UnitsPerSecond / ideal:P0} of {ideal:N0}/s");
                var noOp = await Macro.RunAsync(0, runs, noOpCount, () => RunAsync(queue, Wide("noop", noOpCount)));
                report.Add("9 scale-out", $"{workers} worker process(es) x {Concurrency}: {noOpCount:N0} no-op tasks", noOp);
                noOpOne ??= noOp.UnitsPerSecond;
                report.Note($"scale-out no-op, {workers} worker(s): {noOp.UnitsPerSecond:N0}/s = {noOp.UnitsPerSecond / (workers * noOpOne.Value):P0} of {workers} x the 1-worker rate");
            }
            finally
            {
                foreach (var p in processes) await StopAsync(p);
            }
        }
        report.Note($"scale-out: {Environment.ProcessorCount} cores for redis-server, the submitter and every worker process together");
    }

    /// <summary>The worker process's body: a <see cref="GleitzeitWorker"/> with the benchmark's provider until stdin closes.</summary>
    public static async Task<int> WorkerMainAsync(string[] args)
    {
        string Arg(string name) => args[Array.IndexOf(args, name) + 1];
        var registry = new ProviderRegistry();
        registry.Register(new DelegateProvider("bench/v1", static async (invocation, ct) =>
        {
            if (invocation.Method == "bench/sleep") await Task.Delay(SleepMs, ct).ConfigureAwait(false);
            return new JsonObject { ["v"] = 1 };
        }, "bench/noop", "bench/sleep"));
        await using var store = new RedisWorkflowStore(new RedisStoreOptions { Configuration = Arg("--redis"), KeyPrefix = Arg("--prefix") });
        var worker = new GleitzeitWorker(store, registry, new GleitzeitWorkerOptions { ConsumerName = Arg("--consumer"), Concurrency = Concurrency, PollInterval = TimeSpan.FromMilliseconds(200) },
            new GleitzeitOptions { DefaultRetry = RetryPolicy.None });
        using var stop = new CancellationTokenSource();
        _ = Task.Run(async () =>
        {
            while (await Console.In.ReadLineAsync() is not null)
            {
            }
            await stop.CancelAsync();
        });
        Console.WriteLine("worker started");
        await worker.RunAsync(stop.Token);
        return 0;
    }

    private static Workflow Wide(string method, int count)
    {
        var builder = new WorkflowBuilder($"scaleout-{method}-{count}");
        for (var i = 0; i < count; i++) builder.AddTask($"t{i}", "bench/" + method, new JsonObject());
        return builder.Build();
    }

    private static async Task RunAsync(RedisWorkflowQueue queue, Workflow workflow)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        var run = await queue.WaitAsync(await queue.SubmitAsync(workflow, cancellationToken: limit.Token), limit.Token);
        if (run.Status != WorkflowStatus.Completed) throw new InvalidOperationException($"{workflow.Name}: run ended {run.Status}: {run.Error?.Message}");
    }

    private static async Task<Process> StartWorkerAsync(RedisStoreOptions options, string consumer)
    {
        var info = new ProcessStartInfo(Environment.ProcessPath ?? "dotnet")
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        if (Path.GetFileNameWithoutExtension(info.FileName) == "dotnet") info.ArgumentList.Add(typeof(ScaleOutRuns).Assembly.Location);
        foreach (var a in new[] { "--scaleout-worker", "--redis", options.Configuration, "--prefix", options.KeyPrefix, "--consumer", consumer }) info.ArgumentList.Add(a);
        var process = Process.Start(info) ?? throw new InvalidOperationException("the worker process did not start");
        _ = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var line = await process.StandardOutput.ReadLineAsync(limit.Token);
        if (line != "worker started")
        {
            process.Kill();
            throw new InvalidOperationException($"worker {consumer} did not start: {line}");
        }
        _ = process.StandardOutput.ReadToEndAsync();
        return process;
    }

    private static async Task StopAsync(Process process)
    {
        process.StandardInput.Close();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            await process.WaitForExitAsync();
        }
        process.Dispose();
    }
}
