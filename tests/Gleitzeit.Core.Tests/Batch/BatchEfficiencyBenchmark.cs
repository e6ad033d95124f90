using System.Diagnostics;
using System.Text.Json.Nodes;
using Gleitzeit.Core.Batch;
using Gleitzeit.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Gleitzeit.Core.Tests.Batch;

/// <summary>
/// Batch efficiency = ideal time / actual time, where ideal = files x latency / concurrency. Run on demand:
/// <c>dotnet test tests/Gleitzeit.Core.Tests --filter "FullyQualifiedName~BatchEfficiencyBenchmark"</c>. Prints the figure; asserts only correctness.
/// </summary>
[Explicit("benchmark: run on demand, prints batch efficiency")]
public sealed class BatchEfficiencyBenchmark : BatchTestContext
{
    [Test]
    public async Task Thousand_files_at_concurrency_8_with_20_ms_latency()
    {
        const int count = 1000;
        const int concurrency = 8;
        var latency = TimeSpan.FromMilliseconds(20);
        for (var i = 1; i <= count; i++) Write($"bench/{i:0000}.txt", $"document {i}");
        Server.Latency = latency;
        var processor = Processor(o => o.ResultsDirectory = null);
        // Warm-up (JIT, HTTP connections) on a few files, not measured.
        await processor.ProcessBatchAsync(new BatchRequest { Directory = Path.Combine(Dir, "bench"), Pattern = "000?.txt", Prompt = "p", MaxConcurrent = concurrency });

        var watch = Stopwatch.StartNew();
        var result = await processor.ProcessBatchAsync(new BatchRequest { Directory = Path.Combine(Dir, "bench"), Pattern = "*.txt", Prompt = "p", MaxConcurrent = concurrency });
        watch.Stop();

        var ideal = latency * count / concurrency;
        var efficiency = ideal / watch.Elapsed;
        TestContext.Out.WriteLine($"batch efficiency: {efficiency:0.000} ({count} files, concurrency {concurrency}, latency {latency.TotalMilliseconds} ms: " +
            $"ideal {ideal.TotalMilliseconds:0} ms, actual {watch.Elapsed.TotalMilliseconds:0} ms)");
        Assert.That(result.Successful, Is.EqualTo(count));
    }

    [Test]
    public async Task Thousand_files_at_concurrency_8_through_an_in_process_20_ms_provider()
    {
        // The same batch without HTTP: separates the engine's own overhead from the test server's.
        const int count = 1000;
        const int concurrency = 8;
        var latency = TimeSpan.FromMilliseconds(20);
        var files = Enumerable.Range(1, count).Select(i => Write($"bench/{i:0000}.txt", $"document {i}")).ToList();
        var provider = new DelegateProvider("mcp/v1", async (inv, ct) =>
        {
            await Task.Delay(latency, ct);
            return new JsonObject { ["response"] = "ok" };
        }, "tool.wait");
        var processor = Processor(o => o.ResultsDirectory = null, b => b.AddProvider(provider));
        await processor.ProcessBatchAsync(new BatchRequest { Files = files.Take(16).ToList(), Method = "tool.wait", MaxConcurrent = concurrency });

        var watch = Stopwatch.StartNew();
        var result = await processor.ProcessBatchAsync(new BatchRequest { Files = files, Method = "tool.wait", MaxConcurrent = concurrency });
        watch.Stop();

        var ideal = latency * count / concurrency;
        TestContext.Out.WriteLine($"batch efficiency without HTTP: {ideal / watch.Elapsed:0.000} (ideal {ideal.TotalMilliseconds:0} ms, actual {watch.Elapsed.TotalMilliseconds:0} ms)");
        Assert.That(result.Successful, Is.EqualTo(count));
    }
}
